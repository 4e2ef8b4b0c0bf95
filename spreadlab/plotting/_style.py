"""The spreadlab figure style: one look for the package, the demo and the notebooks.

Figures are sized for a documentation column (:data:`FIGURE_WIDTH` inches wide, panels
stacked rather than squeezed side by side), with fonts that stay legible after scaling.
Nothing here changes matplotlib's global state at import: :func:`style` is a context
manager, :func:`subplots` opens a figure inside it.

Examples
--------
>>> import matplotlib.pyplot as plt
>>> from spreadlab.plotting import subplots
>>> fig, ax = subplots()
>>> float(fig.get_size_inches()[0])
6.5
>>> plt.close(fig)
"""

import contextlib

__all__ = ["FIGURE_WIDTH", "RC_PARAMS", "style", "subplots"]

FIGURE_WIDTH = 6.5
"""Width in inches of every figure: the text column of the documentation."""

RC_PARAMS = {
    "font.size": 10.0,
    "axes.titlesize": 10.5,
    "axes.labelsize": 10.0,
    "legend.fontsize": 9.0,
    "xtick.labelsize": 9.0,
    "ytick.labelsize": 9.0,
    "lines.linewidth": 1.6,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "figure.dpi": 110,
    "savefig.dpi": 150,
    "savefig.bbox": "tight",
    "figure.constrained_layout.use": True,
}
"""matplotlib rc settings of the spreadlab style (applied only inside :func:`style`)."""


@contextlib.contextmanager
def style():
    """Context manager applying :data:`RC_PARAMS` for the figures made inside it.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from spreadlab.plotting import style
    >>> with style():
    ...     fig, ax = plt.subplots()
    >>> plt.close(fig)
    """
    import matplotlib

    with matplotlib.rc_context(RC_PARAMS):
        yield


def subplots(nrows=1, ncols=1, *, height=None, **kwargs):
    """Open a figure of width :data:`FIGURE_WIDTH` in the spreadlab style.

    Parameters
    ----------
    nrows, ncols : int, default=1
        Grid of panels, as in :func:`matplotlib.pyplot.subplots`.
    height : float, default=None
        Height in inches; by default 3.2 inches per row of panels.
    **kwargs
        Passed on to :func:`matplotlib.pyplot.subplots`.

    Returns
    -------
    fig : matplotlib.figure.Figure
    axes : matplotlib.axes.Axes or ndarray of Axes
    """
    import matplotlib.pyplot as plt

    if height is None:
        height = 3.2 * nrows
    with style():
        fig, axes = plt.subplots(nrows, ncols, figsize=(FIGURE_WIDTH, height), **kwargs)
    # the rc context ends here; keep the layout engine it chose for this figure
    return fig, axes
