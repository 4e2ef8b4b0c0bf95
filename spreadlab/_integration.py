"""Every quadrature rule of the package, and where to put the breakpoints.

* :func:`integrate_segments` -- vectorised adaptive Gauss-Kronrod (7/15) quadrature.
  scipy's ``quad`` calls its integrand one point at a time, which is slow when every
  evaluation is itself an integral (the density of a numerically spread distribution).
  This integrator evaluates all Kronrod nodes of all active intervals in one call, then
  bisects only the intervals whose Gauss-Kronrod difference is too large. Infinite
  intervals are mapped to finite ones first.
* :data:`GL_NODES`, :data:`GL_WEIGHTS`, :func:`gauss_legendre_panels` -- a fixed
  16-point Gauss-Legendre rule on equal panels (Plancherel integrals, the counterexample,
  the Filon-Legendre transform of :mod:`spreadlab._numeric_density`).
* :func:`landmarks`, :func:`breakpoints`, :func:`scan_grid` -- where 1-D densities have
  their features, read from the :class:`~spreadlab.Distribution` contract.
"""

import contextlib
import contextvars
import math
import time

import numpy as np

from .budgets import TimeBudgetError

__all__ = ["QuadratureTruncationWarning", "QuadratureBudgetError"]


class QuadratureTruncationWarning(UserWarning):
    """A numeric integral hit its budget before it reached the requested accuracy.

    The result is returned with the accuracy it achieved (in the message, and in the error
    estimate that travels with it), never silently as if it had converged.
    """


class QuadratureBudgetError(TimeBudgetError):
    """A numeric integral ran past its time budget before it converged.

    Raised by ``method="quad"`` (the budget is
    :data:`spreadlab.divergences.QUAD_TIME_BUDGET` seconds for one evaluation, checked in
    the outer quadrature *and* inside every numerically spread density it evaluates, so a
    nested integral cannot hang), and by a numerically spread density evaluated on its own
    past :data:`spreadlab.budgets.DENSITY_TIME_BUDGET`. A subclass of
    :class:`~spreadlab.budgets.TimeBudgetError` and so of ``ValueError``: the command line reports it
    on one line like any rejected argument. The message names the budget and what to try
    instead (a closed form, ``method="mc"``, or a larger budget).
    """


_DEADLINE = contextvars.ContextVar("spreadlab_quadrature_deadline", default=None)


@contextlib.contextmanager
def time_budget(seconds, message, error=None):
    """Run the block under a deadline ``seconds`` from now; :func:`check_budget` raises
    ``error`` (default :class:`QuadratureBudgetError`) with ``message`` once it has passed. A
    budget already in force that ends earlier is kept (nested budgets never extend the outer
    one)."""
    deadline = time.monotonic() + float(seconds)
    outer = _DEADLINE.get()
    if outer is not None and outer[0] <= deadline:
        yield
        return
    token = _DEADLINE.set((deadline, message, error or QuadratureBudgetError))
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def check_budget():
    """Raise the innermost :func:`time_budget`'s error if its deadline has passed."""
    current = _DEADLINE.get()
    if current is not None and time.monotonic() > current[0]:
        raise current[2](current[1])


def budget_in_force():
    """True inside any :func:`time_budget` block (even one of ``inf`` seconds)."""
    return _DEADLINE.get() is not None


def remaining_budget():
    """Seconds left before the innermost :func:`time_budget`'s deadline (inf when none)."""
    current = _DEADLINE.get()
    return np.inf if current is None else current[0] - time.monotonic()


# 7-point Gauss / 15-point Kronrod nodes and weights on [-1, 1] (QUADPACK's qk15)
_XK = np.array([
    0.991455371120812639206854697526329, 0.949107912342758524526189684047851,
    0.864864423359769072789712788640926, 0.741531185599394439863864773280788,
    0.586087235467691130294144845693013, 0.405845151377397166906606412076961,
    0.207784955007898467600689403773245, 0.000000000000000000000000000000000,
])
_WK = np.array([
    0.022935322010529224963732008058970, 0.063092092629978553290700663189204,
    0.104790010322250183839876322541518, 0.140653259715525918745189590510238,
    0.169004726639267902826583426598550, 0.190350578064785409913256402421014,
    0.204432940075298892414161999234649, 0.209482141084727828012999174891714,
])
_WG = np.array([
    0.129484966168869693270611432679082, 0.279705391489276667901467771423780,
    0.381830050505118944950369775488975, 0.417959183673469387755102040816327,
])
_NODES = np.concatenate([-_XK[:-1], _XK[::-1]])
_WEIGHTS_K = np.concatenate([_WK[:-1], _WK[::-1]])
_WEIGHTS_G = np.zeros(15)
_WEIGHTS_G[1::2] = np.concatenate([_WG[:-1], _WG[::-1]])


_EPS = float(np.finfo(float).eps)


def _fsum(values):
    """Exactly rounded sum of floats; NumPy's sum when an intermediate overflows (the sum is
    then inf or huge anyway)."""
    try:
        return math.fsum(values)
    except (OverflowError, ValueError):
        with np.errstate(over="ignore", invalid="ignore"):
            return float(np.sum(np.asarray(values, dtype=float)))


def _mapping(a, b, scale):
    """Return (t_lo, t_hi, x(t), dx/dt) turning [a, b] (maybe infinite) into a finite range.

    A semi-infinite end is mapped with x = a + scale * t / (1 - t): with ``scale`` about the
    distance from the densities' centres, a tail decaying like 1/x^2 becomes a constant in t
    (a unit scale puts every node of a 1e-10-wide law's tail far beyond it)."""
    if np.isfinite(a) and np.isfinite(b):
        return a, b, (lambda t: t), (lambda t: np.ones_like(t))
    if np.isfinite(a):  # [a, inf): x = a + scale * t / (1 - t), t in [0, 1)
        return 0.0, 1.0, (lambda t: a + scale * (t / (1.0 - t))), (lambda t: scale / (1.0 - t) ** 2)
    if np.isfinite(b):  # (-inf, b]: x = b - scale * t / (1 - t)
        return 0.0, 1.0, (lambda t: b - scale * (t / (1.0 - t))), (lambda t: scale / (1.0 - t) ** 2)
    return -1.0, 1.0, (lambda t: scale * (t / (1.0 - t * t))), (lambda t: scale * (1.0 + t * t) / (1.0 - t * t) ** 2)


def _default_tail_scale(edges):
    finite = [e for e in edges if np.isfinite(e)]
    if len(finite) < 2:
        return 1.0
    span = 0.5 * (max(finite) - min(finite))
    return span if np.isfinite(span) and span > 0 else 1.0


def integrate_segments(func, edges, rtol=1e-12, atol=1e-300, max_rounds=60, tail_scale=None,
                       max_intervals=20000):
    """Integrate a vectorised ``func`` over consecutive segments between ``edges``.

    Adaptive Gauss-Kronrod (7/15) with a conservative acceptance: an interval is never
    accepted on its own rules alone (7 and 15 points can agree by chance when both miss a
    narrow feature). It is always halved once, and the two halves are accepted together
    only when the parent's Kronrod value agrees with the sum of theirs *and* each half's
    Gauss and Kronrod values agree. The error reported for them is the sum of the three
    differences plus a rounding term (50 eps times the integral of ``|func|``, as
    QUADPACK's ``qk15``), so it is an estimate of a bound, not of the likely error.

    Parameters
    ----------
    func : callable
        Maps a 1-D array of points to a 1-D array of finite values.
    edges : sequence of float
        Increasing breakpoints; the first may be -inf and the last +inf.
    rtol, atol : float
        Target accuracy of the sum: max(atol, rtol * |integral|).
    max_rounds : int
        Rounds of halving; when they (or ``max_intervals``) run out, the remaining
        intervals are kept with their error estimates and a
        :class:`QuadratureTruncationWarning` says so.
    tail_scale : float, optional
        Length scale of the map of a semi-infinite segment (see :func:`_mapping`); default
        half the span of the finite edges.

    Returns
    -------
    value, abserr : float
        The integral and its error estimate.
    """
    edges = [float(e) for e in edges]
    scale = _default_tail_scale(edges) if tail_scale is None else float(tail_scale)
    pieces = []  # (lo, hi, x_of_t, jac)
    for a, b in zip(edges[:-1], edges[1:]):
        if b > a:
            pieces.append(_mapping(a, b, scale))
    if not pieces:
        return 0.0, 0.0
    # active rows: piece index, t range, and the parent's Kronrod value (nan for a root);
    # children always come in adjacent pairs (left, right)
    idx = np.arange(len(pieces))
    lo = np.array([p[0] for p in pieces], dtype=float)
    hi = np.array([p[1] for p in pieces], dtype=float)
    parent = np.full(len(pieces), np.nan)
    piece_width = hi - lo
    accepted, errors, history = [], [], []
    truncated = stalled = False
    for round_ in range(max_rounds):
        if idx.size == 0:
            break
        check_budget()
        half = 0.5 * (hi - lo)
        mid = 0.5 * (hi + lo)
        t = mid[:, None] + half[:, None] * _NODES[None, :]
        x = np.empty_like(t)
        w = np.empty_like(t)
        for k in np.unique(idx):
            rows = idx == k
            _, _, xmap, jac = pieces[k]
            with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
                x[rows] = xmap(t[rows])
                w[rows] = jac(t[rows])
        with np.errstate(invalid="ignore", over="ignore"):
            values = np.asarray(func(x.ravel()), dtype=float).reshape(x.shape)
            # a zero integrand is zero whatever the map's Jacobian (inf where x overflowed)
            values = np.where(values == 0.0, 0.0, values * w)
            kron = half * (values @ _WEIGHTS_K)
            gauss = half * (values @ _WEIGHTS_G)
            absint = half * (np.abs(values) @ _WEIGHTS_K)
        running = _fsum(accepted) + float(np.sum(kron))
        tol = max(atol, rtol * abs(running)) if np.isfinite(running) else atol
        with np.errstate(invalid="ignore", over="ignore"):
            gk = np.abs(kron - gauss)
            rounding = 50.0 * _EPS * absint
        root = np.isnan(parent)
        # the smallest interval worth halving: a few representable numbers wide
        tiny = half <= 4.0 * _EPS * np.maximum(np.abs(lo), np.abs(hi)) + 1e-300
        divergent = ~np.isfinite(kron) | ~np.isfinite(gk)
        done = divergent | tiny
        # pairs of halves: (left, right) rows 2j, 2j + 1 among the children
        kids = np.flatnonzero(~root)
        pair_err = np.zeros(0)
        if kids.size:
            left, right = kids[0::2], kids[1::2]
            with np.errstate(invalid="ignore", over="ignore"):
                pair_err = np.abs(parent[left] - kron[left] - kron[right]) + gk[left] + gk[right]
                pair_round = rounding[left] + rounding[right]
            share = (hi[right] - lo[left]) / piece_width[idx[left]]
            # accepted when small for its share of the range, or when the rules already agree
            # to rounding (halving again cannot do better); reported with the rounding added
            ok = (pair_err <= tol * share) | (pair_err <= pair_round)
            pair_err = pair_err + pair_round
            ok |= tiny[left] & tiny[right]  # nothing left to halve
            inf_pair = divergent[left] | divergent[right]  # an inf integral: no error to chase
            ok |= inf_pair
            done[left], done[right] = ok, ok  # a pair is accepted or split as a whole
            err_row = np.zeros(idx.size)
            err_row[left] = np.where(inf_pair, 0.0, pair_err)
        else:
            err_row = np.zeros(idx.size)
        err_row[root] = gk[root] + rounding[root]
        err_row[divergent] = 0.0  # an inf integral: its value says it all
        # the whole error, accepted and pending: below the target, everything is accepted;
        # when it has not halved in three rounds, round-off in the integrand itself (p log(p/q)
        # for p ~ q, a narrow law far from 0) is what is left, and halving more cannot help
        # (a jump halves the error every round, a kink quarters it: both keep going)
        whole = _fsum(errors) + float(np.sum(err_row))
        history.append(whole)
        if whole <= tol:
            done[:] = True
        elif len(history) > 3 and 0.5 * history[-4] < whole <= history[-4]:
            stalled = True
            done[:] = True
        last = round_ == max_rounds - 1 or 2 * int(np.sum(~done)) > max_intervals
        if last and not np.all(done):
            truncated = True
            done[:] = True
        accepted.extend(kron[done].tolist())
        errors.extend(err_row[done].tolist())
        split = np.flatnonzero(~done)
        if split.size == 0:
            idx = idx[:0]
            break
        m = mid[split]
        idx = np.repeat(idx[split], 2)
        lo = np.column_stack([lo[split], m]).ravel()
        hi = np.column_stack([m, hi[split]]).ravel()
        parent = np.repeat(kron[split], 2)
    total = _fsum(accepted)
    error = _fsum(errors) + 2.0 * _EPS * abs(total)
    target = max(atol, rtol * abs(total))
    if (truncated or stalled) and error > 1e3 * target:
        import warnings

        why = (f"stopped after {max_rounds} rounds or {max_intervals} intervals" if truncated else
               "stopped improving (round-off in the integrand)")
        warnings.warn(
            f"adaptive quadrature {why} with an error estimate of {error:.3g} on a value of "
            f"{total:.6g} (target {rtol:g} relative); the estimate travels with the result",
            QuadratureTruncationWarning, stacklevel=2,
        )
    return float(total), float(error)


def kronrod_sum(func, edges, tail_scale=None):
    """One 15-point Kronrod rule per segment, no adaptivity: a cheap rough integral (for a
    factor such as a sensitivity, where a few per cent are enough) on well-placed edges."""
    edges = [float(e) for e in edges]
    scale = _default_tail_scale(edges) if tail_scale is None else float(tail_scale)
    xs, ws = [], []
    for a, b in zip(edges[:-1], edges[1:]):
        if b > a:
            lo, hi, xmap, jac = _mapping(a, b, scale)
            t = 0.5 * (hi + lo) + 0.5 * (hi - lo) * _NODES
            with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
                xs.append(xmap(t))
                ws.append(0.5 * (hi - lo) * _WEIGHTS_K * jac(t))
    if not xs:
        return 0.0
    x, w = np.concatenate(xs), np.concatenate(ws)
    with np.errstate(invalid="ignore", over="ignore"):
        return float(np.asarray(func(x), dtype=float) @ w)


def tail_decay(log_magnitude, edges, side, step=0.5, block=4, near=False):
    """How fast ``|x| g(x)`` falls far out in one tail: the exponent nu of ``|x|^-nu``.

    The integral of g over ``[X, inf)`` is finite when ``|x| g(x)`` falls like a positive power
    of x and infinite when it does not fall (nu <= 0: g no smaller than 1/|x|). Quadrature
    alone cannot tell: its nodes reach only so far, and a divergent integral gives a large
    finite sum (p^2 / q for Gaussians with 2 var_q < var_p gave 1.9e269). This reads the
    decay where it is unambiguous -- as far out as both log densities are finite (beyond
    them, a -inf log density is overflow of the formula, not a zero of the law).

    Parameters
    ----------
    log_magnitude : callable
        Maps points to ``log |g|``, NaN where it cannot be evaluated (a log density not finite).
    edges : array of float
        The quadrature edges; the probe starts at the outermost finite edge of ``side``.
    side : {-1, +1}
        Left or right tail.
    step, block : float, int
        Points ``step`` decades apart over the last 12 decades, read as maxima of ``block``
        consecutive points (so an oscillating density such as Fejér's is read at its
        envelope). Fewer points (1.5, 2) for a numerically spread density, whose every
        evaluation is an integral.
    near : bool, default=False
        Read the first 12 decades beyond the edges instead of the last ones before the logs
        overflow. Far out, rounding of the log densities (eps |log p|, 1e284 for a Gaussian
        at 1e150) can drown a lower-order term that decides convergence (p^2/q for
        Gaussians with 2 var_q = var_p and different means decays like e^{-6x} on one side
        and grows on the other); near, it cannot.

    Returns
    -------
    (nu, smooth, x_far) or None
        The decay exponent fitted over those 12 decades, whether ``log |x| g`` lies on that
        line to 1e-6 (a smooth tail, whose exponent is then exact), and the farthest point
        read. None when there are not 12 decades to read (laws near the float range).
    """
    finite = np.asarray(edges, dtype=float)
    finite = finite[np.isfinite(finite)]
    if finite.size == 0:
        finite = np.array([0.0])
    centre = 0.5 * (finite.min() + finite.max())
    anchor = finite.max() if side > 0 else finite.min()
    span = float(np.ptp(finite)) or max(abs(anchor), 1.0)
    n_blocks = 12.0 / (step * block)
    n_points = int(round(n_blocks)) * block

    def probe(decades):
        with np.errstate(over="ignore", invalid="ignore"):
            x = anchor + side * span * 10.0 ** decades
        ok = np.isfinite(x) & (decades >= 0.0)
        x, decades = x[ok], decades[ok]
        with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
            lg = np.asarray(log_magnitude(x), dtype=float) + np.log(np.abs(x - centre))
        valid = ~np.isnan(lg)
        return decades[valid], lg[valid]

    # first the last 12 decades before the float range ends (a numerically spread density is
    # finite there: one probe); when a log density overflows before that (a Gaussian beyond
    # 1e154), find where by a coarse ladder, every 4 decades, and read the 12 decades before
    top = np.floor(np.log10(np.finfo(float).max / 2.0) - np.log10(span)) - 0.5
    window = step * np.arange(n_points) if near else top - step * np.arange(n_points)[::-1]
    decades, lg = probe(window)
    if near and decades.size < n_points:
        return None
    if decades.size < n_points:
        coarse, lg = probe(np.arange(0.0, 330.0, 4.0))
        if coarse.size == 0:
            return None
        last = float(coarse[-1])
        decades, lg = probe(np.arange(last - 12.0, last + 4.0 + 1e-9, step))
        if decades.size < n_points:
            return None
        decades, lg = decades[-n_points:], lg[-n_points:]
    blocks_x = decades.reshape(-1, block).mean(axis=1)
    blocks_l = lg.reshape(-1, block).max(axis=1)
    x_far = float(anchor + side * span * 10.0 ** decades[-1])
    if np.any(np.isposinf(blocks_l)):  # the integrand itself overflows: nothing falls here
        return -np.inf, True, x_far
    keep = np.isfinite(blocks_l)
    if not keep[-1] or int(np.sum(keep)) < 3:  # the integrand vanishes far out
        return np.inf, True, x_far
    # least squares on log|x| (natural log), with the logs scaled to order one first (for
    # Gaussian laws they reach 1e300, whose squares overflow)
    u = blocks_x[keep] * np.log(10.0)
    size = max(1.0, float(np.max(np.abs(blocks_l[keep]))))
    v = blocks_l[keep] / size
    slope, intercept = np.polyfit(u - u.mean(), v, 1)
    resid = v - (slope * (u - u.mean()) + intercept)
    smooth = bool(np.all(np.abs(resid) * size <= 1e-6 * (1.0 + np.abs(blocks_l[keep]))))
    return float(-slope * size), smooth, x_far


# 16-point Gauss-Legendre rule on [-1, 1]
GL_NODES, GL_WEIGHTS = np.polynomial.legendre.leggauss(16)


def gauss_legendre_panels(lo, hi, n_panels):
    """Nodes and weights of the 16-point Gauss-Legendre rule on ``n_panels`` equal panels."""
    edges = np.linspace(lo, hi, n_panels + 1)
    c, h = 0.5 * (edges[1:] + edges[:-1]), 0.5 * (edges[1:] - edges[:-1])
    return (c[:, None] + h[:, None] * GL_NODES).ravel(), (h[:, None] * GL_WEIGHTS).ravel()


def support_1d(d):
    """(lo, hi) of a single one-dimensional law, as floats."""
    lo, hi = d.support
    return float(np.ravel(lo)[0]), float(np.ravel(hi)[0])


def landmarks(dist):
    """Points where a single 1-D density has its features (from ``dist.landmarks()``)."""
    return np.asarray(dist.landmarks(), dtype=float)


_LADDER_RATIO = 4.0  # geometric ladders: c +- w * 4^k
_LADDER_REACH = 1e3  # ... out to 1e3 times the spread of the centres (and widths)


def _ladder(centre, width, reach):
    """centre +- width * 4^k for k = 0, 1, ... while width * 4^k <= reach."""
    if not (width > 0 and np.isfinite(width) and np.isfinite(centre) and reach > 0):
        return np.array([])
    # in logs: reach / width overflows for a law 1e-200 wide next to one 1e200 wide
    n = int(np.ceil(max(np.log(reach) - np.log(width), 0.0) / np.log(_LADDER_RATIO))) + 1
    with np.errstate(over="ignore"):
        steps = width * _LADDER_RATIO ** np.arange(min(n, 1100))
    steps = steps[np.isfinite(steps)]
    return np.concatenate([centre - steps, centre + steps])


def breakpoints(*dists):
    """Quadrature edges for 1-D densities: the union of their supports, split at every
    landmark, finite support edge and the points of a geometric ladder around each law.

    The ladder, ``centre +- width * 4^k`` out to 1e3 times the spread of all centres and
    widths, makes every panel a few of its own distances wide as seen from each density's
    centre: a heavy tail (Cauchy) or a narrow law far from the other (a gap of 1e12 widths)
    is then resolved by a 15-point rule, where a single panel from the last landmark to the
    other law puts all its nodes beyond the first one's mass. Semi-infinite ends are mapped
    by :func:`integrate_segments` with half the span of these edges as length scale.
    """
    supports = [support_1d(d) for d in dists]
    lo = min(a for a, _ in supports)
    hi = max(b for _, b in supports)
    edges = [v for s in supports for v in s if np.isfinite(v)]
    centres = np.array([float(np.asarray(d.location_hint)) for d in dists])
    widths = np.array([float(np.asarray(d.scale_hint)) for d in dists])
    ok = np.isfinite(centres) & np.isfinite(widths)
    ladders = []
    if np.any(ok):
        with np.errstate(over="ignore", invalid="ignore"):
            spread = float(np.ptp(centres[ok]) + np.max(widths[ok]))
            reach = _LADDER_REACH * spread
        if np.isfinite(reach):
            ladders = [_ladder(c, w, reach) for c, w in zip(centres[ok], widths[ok])]
    pts = np.concatenate([landmarks(d) for d in dists] + [edges] + ladders)
    pts = np.unique(pts[np.isfinite(pts)])
    return np.concatenate([[lo], pts[(pts > lo) & (pts < hi)], [hi]])


def scan_grid(edges, n_inner=2001, per_panel=8):
    """Points for scanning a 1-D function: every finite edge, ``per_panel`` points inside
    each panel between them (so a geometric ladder of edges is scanned at every scale),
    a dense linear grid, and sinh-spaced points far beyond the edges (out to ~1e5 spans),
    clipped to the outer edges."""
    inner = np.asarray(edges, dtype=float)
    inner = inner[np.isfinite(inner)]
    if inner.size == 0:
        inner = np.array([0.0])
    centre, span = float(np.mean(inner)), max(float(np.ptp(inner)), 1.0)
    far = centre + span * np.sinh(np.linspace(-12.0, 12.0, 801)) / np.sinh(1.0)
    frac = np.arange(1, per_panel + 1) / (per_panel + 1.0)
    within = (inner[:-1, None] + np.diff(inner)[:, None] * frac[None, :]).ravel()
    grid = np.unique(np.concatenate([inner, within, np.linspace(inner.min(), inner.max(), n_inner), far]))
    return grid[(grid > edges[0]) & (grid < edges[-1])]
