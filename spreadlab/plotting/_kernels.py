"""Figures of kernels: the characteristic function with its zeros and zero bands."""

import numpy as np

from .._kernel_hooks import hooks_for
from .._validation import _short
from ._style import styled

__all__ = ["plot_cf", "kernel_notation"]


def kernel_notation(kernel):
    r"""A kernel written in the paper's notation, for titles: ``Uniform[−1, 1]``, not its repr.

    Location-scale families are written with the symbol the paper and the blog use for
    their width (:math:`\sigma^2` for a Gaussian, :math:`b` for Laplace, :math:`\gamma` for
    Cauchy, :math:`s` otherwise), kernels of bounded support by their support interval.
    The text is for matplotlib: the Gaussian's :math:`\mathcal N` is written in mathtext.

    Parameters
    ----------
    kernel : Distribution or str
        A one-dimensional spreadlab distribution, or the ``repr`` of one (as stored in
        :attr:`FourierCheck.kernel`). A multivariate or batched law, or a family without an
        entry, is returned as its ``repr``; a string that is not a distribution's (a
        callable's name) as it is.

    Returns
    -------
    str

    Raises
    ------
    TypeError
        If ``kernel`` is neither a distribution nor a string.

    Examples
    --------
    >>> from spreadlab import Gaussian, Laplace, Uniform
    >>> kernel_notation(Uniform(-1.0, 2.0)), kernel_notation(Laplace(0.0, 1.0))
    ('Uniform[−1, 1]', 'Laplace(0, b=1)')
    >>> kernel_notation("Gaussian(mean=0, cov=0.25)")
    '$\\mathcal{N}$(0, σ²=0.25)'
    """
    from ..distributions._base import Distribution
    from .._parse import parse_distribution

    if isinstance(kernel, str):
        try:
            kernel = parse_distribution(kernel)
        except (ValueError, TypeError):
            return kernel  # a callable's name, or a text that is not a distribution
    if not isinstance(kernel, Distribution):
        # a title reading "None" or "nan" would hide the caller's mistake
        raise TypeError(f"kernel must be a spreadlab distribution or its repr (a str); "
                        f"got {type(kernel).__name__} {_short(kernel)}")
    params = kernel._params()
    if kernel.dim != 1 or any(np.ndim(v) for v in params.values()):
        return repr(kernel)
    write = hooks_for(type(kernel)).notation
    return repr(kernel) if write is None else write(kernel, params)


@styled
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
        ax.plot(w, v, label=r"$\varphi_K(\omega)$ (real: phase removed)")
    ax.plot(w, np.abs(v), "--", label=r"$|\varphi_K(\omega)|$")
    ax.axhline(0.0, color="0.6", lw=0.8)
    for a, b in res.zero_bands:
        # an open band [a, inf) is shaded to the end of the plotted range
        where = f"[{a:.3g}, ∞)" if np.isinf(b) else f"[{a:.3g}, {b:.3g}]"
        ax.axvspan(a, min(b, float(w[-1])), color="tab:red", alpha=0.15, label=r"$\varphi_K \equiv 0$" + f" on {where}")
    if len(res.zeros):
        ax.plot(res.zeros, np.zeros(len(res.zeros)), "x", color="tab:red", ms=8, label="isolated zeros")
    ax.set_xlabel("frequency ω (radians per unit of x)")
    ax.set_ylabel(r"$\varphi_K(\omega)$")
    how = "closed form" if res.method == "analytic" else "numerical transform"
    ax.set_title(f"characteristic function of {kernel_notation(res.kernel)} ({how})")
    ax.legend()
    return ax
