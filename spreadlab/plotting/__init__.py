"""Figures: one style for the package, the demo and the notebooks, and the reusable plots.

* :mod:`spreadlab.plotting._style` -- :data:`FIGURE_WIDTH`, :func:`style`, :func:`styled`,
  :func:`use_style`, :func:`subplots`;
* :mod:`spreadlab.plotting._kernels` -- :func:`plot_cf`, a kernel's characteristic function;
* :mod:`spreadlab.plotting._tutorial` -- the tutorials' reusable figures (manifolds, spread
  point masses, divergence curves, characteristic functions).

Nothing here imports matplotlib until a figure is drawn.
"""

from . import _kernels, _style, _tutorial
from ._kernels import *  # noqa: F401,F403
from ._style import *  # noqa: F401,F403
from ._tutorial import *  # noqa: F401,F403

__all__ = [*_style.__all__, *_kernels.__all__, *_tutorial.__all__]
