"""Spreading: the convolution p * K of a distribution with a noise kernel.

``spread(p, kernel)`` returns the law of y = x + e with x ~ p and e ~ kernel
independent. Where the family is closed under convolution the answer is again a
named family (Delta * K is K shifted; Gaussian * Gaussian; Cauchy * Cauchy); otherwise a
:class:`Convolution` object evaluates the density by adaptive quadrature and the
characteristic function as the product of the two.
"""

import numpy as np
from scipy import integrate

from ._validation import as_count, as_float_array, check_rng
from .distributions import Cauchy, Delta, Distribution, Gaussian, Uniform, _Univariate, check_distribution

__all__ = ["spread", "Convolution"]


def _as_delta(p):
    """A Gaussian with zero covariance is a point mass; return it as a Delta."""
    if isinstance(p, Gaussian) and p.rank == 0:
        return Delta(p.mean[0] if p._scalar else p.mean)
    return p


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
        A closed-form family when one exists, else a :class:`Convolution`.

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
    p = _as_delta(p)
    kernel = _as_delta(kernel)
    if isinstance(kernel, Delta):
        return p.shifted(kernel.loc[0] if kernel.dim == 1 and p.dim == 1 else kernel.loc)
    if isinstance(p, Delta):
        offset = p.loc[0] if isinstance(kernel, _Univariate) else p.loc
        return kernel.shifted(offset)
    if isinstance(p, Gaussian) and isinstance(kernel, Gaussian):
        mean = p.mean + kernel.mean
        return Gaussian(mean[0] if p._scalar and kernel._scalar else mean, p.cov + kernel.cov)
    if isinstance(p, Cauchy) and isinstance(kernel, Cauchy):
        return Cauchy(p.loc + kernel.loc, p.scale + kernel.scale)
    return Convolution(p, kernel)


def landmarks(dist):
    """Points where a 1-D density has its features: locations, edges and a few scales out."""
    if isinstance(dist, Convolution):
        a, b = landmarks(dist.p), landmarks(dist.kernel)
        return np.unique(np.add.outer(a, b).ravel())
    if isinstance(dist, Gaussian):
        centre, width = dist.mean[0], np.sqrt(dist.cov[0, 0])
    elif isinstance(dist, Delta):
        return dist.loc.copy()
    else:
        lo, hi = (np.asarray(v, dtype=float) for v in dist.support)
        centre = float(np.asarray(dist.loc))
        width = float(np.asarray(dist.scale))
        edges = [v for v in (float(lo), float(hi)) if np.isfinite(v)]
        if edges:
            centre = 0.5 * (edges[0] + edges[-1]) if len(edges) == 2 else centre
            inner = centre + width * np.array([-1.0, 0.0, 1.0])
            pts = np.concatenate([edges, inner, [float(np.asarray(dist.loc))]])
            return np.unique(pts[(pts >= float(lo)) & (pts <= float(hi))])
    return centre + width * np.array([-30.0, -8.0, -2.0, -0.5, 0.0, 0.5, 2.0, 8.0, 30.0])


class Convolution(Distribution):
    r"""The spread distribution p * K evaluated numerically (one dimension).

    The density :math:`\tilde p(y) = \int p(x) K(y - x)\,dx` is computed by adaptive
    vector quadrature (:func:`scipy.integrate.quad_vec`, relative tolerance 1e-11)
    over the support of ``p`` (or of the kernel, when that is bounded), and exactly from
    ``p``'s distribution function for a uniform kernel; the characteristic function is the product
    :math:`\varphi_p \varphi_K`; sampling adds independent draws.

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

    dim = 1
    batch_shape = ()

    def __init__(self, p, kernel):
        check_distribution(p, "p")
        check_distribution(kernel, "kernel")
        for name, d in (("p", p), ("kernel", kernel)):
            if d.dim != 1 or getattr(d, "batch_shape", ()) != ():
                raise ValueError(
                    f"numeric spreading needs a single one-dimensional {name}; got dim={d.dim}, "
                    f"batch_shape={getattr(d, 'batch_shape', ())}"
                )
        if isinstance(p, Gaussian) and p.is_singular or isinstance(p, Delta):
            raise ValueError("p must have a density for numeric spreading (Delta has a closed form)")
        self.p = p
        self.kernel = kernel
        self.last_error = 0.0

    def _params(self):
        return {"p": self.p, "kernel": self.kernel}

    def __repr__(self):
        return f"Convolution({self.p!r}, {self.kernel!r})"

    @property
    def support(self):
        lo_p, hi_p = _support_1d(self.p)
        lo_k, hi_k = _support_1d(self.kernel)
        return np.asarray(lo_p + lo_k), np.asarray(hi_p + hi_k)

    @property
    def full_support(self):
        lo, hi = self.support
        return bool(np.isneginf(lo) and np.isposinf(hi))

    def pdf(self, x):
        """Density by adaptive quadrature; the error estimate is kept in ``last_error``.

        The integral runs over the variable whose support is bounded (the kernel's, if it
        has one: then its edges and kinks are fixed breakpoints for every y, which a jump
        such as a uniform kernel's edge needs), else over the support of ``p``.
        """
        y = as_float_array(x, "x", allow_inf=True)
        exact = _uniform_spread_pdf(self.p, self.kernel, y)
        if exact is not None:
            self.last_error = 0.0
            return exact
        flat = y.ravel()
        out = np.zeros(flat.size)
        k_lo, k_hi = _support_1d(self.kernel)
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

    def cf(self, omega):
        """Product of the two characteristic functions."""
        return self.p.cf(omega) * self.kernel.cf(omega)

    def sample(self, n, rng=None):
        """Draw ``n`` samples of x + e."""
        n = as_count(n, "n")
        rng = check_rng(rng)
        return np.reshape(self.p.sample(n, rng), (n,)) + np.reshape(self.kernel.sample(n, rng), (n,))

    def shifted(self, offset):
        return Convolution(self.p.shifted(offset), self.kernel)


def _uniform_spread_pdf(p, kernel, y):
    """p * Uniform[a, b] in closed form, P(y - b < X <= y - a) / (b - a), from p's cdf.

    Left of p's median the cdf difference is used and right of it the survival-function
    difference, so neither tail cancels. Returns None when p has no scipy cdf/sf.
    """
    if not (isinstance(kernel, Uniform) and isinstance(p, _Univariate)):
        return None
    try:
        frozen = p._scipy()
    except NotImplementedError:  # Epanechnikov, Fejer: no scipy counterpart
        return None
    a = float(kernel.loc)
    width = float(kernel.scale)
    upper, lower = y - a, y - a - width
    left = upper <= float(frozen.median())
    with np.errstate(under="ignore"):
        mass = np.where(
            left, frozen.cdf(upper) - frozen.cdf(lower), frozen.sf(lower) - frozen.sf(upper)
        )
    return np.maximum(mass, 0.0) / width


def _support_1d(d):
    lo, hi = d.support
    return float(np.ravel(lo)[0]), float(np.ravel(hi)[0])


def breakpoints(*dists):
    """Quadrature edges for 1-D densities: the union of their supports, split at every
    landmark and finite support edge, e.g. ``[-inf, ..., inf]``."""
    supports = [_support_1d(d) for d in dists]
    lo = min(a for a, _ in supports)
    hi = max(b for _, b in supports)
    edges = [v for s in supports for v in s if np.isfinite(v)]
    pts = np.unique(np.concatenate([landmarks(d) for d in dists] + [edges]))
    return np.concatenate([[lo], pts[(pts > lo) & (pts < hi)], [hi]])


def scan_grid(edges, n_inner=2001):
    """Points for scanning a 1-D function: dense between the finite edges and sinh-spaced
    far beyond them (out to ~1e5 spans), clipped to the outer edges."""
    inner = np.asarray(edges, dtype=float)
    inner = inner[np.isfinite(inner)]
    if inner.size == 0:
        inner = np.array([0.0])
    centre, span = float(np.mean(inner)), max(float(np.ptp(inner)), 1.0)
    far = centre + span * np.sinh(np.linspace(-12.0, 12.0, 801)) / np.sinh(1.0)
    grid = np.unique(np.concatenate([inner, np.linspace(inner.min(), inner.max(), n_inner), far]))
    return grid[(grid > edges[0]) & (grid < edges[-1])]
