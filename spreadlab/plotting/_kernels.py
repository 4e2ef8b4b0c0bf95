"""Figures of kernels: the characteristic function with its zeros and zero bands."""

import numpy as np

from ._style import style

__all__ = ["plot_cf"]


def plot_cf(kernel_or_result, band=None, ax=None):
    """Draw the kernel's characteristic function over the band, zeros marked.

    Plots the real transform (phase removed, symmetric kernels) and ``|phi|``; isolated
    zeros are marked with crosses and zero bands shaded.

    Parameters
    ----------
    kernel_or_result : FourierCheck, Distribution or callable
        A result of :func:`fourier_check` (its scan is reused, one-dimensional only) or
        a kernel to check first.
    band : float or (float, float), optional
        Passed to :func:`fourier_check` when a kernel is given; ignored for a result.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is created otherwise.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from spreadlab import Uniform
    >>> from spreadlab.plotting import plot_cf
    >>> ax = plot_cf(Uniform(-1.0, 2.0))
    >>> ax.get_xlabel()
    'frequency ω (radians per unit of x)'
    """
    import matplotlib.pyplot as plt  # lazy: no matplotlib at import spreadlab

    from ..fourier import FourierCheck, fourier_check

    res = kernel_or_result
    if not isinstance(res, FourierCheck):
        res = fourier_check(res, band)
    if res.omega is None:
        raise ValueError(
            "plot_cf draws one-dimensional checks; for a multivariate kernel pass one of "
            "result.factors"
        )
    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 3.5))
    else:
        from matplotlib.axes import Axes

        if not isinstance(ax, Axes):
            raise TypeError(f"ax must be a matplotlib Axes or None; got {type(ax).__name__}")
    w, v = res.omega, res.cf_values
    if res.symmetric:
        ax.plot(w, v, label="φ_K(ω) (real)")
    ax.plot(w, np.abs(v), "--", label="|φ_K(ω)|")
    ax.axhline(0.0, color="0.6", lw=0.8)
    for a, b in res.zero_bands:
        # an open band [a, inf) is shaded to the end of the plotted range
        where = f"[{a:.3g}, ∞)" if np.isinf(b) else f"[{a:.3g}, {b:.3g}]"
        ax.axvspan(a, min(b, float(w[-1])), color="tab:red", alpha=0.15, label=f"φ_K ≡ 0 on {where}")
    if len(res.zeros):
        ax.plot(res.zeros, np.zeros(len(res.zeros)), "x", color="tab:red", ms=8, label="isolated zeros")
    ax.set_xlabel("frequency ω (radians per unit of x)")
    ax.set_ylabel(r"$\varphi_K(\omega)$")
    how = "closed form" if res.method == "analytic" else "numerical transform"
    ax.set_title(f"characteristic function of {res.kernel} ({how})", fontsize=9)
    ax.legend(fontsize=8)
    return ax
