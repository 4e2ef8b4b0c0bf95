"""spreadlab: spread divergences for teaching and checking.

A deterministic-output model puts all its mass on a low-dimensional manifold, so the
likelihood of data off it is zero and KL(data || model) is undefined. Convolving both
distributions with the same noise kernel (spreading) makes the divergence well defined;
if the kernel's Fourier transform is strictly positive it is still zero only when the two
distributions are equal (Zhang, Hayes, Bird, Habib, Barber, "Spread Divergence", ICML 2020).

The public names are re-exported from the modules that define them:

* :mod:`spreadlab.distributions` -- the Distribution contract, Delta, Gaussian, the 1-D
  families and the composite kernels;
* :mod:`spreadlab.registry` -- ``register_kl``, ``register_divergence``,
  ``register_convolution``;
* :mod:`spreadlab.fdivergences` -- the f-divergences as objects (``F_DIVERGENCES``);
* :mod:`spreadlab.spread` -- ``spread`` and the numeric ``Convolution``;
* :mod:`spreadlab.divergences` -- ``kl``, ``divergence``, ``spread_kl``, ``spread_divergence``;
* :mod:`spreadlab.fourier` -- Fourier-positivity checks of kernels;
* :mod:`spreadlab.formula_check` -- ``check_formula``: a hand-derived divergence formula against
  quadrature over random and corner parameters;
* :mod:`spreadlab.counterexample` -- two laws a band-limited kernel cannot tell apart;
* :mod:`spreadlab.mmd` -- the MMD link: spread L2 distances;
* :mod:`spreadlab.ica` -- deterministic linear ICA trained with spread EM (Numba compiled
  lazily, on first fit);
* :mod:`spreadlab.learned_spread` -- learning the spread (paper section 4);
* :mod:`spreadlab.two_sample` -- spread two-sample tests with permutation p-values;
* :mod:`spreadlab.generator` -- deterministic nonlinear generators trained by spread maximum
  likelihood: ``SpreadGenerator`` (exact EM on a latent grid) and ``SpreadVAE`` (scikit-learn
  loaded on first use);
* :mod:`spreadlab.plotting` -- the figure style and reusable figures (not imported here).
"""

from . import counterexample as _counterexample
from . import distributions as _distributions
from . import divergences as _divergences
from . import fdivergences as _fdivergences
from . import formula_check as _formula_check
from . import fourier as _fourier
from . import generator as _generator  # estimators load lazily, see __getattr__ below
from . import ica as _ica
from . import learned_spread as _learned_spread_mod
from . import mmd as _mmd
from . import registry as _registry
from . import spread as _spread_module
from . import two_sample as _two_sample_mod
from .counterexample import *  # noqa: F401,F403
from .distributions import *  # noqa: F401,F403
from .divergences import *  # noqa: F401,F403
from .fdivergences import *  # noqa: F401,F403
from .formula_check import *  # noqa: F401,F403
from .fourier import *  # noqa: F401,F403
from .generator import (  # noqa: F401  (the estimators load lazily, see __getattr__)
    IMAGE_KINDS, curve_function, distance_to_manifold, make_curve, make_images, make_sheet,
    mmd_permutation_test, nearest_sample_distance, render_images, sheet_function,
)
from .ica import (  # noqa: F401  (the estimator and its users load lazily, see __getattr__)
    GaussianMixturePrior, LaplacePrior, SechPrior, amari_distance, make_ica_data, mixing_error, pca_start,
)
from .learned_spread import *  # noqa: F401,F403
from .mmd import *  # noqa: F401,F403
from .registry import *  # noqa: F401,F403
from .spread import *  # noqa: F401,F403
from .two_sample import *  # noqa: F401,F403

from ._version import __version__  # noqa: E402,F401

# one list per module, kept where the names are defined
__all__ = [
    *_distributions.__all__,
    *_registry.__all__,
    *_fdivergences.__all__,
    *_spread_module.__all__,
    *_divergences.__all__,
    *_fourier.__all__,
    *_formula_check.__all__,
    *_counterexample.__all__,
    *_mmd.__all__,
    *_ica.__all__,
    *_learned_spread_mod.__all__,
    *_two_sample_mod.__all__,
    *_generator.__all__,
]

# The ICA and generator estimators subclass scikit-learn's BaseEstimator, so they (and scikit-learn)
# load on first access (PEP 562).
def __getattr__(name):
    if name in _generator._LAZY:
        return getattr(_generator, name)
    if name in _ica._LAZY:
        return getattr(_ica, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

