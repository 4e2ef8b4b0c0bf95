"""SpreadVAE(noise="learn") with user JAX models (issue 20): a learnt isotropic Gaussian output
noise e^tau beside the user's parameters, on raw data. Checked against the NumPy hand gradient
(the built-in MLP), finite differences and the closed-form optimum of tau; the whole fit against
the NumPy path; refusals named. Skipped (with the reason) without JAX."""
import math
import pickle
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

jax = pytest.importorskip("jax", reason="JAX layer: install the jax extra (pip install '.[jax]')")
pytest.importorskip("optax", reason="JAX layer: install the jax extra (pip install '.[jax]')")
import jax.numpy as jnp  # noqa: E402

from spreadlab import Gaussian, Laplace, SpreadVAE, make_curve  # noqa: E402
from spreadlab.generator import mlp_decoder, mlp_encoder, spread_elbo  # noqa: E402
from spreadlab.generator._jax_fit import learned_noise_law, x64  # noqa: E402
from spreadlab.generator._vae import _init_params, elbo_and_grad  # noqa: E402

pytestmark = pytest.mark.jax


def _learn_elbo(dec, enc, Y, eps):
    def f(train):
        law = learned_noise_law(train["log_noise_std"], Y.shape[1])
        return spread_elbo(dec, enc, train["model"], jnp.asarray(Y), law, eps=jnp.asarray(eps))
    return f


def test_learnt_noise_elbo_and_gradient_match_the_numpy_hand_gradient():
    rng = np.random.default_rng(3)
    D, Z, H = 5, 2, 4
    p = _init_params(D, Z, H, rng.standard_normal(D), rng)
    p["tau"][0] = -0.4
    Y, eps = rng.standard_normal((7, D)), rng.standard_normal((7, Z))
    val, g = elbo_and_grad(p, Y, eps, None)   # None: the NumPy path learns tau
    model = {k: v for k, v in p.items() if k != "tau"}
    with x64(True):
        train = {"model": jax.tree.map(jnp.asarray, model), "log_noise_std": jnp.asarray(-0.4)}
        jval, jg = jax.value_and_grad(_learn_elbo(mlp_decoder, mlp_encoder, Y, eps))(train)
    # same float64 formula, another summation order: a few ulps of |elbo| ~ 10
    assert abs(float(jval) - val) <= 1e-10 * max(1.0, abs(val))
    assert float(jg["log_noise_std"]) == pytest.approx(g["tau"][0], rel=1e-10, abs=1e-12)
    for k in model:
        np.testing.assert_allclose(np.asarray(jg["model"][k]), g[k], rtol=0, atol=1e-10)


def test_learnt_noise_gradient_of_a_user_model_matches_finite_differences():
    """tau's gradient for another architecture (3-layer MLP), and the closed-form optimum:
    d elbo / d tau = -D + e^{-2 tau} mean |y - g(z)|^2 vanishes at e^{2 tau*} = mean |r|^2 / D."""
    from test_generator_jax import _three_layer_mlp
    X, _ = make_curve(40, random_state=0)
    dec, enc, init = _three_layer_mlp(2, 1, width=8)
    eps = np.random.default_rng(1).standard_normal((40, 1))
    with x64(True):
        params = jax.tree.map(lambda a: jnp.asarray(a, jnp.float64),
                              init(X, np.random.default_rng(0)))
        f = _learn_elbo(dec, enc, X, eps)
        tau, h = -1.3, 1e-5
        grad = jax.grad(f)({"model": params, "log_noise_std": jnp.asarray(tau)})
        fd = (float(f({"model": params, "log_noise_std": jnp.asarray(tau + h)}))
              - float(f({"model": params, "log_noise_std": jnp.asarray(tau - h)}))) / (2 * h)
        # central difference: error O(h^2 f''') ~ 1e-10 on a gradient ~ 1-10
        assert float(grad["log_noise_std"]) == pytest.approx(fd, rel=1e-7)
        mu, logs = enc(params, jnp.asarray(X))
        r = X - np.asarray(dec(params, mu + jnp.exp(logs) * jnp.asarray(eps)))
        tau_star = 0.5 * math.log(np.mean(np.sum(r * r, axis=1)) / X.shape[1])
        g_star = jax.grad(f)({"model": params, "log_noise_std": jnp.asarray(tau_star)})
        assert abs(float(g_star["log_noise_std"])) < 1e-10   # D = 2 terms cancel to rounding
        assert abs(float(grad["log_noise_std"])) > 0.1        # and away from it they do not


def test_learnt_noise_fit_through_jax_reproduces_the_numpy_fit():
    X, _ = make_curve(300, random_state=0)
    kw = dict(noise="learn", max_iter=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        a = SpreadVAE(1, **kw).fit(X)
        b = SpreadVAE(1, decoder=mlp_decoder, encoder=mlp_encoder, **kw).fit(X)
    # the same draws and Adam steps in both back ends: agreement to rounding (9 steps)
    np.testing.assert_allclose(b.history_["eval_elbo"], a.history_["eval_elbo"], rtol=1e-9)
    assert b.noise_std_ == pytest.approx(a.noise_std_, rel=1e-9)
    assert a.noise_std_ != pytest.approx(float(np.sqrt(np.mean(np.var(X, axis=0)))), rel=1e-3)
    np.testing.assert_allclose(b.transform(X[:5]), a.transform(X[:5]), rtol=1e-8)


def test_user_model_learns_its_output_noise_and_scores_like_any_fit():
    from test_generator_jax import _three_layer_mlp
    X, _ = make_curve(300, random_state=1)
    start = math.sqrt(float(np.mean(np.var(X, axis=0))))   # tau starts at the data's scale
    dec, enc, init = _three_layer_mlp(2, 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        vae = SpreadVAE(1, decoder=dec, encoder=enc, init_params=init, noise="learn",
                        max_iter=60, learning_rate=1e-2, random_state=0).fit(X)
    h = vae.history_["eval_elbo"]
    # it learns, slowly as learnt-noise VAEs on a curve do (measured: +0.91 nats in 60 epochs,
    # the built-in MLP +0.95), and the noise shrinks from the data's scale (0.82 -> 0.28)
    assert h[vae.best_iter_ - 1] > h[0] + 0.5
    assert vae.noise_std_ < 0.5 * start
    assert "log_noise_std" not in vae.params_ and "dec" in vae.params_   # the user's pytree
    ll = vae.spread_log_likelihood(X[:20], spread=0.2, n_importance=20, random_state=0)
    assert ll.shape == (20,) and np.all(np.isfinite(ll))
    # the rebuilt (unpickled) model decodes and encodes the same
    state = {k: v for k, v in vae.__getstate__().items()
             if k not in ("decoder", "encoder", "init_params")}
    back = SpreadVAE.__new__(SpreadVAE)
    back.__setstate__(pickle.loads(pickle.dumps(state)))
    back.decoder, back.encoder, back.init_params = dec, enc, init
    np.testing.assert_array_equal(back.transform(X[:5]), vae.transform(X[:5]))
    assert back.noise_std_ == vae.noise_std_


def test_learnt_noise_refuses_a_kernel_it_would_ignore():
    from test_generator_jax import _three_layer_mlp
    X, _ = make_curve(20, random_state=0)
    dec, enc, init = _three_layer_mlp(2, 1, width=4)
    with pytest.raises(ValueError, match=r"noise='learn' learns an isotropic Gaussian.*kernel=Laplace"):
        SpreadVAE(1, decoder=dec, encoder=enc, init_params=init, noise="learn",
                  kernel=Laplace(0.0, 0.1)).fit(X)
    with pytest.raises(ValueError, match="noise='learn' learns an isotropic Gaussian"):
        SpreadVAE(1, decoder=dec, encoder=enc, init_params=init, noise="learn",
                  kernel=Gaussian([0.0, 0.0], [[0.1, 0.0], [0.0, 0.2]])).fit(X)
    with warnings.catch_warnings():   # an isotropic Gaussian only sets the scoring spread
        warnings.simplefilter("ignore", ConvergenceWarning)
        SpreadVAE(1, decoder=dec, encoder=enc, init_params=init, noise="learn", max_iter=1,
                  kernel=Gaussian(0.0, 0.04)).fit(X)


def test_learnt_noise_law_draws_nothing():
    law = learned_noise_law(jnp.asarray(0.0), 3)
    with pytest.raises(ValueError, match="nothing is drawn"):
        law.sample(jax.random.key(0), 2, jnp.float32)
