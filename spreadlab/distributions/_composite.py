"""Kernels built from other distributions: products of 1-D kernels, cosine-modulated Fejér laws."""

import numpy as np

from .._validation import as_count, as_float_array, check_rng
from ._base import Distribution
from ._gaussian import _points
from ._univariate import Fejer

__all__ = ["ProductKernel", "CosineModulated"]


class ProductKernel(Distribution):
    r"""Product of independent one-dimensional kernels: a kernel on R^d.

    .. math:: K(x) = \prod_{i=1}^{d} K_i(x_i), \qquad
              \varphi_K(\omega) = \prod_{i=1}^{d} \varphi_{K_i}(\omega_i).

    The zero set of :math:`\varphi_K` is the union of the slabs
    :math:`\{\omega_i \in Z_i\}`, so the product is injective iff every factor is,
    strictly positive iff every factor is, and has full support iff every factor has.

    Parameters
    ----------
    *factors : Distribution
        One-dimensional spreadlab distributions with scalar parameters.

    Examples
    --------
    >>> from spreadlab import Gaussian, Laplace
    >>> from spreadlab import ProductKernel
    >>> k = ProductKernel(Gaussian(0.0, 1.0), Laplace(0.0, 2.0))
    >>> k.dim
    2
    >>> round(float(k.cf([0.0, 0.5]).real), 12)  # Laplace factor: 1 / (1 + 4 * 0.25)
    0.5
    >>> k.sample(3, rng=0).shape
    (3, 2)
    """

    def __init__(self, *factors):
        if len(factors) == 0:
            raise ValueError("factors must contain at least one one-dimensional distribution; got none")
        for i, f in enumerate(factors):
            if not isinstance(f, Distribution):
                raise TypeError(
                    f"factors[{i}] must be a spreadlab distribution; got {type(f).__name__}: {f!r}"
                )
            if f.dim != 1 or f.batch_shape != ():
                raise ValueError(
                    f"factors[{i}] must be one-dimensional with scalar parameters; got {f!r}"
                )
        self.factors = tuple(factors)
        self.dim = len(factors)

    def _params(self):
        return {}

    def __repr__(self):
        return "ProductKernel(" + ", ".join(repr(f) for f in self.factors) + ")"

    def logpdf(self, x):
        """Log density; ``x`` of shape (..., d)."""
        pts = _points(as_float_array(x, "x"), self.dim)
        return sum(f.logpdf(pts[..., i]) for i, f in enumerate(self.factors))

    def pdf(self, x):
        """Density; ``x`` of shape (..., d)."""
        pts = _points(as_float_array(x, "x"), self.dim)
        out = 1.0
        for i, f in enumerate(self.factors):
            out = out * f.pdf(pts[..., i])
        return np.asarray(out, dtype=float)

    def cf(self, omega):
        """Characteristic function; ``omega`` of shape (..., d)."""
        w = _points(as_float_array(omega, "omega"), self.dim, "omega")
        out = 1.0 + 0.0j
        for i, f in enumerate(self.factors):
            out = out * np.asarray(f.cf(w[..., i]))
        return np.asarray(out, dtype=complex)

    def sample(self, n, rng=None):
        """Draw ``n`` samples of shape (n, d), coordinates independent."""
        n = as_count(n, "n", item_bytes=8 * self.dim, what="draw")
        rng = check_rng(rng)
        return np.stack([np.reshape(f.sample(n, rng), (n,)) for f in self.factors], axis=1)

    def shifted(self, offset):
        """The product kernel translated by ``offset`` (shape (d,))."""
        off = np.broadcast_to(as_float_array(offset, "offset"), (self.dim,))
        return ProductKernel(*(f.shifted(o) for f, o in zip(self.factors, off)))

    @property
    def support(self):
        lo = np.array([float(np.min(f.support[0])) for f in self.factors])
        hi = np.array([float(np.max(f.support[1])) for f in self.factors])
        return lo, hi

    @property
    def full_support(self):
        return all(bool(f.full_support) for f in self.factors)

    @property
    def absolutely_continuous(self):
        return all(f.absolutely_continuous for f in self.factors)

    @property
    def location_hint(self):
        return np.array([float(np.asarray(f.location_hint)) for f in self.factors])

    @property
    def scale_hint(self):
        return max(float(np.asarray(f.scale_hint)) for f in self.factors)


class CosineModulated(Distribution):
    r"""Fejér density modulated by a cosine: :math:`K_F(x)\,(1 + s\cos(\omega (x - \mu)))`.

    With :math:`s = \pm 1` and :math:`|\omega|` at or beyond the band edge
    :math:`2/\sigma` of the Fejér base ``Fejer(mu, sigma)``, the normaliser is exactly 1,
    because :math:`\int K_F(x)\cos(\omega(x-\mu))\,dx = \varphi_F(\omega) = 0` there.
    The characteristic function is

    .. math:: \varphi(t) = \varphi_F(t) + \frac{s}{2}\left(e^{-i\omega\mu}\varphi_F(t + \omega)
              + e^{i\omega\mu}\varphi_F(t - \omega)\right),

    so the pair ``s = +1, -1`` differs only at frequencies within :math:`2/\sigma` of
    :math:`\pm\omega`: a kernel whose transform vanishes there spreads them identically.

    Parameters
    ----------
    base : Fejer
        Fejér distribution with scalar parameters.
    omega : float
        Modulation frequency, ``|omega| >= 2 / base.scale``.
    sign : {+1, -1}, default=+1
        +1 gives p, -1 gives q of the counterexample pair.

    Examples
    --------
    >>> from spreadlab import Fejer
    >>> from spreadlab import CosineModulated
    >>> p = CosineModulated(Fejer(0.0, 1.0), 6.0, +1)
    >>> round(float(p.pdf(0.0)), 12)  # K_F(0) * 2 = 2 / pi
    0.636619772368
    >>> float(p.cf(0.0).real)
    1.0
    """

    dim = 1

    def __init__(self, base, omega, sign=1):
        if not isinstance(base, Fejer) or base.batch_shape != ():
            raise TypeError(f"base must be a Fejer distribution with scalar parameters; got {base!r}")
        omega = float(as_float_array(omega, "omega"))
        edge = 2.0 / float(base.scale)
        if abs(omega) < edge * (1 - 1e-12):
            raise ValueError(
                f"omega must satisfy |omega| >= 2 / base.scale = {edge:.6g} so that the "
                f"normaliser is 1 (phi_F(omega) = 0); got {omega!r}"
            )
        if isinstance(sign, bool) or not isinstance(sign, (int, np.integer)) or sign not in (1, -1):
            raise ValueError(f"sign must be the integer +1 or -1; got {sign!r:.80}")
        if abs(omega) * float(base.scale) > 1e15:
            raise ValueError(
                f"omega * base.scale must be at most 1e15 (beyond it cos(omega x) is not resolved "
                f"in float64); got {abs(omega) * float(base.scale):.3g}"
            )
        self.base, self.omega, self.sign = base, omega, int(sign)
        self.loc = float(base.loc)

    def __repr__(self):
        op = "+" if self.sign > 0 else "-"
        return f"CosineModulated({self.base!r}, omega={self.omega:g}, sign={op}1)"

    def _mod(self, x):
        """1 + s cos(omega (x - mu)); 1 where omega (x - mu) overflows (|x| near 1e308).

        There adjacent floats are more than 1e290 periods apart: the cosine at one float is
        not resolved, and 1 is its average over the float's cell (the density itself is below
        1e-600 there, 0 as a float; ``logpdf`` is the Fejér log density, right on average)."""
        with np.errstate(over="ignore", invalid="ignore"):
            arg = self.omega * (x - self.loc)
            return 1.0 + self.sign * np.cos(np.where(np.isfinite(arg), arg, 0.5 * np.pi))

    def pdf(self, x):
        x = as_float_array(x, "x")
        return self.base.pdf(x) * self._mod(x)

    def logpdf(self, x):
        x = as_float_array(x, "x")
        with np.errstate(divide="ignore"):
            return self.base.logpdf(x) + np.log(self._mod(x))

    def cf(self, omega):
        t = as_float_array(omega, "omega")
        w, mu = self.omega, self.loc
        side = np.exp(-1j * w * mu) * self.base.cf(t + w) + np.exp(1j * w * mu) * self.base.cf(t - w)
        return self.base.cf(t) + 0.5 * self.sign * side

    def sample(self, n, rng=None):
        """Rejection from the Fejér base, accepting with probability (1 + s cos) / 2.

        Drawn in standard coordinates z = (x - mu) / sigma, where cos(omega sigma z) keeps its
        precision at any location; the acceptance rate is 1/2 on average, and a budget of
        200 rounds stops a pathological loop with an error instead of a hang.
        """
        from .._validation import as_count, check_rng
        from ._scipy_extra import fejer

        n = as_count(n, "n", item_bytes=16, what="draw (two candidates of 8 bytes)")
        rng = check_rng(rng)
        w = self.omega * float(self.base.scale)
        out, have = [], 0
        for _ in range(200):
            m = 2 * (n - have) + 16
            z = fejer.rvs(size=m, random_state=rng)
            keep = z[rng.uniform(size=m) * 2.0 <= 1.0 + self.sign * np.cos(w * z)]
            out.append(keep)
            have += keep.size
            if have >= n:
                return float(self.base.loc) + float(self.base.scale) * np.concatenate(out)[:n]
        raise RuntimeError("CosineModulated.sample accepted too few draws in 200 rounds; please report this")

    def shifted(self, offset):
        return CosineModulated(self.base.shifted(offset), self.omega, self.sign)

    @property
    def support(self):
        return -np.inf, np.inf

    @property
    def location_hint(self):
        return self.loc

    @property
    def scale_hint(self):
        return float(self.base.scale_hint)

    def landmarks(self):
        return self.base.landmarks()
