"""Kernels scipy.stats lacks, written as scipy writes its own: ``rv_continuous`` in standard form.

scipy adds ``loc``, ``scale``, broadcasting, moments, ``ppf`` fallbacks and frozen
distributions; these classes supply only the standard density, distribution function,
quantile (where it has a closed form) and a sampler.
"""

import numpy as np
from scipy import special, stats

__all__ = ["epanechnikov_gen", "epanechnikov", "fejer_gen", "fejer"]


class epanechnikov_gen(stats.rv_continuous):
    r"""Epanechnikov law in standard form: :math:`f(z) = \tfrac34 (1 - z^2)` on [-1, 1].

    Distribution function :math:`F(z) = \tfrac12 + \tfrac34 z - \tfrac14 z^3`, quantile
    :math:`z = 2\sin(\arcsin(2u - 1)/3)`, sampling by the median of three uniforms
    (Devroye, *Non-Uniform Random Variate Generation*, 1986).

    Examples
    --------
    >>> from spreadlab.distributions._scipy_extra import epanechnikov
    >>> float(epanechnikov.cdf(0.5)), round(float(epanechnikov.ppf(0.84375)), 12)
    (0.84375, 0.5)
    """

    def _pdf(self, z):
        return np.where(np.abs(z) < 1, 0.75 * (1.0 - z * z), 0.0)

    def _logpdf(self, z):
        inside = np.abs(z) < 1
        with np.errstate(divide="ignore"):
            return np.where(inside, np.log(0.75) + np.log1p(-np.where(inside, z * z, 0.0)), -np.inf)

    def _cdf(self, z):
        z = np.clip(z, -1.0, 1.0)
        return 0.25 * (1.0 + z) ** 2 * (2.0 - z)  # = 1/2 + 3z/4 - z^3/4, exact near z = -1

    def _sf(self, z):
        return self._cdf(-z)

    def _ppf(self, u):
        return 2.0 * np.sin(np.arcsin(2.0 * u - 1.0) / 3.0)

    def _isf(self, u):
        return -self._ppf(u)

    def _rvs(self, size=None, random_state=None):
        u = random_state.uniform(-1.0, 1.0, size=(3,) + tuple(np.atleast_1d(size) if size is not None else ()))
        a1, a2, a3 = np.abs(u)
        return np.where((a3 >= a2) & (a3 >= a1), u[1], u[2])

    def _stats(self):
        return 0.0, 0.2, 0.0, -6.0 / 7.0


epanechnikov = epanechnikov_gen(a=-1.0, b=1.0, name="epanechnikov")


def _sinc2(z):
    """sin(z)^2 / z^2, 0 at +-inf, 1 at 0 (np.sinc(z / pi) near 0; sin(z) / z beyond 1, where
    sin(pi * (z / pi)) would take the sine of a rounded argument: wrong for large z)."""
    z = np.asarray(z, dtype=float)
    with np.errstate(invalid="ignore", under="ignore", over="ignore"):
        near = np.sinc(z / np.pi) ** 2
        far = (np.sin(z) / np.where(np.isfinite(z) & (z != 0), z, 1.0)) ** 2
    return np.where(np.isinf(z), 0.0, np.where(np.abs(z) > 1.0, far, near))


def _log_sinc2(z):
    """log(sin(z)^2 / z^2) without underflow for |z| beyond 1e154 (-inf at the zeros and +-inf)."""
    z = np.asarray(z, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        far = 2.0 * (np.log(np.abs(np.sin(z))) - np.log(np.abs(z)))
        near = np.log(_sinc2(z))
    return np.where(np.isinf(z), -np.inf, np.where(np.abs(z) > 1.0, far, near))


class fejer_gen(stats.rv_continuous):
    r"""Fejér law in standard form: :math:`f(z) = \sin^2(z) / (\pi z^2)` on the real line.

    Distribution function :math:`F(z) = \tfrac12 + (\mathrm{Si}(2z) - \sin^2(z)/z)/\pi`;
    sampling by rejection from a standard Cauchy proposal, accepted with probability
    :math:`\sin^2(z)(1 + z^2)/(2 z^2) \le 1` (acceptance rate 1/2). Its characteristic
    function :math:`\max(0, 1 - |t|/2)` is band-limited.

    Examples
    --------
    >>> from spreadlab.distributions._scipy_extra import fejer
    >>> float(fejer.cdf(0.0)), float(fejer.cdf(float("inf")))
    (0.5, 1.0)
    """

    def _pdf(self, z):
        return _sinc2(z) / np.pi

    def _logpdf(self, z):
        return _log_sinc2(z) - np.log(np.pi)

    def _cdf(self, z):
        return np.where(z <= 0, self._tail(-z), 1.0 - self._tail(z))

    def _sf(self, z):
        return np.where(z >= 0, self._tail(z), 1.0 - self._tail(-z))

    @staticmethod
    def _tail(z):
        """P(Z > z) for z >= 0: 1/2 - (Si(2z) - sin^2(z)/z)/pi, written to keep the far tail."""
        z = np.asarray(z, dtype=float)
        big = z > 32.0
        zs = np.where(big, 1.0, z)
        with np.errstate(invalid="ignore", divide="ignore"):
            si = special.sici(2.0 * zs)[0]
            near = 0.5 - (si - np.where(zs == 0, 0.0, np.sin(zs) ** 2 / np.where(zs == 0, 1.0, zs))) / np.pi
        # far out: pi/2 - Si(x) = f(x) cos x + g(x) sin x with the auxiliary functions
        zb = np.where(big & np.isfinite(z), z, 32.0)
        x = 2.0 * zb
        fx, gx = _aux_fg(x)
        far = (fx * np.cos(x) + gx * np.sin(x) + np.sin(zb) ** 2 / zb) / np.pi
        far = np.where(np.isinf(z), 0.0, far)
        return np.where(big, far, near)

    def _rvs(self, size=None, random_state=None):
        shape = tuple(np.atleast_1d(size)) if size is not None else ()
        total = int(np.prod(shape)) if shape else 1
        out, have = [], 0
        while have < total:
            m = 2 * (total - have) + 16
            z = random_state.standard_cauchy(m)
            ratio = 0.5 * np.sinc(z / np.pi) ** 2 * (1.0 + z * z)
            keep = z[random_state.uniform(size=m) <= ratio]
            out.append(keep)
            have += keep.size
        return np.concatenate(out)[:total].reshape(shape)


def _aux_fg(x):
    """Auxiliary functions f, g of the sine integral for x >= 64 (asymptotic series).

    :math:`\\pi/2 - \\mathrm{Si}(x) = f(x)\\cos x + g(x)\\sin x`; with 8 terms the first
    omitted term at x = 64 is 16!/64^16 = 2.6e-16 relative to f.
    """
    x = np.asarray(x, dtype=float)
    inv2 = 1.0 / (x * x)
    f = np.zeros_like(x)
    g = np.zeros_like(x)
    term_f = 1.0 / x  # f ~ (1/x) sum (-1)^k (2k)! / x^{2k}
    term_g = inv2  # g ~ (1/x^2) sum (-1)^k (2k+1)! / x^{2k}
    for k in range(8):
        f = f + term_f
        g = g + term_g
        term_f = -term_f * (2 * k + 1) * (2 * k + 2) * inv2
        term_g = -term_g * (2 * k + 2) * (2 * k + 3) * inv2
    return f, g


fejer = fejer_gen(name="fejer")
