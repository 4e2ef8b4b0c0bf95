r"""The worked examples of the tutorial notebooks 01-08: small generators, Monte Carlo spread
densities and the spread maximum-likelihood fits the lectures call.

They used to live beside the notebooks (``notebooks/_helpers.py``, now a shim re-exporting this
module) so a student edition copied elsewhere failed on ``from _helpers import ...``; inside the
package every notebook needs only ``spreadlab``. The exercise checker is :mod:`spreadlab.exercises`.

What is here:

* the examples' generators and estimators (the saddle surface, Monte Carlo spread densities
  computed in log space, the spread maximum-likelihood fits of notebook 5);
* :func:`two_delta_kl`, the textbook closed forms of notebook 2, written independently of
  spreadlab's registry so that the two can check each other;
* :func:`kernel_with_iqr`, kernels of ten families compared at one interquartile range.

Conventions: a "width" ``sigma`` is the scale parameter of the spread kernel (the standard
deviation of a Gaussian kernel, ``b`` of a Laplace kernel, ``gamma`` of a Cauchy kernel);
note that :class:`spreadlab.Gaussian` itself takes a *variance* (``Gaussian(0, sigma**2)``),
the one-dimensional families a scale, and ``Uniform(loc, width)`` follows scipy (the interval
``[loc, loc + width]``). Randomness comes from a ``numpy.random.Generator`` or an integer seed.

References
----------
M. Zhang, P. Hayes, T. Bird, R. Habib, D. Barber, "Spread Divergence", ICML 2020,
https://arxiv.org/abs/1811.08968 . D. Barber, "Training models that have zero likelihood"
(blog post, Dec 21, 2019), https://aiucl.github.io/spread-divergence/ .
"""
import numbers
import warnings

import numpy as np
from scipy import optimize

from scipy import stats

from ._validation import as_count, as_float_array, check_rng
from .distributions._gaussian import Gaussian
from .distributions._univariate import (
    Cauchy, Epanechnikov, Fejer, HyperbolicSecant, Laplace, Logistic, StudentT, Triangular, Uniform,
)
from .divergences import spread_divergence
from .spread import spread

KERNELS = ("gaussian", "laplace", "cauchy")


def _rng(rng):
    return check_rng(rng, "rng")   # the package's rule: None, an int seed or a Generator


def _positive(value, name):
    if not (isinstance(value, numbers.Real) and np.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a positive number; got {value!r}")
    return float(value)


def _count(value, name):
    # the package's counts, within its memory budget (a draw here holds a few float64 rows)
    return as_count(value, name, 1, item_bytes=64)


# ------------------------------------------------------------------------------------------
# Notebook 1: a deterministic generator and its spread density
# ------------------------------------------------------------------------------------------
def saddle_generator(z):
    r"""The smooth generator :math:`g(z) = (z_1, z_2, (z_1^2 - z_2^2)/2)` from R^2 to R^3.

    Parameters
    ----------
    z : array-like of shape (..., 2)
        Latent points.

    Returns
    -------
    ndarray of shape (..., 3)
        Points on the saddle surface :math:`x_3 = (x_1^2 - x_2^2)/2`.
    """
    z = np.asarray(z, dtype=float)
    if z.shape[-1:] != (2,):
        raise ValueError(f"z must have shape (..., 2); got {z.shape}")
    return np.stack([z[..., 0], z[..., 1], 0.5 * (z[..., 0] ** 2 - z[..., 1] ** 2)], axis=-1)


def linear_generator(W):
    r"""Return the linear generator :math:`g(z) = W z` as a function of ``z``.

    Parameters
    ----------
    W : array-like of shape (X, Z)
        Generator matrix; its column space is the data manifold.

    Returns
    -------
    callable
        ``g(z)`` mapping an array of shape (..., Z) to shape (..., X).
    """
    W = np.asarray(W, dtype=float)
    if W.ndim != 2:
        raise ValueError(f"W must be a matrix of shape (X, Z); got shape {W.shape}")

    def g(z):
        return np.asarray(z, dtype=float) @ W.T

    return g


def spread_log_density_mc(y, generator, sigma, n_z=100_000, rng=None, latent_dim=2):
    r"""Monte Carlo estimate of :math:`\log\tilde p(y)` for a deterministic generator, in log space.

    .. math:: \tilde p(y) = \int \mathcal N(y; g(z), \sigma^2 I)\,\mathcal N(z; 0, I)\,dz
              \approx \frac1S\sum_{s=1}^S w_s, \qquad
              \log w_s = -\frac{\|y - g(z_s)\|^2}{2\sigma^2} - \frac X2\log(2\pi\sigma^2),
              \quad z_s \sim \mathcal N(0, I).

    The mean is taken as :math:`\log\frac1S\sum_s w_s = m + \log\frac1S\sum_s e^{\log w_s - m}`
    with :math:`m = \max_s \log w_s` (log-sum-exp), so a point far from the manifold, whose
    weights all underflow as floating-point numbers, still gets a finite log-density.

    Parameters
    ----------
    y : array-like of shape (X,)
        The point at which to evaluate the density.
    generator : callable
        ``g`` mapping latent points of shape (S, Z) to shape (S, X).
    sigma : float
        Standard deviation of the Gaussian spread, > 0.
    n_z : int, default=100_000
        Number of latent draws S.
    rng : None, int or numpy.random.Generator, default=None
        Source of the latent draws.
    latent_dim : int, default=2
        Z.

    Returns
    -------
    log_estimate : float
        :math:`\log\hat p(y)`.
    stderr : float
        Its standard error by the delta method, :math:`\mathrm{se}(\hat p)/\hat p`
        (the relative standard error of the density estimate).
    """
    sigma = _positive(sigma, "sigma")
    n_z = _count(n_z, "n_z")
    y = np.asarray(y, dtype=float)
    z = _rng(rng).standard_normal((n_z, _count(latent_dim, "latent_dim")))
    x = np.asarray(generator(z), dtype=float)
    logw = (-0.5 * np.sum((x - y) ** 2, axis=-1) / sigma**2
            - 0.5 * y.size * np.log(2 * np.pi * sigma**2))
    top = logw.max()
    w = np.exp(logw - top)  # in (0, 1], the largest is 1: nothing underflows that matters
    mean = w.mean()
    rel_se = w.std(ddof=1) / np.sqrt(w.size) / mean if w.size > 1 else np.inf
    return float(top + np.log(mean)), float(rel_se)


def spread_density_mc(y, generator, sigma, n_z=100_000, rng=None, latent_dim=2):
    r"""Monte Carlo estimate of the spread density :math:`\tilde p(y)` and its standard error.

    The density is :math:`\exp` of :func:`spread_log_density_mc`; far from the manifold
    (:math:`\tilde p(y) < 10^{-308}`) it is too small for a float and the answer is
    ``(0.0, 0.0)``: use :func:`spread_log_density_mc` there.

    Parameters
    ----------
    y, generator, sigma, n_z, rng, latent_dim
        As in :func:`spread_log_density_mc`.

    Returns
    -------
    estimate, stderr : float
    """
    log_est, rel_se = spread_log_density_mc(y, generator, sigma, n_z, rng, latent_dim)
    est = float(np.exp(log_est))
    return est, est * rel_se


def linear_spread_logpdf(y, W, sigma):
    r"""Exact :math:`\log\tilde p(y)` for the linear generator :math:`x = Wz`, :math:`z \sim N(0, I)`.

    The model is the singular Gaussian :math:`N(0, WW^\top)`; spreading with
    :math:`N(0, \sigma^2 I)` gives :math:`N(0, WW^\top + \sigma^2 I)` (:func:`spreadlab.spread`).

    Parameters
    ----------
    y : array-like of shape (X,) or (n, X)
    W : array-like of shape (X, Z)
    sigma : float
        > 0.

    Returns
    -------
    float or ndarray
    """
    W = np.asarray(W, dtype=float)
    sigma = _positive(sigma, "sigma")
    model = Gaussian(np.zeros(W.shape[0]), W @ W.T)
    return spread(model, Gaussian(np.zeros(W.shape[0]), sigma**2)).logpdf(y)


def linear_spread_density(y, W, sigma):
    r"""Exact spread density :math:`\tilde p(y)`: ``exp`` of :func:`linear_spread_logpdf`."""
    return np.exp(linear_spread_logpdf(y, W, sigma))


def distance_to_column_space(y, W):
    r"""Euclidean distance from ``y`` to the column space of ``W`` (least squares residual).

    Parameters
    ----------
    y : array-like of shape (X,)
    W : array-like of shape (X, Z)

    Returns
    -------
    float
    """
    W = np.asarray(W, dtype=float)
    y = np.asarray(y, dtype=float)
    coef = np.linalg.lstsq(W, y, rcond=None)[0]
    return float(np.linalg.norm(y - W @ coef))


# ------------------------------------------------------------------------------------------
# Notebook 2: spreading two point masses
# ------------------------------------------------------------------------------------------
def make_kernel(kind, sigma):
    """A one-dimensional spread kernel centred at 0 with width ``sigma``.

    Parameters
    ----------
    kind : {"gaussian", "laplace", "cauchy"}
    sigma : float
        Standard deviation (Gaussian), scale ``b`` (Laplace) or scale ``gamma`` (Cauchy), > 0.

    Returns
    -------
    Distribution
    """
    if kind not in KERNELS:
        raise ValueError(f"kind must be one of {KERNELS}; got {kind!r}")
    sigma = _positive(sigma, "sigma")
    if kind == "gaussian":
        return Gaussian(0.0, sigma**2)
    if kind == "laplace":
        return Laplace(0.0, sigma)
    return Cauchy(0.0, sigma)


def two_delta_kl(mu_p, mu_q, sigma, kind="gaussian"):
    r"""Textbook closed form of :math:`\mathrm{KL}(\tilde p\|\tilde q)` for two spread point masses.

    With :math:`d = |\mu_p - \mu_q|`:

    .. math:: \text{Gaussian } N(0,\sigma^2):\ \frac{d^2}{2\sigma^2}; \qquad
              \text{Laplace } (b=\sigma):\ \frac db + e^{-d/b} - 1; \qquad
              \text{Cauchy } (\gamma=\sigma):\ \log\Bigl(1 + \frac{d^2}{4\gamma^2}\Bigr).

    Written out independently of :mod:`spreadlab.divergences`, as a check on it.

    Parameters
    ----------
    mu_p, mu_q : float
    sigma : float
        Kernel width, > 0.
    kind : {"gaussian", "laplace", "cauchy"}, default="gaussian"

    Returns
    -------
    float
    """
    make_kernel(kind, sigma)  # validation
    d = abs(float(as_float_array(mu_p, "mu_p")) - float(as_float_array(mu_q, "mu_q")))
    if kind == "gaussian":
        return d * d / (2.0 * sigma**2)
    if kind == "laplace":
        t = d / sigma
        return float(t + np.expm1(-t))
    return float(np.log1p(d * d / (4.0 * sigma**2)))


def two_delta_widget(kind="gaussian"):
    """Sliders over mu_p, mu_q and sigma that redraw the two spread point masses.

    Needs a live Jupyter kernel; the notebooks draw the same figure statically next to it,
    which is what the documentation shows.

    Parameters
    ----------
    kind : {"gaussian", "laplace", "cauchy"}, default="gaussian"
        Initial kernel family (a dropdown changes it).

    Returns
    -------
    ipywidgets.Widget or None
        ``None`` (with a warning) when ipywidgets is not installed.
    """
    if kind not in KERNELS:
        raise ValueError(f"kind must be one of {KERNELS}; got {kind!r}")
    try:
        import ipywidgets as widgets
    except ImportError:
        warnings.warn("ipywidgets is not installed: no slider (pip install ipywidgets)", stacklevel=2)
        return None
    import matplotlib.pyplot as plt

    from .plotting._tutorial import plot_spread_point_masses

    def draw(mu_p=0.0, mu_q=1.0, sigma=0.5, kind=kind):
        plot_spread_point_masses(mu_p, mu_q, make_kernel(kind, sigma))
        plt.show()

    return widgets.interactive(
        draw,
        mu_p=widgets.FloatSlider(value=0.0, min=-3.0, max=3.0, step=0.1, description="μp"),
        mu_q=widgets.FloatSlider(value=1.0, min=-3.0, max=3.0, step=0.1, description="μq"),
        sigma=widgets.FloatLogSlider(value=0.5, base=10, min=-1.5, max=0.5, step=0.05, description="σ"),
        kind=widgets.Dropdown(options=list(KERNELS), value=kind, description="kernel"),
    )


# ------------------------------------------------------------------------------------------
# Notebook 3: divergences against the spread width
# ------------------------------------------------------------------------------------------
def divergence_against_spread(p, q, widths, f="kl", kind="gaussian", method="exact"):
    r"""Spread divergence :math:`D_f(p * K_\sigma \| q * K_\sigma)` for each width sigma.

    Parameters
    ----------
    p, q : Distribution
        One-dimensional distributions, or ``Gaussian``/``Delta`` in any dimension with
        ``kind="gaussian"`` (spread with :math:`\sigma^2 I`).
    widths : array-like of float
        Kernel widths (see :func:`make_kernel`).
    f : str, default="kl"
        Any of :data:`spreadlab.F_DIVERGENCES` but ``"renyi"``.
    kind : {"gaussian", "laplace", "cauchy"}, default="gaussian"
    method : {"exact", "quad", "mc"}, default="exact"

    Returns
    -------
    ndarray of shape (len(widths),)
    """
    out = []
    for s in np.asarray(widths, dtype=float).ravel():
        if kind == "gaussian" and p.dim > 1:
            kernel = Gaussian(np.zeros(p.dim), _positive(float(s), "widths") ** 2)
        else:
            kernel = make_kernel(kind, float(s))
        out.append(float(spread_divergence(p, q, kernel, f, method)))
    return np.asarray(out)


# ------------------------------------------------------------------------------------------
# Notebook 4: kernels compared at the same scale
# ------------------------------------------------------------------------------------------
# centred members of each family, as a function of their scale parameter
_FAMILIES = {
    "Gaussian": lambda s: Gaussian(0.0, s * s),
    "Laplace": lambda s: Laplace(0.0, s),
    "Cauchy": lambda s: Cauchy(0.0, s),
    "Logistic": lambda s: Logistic(0.0, s),
    "Hyperbolic secant": lambda s: HyperbolicSecant(0.0, s),
    "Student-t, 3 d.o.f.": lambda s: StudentT(3.0, 0.0, s),
    "Uniform": lambda s: Uniform(-s / 2, s),
    "Triangular": lambda s: Triangular(-s / 2, s),
    "Epanechnikov": lambda s: Epanechnikov(0.0, s),
    "Fejér": lambda s: Fejer(0.0, s),
}
FAMILIES = tuple(_FAMILIES)
GAUSSIAN_IQR = float(2 * stats.norm.ppf(0.75))  # interquartile range of N(0, 1): 1.349


def _iqr(kernel):
    if isinstance(kernel, Gaussian):
        return GAUSSIAN_IQR * float(np.sqrt(np.asarray(kernel.cov).ravel()[0]))

    def quantile(level):
        lo, hi = -1.0, 1.0
        while float(kernel.cdf(lo)) > level:   # widen the bracket until it holds the quantile
            lo *= 2
        while float(kernel.cdf(hi)) < level:
            hi *= 2
        return optimize.brentq(lambda x: float(kernel.cdf(x)) - level, lo, hi, xtol=1e-13)

    return quantile(0.75) - quantile(0.25)


def kernel_with_iqr(family, iqr=GAUSSIAN_IQR):
    r"""The centred kernel of a family whose interquartile range is ``iqr``.

    Kernels are compared at a common scale by their interquartile range (the variance is
    infinite for Cauchy and Fejér); the default is that of :math:`\mathcal N(0, 1)`, 1.349.

    Parameters
    ----------
    family : str
        One of :data:`FAMILIES`.
    iqr : float, default=GAUSSIAN_IQR
        Interquartile range, > 0.

    Returns
    -------
    Distribution
    """
    if family not in _FAMILIES:
        raise ValueError(f"family must be one of {FAMILIES}; got {family!r}")
    iqr = _positive(iqr, "iqr")
    make = _FAMILIES[family]
    return make(iqr / _iqr(make(1.0)))


# ------------------------------------------------------------------------------------------
# Notebook 5: spread maximum likelihood
# ------------------------------------------------------------------------------------------
def fit_scale_spread_mle(x, sigma, spread_model=True, n_draws=1, rng=None):
    r"""Fit :math:`x = a z`, :math:`z \sim N(0, 1)`, by maximising a spread likelihood.

    The spread data are :math:`y = x_n + \sigma\epsilon` (``n_draws`` draws per data point).
    With ``spread_model=True`` the model is spread too, :math:`\tilde p_a = N(0, a^2 +
    \sigma^2)`; with ``False`` the unspread model :math:`N(0, a^2)` is fitted to the spread
    data (spreading only the data). The maximisation is numerical (bounded Brent on
    :math:`\log a^2`), so the closed forms in the notebook check it.

    Parameters
    ----------
    x : array-like of shape (n_samples,)
        Data.
    sigma : float
        Standard deviation of the Gaussian spread, >= 0.
    spread_model : bool, default=True
        Spread the model as well as the data.
    n_draws : int, default=1
        Noise draws per data point.
    rng : None, int or numpy.random.Generator, default=None
        Source of the spread noise.

    Returns
    -------
    float
        The fitted :math:`a^2` (``0`` when the noise explains all the spread data's variance).
    """
    if not (isinstance(sigma, numbers.Real) and np.isfinite(sigma) and sigma >= 0):
        raise ValueError(f"sigma must be a number >= 0; got {sigma!r}")
    x = np.asarray(x, dtype=float).ravel()
    n_draws = _count(n_draws, "n_draws")
    y = (x[None, :] + sigma * _rng(rng).standard_normal((n_draws, x.size))).ravel()
    m2 = float(np.mean(y * y))
    if not m2 > 0:
        raise ValueError("the spread data are all zero: with sigma = 0, x must not be all zero")
    noise = sigma**2 if spread_model else 0.0

    def neg_loglik(log_a2):
        v = np.exp(log_a2) + noise
        return 0.5 * (np.log(2 * np.pi * v) + m2 / v)

    res = optimize.minimize_scalar(neg_loglik, bounds=(np.log(m2) - 30.0, np.log(m2) + 5.0),
                                   method="bounded", options={"xatol": 1e-10})
    a2 = float(np.exp(res.x))
    return a2 if a2 > 1e-9 * m2 else 0.0


def fit_line_spread_mle(x, sigma, n_draws=1, rng=None, w0=None, sigma_model=None):
    r"""Fit the deterministic line :math:`x = w z` in :math:`R^2` by spread maximum likelihood.

    The model :math:`N(0, ww^\top)` is singular; spread with :math:`N(0, s^2 I)` it is
    :math:`N(0, ww^\top + s^2 I)`, fitted by L-BFGS to the data spread with
    :math:`N(0, \sigma^2 I)`. Normally :math:`s = \sigma` (``sigma_model=None``).

    Parameters
    ----------
    x : array-like of shape (n_samples, 2)
    sigma : float
        Spread of the data, > 0.
    n_draws : int, default=1
        Noise draws per data point.
    rng : None, int or numpy.random.Generator, default=None
    w0 : array-like of shape (2,), default=None
        Starting point; ``(1, 0)`` by default (any start not orthogonal to the line works:
        the objective's only other stationary point is ``w = 0``).
    sigma_model : float, default=None
        Spread :math:`s` assumed by the model; ``sigma`` by default.

    Returns
    -------
    ndarray of shape (2,)
        The fitted w (sign fixed so that its largest-magnitude entry is positive).
    """
    sigma = _positive(sigma, "sigma")
    s = sigma if sigma_model is None else _positive(sigma_model, "sigma_model")
    x = np.asarray(x, dtype=float)
    if x.ndim != 2 or x.shape[1] != 2:
        raise ValueError(f"x must have shape (n_samples, 2); got {x.shape}")
    eps = _rng(rng).standard_normal((_count(n_draws, "n_draws"),) + x.shape)
    y = (x[None] + sigma * eps).reshape(-1, 2)
    S = y.T @ y / y.shape[0]

    def neg(w):
        C = np.outer(w, w) + s**2 * np.eye(2)
        return 0.5 * (np.linalg.slogdet(C)[1] + np.trace(np.linalg.solve(C, S)))

    start = np.array([1.0, 0.0]) if w0 is None else np.asarray(w0, dtype=float)
    w = optimize.minimize(neg, start, method="L-BFGS-B", options={"gtol": 1e-12, "ftol": 1e-15}).x
    return w if w[np.argmax(np.abs(w))] > 0 else -w


def sd_of_scale_fit(a0_sq, sigma, n_samples, n_draws=1):
    r"""Standard deviation of the consistent estimator :math:`\hat a^2 = \overline{y^2} - \sigma^2`.

    With :math:`x_n = a_0 z_n` and :math:`y_{nj} = x_n + \sigma\epsilon_{nj}` (``n_draws``
    = :math:`m` draws per point, :math:`N` points),

    .. math:: \operatorname{Var}\bigl(\overline{y^2}\bigr) = \frac{2a_0^4}{N}
              + \frac{4a_0^2\sigma^2 + 2\sigma^4}{Nm},

    which for :math:`m = 1` is :math:`2(a_0^2 + \sigma^2)^2/N`.

    Parameters
    ----------
    a0_sq : float
        True :math:`a_0^2`, >= 0.
    sigma : float
        Spread, >= 0.
    n_samples : int
        N.
    n_draws : int, default=1
        m.

    Returns
    -------
    float
    """
    n, m = _count(n_samples, "n_samples"), _count(n_draws, "n_draws")
    var = 2 * a0_sq**2 / n + (4 * a0_sq * sigma**2 + 2 * sigma**4) / (n * m)
    return float(np.sqrt(var))


__all__ = [
    "KERNELS", "FAMILIES", "GAUSSIAN_IQR", "kernel_with_iqr", "saddle_generator", "linear_generator",
    "spread_log_density_mc", "spread_density_mc", "linear_spread_logpdf",
    "linear_spread_density", "distance_to_column_space", "make_kernel", "two_delta_kl",
    "two_delta_widget", "divergence_against_spread", "fit_scale_spread_mle",
    "fit_line_spread_mle", "sd_of_scale_fit",
]
