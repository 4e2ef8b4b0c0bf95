"""Distributions used as data, models and spread kernels.

Two kinds live here:

* ``Delta`` and ``Gaussian`` describe *one* distribution on R^d; a vector ``loc`` or
  ``mean`` is one point in R^d, as in :func:`scipy.stats.multivariate_normal`.
  A Gaussian may have a singular (positive semi-definite) covariance: that is exactly a
  deterministic linear model x = A z, the case spreading is made for.
* One-dimensional location-scale families (``Laplace``, ``Cauchy``, ``Logistic``,
  ``HyperbolicSecant``, ``StudentT``, ``Uniform``, ``Triangular``, ``Epanechnikov``,
  ``Fejer``). Their parameters broadcast like scipy.stats, so an array of locations is a
  batch of distributions and every divergence over it is one vectorised call.

Densities, distribution functions and sampling reuse :mod:`scipy.stats` wherever scipy
has the family, with scipy's parametrisation; the exceptions (Epanechnikov and Fejér,
which scipy lacks) are documented on their classes. Every class adds ``cf``, the
characteristic function E[exp(i omega X)] in closed form.
"""

import numpy as np
from scipy import special

from ._validation import as_float_array, as_positive_array, check_rng, as_count

__all__ = [
    "Distribution",
    "Delta",
    "Gaussian",
    "Laplace",
    "Cauchy",
    "Logistic",
    "HyperbolicSecant",
    "StudentT",
    "Uniform",
    "Triangular",
    "Epanechnikov",
    "Fejer",
]


def _stats():
    """scipy.stats, imported on first use (it is the slowest part of ``import spreadlab``)."""
    from scipy import stats

    return stats


class Distribution:
    """Base class of all spreadlab distributions.

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
    """

    dim = 1
    batch_shape = ()

    def pdf(self, x):
        """Probability density at ``x``."""
        return np.exp(self.logpdf(x))

    def logpdf(self, x):  # pragma: no cover - overridden
        raise NotImplementedError

    def cf(self, omega):  # pragma: no cover - overridden
        raise NotImplementedError

    def sample(self, n, rng=None):  # pragma: no cover - overridden
        raise NotImplementedError

    @property
    def full_support(self):
        """True when the density is positive on the whole of R^d."""
        lo, hi = self.support
        return bool(np.all(np.isneginf(lo)) and np.all(np.isposinf(hi)))

    def __repr__(self):
        args = ", ".join(f"{k}={_fmt(v)}" for k, v in self._params().items())
        return f"{type(self).__name__}({args})"

    def _params(self):  # pragma: no cover - overridden
        return {}


def _fmt(value):
    arr = np.asarray(value)
    if arr.ndim == 0:
        return f"{float(arr):g}"
    return np.array2string(arr, precision=6, separator=", ")


# --------------------------------------------------------------------------------------
# Distributions on R^d
# --------------------------------------------------------------------------------------


def _as_point(value, name):
    arr = as_float_array(value, name)
    if arr.ndim > 1:
        raise ValueError(f"{name} must be a scalar or a 1-D vector (one point); got shape {arr.shape}")
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
        return self.loc, self.loc

    @property
    def full_support(self):
        return False

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
        n = as_count(n, "n")
        check_rng(rng)
        out = np.broadcast_to(self.loc, (n, self.dim)).copy()
        return out[:, 0] if self.dim == 1 else out

    def cf(self, omega):
        """Characteristic function exp(i omega . loc); ``omega`` of shape (..., d)."""
        w = _points(as_float_array(omega, "omega"), self.dim, "omega")
        return np.exp(1j * (w @ self.loc))

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
            if not np.allclose(c, c.T, rtol=0.0, atol=1e-12 * scale):
                raise ValueError("cov must be symmetric; got a matrix with cov != cov.T")
            c = 0.5 * (c + c.T)
        else:
            raise ValueError(f"cov must be a scalar, a vector or a matrix; got shape {c.shape}")
        eigval, eigvec = np.linalg.eigh(c)
        top = max(eigval.max(initial=0.0), 0.0)
        tol = d * np.finfo(float).eps * top
        if eigval.min(initial=0.0) < -max(tol, 1e-300) * 10:
            raise ValueError(
                "cov must be positive semi-definite; got smallest eigenvalue "
                f"{eigval.min():.3g}"
            )
        self.cov = c
        self._eigval = np.where(eigval > tol, eigval, 0.0)
        self._eigvec = eigvec
        self.rank = int(np.count_nonzero(self._eigval))

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
        if self.is_singular:
            return self.mean, self.mean  # a lower-dimensional affine subspace
        inf = np.full(self.dim, np.inf)
        return -inf, inf

    @property
    def full_support(self):
        return not self.is_singular

    def range_basis(self):
        """Orthonormal basis (d, rank) of the column space of cov."""
        return self._eigvec[:, self._eigval > 0]

    def logpdf(self, x):
        """Log density; ``x`` of shape (..., d) (or (...,) when d = 1)."""
        if self.is_singular:
            raise ValueError(
                f"this Gaussian has a singular covariance (rank {self.rank} < d = {self.dim}), "
                "so it has no density with respect to Lebesgue measure; spread it first"
            )
        pts = _points(as_float_array(x, "x", allow_inf=True), self.dim)
        z = (pts - self.mean) @ self._eigvec / np.sqrt(self._eigval)
        maha = np.sum(z * z, axis=-1)
        logdet = np.sum(np.log(self._eigval))
        return -0.5 * (maha + logdet + self.dim * np.log(2 * np.pi))

    def sample(self, n, rng=None):
        """Draw ``n`` samples: shape (n,) for d = 1 and (n, d) otherwise."""
        n = as_count(n, "n")
        rng = check_rng(rng)
        z = rng.standard_normal((n, self.dim))
        out = self.mean + (z * np.sqrt(self._eigval)) @ self._eigvec.T
        return out[:, 0] if self.dim == 1 else out

    def cf(self, omega):
        """Characteristic function; ``omega`` of shape (..., d)."""
        w = _points(as_float_array(omega, "omega"), self.dim, "omega")
        quad = np.einsum("...i,ij,...j->...", w, self.cov, w)
        return np.exp(1j * (w @ self.mean) - 0.5 * quad)

    def shifted(self, offset):
        """The same distribution translated by ``offset``."""
        offset = _as_point(offset, "offset")
        if offset.size not in (1, self.dim):
            raise ValueError(f"offset must be a scalar or have length {self.dim}; got {offset.size}")
        new = Gaussian.__new__(Gaussian)
        new.__dict__.update(self.__dict__)
        new.mean = self.mean + offset
        return new


# --------------------------------------------------------------------------------------
# One-dimensional location-scale families
# --------------------------------------------------------------------------------------


class _Univariate(Distribution):
    """Location-scale family on R with scipy.stats-style broadcasting parameters."""

    dim = 1
    _lower = -np.inf  # support of the standard member, in units of scale around loc
    _upper = np.inf

    def __init__(self, loc=0.0, scale=1.0, **shape):
        loc = as_float_array(loc, "loc")
        scale = as_positive_array(scale, "scale")
        arrays = [loc, scale] + list(shape.values())
        self.batch_shape = np.broadcast_shapes(*(a.shape for a in arrays))
        self.loc = loc
        self.scale = scale
        for key, value in shape.items():
            setattr(self, key, value)

    def _params(self):
        return {"loc": self.loc, "scale": self.scale}

    # scipy does the density, cdf and sampling ------------------------------------------
    def _frozen(self):  # pragma: no cover - overridden
        raise NotImplementedError

    def _scipy(self):
        """The frozen scipy.stats distribution (built once: construction costs ~0.4 ms)."""
        frozen = self.__dict__.get("_frozen_cache")
        if frozen is None:
            frozen = self.__dict__["_frozen_cache"] = self._frozen()
        return frozen

    def logpdf(self, x):
        with np.errstate(over="ignore", under="ignore"):
            return self._scipy().logpdf(as_float_array(x, "x", allow_inf=True))

    def pdf(self, x):
        with np.errstate(over="ignore", under="ignore"):
            return self._scipy().pdf(as_float_array(x, "x", allow_inf=True))

    def cdf(self, x):
        """Cumulative distribution function."""
        return self._scipy().cdf(as_float_array(x, "x", allow_inf=True))

    def sample(self, n, rng=None):
        """Draw ``n`` samples of shape (n, *batch_shape)."""
        n = as_count(n, "n")
        rng = check_rng(rng)
        return self._scipy().rvs(size=(n,) + self.batch_shape, random_state=rng)

    @property
    def support(self):
        lo, hi = self._scipy().support()
        return np.broadcast_to(lo, self.batch_shape), np.broadcast_to(hi, self.batch_shape)

    # characteristic function -------------------------------------------------------------
    def cf(self, omega):
        """Characteristic function E[exp(i omega X)], broadcast against the parameters."""
        w = as_float_array(omega, "omega")
        return np.exp(1j * w * self.loc) * self._std_cf(w * self.scale)

    def _std_cf(self, t):  # pragma: no cover - overridden
        raise NotImplementedError

    def shifted(self, offset):
        """The same family translated by ``offset`` (broadcasts)."""
        params = self._params()
        params["loc"] = params["loc"] + as_float_array(offset, "offset")
        return type(self)(**params)


class Laplace(_Univariate):
    r"""Laplace (double exponential) distribution, scipy.stats.laplace(loc, scale).

    Density :math:`\frac{1}{2b} e^{-|x-\mu|/b}`, characteristic function
    :math:`e^{i\omega\mu}/(1 + b^2\omega^2)` (strictly positive modulus).

    Parameters
    ----------
    loc : float or array-like, default=0.0
    scale : float or array-like, default=1.0
        b > 0. Variance is 2 b^2.

    Examples
    --------
    >>> from spreadlab import Laplace
    >>> float(Laplace(0.0, 2.0).cf(0.5).real)
    0.5
    """

    def _frozen(self):
        return _stats().laplace(loc=self.loc, scale=self.scale)

    def logpdf(self, x):
        # written out: scipy's laplace.logpdf underflows to -inf beyond |z| ~ 745
        z = (as_float_array(x, "x", allow_inf=True) - self.loc) / self.scale
        return -np.abs(z) - np.log(2.0 * self.scale)

    def _std_cf(self, t):
        return 1.0 / (1.0 + t * t)


class Cauchy(_Univariate):
    r"""Cauchy distribution, scipy.stats.cauchy(loc, scale).

    Characteristic function :math:`e^{i\omega\mu - \gamma|\omega|}`.

    Examples
    --------
    >>> from spreadlab import Cauchy
    >>> round(float(Cauchy(0.0, 1.0).pdf(0.0)), 6)
    0.31831
    """

    def _frozen(self):
        return _stats().cauchy(loc=self.loc, scale=self.scale)

    def _std_cf(self, t):
        return np.exp(-np.abs(t))


def _logcosh(x):
    """log cosh x without overflow: |x| + log1p(e^{-2|x|}) - log 2."""
    x = np.abs(np.asarray(x, dtype=float))
    return x + np.log1p(np.exp(-2.0 * x)) - np.log(2.0)


def _x_over_sinh(x):
    """x / sinh(x), equal to 1 at 0 and 0 (not NaN) when sinh overflows."""
    x = np.asarray(x, dtype=float)
    ax = np.abs(x)
    with np.errstate(over="ignore", invalid="ignore"):
        # 2 x e^{-x} / (1 - e^{-2x}) avoids overflow of sinh for large |x|
        val = 2.0 * ax * np.exp(-ax) / -np.expm1(-2.0 * ax)
    return np.where(ax < 1e-8, 1.0 - ax * ax / 6.0, val)


class Logistic(_Univariate):
    r"""Logistic distribution, scipy.stats.logistic(loc, scale).

    Characteristic function :math:`e^{i\omega\mu}\,\pi s\omega / \sinh(\pi s\omega)`.

    Examples
    --------
    >>> from spreadlab import Logistic
    >>> round(float(Logistic(0.0, 1.0).pdf(0.0)), 6)
    0.25
    """

    def _frozen(self):
        return _stats().logistic(loc=self.loc, scale=self.scale)

    def _std_cf(self, t):
        return _x_over_sinh(np.pi * t)


class HyperbolicSecant(_Univariate):
    r"""Hyperbolic secant distribution, scipy.stats.hypsecant(loc, scale).

    scipy's parametrisation is kept: density :math:`\frac{1}{\pi s}\,\mathrm{sech}((x-\mu)/s)`
    and characteristic function :math:`e^{i\omega\mu}\,\mathrm{sech}(\pi s\omega/2)`.
    The unit-variance form :math:`\frac{1}{2}\mathrm{sech}(\pi x/2)` used in the
    literature is ``HyperbolicSecant(0, 2/pi)``.

    Examples
    --------
    >>> import numpy as np
    >>> from spreadlab import HyperbolicSecant
    >>> round(float(HyperbolicSecant(0.0, 2 / np.pi).sample(200_000, 0).var()), 2)
    1.0
    """

    def _frozen(self):
        return _stats().hypsecant(loc=self.loc, scale=self.scale)

    def logpdf(self, x):
        # written out: scipy's hypsecant.logpdf overflows cosh and gives -inf for |z| > 710
        z = (as_float_array(x, "x", allow_inf=True) - self.loc) / self.scale
        return -_logcosh(z) - np.log(np.pi * self.scale)

    def _std_cf(self, t):
        a = np.abs(0.5 * np.pi * t)
        with np.errstate(over="ignore"):
            return 2.0 * np.exp(-a) / (1.0 + np.exp(-2.0 * a))


class StudentT(_Univariate):
    r"""Student's t distribution, scipy.stats.t(df, loc, scale).

    Characteristic function, with :math:`u = \sqrt{\nu}\,s|\omega|`:
    :math:`\varphi(\omega) = e^{i\omega\mu}\,\frac{K_{\nu/2}(u)\,u^{\nu/2}}
    {\Gamma(\nu/2)\,2^{\nu/2-1}}`, strictly positive.

    Parameters
    ----------
    df : float or array-like
        Degrees of freedom, > 0.
    loc, scale : float or array-like

    Examples
    --------
    >>> from spreadlab import StudentT
    >>> round(float(StudentT(1.0).cf(1.0).real), 6)  # df = 1 is Cauchy: exp(-1)
    0.367879
    """

    def __init__(self, df, loc=0.0, scale=1.0):
        super().__init__(loc, scale, df=as_positive_array(df, "df"))

    def _params(self):
        return {"df": self.df, "loc": self.loc, "scale": self.scale}

    def _frozen(self):
        return _stats().t(self.df, loc=self.loc, scale=self.scale)

    def _std_cf(self, t):
        nu = self.df
        u = np.sqrt(nu) * np.abs(t)
        half = 0.5 * nu
        us = np.where(u == 0, 1.0, u)
        with np.errstate(over="ignore", invalid="ignore", under="ignore", divide="ignore"):
            # log form: log K_v(u) = log kve(v, u) - u
            log_k = np.log(special.kve(half, us)) - us
            # kve overflows for large v at small u (large df): integrate there instead
            bad = ~np.isfinite(log_k)
            if np.any(bad):
                vv, uu = np.broadcast_arrays(half, us)
                log_k = np.array(log_k, dtype=float, copy=True)
                log_k[bad] = [_log_bessel_k(v, x) for v, x in zip(vv[bad], uu[bad])]
            logval = log_k + half * np.log(us) - special.gammaln(half) - (half - 1.0) * np.log(2.0)
            val = np.exp(logval)
        return np.where(u == 0, 1.0, val)


def _log_bessel_k(v, u):
    """log K_v(u) from K_v(u) = int_0^inf exp(-u cosh t) cosh(v t) dt, in log space.

    Used where ``scipy.special.kve`` overflows (large order, small argument). The
    integrand is scaled by its maximum, near t* = asinh(v / u), before integrating.
    """
    from scipy import integrate

    def log_f(t):
        return -u * np.cosh(t) + v * t + np.log1p(np.exp(-2.0 * v * t)) - np.log(2.0)

    t_star = float(np.arcsinh(v / u))
    shift = log_f(t_star)
    width = 1.0 / np.sqrt(np.hypot(u, v))
    g = lambda t: np.exp(log_f(t) - shift)  # noqa: E731
    pieces = [(0.0, t_star), (t_star, t_star + 40.0 * width), (t_star + 40.0 * width, np.inf)]
    total = sum(integrate.quad(g, a, b, epsabs=0.0, epsrel=1e-13, limit=200)[0] for a, b in pieces if b > a)
    return shift + np.log(total)


def _sin_minus_x_over_x2(x):
    """(sin x - x) / x**2, accurate near 0."""
    x = np.asarray(x, dtype=float)
    small = np.abs(x) < 0.05
    xs = np.where(small, x, 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        direct = (np.sin(x) - x) / np.where(small, 1.0, x * x)
    series = -xs / 6 + xs**3 / 120 - xs**5 / 5040 + xs**7 / 362880
    return np.where(small, series, direct)


def _h(x):
    """h(x) = (exp(ix) - 1 - ix) / x**2, smooth with h(0) = -1/2."""
    x = np.asarray(x, dtype=float)
    half = 0.5 * x
    with np.errstate(invalid="ignore", divide="ignore"):
        re = np.where(x == 0, -0.5, -0.5 * (np.sinc(half / np.pi)) ** 2)
    return re + 1j * _sin_minus_x_over_x2(x)


class Uniform(_Univariate):
    r"""Uniform distribution on [loc, loc + scale], as scipy.stats.uniform(loc, scale).

    Characteristic function :math:`e^{i\omega(\mu + s/2)}\,\mathrm{sinc}(s\omega/2)`: it
    changes sign, with zeros at :math:`\omega = 2\pi k/s`. A uniform kernel is one-to-one
    (countable zeros) but has no full support.

    Examples
    --------
    >>> import numpy as np
    >>> from spreadlab import Uniform
    >>> abs(complex(Uniform(-1.0, 2.0).cf(np.pi))) < 1e-15
    True
    """

    def _frozen(self):
        return _stats().uniform(loc=self.loc, scale=self.scale)

    def _std_cf(self, t):
        return np.exp(0.5j * t) * np.sinc(t / (2 * np.pi))


class Triangular(_Univariate):
    r"""Triangular distribution, scipy.stats.triang(c, loc, scale).

    Support [loc, loc + scale] with mode loc + c * scale. The symmetric case c = 0.5 has
    characteristic function :math:`e^{i\omega(\mu+s/2)}\mathrm{sinc}^2(s\omega/4)`:
    non-negative, with zeros.

    Parameters
    ----------
    loc : float or array-like, default=0.0
    scale : float or array-like, default=1.0
    c : float or array-like, default=0.5
        Mode position in [0, 1] (scipy's shape parameter).

    Examples
    --------
    >>> from spreadlab import Triangular
    >>> round(float(Triangular(-1.0, 2.0).pdf(0.0)), 12)
    1.0
    """

    def __init__(self, loc=0.0, scale=1.0, c=0.5):
        c = as_float_array(c, "c")
        if np.any((c < 0) | (c > 1)):
            raise ValueError(f"c must lie in [0, 1]; got {c!r}")
        super().__init__(loc, scale, c=c)

    def _params(self):
        return {"loc": self.loc, "scale": self.scale, "c": self.c}

    def _frozen(self):
        return _stats().triang(self.c, loc=self.loc, scale=self.scale)

    def _std_cf(self, t):
        # centred at the mode m: u = a - m = -c, v = b - m = 1 - c (scale 1);
        # phi_0(t) = 2 (u h(t u) - v h(t v)) / (v - u) with h(x) = (e^{ix} - 1 - ix) / x^2
        u, v = -self.c, 1.0 - self.c
        return np.exp(1j * t * self.c) * 2.0 * (u * _h(t * u) - v * _h(t * v))


class Epanechnikov(_Univariate):
    r"""Epanechnikov kernel (not in scipy.stats): density
    :math:`\frac{3}{4s}\left(1 - ((x-\mu)/s)^2\right)` on [loc - scale, loc + scale].

    Characteristic function :math:`3(\sin a - a\cos a)/a^3` with :math:`a = s\omega`,
    which changes sign. Sampling uses the median-of-three-uniforms construction
    (Devroye, 1986).

    Examples
    --------
    >>> from spreadlab import Epanechnikov
    >>> round(float(Epanechnikov(0.0, 1.0).pdf(0.0)), 12)
    0.75
    """

    def logpdf(self, x):
        z = (as_float_array(x, "x", allow_inf=True) - self.loc) / self.scale
        inside = np.abs(z) < 1
        with np.errstate(divide="ignore"):
            val = np.log(0.75) + np.log1p(-np.where(inside, z * z, 0.0)) - np.log(self.scale)
        return np.where(inside, val, -np.inf)

    def pdf(self, x):
        return np.exp(self.logpdf(x))

    def cdf(self, x):
        z = np.clip((as_float_array(x, "x", allow_inf=True) - self.loc) / self.scale, -1.0, 1.0)
        return 0.5 + 0.75 * z - 0.25 * z**3

    @property
    def support(self):
        return (
            np.broadcast_to(self.loc - self.scale, self.batch_shape),
            np.broadcast_to(self.loc + self.scale, self.batch_shape),
        )

    def sample(self, n, rng=None):
        n = as_count(n, "n")
        rng = check_rng(rng)
        u = rng.uniform(-1.0, 1.0, size=(3, n) + self.batch_shape)
        a1, a2, a3 = np.abs(u)
        z = np.where((a3 >= a2) & (a3 >= a1), u[1], u[2])
        return self.loc + self.scale * z

    def _std_cf(self, t):
        a = np.abs(np.asarray(t, dtype=float))
        small = a < 0.5
        s = np.where(small, a, 1.0)
        # 3 (sin a - a cos a) / a^3 = 3 sum_k (-1)^(k+1) 2k a^(2k-2) / (2k+1)!
        series = sum(
            3.0 * (-1) ** (k + 1) * 2 * k * s ** (2 * k - 2) / special.factorial(2 * k + 1)
            for k in range(1, 9)
        )
        big = np.where(small, 1.0, a)
        direct = 3.0 * (np.sin(big) - big * np.cos(big)) / big**3
        return np.where(small, series, direct)


class Fejer(_Univariate):
    r"""Fejér kernel (not in scipy.stats): density
    :math:`\frac{1}{\pi s}\,\frac{\sin^2(z)}{z^2}`, :math:`z = (x - \mu)/s`.

    Its characteristic function :math:`e^{i\omega\mu}\max(0, 1 - s|\omega|/2)` vanishes
    for :math:`|\omega| \ge 2/s`: a band-limited kernel. Spreading with it is *not*
    one-to-one, even though the density is positive almost everywhere. Sampling is by
    rejection from a Cauchy proposal (acceptance rate 1/2).

    Examples
    --------
    >>> from spreadlab import Fejer
    >>> float(Fejer(0.0, 1.0).cf(3.0).real)
    0.0
    """

    def logpdf(self, x):
        z = (as_float_array(x, "x", allow_inf=True) - self.loc) / self.scale
        with np.errstate(divide="ignore"):
            return 2.0 * np.log(np.abs(np.sinc(z / np.pi))) - np.log(np.pi * self.scale)

    def pdf(self, x):
        z = (as_float_array(x, "x", allow_inf=True) - self.loc) / self.scale
        return np.sinc(z / np.pi) ** 2 / (np.pi * self.scale)

    def cdf(self, x):
        z = (as_float_array(x, "x", allow_inf=True) - self.loc) / self.scale
        # d/dz [Si(2z)/pi - sin^2(z)/(pi z)] = sin^2(z)/(pi z^2)
        si = special.sici(2.0 * z)[0]
        with np.errstate(invalid="ignore", divide="ignore"):
            tail = np.where(z == 0, 0.0, np.sin(z) ** 2 / np.where(z == 0, 1.0, z))
        return 0.5 + (si - tail) / np.pi

    @property
    def support(self):
        inf = np.broadcast_to(np.inf, self.batch_shape)
        return -inf, inf

    def sample(self, n, rng=None):
        n = as_count(n, "n")
        rng = check_rng(rng)
        size = (n,) + self.batch_shape
        total = int(np.prod(size))
        z = _fejer_standard(rng, total)
        return self.loc + self.scale * z.reshape(size)

    def _std_cf(self, t):
        return np.maximum(0.0, 1.0 - 0.5 * np.abs(t))


def _fejer_standard(rng, total):
    """Rejection sampler for sin^2(z) / (pi z^2) with a standard Cauchy proposal."""
    out = []
    have = 0
    while have < total:
        m = 2 * (total - have) + 16
        z = rng.standard_cauchy(m)
        # ratio target / (2 * cauchy) = sinc^2(z) (1 + z^2) / 2 <= 1
        ratio = 0.5 * np.sinc(z / np.pi) ** 2 * (1.0 + z * z)
        keep = z[rng.uniform(size=m) <= ratio]
        out.append(keep)
        have += keep.size
    return np.concatenate(out)[:total]


def check_distribution(obj, name):
    """Raise a TypeError naming ``name`` unless ``obj`` is a spreadlab distribution."""
    if not isinstance(obj, Distribution):
        raise TypeError(
            f"{name} must be a spreadlab distribution (e.g. Delta(0.0), Gaussian(0.0, 1.0)); "
            f"got {type(obj).__name__}: {obj!r}"
        )
    return obj
