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

from .._numba import cache_enabled, jit, prange


CACHE_ENABLED = cache_enabled(__file__)

__all__ = ["estep_kernel", "CACHE_ENABLED"]

_LOG_2PI = math.log(2.0 * math.pi)


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
    const = 0.5 * D * (_LOG_2PI + math.log(var))
    for n in prange(N):
        a = np.zeros(K)
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
        if m == -np.inf:
            # every node underflowed: the likelihood is 0 to double precision
            loglik[n] = -np.inf
            for k in range(K):
                R[n, k] = 0.0
            continue
        s = 0.0
        for k in range(K):
            e = math.exp(a[k] - m)
            R[n, k] = e
            s += e
        for k in range(K):
            R[n, k] /= s
        loglik[n] = m + math.log(s) - const
