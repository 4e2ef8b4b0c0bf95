r"""Plain NumPy E-steps for (spread) EM in linear ICA.

These are the readable reference implementations; :mod:`._kernels` holds
Numba versions of the same computations, which the tests compare with
these on identical inputs and identical random draws.

With observation-noise variance :math:`v = \gamma^2 + \sigma^2` the
likelihood factor of the sources is Gaussian in :math:`s`:

.. math::
    \mathcal N(y; As, vI) = C(y)\,\mathcal N(s; \mu(y), \Sigma),\qquad
    \Sigma = v (A^\top A)^{-1},\quad \mu(y) = (A^\top A)^{-1}A^\top y,

    \log C(y) = -\tfrac{X}{2}\log 2\pi v + \tfrac{Z}{2}\log 2\pi
                + \tfrac12\log|\Sigma| - \frac{\|y - A\mu(y)\|^2}{2v}.

so the posterior is :math:`\propto \mathcal N(s;\mu,\Sigma)\,p(s)` and
:math:`p(y) = C(y)\,\mathbb E_{\mathcal N(s;\mu,\Sigma)}[p(s)]`.

Every E-step returns an :class:`EStep` with the posterior means
``Es`` (N, Z), the summed second moment ``sum_ss`` = :math:`\sum_n
\langle s s^\top\rangle_n` (Z, Z) and the per-sample log-likelihood
(exact, or its importance-sampling estimate).

:class:`SpreadICA <spreadlab.ica.SpreadICA>` fits with one of three E-step
*kinds* (:data:`ESTEPS`), objects with one interface -- ``frame`` (the
coordinates the fit works in), ``with_draws`` (their common random numbers),
``project``, ``spread`` (the spread data), ``trivial``, ``em_map`` (one EM
update) and ``objective`` -- so that the estimator never switches on the
E-step's name: :class:`WhitenedEStep` (closed form, whitened coordinates),
:class:`ExactEStep` (Gaussian-mixture prior) and :class:`ImportanceEStep`.
"""
import itertools
import math
from dataclasses import dataclass

import numpy as np
from scipy.special import logsumexp

from .._constants import LOG_2PI
from .._validation import as_float_array
from ._whitened import polar, whitened_em_map, whitened_objective

__all__ = ["EStep", "gaussian_factor", "estep_importance_numpy", "estep_exact_numpy",
           "mixture_tables", "extend_pool", "m_step", "point_mass_estep", "em_update_zero_noise", "Frame",
           "WhitenedEStep", "ExactEStep", "ImportanceEStep", "ESTEPS"]


@dataclass
class EStep:
    """Sufficient statistics returned by one E-step."""

    Es: np.ndarray        # (N, Z) posterior means
    sum_ss: np.ndarray    # (Z, Z) sum over samples of posterior second moments
    loglik: np.ndarray    # (N,) log p(y_n) (exact, or importance-sampling estimate)
    ess: np.ndarray = None  # (N,) effective sample size (importance sampling only)


@dataclass
class GaussianFactor:
    Mu: np.ndarray      # (N, Z) mu(y_n)
    Sigma: np.ndarray   # (Z, Z)
    L: np.ndarray       # (Z, Z) lower Cholesky factor of Sigma
    logC: np.ndarray    # (N,) log C(y_n)


def gaussian_factor(Y, A, var):
    """Gaussian factor N(s; mu(y), Sigma) of the likelihood and log C(y).

    Raises ``numpy.linalg.LinAlgError`` with an explanation if
    :math:`A^\\top A` is singular or numerically so.
    """
    N, X = Y.shape
    Z = A.shape[1]
    G = A.T @ A
    try:
        R = np.linalg.cholesky(G)
    except np.linalg.LinAlgError:
        R = None
    cond = np.linalg.cond(G) if R is not None else np.inf
    if R is None or not np.isfinite(cond) or cond > 1e12:
        raise np.linalg.LinAlgError(
            f"A^T A is singular (condition number {cond:.3g}): the mixing matrix has lost "
            "rank, so the source posterior is undefined; try a larger spread or fewer "
            "components"
        )
    Ginv = np.linalg.inv(G)
    Ginv = 0.5 * (Ginv + Ginv.T)
    Sigma = var * Ginv
    L = np.linalg.cholesky(Sigma)
    Mu = (Y @ A) @ Ginv
    resid = Y - Mu @ A.T
    logdet_Sigma = 2.0 * np.sum(np.log(np.diag(L)))
    logC = (
        -0.5 * X * math.log(2.0 * math.pi * var)
        + 0.5 * Z * LOG_2PI
        + 0.5 * logdet_Sigma
        - 0.5 * np.einsum("nd,nd->n", resid, resid) / var
    )
    return GaussianFactor(Mu=Mu, Sigma=Sigma, L=L, logC=logC)


def extend_pool(eps_pool, n_draws):
    """Append the first ``n_draws`` columns of an (Z, P) pool so that the
    draws of sample n are the contiguous columns ``off_n .. off_n + n_draws``."""
    return np.ascontiguousarray(np.concatenate([eps_pool, eps_pool[:, :n_draws]], axis=1))


def estep_importance_numpy(gf, prior, eps_ext, offsets, n_draws, block=512):
    r"""Importance-sampling E-step (the paper's method), NumPy reference.

    Draws :math:`s_{nj} = \mu_n + L\epsilon_{nj}` from the Gaussian factor,
    with :math:`\epsilon_{nj}` = column ``offsets[n] + j`` of ``eps_ext``
    (common random numbers), and weights them by the prior, normalised with
    log-sum-exp.

    Parameters
    ----------
    gf : GaussianFactor
    prior : prior object with ``logpdf``
    eps_ext : ndarray of shape (Z, P + n_draws)
        Standard-normal pool extended by :func:`extend_pool`.
    offsets : ndarray of shape (N,), int
    n_draws : int
    """
    N, Z = gf.Mu.shape
    Es = np.empty((N, Z))
    loglik = np.empty(N)
    M = np.zeros((Z, Z))        # sum_n sum_j w_nj eps eps^T
    EbEb = np.zeros((Z, Z))     # sum_n ebar ebar^T
    ess = np.empty(N)
    j = np.arange(n_draws)
    for start in range(0, N, block):
        sl = slice(start, min(N, start + block))
        E = eps_ext[:, offsets[sl, None] + j]                  # (Z, b, J)
        S = gf.Mu[sl].T[:, :, None] + np.einsum("ik,kbj->ibj", gf.L, E)
        logw = prior._logpdf(S).sum(axis=0)                    # (b, J), unchecked kernel
        lse = logsumexp(logw, axis=1)
        W = np.exp(logw - lse[:, None])                        # normalised weights
        ess[sl] = 1.0 / np.sum(W * W, axis=1)
        ebar = np.einsum("bj,kbj->bk", W, E)
        M += np.einsum("bj,ibj,kbj->ik", W, E, E)
        EbEb += ebar.T @ ebar
        Es[sl] = gf.Mu[sl] + ebar @ gf.L.T
        loglik[sl] = gf.logC[sl] + lse - math.log(n_draws)
    # sum_n <ss^T> = sum_n m_n m_n^T + L (sum_n Cov_w(eps)) L^T
    sum_ss = Es.T @ Es + gf.L @ (M - EbEb) @ gf.L.T
    return EStep(Es=Es, sum_ss=0.5 * (sum_ss + sum_ss.T), loglik=loglik, ess=ess)


def mixture_tables(gf, prior, Z):
    r"""Per-combination quantities of the exact mixture E-step.

    For component combination :math:`c=(k_1..k_Z)` with prior
    :math:`\mathcal N(s; m_c, D_c)`: :math:`p(y|c) = C(y)\,\mathcal N(\mu; m_c, S_c)`,
    :math:`S_c = \Sigma + D_c`, and the posterior is Gaussian with covariance
    :math:`V_c = (\Sigma^{-1} + D_c^{-1})^{-1}` and mean
    :math:`K_c\mu + k_c`, :math:`K_c = V_c\Sigma^{-1}`, :math:`k_c = V_c D_c^{-1} m_c`.

    Returns
    -------
    Sinv : (C, Z, Z), K : (C, Z, Z), k : (C, Z), m : (C, Z), const : (C,), V : (C, Z, Z)
        ``const`` is :math:`\log\pi_c - \tfrac Z2\log 2\pi - \tfrac12\log|S_c|`.
    """
    combos = np.array(list(itertools.product(range(prior.n_components), repeat=Z)))
    m = prior.means[combos]                     # (C, Z)
    d = prior.variances[combos]                 # (C, Z)
    logpi = np.log(prior.weights)[combos].sum(axis=1)
    S = gf.Sigma[None] + np.einsum("ci,ij->cij", d, np.eye(Z))
    Sinv = np.linalg.inv(S)
    Sinv = 0.5 * (Sinv + np.swapaxes(Sinv, 1, 2))
    _, logdetS = np.linalg.slogdet(S)
    Prec_lik = np.linalg.inv(gf.Sigma)
    V = np.linalg.inv(Prec_lik[None] + np.einsum("ci,ij->cij", 1.0 / d, np.eye(Z)))
    V = 0.5 * (V + np.swapaxes(V, 1, 2))
    K = V @ Prec_lik
    k = np.einsum("cij,cj->ci", V, m / d)
    const = logpi - 0.5 * Z * LOG_2PI - 0.5 * logdetS
    return Sinv, K, k, m, const, V


def estep_exact_numpy(gf, prior, block=256):
    """Exact E-step for a :class:`GaussianMixturePrior`, enumerating all
    ``K**Z`` component combinations (NumPy reference)."""
    N, Z = gf.Mu.shape
    Sinv, K, k, m, const, V = mixture_tables(gf, prior, Z)
    Es = np.empty((N, Z))
    loglik = np.empty(N)
    sum_ss = np.zeros((Z, Z))
    for start in range(0, N, block):
        sl = slice(start, min(N, start + block))
        Mu = gf.Mu[sl]
        D = Mu[:, None, :] - m[None]                              # (b, C, Z)
        logp = const[None] - 0.5 * np.einsum("bci,cij,bcj->bc", D, Sinv, D)
        lse = logsumexp(logp, axis=1)
        R = np.exp(logp - lse[:, None])                           # responsibilities
        post = np.einsum("cij,bj->bci", K, Mu) + k[None]          # posterior means
        Es[sl] = np.einsum("bc,bci->bi", R, post)
        sum_ss += np.einsum("bc,bci,bcj->ij", R, post, post) + np.einsum("bc,cij->ij", R, V)
        loglik[sl] = gf.logC[sl] + lse
    return EStep(Es=Es, sum_ss=0.5 * (sum_ss + sum_ss.T), loglik=loglik)


# --- Numba-backed versions (kernels imported lazily, on first call) ---------


def load_kernels():
    """Import the Numba kernels (compiled on first call, or loaded from the cache).

    Called by the Numba E-steps, never at ``import spreadlab``; the Numba set-up
    (cache, threads, the wait policy of idle threads) is :mod:`spreadlab._numba`'s.
    """
    from . import _kernels

    return _kernels


_CHUNK = 256  # samples per chunk; fixed so the summation order never depends on threads


def numba_threads(n):
    """Run the Numba kernels of the block on at most ``n`` threads (restored after).

    Results never depend on the thread count (fixed chunking), only the speed.
    """
    from .._numba import limit_threads

    return limit_threads(n)


def estep_importance_numba(gf, prior, eps_ext, offsets, n_draws):
    """Same computation as :func:`estep_importance_numpy`, with the Numba kernel."""
    _kernels = load_kernels()
    p0, p1, p2 = prior.kernel_params
    LE = gf.L @ eps_ext
    ebar, lse, W, ess = _kernels.estep_importance_kernel(
        np.ascontiguousarray(gf.Mu), LE, eps_ext,
        np.ascontiguousarray(offsets, dtype=np.int64), int(n_draws), int(prior.kind),
        p0, p1, p2, _CHUNK,
    )
    w = W.sum(axis=0)
    M = (eps_ext * w) @ eps_ext.T                    # sum_n sum_j w_nj eps eps^T
    Es = gf.Mu + ebar @ gf.L.T
    sum_ss = Es.T @ Es + gf.L @ (M - ebar.T @ ebar) @ gf.L.T
    return EStep(Es=Es, sum_ss=0.5 * (sum_ss + sum_ss.T), loglik=gf.logC + lse, ess=ess)


def exact_kernel_tables(tables, Z):
    """Rearrange :func:`mixture_tables` for :func:`_kernels.estep_exact_kernel`:
    combination axis last, padded to a multiple of 8 with ``-inf`` constants."""
    Sinv, K, k, m, const, V = tables
    C = const.shape[0]
    Cp = -(-C // 8) * 8
    iu, ku = np.triu_indices(Z)
    coef = np.where(iu == ku, -0.5, -1.0)
    Sq = np.zeros((iu.size, Cp))
    Sq[:, :C] = (Sinv[:, iu, ku] * coef).T
    H = np.zeros((Z, Cp))
    Sm = np.einsum("cij,cj->ci", Sinv, m)
    H[:, :C] = Sm.T
    KT = np.zeros((Z, Z, Cp))
    KT[:, :, :C] = np.moveaxis(K, 0, -1)
    kT = np.zeros((Z, Cp))
    kT[:, :C] = k.T
    c = np.full(Cp, -np.inf)
    c[:C] = const - 0.5 * np.einsum("ci,ci->c", Sm, m)
    return Sq, H, KT, kT, c


def estep_exact_numba(gf, prior, tables=None):
    """Same computation as :func:`estep_exact_numpy`, with the Numba kernel."""
    _kernels = load_kernels()

    N, Z = gf.Mu.shape
    tables = mixture_tables(gf, prior, Z) if tables is None else tables
    Sinv, K, k, m, const, V = tables
    C = const.shape[0]
    Sq, H, KT, kT, c = exact_kernel_tables(tables, Z)
    Es, lse, Mq, U, R = _kernels.estep_exact_kernel(
        np.ascontiguousarray(gf.Mu), Sq, H, KT, kT, c, _CHUNK)
    iu, ku = np.triu_indices(Z)
    Mq = Mq.sum(axis=0)[:, :C]
    Mc = np.zeros((C, Z, Z))                         # sum_n r_nc mu mu^T
    Mc[:, iu, ku] = Mq.T
    Mc[:, ku, iu] = Mq.T
    Uc = U.sum(axis=0)[:, :C].T                      # sum_n r_nc mu, (C, Z)
    Rc = R.sum(axis=0)[:C]
    KU = np.einsum("cij,cj->ci", K, Uc)
    sum_ss = (np.einsum("cij,cjk,clk->il", K, Mc, K)
              + np.einsum("ci,cj->ij", KU, k) + np.einsum("ci,cj->ij", k, KU)
              + np.einsum("c,ci,cj->ij", Rc, k, k) + np.einsum("c,cij->ij", Rc, V))
    return EStep(Es=Es, sum_ss=0.5 * (sum_ss + sum_ss.T), loglik=gf.logC + lse)


# --- The M-step and the E-step kinds SpreadICA fits with -------------------------------


def m_step(Y, est):
    r"""M-step :math:`A = (\sum_n y_n\langle s_n\rangle^\top)(\sum_n\langle s_ns_n^\top\rangle)^{-1}`."""
    Gys = Y.T @ est.Es
    try:
        return np.linalg.solve(est.sum_ss.T, Gys.T).T
    except np.linalg.LinAlgError as exc:
        raise np.linalg.LinAlgError(
            "the summed posterior second moment of the sources is singular: the sources "
            "collapsed; try a larger spread"
        ) from exc


def point_mass_estep(Y, A):
    """E-step of the deterministic model (gamma = sigma = 0), square invertible A:
    the posterior is a point mass at s = A^{-1} y."""
    Es = np.linalg.solve(A, Y.T).T
    return EStep(Es=Es, sum_ss=Es.T @ Es, loglik=np.full(Y.shape[0], np.nan))


def em_update_zero_noise(A, X):
    r"""One classical EM update of the mixing matrix for noiseless ICA (:math:`\gamma = 0`).

    As :math:`\gamma \to 0` the posterior of the sources given :math:`x` collapses to the
    point mass at :math:`A^{+}x`, so with :math:`S = \frac1N\sum_n x_n x_n^\top`

    .. math:: \langle xz^\top\rangle = S A^{+\top}, \qquad
              \langle zz^\top\rangle = A^{+} S A^{+\top}, \qquad
              A_{\text{new}} = S A^{+\top}\bigl(A^{+} S A^{+\top}\bigr)^{-1}.

    For square invertible :math:`A` this is :math:`S A^{-\top} A^\top S^{-1} A = A`: EM
    does not move.  The same holds for tall :math:`A` whose columns span the data
    subspace (as :func:`pca_start`).

    Parameters
    ----------
    A : array-like of shape (n_features, n_components)
        Current mixing matrix, full column rank.
    X : array-like of shape (n_samples, n_features)
        Noise-free data (centred).

    Returns
    -------
    ndarray of shape (n_features, n_components)

    References
    ----------
    M. Zhang, P. Hayes, T. Bird, R. Habib, D. Barber, "Spread Divergence", ICML 2020,
    the deterministic ICA experiment; O. Bermond, J.-F. Cardoso, "Approximate likelihood for noisy mixtures",
    ICA 1999.

    Examples
    --------
    >>> import numpy as np
    >>> from spreadlab.ica import em_update_zero_noise
    >>> rng = np.random.default_rng(0)
    >>> X = rng.laplace(size=(500, 3)) @ rng.normal(size=(3, 3)).T
    >>> A = rng.normal(size=(3, 3))
    >>> bool(np.allclose(em_update_zero_noise(A, X), A))
    True
    """
    A = as_float_array(A, "A")
    X = as_float_array(X, "X")
    if A.ndim != 2 or X.ndim != 2 or X.shape[1] != A.shape[0] or X.shape[0] == 0:
        raise ValueError(f"A must have shape (n_features, n_components) and X (n_samples, "
                         f"n_features) with the same n_features; got A {A.shape}, X {X.shape}")
    with np.errstate(over="raise", invalid="raise"):
        try:
            Z = X @ np.linalg.pinv(A).T  # the posterior point for each x
            xz = X.T @ Z / X.shape[0]
            zz = Z.T @ Z / X.shape[0]
            return np.linalg.solve(zz.T, xz.T).T
        except (np.linalg.LinAlgError, FloatingPointError) as exc:
            raise ValueError(f"A and X: the update is undefined for these inputs ({exc}); A must "
                             "have full column rank and X moderate, finite values") from None


@dataclass(frozen=True)
class Frame:
    """The coordinates a fit works in: data ``U`` (N, Z or d), start ``P``, the map
    ``to_mixing`` back to a mixing matrix in data units, and the whitening ``K``
    (None in data coordinates)."""

    U: np.ndarray
    P: np.ndarray
    to_mixing: object
    K: np.ndarray = None


class WhitenedEStep:
    r"""Closed-form E-step in whitened coordinates (noise-free data, Laplace prior).

    The parameter is an orthogonal Q (:mod:`spreadlab.ica._whitened`); the
    spread is in source units, so the spread data are :math:`u + \sigma\epsilon`.
    """

    name = "whitened"
    slack = 0.0                     # the objective is exact: SQUAREM must be monotone

    def __init__(self, prior, *, backend, **_unused):
        self.prior, self.backend = prior, backend

    def frame(self, Xc, lam, U, A0):
        K = (U / np.sqrt(lam)).T                  # whitening, (Z, d)
        back = U * np.sqrt(lam)
        return Frame(U=Xc @ K.T, P=polar(K @ A0), to_mixing=lambda Q: back @ Q, K=K)

    def with_draws(self, rng, n_samples, n_components):
        """The E-step with its random draws (none here)."""
        return self

    project = staticmethod(polar)

    def spread(self, U, eps, sigma):
        return U + sigma * eps if sigma > 0 else U

    def trivial(self, P):
        """The orthogonal 1x1 matrices are +-1: the Procrustes EM has nothing to fit."""
        return P.shape[0] == 1

    def em_map(self, Y, P, sigma):
        """One EM update: ``(new P, mean log-likelihood at P, None)``."""
        P_new, obj = whitened_em_map(Y, P, sigma, self.prior.scale, self.backend)
        return P_new, obj, None

    def objective(self, Y, P, sigma):
        return whitened_objective(Y, P, sigma, self.prior.scale, self.backend)


class _DataEStep:
    """E-steps in data coordinates: the parameter is the mixing matrix A and the
    observation variance is ``noise**2 + (sigma * scale)**2``."""

    slack = 0.0

    def __init__(self, prior, *, backend, noise, scale, **_unused):
        self.prior, self.backend, self.noise, self.scale = prior, backend, noise, scale

    def frame(self, Xc, lam, U, A0):
        return Frame(U=Xc, P=A0, to_mixing=lambda A: A)

    def with_draws(self, rng, n_samples, n_components):
        """The E-step with its random draws (none here)."""
        return self

    project = None

    def spread(self, U, eps, sigma):
        return U + sigma * (self.scale * eps) if sigma > 0 else U

    def trivial(self, P):
        return False

    def variance(self, sigma):
        return self.noise**2 + (sigma * self.scale) ** 2

    def statistics(self, Y, A, sigma):
        raise NotImplementedError

    def em_map(self, Y, P, sigma):
        """One EM update: ``(new A or None if the objective is not finite, mean
        log-likelihood at A, (median, min) effective sample size or None)``."""
        est = self.statistics(Y, P, sigma)
        ess = None if est.ess is None else (float(np.median(est.ess)), float(np.min(est.ess)))
        obj = float(np.mean(est.loglik))
        return (None if not math.isfinite(obj) else m_step(Y, est)), obj, ess

    def objective(self, Y, P, sigma):
        return float(np.mean(self.statistics(Y, P, sigma).loglik))


class ExactEStep(_DataEStep):
    """Exact E-step of a Gaussian-mixture prior (enumerates the K**Z combinations)."""

    name = "exact"

    def statistics(self, Y, A, sigma):
        gf = gaussian_factor(Y, A, self.variance(sigma))
        if self.backend == "numba":
            return estep_exact_numba(gf, self.prior)
        return estep_exact_numpy(gf, self.prior)


class ImportanceEStep(_DataEStep):
    """Self-normalised importance sampling from the Gaussian factor (the paper's E-step),
    with common random numbers drawn once by :meth:`with_draws`."""

    name = "importance"
    # Tolerated decrease of the mean importance-sampling log-likelihood (nats per
    # sample) when accepting a SQUAREM extrapolation (Monte-Carlo slack).
    slack = 1e-3

    def __init__(self, prior, *, backend, noise, scale, n_draws, eps_ext=None, offsets=None):
        super().__init__(prior, backend=backend, noise=noise, scale=scale)
        self.n_draws, self.eps_ext, self.offsets = n_draws, eps_ext, offsets

    def with_draws(self, rng, n_samples, n_components):
        """A copy with its standard-normal pool and per-sample offsets drawn from ``rng``."""
        pool = max(8192, 8 * self.n_draws)
        eps_ext = extend_pool(rng.standard_normal((n_components, pool)), self.n_draws)
        offsets = rng.integers(0, pool, size=n_samples).astype(np.int64)
        return ImportanceEStep(self.prior, backend=self.backend, noise=self.noise,
                               scale=self.scale, n_draws=self.n_draws, eps_ext=eps_ext,
                               offsets=offsets)

    def statistics(self, Y, A, sigma):
        gf = gaussian_factor(Y, A, self.variance(sigma))
        if self.backend == "numba":
            return estep_importance_numba(gf, self.prior, self.eps_ext, self.offsets,
                                          self.n_draws)
        return estep_importance_numpy(gf, self.prior, self.eps_ext, self.offsets, self.n_draws)


# The E-step kinds by name: each is built as ``ESTEPS[name](prior, backend=, noise=, scale=,
# n_draws=)`` and answers frame, with_draws, project, spread, trivial, em_map and objective.
ESTEPS = {kind.name: kind for kind in (WhitenedEStep, ExactEStep, ImportanceEStep)}
