r"""Closed-form spread densities: Laplace, Cauchy and uniform laws convolved with a Gaussian.

Registered with :func:`spreadlab.register_convolution` for both argument orders, so
``spread(Laplace(0, 1), Gaussian(0, 0.5))`` returns an exact density and a divergence between
two spread laws is a one-dimensional quadrature of exact log-densities (no numeric
convolution inside the integrand). With :math:`s^2` the Gaussian's variance (``Gaussian``
takes a variance; the one-dimensional families a scale; ``Uniform(loc, width)`` is the
interval ``[loc, loc + width]``, as in scipy):

* Laplace(m, b) * N(0, s^2): :math:`\frac{1}{2b}e^{s^2/2b^2}\bigl[e^{-u/b}\Phi(u/s - s/b)
  + e^{u/b}\Phi(-u/s - s/b)\bigr]`, :math:`u = y - m`, summed in log space with
  ``log_ndtr`` (the erfcx form) by :func:`spreadlab.ica._whitened.laplace_spread_logpdf`;
* Cauchy(m, g) * N(0, s^2): the Voigt profile ``scipy.special.voigt_profile(u, s, g)``; where
  it underflows (:math:`|u| \gtrsim 10^{150}`) the tail
  :math:`\frac{g}{\pi u^2}\bigl(1 + \frac{3s^2 - g^2}{u^2}\bigr)`, in log space;
* Uniform(a, w) * N(0, s^2): :math:`[\Phi((y - a)/s) - \Phi((y - a - w)/s)]/w`, from
  ``log_ndtr`` on the side of the interval's midpoint where it does not cancel.

Each declines (returns ``None``, so the numeric :class:`~spreadlab.Convolution` applies) for
batched parameters and where its formula loses accuracy (Laplace: ``s > 1e3 b``; uniform:
``width < 1e-6 s``), reduces to a shift when the Gaussian is a point mass (variance 0), and the
Voigt profile is the Cauchy law itself when ``s <= 1e-8 g`` (to rounding). A point the closed
form cannot represent (a subnormal Voigt value near the core) is evaluated numerically.
"""

import numpy as np
from scipy.special import log_ndtr, voigt_profile

from .._validation import as_float_array
from ..distributions._gaussian import Gaussian
from ..distributions._univariate import Cauchy, Laplace, Uniform
from ..ica._whitened import laplace_spread_logpdf
from ..registry import register_convolution
from ..spread import _SumOfTwo

__all__ = []


class _GaussianSpread(_SumOfTwo):
    """p * N(mean, s^2) with a closed-form log density (one dimension, scalar parameters)."""

    family = None  # the class of p

    def __init__(self, p, kernel):
        if not isinstance(p, self.family) or not isinstance(kernel, Gaussian):
            raise TypeError(f"{type(self).__name__} needs a {self.family.__name__} and a Gaussian kernel; "
                            f"got {p!r}, {kernel!r}")
        super().__init__(p, kernel)
        self._s = float(np.sqrt(kernel.cov[0, 0]))
        if not self._s > 0:
            raise ValueError("the Gaussian kernel must have a positive variance (a point mass only shifts p)")

    def _u(self, x):
        """y minus the kernel's mean and p's ``loc`` (the centre, or a uniform's left end)."""
        return as_float_array(x, "x", allow_inf=True) - float(self.kernel.mean[0]) - float(self.p.loc)

    def logpdf(self, x):
        u = self._u(x)
        with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
            out = np.asarray(self._logpdf_centred(u), dtype=float)
        out = np.where(np.isinf(u), -np.inf, out)
        lost = np.isnan(out)
        if np.any(lost):  # a point the closed form cannot represent: the numeric route, point by point
            from ..spread import Convolution

            y = np.broadcast_to(as_float_array(x, "x", allow_inf=True), out.shape)
            out = np.array(out, copy=True)
            out[lost] = Convolution(self.p, self.kernel).logpdf(y[lost])
        return out


class LaplaceGaussianSpread(_GaussianSpread):
    r"""Laplace(m, b) spread by N(mu, s^2): exact log density from the two half-line terms.

    Examples
    --------
    >>> from spreadlab import Gaussian, Laplace, spread
    >>> s = spread(Laplace(0.0, 1.0), Gaussian(0.0, 0.25))
    >>> type(s).__name__
    'LaplaceGaussianSpread'
    >>> round(float(s.logpdf(300.0)), 9)  # log(e^{1/8} / 2) - 300: the Laplace tail, shifted
    -300.568147181
    """

    family = Laplace

    def _logpdf_centred(self, u):
        finite = np.where(np.isfinite(u), u, 0.0)
        return laplace_spread_logpdf(finite, self._s, float(self.p.scale))[0]


class VoigtSpread(_GaussianSpread):
    r"""Cauchy(m, g) spread by N(mu, s^2): the Voigt profile, with a log-space tail.

    Examples
    --------
    >>> from spreadlab import Cauchy, Gaussian, spread
    >>> v = spread(Cauchy(0.0, 1.0), Gaussian(0.0, 1.0))
    >>> type(v).__name__
    'VoigtSpread'
    >>> round(float(v.logpdf(1e200)), 6)  # log(1 / pi) - 2 log(1e200)
    -922.178767
    """

    family = Cauchy

    def _logpdf_centred(self, u):
        g, s = float(self.p.scale), self._s
        value = voigt_profile(u, s, g)
        au = np.abs(u)
        # asymptotic tail g / (pi u^2) (1 + (3 s^2 - g^2) / u^2), next term O((s^2 + g^2)^2 / u^4):
        # used where the profile is subnormal or zero and |u| >= 1e4 max(s, g), so that term is
        # below 2e-15; a subnormal value nearer the core (g << s, deep in the Gaussian part) is
        # left NaN here and evaluated by the numeric route
        far = au >= 1e4 * max(s, g)
        with np.errstate(divide="ignore"):
            tail = (np.log(g / np.pi) - 2.0 * np.log(au)
                    + np.log1p((3.0 * s * s - g * g) / np.maximum(au, 1e-300) ** 2))
        return np.where(value > 1e-300, np.log(value), np.where(far, tail, np.nan))


class UniformGaussianSpread(_GaussianSpread):
    r"""Uniform(a, w) spread by N(mu, s^2): a difference of normal cdfs, in log space.

    Examples
    --------
    >>> from spreadlab import Gaussian, Uniform, spread
    >>> s = spread(Uniform(-1.0, 2.0), Gaussian(0.0, 1.0))
    >>> type(s).__name__
    'UniformGaussianSpread'
    >>> round(float(s.pdf(0.0)), 12)  # (Phi(1) - Phi(-1)) / 2
    0.341344746069
    """

    family = Uniform

    def _logpdf_centred(self, u):  # u from the interval's left end
        s, w = self._s, float(self.p.scale)
        hi, lo = u / s, (u - w) / s  # Phi(hi) - Phi(lo), hi > lo
        right = lo + hi > 0          # right of the midpoint: upper tails, Phi(-lo) - Phi(-hi)
        big = np.where(right, log_ndtr(-lo), log_ndtr(hi))
        small = np.where(right, log_ndtr(-hi), log_ndtr(lo))
        out = big + np.log(-np.expm1(small - big)) - np.log(w)
        # both cdf terms below the log-space range (|u| ~ 1e154 s and beyond): the density is too
        return np.where(big == -np.inf, -np.inf, out)


def _scalar_1d(*laws):
    return all(d.dim == 1 and getattr(d, "batch_shape", ()) == () for d in laws)


def _laplace_rule(p, s):
    # laplace_spread_logpdf adds s^2/(2 b^2) to a log_ndtr term of about minus that size: beyond
    # s/b = 1e3 the cancellation costs more than ~5e-11 (absolute, in log p), so the numeric route decides
    return s <= 1e3 * float(p.scale)


def _voigt_rule(p, s):
    return True


def _uniform_rule(p, s):
    # Phi(hi) - Phi(lo) with hi - lo = w / s: below w/s = 1e-6 the difference keeps < 10 digits
    return float(p.scale) >= 1e-6 * s


def _make(cls, usable):
    def by_gaussian(p, kernel):
        if not _scalar_1d(p, kernel):
            return None
        if kernel.rank == 0:  # a point-mass kernel shifts p
            return p.shifted(float(kernel.mean[0]))
        s = float(np.sqrt(kernel.cov[0, 0]))
        if cls is VoigtSpread and s <= 1e-8 * float(p.scale):
            # Voigt / Cauchy - 1 is at most 3 s^2 / g^2 <= 3e-16: the Cauchy law itself, shifted
            return p.shifted(float(kernel.mean[0]))
        return cls(p, kernel) if usable(p, s) else None

    def gaussian_by(p, kernel):  # convolution commutes: the same law with the roles swapped
        return by_gaussian(kernel, p)

    register_convolution(cls.family, Gaussian)(by_gaussian)
    register_convolution(Gaussian, cls.family)(gaussian_by)


for _cls, _usable in ((LaplaceGaussianSpread, _laplace_rule), (VoigtSpread, _voigt_rule),
                      (UniformGaussianSpread, _uniform_rule)):
    _make(_cls, _usable)
