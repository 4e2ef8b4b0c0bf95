"""Numba kernels of the spread two-sample test (imported lazily, on the first test).

Plain functions taking arrays and filling arrays: one block of the Gram matrix of the
autocorrelation :math:`k = K * \\tilde K` of a spread kernel, evaluated on coordinates
the caller has already rescaled (:class:`spreadlab._kernel_hooks.KernelPlan`), so that
every kernel is 1 at zero distance:

* ``gram_gauss`` -- :math:`\\exp(-\\|a_i - b_j\\|^2 / 4)` (a Gaussian spread N(0, S) after
  whitening by S, so that :math:`k = N(0, 2S)` up to its constant);
* ``gauss_exponent`` -- only the exponent :math:`-\\|a_i - b_j\\|^2 / 4`, in a loop that the
  compiler vectorises; the permutation test then takes ``np.exp`` of it in place (NumPy's
  SIMD exp, several times cheaper than the scalar ``math.exp`` of ``gram_gauss``), which gives
  the same numbers as :func:`gram_gauss_numpy` bit for bit;
* ``gram_product`` -- :math:`\\prod_d \\kappa_{c_d}(|a_{id} - b_{jd}|)` with the
  per-dimension codes of :mod:`spreadlab._kernel_hooks` (:func:`_kappa`).

The matrix products that turn Gram blocks into permutation statistics stay in NumPy/SciPy
(BLAS); only the element-wise functions, which NumPy evaluates on one thread with
temporaries, are compiled. No ``fastmath``: the sums must stay IEEE arithmetic. The NumPy
references are :func:`gram_gauss_numpy` and :func:`gram_product_numpy` (which evaluates the
registry's NumPy :math:`\\kappa`), against which the tests compare. Compiled code is cached
on disk (``cache=True``), so a new process does not recompile.
"""
import math

import numpy as np
from ._kernel_hooks import LOGISTIC_SERIES
from ._numba import jit, prange

__all__ = ["gram_gauss", "gauss_exponent", "gram_product", "gram_gauss_numpy", "gauss_exponent_numpy",
           "gram_product_numpy", "block_sums"]

# codes of kappa (the same numbers as the registrations in spreadlab._kernel_hooks)
GAUSS, LAPLACE, CAUCHY, TRIANGLE, LOGISTIC, SECH = 0, 1, 2, 3, 4, 5
# 2k / (2k+1)!, k = 11..1: the series of v cosh v - sinh v, defined once in _kernel_hooks
# (a global array is a compile-time constant here)
_LOGISTIC_COEF = LOGISTIC_SERIES


@jit()
def _logistic(u):
    """6 f(u), f the density of the sum of two standard logistics.

    The compiled twin of :func:`spreadlab._kernel_hooks._kappa_logistic` (its NumPy reference),
    with the same series table ``LOGISTIC_SERIES`` below u = 1 and the same closed form above.
    """
    if u < 1.0:
        v = 0.5 * u
        v2 = v * v
        s = 0.0
        for c in _LOGISTIC_COEF:  # sum_k 2k v^{2k-2} / (2k+1)!, Horner in v^2
            s = s * v2 + c
        shv = math.sinh(v) / v if v > 0.0 else 1.0
        return 6.0 * s / (2.0 * shv * shv * shv)
    if u == math.inf:
        return 0.0
    e = math.exp(-u)
    den = -math.expm1(-u)
    return 6.0 * e * ((u - 2.0) + (u + 2.0) * e) / (den * den * den)


@jit()
def _kappa(code, u):
    """kappa_code(u) for u >= 0, kappa(0) = 1 (the NumPy forms are in _kernel_hooks)."""
    if code == GAUSS:
        return math.exp(-0.25 * u * u)
    if code == LAPLACE:
        return (1.0 + u) * math.exp(-u) if u < math.inf else 0.0
    if code == CAUCHY:
        return 1.0 / (1.0 + u * u)
    if code == TRIANGLE:
        return max(1.0 - u, 0.0)
    if code == LOGISTIC:
        return _logistic(u)
    # SECH: u / sinh(u) = 2u e^{-u} / (1 - e^{-2u})
    if u == 0.0:
        return 1.0
    if u > 750.0:  # below 1e-322; 2u alone overflows near 1e308 (inf * 0 = NaN)
        return 0.0
    return 2.0 * (u * math.exp(-u)) / -math.expm1(-2.0 * u)


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
def gauss_exponent(a, bt, out):
    """Fill ``out[i, j] = -|a_i - b_j|^2 / 4``; a (n, d), ``bt = b.T`` (d, m) C-contiguous, out (n, m).

    The squares are summed over k = 0, 1, ... in the same order as the NumPy reference, and
    the inner loop runs over contiguous j, so it vectorises.
    """
    n, d = a.shape
    m = bt.shape[1]
    for i in prange(n):
        row = out[i]
        for j in range(m):
            row[j] = 0.0
        for k in range(d):
            t = a[i, k]
            for j in range(m):
                u = t - bt[k, j]
                row[j] += u * u
        for j in range(m):
            row[j] *= -0.25
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
                v *= _kappa(codes[k], abs(a[i, k] - b[j, k]))
            out[i, j] = v
    return out


def gram_gauss_numpy(a, b):
    """NumPy reference of :func:`gram_gauss`."""
    diff = a[:, None, :] - b[None, :, :]
    return np.exp(-0.25 * np.sum(diff * diff, axis=-1))


def gauss_exponent_numpy(a, b):
    """NumPy reference of :func:`gauss_exponent` (takes b itself, not its transpose)."""
    diff = a[:, None, :] - b[None, :, :]
    return -0.25 * np.sum(diff * diff, axis=-1)


def gram_product_numpy(a, b, kappas):
    """NumPy reference of :func:`gram_product`: ``kappas`` are the per-dimension NumPy functions."""
    t = np.abs(a[:, None, :] - b[None, :, :])
    out = np.ones(t.shape[:2])
    for k, kappa in enumerate(kappas):
        out *= kappa(t[..., k])
    return out


@jit()
def _kernel_value(a, i, b, j, codes, gauss):
    """kappa(a_i - b_j): the whitened Gaussian, or the product over codes."""
    d = a.shape[1]
    if gauss:
        s = 0.0
        for k in range(d):
            t = a[i, k] - b[j, k]
            s += t * t
        return math.exp(-0.25 * s)
    v = 1.0
    for k in range(d):
        v *= _kappa(codes[k], abs(a[i, k] - b[j, k]))
    return v


@jit(parallel=True)
def block_sums(zx, zy, bx, by, codes, gauss, out):
    """For block i (x rows i*bx.., y rows i*by..), fill ``out[i] = (sum_xx, sum_yy, sum_xy)``.

    Sums over all ordered pairs, diagonals included (the caller removes kappa(0) = 1); one
    call for all blocks, parallel over blocks.
    """
    n_blocks = out.shape[0]
    for blk in prange(n_blocks):
        x0, y0 = blk * bx, blk * by
        sxx, syy, sxy = 0.0, 0.0, 0.0
        for i in range(bx):
            for j in range(bx):
                sxx += _kernel_value(zx, x0 + i, zx, x0 + j, codes, gauss)
            for j in range(by):
                sxy += _kernel_value(zx, x0 + i, zy, y0 + j, codes, gauss)
        for i in range(by):
            for j in range(by):
                syy += _kernel_value(zy, y0 + i, zy, y0 + j, codes, gauss)
        out[blk, 0], out[blk, 1], out[blk, 2] = sxx, syy, sxy
    return out
