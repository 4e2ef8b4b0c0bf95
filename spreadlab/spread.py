"""Spreading: the convolution p * K of a distribution with a noise kernel.

``spread(p, kernel)`` returns the law of y = x + e with x ~ p and e ~ kernel
independent. Closed forms are looked up in the convolution registry
(:func:`spreadlab.register_convolution`): a point mass shifts the other law, Gaussians
and Cauchy laws stay in their family, and a uniform kernel gives
:class:`UniformSpread`, exact from p's distribution function. Otherwise a
:class:`Convolution` evaluates the density by adaptive quadrature and the characteristic
function as the product of the two.
"""

import numpy as np
from scipy import integrate

from ._integration import breakpoints, support_1d
from ._validation import as_count, as_float_array, check_rng
from .distributions import Cauchy, Delta, Distribution, Gaussian, Uniform, check_distribution
from .distributions._univariate import _Univariate
from .registry import CONVOLUTIONS, register_convolution

__all__ = ["spread", "Convolution", "UniformSpread"]


def spread(p, kernel):
    r"""Spread a distribution with a kernel: the law of x + e, x ~ p, e ~ kernel.

    .. math:: \tilde p(y) = \int K(y - x)\, p(x)\, dx

    Parameters
    ----------
    p : Distribution
        The distribution to spread (data or model).
    kernel : Distribution
        The spread noise K; a ``Delta`` kernel means no spreading.

    Returns
    -------
    Distribution
        A closed form from the convolution registry when one applies, else a
        :class:`Convolution`.

    Raises
    ------
    TypeError
        If ``p`` or ``kernel`` is not a spreadlab distribution.
    ValueError
        If their dimensions differ.

    References
    ----------
    M. Zhang, P. Hayes, T. Bird, R. Habib, D. Barber. Spread Divergence. ICML 2020,
    section 2 (definition of the spread distribution).

    Examples
    --------
    >>> from spreadlab import Delta, Gaussian, spread
    >>> spread(Delta(1.0), Gaussian(0.0, 0.25))
    Gaussian(mean=1, cov=0.25)
    >>> spread(Gaussian([0.0, 0.0], [[1.0, 1.0], [1.0, 1.0]]), Gaussian([0.0, 0.0], 0.1)).is_singular
    False
    """
    check_distribution(p, "p")
    check_distribution(kernel, "kernel")
    if p.dim != kernel.dim:
        raise ValueError(
            f"p and kernel must have the same dimension; got p.dim={p.dim}, kernel.dim={kernel.dim}"
        )
    func = CONVOLUTIONS.lookup(type(p), type(kernel))
    if func is not None:
        result = func(p, kernel)
        if result is not None:
            return result
    return Convolution(p, kernel)


def _offset(point_law, other):
    """The location of a point mass as an offset for ``other`` (a scalar for 1-D laws)."""
    loc = point_law.loc if isinstance(point_law, Delta) else point_law.mean
    return float(loc[0]) if other.dim == 1 and np.ndim(other.location_hint) == 0 else loc


@register_convolution(Distribution, Delta)
def _spread_by_point(p, kernel):
    return p.shifted(_offset(kernel, p))


@register_convolution(Delta, Distribution)
def _spread_point(p, kernel):
    return kernel.shifted(_offset(p, kernel))


@register_convolution(Delta, Delta)
def _spread_point_by_point(p, kernel):
    return p.shifted(_offset(kernel, p))


@register_convolution(Gaussian, Distribution)
def _spread_gaussian(p, kernel):
    return kernel.shifted(_offset(p, kernel)) if p.rank == 0 else None


@register_convolution(Distribution, Gaussian)
def _spread_by_gaussian(p, kernel):
    return p.shifted(_offset(kernel, p)) if kernel.rank == 0 else None


@register_convolution(Gaussian, Gaussian)
def _spread_gaussian_by_gaussian(p, kernel):
    mean = p.mean + kernel.mean
    return Gaussian(mean[0] if p._scalar and kernel._scalar else mean, p.cov + kernel.cov)


@register_convolution(Delta, Gaussian)
def _spread_point_by_gaussian(p, kernel):
    return kernel.shifted(_offset(p, kernel))


@register_convolution(Gaussian, Delta)
def _spread_gaussian_by_point(p, kernel):
    return p.shifted(_offset(kernel, p))


@register_convolution(Cauchy, Cauchy)
def _spread_cauchy(p, kernel):
    return Cauchy(p.loc + kernel.loc, p.scale + kernel.scale)


@register_convolution(_Univariate, Uniform)
def _spread_by_uniform(p, kernel):
    if p.batch_shape != () or kernel.batch_shape != ():
        return None
    return UniformSpread(p, kernel)


class _SumOfTwo(Distribution):
    """The law of x + e for independent x ~ p, e ~ kernel (1-D, scalar parameters)."""

    dim = 1
    batch_shape = ()

    def __init__(self, p, kernel):
        check_distribution(p, "p")
        check_distribution(kernel, "kernel")
        for name, d in (("p", p), ("kernel", kernel)):
            if d.dim != 1 or d.batch_shape != ():
                raise ValueError(
                    f"numeric spreading needs a single one-dimensional {name}; got dim={d.dim}, "
                    f"batch_shape={d.batch_shape}"
                )
        if not p.absolutely_continuous:
            raise ValueError("p must have a density for numeric spreading (a point mass has a closed form)")
        self.p = p
        self.kernel = kernel

    def __repr__(self):
        return f"{type(self).__name__}({self.p!r}, {self.kernel!r})"

    @property
    def support(self):
        lo_p, hi_p = support_1d(self.p)
        lo_k, hi_k = support_1d(self.kernel)
        return lo_p + lo_k, hi_p + hi_k

    @property
    def location_hint(self):
        return float(np.asarray(self.p.location_hint)) + float(np.asarray(self.kernel.location_hint))

    @property
    def scale_hint(self):
        return float(np.hypot(float(np.asarray(self.p.scale_hint)), float(np.asarray(self.kernel.scale_hint))))

    def landmarks(self):
        a, b = self.p.landmarks(), self.kernel.landmarks()
        return np.unique(np.add.outer(a, b).ravel())

    def cf(self, omega):
        """Product of the two characteristic functions."""
        return self.p.cf(omega) * self.kernel.cf(omega)

    def sample(self, n, rng=None):
        """Draw ``n`` samples of x + e."""
        n = as_count(n, "n")
        rng = check_rng(rng)
        return np.reshape(self.p.sample(n, rng), (n,)) + np.reshape(self.kernel.sample(n, rng), (n,))

    def shifted(self, offset):
        return type(self)(self.p.shifted(offset), self.kernel)


class UniformSpread(_SumOfTwo):
    r"""p * Uniform[a, a + w] in closed form from p's distribution function.

    .. math:: \tilde p(y) = \frac{F_p(y - a) - F_p(y - a - w)}{w}

    computed in log space: left of p's median from ``logcdf`` and right of it from
    ``logsf``, as :math:`\log F(u) + \log(-\mathrm{expm1}(\log F(l) - \log F(u)))`, so
    neither tail cancels or underflows while the density is representable in log space.

    Examples
    --------
    >>> from spreadlab import Laplace, Uniform, spread
    >>> s = spread(Laplace(0.0, 1.0), Uniform(-1.0, 2.0))
    >>> round(float(s.pdf(0.0)), 12)  # (1 - e^{-1}) / 2
    0.316060279414
    >>> round(float(s.logpdf(800.0)), 6)  # log((e - 1/e)/4) - 800, far past exp underflow
    -800.531708
    """

    def __init__(self, p, kernel):
        if not isinstance(p, _Univariate) or not isinstance(kernel, Uniform):
            raise TypeError(f"UniformSpread needs a scipy-backed 1-D p and a Uniform kernel; got {p!r}, {kernel!r}")
        super().__init__(p, kernel)

    def logpdf(self, x):
        y = as_float_array(x, "x", allow_inf=True)
        a, width = float(self.kernel.loc), float(self.kernel.scale)
        upper, lower = y - a, y - a - width
        median = float(self.p.location_hint)
        left = upper <= median
        with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
            lc_u, lc_l = self.p.logcdf(upper), self.p.logcdf(lower)
            ls_u, ls_l = self.p.logsf(upper), self.p.logsf(lower)
            from_cdf = lc_u + np.log(-np.expm1(lc_l - lc_u))
            from_sf = ls_l + np.log(-np.expm1(ls_u - ls_l))
            out = np.where(left, from_cdf, from_sf) - np.log(width)
        return np.where(np.isnan(out), -np.inf, out)


class Convolution(_SumOfTwo):
    r"""The spread distribution p * K evaluated numerically (one dimension).

    The density :math:`\tilde p(y) = \int p(x) K(y - x)\,dx` is computed by adaptive
    vector quadrature (:func:`scipy.integrate.quad_vec`, relative tolerance 1e-11)
    over the support of ``p`` (or of the kernel, when that is bounded); the
    characteristic function is the product :math:`\varphi_p \varphi_K`; sampling adds
    independent draws.

    Parameters
    ----------
    p, kernel : Distribution
        One-dimensional distributions with scalar parameters; ``p`` must have a density.

    Examples
    --------
    >>> from spreadlab import Laplace, Gaussian, spread
    >>> s = spread(Laplace(0.0, 1.0), Gaussian(0.0, 1.0))
    >>> round(float(s.cf(1.0).real), 6)  # exp(-1/2) / (1 + 1)
    0.303265
    """

    def __init__(self, p, kernel):
        super().__init__(p, kernel)
        self.last_error = 0.0

    def pdf(self, x):
        """Density by adaptive quadrature; the error estimate is kept in ``last_error``.

        The integral runs over the variable whose support is bounded (the kernel's, if it
        has one: then its edges and kinks are fixed breakpoints for every y, which a jump
        such as a uniform kernel's edge needs), else over the support of ``p``.
        """
        y = as_float_array(x, "x", allow_inf=True)
        flat = y.ravel()
        out = np.zeros(flat.size)
        k_lo, k_hi = support_1d(self.kernel)
        over_kernel = np.isfinite(k_lo) and np.isfinite(k_hi)
        inner = self.kernel if over_kernel else self.p
        edges = breakpoints(inner)
        err = 0.0
        for start in range(0, flat.size, 4096):
            chunk = flat[start:start + 4096]

            if over_kernel:  # int K(e) p(y - e) de over the kernel's support

                def integrand(e, chunk=chunk):
                    with np.errstate(under="ignore"):
                        return self.kernel.pdf(e) * self.p.pdf(chunk - e)

            else:  # int p(t) K(y - t) dt over the support of p

                def integrand(t, chunk=chunk):
                    with np.errstate(under="ignore"):
                        return self.p.pdf(t) * self.kernel.pdf(chunk - t)

            for a, b in zip(edges[:-1], edges[1:]):
                val, e = integrate.quad_vec(integrand, a, b, epsabs=1e-300, epsrel=1e-11, limit=400)
                out[start:start + chunk.size] += val
                err = max(err, float(e))
        self.last_error = err
        return out.reshape(y.shape)

    def logpdf(self, x):
        with np.errstate(divide="ignore"):
            return np.log(self.pdf(x))
