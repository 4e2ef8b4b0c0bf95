"""One-dimensional location-scale families: frozen scipy.stats laws plus a closed-form cf.

Every family here is a :mod:`scipy.stats` distribution in standard form, frozen with
``loc`` and ``scale`` (and shape parameters) that broadcast like scipy's, so an array of
locations is a batch of distributions and every divergence over it is one vectorised
call. scipy supplies densities, distribution functions, quantiles and sampling; each
class adds ``cf``, the characteristic function E[exp(i omega X)] in closed form, and
writes out a log density only where scipy's underflows (Laplace, hyperbolic secant).
Epanechnikov and Fejér, which scipy lacks, are ``rv_continuous`` subclasses in standard
form (:mod:`spreadlab.distributions._scipy_extra`), exactly as scipy writes its own.
"""

import numpy as np
from scipy import special

from .._validation import as_count, as_float_array, as_positive_array, check_rng
from .._special import logcosh
from ._base import Distribution

__all__ = [
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

_IQR_TO_SIGMA = 1.3489795003921634  # interquartile range of N(0, 1)


def _stats():
    """scipy.stats, imported on first use (it is the slowest part of ``import spreadlab``)."""
    from scipy import stats

    return stats


class _Univariate(Distribution):
    """Location-scale family on R: a frozen scipy.stats law with broadcasting parameters.

    A subclass names its scipy family (:meth:`_family`), its shape parameters
    (``_shape_names``) and its standard characteristic function (:meth:`_std_cf`).
    """

    dim = 1
    _shape_names = ()

    def __init__(self, loc=0.0, scale=1.0):
        self._setup(loc, scale)

    def _setup(self, loc, scale, **shape):
        unknown = sorted(set(shape) - set(self._shape_names))
        if unknown:
            allowed = ", ".join(("loc", "scale") + tuple(self._shape_names))
            raise TypeError(f"{type(self).__name__} got unexpected parameter {unknown[0]!r}; "
                            f"its parameters are {allowed}")
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

    def _shapes(self):
        return tuple(getattr(self, name) for name in self._shape_names)

    def _family(self):  # pragma: no cover - overridden
        raise NotImplementedError

    def _scipy(self):
        """The frozen scipy.stats distribution (built once: construction costs ~0.4 ms)."""
        frozen = self.__dict__.get("_frozen_cache")
        if frozen is None:
            frozen = self._family()(*self._shapes(), loc=self.loc, scale=self.scale)
            self.__dict__["_frozen_cache"] = frozen
        return frozen

    def _standard(self):
        """The same family with loc 0 and scale 1 (hints computed there are exact at any loc)."""
        frozen = self.__dict__.get("_standard_cache")
        if frozen is None:
            frozen = self.__dict__["_standard_cache"] = self._family()(*self._shapes())
        return frozen

    # scipy does the density, cdf and sampling ------------------------------------------
    def _x(self, x, name="x"):
        """``x`` as floats that broadcast against the batch of parameters."""
        arr = as_float_array(x, name, allow_inf=True)
        try:
            np.broadcast_shapes(arr.shape, self.batch_shape)
        except ValueError:
            raise ValueError(
                f"{name} of shape {arr.shape} does not broadcast against the batch of parameters "
                f"of shape {self.batch_shape}"
            ) from None
        return arr

    def logpdf(self, x):
        with np.errstate(over="ignore", under="ignore"):
            return self._scipy().logpdf(self._x(x))

    def pdf(self, x):
        with np.errstate(over="ignore", under="ignore"):
            return self._scipy().pdf(self._x(x))

    def cdf(self, x):
        """Cumulative distribution function."""
        with np.errstate(over="ignore", under="ignore"):
            return self._scipy().cdf(self._x(x))

    def sf(self, x):
        """Survival function 1 - cdf, accurate in the right tail."""
        with np.errstate(over="ignore", under="ignore"):
            return self._scipy().sf(self._x(x))

    def logcdf(self, x):
        """Log of the cumulative distribution function."""
        with np.errstate(over="ignore", under="ignore", divide="ignore"):
            return self._scipy().logcdf(self._x(x))

    def logsf(self, x):
        """Log of the survival function."""
        with np.errstate(over="ignore", under="ignore", divide="ignore"):
            return self._scipy().logsf(self._x(x))

    def sample(self, n, rng=None):
        """Draw ``n`` samples of shape (n, *batch_shape)."""
        n = as_count(n, "n", item_bytes=8 * max(int(np.prod(self.batch_shape)), 1), what="draw")
        rng = check_rng(rng)
        return self._scipy().rvs(size=(n,) + self.batch_shape, random_state=rng)

    @property
    def support(self):
        lo, hi = self._standard().support()
        with np.errstate(invalid="ignore", over="ignore"):
            lo = np.where(np.isfinite(lo), self.loc + self.scale * lo, lo)
            hi = np.where(np.isfinite(hi), self.loc + self.scale * hi, hi)
        lo, hi = np.broadcast_to(lo, self.batch_shape), np.broadcast_to(hi, self.batch_shape)
        return (lo[()], hi[()]) if self.batch_shape == () else (lo, hi)

    @property
    def location_hint(self):
        """The median: ``loc + scale * median`` of the standard law (exact at any ``loc``)."""
        value = np.broadcast_to(self.loc + self.scale * self._standard().median(), self.batch_shape)
        return float(value) if self.batch_shape == () else value.copy()

    @property
    def scale_hint(self):
        """Robust scale IQR / 1.349 (the standard deviation for a Gaussian)."""
        std = self._standard()
        iqr = std.ppf(0.75) - std.ppf(0.25)
        value = np.broadcast_to(self.scale * iqr / _IQR_TO_SIGMA, self.batch_shape)
        return float(value) if self.batch_shape == () else value.copy()

    # characteristic function -------------------------------------------------------------
    def cf(self, omega):
        """Characteristic function E[exp(i omega X)], broadcast against the parameters."""
        w = as_float_array(omega, "omega")
        with np.errstate(over="ignore"):
            arg = w * self.loc
        # |w loc| beyond float range: the phase is undetermined, the modulus is not
        phase = np.exp(1j * np.where(np.isfinite(arg), arg, 0.0))
        with np.errstate(over="ignore", invalid="ignore"):
            t = w * self.scale
            # |t| overflowed: every family here has a density, so its cf tends to 0 there
            # (Riemann-Lebesgue)
            value = np.where(np.isfinite(t), self._std_cf(np.where(np.isfinite(t), t, 0.0)), 0.0)
        return phase * value

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
        Location mu (the median); arrays broadcast into a batch of laws.
    scale : float or array-like, default=1.0
        b > 0. Variance is 2 b^2.

    Examples
    --------
    >>> from spreadlab import Laplace
    >>> float(Laplace(0.0, 2.0).cf(0.5).real)
    0.5
    """

    def _family(self):
        return _stats().laplace

    def logpdf(self, x):
        # written out: scipy's laplace.logpdf underflows to -inf beyond |z| ~ 745
        z = (self._x(x) - self.loc) / self.scale
        return -np.abs(z) - np.log(2.0 * self.scale)

    def logcdf(self, x):
        # written out: scipy's laplace.logcdf is log(cdf), -inf beyond z ~ -745
        z = (self._x(x) - self.loc) / self.scale
        with np.errstate(over="ignore"):
            return np.where(z < 0, z - np.log(2.0), np.log1p(-0.5 * np.exp(-np.abs(z))))

    def logsf(self, x):
        z = (self._x(x) - self.loc) / self.scale
        with np.errstate(over="ignore"):
            return np.where(z > 0, -z - np.log(2.0), np.log1p(-0.5 * np.exp(-np.abs(z))))

    def _std_cf(self, t):
        return 1.0 / (1.0 + t * t)


class Cauchy(_Univariate):
    r"""Cauchy distribution, scipy.stats.cauchy(loc, scale).

    Characteristic function :math:`e^{i\omega\mu - \gamma|\omega|}`.

    Parameters
    ----------
    loc : float or array-like, default=0.0
        Location (scipy's ``loc``); arrays broadcast against ``scale`` into a batch of laws.
    scale : float or array-like, default=1.0
        Scale (scipy's ``scale``), > 0.

    Examples
    --------
    >>> from spreadlab import Cauchy
    >>> round(float(Cauchy(0.0, 1.0).pdf(0.0)), 6)
    0.31831
    """

    def _family(self):
        return _stats().cauchy

    def _std_cf(self, t):
        return np.exp(-np.abs(t))


def _x_over_sinh(x):
    """x / sinh(x), equal to 1 at 0 and 0 (not NaN) when sinh overflows."""
    x = np.asarray(x, dtype=float)
    ax = np.abs(x)
    with np.errstate(over="ignore", invalid="ignore"):
        # 2 x e^{-x} / (1 - e^{-2x}) avoids overflow of sinh for large |x|
        val = 2.0 * ax * np.exp(-ax) / -np.expm1(-2.0 * ax)
    val = np.where(np.isinf(ax), 0.0, val)
    return np.where(ax < 1e-8, 1.0 - ax * ax / 6.0, val)


class Logistic(_Univariate):
    r"""Logistic distribution, scipy.stats.logistic(loc, scale).

    Characteristic function :math:`e^{i\omega\mu}\,\pi s\omega / \sinh(\pi s\omega)`.

    Parameters
    ----------
    loc : float or array-like, default=0.0
        Location (scipy's ``loc``); arrays broadcast against ``scale`` into a batch of laws.
    scale : float or array-like, default=1.0
        Scale (scipy's ``scale``), > 0.

    Examples
    --------
    >>> from spreadlab import Logistic
    >>> round(float(Logistic(0.0, 1.0).pdf(0.0)), 6)
    0.25
    """

    def _family(self):
        return _stats().logistic

    def _std_cf(self, t):
        return _x_over_sinh(np.pi * t)


class HyperbolicSecant(_Univariate):
    r"""Hyperbolic secant distribution, scipy.stats.hypsecant(loc, scale).

    scipy's parametrisation is kept: density :math:`\frac{1}{\pi s}\,\mathrm{sech}((x-\mu)/s)`
    and characteristic function :math:`e^{i\omega\mu}\,\mathrm{sech}(\pi s\omega/2)`.
    The unit-variance form :math:`\frac{1}{2}\mathrm{sech}(\pi x/2)` used in the
    literature is ``HyperbolicSecant(0, 2/pi)``.

    Parameters
    ----------
    loc : float or array-like, default=0.0
        Location (scipy's ``loc``); arrays broadcast against ``scale`` into a batch of laws.
    scale : float or array-like, default=1.0
        Scale (scipy's ``scale``), > 0.

    Examples
    --------
    >>> import numpy as np
    >>> from spreadlab import HyperbolicSecant
    >>> round(float(HyperbolicSecant(0.0, 2 / np.pi).sample(200_000, 0).var()), 2)
    1.0
    """

    def _family(self):
        return _stats().hypsecant

    def logpdf(self, x):
        # written out: scipy's hypsecant.logpdf overflows cosh and gives -inf for |z| > 710
        z = (self._x(x) - self.loc) / self.scale
        return -logcosh(z) - np.log(np.pi * self.scale)

    def logsf(self, x):
        # written out: sf = (2/pi) arctan(e^{-z}), whose log scipy underflows beyond z ~ 745
        z = (self._x(x) - self.loc) / self.scale
        with np.errstate(under="ignore", over="ignore", divide="ignore"):
            small = np.exp(-np.abs(z))
            far = np.log(2.0 / np.pi) - z + np.log1p(-small * small / 3.0)  # arctan u ~ u - u^3/3
            near = np.log(2.0 / np.pi) + np.log(np.arctan(np.exp(-np.where(z > 20, 20.0, z))))
        return np.where(z > 20, far, near)

    def logcdf(self, x):
        return self.logsf(2.0 * self.loc - self._x(x))

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
        Location and scale (> 0), as scipy's ``t(df, loc, scale)``.

    Examples
    --------
    >>> from spreadlab import StudentT
    >>> round(float(StudentT(1.0).cf(1.0).real), 6)  # df = 1 is Cauchy: exp(-1)
    0.367879
    """

    def __init__(self, df, loc=0.0, scale=1.0):
        self._setup(loc, scale, df=as_positive_array(df, "df"))

    _shape_names = ("df",)

    def _params(self):
        return {"df": self.df, "loc": self.loc, "scale": self.scale}

    def _family(self):
        return _stats().t

    def sample(self, n, rng=None):
        """Draw ``n`` samples of shape (n, *batch_shape).

        X = Z / sqrt(G / df) with G ~ chi-square(df), drawn in log space: for tiny ``df``
        (below ~1e-3) G underflows to 0 and scipy's draws are NaN; here |X| is
        exp(log|Z| - (log G - log df) / 2), with log G = log Gamma(df/2 + 1)-draw + log U * 2/df
        + log 2, so a draw beyond the float range is +-inf (correctly rounded), never NaN."""
        n = as_count(n, "n", item_bytes=8 * max(int(np.prod(self.batch_shape)), 1), what="draw")
        rng = check_rng(rng)
        shape = (n,) + self.batch_shape
        df = np.broadcast_to(np.asarray(self.df, dtype=float), shape)
        half = 0.5 * df
        z = rng.standard_normal(shape)
        with np.errstate(divide="ignore", over="ignore", under="ignore", invalid="ignore"):
            # Gamma(a) = Gamma(a + 1) * U^(1/a) (Marsaglia-Tsang's boost for small shapes)
            log_g = np.log(rng.gamma(half + 1.0)) + np.log(rng.uniform(size=shape)) / half
            log_abs = np.log(np.abs(z)) - 0.5 * (np.log(2.0) + log_g - np.log(df))
            std = np.where(z == 0.0, 0.0, np.copysign(np.exp(log_abs), z))
            return self.loc + self.scale * std

    def _std_cf(self, t):
        """phi(t) = K_v(u) u^v / (Gamma(v) 2^(v-1)), v = df/2, u = sqrt(df)|t|, in log space.

        Three regimes, each accurate to ~1e-14: u below 1e-200 (the small-argument series),
        v above 200 (Debye's uniform expansion written so that v log u, lgamma(v) and v eta
        cancel analytically: the Gaussian limit exp(-t^2/2) as df -> inf), and otherwise
        scipy's scaled Bessel function (with an integral where ``kve`` overflows).
        """
        nu = np.asarray(self.df, dtype=float)
        half, u = np.broadcast_arrays(0.5 * nu, np.sqrt(nu) * np.abs(np.asarray(t, dtype=float)))
        out = np.ones(u.shape)
        tiny = (u < 1e-200) & (u > 0)
        big = (half > _DEBYE_ORDER) & (u >= 1e-200)
        mid = ~tiny & ~big & (u > 0)
        with np.errstate(over="ignore", invalid="ignore", under="ignore", divide="ignore"):
            if np.any(tiny):
                v, x = half[tiny], u[tiny]
                # K_v(u) ~ [Gamma(v)(u/2)^-v + Gamma(-v)(u/2)^v] / 2 for 0 < v < 1; the
                # correction is below 1e-400 for v >= 1
                corr = np.where(v < 1.0, special.gamma(-np.where(v < 1.0, v, 0.5)) / special.gamma(v)
                                * np.exp(2.0 * v * np.log(0.5 * x)), 0.0)
                out[tiny] = 1.0 + corr
            if np.any(big):
                out[big] = np.exp(_log_student_cf_debye(half[big], u[big]))
            if np.any(mid):
                v, x = half[mid], u[mid]
                log_k = np.log(special.kve(v, x)) - x  # log K_v(u) = log kve(v, u) - u
                bad = ~np.isfinite(log_k)
                if np.any(bad):  # kve overflows for large v at small u: integrate there
                    log_k[bad] = [_log_bessel_k(a, b) for a, b in zip(v[bad], x[bad])]
                logval = log_k + v * np.log(x) - special.gammaln(v) - (v - 1.0) * np.log(2.0)
                out[mid] = np.exp(logval)
        # u overflowed (|t| sqrt(df) > 1.8e308), or z = u / v is so large that the Debye form
        # overflows (NaN): phi is below 1e-300 there (Riemann-Lebesgue; exp(-v z) in the Debye
        # form), 0 as a float
        out = np.where(np.isnan(out) & (u > 1.0), 0.0, out)
        return np.minimum(out, 1.0)


_DEBYE_ORDER = 200.0


def _log_student_cf_debye(v, u):
    """log phi for the Student-t cf at large order v = df/2 (Debye's expansion of K_v(v z)).

    With z = u/v, s = sqrt(1 + z^2), p = 1/s and the polynomials u_k(p) of Debye,
    log phi = v (1 - s + log((1 + s)/2)) - log(1 + z^2)/4 + log(sum_k (-1)^k u_k(p)/v^k)
    - (Stirling's correction of lgamma(v)); the first term is -t^2/2 + O(1/v).
    Used above v = 200, where the omitted u_6 / v^6 term is below 1e-14 (checked against mpmath).
    """
    z = u / v
    s = np.sqrt(1.0 + z * z)
    w = z * z / (1.0 + s)  # s - 1 without cancellation
    x = 0.5 * w
    small = x < 1e-3
    xs = np.where(small, x, 0.5)
    log1p_minus = np.where(small, -xs**2 / 2 + xs**3 / 3 - xs**4 / 4, np.log1p(x) - x)
    g = -0.5 * w + log1p_minus  # 1 - s + log1p((s - 1)/2)
    p = 1.0 / s
    u1 = (3 * p - 5 * p**3) / 24
    u2 = (81 * p**2 - 462 * p**4 + 385 * p**6) / 1152
    u3 = (30375 * p**3 - 369603 * p**5 + 765765 * p**7 - 425425 * p**9) / 414720
    u4 = (4465125 * p**4 - 94121676 * p**6 + 349922430 * p**8 - 446185740 * p**10
          + 185910725 * p**12) / 39813120
    u5 = (1519035525 * p**5 - 49286948607 * p**7 + 284499769554 * p**9 - 614135872350 * p**11
          + 566098157625 * p**13 - 188699385875 * p**15) / 6688604160
    series = -u1 / v + u2 / v**2 - u3 / v**3 + u4 / v**4 - u5 / v**5
    stirling = 1 / (12 * v) - 1 / (360 * v**3) + 1 / (1260 * v**5)
    return v * g - 0.25 * np.log1p(z * z) + np.log1p(series) - stirling


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

    Parameters
    ----------
    loc : float or array-like, default=0.0
        Location (scipy's ``loc``); arrays broadcast against ``scale`` into a batch of laws.
    scale : float or array-like, default=1.0
        Scale (scipy's ``scale``), > 0.

    Examples
    --------
    >>> import numpy as np
    >>> from spreadlab import Uniform
    >>> abs(complex(Uniform(-1.0, 2.0).cf(np.pi))) < 1e-15
    True
    """

    def _family(self):
        return _stats().uniform

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
        Left end of the support.
    scale : float or array-like, default=1.0
        Width of the support, > 0.
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
        self._setup(loc, scale, c=c)

    _shape_names = ("c",)

    def _params(self):
        return {"loc": self.loc, "scale": self.scale, "c": self.c}

    def _family(self):
        return _stats().triang

    def _std_cf(self, t):
        # centred at the mode m: u = a - m = -c, v = b - m = 1 - c (scale 1);
        # phi_0(t) = 2 (u h(t u) - v h(t v)) / (v - u) with h(x) = (e^{ix} - 1 - ix) / x^2
        u, v = -self.c, 1.0 - self.c
        return np.exp(1j * t * self.c) * 2.0 * (u * _h(t * u) - v * _h(t * v))


class Epanechnikov(_Univariate):
    r"""Epanechnikov kernel: density :math:`\frac{3}{4s}\left(1 - ((x-\mu)/s)^2\right)` on
    [loc - scale, loc + scale].

    Not in scipy.stats; written as the ``rv_continuous`` subclass
    :class:`~spreadlab.distributions._scipy_extra.epanechnikov_gen` in standard form
    (closed-form cdf and quantile, median-of-three-uniforms sampling, Devroye 1986).
    Characteristic function :math:`3(\sin a - a\cos a)/a^3` with :math:`a = s\omega`,
    which changes sign.

    Parameters
    ----------
    loc : float or array-like, default=0.0
        Location (scipy's ``loc``); arrays broadcast against ``scale`` into a batch of laws.
    scale : float or array-like, default=1.0
        Scale (scipy's ``scale``), > 0.

    Examples
    --------
    >>> from spreadlab import Epanechnikov
    >>> round(float(Epanechnikov(0.0, 1.0).pdf(0.0)), 12)
    0.75
    """

    def _family(self):
        from ._scipy_extra import epanechnikov

        return epanechnikov

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
        with np.errstate(over="ignore"):
            # (sin a - a cos a) / a^3 = sin(a)/a^3 - cos(a)/a^2: no overflow of a^3 products
            direct = 3.0 * (np.sin(big) / big / big / big - np.cos(big) / big / big)
        return np.where(small, series, direct)


class Fejer(_Univariate):
    r"""Fejér kernel: density :math:`\frac{1}{\pi s}\,\frac{\sin^2(z)}{z^2}`,
    :math:`z = (x - \mu)/s`.

    Not in scipy.stats; written as the ``rv_continuous`` subclass
    :class:`~spreadlab.distributions._scipy_extra.fejer_gen` in standard form (cdf through
    the sine integral, rejection sampling from a Cauchy proposal with acceptance 1/2).
    Its characteristic function :math:`e^{i\omega\mu}\max(0, 1 - s|\omega|/2)` vanishes
    for :math:`|\omega| \ge 2/s`: a band-limited kernel. Spreading with it is *not*
    one-to-one, even though the density is positive almost everywhere.

    Parameters
    ----------
    loc : float or array-like, default=0.0
        Location (scipy's ``loc``); arrays broadcast against ``scale`` into a batch of laws.
    scale : float or array-like, default=1.0
        Scale (scipy's ``scale``), > 0.

    Examples
    --------
    >>> from spreadlab import Fejer
    >>> float(Fejer(0.0, 1.0).cf(3.0).real)
    0.0
    """

    def _family(self):
        from ._scipy_extra import fejer

        return fejer

    def landmarks(self):
        # zeros of sin^2 near the centre are kinks of log p: include the first few
        base = super().landmarks()
        z = float(self.loc) + float(self.scale) * np.pi * np.arange(-4, 5)
        return np.unique(np.concatenate([base, z]))

    def _std_cf(self, t):
        return np.maximum(0.0, 1.0 - 0.5 * np.abs(t))
