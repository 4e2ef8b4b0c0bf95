r"""The JAX spread-training layer: spread ELBO and importance-weighted spread likelihood of any
user generator.

A generator is a pair of plain JAX functions,

* ``decoder(params, z) -> x`` of shapes (batch, n_latent) -> (batch, *event_shape), the
  deterministic generator :math:`g_\theta`;
* ``encoder(params, y) -> (mean, log_std)``, each (batch, n_latent): the Gaussian
  :math:`q_\phi(z\mid y) = \mathcal N(\mu_\phi(y), \operatorname{diag} e^{2\log s_\phi(y)})`,

with ``params`` any pytree. The spread kernel :math:`K` and the prior are spreadlab
distributions turned into a :class:`JaxLaw` (a log density and a sampler written in
``jax.numpy``) by :func:`as_jax_law`, which first runs :func:`spreadlab.fourier_check` on the
kernel and refuses one that does not make spreading one-to-one (a band-limited Fejér kernel,
say) with the check's verdict as the reason.

Example: a user-written 3-layer MLP (another architecture than SpreadVAE's built-in one)
trained with a Laplace spread through ``SpreadVAE``:

>>> import warnings
>>> import jax, jax.numpy as jnp
>>> from spreadlab import Laplace, SpreadVAE, make_curve
>>> def mlp(layers, x):
...     for w, b in layers[:-1]:
...         x = jnp.tanh(x @ w + b)
...     w, b = layers[-1]
...     return x @ w + b
>>> def init(X, rng, sizes=((1, 16, 16, 2), (2, 16, 16, 2))):
...     key = jax.random.key(int(rng.integers(2**31)))
...     def layers(s, key):
...         ks = jax.random.split(key, len(s) - 1)
...         return [(jax.random.normal(k, (i, o)) / i**0.5, jnp.zeros(o))
...                 for k, i, o in zip(ks, s, s[1:])]
...     k1, k2 = jax.random.split(key)
...     return {"dec": layers(sizes[0], k1), "enc": layers(sizes[1], k2)}
>>> decoder = lambda p, z: mlp(p["dec"], z)
>>> def encoder(p, y):
...     h = mlp(p["enc"], y)
...     return h[:, :1], h[:, 1:] - 1.0          # mean, log std
>>> X, _ = make_curve(200, random_state=0)
>>> vae = SpreadVAE(1, kernel=Laplace(0.0, 0.1), decoder=decoder, encoder=encoder,
...                 init_params=init, max_iter=5, learning_rate=1e-2, random_state=0)
>>> with warnings.catch_warnings():
...     warnings.simplefilter("ignore")          # 5 epochs: not converged
...     vae = vae.fit(X)
>>> vae.sample(3, random_state=0)[0].shape
(3, 2)
>>> bool(vae.history_["eval_elbo"].max() > vae.history_["eval_elbo"][0])
True

JAX is imported when these functions are first called, never at ``import spreadlab``.
Double precision is a per-call choice: the estimator wraps its JAX work in
``jax.enable_x64(dtype == "float64")``; when calling these functions yourself, do the same
(or set ``jax.config.update("jax_enable_x64", True)`` once in your own program).
"""
import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from .._constants import LOG_2PI
from .._validation import as_count

__all__ = ["JaxLaw", "as_jax_law", "register_jax_law", "spread_elbo", "spread_log_likelihood",
           "mlp_decoder", "mlp_encoder"]



@dataclass(frozen=True)
class JaxLaw:
    """A law on :math:`\\mathbb R^D` that JAX can sample and score.

    Attributes
    ----------
    dim : int
        Event dimension ``D`` (the number of flattened coordinates).
    logpdf : callable
        ``logpdf(e)`` for ``e`` of shape (..., D): the log density summed over the last axis.
    sample : callable
        ``sample(key, n, dtype)``: ``n`` draws of shape (n, D).
    std : float
        Root mean per-coordinate standard deviation (the spread's scale in data units).
    source : object
        The spreadlab distribution it was built from.
    standard_normal : bool
        True for N(0, I) (the prior whose KL to the encoder has a closed form).
    """

    dim: int
    logpdf: Callable
    sample: Callable
    std: float
    source: object = None
    standard_normal: bool = False


_BUILDERS = {}


def register_jax_law(cls):
    """Register a builder ``f(dist, dim) -> JaxLaw`` for a spreadlab distribution class.

    The most specific registered class along ``type(dist).__mro__`` is used, so a user's own
    :class:`~spreadlab.Distribution` subclass plugs in without touching the library.

    Parameters
    ----------
    cls : type
        A :class:`~spreadlab.Distribution` subclass.

    Returns
    -------
    decorator
    """
    def deco(builder):
        _BUILDERS[cls] = builder
        return builder
    return deco


def as_jax_law(dist, dim, *, check=True):
    """Turn a spreadlab distribution into a :class:`JaxLaw` on :math:`\\mathbb R^{dim}`.

    A one-dimensional law (``Gaussian(m, v)``, ``Laplace(loc, b)``) acts independently on each
    coordinate; a ``dim``-dimensional ``Gaussian`` (diagonal or full covariance) or a
    :class:`~spreadlab.ProductKernel` of ``dim`` one-dimensional Gaussian/Laplace factors acts
    jointly. With ``check=True`` (the default, for spread kernels) the law must pass
    :func:`spreadlab.fourier_check` (injective spreading and full support).

    Parameters
    ----------
    dist : Distribution or JaxLaw
        A :class:`JaxLaw` is returned unchanged (its dimension must be ``dim``).
    dim : int
        Dimension of the space the law acts on.
    check : bool, default=True
        Run :func:`spreadlab.fourier_check` and refuse a kernel that fails it.

    Returns
    -------
    JaxLaw

    Raises
    ------
    TypeError
        If no builder is registered for ``type(dist)``.
    ValueError
        If the kernel fails the Fourier check, or its dimension is neither 1 nor ``dim``.

    Examples
    --------
    >>> from spreadlab import Fejer, Laplace
    >>> from spreadlab.generator import as_jax_law
    >>> as_jax_law(Laplace(0.0, 0.1), 3).dim
    3
    >>> as_jax_law(Fejer(0.0, 1.0), 3)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: kernel=Fejer(loc=0, scale=1) fails spreadlab.fourier_check: Not a valid spread kernel: ...
    """
    dim = as_count(dim, "dim", 1, 10**7)   # a dimension, not an allocation size to trust
    if isinstance(dist, JaxLaw):
        if dist.dim != dim:
            raise ValueError(f"the JaxLaw has dim={dist.dim}; this model needs dim={dim}")
        return dist
    from ..distributions._base import Distribution
    if not isinstance(dist, Distribution):
        raise TypeError(f"kernel must be a spreadlab Distribution or a JaxLaw; got {dist!r}")
    if getattr(dist, "batch_shape", ()) != ():
        raise ValueError(f"the law must be a single distribution; got batch_shape="
                         f"{dist.batch_shape} for {dist!r}")
    if dist.dim not in (1, dim):
        raise ValueError(f"{dist!r} has dim={dist.dim}; it must be 1 (applied to each "
                         f"coordinate) or the model's dimension {dim}")
    if check:
        from ..fourier import fourier_check
        res = fourier_check(dist)
        if not (res.injective and res.full_support):
            raise ValueError(f"kernel={dist!r} fails spreadlab.fourier_check: {res.verdict}")
    builder = next((_BUILDERS[c] for c in type(dist).__mro__ if c in _BUILDERS), None)
    if builder is None:
        raise TypeError(
            f"no JAX version of {type(dist).__name__} is registered (built in: Gaussian, Laplace, "
            "ProductKernel of those); register one with spreadlab.generator.register_jax_law")
    return builder(dist, dim)


def _jnp():
    import jax.numpy as jnp
    return jnp


def _c(const, like):
    """A NumPy constant in the dtype of the JAX array ``like`` (float32 stays float32)."""
    return _jnp().asarray(const, like.dtype)


def _random():
    import jax.random as jr
    return jr


def _gaussian_1d(loc, var):
    """Independent N(loc, var) on each coordinate (loc, var scalars or per-coordinate)."""
    loc, var = np.asarray(loc, float), np.asarray(var, float)
    log_norm = 0.5 * (LOG_2PI + np.log(var))

    def logpdf(e):
        jnp = _jnp()
        d = e - _c(loc, e)
        return jnp.sum(-0.5 * d * d / _c(var, e) - _c(log_norm, e), axis=-1)

    def sample(key, n, dtype, dim):
        u = _random().normal(key, (n, dim), dtype)
        return _c(loc, u) + _c(np.sqrt(var), u) * u
    return logpdf, sample, np.sqrt(var)


def _laplace_1d(loc, b):
    loc, b = np.asarray(loc, float), np.asarray(b, float)
    log_norm = np.log(2.0 * b)

    def logpdf(e):
        jnp = _jnp()
        return jnp.sum(-jnp.abs(e - _c(loc, e)) / _c(b, e) - _c(log_norm, e), axis=-1)

    def sample(key, n, dtype, dim):
        u = _random().laplace(key, (n, dim), dtype)
        return _c(loc, u) + _c(b, u) * u
    return logpdf, sample, math.sqrt(2.0) * b


def _law(dim, parts, source, standard_normal=False):
    logpdf, sample, std = parts
    rms = float(np.sqrt(np.mean(np.broadcast_to(np.asarray(std, float) ** 2, (dim,)))))
    return JaxLaw(dim, logpdf, lambda key, n, dtype: sample(key, n, dtype, dim), rms, source,
                  standard_normal)


def _register_builtins():
    from ..distributions._composite import ProductKernel
    from ..distributions._gaussian import Gaussian
    from ..distributions._univariate import Laplace

    @register_jax_law(Gaussian)
    def _gaussian(dist, dim):
        if dist.is_singular:
            raise ValueError(f"{dist!r} has a singular covariance: no density to spread with")
        mean, cov = np.asarray(dist.mean, float), np.asarray(dist.cov, float)
        if dist.dim == 1 or np.count_nonzero(cov - np.diag(np.diag(cov))) == 0:
            var = np.diag(cov) if dist.dim > 1 else cov[0, 0]
            loc = mean if dist.dim > 1 else mean[0]
            std_normal = bool(np.all(loc == 0) and np.all(var == 1))
            return _law(dim, _gaussian_1d(loc, var), dist, std_normal)
        L = np.linalg.cholesky(cov)
        half_logdet = float(np.sum(np.log(np.diag(L))))

        def logpdf(e):
            import jax.scipy.linalg as jsl
            jnp = _jnp()
            d = (e - _c(mean, e)).reshape(-1, dim)
            w = jsl.solve_triangular(_c(L, e), d.T, lower=True)
            out = -0.5 * jnp.sum(w * w, axis=0) - (half_logdet + 0.5 * dim * LOG_2PI)
            return out.reshape(e.shape[:-1])

        def sample(key, n, dtype, dim_):
            u = _random().normal(key, (n, dim_), dtype)
            return _c(mean, u) + u @ _c(L.T, u)
        return _law(dim, (logpdf, sample, np.sqrt(np.diag(cov))), dist)

    @register_jax_law(Laplace)
    def _laplace(dist, dim):
        return _law(dim, _laplace_1d(dist.loc, dist.scale), dist)

    @register_jax_law(ProductKernel)
    def _product(dist, dim):
        kinds = {Gaussian: "g", Laplace: "l"}
        fam = [kinds.get(type(f)) for f in dist.factors]
        if None in fam:
            raise TypeError("a ProductKernel in JAX needs Gaussian or Laplace factors; got "
                            f"{dist!r}")
        g = np.array([f == "g" for f in fam])
        loc = np.array([float(f.mean[0]) if k == "g" else float(f.loc)
                        for f, k in zip(dist.factors, fam)])
        scale = np.array([math.sqrt(float(f.cov[0, 0])) if k == "g" else float(f.scale)
                          for f, k in zip(dist.factors, fam)])
        log_norm = np.where(g, 0.5 * LOG_2PI + np.log(scale), np.log(2.0 * scale))

        def logpdf(e):
            jnp = _jnp()
            u = (e - _c(loc, e)) / _c(scale, e)
            return jnp.sum(jnp.where(g, -0.5 * u * u, -jnp.abs(u)) - _c(log_norm, e), axis=-1)

        def sample(key, n, dtype, dim_):
            k1, k2 = _random().split(key)
            jnp = _jnp()
            u = jnp.where(g, _random().normal(k1, (n, dim_), dtype),
                          _random().laplace(k2, (n, dim_), dtype))
            return _c(loc, u) + _c(scale, u) * u
        return _law(dim, (logpdf, sample, np.where(g, scale, math.sqrt(2.0) * scale)), dist)


_register_builtins()


def standard_normal_law(dim):
    """The N(0, I) prior as a :class:`JaxLaw` (KL to a Gaussian encoder in closed form)."""
    return _law(dim, _gaussian_1d(0.0, 1.0), None, True)


def _flat(x):
    return x.reshape(x.shape[0], -1)


def _check_finite(y):
    """A concrete ``y`` with a NaN or inf entry is refused (the bound would be NaN). Inside
    ``jax.jit``/``jax.grad`` the values are traced and cannot be read: there the caller checks
    its data first, as :class:`SpreadVAE` does before it traces the fit."""
    import jax

    if isinstance(y, jax.core.Tracer):
        return
    try:
        values = np.asarray(y, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"y must be a real array; got {type(y).__name__}") from None
    if not np.all(np.isfinite(values)):
        raise ValueError("y must be finite: it has NaN or inf entries, and the bound would be NaN")


def _draws(key, eps, shape, dtype):
    if (key is None) == (eps is None):
        raise ValueError("give exactly one of key (a jax.random key) and eps (standard-normal "
                         "reparameterisation draws)")
    return _random().normal(key, shape, dtype) if eps is None else eps


def spread_elbo(decoder, encoder, params, y, kernel, prior=None, key=None, *, eps=None,
                per_sample=False):
    r"""Evidence lower bound of the spread model, reparameterised, for a batch ``y``.

    For one draw :math:`z = \mu_\phi(y) + s_\phi(y)\odot\epsilon`,

    .. math:: \mathcal L(y) = \log K\bigl(y - g_\theta(z)\bigr)
              - \mathrm{KL}\bigl(q_\phi(z\mid y)\,\|\,p(z)\bigr),

    a lower bound of :math:`\log\tilde p(y) = \log\int K(y - g_\theta(z))\,p(z)\,dz`. The KL is
    in closed form for the N(0, I) prior and a one-draw estimate
    :math:`\log q(z\mid y) - \log p(z)` otherwise.

    Parameters
    ----------
    decoder : callable
        ``decoder(params, z) -> x``, z of shape (batch, n_latent).
    encoder : callable
        ``encoder(params, y) -> (mean, log_std)``, each (batch, n_latent).
    params : pytree
        Parameters of both functions.
    y : jax array of shape (batch, n_features)
        Spread data (``x + noise``), or raw data for the one-sided fixed-noise VAE. Must be
        finite: a NaN or inf entry is a ValueError when ``y`` is concrete; inside ``jax.jit`` or
        ``jax.grad`` it cannot be checked and makes the bound NaN, so check data first.
    kernel : JaxLaw or Distribution
        The spread kernel :math:`K` (see :func:`as_jax_law`).
    prior : JaxLaw, Distribution or None, default=None
        Latent prior; ``None`` is N(0, I).
    key : jax.random key, optional
        Draws :math:`\epsilon`; give this or ``eps``.
    eps : array of shape (batch, n_latent), optional
        Given reparameterisation draws (common random numbers, parity tests).
    per_sample : bool, default=False
        Return the bound of each row instead of the mean.

    Returns
    -------
    jax scalar (or array of shape (batch,))

    Examples
    --------
    >>> import jax, jax.numpy as jnp
    >>> from spreadlab import Gaussian
    >>> from spreadlab.generator import spread_elbo
    >>> dec = lambda p, z: z @ p["W"]
    >>> enc = lambda p, y: (y @ p["W"].T, jnp.zeros((y.shape[0], 1)) + p["s"])
    >>> p = {"W": jnp.array([[1.0, 0.0]]), "s": jnp.array(-1.0)}
    >>> y = jnp.array([[0.5, 0.1], [-1.0, 0.0]])
    >>> float(spread_elbo(dec, enc, p, y, Gaussian(0.0, 0.25), key=jax.random.key(0))) < 0
    True
    """
    _check_finite(y)
    jnp = _jnp()
    mu, logs = encoder(params, y)
    s = jnp.exp(logs)
    e = _draws(key, eps, mu.shape, mu.dtype)
    z = mu + s * e
    x = decoder(params, z)
    D = int(np.prod(y.shape[1:]))
    K = as_jax_law(kernel, D)
    rec = K.logpdf(_flat(y) - _flat(x))
    if prior is None or (isinstance(prior, JaxLaw) and prior.standard_normal):
        kl = 0.5 * jnp.sum(mu * mu + s * s - 1.0 - 2.0 * logs, axis=1)
    else:
        P = as_jax_law(prior, mu.shape[1], check=False)
        kl = jnp.sum(-0.5 * e * e - logs, axis=1) - 0.5 * mu.shape[1] * LOG_2PI - P.logpdf(z)
    out = rec - kl
    return out if per_sample else jnp.mean(out)


def spread_log_likelihood(decoder, encoder, params, y, kernel, prior=None, key=None, *,
                          n_importance=100):
    r"""Importance-weighted estimate of :math:`\log\tilde p(y)` for each row of ``y``.

    .. math:: \log\tilde p(y)\approx\log\frac1K\sum_{k=1}^K
              \frac{K(y - g_\theta(z_k))\,p(z_k)}{q_\phi(z_k\mid y)},\qquad z_k\sim q_\phi,

    a lower bound in expectation that tightens as K grows (Burda, Grosse, Salakhutdinov,
    ICLR 2016). The encoder is only the proposal: a poor one (e.g. trained on raw data when
    ``y`` is spread) biases the estimate low.

    Parameters
    ----------
    decoder, encoder, params, y, kernel, prior
        As in :func:`spread_elbo`.
    key : jax.random key
        Draws the importance samples.
    n_importance : int, default=100
        K, the number of importance draws per row.

    Returns
    -------
    jax array of shape (batch,)
    """
    import jax
    _check_finite(y)
    jnp = _jnp()
    mu, logs = encoder(params, y)
    B, Z = mu.shape
    n_importance = as_count(n_importance, "n_importance", 1, item_bytes=8 * int(np.prod(y.shape)))
    D = int(np.prod(y.shape[1:]))
    Kl = as_jax_law(kernel, D)
    P = standard_normal_law(Z) if prior is None else as_jax_law(prior, Z, check=False)
    e = _random().normal(key, (n_importance, B, Z), mu.dtype)
    z = mu + jnp.exp(logs) * e
    x = decoder(params, z.reshape(n_importance * B, Z)).reshape(n_importance, B, D)
    log_q = jnp.sum(-0.5 * e * e - logs, axis=2) - 0.5 * Z * LOG_2PI
    logw = Kl.logpdf(_flat(y)[None] - x) + P.logpdf(z) - log_q
    return jax.scipy.special.logsumexp(logw, axis=0) - math.log(n_importance)


# -- the built-in one-hidden-layer tanh MLP, as JAX functions (same parameters as the NumPy path)
def mlp_decoder(params, z):
    r"""The built-in decoder :math:`\tanh(zW_1 + b_1)W_2 + b_2`, in JAX.

    Parameters
    ----------
    params : dict
        ``W1, b1, W2, b2`` as in ``SpreadVAE(...).params_`` (other keys are ignored).
    z : jax array of shape (batch, n_latent)
        Latent points.

    Returns
    -------
    jax array of shape (batch, n_features)
    """
    jnp = _jnp()
    return jnp.tanh(z @ params["W1"] + params["b1"]) @ params["W2"] + params["b2"]


def mlp_encoder(params, y):
    r"""The built-in encoder, in JAX: :math:`u = \tanh(yV_1 + c_1)`, mean :math:`uV_m + c_m`,
    log-std :math:`uV_s + c_s`.

    Parameters
    ----------
    params : dict
        ``V1, c1, Vm, cm, Vs, cs`` as in ``SpreadVAE(...).params_`` (other keys are ignored).
    y : jax array of shape (batch, n_features)
        Data (spread or raw).

    Returns
    -------
    mean, log_std : jax arrays of shape (batch, n_latent)
    """
    jnp = _jnp()
    u = jnp.tanh(_flat(y) @ params["V1"] + params["c1"])
    return u @ params["Vm"] + params["cm"], u @ params["Vs"] + params["cs"]
