"""Deterministic linear ICA trained with spread EM.

The deterministic ICA model of Zhang et al., *Spread Divergence* (ICML 2020); the Fig. 1
experiment itself lives in :mod:`spreadlab.experiments`.

Nothing here imports Numba: the E-step kernels are compiled on first fit.
"""
from .._lazy import lazy_names

from ._data import make_ica_data
from ._metrics import amari_distance, mixing_error
from ._priors import GaussianMixturePrior, LaplacePrior, SechPrior
from ._start import pca_start

# The estimator subclasses scikit-learn's BaseEstimator, so it -- and everything built on it
# (the experiments: sweeps, reproduction, demo, now in spreadlab.experiments and re-exported
# here under their old names) -- loads on first access (PEP 562): import spreadlab stays light.
_LAZY = {
    "SpreadICA": "._estimator", "ConvergenceWarning": "._estimator", "auto_spread": "._estimator",
    "em_update_zero_noise": "._estep",
    "ICAReproduction": "..experiments._ica_reproduce", "demo_ica": "..experiments._ica_reproduce",
    "reproduce_ica": "..experiments._ica_reproduce", "ica_sweep": "..experiments._ica_sweep",
    "plot_ica_sweep": "..experiments._ica_sweep", "plot_ica_traces": "..experiments._ica_sweep",
}




__all__ = [
    "SpreadICA",
    "ConvergenceWarning",
    "auto_spread",
    "make_ica_data",
    "amari_distance",
    "mixing_error",
    "LaplacePrior",
    "SechPrior",
    "GaussianMixturePrior",
    "reproduce_ica",
    "demo_ica",
    "ICAReproduction",
    "pca_start",
    "ica_sweep",
    "em_update_zero_noise",
    "plot_ica_traces",
    "plot_ica_sweep",
]

__getattr__, __dir__ = lazy_names(__name__, _LAZY, __all__, globals())
