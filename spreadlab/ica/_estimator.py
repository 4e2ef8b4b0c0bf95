"""SpreadICA: EM for linear ICA with spread noise (works for noise-free data)."""
import contextlib
import math
import numbers
import re
import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import (BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin,
                          _fit_context)
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data
from threadpoolctl import threadpool_limits

from .._validation import _short, as_count, as_float_array
from . import _estep
from ._priors import GaussianMixturePrior, LaplacePrior, SechPrior, get_prior
from . import _noisy
from ._start import _as_generator, _principal_subspace, _random_rotation
from ._whitened import (ML_SMOOTHING, noiseless_ml, noiseless_objective, polar, whitened_em_map,
                        whitened_objective)

__all__ = ["SpreadICA", "ConvergenceWarning", "auto_spread"]


class ComplexDataError(TypeError, ValueError):
    """Complex X given to :class:`SpreadICA`: a wrong type (the package's rule for complex
    input), and the ``ValueError`` scikit-learn's estimator checks expect."""


# Largest number of component combinations K**Z the exact E-step enumerates.
_MAX_EXACT_COMBINATIONS = 729
# Starting spread of the schedule, in units of the source scale (see auto_spread).
_AUTO_SPREAD = 0.5
# Smallest non-zero spread accepted, and the floor of the data-chosen schedule
# (both in units of the source scale).
_MIN_SPREAD = 1e-6
_SCHEDULE_FLOOR = 1e-3
# The data-chosen schedule stops when the fixed points of two successive stages
# differ by less than this fraction of the statistical error 1/sqrt(N): a bias b
# adds to a standard error se in quadrature, sqrt(1 + (b/se)^2) <= 1.05 for
# b <= 0.32 se, and the change between stages bounds the remaining bias of a
# schedule whose stage optima converge at least linearly in sigma.
_SCHEDULE_STAT_FRACTION = 0.3
# Tolerated decrease of the mean importance-sampling log-likelihood (nats per
# sample) when accepting a SQUAREM extrapolation (Monte-Carlo slack).
_IS_SLACK = 1e-3
# Relative round-off allowed in the change of the iterates: a linear rate
# rho is resolvable from a step of relative size d only if 1 - rho exceeds
# a few times _ROUNDOFF / d.
_ROUNDOFF = 1e-15
# The closed-form passes of the whitened fit cost ~0.1 us per element; below this
# many elements (N * Z) a pass takes a few ms and the fork/join of a parallel
# region costs more than it saves on a shared machine (lecture size, N*Z = 4e4:
# 0.16-0.24 s single-threaded vs 0.63-0.92 s on 2 threads at load average 3-5,
# measured), so such fits run their Numba passes on one thread.
_PARALLEL_MIN_ELEMENTS = 100_000
# A step below this relative size is at round-off level: its rate is not
# measurable, and the last measured rate is used instead (if there was one).
_STEP_FLOOR = 1e-11


def auto_spread(X, n_components):
    r"""Default starting spread :math:`\sigma_0` in the units of the data.

    .. math:: \sigma_0 = 0.5\,\varsigma,\qquad
              \varsigma = \sqrt{\bar\lambda},\quad
              \bar\lambda = \tfrac1Z\textstyle\sum_{k\le Z}\lambda_k,

    where :math:`\lambda_k` are the Z largest eigenvalues of the data
    covariance (for unit-variance sources, the eigenvalues of
    :math:`A^\top A`).  :class:`SpreadICA` takes ``spread`` in units of the
    source scale :math:`\varsigma` and starts its schedule at 0.5: the
    posterior of the sources then has a standard deviation of about half a
    prior standard deviation, wide enough that EM moves quickly.  Invariant
    to rescaling (``auto_spread(c X) = |c| auto_spread(X)``).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        The (noise-free) data.
    n_components : int
        Number of sources Z, ``1 <= n_components <= n_features``.

    Returns
    -------
    float

    References
    ----------
    M. Zhang, P. Hayes, T. Bird, R. Habib, D. Barber, "Spread Divergence",
    ICML 2020, the deterministic ICA experiment.

    Examples
    --------
    >>> import numpy as np
    >>> from spreadlab.ica import auto_spread, make_ica_data
    >>> X, A, _ = make_ica_data(2000, 6, 3, random_state=0)
    >>> s = auto_spread(X, 3)
    >>> bool(np.isclose(auto_spread(10 * X, 3), 10 * s))
    True
    """
    X = as_float_array(X, "X")
    if X.ndim != 2 or X.shape[0] < 1 or X.shape[1] < 1:
        raise ValueError(f"X must be a non-empty 2-D array (n_samples, n_features); got shape {X.shape}")
    n_components = as_count(n_components, "n_components")
    if n_components > X.shape[1]:
        raise ValueError(f"n_components must be <= n_features={X.shape[1]}; "
                         f"got n_components={n_components}")
    # the spread scales with X: compute it for X / c with c = max|X| (no overflow of the
    # covariance for entries near 1e308) and scale back
    c = np.max(np.abs(X))
    if c == 0:
        return 0.0
    Xc = X / c - np.mean(X / c, axis=0)
    lam = np.linalg.eigvalsh(Xc.T @ Xc / Xc.shape[0])[::-1][:n_components]
    spread = c * (_AUTO_SPREAD * math.sqrt(max(lam.mean(), 0.0)))
    if not math.isfinite(spread):
        raise ValueError(f"X is too large: its spread exceeds the float range (max |X| = {c:.3g}); "
                         "rescale X")
    return float(spread)


class SpreadICA(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
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
    zero only when the models agree).  The spread noise is drawn once per
    fit (common random numbers) so that EM climbs one fixed objective per
    stage, which allows SQUAREM acceleration.

    **Schedule.**  The spread starts at ``spread`` (0.5 source standard
    deviations by default) and is halved stage after stage; as
    :math:`\sigma\to 0` the spread likelihood tends to the noiseless one, so
    the estimate tends to noiseless maximum likelihood.  With
    ``anneal="auto"`` the number of stages is chosen from the data: halving
    stops when two successive stage optima differ by less than
    :math:`0.3/\sqrt N` (a bias of 0.3 standard errors adds 5% in
    quadrature), at :math:`\sigma = 10^{-3}`, or, with model noise
    :math:`\gamma > 0`, once the spread is no larger than :math:`\gamma`
    (the model noise then keeps the posterior open by itself).  To first order in :math:`\sigma^2` one EM step
    is :math:`\Delta A = \sigma^2\,\nabla_A\ell(A)\,\langle ss^\top\rangle^{-1}`
    with :math:`\ell` the noiseless log-likelihood (docs page ``ica_fig1``): a
    preconditioned gradient step whose size shrinks with :math:`\sigma^2`,
    hence SQUAREM.  With the terminal noiseless-ML stage (below, the
    default for noise-free data) ``anneal="auto"`` runs the first stage only:
    the spread then only has to bring the estimate into the basin of the
    optimum, and the terminal stage removes its bias.

    **Noise-free data** (``noise=0``, Laplace prior, ``estep="auto"``) are
    fitted in whitened coordinates (``estep="whitened"``): in the principal
    subspace :math:`u = K(x-\bar x) = Qs` with :math:`Q` orthogonal, the
    spread posterior factorises over sources and has closed-form moments,
    and the M-step is an orthogonal Procrustes problem (see
    :mod:`spreadlab.ica._whitened`).  The spread kernel is then
    :math:`\mathcal N(0,\sigma^2 C)` with :math:`C` the data covariance in
    the signal subspace: still a Gaussian spread with a positive
    characteristic function there.

    **Terminal stage: noiseless maximum likelihood** (``finish="ml"``,
    whitened E-step only).  The Procrustes M-step keeps the estimated
    sources exactly decorrelated in-sample, a constraint the true sources do
    not satisfy, which costs efficiency (Cardoso's "price of whitening";
    mean Amari ratio to noiseless ML 1.12 at lecture size with spread EM
    alone, ``finish=None``).  Spread EM at
    :math:`\sigma\to0` would remove it, but at a rate :math:`1-O(\sigma^2)`.
    The terminal stage maximises that limit, the noiseless log-likelihood

    .. math:: \ell(W) = \log|\det W| + \big\langle\textstyle\sum_i
              \log p_{\sigma_*}\big((Wu)_i\big)\big\rangle

    over an unconstrained unmixing matrix :math:`W` in the whitened subspace,
    with the Laplace kink smoothed by :math:`\mathcal N(0,\sigma_*^2)`,
    :math:`\sigma_* = 10^{-2}` then :math:`10^{-3}` source units, by Newton
    steps :math:`W\leftarrow(I+D)W` with the exact relative Hessian and a
    line search (:func:`spreadlab.ica._whitened.noiseless_ml`).  It stops when
    the Newton step :math:`\|D\|_F` (the estimated relative distance to the
    stationary point, where the relative gradient
    :math:`I + \langle(\log p_{\sigma_*})'(s)s^\top\rangle` vanishes) is
    below ``tol``; out of ``max_iter`` Newton iterations, or with a line
    search that cannot ascend, it is not converged.  Its passes over the data
    count as E-steps in ``n_estep_``.  ``finish=None`` ends with the last
    spread stage (spread EM as in the paper).

    **Stopping rule.**  A stage stops when the estimated distance to the
    fixed point of EM, :math:`e_1/(1-\rho)` with :math:`e_1` the relative
    size of an EM step and :math:`\rho = e_2/e_1` EM's observed linear rate
    (ratio of two successive EM steps, measured inside every iteration, also
    with SQUAREM), is below ``tol``; a rate that is not resolvable above
    round-off (:math:`1-\rho` below :math:`3\cdot 10^{-15}/e_2`, as for
    classical EM at tiny :math:`\gamma`, where :math:`\rho = 1-O(\gamma^2)`)
    never counts as converged.  When SQUAREM lands within round-off of the
    fixed point (steps below 1e-11) the last resolvable rate of the stage is
    used; a stage that never showed a resolvable contraction cannot converge.  A stage that runs out of
    ``max_iter`` is not converged: ``converged_`` is False and a
    :class:`sklearn.exceptions.ConvergenceWarning` gives the numbers.

    Parameters
    ----------
    n_components : int, default=None
        Number of sources Z (``<= n_features``; ``None``: n_features).
    spread : float or "auto", default="auto"
        Starting spread :math:`\sigma`, in units of the source scale
        :math:`\varsigma` (:func:`auto_spread`): 0 or in [1e-6, 1e3].
        ``"auto"`` is 0.5.  ``spread=0`` with ``noise > 0`` is classical EM on
        the raw data (no schedule).
    noise : float, default=0.0
        Model noise standard deviation :math:`\gamma` in data units, in
        [0, 1e100] (0 for the deterministic model).
    prior : {"laplace", "sech", "laplace_gsm"} or prior instance, default="laplace"
        Source prior.  ``"laplace_gsm"`` is a three-component Gaussian scale
        mixture fitted to the Laplace density.
    estep : {"auto", "whitened", "importance", "exact"}, default="auto"
        ``"whitened"``: closed-form E-step in whitened coordinates (noise-free
        data, Laplace prior).  ``"importance"``: self-normalised importance
        sampling from the Gaussian likelihood factor with prior weights (the
        paper's method; the effective sample size is reported in ``ess_``).
        ``"exact"``: enumerate the ``K**Z`` component combinations of a
        mixture prior (``K**Z <= 729``).  ``"auto"``: whitened when
        ``noise=0`` and the prior is Laplace; otherwise exact when feasible
        (Laplace replaced by its Gaussian-scale-mixture fit), else
        importance sampling.
    n_draws : int, default=100
        Importance samples per data point, in [1, 100000].
    finish : {"ml", "noisy_ml", None}, default="ml"
        Terminal noiseless-ML stage after the spread schedule, used with
        ``estep_="whitened"`` (other E-steps have none; ``ml_stage_`` is then
        None).  ``"noisy_ml"`` (Laplace prior) fits noisy data
        :math:`x = As + \gamma\epsilon`: after the noiseless-ML stage it ends
        at the maximum-likelihood estimate of the noisy model
        (:mod:`spreadlab.ica._noisy`: the noiseless likelihood averaged over
        the noise with 64 common quasi-random draws, by L-BFGS), with
        :math:`\gamma` = ``noise`` when positive, else estimated from the
        trailing eigenvalues of the data covariance (needs ``n_features >
        n_components``); ``ml_stage_`` then describes this stage and holds
        ``noise``.  With ``"noisy_ml"`` a positive ``noise`` does not change
        the E-step (whitened).
    anneal : "auto" or int, default="auto"
        Number of halvings of the spread after the first stage (an int in
        [0, 40]), or ``"auto"`` for the data-chosen schedule above (the first
        stage alone when the terminal ML stage follows).  ``anneal=0`` with
        ``finish=None`` is the paper's fixed-spread EM.
    max_iter : int, default=500
        Maximum iterations *per stage* (one iteration is one SQUAREM cycle of
        at least three EM maps when ``accelerate="squarem"``); for the
        terminal stage, Newton iterations per smoothing level.
    tol : float, default=1e-4
        Stop a stage when the estimated relative distance of the mixing
        matrix to the stage's fixed point is below ``tol`` (far below the
        statistical error :math:`\approx 1/\sqrt N` of ICA for any
        N < 1e8).
    accelerate : {"squarem", None}, default="squarem"
        SQUAREM extrapolation (Varadhan & Roland 2008) with monotone
        backtracking on the objective, or plain EM.
    init : "pca" or array-like of shape (n_features, n_components), default="pca"
        Initial mixing matrix; ``"pca"`` is :func:`pca_start` with the same
        ``random_state``.  In whitened coordinates a given matrix is replaced
        by the nearest orthogonal matrix.
    backend : {"numba", "numpy"}, default="numba"
        Implementation of the E-steps (the NumPy one is the slow reference).
        Whitened fits with fewer than 1e5 elements (``n_samples *
        n_components``) run their Numba passes on one thread: a pass then
        takes a few ms, less than a parallel region's fork/join costs on a
        shared machine.  Results do not depend on the thread count.
    random_state : None, int >= 0 or numpy.random.Generator, default=None
        Seeds the initial rotation, the spread noise and the importance
        draws.  The fit is then reproducible whatever the thread count.
    verbose : bool, default=False
        Show a tqdm progress bar per stage with the objective, the step and
        the estimated distance to the fixed point.
    callback : callable, default=None
        ``callback(est, it, objective)`` after every iteration, with
        ``est.mixing_`` set to the current estimate; returning ``True``
        stops training (``converged_`` is then False, without a warning).

    Attributes
    ----------
    mixing_ : ndarray of shape (n_features, n_components)
        Estimated mixing matrix :math:`A`.
    components_ : ndarray of shape (n_components, n_features)
        Unmixing matrix (pseudo-inverse of ``mixing_``).
    mean_ : ndarray of shape (n_features,)
        Data mean, removed before fitting.
    n_features_in_ : int
    feature_names_in_ : ndarray of str, when X has feature names.
    ml_stage_ : dict or None
        The terminal stage, if it ran: ``converged``, ``iters`` (Newton
        iterations per smoothing level), ``evaluations`` (passes over the
        data), ``distance`` (last Newton step norm), ``tol`` (the tolerance
        of the last level run: ``max(tol, 1e-3)`` on warm-up levels),
        ``gradient`` (max-abs relative gradient at the estimate),
        ``objective`` (mean noiseless
        log-likelihood per sample, whitened coordinates), ``smoothing``
        (:math:`\sigma_*` levels), ``stall`` (why it stopped unconverged),
        ``roundoff`` (True when the last level stopped at the round-off floor
        of its Newton step, above ``tol``: converged to machine precision,
        ``distance`` is then the achieved step).
    spread_ : float
        Spread of the last spread-EM stage (units of the source scale).
    spread_schedule_ : list of float
        Spread of each stage run.
    stage_converged_ : list of bool
    prior_ : prior object actually used.
    estep_ : str
        E-step actually used.
    n_iter_ : int
        Iterations run over all stages (terminal stage: Newton steps).
    n_estep_ : int
        E-steps run (three or more per SQUAREM iteration), plus the passes
        over the data of the terminal stage.
    stage_esteps_ : list of int
        Cumulative E-step count at the end of each stage.
    history_ : ndarray
        Mean log-likelihood per sample of the spread data at the start of
        each stage and after each iteration (it jumps between stages); for
        the terminal stage, the smoothed noiseless log-likelihood per sample
        in whitened coordinates (it also jumps between smoothing levels).
    ess_ : ndarray or None
        Importance sampling only: median and minimum effective sample size
        per data point, :math:`(\sum_j w_j)^2/\sum_j w_j^2`, in the last
        E-step of each stage, shape (n_stages, 2).
    converged_ : bool
        True only if every stage, the terminal one included, met its
        stopping rule.

    References
    ----------
    M. Zhang, P. Hayes, T. Bird, R. Habib, D. Barber, "Spread Divergence",
    ICML 2020, the deterministic ICA experiment and its Fig. 1 (https://arxiv.org/abs/1811.08968).
    D. Barber, "Training models that have zero likelihood", blog, 2019
    (https://aiucl.github.io/spread-divergence/).
    R. Varadhan, C. Roland, "Simple and globally convergent methods for
    accelerating the convergence of any EM algorithm", Scand. J. Stat. 2008.

    Examples
    --------
    >>> from spreadlab.ica import SpreadICA, make_ica_data, amari_distance
    >>> X, A, _ = make_ica_data(2000, 4, 2, random_state=0)
    >>> ica = SpreadICA(n_components=2, random_state=0).fit(X)
    >>> ica.mixing_.shape, ica.converged_
    ((4, 2), True)
    >>> bool(amari_distance(ica.mixing_, A) < 0.05)
    True
    """

    _parameter_constraints = {
        "n_components": [Interval(Integral, 1, None, closed="left"), None],
        "spread": [StrOptions({"auto"}), Interval(Real, 0, 1e3, closed="both")],
        "noise": [Interval(Real, 0, 1e100, closed="both")],
        "prior": [StrOptions({"laplace", "sech", "laplace_gsm"}), GaussianMixturePrior,
                  LaplacePrior, SechPrior],
        "estep": [StrOptions({"auto", "whitened", "importance", "exact"})],
        "n_draws": [Interval(Integral, 1, 100_000, closed="both")],
        "anneal": [StrOptions({"auto"}), Interval(Integral, 0, 40, closed="both")],
        "finish": [StrOptions({"ml", "noisy_ml"}), None],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "accelerate": [StrOptions({"squarem"}), None],
        "init": [StrOptions({"pca"}), "array-like"],
        "backend": [StrOptions({"numba", "numpy"})],
        "random_state": ["random_state", np.random.Generator],
        "verbose": ["verbose"],
        "callback": [callable, None],
    }

    def __init__(self, n_components=None, *, spread="auto", noise=0.0, prior="laplace",
                 estep="auto", n_draws=100, anneal="auto", finish="ml", max_iter=500, tol=1e-4,
                 accelerate="squarem", init="pca", backend="numba", random_state=None,
                 verbose=False, callback=None):
        self.n_components = n_components
        self.spread = spread
        self.noise = noise
        self.prior = prior
        self.estep = estep
        self.n_draws = n_draws
        self.anneal = anneal
        self.finish = finish
        self.max_iter = max_iter
        self.tol = tol
        self.accelerate = accelerate
        self.init = init
        self.backend = backend
        self.random_state = random_state
        self.verbose = verbose
        self.callback = callback

    # ------------------------------------------------------------------ checks
    def _validate_X(self, X, reset):
        if X is None or isinstance(X, (str, bytes)):
            raise TypeError(f"X must be an array-like of shape (n_samples, n_features) of real "
                            f"numbers; got {_short(X)}")
        try:
            dtype = np.asarray(X).dtype
        except Exception:  # not convertible (ragged, odd objects): validate_data below explains
            dtype = None
        if dtype is not None and dtype.kind == "c":
            raise ComplexDataError(
                f"Complex data not supported: X must be real; got complex dtype {dtype} (the "
                "imaginary part would be lost). Pass X.real, or stack real and imaginary parts "
                "as features"
            )
        if dtype is not None and dtype.kind in "US":
            raise TypeError(f"X must contain real numbers, not strings; got {_short(X)}")
        try:
            X = validate_data(self, X, reset=reset, dtype=np.float64, ensure_min_samples=1)
        except OverflowError as exc:  # an int too large for a double
            raise ValueError("X must be finite; got a number too large for a float") from exc
        except (TypeError, ValueError) as exc:
            if re.search(r"\bX\b", str(exc)):
                raise
            # numpy's and scikit-learn's own words, kept (check_estimator matches them),
            # with the parameter named
            raise (TypeError if isinstance(exc, TypeError) else ValueError)(f"X: {exc}") from exc
        big = np.max(np.abs(X)) if X.size else 0.0
        if big > 1e150:
            raise ValueError(
                f"X must have entries of magnitude <= 1e150 (its covariance must be finite); "
                f"got max |X| = {big:.3g}. Rescale X"
            )
        return X

    def _resolve(self, n_samples, n_features):
        Z = n_features if self.n_components is None else self.n_components
        if Z > n_features:
            raise ValueError(
                f"n_components must be <= n_features={n_features}; got n_components={Z}"
            )
        if n_samples < max(2, n_features):
            raise ValueError(
                f"X must have at least 2 samples and as many samples as features; got "
                f"n_samples={n_samples}, n_features={n_features}"
            )
        if self.spread == 0 and self.noise == 0:
            raise ValueError(
                "spread=0 with noise=0 is classical EM on a deterministic model: the source "
                "posterior is a point mass at the current A^+ x, so the M-step returns A "
                "unchanged and EM cannot move. Use a positive spread, e.g. spread='auto'."
            )
        if self.spread != "auto" and 0 < self.spread < _MIN_SPREAD:
            raise ValueError(
                f"spread must be 0 or in [{_MIN_SPREAD:g}, 1e3] (units of the source scale: "
                f"a smaller spread makes the posterior collapse like classical EM); got "
                f"spread={self.spread!r}"
            )
        prior = get_prior(self.prior)
        estep = self.estep
        if estep == "whitened":
            if not isinstance(prior, LaplacePrior) or (self.noise != 0
                                                       and self.finish != "noisy_ml"):
                raise ValueError(
                    "estep='whitened' needs noise=0 and prior='laplace'; got "
                    f"noise={self.noise!r}, prior={self.prior!r}"
                )
        elif estep == "exact":
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
            if isinstance(prior, LaplacePrior) and (self.noise == 0 or self.finish == "noisy_ml"):
                estep = "whitened"
            else:
                cand = GaussianMixturePrior.laplace_gsm() if isinstance(prior, LaplacePrior) else prior
                if cand.is_mixture and cand.n_components ** Z <= _MAX_EXACT_COMBINATIONS:
                    prior, estep = cand, "exact"
                else:
                    estep = "importance"
        if estep == "whitened" and self.spread == 0:
            raise ValueError("estep='whitened' needs spread > 0; got spread=0")
        return Z, prior, estep

    # ------------------------------------------------------------------- fit
    @_fit_context(prefer_skip_nested_validation=True)
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
        X = self._validate_X(X, reset=True)
        n, d = X.shape
        Z, self.prior_, self.estep_ = self._resolve(n, d)
        rng = _as_generator(self.random_state)
        self.mean_ = X.mean(axis=0)
        Xc = X - self.mean_
        lam, U = _principal_subspace(Xc, Z)
        self._scale = math.sqrt(lam.mean())           # source scale (data units)
        R0 = _random_rotation(rng, Z)                 # the pca_start rotation
        if isinstance(self.init, str):
            A0 = (U * np.sqrt(np.maximum(lam - self.noise**2, 1e-6 * lam[0]))) @ R0
        else:
            A0 = np.asarray(self.init, dtype=float)
            if A0.shape != (d, Z) or not np.all(np.isfinite(A0)):
                raise ValueError(
                    f"init must be 'pca' or a finite array of shape ({d}, {Z}); "
                    f"got shape {A0.shape}"
                )
        sigma0 = _AUTO_SPREAD if self.spread == "auto" else float(self.spread)
        self.n_estep_ = 0
        self.n_iter_ = 0
        self.stage_esteps_ = []
        self.stage_converged_ = []
        self.spread_schedule_ = []
        self.ml_stage_ = None
        self._stopped_by_callback = False
        history, ess = [], []
        if self.estep_ == "whitened":
            K = (U / np.sqrt(lam)).T                  # whitening, (Z, d)
            Uw = Xc @ K.T
            P = polar(K @ A0)
            eps = rng.standard_normal(Uw.shape)
            to_mixing = lambda Q: (U * np.sqrt(lam)) @ Q  # noqa: E731
            self._project = polar
        else:
            Uw = Xc
            P = A0
            eps = rng.standard_normal(Xc.shape) if sigma0 > 0 else None
            to_mixing = lambda A: A  # noqa: E731
            self._project = None
            if self.estep_ == "importance":
                pool = max(8192, 8 * self.n_draws)
                self._eps_ext = _estep.extend_pool(rng.standard_normal((Z, pool)), self.n_draws)
                self._offsets = rng.integers(0, pool, size=n).astype(np.int64)
        self._to_mixing = to_mixing
        ml_finish = self.finish in ("ml", "noisy_ml") and self.estep_ == "whitened"
        # with the terminal ML stage the spread schedule only has to reach the basin of the
        # optimum (its bias is removed by that stage): "auto" is then the first stage alone
        n_fixed = (1 if ml_finish else None) if self.anneal == "auto" else self.anneal + 1
        stat_err = 1.0 / math.sqrt(n)
        reports = []
        try:
            # the fit's matrix products are thin (N x Z): multi-threaded BLAS only competes
            # with the Numba threads (2-4x slower on a loaded 2-core machine, measured)
            small = (self.estep_ == "whitened" and self.backend == "numba"
                     and n * Z < _PARALLEL_MIN_ELEMENTS)
            with threadpool_limits(limits=1, user_api="blas"), \
                    (_estep.numba_threads(1) if small else contextlib.nullcontext()), \
                    np.errstate(over="raise", invalid="raise", divide="raise"):
                stage, sigma, prev = 0, sigma0, None
                prev2 = None
                while True:
                    last_fixed = n_fixed is not None and stage == n_fixed - 1
                    self.spread_schedule_.append(sigma)
                    self._sigma = sigma
                    self._var = self.noise**2 + (sigma * self._scale) ** 2
                    Y = Uw + sigma * (eps if self.estep_ == "whitened" else self._scale * eps) \
                        if sigma > 0 else Uw
                    tol = self.tol
                    start = P
                    if prev2 is not None:
                        # the stage optima move smoothly with sigma: start from the
                        # linear extrapolation P(s/2) ~ P(s) + (P(s) - P(2s))/2
                        start = P + 0.5 * (P - prev2)
                        if self._project is not None:
                            start = self._project(start)
                    P, converged, info = self._run(Y, start, tol, history)
                    info.update(stage=stage + 1, sigma=sigma, tol=tol)
                    reports.append(info)
                    self.stage_esteps_.append(self.n_estep_)
                    self.stage_converged_.append(converged)
                    if self._last_ess is not None:
                        ess.append(self._last_ess)
                    change = None if prev is None else _rel_change(P, prev)
                    prev2, prev = prev, P
                    if self._stopped_by_callback or sigma == 0:
                        break
                    if n_fixed is not None:
                        if stage == n_fixed - 1:
                            break
                    elif (change is not None and change < _SCHEDULE_STAT_FRACTION * stat_err) \
                            or 0.5 * sigma < _SCHEDULE_FLOOR \
                            or (self.noise > 0 and sigma * self._scale <= self.noise):
                        break
                    stage += 1
                    sigma *= 0.5
                W = P.T                                   # unmixing, whitened coordinates
                if ml_finish and not self._stopped_by_callback:
                    W = self._ml_stage(Uw, W, history)
                # --- terminal stage for noisy data (finish="noisy_ml", spreadlab.ica._noisy):
                # from the noiseless-ML estimate to ML of x = A s + noise * eps
                if (self.finish == "noisy_ml" and ml_finish and not self._stopped_by_callback
                        and self.ml_stage_["converged"]):
                    W, info = _noisy.noisy_stage(self, Xc, lam, Uw, W, rng)
                    self.n_estep_ += info["evaluations"]
                    self.n_iter_ += sum(info["iters"])
                    history.append(info["objective"])
                    self.ml_stage_ = info
        except FloatingPointError as exc:
            raise FloatingPointError(
                f"SpreadICA fit failed with a floating-point fault after {self.n_estep_} "
                f"E-steps ({exc}); try a larger spread, standardising X or fewer components"
            ) from exc
        finally:
            for name in ("_eps_ext", "_offsets", "_project", "_to_mixing", "_sigma", "_var",
                         "_last_ess"):
                self.__dict__.pop(name, None)
        self.spread_ = self.spread_schedule_[-1]
        if self.estep_ == "whitened":
            # after the ML stage W is a general matrix; otherwise W = P^T with P orthogonal
            self._set_mixing(to_mixing(P if self.ml_stage_ is None else np.linalg.inv(W)))
            self._whitening = K
            self._W = W
            self._log_det_whitening = float(-0.5 * np.sum(np.log(lam)))
        else:
            self._set_mixing(to_mixing(P))
        self.history_ = np.asarray(history)
        self.ess_ = np.asarray(ess) if ess else None
        ml = self.ml_stage_
        self.converged_ = (bool(all(self.stage_converged_)) and not self._stopped_by_callback
                           and (ml is None or ml["converged"]))
        bad = [r for r, c in zip(reports, self.stage_converged_) if not c]
        ml_bad = ml is not None and not ml["converged"]
        if (bad or ml_bad) and not self._stopped_by_callback:
            parts = [
                f"stage {r['stage']} (spread {r['sigma']:.3g}): {r['iters']} iterations, "
                f"last relative step {r['step']:.3g}, observed rate {r['rate']:.6g}, "
                f"estimated distance to the fixed point {r['dist']:.3g} > tol={r['tol']:g}"
                for r in bad]
            advice = []
            if bad:
                advice.append("a rate near 1 means EM is stalled (for classical EM: the noise is "
                              "too small); increase max_iter or the spread")
            if ml_bad:
                kind = "noisy" if "noise" in ml else "noiseless"   # finish="noisy_ml" or "ml"
                parts.append(
                    f"{kind}-ML stage (smoothing {ml['smoothing'][len(ml['iters']) - 1]:g}): "
                    f"{sum(ml['iters'])} Newton iterations, stopped by {ml['stall']}, "
                    f"estimated distance to the stationary point {ml['distance']:.3g} > "
                    f"tol={ml['tol']:g}, max |relative gradient| {ml['gradient']:.3g}")
                advice.append("for the noiseless-ML stage increase max_iter, or use a tol above "
                              "the round-off of its Newton step when the line search stalled, "
                              "or finish=None to end with spread EM")
            advice = "; ".join(advice)
            warnings.warn(
                f"SpreadICA did not converge in max_iter={self.max_iter} iterations per stage: "
                f"{'; '.join(parts)}. {advice[0].upper()}{advice[1:]}.",
                ConvergenceWarning, stacklevel=2,
            )
        return self

    def _ml_stage(self, Uw, W0, history):
        """The terminal stage: noiseless ML from the last spread stage (whitened coordinates)."""
        from tqdm.auto import tqdm

        start = len(history)
        bar = tqdm(total=self.max_iter, disable=not self.verbose, leave=False,
                   desc="SpreadICA noiseless ML")

        def step_done(W, objective):
            self.n_iter_ += 1
            history.append(objective)
            bar.update(1)
            bar.set_postfix(objective=f"{objective:.6f}")
            if self.callback is not None:
                self._set_mixing(self._to_mixing(np.linalg.inv(W)))
                if self.callback(self, self.n_iter_, objective) is True:
                    self._stopped_by_callback = True
                    return True
            return False

        try:
            W, info = noiseless_ml(Uw, W0, self.prior_.scale, smoothing=ML_SMOOTHING,
                                   tol=self.tol, max_iter=self.max_iter, backend=self.backend,
                                   callback=step_done)
        finally:
            bar.close()
        history.insert(start, info["history"][0])   # the objective at W0 (no extra pass)
        self.n_estep_ += info["evaluations"]
        self.ml_stage_ = {k: info[k] for k in ("converged", "iters", "evaluations", "distance",
                                               "tol", "gradient", "objective", "smoothing",
                                               "stall", "roundoff")}
        return W

    def _set_mixing(self, A):
        self.mixing_ = A
        self.components_ = np.linalg.pinv(A)

    # ------------------------------------------------------------------- EM
    def _estep(self, Y, A, var=None):
        gf = _estep.gaussian_factor(Y, A, self._var if var is None else var)
        if self.estep_ == "exact":
            if self.backend == "numba":
                return _estep.estep_exact_numba(gf, self.prior_)
            return _estep.estep_exact_numpy(gf, self.prior_)
        if self.backend == "numba":
            return _estep.estep_importance_numba(gf, self.prior_, self._eps_ext, self._offsets,
                                                 self.n_draws)
        return _estep.estep_importance_numpy(gf, self.prior_, self._eps_ext, self._offsets,
                                             self.n_draws)

    def _em_map(self, Y, P):
        """One EM update: returns (new parameter, mean log-likelihood at P)."""
        self.n_estep_ += 1
        if self.estep_ == "whitened":
            P_new, obj = whitened_em_map(Y, P, self._sigma, self.prior_.scale, self.backend)
        else:
            est = self._estep(Y, P)
            if est.ess is not None:
                self._last_ess = (float(np.median(est.ess)), float(np.min(est.ess)))
            obj = float(np.mean(est.loglik))
            P_new = None if not math.isfinite(obj) else _m_step(Y, est)
        if not math.isfinite(obj):
            raise FloatingPointError(
                f"non-finite objective ({obj}) at E-step {self.n_estep_}; the mixing matrix "
                "has degenerated. Try a larger spread or check the data scale"
            )
        return P_new, obj

    def _run(self, Y, P0, tol, history):
        """EM (or SQUAREM) at one spread until the estimated distance to the
        fixed point is below ``tol`` or ``max_iter`` iterations have run.

        Every iteration knows three EM iterates P0, P1 = F(P0), P2 = F(P1); the
        ratio of the two EM steps is EM's own linear rate, from which the
        distance of P0 to the fixed point is estimated (see
        :func:`_distance_to_fixed_point`) before SQUAREM extrapolates."""
        from tqdm.auto import tqdm

        self._squarem_slack = _IS_SLACK if self.estep_ == "importance" else 0.0
        self._last_ess = None
        converged = False
        rate_seen = np.nan  # last rate < 1 that was resolvable above round-off
        info = dict(iters=0, step=np.nan, rate=np.nan, dist=np.inf)
        bar = tqdm(total=self.max_iter, disable=not self.verbose, leave=False,
                   desc=f"SpreadICA spread={self._sigma:.3g}")
        if self.estep_ == "whitened" and P0.shape[0] == 1:
            # the orthogonal 1x1 matrices are +-1: the Procrustes EM has nothing to fit
            bar.close()
            history.append(self._objective(Y, P0))
            return P0, True, dict(info, dist=0.0)
        try:
            P1, L0 = self._em_map(Y, P0)
            history.append(L0)
            for it in range(self.max_iter):
                P2, L1 = self._em_map(Y, P1)
                e1, e2 = _rel_change(P1, P0), _rel_change(P2, P1)
                rate, dist = _distance_to_fixed_point(e1, e2)
                if math.isfinite(dist):
                    rate_seen = rate
                elif e1 < _STEP_FLOOR and rate_seen < 1.0:
                    # steps at round-off level after a measured contraction: use that rate
                    dist = e1 / (1.0 - rate_seen)
                self.n_iter_ += 1
                info.update(iters=it + 1, step=e1, rate=rate, dist=dist)
                if dist < tol:
                    converged = True
                    P0, L0 = P2, None
                    break
                if self.accelerate == "squarem":
                    P_new = self._squarem_step(Y, P0, P1, P2, L0)
                    P_next, L_new = self._em_map(Y, P_new)
                else:
                    P_new, P_next, L_new = P1, P2, L1
                P0, P1, L0 = P_new, P_next, L_new
                history.append(L0)
                bar.update(1)
                bar.set_postfix(objective=f"{L0:.6f}", step=f"{e1:.2e}", distance=f"{dist:.2e}")
                if self.callback is not None:
                    self._set_mixing(self._to_mixing(P0))
                    if self.callback(self, self.n_iter_, L0) is True:
                        self._stopped_by_callback = True
                        break
        finally:
            bar.close()
        if converged:
            history.append(self._objective(Y, P0))
            if self.callback is not None:
                self._set_mixing(self._to_mixing(P0))
                self.callback(self, self.n_iter_, history[-1])
        return P0, converged, info

    def _objective(self, Y, P):
        if self.estep_ == "whitened":
            return whitened_objective(Y, P, self._sigma, self.prior_.scale, self.backend)
        return float(np.mean(self._estep(Y, P).loglik))

    def _squarem_step(self, Y, P0, P1, P2, L0):
        """SQUAREM-3 extrapolation from P0 (P1 = F(P0), P2 = F(P1)); returns the
        new iterate, with an objective no lower than L(P0) up to Monte-Carlo slack."""
        r = P1 - P0
        v = P2 - P1 - r
        nv = np.linalg.norm(v)
        if nv == 0.0:
            return P2
        alpha = min(-np.linalg.norm(r) / nv, -1.0)
        while alpha < -1.0:
            Pp = P0 - 2.0 * alpha * r + alpha**2 * v
            if self._project is not None:
                Pp = self._project(Pp)
            try:
                P_out, Lp = self._em_map(Y, Pp)  # stabilising EM step from Pp
            except (np.linalg.LinAlgError, FloatingPointError):
                Lp = -np.inf
            if Lp >= L0 - self._squarem_slack:
                return P_out
            alpha = (alpha - 1.0) / 2.0
            if alpha > -1.01:
                break
        return P2

    # ------------------------------------------------------------ transforms
    def transform(self, X):
        """Recover the sources, ``(X - mean_) @ components_.T``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        S : ndarray of shape (n_samples, n_components)
        """
        check_is_fitted(self)
        X = self._validate_X(X, reset=False)
        return (X - self.mean_) @ self.components_.T

    def inverse_transform(self, X):
        """Map sources back to data space, ``X @ mixing_.T + mean_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_components)
            Sources.

        Returns
        -------
        ndarray of shape (n_samples, n_features)
        """
        check_is_fitted(self)
        S = as_float_array(X, "X")  # complex sources are refused, not silently made real
        Z = self.mixing_.shape[1]
        if S.ndim != 2 or S.shape[1] != Z:
            raise ValueError(
                f"X must have shape (n_samples, {Z}) (n_components={Z}); got shape {S.shape}"
            )
        if S.size and np.max(np.abs(S)) > 1e150:  # the same bound as for data: no inf - inf
            raise ValueError(f"X must have entries of magnitude <= 1e150; got max |X| = "
                             f"{np.max(np.abs(S)):.3g}")
        return S @ self.mixing_.T + self.mean_

    @property
    def _n_features_out(self):
        return self.mixing_.shape[1]

    def score(self, X, y=None):
        r"""Mean spread log-likelihood per sample of X (an estimate).

        :math:`\frac1N\sum_n \log\tilde p(y_n)` with one spread draw
        :math:`y_n = x_n - \bar x + \sigma\epsilon_n` per point, at the last
        spread :math:`\sigma` = ``spread_`` and model noise ``noise``, using
        the fitted E-step (closed form in whitened coordinates, exact, or
        importance sampling).  Deterministic: the draws come from a fresh
        generator seeded by ``random_state`` when it is an int (by 0
        otherwise, so that a shared generator is never advanced), and the
        estimator is left unchanged.  For ``estep_="whitened"`` it is the
        density of the data's coordinates in the fitted signal subspace
        (whitened spread density times the Jacobian :math:`|\det K| =
        \prod_k\lambda_k^{-1/2}` of the whitening), which for
        ``n_components = n_features`` is the spread density of x itself.
        After the terminal noiseless-ML stage (``ml_stage_`` not None) it is
        instead the noiseless log-likelihood of the fitted model at its last
        smoothing :math:`\sigma_*`, :math:`\log|\det K| + \log|\det W| +
        \langle\sum_i\log p_{\sigma_*}((WK(x-\bar x))_i)\rangle`, with no draws.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : Ignored

        Returns
        -------
        float
        """
        check_is_fitted(self)
        X = self._validate_X(X, reset=False)
        rs = self.random_state
        rng = np.random.default_rng(rs if isinstance(rs, numbers.Integral) else 0)
        Xc = X - self.mean_
        Z = self.mixing_.shape[1]
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            if self.estep_ == "whitened" and self.ml_stage_ is not None:
                return self._log_det_whitening + noiseless_objective(
                    Xc @ self._whitening.T, self._W, self.ml_stage_["smoothing"][-1],
                    self.prior_.scale, self.backend)
            if self.estep_ == "whitened":
                Y = Xc @ self._whitening.T + self.spread_ * rng.standard_normal((X.shape[0], Z))
                return self._log_det_whitening + whitened_objective(
                    Y, self._W.T, self.spread_, self.prior_.scale, self.backend)
            var = self.noise**2 + (self.spread_ * self._scale) ** 2
            Y = Xc + self.spread_ * self._scale * rng.standard_normal(Xc.shape)
            scratch = SpreadICA(Z, estep=self.estep_, prior=self.prior_, n_draws=self.n_draws,
                                backend=self.backend)
            scratch.estep_, scratch.prior_ = self.estep_, self.prior_
            if self.estep_ == "importance":
                pool = max(8192, 8 * self.n_draws)
                scratch._eps_ext = _estep.extend_pool(rng.standard_normal((Z, pool)),
                                                      self.n_draws)
                scratch._offsets = rng.integers(0, pool, size=Y.shape[0]).astype(np.int64)
            est = scratch._estep(Y, self.mixing_, var=var)
        return float(np.mean(est.loglik))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        return tags


def _rel_change(P, P_prev):
    return float(np.linalg.norm(P - P_prev) / np.linalg.norm(P_prev))


def _distance_to_fixed_point(e1, e2):
    r"""EM's observed linear rate and the estimated distance to its fixed point.

    With two successive relative EM steps :math:`e_1 = \|F(P)-P\|/\|P\|` and
    :math:`e_2 = \|F(F(P))-F(P)\|/\|F(P)\|`, the rate is :math:`\rho = e_2/e_1`
    and a linearly convergent sequence started at P still has to travel
    :math:`\sum_{j\ge0} e_1\rho^j = e_1/(1-\rho)`.  Returns ``(rho, inf)`` when
    the steps do not contract, or when :math:`1-\rho` is not resolvable above
    round-off, :math:`1-\rho < 3\cdot 10^{-15}/e_2` (a frozen EM, whose rate
    :math:`1-O(\gamma^2)` cannot be told from 1, must never look converged).

    Examples
    --------
    >>> _distance_to_fixed_point(1e-3, 5e-4)   # rate 1/2: distance 2 e1
    (0.5, 0.002)
    >>> _distance_to_fixed_point(1e-12, 1e-12 * (1 - 1e-9))[1]   # frozen
    inf
    """
    if not (e1 > 0.0 and e2 > 0.0):
        return np.nan, np.inf  # no measurable step: nothing to extrapolate from
    rho = e2 / e1
    if rho >= 1.0 or (1.0 - rho) < 3.0 * _ROUNDOFF / e2:
        return rho, np.inf
    return rho, e1 / (1.0 - rho)


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
