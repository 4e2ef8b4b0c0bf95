"""The contract every spreadlab distribution fulfils.

Callers (spreading, divergences, quadrature, scan grids, MMD, Fourier checks) never ask a
distribution where it lives by switching on its type: they read the answers below.
"""

import abc

import numpy as np


__all__ = ["Distribution", "check_distribution"]


class Distribution(abc.ABC):
    r"""Base class of all spreadlab distributions: what every distribution must answer.

    A subclass implements :meth:`logpdf`, :meth:`cf`, :meth:`sample`, :meth:`shifted` and
    the properties :attr:`support`, :attr:`location_hint` and :attr:`scale_hint`; the rest
    has defaults. Register closed forms for it with :func:`spreadlab.register_kl`,
    :func:`spreadlab.register_divergence` and :func:`spreadlab.register_convolution`.

    Batch semantics: one-dimensional families broadcast their parameters like
    :mod:`scipy.stats`, so ``Laplace([0, 1, 2], 1)`` is a batch of three laws with
    ``batch_shape == (3,)``; :attr:`support`, :attr:`location_hint` and
    :attr:`scale_hint` then have that shape. Multivariate laws (``dim > 1``) describe a
    single distribution (``batch_shape == ()``) and answer with vectors of length ``dim``.

    Attributes
    ----------
    dim : int
        Dimension of the sample space (1 for the univariate families).
    batch_shape : tuple
        Shape of the batch of distributions described by broadcast parameters
        (``()`` for a single distribution).

    Examples
    --------
    >>> from spreadlab import Distribution, Laplace
    >>> isinstance(Laplace([0.0, 1.0, 2.0], 1.0), Distribution)
    True
    >>> Laplace([0.0, 1.0, 2.0], 1.0).batch_shape
    (3,)
    >>> Laplace(5.0, 2.0).location_hint, round(float(Laplace(5.0, 2.0).scale_hint), 6)
    (5.0, 2.055323)
    """

    dim = 1
    batch_shape = ()

    # -- what a subclass must answer --------------------------------------------------
    @abc.abstractmethod
    def logpdf(self, x):
        """Log density at ``x`` (``-inf`` off the support); raises ValueError without one."""

    @abc.abstractmethod
    def cf(self, omega):
        r"""Characteristic function :math:`\varphi(\omega) = E[e^{i\omega^\top X}]`."""

    @abc.abstractmethod
    def sample(self, n, rng=None):
        """Draw ``n`` samples: shape (n, *batch_shape) in 1-D, (n, dim) otherwise."""

    @abc.abstractmethod
    def shifted(self, offset):
        """The same distribution translated by ``offset``."""

    @property
    @abc.abstractmethod
    def support(self):
        """``(lo, hi)``: the smallest box containing the support (per batch member/coordinate)."""

    @property
    @abc.abstractmethod
    def location_hint(self):
        """A central point (the median in 1-D): where quadrature and scan grids centre."""

    @property
    @abc.abstractmethod
    def scale_hint(self):
        """A typical width (robust scale IQR/1.349 in 1-D; 0 for a point mass)."""

    # -- defaults ---------------------------------------------------------------------
    def pdf(self, x):
        """Probability density at ``x``."""
        with np.errstate(under="ignore"):
            return np.exp(self.logpdf(x))

    numeric_density = False
    """True when :meth:`logpdf` is itself computed by quadrature (its error is then reported by
    :meth:`logpdf_and_error` and carried into every quadrature that uses it)."""

    def logpdf_and_error(self, x):
        """Log density and an estimate of its absolute error (0 for closed forms: rounding only)."""
        value = np.asarray(self.logpdf(x), dtype=float)
        return value, np.zeros(value.shape)

    @property
    def absolutely_continuous(self):
        """True when the law has a density with respect to Lebesgue measure on R^dim."""
        return True

    @property
    def full_support(self):
        """True when the density is positive on the whole of R^d."""
        lo, hi = self.support
        return bool(np.all(np.isneginf(lo)) and np.all(np.isposinf(hi)))

    def landmarks(self):
        """Points (1-D, single law) where the density has its features, for quadrature edges.

        The default is the location, a ladder of scales out to 30 on each side, and the
        finite support edges; families with kinks elsewhere override it.
        """
        if self.dim != 1 or self.batch_shape != ():
            raise ValueError(
                f"landmarks are defined for a single one-dimensional law; got dim={self.dim}, "
                f"batch_shape={self.batch_shape}"
            )
        centre = float(np.asarray(self.location_hint))
        width = float(np.asarray(self.scale_hint))
        lo, hi = (float(np.asarray(v)) for v in self.support)
        if width <= 0:
            return np.array([centre])
        ladder = np.array([-30.0, -8.0, -2.0, -0.5, 0.0, 0.5, 2.0, 8.0, 30.0])
        pts = np.concatenate([centre + width * ladder, [v for v in (lo, hi) if np.isfinite(v)]])
        return np.unique(pts[(pts >= lo) & (pts <= hi)])

    def __repr__(self):
        args = ", ".join(f"{k}={_fmt(v)}" for k, v in self._params().items())
        return f"{type(self).__name__}({args})"

    def _params(self):
        return {}


def _fmt(value):
    if isinstance(value, Distribution):
        return repr(value)
    arr = np.asarray(value)
    if arr.ndim == 0:
        return f"{float(arr):g}"
    return np.array2string(arr, precision=6, separator=", ")


def check_distribution(obj, name):
    """Raise a TypeError naming ``name`` unless ``obj`` is a spreadlab distribution."""
    if not isinstance(obj, Distribution):
        text = repr(obj)
        text = text if len(text) <= 80 else text[:77] + "..."
        raise TypeError(
            f"{name} must be a spreadlab distribution (e.g. Delta(0.0), Gaussian(0.0, 1.0)); "
            f"got {type(obj).__name__}: {text}"
        )
    return obj

