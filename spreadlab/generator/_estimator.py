r"""SpreadGenerator: exact spread EM for a deterministic nonlinear generator on a latent grid."""
import math
from numbers import Integral, Real

import numpy as np
from scipy.linalg import solve
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from .._trainer import (PlainNumbersMixin, Progress, Tracker, as_generator, fit_guard, score_seed,
                        warn_not_converged)
from . import _basis, _estep, _metrics

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
# the N(0, 1) mass beyond 20 is 2.8e-89: a wider grid only adds nodes of zero weight; below
# 1e-3 the cell masses of a fine grid (differences of normal CDFs near 1/2) and the squared
# RBF width lose their digits (1e-300 made the width's square 0: a division by zero)
_MAX_LATENT_RANGE = 20.0
_MIN_LATENT_RANGE = 1e-3
# smallest spread: sigma^2 stays a positive normal float
_MIN_SPREAD = 1e-150
# budgets, refused up front: grid nodes, entries of the node design matrix, basis functions
# (the M-step solves a system of that size), and entries of the spread draws
_MAX_NODES = 2**20
_MAX_DESIGN = 2**26
_MAX_BASIS = 4096
_MAX_DRAW_ENTRIES = 2**26
# data beyond this magnitude overflow squared distances and covariances
_MAX_ABS_X = 1e100


class _Squarem:
    """SQUAREM (Varadhan & Roland 2008, scheme S3) over single EM sweeps, as a state machine.

    ``query`` is the generator to score next; :meth:`update` takes its objective and its EM
    image. A cycle scores theta0 and theta1 = F(theta0), then the extrapolation
    theta0 - 2 alpha r + alpha^2 v (r = theta1 - theta0, v = F(theta1) - theta1 - r,
    alpha = -|r|/|v| <= -1); it is kept (its EM image starts the next cycle) only if its
    objective is at least that of theta1, otherwise the next cycle starts from F(theta1):
    with a fixed objective (common random numbers) this keeps the fit monotone in the
    scored iterates while cutting the slow crawl of plain EM.
    """

    def __init__(self, theta):
        self.query, self.phase, self.extrapolated = theta, 0, False

    def update(self, obj, mapped):
        if self.phase == 0:
            self.t0, self.t1, self.query, self.phase = self.query, mapped, mapped, 1
        elif self.phase == 1:
            self.t2, self.obj1 = mapped, obj
            r = self.t1 - self.t0
            v = mapped - self.t1 - r
            nv = float(np.linalg.norm(v))
            if nv == 0.0 or not np.isfinite(nv):
                self.query, self.phase = mapped, 0
                return
            alpha = min(-float(np.linalg.norm(r)) / nv, -1.0)
            self.query = self.t0 - 2.0 * alpha * r + alpha * alpha * v
            self.phase, self.extrapolated = 2, True
        else:
            self.query = mapped if obj >= self.obj1 else self.t2
            self.phase, self.extrapolated = 0, False

    def reject(self):
        self.query, self.phase, self.extrapolated = self.t2, 0, False


def _data_scale(X):
    return float(np.sqrt(np.mean(np.var(X, axis=0))))


class _Grid:
    """The latent grid of a fit: nodes and their prior log-weights, RBF centres and width, and
    the design matrix at the nodes -- everything the E-step, the M-step and the grid floor read."""

    def __init__(self, n_latent, n_grid, n_basis, latent_range):
        self.n_latent, self.n_grid = n_latent, n_grid
        self.nodes, self.log_weights, _ = _basis.latent_grid(n_latent, n_grid, latent_range)
        axis = np.linspace(-latent_range, latent_range, n_basis)
        mesh = np.meshgrid(*([axis] * n_latent), indexing="ij")
        self.centres = np.stack([m.ravel() for m in mesh], axis=1)
        self.width = float(axis[1] - axis[0])
        self.n_rbf = self.centres.shape[0]
        self.Phi = _basis.rbf_design(self.nodes, self.centres, self.width)

    def floor(self, G):
        """Grid resolution floor of the node images G: _FLOOR_FACTOR x the edge length below
        which edges carrying _FLOOR_MASS of the prior mass lie."""
        Zd, n = self.n_latent, self.n_grid
        Gr = G.reshape((n,) * Zd + (G.shape[1],))
        W = np.exp(self.log_weights).reshape((n,) * Zd)
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

    def mstep(self, Rk, RtY, ridge):
        """Weighted least squares for W^T from the node responsibilities Rk and R^T Y, with
        the ridge (relative to the mean diagonal) on the RBF coefficients only."""
        A = self.Phi.T @ (Rk[:, None] * self.Phi)
        B = self.Phi.T @ RtY
        lam = ridge * np.trace(A) / A.shape[0]
        A[np.arange(self.n_rbf), np.arange(self.n_rbf)] += lam
        try:
            return solve(A, B, assume_a="pos")
        except np.linalg.LinAlgError:
            # a (numerically) singular normal matrix: fall back to least squares
            return np.linalg.lstsq(A, B, rcond=None)[0]


def _pca_start(X, grid):
    """Initial W^T: the linear terms span the leading principal subspace, the offset is the mean."""
    N, D = X.shape
    Zd = grid.n_latent
    mean = X.mean(axis=0)
    Xc = X - mean
    lam, U = np.linalg.eigh(Xc.T @ Xc / N)
    lam, U = lam[::-1][:Zd], U[:, ::-1][:, :Zd]
    if U.shape[1] < Zd:  # fewer features than latent dimensions
        U = np.hstack([U, np.zeros((D, Zd - U.shape[1]))])
        lam = np.concatenate([lam, np.zeros(Zd - lam.shape[0])])
    coef = np.zeros((grid.Phi.shape[1], D))
    coef[grid.n_rbf:grid.n_rbf + Zd] = (U * np.sqrt(np.maximum(lam, 0.0))).T
    coef[-1] = mean
    return coef


def _annealed_spread(it, s_start, s_end, anneal_iter):
    """Target spread of sweep ``it`` on the geometric schedule, or None once it has ended."""
    frac = min(it / anneal_iter, 1.0) if anneal_iter > 0 else 1.0
    return s_start * (s_end / s_start) ** frac if frac < 1.0 else None


class _Plateau:
    """The stopping rule on one draw set at the final spread: the best generator scored so far
    (a :class:`~spreadlab._trainer.Tracker`, whose ``best_params`` is ``(coef, sweep)``) and the
    clock, the sweep of the last gain above ``tol``; ``best`` carries over the best generator of
    the previous draw set until this one scores one."""

    def __init__(self, tol, patience, start, best=None):
        self.tracker = Tracker(maximize=True)
        self.tracker.best_params = best
        self.tol, self.patience, self.since = tol, patience, start

    def record(self, obj, coef, it):
        """Score sweep ``it``'s generator; True once ``patience`` sweeps passed without a gain
        above ``tol`` (a gain below ``tol`` keeps the generator but does not reset the clock)."""
        if obj > self.tracker.best_value + self.tol:
            self.since = it
        self.tracker.observe(obj, (coef, it))
        return it - self.since >= self.patience

    @property
    def best(self):
        return self.tracker.best_value


class _Sweeps:
    """State of a spread-EM run, read by the error message of a fault and by ``fit`` after it."""

    def __init__(self, coef, sigma):
        self.coef, self.sigma, self.n_draws, self.n_iter = coef, sigma, 1, 0
        self.plateau, self.status = None, "max_iter"
        self.history = {"spread": [], "floor": [], "loglik": [], "n_draws": [], "n_eff": []}

    def result(self):
        """``(coef, sweep)`` returned: the best generator on the final draw set, or the last one
        if the schedule never ended."""
        if self.plateau is not None:
            return self.plateau.tracker.best_params
        return self.coef, self.n_iter - 1


class SpreadGenerator(PlainNumbersMixin, TransformerMixin, BaseEstimator):
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
    The spread data :math:`y = x + \sigma\epsilon` use common random numbers: the noise
    draws :math:`\epsilon` are drawn once and only rescaled as :math:`\sigma` changes, so the
    objective of every sweep is a fixed function of the parameters and EM increases it
    monotonically. :math:`\sigma` decreases geometrically from ``spread_start`` to ``spread``
    over ``anneal_iter`` sweeps (a path from large to small spread, which smooths the
    objective early on) but never below what the grid resolves, half the largest distance
    between images of neighbouring nodes (over the edges carrying 90% of the prior mass),
    unless ``grid_floor=False``. Once :math:`\sigma` is frozen at its final value, the number
    of spread draws per data point doubles, from 1 up to ``n_draws``, each time the objective
    settles (improves by less than ``tol`` over ``n_iter_no_change`` sweeps): the fit settles
    first on a cheap, noisy sample of the spread data and is then refined on a larger one, so
    the Monte Carlo error of the fitted generator (of order :math:`\sigma\sqrt{p/(NM)}` for
    p coefficients per output and M draws) shrinks as the fit settles. ``coef_`` is the best
    iterate on the final draw set (each sweep evaluates the objective of the generator
    before its M-step, so the returned generator is the one that was scored).

    Parameters
    ----------
    n_latent : {1, 2}, default=2
        Latent dimension Z.
    n_basis : int, default=8
        RBF centres per latent axis (``n_basis**n_latent`` RBFs in all).
    n_grid : int, default=None
        Grid nodes per latent axis; ``None`` gives 200 for Z = 1 and 60 for Z = 2.
    spread : float or "auto", default="auto"
        Final spread :math:`\sigma` (data units, 1e-150 to 1e100). ``"auto"``: 1% of the data
        scale, so in practice the grid floor decides.
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
        Converged when, at the final spread and with ``n_draws`` draws per point, the mean
        log-likelihood of the (fixed) spread data has improved by less than ``tol`` nats per
        sample over the last ``n_iter_no_change`` sweeps and the last sweep is within ``tol``
        of the best one. A fit that runs out of sweeps, or whose objective fell more than
        ``tol`` below its best, is not converged.
    n_iter_no_change : int, default=10
        Sweeps over which the objective must improve by more than ``tol``.
    n_draws : int, default=16
        Spread draws per data point at the final spread (common random numbers, fixed for
        the whole fit; 1 draw during the annealing). Ignored with ``spread_data=False``.
    accelerate : bool, default=True
        At the final spread, accelerate EM by SQUAREM (Varadhan & Roland 2008): plain EM
        crawls along the flat directions of the likelihood (hundreds of sweeps on a curve);
        the extrapolated steps are kept only when they do not lower the objective.
    ridge : float, default=1e-6
        Ridge on the RBF coefficients, relative to the mean diagonal of the normal matrix.
    latent_range : float, default=3.0
        Grid and RBF centres cover :math:`[-r, r]^Z`, and the prior is N(0, I) truncated to
        it; from 1e-3 to 20 (the N(0, 1) mass beyond 20 is below 1e-88).
    backend : {"numba", "numpy"}, default="numba"
        E-step implementation (Numba compiled on first use; NumPy is the reference).
    random_state : None, int >= 0, numpy.random.Generator or RandomState, default=None
        Seeds the spread noise; a fit is reproducible given an int (the package's one
        random-state policy, :ref:`random-state`).
    verbose : bool, default=False
        tqdm progress bar.

    Attributes
    ----------
    coef_ : ndarray of shape (n_basis**n_latent + n_latent + 1, n_features)
        :math:`W^\top`: rows for the RBFs, then the linear terms, then the offset.
    nodes_ : ndarray of shape (n_nodes, n_latent)
    node_images_ : ndarray of shape (n_nodes, n_features)
        The generator at the grid nodes, :math:`g(z_k)` (the means of the spread mixture).
    log_weights_ : ndarray of shape (n_nodes,)
    centres_, width_ : RBF centres and width.
    spread_ : float
        Spread at the end of the fit.
    spread_floor_ : float
        Grid resolution floor at the end of the fit.
    history_ : dict of ndarray
        Per sweep: ``"spread"``, ``"floor"`` (grid resolution floor), ``"loglik"`` (mean
        log-likelihood of that sweep's spread data under the generator before its M-step),
        ``"n_draws"`` (spread draws per point) and ``"n_eff"`` (mean effective number of
        nodes per point, :math:`1/\sum_k r_{nk}^2`).
    n_iter_ : int
    best_iter_ : int
        Sweep (0-based) whose generator is ``coef_``.
    n_draws_ : int
        Spread draws per point at the end of the fit.
    converged_ : bool
    stop_reason_ : str
        Why the fit stopped, in words (the :class:`~sklearn.exceptions.ConvergenceWarning`'s
        message when it did not converge).
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
        # 1e-150 <= spread <= 1e100: sigma^2 must be a positive normal float (1e-300 made
        # 0.5 / sigma^2 a ZeroDivisionError) and the squared distances must stay representable
        "spread": [Interval(Real, _MIN_SPREAD, 1e100, closed="both"), StrOptions({"auto"})],
        "spread_start": [Interval(Real, _MIN_SPREAD, 1e100, closed="both"), StrOptions({"auto"})],
        "anneal_iter": [Interval(Integral, 0, None, closed="left")],
        "spread_data": ["boolean"],
        "grid_floor": ["boolean"],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        # tol and ridge <= 1e100: they are added to and multiplied with finite floats
        "tol": [Interval(Real, 0, 1e100, closed="both")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "n_draws": [Interval(Integral, 1, None, closed="left")],
        "accelerate": ["boolean"],
        "ridge": [Interval(Real, 0, 1e100, closed="both")],
        "latent_range": [Interval(Real, _MIN_LATENT_RANGE, _MAX_LATENT_RANGE, closed="both")],
        "backend": [StrOptions({"numba", "numpy"})],
        "random_state": ["random_state", np.random.Generator],
        "verbose": ["verbose"],
    }

    def __init__(self, n_latent=2, *, n_basis=8, n_grid=None, spread="auto", spread_start="auto",
                 anneal_iter=60, spread_data=True, grid_floor=True, max_iter=300, tol=1e-3,
                 n_iter_no_change=10, n_draws=16, accelerate=True, ridge=1e-6, latent_range=3.0, backend="numba",
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
        self.n_draws = n_draws
        self.accelerate = accelerate
        self.ridge = ridge
        self.latent_range = latent_range
        self.backend = backend
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------- building blocks
    def _phi(self, Z):
        return _basis.rbf_design(Z, self.centres_, self.width_)

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
        X = validate_data(self, X, dtype=np.float64, ensure_min_samples=2)
        n_grid = self._check_budget(X)
        s_start, s_end = self._spread_range(X)
        rng = as_generator(self.random_state)
        grid = _Grid(self.n_latent, n_grid, self.n_basis, self.latent_range)
        # common random numbers: every spread draw is fixed for the whole fit and only
        # rescaled by sigma, so each sweep's objective is a fixed function of the generator
        eps = rng.standard_normal((self.n_draws,) + X.shape) if self.spread_data else None
        run = _Sweeps(_pca_start(X, grid), s_start)
        # one BLAS thread: the matrices are small, and on shared cores the hand-offs between
        # BLAS threads cost more than they save (measured 2.6x (grid EM) and 5x (VAE) on digits)
        with fit_guard("SpreadGenerator",
                       where=lambda: (f"at sweep {len(run.history['spread']) + 1} "
                                      f"(spread {run.sigma:.3g})"),
                       advice="standardise X or use a larger spread"), \
                Progress(self.max_iter, "SpreadGenerator", self.verbose) as bar:
            self._spread_em(X, eps, grid, run, s_start, s_end, bar)
        self.nodes_, self.log_weights_ = grid.nodes, grid.log_weights
        self.centres_, self.width_ = grid.centres, grid.width
        self.coef_, self.best_iter_ = run.result()
        self.node_images_ = grid.Phi @ self.coef_
        self.n_iter_, self.n_draws_, self.spread_ = run.n_iter, run.n_draws, float(run.sigma)
        self.spread_floor_ = grid.floor(self.node_images_)
        self.history_ = {k: np.asarray(v) for k, v in run.history.items()}
        self.converged_, self.stop_reason_ = self._verdict(run, s_end)
        if not self.converged_:
            warn_not_converged(self.stop_reason_, stacklevel=4)
        return self

    def _check_budget(self, X):
        """Refuse, before allocating anything, a grid, basis or draw set beyond the budgets."""
        N, D = X.shape
        for name in ("n_basis", "n_grid", "anneal_iter", "max_iter", "n_iter_no_change", "n_draws"):
            if isinstance(getattr(self, name), (bool, np.bool_)):
                # scikit-learn's Interval(Integral) lets bools through (n_draws=True crashed
                # with an unnamed "an integer is required")
                raise TypeError(f"{name} must be an integer, not a bool; got {name}={getattr(self, name)!r}")
        Zd = self.n_latent
        n_grid = self.n_grid if self.n_grid is not None else (200 if Zd == 1 else 60)
        n_nodes = n_grid**Zd
        n_coef = self.n_basis**Zd + Zd + 1
        if n_coef > _MAX_BASIS:
            raise ValueError(
                f"n_basis={self.n_basis!r} gives {n_coef} basis functions for n_latent={Zd}; "
                f"the budget is {_MAX_BASIS} (the M-step solves a system of that size)")
        if n_nodes > _MAX_NODES or n_nodes * n_coef > _MAX_DESIGN:
            raise ValueError(
                f"n_grid={n_grid!r} gives n_grid**n_latent = {n_nodes} grid nodes with "
                f"{n_coef} basis functions each; the budget is {_MAX_NODES} nodes and "
                f"{_MAX_DESIGN} design-matrix entries (memory and E-step time grow with both)")
        draws = self.n_draws if self.spread_data else 1
        if draws * N * D > _MAX_DRAW_ENTRIES:
            raise ValueError(
                f"n_draws={self.n_draws!r} spread draws of {N} x {D} data need {draws * N * D} "
                f"numbers; the budget is {_MAX_DRAW_ENTRIES}: lower n_draws")
        big = float(np.max(np.abs(X)))
        if big > _MAX_ABS_X:
            raise ValueError(
                f"X must have entries of magnitude <= {_MAX_ABS_X:g} (squared distances and "
                f"covariances must stay finite); got max |X| = {big:.3g}: rescale X")
        return n_grid

    def _spread_range(self, X):
        """``(spread_start, spread)`` in data units, resolving ``"auto"`` from the data scale."""
        scale = _data_scale(X)
        if scale == 0.0:
            scale = 1.0  # constant data: any positive spread will do
        s_end = _END_FACTOR * scale if self.spread == "auto" else float(self.spread)
        if self.spread_start == "auto":
            return max(_START_FACTOR * scale, s_end), s_end
        s_start = float(self.spread_start)
        if s_start < s_end:
            raise ValueError(
                f"spread_start must be >= spread (the schedule only decreases); got "
                f"spread_start={self.spread_start!r} < spread={self.spread!r}")
        return s_start, s_end

    def _spread_em(self, X, eps, grid, run, s_start, s_end, bar):
        """Spread-EM sweeps from ``run.coef``, updating ``run`` (a :class:`_Sweeps`).

        Each sweep sets the spread (annealed, then frozen: from then on the objective is fixed
        and the :class:`_Plateau` rule, SQUAREM and the doubling of the draws run), scores the
        generator by an exact E-step on the spread data and maps it by the M-step.
        """
        D = X.shape[1]
        n_draws = self.n_draws if self.spread_data else 1
        sq, coef = None, run.coef
        for it in range(self.max_iter):
            coef = sq.query if sq is not None else coef
            G = grid.Phi @ coef
            floor = grid.floor(G)
            target = _annealed_spread(it, s_start, s_end, self.anneal_iter)
            if target is not None:
                run.sigma = max(target, floor) if self.grid_floor else target
            elif run.plateau is None:
                # the schedule ends here: sigma is frozen, so the objective is fixed
                run.sigma = max(s_end, floor) if self.grid_floor else s_end
                run.plateau = _Plateau(self.tol, self.n_iter_no_change, start=it)
                sq = _Squarem(coef) if self.accelerate else None
            sigma, m = run.sigma, run.n_draws
            Y = (X[None] + sigma * eps[:m]).reshape(-1, D) if self.spread_data else X
            try:
                Rk, RtY, loglik, n_eff = _estep.estep_stats(Y, G, grid.log_weights,
                                                            sigma * sigma, self.backend)
            except FloatingPointError:
                if sq is None or not sq.extrapolated:
                    raise
                sq.reject()  # an extrapolated step overflowed: continue from plain EM
                continue
            obj = float(np.mean(loglik))
            for key, value in zip(run.history, (sigma, floor, obj, m, n_eff)):
                run.history[key].append(value)
            bar.update(sigma=f"{sigma:.3g}", loglik=f"{obj:.4f}", draws=m)
            run.n_iter = it + 1
            # `coef` is the generator just scored, so the best one is kept exactly
            if run.plateau is not None and run.plateau.record(obj, coef, it):
                if obj < run.plateau.best - self.tol and sq is None:
                    run.status = "diverged"   # plain EM fell below its best
                    return
                if m == n_draws:
                    run.status = "converged"
                    return
                # settled on m draws: double them (the first m are kept) and restart from the
                # best generator
                run.n_draws = min(2 * m, n_draws)
                coef = run.plateau.tracker.best_params[0]
                run.plateau = _Plateau(self.tol, self.n_iter_no_change, start=it + 1,
                                       best=run.plateau.tracker.best_params)
                sq = _Squarem(coef) if self.accelerate else None
                continue
            mapped = grid.mstep(Rk, RtY, self.ridge)
            if sq is not None:
                sq.update(obj, mapped)
            else:
                coef = mapped
            run.coef = coef

    def _verdict(self, run, s_end):
        """``(converged, reason)`` of a finished run (the reason is the warning's message)."""
        hist = run.history
        if self.spread_ < _STALL_FRACTION * self.spread_floor_:
            # below the grid resolution the responsibilities are hard and EM stalls (or
            # crawls): whatever the stopping rule says, this is not a converged fit
            return False, (
                f"SpreadGenerator stalled rather than converged: spread {self.spread_:.3g} is "
                f"below the grid resolution {self.spread_floor_:.3g} (mean effective nodes per "
                f"point {hist['n_eff'][-1]:.2f}); responsibilities have hardened. Use "
                "grid_floor=True, a larger spread or a larger n_grid.")
        if run.status == "converged":
            return True, (f"the log-likelihood improved by less than tol={self.tol:g} over "
                          f"{self.n_iter_no_change} sweeps at spread {self.spread_:.3g} with "
                          f"n_draws={self.n_draws_} spread draws per point")
        if run.status == "diverged":
            return False, (
                f"SpreadGenerator did not converge: the objective fell to "
                f"{hist['loglik'][-1]:.6g}, "
                f"more than tol={self.tol:g} below its best {run.plateau.best:.6g} (sweep "
                f"{self.best_iter_}); the best generator is returned.")
        n_draws = self.n_draws if self.spread_data else 1
        return False, (
            f"SpreadGenerator did not converge: max_iter={self.max_iter} sweeps ran out at "
            f"spread {self.spread_:.3g} (target {s_end:.3g}, grid floor "
            f"{self.spread_floor_:.3g}) with {self.n_draws_} of n_draws={n_draws} spread draws per "
            f"point; the log-likelihood improved by more than tol={self.tol:g} within the last "
            f"{self.n_iter_no_change} sweeps or the schedule had not ended. Increase "
            "max_iter or anneal faster.")

    # --------------------------------------------------------------- transforms
    def _check_X(self, X):
        check_is_fitted(self)
        return validate_data(self, X, dtype=np.float64, reset=False)

    def _posterior(self, X):
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            return _estep.estep(X, self.node_images_, self.log_weights_, self.spread_**2, self.backend)

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
        r"""Exact samples of the deterministic generator on the latent range it was fitted on.

        :math:`z` is drawn from the prior of the fit, N(0, I) *truncated* to
        :math:`[-r, r]^Z` (``r = latent_range``; each coordinate by inversion of the normal
        CDF restricted to :math:`[\Phi(-r), \Phi(r)]`), and :math:`x = g(z)`. Truncation,
        not clipping: the grid the generator was fitted on covers only :math:`[-r, r]^Z`, so
        beyond it the basis extrapolates (far off the data), while clipping would pile the
        tail mass onto the boundary. The draws are continuous (not grid nodes), so every
        sample lies exactly on the fitted manifold.

        Parameters
        ----------
        n_samples : int, default=1
        random_state : None, int >= 0, numpy.random.Generator or RandomState, default=None

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
        Z : ndarray of shape (n_samples, n_latent)
            Latent draws, all in :math:`[-r, r]^Z`.
        """
        from scipy.stats import truncnorm

        check_is_fitted(self)
        if isinstance(n_samples, bool) or not isinstance(n_samples, Integral) or n_samples < 1:
            raise ValueError(f"n_samples must be a positive integer; got n_samples={n_samples!r}")
        n_out = max(self.coef_.shape[1], self.n_latent)
        if n_samples * n_out > _MAX_DRAW_ENTRIES:
            raise ValueError(
                f"n_samples={n_samples!r} samples of {n_out} numbers exceed the budget of "
                f"{_MAX_DRAW_ENTRIES} numbers; draw them in batches")
        r = float(self.latent_range)
        Z = truncnorm.rvs(-r, r, size=(int(n_samples), self.n_latent),
                          random_state=as_generator(random_state))
        Z = np.clip(Z, -r, r)  # guards the last ulp of the inversion; truncnorm stays inside
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
            :math:`\sigma` in [1e-150, 1e100]; ``None`` uses ``spread_``. Below
            ``spread_floor_`` the grid mixture no longer stands for the continuous model.
        random_state : None, int >= 0, numpy.random.Generator or RandomState, default=None
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
        if not _MIN_SPREAD <= sigma <= 1e100:
            # sigma^2 must be a positive normal float: 1e-300 divided by zero, 1e300 overflowed
            raise ValueError(f"spread must be in [{_MIN_SPREAD:g}, 1e100]; got spread={spread!r}")
        Y = X + sigma * as_generator(random_state).standard_normal(X.shape)
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            return _estep.estep(Y, self.node_images_, self.log_weights_, sigma**2, self.backend)[1]

    def score(self, X, y=None):
        r"""Mean spread log-likelihood :math:`\frac1N\sum_n\log\tilde p(x_n+\sigma\epsilon_n)`.

        One spread draw per point at ``spread_``, from a fresh generator seeded by
        ``random_state`` when it is an int (by 0 otherwise), so repeated calls agree and a
        shared generator is never advanced; see :meth:`spread_log_likelihood`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : Ignored

        Returns
        -------
        float
        """
        return float(np.mean(self.spread_log_likelihood(X, random_state=score_seed(self.random_state))))

    def manifold_distance(self, X, n_search=None):
        r"""Distance of each point to the fitted manifold, :math:`\min_z\|x - g(z)\|`.

        Minimised over :math:`z\in[-r, r]^Z` (``r = latent_range``, the box the generator
        was fitted on) by :func:`~spreadlab.distance_to_manifold` with the fitted
        generator :meth:`inverse_transform`: a search on a regular latent grid, then damped
        Gauss--Newton steps, each kept only if it lowers the distance.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        n_search : int, default=None
            Search-grid nodes per axis, >= 2 and at most 2**20 for Z = 1, 1024 for Z = 2
            (``None``: 2000 for Z = 1, 120 for Z = 2). A finer search finds the right basin
            where the fitted manifold folds back close to itself.

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        X = self._check_X(X)
        if n_search is None:
            n_search = 2000 if self.n_latent == 1 else 120
        return _metrics._distance(X, lambda Z: self._phi(Z) @ self.coef_, self.n_latent,
                                  float(self.latent_range), n_search, 30)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64"]
        tags.non_deterministic = False
        return tags
