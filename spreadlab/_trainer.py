"""The skeleton every iterative fit in spreadlab shares.

An estimator's ``fit`` should read as its algorithm; what every trainer needs
around it lives here, once:

* :func:`fit_guard` -- the environment of a fit: BLAS threads limited (the
  products of a fit are thin, and extra BLAS threads only compete with the
  Numba threads on shared cores), optionally the Numba threads limited,
  floating-point faults made loud (``np.errstate(over, invalid, divide =
  "raise")``, as picard does) and re-raised with the estimator's name, how
  far the fit got and what to try.
* :class:`Progress` -- a tqdm bar that is off (and tqdm not even imported)
  unless ``verbose``.
* :class:`Tracker` -- convergence bookkeeping of one run: the objective
  history, the iteration count, the best iterate seen, and a
  :class:`Convergence` verdict with a reason string.
* :func:`warn_not_converged` -- the :class:`ConvergenceWarning` (scikit-learn's
  class, so that users filter one warning) with the numbers in the message.
* :func:`as_generator` -- the one random-state policy.
* :func:`fixed_point` -- a fixed-point iteration :math:`P \\leftarrow F(P)`
  (an EM map) with SQUAREM acceleration and a stopping rule from EM's own
  observed linear rate (:func:`distance_to_fixed_point`).

Random-state policy
-------------------
Estimators take ``random_state`` as scikit-learn does (None, an int >= 0,
a ``numpy.random.Generator``, or a legacy ``RandomState``) and turn it into
one ``Generator`` at the start of ``fit`` with :func:`as_generator`; the fit
draws everything from that generator, so an int seed makes it reproducible.
Functions take ``rng`` as SciPy does (the same accepted values, named
``rng``).  Nothing in spreadlab touches NumPy's global random state.

Contract
--------
A trainer opens a :func:`fit_guard`, runs its iterations with a
:class:`Tracker` (and a :class:`Progress` bar), and stores the tracker's
verdict::

    def fit(self, X, y=None):
        X = validate_data(self, X)
        rng = as_generator(self.random_state)
        tracker = Tracker(maximize=True)
        with fit_guard("MyModel", where=lambda: f"after {tracker.n_iter} iterations",
                       advice="try a smaller learning rate"), \\
                Progress(self.max_iter, "MyModel", self.verbose) as bar:
            params = init(X, rng)
            for _ in range(self.max_iter):
                params, objective = step(X, params)
                bar.update(objective=objective)
                if tracker.record(objective, params, small_step):
                    break                   # converged
        self.params_ = tracker.best_params
        self.converged_, self.stop_reason_ = tracker.converged, tracker.reason
        if not tracker.converged:
            warn_not_converged(f"MyModel did not converge: {tracker.reason}")
        return self

:class:`spreadlab.ica.SpreadICA` is written this way.

Examples
--------
>>> import numpy as np
>>> from spreadlab._trainer import Tracker
>>> t = Tracker(maximize=True)
>>> for value in [1.0, 3.0, 2.0]:
...     _ = t.record(value, params=np.array([value]))
>>> t.best_value, t.best_params, t.n_iter, t.history
(3.0, array([3.]), 3, [1.0, 3.0, 2.0])
>>> t.stop(False, "max_iter=3 reached")
>>> t.converged, t.reason
(False, 'max_iter=3 reached')
"""
import contextlib
import functools
import math
import numbers
import warnings

import numpy as np

__all__ = ["ConvergenceWarning", "Convergence", "PlainNumbersMixin", "check_plain_numbers", "score_seed", "Progress", "Tracker", "as_generator",
           "blas_limit", "distance_to_fixed_point", "fit_guard", "fixed_point", "rel_change",
           "warn_not_converged"]

# Relative round-off allowed in the change of the iterates: a linear rate
# rho is resolvable from a step of relative size d only if 1 - rho exceeds
# a few times ROUNDOFF / d.
ROUNDOFF = 1e-15
# A step below this relative size is at round-off level: its rate is not
# measurable, and the last measured rate is used instead (if there was one).
STEP_FLOOR = 1e-11


def as_generator(random_state, name="random_state"):
    """A ``numpy.random.Generator`` from None, an int >= 0, a Generator or a RandomState.

    A Generator is used as is (the caller's stream advances); a RandomState
    seeds a new Generator from one draw.

    Parameters
    ----------
    random_state : None, int, numpy.random.Generator or numpy.random.RandomState
    name : str, default="random_state"
        Parameter name used in error messages (``"rng"`` for functions).

    Returns
    -------
    numpy.random.Generator

    Examples
    --------
    >>> from spreadlab._trainer import as_generator
    >>> float(as_generator(0).random()) == float(as_generator(0).random())
    True
    >>> as_generator(-1)
    Traceback (most recent call last):
    ...
    ValueError: random_state must be None, an int >= 0 or a numpy.random.Generator; got random_state=-1
    """
    if random_state is None or isinstance(random_state, np.random.Generator):
        return np.random.default_rng(random_state)
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(0, 2**31 - 1))
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        if random_state < 0:
            raise ValueError(f"{name} must be None, an int >= 0 or a numpy.random.Generator; "
                             f"got {name}={random_state!r}")
        return np.random.default_rng(int(random_state))
    raise TypeError(f"{name} must be None, an int >= 0 or a numpy.random.Generator; "
                    f"got {type(random_state).__name__} {random_state!r}")


def score_seed(random_state):
    """The seed of ``score``'s draws: ``random_state`` when it is an int, else 0.

    ``score`` draws from a fresh generator with this seed, so repeated calls agree and a
    generator shared with ``fit`` is never advanced (the policy of all three estimators).
    """
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        return int(random_state)
    return 0


@functools.lru_cache(maxsize=None)
def _blas_controller():
    """threadpoolctl's view of the loaded BLAS libraries, found once per process: scanning
    the process's libraries took 3-10 ms per ``threadpool_limits`` call on a loaded 2-core
    machine, a sixth of a lecture-size ICA fit."""
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def blas_limit(threads=1):
    """Context manager: BLAS on at most ``threads`` threads inside the block (restored after).

    The package's products are thin (N x Z, points x features): on shared cores the
    hand-offs between BLAS threads cost more than they save (measured 2-25x slower with two
    threads under load in the ICA fit, the distance blocks and the VAE's likelihood).

    Parameters
    ----------
    threads : int, default=1
        Largest number of BLAS threads inside the block.
    """
    return _blas_controller().limit(limits=threads, user_api="blas")

@contextlib.contextmanager
def fit_guard(name, *, where=None, advice=None, blas_threads=1, numba_threads=None):
    """The environment of one fit.

    Limits BLAS to ``blas_threads`` (threadpoolctl) and, if given, Numba to
    ``numba_threads`` (restored afterwards), raises on floating-point
    overflow, invalid operations and division by zero, and re-raises a
    ``FloatingPointError`` as ``"<name> fit failed with a floating-point
    fault <where()> (<original>); <advice>"``.

    Parameters
    ----------
    name : str
        Estimator name for the error message.
    where : callable returning str, optional
        How far the fit got, evaluated when the fault happens
        (e.g. ``lambda: f"after {n} E-steps"``).
    advice : str, optional
        What to try instead.
    blas_threads : int or None, default=1
        ``None`` leaves BLAS alone.
    numba_threads : int or None, default=None
        At most this many Numba threads inside the block; ``None`` leaves
        Numba alone (and does not import it).
    """
    with contextlib.ExitStack() as stack:
        if blas_threads is not None:
            stack.enter_context(blas_limit(blas_threads))
        if numba_threads is not None:
            from ._numba import limit_threads
            stack.enter_context(limit_threads(numba_threads))
        stack.enter_context(np.errstate(over="raise", invalid="raise", divide="raise"))
        try:
            yield
        except FloatingPointError as exc:
            at = f" {where()}" if where is not None else ""
            tail = f"; {advice}" if advice else ""
            raise FloatingPointError(
                f"{name} fit failed with a floating-point fault{at} ({exc}){tail}") from exc


class Progress:
    """A tqdm progress bar, or nothing at all when ``verbose`` is false.

    Use as a context manager; :meth:`update` advances by one step and shows
    its keyword arguments (floats formatted with ``fmt``).
    """

    def __init__(self, total, desc, verbose, *, fmt=".6g", leave=False):
        self._bar = None
        self._fmt = fmt
        if verbose:
            from tqdm.auto import tqdm   # imported only for a visible bar
            self._bar = tqdm(total=total, desc=desc, leave=leave)

    def update(self, **postfix):
        if self._bar is None:
            return
        self._bar.update(1)
        if postfix:
            self._bar.set_postfix({k: format(v, self._fmt) if isinstance(v, float) else v
                                   for k, v in postfix.items()})

    def close(self):
        if self._bar is not None:
            self._bar.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


class Convergence:
    """Verdict of a run: ``converged`` (bool) and the ``reason`` in words."""

    __slots__ = ("converged", "reason")

    def __init__(self, converged=False, reason="not run"):
        self.converged = bool(converged)
        self.reason = str(reason)

    def __repr__(self):
        return f"Convergence(converged={self.converged}, reason={self.reason!r})"


class Tracker:
    """Convergence bookkeeping of one iterative run.

    :meth:`record` appends the objective to ``history``, counts the
    iteration, keeps the best iterate (largest objective if ``maximize``,
    else smallest; non-finite values never count as best) and returns
    ``done``.  :meth:`stop` sets the verdict.  An estimator that stalls or
    runs out of iterations stores ``best_params``, not the last iterate.
    """

    def __init__(self, maximize=True):
        self.maximize = maximize
        self.history = []
        self.n_iter = 0
        self.best_value = -math.inf if maximize else math.inf
        self.best_params = None
        self.verdict = Convergence()

    def record(self, value, params=None, done=False):
        """Record one iteration's objective and iterate; returns ``done``."""
        self.n_iter += 1
        self.history.append(value)
        self.observe(value, params)
        return bool(done)

    def observe(self, value, params):
        """Consider an iterate for best without counting an iteration."""
        better = value > self.best_value if self.maximize else value < self.best_value
        if math.isfinite(value) and (better or self.best_params is None):
            self.best_value, self.best_params = value, params

    def stop(self, converged, reason):
        self.verdict = Convergence(converged, reason)

    @property
    def converged(self):
        return self.verdict.converged

    @property
    def reason(self):
        return self.verdict.reason


def check_plain_numbers(params, constraints=None):
    """Refuse numeric parameter values that scikit-learn's ``Interval`` checks cannot read.

    ``fractions.Fraction`` and ``decimal.Decimal`` are numbers, but the interval check calls
    NumPy ufuncs on them (a TypeError naming nothing), and an integer beyond the float range
    overflows there when the interval is one of reals; both are refused here by parameter
    name. ``constraints`` are the estimator's ``_parameter_constraints`` (other parameters,
    e.g. ``random_state``, keep scikit-learn's own message).
    """
    constraints = constraints or {}
    for name, value in params.items():
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Number):
            continue
        if not isinstance(value, (int, float, np.number)):
            raise TypeError(f"{name} must be an int or a float; got {type(value).__name__} "
                            f"{value!r}")
        real_interval = any(getattr(c, "type", None) is numbers.Real
                            for c in constraints.get(name, ()))
        if isinstance(value, int) and abs(value) > 2**1023 and real_interval:
            raise ValueError(f"{name} must be a finite number; got an integer too large for a "
                             f"float ({len(str(abs(value)))} digits)")


class PlainNumbersMixin:
    """Estimator mixin: :func:`check_plain_numbers` on the parameters before scikit-learn's
    own validation (put it first among the bases)."""

    def _validate_params(self):
        check_plain_numbers(self.get_params(deep=False),
                            getattr(self, "_parameter_constraints", None))
        super()._validate_params()


def warn_not_converged(message, stacklevel=3):
    """Emit a :class:`ConvergenceWarning` with ``message`` (give the numbers in it)."""
    from sklearn.exceptions import ConvergenceWarning

    warnings.warn(message, ConvergenceWarning, stacklevel=stacklevel)


def __getattr__(name):
    # scikit-learn's ConvergenceWarning, imported on first use: this module is imported by
    # light modules (spreadlab.ica._start) and import spreadlab does not load scikit-learn
    if name == "ConvergenceWarning":
        from sklearn.exceptions import ConvergenceWarning
        return ConvergenceWarning
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def rel_change(P, P_prev):
    """Relative Frobenius change ``||P - P_prev|| / ||P_prev||`` (inf from a zero ``P_prev``)."""
    step, size = np.linalg.norm(P - P_prev), np.linalg.norm(P_prev)
    if size == 0.0:
        return 0.0 if step == 0.0 else math.inf
    return float(step / size)


def distance_to_fixed_point(e1, e2):
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
    >>> from spreadlab._trainer import distance_to_fixed_point
    >>> distance_to_fixed_point(1e-3, 5e-4)   # rate 1/2: distance 2 e1
    (0.5, 0.002)
    >>> distance_to_fixed_point(1e-12, 1e-12 * (1 - 1e-9))[1]   # frozen
    inf
    """
    if not (e1 > 0.0 and e2 > 0.0):
        return np.nan, np.inf  # no measurable step: nothing to extrapolate from
    rho = e2 / e1
    if rho >= 1.0 or (1.0 - rho) < 3.0 * ROUNDOFF / e2:
        return rho, np.inf
    return rho, e1 / (1.0 - rho)


def _squarem_step(F, P0, P1, P2, L0, project, slack):
    """SQUAREM-3 extrapolation from P0 (P1 = F(P0), P2 = F(P1)); returns the
    new iterate, with an objective no lower than L(P0) up to ``slack``."""
    r = P1 - P0
    v = P2 - P1 - r
    nv = np.linalg.norm(v)
    if nv == 0.0:
        return P2
    alpha = min(-np.linalg.norm(r) / nv, -1.0)
    while alpha < -1.0:
        Pp = P0 - 2.0 * alpha * r + alpha**2 * v
        if project is not None:
            Pp = project(Pp)
        try:
            P_out, Lp = F(Pp)  # stabilising EM step from Pp
        except (np.linalg.LinAlgError, FloatingPointError):
            Lp = -np.inf
        if Lp >= L0 - slack:
            return P_out
        alpha = (alpha - 1.0) / 2.0
        if alpha > -1.01:
            break
    return P2


def fixed_point(F, P0, *, tol, max_iter, accelerate=True, project=None, slack=0.0,
                on_iter=None, progress=None):
    r"""Iterate an ascent map :math:`P\leftarrow F(P)` to its fixed point.

    Every iteration knows three iterates P0, P1 = F(P0), P2 = F(P1); the
    ratio of the two steps is the map's own linear rate, from which the
    distance of P0 to the fixed point is estimated
    (:func:`distance_to_fixed_point`) before SQUAREM extrapolates
    (Varadhan & Roland 2008, with monotone backtracking on the objective).
    When the steps reach round-off (relative size below 1e-11) the last
    resolvable rate is used; a run that never showed a resolvable
    contraction cannot converge.

    Parameters
    ----------
    F : callable
        ``F(P) -> (F(P), objective at P)``; the objective must not decrease
        along F (EM).
    P0 : ndarray
        Starting iterate.
    tol : float
        Stop when the estimated relative distance to the fixed point is below.
    max_iter : int
        Iterations (one SQUAREM cycle of at least three maps each).
    accelerate : bool, default=True
        SQUAREM, or plain iteration.
    project : callable, optional
        Maps an extrapolated iterate back onto the parameter set.
    slack : float, default=0.0
        Tolerated decrease of the objective when accepting an extrapolation
        (Monte-Carlo objectives).
    on_iter : callable, optional
        ``on_iter(P, objective, it)`` after iteration ``it`` (from 1);
        returning ``True`` stops the run (not converged).
    progress : Progress, optional

    Returns
    -------
    P : ndarray
        The fixed point reached, or the best iterate if not converged (the
        last one when stopped by ``on_iter``).
    tracker : Tracker
        Objective at each iterate (``history``), iterations, verdict.
    info : dict
        ``iters``, ``step`` (last relative step), ``rate``, ``dist``.

    Examples
    --------
    >>> import numpy as np
    >>> from spreadlab._trainer import fixed_point
    >>> F = lambda P: (0.5 * P + 1.0, -float(np.sum((P - 2.0) ** 2)))
    >>> P, tracker, info = fixed_point(F, np.array([1.0]), tol=1e-10, max_iter=100,
    ...                                accelerate=False)
    >>> bool(np.allclose(P, 2.0, rtol=1e-9)), tracker.converged, info["rate"]
    (True, True, 0.5)
    """
    tracker = Tracker(maximize=True)
    rate_seen = np.nan  # last rate < 1 that was resolvable above round-off
    info = dict(iters=0, step=np.nan, rate=np.nan, dist=np.inf)
    P1, L0 = F(P0)
    tracker.history.append(L0)
    tracker.observe(L0, P0)
    for it in range(max_iter):
        P2, L1 = F(P1)
        e1, e2 = rel_change(P1, P0), rel_change(P2, P1)
        rate, dist = distance_to_fixed_point(e1, e2)
        if math.isfinite(dist):
            rate_seen = rate
        elif e1 < STEP_FLOOR and rate_seen < 1.0:
            # steps at round-off level after a measured contraction: use that rate
            dist = e1 / (1.0 - rate_seen)
        tracker.n_iter += 1
        info.update(iters=it + 1, step=e1, rate=rate, dist=dist)
        if dist < tol:
            tracker.stop(True, f"estimated distance to the fixed point {dist:.3g} < tol={tol:g}")
            return P2, tracker, info
        if accelerate:
            P_new = _squarem_step(F, P0, P1, P2, L0, project, slack)
            P_next, L_new = F(P_new)
        else:
            P_new, P_next, L_new = P1, P2, L1
        P0, P1, L0 = P_new, P_next, L_new
        tracker.history.append(L0)
        tracker.observe(L0, P0)
        if progress is not None:
            progress.update(objective=f"{L0:.6f}", step=f"{e1:.2e}", distance=f"{dist:.2e}")
        if on_iter is not None and on_iter(P0, L0, it + 1) is True:
            tracker.stop(False, "stopped by the callback")
            return P0, tracker, info
    tracker.stop(False, f"max_iter={max_iter} iterations reached: last relative step "
                        f"{info['step']:.3g}, observed rate {info['rate']:.6g}, estimated "
                        f"distance to the fixed point {info['dist']:.3g} > tol={tol:g}")
    return tracker.best_params, tracker, info
