"""Deterministic linear ICA trained with spread EM (Zhang et al., ICML 2020, section 5.1).

Nothing here imports Numba: the E-step kernels are compiled on first fit.
"""
from ._data import make_ica_data
from ._estimator import ConvergenceWarning, SpreadICA, auto_spread
from ._metrics import amari_distance, mixing_error
from ._priors import GaussianMixturePrior, LaplacePrior, SechPrior
from ._reproduce import ICAReproduction, demo_ica, reproduce_ica
from ._start import pca_start
from ._sweep import em_update_zero_noise, ica_sweep, plot_ica_sweep, plot_ica_traces

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
