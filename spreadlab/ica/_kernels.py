"""Numba kernels for the E-steps of spread EM (imported lazily, on first fit).

Plain functions taking arrays and returning arrays; all random numbers are
drawn by the caller and passed in (common random numbers), so results do
not depend on the thread count.  Samples are processed in fixed-size
chunks: each chunk writes its own partial sums, which the caller adds up in
a fixed order, so the floating-point summation order is the same whatever
the number of threads.  No ``fastmath``: the reductions must stay exact
IEEE arithmetic (and log-sum-exp must see infinities as infinities).

Log-sum-exp normalisation uses lane-wise max/sum reductions (8 interleaved
partial results in a fixed order, which LLVM vectorises without fastmath)
and a vectorisable ``exp`` (:func:`_exp_nonpos`), because the pip builds of
Numba have no SVML and ``math.exp`` would be a scalar libm call per weight.

The NumPy references of the same computations are in :mod:`._estep`.

On-disk caching: Numba's ``cache=True`` needs a writable cache directory
(``NUMBA_CACHE_DIR`` or the ``__pycache__`` directory beside this file).
Writability is tested once, when this module is first imported (first fit); if the
directory cannot be written (read-only install, unwritable cache dir) the
kernels are compiled without caching instead of failing.

This module is imported only by :func:`spreadlab.ica._estep.load_kernels`, on
the first Numba E-step: importing it is the "first compile call".  It changes
nothing in the environment; the OpenMP wait policy that keeps idle Numba
threads from spinning is :mod:`spreadlab._numba`'s.  The cache-directory probe below runs here, i.e. on
first use, never at ``import spreadlab``.
"""
import math

import numpy as np

from .._constants import LOG_2PI, LOG_SQRT_2PI
from .._numba import cache_dir_writable, cache_enabled, jit, prange  # noqa: F401 (re-exported)

__all__ = ["estep_importance_kernel", "estep_exact_kernel", "laplace_posterior_kernel",
           "noisy_ml_kernel",
           "laplace_ml_kernel", "CACHE_ENABLED", "cache_dir_writable"]


CACHE_ENABLED = cache_enabled(__file__)

_LOG2 = math.log(2.0)
_HALF_PI = 0.5 * math.pi


@jit(inline="always")
def _dot(a, b):
    """sum_j a[j] b[j] in 8 interleaved partial sums (a fixed order that LLVM
    can vectorise without fastmath), then a fixed-order final sum."""
    n = a.shape[0]
    p0 = p1 = p2 = p3 = p4 = p5 = p6 = p7 = 0.0
    n8 = n - n % 8
    for j in range(0, n8, 8):
        p0 += a[j] * b[j]
        p1 += a[j + 1] * b[j + 1]
        p2 += a[j + 2] * b[j + 2]
        p3 += a[j + 3] * b[j + 3]
        p4 += a[j + 4] * b[j + 4]
        p5 += a[j + 5] * b[j + 5]
        p6 += a[j + 6] * b[j + 6]
        p7 += a[j + 7] * b[j + 7]
    tail = 0.0
    for j in range(n8, n):
        tail += a[j] * b[j]
    return ((p0 + p1) + (p2 + p3)) + ((p4 + p5) + (p6 + p7)) + tail


@jit(inline="always")
def _max8(a):
    """max of a 1-D array in 8 interleaved lanes (vectorisable)."""
    n = a.shape[0]
    m0 = m1 = m2 = m3 = m4 = m5 = m6 = m7 = -np.inf
    n8 = n - n % 8
    for j in range(0, n8, 8):
        m0 = max(m0, a[j])
        m1 = max(m1, a[j + 1])
        m2 = max(m2, a[j + 2])
        m3 = max(m3, a[j + 3])
        m4 = max(m4, a[j + 4])
        m5 = max(m5, a[j + 5])
        m6 = max(m6, a[j + 6])
        m7 = max(m7, a[j + 7])
    for j in range(n8, n):
        m0 = max(m0, a[j])
    return max(max(max(m0, m1), max(m2, m3)), max(max(m4, m5), max(m6, m7)))


@jit(inline="always")
def _sum8(a):
    """sum of a 1-D array in 8 interleaved partial sums, fixed order."""
    n = a.shape[0]
    p0 = p1 = p2 = p3 = p4 = p5 = p6 = p7 = 0.0
    n8 = n - n % 8
    for j in range(0, n8, 8):
        p0 += a[j]
        p1 += a[j + 1]
        p2 += a[j + 2]
        p3 += a[j + 3]
        p4 += a[j + 4]
        p5 += a[j + 5]
        p6 += a[j + 6]
        p7 += a[j + 7]
    tail = 0.0
    for j in range(n8, n):
        tail += a[j]
    return ((p0 + p1) + (p2 + p3)) + ((p4 + p5) + (p6 + p7)) + tail


_LOG2E = 1.4426950408889634
_LN2_HI = 6.93147180369123816490e-01  # ln 2 split as in fdlibm: k * _LN2_HI is exact
_LN2_LO = 1.90821492927058770002e-10
# 1/k! for k = 13 .. 0 (Taylor polynomial of exp on |r| <= ln2/2: error < 2e-16)
_EXP_COEF = np.array([1.0 / math.factorial(k) for k in range(13, -1, -1)])


@jit()
def _exp_nonpos(x, kbuf):
    """x[j] <- exp(x[j]) for x[j] <= 0 (``-inf`` -> 0), in vectorisable loops.

    Numba's ``math.exp`` calls the scalar libm ``exp`` unless Intel SVML is
    available; this is the usual range reduction x = k ln2 + r, a degree-13
    Taylor polynomial for exp(r) and 2**k assembled from exponent bits
    (relative error ~2e-16, checked against ``numpy.exp`` in the tests).
    Values below -708 give 0 (exp underflows to subnormals there anyway);
    NaN stays NaN, as in ``numpy.exp`` (a NaN log-weight must not silently
    become a zero weight).
    """
    n = x.shape[0]
    c = _EXP_COEF
    for j in range(n):
        v = x[j]
        ok = not (v <= -708.0)  # True for NaN
        nan = v != v
        v = v if (ok and not nan) else 0.0
        k = math.floor(v * _LOG2E + 0.5)
        r = (v - k * _LN2_HI) - k * _LN2_LO
        p = c[0]
        for t in range(1, 14):
            p = p * r + c[t]
        x[j] = np.nan if nan else p
        kbuf[j] = (np.int64(k) + 1023) << 52 if ok else 0
    f = kbuf.view(np.float64)
    for j in range(n):
        x[j] *= f[j]


@jit()
def _set_logprior(Mu_n, LE, off, lw, kind, p0, p1, p2):
    """lw[j] = sum_i log p(Mu_n[i] + LE[i, off + j]) for the prior coded by ``kind``."""
    Z = Mu_n.shape[0]
    J = lw.shape[0]
    for j in range(J):
        lw[j] = 0.0
    if kind == 0:  # Laplace, p0[0] = scale b: Z log(1/2b) - sum_i |s_i| / b
        # sum |s_i| first over contiguous row views, then one multiply per draw: the
        # loop vectorises (no division in it): this loop alone 8.7 -> 3.0 ms at N=20000,
        # Z=10, 100 draws, the whole kernel 20.9 -> 14.0 ms (one thread)
        b = p0[0]
        for i in range(Z):
            m = Mu_n[i]
            row = LE[i, off:off + J]
            for j in range(J):
                lw[j] += abs(m + row[j])
        c = -Z * math.log(2.0 * b)
        inv_b = 1.0 / b
        for j in range(J):
            lw[j] = c - lw[j] * inv_b
    elif kind == 1:  # sech: -log 2 - log cosh(pi s / 2) = -a - log1p(exp(-2a))
        for i in range(Z):
            m = Mu_n[i]
            for j in range(J):
                a = abs(m + LE[i, off + j]) * _HALF_PI
                lw[j] += -a - math.log1p(math.exp(-2.0 * a))
    else:  # Gaussian mixture: p0 log-weights, p1 means, p2 variances
        K = p0.shape[0]
        for i in range(Z):
            m = Mu_n[i]
            for j in range(J):
                s = m + LE[i, off + j]
                mx = -np.inf
                for k in range(K):
                    d = s - p1[k]
                    t = p0[k] - 0.5 * (LOG_2PI + math.log(p2[k])) - 0.5 * d * d / p2[k]
                    if t > mx:
                        mx = t
                tot = 0.0
                for k in range(K):
                    d = s - p1[k]
                    t = p0[k] - 0.5 * (LOG_2PI + math.log(p2[k])) - 0.5 * d * d / p2[k]
                    tot += math.exp(t - mx)
                lw[j] += mx + math.log(tot)


@jit(parallel=True)
def estep_importance_kernel(Mu, LE, eps_ext, offsets, n_draws, kind, p0, p1, p2, chunk):
    r"""Importance-sampling E-step.

    The draws of sample n are :math:`s_{nj} = \mu_n + L\epsilon_p`, p = offsets[n] + j,
    with ``LE = L @ eps_ext`` computed once per E-step by the caller (a
    matrix product), so the per-draw work here is O(Z).  Because the
    standardised draws come from a shared pool, the weighted second moment
    :math:`\sum_n\sum_j w_{nj}\epsilon\epsilon^\top` is returned as one weight
    per pool column (``W``); the caller forms it with one matrix product.

    Parameters
    ----------
    Mu : (N, Z) means of the Gaussian factor.
    LE : (Z, P + n_draws) pool of draws mapped by the Cholesky factor L.
    eps_ext : (Z, P + n_draws) standard-normal pool.
    offsets : (N,) int64.
    kind, p0, p1, p2 : prior code and parameters (see ``_priors``).
    chunk : samples per chunk (fixes the summation order).

    Returns
    -------
    ebar : (N, Z) weighted mean of the standardised draws of each sample.
    lse : (N,) log (1/J) sum_j p(s_nj).
    W : (n_chunks, P + n_draws) per-chunk sums of the normalised weights by pool column.
    ess : (N,) effective sample size 1 / sum_j w_nj^2 of the normalised weights.
    """
    N, Z = Mu.shape
    J = n_draws
    PJ = eps_ext.shape[1]
    n_chunks = (N + chunk - 1) // chunk
    ebar = np.empty((N, Z))
    lse = np.empty(N)
    W = np.zeros((n_chunks, PJ))
    ess = np.empty(N)
    logJ = math.log(J)
    for c in prange(n_chunks):
        lw = np.empty(J)
        kbuf = np.empty(J, dtype=np.int64)
        for n in range(c * chunk, min(N, (c + 1) * chunk)):
            off = offsets[n]
            _set_logprior(Mu[n], LE, off, lw, kind, p0, p1, p2)
            mx = _max8(lw)
            for j in range(J):
                lw[j] -= mx
            _exp_nonpos(lw, kbuf)
            tot = _sum8(lw)
            lse[n] = mx + math.log(tot) - logJ
            inv = 1.0 / tot
            for j in range(J):
                lw[j] *= inv
                W[c, off + j] += lw[j]
            ess[n] = 1.0 / _dot(lw, lw)
            for i in range(Z):
                ebar[n, i] = _dot(lw, eps_ext[i, off:off + J])
    return ebar, lse, W, ess


@jit(parallel=True)
def estep_exact_kernel(Mu, Sq, H, KT, kT, const, chunk):
    """Exact E-step for a mixture-of-Gaussians prior (all C combinations).

    With q running over the Z(Z+1)/2 pairs i <= k and mm_q = mu_i mu_k,
    the log joint of sample n and combination c is
    ``const[c] + sum_q Sq[q, c] mm_q + sum_i H[i, c] mu_i`` and the posterior
    mean is ``K_c mu + k_c``.  The combination index is the innermost
    (contiguous) axis so that the loops over c vectorise.

    Parameters
    ----------
    Mu : (N, Z) means of the Gaussian factor.
    Sq : (Q, C) quadratic coefficients, H : (Z, C) linear coefficients.
    KT : (Z, Z, C), kT : (Z, C) posterior-mean maps.
    const : (C,) constants (``-inf`` for padding combinations).
    chunk : samples per chunk.

    Returns
    -------
    Es : (N, Z) posterior means.
    lse : (N,) log sum_c exp(log joint).
    Mq : (n_chunks, Q, C) per-chunk sums of r_nc mm_nq.
    U : (n_chunks, Z, C) per-chunk sums of r_nc mu_ni.
    R : (n_chunks, C) per-chunk sums of the responsibilities r_nc.
    """
    N, Z = Mu.shape
    Q, C = Sq.shape
    n_chunks = (N + chunk - 1) // chunk
    Es = np.empty((N, Z))
    lse = np.empty(N)
    Mq = np.zeros((n_chunks, Q, C))
    U = np.zeros((n_chunks, Z, C))
    R = np.zeros((n_chunks, C))
    for ch in prange(n_chunks):
        P = np.empty((Z, C))
        lp = np.empty(C)
        kbuf = np.empty(C, dtype=np.int64)
        mm = np.empty(Q)
        for n in range(ch * chunk, min(N, (ch + 1) * chunk)):
            q = 0
            for i in range(Z):
                for k in range(i, Z):
                    mm[q] = Mu[n, i] * Mu[n, k]
                    q += 1
            for c in range(C):
                lp[c] = const[c]
            for q in range(Q):
                f = mm[q]
                for c in range(C):
                    lp[c] += Sq[q, c] * f
            for i in range(Z):
                f = Mu[n, i]
                for c in range(C):
                    lp[c] += H[i, c] * f
            mx = _max8(lp)
            for c in range(C):
                lp[c] -= mx
            _exp_nonpos(lp, kbuf)
            tot = _sum8(lp)
            lse[n] = mx + math.log(tot)
            inv = 1.0 / tot
            for c in range(C):
                lp[c] *= inv
                R[ch, c] += lp[c]
            for q in range(Q):
                f = mm[q]
                for c in range(C):
                    Mq[ch, q, c] += lp[c] * f
            for i in range(Z):
                f = Mu[n, i]
                for c in range(C):
                    U[ch, i, c] += lp[c] * f
                    P[i, c] = kT[i, c]
                for j in range(Z):
                    f = Mu[n, j]
                    for c in range(C):
                        P[i, c] += KT[i, j, c] * f
            for i in range(Z):
                Es[n, i] = _dot(lp, P[i])
    return Es, lse, Mq, U, R


_SQRT_HALF = math.sqrt(0.5)


@jit(inline="always")
def _log_ndtr_mills(a):
    """(log Phi(a), phi(a)/Phi(a)) to full precision for every real a.

    For a > -5, Phi(a) = erfc(-a/sqrt 2)/2 is computed directly (relative
    accuracy of erfc).  For a <= -5, Phi(a) = phi(a) R(-a) with the Mills
    ratio R(x) = Phi(-x)/phi(x) from its continued fraction
    R(x) = 1/(x + 1/(x + 2/(x + 3/(x + ...)))), with 24 terms for x < 8, 12
    for x < 15 and 8 beyond (each converged to round-off: checked against
    ``scipy.special.log_ndtr`` in the tests), so nothing underflows.
    """
    if a > -5.0:
        p = 0.5 * math.erfc(-a * _SQRT_HALF)
        return math.log(p), math.exp(-0.5 * a * a - LOG_SQRT_2PI) / p
    x = -a
    t = x
    n_terms = 24 if x < 8.0 else (12 if x < 15.0 else 8)
    for k in range(n_terms, 0, -1):
        t = x + k / t
    R = 1.0 / t
    return -0.5 * a * a - LOG_SQRT_2PI + math.log(R), 1.0 / R


@jit(inline="always")
def _log_ndtr(a):
    """log Phi(a) to full precision for every real a (:func:`_log_ndtr_mills` without the
    Mills ratio)."""
    if a > -5.0:
        return math.log(0.5 * math.erfc(-a * _SQRT_HALF))
    x = -a
    t = x
    n_terms = 24 if x < 8.0 else (12 if x < 15.0 else 8)
    for k in range(n_terms, 0, -1):
        t = x + k / t
    return -0.5 * a * a - LOG_SQRT_2PI - math.log(t)


@jit(inline="always")
def _laplace_posterior_terms(t, sigma, s2, c):
    r"""(E[s | m], log of the two half-line masses' sum minus its constant) at m = t >= 0.

    With :math:`a = (t - \sigma^2c)/\sigma`, :math:`b = (t + \sigma^2c)/\sigma`, the
    half-line masses are :math:`A = e^{-ct}\Phi(a)` and :math:`B = e^{ct}\Phi(-b)`,
    and since :math:`e^{-ct}\phi(a) = e^{ct}\phi(b)` the two inverse-Mills terms of
    the posterior mean cancel: :math:`\mathbb E[s\mid t] = t - \sigma^2c\,(A - B)/(A + B)`
    (Tweedie's formula with :math:`(\log\tilde p)' = c\,(B - A)/(A + B)`).  Where
    :math:`a > -5` and :math:`b \le 5` (the bulk) this is computed in linear space,
    :math:`e^{ct}(A + B) = \Phi(a) + e^{2ct}\Phi(-b)` with :math:`2ct < 10\sigma c < 50`
    there (no overflow): two ``erfc``, one ``exp``, one ``log``.  Elsewhere in log space,
    skipping the far half-line when the Gaussian tail bound puts its log weight more
    than 40 below the near one's.
    """
    a = (t - s2 * c) / sigma
    b = (t + s2 * c) / sigma
    if a > -5.0 and b <= 5.0:
        pa = 0.5 * math.erfc(-a * _SQRT_HALF)
        qb = math.exp(2.0 * c * t) * (0.5 * math.erfc(b * _SQRT_HALF))
        mass = pa + qb
        return t - s2 * c * ((pa - qb) / mass), -c * t + math.log(mass)
    lp = -c * t + _log_ndtr(a)
    if b > 5.0 and c * t - 0.5 * b * b - math.log(b) - LOG_SQRT_2PI < lp - 40.0:
        return t - s2 * c, lp
    d = lp - (c * t + _log_ndtr(-b))           # log A - log B
    lse = (lp if d >= 0.0 else lp - d) + math.log1p(math.exp(-abs(d)))
    return t - s2 * c * math.tanh(0.5 * d), lse


@jit(parallel=True)
def laplace_posterior_kernel(M, sigma, scale):
    r"""Fused closed-form E-step of whitened spread EM (Laplace prior).

    Same computation as :func:`spreadlab.ica._whitened.laplace_posterior` on
    every entry of ``M`` (N, Z): posterior means, and the per-row sum of the
    log marginals, by the shorter route of :func:`_laplace_posterior_terms`
    (the NumPy reference keeps both inverse-Mills terms; the posterior is
    symmetric, :math:`\mathbb E[s\mid -m] = -\mathbb E[s\mid m]`).  Rows are
    independent, so the result does not depend on the number of threads.

    Returns
    -------
    Es : (N, Z) posterior means.
    logp : (N,) sum over the Z sources of log p~(m_ni).
    """
    N, Z = M.shape
    c = 1.0 / scale
    s2 = sigma * sigma
    const = -math.log(2.0 * scale) + 0.5 * s2 * c * c
    Es = np.empty((N, Z))
    logp = np.empty(N)
    for n in prange(N):
        tot = 0.0
        for i in range(Z):
            m = M[n, i]
            e, lse = _laplace_posterior_terms(abs(m), sigma, s2, c)
            Es[n, i] = e if m >= 0.0 else -e
            tot += const + lse
        logp[n] = tot
    return Es, logp


# Far from the kink (|m| more than _FAR_KINK smoothing widths beyond it on the near side, and
# the far half-line's log weight below -_FAR_LOGW relative to the near one by the Gaussian
# tail bound, which is the condition that binds for small sigma: |m| > ~12.9 sigma)
# log p_sigma(m) = const - c|m|, (log p)' = -c sign(m) and (log p)'' = 0 to
# round-off: the near side's log Phi(a) > -Phi(-12) ~ -2e-33 and its Mills term
# lambda(a)/sigma < phi(12)/sigma ~ 5e-32/sigma, the far side's weight < e^-80 ~ 2e-35
# times derivative terms of size (a/sigma)^2; all below 1e-16 of c and of the kink's
# curvature scale for sigma >= 1e-6.
_FAR_KINK = 12.0
_FAR_LOGW = 80.0


@jit(inline="always")
def _far_from_kink(m, sigma, s2, c):
    """True when the smoothed Laplace log density at m is its unsmoothed form (above)."""
    am = abs(m)
    a_near = (am - s2 * c) / sigma
    if a_near <= _FAR_KINK:
        return False
    x = (am + s2 * c) / sigma          # minus the far side's argument, > a_near > 12
    # log weight of the far side minus that of the near one, bounded above with
    # log Phi(-x) <= -x^2/2 - log(x sqrt(2 pi)) < -x^2/2 (x > 12) and log Phi(a_near) ~ 0
    # (the log term is dropped: a slightly stricter test without a log call per entry)
    return 2.0 * c * am - 0.5 * x * x < -_FAR_LOGW


@jit(inline="always")
def _laplace_spread_terms(m, sigma, s2, c):
    """(log-sum-exp of the two half-lines, d/dm, d^2/dm^2) of log p_sigma(m) minus its constant."""
    if _far_from_kink(m, sigma, s2, c):
        return -c * abs(m), (-c if m > 0.0 else c), 0.0
    ap = (m - s2 * c) / sigma
    am = -(m + s2 * c) / sigma
    gp, lam_p = _log_ndtr_mills(ap)
    gm, lam_m = _log_ndtr_mills(am)
    lp = -c * m + gp
    lm = c * m + gm
    hi = max(lp, lm)
    lse = hi + math.log1p(math.exp(min(lp, lm) - hi))
    wp = math.exp(lp - lse)
    wm = math.exp(lm - lse)
    dp = -c + lam_p / sigma
    dm = c - lam_m / sigma
    d1 = wp * dp + wm * dm
    d2 = -(wp * lam_p * (ap + lam_p) + wm * lam_m * (am + lam_m)) / s2 + wp * wm * (dp - dm) ** 2
    return lse, d1, d2


@jit(parallel=True)
def laplace_ml_kernel(S, sigma, scale, derivs, chunk):
    r"""Fused pass of the noiseless-ML stage: log-likelihood and its moments.

    For the sources ``S`` (N, Z) and the Laplace density convolved with
    :math:`\mathcal N(0,\sigma^2)` (:func:`spreadlab.ica._whitened.laplace_spread_logpdf`
    is the NumPy reference), per chunk of ``chunk`` samples:
    :math:`\sum_n\sum_i\log p_\sigma(s_{ni})`, and with ``derivs``
    :math:`\sum_n (\log p_\sigma)'(s_{ni})\,s_{nj}` (Z, Z) and
    :math:`\sum_n (\log p_\sigma)''(s_{ni})\,s_{nj}s_{nl}` (Z, Z, Z), which the
    caller adds up over chunks in a fixed order (results independent of the
    thread count).  Far from the kink (:func:`_far_from_kink`) the terms are the
    unsmoothed Laplace ones to round-off and cost a few flops; the second
    derivative is then zero and the :math:`Z^2` products of the third moment are
    skipped, so a pass costs :math:`O(NZ^2)` plus :math:`O(Z^2)` per entry near the
    kink (a fraction of order :math:`\sigma` of them).
    """
    N, Z = S.shape
    c = 1.0 / scale
    s2 = sigma * sigma
    const = -math.log(2.0 * scale) + 0.5 * s2 * c * c
    n_chunks = (N + chunk - 1) // chunk
    L = np.zeros(n_chunks)
    Zd = Z if derivs else 1
    G = np.zeros((n_chunks, Zd, Zd))
    M = np.zeros((n_chunks, Zd, Zd, Zd))
    for ch in prange(n_chunks):
        g1 = np.empty(Z)
        g2 = np.empty(Z)
        tot = 0.0
        for n in range(ch * chunk, min(N, (ch + 1) * chunk)):
            for i in range(Z):
                lse, a1, a2 = _laplace_spread_terms(S[n, i], sigma, s2, c)
                tot += const + lse
                g1[i] = a1
                g2[i] = a2
            if derivs:
                for i in range(Z):
                    for j in range(Z):
                        G[ch, i, j] += g1[i] * S[n, j]
                    if g2[i] == 0.0:
                        continue
                    for j in range(Z):
                        f = g2[i] * S[n, j]
                        for k in range(j, Z):
                            M[ch, i, j, k] += f * S[n, k]
        L[ch] = tot
    if derivs:
        for ch in range(n_chunks):
            for i in range(Z):
                for j in range(Z):
                    for k in range(j):
                        M[ch, i, j, k] = M[ch, i, k, j]
    return L, G, M


@jit(parallel=True)
def noisy_ml_kernel(UW, DW, c, delta2, derivs, chunk):
    r"""Fused pass of the noisy-ML stage (:func:`spreadlab.ica._noisy._passes` is the
    NumPy reference).

    With the sources :math:`s_{nk} = UW_n + DW_k` (the data and the noise draws
    already multiplied by :math:`W^\top`) and :math:`\log p(s) = -c\sqrt{s^2+\delta^2}`
    (without its constant), per chunk of ``chunk`` samples:
    :math:`\sum_n\log\sum_k\prod_i p(s_{nki})` and, with ``derivs``,
    :math:`\sum_n\sum_k w_{nk}(\log p)'(s_{nki})s_{nkj}` (Z, Z), the weights
    :math:`w_{nk}` normalised over k; the caller adds chunks in a fixed order.
    """
    N, Z = UW.shape
    K = DW.shape[0]
    n_chunks = (N + chunk - 1) // chunk
    L = np.zeros(n_chunks)
    Zd = Z if derivs else 1
    G = np.zeros((n_chunks, Zd, Zd))
    for ch in prange(n_chunks):
        S = np.empty((K, Z))
        D1 = np.empty((K, Z))
        lp = np.empty(K)
        tot = 0.0
        for n in range(ch * chunk, min(N, (ch + 1) * chunk)):
            top = -np.inf
            for k in range(K):
                acc = 0.0
                for i in range(Z):
                    s = UW[n, i] + DW[k, i]
                    r = math.sqrt(s * s + delta2)
                    S[k, i] = s
                    D1[k, i] = -c * s / r
                    acc -= c * r
                lp[k] = acc
                if acc > top:
                    top = acc
            den = 0.0
            for k in range(K):
                lp[k] = math.exp(lp[k] - top)
                den += lp[k]
            tot += top + math.log(den)
            if derivs:
                for k in range(K):
                    w = lp[k] / den
                    for i in range(Z):
                        f = w * D1[k, i]
                        for j in range(Z):
                            G[ch, i, j] += f * S[k, j]
        L[ch] = tot
    return L, G
