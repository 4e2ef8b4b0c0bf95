"""Source priors for spread-noise ICA.

Every prior has unit variance so that the scale of the mixing matrix is
identified.  Each prior exposes an element-wise ``logpdf``, a ``sample``
method and a small tuple of arrays (``kernel_params``) that the Numba
kernels in :mod:`spreadlab.ica._kernels` read; the NumPy reference E-steps
in :mod:`spreadlab.ica._estep` use ``logpdf`` directly.
"""
import math
import numbers

import numpy as np
from scipy.special import logsumexp

from .._validation import MAX_COUNT, _short, as_count, as_float_array, check_rng

__all__ = ["LaplacePrior", "SechPrior", "GaussianMixturePrior", "get_prior"]

# Integer codes shared with the Numba kernels.
KIND_LAPLACE = 0
KIND_SECH = 1
KIND_MIXTURE = 2

_LOG2 = math.log(2.0)


def _points(s):
    """``s`` as a float array for a log-density: real, not NaN (+-inf allowed: density 0).

    Each prior's public ``logpdf`` checks its argument with this and then calls
    ``_logpdf``, the unchecked element-wise kernel on a float array (NaN in, NaN out) that
    the NumPy reference E-step uses on its own, already validated, arrays."""
    return as_float_array(s, "s", allow_inf=True)


def _size(size):
    """A sample shape: an int >= 0 or a tuple of them, at most ``MAX_COUNT`` draws in all."""
    if isinstance(size, tuple):
        shape = tuple(as_count(n, "size", minimum=0) for n in size)
    elif isinstance(size, numbers.Integral) and not isinstance(size, bool):
        shape = (as_count(size, "size", minimum=0),)
    else:
        raise TypeError(f"size must be an int >= 0 or a tuple of ints; got {_short(size)}")
    total = math.prod(shape)
    if total > MAX_COUNT:
        raise ValueError(f"size must ask for at most {MAX_COUNT} draws; got size={shape} "
                         f"({total} draws)")
    return shape if isinstance(size, tuple) else shape[0]


def _sample_args(rng, size):
    return check_rng(rng, "rng"), _size(size)


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
        """Log-density at ``s`` (array-like of real numbers; ``-inf`` at +-inf)."""
        return self._logpdf(_points(s))

    def _logpdf(self, s):
        return -math.log(2.0 * self.scale) - np.abs(s) / self.scale

    def sample(self, rng, size):
        """``size`` draws (an int or a shape tuple) from the Generator (or seed) ``rng``."""
        rng, size = _sample_args(rng, size)
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
        """Log-density at ``s`` (array-like of real numbers; ``-inf`` at +-inf)."""
        return self._logpdf(_points(s))

    def _logpdf(self, s):
        with np.errstate(over="ignore"):  # |s| near 1.8e308: a = inf, log-density -inf
            a = np.abs(s) * (math.pi / 2.0)
        # log cosh(a) = a + log1p(exp(-2a)) - log 2, stable for large a.
        return -_LOG2 - (a + np.log1p(np.exp(-2.0 * a)) - _LOG2)

    def sample(self, rng, size):
        """``size`` draws (an int or a shape tuple) from the Generator (or seed) ``rng``."""
        rng, size = _sample_args(rng, size)
        u = 1.0 - rng.random(size=size)  # in (0, 1]: u = 0 would give -inf
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
        w, m, v = (_vector(value, name) for value, name in
                   ((weights, "weights"), (means, "means"), (variances, "variances")))
        if not (w.shape == m.shape == v.shape) or w.size == 0:
            raise ValueError(
                "weights, means and variances must be 1-D arrays of one length; "
                f"got shapes {w.shape}, {m.shape}, {v.shape}"
            )
        if np.any(w <= 0) or np.any(v <= 0):
            raise ValueError(
                "weights and variances must be positive; got "
                f"weights={_short(w.tolist())}, variances={_short(v.tolist())}"
            )
        if not isinstance(standardize, (bool, np.bool_)):
            raise TypeError(f"standardize must be True or False; got {_short(standardize)}")
        w = w / w.max()  # first by the largest: a sum of weights near 1e308 would overflow
        w = w / w.sum()
        if np.any(w == 0):
            raise ValueError(
                "weights must be positive after normalisation: the smallest weight is less "
                "than 5e-324 times the largest (beyond the float range); got "
                f"weights={_short(weights)}"
            )
        if standardize:
            m, v = _standardized(w, m, v)
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
        """Log-density at ``s`` (array-like of real numbers; ``-inf`` at +-inf, and where
        the squared distance to every component overflows)."""
        return self._logpdf(_points(s))

    def _logpdf(self, s):
        s = s[..., None]
        with np.errstate(over="ignore", divide="ignore"):  # -> -inf: log-density below range
            comp = (
                np.log(self.weights)
                - 0.5 * np.log(2.0 * math.pi * self.variances)
                - 0.5 * (s - self.means) ** 2 / self.variances
            )
        return logsumexp(comp, axis=-1)

    def sample(self, rng, size):
        """``size`` draws (an int or a shape tuple) from the Generator (or seed) ``rng``."""
        rng, size = _sample_args(rng, size)
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


def _vector(value, name):
    """A finite float vector (a scalar is one component)."""
    arr = as_float_array(value, name)
    if arr.ndim > 1:
        raise ValueError(f"{name} must be a 1-D array (one entry per component); got shape {arr.shape}")
    return arr.ravel()


def _standardized(w, m, v):
    r"""Means and variances of the mixture rescaled (and centred) to mean 0, variance 1.

    The variance :math:`\sum_k w_k (v_k + (m_k - \bar m)^2)` is formed in units of the
    largest of the :math:`|m_k|` and :math:`\sqrt{v_k}` and again after centring, so that
    means near 1e308 or variances near 1e-320 neither overflow nor underflow on the way.
    """
    c = max(np.max(np.abs(m)), np.max(np.sqrt(v)))
    d = m / c - np.sum(w * (m / c))  # centred means, units of c: |d| <= 2
    sd = np.sqrt(v) / c
    c2 = max(np.max(np.abs(d)), np.max(sd))
    d, sd = d / c2, sd / c2  # largest entry 1
    total = math.sqrt(np.sum(w * (sd**2 + d**2)))
    means, variances = d / total, (sd / total) ** 2
    if np.any(variances == 0) or not np.all(np.isfinite(variances)):
        raise ValueError(
            "variances must be positive after standardisation: the smallest component "
            "variance is beyond the float range relative to the mixture's variance; got "
            f"variances={_short(v.tolist())}, means={_short(m.tolist())}"
        )
    return means, variances


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
        f"Unknown prior {_short(prior)}; prior should be one of {', '.join(map(repr, _PRIOR_NAMES))} "
        "or a GaussianMixturePrior instance"
    )
