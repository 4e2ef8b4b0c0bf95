"""Text reports of the command line (``spreadlab kernel-check``)."""

from .fourier import fourier_check
from .plotting import plot_cf

__all__ = ["kernel_check_report"]


def kernel_check_report(kernel, plot_path=None):
    """Text for ``spreadlab kernel-check``: the Fourier check of one kernel.

    Parameters
    ----------
    kernel : Distribution or callable
        Any kernel accepted by :func:`fourier_check`.
    plot_path : str or path-like, optional
        If given, :func:`plot_cf` is saved there (format from the extension); for a
        multivariate kernel one panel per coordinate/eigendirection is drawn.

    Returns
    -------
    str

    Examples
    --------
    >>> from spreadlab import Cauchy
    >>> from spreadlab._report import kernel_check_report
    >>> print(kernel_check_report(Cauchy(0.0, 1.0)).splitlines()[-1])
    Verdict: Valid spread kernel: φ_K has no zeros and K > 0 everywhere, so spreading is one-to-one and spread f-divergences (e.g. KL) between any two distributions are defined.
    """
    res = fourier_check(kernel)
    text = repr(res)
    if plot_path is not None:
        # a bare Figure (no pyplot): no GUI backend, no global state touched
        from matplotlib.figure import Figure

        panels = res.factors if res.factors else (res,)
        fig = Figure(figsize=(6, 3.2 * len(panels)))
        axes = fig.subplots(len(panels), 1, squeeze=False)
        for sub, ax in zip(panels, axes[:, 0]):
            plot_cf(sub, ax=ax)
        fig.tight_layout()
        fig.savefig(plot_path)
        text += f"\nPlot saved to {plot_path}"
    return text + f"\nVerdict: {res.verdict}"
