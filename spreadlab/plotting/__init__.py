"""Figures: one style for the package, the demo and the notebooks, and the reusable plots.

* :mod:`spreadlab.plotting._style` -- :data:`FIGURE_WIDTH`, :func:`style`, :func:`subplots`.

Nothing here imports matplotlib until a figure is drawn.
"""

from . import _style
from ._style import *  # noqa: F401,F403

__all__ = [*_style.__all__]
