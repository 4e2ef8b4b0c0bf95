r"""f-divergences and spread divergences: closed forms, quadrature and Monte Carlo.

The spread divergence is the f-divergence between the spread distributions,
:math:`\tilde D_f(p\|q) = D_f(p * K \,\|\, q * K)`. Which f-divergences exist, and what
each needs, is in :mod:`spreadlab.fdivergences`; closed forms are registered per pair of
families (:mod:`spreadlab.closed_forms`, :func:`spreadlab.register_divergence`). This
module holds the public functions and the two numeric routes:

* ``method="quad"`` -- adaptive Gauss-Kronrod quadrature of the f-divergence's pointwise
  integrand (one dimension), with its error estimate;
* ``method="mc"`` -- Monte Carlo with the standard error of the mean.

Divergences that are infinite because of a support mismatch are ``inf``, never NaN.
"""

import time

import numpy as np

from . import _mc_checks
from . import closed_forms as _closed_forms  # noqa: F401  (registers the built-in closed forms)
from ._integration import (
    QuadratureBudgetError,
    QuadratureTruncationWarning,
    breakpoints,
    integrate_segments,
    kronrod_sum,
    remaining_budget,
    scan_grid,
    support_1d,
    tail_decay,
    time_budget,
)
from ._validation import as_budget, as_count, check_choice, check_rng, time_budget_seconds
from .budgets import TimeBudgetError
from .distributions._base import Distribution, check_distribution
from .fdivergences import NoClosedFormError, get_f_divergence
from .registry import DIVERGENCES
from .spread import Convolution, _SumOfTwo, spread

__all__ = [
    "METHODS",
    "QuadratureBudgetError",
    "TimeBudgetError",
    "MonteCarloWarning",
    "Estimate",
    "kl",
    "divergence",
    "spread_kl",
    "spread_divergence",
]

QUAD_TIME_BUDGET = 30.0
"""Seconds one ``method="quad"`` evaluation may take before it stops with a
:class:`QuadratureBudgetError` (a ``ValueError``) naming this budget. The deadline is checked
in the outer quadrature and inside every numerically spread density it evaluates (nested
quadrature can be slow, never endless)."""

METHODS = ("exact", "quad", "mc")
"""How a divergence is evaluated: ``"exact"`` (a registered or derived closed form),
``"quad"`` (adaptive quadrature, one dimension, with an error estimate) or ``"mc"``
(Monte Carlo in any dimension, with its standard error)."""


class Estimate(float):
    """A numerically estimated divergence: a float that carries its error.

    Attributes
    ----------
    value : float
        The estimate itself (the float this object is).
    error : float
        Absolute error estimate: quadrature's error bound (``method="quad"``) or the
        Monte Carlo standard error (``method="mc"``).
    method : str
        ``"quad"`` or ``"mc"``.
    n_samples : int or None
        Monte Carlo sample size.

    Examples
    --------
    >>> from spreadlab import Delta, Gaussian, spread_kl
    >>> est = spread_kl(Delta(0.0), Delta(1.0), Gaussian(0.0, 1.0), method="mc", n_samples=10_000, rng=0)
    >>> abs(est - 0.5) < 5 * est.error  # within five standard errors of the closed form
    True
    """

    def __new__(cls, value, error, method, n_samples=None):
        obj = super().__new__(cls, value)
        obj.error = float(error)
        obj.method = method
        obj.n_samples = n_samples
        return obj

    def __repr__(self):
        label = "stderr" if self.method == "mc" else "abserr"
        return f"Estimate({float(self)!r}, {label}={self.error:.3g}, method={self.method!r})"




# --------------------------------------------------------------------------------------
# closed forms: registered, derived, or mutually singular
# --------------------------------------------------------------------------------------


def _batch_shape(p, q):
    return np.broadcast_shapes(p.batch_shape, q.batch_shape)


def closed_form(p, q, f, alpha=None):
    """A closed form of D_f(p || q): registered for the pair, derived, or by singularity.

    Raises :class:`NoClosedFormError` when none applies.
    """
    fd = get_f_divergence(f)
    func = DIVERGENCES.lookup(type(p), type(q), fd.name)
    refusal = None
    if func is not None:
        try:
            with np.errstate(over="ignore"):
                return func(p, q, alpha) if fd.has_order else func(p, q)
        except NoClosedFormError as exc:  # e.g. needs equal scales: a derivation may still apply
            refusal = exc
    try:
        value = fd.derive(p, q, alpha, closed_form)
    except NoClosedFormError:
        value = None
    if value is not None:
        return value
    if refusal is not None:
        raise refusal
    if p.absolutely_continuous != q.absolutely_continuous:
        # a law without a Lebesgue density lives on a null set of the other: mutually singular
        shape = _batch_shape(p, q)
        value = fd.mutually_singular(alpha)
        return np.full(shape, value) if shape else value
    raise NoClosedFormError(
        f"no closed form for f={fd.name!r} between {p!r} and {q!r}; "
        "use method='quad' (one dimension) or method='mc' (any dimension)"
    )


def _as_output(value):
    arr = np.asarray(value, dtype=float)
    if np.any(np.isnan(arr)):  # pragma: no cover - guarded by construction
        raise FloatingPointError("a divergence evaluated to NaN; please report this as a bug")
    return float(arr) if arr.ndim == 0 else arr


# --------------------------------------------------------------------------------------
# numerical methods
# --------------------------------------------------------------------------------------


def _same_law(p, q):
    """True when p and q are certainly the same law: the same object, or the same class with
    equal parameters (compared exactly, as floats; numerically spread laws by their parts).
    False when unsure -- a class whose parameters are not listed is never called equal to
    another instance."""
    if p is q:
        return True
    if type(p) is not type(q):
        return False
    if isinstance(p, _SumOfTwo):
        return _same_law(p.p, q.p) and _same_law(p.kernel, q.kernel)
    a, b = p._params(), q._params()
    if not a or a.keys() != b.keys():
        return False
    for key in a:
        u, v = a[key], b[key]
        if isinstance(u, Distribution) or isinstance(v, Distribution):
            if not (isinstance(u, Distribution) and isinstance(v, Distribution) and _same_law(u, v)):
                return False
            continue
        try:
            u, v = np.asarray(u, dtype=float), np.asarray(v, dtype=float)
        except (TypeError, ValueError):
            return False
        if u.shape != v.shape or not np.array_equal(u, v):
            return False
    return True


def _check_scalar_batch(d, name, method):
    if d.batch_shape != ():
        raise ValueError(
            f"method={method!r} evaluates one pair at a time; {name} has batch_shape "
            f"{d.batch_shape}: loop over the batch or use method='exact'"
        )


def _log_slope(d, x, lx):
    """|d log d(x) / dx| by a central difference on a step well above the rounding of x
    (1e-6 of the law's width, or 1e4 ulps of x for a narrow law far from 0); 0 where it is
    not finite (off a support edge)."""
    width = float(np.asarray(d.scale_hint))
    width = width if np.isfinite(width) and width > 0 else 1.0
    finite = np.isfinite(x)
    x = np.where(finite, x, 0.0)  # an infinite node (a mapped tail) has no slope: x +- h is NaN
    h = np.maximum(1e-6 * width, 1e4 * np.finfo(float).eps * np.abs(x))
    with np.errstate(invalid="ignore", over="ignore"):
        slope = np.abs(np.asarray(d.logpdf(x + h), dtype=float) - np.asarray(d.logpdf(x - h), dtype=float)) / (2.0 * h)
    return np.where(finite & np.isfinite(slope) & np.isfinite(lx), slope, 0.0)


def _log_rounding(d, x, lx):
    """The rounding of a closed-form log density at float nodes x, in units of eps: the sizes
    of what it adds up -- the result |log d| and the normaliser |log width| (+1) -- and the
    moves of the node (eps |x|) and of the standardised argument (eps |x - centre|), each
    times the slope |d log d / dx|. (The sizes of the intermediates matter, not only of the
    result: for Laplace(-0.147, 0.0557) vs Laplace(-0.1472, 0.0557), log p ~ -|z| + 2.2 is
    smaller than |z| in the tails, and the JS integrand, which squares the small
    difference log q - log p, was 1.1e-17 off against an error estimate of 8.5e-18.)"""
    width = float(np.asarray(d.scale_hint))
    log_width = abs(np.log(width)) if np.isfinite(width) and width > 0 else 0.0
    centre = float(np.asarray(d.location_hint))
    centre = centre if np.isfinite(centre) else 0.0
    reach = np.abs(x) + np.abs(x - centre)
    return 2.0 + np.abs(lx) + log_width + reach * _log_slope(d, x, lx)


def _sensitivity(fd, p, q, edges, alpha, step=1e-6, weighted=False):
    """int |dg/dlog p| + |dg/dlog q| dx for the integrand g of D_f, by finite differences.

    ``weighted=True`` weighs each derivative by the rounding of a closed-form log density at
    a float node, in units of eps (:func:`_log_rounding`): a few ulps of the sizes it adds up,
    plus |x| |d log p / dx| (the node itself is rounded to eps |x|: for a law of width s at
    distance |x| >> s from 0 that moves log p by eps |x| / s -- 1.6e-10 for a
    hyperbolic-secant law 7e5 widths from 0, whose TV by quadrature was 4.7e-12 off with an
    error estimate of 2.1e-12). This times a few eps is the error the integrand's own
    evaluation puts into the integral, which no quadrature rule can see (p log(p/q) for
    p ~ q cancels digits the rules then integrate faithfully).
    """

    def h(x):
        lp, lq = p.logpdf(x), q.logpdf(x)
        base = fd.pointwise(lp, lq, alpha)
        with np.errstate(invalid="ignore", over="ignore"):
            dp = np.abs(fd.pointwise(lp + step, lq, alpha) - base) / step
            dq = np.abs(fd.pointwise(lp, lq + step, alpha) - base) / step
            if weighted:
                dp = dp * _log_rounding(p, x, lp)
                dq = dq * _log_rounding(q, x, lq)
        return np.nan_to_num(dp + dq, nan=0.0, posinf=0.0)

    # a factor-of-two estimate is all that is needed (it is doubled again below): one
    # Kronrod rule per panel of the laddered edges, not an adaptive integral
    return kronrod_sum(h, edges)


_TAIL_NU_DIVERGES = -0.02  # |x| g grows at least like |x|^0.02: certainly infinite
_TAIL_NU_UNSURE = 0.05  # below this, an integral beyond 1e300 could still hold 1e-7 of it


def _tail_verdict(p, q, fd, alpha, edges):
    """None when both tails of the integrand decay fast enough to integrate; ``inf`` when
    one decays no faster than 1/|x| (the divergence is infinite); a ValueError when the
    decay is too slow to tell (``|x| g`` falls like ``|x|^-nu`` with 0 <= nu < 0.05).

    Only for divergences whose integral can be infinite (:meth:`FDivergence.can_diverge`):
    KL against a lighter tail (Cauchy against Gaussian or Laplace), chi-square and Rényi
    of order > 1 against a tail that is too light (Gaussians with 2 var_q <= var_p).
    """

    def log_magnitude(x):
        import warnings

        # a numerically spread density far out may reach only 1e-7 relative: plenty for a
        # decay rate, so its accuracy warning would only mislead here
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", QuadratureTruncationWarning)
            lp = np.asarray(p.logpdf(x), dtype=float)
            lq = np.asarray(q.logpdf(x), dtype=float)
        both = np.isfinite(lp) & np.isfinite(lq)
        out = np.full(lp.shape, np.nan)
        if np.any(both):
            with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
                out[both] = fd.log_magnitude(lp[both], lq[both], alpha)
        return out

    lo, hi = edges[0], edges[-1]
    for side, infinite in ((-1, np.isneginf(lo)), (1, np.isposinf(hi))):
        if not infinite:
            continue
        # a numerically spread density costs an integral per point: 8 points, not 24
        numeric = p.numeric_density or q.numeric_density
        # the 12 decades beyond the edges and the last 12 before the logs overflow: the first
        # resolve lower-order terms that rounding drowns far out, the second are asymptotic
        unsure = None
        for near in (True, False):
            found = tail_decay(log_magnitude, edges, side, *((1.5, 2) if numeric else (0.5, 4)), near=near)
            if found is None:
                continue
            nu, smooth, x_far = found
            if nu < _TAIL_NU_DIVERGES or (smooth and nu <= 1e-6):
                return np.inf
            if nu < _TAIL_NU_UNSURE:
                unsure = unsure or (nu, x_far)
        if unsure is not None:
            nu, x_far = unsure
            raise ValueError(
                f"method='quad': the {fd.name} integrand decays like |x|^-(1 + {nu:.2g}) in the "
                f"{'left' if side < 0 else 'right'} tail (read at x = {x_far:.3g}), so the "
                "divergence may be infinite, or finite but too slowly convergent to integrate in "
                "floating point; use method='mc' or a closed form"
            )
    return None


def _crossings(p, q, edges):
    """Points where log p - log q changes sign, found on a scan grid and polished by Brent's
    method."""
    from scipy.optimize import brentq

    grid = scan_grid(edges)
    diff = lambda x: float(p.logpdf(x) - q.logpdf(x))  # noqa: E731
    with np.errstate(invalid="ignore"):
        g = np.asarray(p.logpdf(grid) - q.logpdf(grid), dtype=float)
    # an exact zero on the grid (the midpoint of two equal-scale laws) must not hide the flip
    ok = np.isfinite(g) & (g != 0)
    grid, g = grid[ok], g[ok]
    flips = np.flatnonzero(np.sign(g[:-1]) * np.sign(g[1:]) < 0)
    # tolerances relative to the bracket (a geometric grid: the local scale), not absolute
    return np.array([brentq(diff, grid[i], grid[i + 1], xtol=1e-13 * (grid[i + 1] - grid[i]) + 1e-300,
                            rtol=1e-15) for i in flips])


def _renyi_log_g(p, q, alpha):
    def log_g(x):
        with np.errstate(invalid="ignore"):
            v = alpha * p.logpdf(x) + (1.0 - alpha) * q.logpdf(x)
        return np.where(np.isnan(v), -np.inf, v)

    return log_g


def _peak_landmarks(log_g, edges):
    """Breakpoints around the peak of p^a q^(1-a): (location, value, extra edges).

    The geometric mixture peaks between p and q with its own width, which neither
    density's landmarks resolve: a Gauss-Kronrod panel spanning that bump's flank sees
    zeros at all 15 nodes and reports no error (found by the random-parameter oracle:
    Rényi-0.3 of N(0, 0.109^2) and N(28, 0.024^2) was 2e-12 off while reporting 4e-17).
    The width comes from the curvature of log g at the scan maximum.
    """
    inner = scan_grid(edges, n_inner=4001)
    if inner.size == 0:
        return 0.0, 0.0, np.array([])
    values = log_g(inner)
    i = int(np.argmax(values))
    shift = float(values[i])
    if not np.isfinite(shift):
        return 0.0, 0.0, np.array([])
    x0 = float(inner[i])
    # the grid maximum can be far below the true one when the bump is narrow (found by the
    # extreme-scale oracle: Rényi-1.5 of N(4e-9, 7e-19) and N(8e-4, 2.5e-19) was 1e-4 off):
    # walk outward while the maximum sits on the end of the grid, then polish it by Brent's
    # bounded search between its neighbours
    from scipy.optimize import minimize_scalar

    lo_x = float(inner[max(i - 1, 0)])
    hi_x = float(inner[min(i + 1, inner.size - 1)])
    for _ in range(200):
        if i not in (0, inner.size - 1):
            break
        sign = -1.0 if i == 0 else 1.0
        span = max(hi_x - lo_x, abs(x0) * 1e-12, 1e-300)
        trial = x0 + sign * 2.0 * span
        if not np.isfinite(trial) or not (edges[0] < trial < edges[-1]):
            break
        value = float(log_g(np.array([trial]))[0])
        if not value > shift:
            lo_x, hi_x = (trial, hi_x) if sign < 0 else (lo_x, trial)
            break
        lo_x, hi_x = (trial, x0) if sign < 0 else (x0, trial)
        x0, shift = trial, value
    if hi_x > lo_x:
        res = minimize_scalar(lambda x: -float(log_g(np.array([x]))[0]), bounds=(lo_x, hi_x),
                              method="bounded", options={"xatol": 1e-13 * (hi_x - lo_x) + 1e-300})
        if np.isfinite(res.fun) and -res.fun > shift:
            x0, shift = float(res.x), float(-res.fun)
    # curvature by a second difference on a step that shrinks until it is resolved
    lo_i, hi_i = max(i - 1, 0), min(i + 1, inner.size - 1)
    step = max(0.5 * float(inner[hi_i] - inner[lo_i]), 1e-9 * (abs(x0) + 1.0))
    width = step
    for _ in range(60):
        g_minus, g_plus = log_g(np.array([x0 - step, x0 + step]))
        with np.errstate(invalid="ignore", over="ignore"):
            curv = (g_plus - 2.0 * shift + g_minus) / (step * step)
        if np.isfinite(curv) and curv < 0 and -curv * step * step < 1.0:
            width = 1.0 / np.sqrt(-curv)
            break
        step *= 0.5
    ladder = np.array([-30.0, -8.0, -2.0, -0.5, 0.0, 0.5, 2.0, 8.0, 30.0])
    extra = x0 + width * ladder
    _peak_landmarks.last_width = float(width)
    return x0, shift, extra[(extra > edges[0]) & (extra < edges[-1])]


_peak_landmarks.last_width = 1.0


def _quad_renyi_log(p, q, alpha, edges):
    log_g = _renyi_log_g(p, q, alpha)
    x0, shift, extra = _peak_landmarks(log_g, edges)
    # the shift is exact as a scale factor, but log p and log q themselves carry rounding
    # relative to their size (huge when the laws are far apart): it enters the result directly
    with np.errstate(invalid="ignore", over="ignore"):
        mags = abs(alpha * float(p.logpdf(np.array([x0]))[0])) + abs((1.0 - alpha) * float(q.logpdf(np.array([x0]))[0]))
    log_rounding = 4.0 * np.finfo(float).eps * mags if np.isfinite(mags) else 0.0
    edges = np.unique(np.concatenate([edges, extra]))
    # the search may miss the very top by a little: cap the exponent instead of overflowing,
    # and if any node went above the shift, integrate again scaled by the largest value seen
    # (a capped node would otherwise make the answer silently wrong)
    for _ in range(4):
        top = [-np.inf]

        def scaled_g(x, shift=shift, top=top):
            v = log_g(x) - shift
            top[0] = max(top[0], float(np.max(v, initial=-np.inf)))
            return np.exp(np.minimum(v, 700.0))

        scaled, err = integrate_segments(scaled_g, edges, rtol=1e-12)
        if top[0] <= 1.0:
            break
        shift += top[0]
    else:
        scaled = 0.0  # the peak could not be pinned down: handled as unresolved below
    if not scaled > 0 or not np.isfinite(scaled):
        # p^a q^(1-a) peaks at exp(shift) with a width w, but log p and log q are so large
        # (laws ~1e12 widths apart) that their rounding, log_rounding nats, hides the bump
        # from every node. The integral is exp(shift) times a factor between w-ish and
        # exp(log_rounding): the value is shift / (alpha - 1), good to that many nats.
        import warnings

        width = _peak_landmarks.last_width
        slack = log_rounding + abs(np.log(max(width, 1e-300) * np.sqrt(2 * np.pi))) + 5.0
        value = max(shift / (alpha - 1.0), 0.0)
        error = slack / abs(alpha - 1.0)
        warnings.warn(
            f"method='quad': log p and log q are too large here (rounding ~{log_rounding:.3g} nats) "
            f"to resolve p^alpha q^(1-alpha); the Rényi divergence {value:.6g} is good only to "
            f"{error:.3g} (its error estimate)",
            QuadratureTruncationWarning, stacklevel=4,
        )
        return Estimate(value, error, "quad")
    value = max((shift + np.log(scaled)) / (alpha - 1.0), 0.0)  # a divergence is >= 0
    return Estimate(value, (err / scaled + log_rounding) / abs(alpha - 1.0), "quad")


def _quad_divergence(p, q, fd, alpha):
    for name, d in (("p", p), ("q", q)):
        if d.dim != 1:
            raise ValueError(f"method='quad' works in one dimension; {name} has dim={d.dim}")
        _check_scalar_batch(d, name, "quad")
    if not (p.absolutely_continuous and q.absolutely_continuous):
        raise ValueError("method='quad' needs densities; a Delta or singular Gaussian has none")
    if _same_law(p, q):  # D_f(p || p) = f(1) = 0 for every f: exactly, and without integrating
        return Estimate(0.0, 0.0, "quad")
    budget = as_budget(QUAD_TIME_BUDGET, "divergences.QUAD_TIME_BUDGET")
    message = (
        f"method='quad' ran past its time budget of {budget:g} s "
        "(spreadlab.divergences.QUAD_TIME_BUDGET) without converging; use method='mc', "
        "a closed form, or a larger budget"
    )
    with time_budget(budget, message):
        return _quad_divergence_within_budget(p, q, fd, alpha)


_NARROWEST = 1e-300


def _resolvable(d):
    """True when floats near the law's centre are fine enough (64 ulps below its width) for a
    quadrature rule to see its density: N(1e20, 1) sits between floats 16384 apart."""
    centre, width = abs(float(np.asarray(d.location_hint))), float(np.asarray(d.scale_hint))
    return centre == 0.0 or width > 64.0 * np.finfo(float).eps * centre


def _resolve(p, q, fd, alpha):
    """(p, q) moved (both by the same offset: every divergence is translation invariant) so
    that quadrature can resolve them; a ValueError when it cannot."""
    # a law narrower than ~1e-300 has a density above ~1e300 at its centre: f-divergence
    # integrands such as p log(p/q) then overflow the float range although the integral is
    # finite (KL(Laplace(0, 1e-308) || Laplace(0, 1)) = 708.2, quadrature saw inf); a narrow
    # q makes log q overflow (KL(Laplace(0, 1) || Laplace(0, 1e-308)) = 1e308, quadrature saw inf)
    for name, d in (("p", p), ("q", q)):
        width = float(np.asarray(d.scale_hint))
        if width < _NARROWEST:
            raise ValueError(
                f"method='quad' cannot integrate {name}={d!r}: it is narrower than {_NARROWEST:g}, "
                "so its density overflows the integrand's float range near its centre; use "
                "method='exact' (a closed form) or method='mc'"
            )
    if _resolvable(p) and _resolvable(q):
        return p, q
    offset = -float(np.asarray(p.location_hint))
    p2, q2 = p.shifted(offset), q.shifted(offset)
    # KL integrates p (log p - log q): only p needs resolving there, q may sit 1e308 away
    if _resolvable(p2) and (_resolvable(q2) or fd.name == "kl" or (fd.name == "renyi" and alpha == 1.0)):
        return p2, q2
    raise ValueError(
        f"method='quad' cannot resolve {p!r} and {q!r}: one is narrower than 64 float spacings "
        f"at its distance from the other (the laws are more than ~7e13 widths apart), so no "
        "quadrature node sees its density; use method='exact' (a closed form) or method='mc'"
    )


def _quad_divergence_within_budget(p, q, fd, alpha):
    (plo, phi), (qlo, qhi) = support_1d(p), support_1d(q)
    if fd.infinite_on_mismatch(plo < qlo or phi > qhi, qlo < plo or qhi > phi, alpha):
        return Estimate(np.inf, 0.0, "quad")
    p, q = _resolve(p, q, fd, alpha)
    edges = breakpoints(p, q)
    if fd.can_diverge(alpha) and _tail_verdict(p, q, fd, alpha, edges) is not None:
        return Estimate(np.inf, 0.0, "quad")  # a tail that decays no faster than 1/|x|
    if fd.name == "tv":  # |p - q| has a kink wherever the densities cross: make those breakpoints
        edges = np.unique(np.concatenate([edges, _crossings(p, q, edges)]))
    if fd.name == "renyi" and alpha != 1.0:  # p^a q^(1-a) has its own bump between p and q
        edges = np.unique(np.concatenate([edges, _peak_landmarks(_renyi_log_g(p, q, alpha), edges)[2]]))

    seen = {"inf": False, "nan": None}

    def integrand(x):
        lp, lq = p.logpdf(x), q.logpdf(x)
        with np.errstate(invalid="ignore", over="ignore", under="ignore", divide="ignore"):
            g = np.asarray(fd.pointwise(lp, lq, alpha), dtype=float)
        # where neither law has mass there is nothing to integrate, whatever a user's pointwise
        # makes of exp(-inf) * f(exp(-inf - -inf)) (NaN)
        g = np.where(np.isneginf(lp) & np.isneginf(lq), 0.0, g)
        # where both densities underflow (below 1e-308), a NaN is 0 * inf from exp(lq) * f(p/q):
        # the integrand is below float resolution there (q f(p/q) <= q f(0) + p f'(inf)); the
        # built-in divergences whose f'(inf) is infinite (KL, chi-square) work in log space
        g = np.where(np.isnan(g) & (np.maximum(lp, lq) < _LOG_TINY), 0.0, g)
        seen["inf"] = seen["inf"] or bool(np.any(np.isposinf(g)))
        bad = np.isnan(g)
        if seen["nan"] is None and np.any(bad):
            i = np.flatnonzero(bad.ravel())[0]
            seen["nan"] = tuple(float(np.broadcast_to(v, g.shape).ravel()[i]) for v in (x, lp, lq))
        return g

    numeric = p.numeric_density or q.numeric_density
    for d in (p, q):
        if d.numeric_density:
            d.max_error_seen = 0.0
    # a numerically spread density is good to ~1e-10 relative (Convolution.rtol): asking the
    # outer rule for 1e-12 would only chase that noise
    total, err = integrate_segments(integrand, edges, rtol=1e-9 if numeric else 1e-12)
    if np.isnan(total) or np.isnan(err):
        return _quad_nan(fd, total, seen)
    if numeric:
        # every node's log density is off by at most e = the largest error estimate seen; the
        # integral moves by at most e * int (|dg/dlog p| + |dg/dlog q|), the sensitivity taken
        # by finite differences (a smooth integrand: a loose tolerance suffices), with 2x slack
        e = max(d.max_error_seen for d in (p, q) if d.numeric_density)
        err += 2.0 * e * _sensitivity(fd, p, q, edges, alpha)
    elif np.isfinite(total):
        # closed-form log densities are good to a few ulps of their size: 4 eps, with 2x slack
        err += 8.0 * np.finfo(float).eps * _sensitivity(fd, p, q, edges, alpha, weighted=True)
    if fd.name == "renyi" and alpha != 1.0 and not -0.5 <= total <= 1.0:
        # int p^a q^(1-a) is far from 1 (tiny, or huge for alpha > 1): integrate it directly,
        # scaled by its largest value, and take the log, instead of log1p(-1 + tiny) or an
        # overflowing expm1
        return _quad_renyi_log(p, q, alpha, edges)
    value = fd.finish(total, alpha)
    if np.isinf(value):
        return Estimate(value, 0.0, "quad")  # disjoint supports: exactly infinite
    # every divergence here lies in [0, bounded_by]: moving the estimate into that range can
    # only bring it closer to the truth, so the error estimate still holds
    value = min(max(value, 0.0), fd.bounded_by)
    # ... and the error of a value in [0, bounded_by] is at most bounded_by
    return Estimate(value, min(fd.finish_error(total, err, alpha), fd.bounded_by), "quad")


_LOG_TINY = float(np.log(np.finfo(float).tiny))


def _quad_nan(fd, total, seen):
    """A NaN integral: ``inf`` when the integrand overflowed (an unbounded divergence beyond
    the float range, e.g. KL between Gaussians 1e308 apart), else a ValueError naming ``f``
    and where its :meth:`~spreadlab.FDivergence.pointwise` returned NaN."""
    import warnings

    if seen["inf"] and not np.isfinite(fd.bounded_by):
        warnings.warn(
            f"method='quad': the {fd.label} integrand exceeds the float range (> 1.8e308) at "
            "some nodes; the divergence is infinite or too large for a float: returning inf",
            QuadratureTruncationWarning, stacklevel=5,
        )
        return Estimate(np.inf, 0.0, "quad")
    where = ""
    if seen["nan"] is not None:
        x, lp, lq = seen["nan"]
        where = f" at x={x:.6g} (log p={lp:.6g}, log q={lq:.6g})"
    raise ValueError(
        f"f={fd!r}: its pointwise integrand is NaN{where}; pointwise(lp, lq) must return a "
        "number (0 where neither law has mass, inf where the integrand is infinite) for every "
        "pair of log densities, -inf included"
    )


def _mc_divergence(p, q, fd, alpha, n_samples, rng):
    _check_scalar_batch(p, "p", "mc")
    _check_scalar_batch(q, "q", "mc")
    if not (p.absolutely_continuous and q.absolutely_continuous):
        raise ValueError("method='mc' needs densities; a Delta or singular Gaussian has none")
    rng = check_rng(rng, "rng")
    if _same_law(p, q):  # every term is f(1) = 0: the estimate is exact
        return Estimate(0.0, 0.0, "mc", n_samples)
    budget = time_budget_seconds("MC_TIME_BUDGET")
    message = (
        f"method='mc' ran past its time budget of {budget:g} s (spreadlab.budgets.MC_TIME_BUDGET) "
        f"with n_samples={n_samples}; use fewer samples, a closed form, or a larger budget"
    )
    with time_budget(budget, message, TimeBudgetError):
        at_p = _mc_logs(p, q, p, n_samples, rng, fd) if "p" in fd.draws else None
        at_q = _mc_logs(p, q, q, n_samples, rng, fd) if "q" in fd.draws else None
        with np.errstate(over="ignore", under="ignore", invalid="ignore"), _mc_checks.collecting() as terms:
            try:
                value, se = fd.mc_terms(at_p, at_q, alpha)
            except NotImplementedError:
                raise NotImplementedError(
                    f"the f-divergence {fd!r} has no Monte Carlo terms (FDivergence.mc_terms is not "
                    "implemented); implement mc_terms, or use method='quad' (one dimension)"
                ) from None
        value, se = float(value), float(se)
        if np.isnan(value) or np.isnan(se):
            raise FloatingPointError(
                f"the Monte Carlo estimate of {fd.name} is NaN (an infinite-variance or undefined "
                "term); use method='quad' or a closed form"
            )
        if np.isfinite(value):
            value, se = _mc_trust(p, q, fd, alpha, n_samples, value, se, terms)
    return Estimate(value, se, "mc", n_samples)


class MonteCarloWarning(UserWarning):
    """A Monte Carlo standard error that cannot be trusted, and what was done about it.

    Raised (as a warning) by ``method="mc"`` when the terms' tail is too heavy for the
    central limit theorem (estimated tail index >= 1/2: infinite variance; the error is
    then ``inf``, or the estimate ``inf`` when the divergence is shown to be infinite), or
    when a bounded divergence is pinned at its bound with no draw seeing the other law's
    mass (the error is widened to a conservative rule-of-three bound). The message gives
    the reason and the numbers.
    """


_XI_HEAVY = 0.5  # a tail index >= 1/2 means an infinite variance: the CLT error bar fails


def _mc_trust(p, q, fd, alpha, n_samples, value, se, terms):
    """The Monte Carlo estimate and an error that can be trusted (see :mod:`._mc_checks`)."""
    import warnings

    bound = fd.bounded_by
    if np.isfinite(bound):
        floor = _mc_checks.pinned_error(fd.name, n_samples)
        floor = bound if floor is None else floor
        if bound - value <= 5.0 * max(se, floor) + 8.0 * np.finfo(float).eps * bound:
            if floor > se:
                warnings.warn(
                    f"method='mc': the {fd.label} estimate {value:.10g} is pinned at its bound "
                    f"{bound:.6g} (standard error {se:.3g}): no draw saw where the laws overlap, so "
                    f"the overlap is bounded by the rule of three only; the error is widened to "
                    f"{floor:.3g} (use method='quad', a closed form, or more samples)",
                    MonteCarloWarning, stacklevel=5,
                )
                se = floor
        return value, se
    found = [_mc_checks.tail_index(t) for t in terms]
    found = [(xi, share) for xi, share in found if np.isfinite(xi)]
    if not found:
        return value, se
    xi, share = max(found)
    if xi < _XI_HEAVY:
        return value, se
    if p.dim == 1 and fd.can_diverge(alpha):
        try:
            infinite = _tail_verdict(p, q, fd, alpha, breakpoints(p, q)) is not None
        except ValueError:  # the tails decay too slowly to tell
            infinite = False
        if infinite:
            warnings.warn(
                f"method='mc': the {fd.label} terms have a tail index of {xi:.2f} and the "
                f"integrand's tails decay no faster than 1/|x|: the divergence is infinite "
                f"(the sample mean was {value:.6g})",
                MonteCarloWarning, stacklevel=5,
            )
            return np.inf, 0.0
    warnings.warn(
        f"method='mc': the {fd.label} terms are heavy-tailed (estimated tail index {xi:.2f} "
        f">= 0.5, the largest term {share:.0%} of the total deviation): their variance is "
        f"infinite or not resolved by {n_samples} draws, so the standard error "
        f"{se:.3g} cannot be trusted and is reported as inf; the estimate {value:.6g} is likely "
        "too small (use a closed form or method='quad')",
        MonteCarloWarning, stacklevel=5,
    )
    return value, np.inf


_MC_PILOT = 32  # draws whose density evaluations are timed before the rest, for numeric densities


def _mc_logs(p, q, d, n_samples, rng, fd):
    """log p and log q at ``n_samples`` draws from ``d``, under the Monte Carlo time budget.

    With a numerically spread density, the first :data:`_MC_PILOT` draws are evaluated
    first and timed: if the rest cannot finish before the deadline, the call is refused
    at once with the projected time (not after the whole budget has been spent)."""
    x = np.asarray(d.sample(n_samples, rng), dtype=float)
    x = x.reshape(n_samples, -1)[:, 0] if d.dim == 1 else x

    def logs(xs):
        with np.errstate(divide="ignore", under="ignore", over="ignore"):
            return np.asarray(p.logpdf(xs), dtype=float), np.asarray(q.logpdf(xs), dtype=float)

    if not (p.numeric_density or q.numeric_density) or n_samples <= 2 * _MC_PILOT:
        return logs(x)
    start = time.monotonic()
    head = logs(x[:_MC_PILOT])
    projected = (time.monotonic() - start) * (n_samples - _MC_PILOT) / _MC_PILOT
    left = remaining_budget()
    if projected > left:
        raise TimeBudgetError(
            f"method='mc' with n_samples={n_samples} would take about {projected:.3g} s "
            f"(timed on {_MC_PILOT} draws of numerically spread densities) for {fd.name!r}, "
            f"more than the {max(left, 0.0):.3g} s left of its time budget "
            "(spreadlab.budgets.MC_TIME_BUDGET); use fewer samples, a closed form, or a larger budget"
        )
    tail = logs(x[_MC_PILOT:])
    return np.concatenate([head[0], tail[0]]), np.concatenate([head[1], tail[1]])


# --------------------------------------------------------------------------------------
# public API
# --------------------------------------------------------------------------------------


def _dispatch(p, q, fd, method, alpha, n_samples, rng):
    if p.dim != q.dim:
        raise ValueError(f"p and q must have the same dimension; got p.dim={p.dim}, q.dim={q.dim}")
    if method == "exact":
        return _as_output(closed_form(p, q, fd, alpha))
    if method == "quad":
        return _quad_divergence(p, q, fd, alpha)
    n_samples = as_count(n_samples, "n_samples", 2, item_bytes=8 * (p.dim + 2),
                         what="draw (the draw and two log densities)")
    return _mc_divergence(p, q, fd, alpha, n_samples, rng)


def divergence(p, q, f="kl", method="exact", *, alpha=None, n_samples=100_000, rng=None):
    r"""f-divergence :math:`D_f(p\|q)` between two distributions.

    Parameters
    ----------
    p, q : Distribution
        Distributions of the same dimension. One-dimensional families broadcast.
    f : str or FDivergence, default="kl"
        Which divergence: a key of :data:`~spreadlab.F_DIVERGENCES` ("kl", "reverse_kl",
        "jeffreys", "tv", "hellinger", "chi2", "js", "triangular", "renyi") or an
        :class:`~spreadlab.FDivergence` object.
    method : {"exact", "quad", "mc"}, default="exact"
        ``"exact"`` uses a closed form registered with
        :func:`~spreadlab.register_divergence` (or derived from one: reverse KL and
        Jeffreys from KL, Hellinger and chi-square from Rényi) and raises
        :class:`NoClosedFormError` when there is none; ``"quad"`` is adaptive
        quadrature (one dimension); ``"mc"`` is Monte Carlo in any dimension.
        Quadrature first reads how fast the integrand decays in both tails: where it
        falls no faster than ``1/|x|`` (KL of a Cauchy law from a Gaussian one, chi-square
        between Gaussians with 2 var_q <= var_p) the divergence is ``inf``, and where the
        decay is too slow to tell (``|x| g`` falling slower than ``|x|^-0.05``) it raises
        a ``ValueError`` saying the integral may diverge.
    alpha : float, optional
        Order of the Rényi divergence (only with ``f="renyi"``): any number in
        (0, inf); order 1 is the KL divergence.
    n_samples : int, default=100_000
        Monte Carlo sample size. Bounded by :data:`spreadlab.budgets.MEMORY_BUDGET`
        (refused up front); the estimate runs under :data:`spreadlab.budgets.MC_TIME_BUDGET`
        and raises :class:`~spreadlab.budgets.TimeBudgetError` past it. Its standard error
        is checked before it is reported (:class:`MonteCarloWarning` says what was done):
        a bounded divergence pinned at its bound gets a rule-of-three error; heavy-tailed
        terms (estimated tail index >= 1/2) an infinite error, or ``inf`` itself when the
        one-dimensional tail check shows the divergence is infinite.
    rng : None, int or numpy.random.Generator
        Random source for ``method="mc"``.

    Returns
    -------
    float, ndarray or Estimate
        The divergence; numeric methods return an :class:`Estimate` carrying its
        error. A support mismatch gives ``inf``.

    Examples
    --------
    >>> from spreadlab import Gaussian, Laplace, divergence
    >>> divergence(Gaussian(0.0, 1.0), Gaussian(2.0, 1.0), "hellinger")  # 1 - exp(-M^2/8)
    0.3934693402873666
    >>> divergence(Laplace([0.0, 1.0], 1.0), Laplace(0.0, 1.0), "tv")
    array([0.        , 0.39346934])
    """
    check_distribution(p, "p")
    check_distribution(q, "q")
    fd = get_f_divergence(f)
    alpha = fd.check_alpha(alpha)
    check_choice(method, "method", METHODS)
    return _dispatch(p, q, fd, method, alpha, n_samples, rng)


def kl(p, q):
    r"""Closed-form Kullback-Leibler divergence :math:`KL(p\|q) = \int p \log(p/q)`.

    Registered pairs: Gaussian-Gaussian (full, even singular, covariances in any
    dimension; Delta counts as a zero-covariance Gaussian), Laplace-Laplace and
    Cauchy-Cauchy (any scales), Logistic-Logistic and HyperbolicSecant-HyperbolicSecant
    (equal scales), Uniform-Uniform. A point mass against anything else, or a support
    mismatch, gives ``inf``.

    The same point, one rule: two point masses are the same law only when their locations
    are equal as floats, so ``kl(Delta(1e12), Delta(1e12 + 0.5))`` is ``inf``, as is
    ``kl(Delta(0.1 + 0.2), Delta(0.3))``, and spreading can only lower a divergence (data
    processing). Singular Gaussians of positive rank are compared on their affine supports,
    which are computed, so with a tolerance: the supports are equal when the range bases
    span the same subspace (angle below 1e-9) and the mean gap off q's support is below
    1e-12 of the size of the means (or of q's largest standard deviation). Eigenvalues of a
    covariance below ``d * eps * lambda_max`` are not resolved by ``eigh`` and count as
    zero: ``Gaussian([0, 0], [[1, 0], [0, 1e-17]])`` is a deterministic direction (rank 1),
    and its KL to a standard normal is ``inf``.

    .. math::
        KL(\mathcal N(\mu_p,\Sigma_p)\|\mathcal N(\mu_q,\Sigma_q)) = \tfrac12\left[
        \operatorname{tr}(\Sigma_q^{-1}\Sigma_p) - d + \Delta^\top\Sigma_q^{-1}\Delta
        + \log\frac{|\Sigma_q|}{|\Sigma_p|}\right]

    Parameters
    ----------
    p, q : Distribution
        Distributions of the same dimension (1-D families broadcast).

    Returns
    -------
    float or ndarray
        ``inf`` where p has mass outside q's support.

    Examples
    --------
    >>> from spreadlab import Delta, Gaussian, kl
    >>> kl(Gaussian(0.0, 0.49), Gaussian(1.3, 0.49))  # 1.3**2 / (2 * 0.49)
    1.7244897959183678
    >>> kl(Delta(0.0), Delta(1.0))
    inf
    """
    return divergence(p, q, "kl")


def spread_divergence(p, q, kernel, f="kl", method="exact", *, alpha=None, n_samples=100_000, rng=None):
    r"""Spread f-divergence :math:`\tilde D_f(p\|q) = D_f(p * K \,\|\, q * K)`.

    Both distributions are spread with the same kernel; if the kernel's characteristic
    function is strictly positive, the result is zero only when p = q.

    Parameters
    ----------
    p, q : Distribution
        The two distributions (for example data and model), possibly without densities.
    kernel : Distribution
        The spread noise K, of the same dimension.
    f, method, alpha, n_samples, rng
        As in :func:`divergence`.

    Returns
    -------
    float, ndarray or Estimate

    Raises
    ------
    NoClosedFormError
        With ``method="exact"`` when no closed form exists for the spread pair; the
        message names the pair and suggests ``method="quad"`` or ``"mc"``.

    References
    ----------
    M. Zhang, P. Hayes, T. Bird, R. Habib, D. Barber. Spread Divergence. ICML 2020,
    eq. (3) and the two-delta example of section 2.

    Examples
    --------
    >>> from spreadlab import Delta, Laplace, spread_divergence
    >>> spread_divergence(Delta(0.0), Delta(1.0), Laplace(0.0, 1.0), "tv")  # 1 - e^{-1/2}
    0.3934693402873666
    """
    check_distribution(p, "p")
    check_distribution(q, "q")
    check_distribution(kernel, "kernel")
    fd = get_f_divergence(f)
    alpha = fd.check_alpha(alpha)
    check_choice(method, "method", METHODS)
    for name, d in (("p", p), ("q", q)):
        if d.dim != kernel.dim:
            raise ValueError(
                f"{name} and kernel must have the same dimension; got {name}.dim={d.dim}, "
                f"kernel.dim={kernel.dim}"
            )
    pt, qt = spread(p, kernel), spread(q, kernel)
    if method == "exact" and (isinstance(pt, Convolution) or isinstance(qt, Convolution)):
        raise NoClosedFormError(
            f"no closed form for the spread pair ({p!r} * {kernel!r}, {q!r} * {kernel!r}); "
            "use method='quad' (one dimension) or method='mc'"
        )
    return _dispatch(pt, qt, fd, method, alpha, n_samples, rng)


def spread_kl(p, q, kernel, method="exact", *, n_samples=100_000, rng=None):
    r"""Spread KL divergence :math:`KL(p * K \,\|\, q * K)`.

    For two point masses and Gaussian spread :math:`\mathcal N(0, \Sigma)` this is
    :math:`\tfrac12 \Delta^\top \Sigma^{-1} \Delta`.

    Parameters
    ----------
    p, q : Distribution
        The two distributions (for example data and model), possibly without densities.
    kernel : Distribution
        The spread noise K, of the same dimension.
    method : {"exact", "quad", "mc"}, default="exact"
        Closed form, adaptive quadrature (1-D, with its error estimate) or Monte Carlo (with its standard error), as in :func:`divergence`.
    n_samples : int, default=100_000
        Monte Carlo sample size.
    rng : None, int or numpy.random.Generator
        Random source for ``method="mc"``.

    Returns
    -------
    float, ndarray or Estimate

    References
    ----------
    M. Zhang et al. Spread Divergence. ICML 2020; D. Barber, "Training models that have
    zero likelihood" (blog, 2019): KL = (mu_p - mu_q)^2 / (2 sigma^2).

    Examples
    --------
    >>> from spreadlab import Delta, Gaussian, spread_kl
    >>> spread_kl(Delta(0.0), Delta(1.3), Gaussian(0.0, 0.49))
    1.7244897959183678
    >>> est = spread_kl(Delta(0.0), Delta(1.3), Gaussian(0.0, 0.49), method="quad")
    >>> abs(est - 1.3**2 / (2 * 0.49)) < 1e-10
    True
    """
    return spread_divergence(p, q, kernel, "kl", method, n_samples=n_samples, rng=rng)
