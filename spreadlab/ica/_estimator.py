"""SpreadICA: EM for linear ICA with spread noise (works for noise-free data)."""
import math
import numbers
import warnings

import numpy as np

from . import _estep
from ._priors import GaussianMixturePrior, LaplacePrior, get_prior

__all__ = ["SpreadICA", "ConvergenceWarning", "auto_spread"]


class ConvergenceWarning(UserWarning):
    """EM stopped at ``max_iter`` before meeting its stopping rule."""


_ESTEPS = ("auto", "importance", "exact")
_ACCELERATIONS = ("squarem", None)
_BACKENDS = ("numba", "numpy")
# Largest number of component combinations K**Z the exact E-step enumerates.
_MAX_EXACT_COMBINATIONS = 729
_AUTO_SPREAD_FACTOR = 0.35
# Stopping tolerance of the intermediate stages of the spread schedule.
_STAGE_TOL = 1e-3
# Tolerated decrease of the mean importance-sampling log-likelihood (nats per
# sample) when accepting a SQUAREM extrapolation.
_IS_SLACK = 1e-3


def auto_spread(X, n_components):
    r"""Default spread :math:`\sigma` chosen from the scale of the data.

    .. math:: \sigma = 0.35\,\sqrt{\bar\lambda},\qquad
              \bar\lambda = \tfrac1Z\textstyle\sum_{k\le Z}\lambda_k,

    where :math:`\lambda_k` are the Z largest eigenvalues of the data
    covariance (for unit-variance sources, the eigenvalues of
    :math:`A^\top A`).  The posterior of the sources then has a standard
    deviation of about 0.35 prior standard deviations along an average
    direction: wide enough that EM moves quickly (EM freezes as the
    posterior collapses), narrow enough that the spread data keep most
    of the information about :math:`A`.  Invariant to rescaling the data
    (``auto_spread(c X) = |c| auto_spread(X)``).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    n_components : int

    Returns
    -------
    float

    Examples
    --------
    >>> import numpy as np
    >>> from spreadlab.ica import auto_spread, make_ica_data
    >>> X, A, _ = make_ica_data(2000, 6, 3, random_state=0)
    >>> s = auto_spread(X, 3)
    >>> bool(np.isclose(auto_spread(10 * X, 3), 10 * s))
    True
    """
    X = np.asarray(X, dtype=float)
    Xc = X - X.mean(axis=0)
    lam = np.linalg.eigvalsh(Xc.T @ Xc / Xc.shape[0])[::-1][:n_components]
    return float(_AUTO_SPREAD_FACTOR * math.sqrt(max(lam.mean(), 0.0)))


def _is_real(x):
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


class SpreadICA:
    r"""Linear ICA by (spread) EM, for noise-free or noisy data.

    Model: :math:`x = A s + \gamma\epsilon` with independent unit-variance
    sources :math:`s_i\sim p` and ``noise`` :math:`\gamma\ge 0`.  Classical
    EM for this model freezes as :math:`\gamma\to 0` (with square invertible
    :math:`A` the M-step :math:`A\leftarrow\langle xs^\top\rangle\langle
    ss^\top\rangle^{-1}` returns :math:`A` unchanged).  Spread EM adds
    Gaussian noise of standard deviation :math:`\sigma` (``spread``) to the
    data *and* the model, :math:`y = x + \sigma\epsilon`, and maximises the
    likelihood of the spread model

    .. math:: \tilde p(y) = \int \mathcal N(y; As, (\gamma^2+\sigma^2) I)
              \textstyle\prod_i p(s_i)\, ds,

    whose optimum is still the true :math:`A` (the spread divergence is
    zero only when the models agree).  The spread data are drawn once per
    fit (one :math:`y` per data point) so that EM climbs one fixed
    objective, which also allows SQUAREM acceleration.

    Parameters
    ----------
    n_components : int
        Number of sources Z (``<= n_features``).
    spread : float or "auto", default="auto"
        Standard deviation :math:`\sigma` of the Gaussian spread noise.
        ``"auto"`` uses :func:`auto_spread`.  ``spread=0`` with
        ``noise > 0`` is classical EM on the raw data.
    noise : float, default=0.0
        Observation-noise standard deviation :math:`\gamma` of the model
        (0 for the deterministic model).
    prior : {"laplace", "sech", "laplace_gsm"} or GaussianMixturePrior, default="laplace"
        Source prior.  ``"laplace_gsm"`` is a three-component Gaussian
        scale mixture fitted to the Laplace density.
    estep : {"auto", "importance", "exact"}, default="auto"
        ``"importance"``: self-normalised importance sampling from the
        Gaussian likelihood factor :math:`\mathcal N(s;\mu(y),\Sigma)` with
        prior weights (the paper's method).  ``"exact"``: enumerate the
        ``K**Z`` component combinations of a mixture prior (posterior given a
        combination is Gaussian); needs a mixture prior and
        ``K**Z <= 729``.  ``"auto"``: exact when feasible, where
        ``prior="laplace"`` is replaced by its Gaussian-scale-mixture fit
        (``"laplace_gsm"``, KL 1e-3 nats from Laplace); importance sampling
        otherwise.  The exact E-step has no Monte-Carlo error, so the
        objective is smooth and SQUAREM acceleration is reliable; at
        ``Z <= 6`` it is also cheaper than 100 importance draws.
    n_draws : int, default=100
        Importance samples per data point (common random numbers: drawn
        once per fit).
    anneal : int, default=2
        Spread schedule: after EM converges at spread :math:`\sigma` (to a
        relative change of 1e-3), halve :math:`\sigma` and continue, ``anneal``
        times, reusing the same spread noise draw.  A large spread makes EM
        fast (the posterior is broad); a small one keeps more information
        about :math:`A`, so the schedule gets both.  Every stage has the true
        :math:`A` as its optimum.  ``anneal=0`` is the paper's fixed-spread
        EM.
    max_iter : int, default=500
        Maximum EM iterations over all stages (one iteration is one
        SQUAREM cycle of at least three EM maps when
        ``accelerate="squarem"``).
    tol : float, default=3e-4
        Stop (the last stage) when the relative change of the mixing matrix
        over one iteration, :math:`\|A_{k+1}-A_k\|_F/\|A_k\|_F`, falls below
        ``tol``.
    accelerate : {"squarem", None}, default="squarem"
        SQUAREM extrapolation (Varadhan & Roland 2008) with monotone
        backtracking on the objective, or plain EM.
    init : "pca" or ndarray of shape (n_features, n_components), default="pca"
        Initial mixing matrix; ``"pca"`` matches the data covariance and
        applies a random rotation.
    backend : {"numba", "numpy"}, default="numba"
        E-step implementation (the NumPy one is the slow reference).
    random_state : None, int or numpy.random.Generator, default=None
        Seeds the spread noise, the importance draws and the initial
        rotation.  The fit is then reproducible whatever the thread count.
    verbose : bool, default=False
        Show a tqdm progress bar with the iteration and objective.
    callback : callable, default=None
        ``callback(est, it, objective)`` after every iteration, with
        ``est.mixing_`` set to the current estimate; returning ``True``
        stops training.

    Attributes
    ----------
    mixing_ : ndarray of shape (n_features, n_components)
        Estimated mixing matrix :math:`A`.
    components_ : ndarray of shape (n_components, n_features)
        Unmixing matrix, the pseudo-inverse of ``mixing_``.
    mean_ : ndarray of shape (n_features,)
        Data mean, removed before fitting.
    spread_ : float
        Spread :math:`\sigma` of the last stage.
    spread_schedule_ : list of float
        Spread of each stage.
    prior_ : prior object actually used (after ``"auto"``).
    estep_ : str
        E-step actually used.
    n_iter_ : int
        Iterations run.
    n_estep_ : int
        E-steps run (three or more per SQUAREM iteration).
    stage_esteps_ : list of int
        Cumulative E-step count at the end of each stage.
    history_ : ndarray of shape ``(n_iter_ + n_stages,)``
        Mean log-likelihood per sample of the spread data (exact, or the
        importance-sampling estimate) at the start of each stage and after
        each iteration; it jumps between stages because the spread changes.
    converged_ : bool

    References
    ----------
    M. Zhang, P. Hayes, T. Bird, R. Habib, D. Barber, "Spread Divergence",
    ICML 2020, section 5.1 (spread EM for deterministic ICA) and Fig. 1.
    R. Varadhan, C. Roland, "Simple and globally convergent methods for
    accelerating the convergence of any EM algorithm", Scand. J. Stat. 2008.

    Examples
    --------
    >>> from spreadlab.ica import SpreadICA, make_ica_data, amari_distance
    >>> X, A, _ = make_ica_data(2000, 4, 2, random_state=0)
    >>> ica = SpreadICA(n_components=2, random_state=0).fit(X)
    >>> ica.mixing_.shape
    (4, 2)
    >>> bool(amari_distance(ica.mixing_, A) < 0.05)
    True
    """

    def __init__(self, n_components, spread="auto", noise=0.0, prior="laplace", estep="auto",
                 n_draws=100, anneal=2, max_iter=500, tol=3e-4, accelerate="squarem", init="pca",
                 backend="numba", random_state=None, verbose=False, callback=None):
        self.n_components = n_components
        self.spread = spread
        self.noise = noise
        self.prior = prior
        self.estep = estep
        self.n_draws = n_draws
        self.anneal = anneal
        self.max_iter = max_iter
        self.tol = tol
        self.accelerate = accelerate
        self.init = init
        self.backend = backend
        self.random_state = random_state
        self.verbose = verbose
        self.callback = callback

    _PARAMS = ("n_components", "spread", "noise", "prior", "estep", "n_draws", "anneal",
               "max_iter", "tol", "accelerate", "init", "backend", "random_state", "verbose",
               "callback")

    def get_params(self, deep=True):
        """Constructor parameters, as in scikit-learn (so ``sklearn.base.clone`` works)."""
        return {name: getattr(self, name) for name in self._PARAMS}

    def set_params(self, **params):
        """Set constructor parameters, as in scikit-learn."""
        for name, value in params.items():
            if name not in self._PARAMS:
                raise ValueError(
                    f"Invalid parameter {name!r} for SpreadICA; valid parameters are {self._PARAMS}"
                )
            setattr(self, name, value)
        return self

    # ------------------------------------------------------------------ checks
    def _check_X(self, X, fitting):
        X = np.asarray(X, dtype=float)
        if X.ndim != 2:
            raise ValueError(f"X must be a 2-D array (n_samples, n_features); got shape {X.shape}")
        if not np.all(np.isfinite(X)):
            raise ValueError(
                f"X must contain only finite values; got {int(np.sum(~np.isfinite(X)))} NaN/inf entries"
            )
        n, d = X.shape
        if fitting:
            if n < d:
                raise ValueError(
                    f"X must have at least as many samples as features; got n_samples={n} "
                    f"< n_features={d}"
                )
        elif d != self.mixing_.shape[0]:
            raise ValueError(
                f"X has {d} features, but SpreadICA was fitted with n_features="
                f"{self.mixing_.shape[0]}; expected shape (n_samples, {self.mixing_.shape[0]})"
            )
        return X

    def _check_params(self, n_features):
        Z = self.n_components
        if not isinstance(Z, numbers.Integral) or isinstance(Z, bool) or Z < 1:
            raise ValueError(f"n_components must be a positive integer; got {Z!r}")
        if Z > n_features:
            raise ValueError(
                f"n_components must be <= n_features={n_features}; got n_components={Z}"
            )
        if not (_is_real(self.noise) and math.isfinite(self.noise) and self.noise >= 0):
            raise ValueError(f"noise must be a finite float >= 0; got noise={self.noise!r}")
        if not (self.spread == "auto" or (_is_real(self.spread) and math.isfinite(self.spread)
                                          and self.spread >= 0)):
            raise ValueError(
                f"spread must be 'auto' or a finite float >= 0; got spread={self.spread!r}"
            )
        if self.spread == 0 and self.noise == 0:
            raise ValueError(
                "spread=0 with noise=0 is classical EM on a deterministic model: the source "
                "posterior is a point mass at the current A^+ x, so the M-step returns A "
                "unchanged and EM cannot move. Use a positive spread, e.g. spread='auto'."
            )
        if self.estep not in _ESTEPS:
            raise ValueError(f"Unknown estep {self.estep!r}; estep should be one of {_ESTEPS}")
        if self.accelerate not in _ACCELERATIONS:
            raise ValueError(
                f"Unknown accelerate {self.accelerate!r}; should be one of {_ACCELERATIONS}"
            )
        if self.backend not in _BACKENDS:
            raise ValueError(f"Unknown backend {self.backend!r}; should be one of {_BACKENDS}")
        for name, lo in (("n_draws", 1), ("max_iter", 1), ("anneal", 0)):
            v = getattr(self, name)
            if not isinstance(v, numbers.Integral) or isinstance(v, bool) or v < lo:
                raise ValueError(f"{name} must be an integer >= {lo}; got {name}={v!r}")
        if not (_is_real(self.tol) and self.tol >= 0):
            raise ValueError(f"tol must be a float >= 0; got tol={self.tol!r}")
        if self.callback is not None and not callable(self.callback):
            raise ValueError(f"callback must be callable or None; got {self.callback!r}")
        prior = get_prior(self.prior)
        estep = self.estep
        if estep == "exact":
            if not prior.is_mixture:
                raise ValueError(
                    f"estep='exact' needs a mixture prior; got prior={self.prior!r}. "
                    "Use prior='laplace_gsm' or a GaussianMixturePrior, or estep='importance'"
                )
            if prior.n_components ** Z > _MAX_EXACT_COMBINATIONS:
                raise ValueError(
                    f"estep='exact' enumerates K**Z = {prior.n_components}**{Z} = "
                    f"{prior.n_components ** Z} component combinations, more than the allowed "
                    f"{_MAX_EXACT_COMBINATIONS}; use estep='importance'"
                )
        elif estep == "auto":
            cand = GaussianMixturePrior.laplace_gsm() if isinstance(prior, LaplacePrior) else prior
            if cand.is_mixture and cand.n_components ** Z <= _MAX_EXACT_COMBINATIONS:
                prior, estep = cand, "exact"
            else:
                estep = "importance"
        return prior, estep

    # ------------------------------------------------------------------- EM
    def _estep(self, Y, A):
        gf = _estep.gaussian_factor(Y, A, self._var)
        if self.estep_ == "exact":
            if self.backend == "numba":
                return _estep.estep_exact_numba(gf, self.prior_)
            return _estep.estep_exact_numpy(gf, self.prior_)
        if self.backend == "numba":
            return _estep.estep_importance_numba(gf, self.prior_, self._eps_ext, self._offsets,
                                                 self.n_draws)
        return _estep.estep_importance_numpy(gf, self.prior_, self._eps_ext, self._offsets,
                                             self.n_draws)

    def _em_map(self, Y, A):
        """One EM update: returns (new A, mean log-likelihood at A)."""
        est = self._estep(Y, A)
        self.n_estep_ += 1
        obj = float(np.mean(est.loglik))
        if not math.isfinite(obj):
            raise FloatingPointError(
                f"non-finite objective ({obj}) at E-step {self.n_estep_}; the mixing matrix "
                "has degenerated. Try a larger spread or check the data scale"
            )
        return _m_step(Y, est), obj

    def _initial_mixing(self, Xc, rng):
        Z = self.n_components
        if isinstance(self.init, str) and self.init == "pca":
            lam, U = np.linalg.eigh(Xc.T @ Xc / Xc.shape[0])
            lam, U = lam[::-1][:Z], U[:, ::-1][:, :Z]
            scale = np.sqrt(np.maximum(lam - self.noise**2, 1e-6 * lam[0]))
            Q, R = np.linalg.qr(rng.standard_normal((Z, Z)))
            return (U * scale) @ (Q * np.sign(np.diag(R)))
        A0 = np.asarray(self.init, dtype=float)
        if A0.shape != (Xc.shape[1], Z) or not np.all(np.isfinite(A0)):
            raise ValueError(
                f"init must be 'pca' or a finite array of shape ({Xc.shape[1]}, {Z}); "
                f"got {A0.shape if A0.ndim else self.init!r}"
            )
        return A0.copy()

    def fit(self, X, y=None):
        """Fit the mixing matrix to X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Observations (noise-free data are fine).
        y : Ignored

        Returns
        -------
        self : SpreadICA
        """
        X = self._check_X(X, fitting=True)
        self.prior_, self.estep_ = self._check_params(X.shape[1])
        rng = np.random.default_rng(self.random_state)
        self.mean_ = X.mean(axis=0)
        Xc = X - self.mean_
        self.spread_ = auto_spread(X, self.n_components) if self.spread == "auto" else float(self.spread)
        self._var = self.noise**2 + self.spread_**2
        if self._var <= 0:
            raise ValueError(
                "spread='auto' gave 0 because the data have zero variance; pass a positive spread"
            )
        A = self._initial_mixing(Xc, rng)
        eps_y = rng.standard_normal(Xc.shape) if self.spread_ > 0 else None
        if self.estep_ == "importance":
            Z, N = self.n_components, X.shape[0]
            pool = max(8192, 8 * self.n_draws)
            self._eps_ext = _estep.extend_pool(rng.standard_normal((Z, pool)), self.n_draws)
            self._offsets = rng.integers(0, pool, size=N).astype(np.int64)
        n_stages = self.anneal + 1 if self.spread_ > 0 else 1
        self.spread_schedule_ = [self.spread_ * 0.5**k for k in range(n_stages)]
        self.n_estep_ = 0
        self.n_iter_ = 0
        self.converged_ = False
        # the importance-sampling objective is not exactly monotone under EM (the
        # draws move with A): accept extrapolations within Monte-Carlo slack
        self._squarem_slack = _IS_SLACK if self.estep_ == "importance" else 0.0
        self._stopped_by_callback = False
        self._last_change = np.inf
        self.stage_esteps_ = []
        history = []
        try:
            with np.errstate(over="raise", invalid="raise", divide="raise"):
                for stage, sigma in enumerate(self.spread_schedule_):
                    last = stage == n_stages - 1
                    self._var = self.noise**2 + sigma**2
                    # the same spread noise, rescaled: y moves continuously with sigma
                    Y = Xc + sigma * eps_y if sigma > 0 else Xc
                    tol = self.tol if last else max(self.tol, _STAGE_TOL)
                    A, converged = self._run(Y, A, tol, history)
                    self.stage_esteps_.append(self.n_estep_)
                    if self._stopped_by_callback or self.n_iter_ >= self.max_iter:
                        break
                self.converged_ = bool(last and converged)
        except FloatingPointError as exc:
            raise FloatingPointError(
                f"SpreadICA fit failed with a floating-point fault after {self.n_estep_} "
                f"E-steps ({exc}); try a larger spread, standardising X or fewer components"
            ) from exc
        finally:
            for name in ("_eps_ext", "_offsets"):
                self.__dict__.pop(name, None)
        self.spread_ = self.spread_schedule_[stage]
        self._set_mixing(A)
        self.history_ = np.asarray(history)
        if not self.converged_ and not self._stopped_by_callback:
            warnings.warn(
                f"SpreadICA did not converge: max_iter={self.max_iter} iterations "
                f"({self.n_estep_} E-steps) ran out in stage {stage + 1} of {n_stages} "
                f"(spread {self.spread_:.3g}) with relative change of the mixing matrix "
                f"{self._last_change:.3g} > tol={tol:g}. Increase max_iter or tol.",
                ConvergenceWarning, stacklevel=2,
            )
        return self

    def _set_mixing(self, A):
        self.mixing_ = A
        self.components_ = np.linalg.pinv(A)

    def _run(self, Y, A0, tol, history):
        """EM (or SQUAREM) at one spread until the relative change of A < tol;
        appends the objective at each iterate to ``history``."""
        from tqdm.auto import tqdm

        converged = False
        bar = tqdm(total=self.max_iter - self.n_iter_, disable=not self.verbose,
                   desc=f"SpreadICA sigma={math.sqrt(max(self._var - self.noise**2, 0)):.3g}",
                   leave=False)
        try:
            A1, L0 = self._em_map(Y, A0)
            history.append(L0)
            while self.n_iter_ < self.max_iter:
                if self.accelerate == "squarem":
                    A_new = self._squarem_step(Y, A0, A1, L0)
                else:
                    A_new = A1
                self.n_iter_ += 1
                A_next, L_new = self._em_map(Y, A_new)
                change = float(np.linalg.norm(A_new - A0) / np.linalg.norm(A0))
                self._last_change = change
                A0, A1, L0 = A_new, A_next, L_new
                history.append(L0)
                bar.update(1)
                bar.set_postfix(objective=f"{L0:.6f}", change=f"{change:.2e}")
                if self.callback is not None:
                    self._set_mixing(A0)
                    if self.callback(self, self.n_iter_, L0) is True:
                        self._stopped_by_callback = True
                        break
                if change < tol:
                    converged = True
                    break
        finally:
            bar.close()
        return A0, converged

    def _squarem_step(self, Y, A0, A1, L0):
        """SQUAREM-3 extrapolation from A0 (A1 = F(A0)); returns the new iterate
        with an objective no lower than L(A0) up to Monte-Carlo slack."""
        A2, L1 = self._em_map(Y, A1)
        r = A1 - A0
        v = A2 - A1 - r
        nv = np.linalg.norm(v)
        if nv == 0.0:
            return A2
        alpha = min(-np.linalg.norm(r) / nv, -1.0)
        while alpha < -1.0:
            Ap = A0 - 2.0 * alpha * r + alpha**2 * v
            try:
                A_out, Lp = self._em_map(Y, Ap)  # stabilising EM step from Ap
            except (np.linalg.LinAlgError, FloatingPointError):
                Lp = -np.inf
            if Lp >= L0 - self._squarem_slack:
                return A_out
            alpha = (alpha - 1.0) / 2.0
            if alpha > -1.01:
                break
        return A2

    # ------------------------------------------------------------ transforms
    def _check_fitted(self):
        if not hasattr(self, "mixing_"):
            raise ValueError("This SpreadICA instance is not fitted yet; call fit(X) first")

    def transform(self, X):
        """Recover the sources, ``(X - mean_) @ components_.T``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        S : ndarray of shape (n_samples, n_components)
        """
        self._check_fitted()
        X = self._check_X(X, fitting=False)
        return (X - self.mean_) @ self.components_.T

    def fit_transform(self, X, y=None):
        """Fit and return the recovered sources."""
        return self.fit(X).transform(X)

    def inverse_transform(self, S):
        """Map sources back to data space, ``S @ mixing_.T + mean_``.

        Parameters
        ----------
        S : array-like of shape (n_samples, n_components)

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
        """
        self._check_fitted()
        S = np.asarray(S, dtype=float)
        Z = self.mixing_.shape[1]
        if S.ndim != 2 or S.shape[1] != Z:
            raise ValueError(
                f"S must have shape (n_samples, {Z}) (n_components={Z}); got shape {S.shape}"
            )
        return S @ self.mixing_.T + self.mean_

    def score(self, X, y=None):
        r"""Estimate of the mean spread log-likelihood of X.

        :math:`\frac1N\sum_n \log\tilde p(y_n)` with one fresh spread draw
        :math:`y_n = x_n - \bar x + \sigma\epsilon_n` per point (seeded by
        ``random_state``), using the fitted E-step (exact, or importance
        sampling).  With ``spread_ = 0`` this is the log-likelihood of the
        noisy model.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        float
        """
        self._check_fitted()
        X = self._check_X(X, fitting=False)
        rng = np.random.default_rng(self.random_state)
        Y = X - self.mean_
        if self.spread_ > 0:
            Y = Y + self.spread_ * rng.standard_normal(Y.shape)
        if self.estep_ == "importance":
            pool = max(8192, 8 * self.n_draws)
            self._eps_ext = _estep.extend_pool(
                rng.standard_normal((self.mixing_.shape[1], pool)), self.n_draws)
            self._offsets = rng.integers(0, pool, size=Y.shape[0]).astype(np.int64)
        try:
            with np.errstate(over="raise", invalid="raise", divide="raise"):
                est = self._estep(Y, self.mixing_)
        finally:
            for name in ("_eps_ext", "_offsets"):
                self.__dict__.pop(name, None)
        return float(np.mean(est.loglik))

    def __repr__(self):
        return (f"SpreadICA(n_components={self.n_components!r}, spread={self.spread!r}, "
                f"noise={self.noise!r}, prior={self.prior!r}, estep={self.estep!r})")


def _m_step(Y, est):
    r"""M-step :math:`A = (\sum_n y_n\langle s_n\rangle^\top)(\sum_n\langle s_ns_n^\top\rangle)^{-1}`."""
    Gys = Y.T @ est.Es
    try:
        return np.linalg.solve(est.sum_ss.T, Gys.T).T
    except np.linalg.LinAlgError as exc:
        raise np.linalg.LinAlgError(
            "the summed posterior second moment of the sources is singular: the sources "
            "collapsed; try a larger spread"
        ) from exc


def _point_mass_estep(Y, A):
    """E-step of the deterministic model (gamma = sigma = 0), square invertible A:
    the posterior is a point mass at s = A^{-1} y."""
    Es = np.linalg.solve(A, Y.T).T
    return _estep.EStep(Es=Es, sum_ss=Es.T @ Es, loglik=np.full(Y.shape[0], np.nan))
