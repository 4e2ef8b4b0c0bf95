"""Numba kernels of the spread two-sample test (imported lazily, on the first test).

Plain functions taking arrays and filling arrays: one block of the Gram matrix of the
autocorrelation :math:`k = K * \\tilde K` of a spread kernel, evaluated on coordinates
the caller has already rescaled, so that every kernel is 1 at zero distance:

* ``gram_gauss`` -- :math:`\\exp(-\\|a_i - b_j\\|^2 / 4)` (a Gaussian spread N(0, S) after
  whitening by S, so that :math:`k = N(0, 2S)` up to its constant);
* ``gram_product`` -- :math:`\\prod_d \\kappa_{c_d}(|a_{id} - b_{jd}|)` with, per dimension,
  :math:`\\kappa_0(t) = e^{-t^2/4}` (Gaussian), :math:`\\kappa_1(t) = (1 + t)e^{-t}`
  (Laplace) and :math:`\\kappa_2(t) = 1/(1 + t^2)` (Cauchy).

The matrix products that turn Gram blocks into permutation statistics stay in NumPy
(BLAS); only the element-wise exponentials, which NumPy evaluates on one thread with
temporaries, are compiled. No ``fastmath``: the sums must stay IEEE arithmetic. The NumPy
references of both kernels are :func:`gram_gauss_numpy` and :func:`gram_product_numpy`,
against which the tests compare.
"""
import math

import numpy as np

from ._numba import jit, prange

__all__ = ["gram_gauss", "gram_product", "gram_gauss_numpy", "gram_product_numpy"]

GAUSS, LAPLACE, CAUCHY = 0, 1, 2


@jit(parallel=True)
def gram_gauss(a, b, out):
    """Fill ``out[i, j] = exp(-|a_i - b_j|^2 / 4)``; a (n, d), b (m, d), out (n, m)."""
    n, d = a.shape
    m = b.shape[0]
    for i in prange(n):
        for j in range(m):
            s = 0.0
            for k in range(d):
                t = a[i, k] - b[j, k]
                s += t * t
            out[i, j] = math.exp(-0.25 * s)
    return out


@jit(parallel=True)
def gram_product(a, b, codes, out):
    """Fill ``out[i, j] = prod_k kappa_{codes[k]}(|a_ik - b_jk|)`` (see the module docstring)."""
    n, d = a.shape
    m = b.shape[0]
    for i in prange(n):
        for j in range(m):
            v = 1.0
            for k in range(d):
                t = abs(a[i, k] - b[j, k])
                c = codes[k]
                if c == 0:
                    v *= math.exp(-0.25 * t * t)
                elif c == 1:
                    v *= (1.0 + t) * math.exp(-t)
                else:
                    v *= 1.0 / (1.0 + t * t)
            out[i, j] = v
    return out


def gram_gauss_numpy(a, b):
    """NumPy reference of :func:`gram_gauss`."""
    diff = a[:, None, :] - b[None, :, :]
    return np.exp(-0.25 * np.sum(diff * diff, axis=-1))


def gram_product_numpy(a, b, codes):
    """NumPy reference of :func:`gram_product`."""
    t = np.abs(a[:, None, :] - b[None, :, :])
    out = np.ones(t.shape[:2])
    for k, c in enumerate(codes):
        tk = t[..., k]
        if c == GAUSS:
            out *= np.exp(-0.25 * tk * tk)
        elif c == LAPLACE:
            out *= (1.0 + tk) * np.exp(-tk)
        else:
            out *= 1.0 / (1.0 + tk * tk)
    return out
