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

**The terminal stage: noiseless maximum likelihood.**  The Procrustes
M-step keeps :math:`Q` orthogonal, i.e. the estimated sources exactly
decorrelated in-sample, a constraint the true sources do not satisfy exactly
and which costs efficiency ("the price of whitening", Cardoso 1998).  As
:math:`\sigma\to0` the spread likelihood tends to the noiseless one, whose
maximiser over *all* unmixing matrices is the maximum-likelihood estimate;
spread EM would reach it only at a rate :math:`1-O(\sigma^2)`.
:func:`noiseless_ml` maximises that limit directly, over an unconstrained
unmixing matrix :math:`W` (sources :math:`s = Wu`),

.. math::
    \ell_{\sigma_*}(W) = \log|\det W| + \frac1N\sum_n\sum_i
    \log p_{\sigma_*}\big((Wu_n)_i\big),\qquad
    p_{\sigma_*} = \mathrm{Laplace}(0, b) * \mathcal N(0, \sigma_*^2),

by Newton's method in relative coordinates :math:`W\leftarrow(I+D)W`.  The
smoothing :math:`\sigma_*` only makes the kink of :math:`|s|` differentiable
(the same 1-D convolution as above, so :func:`laplace_spread_logpdf` gives
:math:`\log p_{\sigma_*}` and its derivatives in closed form); it is
lowered to :math:`10^{-3}` source units, where the estimate agrees with the
exact-Laplace noiseless ML estimate to a small fraction of its statistical
error.  With :math:`\psi = -(\log p_{\sigma_*})'` the relative gradient and
Hessian of the loss :math:`-\ell` are

.. math::
    G_{ij} = \langle\psi(s_i)s_j\rangle - \delta_{ij},\qquad
    H_{ij,kl} = \delta_{il}\delta_{jk} + \delta_{ik}\,\langle\psi'(s_i)s_js_l\rangle,

a :math:`Z^2\times Z^2` matrix (the exact Hessian, not Picard's
block-diagonal approximation: at small :math:`\sigma_*` the sample
averages :math:`\langle\psi'(s_i)s_js_l\rangle` are carried by the few
points near the kink and are far from their population values).  Its
eigenvalues are floored at 0.1 (at the optimum of a Laplace model they are
about 1 and 3, so the floor acts only far from it), and a backtracking line
search keeps every step an ascent of :math:`\ell_{\sigma_*}`.

References
----------
M. Zhang, P. Hayes, T. Bird, R. Habib, D. Barber, "Spread Divergence",
ICML 2020, the deterministic ICA experiment.  J.-F. Cardoso, "Blind signal separation:
statistical principles", Proc. IEEE 86(10), 1998 (whitening and the
orthogonal constraint).  P. Ablin, J.-F. Cardoso, A. Gramfort, "Faster
independent component analysis by preconditioning with Hessian
approximations", IEEE Trans. Signal Process. 66(15), 2018 (relative
Newton steps for ICA).
"""
import math

import numpy as np
from scipy.special import log_ndtr

from .._constants import LOG_SQRT_2PI

__all__ = ["laplace_posterior", "laplace_spread_logpdf", "polar", "whitened_em_map",
           "whitened_objective", "noiseless_objective", "noiseless_gradient", "noiseless_ml"]



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
    logp, _, _, wp, wm, lam_p, lam_m = _half_lines(m, sigma, scale)
    s2c = sigma * sigma * (1.0 / scale)
    Es = wp * ((m - s2c) + sigma * lam_p) + wm * ((m + s2c) - sigma * lam_m)
    return Es, logp


def _half_lines(m, sigma, scale):
    r"""The two half-line terms of :math:`\mathcal N(s; m, \sigma^2)\,\mathrm{Laplace}(s; 0, b)`.

    With :math:`c = 1/b`: :math:`a_\pm = \pm(m \mp \sigma^2c)/\sigma`, the log masses
    :math:`l_\pm = \mp cm + \log\Phi(a_\pm)`, their weights :math:`w_\pm`, the inverse Mills
    ratios :math:`\lambda_\pm = \phi(a_\pm)/\Phi(a_\pm)` and :math:`\log\tilde p(m)`, all in
    log space.  Shared by :func:`laplace_posterior` and :func:`laplace_spread_logpdf`.

    Returns
    -------
    logp, ap, am, wp, wm, lam_p, lam_m : ndarray, same shape as ``m``
    """
    c = 1.0 / scale
    s2 = sigma * sigma
    ap = (m - s2 * c) / sigma
    am = -(m + s2 * c) / sigma
    gp = log_ndtr(ap)
    gm = log_ndtr(am)
    lp = -c * m + gp
    lm = c * m + gm
    lse = np.logaddexp(lp, lm)
    wp = np.exp(lp - lse)
    wm = np.exp(lm - lse)
    lam_p = np.exp(-0.5 * ap * ap - LOG_SQRT_2PI - gp)
    lam_m = np.exp(-0.5 * am * am - LOG_SQRT_2PI - gm)
    logp = -math.log(2.0 * scale) + 0.5 * s2 * c * c + lse
    return logp, ap, am, wp, wm, lam_p, lam_m


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


def laplace_spread_logpdf(m, sigma, scale):
    r"""Log density of Laplace(0, b) * N(0, sigma^2) and its first two derivatives.

    With :math:`c = 1/b`, :math:`a_\pm = \pm(m \mp \sigma^2c)/\sigma`,
    :math:`l_\pm = \mp cm + \log\Phi(a_\pm)`, weights
    :math:`w_\pm = e^{l_\pm}/(e^{l_+}+e^{l_-})`, inverse Mills ratios
    :math:`\lambda_\pm = \phi(a_\pm)/\Phi(a_\pm)` and
    :math:`d_\pm = l_\pm' = \mp(c - \lambda_\pm/\sigma)`,

    .. math::
        (\log p_\sigma)' = w_+d_+ + w_-d_-,\qquad
        (\log p_\sigma)'' = -\frac{w_+\lambda_+(a_+ + \lambda_+)
            + w_-\lambda_-(a_- + \lambda_-)}{\sigma^2} + w_+w_-(d_+ - d_-)^2,

    using :math:`\lambda'(a) = -\lambda(a)(a + \lambda(a))`.  The first
    derivative equals Tweedie's :math:`(\mathbb E[s\mid m] - m)/\sigma^2`.

    Parameters
    ----------
    m : ndarray
        Points (any shape).
    sigma : float
        Standard deviation of the Gaussian smoothing, > 0.
    scale : float
        Laplace scale b.

    Returns
    -------
    logp, d1, d2 : ndarray, same shape as ``m``

    Examples
    --------
    >>> import numpy as np
    >>> m = np.array([-1.0, 0.3, 2.0])
    >>> logp, d1, d2 = laplace_spread_logpdf(m, 0.1, 1 / np.sqrt(2))
    >>> Es, logp2 = laplace_posterior(m, 0.1, 1 / np.sqrt(2))
    >>> bool(np.allclose(logp, logp2, rtol=1e-14)), bool(np.allclose(d1, (Es - m) / 0.01, rtol=1e-9))
    (True, True)
    """
    logp, ap, am, wp, wm, lam_p, lam_m = _half_lines(m, sigma, scale)
    c = 1.0 / scale
    dp = -c + lam_p / sigma
    dm = c - lam_m / sigma
    d1 = wp * dp + wm * dm
    d2 = (-(wp * lam_p * (ap + lam_p) + wm * lam_m * (am + lam_m)) / (sigma * sigma)
          + wp * wm * (dp - dm) ** 2)
    return logp, d1, d2


_ML_CHUNK = 256  # samples per chunk of the Numba pass (fixes the summation order)


def _ml_moments(S, sigma, scale, backend, derivs=True):
    r"""Mean of :math:`\sum_i\log p_\sigma(s_i)` over the rows of S and, with
    ``derivs``, :math:`\langle(\log p_\sigma)'(s_i)s_j\rangle` (Z, Z) and
    :math:`\langle(\log p_\sigma)''(s_i)s_js_l\rangle` (Z, Z, Z); NumPy or Numba."""
    N, Z = S.shape
    if backend == "numba":
        from ._estep import load_kernels

        L, G, M = load_kernels().laplace_ml_kernel(np.ascontiguousarray(S), float(sigma),
                                                   float(scale), bool(derivs), _ML_CHUNK)
        if not derivs:
            return float(L.sum() / N), None, None
        return float(L.sum() / N), G.sum(axis=0) / N, M.sum(axis=0) / N
    logp, d1, d2 = laplace_spread_logpdf(S, sigma, scale)
    mean = float(logp.sum() / N)
    if not derivs:
        return mean, None, None
    M = np.stack([S.T @ (d2[:, i:i + 1] * S) for i in range(Z)]) / N
    return mean, d1.T @ S / N, M


def _logdet(W):
    sign, logdet = np.linalg.slogdet(W)
    return logdet if sign != 0 else -np.inf


def noiseless_objective(U, W, sigma, scale, backend="numpy"):
    r"""Mean noiseless log-likelihood per sample in whitened coordinates,
    :math:`\log|\det W| + \frac1N\sum_n\sum_i\log p_\sigma((Wu_n)_i)`
    (``-inf`` for a singular W)."""
    logdet = _logdet(W)
    if not np.isfinite(logdet):
        return -np.inf
    return float(logdet + _ml_moments(U @ W.T, sigma, scale, backend, derivs=False)[0])


def noiseless_gradient(U, W, sigma, scale, backend="numpy"):
    r"""Relative gradient of the mean noiseless log-likelihood,
    :math:`\partial\ell((I+E)W)/\partial E\,|_{E=0} = I + \langle(\log p_\sigma)'(s)\,s^\top\rangle`,
    :math:`s = Wu` (zero at a stationary point)."""
    return np.eye(W.shape[0]) + _ml_moments(U @ W.T, sigma, scale, backend)[1]


def _relative_hessian(D2):
    r"""Hessian of the loss :math:`-\ell((I+E)W)` in E at E = 0, as a (Z*Z, Z*Z) matrix
    (row-major flattening of E): :math:`\delta_{il}\delta_{jk} - \delta_{ik}D_2[i,j,l]`
    with :math:`D_2[i,j,l] = \langle(\log p)''(s_i)s_js_l\rangle`."""
    Z = D2.shape[0]
    H = np.zeros((Z, Z, Z, Z))                       # H[i, j, k, l]
    idx = np.arange(Z)
    H[idx[:, None], idx[None, :], idx[None, :], idx[:, None]] = 1.0   # delta_il delta_jk
    for i in range(Z):
        H[i, :, i, :] -= D2[i]
    H = H.reshape(Z * Z, Z * Z)
    return 0.5 * (H + H.T)                           # exact symmetry against round-off


def _newton_direction(D1, D2, eig_floor):
    """Newton step D (minimising -l) in relative coordinates, and the gradient G of -l,
    from the moments D1 = <(log p)'(s_i) s_j>, D2 = <(log p)''(s_i) s_j s_l>."""
    Z = D1.shape[0]
    G = -D1 - np.eye(Z)
    ev, V = np.linalg.eigh(_relative_hessian(D2))
    D = -(V @ ((V.T @ G.ravel()) / np.maximum(ev, eig_floor))).reshape(Z, Z)
    return D, G


# Eigenvalue floor of the relative Hessian (at a Laplace optimum its eigenvalues
# are about 1 and 3, so the floor acts only far from the optimum).
_EIG_FLOOR = 0.1
# Smoothing levels of the terminal stage (source units): a warm start at 1e-2,
# then 1e-3, where the estimate agrees with exact-Laplace ML (benchmarks/README.md).
ML_SMOOTHING = (1e-2, 1e-3)
# Loose stopping tolerance of the warm-start levels (relative distance).
_WARM_TOL = 1e-3
# Relative round-off of the objective l = log|det W| + <sum_i log p(s_i)>: each term
# carries a few ulps (log_ndtr, exp, log), and N*Z of them are summed in chunks of
# _ML_CHUNK, so accumulated error grows like sqrt(number of chunk sums) ulps; 64 ulps of
# max(1, |l|) is above what was measured (successive objectives at the optimum differ by
# up to 4 ulps of |l| ~ 4 at N = 2000, Z = 3, on the Haswell and SkylakeX kernels).
_OBJ_ROUNDOFF_ULPS = 64.0
# In the round-off regime a full Newton step must shrink the next Newton step at least
# this much (quadratic convergence shrinks it by far more); otherwise the step has
# reached its own round-off floor.
_FLOOR_SHRINK = 0.5


def _objective_resolution(obj):
    """Smallest change of the objective ``obj`` that round-off cannot fake."""
    return _OBJ_ROUNDOFF_ULPS * np.finfo(float).eps * max(1.0, abs(obj))


def noiseless_ml(U, W0, scale, *, smoothing=ML_SMOOTHING, tol=1e-4, max_iter=500,
                 backend="numpy", callback=None):
    r"""Noiseless maximum likelihood in whitened coordinates by relative Newton steps.

    Maximises :math:`\ell_{\sigma_*}(W)` (module docstring) for each
    smoothing :math:`\sigma_*` in ``smoothing`` in turn, each level started
    from the previous one's estimate.  A level stops when the Newton step
    :math:`\|D\|_F`, an estimate of the relative distance to the stationary
    point (:math:`W_* \approx (I+D)W`), is below its tolerance (``tol`` for
    the last level, ``max(tol, 1e-3)`` for the warm-up levels); it is not
    converged when it runs out of ``max_iter`` iterations or the line
    search cannot make progress (a stalled fit).

    **Round-off floor.**  Near the optimum the ascent a Newton step promises,
    :math:`\tfrac12 g^\top H^{-1}g`, falls below the resolution of the
    objective (64 ulps of :math:`\max(1, |\ell|)`); a line search on
    :math:`\ell` would then be decided by round-off.  There the full step
    is judged by the next Newton step instead: it is taken when it at least
    halves :math:`\|D\|` (quadratic convergence does far better), and when
    it does not, the step has reached its own round-off floor.  The level
    then stops at the better of the two iterates and counts as converged
    "to machine precision" (``info["roundoff"]`` True, ``distance`` the
    achieved step, possibly above ``tol``): no float64 computation of this
    objective can certify a smaller distance, and the floor lies far below
    the statistical error (the regime is entered only when
    :math:`\|D\|\lesssim 10^{-6}` since the Hessian's eigenvalues are
    floored at 0.1).

    Parameters
    ----------
    U : ndarray of shape (n_samples, Z)
        Whitened, centred data.
    W0 : ndarray of shape (Z, Z)
        Starting unmixing matrix.
    scale : float
        Laplace scale b of the source prior.
    smoothing : sequence of float, default=(1e-2, 1e-3)
    tol : float, default=1e-4
    max_iter : int, default=500
        Newton iterations per smoothing level.
    backend : {"numpy", "numba"}, default="numpy"
    callback : callable, default=None
        ``callback(W, objective)`` after every accepted step; returning True
        stops (the result is then not converged).

    Returns
    -------
    W : ndarray of shape (Z, Z)
    info : dict
        ``converged``, ``stopped`` (by the callback), ``iters`` per level,
        ``evaluations`` (passes over the data), ``distance`` (last Newton
        step norm), ``tol`` (the last level's tolerance), ``gradient``
        (max-abs relative gradient at the returned W), ``objective`` (its
        :math:`\ell_{\sigma_*}`), ``history`` (objective at ``W0``, then
        after every accepted step), ``smoothing``, ``stall`` (reason),
        ``roundoff`` (the last level stopped at the round-off floor of its
        Newton step rather than below ``tol``).
    """
    W = np.array(W0, dtype=float)
    Z = U.shape[1]
    if W.shape != (Z, Z):
        raise ValueError(f"W0 must have shape ({Z}, {Z}); got shape {W.shape}")
    if not (np.all(np.isfinite(W)) and np.isfinite(_logdet(W))):
        raise ValueError("W0 must be a finite non-singular matrix (the relative steps "
                         f"(I + D) W never leave a singular one); got {W.tolist()}")
    info = dict(converged=False, stopped=False, iters=[], evaluations=0, distance=np.inf,
                tol=tol, gradient=np.inf, objective=-np.inf, history=[],
                smoothing=list(smoothing), stall=None, roundoff=False)
    eye = np.eye(Z)
    for level, sigma in enumerate(smoothing):
        last = level == len(smoothing) - 1
        level_tol = info["tol"] = tol if last else max(tol, _WARM_TOL)
        converged = info["roundoff"] = False
        its = 0
        moments = None      # the accepted trial point's pass (with derivatives) is reused
        for its in range(max_iter + 1):
            if moments is None:
                moments = _ml_moments(U @ W.T, sigma, scale, backend)
                info["evaluations"] += 1
            mean_logp, D1, D2 = moments
            obj = _logdet(W) + mean_logp
            if not info["history"]:
                info["history"].append(obj)        # the objective at W0
            D, G = _newton_direction(D1, D2, _EIG_FLOOR)
            dist = float(np.linalg.norm(D))
            info.update(distance=dist, gradient=float(np.max(np.abs(G))), objective=obj)
            if dist < level_tol:
                converged = True
                break
            if its == max_iter:
                info["stall"] = f"max_iter={max_iter} Newton iterations"
                break
            slope = float(np.sum(G * D))           # directional derivative of -l (< 0)
            at_floor = False
            if -0.5 * slope < _objective_resolution(obj):
                # Round-off regime: the predicted ascent is below what the objective can
                # resolve, so Armijo would be decided by round-off (and halving makes no-op
                # steps).  Judge the full step by the Newton step at the trial point
                # instead: near the optimum it shrinks quadratically; once it no longer
                # shrinks, the step has reached its own round-off floor.
                W_try = (eye + D) @ W
                logdet = _logdet(W_try)
                trial = (None if not np.isfinite(logdet) else
                         _ml_moments(U @ W_try.T, sigma, scale, backend))
                info["evaluations"] += trial is not None
                dist_try = (np.inf if trial is None else
                            float(np.linalg.norm(_newton_direction(trial[1], trial[2],
                                                                   _EIG_FLOOR)[0])))
                at_floor = not dist_try < _FLOOR_SHRINK * dist
                if at_floor and not dist_try < dist:
                    converged = info["roundoff"] = True     # W is the better iterate
                    break
                moments, obj_try = trial, logdet + trial[0]
            else:
                step, accepted = 1.0, False
                while step > 1e-10:
                    W_try = (eye + step * D) @ W
                    logdet = _logdet(W_try)
                    moments = (None if not np.isfinite(logdet) else
                               _ml_moments(U @ W_try.T, sigma, scale, backend,
                                           derivs=step == 1.0))
                    info["evaluations"] += moments is not None
                    obj_try = -np.inf if moments is None else logdet + moments[0]
                    # Armijo, on l = -loss; a singular trial (-inf) is never an ascent
                    if moments is not None and obj_try >= obj - 1e-4 * step * slope:
                        accepted = True
                        break
                    step *= 0.5
                if not accepted:
                    moments = None
                    info["stall"] = ("the line search found no ascent along the Newton step "
                                     f"(step {dist:.3g}, gradient {info['gradient']:.3g})")
                    break
            W = W_try
            if moments[1] is None:                   # a shortened step: derivatives still due
                moments = None
            info["history"].append(obj_try)
            if callback is not None and callback(W, obj_try) is True:
                info["stopped"] = True
                break
            if at_floor:                             # the trial was the better iterate
                G = _newton_direction(moments[1], moments[2], _EIG_FLOOR)[1]
                info.update(distance=dist_try, gradient=float(np.max(np.abs(G))),
                            objective=obj_try)
                converged = info["roundoff"] = True
                break
        info["iters"].append(its)
        if not converged or info["stopped"]:
            return W, info
    info["converged"] = True
    return W, info
