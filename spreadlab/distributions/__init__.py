"""Distributions used as data, models and spread kernels.

* :mod:`._base` -- :class:`Distribution`, the contract every law fulfils (log density,
  characteristic function, sampling, support, shift, location and scale hints);
* :mod:`._psd` -- one positive-semi-definite decision (rank, pseudo-inverse, log
  pseudo-determinant) shared by Gaussians, divergences and MMD;
* :mod:`._gaussian` -- :class:`Delta` and the possibly singular :class:`Gaussian` on R^d;
* :mod:`._univariate` -- the 1-D location-scale families, each a frozen scipy.stats law
  plus its closed-form characteristic function;
* :mod:`._scipy_extra` -- Epanechnikov and Fejér as scipy ``rv_continuous`` subclasses;
* :mod:`._composite` -- :class:`ProductKernel` and :class:`CosineModulated`.
"""

from . import _base, _composite, _gaussian, _univariate
from ._base import *  # noqa: F401,F403
from ._composite import *  # noqa: F401,F403
from ._gaussian import *  # noqa: F401,F403
from ._univariate import *  # noqa: F401,F403

__all__ = [
    "Distribution",
    *_gaussian.__all__,
    *_univariate.__all__,
    *_composite.__all__,
]
