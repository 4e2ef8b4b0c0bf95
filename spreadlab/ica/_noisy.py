r"""Terminal stage for noisy data: maximum likelihood of :math:`x = As + \gamma\epsilon`.

In the Z-dimensional principal subspace, whitened as in
:mod:`spreadlab.ica._whitened` (:math:`u = \Lambda^{-1/2}U_Z^\top(x - \bar x)`),
isotropic data noise :math:`\gamma\epsilon` becomes
:math:`n \sim \mathcal N(0, \gamma^2\Lambda^{-1})` (diagonal, known), and with
the unmixing matrix :math:`W = M^{-1}` of the mixing :math:`M` in whitened
coordinates, :math:`u = W^{-1}s + n`, so

.. math::
    p(u) = |\det W|\;\mathbb E_{n}\Big[\prod_i p\big((W(u + n))_i\big)\Big],

the noiseless likelihood averaged over the noise (the substitution
:math:`s = W(u + n)` in :math:`\int\mathcal N(u; W^{-1}s, \gamma^2\Lambda^{-1})
\prod_i p(s_i)\,ds`, using the symmetry of :math:`n`).  This is the
:math:`\sigma\to0` limit of spread EM *with* model noise :math:`\gamma`.
The expectation is a Z-dimensional integral without closed form (the
Gaussian factor of the source posterior, covariance
:math:`\gamma^2W\Lambda^{-1}W^\top`, is not diagonal), so it is estimated
with K draws :math:`n_k` shared by all data points and all iterations
(common random numbers: one smooth objective, a simulated likelihood).
The Laplace kink is smoothed as :math:`-c\sqrt{s^2+\delta^2}`,
:math:`\delta = 10^{-3}` (the noise average smooths it anyway).  With
importance weights :math:`w_{nk}\propto\prod_i p(s_{nki})`,
:math:`s_{nk} = W(u_n + n_k)` and :math:`\psi = (\log p)'`, the relative
gradient is

.. math:: G = I + \frac1N\sum_n\sum_k w_{nk}\,\psi(s_{nk})\,s_{nk}^\top,

zero at the estimate; it is maximised by L-BFGS over W, started from the
noiseless-ML estimate.  The noise level is given, or estimated as the mean
of the trailing :math:`X - Z` eigenvalues of the data covariance
(:func:`estimate_noise`).  The principal subspace is kept from PCA (for
isotropic noise it is consistent for the signal subspace).

References
----------
M. Zhang, P. Hayes, T. Bird, R. Habib, D. Barber, "Spread Divergence", ICML 2020
(noisy linear ICA, Fig. 1a).  A. Hyvärinen, "Independent component analysis in
the presence of Gaussian noise by maximizing joint likelihood", Neurocomputing
22, 1998 (the noisy-ICA likelihood).
"""
import math
import warnings

import numpy as np
from scipy.optimize import minimize

__all__ = ["estimate_noise", "smooth_laplace_logpdf", "noisy_objective", "noisy_gradient",
           "noisy_ml", "noise_draws", "NOISY_DRAWS", "NOISY_SMOOTHING"]

# Draws of the noise per data point (shared: common random numbers).
NOISY_DRAWS = 64
# Smoothing delta of |s| in the Laplace log density (source units).
NOISY_SMOOTHING = 1e-3
# Rows per chunk of the (n_samples * n_draws, Z) source array (bounds memory at ~20 MB).
_CHUNK_ROWS = 1 << 18


def estimate_noise(eigenvalues, n_components):
    r"""Noise standard deviation from the trailing eigenvalues of the data covariance.

    For :math:`x = As + \gamma\epsilon` with isotropic noise every eigenvalue
    outside the Z-dimensional signal subspace is :math:`\gamma^2`; their mean
    estimates it.

    Parameters
    ----------
    eigenvalues : ndarray of shape (n_features,)
        Eigenvalues of the data covariance, any order.
    n_components : int
        Z, the number of sources (< n_features).

    Returns
    -------
    float

    Examples
    --------
    >>> import numpy as np
    >>> estimate_noise(np.array([9.0, 4.0, 0.25, 0.25]), 2)
    0.5
    """
    lam = np.sort(np.asarray(eigenvalues, dtype=float))[::-1]
    if not 0 < n_components < lam.size:
        raise ValueError("estimating the noise needs n_features > n_components; got "
                         f"n_features={lam.size}, n_components={n_components}")
    return float(math.sqrt(max(float(np.mean(lam[n_components:])), 0.0)))


def smooth_laplace_logpdf(s, scale, delta=NOISY_SMOOTHING):
    r"""Smoothed Laplace log density :math:`-c\sqrt{s^2+\delta^2} - \log 2b` and its derivative.

    :math:`c = 1/b`; unnormalised by the :math:`O(\delta^2)` change of the
    normaliser, which does not depend on the unmixing matrix.

    Returns
    -------
    logp, d1 : ndarray, same shape as ``s``

    Examples
    --------
    >>> import numpy as np
    >>> logp, d1 = smooth_laplace_logpdf(np.array([-2.0, 3.0]), 1.0, 0.0)
    >>> logp.tolist(), d1.tolist()
    ([-2.6931471805599454, -3.6931471805599454], [1.0, -1.0])
    """
    c = 1.0 / scale
    r = np.sqrt(s * s + delta * delta)
    return -c * r - math.log(2.0 * scale), -c * s / r


def noise_draws(n_draws, noise_std, random_state=None):
    r"""Common noise draws :math:`n_k`: scrambled Sobol points mapped to
    :math:`\mathcal N(0, \mathrm{diag}(\tau^2))`.

    Quasi-random points integrate the smooth noise average with a much smaller
    error than pseudo-random ones of the same number (randomised by the
    scrambling, so the estimate stays unbiased for the likelihood itself).

    Parameters
    ----------
    n_draws : int
        Number of draws K (a power of two keeps the Sobol balance).
    noise_std : ndarray of shape (Z,)
    random_state : None, int or numpy.random.Generator

    Returns
    -------
    ndarray of shape (n_draws, Z)
    """
    from scipy.special import ndtri
    from scipy.stats import qmc

    noise_std = np.asarray(noise_std, dtype=float)
    pts = qmc.Sobol(d=noise_std.size, scramble=True, seed=np.random.default_rng(random_state))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)   # balance warning for non powers of 2
        u = pts.random(n_draws)
    return ndtri(u) * noise_std


_KERNEL_CHUNK = 64  # samples per chunk of the Numba pass (fixes the summation order)


def _passes(U, W, draws, scale, derivs, backend="numpy"):
    """Mean log-likelihood term and (optionally) <sum_k w psi(s) s^T>, NumPy or Numba."""
    N, Z = U.shape
    K = draws.shape[0]
    if backend == "numba":
        from ._estep import load_kernels

        c = 1.0 / scale
        L, G = load_kernels().noisy_ml_kernel(np.ascontiguousarray(U @ W.T),
                                              np.ascontiguousarray(draws @ W.T), c,
                                              NOISY_SMOOTHING ** 2, bool(derivs), _KERNEL_CHUNK)
        mean = float(L.sum() / N) - Z * math.log(2.0 * scale) - math.log(K)
        return mean, (G.sum(axis=0) / N if derivs else None)
    rows = max(1, _CHUNK_ROWS // K)
    total = 0.0
    M = np.zeros((Z, Z))
    for a in range(0, N, rows):
        Y = (U[a:a + rows, None, :] + draws[None, :, :]).reshape(-1, Z)
        S = Y @ W.T
        logp, d1 = smooth_laplace_logpdf(S, scale)
        lp = logp.sum(axis=1).reshape(-1, K)
        top = lp.max(axis=1, keepdims=True)
        e = np.exp(lp - top)
        tot = e.sum(axis=1, keepdims=True)
        total += float(np.sum(np.log(tot[:, 0]) + top[:, 0]))
        if derivs:
            M += (d1 * (e / tot).reshape(-1, 1)).T @ S
    return total / N - math.log(K), (M / N if derivs else None)


def noisy_objective(U, W, draws, scale, backend="numpy"):
    r"""Simulated mean log-likelihood per sample of the noisy model in whitened coordinates.

    :math:`\log|\det W| + \frac1N\sum_n\log\frac1K\sum_k\prod_i p((W(u_n+n_k))_i)`
    (``-inf`` for a singular W).

    Parameters
    ----------
    U : ndarray of shape (n_samples, Z)
        Whitened, centred data.
    W : ndarray of shape (Z, Z)
        Unmixing matrix.
    draws : ndarray of shape (n_draws, Z)
        Noise draws :math:`n_k` in whitened coordinates.
    scale : float
        Laplace scale b.

    Returns
    -------
    float
    """
    sign, logdet = np.linalg.slogdet(W)
    if sign == 0:
        return -np.inf
    return float(logdet + _passes(U, W, draws, scale, False, backend)[0])


def noisy_gradient(U, W, draws, scale, backend="numpy"):
    r"""Relative gradient :math:`\partial\ell((I+E)W)/\partial E` at E = 0
    (zero at a stationary point)."""
    return np.eye(W.shape[0]) + _passes(U, W, draws, scale, True, backend)[1]


def noisy_ml(U, W0, noise_std, scale, *, n_draws=NOISY_DRAWS, random_state=None, tol=1e-4,
             max_iter=500, backend="numpy"):
    r"""Maximum likelihood of the noisy ICA model in whitened coordinates (module docstring).

    Parameters
    ----------
    U : ndarray of shape (n_samples, Z)
        Whitened, centred data.
    W0 : ndarray of shape (Z, Z)
        Starting unmixing matrix (the noiseless-ML estimate).
    noise_std : float or ndarray of shape (Z,)
        Standard deviation of the noise along each whitened coordinate,
        :math:`\gamma/\sqrt{\lambda_j}`.
    scale : float
        Laplace scale b of the sources.
    n_draws : int, default=64
        Noise draws K (common random numbers).
    random_state : numpy.random.Generator or int, default=None
        Seeds the draws.
    tol : float, default=1e-4
        Converged when the max-abs relative gradient is below ``tol``.
    max_iter : int, default=500
        L-BFGS iterations.
    backend : {"numpy", "numba"}, default="numpy"

    Returns
    -------
    W : ndarray of shape (Z, Z)
    info : dict
        ``converged``, ``iters`` ([iterations]), ``evaluations``, ``distance``
        and ``gradient`` (max-abs relative gradient at W), ``tol``,
        ``objective``, ``smoothing`` ([delta]), ``stall`` (why it stopped
        unconverged), ``roundoff`` (stopped because the objective no longer
        changes above round-off, with the gradient reported), ``noise_std``,
        ``n_draws``.
    """
    U = np.asarray(U, dtype=float)
    N, Z = U.shape
    W0 = np.array(W0, dtype=float)
    if W0.shape != (Z, Z) or not np.all(np.isfinite(W0)) or np.linalg.slogdet(W0)[0] == 0:
        raise ValueError(f"W0 must be a finite non-singular ({Z}, {Z}) matrix; got shape "
                         f"{W0.shape}")
    noise_std = np.broadcast_to(np.asarray(noise_std, dtype=float), (Z,))
    if not np.all(np.isfinite(noise_std) & (noise_std >= 0)):
        raise ValueError(f"noise_std must be finite and >= 0; got {noise_std.tolist()}")
    draws = noise_draws(n_draws, noise_std, random_state)
    count = [0]

    def f(w):
        W = w.reshape(Z, Z)
        sign, logdet = np.linalg.slogdet(W)
        count[0] += 1
        if sign == 0:
            return np.inf, np.zeros_like(w)
        mean, M = _passes(U, W, draws, scale, True, backend)
        # Euclidean gradient of -l: -(W^{-T} + M W^{-T}) = -(I + M) W^{-T}
        grad = -(np.eye(Z) + M) @ np.linalg.inv(W).T
        return -(logdet + mean), grad.ravel()

    # L-BFGS's gradient test is on the Euclidean gradient; ours is the relative one below
    res = minimize(f, W0.ravel(), jac=True, method="L-BFGS-B",
                   options=dict(maxiter=max_iter, gtol=1e-3 * tol, ftol=1e-15, maxcor=20))
    W = res.x.reshape(Z, Z)
    if not np.all(np.isfinite(W)) or -res.fun < -f(W0.ravel())[0]:
        W = W0                                      # never return worse than the start
    G = noisy_gradient(U, W, draws, scale, backend)
    g = float(np.max(np.abs(G)))
    obj = noisy_objective(U, W, draws, scale, backend)
    converged = g < tol
    roundoff = False
    msg = str(res.message)
    stall = None
    if not converged:
        words = msg.upper().replace("_", " ")
        if "REL REDUCTION OF F" in words or "RELATIVE REDUCTION" in words:
            # the objective no longer changes above round-off: converged to machine
            # precision only if the ascent a step could still make is below that
            # resolution (0.5 g^2 with Hessian eigenvalues ~1)
            roundoff = 0.5 * g * g < 64 * np.finfo(float).eps * max(1.0, abs(obj))
            converged = roundoff
        if not converged:
            stall = (f"max_iter={max_iter} L-BFGS iterations" if res.nit >= max_iter
                     else f"L-BFGS stopped: {msg}")
    info = dict(converged=bool(converged), stopped=False, iters=[int(res.nit)],
                evaluations=count[0] + 2, distance=g, tol=tol, gradient=g, objective=obj,
                smoothing=[NOISY_SMOOTHING], stall=stall, roundoff=bool(roundoff),
                noise_std=noise_std.tolist(), n_draws=int(n_draws))
    return W, info


def noisy_stage(est, Xc, lam, U, W0, rng):
    """The ``finish="noisy_ml"`` stage of :class:`~spreadlab.ica.SpreadICA`.

    The noise is ``est.noise`` when positive, else :func:`estimate_noise` from
    the covariance of the centred data ``Xc`` (its top-Z eigenvalues ``lam``
    given); ``U`` are the whitened data and ``W0`` the noiseless-ML estimate.
    Returns the unmixing matrix and the stage's info dict (``noise`` added).
    """
    n, d = Xc.shape
    Z = lam.size
    if est.noise > 0:
        gamma = float(est.noise)
    elif d > Z:
        trailing = max(float(np.sum(Xc * Xc)) / n - float(np.sum(lam)), 0.0) / (d - Z)
        gamma = math.sqrt(trailing)
    else:
        raise ValueError("finish='noisy_ml' needs noise > 0, or n_features > n_components to "
                         f"estimate it; got noise={est.noise!r}, n_features={d}, "
                         f"n_components={Z}")
    W, info = noisy_ml(U, W0, gamma / np.sqrt(lam), est.prior_.scale,
                       random_state=int(rng.integers(2**63 - 1)), tol=est.tol,
                       max_iter=est.max_iter, backend=est.backend)
    info["noise"] = gamma
    return W, info
