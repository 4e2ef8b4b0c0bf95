"""Transitional alias of the kernel tools' old home (removed once every caller has moved).

The contents moved to :mod:`spreadlab.fourier`, :mod:`spreadlab.counterexample`,
:mod:`spreadlab.mmd`, :mod:`spreadlab.plotting` and :mod:`spreadlab.distributions`.
"""

from ._report import kernel_check_report  # noqa: F401
from .counterexample import Counterexample, band_limited_counterexample  # noqa: F401
from .distributions import CosineModulated, ProductKernel  # noqa: F401
from .fourier import FourierCheck, fourier_check, numeric_cf  # noqa: F401
from .mmd import mmd2, mmd2_gaussian, spread_l2_distance  # noqa: F401
from .plotting import plot_cf  # noqa: F401

__all__ = []
