"""Numba kernel of the grid E-step (imported lazily, on the first fit with backend="numba").

A plain function taking arrays and writing into output arrays. Each data point is processed
independently (``prange`` over points, no cross-thread reductions), so the result does not
depend on the thread count. No ``fastmath``: log-sum-exp must see infinities as infinities.
The inner loop runs over grid nodes with the node images stored transposed, ``GT[d, k]``,
so that it is a plain element-wise loop LLVM can vectorise without reassociation.

The NumPy reference of the same computation is :func:`._estep.estep_numpy`.

Numba's on-disk cache is used when the cache directory (``NUMBA_CACHE_DIR``, or
``__pycache__`` beside this file) is writable, decided once at import; ``SPREADLAB_NUMBA_CACHE=0``
turns it off. Threads and the wait policy of idle threads: :mod:`spreadlab._numba`.
"""
import math

import numpy as np

from .._constants import LOG_2PI
from .._numba import cache_enabled, jit, prange


CACHE_ENABLED = cache_enabled(__file__)

__all__ = ["estep_kernel", "estep_stats_kernel", "CACHE_ENABLED"]

@jit()
def _node_log_terms(Y, n, GT, logw, inv, a):
    """Fill ``a[k] = log w_k - inv * |y_n - g_k|^2`` for point ``n``; return the largest term."""
    D = Y.shape[1]
    K = GT.shape[1]
    for k in range(K):
        a[k] = 0.0
    for d in range(D):
        yd = Y[n, d]
        for k in range(K):
            t = yd - GT[d, k]
            a[k] += t * t
    m = -np.inf
    for k in range(K):
        a[k] = logw[k] - inv * a[k]
        if a[k] > m:
            m = a[k]
    return m


@jit()
def _exp_shifted(a, m):
    """Overwrite ``a[k]`` with ``exp(a[k] - m)``; return their sum (>= 1 when m is the max)."""
    s = 0.0
    for k in range(a.shape[0]):
        a[k] = math.exp(a[k] - m)
        s += a[k]
    return s


@jit(parallel=True)
def estep_kernel(Y, GT, logw, var, R, loglik):
    """Fill ``R[n, k]`` (responsibilities) and ``loglik[n]`` (log spread likelihood).

    Parameters
    ----------
    Y : float64[N, D]
    GT : float64[D, K]
        Node images, transposed.
    logw : float64[K]
        Log prior weights of the nodes.
    var : float
        Spread variance sigma**2.
    R : float64[N, K]
        Output.
    loglik : float64[N]
        Output.
    """
    N, D = Y.shape
    K = GT.shape[1]
    inv = 0.5 / var
    const = 0.5 * D * (LOG_2PI + math.log(var))
    for n in prange(N):
        a = np.empty(K)
        m = _node_log_terms(Y, n, GT, logw, inv, a)
        if m == -np.inf:
            # every node underflowed: the likelihood is 0 to double precision
            loglik[n] = -np.inf
            for k in range(K):
                R[n, k] = 0.0
            continue
        s = _exp_shifted(a, m)
        for k in range(K):
            R[n, k] = a[k] / s
        loglik[n] = m + math.log(s) - const


@jit(parallel=True)
def estep_stats_kernel(Y, GT, logw, var, Rk, RtYT, r2, loglik):
    """The E-step's sufficient statistics without the responsibility matrix, per chunk of points.

    The points are split into ``C = Rk.shape[0]`` fixed, contiguous chunks (``prange`` over
    chunks); chunk ``c`` accumulates its own partial sums, so the result does not depend on
    the thread count, and the caller adds the ``C`` partials in order.

    Parameters
    ----------
    Y, GT, logw, var
        As for :func:`estep_kernel`.
    Rk : float64[C, K]
        Output, zero on entry: ``sum_{n in chunk c} r_nk``.
    RtYT : float64[C, D, K]
        Output, zero on entry: ``sum_{n in chunk c} r_nk y_nd`` (transposed, so that the
        inner loop runs over nodes).
    r2 : float64[N]
        Output: ``sum_k r_nk**2`` (0 where every node underflowed).
    loglik : float64[N]
        Output: log spread likelihood of each point.
    """
    N, D = Y.shape
    K = GT.shape[1]
    C = Rk.shape[0]
    inv = 0.5 / var
    const = 0.5 * D * (LOG_2PI + math.log(var))
    for c in prange(C):
        a = np.empty(K)
        for n in range(c * N // C, (c + 1) * N // C):
            m = _node_log_terms(Y, n, GT, logw, inv, a)
            if m == -np.inf:
                # every node underflowed: the likelihood is 0 and the point adds nothing
                loglik[n] = -np.inf
                r2[n] = 0.0
                continue
            s = _exp_shifted(a, m)
            q = 0.0
            for k in range(K):
                a[k] /= s
                Rk[c, k] += a[k]
                q += a[k] * a[k]
            for d in range(D):
                yd = Y[n, d]
                for k in range(K):
                    RtYT[c, d, k] += a[k] * yd
            r2[n] = q
            loglik[n] = m + math.log(s) - const
