"""Closed-form divergences, one registered function per (pair of families, f).

Importing this package registers the built-in closed forms with
:func:`spreadlab.register_divergence`:

* :mod:`._gaussian` -- Gaussian and Delta in any dimension, singular covariances included
  (KL, Rényi, and for equal covariances TV, Jensen-Shannon, triangular discrimination);
* :mod:`._univariate` -- Laplace, Cauchy, logistic, hyperbolic secant and uniform pairs;
* :mod:`._spread_densities` -- spread densities in closed form (registered with
  :func:`spreadlab.register_convolution`): Laplace, Cauchy (Voigt) and uniform laws spread by a
  Gaussian;


Derived divergences (reverse KL and Jeffreys from KL; Hellinger and chi-square from
Rényi) are not registered here: :mod:`spreadlab.fdivergences` derives them.
"""

from . import _gaussian, _spread_densities, _univariate  # noqa: F401  (registration on import)

__all__ = []
