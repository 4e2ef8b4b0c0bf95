"""Experiments built on spreadlab's estimators: not the library, kept beside it.

* :mod:`spreadlab.experiments._runner` -- :func:`run_points`, a small runner (one
  result file per point written atomically, resume, progress, worker processes)
  that any sweep can reuse;
* :mod:`spreadlab.experiments._ica_sweep` -- the Fig. 1 sweep of the deterministic ICA
  experiment: :class:`ICASweepConfig` (its settings) and :func:`ica_sweep`, and their plots;
* :mod:`spreadlab.experiments._ica_reproduce` -- :func:`reproduce_ica` (Fig. 1a and 1b,
  ``spreadlab reproduce ica``) and :func:`demo_ica` (``spreadlab demo``).

The ICA names are also exported by :mod:`spreadlab.ica` and :mod:`spreadlab`, where they
used to live.  Loaded on first access: the estimators need scikit-learn.
"""
from .._lazy import lazy_names

_LAZY = {
    "run_points": "._runner",
    "ICASweepConfig": "._ica_sweep", "ica_sweep": "._ica_sweep",
    "plot_ica_sweep": "._ica_sweep", "plot_ica_traces": "._ica_sweep",
    "ICAReproduction": "._ica_reproduce", "demo_ica": "._ica_reproduce",
    "reproduce_ica": "._ica_reproduce",
}

__all__ = list(_LAZY)

__getattr__, __dir__ = lazy_names(__name__, _LAZY, __all__, globals())
