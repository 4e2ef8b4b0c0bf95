r"""Spread L2 distance and maximum mean discrepancy: the MMD link.

For a stationary kernel K, the squared L2 distance between spread distributions is an
MMD with the positive-definite kernel :math:`k = K * \tilde K`,
:math:`\tilde K(x) = K(-x)`:

.. math::
    \|p * K - q * K\|_{L^2}^2
    = \frac{1}{(2\pi)^d}\int |\varphi_p - \varphi_q|^2 |\varphi_K|^2\, d\omega
    = E\,k(x, x') + E\,k(y, y') - 2 E\,k(x, y) = \mathrm{MMD}_k^2(p, q),

with :math:`x, x' \sim p`, :math:`y, y' \sim q` independent and
:math:`k(x, y) = (K * \tilde K)(x - y)`, whose transform is :math:`|\varphi_K|^2`.
"""

import warnings

import numpy as np

from ._constants import LOG_2PI
from ._validation import as_float_array, check_choice
from ._integration import GL_NODES, GL_WEIGHTS, QuadratureTruncationWarning
from .distributions._base import Distribution, check_distribution
from .distributions._gaussian import Delta, Gaussian
from .distributions._psd import PSD

__all__ = ["mmd2", "mmd2_gaussian", "spread_l2_distance", "QuadratureTruncationWarning"]


# ---------------------------------------------------------------------- k = K * K~
def _plan(kernel):
    """The kernel plan (k = K * K~ in closed form) shared with the two-sample test."""
    from ._kernel_hooks import kernel_plan

    return kernel_plan(kernel)


def _as_samples(x, name, dim):
    arr = as_float_array(x, name)
    if arr.ndim == 1 and dim == 1:
        arr = arr[:, None]
    if arr.ndim != 2 or arr.shape[1] != dim:
        raise ValueError(
            f"{name} must have shape (n_samples,) or (n_samples, {dim}) to match the kernel "
            f"dimension {dim}; got shape {np.shape(x)}"
        )
    if arr.shape[0] < 2:
        raise ValueError(f"{name} needs at least 2 samples for the unbiased estimator; got {arr.shape[0]}")
    return arr


def _gram(plan, a, b, block=256):
    """Sum of k(a_i - b_j) over all pairs, in row blocks to bound memory."""
    total = 0.0
    for start in range(0, a.shape[0], block):
        diff = a[start:start + block, None, :] - b[None, :, :]
        total += float(np.sum(plan.k(diff)))
    return total


def mmd2(x, y, kernel):
    r"""Unbiased estimate of the squared MMD with the spread kernel's autocorrelation.

    .. math::
        \widehat{\mathrm{MMD}}{}^2_u = \frac{1}{n(n-1)}\sum_{i\ne j} k(x_i, x_j)
        + \frac{1}{m(m-1)}\sum_{i\ne j} k(y_i, y_j) - \frac{2}{nm}\sum_{i,j} k(x_i, y_j),

    with :math:`k(x, y) = (K * \tilde K)(x - y)`, so that its expectation is
    :math:`\|p * K - q * K\|^2_{L^2}` (Gretton et al., JMLR 2012, Lemma 6). It can be
    negative when p = q.

    Parameters
    ----------
    x : array-like of shape (n_samples,) or (n_samples, d)
        Samples from p.
    y : array-like of shape (m_samples,) or (m_samples, d)
        Samples from q.
    kernel : Distribution
        The spread kernel K: a Gaussian (positive-definite covariance, any d), a
        one-dimensional Laplace, Cauchy, Logistic, HyperbolicSecant or Uniform kernel, or a
        ProductKernel of such factors (those whose :math:`K * \tilde K` is registered in
        closed form; the same set as :func:`spreadlab.two_sample_test`).

    Returns
    -------
    float

    References
    ----------
    .. [1] A. Gretton et al., "A kernel two-sample test", JMLR 13 (2012), eq. (3).
    .. [2] Zhang et al., "Spread Divergence", ICML 2020 (relation to MMD).

    Examples
    --------
    >>> import numpy as np
    >>> from spreadlab import Gaussian
    >>> from spreadlab import mmd2, mmd2_gaussian
    >>> rng = np.random.default_rng(0)
    >>> x, y = rng.normal(0, 1, 2000), rng.normal(1, 1, 2000)
    >>> exact = mmd2_gaussian(Gaussian(0.0, 1.0), Gaussian(1.0, 1.0), Gaussian(0.0, 1.0))
    >>> bool(abs(mmd2(x, y, Gaussian(0.0, 1.0)) - exact) < 0.01)
    True
    """
    if not isinstance(kernel, Distribution):
        check_distribution(kernel, "kernel")
    plan = _plan(kernel)
    d = kernel.dim
    xs, ys = _as_samples(x, "x", d), _as_samples(y, "y", d)
    n, m = xs.shape[0], ys.shape[0]
    k0 = plan.const  # k(0), on the diagonal
    sxx = (_gram(plan, xs, xs) - n * k0) / (n * (n - 1))
    syy = (_gram(plan, ys, ys) - m * k0) / (m * (m - 1))
    sxy = _gram(plan, xs, ys) / (n * m)
    return float(sxx + syy - 2.0 * sxy)


# ---------------------------------------------------------------------- closed forms
def _gauss_moments(dist, name):
    if isinstance(dist, Delta):
        return dist.loc, np.zeros((dist.dim, dist.dim))
    if isinstance(dist, Gaussian):
        return dist.mean, dist.cov
    raise TypeError(f"{name} must be a Delta or a Gaussian; got {type(dist).__name__}: {dist!r}")


def _log_normal_density_at(diff, cov):
    """log N(diff; 0, cov), or +inf when cov is singular (the one PSD rule of the package)."""
    psd = PSD(cov)
    if psd.rank < psd.dim:
        return np.inf
    z = psd.whiten(diff)
    return -0.5 * (float(z @ z) + psd.log_pdet + diff.size * LOG_2PI)


def mmd2_gaussian(p, q, kernel):
    r"""Closed-form squared MMD (= squared spread L2 distance) for Gaussians and deltas.

    With :math:`p = N(\mu_p, \Sigma_p)`, :math:`q = N(\mu_q, \Sigma_q)` (a Delta has
    :math:`\Sigma = 0`) and Gaussian spread :math:`K = N(\cdot, \Sigma_K)`, so that
    :math:`k = K * \tilde K = N(0, 2\Sigma_K)`:

    .. math::
        \mathrm{MMD}^2 = N(0; 0, 2\Sigma_p + 2\Sigma_K) + N(0; 0, 2\Sigma_q + 2\Sigma_K)
        - 2\, N(\mu_p - \mu_q; 0, \Sigma_p + \Sigma_q + 2\Sigma_K).

    The same expression is :math:`\int (\tilde p - \tilde q)^2`, since
    :math:`\int N(x; a, A) N(x; b, B) dx = N(a; b, A + B)`.

    Parameters
    ----------
    p, q : Delta or Gaussian
        Distributions on R^d (same d); singular covariances allowed.
    kernel : Gaussian
        Spread kernel; its mean is irrelevant.

    Returns
    -------
    float
        ``inf`` when a spread distribution has no square-integrable density (singular
        :math:`\Sigma + \Sigma_K`) and p differs from q; 0 when they coincide.

    Examples
    --------
    >>> import numpy as np
    >>> from spreadlab import Delta, Gaussian
    >>> from spreadlab import mmd2_gaussian
    >>> v = mmd2_gaussian(Delta(0.0), Delta(1.0), Gaussian(0.0, 0.5))
    >>> bool(np.isclose(v, 2 * (1 - np.exp(-0.5)) / np.sqrt(2 * np.pi), rtol=1e-13))
    True
    """
    mp, sp = _gauss_moments(check_distribution(p, "p"), "p")
    mq, sq = _gauss_moments(check_distribution(q, "q"), "q")
    if not isinstance(kernel, Gaussian):
        raise TypeError(f"kernel must be a Gaussian for the closed form; got {type(kernel).__name__}")
    if not (p.dim == q.dim == kernel.dim):
        raise ValueError(f"p, q and kernel must have the same dimension; got {p.dim}, {q.dim}, {kernel.dim}")
    sk = kernel.cov
    zero = np.zeros(p.dim)
    logs = [
        _log_normal_density_at(zero, 2 * sp + 2 * sk),
        _log_normal_density_at(zero, 2 * sq + 2 * sk),
        _log_normal_density_at(mp - mq, sp + sq + 2 * sk),
    ]
    if any(np.isinf(v) for v in logs):
        same = np.allclose(mp, mq, rtol=0, atol=0) and np.allclose(sp, sq, rtol=0, atol=0)
        return 0.0 if same else float(np.inf)
    a, b, c = np.exp(logs)
    return float(a + b - 2.0 * c)


def spread_l2_distance(p, q, kernel, *, method="auto"):
    r"""Squared L2 distance between spread densities, :math:`\|p*K - q*K\|^2_{L^2}`.

    Three routes:

    * ``'closed'`` (Delta/Gaussian p, q and Gaussian K, any d): :func:`mmd2_gaussian`;
      or two point masses and any kernel whose :math:`k = K * \tilde K` is known in closed
      form (the kernels of :func:`mmd2`, any d):
      :math:`2\,(k(0) - k(\mu_p - \mu_q))`.
    * ``'direct'`` (1-D, when both spread distributions have closed-form densities, e.g.
      point masses with any kernel): adaptive quadrature of
      :math:`\int (\tilde p - \tilde q)^2\,dy` with breakpoints at every location and
      support edge, so a compact kernel's jumps are integrated exactly.
    * ``'quadrature'`` (1-D; any p, q, K with a ``cf``): Plancherel,

      .. math:: \frac{1}{\pi}\int_0^\infty |\varphi_p(\omega) - \varphi_q(\omega)|^2
                |\varphi_K(\omega)|^2\, d\omega

      by 16-point Gauss-Legendre panels out to where :math:`4|\varphi_K|^2 < 10^{-17}`
      (the integrand is even, so half the line suffices). The value is translation
      invariant, so p and q are first shifted by the common offset ``-loc(p)``; the
      panels are then no longer than a quarter period of :math:`e^{i\omega\Delta\mu}`
      (:math:`\Delta\mu` the location difference) and half an inverse scale of p, q
      and K. When more than 20000 panels would be needed (a large :math:`|\Delta\mu|`
      relative to the scales, or a slowly decaying :math:`|\varphi_K|`, e.g. a uniform
      K), the range is cut at the panel budget, the tail is extrapolated from the last
      two octaves, and a :class:`QuadratureTruncationWarning` reports the numbers.

    Parameters
    ----------
    p, q : Distribution
        One-dimensional for ``'quadrature'``.
    kernel : Distribution
        The spread kernel K.
    method : {'auto', 'closed', 'direct', 'quadrature'}, default='auto'
        'auto' takes the closed form when it applies, then 'direct', then 'quadrature'.

    Returns
    -------
    float

    Examples
    --------
    >>> from spreadlab import Gaussian, Laplace
    >>> from spreadlab import spread_l2_distance
    >>> a = spread_l2_distance(Gaussian(0.0, 1.0), Gaussian(1.0, 2.0), Gaussian(0.0, 0.3))
    >>> b = spread_l2_distance(Gaussian(0.0, 1.0), Gaussian(1.0, 2.0), Gaussian(0.0, 0.3),
    ...                        method="quadrature")
    >>> bool(abs(a - b) < 1e-12)
    True
    >>> round(spread_l2_distance(Laplace(0.0, 1.0), Laplace(0.0, 1.0), Gaussian(0.0, 1.0)), 12)
    0.0
    """
    check_choice(method, "method", ("auto", "closed", "direct", "quadrature"))
    check_distribution(p, "p")
    check_distribution(q, "q")
    check_distribution(kernel, "kernel")
    closed_ok = (isinstance(p, (Delta, Gaussian)) and isinstance(q, (Delta, Gaussian))
                 and isinstance(kernel, Gaussian))
    deltas = _point_mass_plan(p, q, kernel) if method in ("auto", "closed") else None
    if method == "closed" or (method == "auto" and (closed_ok or deltas is not None)):
        if closed_ok:
            return mmd2_gaussian(p, q, kernel)
        if deltas is not None:
            return _point_masses_l2(p, q, deltas)
        raise ValueError(
            "method='closed' needs Delta/Gaussian p and q and a Gaussian kernel, or two "
            "point masses and a kernel whose K * K~ is known in closed form; got "
            f"{type(p).__name__}, {type(q).__name__}, {type(kernel).__name__}"
        )
    if not (p.dim == q.dim == kernel.dim == 1):
        raise ValueError(
            "method='quadrature' is one-dimensional only; got dimensions "
            f"p: {p.dim}, q: {q.dim}, kernel: {kernel.dim}"
        )
    for name, dist in (("p", p), ("q", q), ("kernel", kernel)):
        if dist.batch_shape != ():
            raise ValueError(f"{name} must have scalar parameters; got batch shape {dist.batch_shape}")
    if isinstance(kernel, Delta) or (isinstance(kernel, Gaussian) and kernel.is_singular):
        raise ValueError(f"kernel must have a density for the spread L2 distance; got {kernel!r}")
    if method in ("auto", "direct"):
        from .spread import Convolution, spread

        pt, qt = spread(p, kernel), spread(q, kernel)
        if not (isinstance(pt, Convolution) or isinstance(qt, Convolution)):
            return _direct_l2(pt, qt)
        if method == "direct":
            raise ValueError(
                "method='direct' needs closed-form spread densities (e.g. point masses, or "
                f"Gaussian/Cauchy pairs); {p!r} or {q!r} spread by {kernel!r} has none"
            )
    return _plancherel(p, q, kernel)


def _point_mass_plan(p, q, kernel):
    """The kernel plan when p, q are point masses on R^d and k = K * K~ is registered, else None."""
    if not (isinstance(p, Delta) and isinstance(q, Delta) and p.dim == q.dim == kernel.dim):
        return None
    try:
        return _plan(kernel)
    except (TypeError, ValueError):
        return None  # no closed form (or a singular Gaussian): the other routes decide


def _point_masses_l2(p, q, plan):
    """||delta_a * K - delta_b * K||^2 = 2 (k(0) - k(a - b)), exact for any d."""
    if p.batch_shape != () or q.batch_shape != ():
        raise ValueError(f"p and q must have scalar parameters; got {p!r} and {q!r}")
    diff = (np.atleast_1d(np.asarray(p.loc, dtype=float)) - np.atleast_1d(np.asarray(q.loc, dtype=float)))
    with np.errstate(over="ignore", invalid="ignore"):
        kappa = float(plan.kappa(plan.transform(diff[None, :]))[0])
    if not np.isfinite(kappa):  # a difference beyond float range: k(a - b) = 0
        kappa = 0.0
    return float(2.0 * plan.const * (1.0 - kappa))


def _direct_l2(pt, qt):
    """int (pt - qt)^2 dy by adaptive Gauss-Kronrod over all landmarks of both densities."""
    from ._integration import integrate_segments
    from ._integration import breakpoints

    value, _ = integrate_segments(lambda y: (pt.pdf(y) - qt.pdf(y)) ** 2, breakpoints(pt, qt), rtol=1e-12)
    return float(value)





def _spread_of(dist):
    """A length scale of a single 1-D law (0 for a point mass), from the contract's hint."""
    return float(np.asarray(dist.scale_hint))


def _location_of(dist):
    """A location of a single 1-D law, from the contract's hint."""
    return float(np.asarray(dist.location_hint))


def _plancherel(p, q, kernel, max_panels=20000):
    # ||p*K - q*K|| is translation invariant: move p to the origin and q next to it, so
    # the cf phases exp(i w loc) stay slow and the panels depend only on the difference
    offset = _location_of(p)
    if offset != 0.0 and np.isfinite(offset):
        p, q = p.shifted(-offset), q.shifted(-offset)
    delta = abs(_location_of(q) - _location_of(p))

    def integrand(w):
        w = np.asarray(w, dtype=float)
        dphi = np.asarray(p.cf(w)) - np.asarray(q.cf(w))
        return np.abs(dphi) ** 2 * np.abs(np.asarray(kernel.cf(w))) ** 2 / np.pi

    # upper limit: where 4 |phi_K|^2 (the integrand's largest possible value, times pi)
    # drops below 1e-17
    top = 1.0 / max(_spread_of(kernel), 1e-300)
    while abs(complex(np.asarray(kernel.cf(top)))) ** 2 * 4 > 1e-17 and top < 1e12:
        top *= 2.0
    # panels short enough for the oscillation exp(i w (mu_p - mu_q)) and for the widest
    # of the three transforms: a quarter period and half an inverse scale
    widest = max(_spread_of(p), _spread_of(q), _spread_of(kernel))
    h = min(np.pi / (2.0 * max(delta, 1e-300)), 0.5 / max(widest, 1e-300), top / 16)
    needed = int(min(np.ceil(top / h), np.iinfo(np.int64).max // 2))
    n_panels = min(needed, max_panels)
    edges = np.linspace(0.0, n_panels * h, n_panels + 1)
    c, half = 0.5 * (edges[1:] + edges[:-1]), 0.5 * h
    nodes = c[:, None] + half * GL_NODES
    parts = np.sum(half * GL_WEIGHTS * integrand(nodes), axis=1)
    total = float(np.sum(parts))
    if edges[-1] < top:
        # the panel budget ends before the integrand is negligible (a slowly decaying
        # |phi_K|, e.g. a compactly supported K, or |delta mu| large against the scales).
        # Extrapolate the running integral I(T), assuming I(inf) - I(T) ~ T^-alpha, from
        # I over [T/4, T/2] and [T/2, T], and say so.
        quarter = n_panels // 4
        d1 = float(np.sum(parts[quarter:2 * quarter]))
        d2 = float(np.sum(parts[2 * quarter:4 * quarter]))
        r = d2 / d1 if d1 > 0 else (0.0 if d2 == 0 else np.inf)
        decays = r < 1.0
        tail = d2 * r / (1.0 - r) if decays else 0.0
        total += tail
        # report the cut unless the integrand visibly decays and the extrapolated tail is
        # below 1e-10 of the total (a fast-decaying |phi_K| merely above the strict 1e-17
        # cut-off, e.g. a Laplace or Cauchy kernel, where the tail is ~1e-12)
        if not decays or tail > 1e-10 * total:
            warnings.warn(
                f"spread_l2_distance quadrature: {needed} panels of width {h:.3g} are needed to "
                f"reach omega = {top:.3g} (|delta mu| = {delta:.6g}, widest scale = {widest:.3g}), "
                f"but max_panels = {max_panels} stops at omega = {edges[-1]:.3g}; the integral up "
                f"to there is {total - tail:.6g}, the last octave contributes {d2:.3g} and the "
                f"extrapolated tail {tail:.3g}; the result {total:.6g} is not converged and may be "
                "far off (no error bound; the extrapolation assumes an algebraic tail)",
                QuadratureTruncationWarning,
                stacklevel=3,
            )
    return total
