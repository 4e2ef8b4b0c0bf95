r"""Numbers and figures behind the tutorial notebooks.

The notebooks in ``notebooks/`` only *call* these functions: the maths lives here, where
it is tested headlessly (``tests/test_tutorial.py``). Every plotting function takes an
optional matplotlib ``ax`` and returns the axes it drew on; widgets are thin wrappers
that import :mod:`ipywidgets` lazily and return ``None`` when it is not installed.

Conventions: a "width" ``sigma`` is the scale parameter of the spread kernel (the
standard deviation of a Gaussian kernel, ``b`` of a Laplace kernel, ``gamma`` of a
Cauchy kernel); randomness comes from a ``numpy.random.Generator`` or a seed.
"""

import warnings

import numpy as np
from scipy import optimize

from .distributions import Cauchy, Delta, Gaussian, Laplace
from .divergences import spread_divergence, spread_kl
from .spread import spread

__all__ = [
    "saddle_generator",
    "linear_generator",
    "spread_density_mc",
    "linear_spread_density",
    "plot_manifold",
    "make_kernel",
    "two_delta_kl",
    "plot_two_deltas",
    "two_delta_widget",
    "divergence_against_spread",
    "plot_divergence_against_spread",
    "plot_kernel_cfs",
    "fit_scale_spread_mle",
    "fit_line_spread_mle",
    "em_mixing_update_zero_noise",
    "plot_ica_traces",
    "pca_start",
    "ica_noise_sweep",
    "ica_sample_sweep",
    "plot_ica_sweep",
]

_KERNELS = ("gaussian", "laplace", "cauchy")


def _rng(rng):
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


def _new_ax(ax, projection=None, figsize=(5.5, 3.5)):
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt  # lazy: importing spreadlab never loads pyplot

    fig = plt.figure(figsize=figsize)
    return fig.add_subplot(1, 1, 1, projection=projection)


# --------------------------------------------------------------------------------------
# Notebook 1: a deterministic generator and its spread density
# --------------------------------------------------------------------------------------


def saddle_generator(z):
    r"""A smooth nonlinear generator from R^2 to R^3: :math:`g(z) = (z_1, z_2, (z_1^2 - z_2^2)/2)`.

    Parameters
    ----------
    z : array-like of shape (..., 2)
        Latent points.

    Returns
    -------
    ndarray of shape (..., 3)
        Points on the saddle surface :math:`x_3 = (x_1^2 - x_2^2)/2`.

    Examples
    --------
    >>> saddle_generator([1.0, 0.0])
    array([1. , 0. , 0.5])
    """
    z = np.asarray(z, dtype=float)
    return np.stack([z[..., 0], z[..., 1], 0.5 * (z[..., 0] ** 2 - z[..., 1] ** 2)], axis=-1)


def linear_generator(W):
    r"""Return the linear generator :math:`g(z) = W z` as a function of ``z``.

    Parameters
    ----------
    W : array-like of shape (X, Z)
        Generator matrix; its column space is the data manifold (a plane for X=3, Z=2).

    Returns
    -------
    callable
        ``g(z)`` mapping an array of shape (..., Z) to shape (..., X).

    Examples
    --------
    >>> g = linear_generator([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    >>> g([2.0, 3.0])
    array([2., 3., 5.])
    """
    W = np.asarray(W, dtype=float)

    def g(z):
        return np.asarray(z, dtype=float) @ W.T

    return g


def spread_density_mc(y, generator, sigma, n_z=100_000, rng=None, latent_dim=2):
    r"""Monte Carlo estimate of the spread density of a deterministic generator.

    .. math:: \tilde p(y) = \int \mathcal N(y; g(z), \sigma^2 I)\, \mathcal N(z; 0, I)\, dz
              \approx \frac{1}{S}\sum_{s=1}^{S} \mathcal N(y; g(z_s), \sigma^2 I),
              \qquad z_s \sim \mathcal N(0, I).

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
    rng : None, int or numpy.random.Generator
    latent_dim : int, default=2

    Returns
    -------
    estimate, stderr : float
        The estimate and its Monte Carlo standard error.

    Examples
    --------
    >>> est, se = spread_density_mc([0.0, 0.0, 1.0], saddle_generator, 0.5, 20_000, rng=0)
    >>> bool(est > 0 and np.isfinite(est) and se < est)
    True
    """
    if not sigma > 0:
        raise ValueError(f"sigma must be > 0; got {sigma!r}")
    y = np.asarray(y, dtype=float)
    z = _rng(rng).standard_normal((int(n_z), int(latent_dim)))
    x = generator(z)
    d = y.size
    logw = -0.5 * np.sum((x - y) ** 2, axis=-1) / sigma**2 - 0.5 * d * np.log(2 * np.pi * sigma**2)
    top = logw.max()
    w = np.exp(logw - top)  # rescaled weights: no underflow far from the manifold
    scale = np.exp(top)
    return float(scale * w.mean()), float(scale * w.std(ddof=1) / np.sqrt(w.size))


def linear_spread_density(y, W, sigma):
    r"""Exact spread density of the linear generator :math:`x = W z`, :math:`z \sim N(0, I)`.

    The model is the singular Gaussian :math:`N(0, WW^\top)`; spreading with
    :math:`N(0, \sigma^2 I)` gives :math:`N(0, WW^\top + \sigma^2 I)`
    (via :func:`spreadlab.spread`).

    Parameters
    ----------
    y : array-like of shape (X,) or (n, X)
    W : array-like of shape (X, Z)
    sigma : float

    Returns
    -------
    float or ndarray

    Examples
    --------
    >>> W = [[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]
    >>> v = linear_spread_density([0.0, 0.0, 0.0], W, 1.0)
    >>> bool(np.isclose(v, (2 * np.pi) ** -1.5 / 2))
    True
    """
    W = np.asarray(W, dtype=float)
    X = W.shape[0]
    model = Gaussian(np.zeros(X), W @ W.T)
    return spread(model, Gaussian(np.zeros(X), sigma**2)).pdf(y)


def plot_manifold(generator, points=None, ax=None, lim=2.0, n=25):
    """Draw the surface ``g([-lim, lim]^2)`` in 3-D, with optional marked points.

    Parameters
    ----------
    generator : callable
        Maps (..., 2) latent points to (..., 3).
    points : dict of str to array-like of shape (3,), optional
        Labelled points to mark.
    ax : mpl_toolkits.mplot3d.Axes3D, optional
    lim : float, default=2.0
    n : int, default=25
        Grid resolution per latent axis.

    Returns
    -------
    mpl_toolkits.mplot3d.Axes3D
    """
    ax = _new_ax(ax, projection="3d", figsize=(6, 5))
    u = np.linspace(-lim, lim, n)
    Z1, Z2 = np.meshgrid(u, u)
    X = generator(np.stack([Z1, Z2], axis=-1))
    ax.plot_surface(X[..., 0], X[..., 1], X[..., 2], alpha=0.45, cmap="viridis", linewidth=0)
    for label, p in (points or {}).items():
        p = np.asarray(p, dtype=float)
        ax.scatter([p[0]], [p[1]], [p[2]], s=40, label=label, depthshade=False)
    if points:
        ax.legend(loc="upper left", fontsize=8)
    ax.locator_params(nbins=5)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_zlabel("$x_3$")
    return ax


# --------------------------------------------------------------------------------------
# Notebook 2: spreading two point masses
# --------------------------------------------------------------------------------------


def make_kernel(kind, sigma):
    """A one-dimensional spread kernel centred at 0 with scale ``sigma``.

    Parameters
    ----------
    kind : {"gaussian", "laplace", "cauchy"}
    sigma : float
        Standard deviation (Gaussian), scale ``b`` (Laplace) or scale ``gamma`` (Cauchy).

    Returns
    -------
    Distribution

    Examples
    --------
    >>> make_kernel("gaussian", 2.0)
    Gaussian(mean=0, cov=4)
    """
    if kind not in _KERNELS:
        raise ValueError(f"kind must be one of {_KERNELS}; got {kind!r}")
    if not sigma > 0:
        raise ValueError(f"sigma must be > 0; got {sigma!r}")
    if kind == "gaussian":
        return Gaussian(0.0, float(sigma) ** 2)
    if kind == "laplace":
        return Laplace(0.0, float(sigma))
    return Cauchy(0.0, float(sigma))


def two_delta_kl(mu_p, mu_q, sigma, kind="gaussian"):
    r"""Textbook closed form of :math:`KL(\tilde p\|\tilde q)` for two spread point masses.

    With :math:`d = |\mu_p - \mu_q|`:

    * Gaussian :math:`N(0, \sigma^2)`: :math:`d^2 / (2\sigma^2)`;
    * Laplace :math:`(b = \sigma)`: :math:`d/b + e^{-d/b} - 1`;
    * Cauchy :math:`(\gamma = \sigma)`: :math:`\log(1 + d^2 / (4\gamma^2))`.

    These are written out independently of :mod:`spreadlab.divergences`, as a check.

    Parameters
    ----------
    mu_p, mu_q : float
    sigma : float
    kind : {"gaussian", "laplace", "cauchy"}, default="gaussian"

    Returns
    -------
    float

    Examples
    --------
    >>> two_delta_kl(0.0, 1.3, 0.7)
    1.7244897959183678
    """
    make_kernel(kind, sigma)  # validation
    d = abs(float(mu_p) - float(mu_q))
    if kind == "gaussian":
        return d * d / (2.0 * sigma**2)
    if kind == "laplace":
        t = d / sigma
        return t + np.expm1(-t)
    return float(np.log1p(d * d / (4.0 * sigma**2)))


def plot_two_deltas(mu_p, mu_q, sigma, kind="gaussian", ax=None):
    """Draw the two spread densities and report the spread KL in the title.

    Parameters
    ----------
    mu_p, mu_q, sigma : float
    kind : {"gaussian", "laplace", "cauchy"}, default="gaussian"
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    ax : matplotlib.axes.Axes
    value : float
        ``spread_kl(Delta(mu_p), Delta(mu_q), kernel)``.
    """
    kernel = make_kernel(kind, sigma)
    ax = _new_ax(ax)
    value = float(spread_kl(Delta(mu_p), Delta(mu_q), kernel))
    lo = min(mu_p, mu_q) - 4 * sigma
    hi = max(mu_p, mu_q) + 4 * sigma
    y = np.linspace(lo, hi, 600)
    pt, qt = spread(Delta(mu_p), kernel), spread(Delta(mu_q), kernel)
    ax.plot(y, pt.pdf(y), label=r"$\tilde p$ (spread $\delta_{\mu_p}$)")
    ax.plot(y, qt.pdf(y), label=r"$\tilde q$ (spread $\delta_{\mu_q}$)")
    ax.axvline(mu_p, color="C0", ls=":")
    ax.axvline(mu_q, color="C1", ls=":")
    ax.set_xlabel("y")
    ax.set_ylabel("density")
    ax.set_title(f"{kind} spread, σ = {sigma:g}:  KL(p̃‖q̃) = {value:.4g}", fontsize=10)
    ax.legend(fontsize=8)
    return ax, value


def two_delta_widget(kind="gaussian"):
    """Sliders over mu_p, mu_q and sigma that redraw :func:`plot_two_deltas`.

    Parameters
    ----------
    kind : {"gaussian", "laplace", "cauchy"}, default="gaussian"
        Initial kernel family (a dropdown changes it).

    Returns
    -------
    ipywidgets.Widget or None
        ``None`` (with a warning) when ipywidgets is not installed.
    """
    try:
        import ipywidgets as widgets
    except ImportError:
        warnings.warn("ipywidgets is not installed: no slider (pip install ipywidgets)", stacklevel=2)
        return None
    import matplotlib.pyplot as plt

    def draw(mu_p=0.0, mu_q=1.0, sigma=0.5, kind=kind):
        ax, _ = plot_two_deltas(mu_p, mu_q, sigma, kind)
        plt.show()

    return widgets.interactive(
        draw,
        mu_p=widgets.FloatSlider(value=0.0, min=-3.0, max=3.0, step=0.1, description="μp"),
        mu_q=widgets.FloatSlider(value=1.0, min=-3.0, max=3.0, step=0.1, description="μq"),
        sigma=widgets.FloatLogSlider(value=0.5, base=10, min=-1.5, max=0.5, step=0.05, description="σ"),
        kind=widgets.Dropdown(options=list(_KERNELS), value=kind, description="kernel"),
    )


# --------------------------------------------------------------------------------------
# Notebook 3: the data-processing inequality
# --------------------------------------------------------------------------------------


def divergence_against_spread(p, q, widths, f="kl", kind="gaussian", method="exact"):
    r"""Spread divergence :math:`D_f(p * K_\sigma \| q * K_\sigma)` for each width sigma.

    Parameters
    ----------
    p, q : Distribution
        One-dimensional distributions (or ``Gaussian``/``Delta`` in any dimension for
        ``kind="gaussian"``, which then spreads with :math:`\sigma^2 I`).
    widths : array-like of float
        Kernel widths (see :func:`make_kernel`).
    f : str, default="kl"
        Any of :data:`spreadlab.F_DIVERGENCES` (``"renyi"`` excluded).
    kind : {"gaussian", "laplace", "cauchy"}, default="gaussian"
    method : {"exact", "quad", "mc"}, default="exact"

    Returns
    -------
    ndarray of shape (len(widths),)

    Examples
    --------
    >>> from spreadlab import Gaussian
    >>> v = divergence_against_spread(Gaussian(0.0, 1.0), Gaussian(1.0, 1.0), [0.5, 1.0])
    >>> bool(v[0] > v[1])
    True
    """
    out = []
    for s in np.asarray(widths, dtype=float):
        if kind == "gaussian" and p.dim > 1:
            kernel = Gaussian(np.zeros(p.dim), s * s)
        else:
            kernel = make_kernel(kind, s)
        out.append(float(spread_divergence(p, q, kernel, f, method)))
    return np.asarray(out)


def plot_divergence_against_spread(p, q, widths, fs=("kl", "tv", "hellinger", "chi2", "js"),
                                   kind="gaussian", method="exact", ax=None):
    """Plot each divergence in ``fs`` against the spread width (log axes).

    Parameters
    ----------
    p, q : Distribution
    widths : array-like of float
    fs : sequence of str
    kind : {"gaussian", "laplace", "cauchy"}, default="gaussian"
    method : {"exact", "quad", "mc"}, default="exact"
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    ax : matplotlib.axes.Axes
    values : dict of str to ndarray
        The curves, one per divergence.
    """
    ax = _new_ax(ax)
    values = {}
    for f in fs:
        values[f] = divergence_against_spread(p, q, widths, f, kind, method)
        ax.loglog(widths, values[f], marker=".", label=f)
    ax.set_xlabel("spread width σ")
    ax.set_ylabel("divergence between spread distributions")
    ax.legend(fontsize=8)
    return ax, values


# --------------------------------------------------------------------------------------
# Notebook 4: characteristic functions of kernels
# --------------------------------------------------------------------------------------


def plot_kernel_cfs(kernels, omega_max=12.0, ax=None):
    """Overlay the real characteristic functions of centred symmetric kernels.

    Parameters
    ----------
    kernels : dict of str to Distribution
        Labelled one-dimensional kernels (symmetric about their ``loc``).
    omega_max : float, default=12.0
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _new_ax(ax, figsize=(6.5, 4))
    w = np.linspace(0.0, omega_max, 1200)
    for label, k in kernels.items():
        # remove the phase of the centre so a symmetric kernel gives a real curve
        centre = float(np.asarray(getattr(k, "loc", 0.0)))
        if type(k).__name__ in ("Uniform", "Triangular"):
            centre = centre + 0.5 * float(np.asarray(k.scale))
        ax.plot(w, np.real(np.exp(-1j * w * centre) * k.cf(w)), label=label)
    ax.axhline(0.0, color="0.5", lw=0.8)
    ax.set_xlabel("ω")
    ax.set_ylabel(r"$\varphi_K(\omega)$")
    ax.legend(fontsize=8)
    return ax


# --------------------------------------------------------------------------------------
# Notebook 5: spread maximum likelihood
# --------------------------------------------------------------------------------------


def fit_scale_spread_mle(x, sigma, spread_model=True, n_draws=1, rng=None):
    r"""Fit :math:`x = a z`, :math:`z \sim N(0, 1)`, by maximising a spread likelihood.

    The spread data are :math:`y = x_n + \sigma\epsilon` (``n_draws`` draws per data point).
    With ``spread_model=True`` the model is spread too, :math:`\tilde p_a = N(0, a^2 +
    \sigma^2)`, and :math:`a^2` maximises :math:`\sum \log \tilde p_a(y)`; with
    ``spread_model=False`` the unspread model :math:`N(0, a^2)` is fitted to the spread
    data (the biased one-sided version). The maximisation is numerical (bounded Brent on
    :math:`\log a^2`), so the closed-form answers in the notebook are a check.

    Parameters
    ----------
    x : array-like of shape (n_samples,)
        Data.
    sigma : float
        Standard deviation of the Gaussian spread, >= 0.
    spread_model : bool, default=True
    n_draws : int, default=1
    rng : None, int or numpy.random.Generator

    Returns
    -------
    float
        The fitted :math:`a^2` (``0`` when the spread model explains all the spread
        data's variance by the noise).

    Examples
    --------
    >>> x = np.random.default_rng(0).normal(0.0, 2.0, 20_000)
    >>> round(fit_scale_spread_mle(x, 0.0), 1)
    4.0
    """
    x = np.asarray(x, dtype=float).ravel()
    y = (x[None, :] + sigma * _rng(rng).standard_normal((int(n_draws), x.size))).ravel()
    m2 = float(np.mean(y * y))
    noise = sigma**2 if spread_model else 0.0

    def neg_loglik(log_a2):
        v = np.exp(log_a2) + noise
        return 0.5 * (np.log(2 * np.pi * v) + m2 / v)

    res = optimize.minimize_scalar(neg_loglik, bounds=(np.log(m2) - 30.0, np.log(m2) + 5.0),
                                   method="bounded", options={"xatol": 1e-10})
    a2 = float(np.exp(res.x))
    return a2 if a2 > 1e-9 * m2 else 0.0


def fit_line_spread_mle(x, sigma, n_draws=1, rng=None, w0=None):
    r"""Fit the deterministic line :math:`x = w z` in :math:`R^2` by spread maximum likelihood.

    The model :math:`N(0, ww^\top)` is singular (all its mass lies on a line), so its
    likelihood is zero for almost every point; spread with :math:`N(0, \sigma^2 I)` it is
    :math:`N(0, ww^\top + \sigma^2 I)`, fitted here to spread data by L-BFGS on the
    average log density.

    Parameters
    ----------
    x : array-like of shape (n_samples, 2)
    sigma : float
        > 0.
    n_draws : int, default=1
    rng : None, int or numpy.random.Generator
    w0 : array-like of shape (2,), optional
        Starting point (default ``(1, 0)``).

    Returns
    -------
    ndarray of shape (2,)
        The fitted w (sign fixed so that its largest-magnitude entry is positive).
    """
    if not sigma > 0:
        raise ValueError(f"sigma must be > 0 (the model has no density without spread); got {sigma!r}")
    x = np.asarray(x, dtype=float)
    eps = _rng(rng).standard_normal((int(n_draws),) + x.shape)
    y = (x[None] + sigma * eps).reshape(-1, 2)
    S = y.T @ y / y.shape[0]

    def neg(w):
        C = np.outer(w, w) + sigma**2 * np.eye(2)
        sign, logdet = np.linalg.slogdet(C)
        return 0.5 * (logdet + np.trace(np.linalg.solve(C, S)))

    start = np.array([1.0, 0.0]) if w0 is None else np.asarray(w0, dtype=float)
    w = optimize.minimize(neg, start, method="L-BFGS-B", options={"gtol": 1e-12, "ftol": 1e-15}).x
    return w if w[np.argmax(np.abs(w))] > 0 else -w


# --------------------------------------------------------------------------------------
# Notebook 6: why EM freezes without noise
# --------------------------------------------------------------------------------------


def em_mixing_update_zero_noise(A, X):
    r"""One classical EM update of the mixing matrix for noiseless ICA (:math:`\gamma = 0`).

    As :math:`\gamma \to 0` the posterior of the sources given :math:`x` collapses to the
    point mass at :math:`A^{+}x` (:math:`A^{-1}x` for square :math:`A`), so with
    :math:`S = \frac1N\sum_n x_n x_n^\top`

    .. math:: \langle xz^\top\rangle = S A^{+\top}, \qquad
              \langle zz^\top\rangle = A^{+} S A^{+\top}, \qquad
              A_{\text{new}} = S A^{+\top}\bigl(A^{+} S A^{+\top}\bigr)^{-1}.

    For square invertible :math:`A` this is :math:`S A^{-\top} A^\top S^{-1} A = A`: EM
    does not move. The same holds for tall :math:`A` whose columns span the data
    subspace (as after a PCA initialisation).

    Parameters
    ----------
    A : array-like of shape (n_features, n_components)
        Current mixing matrix, full column rank.
    X : array-like of shape (n_samples, n_features)
        Noise-free data (centred).

    Returns
    -------
    ndarray of shape (n_features, n_components)
        The updated mixing matrix.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.laplace(size=(500, 3)) @ rng.normal(size=(3, 3)).T
    >>> A = rng.normal(size=(3, 3))
    >>> bool(np.allclose(em_mixing_update_zero_noise(A, X), A))
    True
    """
    A = np.asarray(A, dtype=float)
    X = np.asarray(X, dtype=float)
    Z = X @ np.linalg.pinv(A).T  # the posterior point for each x
    xz = X.T @ Z / X.shape[0]
    zz = Z.T @ Z / X.shape[0]
    return np.linalg.solve(zz.T, xz.T).T


def plot_ica_traces(traces, ax=None, xlabel="EM iteration", ylabel="Amari distance"):
    """Plot error curves on a logarithmic y axis.

    Parameters
    ----------
    traces : dict of str to array-like or (array-like, array-like)
        Labelled curves: the values (plotted against 1, 2, ...), or an ``(x, y)`` pair.
    ax : matplotlib.axes.Axes, optional
    xlabel : str, default="EM iteration"
    ylabel : str, default="Amari distance"

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _new_ax(ax)
    for label, t in traces.items():
        if isinstance(t, tuple) and len(t) == 2:
            x, y = (np.asarray(v, dtype=float) for v in t)
        else:
            y = np.asarray(t, dtype=float)
            x = np.arange(1, y.size + 1)
        ax.semilogy(x, y, label=label)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=8)
    return ax


def pca_start(X, n_components, rng=None):
    r"""A starting mixing matrix spanning the data's principal subspace, randomly rotated.

    :math:`A_0 = U_Z \Lambda_Z^{1/2} R`, with the top-:math:`Z` eigenpairs of the data
    covariance and a random orthogonal :math:`R`: it reproduces the data covariance exactly,
    so only the rotation is left to learn (second-order statistics cannot find it).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    n_components : int
    rng : None, int or numpy.random.Generator

    Returns
    -------
    ndarray of shape (n_features, n_components)

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.laplace(size=(1000, 2)) @ rng.normal(size=(4, 2)).T
    >>> A0 = pca_start(X, 2, rng=0)
    >>> A0.shape, bool(np.allclose(A0 @ A0.T, np.cov(X.T, bias=True)))
    ((4, 2), True)
    """
    X = np.asarray(X, dtype=float)
    Xc = X - X.mean(axis=0)
    lam, U = np.linalg.eigh(Xc.T @ Xc / Xc.shape[0])
    lam, U = lam[::-1][:n_components], U[:, ::-1][:, :n_components]
    Q, R = np.linalg.qr(_rng(rng).standard_normal((n_components, n_components)))
    Q = Q * np.sign(np.diag(R))  # Haar-distributed rotation
    return (U * np.sqrt(np.maximum(lam, 0.0))) @ Q


def _fastica_class(fastica):
    if not fastica:
        return None
    try:
        from sklearn.decomposition import FastICA
    except ImportError:
        return None
    return FastICA


def _fit_three(X, A, n_sources, gamma, max_iter, seed, FastICA, extra):
    """Classical EM, spread EM (same start and budget) and optionally FastICA: result rows."""
    from .ica import ConvergenceWarning, SpreadICA, amari_distance, mixing_error

    start = pca_start(X, n_sources, rng=seed)
    fits = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # classical EM runs out of budget
        fits["standard EM"] = SpreadICA(n_sources, spread=0.0, noise=gamma, init=start,
                                        max_iter=max_iter, random_state=seed).fit(X)
        fits["spread EM"] = SpreadICA(n_sources, noise=gamma, init=start, max_iter=max_iter,
                                      random_state=seed).fit(X)
    rows = []
    for name, est in fits.items():
        rows.append(dict(extra, method=name, mixing_error=mixing_error(est.mixing_, A),
                         amari=amari_distance(est.mixing_, A), n_estep=est.n_estep_))
    if FastICA is not None:
        f = FastICA(n_sources, whiten="unit-variance", random_state=seed).fit(X)
        rows.append(dict(extra, method="FastICA", mixing_error=mixing_error(f.mixing_, A),
                         amari=amari_distance(f.mixing_, A), n_estep=None))
    return rows


def ica_noise_sweep(gammas, n_samples=2000, n_features=6, n_sources=3, max_iter=40,
                    random_state=0, fastica=True):
    r"""A small-scale Fig. 1a of the spread-divergence paper: error in A against noise.

    For each model/data noise level :math:`\gamma`, data :math:`x = As + \gamma\epsilon`
    (:func:`spreadlab.ica.make_ica_data`, :math:`A_{ij} = \pm 1`, Laplace sources) are fitted
    by classical EM (``SpreadICA(spread=0, noise=gamma)``), by spread EM
    (``SpreadICA(noise=gamma)`` with its defaults) and, if scikit-learn is importable and
    ``fastica`` is true, by FastICA. Both EMs start from the same :func:`pca_start` matrix
    and get the same iteration budget.

    Parameters
    ----------
    gammas : sequence of float
    n_samples, n_features, n_sources : int
    max_iter : int, default=40
        Iteration budget of each EM (SQUAREM cycles).
    random_state : int, default=0
        The i-th noise level uses seed ``random_state + i``.
    fastica : bool, default=True

    Returns
    -------
    list of dict
        One row per (gamma, method): ``gamma``, ``method``, ``mixing_error`` (the paper's
        mean relative error after matching permutation, sign and scale), ``amari``,
        ``n_estep`` (None for FastICA).
    """
    from .ica import make_ica_data

    FastICA = _fastica_class(fastica)
    rows = []
    for i, g in enumerate(gammas):
        seed = random_state + i
        X, A, _ = make_ica_data(n_samples, n_features, n_sources, noise=g, random_state=seed)
        rows += _fit_three(X, A, n_sources, g, max_iter, seed, FastICA, {"gamma": float(g)})
    return rows


def ica_sample_sweep(sample_sizes, gamma=0.2, n_features=6, n_sources=3, max_iter=40,
                     random_state=0, fastica=True):
    r"""A small-scale Fig. 1b of the spread-divergence paper: error in A against N.

    As :func:`ica_noise_sweep`, at a fixed noise level :math:`\gamma` and for several
    numbers of samples.

    Parameters
    ----------
    sample_sizes : sequence of int
    gamma : float, default=0.2
    n_features, n_sources, max_iter, random_state, fastica
        As in :func:`ica_noise_sweep`.

    Returns
    -------
    list of dict
        Rows with ``n_samples`` instead of ``gamma``.
    """
    from .ica import make_ica_data

    FastICA = _fastica_class(fastica)
    rows = []
    for i, n in enumerate(sample_sizes):
        seed = random_state + i
        X, A, _ = make_ica_data(int(n), n_features, n_sources, noise=gamma, random_state=seed)
        rows += _fit_three(X, A, n_sources, gamma, max_iter, seed, FastICA, {"n_samples": int(n)})
    return rows


def plot_ica_sweep(rows, x="gamma", key="mixing_error", ax=None):
    """Plot the rows of :func:`ica_noise_sweep` or :func:`ica_sample_sweep`, one line per method.

    Parameters
    ----------
    rows : list of dict
    x : {"gamma", "n_samples"}, default="gamma"
    key : {"mixing_error", "amari"}, default="mixing_error"
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _new_ax(ax)
    for method in dict.fromkeys(r["method"] for r in rows):
        sel = [r for r in rows if r["method"] == method]
        ax.loglog([r[x] for r in sel], [r[key] for r in sel], "o-", label=method)
    ax.set_xlabel(r"model/data noise $\gamma$" if x == "gamma" else "number of samples N")
    ax.set_ylabel("error in A" if key == "mixing_error" else "Amari distance")
    ax.legend(fontsize=8)
    return ax
