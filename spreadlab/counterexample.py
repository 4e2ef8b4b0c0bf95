r"""Two different distributions that a band-limited kernel spreads identically.

If the kernel's characteristic function vanishes on a band, spreading is not one-to-one:
:func:`band_limited_counterexample` builds the pair (cosine-modulated Fejér laws, see
:class:`~spreadlab.CosineModulated`) and measures, by quadrature independent of the
Fourier argument, that they differ while their spread versions agree.

References
----------
.. [1] M. Zhang, P. Hayes, T. Bird, R. Habib, D. Barber, "Spread Divergence",
   ICML 2020, section 3 (conditions on the spread kernel).
"""

from dataclasses import dataclass, field

import numpy as np

from ._integration import gauss_legendre_panels
from ._validation import as_budget, as_count, as_float_array
from .distributions._base import Distribution
from .distributions._composite import CosineModulated
from .distributions._gaussian import Gaussian
from .distributions._univariate import Fejer
from .fourier import _centre_scale, _numeric_density, fourier_check
from .mmd import spread_l2_distance

__all__ = ["Counterexample", "band_limited_counterexample"]

MAX_NODES = 8_000_000
"""Quadrature nodes one of :func:`band_limited_counterexample`'s integrals may use (they are
summed in blocks of half a million, so memory stays ~100 MB whatever the count). The count
grows like ``omega / (omega - band edge)``, so a modulation frequency just inside the zero
band is refused at once with a ValueError instead of running for minutes."""

MAX_EVALUATIONS = 60_000_000
"""Density evaluations one call of :func:`band_limited_counterexample` may spend (about 5 s on
a shared 2-core machine): the TV integral plus, for the kernel and the separating Gaussian, the convolution
nodes times ``n_grid + 1``. Above it the call is refused with a ValueError naming omega,
n_grid and this budget."""

_EDGE_RTOL = 1e-9  # omega this close (relative) to a band edge counts as on the edge


@dataclass(frozen=True, repr=False)
class Counterexample:
    """Result of :func:`band_limited_counterexample`.

    Attributes
    ----------
    kernel : str
        The band-limited kernel K.
    zero_band : (float, float)
        Band where its transform vanishes (from :func:`fourier_check`).
    p, q : CosineModulated
        The two different distributions.
    omega : float
        Modulation frequency.
    tv_distance : float
        Total variation distance between p and q, ``0.5 * int |p - q|`` (quadrature).
    max_spread_diff : float
        max over the grid ``y`` of ``|(p * K)(y) - (q * K)(y)|`` (quadrature of the
        convolution); 0 up to quadrature error.
    spread_l2 : float or None
        ||p * K - q * K||^2 by Plancherel quadrature (None for a callable K).
    separating_kernel : str
        A Gaussian spread used as the negative control.
    separating_max_diff, separating_l2 : float
        The same two numbers with the Gaussian spread: clearly positive.
    y, spread_diff, separating_diff : ndarray
        The grid and the spread-density differences on it.

    Examples
    --------
    >>> from spreadlab import Fejer
    >>> from spreadlab import band_limited_counterexample
    >>> ce = band_limited_counterexample(Fejer(0.0, 1.0), n_grid=5)
    >>> print(repr(ce).splitlines()[1])
      p = CosineModulated(Fejer(loc=0, scale=1), omega=6, sign=+1)
    """

    kernel: str
    zero_band: tuple
    p: object
    q: object
    omega: float
    tv_distance: float
    max_spread_diff: float
    spread_l2: object
    separating_kernel: str
    separating_max_diff: float
    separating_l2: float
    y: np.ndarray = field(default=None, compare=False)
    spread_diff: np.ndarray = field(default=None, compare=False)
    separating_diff: np.ndarray = field(default=None, compare=False)

    def __repr__(self):
        l2 = "n/a" if self.spread_l2 is None else f"{self.spread_l2:.3e}"
        return "\n".join([
            f"Counterexample for {self.kernel} (φ_K = 0 on [{self.zero_band[0]:.4g}, "
            + ("∞)" if np.isinf(self.zero_band[1]) else f"{self.zero_band[1]:.4g}]") + ")",
            f"  p = {self.p!r}",
            f"  q = {self.q!r}",
            f"  TV(p, q)                      : {self.tv_distance:.6f}",
            f"  max |p*K - q*K|               : {self.max_spread_diff:.3e}",
            f"  ||p*K - q*K||²                : {l2}",
            f"  with {self.separating_kernel}: max |p*G - q*G| = "
            f"{self.separating_max_diff:.3e}, ||p*G - q*G||² = {self.separating_l2:.3e}",
        ])


_REACH = 400.0  # the convolution integrates over base.loc +- _REACH base scales


def _difference_panels(base, omega, width):
    """Panel count of :func:`_spread_difference` (computed before anything is allocated)."""
    h = min(np.pi / (2.0 * abs(omega)), 0.5 * width)
    with np.errstate(over="ignore", divide="ignore"):
        n = np.ceil(2.0 * _REACH * float(base.scale) / h)
    return float(n), h


_BLOCK_PANELS = 32_768  # panels per block (half a million nodes): bounds the memory of a sum


def _panel_sum(lo, hi, n_panels, func):
    """sum over Gauss-Legendre nodes of ``n_panels`` equal panels on [lo, hi] of w * func(x),
    block by block so that memory stays bounded whatever the count; func may return an
    array of shape (..., n) and the sum is over the last axis."""
    total = 0.0
    for i0 in range(0, n_panels, _BLOCK_PANELS):
        i1 = min(i0 + _BLOCK_PANELS, n_panels)
        x, w = gauss_legendre_panels(lo + (hi - lo) * (i0 / n_panels),
                                     lo + (hi - lo) * (i1 / n_panels), i1 - i0)
        total = total + func(x) @ w
    return total


def _spread_difference(base, omega, kernel_pdf, width, y):
    """(p*K - q*K)(y) = int 2 K_F(x) cos(omega x) K(y - x) dx by Gauss-Legendre panels.

    Panels of length min(pi / (2 omega), width / 2) over base.loc +- 400 base scales;
    the integrand decays like |x|^-2 times the kernel's tail.
    """
    mu = float(base.loc)
    n, _ = _difference_panels(base, omega, width)
    span = _REACH * float(base.scale)

    def integrand(x):
        weight = 2.0 * base.pdf(x) * np.cos(omega * (x - mu))
        return np.stack([weight * kernel_pdf(yi - x) for yi in y])

    return np.asarray(_panel_sum(mu - span, mu + span, int(n), integrand), dtype=float)


def band_limited_counterexample(kernel=None, omega=None, *, separating_kernel=None, n_grid=101):
    r"""Two different distributions that a band-limited kernel spreads identically.

    If :math:`\varphi_K` vanishes for :math:`|\omega| \ge a`, take a Fejér density
    :math:`K_F` with band edge :math:`\beta` and

    .. math:: p(x) = K_F(x)(1 + \cos\omega x), \qquad q(x) = K_F(x)(1 - \cos\omega x),

    with :math:`\omega - \beta \ge a`. Both are normalised (:math:`\varphi_F(\omega) = 0`),
    :math:`\varphi_p - \varphi_q = \varphi_F(t - \omega) + \varphi_F(t + \omega)` lives
    where :math:`\varphi_K = 0`, so :math:`p * K = q * K` although
    :math:`\mathrm{TV}(p, q) \approx 2/\pi`. A Gaussian spread, whose transform is
    positive, separates them (the negative control).

    Numbers returned (all by quadrature, independent of the Fourier argument): TV
    distance by Gauss-Legendre panels between the zeros of the cosine (tail beyond 1000
    base scales from the Fejér cdf, times the mean 2/pi of ``|cos|``); spread densities'
    difference on a grid of ``n_grid`` points over +-10 base scales by Gauss-Legendre
    quadrature of the convolution; squared L2 distances by Plancherel
    (:func:`spread_l2_distance`).

    Parameters
    ----------
    kernel : Distribution or callable, default=Fejer(0, 1)
        A 1-D kernel that :func:`fourier_check` finds *not* injective.
    omega : float, optional
        Modulation frequency inside the zero band. Default: 3a for a band [a, inf),
        the band's midpoint otherwise.
    separating_kernel : Gaussian, optional
        Default ``Gaussian(0, 1 / (omega - beta)^2)``, whose transform is
        exp(-1/2) at the lower edge of the difference's spectrum.
    n_grid : int, default=101
        Points of the grid on which the spread densities are compared.

    Returns
    -------
    Counterexample

    Raises
    ------
    ValueError
        If ``kernel`` is injective (no counterexample exists), ``omega`` lies outside its
        zero band or on its edge (within 1e-9 relative), or the quadrature would exceed
        :data:`MAX_NODES` nodes or :data:`MAX_EVALUATIONS` density evaluations (the cost
        grows like ``omega / (omega - edge)`` times ``n_grid``: ``omega=2.001`` for
        ``Fejer(0, 1)`` is refused at once instead of taking 6.5 GB).

    Examples
    --------
    >>> from spreadlab import Fejer
    >>> from spreadlab import band_limited_counterexample
    >>> ce = band_limited_counterexample(Fejer(0.0, 1.0), n_grid=21)
    >>> round(ce.tv_distance, 2), bool(ce.max_spread_diff < 1e-8), bool(ce.separating_l2 > 1e-3)
    (0.64, True, True)
    """
    if kernel is None:
        kernel = Fejer(0.0, 1.0)
    n_grid = as_count(n_grid, "n_grid", minimum=3)
    fc = fourier_check(kernel)
    if fc.injective:
        raise ValueError(
            f"kernel {fc.kernel} is injective (φ_K has no zero band in [0, {fc.band[1]:.4g}]), so "
            "spreading is one-to-one and no counterexample exists"
        )
    a, b = fc.zero_bands[0]
    terminal = b >= fc.band[1] * (1 - 1e-9)
    if omega is None:
        if terminal:
            beta, omega = a, 3.0 * a
        else:
            omega, beta = 0.5 * (a + b), 0.45 * (b - a)
        room = omega - a
    else:
        omega_arr = as_float_array(omega, "omega")
        if omega_arr.ndim != 0:
            raise TypeError(f"omega must be a single number (a frequency in the zero band); got shape "
                            f"{omega_arr.shape}")
        omega = abs(float(omega_arr))
        room = omega - a if terminal else min(omega - a, b - omega)
        # the band edges are located to ~1e-14 relative: omega within 1e-9 of one is on it
        if room <= _EDGE_RTOL * omega:
            raise ValueError(
                f"omega must lie inside the kernel's zero band [{a:.6g}, "
                f"{'inf' if terminal else f'{b:.6g}'}]; got {omega!r}"
            )
        beta = min(0.95 * room, omega)
    if separating_kernel is None:
        # variance 1 / (omega - beta)^2: refuse where it would underflow (a Python float power
        # raised OverflowError for omega = 1e160)
        limit = 1.0 / np.sqrt(np.finfo(float).tiny)
        if not omega - beta <= limit:
            raise ValueError(
                f"omega is too large: the separating kernel's variance 1/(omega - beta)^2 would "
                f"underflow for omega - beta > {limit:.3g}; got omega={omega!r}"
            )
        separating_kernel = Gaussian(0.0, (1.0 / (omega - beta)) ** 2)
    elif not isinstance(separating_kernel, Gaussian) or separating_kernel.dim != 1:
        raise TypeError(f"separating_kernel must be a 1-D Gaussian; got {separating_kernel!r}")

    base = Fejer(0.0, 2.0 / beta)
    p, q = CosineModulated(base, omega, +1), CosineModulated(base, omega, -1)
    if isinstance(kernel, Distribution):
        kernel_pdf = kernel.pdf
        width = _centre_scale(kernel)[1]
    else:
        nd = _numeric_density(kernel, False)
        kernel_pdf, width = nd.func, nd.scale
    sigma = float(np.sqrt(separating_kernel.cov[0, 0]))

    # the cost, counted before anything is allocated: it grows like omega / (omega - edge)
    s_b = 2.0 / beta
    reach = 1000.0 * s_b
    tv_nodes = 16.0 * (2.0 * np.ceil(reach * omega / np.pi) + 1.0)
    conv_nodes = [16.0 * _difference_panels(base, omega, w)[0] for w in (width, sigma)]
    evaluations = tv_nodes + (n_grid + 1) * sum(conv_nodes)
    max_nodes = as_budget(MAX_NODES, "counterexample.MAX_NODES")
    max_evaluations = as_budget(MAX_EVALUATIONS, "counterexample.MAX_EVALUATIONS")
    if max(tv_nodes, *conv_nodes) > max_nodes or evaluations > max_evaluations:
        raise ValueError(
            f"omega={omega:.6g} lies {room:.3g} inside the zero band (edge {a:.6g}): the pair "
            f"would need a Fejér base of scale {s_b:.3g} and {evaluations:.3g} density "
            f"evaluations with n_grid={n_grid} (largest integral {max(tv_nodes, *conv_nodes):.3g} "
            f"nodes), above the budget of {max_evaluations:.3g} evaluations / {max_nodes:.3g} "
            "nodes (spreadlab.counterexample.MAX_EVALUATIONS, MAX_NODES); choose omega further "
            "inside the band, a smaller n_grid, or a wider separating_kernel"
        )

    # TV by quadrature between zeros of cos(omega x) (|cos| smooth there)
    k = int(np.ceil(reach * omega / np.pi))
    edge = (k + 0.5) * np.pi / omega
    inner = float(_panel_sum(-edge, edge, 2 * k + 1, lambda x: 2.0 * base.pdf(x) * np.abs(np.cos(omega * x))))
    tail_mass = float(1.0 - (base.cdf(edge) - base.cdf(-edge)))
    l1 = inner + 2.0 * (2.0 / np.pi) * tail_mass

    y = np.linspace(-10.0 * s_b, 10.0 * s_b, n_grid)
    diff_k = _spread_difference(base, omega, kernel_pdf, width, y)
    diff_g = _spread_difference(base, omega, separating_kernel.pdf, sigma, y)
    l2_k = spread_l2_distance(p, q, kernel, method="quadrature") if isinstance(kernel, Distribution) else None
    l2_g = spread_l2_distance(p, q, separating_kernel, method="quadrature")
    return Counterexample(
        kernel=fc.kernel, zero_band=(a, b), p=p, q=q, omega=omega, tv_distance=0.5 * l1,
        max_spread_diff=float(np.max(np.abs(diff_k))), spread_l2=l2_k,
        separating_kernel=repr(separating_kernel),
        separating_max_diff=float(np.max(np.abs(diff_g))), separating_l2=l2_g,
        y=y, spread_diff=diff_k, separating_diff=diff_g,
    )


