r"""SpreadGenerator: exact spread EM for a deterministic nonlinear generator on a latent grid."""
import math
import warnings
from numbers import Integral, Real

import numpy as np
from scipy.linalg import solve
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from . import _basis, _estep

__all__ = ["SpreadGenerator"]

# the grid resolves a spread sigma when sigma >= _FLOOR_FACTOR * (neighbour spacing of the
# node images): the ripple of a row of Gaussians is then below 2 exp(-pi^2/2) = 1.4%
_FLOOR_FACTOR = 0.5
# edges carrying this fraction of the prior mass set the grid resolution (the far tails,
# with negligible weight, would otherwise decide it)
_FLOOR_MASS = 0.9
# default spreads relative to the data scale (root mean variance per feature)
_START_FACTOR = 0.5
_END_FACTOR = 0.01
# a fit that ends below this fraction of the grid floor is reported as stalled
_STALL_FRACTION = 0.9


def _data_scale(X):
    return float(np.sqrt(np.mean(np.var(X, axis=0))))


class SpreadGenerator(TransformerMixin, BaseEstimator):
    r"""Deterministic nonlinear generator :math:`x = g_W(z)` trained by exact spread EM.

    The generator :math:`g_W(z) = W\phi(z)` (``phi``: Gaussian RBFs on a grid of
    ``n_basis`` centres per latent axis, plus linear terms and a constant, the offset
    :math:`b`) has zero likelihood for data off its manifold. Spread EM adds the same
    Gaussian noise to data and model, :math:`y = x + \sigma\epsilon`, and maximises the
    likelihood of the spread model, with the N(0, I) prior on a regular grid of nodes
    :math:`z_k` with cell-probability weights :math:`\pi_k`:

    .. math:: \tilde p(y) = \sum_k \pi_k\,\mathcal N\bigl(y; W\phi(z_k), \sigma^2 I\bigr).

    E-step: responsibilities :math:`r_{nk}\propto\pi_k\mathcal N(y_n; W\phi(z_k),\sigma^2I)`
    (exact, in log space). M-step: weighted least squares,

    .. math:: W^\top = \bigl(\Phi^\top\operatorname{diag}(\textstyle\sum_n r_{nk})\Phi
              + \lambda P\bigr)^{-1}\Phi^\top R^\top Y,

    with a small ridge :math:`\lambda` on the RBF coefficients only (``P`` selects them),
    needed because RBF columns overlap and tail nodes receive almost no responsibility.
    The spread data are re-drawn every sweep (the blog's outer loop); :math:`\sigma`
    decreases geometrically from ``spread_start`` to ``spread`` over ``anneal_iter``
    sweeps but never below what the grid resolves, half the largest distance between images
    of neighbouring nodes (over the edges carrying 90% of the prior mass), unless
    ``grid_floor=False``. Once :math:`\sigma` is frozen at its final value, the fitted
    coefficients are the average of the last ``n_iter_no_change`` M-step solutions (iterate
    averaging, Polyak & Juditsky 1992): each sweep sees a fresh spread draw, so a single M-step
    solution carries the noise of that draw (of order :math:`\sigma\sqrt{p/N}` for p
    coefficients per output); the average carries less.

    Parameters
    ----------
    n_latent : {1, 2}, default=2
        Latent dimension Z.
    n_basis : int, default=8
        RBF centres per latent axis (``n_basis**n_latent`` RBFs in all).
    n_grid : int, default=None
        Grid nodes per latent axis; ``None`` gives 200 for Z = 1 and 40 for Z = 2.
    spread : float or "auto", default="auto"
        Final spread :math:`\sigma` (data units). ``"auto"``: 1% of the data scale, so in
        practice the grid floor decides.
    spread_start : float or "auto", default="auto"
        Initial spread, ``>= spread``; ``"auto"``: half the data scale (root mean variance per
        feature), or ``spread`` if that is larger.
    anneal_iter : int, default=60
        Sweeps over which :math:`\sigma` decreases from ``spread_start`` to ``spread``.
    spread_data : bool, default=True
        Spread the data as well as the model (spread EM). ``False`` fits the noisy model to
        the raw data (noise on the model only, GTM-style), which biases the manifold.
    grid_floor : bool, default=True
        Keep :math:`\sigma` at or above the grid resolution. ``False`` is for experiments on
        :math:`\sigma\to0`; a fit that ends below the floor is reported as not converged.
    max_iter : int, default=300
        Maximum sweeps (one spread draw + one E-step + one M-step each).
    tol : float, default=1e-3
        Converged when, at the final spread, the best log-likelihood of a fixed evaluation
        draw of spread data has improved by less than ``tol`` nats per sample over the last
        ``n_iter_no_change`` sweeps.
    n_iter_no_change : int, default=10
        Also the number of final sweeps averaged into ``coef_``.
    ridge : float, default=1e-6
        Ridge on the RBF coefficients, relative to the mean diagonal of the normal matrix.
    latent_range : float, default=3.0
        Grid and RBF centres cover :math:`[-r, r]^Z`.
    backend : {"numba", "numpy"}, default="numba"
        E-step implementation (Numba compiled on first use; NumPy is the reference).
    random_state : None, int or numpy.random.Generator, default=None
        Seeds the spread noise; a fit is reproducible given it.
    verbose : bool, default=False
        tqdm progress bar.

    Attributes
    ----------
    coef_ : ndarray of shape (n_basis**n_latent + n_latent + 1, n_features)
        :math:`W^\top`: rows for the RBFs, then the linear terms, then the offset.
    nodes_ : ndarray of shape (n_nodes, n_latent)
    log_weights_ : ndarray of shape (n_nodes,)
    centres_, width_ : RBF centres and width.
    spread_ : float
        Spread at the end of the fit.
    spread_floor_ : float
        Grid resolution floor at the end of the fit.
    history_ : dict of ndarray
        Per sweep: ``"spread"``, ``"floor"`` (grid resolution floor), ``"loglik"`` (mean
        log-likelihood of that sweep's spread draw), ``"eval_loglik"`` (a fixed evaluation
        draw, once the spread is frozen; NaN before) and ``"n_eff"`` (mean effective
        number of nodes per point, :math:`1/\sum_k r_{nk}^2`).
    n_iter_ : int
    n_averaged_ : int
        Sweeps averaged into ``coef_`` (the last ones at the final spread).
    converged_ : bool
    n_features_in_ : int

    References
    ----------
    M. Zhang, P. Hayes, T. Bird, R. Habib, D. Barber, "Spread Divergence", ICML 2020,
    https://arxiv.org/abs/1811.08968, section 3.
    D. Barber, "Training models that have zero likelihood", Dec 21 2019,
    https://aiucl.github.io/spread-divergence/.
    C. M. Bishop, M. Svensén, C. K. I. Williams, "GTM: the generative topographic mapping",
    Neural Computation 10(1), 1998 (the basis and grid; noise on the model only).

    Examples
    --------
    >>> from spreadlab import SpreadGenerator, make_curve
    >>> X, _ = make_curve(400, random_state=0)
    >>> gen = SpreadGenerator(n_latent=1, random_state=0).fit(X)
    >>> bool(gen.manifold_distance(X).mean() < 0.05)
    True
    >>> gen.sample(3, random_state=0)[0].shape
    (3, 2)
    """

    _parameter_constraints = {
        "n_latent": [Interval(Integral, 1, 2, closed="both")],
        "n_basis": [Interval(Integral, 2, None, closed="left")],
        "n_grid": [Interval(Integral, 3, None, closed="left"), None],
        # spread <= 1e100: sigma^2 and the squared distances must stay representable
        "spread": [Interval(Real, 0, 1e100, closed="right"), StrOptions({"auto"})],
        "spread_start": [Interval(Real, 0, None, closed="neither"), StrOptions({"auto"})],
        "anneal_iter": [Interval(Integral, 0, None, closed="left")],
        "spread_data": ["boolean"],
        "grid_floor": ["boolean"],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "ridge": [Interval(Real, 0, None, closed="left")],
        "latent_range": [Interval(Real, 0, None, closed="neither")],
        "backend": [StrOptions({"numba", "numpy"})],
        "random_state": [None, Interval(Integral, 0, None, closed="left"), np.random.Generator],
        "verbose": ["verbose"],
    }

    def __init__(self, n_latent=2, *, n_basis=8, n_grid=None, spread="auto", spread_start="auto",
                 anneal_iter=60, spread_data=True, grid_floor=True, max_iter=300, tol=1e-3,
                 n_iter_no_change=10, ridge=1e-6, latent_range=3.0, backend="numba",
                 random_state=None, verbose=False):
        self.n_latent = n_latent
        self.n_basis = n_basis
        self.n_grid = n_grid
        self.spread = spread
        self.spread_start = spread_start
        self.anneal_iter = anneal_iter
        self.spread_data = spread_data
        self.grid_floor = grid_floor
        self.max_iter = max_iter
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.ridge = ridge
        self.latent_range = latent_range
        self.backend = backend
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------- building blocks
    def _phi(self, Z):
        return _basis.rbf_design(Z, self.centres_, self.width_)

    def _floor(self, G):
        """Grid resolution floor: _FLOOR_FACTOR x the edge length below which edges carrying
        _FLOOR_MASS of the prior mass lie."""
        Zd, n = self.n_latent, self._n_grid
        Gr = G.reshape((n,) * Zd + (G.shape[1],))
        W = np.exp(self.log_weights_).reshape((n,) * Zd)
        lengths, masses = [], []
        for axis in range(Zd):
            d = np.diff(Gr, axis=axis)
            lengths.append(np.sqrt(np.sum(d * d, axis=-1)).ravel())
            sl0 = [slice(None)] * Zd
            sl1 = [slice(None)] * Zd
            sl0[axis], sl1[axis] = slice(None, -1), slice(1, None)
            masses.append((0.5 * (W[tuple(sl0)] + W[tuple(sl1)])).ravel())
        lengths, masses = np.concatenate(lengths), np.concatenate(masses)
        order = np.argsort(lengths)
        cum = np.cumsum(masses[order]) / masses.sum()
        h = lengths[order][min(np.searchsorted(cum, _FLOOR_MASS), len(order) - 1)]
        return _FLOOR_FACTOR * float(h)

    def _mstep(self, Y, R):
        Rk = R.sum(axis=0)
        A = self._Phi_nodes.T @ (Rk[:, None] * self._Phi_nodes)
        B = self._Phi_nodes.T @ (R.T @ Y)
        n_rbf = self.centres_.shape[0]
        lam = self.ridge * np.trace(A) / A.shape[0]
        A[np.arange(n_rbf), np.arange(n_rbf)] += lam
        try:
            return solve(A, B, assume_a="pos")
        except np.linalg.LinAlgError:
            # a (numerically) singular normal matrix: fall back to least squares
            return np.linalg.lstsq(A, B, rcond=None)[0]

    # ----------------------------------------------------------------------- fit
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Fit the generator to X by spread EM.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data (data exactly on a manifold are fine).
        y : Ignored

        Returns
        -------
        self : SpreadGenerator
        """
        from threadpoolctl import threadpool_limits

        # one BLAS thread: the matrices are small, and on shared cores the hand-offs between
        # BLAS threads cost more than they save (measured 2.6x (grid EM) and 5x (VAE) on digits)
        with threadpool_limits(limits=1, user_api="blas"):
            return self._fit(X)

    def _fit(self, X):
        from tqdm.auto import tqdm

        X = validate_data(self, X, dtype=np.float64, ensure_min_samples=2)
        N, D = X.shape
        Zd = self.n_latent
        rng = np.random.default_rng(self.random_state)
        self._n_grid = self.n_grid if self.n_grid is not None else (200 if Zd == 1 else 60)
        self.nodes_, self.log_weights_, _ = _basis.latent_grid(Zd, self._n_grid, self.latent_range)
        axis = np.linspace(-self.latent_range, self.latent_range, self.n_basis)
        mesh = np.meshgrid(*([axis] * Zd), indexing="ij")
        self.centres_ = np.stack([m.ravel() for m in mesh], axis=1)
        self.width_ = float(axis[1] - axis[0])
        self._Phi_nodes = self._phi(self.nodes_)

        scale = _data_scale(X)
        if scale == 0.0:
            scale = 1.0  # constant data: any positive spread will do
        s_end = _END_FACTOR * scale if self.spread == "auto" else float(self.spread)
        if self.spread_start == "auto":
            s_start = max(_START_FACTOR * scale, s_end)
        else:
            s_start = float(self.spread_start)
            if s_start < s_end:
                raise ValueError(
                    f"spread_start must be >= spread (the schedule only decreases); got "
                    f"spread_start={self.spread_start!r} < spread={self.spread!r}")

        # PCA initialisation: the linear terms span the leading principal subspace
        mean = X.mean(axis=0)
        Xc = X - mean
        lam, U = np.linalg.eigh(Xc.T @ Xc / N)
        lam, U = lam[::-1][:Zd], U[:, ::-1][:, :Zd]
        if U.shape[1] < Zd:  # fewer features than latent dimensions
            U = np.hstack([U, np.zeros((D, Zd - U.shape[1]))])
            lam = np.concatenate([lam, np.zeros(Zd - lam.shape[0])])
        coef = np.zeros((self._Phi_nodes.shape[1], D))
        n_rbf = self.centres_.shape[0]
        coef[n_rbf:n_rbf + Zd] = (U * np.sqrt(np.maximum(lam, 0.0))).T
        coef[-1] = mean

        eps_eval = rng.standard_normal(X.shape)
        hist = {"spread": [], "floor": [], "loglik": [], "eval_loglik": [], "n_eff": []}
        best, best_at = -np.inf, 0
        self.converged_ = False
        sigma = s_start
        floor = 0.0
        final = None
        n_avg, avg, window = 0, None, []
        bar = tqdm(total=self.max_iter, disable=not self.verbose, desc="SpreadGenerator",
                   leave=False)
        try:
            with np.errstate(over="raise", invalid="raise", divide="raise"):
                for it in range(self.max_iter):
                    G = self._Phi_nodes @ coef
                    floor = self._floor(G)
                    frac = min(it / self.anneal_iter, 1.0) if self.anneal_iter > 0 else 1.0
                    if frac < 1.0:
                        target = s_start * (s_end / s_start) ** frac
                        sigma = max(target, floor) if self.grid_floor else target
                    elif final is None:
                        # the schedule ends here: sigma is frozen, so the objective is fixed
                        final = max(s_end, floor) if self.grid_floor else s_end
                        sigma = final
                    var = sigma * sigma
                    Y = X + sigma * rng.standard_normal(X.shape) if self.spread_data else X
                    R, loglik = _estep.estep(Y, G, self.log_weights_, var, self.backend)
                    coef = self._mstep(Y, R)
                    if final is not None:
                        # average of the last n_iter_no_change iterates at the frozen sigma:
                        # each sweep's fresh spread draw makes the M-step noisy, the average
                        # much less so; a window (not all iterates) forgets the early ones
                        window.append(coef)
                        if len(window) > self.n_iter_no_change:
                            window.pop(0)
                        avg = np.mean(window, axis=0)
                        n_avg = len(window)
                        # the fixed evaluation draw, scored with the averaged generator
                        Ye = X + sigma * eps_eval if self.spread_data else X
                        ll_eval = np.mean(_estep.estep(Ye, self._Phi_nodes @ avg,
                                                       self.log_weights_, var, self.backend)[1])
                    else:
                        ll_eval = np.nan
                    hist["spread"].append(sigma)
                    hist["floor"].append(floor)
                    hist["loglik"].append(float(np.mean(loglik)))
                    hist["eval_loglik"].append(float(ll_eval))
                    hist["n_eff"].append(float(np.mean(1.0 / np.sum(R * R, axis=1))))
                    bar.update(1)
                    bar.set_postfix(sigma=f"{sigma:.3g}", loglik=f"{hist['loglik'][-1]:.4f}")
                    self.n_iter_ = it + 1
                    # the stopping rule is applied only once the schedule has reached its end
                    if final is None:
                        best, best_at = -np.inf, it
                        continue
                    if hist["eval_loglik"][-1] > best + self.tol:
                        best, best_at = hist["eval_loglik"][-1], it
                    elif it - best_at >= self.n_iter_no_change:
                        self.converged_ = True
                        break
        except FloatingPointError as exc:
            raise FloatingPointError(
                f"SpreadGenerator fit failed with a floating-point fault at sweep "
                f"{len(hist['spread']) + 1} (spread {sigma:.3g}): {exc}. Standardise X or use "
                "a larger spread") from exc
        finally:
            bar.close()
        self.coef_ = avg if avg is not None else coef
        self.n_averaged_ = n_avg
        self.spread_ = float(sigma)
        self.spread_floor_ = self._floor(self._Phi_nodes @ self.coef_)
        self.history_ = {k: np.asarray(v) for k, v in hist.items()}
        self._scale = scale
        if self.spread_ < _STALL_FRACTION * self.spread_floor_:
            # below the grid resolution the responsibilities are hard and EM stalls (or
            # crawls): whatever the stopping rule says, this is not a converged fit
            self.converged_ = False
            warnings.warn(
                f"SpreadGenerator stalled rather than converged: spread {self.spread_:.3g} is "
                f"below the grid resolution {self.spread_floor_:.3g} (mean effective nodes per "
                f"point {hist['n_eff'][-1]:.2f}); responsibilities have hardened. Use "
                "grid_floor=True, a larger spread or a larger n_grid.",
                ConvergenceWarning, stacklevel=4)
        elif not self.converged_:
            warnings.warn(
                f"SpreadGenerator did not converge: max_iter={self.max_iter} sweeps ran out at "
                f"spread {self.spread_:.3g} (target {s_end:.3g}, grid floor "
                f"{self.spread_floor_:.3g}); the evaluation log-likelihood improved by more than "
                f"tol={self.tol:g} within the last {self.n_iter_no_change} sweeps. Increase "
                "max_iter or anneal faster.", ConvergenceWarning, stacklevel=4)
        return self

    # --------------------------------------------------------------- transforms
    def _check_X(self, X):
        check_is_fitted(self)
        return validate_data(self, X, dtype=np.float64, reset=False)

    def _posterior(self, X):
        G = self._Phi_nodes @ self.coef_
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            return _estep.estep(X, G, self.log_weights_, self.spread_**2, self.backend)

    def transform(self, X):
        r"""Posterior mean latent :math:`\mathbb E[z\mid y=x] = \sum_k r_k(x)\,z_k`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        Z : ndarray of shape (n_samples, n_latent)
        """
        X = self._check_X(X)
        R, _ = self._posterior(X)
        return R @ self.nodes_

    def inverse_transform(self, X):
        r"""The generator, :math:`g(z) = W\phi(z)`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_latent)
            Latent points.

        Returns
        -------
        ndarray of shape (n_samples, n_features)
        """
        check_is_fitted(self)
        Z = np.asarray(X, dtype=float)
        if Z.ndim != 2 or Z.shape[1] != self.n_latent or not np.all(np.isfinite(Z)):
            raise ValueError(f"X must be a finite array of shape (n_samples, {self.n_latent}) "
                             f"(n_latent={self.n_latent}); got shape {Z.shape}")
        return self._phi(Z) @ self.coef_

    def sample(self, n_samples=1, random_state=None):
        r"""Exact samples of the deterministic generator: :math:`z\sim\mathcal N(0,I)`, :math:`x=g(z)`.

        The latent draws are continuous (not grid nodes), so every sample lies exactly on the
        fitted manifold.

        Parameters
        ----------
        n_samples : int, default=1
        random_state : None, int or numpy.random.Generator, default=None

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
        Z : ndarray of shape (n_samples, n_latent)
        """
        check_is_fitted(self)
        if isinstance(n_samples, bool) or not isinstance(n_samples, Integral) or n_samples < 1:
            raise ValueError(f"n_samples must be a positive integer; got n_samples={n_samples!r}")
        Z = np.random.default_rng(random_state).standard_normal((n_samples, self.n_latent))
        return self._phi(Z) @ self.coef_, Z

    def score_samples(self, X):
        r"""Log-density of the spread model at X, :math:`\log\tilde p(x)` (no noise added).

        Off the manifold this falls like :math:`-d^2/2\sigma^2` in the distance :math:`d`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        X = self._check_X(X)
        return self._posterior(X)[1]

    def spread_log_likelihood(self, X, spread=None, random_state=None):
        r"""Exact (on the grid) :math:`\log\tilde p(y)` of spread data :math:`y = x+\sigma\epsilon`.

        .. math:: \log\tilde p(y) = \operatorname{logsumexp}_k\Bigl[\log\pi_k
                  - \frac{\|y-g(z_k)\|^2}{2\sigma^2}\Bigr] - \frac D2\log(2\pi\sigma^2)

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        spread : float, default=None
            :math:`\sigma`; ``None`` uses ``spread_``. Below ``spread_floor_`` the grid
            mixture no longer stands for the continuous model.
        random_state : None, int or numpy.random.Generator, default=None
            Seeds the spread draw.

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        X = self._check_X(X)
        sigma = self.spread_ if spread is None else spread
        if isinstance(sigma, bool) or not (isinstance(sigma, Real) and math.isfinite(sigma)
                                           and sigma > 0):
            raise ValueError(f"spread must be a finite float > 0; got spread={spread!r}")
        Y = X + sigma * np.random.default_rng(random_state).standard_normal(X.shape)
        G = self._Phi_nodes @ self.coef_
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            return _estep.estep(Y, G, self.log_weights_, sigma**2, self.backend)[1]

    def score(self, X, y=None):
        r"""Mean spread log-likelihood :math:`\frac1N\sum_n\log\tilde p(x_n+\sigma\epsilon_n)`.

        One spread draw per point at ``spread_``, seeded by ``random_state`` (so repeated
        calls agree); see :meth:`spread_log_likelihood`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : Ignored

        Returns
        -------
        float
        """
        seed = self.random_state if not isinstance(self.random_state, np.random.Generator) else 0
        return float(np.mean(self.spread_log_likelihood(X, random_state=seed)))

    def manifold_distance(self, X, n_search=None):
        r"""Distance of each point to the fitted manifold, :math:`\min_z\|x - g(z)\|`.

        Minimised over :math:`z\in[-r, r]^Z` by a search on a fine grid followed by
        projected Gauss--Newton steps with the analytic Jacobian of :math:`\phi`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        n_search : int, default=None
            Search grid per axis (``None``: 2000 for Z = 1, 120 for Z = 2).

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        X = self._check_X(X)
        Zd, r = self.n_latent, self.latent_range
        n = n_search or (2000 if Zd == 1 else 120)
        axis = np.linspace(-r, r, n)
        mesh = np.meshgrid(*([axis] * Zd), indexing="ij")
        S = np.stack([m.ravel() for m in mesh], axis=1)
        GS = self._phi(S) @ self.coef_
        g2 = np.sum(GS * GS, axis=1)
        z = np.empty((X.shape[0], Zd))
        for s in range(0, X.shape[0], 256):
            xb = X[s:s + 256]
            d2 = g2[None, :] - 2.0 * xb @ GS.T
            z[s:s + 256] = S[np.argmin(d2, axis=1)]
        n_rbf = self.centres_.shape[0]
        Wr, Wl = self.coef_[:n_rbf], self.coef_[n_rbf:n_rbf + Zd]
        for _ in range(8):
            diff = z[:, None, :] - self.centres_[None, :, :]            # (N, M, Z)
            e = np.exp(-0.5 * np.sum(diff * diff, axis=2) / self.width_**2)  # (N, M)
            res = self._phi(z) @ self.coef_ - X                         # (N, D)
            # J[n, :, i] = sum_m Wr[m] * e[n,m] * (-(z-c)_i/h^2) + Wl[i]
            J = np.einsum("nm,nmi,md->ndi", e, -diff / self.width_**2, Wr) + Wl.T[None]
            JtJ = np.einsum("ndi,ndj->nij", J, J) + 1e-9 * np.eye(Zd)
            step = np.linalg.solve(JtJ, np.einsum("ndi,nd->ni", J, res)[..., None])[..., 0]
            z_new = np.clip(z - step, -r, r)
            better = (np.sum((self._phi(z_new) @ self.coef_ - X) ** 2, axis=1)
                      < np.sum(res * res, axis=1))
            z[better] = z_new[better]
        return np.sqrt(np.sum((self._phi(z) @ self.coef_ - X) ** 2, axis=1))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64"]
        tags.non_deterministic = False
        return tags
