"""Laws on R^d: the point mass and the (possibly singular) Gaussian.

A vector ``loc`` or ``mean`` is one point in R^d, as in
:func:`scipy.stats.multivariate_normal`. A Gaussian may have a singular (positive
semi-definite) covariance: that is exactly a deterministic linear model x = A z, the case
spreading is made for.
"""

import numpy as np

from .._constants import LOG_2PI
from .._validation import as_count, as_float_array, check_rng
from ._base import Distribution
from ._psd import PSD

__all__ = ["Delta", "Gaussian"]


def _as_point(value, name):
    arr = as_float_array(value, name)
    if arr.ndim > 1:
        raise ValueError(f"{name} must be a scalar or a 1-D vector (one point); got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} must have at least one coordinate; got an empty array")
    return np.atleast_1d(arr)


def _points(x, dim, name="x"):
    """Reshape ``x`` to (..., dim) points; for dim 1 a trailing axis is optional."""
    x = np.asarray(x, dtype=float)
    if dim == 1:
        if x.ndim >= 1 and x.shape[-1] == 1 and x.ndim > 1:
            return x
        return x[..., None]
    if x.ndim == 0 or x.shape[-1] != dim:
        raise ValueError(f"{name} must have a last axis of length {dim}; got shape {x.shape}")
    return x


class Delta(Distribution):
    r"""Point mass at ``loc``: the law of a deterministic output.

    A Delta has no density with respect to Lebesgue measure, which is why the
    likelihood of a deterministic model is zero almost everywhere; spread it with a
    kernel (:func:`spreadlab.spread`) to obtain one.

    Parameters
    ----------
    loc : float or array-like of shape (d,)
        The point, read as one point in R^d.

    Examples
    --------
    >>> from spreadlab import Delta
    >>> Delta([0.0, 1.0]).dim
    2
    >>> complex(Delta(2.0).cf(0.5))  # exp(i * 0.5 * 2)
    (0.5403+0.8415j)
    """

    def __init__(self, loc=0.0):
        self.loc = _as_point(loc, "loc")
        self.dim = self.loc.size
        self._scalar = np.ndim(loc) == 0

    def _params(self):
        return {"loc": self.loc[0] if self._scalar else self.loc}

    @property
    def support(self):
        return self._out(self.loc), self._out(self.loc)

    @property
    def full_support(self):
        return False

    @property
    def absolutely_continuous(self):
        return False

    @property
    def location_hint(self):
        return self._out(self.loc)

    @property
    def scale_hint(self):
        return 0.0

    def _out(self, v):
        return float(v[0]) if self._scalar else v.copy()

    @property
    def mean(self):
        return self.loc.copy()

    @property
    def cov(self):
        return np.zeros((self.dim, self.dim))

    def logpdf(self, x):
        raise ValueError(
            "Delta has no density with respect to Lebesgue measure (its likelihood is zero "
            "off a single point); spread it with a kernel, e.g. spread(Delta(0), Gaussian(0, 1))"
        )

    def sample(self, n, rng=None):
        """Return ``n`` copies of ``loc``, shape (n,) for d = 1 and (n, d) otherwise."""
        n = as_count(n, "n", item_bytes=8 * self.dim, what="draw")
        check_rng(rng)
        out = np.broadcast_to(self.loc, (n, self.dim)).copy()
        return out[:, 0] if self.dim == 1 else out

    def cf(self, omega):
        """Characteristic function exp(i omega . loc); ``omega`` of shape (..., d)."""
        w = _points(as_float_array(omega, "omega"), self.dim, "omega")
        return _phase(w, self.loc)

    def shifted(self, offset):
        """The same distribution translated by ``offset``."""
        moved = self.loc + _as_point(offset, "offset")
        return Delta(moved[0] if self._scalar else moved)


class Gaussian(Distribution):
    r"""Normal distribution N(mean, cov) on R^d, singular covariances included.

    Parameters
    ----------
    mean : float or array-like of shape (d,)
        Mean vector, read as one point in R^d.
    cov : float, array-like of shape (d,) or (d, d), default=1.0
        Covariance: a scalar variance (times the identity), the diagonal, or the full
        symmetric positive semi-definite matrix. A singular matrix is legal: it is the
        law of a deterministic linear model and has no Lebesgue density until spread.

    Notes
    -----
    The characteristic function is :math:`\varphi(\omega) = \exp(i\omega^\top\mu -
    \tfrac12 \omega^\top\Sigma\omega)`.

    Examples
    --------
    >>> from spreadlab import Gaussian
    >>> g = Gaussian([0.0, 0.0], [[1.0, 1.0], [1.0, 1.0]])
    >>> g.is_singular
    True
    >>> round(float(Gaussian(0.0, 4.0).pdf(0.0)), 6)
    0.199471
    """

    def __init__(self, mean=0.0, cov=1.0):
        self.mean = _as_point(mean, "mean")
        self._scalar = np.ndim(mean) == 0
        d = self.mean.size
        self.dim = d
        c = as_float_array(cov, "cov")
        if c.ndim == 0:
            if c < 0:
                raise ValueError(f"cov (a variance) must be >= 0; got {float(c)!r}")
            c = float(c) * np.eye(d)
        elif c.ndim == 1:
            if c.shape != (d,):
                raise ValueError(f"cov as a diagonal must have shape ({d},) to match mean; got {c.shape}")
            if np.any(c < 0):
                raise ValueError(f"cov diagonal (variances) must be >= 0; got {c!r}")
            c = np.diag(c)
        elif c.ndim == 2:
            if c.shape != (d, d):
                raise ValueError(f"cov must have shape ({d}, {d}) to match mean; got {c.shape}")
            scale = max(np.max(np.abs(c)), np.finfo(float).tiny)
            if not np.allclose(c / scale, c.T / scale, rtol=0.0, atol=1e-12):
                raise ValueError("cov must be symmetric; got a matrix with cov != cov.T")
            c = 0.5 * c + 0.5 * c.T  # halve first: c + c.T overflows near 1e308
        else:
            raise ValueError(f"cov must be a scalar, a vector or a matrix; got shape {c.shape}")
        self._psd = PSD(c, "cov")
        self.cov = c
        self.rank = self._psd.rank

    def _params(self):
        if self._scalar:
            return {"mean": self.mean[0], "cov": self.cov[0, 0]}
        return {"mean": self.mean, "cov": self.cov}

    @property
    def is_singular(self):
        """True when cov has rank < d (no Lebesgue density)."""
        return self.rank < self.dim

    @property
    def support(self):
        """Bounding box: +-inf along coordinates with variance, the mean where there is none."""
        fixed = np.diag(self.cov) == 0
        lo = np.where(fixed, self.mean, -np.inf)
        hi = np.where(fixed, self.mean, np.inf)
        return (float(lo[0]), float(hi[0])) if self._scalar else (lo, hi)

    @property
    def full_support(self):
        return not self.is_singular

    @property
    def absolutely_continuous(self):
        return not self.is_singular

    @property
    def location_hint(self):
        return float(self.mean[0]) if self._scalar else self.mean.copy()

    @property
    def scale_hint(self):
        """Standard deviation along the widest direction (0 for a point mass)."""
        return float(np.sqrt(self._psd.eigval.max(initial=0.0)))

    @property
    def psd(self):
        """The covariance's :class:`~spreadlab.distributions._psd.PSD` decomposition."""
        return self._psd

    def range_basis(self):
        """Orthonormal basis (d, rank) of the column space of cov."""
        return self._psd.range_basis

    def logpdf(self, x):
        """Log density; ``x`` of shape (..., d) (or (...,) when d = 1)."""
        if self.is_singular:
            raise ValueError(
                f"this Gaussian has a singular covariance (rank {self.rank} < d = {self.dim}), "
                "so it has no density with respect to Lebesgue measure; spread it first"
            )
        pts = _points(as_float_array(x, "x", allow_inf=True), self.dim)
        z = self._psd.whiten(pts - self.mean)
        with np.errstate(over="ignore"):
            maha = np.sum(z * z, axis=-1)
        return -0.5 * (maha + self._psd.log_pdet + self.dim * LOG_2PI)

    def sample(self, n, rng=None):
        """Draw ``n`` samples: shape (n,) for d = 1 and (n, d) otherwise."""
        n = as_count(n, "n", item_bytes=8 * self.dim, what="draw")
        rng = check_rng(rng)
        z = rng.standard_normal((n, self.dim))
        out = self.mean + (z * np.sqrt(self._psd.eigval)) @ self._psd.eigvec.T
        return out[:, 0] if self.dim == 1 else out

    def cf(self, omega):
        """Characteristic function; ``omega`` of shape (..., d)."""
        w = _points(as_float_array(omega, "omega"), self.dim, "omega")
        with np.errstate(over="ignore", invalid="ignore"):
            quad = np.einsum("...i,ij,...j->...", w, self.cov, w)
        # the modulus exp(-quad/2) is 0 where quad overflowed (|omega| sigma > 1e154)
        modulus = np.exp(-0.5 * np.where(np.isnan(quad), np.inf, quad))
        return np.where(modulus > 0, _phase(w, self.mean) * modulus, 0.0 + 0.0j)

    def shifted(self, offset):
        """The same distribution translated by ``offset``."""
        offset = _as_point(offset, "offset")
        if offset.size not in (1, self.dim):
            raise ValueError(f"offset must be a scalar or have length {self.dim}; got {offset.size}")
        new = Gaussian.__new__(Gaussian)
        new.__dict__.update(self.__dict__)
        new.mean = self.mean + offset
        return new


def _phase(w, loc):
    """exp(i w . loc); where ``w . loc`` overflows (|omega loc| > 1.8e308) the phase is not
    determined by float arithmetic and 1 is used, as the one-dimensional families do (the
    modulus, which is what injectivity checks read, is exact)."""
    with np.errstate(over="ignore", invalid="ignore"):
        arg = np.asarray(w @ loc, dtype=float)
        return np.exp(1j * np.where(np.isfinite(arg), arg, 0.0))
