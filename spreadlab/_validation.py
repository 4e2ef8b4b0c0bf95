"""Argument checks shared by the public functions.

Every check raises ``ValueError`` or ``TypeError`` with a message that names the
parameter, says what is allowed and shows what was received. ``assert`` is never
used for validation because ``python -O`` removes it.
"""

import numbers

import numpy as np

from . import budgets as _budgets

__all__ = []


def as_float_array(value, name, allow_inf=False):
    """Return ``value`` as a float64 array, rejecting non-numeric, NaN or (by default) infinite input."""
    if isinstance(value, (str, bytes)) or value is None:
        raise TypeError(f"{name} must be a real number or array of real numbers; got {_short(value)}")
    try:
        is_complex = np.iscomplexobj(value)
    except (TypeError, ValueError) as exc:  # ragged nested lists, odd objects
        raise TypeError(f"{name} must be a real number or a rectangular array of real numbers; "
                        f"got {_short(value)}") from exc
    if is_complex:
        raise TypeError(f"{name} must be real; got a complex value {_short(value)}")
    if isinstance(value, (bool, np.bool_)) or np.asarray(value).dtype == bool:
        raise TypeError(f"{name} must be a real number, not a boolean; got {_short(value)}")
    try:
        arr = np.asarray(value, dtype=float)
    except OverflowError as exc:  # an integer literal too large for a double
        raise ValueError(f"{name} must be finite; got a number too large for a float") from exc
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"{name} must be a real number or array of real numbers; got {_short(value)}"
        ) from exc
    bad = np.isnan(arr) if allow_inf else ~np.isfinite(arr)
    if np.any(bad):
        raise ValueError(f"{name} must be {'not NaN' if allow_inf else 'finite'}; got {_short(value)}")
    return arr


def as_positive_array(value, name):
    """Return ``value`` as a float array after checking that every entry is > 0."""
    arr = as_float_array(value, name)
    if np.any(arr <= 0):
        raise ValueError(f"{name} must be > 0; got {_short(value)}")
    return arr


MAX_COUNT = _budgets.MAX_COUNT
"""The default largest count (:data:`spreadlab.budgets.MAX_COUNT`, about 1.1e12), kept here for
the modules that import it; :func:`as_count` reads the budget module at every call."""


def _bytes_text(n_bytes):
    """1.5 GiB-style size for messages."""
    n_bytes = float(n_bytes)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if n_bytes < 1024 or unit == "PiB":
            return f"{n_bytes:.3g} {unit}"
        n_bytes /= 1024
    return f"{n_bytes:.3g} PiB"  # pragma: no cover - the loop returns


def memory_budget():
    """The current :data:`spreadlab.budgets.MEMORY_BUDGET` in bytes, validated."""
    return as_budget(_budgets.MEMORY_BUDGET, "budgets.MEMORY_BUDGET")


def as_count(value, name, minimum=1, maximum=None, *, item_bytes=None, item_ops=None, what="item"):
    """Return ``value`` as an int in [``minimum``, ``maximum``], within the memory budget.

    Parameters
    ----------
    value : int
        The count to check: a Python or NumPy integer (bools, floats, ``Fraction``,
        ``Decimal`` and arrays are refused with a TypeError).
    name : str
        The parameter's name, used in every message.
    minimum : int, default=1
    maximum : int, optional
        Defaults to :data:`spreadlab.budgets.MAX_COUNT`.
    item_bytes : int, optional
        Bytes the call allocates per unit of the count (8 for one float64 per draw; more
        when a draw is a vector or several arrays are kept). When given, a count whose
        arrays would exceed :data:`spreadlab.budgets.MEMORY_BUDGET` is refused up front with
        a ValueError naming the parameter, the value, the memory it would need and the
        budget.
    item_ops : float, optional
        Elementary operations per unit of the count (``n_x * n_y`` per permutation of a
        two-sample test). When given, a count whose work would exceed
        :data:`spreadlab.budgets.WORK_BUDGET` is refused up front the same way.
    what : str, default="item"
        What one unit is ("draw", "grid point"), for the message.

    Examples
    --------
    >>> from spreadlab._validation import as_count
    >>> as_count(5, "n")
    5
    >>> as_count(10**12, "n", item_bytes=8, what="draw")
    Traceback (most recent call last):
    ...
    ValueError: n=1000000000000 would need 7.28 TiB (8 bytes per draw), over the memory budget of 2 GiB (spreadlab.budgets.MEMORY_BUDGET); use n <= 268435456
    """
    if maximum is None:
        maximum = int(as_budget(_budgets.MAX_COUNT, "budgets.MAX_COUNT"))
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer >= {minimum}; got {_short(value)}")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {_short(value)}")
    if value > maximum:
        raise ValueError(f"{name} must be an integer <= {maximum}; got {_short(value)}")
    value = int(value)
    if item_bytes is not None:
        check_memory(value * float(item_bytes), name, value, per=f"{item_bytes:g} bytes per {what}",
                     largest=int(memory_budget() // max(float(item_bytes), 1.0)))
    if item_ops is not None:
        work = as_budget(_budgets.WORK_BUDGET, "budgets.WORK_BUDGET")
        if value * float(item_ops) > work:
            raise ValueError(
                f"{name}={value} would need about {value * float(item_ops):.3g} operations "
                f"({float(item_ops):.3g} per {what}), over the work budget of {work:.3g} "
                f"(spreadlab.budgets.WORK_BUDGET); use {name} <= {int(work // max(float(item_ops), 1.0))}"
            )
    return value


def check_memory(n_bytes, name, value, per=None, largest=None):
    """Refuse (ValueError naming ``name``, ``value`` and the budget) an allocation of
    ``n_bytes`` over :data:`spreadlab.budgets.MEMORY_BUDGET`; for sizes that are products of
    several parameters (``n * dim``)."""
    budget = memory_budget()
    if n_bytes > budget:
        detail = f" ({per})" if per else ""
        hint = f"; use {name} <= {largest}" if largest is not None else ""
        raise ValueError(
            f"{name}={_short(value)} would need {_bytes_text(n_bytes)}{detail}, over the memory budget "
            f"of {_bytes_text(budget)} (spreadlab.budgets.MEMORY_BUDGET){hint}"
        )


def time_budget_seconds(name):
    """The current value of the time budget ``spreadlab.budgets.<name>`` in seconds, validated."""
    return as_budget(getattr(_budgets, name), f"budgets.{name}")


def _short(value, limit=80):
    """repr of ``value`` cut to ``limit`` characters, for error messages."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def check_rng(random_state, name="rng"):
    """Turn ``None``, an int seed or a ``numpy.random.Generator`` into a Generator.

    The legacy ``numpy.random.RandomState`` and the global state are refused so that
    results never depend on hidden global random state.
    """
    if isinstance(random_state, np.random.Generator):
        return random_state
    if random_state is None or (
        isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool)
    ):
        if random_state is not None and random_state < 0:
            raise ValueError(f"{name} seed must be a non-negative integer; got {random_state!r}")
        return np.random.default_rng(random_state)
    if isinstance(random_state, np.random.SeedSequence):
        return np.random.default_rng(random_state)
    raise TypeError(
        f"{name} must be None, a non-negative int seed, a SeedSequence or a numpy.random.Generator "
        f"(the legacy RandomState and the global state are refused); got {type(random_state).__name__}"
    )


def check_choice(value, name, allowed):
    """Check that ``value`` is one of ``allowed`` (strings)."""
    if not isinstance(value, str) or value not in allowed:
        options = ", ".join(repr(a) for a in allowed)
        raise ValueError(f"Unknown {name} {_short(value)}; should be one of {options}")
    return value


def as_budget(value, name):
    """A module-level budget (seconds or a count) as a float: a number >= 0, ``inf`` for none.

    The budgets are settings a user may change; a NaN would silently switch one off (every
    comparison with it is False) and a string would fail inside a format or a comparison."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Real, np.integer, np.floating)):
        raise TypeError(f"spreadlab.{name} must be a number >= 0 (inf for no budget); "
                        f"got {type(value).__name__} {_short(value)}")
    value = float(value)
    if not value >= 0:
        raise ValueError(f"spreadlab.{name} must be a number >= 0 (inf for no budget); got {value!r}")
    return value


MAX_NOISE = 1e100  # the largest noise level the ICA code accepts (SpreadICA's own bound)


def as_noise(value, name="noise"):
    """A noise standard deviation as a float in [0, ``MAX_NOISE``].

    Shared by the ICA data generator, :func:`~spreadlab.ica.pca_start` and the Fig. 1 sweep;
    a 0-d array is read as its number, a bool is refused (it is not a noise level)."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number in [0, {MAX_NOISE:g}]; got {_short(value)}")
    try:
        value = float(value)
    except OverflowError:  # an integer (or Fraction, Decimal) beyond the float range: 10**400
        raise ValueError(f"{name} must be a finite float >= 0 and <= {MAX_NOISE:g}; got a number "
                         f"too large for a float ({_short(value, 40)})") from None
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, in [0, {MAX_NOISE:g}]; got {value!r}")
    if not 0 <= value <= MAX_NOISE:
        raise ValueError(f"{name} must be a finite float >= 0 and <= {MAX_NOISE:g}; got {value!r}")
    return value
