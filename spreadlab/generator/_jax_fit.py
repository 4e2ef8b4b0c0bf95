"""The JAX model behind ``SpreadVAE(decoder=..., encoder=...)``: one interface with the NumPy MLP
(``step``, ``evaluate``, ``snapshot``/``restore``, ``encode``, ``decode``, ``log_likelihood``, and
an optimizer ``opt`` with optax's ``init``/``update`` and its ``opt_state``: ``optax.adam`` or the
user's here, :class:`spreadlab.generator._vae.Adam` there)."""
import numpy as np

from .._constants import LOG_2PI
from ._jax import JaxLaw, as_jax_law, spread_elbo, spread_log_likelihood, standard_normal_law


def _jax():
    try:
        import jax
        import optax
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise ImportError(
            "SpreadVAE(decoder=..., encoder=...) trains through JAX: install the extra with "
            "pip install 'spreadlab[jax]' (jax, jaxlib, optax)") from exc
    return jax, optax


def x64(enabled):
    """Context manager for double precision in JAX, per call (``jax.enable_x64`` where JAX has
    it, ``jax.experimental.enable_x64``/``disable_x64`` otherwise)."""
    import jax
    if hasattr(jax, "enable_x64"):
        return jax.enable_x64(enabled)
    from jax import experimental
    return experimental.enable_x64() if enabled else experimental.disable_x64()


def learned_noise_law(log_std, dim):
    r"""Isotropic Gaussian output noise :math:`\mathcal N(0, e^{2\tau} I_D)` with a traced
    (learnt) log standard deviation :math:`\tau` -- the "kernel" of ``SpreadVAE(noise="learn")``.

    Only ``logpdf`` is defined (the data are raw: nothing is sampled from it).
    """
    import jax.numpy as jnp

    def logpdf(e):
        t = log_std.astype(e.dtype)
        return (-0.5 * jnp.exp(-2.0 * t) * jnp.sum(e * e, axis=-1)
                - e.shape[-1] * (t + 0.5 * LOG_2PI))

    def sample(key, n, dtype):
        raise ValueError("the learnt output noise is not a spread kernel: nothing is drawn "
                         "from it")
    return JaxLaw(dim, logpdf, sample, float("nan"))


class JaxModel:
    """User decoder/encoder trained by optax on the spread ELBO (jit-compiled once per fit).

    With ``log_noise`` (a float, the initial :math:`\tau`) the model learns an isotropic
    Gaussian output noise :math:`e^{\tau}` beside the user's parameters (``noise="learn"``):
    the optimiser then sees the pytree ``{"model": params, "log_noise_std": tau}``, while
    ``encode``/``decode``/``numpy_params`` see the user's ``params`` only.
    """

    def __init__(self, decoder, encoder, params, kernel, prior, optimizer, learning_rate, dtype,
                 n_features, n_latent, log_noise=None):
        jax, optax = _jax()
        self.x64 = dtype == "float64"
        self.dtype = np.dtype(dtype)
        self.decoder, self.encoder = decoder, encoder
        self.kernel = as_jax_law(kernel, n_features)
        self.prior = (standard_normal_law(n_latent) if prior is None
                      else as_jax_law(prior, n_latent, check=False))
        self.prior_1d = None if prior is None or prior.dim != 1 else as_jax_law(prior, 1, False)
        self.opt = optax.adam(learning_rate) if optimizer is None else optimizer
        self.n_latent = n_latent
        self.learn = log_noise is not None
        if self.learn:
            params = {"model": params, "log_noise_std": np.asarray(log_noise, float)}
        with x64(self.x64):
            self.train = jax.tree.map(lambda a: jax.numpy.asarray(a, self.dtype), params)
            self.opt_state = self.opt.init(self.train)
            self._compile(jax, optax)
        self._check_shapes(n_features)

    def _compile(self, jax, optax):
        dec, enc, K, P = self.decoder, self.encoder, self.kernel, self.prior
        learn, D = self.learn, self.kernel.dim

        def elbo(train, y, eps, per_sample):
            if learn:  # the output noise is a parameter: raw data, N(0, e^{2 tau} I) noise
                law = learned_noise_law(train["log_noise_std"], D)
                return spread_elbo(dec, enc, train["model"], y, law, P, eps=eps,
                                   per_sample=per_sample)
            return spread_elbo(dec, enc, train, y, K, P, eps=eps, per_sample=per_sample)

        def loss(train, y, eps):
            return -elbo(train, y, eps, False)

        def step(train, opt_state, y, eps):
            val, g = jax.value_and_grad(loss)(train, y, eps)
            updates, opt_state = self.opt.update(g, opt_state, train)
            return optax.apply_updates(train, updates), opt_state, -val

        def evaluate(train, y, eps):
            terms = elbo(train, y, eps, True)
            mu, logs = enc(train["model"] if learn else train, y)
            return terms, mu, logs

        self._step = jax.jit(step)
        self._evaluate = jax.jit(evaluate)
        self._encode = jax.jit(lambda p, y: enc(p, y)[0])
        self._decode = jax.jit(lambda p, z: dec(p, z).reshape(z.shape[0], -1))

    def _check_shapes(self, D):
        """Output shapes of the user functions, by abstract evaluation (nothing compiled)."""
        import jax
        with x64(self.x64):
            z = jax.ShapeDtypeStruct((2, self.n_latent), self.dtype)
            y = jax.ShapeDtypeStruct((2, D), self.dtype)
            x = jax.eval_shape(self.decoder, self.params, z)
            mu, logs = jax.eval_shape(self.encoder, self.params, y)
        if int(np.prod(x.shape)) != 2 * D:
            raise ValueError(f"decoder(params, z) must return n_features={D} values per row "
                             f"(any shape that flattens to it); got shape {x.shape} for 2 rows")
        if mu.shape != (2, self.n_latent) or logs.shape != (2, self.n_latent):
            raise ValueError(f"encoder(params, y) must return (mean, log_std) of shape "
                             f"(batch, n_latent={self.n_latent}); got {mu.shape}, {logs.shape} "
                             "for 2 rows")

    def _run(self, fn, *args):
        with x64(self.x64):
            return fn(*args)

    @property
    def params(self):
        """The user's parameters (without the learnt noise)."""
        return self.train["model"] if self.learn else self.train

    def learned_log_noise_std(self):
        """The learnt :math:`\tau` (``None`` unless ``noise="learn"``)."""
        return float(self.train["log_noise_std"]) if self.learn else None

    def step(self, y, eps):
        self.train, self.opt_state, val = self._run(
            self._step, self.train, self.opt_state, y.astype(self.dtype), eps.astype(self.dtype))
        return float(val)

    def evaluate(self, y, eps):
        terms, mu, logs = self._run(self._evaluate, self.train, y.astype(self.dtype),
                                    eps.astype(self.dtype))
        terms, mu, logs = (np.asarray(a, float) for a in (terms, mu, logs))
        s = np.exp(logs)
        if self.prior.standard_normal:
            kl = np.mean(0.5 * (mu * mu + s * s - 1.0 - 2.0 * logs), axis=0)
        elif self.prior_1d is not None:  # one-draw estimate per coordinate
            e = eps
            z = mu + s * e
            log_p = np.asarray(self._run(self.prior_1d.logpdf, z[..., None]), float)
            kl = np.mean(-0.5 * e * e - logs - 0.5 * LOG_2PI - log_p, axis=0)
        else:
            kl = None
        return terms, mu, s, kl

    def snapshot(self):
        return self.train  # immutable JAX arrays: a reference is a copy

    def restore(self, snap):
        self.train = snap

    def numpy_params(self):
        import jax
        return jax.tree.map(np.asarray, self.params)

    def encode(self, X):
        return np.asarray(self._run(self._encode, self.params, np.asarray(X, self.dtype)), float)

    def decode(self, Z):
        return np.asarray(self._run(self._decode, self.params, np.asarray(Z, self.dtype)), float)

    def log_likelihood(self, Y, kernel, n_importance, rng):
        import jax
        D = Y.shape[1]
        # rows per call: K x rows x D decoded values stay below 2^23 (64 MB in float64)
        batch = int(max(1, min(256, 2**23 // (n_importance * D))))
        law = as_jax_law(kernel, D) if kernel is not None else self.kernel
        fn = jax.jit(lambda p, y, k: spread_log_likelihood(
            self.decoder, self.encoder, p, y, law, self.prior, k, n_importance=n_importance))
        out = []
        for s in range(0, len(Y), batch):
            key = jax.random.key(int(rng.integers(2**62)))
            out.append(np.asarray(self._run(fn, self.params, np.asarray(Y[s:s + batch],
                                                                         self.dtype), key), float))
        return np.concatenate(out)


