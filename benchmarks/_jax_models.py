"""User models for SpreadVAE's JAX path: the examples of docs/jax_generators.md, run by
benchmarks/bench_vae_jax.py and tests/test_generator_jax.py (plain JAX, no flax/equinox).

* :func:`blob_images` -- 28x28 images of a Gaussian blob at a position (u, v): data exactly
  on a known 2-D manifold in 784-D;
* :func:`conv_model` -- a transposed-convolution decoder (z -> 7x7x16 -> 14x14x8 -> 28x28x1)
  with a dense encoder;
* :func:`mlp_model` -- a 3-layer tanh MLP decoder and encoder of any widths.

Each ``*_model`` returns ``(decoder, encoder, init_params)`` for
``SpreadVAE(decoder=..., encoder=..., init_params=...)``.
"""
import math

import numpy as np


def blob_images(n, size=28, width=2.0, random_state=None):
    """``n`` images of a Gaussian blob centred at a uniform position in the middle 60%.

    Returns
    -------
    X : ndarray of shape (n, size * size), pixel values in [0, 1]
    uv : ndarray of shape (n, 2), the blob centres (the true latent coordinates)
    """
    rng = np.random.default_rng(random_state)
    uv = rng.uniform(0.2 * size, 0.8 * size, size=(n, 2))
    grid = np.arange(size) + 0.5
    gu = np.exp(-0.5 * ((grid[None, :] - uv[:, :1]) / width) ** 2)   # (n, size) rows
    gv = np.exp(-0.5 * ((grid[None, :] - uv[:, 1:]) / width) ** 2)   # (n, size) columns
    return (gu[:, :, None] * gv[:, None, :]).reshape(n, size * size), uv


def _dense(key, n_in, n_out, gain=1.0):
    import jax
    import jax.numpy as jnp
    return {"w": gain * jax.random.normal(key, (n_in, n_out)) / math.sqrt(n_in),
            "b": jnp.zeros(n_out)}


def _seed(rng):
    import jax
    return jax.random.key(int(rng.integers(2**31)))


def mlp_model(n_features, n_latent, width=64):
    """A 3-layer tanh MLP each way (the built-in SpreadVAE has one hidden layer)."""
    import jax
    import jax.numpy as jnp

    def run(layers, x):
        for layer in layers[:-1]:
            x = jnp.tanh(x @ layer["w"] + layer["b"])
        return x @ layers[-1]["w"] + layers[-1]["b"]

    def init(X, rng):
        keys = jax.random.split(_seed(rng), 6)
        d = [n_latent, width, width, n_features]
        e = [n_features, width, width, 2 * n_latent]
        dec = [_dense(k, i, o) for k, i, o in zip(keys[:3], d, d[1:])]
        dec[-1]["b"] = jnp.asarray(X.mean(axis=0))  # start at the data mean
        return {"dec": dec, "enc": [_dense(k, i, o) for k, i, o in zip(keys[3:], e, e[1:])]}

    def decoder(p, z):
        return run(p["dec"], z)

    def encoder(p, y):
        h = run(p["enc"], y)
        return h[:, :n_latent], h[:, n_latent:] - 1.0  # log std starts near -1
    return decoder, encoder, init


def conv_model(n_latent, hidden=256, channels=(16, 8)):
    """Transposed-convolution decoder for 28x28 images, dense encoder.

    Decoder: dense z -> 7x7xC1, tanh; 4x4 transposed convolution, stride 2 -> 14x14xC2, tanh;
    4x4 transposed convolution, stride 2 -> 28x28x1 (linear), flattened to 784 values.
    """
    import jax
    import jax.numpy as jnp
    c1, c2 = channels
    dn = ("NHWC", "HWIO", "NHWC")

    def init(X, rng):
        k = jax.random.split(_seed(rng), 5)
        return {
            "fc": _dense(k[0], n_latent, 7 * 7 * c1),
            "t1": {"w": jax.random.normal(k[1], (4, 4, c1, c2)) / math.sqrt(4 * c1),
                   "b": jnp.zeros(c2)},
            "t2": {"w": 0.1 * jax.random.normal(k[2], (4, 4, c2, 1)) / math.sqrt(4 * c2),
                   "b": jnp.zeros(1)},
            "e1": _dense(k[3], X.shape[1], hidden),
            "e2": _dense(k[4], hidden, 2 * n_latent, gain=0.1),
        }

    def decoder(p, z):
        h = jnp.tanh(z @ p["fc"]["w"] + p["fc"]["b"]).reshape(-1, 7, 7, c1)
        h = jnp.tanh(jax.lax.conv_transpose(h, p["t1"]["w"].astype(h.dtype), (2, 2), "SAME",
                                            dimension_numbers=dn) + p["t1"]["b"])
        x = jax.lax.conv_transpose(h, p["t2"]["w"].astype(h.dtype), (2, 2), "SAME",
                                   dimension_numbers=dn) + p["t2"]["b"]
        return x.reshape(z.shape[0], 28 * 28)

    def encoder(p, y):
        h = jnp.tanh(y @ p["e1"]["w"] + p["e1"]["b"]) @ p["e2"]["w"] + p["e2"]["b"]
        return h[:, :n_latent], h[:, n_latent:] - 1.0
    return decoder, encoder, init
