r"""Closed-form spread EM for noise-free ICA in whitened coordinates.

For deterministic data :math:`x = As` (no model noise) the data lie in the
Z-dimensional span of :math:`A`.  Whitening in that subspace,
:math:`u = K(x - \bar x)` with :math:`K = \Lambda_Z^{-1/2}U_Z^\top` from the
top-Z eigenpairs of the data covariance, leaves :math:`u = Qs` with an
orthogonal :math:`Q` (unit-variance, uncorrelated sources).  Spreading
:math:`u` with :math:`\mathcal N(0,\sigma^2 I)`, :math:`y = u + \sigma\epsilon`,
the spread model :math:`\tilde p(y) = \int\mathcal N(y; Qs, \sigma^2 I)\prod_i
p(s_i)\,ds` has, because :math:`Q` is orthogonal,

.. math::
    \mathcal N(y; Qs, \sigma^2 I) = \prod_i \mathcal N(s_i; m_i, \sigma^2),
    \qquad m = Q^\top y,

so the posterior of the sources factorises into Z one-dimensional posteriors
:math:`\propto\mathcal N(s_i; m_i,\sigma^2)\,p(s_i)`.  For the Laplace prior
:math:`p(s) = e^{-|s|/b}/2b` each one is a two-piece truncated normal with
closed-form moments, and with :math:`c = 1/b`,
:math:`m_\pm = m \mp \sigma^2 c`,

.. math::
    \tilde p(m) = \frac{1}{2b}e^{\sigma^2c^2/2}\Big[e^{-cm}\,\Phi(m_+/\sigma)
                  + e^{cm}\,\Phi(-m_-/\sigma)\Big],

    \mathbb E[s\mid m] = w_+\big(m_+ + \sigma\lambda(m_+/\sigma)\big)
                       + w_-\big(m_- - \sigma\lambda(-m_-/\sigma)\big),

with :math:`\lambda(a) = \phi(a)/\Phi(a)` (inverse Mills ratio) and
:math:`w_\pm` the posterior masses of the two half-lines, all computed in
log space (``log_ndtr``).  Since :math:`\|Qs\|` does not depend on
:math:`Q`, the M-step under the orthogonality constraint is an orthogonal
Procrustes problem:

.. math:: Q_{\text{new}} = \operatorname{polar}\Big(\sum_n y_n\,\mathbb E[s_n]^\top\Big).

References
----------
M. Zhang, P. Hayes, T. Bird, R. Habib, D. Barber, "Spread Divergence",
ICML 2020, section 5.1.  J.-F. Cardoso, "Blind signal separation:
statistical principles", Proc. IEEE 86(10), 1998 (whitening and the
orthogonal constraint).
"""
import math

import numpy as np
from scipy.special import log_ndtr

__all__ = ["laplace_posterior", "polar", "whitened_em_map", "whitened_objective"]

_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)


def laplace_posterior(m, sigma, scale):
    r"""Posterior mean and log marginal of :math:`\mathcal N(s; m, \sigma^2)\,\mathrm{Laplace}(s; 0, b)`.

    Parameters
    ----------
    m : ndarray
        Means of the Gaussian likelihood factor (any shape).
    sigma : float
        Its standard deviation, > 0.
    scale : float
        Laplace scale b (:math:`1/\sqrt2` for unit variance).

    Returns
    -------
    Es : ndarray, same shape as ``m``
        Posterior means :math:`\mathbb E[s\mid m]`.
    logp : ndarray, same shape as ``m``
        :math:`\log\int\mathcal N(m; s,\sigma^2)\,p(s)\,ds`, the log density of
        the spread source at ``m``.

    Examples
    --------
    >>> import numpy as np
    >>> Es, logp = laplace_posterior(np.array([0.0, 5.0]), 0.01, 1 / np.sqrt(2))
    >>> bool(Es[0] == 0.0), bool(abs(Es[1] - (5.0 - 1e-4 * np.sqrt(2))) < 1e-12)
    (True, True)
    """
    c = 1.0 / scale
    s2 = sigma * sigma
    mp = m - s2 * c
    mm = m + s2 * c
    ap = mp / sigma
    am = -mm / sigma
    gp = log_ndtr(ap)
    gm = log_ndtr(am)
    lp = -c * m + gp
    lm = c * m + gm
    lse = np.logaddexp(lp, lm)
    wp = np.exp(lp - lse)
    wm = np.exp(lm - lse)
    lam_p = np.exp(-0.5 * ap * ap - _LOG_SQRT_2PI - gp)
    lam_m = np.exp(-0.5 * am * am - _LOG_SQRT_2PI - gm)
    Es = wp * (mp + sigma * lam_p) + wm * (mm - sigma * lam_m)
    logp = -math.log(2.0 * scale) + 0.5 * s2 * c * c + lse
    return Es, logp


def polar(M):
    """Orthogonal polar factor of a square matrix (nearest orthogonal matrix).

    Examples
    --------
    >>> import numpy as np
    >>> Q = polar(np.array([[2.0, 0.1], [0.0, 1.0]]))
    >>> bool(np.allclose(Q @ Q.T, np.eye(2)))
    True
    """
    U, _, Vt = np.linalg.svd(M)
    return U @ Vt


def _posterior(M, sigma, scale, backend):
    """Posterior means (N, Z) and per-row log marginals (N,), NumPy or Numba."""
    if backend == "numba":
        from ._estep import load_kernels

        return load_kernels().laplace_posterior_kernel(np.ascontiguousarray(M), float(sigma),
                                                      float(scale))
    Es, logp = laplace_posterior(M, sigma, scale)
    return Es, logp.sum(axis=1)


def whitened_objective(Y, Q, sigma, scale, backend="numpy"):
    r"""Mean log-likelihood per sample of whitened spread data, :math:`\frac1N\sum_n\log\tilde p(y_n)`."""
    return float(np.mean(_posterior(Y @ Q, sigma, scale, backend)[1]))


def whitened_em_map(Y, Q, sigma, scale, backend="numpy"):
    """One spread-EM update of the orthogonal mixing matrix in whitened coordinates.

    Returns
    -------
    Q_new : ndarray of shape (Z, Z)
    objective : float
        Mean log-likelihood per sample at ``Q`` (the point the E-step used).
    """
    Es, logp = _posterior(Y @ Q, sigma, scale, backend)
    return polar(Y.T @ Es), float(np.mean(logp))
