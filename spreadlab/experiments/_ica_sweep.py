r"""The Fig. 1 sweeps (error in A against noise or sample size) and their plots.

One sweep function serves notebook 6 and :func:`spreadlab.experiments.reproduce_ica`:
classical EM (``SpreadICA(spread=0, noise=gamma)``), spread EM
(``SpreadICA(noise=gamma)``), optionally ``SpreadICA()`` with its defaults
("spread EM + ML finish") and ``SpreadICA(finish="noisy_ml", noise=gamma)``
("spread EM + noisy ML finish"), and scikit-learn's FastICA on the same data, every
EM from the same :func:`pca_start` matrix.
"""
import dataclasses
import math
import numbers
import time
import warnings

import numpy as np

from .._trainer import ConvergenceWarning
from .._validation import _short, as_count, as_noise
from ..ica._data import make_ica_data
from ..ica._estimator import _MAX_ITER, SpreadICA
from ..ica._metrics import amari_distance, mixing_error
from ..ica._start import pca_start
from ._runner import check_flag, check_folder, run_points

__all__ = ["ICASweepConfig", "ica_sweep", "plot_ica_traces", "plot_ica_sweep"]

METHODS = ("classical EM", "spread EM", "spread EM + ML finish", "spread EM + noisy ML finish",
           "FastICA")
# What ica_sweep fits unless told otherwise (notebook 6); reproduce_ica fits all of METHODS.
DEFAULT_METHODS = ("classical EM", "spread EM", "FastICA")
# The two methods that are SpreadICA's own fits with a terminal ML stage, and its finish.
_ML_FINISH = {"spread EM + ML finish": "ml", "spread EM + noisy ML finish": "noisy_ml"}
# SpreadICA's largest n_draws (its _parameter_constraints): checked by the sweep up front.
_MAX_DRAWS = 100_000
# Bytes one point holds per sample, at least: the sources, the data and its noise made by
# make_ica_data, the centred copy of the fit and its whitened sources (float64).
_BYTES_PER_SAMPLE = lambda X, Z: 8 * (3 * X + 3 * Z)  # noqa: E731
# Bytes one point's settings and rows take in memory, at least (a list of 10**9 points
# was built for n_runs=10**9 before anything was checked: a hang).
_BYTES_PER_POINT = 4096


def fastica_class():
    try:
        from sklearn.decomposition import FastICA
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "the ICA sweep and reproduction compare with scikit-learn's FastICA, which is "
            "not installed; install it with `pip install scikit-learn`"
        ) from exc
    return FastICA


# Iterations over which the frozen-EM rule looks back, and the safety factor on its
# bound (see _FrozenRule): the largest change per iteration over 50 iterations,
# doubled, because EM's steps are not exactly monotone (with a 20-iteration window
# and no factor a tiny validation run moved 8% more than the bound).
_FROZEN_WINDOW = 50
_FROZEN_SAFETY = 2.0
# Version of the per-point result files; a file of another version is refitted
# (3: the importance-sampling kernel sums the Laplace log prior in another order).
_POINT_FORMAT = 3


class _FrozenRule:
    r"""Early stop of a classical-EM run that cannot change its reported error.

    Plain EM with a budget of ``budget`` iterations is stopped at iteration k if,
    over the last :data:`_FROZEN_WINDOW` iterations, (i) the relative EM step of
    the mixing matrix did not grow and (ii) the largest per-iteration change of
    the error in A, :math:`d_k`, satisfies :math:`b_k = 2(B-k)\,d_k \le f\,e_k`
    (``fraction`` f of the current error :math:`e_k`).  EM's steps shrink
    (or stay flat) while its rate is constant, so the error reported after the
    full budget differs from :math:`e_k` by at most :math:`(B-k)\,d_k`; the
    factor 2 covers steps that are not exactly monotone.  The bound :math:`b_k`
    is recorded with the row.  Condition (i) keeps a run that is
    leaving a plateau (growing steps) from being stopped.  With ``apply=False``
    the run continues to its budget and the iteration and error at which the rule
    fired are recorded, so the bound can be checked against the full run.
    """

    def __init__(self, A_true, budget, fraction, apply=True, window=_FROZEN_WINDOW,
                 safety=_FROZEN_SAFETY):
        self.A_true, self.budget, self.fraction, self.apply = A_true, budget, fraction, apply
        self.window, self.safety = window, safety
        self.err, self.step, self.prev = [], [], None
        self.fired = None  # (iteration, error, bound) when the rule first held

    def __call__(self, est, it, objective):
        A = est.mixing_
        self.err.append(mixing_error(A, self.A_true))
        self.step.append(np.nan if self.prev is None
                         else np.linalg.norm(A - self.prev) / np.linalg.norm(self.prev))
        self.prev = A.copy()
        k, W = len(self.err), self.window
        if self.fired is not None or k <= W + 1 or k >= self.budget:
            return False  # (at the end of the budget there is nothing left to save)
        d = float(np.max(np.abs(np.diff(self.err[-W - 1:]))))
        growing = self.step[-1] > self.step[-W - 1]
        bound = self.safety * (self.budget - k) * d
        if not growing and bound <= self.fraction * self.err[-1]:
            self.fired = (k, self.err[-1], bound)
            return self.apply
        return False


def _check_values(values, vary):
    """The swept ``values`` as floats (noise levels >= 0) or ints (sample sizes >= 2)."""
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__") or \
            (isinstance(values, np.ndarray) and values.ndim == 0):
        what = "noise levels" if vary == "gamma" else "sample sizes"
        raise TypeError(f"values must be a sequence of {what}; got values={_short(values)}")
    values = list(values)
    if not values:
        raise ValueError("values must hold at least one value; got values=[]")
    out = []
    for v in values:
        if vary == "n_samples":
            if isinstance(v, numbers.Real) and not isinstance(v, (bool, numbers.Integral)) \
                    and math.isfinite(v) and float(v).is_integer():
                v = int(v)  # 500.0, e.g. from numpy.geomspace(...).round()
            if isinstance(v, bool) or not isinstance(v, numbers.Integral):
                raise TypeError(f"values must hold integer sample sizes (vary='n_samples'); got "
                                f"values={_short(values)}")
            out.append(as_count(v, "values (sample sizes)", minimum=2))
        else:
            out.append(as_noise(v, "values (noise levels)"))
    return out


def _check_methods(methods):
    """``methods`` as a non-empty tuple of distinct names from :data:`METHODS`; a single
    string is one method (``methods="FastICA"``), not a sequence of characters."""
    if isinstance(methods, str):
        methods = (methods,)
    if isinstance(methods, bytes) or not hasattr(methods, "__iter__") or \
            (isinstance(methods, np.ndarray) and methods.ndim == 0):
        raise TypeError(f"methods must be a method name or a sequence of them, among "
                        f"{METHODS}; got methods={_short(methods)}")
    methods = tuple(methods)
    if not methods:
        raise ValueError(f"methods must name at least one method among {METHODS}; got "
                         f"methods={_short(methods)}")
    bad = [m for m in methods if not isinstance(m, str)]
    if bad:
        raise TypeError(f"methods must hold method names (str) among {METHODS}; got "
                        f"{_short(bad[0])} in methods={_short(methods)}")
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise ValueError(f"methods must be among {METHODS}; got {unknown}")
    if len(set(methods)) < len(methods):
        # a repeated method would be fitted twice and its rows counted as two runs
        raise ValueError(f"methods must not repeat a method; got methods={_short(methods)}")
    return methods


def check_n_jobs(n_jobs):
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, numbers.Integral) or n_jobs < 1:
        raise ValueError(f"n_jobs must be an int >= 1; got n_jobs={n_jobs!r}")
    return int(n_jobs)


def _check_runs(validate_runs, n_runs):
    """``validate_runs`` as a tuple of run indices in [0, ``n_runs``)."""
    if isinstance(validate_runs, (str, bytes)) or not hasattr(validate_runs, "__iter__"):
        raise TypeError(f"validate_runs must be a sequence of run indices; got "
                        f"validate_runs={_short(validate_runs)}")
    runs = tuple(validate_runs)
    for r in runs:
        if isinstance(r, bool) or not isinstance(r, numbers.Integral):
            raise TypeError(f"validate_runs must hold integer run indices; got "
                            f"validate_runs={_short(validate_runs)}")
        if not 0 <= r < n_runs:
            raise ValueError(f"validate_runs must hold runs in [0, n_runs={n_runs}); got "
                             f"validate_runs={_short(validate_runs)}")
    return tuple(int(r) for r in runs)


# ica_sweep's names for SpreadICA's parameters: their allowed values are SpreadICA's own
_SPREAD_ICA_NAMES = {"estep": "estep", "spread_anneal": "anneal",
                     "classical_accelerate": "accelerate"}


def check_values(values, config):
    """The values of a sweep with ``config`` (an :class:`ICASweepConfig`), checked before
    any point is made or fitted: each value, every point's budget and noise, distinct
    file names, and the number of points against the memory and work budgets."""
    values = _check_values(values, config.vary)
    for v in values:
        if config.vary == "n_samples":
            config._check_n_samples(v, "values (sample sizes)")
        else:
            config._check_noise_estimable(v)
    names = [f"{v:g}" for v in values]
    if len(set(names)) < len(names):
        # a repeated value would be fitted twice and counted as two runs, and values equal
        # to 6 significant digits would share one result file
        raise ValueError(f"values must differ in their first 6 significant digits (they name "
                         f"the result files); got values={_short(list(values))}")
    smallest = config.n_samples if config.vary == "gamma" else min(values)
    as_count(len(values) * config.n_runs, f"the number of points (n_runs={config.n_runs} x "
             f"{len(values)} values)", item_bytes=_BYTES_PER_POINT,
             item_ops=float(smallest) * config.n_features * config.n_sources, what="point")
    return values


def _check_like_spread_ica(**params):
    from sklearn.utils._param_validation import validate_parameter_constraints

    for name, value in params.items():
        if isinstance(value, bool):  # scikit-learn counts True as the int 1
            raise TypeError(f"{name} must not be a bool; got {name}={value!r}")
    constraints = SpreadICA._parameter_constraints
    validate_parameter_constraints(
        {name: constraints[_SPREAD_ICA_NAMES[name]] for name in params}, params,
        caller_name="ica_sweep")


def _worker_init():
    """One thread per worker process: the pool, not BLAS or Numba, uses the cores."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    import numba

    from .. import _numba   # noqa: F401  (starts Numba's thread pool with the package's policy)

    numba.set_num_threads(1)


def _fit_point(settings):
    """Fit every method of one (value, run) point; returns its rows."""
    FastICA = fastica_class() if "FastICA" in settings["methods"] else None
    vary, value, run = settings["vary"], settings["value"], settings["run"]
    g, n = settings["gamma"], settings["n_samples"]
    seed = settings["random_state"] + run
    X, A, _ = make_ica_data(n, settings["n_features"], settings["n_sources"], noise=g,
                            random_state=seed)
    Z = settings["n_sources"]
    start = pca_start(X, Z, noise=g, random_state=seed)
    rows = []
    for method in settings["methods"]:
        t, cpu = time.perf_counter(), time.process_time()
        extra = {}
        if method == "FastICA":
            est = FastICA(n_components=Z, whiten="unit-variance", max_iter=1000,
                          random_state=seed)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # its own ConvergenceWarning: reported below
                est.fit(X)
            A_est, esteps, iters = est.mixing_, None, est.n_iter_
            conv = est.n_iter_ < 1000
            stop = "converged" if conv else "max_iter"
        elif method in _ML_FINISH:
            # "ML finish" is the package's default fit: one spread stage, then the
            # sigma -> 0 limit (noiseless maximum likelihood), which models the data as
            # noise-free; "noisy ML finish" continues to maximum likelihood of the noisy
            # model x = A s + gamma eps with gamma given, as classical and spread EM are
            # (gamma = 0: estimated from the trailing eigenvalues)
            kw = dict(finish="noisy_ml", noise=g) if _ML_FINISH[method] == "noisy_ml" else {}
            est = SpreadICA(Z, init=start, random_state=seed, **kw)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)  # reported as a column
                est.fit(X)
            A_est, esteps, iters, conv = est.mixing_, est.n_estep_, est.n_iter_, est.converged_
            ml = est.ml_stage_
            stop = ("converged" if conv else
                    f"ML stage: {ml['stall']}" if ml is not None and not ml["converged"]
                    else "max_iter")
            extra["final_spread"] = 0.0 if ml is not None else est.spread_
            if ml is not None and "noise" in ml:
                extra["noise"] = float(ml["noise"])   # the noise level the stage fitted
        elif method == "classical EM" and g == 0:
            # frozen: every matrix is a fixed point
            A_est, esteps, iters, conv, stop = start, 0, 0, False, "frozen (gamma = 0)"
        else:
            classical = method == "classical EM"
            rule = None
            if classical:
                budget = settings["classical_max_iter"]
                kw = dict(spread=0.0, accelerate=settings["classical_accelerate"],
                          max_iter=budget)
                if settings["frozen_stop"] is not None:
                    rule = _FrozenRule(A, budget, settings["frozen_stop"],
                                       apply=not settings["validate_frozen"],
                                       window=settings["frozen_window"],
                                       safety=settings["frozen_safety"])
                    kw["callback"] = rule
            else:
                kw = dict(anneal=settings["spread_anneal"], max_iter=settings["max_iter"])
            est = SpreadICA(Z, noise=g, init=start, n_draws=settings["n_draws"],
                            estep=settings["estep"], random_state=seed, **kw)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)  # reported as a column
                est.fit(X)
            A_est, esteps, iters, conv = est.mixing_, est.n_estep_, est.n_iter_, est.converged_
            stop = "converged" if conv else "max_iter"
            if rule is not None and rule.fired is not None:
                extra = dict(rule_iter=rule.fired[0], rule_error=rule.fired[1],
                             error_bound=rule.fired[2])
                if rule.apply:
                    stop = "frozen rule"
            if not classical:
                extra["final_spread"] = est.spread_
        row = {"vary": vary, "value": value, "run": run, "method": method,
               "mixing_error": mixing_error(A_est, A), "amari": amari_distance(A_est, A),
               "seconds": time.perf_counter() - t, "cpu_seconds": time.process_time() - cpu,
               "n_estep": esteps, "n_iter": iters,
               "converged": bool(conv), "stop": stop}
        row.update(extra)
        rows.append(row)
    return rows


@dataclasses.dataclass(frozen=True)
class ICASweepConfig:
    """The settings of one ICA sweep (:func:`ica_sweep`), checked when it is made.

    Everything that determines the results is here; how the sweep runs (result
    folder, progress bar, worker processes) is given to :func:`ica_sweep`.
    ``dataclasses.replace(config, max_iter=100)`` makes a variant.

    Parameters
    ----------
    vary : {"gamma", "n_samples"}, default="gamma"
        Which setting the sweep varies (Fig. 1a varies the noise, Fig. 1b the sample size).
    gamma : float, default=0.0
        Noise level when ``vary="n_samples"``.
    n_samples : int, default=2000
        Sample size when ``vary="gamma"``, at least 2; a size whose data would
        not fit the memory budget (:data:`spreadlab.budgets.MEMORY_BUDGET`) is
        refused when the config is made (with ``vary="n_samples"`` the values
        of :func:`ica_sweep` are checked the same way).
    n_features, n_sources : int, default=6, 3
        X and Z of the generated problems.  Every fit forms the X x X data
        covariance, and the ML finishes a :math:`Z^2\times Z^2` Hessian: sizes
        whose arrays or eigendecompositions exceed :mod:`spreadlab.budgets` are
        refused when the config is made.
    n_runs : int, default=1
        Random mixing matrices per point, at most ``2**32`` (run r is seeded
        ``random_state + r``); with the values of :func:`ica_sweep`, the points
        (``n_runs * len(values)``) are checked against the memory and work budgets
        before any is made.
    max_iter : int, default=40
        Iteration budget per stage of spread EM (and of classical EM unless
        ``classical_max_iter`` is given), at most ``10**7`` (SpreadICA's bound).
        ``"spread EM + ML finish"`` and ``"spread EM + noisy ML finish"`` are
        SpreadICA fits with its own defaults and ignore this, ``n_draws``,
        ``estep`` and ``spread_anneal``.
    n_draws : int, default=100
        Importance draws of classical and spread EM (when they sample), in
        [1, 100000] (SpreadICA's range).  With ``n_samples`` it is also checked
        against the work budget (:data:`spreadlab.budgets.WORK_BUDGET`: the
        sampled E-steps of one EM budget) when the sweep is made.
    methods : str or sequence of str, default=("classical EM", "spread EM", "FastICA")
        Which methods to fit at each point: one name or several distinct names
        among ``METHODS``, i.e. these three, ``"spread EM + ML finish"``
        (``SpreadICA()``, which models the data as noise-free) and
        ``"spread EM + noisy ML finish"`` (``SpreadICA(finish="noisy_ml",
        noise=gamma)``: maximum likelihood of the noisy model with the data
        noise given, as classical and spread EM are; at ``gamma = 0`` it
        estimates the noise from the trailing eigenvalues, which needs
        ``n_features > n_sources``).
    random_state : int, default=0
        Seed of the data and fits (run r uses ``random_state + r``).
    estep : {"auto", "importance", "exact"}, default="auto"
        E-step of both EMs (``SpreadICA(estep=...)``); ``"importance"`` with the
        Laplace prior is the paper's.
    spread_anneal : "auto" or int, default="auto"
        ``SpreadICA(anneal=...)`` of spread EM.
    classical_accelerate : {"squarem", None}, default="squarem"
        Acceleration of classical EM.
    classical_max_iter : int, optional
        Iteration budget of classical EM (default: ``max_iter``).
    frozen_stop : float, optional
        Fraction f of the frozen-EM rule above (None: classical EM runs its budget).
    validate_runs : sequence of int, default=()
        Runs in which the frozen rule is recorded but not applied.

    Examples
    --------
    >>> from spreadlab.experiments import ICASweepConfig
    >>> ICASweepConfig(n_features=3, n_sources=2).methods
    ('classical EM', 'spread EM', 'FastICA')
    >>> ICASweepConfig(n_sources=7)
    Traceback (most recent call last):
    ...
    ValueError: n_sources must be <= n_features=6; got n_sources=7
    """

    vary: str = "gamma"
    gamma: float = 0.0
    n_samples: int = 2000
    n_features: int = 6
    n_sources: int = 3
    n_runs: int = 1
    max_iter: int = 40
    n_draws: int = 100
    methods: tuple = DEFAULT_METHODS
    random_state: int = 0
    estep: str = "auto"
    spread_anneal: object = "auto"
    classical_accelerate: object = "squarem"
    classical_max_iter: object = None
    frozen_stop: object = None
    validate_runs: tuple = ()

    def __post_init__(self):
        put = lambda name, value: object.__setattr__(self, name, value)  # noqa: E731 (frozen)
        if self.vary not in ("gamma", "n_samples"):
            raise ValueError(f"vary must be 'gamma' or 'n_samples'; got vary={self.vary!r}")
        put("methods", _check_methods(self.methods))
        fs = self.frozen_stop
        if fs is not None and not (isinstance(fs, numbers.Real) and 0 < fs < 1):
            raise ValueError(f"frozen_stop must be None or a float in (0, 1); got "
                             f"frozen_stop={fs!r}")
        # run r is seeded random_state + r < 2**32 (SpreadICA's and FastICA's seeds)
        put("n_runs", as_count(self.n_runs, "n_runs", maximum=2**32))
        # every fit forms the X x X data covariance and its eigendecomposition (~X**3)
        n_features = as_count(self.n_features, "n_features")
        put("n_features", as_count(n_features, "n_features", item_bytes=8 * n_features,
                                   item_ops=float(n_features)**2,
                                   what="row of the X x X data covariance"))
        put("n_sources", as_count(self.n_sources, "n_sources"))
        if self.n_sources > self.n_features:
            raise ValueError(f"n_sources must be <= n_features={self.n_features}; got "
                             f"n_sources={self.n_sources}")
        if set(_ML_FINISH) & set(self.methods):
            # the ML stage's Newton step: a Z**2 x Z**2 Hessian and its eigendecomposition
            Z = self.n_sources
            as_count(Z, "n_sources", item_bytes=8 * Z**3, item_ops=float(Z)**5,
                     what="source (the Z**2 x Z**2 Hessian of the ML finish)")
        put("max_iter", as_count(self.max_iter, "max_iter", maximum=_MAX_ITER))
        put("n_draws", as_count(self.n_draws, "n_draws", maximum=_MAX_DRAWS))
        if self.classical_max_iter is not None:
            put("classical_max_iter", as_count(self.classical_max_iter, "classical_max_iter",
                                               maximum=_MAX_ITER))
        if self.vary == "gamma":
            put("n_samples", self._check_n_samples(self.n_samples, "n_samples"))
        else:
            put("gamma", as_noise(self.gamma, "gamma"))
            self._check_noise_estimable(self.gamma)
        put("validate_runs", _check_runs(self.validate_runs, self.n_runs))
        # run r is seeded random_state + r, and SpreadICA and FastICA take seeds below 2**32
        put("random_state", as_count(self.random_state, "random_state", minimum=0,
                                     maximum=2**32 - self.n_runs))
        # checked here, under the sweep's names, before any point is fitted (SpreadICA
        # would only refuse them inside a fit, possibly in a worker process, as 'anneal' etc.)
        _check_like_spread_ica(estep=self.estep, spread_anneal=self.spread_anneal,
                               classical_accelerate=self.classical_accelerate)
        if isinstance(self.spread_anneal, numbers.Integral):
            # numpy.int64(2) passed the check and then could not be written to a point file
            put("spread_anneal", int(self.spread_anneal))

    def _check_n_samples(self, n, name):
        """A sample size checked up front against the budgets: at least 2, the data of one
        point within the memory budget and, for the EMs that sample, the E-steps of one
        iteration budget (``n * n_draws * n_sources**2`` multiply-adds per E-step) within
        the work budget."""
        n = as_count(n, name, minimum=2,
                     item_bytes=_BYTES_PER_SAMPLE(self.n_features, self.n_sources),
                     what="sample (data and sources of one point)")
        if {"classical EM", "spread EM"} & set(self.methods) and self.estep != "exact":
            iters = max(self.max_iter, self.classical_max_iter or 0)
            as_count(n, name, minimum=2, item_ops=float(self.n_draws) * self.n_sources**2 * iters,
                     what=f"sample (n_draws={self.n_draws} importance draws of Z={self.n_sources} "
                          f"sources, {iters} iterations)")
        return n

    def _check_noise_estimable(self, gamma):
        """``"spread EM + noisy ML finish"`` at noise 0 estimates it from the trailing
        eigenvalues, which needs ``n_features > n_sources``: refused up front otherwise."""
        if gamma == 0 and "spread EM + noisy ML finish" in self.methods \
                and self.n_features <= self.n_sources:
            raise ValueError(
                "methods with 'spread EM + noisy ML finish' at gamma = 0 estimate the noise "
                "from the trailing eigenvalues, which needs n_features > n_sources; got "
                f"n_features={self.n_features}, n_sources={self.n_sources}")

    def point(self, value, run):
        """The settings of one (value, run) point: what its result file records."""
        return dict(
            vary=self.vary, n_features=self.n_features, n_sources=self.n_sources,
            methods=list(self.methods), max_iter=self.max_iter, n_draws=self.n_draws,
            random_state=int(self.random_state), estep=self.estep,
            spread_anneal=self.spread_anneal, classical_accelerate=self.classical_accelerate,
            classical_max_iter=int(self.max_iter if self.classical_max_iter is None
                                   else self.classical_max_iter),
            frozen_stop=None if self.frozen_stop is None else float(self.frozen_stop),
            # the rule's constants are part of the settings: a point stopped by another
            # rule is not reused
            frozen_window=_FROZEN_WINDOW, frozen_safety=_FROZEN_SAFETY,
            value=value, run=run,
            gamma=value if self.vary == "gamma" else self.gamma,
            n_samples=self.n_samples if self.vary == "gamma" else value,
            validate_frozen=run in self.validate_runs and self.frozen_stop is not None)


def ica_sweep(values, config=None, *, results=None, progress=False, n_jobs=1, **settings):
    r"""Fig. 1a or 1b of the spread-divergence paper: error in A against noise or N.

    For each value (a model/data noise :math:`\gamma` with ``vary="gamma"``, or a
    number of samples with ``vary="n_samples"``) and each run r, data
    :math:`x = As + \gamma\epsilon` are drawn by :func:`make_ica_data`
    (:math:`A_{ij}=\pm 1`, Laplace sources, seed ``random_state + r``: the same
    :math:`A` for every value of one run) and fitted by

    * ``"classical EM"``: ``SpreadICA(spread=0, noise=gamma)`` with
      ``classical_accelerate`` (SQUAREM by default; ``None`` is the paper's plain
      EM) and ``classical_max_iter`` iterations (at :math:`\gamma = 0` it cannot
      move and is reported at its start),
    * ``"spread EM"``: ``SpreadICA(noise=gamma, anneal=spread_anneal)`` (SQUAREM,
      the honest stopping rule in every stage),
    * ``"spread EM + ML finish"`` (only when asked for): ``SpreadICA()`` with its
      defaults, one spread stage and then the :math:`\sigma\to 0` limit of the spread
      likelihood, noiseless maximum likelihood; it models the data as noise-free,
    * ``"spread EM + noisy ML finish"`` (only when asked for):
      ``SpreadICA(finish="noisy_ml", noise=gamma)``, the same fit continued to the
      maximum-likelihood estimate of the noisy model :math:`x = As + \gamma\epsilon`
      (the :math:`\sigma\to 0` limit of spread EM *with* model noise
      :math:`\gamma`; at :math:`\gamma = 0` the noise is estimated from the trailing
      eigenvalues); its rows also hold ``noise``, the level it fitted,
    * ``"FastICA"``: scikit-learn's ``FastICA(whiten="unit-variance")``,

    all EMs from the same :func:`pca_start` matrix.  The error is the paper's
    :func:`mixing_error`, :math:`\frac{1}{XZ}\sum_{ij}|\hat A_{ij}-A_{ij}|/|A_{ij}|`
    after matching permutation, sign and scale.

    **Frozen classical EM** (``frozen_stop=f``).  A classical-EM run is stopped
    at iteration k of its budget B when its EM steps have not grown over the last
    50 iterations and :math:`2(B-k)\,d_k \le f\,e_k`, with :math:`e_k` its
    current error and :math:`d_k` the largest change of the error per iteration
    over those 50 iterations: while EM's steps do not grow, running to the budget
    changes the reported error by at most :math:`(B-k)\,d_k`, and the factor 2
    covers steps that are not exactly monotone (the bound is recorded as
    ``error_bound``).  Runs in
    ``validate_runs`` are not stopped: they record where the rule fired
    (``rule_iter``, ``rule_error``) and run the full budget, which measures the
    rule.

    Parameters
    ----------
    values : sequence of float or int
        Noise levels in [0, 1e100] (``vary="gamma"``) or sample sizes, integers
        >= 2 (``vary="n_samples"``; floats with an integer value are accepted).
    config : ICASweepConfig, optional
        The sweep's settings (default: ``ICASweepConfig()``).
    results : str or path-like, optional
        Folder (existing or to create) of per-point result files, one JSON file per (value, run) with the
        settings it was fitted with.  A point whose file exists with the same
        settings is read, not refitted (the sweep resumes where it stopped); each
        point is written as soon as it finishes.
    progress : bool, default=False
        tqdm progress bar over the points.
    n_jobs : int, default=1
        Worker processes (one thread each); 1 fits in this process.  The
        results do not depend on it.  The workers are spawned, so a script that
        asks for more than one calls this under ``if __name__ == "__main__":``.
        A point that fails in a worker ends the sweep; points not yet started
        are dropped.
    **settings
        Fields of :class:`ICASweepConfig` given as keywords (``vary``, ``gamma``,
        ``n_samples``, ...), replacing those of ``config``: ``ica_sweep(values,
        n_samples=400)`` is ``ica_sweep(values, ICASweepConfig(n_samples=400))``.

    Returns
    -------
    list of dict
        One row per (value, run, method): ``vary``, ``value`` (also under the key
        ``gamma`` or ``n_samples``), ``run``, ``method``, ``mixing_error``, ``amari``,
        ``seconds`` (wall), ``cpu_seconds`` (CPU time of the fitting process: with
        one thread per worker, the time on a free core), ``n_estep`` (None for
        FastICA), ``n_iter``, ``converged``,
        ``stop`` (``"converged"``, ``"max_iter"``, ``"frozen rule"``, ...), and for
        classical EM with ``frozen_stop`` ``rule_iter``, ``rule_error``,
        ``error_bound`` when the rule fired, and for ``"spread EM + noisy ML finish"``
        ``noise``.

    References
    ----------
    M. Zhang, P. Hayes, T. Bird, R. Habib, D. Barber, "Spread Divergence", ICML 2020,
    the deterministic ICA experiment and its Fig. 1 (https://arxiv.org/abs/1811.08968).

    Examples
    --------
    >>> from spreadlab.experiments import ICASweepConfig, ica_sweep
    >>> config = ICASweepConfig(n_samples=400, n_features=3, n_sources=2, max_iter=5,
    ...                         methods=("spread EM",))
    >>> rows = ica_sweep([0.3], config)
    >>> rows[0]["method"], rows[0]["gamma"]
    ('spread EM', 0.3)
    >>> again = ica_sweep([0.3], n_samples=400, n_features=3, n_sources=2, max_iter=5,
    ...                   methods=("spread EM",))   # the settings as keywords: the same sweep
    >>> again[0]["mixing_error"] == rows[0]["mixing_error"]
    True
    """
    if config is not None and not isinstance(config, ICASweepConfig):
        raise TypeError(f"config must be an ICASweepConfig; got {_short(config)}")
    fields = {f.name for f in dataclasses.fields(ICASweepConfig)}
    unknown = sorted(set(settings) - fields)
    if unknown:
        raise TypeError(f"ica_sweep got unknown settings {unknown}; the settings are the "
                        f"fields of ICASweepConfig: {sorted(fields)}")
    n_jobs = check_n_jobs(n_jobs)
    progress = check_flag(progress, "progress")
    if results is not None:
        results = check_folder(results, "results")
    vary = settings.get("vary", "gamma" if config is None else config.vary)
    config = (ICASweepConfig(**settings) if config is None
              else dataclasses.replace(config, **settings))
    values = check_values(values, config)
    if "FastICA" in config.methods:
        fastica_class()  # fail early with a clear message
    points = [config.point(value, run) for value in values for run in range(config.n_runs)]
    # run by run, so that an interrupted sweep leaves whole runs (every value) behind;
    # within a run the largest problems first
    points.sort(key=lambda s: (s["run"], -s["n_samples"] * s["n_features"] * s["n_sources"]))
    fitted = run_points(points, _fit_point, folder=results, version=_POINT_FORMAT,
                        name=lambda s: f"{s['vary']}_{s['value']:g}_run{s['run']:03d}",
                        progress=progress, desc=f"ICA sweep over {config.vary}", n_jobs=n_jobs,
                        worker_init=_worker_init)
    rows = [row for point_rows in fitted for row in point_rows]
    for r in rows:
        r[config.vary] = r["value"]
    order = {m: i for i, m in enumerate(METHODS)}
    rows.sort(key=lambda r: (r["value"], r["run"], order[r["method"]]))
    return rows


def _new_ax(ax):
    if ax is not None:
        return ax
    from ..plotting._style import subplots

    return subplots()[1]


def plot_ica_traces(traces, ax=None, xlabel="E-steps", ylabel="Amari distance to the true A"):
    """Plot error curves against iterations (or E-steps) on a logarithmic y axis.

    Parameters
    ----------
    traces : dict of str to array-like or (array-like, array-like)
        Labelled curves: the values (plotted against 1, 2, ...), or an ``(x, y)`` pair.
    ax : matplotlib.axes.Axes, optional
        Axes to draw in; a new :func:`spreadlab.plotting.subplots` figure otherwise.
    xlabel, ylabel : str
        Axis labels.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from spreadlab.ica import plot_ica_traces
    >>> ax = plot_ica_traces({"plain EM": [0.5, 0.3, 0.2]})
    >>> ax.get_yscale()
    'log'
    >>> plt.close(ax.figure)
    """
    if not isinstance(traces, dict) or not traces:
        raise TypeError(f"traces must be a non-empty dict of label -> values or (x, y); got "
                        f"{_short(traces)}")
    ax = _new_ax(ax)
    for label, t in traces.items():
        if isinstance(t, tuple) and len(t) == 2:
            x, y = (np.asarray(v, dtype=float) for v in t)
        else:
            y = np.asarray(t, dtype=float)
            x = np.arange(1, y.size + 1)
        ax.semilogy(x, y, label=label)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend()
    return ax


def plot_ica_sweep(rows, x="gamma", key="mixing_error", ax=None, bars="range"):
    """Plot the rows of :func:`ica_sweep`: one line per method over the runs of each point.

    Parameters
    ----------
    rows : list of dict
        Result rows of :func:`ica_sweep` (``method``, the varied setting and the errors).
    x : {"gamma", "n_samples"}, default="gamma"
        The varied setting on the horizontal axis.
    key : {"mixing_error", "amari"}, default="mixing_error"
        Which error to plot.
    ax : matplotlib.axes.Axes, optional
        Axes to draw in; a new figure otherwise.
    bars : {"range", "se"}, default="range"
        ``"range"``: median over runs, bars from the best to the worst run;
        ``"se"``: mean over runs with bars of one standard error (the tables of
        :func:`reproduce_ica`).  With several methods the markers are shifted
        slightly sideways so that their bars do not hide each other.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from spreadlab.ica import plot_ica_sweep
    >>> rows = [{"method": "FastICA", "gamma": g, "mixing_error": e}
    ...         for g, e in [(0.1, 0.02), (1.0, 0.05)]]
    >>> ax = plot_ica_sweep(rows)
    >>> ax.get_xlabel()
    'model and data noise γ'
    >>> plt.close(ax.figure)
    """
    if bars not in ("range", "se"):
        raise ValueError(f"bars must be 'range' or 'se'; got bars={bars!r}")
    rows = list(rows)
    for name, value in (("x", x), ("key", key)):
        missing = [r for r in rows if not isinstance(r, dict) or value not in r or "method" not in r]
        if missing or not rows:
            raise ValueError(f"{name}={value!r}: every row must be a dict with 'method' and "
                             f"{value!r}; got {_short(missing[0] if missing else rows)}")
    ax = _new_ax(ax)
    markers = {"classical EM": "o", "spread EM": "s", "spread EM + ML finish": "D",
               "spread EM + noisy ML finish": "v", "FastICA": "^"}
    methods = list(dict.fromkeys(r["method"] for r in rows))
    for i, method in enumerate(methods):
        xs = sorted({r[x] for r in rows if r["method"] == method})
        errs = [np.array([r[key] for r in rows if r["method"] == method and r[x] == v])
                for v in xs]
        if bars == "range":
            mid = np.array([np.median(e) for e in errs])
            lo = mid - np.array([e.min() for e in errs])
            hi = np.array([e.max() for e in errs]) - mid
        else:
            mid = np.array([e.mean() for e in errs])
            se = np.array([e.std(ddof=1) / np.sqrt(e.size) if e.size > 1 else 0.0
                           for e in errs])
            lo = np.minimum(se, 0.999 * mid)  # a log axis cannot show a bar below zero
            hi = se
        shift = 1.06 ** (i - (len(methods) - 1) / 2)  # multiplicative: the x axis is log
        ax.errorbar(np.asarray(xs, dtype=float) * shift, mid, yerr=[lo, hi],
                    marker=markers.get(method, "d"), capsize=3, label=method)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("model and data noise γ" if x == "gamma" else "number of samples N")
    ax.set_ylabel("error in A (mean relative)" if key == "mixing_error"
                  else "Amari distance to the true A")
    ax.legend()
    return ax
