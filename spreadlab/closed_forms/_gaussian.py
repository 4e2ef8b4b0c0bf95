r"""Closed forms between Gaussians and point masses in any dimension.

One implementation covers Delta-Delta, Delta-Gaussian and singular covariances, by
reducing both laws to their common affine support: if the supports differ the laws are
mutually singular; otherwise, in the range basis of q's covariance, with
:math:`\lambda` the eigenvalues of :math:`\Sigma_q^{-1}\Sigma_p` and :math:`\delta` the
whitened mean gap,

.. math::
    D_\alpha(p\|q) = \frac{\alpha}{2}\sum_k \frac{\delta_k^2}{\kappa_k}
        - \frac{1}{2(\alpha - 1)}\sum_k \left(\log\kappa_k - (1-\alpha)\log\lambda_k\right),
    \qquad \kappa_k = \alpha + (1-\alpha)\lambda_k,

with the KL divergence the limit :math:`\alpha \to 1`,
:math:`\tfrac12\sum_k(\lambda_k - 1 - \log\lambda_k + \delta_k^2)`.

"The same support" is decided with one rule (documented in :func:`spreadlab.kl`): point
masses are the same only when their locations are equal as floats (so that spreading
never raises a divergence); for positive rank, the range bases span the same subspace
(orthonormal bases, an angle below 1e-9) and the mean gap off q's support is below 1e-12
of the size of the means or of q's largest standard deviation.
"""

import numpy as np
from scipy import special

from .._integration import integrate_segments
from ..distributions._gaussian import Delta, Gaussian
from ..fdivergences import NoClosedFormError
from ..registry import register_divergence
from .._special import lam_minus_1_minus_log, logcosh

__all__ = []

LOG2 = float(np.log(2.0))
SAME_SUPPORT_RTOL = 1e-12


def as_gaussian(d):
    """A Delta as the Gaussian with zero covariance."""
    if isinstance(d, Delta):
        return Gaussian(d.loc, np.zeros((d.dim, d.dim)))
    return d


def same_affine_support(p, q):
    """True when the two (possibly singular) Gaussians live on the same affine subspace."""
    up, uq = p.range_basis(), q.range_basis()
    if up.shape[1] != uq.shape[1]:
        return False
    if q.rank == 0:  # two point masses: the same point only when equal as floats
        return bool(np.array_equal(p.mean, q.mean))
    proj = np.eye(p.dim) - uq @ uq.T
    if up.size and np.linalg.norm(proj @ up) > 1e-9:  # orthonormal bases: an angle test
        return False
    scale = max(np.max(np.abs(p.mean)), np.max(np.abs(q.mean)), q.scale_hint)
    return np.linalg.norm(proj @ (p.mean - q.mean)) <= SAME_SUPPORT_RTOL * scale


def _reduced(p, q):
    """(lambda, delta_white) on the common support: eigenvalues of Sq^-1 Sp, whitened mean gap."""
    u = q.range_basis()
    sp, sq = u.T @ p.cov @ u, u.T @ q.cov @ u
    delta = u.T @ (p.mean - q.mean)
    chol = np.linalg.cholesky(sq)
    if np.array_equal(sp, sq):  # equal covariances: lambda = 1 exactly, no rounding residue
        return np.ones(sq.shape[0]), np.linalg.solve(chol, delta)
    w = np.linalg.solve(chol, np.linalg.solve(chol, sp).T).T
    lam, vec = np.linalg.eigh(0.5 * w + 0.5 * w.T)
    dw = vec.T @ np.linalg.solve(chol, delta)
    return lam, dw


def _renyi_from_reduced(lam, dw, alpha, kappa_m1=None):
    if alpha == 1.0:
        return 0.5 * (np.sum(lam_minus_1_minus_log(lam)) + np.sum(dw * dw))
    # kappa = alpha + (1 - alpha) lam, kept as kappa - 1 = (1 - alpha)(lam - 1) so that the
    # log det term stays accurate as alpha -> 1 (it is divided by alpha - 1 below)
    if kappa_m1 is None:
        kappa_m1 = (1.0 - alpha) * (lam - 1.0)
    kappa = 1.0 + kappa_m1
    if np.any(kappa <= 0):
        return np.inf
    with np.errstate(divide="ignore"):
        log_kappa = np.where(np.abs(kappa_m1) < 0.5, np.log1p(kappa_m1), np.log(kappa))
        logdet = np.sum(log_kappa - (1.0 - alpha) * np.log(lam))
    return 0.5 * alpha * np.sum(dw * dw / kappa) - logdet / (2.0 * (alpha - 1.0))


def _prepare(p, q, value_if_singular):
    """Common support reduction; returns (lam, dw) or a final value."""
    p, q = as_gaussian(p), as_gaussian(q)
    if p.dim != q.dim:
        raise ValueError(f"p and q must have the same dimension; got {p.dim} and {q.dim}")
    if not same_affine_support(p, q):
        return value_if_singular
    if q.rank == 0:
        return 0.0  # identical point masses
    return _reduced(p, q)


def gaussian_kl(p, q):
    r = _prepare(p, q, np.inf)
    return r if not isinstance(r, tuple) else float(_renyi_from_reduced(*r, 1.0))


def _exact_1d(p, q, alpha):
    """(lam, kappa - 1) of two one-dimensional Gaussians in exact rational arithmetic, or None
    when kappa = alpha + (1 - alpha) var_p / var_q <= 0 (the Rényi integral diverges).

    Through the Cholesky factor and ``eigh``, lam = 2 came out as 2 - 4e-16 or 2 + 4e-16, so
    at the boundary 2 var_q = var_p of order 2 kappa was +-4e-16 instead of 0: the closed form
    gave 17.68 for N(0, 1) against N(0, 1/2), and 8.1e16 with a mean gap of 3, where the
    integral of p^2 / q is infinite (found by the quadrature's tail check). The sign of kappa
    decides finite against infinite, so it is decided exactly; kappa - 1 is then rounded
    once, which also keeps log(kappa) accurate near the boundary.
    """
    from fractions import Fraction

    sp, sq, a = Fraction(float(p.cov[0, 0])), Fraction(float(q.cov[0, 0])), Fraction(alpha)
    if a * sq + (1 - a) * sp <= 0:
        return None
    return np.array([float(sp / sq)]), np.array([float((1 - a) * (sp - sq) / sq)])


def gaussian_renyi(p, q, alpha):
    r = _prepare(p, q, np.inf)
    if not isinstance(r, tuple):
        return r
    lam, dw = r
    pg, qg = as_gaussian(p), as_gaussian(q)
    if alpha != 1.0 and pg.dim == 1 and lam.size == 1:
        exact = _exact_1d(pg, qg, alpha)
        if exact is None:
            return np.inf
        return float(_renyi_from_reduced(exact[0], dw, alpha, kappa_m1=exact[1]))
    return float(_renyi_from_reduced(lam, dw, alpha))


def _equal_cov_gap(p, q, f, singular_value):
    r = _prepare(p, q, singular_value)
    if not isinstance(r, tuple):
        return r
    lam, dw = r
    if not np.allclose(lam, 1.0, rtol=0.0, atol=1e-12):
        raise NoClosedFormError(
            f"no closed form for f={f!r} between Gaussians with different covariances; "
            "use method='quad' (1-D) or method='mc'"
        )
    return float(np.sqrt(np.sum(dw * dw)))


def gaussian_js(p, q):
    r = _prepare(p, q, LOG2)
    if not isinstance(r, tuple):
        return r
    return js_equal_cov(_equal_cov_gap(p, q, "js", LOG2))


def gaussian_triangular(p, q):
    r = _prepare(p, q, 2.0)
    if not isinstance(r, tuple):
        return r
    return triangular_equal_cov(_equal_cov_gap(p, q, "triangular", 2.0))


def js_equal_cov(m):
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
        g = lambda x: phi(x) * logcosh(0.5 * (m * x - 0.5 * m * m))  # noqa: E731
        head = 0.25 * m * m
    else:
        g = lambda x: phi(x) * np.logaddexp(0.0, m * x - 0.5 * m * m)  # noqa: E731
        head = LOG2
    total, _ = integrate_segments(g, [-np.inf] + pts + [np.inf], rtol=1e-14)
    return head - total


def triangular_equal_cov(m):
    r"""Le Cam's triangular discrimination between N(0, 1) and N(m, 1).

    With :math:`A = m^2/2` and :math:`B = m z`, :math:`z \sim N(0, 1)`,

    .. math:: \Delta = 2\,E\left[\frac{\sinh A}{\cosh A + \cosh B}\right],

    a positive integrand (no cancellation), evaluated divided by :math:`e^A/2` so that
    nothing overflows; below m = 1e-3 the series :math:`m^2/2 - m^4/8 + 5m^6/96`
    (next term O(m^8), below 1e-18 relative there).
    """
    if m == 0:
        return 0.0
    if m < 1e-3:
        return m**2 / 2 - m**4 / 8 + 5 * m**6 / 96
    a = 0.5 * m * m
    num = -np.expm1(-2.0 * a)

    def g(z):
        b = np.abs(m * z)
        with np.errstate(over="ignore", under="ignore"):
            den = 1.0 + np.exp(-2.0 * a) + np.exp(b - a) + np.exp(-b - a)
            return np.exp(-0.5 * z * z) / np.sqrt(2 * np.pi) * num / den

    edge = 0.5 * m
    pts = sorted({-edge - 8.0, -edge, -8.0, 0.0, 8.0, edge, edge + 8.0})
    total, _ = integrate_segments(g, [-np.inf] + pts + [np.inf], rtol=1e-14)
    return float(min(2.0 * total, 2.0))


_FORMS = {
    "kl": gaussian_kl,
    "renyi": gaussian_renyi,
    "js": gaussian_js,
    "triangular": gaussian_triangular,
}

for _f, _func in _FORMS.items():
    for _a in (Delta, Gaussian):
        for _b in (Delta, Gaussian):
            register_divergence(_a, _b, _f)(_func)


def _tv(p, q):
    r = _prepare(p, q, 1.0)
    if not isinstance(r, tuple):
        return r
    return float(special.erf(_equal_cov_gap(p, q, "tv", 1.0) / (2.0 * np.sqrt(2.0))))


for _a in (Delta, Gaussian):
    for _b in (Delta, Gaussian):
        register_divergence(_a, _b, "tv")(_tv)
