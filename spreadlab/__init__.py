"""spreadlab: spread divergences for teaching and checking.

A deterministic-output model puts all its mass on a low-dimensional manifold, so the
likelihood of data off it is zero and KL(data || model) is undefined. Convolving both
distributions with the same noise kernel (spreading) makes the divergence well defined;
if the kernel's Fourier transform is strictly positive it is still zero only when the two
distributions are equal (Zhang, Hayes, Bird, Habib, Barber, "Spread Divergence", ICML 2020).

The public names are re-exported from the modules that define them:

* :mod:`spreadlab.distributions` -- Delta, Gaussian and the 1-D kernel families;
* :mod:`spreadlab.spread` -- ``spread`` and the numeric ``Convolution``;
* :mod:`spreadlab.divergences` -- ``kl``, ``divergence``, ``spread_kl``, ``spread_divergence``;
* :mod:`spreadlab.kernels` -- Fourier checks, the band-limited counterexample, the MMD link;
* :mod:`spreadlab.ica` -- deterministic linear ICA trained with spread EM (Numba compiled
  lazily, on first fit).
* :mod:`spreadlab.generator` -- deterministic nonlinear generators trained by spread maximum
  likelihood: ``SpreadGenerator`` (exact EM on a latent grid) and ``SpreadVAE`` (scikit-learn
  loaded on first use).
"""

from . import distributions as _distributions
from . import divergences as _divergences
from . import generator as _generator  # estimators load lazily, see __getattr__ below
from . import ica as _ica
from . import kernels as _kernels
from . import spread as _spread_module
from .distributions import *  # noqa: F401,F403
from .divergences import *  # noqa: F401,F403
from .ica import *  # noqa: F401,F403
from .kernels import *  # noqa: F401,F403
from .spread import *  # noqa: F401,F403

__version__ = "0.1.0"

# one list per module, kept where the names are defined
__all__ = [
    *_distributions.__all__,
    *_spread_module.__all__,
    *_divergences.__all__,
    *_kernels.__all__,
    *_ica.__all__,
    *_generator.__all__,
]

# issue 11: deterministic nonlinear generators (spreadlab.generator). The estimators subclass
# scikit-learn's BaseEstimator, so they (and scikit-learn) load on first access (PEP 562).
from .generator import make_curve, make_sheet  # noqa: E402,F401


def __getattr__(name):
    if name in _generator._LAZY:
        return getattr(_generator, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

