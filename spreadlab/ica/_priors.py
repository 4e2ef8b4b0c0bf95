"""Source priors for spread-noise ICA.

Every prior has unit variance so that the scale of the mixing matrix is
identified.  Each prior exposes an element-wise ``logpdf``, a ``sample``
method and a small tuple of arrays (``kernel_params``) that the Numba
kernels in :mod:`spreadlab.ica._kernels` read; the NumPy reference E-steps
in :mod:`spreadlab.ica._estep` use ``logpdf`` directly.
"""
import math

import numpy as np
from scipy.special import logsumexp

__all__ = ["LaplacePrior", "SechPrior", "GaussianMixturePrior", "get_prior"]

# Integer codes shared with the Numba kernels.
KIND_LAPLACE = 0
KIND_SECH = 1
KIND_MIXTURE = 2

_LOG2 = math.log(2.0)


class LaplacePrior:
    r"""Unit-variance Laplace prior (the paper's source distribution).

    .. math:: p(s) = \frac{1}{2b} e^{-|s|/b}, \qquad b = 1/\sqrt{2}.

    Examples
    --------
    >>> from spreadlab.ica import LaplacePrior
    >>> print(f"{float(LaplacePrior().logpdf(0.0)):.12f}")  # -log(2b) = -log(sqrt 2)
    -0.346573590280
    """

    name = "laplace"
    kind = KIND_LAPLACE
    is_mixture = False

    def __init__(self):
        self.scale = 1.0 / math.sqrt(2.0)

    def logpdf(self, s):
        s = np.asarray(s, dtype=float)
        return -math.log(2.0 * self.scale) - np.abs(s) / self.scale

    def sample(self, rng, size):
        return rng.laplace(0.0, self.scale, size=size)

    @property
    def kernel_params(self):
        return (np.array([self.scale]), np.zeros(1), np.zeros(1))

    def __repr__(self):
        return "LaplacePrior()"


class SechPrior:
    r"""Unit-variance hyperbolic-secant prior, a smooth super-Gaussian source.

    .. math:: p(s) = \tfrac{1}{2}\,\operatorname{sech}(\pi s / 2),

    which has variance 1 and excess kurtosis 2 (Laplace: 3).

    Examples
    --------
    >>> import numpy as np
    >>> from spreadlab.ica import SechPrior
    >>> bool(np.isclose(SechPrior().logpdf(0.0), -np.log(2.0)))
    True
    """

    name = "sech"
    kind = KIND_SECH
    is_mixture = False

    def logpdf(self, s):
        a = np.abs(np.asarray(s, dtype=float)) * (math.pi / 2.0)
        # log cosh(a) = a + log1p(exp(-2a)) - log 2, stable for large a.
        return -_LOG2 - (a + np.log1p(np.exp(-2.0 * a)) - _LOG2)

    def sample(self, rng, size):
        u = rng.uniform(0.0, 1.0, size=size)
        # inverse CDF of (1/2) sech(pi s / 2): F(s) = (2/pi) arctan(exp(pi s / 2))
        return (2.0 / math.pi) * np.log(np.tan(0.5 * math.pi * u))

    @property
    def kernel_params(self):
        return (np.zeros(1), np.zeros(1), np.zeros(1))

    def __repr__(self):
        return "SechPrior()"


class GaussianMixturePrior:
    r"""Mixture-of-Gaussians prior shared by all sources.

    .. math:: p(s) = \sum_{k=1}^K w_k\, \mathcal N(s; m_k, v_k).

    With this prior the E-step of (spread) EM is exact: given one mixture
    component per source the posterior of the sources is Gaussian, so the
    posterior is a mixture over the ``K**Z`` component combinations.

    Parameters
    ----------
    weights : array-like of shape (K,)
        Positive mixture weights; normalised to sum to one.
    means : array-like of shape (K,)
        Component means.
    variances : array-like of shape (K,)
        Positive component variances.
    standardize : bool, default=True
        Rescale (and centre) so the prior has mean 0 and variance 1, which
        identifies the scale of the mixing matrix.

    Examples
    --------
    >>> from spreadlab.ica import GaussianMixturePrior
    >>> p = GaussianMixturePrior.laplace_gsm()
    >>> p.n_components
    3
    >>> round(float(p.variance), 12)
    1.0
    """

    name = "mixture"
    kind = KIND_MIXTURE
    is_mixture = True

    # Zero-mean three-component Gaussian scale mixture fitted to the
    # unit-variance Laplace density by minimising KL(Laplace || mixture) on a
    # fine grid under the unit-variance constraint (KL = 9.5e-4 nats).
    _LAPLACE_GSM = (
        (0.20077893, 0.56744987, 0.23177120),
        (0.07221246, 0.64257577, 2.67881308),
    )

    def __init__(self, weights, means, variances, standardize=True):
        w = np.asarray(weights, dtype=float).ravel()
        m = np.asarray(means, dtype=float).ravel()
        v = np.asarray(variances, dtype=float).ravel()
        if not (w.shape == m.shape == v.shape) or w.size == 0:
            raise ValueError(
                "weights, means and variances must be 1-D arrays of one length; "
                f"got shapes {w.shape}, {m.shape}, {v.shape}"
            )
        if not (np.all(np.isfinite(w)) and np.all(np.isfinite(m)) and np.all(np.isfinite(v))):
            raise ValueError("weights, means and variances must be finite")
        if np.any(w <= 0) or np.any(v <= 0):
            raise ValueError(
                "weights and variances must be positive; got "
                f"weights={w.tolist()}, variances={v.tolist()}"
            )
        w = w / w.max()  # first by the largest: a sum of weights near 1e308 would overflow
        w = w / w.sum()
        if standardize:
            mean = np.sum(w * m)
            var = np.sum(w * (v + (m - mean) ** 2))
            m = (m - mean) / math.sqrt(var)
            v = v / var
        self.weights, self.means, self.variances = w, m, v

    @classmethod
    def laplace_gsm(cls):
        """Three-component zero-mean Gaussian scale mixture approximating
        the unit-variance Laplace prior."""
        w, v = cls._LAPLACE_GSM
        return cls(w, np.zeros(3), v, standardize=True)

    @property
    def n_components(self):
        return self.weights.size

    @property
    def variance(self):
        mean = np.sum(self.weights * self.means)
        return np.sum(self.weights * (self.variances + (self.means - mean) ** 2))

    def logpdf(self, s):
        s = np.asarray(s, dtype=float)[..., None]
        comp = (
            np.log(self.weights)
            - 0.5 * np.log(2.0 * math.pi * self.variances)
            - 0.5 * (s - self.means) ** 2 / self.variances
        )
        return logsumexp(comp, axis=-1)

    def sample(self, rng, size):
        k = rng.choice(self.n_components, size=size, p=self.weights)
        return self.means[k] + np.sqrt(self.variances[k]) * rng.standard_normal(size)

    @property
    def kernel_params(self):
        return (np.log(self.weights), self.means.copy(), self.variances.copy())

    def __repr__(self):
        return (
            f"GaussianMixturePrior(weights={np.round(self.weights, 4).tolist()}, "
            f"means={np.round(self.means, 4).tolist()}, "
            f"variances={np.round(self.variances, 4).tolist()})"
        )


_PRIOR_NAMES = ("laplace", "sech", "laplace_gsm")


def get_prior(prior):
    """Return a prior object from a name or a prior instance."""
    if isinstance(prior, (LaplacePrior, SechPrior, GaussianMixturePrior)):
        return prior
    if isinstance(prior, str):
        if prior == "laplace":
            return LaplacePrior()
        if prior == "sech":
            return SechPrior()
        if prior == "laplace_gsm":
            return GaussianMixturePrior.laplace_gsm()
    raise ValueError(
        f"Unknown prior {prior!r}; prior should be one of {', '.join(map(repr, _PRIOR_NAMES))} "
        "or a GaussianMixturePrior instance"
    )
