"""SpreadICA: EM for linear ICA with spread noise (works for noise-free data)."""
import functools
import math
import re
from numbers import Integral, Real

import numpy as np
from sklearn.base import (BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin,
                          _fit_context)
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from .._trainer import (ConvergenceWarning, PlainNumbersMixin, Progress, as_generator, distance_to_fixed_point,
                        fit_guard, fixed_point, rel_change, score_seed,
                        warn_not_converged)
from .._validation import _short, as_count, as_float_array
from ._estep import ESTEPS, m_step, point_mass_estep
from ._priors import GaussianMixturePrior, LaplacePrior, SechPrior, get_prior
from . import _noisy
from ._start import _principal_subspace, _random_rotation, _one_blas_thread
from ._whitened import ML_SMOOTHING, noiseless_ml, noiseless_objective

__all__ = ["SpreadICA", "ConvergenceWarning", "auto_spread"]


class ComplexDataError(TypeError, ValueError):
    """Complex X given to :class:`SpreadICA`: a wrong type (the package's rule for complex
    input), and the ``ValueError`` scikit-learn's estimator checks expect."""


# Budget of iterations per stage: max_iter above it is refused up front (a fit that long would
# run for days; np.uint64(2**64 - 1) overflowed the iteration arithmetic inside the fit).
_MAX_ITER = 10**7
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
# The closed-form passes of the whitened fit cost ~0.1 us per element; below this
# many elements (N * Z) a pass takes a few ms and the fork/join of a parallel
# region costs more than it saves on a shared machine (lecture size, N*Z = 4e4:
# 0.16-0.24 s single-threaded vs 0.63-0.92 s on 2 threads at load average 3-5,
# measured), so such fits run their Numba passes on one thread.
_PARALLEL_MIN_ELEMENTS = 100_000
# When a terminal stage follows, the spread stage only has to bring the estimate into the
# basin of the maximum-likelihood optimum, which the terminal stage then reaches on all the
# data.  It then runs on a random subset of max(_BASIN_MIN_SAMPLES, _BASIN_PER_PARAMETER * Z**2)
# samples (its passes cost in proportion) and stops at a relative distance _BASIN_TOL to its
# own fixed point: that fixed point is itself off the ML estimate by the spread's bias and
# the subset's statistical error (0.04-0.10 in relative norm, measured), so converging to
# it more tightly buys nothing.  Measured (benchmarks/README.md, section 3c): from this start
# the terminal stage reaches the same estimate with a few more Newton passes than from a
# spread stage converged to tol=1e-4 on all the data, in about half the total time.
_BASIN_MIN_SAMPLES = 2000
_BASIN_PER_PARAMETER = 40
_BASIN_TOL = 0.03


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


class SpreadICA(PlainNumbersMixin, ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
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
    optimum, and the terminal stage removes its bias.  With a terminal stage
    every spread stage therefore runs on a random subset of
    :math:`\max(2000, 40Z^2)` samples (all of them when there are fewer) and
    stops at an estimated relative distance :math:`\max(\mathrm{tol}, 0.03)`
    to its fixed point: that fixed point is itself off the ML estimate by the
    spread's bias and the subset's sampling error, and the terminal stage,
    on all the data, reaches the same estimate from there with a few more
    Newton passes than from a spread stage converged to 1e-4 on all the
    data, at about half the total time (``benchmarks/README.md``, section
    3c).

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
        Maximum iterations *per stage*, at most ``10**7`` (a budget refused up front) (one iteration is one SQUAREM cycle of
        at least three EM maps when ``accelerate="squarem"``); for the
        terminal stage, Newton iterations per smoothing level.
    tol : float, default=1e-4
        Stop a stage when the estimated relative distance of the mixing
        matrix to the stage's fixed point is below ``tol`` (far below the
        statistical error :math:`\approx 1/\sqrt N` of ICA for any
        N < 1e8); spread stages followed by a terminal stage stop at
        ``max(tol, 0.03)`` (they only have to reach its basin, see
        *Schedule*).
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
        ``est.mixing_`` set to the current estimate and ``est.n_iter_``,
        ``est.n_estep_`` to the counts so far; returning ``True``
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
        E-steps run (three or more per SQUAREM iteration; over the spread
        stage's subset when a terminal stage follows), plus the passes
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
    stop_reason_ : str
        Why the fit stopped, in words (every stage converged, the stages
        that ran out of ``max_iter``, the terminal stage's stall, or the
        callback).  A stage that runs out of iterations keeps its best
        iterate (highest objective), not its last.

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
        "max_iter": [Interval(Integral, 1, _MAX_ITER, closed="both")],
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
        if isinstance(self.n_components, (bool, np.bool_)):
            raise TypeError(f"n_components must be an int or None, not a boolean; got "
                            f"{self.n_components!r}")
        Z = n_features if self.n_components is None else int(self.n_components)
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
        rng = as_generator(self.random_state)
        self.mean_ = X.mean(axis=0)
        Xc = X - self.mean_
        lam, U = _principal_subspace(Xc, Z)
        scale = math.sqrt(lam.mean())                # source scale (data units)
        A0 = self._start(U, lam, _random_rotation(rng, Z), d, Z)
        sigma0 = _AUTO_SPREAD if self.spread == "auto" else float(self.spread)
        kind = ESTEPS[self.estep_](self.prior_, backend=self.backend, noise=self.noise,
                                   scale=scale, n_draws=self.n_draws)
        frame = kind.frame(Xc, lam, U, A0)
        finish = _terminal_stage(self.finish, kind, Xc=Xc, lam=lam, rng=rng)
        # with a terminal stage the spread schedule only has to reach the basin of the
        # optimum (the terminal stage removes its bias, on all the data): "auto" is then the
        # first stage alone, on a random subset, to a loose tolerance (_BASIN_TOL)
        U_spread = _basin_subset(frame.U, Z, rng) if finish else frame.U
        stage_tol = max(self.tol, _BASIN_TOL) if finish else self.tol
        eps = rng.standard_normal(U_spread.shape) if sigma0 > 0 else None   # one spread draw
        kind = kind.with_draws(rng, n, Z)          # importance: its common random numbers
        n_stages = (1 if finish else None) if self.anneal == "auto" else self.anneal + 1
        log = _FitLog()
        # the fit's matrix products are thin (N x Z): BLAS on one thread (_one_blas_thread)
        small = kind.name == "whitened" and self.backend == "numba" and n * Z < _PARALLEL_MIN_ELEMENTS
        with _one_blas_thread(), fit_guard(
                "SpreadICA", where=lambda: f"after {log.n_estep} E-steps",
                advice="try a larger spread, standardising X or fewer components",
                blas_threads=None, numba_threads=1 if small else None):
            P = _spread_schedule(kind, U_spread, eps, frame.P, sigma0, n_stages=n_stages,
                                 stat_err=1.0 / math.sqrt(U_spread.shape[0]),
                                 noise_reached=lambda s: self.noise > 0 and s * scale <= self.noise,
                                 run=lambda Y, P0, s: self._stage(kind, frame, Y, P0, s, log,
                                                                  stage_tol),
                                 log=log)
            W = P.T                                   # unmixing, whitened coordinates
            if finish and not log.stopped:
                W = finish(self, frame, W, log)
        # after the terminal stage W is a general matrix; otherwise W = P^T with P orthogonal
        self._set_mixing(frame.to_mixing(P if log.ml is None else np.linalg.inv(W)))
        self._store(frame, P, W, lam, scale, log)
        if not self.converged_ and not log.stopped:
            self._warn_not_converged(log)
        return self

    def _start(self, U, lam, R0, d, Z):
        """The initial mixing matrix: the pca_start rotation R0 of the principal subspace,
        or ``init``."""
        if isinstance(self.init, str):
            return (U * np.sqrt(np.maximum(lam - self.noise**2, 1e-6 * lam[0]))) @ R0
        A0 = np.asarray(self.init, dtype=float)
        if A0.shape != (d, Z) or not np.all(np.isfinite(A0)):
            raise ValueError(f"init must be 'pca' or a finite array of shape ({d}, {Z}); "
                             f"got shape {A0.shape}")
        return A0

    def _stage(self, kind, frame, Y, P0, sigma, log, tol):
        """EM (or SQUAREM) at one spread until the estimated distance to the fixed point
        is below ``tol`` or ``max_iter`` iterations have run (:func:`fixed_point`)."""
        if kind.trivial(P0):
            log.history.append(kind.objective(Y, P0, sigma))
            return P0, True, dict(iters=0, step=np.nan, rate=np.nan, dist=0.0, tol=tol)

        def F(P):
            log.n_estep += 1
            P_new, obj, ess = kind.em_map(Y, P, sigma)
            if ess is not None:
                log.last_ess = ess
            if not math.isfinite(obj):
                raise FloatingPointError(
                    f"non-finite objective ({obj}) at E-step {log.n_estep}; the mixing matrix "
                    "has degenerated. Try a larger spread or check the data scale")
            return P_new, obj

        base = log.n_iter
        on_iter = None if self.callback is None else (
            lambda P, obj, it: self._report(frame.to_mixing(P), base + it, obj, log))
        log.last_ess = None
        with Progress(self.max_iter, f"SpreadICA spread={sigma:.3g}", self.verbose) as bar:
            P, tracker, info = fixed_point(
                F, P0, tol=tol, max_iter=self.max_iter,
                accelerate=self.accelerate == "squarem", project=kind.project,
                slack=kind.slack, on_iter=on_iter, progress=bar)
        log.n_iter = base + tracker.n_iter
        log.history.extend(tracker.history)
        if tracker.converged:
            log.history.append(kind.objective(Y, P, sigma))
            if self.callback is not None:
                self._report(frame.to_mixing(P), log.n_iter, log.history[-1], log)
        return P, tracker.converged, dict(info, tol=tol)

    def _report(self, mixing, n_iter, objective, log):
        """Show the current estimate to ``callback``; True (and ``log.stopped``) if it
        asks to stop."""
        self._set_mixing(mixing)
        self.n_iter_, self.n_estep_ = n_iter, log.n_estep
        if self.callback(self, n_iter, objective) is True:
            log.stopped = True
        return log.stopped

    def _ml_stage(self, frame, W0, log):
        """The terminal stage: noiseless ML from the last spread stage (whitened coordinates)."""
        start = len(log.history)

        def step_done(W, objective):
            log.n_iter += 1
            log.history.append(objective)
            bar.update(objective=f"{objective:.6f}")
            return self.callback is not None and self._report(
                frame.to_mixing(np.linalg.inv(W)), log.n_iter, objective, log)

        with Progress(self.max_iter, "SpreadICA noiseless ML", self.verbose) as bar:
            W, info = noiseless_ml(frame.U, W0, self.prior_.scale, smoothing=ML_SMOOTHING,
                                   tol=self.tol, max_iter=self.max_iter, backend=self.backend,
                                   callback=step_done)
        log.history.insert(start, info["history"][0])   # the objective at W0 (no extra pass)
        log.n_estep += info["evaluations"]
        log.ml = {k: info[k] for k in ("converged", "iters", "evaluations", "distance", "tol",
                                       "gradient", "objective", "smoothing", "stall",
                                       "roundoff")}
        return W

    def _store(self, frame, P, W, lam, scale, log):
        """Set the fitted attributes from a finished fit."""
        self.n_estep_ = log.n_estep
        self.n_iter_ = log.n_iter
        self.stage_esteps_ = [r["esteps"] for r in log.stages]
        self.stage_converged_ = [r["converged"] for r in log.stages]
        self.spread_schedule_ = [r["sigma"] for r in log.stages]
        self.spread_ = self.spread_schedule_[-1]
        self.ml_stage_ = log.ml
        self.history_ = np.asarray(log.history)
        self.ess_ = np.asarray(log.ess) if log.ess else None
        # the fitted model in the E-step's coordinates, for score
        self._scale = scale
        self._P = P
        self._W = W
        self._whitening = frame.K
        self._log_det_whitening = 0.0 if frame.K is None else float(-0.5 * np.sum(np.log(lam)))
        ml = self.ml_stage_
        self.converged_ = (bool(all(self.stage_converged_)) and not log.stopped
                           and (ml is None or ml["converged"]))
        self.stop_reason_ = log.reason()

    def _noisy_ml_stage(self, frame, W0, log, *, Xc, lam, rng):
        """The terminal stage for noisy data: noiseless ML, then ML of x = A s + noise * eps
        (:func:`spreadlab.ica._noisy.noisy_stage`) from the noiseless estimate."""
        W = self._ml_stage(frame, W0, log)
        if log.stopped or not log.ml["converged"]:
            return W
        W, info = _noisy.noisy_stage(self, Xc, lam, frame.U, W, rng)
        log.n_estep += info["evaluations"]
        log.n_iter += sum(info["iters"])
        log.history.append(info["objective"])
        log.ml = info
        return W

    def _warn_not_converged(self, log):
        ml = log.ml
        bad = [r for r in log.stages if not r["converged"]]
        ml_bad = ml is not None and not ml["converged"]
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
        warn_not_converged(
            f"SpreadICA did not converge in max_iter={self.max_iter} iterations per stage: "
            f"{'; '.join(parts)}. {advice[0].upper()}{advice[1:]}.", stacklevel=4)

    def _set_mixing(self, A):
        self.mixing_ = A
        self.components_ = np.linalg.pinv(A)

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
        rng = np.random.default_rng(score_seed(rs))
        Xc = X - self.mean_
        K, log_det = self._whitening, self._log_det_whitening
        U = Xc if K is None else Xc @ K.T
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            if self.ml_stage_ is not None:
                return log_det + noiseless_objective(U, self._W, self.ml_stage_["smoothing"][-1],
                                                     self.prior_.scale, self.backend)
            eps = rng.standard_normal(U.shape)
            kind = ESTEPS[self.estep_](self.prior_, backend=self.backend, noise=self.noise,
                                       scale=self._scale, n_draws=self.n_draws)
            kind = kind.with_draws(rng, U.shape[0], self.mixing_.shape[1])
            return log_det + kind.objective(kind.spread(U, eps, self.spread_), self._P,
                                            self.spread_)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        return tags


class _FitLog:
    """What one fit accumulates across its stages: passed along, never kept on the estimator."""

    def __init__(self):
        self.n_estep = 0
        self.n_iter = 0
        self.history = []     # objective per iteration, all stages
        self.ess = []         # importance sampling: (median, min) ESS of each stage's last E-step
        self.last_ess = None
        self.stages = []      # one report per spread stage
        self.stopped = False  # by the callback
        self.ml = None        # the terminal stage's report

    def reason(self):
        """Why the fit stopped, in words."""
        if self.stopped:
            return "stopped by the callback"
        bad = [r["stage"] for r in self.stages if not r["converged"]]
        if bad:
            return f"max_iter reached in spread stage(s) {bad}"
        if self.ml is not None and not self.ml["converged"]:
            return f"noiseless-ML stage stopped by {self.ml['stall']}"
        return "every stage met its stopping rule"


def _spread_schedule(kind, U, eps, P, sigma0, *, n_stages, stat_err, noise_reached, run, log):
    """Spread EM stage after stage, the spread halved each time; returns the last estimate.

    ``n_stages`` stages, or (None) until two successive stage optima differ by less than
    0.3 standard errors, the spread floor, or ``noise_reached(sigma)`` (model noise: a
    spread no larger than the noise).  ``run(Y, P0, sigma) -> (P, converged, info)`` runs one stage."""
    stage, sigma, prev, prev2 = 0, sigma0, None, None
    while True:
        start = P
        if prev2 is not None:
            # the stage optima move smoothly with sigma: start from the
            # linear extrapolation P(s/2) ~ P(s) + (P(s) - P(2s))/2
            start = P + 0.5 * (P - prev2)
            if kind.project is not None:
                start = kind.project(start)
        P, converged, info = run(kind.spread(U, eps, sigma), start, sigma)
        log.stages.append(dict(info, stage=stage + 1, sigma=sigma, converged=converged,
                               esteps=log.n_estep))
        if log.last_ess is not None:
            log.ess.append(log.last_ess)
        change = None if prev is None else rel_change(P, prev)
        prev2, prev = prev, P
        if log.stopped or sigma == 0:
            return P
        if n_stages is not None:
            if stage == n_stages - 1:
                return P
        elif (change is not None and change < _SCHEDULE_STAT_FRACTION * stat_err) \
                or 0.5 * sigma < _SCHEDULE_FLOOR \
                or noise_reached(sigma):
            return P
        stage += 1
        sigma *= 0.5


def _basin_subset(U, n_components, rng):
    """The rows the spread stage runs on when a terminal stage follows: all of ``U`` up to
    max(2000, 40 Z^2) rows, else a random subset of that size (in the original order)."""
    n_basin = max(_BASIN_MIN_SAMPLES, _BASIN_PER_PARAMETER * n_components**2)
    if U.shape[0] <= n_basin:
        return U
    return U[np.sort(rng.choice(U.shape[0], n_basin, replace=False))]


# ---- the terminal stage: chosen here, and only here ---------------------------------
def _terminal_stage(finish, kind, *, Xc, lam, rng):
    """The stage run after the spread schedule, or None: in whitened coordinates
    ``finish="ml"`` is noiseless maximum likelihood (:meth:`SpreadICA._ml_stage`) and
    ``finish="noisy_ml"`` continues from it to maximum likelihood of the noisy model
    (:meth:`SpreadICA._noisy_ml_stage`, which needs the centred data and their top
    eigenvalues to estimate the noise)."""
    if kind.name != "whitened":
        return None
    if finish == "ml":
        return SpreadICA._ml_stage
    if finish == "noisy_ml":
        return functools.partial(SpreadICA._noisy_ml_stage, Xc=Xc, lam=lam, rng=rng)
    return None
# ---------------------------------------------------------------------------------------


# kept importable from here (tests, notebooks): the helpers now live in their own modules
_distance_to_fixed_point = distance_to_fixed_point
_rel_change = rel_change
_m_step = m_step
_point_mass_estep = point_mass_estep
