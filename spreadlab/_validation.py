"""Argument checks shared by the public functions.

Every check raises ``ValueError`` or ``TypeError`` with a message that names the
parameter, says what is allowed and shows what was received. ``assert`` is never
used for validation because ``python -O`` removes it.
"""

import numbers

import numpy as np

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


MAX_COUNT = 2**40
"""Largest sample size or grid size accepted anywhere (about 1.1e12): beyond it no array fits
in memory, and numpy's own message would not name the parameter."""


def as_count(value, name, minimum=1, maximum=MAX_COUNT):
    """Return ``value`` as an int in [``minimum``, ``maximum``] (bools are rejected)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer >= {minimum}; got {_short(value)}")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {_short(value)}")
    if value > maximum:
        raise ValueError(f"{name} must be an integer <= {maximum}; got {_short(value)}")
    return int(value)


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
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, in [0, {MAX_NOISE:g}]; got {value!r}")
    if not 0 <= value <= MAX_NOISE:
        raise ValueError(f"{name} must be a finite float >= 0 and <= {MAX_NOISE:g}; got {value!r}")
    return value
