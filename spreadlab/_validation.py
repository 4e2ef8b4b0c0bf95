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
        raise TypeError(f"{name} must be a real number or array of real numbers; got {value!r}")
    if np.iscomplexobj(value):
        raise TypeError(f"{name} must be real; got a complex value {value!r}")
    if isinstance(value, (bool, np.bool_)) or np.asarray(value).dtype == bool:
        raise TypeError(f"{name} must be a real number, not a boolean; got {value!r}")
    try:
        arr = np.asarray(value, dtype=float)
    except OverflowError as exc:  # an integer literal too large for a double
        raise ValueError(f"{name} must be finite; got a number too large for a float") from exc
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"{name} must be a real number or array of real numbers; got {value!r}"
        ) from exc
    bad = np.isnan(arr) if allow_inf else ~np.isfinite(arr)
    if np.any(bad):
        raise ValueError(f"{name} must be {'not NaN' if allow_inf else 'finite'}; got {value!r}")
    return arr


def as_positive_array(value, name):
    """Return ``value`` as a float array after checking that every entry is > 0."""
    arr = as_float_array(value, name)
    if np.any(arr <= 0):
        raise ValueError(f"{name} must be > 0; got {value!r}")
    return arr


def as_count(value, name, minimum=1):
    """Return ``value`` as an int >= ``minimum`` (bools are rejected)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer >= {minimum}; got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value!r}")
    return int(value)


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
        f"{name} must be None, a non-negative int seed or a numpy.random.Generator; "
        f"got {type(random_state).__name__}"
    )


def check_choice(value, name, allowed):
    """Check that ``value`` is one of ``allowed`` (strings)."""
    if not isinstance(value, str) or value not in allowed:
        options = ", ".join(repr(a) for a in allowed)
        raise ValueError(f"Unknown {name} {value!r}; should be one of {options}")
    return value
