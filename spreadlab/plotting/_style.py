"""The spreadlab figure style: one look for the package, the demo and the notebooks.

Figures are sized for a documentation column (:data:`FIGURE_WIDTH` inches wide, panels
stacked rather than squeezed side by side), with fonts that stay legible after scaling.
Nothing here changes matplotlib's global state at import:

* :func:`style` is a context manager: text created inside it (titles, labels, legends) gets
  the style's fonts;
* :func:`styled` is a decorator that runs a plotting function inside :func:`style`, so every
  plotting function of the package draws in the one style;
* :func:`use_style` applies the style for the rest of a session (the notebooks call it once,
  at the top): matplotlib reads font sizes when text is *created*, so a figure opened with
  :func:`subplots` and labelled afterwards is in the style only under :func:`use_style` or
  inside ``with style():``.

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
import functools

__all__ = ["FIGURE_WIDTH", "RC_PARAMS", "style", "styled", "use_style", "subplots", "save_figure"]

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
    "figure.figsize": (FIGURE_WIDTH, 3.2),
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


def styled(func):
    """Decorator: run a plotting function inside :func:`style`.

    Every title, label, tick and legend the function creates gets the style's fonts, whatever
    matplotlib's global settings are.

    Parameters
    ----------
    func : callable
        A function that draws with matplotlib.

    Returns
    -------
    callable
        ``func`` wrapped so that it runs inside :func:`style`.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from spreadlab.plotting import RC_PARAMS, styled
    >>> @styled
    ... def draw():
    ...     fig, ax = plt.subplots()
    ...     return ax.set_title("a title")
    >>> title = draw()
    >>> title.get_fontsize() == RC_PARAMS["axes.titlesize"]
    True
    >>> plt.close("all")
    """

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with style():
            return func(*args, **kwargs)

    return wrapper


def use_style():
    """Apply :data:`RC_PARAMS` to matplotlib for the rest of the session (notebooks).

    Call it once at the top of a notebook: every figure and text made afterwards is in the
    spreadlab style. It changes matplotlib's global settings, so the library itself never
    calls it (its plotting functions use :func:`styled`); ``matplotlib.rcdefaults()`` undoes it.

    Returns
    -------
    dict
        The settings that were in force before, for ``matplotlib.rcParams.update(...)``.

    Examples
    --------
    >>> import matplotlib
    >>> import matplotlib.pyplot as plt
    >>> from spreadlab.plotting import RC_PARAMS, subplots, use_style
    >>> before = use_style()
    >>> fig, ax = subplots()
    >>> ax.set_xlabel("width σ").get_fontsize() == RC_PARAMS["axes.labelsize"]
    True
    >>> plt.close(fig)
    >>> matplotlib.rcParams.update(before)
    """
    import matplotlib

    before = {key: matplotlib.rcParams[key] for key in RC_PARAMS}
    matplotlib.rcParams.update(RC_PARAMS)
    return before


def subplots(nrows=1, ncols=1, *, height=None, **kwargs):
    """Open a figure of width :data:`FIGURE_WIDTH` in the spreadlab style.

    Parameters
    ----------
    nrows, ncols : int, default=1
        Grid of panels, as in :func:`matplotlib.pyplot.subplots`. Prefer stacking panels
        (``nrows``) to putting them side by side: the figure is only 6.5 inches wide.
    height : float, default=None
        Height in inches; by default 3.2 inches per row of panels.
    **kwargs
        Passed on to :func:`matplotlib.pyplot.subplots`.

    Returns
    -------
    fig : matplotlib.figure.Figure
        The figure, :data:`FIGURE_WIDTH` inches wide.
    axes : matplotlib.axes.Axes or ndarray of Axes
        Its panels. Text added to them later is in the style under :func:`use_style` or
        inside ``with style():`` (matplotlib reads font sizes when text is created).
    """
    import matplotlib.pyplot as plt

    if height is None:
        height = 3.2 * nrows
    if not (isinstance(height, (int, float)) and height > 0):
        raise ValueError(f"height must be a positive number of inches; got {height!r}")
    with style():
        fig, axes = plt.subplots(nrows, ncols, figsize=(FIGURE_WIDTH, height), **kwargs)
    # the rc context ends here; keep the layout engine it chose for this figure
    return fig, axes


def save_figure(fig, path, **kwargs):
    """Write ``fig`` to ``path`` atomically: to a temporary name in the same folder, then
    renamed, so an interrupted run (Ctrl-C, a killed worker) never leaves a half-written
    figure under the real name.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure to write.
    path : str or path-like
        Where to write it; the format comes from its extension unless ``format`` is given.
    **kwargs
        Passed to :meth:`matplotlib.figure.Figure.savefig` (e.g. ``dpi``).

    Returns
    -------
    str
        ``path``.
    """
    import os
    import tempfile

    path = os.fspath(path)
    folder, name = os.path.split(os.path.abspath(path))
    ext = os.path.splitext(name)[1][1:].lower()
    kwargs.setdefault("format", ext or None)
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".part", dir=folder)
    try:
        with os.fdopen(fd, "wb") as handle:
            fig.savefig(handle, **kwargs)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path
