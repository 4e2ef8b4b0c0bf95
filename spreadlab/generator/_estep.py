r"""E-step of exact spread EM on a latent grid: the readable NumPy reference.

For spread data :math:`y_n` and grid images :math:`g_k = g(z_k)` with log prior weights
:math:`\log\pi_k`, the spread model is the finite mixture

.. math:: \tilde p(y) = \sum_{k=1}^{K}\pi_k\,\mathcal N(y; g_k, \sigma^2 I_D),

so the posterior over nodes (the responsibilities) and the log-likelihood are exact,

.. math:: r_{nk} = \frac{\pi_k\mathcal N(y_n; g_k,\sigma^2I)}{\tilde p(y_n)},\qquad
          \log\tilde p(y_n) = \operatorname{logsumexp}_k\Bigl[\log\pi_k
          - \frac{\|y_n-g_k\|^2}{2\sigma^2}\Bigr] - \frac D2\log(2\pi\sigma^2),

computed in log space (log-sum-exp) so that responsibilities stay finite however small
:math:`\sigma` is. :mod:`._kernels` holds the Numba version of the same computation; the
tests compare the two.

References
----------
M. Zhang, P. Hayes, T. Bird, R. Habib, D. Barber, "Spread Divergence", ICML 2020
(arXiv:1811.08968), section 3 (spread maximum likelihood).
"""
import math

import numpy as np
from scipy.special import logsumexp

from .._constants import LOG_2PI

__all__ = ["estep_numpy", "estep_numba", "estep", "estep_stats"]


def estep_numpy(Y, G, log_weights, var, block=256):
    r"""Responsibilities and spread log-likelihoods (NumPy reference).

    Squared distances are formed from differences :math:`y_n - g_k` (not from
    :math:`\|y\|^2+\|g\|^2-2y^\top g`, which loses digits when :math:`\sigma` is small),
    ``block`` data points at a time.

    Parameters
    ----------
    Y : ndarray of shape (n_samples, n_features)
    G : ndarray of shape (n_nodes, n_features)
        Images of the grid nodes.
    log_weights : ndarray of shape (n_nodes,)
    var : float
        :math:`\sigma^2 > 0`.
    block : int, default=256

    Returns
    -------
    R : ndarray of shape (n_samples, n_nodes)
        Responsibilities, rows summing to 1.
    loglik : ndarray of shape (n_samples,)

    Examples
    --------
    >>> import numpy as np
    >>> R, ll = estep_numpy(np.zeros((1, 1)), np.array([[-1.0], [1.0]]), np.log([0.5, 0.5]), 1.0)
    >>> R.round(3).tolist(), round(float(ll[0]), 6)
    ([[0.5, 0.5]], -1.418939)
    """
    N, D = Y.shape
    R = np.empty((N, G.shape[0]))
    loglik = np.empty(N)
    const = 0.5 * D * (LOG_2PI + math.log(var))
    for s in range(0, N, block):
        diff = Y[s:s + block, None, :] - G[None, :, :]
        a = log_weights[None, :] - 0.5 * np.sum(diff * diff, axis=2) / var
        lse = logsumexp(a, axis=1)
        R[s:s + block] = np.exp(a - lse[:, None])
        loglik[s:s + block] = lse - const
    return R, loglik


def estep_numba(Y, G, log_weights, var):
    """Same computation as :func:`estep_numpy`, with the Numba kernel (compiled on first call)."""
    from . import _kernels

    R = np.empty((Y.shape[0], G.shape[0]))
    loglik = np.empty(Y.shape[0])
    _kernels.estep_kernel(np.ascontiguousarray(Y, dtype=float),
                          np.ascontiguousarray(G.T, dtype=float),
                          np.ascontiguousarray(log_weights, dtype=float), float(var), R, loglik)
    return R, loglik


def estep(Y, G, log_weights, var, backend="numba"):
    """Dispatch to :func:`estep_numba` or :func:`estep_numpy` by ``backend``."""
    return (estep_numba if backend == "numba" else estep_numpy)(Y, G, log_weights, var)


def estep_stats(Y, G, log_weights, var, backend="numba", max_entries=2**21):
    r"""Sufficient statistics of the E-step, without holding the responsibility matrix.

    The M-step needs only :math:`\sum_n r_{nk}` and :math:`\sum_n r_{nk}y_n`, so the
    responsibility matrix (points x nodes) is never held whole. The NumPy reference computes
    it ``max_entries`` entries at a time (which bounds the memory of a fit with many spread
    draws per point); the Numba backend accumulates the sums inside the kernel
    (:func:`._kernels.estep_stats_kernel`) in a fixed number of chunks of points, so no
    responsibility is stored and the result does not depend on the thread count.

    Parameters
    ----------
    Y : ndarray of shape (n_samples, n_features)
    G : ndarray of shape (n_nodes, n_features)
    log_weights : ndarray of shape (n_nodes,)
    var : float
    backend : {"numba", "numpy"}, default="numba"
    max_entries : int, default=2**21
        Largest block of responsibilities computed at once (NumPy), and the bound on the
        entries of the per-chunk partial sums (Numba: at most 16 chunks, fewer when the
        partial sums of ``sum_n r_nk y_n`` would exceed ``8 * max_entries`` numbers).

    Returns
    -------
    Rk : ndarray of shape (n_nodes,)
        :math:`\sum_n r_{nk}`.
    RtY : ndarray of shape (n_nodes, n_features)
        :math:`\sum_n r_{nk}y_n`.
    loglik : ndarray of shape (n_samples,)
    n_eff : float
        Mean effective number of nodes per point, :math:`1/\sum_k r_{nk}^2`.

    Examples
    --------
    >>> import numpy as np
    >>> G, logw = np.array([[-1.0], [1.0]]), np.log([0.5, 0.5])
    >>> Rk, RtY, ll, n_eff = estep_stats(np.array([[0.0], [5.0]]), G, logw, 1.0, "numpy")
    >>> bool(np.isclose(Rk.sum(), 2.0)), round(n_eff, 3)
    (True, 1.5)
    """
    N, D = Y.shape
    K = G.shape[0]
    if backend == "numba":
        return _stats_numba(Y, G, log_weights, var, max(1, min(16, N, 8 * max_entries // max(K * D, 1))))
    block = max(1, max_entries // max(K, 1))
    Rk = np.zeros(K)
    RtY = np.zeros((K, D))
    loglik = np.empty(N)
    n_eff = 0.0
    for s in range(0, N, block):
        Yb = Y[s:s + block]
        R, loglik[s:s + block] = estep_numpy(Yb, G, log_weights, var)
        Rk += R.sum(axis=0)
        RtY += R.T @ Yb
        n_eff += float(np.sum(1.0 / np.sum(R * R, axis=1)))
    return Rk, RtY, loglik, n_eff / N


def _stats_numba(Y, G, log_weights, var, n_chunks):
    """:func:`estep_stats` by the fused Numba kernel, over ``n_chunks`` fixed chunks of points."""
    from . import _kernels

    N, D = Y.shape
    K = G.shape[0]
    Rk = np.zeros((n_chunks, K))
    RtYT = np.zeros((n_chunks, D, K))
    r2 = np.empty(N)
    loglik = np.empty(N)
    _kernels.estep_stats_kernel(np.ascontiguousarray(Y, dtype=float),
                                np.ascontiguousarray(G.T, dtype=float),
                                np.ascontiguousarray(log_weights, dtype=float), float(var),
                                Rk, RtYT, r2, loglik)
    # the partial sums are added in chunk order: the same result on any number of threads
    return Rk.sum(axis=0), RtYT.sum(axis=0).T.copy(), loglik, float(np.sum(1.0 / r2)) / N
