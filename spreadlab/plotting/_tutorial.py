r"""Reusable figures of the tutorials: manifolds, spread point masses, divergence curves, transforms.

Every function draws in the spreadlab style (:func:`spreadlab.plotting.styled`), takes an
optional matplotlib ``ax`` and returns the axes it drew on; axes are labelled with their
units, legends use words ("total variation", not ``tv``) and titles the paper's notation.
The numbers come from the public spreadlab API; these functions only draw them.

References
----------
M. Zhang, P. Hayes, T. Bird, R. Habib, D. Barber, "Spread Divergence", ICML 2020,
https://arxiv.org/abs/1811.08968 . D. Barber, "Training models that have zero likelihood"
(blog post, Dec 21, 2019), https://aiucl.github.io/spread-divergence/ .
"""

import numbers

import numpy as np

from ._style import styled, subplots

__all__ = [
    "DIVERGENCE_NAMES",
    "kernel_label",
    "plot_manifold",
    "plot_spread_point_masses",
    "plot_divergence_curves",
    "plot_kernel_cfs",
    "shade_zero_band",
]

DIVERGENCE_NAMES = {
    "kl": "KL",
    "reverse_kl": "reverse KL",
    "jeffreys": "Jeffreys",
    "tv": "total variation",
    "hellinger": "squared Hellinger",
    "chi2": "χ²",
    "js": "Jensen–Shannon",
    "renyi": "Rényi",
}
"""Names in words of the f-divergences, keyed by the ``f`` argument of :func:`spreadlab.divergence`.

Used for legends and tables: ``DIVERGENCE_NAMES["tv"]`` is ``"total variation"``.
"""


def _ax(ax, projection=None, height=3.2):
    if ax is not None:
        return ax
    if projection is None:
        return subplots(height=height)[1]
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(6.5, height), layout="constrained")
    return fig.add_subplot(1, 1, 1, projection=projection)


def _check_kernel(kernel, name="kernel"):
    from ..distributions._base import Distribution  # the public base class

    if not isinstance(kernel, Distribution) or kernel.dim != 1:
        raise TypeError(f"{name} must be a one-dimensional spreadlab distribution "
                        f"(e.g. Gaussian(0.0, 0.49)); got {kernel!r}")


def kernel_label(kernel):
    r"""A kernel's name in words with its width, for titles and legends.

    Parameters
    ----------
    kernel : Distribution
        A one-dimensional spreadlab distribution. A Gaussian is described by its standard
        deviation :math:`\sigma`, Laplace by :math:`b`, Cauchy by :math:`\gamma`, the other
        families by their ``scale``.

    Returns
    -------
    str

    Examples
    --------
    >>> from spreadlab import Cauchy, Gaussian, Laplace
    >>> kernel_label(Gaussian(0.0, 0.49)), kernel_label(Laplace(0.0, 2.0))
    ('Gaussian, σ = 0.7', 'Laplace, b = 2')
    >>> kernel_label(Cauchy(0.0, 0.5))
    'Cauchy, γ = 0.5'
    """
    from ..distributions._gaussian import Gaussian
    from ..distributions._univariate import Cauchy, Laplace

    _check_kernel(kernel)
    symbol = next((sym for cls, sym in ((Gaussian, "σ"), (Laplace, "b"), (Cauchy, "γ"))
                   if isinstance(kernel, cls)), "scale")  # by class: subclasses keep their symbol
    return f"{type(kernel).__name__}, {symbol} = {_width(kernel):.3g}"


@styled
def plot_manifold(generator, points=None, ax=None, lim=2.0, n=25):
    r"""Draw the surface :math:`g([-\ell, \ell]^2)` of a generator from :math:`R^2` to :math:`R^3`.

    Parameters
    ----------
    generator : callable
        Maps latent points of shape (..., 2) to data points of shape (..., 3).
    points : dict of str to array-like of shape (3,), default=None
        Labelled points to mark (the label goes into the legend).
    ax : mpl_toolkits.mplot3d.axes3d.Axes3D, default=None
        3-D axes to draw on; a new 6.5-inch figure otherwise.
    lim : float, default=2.0
        Half-width :math:`\ell` of the latent square, > 0.
    n : int, default=25
        Grid points per latent axis, >= 2.

    Returns
    -------
    mpl_toolkits.mplot3d.axes3d.Axes3D

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> ax = plot_manifold(lambda z: np.stack([z[..., 0], z[..., 1], 0 * z[..., 0]], -1), n=3)
    >>> ax.get_zlabel()
    '$x_3$'
    >>> plt.close("all")
    """
    if not callable(generator):
        raise TypeError(f"generator must be callable (z -> x); got {generator!r}")
    if not (isinstance(lim, numbers.Real) and lim > 0):
        raise ValueError(f"lim must be a positive number; got {lim!r}")
    if not (isinstance(n, numbers.Integral) and n >= 2):
        raise ValueError(f"n must be an integer >= 2; got {n!r}")
    ax = _ax(ax, projection="3d", height=4.6)
    u = np.linspace(-lim, lim, n)
    Z1, Z2 = np.meshgrid(u, u)
    X = np.asarray(generator(np.stack([Z1, Z2], axis=-1)), dtype=float)
    ax.plot_surface(X[..., 0], X[..., 1], X[..., 2], alpha=0.45, cmap="viridis", linewidth=0)
    for label, p in (points or {}).items():
        p = np.asarray(p, dtype=float)
        ax.scatter([p[0]], [p[1]], [p[2]], s=45, label=label, depthshade=False)
    if points:
        ax.legend(loc="upper left")
    ax.locator_params(nbins=5)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_zlabel("$x_3$")
    return ax


@styled
def plot_spread_point_masses(mu_p, mu_q, kernel, ax=None):
    r"""Draw :math:`\tilde p = \delta_{\mu_p} * K` and :math:`\tilde q = \delta_{\mu_q} * K`.

    The title gives the kernel in words and the spread KL,

    .. math:: \mathrm{KL}(\tilde p\|\tilde q) = \int K(y-\mu_p)\log\frac{K(y-\mu_p)}{K(y-\mu_q)}\,dy ,

    computed by :func:`spreadlab.spread_kl`.

    Parameters
    ----------
    mu_p, mu_q : float
        Locations of the two point masses.
    kernel : Distribution
        One-dimensional spread kernel centred at 0.
    ax : matplotlib.axes.Axes, default=None
        Axes to draw on; a new 6.5-inch figure otherwise.

    Returns
    -------
    ax : matplotlib.axes.Axes
    value : float
        :math:`\mathrm{KL}(\tilde p\|\tilde q)`.

    References
    ----------
    Blog, section "Spread divergence" (two delta functions); paper, section 2.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from spreadlab import Gaussian
    >>> ax, value = plot_spread_point_masses(0.0, 1.3, Gaussian(0.0, 0.49))
    >>> round(value, 6)  # (mu_p - mu_q)^2 / (2 sigma^2)
    1.72449
    >>> plt.close("all")
    """
    from ..spread import spread
    from ..distributions._gaussian import Delta
    from ..divergences import spread_kl

    _check_kernel(kernel)
    mu_p, mu_q = float(mu_p), float(mu_q)
    ax = _ax(ax)
    value = float(spread_kl(Delta(mu_p), Delta(mu_q), kernel))
    # a window that shows both bumps: 4 kernel widths either side
    w = _width(kernel)
    y = np.linspace(min(mu_p, mu_q) - 4 * w, max(mu_p, mu_q) + 4 * w, 801)
    ax.plot(y, spread(Delta(mu_p), kernel).pdf(y), label=r"$\tilde p = K(y - \mu_p)$")
    ax.plot(y, spread(Delta(mu_q), kernel).pdf(y), label=r"$\tilde q = K(y - \mu_q)$")
    ax.axvline(mu_p, color="C0", ls=":", lw=1)
    ax.axvline(mu_q, color="C1", ls=":", lw=1)
    ax.set_xlabel("y (same units as x)")
    ax.set_ylabel("spread density (1 / unit of y)")
    ax.set_title(f"{kernel_label(kernel)}:  " + r"$\mathrm{KL}(\tilde p\,\|\,\tilde q)$" +
                 f" = {value:.3g}")
    ax.legend(loc="upper right")
    return ax, value


def _centre(kernel):
    """Centre of a 1-D kernel: its median (the centre of symmetry of a symmetric kernel),
    from the Distribution contract."""
    return float(np.asarray(kernel.location_hint).ravel()[0])


def _width(kernel):
    """The kernel's width parameter as labels name it: a Gaussian's standard deviation,
    otherwise the family's ``scale``."""
    from ..distributions._gaussian import Gaussian

    if isinstance(kernel, Gaussian):
        return float(np.sqrt(np.asarray(kernel.cov).ravel()[0]))
    return float(np.asarray(kernel.scale).ravel()[0])


@styled
def plot_divergence_curves(widths, curves, ax=None, xlabel="spread width σ (units of x)"):
    r"""Plot spread divergences against the kernel width on log-log axes, one line each.

    Parameters
    ----------
    widths : array-like of shape (n_widths,)
        Kernel widths, > 0.
    curves : dict of str to array-like of shape (n_widths,)
        The divergence values, keyed by the ``f`` of :func:`spreadlab.divergence`
        (``"kl"``, ``"tv"``, ...); the legend shows :data:`DIVERGENCE_NAMES`.
        Non-positive or infinite values are left out of the log plot.
    ax : matplotlib.axes.Axes, default=None
        Axes to draw on; a new 6.5-inch figure otherwise.
    xlabel : str, default="spread width σ (units of x)"
        Label of the horizontal axis, with its unit.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> w = np.array([0.5, 1.0, 2.0])
    >>> ax = plot_divergence_curves(w, {"kl": 1 / (2 * (1 + w**2)), "tv": [0.3, 0.2, 0.1]})
    >>> [t.get_text() for t in ax.get_legend().get_texts()]
    ['KL', 'total variation']
    >>> plt.close("all")
    """
    widths = np.asarray(widths, dtype=float)
    if widths.ndim != 1 or widths.size == 0 or not np.all(widths > 0):
        raise ValueError(f"widths must be a non-empty 1-D array of positive numbers; got {widths!r}")
    if not isinstance(curves, dict) or not curves:
        raise TypeError(f"curves must be a non-empty dict of name -> values; got {curves!r}")
    ax = _ax(ax)
    for key, values in curves.items():
        v = np.asarray(values, dtype=float)
        if v.shape != widths.shape:
            raise ValueError(f"curves[{key!r}] must have the shape of widths {widths.shape}; "
                             f"got {v.shape}")
        ok = np.isfinite(v) & (v > 0)
        ax.loglog(widths[ok], v[ok], marker=".", label=DIVERGENCE_NAMES.get(key, key))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(r"$D_f(p * K_\sigma \,\|\, q * K_\sigma)$ (nats for KL)")
    ax.legend()
    return ax


@styled
def plot_kernel_cfs(kernels, omega_max=12.0, ax=None):
    r"""Overlay the real characteristic functions :math:`\varphi_K(\omega)` of symmetric kernels.

    .. math:: \varphi_K(\omega) = E_K\bigl[e^{i\omega x}\bigr]

    The phase of each kernel's centre is removed, so a symmetric kernel gives a real curve.

    Parameters
    ----------
    kernels : dict of str to Distribution
        Labelled one-dimensional kernels, each symmetric about its centre.
    omega_max : float, default=12.0
        Largest frequency drawn, > 0.
    ax : matplotlib.axes.Axes, default=None
        Axes to draw on; a new 6.5-inch figure otherwise.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from spreadlab import Laplace
    >>> ax = plot_kernel_cfs({"Laplace, b = 1": Laplace(0.0, 1.0)}, omega_max=3.0)
    >>> w, phi = ax.lines[0].get_data()
    >>> bool(np.allclose(phi, 1 / (1 + w**2)))  # the Laplace transform
    True
    >>> plt.close("all")
    """
    if not isinstance(kernels, dict) or not kernels:
        raise TypeError(f"kernels must be a non-empty dict of label -> kernel; got {kernels!r}")
    if not (isinstance(omega_max, numbers.Real) and omega_max > 0):
        raise ValueError(f"omega_max must be a positive number; got {omega_max!r}")
    for label, k in kernels.items():
        _check_kernel(k, f"kernels[{label!r}]")
    ax = _ax(ax)
    w = np.linspace(0.0, omega_max, 1500)
    for label, k in kernels.items():
        ax.plot(w, np.real(np.exp(-1j * w * _centre(k)) * k.cf(w)), label=label)
    ax.axhline(0.0, color="0.5", lw=0.8)
    ax.set_xlabel("frequency ω (radians per unit of x)")
    ax.set_ylabel(r"$\varphi_K(\omega)$")
    ax.legend(ncols=2)
    return ax


@styled
def shade_zero_band(ax, start, label=None):
    r"""Shade a band :math:`[\omega_0, \infty)` where a transform vanishes, up to the axis edge.

    A band found by a frequency scan ends where the scan ends; when the transform is known to
    vanish beyond (the Fejér kernel: :math:`\varphi_K(\omega) = \max(0, 1 - |\omega|/2)`),
    this draws and labels it as what it is, :math:`[\omega_0, \infty)`.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Axes holding the transform.
    start : float
        :math:`\omega_0`, the start of the band.
    label : str, default=None
        Legend entry; by default ``"φ_K ≡ 0 on [ω0, ∞)"`` with the number filled in.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> _ = ax.plot([0, 6], [1, 0])
    >>> ax = shade_zero_band(ax, 2.0)
    >>> ax.get_legend().get_texts()[-1].get_text()
    'φ_K ≡ 0 on [2, ∞)'
    >>> plt.close(fig)
    """
    if not (isinstance(start, numbers.Real) and np.isfinite(start)):
        raise ValueError(f"start must be a finite number; got {start!r}")
    left, right = ax.get_xlim()
    ax.axvspan(start, max(right, start), color="tab:red", alpha=0.15,
               label=label or f"φ_K ≡ 0 on [{start:g}, ∞)")
    ax.set_xlim(left, right)
    ax.legend()
    return ax
