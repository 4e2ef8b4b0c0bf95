"""Deterministic nonlinear generators trained by spread maximum likelihood.

* :class:`SpreadGenerator` -- exact spread EM for :math:`x = W\\phi(z)` on a latent grid;
* :class:`SpreadVAE` -- the blog's recipe: a deterministic decoder and a Gaussian encoder
  trained on the evidence lower bound of spread data;
* :func:`spread_elbo`, :func:`spread_log_likelihood`, :func:`as_jax_law` -- the JAX layer
  that trains any user generator by spreading (``pip install 'spreadlab[jax]'``);
* :func:`make_sheet`, :func:`make_curve` -- data exactly on a 2-D sheet in 3-D and on a
  1-D curve in 2-D; :func:`make_images` -- 28x28 images exactly on a known 2-D manifold,
  with their true generators (:func:`curve_function`, :func:`sheet_function`,
  :func:`render_images`);
* :func:`distance_to_manifold`, :func:`nearest_sample_distance`,
  :func:`mmd_permutation_test` -- precision against the true manifold, coverage of held-out
  data, and a two-sample test: checks of a generator that no encoder can confound.

The estimators subclass scikit-learn's ``BaseEstimator``; scikit-learn (and Numba, for the
E-step) are imported only when they are first used, so ``import spreadlab`` stays light.
"""
import importlib

from ._data import curve_function, make_curve, make_sheet, sheet_function
from ._images import IMAGE_KINDS, make_images, render_images
from ._metrics import distance_to_manifold, mmd_permutation_test, nearest_sample_distance
from ._demo import demo_manifold  # noqa: F401  (for `spreadlab demo`; imports nothing heavy)

__all__ = ["SpreadGenerator", "SpreadVAE", "make_sheet", "make_curve", "make_images",
           "render_images", "IMAGE_KINDS", "curve_function", "sheet_function",
           "distance_to_manifold", "nearest_sample_distance", "mmd_permutation_test",
           # the JAX spread-training layer (JAX is imported only when these are called)
           "SpreadCollapseWarning", "spread_elbo", "spread_log_likelihood", "as_jax_law",
           "register_jax_law", "JaxLaw", "mlp_decoder", "mlp_encoder"]

_LAZY = {"SpreadGenerator": "._estimator", "SpreadVAE": "._vae", "SpreadCollapseWarning": "._vae",
         **{name: "._jax" for name in ("spread_elbo", "spread_log_likelihood", "as_jax_law",
                                       "register_jax_law", "JaxLaw", "mlp_decoder",
                                       "mlp_encoder")}}


def __getattr__(name):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
