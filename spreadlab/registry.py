"""Public registries: closed-form divergences and closed-form spreading, extensible by users.

spreadlab never decides "which formula applies" with an if/elif chain over types. Every
closed form is registered for a pair of classes, and a lookup picks the *most specific*
registered pair over both method resolution orders, as :mod:`torch.distributions.kl`
does:

* :func:`register_divergence` ``(P, Q, f)`` -- a closed form of the f-divergence
  :math:`D_f(p\\|q)` for ``p`` an instance of ``P`` and ``q`` of ``Q``;
* :func:`register_kl` ``(P, Q)`` -- shorthand for ``register_divergence(P, Q, "kl")``;
* :func:`register_convolution` ``(P, K)`` -- the law of ``x + e`` for ``x ~ p`` and
  ``e ~ K`` in closed form (a named family, or an exact evaluator such as the
  uniform-kernel route).

When two registered pairs match equally well (``(A, Base)`` and ``(Base, B)`` for a call
with ``(A, B)``) the lookup warns with :class:`AmbiguousRegistrationWarning` and uses the
left-most match; register the exact pair to silence it. Lookups are memoised per pair of
types; registering clears the memo.

Examples
--------
A user's own distribution class with a closed-form KL works everywhere, including the
quadrature and Monte Carlo checks:

>>> import numpy as np
>>> from spreadlab import Distribution, kl, divergence, register_kl
>>> class Exponential(Distribution):
...     def __init__(self, rate):
...         self.rate = float(rate)
...     def logpdf(self, x):
...         x = np.asarray(x, dtype=float)
...         with np.errstate(divide="ignore"):
...             return np.where(x >= 0, np.log(self.rate) - self.rate * x, -np.inf)
...     def cf(self, omega):
...         return self.rate / (self.rate - 1j * np.asarray(omega, dtype=float))
...     def sample(self, n, rng=None):
...         return np.random.default_rng(rng).exponential(1.0 / self.rate, n)
...     @property
...     def support(self):
...         return np.asarray(0.0), np.asarray(np.inf)
...     @property
...     def location_hint(self):
...         return np.log(2.0) / self.rate
...     @property
...     def scale_hint(self):
...         return 1.0 / self.rate
...     def shifted(self, offset):
...         raise NotImplementedError("not needed here")
>>> @register_kl(Exponential, Exponential)
... def _kl_exponential(p, q):
...     r = q.rate / p.rate
...     return r - 1.0 - np.log(r)
>>> kl(Exponential(2.0), Exponential(1.0))  # 1/2 - 1 + log 2
0.1931471805599453
>>> round(divergence(Exponential(1.0), Exponential(2.0), "reverse_kl"), 12)
0.193147180560
>>> est = divergence(Exponential(2.0), Exponential(1.0), "kl", method="quad")
>>> bool(abs(est - 0.1931471805599453) <= est.error + 1e-15)
True
"""

import functools
import warnings

__all__ = [
    "register_divergence",
    "register_kl",
    "register_convolution",
    "AmbiguousRegistrationWarning",
]


class AmbiguousRegistrationWarning(UserWarning):
    """Two registered (type, type) pairs match a call equally well.

    The left-most match is used; register the exact pair to decide it yourself.
    """


@functools.total_ordering
class _Match:
    """A registered pair, ordered so that more specific pairs compare smaller."""

    __slots__ = ("types",)

    def __init__(self, *types):
        self.types = types

    def __eq__(self, other):
        return self.types == other.types

    def __le__(self, other):
        for x, y in zip(self.types, other.types):
            if not issubclass(x, y):
                return False
            if x is not y:
                break
        return True


class PairRegistry:
    """A table of functions keyed by ``(type_p, type_q, key)``, looked up over both MROs.

    Parameters
    ----------
    name : str
        What the table holds, used in messages (e.g. ``"divergence"``).
    """

    def __init__(self, name):
        self.name = name
        self._table = {}
        self._memo = {}

    def register(self, type_p, type_q, key=None):
        """Decorator registering ``func`` for instances of ``type_p`` and ``type_q``."""
        for label, t in (("type_p", type_p), ("type_q", type_q)):
            if not isinstance(t, type):
                raise TypeError(f"{label} must be a class; got {type(t).__name__}: {t!r}")

        def decorator(func):
            if not callable(func):
                raise TypeError(f"a registered {self.name} must be callable; got {func!r}")
            self._table[key, type_p, type_q] = func
            self._memo.clear()
            return func

        return decorator

    def lookup(self, type_p, type_q, key=None):
        """The most specific function registered for ``(type_p, type_q, key)``, or None."""
        memo_key = (key, type_p, type_q)
        try:
            return self._memo[memo_key]
        except KeyError:
            pass
        matches = [
            (sp, sq)
            for (k, sp, sq) in self._table
            if k == key and issubclass(type_p, sp) and issubclass(type_q, sq)
        ]
        func = None
        if matches:
            left_p, left_q = min(_Match(*m) for m in matches).types
            right_q, right_p = min(_Match(*reversed(m)) for m in matches).types
            func = self._table[key, left_p, left_q]
            other = self._table[key, right_p, right_q]
            if func is not other:
                what = self.name if key is None else f"{self.name} {key!r}"
                warnings.warn(
                    f"Ambiguous {what} registration for ({type_p.__name__}, {type_q.__name__}): "
                    f"({left_p.__name__}, {left_q.__name__}) and ({right_p.__name__}, "
                    f"{right_q.__name__}) match equally well; using the first. Register "
                    f"({type_p.__name__}, {type_q.__name__}) to decide.",
                    AmbiguousRegistrationWarning,
                    stacklevel=4,
                )
        self._memo[memo_key] = func
        return func


DIVERGENCES = PairRegistry("divergence")
CONVOLUTIONS = PairRegistry("convolution")


def register_divergence(type_p, type_q, f):
    r"""Register a closed form of the f-divergence :math:`D_f(p\|q)` for a pair of classes.

    The decorated function is called as ``func(p, q)``, or ``func(p, q, alpha)`` for an
    f-divergence with an order (Rényi). It returns a float or an array broadcast over the
    distributions' batch, ``inf`` where the divergence is infinite, never NaN. One
    function per (pair, f): derived divergences (reverse KL and Jeffreys from KL,
    Hellinger and chi-square from Rényi) follow automatically where a closed form of
    their source is registered.

    Parameters
    ----------
    type_p, type_q : type
        Subclasses of :class:`spreadlab.Distribution`; the most specific registered pair
        over both MROs wins.
    f : str
        Name of the f-divergence, a key of :data:`spreadlab.F_DIVERGENCES`.

    Returns
    -------
    callable
        The decorator.

    Examples
    --------
    See :mod:`spreadlab.registry` for a user-defined family registered end to end.
    """
    from .fdivergences import get_f_divergence

    name = get_f_divergence(f).name
    return DIVERGENCES.register(type_p, type_q, name)


def register_kl(type_p, type_q):
    r"""Register a closed form of :math:`KL(p\|q)`: ``register_divergence(P, Q, "kl")``.

    Parameters
    ----------
    type_p, type_q : type
        Subclasses of :class:`spreadlab.Distribution`.

    Returns
    -------
    callable
        The decorator; the function is called as ``func(p, q)``.

    Examples
    --------
    See :mod:`spreadlab.registry`.
    """
    return register_divergence(type_p, type_q, "kl")


def register_convolution(type_p, type_kernel):
    r"""Register the spread distribution :math:`p * K` in closed form for a pair of classes.

    The decorated function is called as ``func(p, kernel)`` with distributions of equal
    dimension and returns a :class:`spreadlab.Distribution` (the law of ``x + e``), or
    ``None`` to decline (then the next route, ultimately the numeric
    :class:`~spreadlab.Convolution`, is used).

    Parameters
    ----------
    type_p, type_kernel : type
        Subclasses of :class:`spreadlab.Distribution`.

    Returns
    -------
    callable
        The decorator.

    Examples
    --------
    >>> from spreadlab import Cauchy, spread
    >>> spread(Cauchy(0.0, 1.0), Cauchy(2.0, 0.5))  # registered: scales add
    Cauchy(loc=2, scale=1.5)
    """
    return CONVOLUTIONS.register(type_p, type_kernel)
