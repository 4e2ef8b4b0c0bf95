r"""f-divergences and spread divergences: closed forms, quadrature and Monte Carlo.

An f-divergence is :math:`D_f(p\|q) = \int q\, f(p/q)` with f convex and f(1) = 0. The
spread divergence is the f-divergence between the spread distributions,
:math:`\tilde D_f(p\|q) = D_f(p * K \,\|\, q * K)`.

Supported ``f`` (all in nats):

=============== ==============================================================
``"kl"``         :math:`\int p \log(p/q)`
``"reverse_kl"`` :math:`\int q \log(q/p)`
``"jeffreys"``   KL + reverse KL
``"tv"``         :math:`\tfrac12\int |p - q|`
``"hellinger"``  :math:`1 - \int\sqrt{pq}` (squared Hellinger distance)
``"chi2"``       :math:`\int (p - q)^2 / q`
``"js"``         :math:`\tfrac12 KL(p\|m) + \tfrac12 KL(q\|m)`, :math:`m = (p+q)/2`
``"renyi"``      :math:`\frac{1}{\alpha - 1}\log\int p^\alpha q^{1-\alpha}` (needs ``alpha``)
=============== ==============================================================

Each closed form is written once here, in its registry; the CLI, notebooks and docs
call these functions. Divergences that are infinite because of a support mismatch are
``inf``, never NaN.
"""

import numbers

import numpy as np
from scipy import special

from ._validation import as_count, check_choice, check_rng
from .distributions import (
    Cauchy,
    Delta,
    Gaussian,
    HyperbolicSecant,
    Laplace,
    Logistic,
    Uniform,
    _logcosh,
    check_distribution,
)
from ._quadrature import integrate_segments
from .spread import Convolution, _support_1d, breakpoints, scan_grid, spread

__all__ = [
    "F_DIVERGENCES",
    "METHODS",
    "NoClosedFormError",
    "Estimate",
    "kl",
    "divergence",
    "spread_kl",
    "spread_divergence",
]

F_DIVERGENCES = ("kl", "reverse_kl", "jeffreys", "tv", "hellinger", "chi2", "js", "renyi")
METHODS = ("exact", "quad", "mc")
LOG2 = np.log(2.0)


class NoClosedFormError(NotImplementedError):
    """No closed form is registered for this pair of distributions and divergence.

    The message names the pair and suggests ``method="quad"`` or ``method="mc"``.

    Examples
    --------
    >>> from spreadlab import Cauchy, Laplace, NoClosedFormError, divergence
    >>> try:
    ...     divergence(Laplace(0.0, 1.0), Cauchy(0.0, 1.0))
    ... except NoClosedFormError as err:
    ...     print("suggests quadrature:", "method='quad'" in str(err))
    suggests quadrature: True
    """


class Estimate(float):
    """A numerically estimated divergence: a float that carries its error.

    Attributes
    ----------
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
# accurate elementary helpers
# --------------------------------------------------------------------------------------


def _lam_minus_1_minus_log(lam):
    """lambda - 1 - log(lambda) >= 0 for lambda > 0, accurate near 1 and for tiny lambda.

    Near 1, ``lambda - 1`` is exact (Sterbenz) and a series avoids the cancellation; away
    from 1, log(lambda) is taken directly (forming ``log1p(lambda - 1)`` would lose a tiny
    lambda entirely and give -inf).
    """
    lam = np.asarray(lam, dtype=float)
    x = lam - 1.0
    small = np.abs(x) < 1e-2
    xs = np.where(small, x, 0.0)
    series = sum((-1) ** k * xs**k / k for k in range(2, 12))
    with np.errstate(divide="ignore", invalid="ignore"):
        direct = x - np.log(np.where(small, 1.0, lam))
    return np.where(small, series, direct)


def _u_plus_expm1_neg(u):
    """u + exp(-u) - 1 for u >= 0, accurate for small u."""
    u = np.asarray(u, dtype=float)
    small = u < 0.1
    us = np.where(small, u, 0.0)
    series = sum((-1) ** k * us**k / special.factorial(k) for k in range(2, 16))
    return np.where(small, series, u + np.expm1(-u))


# --------------------------------------------------------------------------------------
# closed-form registry
# --------------------------------------------------------------------------------------

_CLOSED = {}


def _register(ptype, qtype, *fs):
    def decorate(func):
        for f in fs:
            _CLOSED[(ptype, qtype, f)] = func
        return func

    return decorate


def _lookup(p, q, f):
    for pt in type(p).__mro__:
        for qt in type(q).__mro__:
            func = _CLOSED.get((pt, qt, f))
            if func is not None:
                return func
    return None


def _is_singular(d):
    """True for a law with no Lebesgue density on R^d (Delta or singular Gaussian)."""
    return isinstance(d, Delta) or (isinstance(d, Gaussian) and d.is_singular)


def _mutually_singular_value(f, shape=()):
    value = {"tv": 1.0, "hellinger": 1.0, "js": LOG2}.get(f, np.inf)
    return np.full(shape, value) if shape else value


def _as_gaussian(d):
    if isinstance(d, Delta):
        return Gaussian(d.loc, np.zeros((d.dim, d.dim)))
    return d


# Gaussian / Delta family: one implementation covers Delta-Delta, Delta-Gaussian and
# singular covariances, by reducing to the common affine support.


def _same_affine_support(p, q):
    up, uq = p.range_basis(), q.range_basis()
    if up.shape[1] != uq.shape[1]:
        return False
    proj = np.eye(p.dim) - uq @ uq.T
    if up.size and np.linalg.norm(proj @ up) > 1e-9:  # orthonormal bases: an angle test
        return False
    # the mean gap off q's support, relative to the size of the means and of q's spread
    scale = max(np.max(np.abs(p.mean)), np.max(np.abs(q.mean)), np.sqrt(np.max(q._eigval, initial=0.0)))
    return np.linalg.norm(proj @ (p.mean - q.mean)) <= 1e-12 * scale


def _gauss_reduced(p, q):
    """(lambda, delta_white) on the common support: eigenvalues of Sq^-1 Sp, whitened mean gap."""
    u = q.range_basis()
    sp, sq = u.T @ p.cov @ u, u.T @ q.cov @ u
    delta = u.T @ (p.mean - q.mean)
    chol = np.linalg.cholesky(sq)
    if np.array_equal(sp, sq):  # equal covariances: lambda = 1 exactly, no rounding residue
        return np.ones(sq.shape[0]), np.linalg.solve(chol, delta)
    w = np.linalg.solve(chol, np.linalg.solve(chol, sp).T).T
    lam, vec = np.linalg.eigh(0.5 * (w + w.T))
    dw = vec.T @ np.linalg.solve(chol, delta)
    return lam, dw


def _gauss_renyi_from_reduced(lam, dw, alpha):
    if alpha == 1.0:
        return 0.5 * (np.sum(_lam_minus_1_minus_log(lam)) + np.sum(dw * dw))
    # kappa = alpha + (1 - alpha) lam, kept as kappa - 1 = (1 - alpha)(lam - 1) so that the
    # log det term stays accurate as alpha -> 1 (it is divided by alpha - 1 below)
    kappa_m1 = (1.0 - alpha) * (lam - 1.0)
    kappa = 1.0 + kappa_m1
    if np.any(kappa <= 0):
        return np.inf
    with np.errstate(divide="ignore"):
        log_kappa = np.where(np.abs(kappa_m1) < 0.5, np.log1p(kappa_m1), np.log(kappa))
        logdet = np.sum(log_kappa - (1.0 - alpha) * np.log(lam))
    return 0.5 * alpha * np.sum(dw * dw / kappa) - logdet / (2.0 * (alpha - 1.0))


def _gaussian_divergence(p, q, f, alpha):
    p, q = _as_gaussian(p), _as_gaussian(q)
    if p.dim != q.dim:
        raise ValueError(f"p and q must have the same dimension; got {p.dim} and {q.dim}")
    if not _same_affine_support(p, q):
        return _mutually_singular_value(f)
    if q.rank == 0:
        return 0.0  # identical point masses
    lam, dw = _gauss_reduced(p, q)
    if f == "kl":
        return _gauss_renyi_from_reduced(lam, dw, 1.0)
    if f == "reverse_kl":
        return _gaussian_divergence(q, p, "kl", alpha)
    if f == "jeffreys":
        return _gaussian_divergence(p, q, "kl", alpha) + _gaussian_divergence(q, p, "kl", alpha)
    if f == "renyi":
        return _gauss_renyi_from_reduced(lam, dw, alpha)
    if f == "hellinger":
        return -np.expm1(-0.5 * _gauss_renyi_from_reduced(lam, dw, 0.5))
    if f == "chi2":
        with np.errstate(over="ignore"):
            return np.expm1(_gauss_renyi_from_reduced(lam, dw, 2.0))
    equal_cov = np.allclose(lam, 1.0, rtol=0.0, atol=1e-12)
    if not equal_cov:
        raise NoClosedFormError(
            f"no closed form for f={f!r} between Gaussians with different covariances; "
            "use method='quad' (1-D) or method='mc'"
        )
    m = float(np.sqrt(np.sum(dw * dw)))
    if f == "tv":
        return float(special.erf(m / (2.0 * np.sqrt(2.0))))
    return _js_equal_cov_gaussian(m)


def _js_equal_cov_gaussian(m):
    r"""JS between N(0, 1) and N(m, 1), reduced to one smooth 1-D integral.

    With u = m x - m^2/2 the log ratio, JS = log 2 - E[softplus(u)] = m^2/4 - E[logcosh(u/2)],
    x ~ N(0, 1); the second form is used for small m to avoid cancellation.
    """
    if m == 0:
        return 0.0
    if m < 1e-2:  # Taylor series of the expression below; next term O(m^8)
        return m**2 / 8 - m**4 / 64 + m**6 / 384
    phi = lambda x: np.exp(-0.5 * x * x) / np.sqrt(2 * np.pi)  # noqa: E731
    pts = sorted({-8.0, 0.0, 8.0, 0.5 * m})
    if m < 2.0:
        g = lambda x: phi(x) * _logcosh(0.5 * (m * x - 0.5 * m * m))  # noqa: E731
        head = 0.25 * m * m
    else:
        g = lambda x: phi(x) * np.logaddexp(0.0, m * x - 0.5 * m * m)  # noqa: E731
        head = LOG2
    total, _ = integrate_segments(g, [-np.inf] + pts + [np.inf], rtol=1e-14)
    return head - total


for _f in F_DIVERGENCES:
    for _a in (Delta, Gaussian):
        for _b in (Delta, Gaussian):
            _register(_a, _b, _f)(_gaussian_divergence)


# One-dimensional families. Arguments broadcast; t = |loc_p - loc_q| / scale.


def _require_equal_scale(p, q, f):
    if not np.all(np.asarray(p.scale) == np.asarray(q.scale)):
        raise NoClosedFormError(
            f"closed form for f={f!r} between {type(p).__name__} and {type(q).__name__} needs "
            "equal scales; use method='quad' or method='mc'"
        )
    return np.abs(p.loc - q.loc) / p.scale


@_register(Laplace, Laplace, "kl", "reverse_kl", "jeffreys", "tv", "hellinger", "chi2", "js", "renyi")
def _laplace(p, q, f, alpha):
    if f == "reverse_kl":
        return _laplace(q, p, "kl", alpha)
    if f == "jeffreys":
        return _laplace(p, q, "kl", alpha) + _laplace(q, p, "kl", alpha)
    if f == "kl":
        # log(b2/b1) + d/b2 + (b1/b2) e^{-d/b1} - 1, regrouped for accuracy:
        # (r - 1 - log r) + r (u + e^{-u} - 1), r = b1/b2, u = d/b1
        r = p.scale / q.scale
        u = np.abs(p.loc - q.loc) / p.scale
        return _lam_minus_1_minus_log(r) + r * _u_plus_expm1_neg(u)
    t = _require_equal_scale(p, q, f)
    if f == "tv":
        return -np.expm1(-0.5 * t)
    if f == "hellinger":
        return special.gammainc(2.0, 0.5 * t)  # 1 - e^{-x}(1 + x), x = t/2
    if f == "chi2":
        return _laplace_chi2(t)
    if f == "js":
        return _laplace_js(t)
    return _laplace_renyi(t, alpha)


def _laplace_chi2(t):
    # (2/3) e^t + (1/3) e^{-2t} - 1 = sum_k (2 + (-2)^k) t^k / (3 k!), k >= 2
    small = t < 0.1
    ts = np.where(small, t, 0.0)
    series = sum((2.0 + (-2.0) ** k) * ts**k / (3.0 * special.factorial(k)) for k in range(2, 14))
    with np.errstate(over="ignore"):
        direct = (2.0 / 3.0) * np.expm1(t) + (1.0 / 3.0) * np.expm1(-2.0 * t)
    return np.where(small, series, direct)


def _laplace_js(t):
    # log 2 - log(1 + e^{-t}) - e^{-t/2} arctan(sinh(t/2)); series t^2/8 - t^3/24 + t^4/192
    # near 0 (next term O(t^5): below 1e-12 relative at the switch)
    small = t < 1e-3
    ts = np.where(small, t, 1.0)
    series = ts**2 / 8.0 - ts**3 / 24.0 + ts**4 / 192.0
    direct = -np.log1p(0.5 * np.expm1(-t)) - np.exp(-0.5 * t) * np.arctan(np.sinh(0.5 * t))
    return np.where(small, series, direct)


def _laplace_renyi(t, alpha):
    # I(alpha) = [(1 - a) e^{-a t} - a e^{-(1 - a) t}] / (1 - 2a), written in logs
    a = alpha
    if a == 1.0:
        return t + np.expm1(-t)
    if a == 0.5:
        return t - 2.0 * np.log1p(0.5 * t)  # -2 log(e^{-t/2} (1 + t/2)), no cancellation
    if a < 0.5:
        log_i = -a * t + np.log((1 - a) - a * np.exp(-(1 - 2 * a) * t)) - np.log(1 - 2 * a)
    else:
        log_i = (a - 1) * t + np.log(a - (1 - a) * np.exp(-(2 * a - 1) * t)) - np.log(2 * a - 1)
    return log_i / (a - 1.0)


@_register(Cauchy, Cauchy, "kl", "reverse_kl", "jeffreys", "chi2", "tv", "hellinger")
def _cauchy(p, q, f, alpha):
    # Every f-divergence between Cauchy laws is symmetric and a function of
    # chi2 = ((g1 - g2)^2 + d^2) / (2 g1 g2) (Nielsen & Okamura, 2021). With x = chi2 / 2:
    # KL = log(1 + x), TV = (2/pi) arctan(sqrt x), Bhattacharyya = (2/pi) K(-x).
    g1, g2 = p.scale, q.scale
    # written with r = g1/g2 so that tiny scales do not underflow g1 * g2 to 0
    r = g1 / g2
    x = (r - 1.0) ** 2 / (4.0 * r) + (np.abs(p.loc - q.loc) / g1) * (np.abs(p.loc - q.loc) / g2) / 4.0
    with np.errstate(over="ignore"):
        log1p_x = np.log1p(x)
    if np.any(np.isinf(x)):
        # x overflowed (scales below ~1e-154 of the gap): log(1 + a + b) in log space
        d = np.abs(p.loc - q.loc)
        with np.errstate(divide="ignore"):
            log_b = 2.0 * np.log(d) - np.log(4.0) - np.log(g1) - np.log(g2)
            log_a = 2.0 * np.log(np.abs(r - 1.0)) - np.log(4.0 * r)
        log1p_x = np.where(np.isinf(x), np.logaddexp(0.0, np.logaddexp(log_a, log_b)), log1p_x)
    if f in ("kl", "reverse_kl"):
        return log1p_x
    if f == "jeffreys":
        return 2.0 * log1p_x
    if f == "chi2":
        return 2.0 * x
    if f == "tv":
        return (2.0 / np.pi) * np.arctan(np.sqrt(x))
    return _cauchy_hellinger(x)


def _cauchy_hellinger(x):
    """1 - (2/pi) K(-x) (K: complete elliptic integral, parameter m), series for small x."""
    small = x < 1e-2
    xs = np.where(small, x, 0.0)
    # (2/pi) K(-x) = sum_n c_n^2 (-x)^n, c_n = (2n)! / (4^n n!^2)
    coef = [special.binom(2 * n, n) ** 2 / 16.0**n for n in range(8)]
    series = -sum(c * (-xs) ** n for n, c in enumerate(coef) if n > 0)
    xb = np.where(small | ~np.isfinite(x), 1.0, x)
    # K(-x) = K(m) / sqrt(1 + x) with m = x / (1 + x) in [0, 1); ellipkm1 takes 1 - m
    # = 1 / (1 + x) directly, so large x keeps its accuracy
    direct = 1.0 - (2.0 / np.pi) * special.ellipkm1(1.0 / (1.0 + xb)) / np.sqrt(1.0 + xb)
    return np.where(small, series, np.where(np.isfinite(x), direct, 1.0))


@_register(Logistic, Logistic, "kl", "reverse_kl", "jeffreys", "tv", "hellinger")
def _logistic(p, q, f, alpha):
    t = _require_equal_scale(p, q, f)
    if f in ("kl", "reverse_kl", "jeffreys"):
        # t coth(t/2) - 2, with its series t^2/6 - t^4/360 + t^6/15120 near 0
        small = t < 0.05
        ts = np.where(small, t, 1.0)
        series = ts**2 / 6.0 - ts**4 / 360.0 + ts**6 / 15120.0
        direct = t / np.tanh(0.5 * np.where(small, 1.0, t)) - 2.0
        value = np.where(small, series, direct)
        return 2.0 * value if f == "jeffreys" else value
    if f == "tv":
        return np.tanh(0.25 * t)
    # 1 - x / sinh(x) with x = t/2, = (sinh x - x)/sinh x
    x = 0.5 * t
    small = x < 0.05
    xs = np.where(small, x, 1.0)
    series = xs**2 / 6.0 - 7.0 * xs**4 / 360.0 + 31.0 * xs**6 / 15120.0
    with np.errstate(over="ignore"):
        direct = 1.0 - np.where(small, 1.0, x) / np.sinh(np.where(small, 1.0, x))
    return np.where(small, series, direct)


@_register(HyperbolicSecant, HyperbolicSecant, "kl", "reverse_kl", "jeffreys", "tv")
def _hypsecant(p, q, f, alpha):
    # scipy parametrisation: sech(x/s)/(pi s); with x = d/(2s): KL = 2 log cosh x,
    # TV = (2/pi) arctan(sinh x)
    x = 0.5 * _require_equal_scale(p, q, f)
    if f in ("kl", "reverse_kl"):
        return 2.0 * _logcosh(x)
    if f == "jeffreys":
        return 4.0 * _logcosh(x)
    return (2.0 / np.pi) * np.arctan(np.sinh(x))


@_register(Uniform, Uniform, "kl", "reverse_kl", "jeffreys")
def _uniform(p, q, f, alpha):
    if f == "reverse_kl":
        return _uniform(q, p, "kl", alpha)
    if f == "jeffreys":
        return _uniform(p, q, "kl", alpha) + _uniform(q, p, "kl", alpha)
    inside = (p.loc >= q.loc) & (p.loc + p.scale <= q.loc + q.scale)
    return np.where(inside, np.log(q.scale / p.scale), np.inf)


# --------------------------------------------------------------------------------------
# numerical methods
# --------------------------------------------------------------------------------------


def _check_scalar_batch(d, name, method):
    if getattr(d, "batch_shape", ()) != ():
        raise ValueError(
            f"method={method!r} evaluates one pair at a time; {name} has batch_shape "
            f"{d.batch_shape}: loop over the batch or use method='exact'"
        )


def _pointwise(f, lp, lq, alpha):
    """Integrand of D_f at points with log densities lp, lq (all finite-or--inf)."""
    with np.errstate(under="ignore", over="ignore", invalid="ignore", divide="ignore"):
        p, q = np.exp(lp), np.exp(lq)
        if f == "kl":
            return np.where(p > 0, p * (lp - lq), 0.0)
        if f == "reverse_kl":
            return np.where(q > 0, q * (lq - lp), 0.0)
        if f == "jeffreys":
            return np.where((p > 0) | (q > 0), (p - q) * (lp - lq), 0.0)
        if f == "tv":
            return 0.5 * np.abs(p - q)
        if f == "hellinger":
            return 0.5 * (np.sqrt(p) - np.sqrt(q)) ** 2
        if f == "chi2":
            # q (p/q - 1)^2 without forming p/q: overflow-free in both tails
            r = lp - lq
            big = np.exp(2.0 * lp - lq) * np.expm1(-np.abs(r)) ** 2
            return np.where(r > 0, big, np.where(q > 0, q * np.expm1(r) ** 2, 0.0))
        if f == "js":
            lm = np.logaddexp(lp, lq) - LOG2
            return 0.5 * (np.where(p > 0, p * (lp - lm), 0.0) + np.where(q > 0, q * (lq - lm), 0.0))
        # renyi: integrate p * expm1((1 - alpha)(lq - lp)) = p^a q^(1-a) - p, then log1p
        return np.where(p > 0, p * np.expm1((1.0 - alpha) * (lq - lp)), 0.0)


def _support_infinite(f, alpha, p_support, q_support):
    """True when a support mismatch makes D_f(p||q) infinite."""
    (plo, phi), (qlo, qhi) = p_support, q_support
    p_outside_q = plo < qlo or phi > qhi
    q_outside_p = qlo < plo or qhi > phi
    if f in ("kl", "chi2") or (f == "renyi" and alpha > 1):
        return p_outside_q
    if f == "reverse_kl":
        return q_outside_p
    if f == "jeffreys":
        return p_outside_q or q_outside_p
    return False


def _finish(f, integral, alpha):
    if f == "renyi":
        if integral <= -1.0:
            return np.inf
        return float(np.log1p(integral) / (alpha - 1.0))
    return float(integral)


def _crossings(p, q, edges):
    """Points where log p - log q changes sign, found on a scan grid and polished by Brent's
    method."""
    from scipy.optimize import brentq

    grid = scan_grid(edges)
    diff = lambda x: float(p.logpdf(x) - q.logpdf(x))  # noqa: E731
    with np.errstate(invalid="ignore"):
        g = np.asarray(p.logpdf(grid) - q.logpdf(grid), dtype=float)
    ok = np.isfinite(g)
    grid, g = grid[ok], g[ok]
    flips = np.flatnonzero(np.sign(g[:-1]) * np.sign(g[1:]) < 0)
    return np.array([brentq(diff, grid[i], grid[i + 1], xtol=1e-14, rtol=1e-15) for i in flips])


def _quad_renyi_log(p, q, alpha, edges):
    def log_g(x):
        with np.errstate(invalid="ignore"):
            v = alpha * p.logpdf(x) + (1.0 - alpha) * q.logpdf(x)
        return np.where(np.isnan(v), -np.inf, v)

    # the peak of p^a q^(1-a) lies between the landmarks, or far beyond them for alpha > 1
    inner = scan_grid(edges, n_inner=4001)
    values = log_g(inner) if inner.size else np.array([0.0])
    shift = float(np.max(values))
    if not np.isfinite(shift):
        shift = 0.0
    elif inner.size:  # a peak far out in a tail interval could fall between every node
        edges = np.unique(np.concatenate([edges, [inner[int(np.argmax(values))]]]))
    # the scan may miss the very top by a little: cap the exponent instead of overflowing
    scaled, err = integrate_segments(
        lambda x: np.exp(np.minimum(log_g(x) - shift, 700.0)), edges, rtol=1e-12
    )
    if scaled <= 0:
        return Estimate(np.inf, 0.0, "quad")
    value = (shift + np.log(scaled)) / (alpha - 1.0)
    return Estimate(value, err / (scaled * abs(alpha - 1.0)), "quad")


def _quad_divergence(p, q, f, alpha):
    for name, d in (("p", p), ("q", q)):
        if d.dim != 1:
            raise ValueError(f"method='quad' works in one dimension; {name} has dim={d.dim}")
        _check_scalar_batch(d, name, "quad")
    if _is_singular(p) or _is_singular(q):
        raise ValueError("method='quad' needs densities; a Delta or singular Gaussian has none")
    ps, qs = _support_1d(p), _support_1d(q)
    if _support_infinite(f, alpha, ps, qs):
        return Estimate(np.inf, 0.0, "quad")
    edges = breakpoints(p, q)
    if f == "tv":  # |p - q| has a kink wherever the densities cross: make those breakpoints
        edges = np.unique(np.concatenate([edges, _crossings(p, q, edges)]))

    def integrand(x):
        return _pointwise(f, p.logpdf(x), q.logpdf(x), alpha)

    total, err = integrate_segments(integrand, edges, rtol=1e-12)
    if f == "renyi" and not -0.5 <= total <= 1.0:
        # int p^a q^(1-a) is far from 1 (tiny, or huge for alpha > 1): integrate it directly,
        # scaled by its largest value, and take the log, instead of log1p(-1 + tiny) or an
        # overflowing expm1
        return _quad_renyi_log(p, q, alpha, edges)
    value = _finish(f, total, alpha)
    if np.isinf(value):
        err = 0.0  # disjoint supports: exactly infinite, not an uncertain estimate
    elif f == "renyi":
        err = err / (abs(alpha - 1.0) * (1.0 + total))
    return Estimate(value, err, "quad")


def _mc_divergence(p, q, f, alpha, n_samples, rng):
    _check_scalar_batch(p, "p", "mc")
    _check_scalar_batch(q, "q", "mc")
    if _is_singular(p) or _is_singular(q):
        raise ValueError("method='mc' needs densities; a Delta or singular Gaussian has none")
    rng = check_rng(rng, "rng")

    def draw(d):
        x = np.asarray(d.sample(n_samples, rng), dtype=float)
        return x.reshape(n_samples, -1)[:, 0] if d.dim == 1 else x

    def logs(x):
        with np.errstate(divide="ignore"):
            return np.asarray(p.logpdf(x), dtype=float), np.asarray(q.logpdf(x), dtype=float)

    def mean_se(terms):
        terms = np.asarray(terms, dtype=float)
        if np.any(np.isposinf(terms)):
            return np.inf, 0.0
        return float(np.mean(terms)), float(np.std(terms, ddof=1) / np.sqrt(terms.size))

    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        if f in ("kl", "tv", "hellinger", "chi2", "renyi", "js", "jeffreys"):
            lp, lq = logs(draw(p))
        if f == "kl":
            value, se = mean_se(lp - lq)
        elif f == "reverse_kl":
            lp2, lq2 = logs(draw(q))
            value, se = mean_se(lq2 - lp2)
        elif f == "jeffreys":
            lp2, lq2 = logs(draw(q))
            v1, s1 = mean_se(lp - lq)
            v2, s2 = mean_se(lq2 - lp2)
            value, se = v1 + v2, float(np.hypot(s1, s2))
        elif f == "tv":
            value, se = mean_se(-np.minimum(np.expm1(lq - lp), 0.0))
        elif f == "hellinger":
            value, se = mean_se(-np.expm1(0.5 * (lq - lp)))
        elif f == "chi2":
            value, se = mean_se(np.expm1(lp - lq))
        elif f == "js":
            lp2, lq2 = logs(draw(q))
            t1 = LOG2 + lp - np.logaddexp(lp, lq)
            t2 = LOG2 + lq2 - np.logaddexp(lp2, lq2)
            v1, s1 = mean_se(t1)
            v2, s2 = mean_se(t2)
            value, se = 0.5 * (v1 + v2), 0.5 * float(np.hypot(s1, s2))
        else:
            # E_p[(q/p)^(1 - alpha)] = int p^a q^(1-a); delta method for the log
            m, s = mean_se(np.expm1((1.0 - alpha) * (lq - lp)))
            value = _finish("renyi", m, alpha)
            se = s / max(abs(alpha - 1.0) * (1.0 + m), 1e-300)
    return Estimate(value, se, "mc", n_samples)


# --------------------------------------------------------------------------------------
# public API
# --------------------------------------------------------------------------------------


def _check_f_alpha(f, alpha):
    check_choice(f, "f", F_DIVERGENCES)
    if f == "renyi":
        if alpha is None:
            raise ValueError("f='renyi' needs alpha, the order: a number > 0")
        if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real) or not np.isfinite(alpha) or alpha <= 0:
            raise ValueError(f"alpha must be a finite number > 0; got {alpha!r}")
        return float(alpha)
    if alpha is not None:
        raise ValueError(f"alpha is only used with f='renyi'; got alpha={alpha!r} with f={f!r}")
    return None


def _as_output(value):
    arr = np.asarray(value, dtype=float)
    if np.any(np.isnan(arr)):  # pragma: no cover - guarded by construction
        raise FloatingPointError("a divergence evaluated to NaN; please report this as a bug")
    return float(arr) if arr.ndim == 0 else arr


def _exact(p, q, f, alpha):
    if _is_singular(p) or _is_singular(q):
        if not (isinstance(p, (Delta, Gaussian)) and isinstance(q, (Delta, Gaussian))):
            shape = np.broadcast_shapes(getattr(p, "batch_shape", ()), getattr(q, "batch_shape", ()))
            return _mutually_singular_value(f, shape)
    func = _lookup(p, q, f)
    if func is None:
        raise NoClosedFormError(
            f"no closed form for f={f!r} between {p!r} and {q!r}; "
            "use method='quad' (one dimension) or method='mc' (any dimension)"
        )
    with np.errstate(over="ignore"):
        return func(p, q, f, alpha)


def _dispatch(p, q, f, method, alpha, n_samples, rng):
    if p.dim != q.dim:
        raise ValueError(f"p and q must have the same dimension; got p.dim={p.dim}, q.dim={q.dim}")
    if method == "exact":
        return _as_output(_exact(p, q, f, alpha))
    if method == "quad":
        return _quad_divergence(p, q, f, alpha)
    return _mc_divergence(p, q, f, alpha, as_count(n_samples, "n_samples", 2), rng)


def divergence(p, q, f="kl", method="exact", *, alpha=None, n_samples=100_000, rng=None):
    r"""f-divergence :math:`D_f(p\|q)` between two distributions.

    Parameters
    ----------
    p, q : Distribution
        Distributions of the same dimension. One-dimensional families broadcast.
    f : {"kl", "reverse_kl", "jeffreys", "tv", "hellinger", "chi2", "js", "renyi"}, default="kl"
        Which divergence (see the module docstring for definitions).
    method : {"exact", "quad", "mc"}, default="exact"
        ``"exact"`` uses a registered closed form and raises
        :class:`NoClosedFormError` when there is none; ``"quad"`` is adaptive
        quadrature (one dimension); ``"mc"`` is Monte Carlo in any dimension.
    alpha : float, optional
        Order of the Rényi divergence (only with ``f="renyi"``).
    n_samples : int, default=100_000
        Monte Carlo sample size.
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
    alpha = _check_f_alpha(f, alpha)
    check_choice(method, "method", METHODS)
    return _dispatch(p, q, f, method, alpha, n_samples, rng)


def kl(p, q):
    r"""Closed-form Kullback-Leibler divergence :math:`KL(p\|q) = \int p \log(p/q)`.

    Registered pairs: Gaussian-Gaussian (full, even singular, covariances in any
    dimension; Delta counts as a zero-covariance Gaussian), Laplace-Laplace and
    Cauchy-Cauchy (any scales), Logistic-Logistic and HyperbolicSecant-HyperbolicSecant
    (equal scales), Uniform-Uniform. A point mass against anything else, or a support
    mismatch, gives ``inf``.

    Point masses and singular Gaussians are compared on their affine supports with a
    relative tolerance: two supports count as equal when the mean gap off q's support is
    below 1e-12 of the size of the means (or of q's largest standard deviation), so
    ``Delta(0.1 + 0.2)`` equals ``Delta(0.3)`` while ``Delta(1e-20)`` and ``Delta(0)`` differ.

    .. math::
        KL(\mathcal N(\mu_p,\Sigma_p)\|\mathcal N(\mu_q,\Sigma_q)) = \tfrac12\left[
        \operatorname{tr}(\Sigma_q^{-1}\Sigma_p) - d + \Delta^\top\Sigma_q^{-1}\Delta
        + \log\frac{|\Sigma_q|}{|\Sigma_p|}\right]

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
    alpha = _check_f_alpha(f, alpha)
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
    return _dispatch(pt, qt, f, method, alpha, n_samples, rng)


def spread_kl(p, q, kernel, method="exact", *, n_samples=100_000, rng=None):
    r"""Spread KL divergence :math:`KL(p * K \,\|\, q * K)`.

    For two point masses and Gaussian spread :math:`\mathcal N(0, \Sigma)` this is
    :math:`\tfrac12 \Delta^\top \Sigma^{-1} \Delta`.

    Parameters
    ----------
    p, q : Distribution
    kernel : Distribution
    method : {"exact", "quad", "mc"}, default="exact"
    n_samples : int, default=100_000
    rng : None, int or numpy.random.Generator

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
