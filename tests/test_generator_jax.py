"""The JAX spread-training layer (issue 19): parity with the NumPy hand gradient, kernel laws
against scipy, the importance-weighted likelihood against closed forms and quadrature, user
models through SpreadVAE, best iterate after a blow-up. Skipped (with the reason) without JAX."""
import math
import warnings

import numpy as np
import pytest
from scipy import integrate, stats
from scipy.special import logsumexp
from sklearn.exceptions import ConvergenceWarning

jax = pytest.importorskip("jax", reason="JAX layer: install the jax extra (pip install '.[jax]')")
optax = pytest.importorskip("optax", reason="JAX layer: install the jax extra (pip install '.[jax]')")
import jax.numpy as jnp  # noqa: E402

from spreadlab import Fejer, Gaussian, Laplace, ProductKernel, SpreadVAE, make_curve  # noqa: E402
from spreadlab.generator import (as_jax_law, mlp_decoder, mlp_encoder, spread_elbo,  # noqa: E402
                                 spread_log_likelihood)
from spreadlab.generator._jax_fit import x64  # noqa: E402
from spreadlab.generator._vae import _init_params, elbo_and_grad  # noqa: E402

pytestmark = pytest.mark.jax


def test_jax_elbo_and_gradient_match_the_numpy_hand_gradient():
    rng = np.random.default_rng(0)
    D, Z, H = 5, 2, 4
    p = _init_params(D, Z, H, rng.standard_normal(D), rng)
    Y, eps = rng.standard_normal((7, D)), rng.standard_normal((7, Z))
    val, g = elbo_and_grad(p, Y, eps, math.log(0.7))
    with x64(True):
        f = lambda q: spread_elbo(mlp_decoder, mlp_encoder, q, jnp.asarray(Y),  # noqa: E731
                                  Gaussian(0.0, 0.49), eps=jnp.asarray(eps))
        jval, jg = jax.value_and_grad(f)(jax.tree.map(jnp.asarray, p))
    # same float64 formula, different summation order: agreement to a few ulps of |elbo| ~ 10
    assert abs(float(jval) - val) <= 1e-10 * max(1.0, abs(val))
    for k in p:
        assert jg[k].dtype == np.float64
        np.testing.assert_allclose(np.asarray(jg[k]), g[k], rtol=0, atol=1e-10)


def test_jax_path_reproduces_the_numpy_path_fit():
    """The built-in MLP through JAX and optax.adam: same draws, same trajectory."""
    X, _ = make_curve(300, random_state=0)
    kw = dict(spread=0.1, max_iter=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        a = SpreadVAE(1, **kw).fit(X)
        b = SpreadVAE(1, decoder=mlp_decoder, encoder=mlp_encoder, **kw).fit(X)
    # 9 Adam steps could amplify rounding differences; measured agreement 4e-16 relative
    np.testing.assert_allclose(b.history_["eval_elbo"], a.history_["eval_elbo"], rtol=1e-9)
    np.testing.assert_allclose(b.history_["kl_per_dim"], a.history_["kl_per_dim"], rtol=1e-8)
    np.testing.assert_allclose(b.transform(X[:5]), a.transform(X[:5]), rtol=1e-8)


_KERNELS = {
    "gaussian-iso": (Gaussian(0.0, 0.09), lambda e: stats.norm(0, 0.3).logpdf(e).sum(-1)),
    "gaussian-diag": (Gaussian(np.zeros(3), np.diag([0.1, 0.2, 0.3])),
                      lambda e: stats.multivariate_normal(np.zeros(3), np.diag([0.1, 0.2, 0.3])).logpdf(e)),
    "gaussian-full": (Gaussian([0.1, 0.0, -0.2], [[1.0, 0.3, 0.1], [0.3, 0.5, 0.0], [0.1, 0.0, 0.2]]),
                      lambda e: stats.multivariate_normal([0.1, 0.0, -0.2], [[1.0, 0.3, 0.1], [0.3, 0.5, 0.0],
                                                                             [0.1, 0.0, 0.2]]).logpdf(e)),
    "laplace": (Laplace(0.0, 0.2), lambda e: stats.laplace(0, 0.2).logpdf(e).sum(-1)),
    "product": (ProductKernel(Laplace(0.0, 0.2), Gaussian(0.1, 0.04), Laplace(0.3, 1.0)),
                lambda e: (stats.laplace(0, 0.2).logpdf(e[:, 0]) + stats.norm(0.1, 0.2).logpdf(e[:, 1])
                           + stats.laplace(0.3, 1.0).logpdf(e[:, 2]))),
}


@pytest.mark.parametrize("name", list(_KERNELS))
def test_kernel_log_density_matches_scipy(name):
    kernel, oracle = _KERNELS[name]
    e = np.random.default_rng(1).standard_normal((50, 3))
    with x64(True):
        got = np.asarray(as_jax_law(kernel, 3).logpdf(jnp.asarray(e)))
    # closed forms on both sides: a few ulps (Cholesky solve vs scipy's eigendecomposition)
    np.testing.assert_allclose(got, oracle(e), rtol=1e-12)


@pytest.mark.parametrize("name", list(_KERNELS))
def test_kernel_sampler_has_the_kernel_moments(name):
    kernel, _ = _KERNELS[name]
    law = as_jax_law(kernel, 3)
    n = 40_000
    with x64(True):
        draws = np.asarray(law.sample(jax.random.key(3), n, jnp.float64))
    ref = np.asarray(kernel.sample(210_000, np.random.default_rng(4)), float)  # spreadlab's own sampler
    ref = ref.reshape(-1, 3) if ref.ndim == 1 or ref.shape[1] == 1 else ref
    mean, cov = ref.mean(0), np.cov(ref.T)
    se_mean = np.sqrt(np.diag(cov) / n)
    assert np.all(np.abs(draws.mean(0) - mean) < 5 * se_mean + 5 * np.sqrt(np.diag(cov) / len(ref)))
    # variance: SE of a sample variance is sqrt((m4 - s^4) / n); 5 SE (both samples' errors)
    c = ref - mean
    se_var = np.sqrt((np.mean(c**4, 0) - np.var(ref, 0) ** 2) * (1 / n + 1 / len(ref)))
    assert np.all(np.abs(draws.var(0) - np.var(ref, 0)) < 5 * se_var)
    # negative control: the same test rejects draws with the wrong scale (x 1.1)
    assert np.any(np.abs((1.1 * (draws - draws.mean(0))).var(0) - np.var(ref, 0)) > 5 * se_var)


def test_band_limited_kernel_is_refused_with_the_reason():
    with pytest.raises(ValueError, match=r"Fejer.*fails spreadlab.fourier_check.*band-limited"):
        as_jax_law(Fejer(0.0, 1.0), 2)
    X, _ = make_curve(20, random_state=0)
    with pytest.raises(ValueError, match="fourier_check"):
        SpreadVAE(1, kernel=Fejer(0.0, 0.1), decoder=mlp_decoder, encoder=mlp_encoder).fit(X)


def _linear_model(A, b, sigma):
    """Linear decoder z A + b and its exact Gaussian posterior under N(0, I) and N(0, s^2 I)."""
    Z = A.shape[0]
    S = np.linalg.inv(np.eye(Z) + A @ A.T / sigma**2)      # posterior covariance
    dec = lambda p, z: z @ p["A"] + p["b"]                  # noqa: E731
    exact_enc = lambda p, y: ((y - p["b"]) @ p["A"].T @ S / sigma**2,  # noqa: E731
                              jnp.broadcast_to(0.5 * jnp.log(jnp.diag(S)), (y.shape[0], Z)))
    return dec, exact_enc, S


def test_iw_likelihood_is_exact_with_the_exact_posterior():
    """Linear-Gaussian: p~(y) = N(b, A'A + s^2 I) in closed form; with the exact (1-D) posterior
    as proposal every importance weight equals p~(y), so any K gives it to rounding; the
    reconstruction term is quadratic in eps, so the ELBO averaged over eps = +1 and -1 (whose
    first two moments are those of N(0, 1)) is its expectation, which is then log p~(y)."""
    A, b, sigma = np.array([[1.0, -0.5]]), np.array([0.2, 0.1]), 0.3
    dec, enc, _ = _linear_model(A, b, sigma)
    y = np.random.default_rng(5).standard_normal((20, 2))
    exact = stats.multivariate_normal(b, A.T @ A + sigma**2 * np.eye(2)).logpdf(y)
    with x64(True):
        p = {"A": jnp.asarray(A), "b": jnp.asarray(b)}
        est = spread_log_likelihood(dec, enc, p, jnp.asarray(y), Gaussian(0.0, sigma**2),
                                    key=jax.random.key(0), n_importance=7)
        elbo = [spread_elbo(dec, enc, p, jnp.asarray(y), Gaussian(0.0, sigma**2),
                            eps=jnp.full((20, 1), sign), per_sample=True) for sign in (1.0, -1.0)]
    np.testing.assert_allclose(np.asarray(est), exact, rtol=1e-12)
    np.testing.assert_allclose((np.asarray(elbo[0]) + np.asarray(elbo[1])) / 2, exact,
                               rtol=1e-12)  # the bound is tight at the exact posterior
    assert np.max(np.abs(np.asarray(elbo[0]) - exact)) > 1e-3  # (one draw alone is not)


def test_iw_likelihood_with_a_laplace_spread_matches_quadrature():
    A, b, b_lap = np.array([[1.0, -0.5]]), np.array([0.2, 0.1]), 0.3
    dec, enc, _ = _linear_model(A, b, b_lap * math.sqrt(2))  # Gaussian proposal, Laplace model
    y = np.random.default_rng(6).standard_normal((8, 2))
    K = 20_000
    with x64(True):
        p = {"A": jnp.asarray(A), "b": jnp.asarray(b)}
        est = np.asarray(spread_log_likelihood(dec, enc, p, jnp.asarray(y), Laplace(0.0, b_lap),
                                               key=jax.random.key(2), n_importance=K))
        mu, logs = (np.asarray(a)[:, 0] for a in enc(p, jnp.asarray(y)))

    def log_integrand(z, yi):  # log K(y - g(z)) + log N(z; 0, 1), vectorised over z
        r = yi - (np.multiply.outer(z, A[0]) + b)
        return np.sum(-np.abs(r) / b_lap - math.log(2 * b_lap), axis=-1) + stats.norm.logpdf(z)

    for i, yi in enumerate(y):
        # oracle: adaptive quadrature over z, split at the kinks of |y - g(z)|
        kinks = sorted((yi - b) / A[0])
        shift = float(log_integrand(np.array(mu[i]), yi))
        pieces = [integrate.quad(lambda z: math.exp(float(log_integrand(np.array(z), yi)) - shift),
                                 lo, hi, epsabs=0, epsrel=1e-11, limit=200)[0]
                  for lo, hi in zip([-np.inf, *kinks], [*kinks, np.inf])]
        exact = shift + math.log(sum(pieces))
        # threshold from the weights: the SE of log(mean w) is about sd(w) / (mean(w) sqrt(K));
        # sd/mean estimated here in NumPy from 4000 draws of the same proposal; 5 SE
        z = mu[i] + np.exp(logs[i]) * np.random.default_rng(i).standard_normal(4000)
        logw = log_integrand(z, yi) - stats.norm(mu[i], np.exp(logs[i])).logpdf(z)
        w = np.exp(logw - logsumexp(logw))
        rel_sd = np.std(w) / np.mean(w)
        assert abs(est[i] - exact) < 5 * rel_sd / math.sqrt(K), (i, est[i], exact, rel_sd)


def _three_layer_mlp(n_features, n_latent, width=32):
    """A user model of another architecture than the built-in one: 3 tanh layers each way."""
    def dense(key, i, o):
        return {"w": jax.random.normal(key, (i, o)) / math.sqrt(i), "b": jnp.zeros(o)}

    def mlp(layers, x):
        for layer in layers[:-1]:
            x = jnp.tanh(x @ layer["w"] + layer["b"])
        return x @ layers[-1]["w"] + layers[-1]["b"]

    def init(X, rng):
        keys = jax.random.split(jax.random.key(int(rng.integers(2**31))), 8)
        sizes_d = [n_latent, width, width, n_features]
        sizes_e = [n_features, width, width, 2 * n_latent]
        return {"dec": [dense(k, i, o) for k, i, o in zip(keys[:3], sizes_d, sizes_d[1:])],
                "enc": [dense(k, i, o) for k, i, o in zip(keys[3:6], sizes_e, sizes_e[1:])]}

    def decoder(p, z):
        return mlp(p["dec"], z)

    def encoder(p, y):
        h = mlp(p["enc"], y)
        return h[:, :n_latent], h[:, n_latent:] - 1.0
    return decoder, encoder, init


@pytest.mark.parametrize("kernel", [Gaussian(0.0, 0.04), Laplace(0.0, 0.15)], ids=["gaussian", "laplace"])
def test_user_three_layer_mlp_trains_and_every_method_works(kernel):
    X, _ = make_curve(400, random_state=1)
    dec, enc, init = _three_layer_mlp(2, 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        vae = SpreadVAE(1, kernel=kernel, decoder=dec, encoder=enc, init_params=init, max_iter=15,
                        learning_rate=1e-2, random_state=0).fit(X)
    h = vae.history_["eval_elbo"]
    assert h[vae.best_iter_ - 1] > h[0] + 1.0  # it learns (measured: +4.7 Gaussian, +1.7 Laplace)
    S, Z = vae.sample(7, random_state=0)
    assert S.shape == (7, 2) and Z.shape == (7, 1) and np.all(np.isfinite(S))
    assert vae.transform(X[:4]).shape == (4, 1)
    np.testing.assert_allclose(vae.inverse_transform(Z), S, rtol=1e-12)
    ll = vae.spread_log_likelihood(X[:30], n_importance=50, random_state=0)
    assert ll.shape == (30,) and np.all(np.isfinite(ll))
    assert math.isfinite(vae.score(X[:30]))
    assert vae.noise_std_ == pytest.approx(0.2 if isinstance(kernel, Gaussian) else 0.15 * math.sqrt(2))


def test_float32_path_tracks_float64():
    X, _ = make_curve(200, random_state=0)
    kw = dict(decoder=mlp_decoder, encoder=mlp_encoder, spread=0.2, max_iter=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        a = SpreadVAE(1, dtype="float32", **kw).fit(X)
        b = SpreadVAE(1, dtype="float64", **kw).fit(X)
    assert a.params_["W1"].dtype == np.float32 and b.params_["W1"].dtype == np.float64
    # float32 rounding (eps 6e-8) over 4 Adam steps of a bound ~ -20: 1e-4 relative is ample
    np.testing.assert_allclose(a.history_["eval_elbo"], b.history_["eval_elbo"], rtol=1e-4)


def test_best_iterate_is_returned_after_an_induced_blow_up():
    X, _ = make_curve(200, random_state=0)
    # 40 steps (20 epochs of 2 batches) at 1e-2, then a learning rate of 1e4: the fit blows up
    sched = optax.piecewise_constant_schedule(1e-2, {40: 1e6})
    kw = dict(decoder=mlp_decoder, encoder=mlp_encoder, spread=0.2, n_iter_no_change=10,
              random_state=0)
    with pytest.warns(ConvergenceWarning, match="diverged"):
        vae = SpreadVAE(1, optimizer=optax.adam(sched), max_iter=100, **kw).fit(X)
    assert vae.diverged_ and not vae.converged_
    assert 10 <= vae.best_iter_ <= 20 < vae.n_iter_
    h = vae.history_["eval_elbo"]
    assert h[vae.best_iter_ - 1] == h.max() and len(h) < vae.n_iter_  # failed epoch not recorded
    # oracle: the same fit stopped after best_iter_ epochs has exactly these parameters
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ref = SpreadVAE(1, optimizer=optax.adam(sched), max_iter=vae.best_iter_, **kw).fit(X)
    for k in vae.params_:
        np.testing.assert_array_equal(vae.params_[k], ref.params_[k])


def test_spread_elbo_needs_exactly_one_source_of_draws():
    dec, enc, _ = _linear_model(np.array([[1.0, 0.0]]), np.zeros(2), 0.5)
    p = {"A": jnp.array([[1.0, 0.0]]), "b": jnp.zeros(2)}
    with pytest.raises(ValueError, match="exactly one of key"):
        spread_elbo(dec, enc, p, jnp.zeros((2, 2)), Gaussian(0.0, 0.25))


def test_user_model_needs_init_params():
    X, _ = make_curve(20, random_state=0)
    dec, enc, _ = _three_layer_mlp(2, 1)
    with pytest.raises(ValueError, match="init_params is required"):
        SpreadVAE(1, decoder=dec, encoder=enc).fit(X)


def _bench_models():
    """The documented user models (benchmarks/_jax_models.py, shown in docs/jax_generators.md)."""
    import importlib.util
    import pathlib
    path = pathlib.Path(__file__).resolve().parents[1] / "benchmarks" / "_jax_models.py"
    spec = importlib.util.spec_from_file_location("_jax_models", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("kernel", [Gaussian(0.0, 0.0025), Laplace(0.0, 0.05)],
                         ids=["gaussian", "laplace"])
def test_transposed_convolution_decoder_trains_on_28x28_images(kernel):
    m = _bench_models()
    X, _ = m.blob_images(64, random_state=0)
    dec, enc, init = m.conv_model(2, hidden=32, channels=(4, 4))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        vae = SpreadVAE(2, kernel=kernel, decoder=dec, encoder=enc, init_params=init,
                        max_iter=4, batch_size=32, learning_rate=3e-3, dtype="float32",
                        random_state=0).fit(X)
    h = vae.history_["eval_elbo"]
    assert h.max() > h[0] + 1.0  # it learns (measured: +135 Gaussian, +22 Laplace nats/image)
    S, _ = vae.sample(3, random_state=0)
    assert S.shape == (3, 784) and S.dtype == np.float64 and np.all(np.isfinite(S))


def test_blob_images_lie_on_their_manifold():
    m = _bench_models()
    X, uv = m.blob_images(5, random_state=1)
    img = X.reshape(5, 28, 28)
    peak = np.array([np.unravel_index(np.argmax(a), a.shape) for a in img]) + 0.5
    assert np.all(np.abs(peak - uv) <= 0.5)  # the brightest pixel contains the centre


def test_fitted_jax_model_pickles_and_predicts_the_same():
    import pickle
    X, _ = make_curve(100, random_state=0)
    dec, enc, init = _three_layer_mlp(2, 1, width=8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        vae = SpreadVAE(1, decoder=dec, encoder=enc, init_params=init, max_iter=2,
                        random_state=0).fit(X)
    # the user functions are closures: cloudpickle-free pickling needs module-level functions,
    # so pickle the estimator state without them and put them back
    state = vae.__getstate__()
    assert state["model_"] is None
    back = SpreadVAE.__new__(SpreadVAE)
    back.__setstate__(pickle.loads(pickle.dumps({k: v for k, v in state.items()
                                                 if k not in ("decoder", "encoder", "init_params")})))
    back.decoder, back.encoder, back.init_params = dec, enc, init
    np.testing.assert_array_equal(back.transform(X[:5]), vae.transform(X[:5]))


def test_monte_carlo_kl_of_a_general_prior_matches_the_closed_form():
    """A non-standard prior takes the one-draw KL estimate log q(z|y) - log p(z); fed N(0, I)
    as a general law it must agree in expectation with the closed-form KL (5 standard errors)."""
    from spreadlab.generator import JaxLaw
    from spreadlab.generator._jax import standard_normal_law
    A, b, sigma = np.array([[1.0, -0.5]]), np.array([0.2, 0.1]), 0.3
    dec, _, _ = _linear_model(A, b, sigma)
    enc = lambda p, y: (y @ p["A"].T * 0.5, jnp.full((y.shape[0], 1), -0.7))  # noqa: E731
    sn = standard_normal_law(1)
    general = JaxLaw(1, sn.logpdf, sn.sample, 1.0, None, standard_normal=False)
    y = jnp.asarray(np.random.default_rng(7).standard_normal((1, 2)).repeat(20_000, axis=0))
    eps = jnp.asarray(np.random.default_rng(8).standard_normal((20_000, 1)))
    with x64(True):
        p = {"A": jnp.asarray(A), "b": jnp.asarray(b)}
        closed = np.asarray(spread_elbo(dec, enc, p, y, Gaussian(0.0, sigma**2), sn, eps=eps,
                                        per_sample=True))
        mc = np.asarray(spread_elbo(dec, enc, p, y, Gaussian(0.0, sigma**2), general, eps=eps,
                                    per_sample=True))
    d = mc - closed  # same draws: the difference is the KL estimator's error alone
    assert abs(d.mean()) < 5 * d.std() / math.sqrt(len(d))
    assert d.std() > 0.01  # the two paths differ draw by draw: the check is not vacuous


def test_numpy_adam_matches_optax_adam_step_by_step():
    # the built-in MLP's optimizer mirrors optax's interface (init/update -> updates to add);
    # optax.adam is the independent oracle. Same float64 formula: agreement to a few ulps.
    from spreadlab.generator._vae import Adam

    rng = np.random.default_rng(3)
    params = {"a": rng.standard_normal((3, 2)), "b": rng.standard_normal(4)}
    ours, theirs = Adam(0.01), optax.adam(0.01)
    with x64(True):
        jparams = jax.tree.map(jnp.asarray, params)
        s_ours, s_theirs = ours.init(params), theirs.init(jparams)
        for _ in range(20):
            grads = {k: rng.standard_normal(v.shape) for k, v in params.items()}
            u_ours, s_ours = ours.update(grads, s_ours, params)
            u_theirs, s_theirs = theirs.update(jax.tree.map(jnp.asarray, grads), s_theirs,
                                               jparams)
            for k in params:
                np.testing.assert_allclose(u_ours[k], np.asarray(u_theirs[k]), rtol=1e-12)
                params[k] = params[k] + u_ours[k]
            jparams = optax.apply_updates(jparams, u_theirs)
    # negative control: a different b1 is told apart by the same comparison
    wrong = Adam(0.01, b1=0.8)
    g1, g2 = ({k: rng.standard_normal(v.shape) for k, v in params.items()} for _ in range(2))
    u_wrong = wrong.update(g2, wrong.update(g1, wrong.init(params))[1])[0]
    u_right = ours.update(g2, ours.update(g1, ours.init(params))[1])[0]
    assert not np.allclose(u_wrong["a"], u_right["a"], rtol=1e-6)


@pytest.mark.parametrize("dim, err", [(10**12, ValueError), (0, ValueError), (2.0, TypeError)])
def test_as_jax_law_dim_is_a_budgeted_count(dim, err):
    """Review finding: dim=10**12 hung in a broadcast, 0 was accepted, 2.0 gave numpy's message."""
    from spreadlab import Gaussian
    from spreadlab.generator import as_jax_law

    with pytest.raises(err, match="dim"):
        as_jax_law(Gaussian(0.0, 0.25), dim)


def test_non_finite_y_is_refused_by_name_outside_a_trace():
    # spread_elbo returned NaN for a NaN in y (found in review, 2026-12-07)
    dec = lambda p, z: z @ p["W"]  # noqa: E731
    enc = lambda p, y: (y @ p["W"].T, jnp.zeros((y.shape[0], 1)) + p["s"])  # noqa: E731
    p = {"W": jnp.array([[1.0, 0.0]]), "s": jnp.array(-1.0)}
    good = jnp.array([[0.5, 0.1], [-1.0, 0.0]])
    assert np.isfinite(float(spread_elbo(dec, enc, p, good, Gaussian(0.0, 0.25), key=jax.random.key(0))))
    for bad in (jnp.array([[np.nan, 0.1], [-1.0, 0.0]]), jnp.array([[np.inf, 0.1], [-1.0, 0.0]])):
        with pytest.raises(ValueError, match="y must be finite"):
            spread_elbo(dec, enc, p, bad, Gaussian(0.0, 0.25), key=jax.random.key(0))
        with pytest.raises(ValueError, match="y must be finite"):
            spread_log_likelihood(dec, enc, p, bad, Gaussian(0.0, 0.25), key=jax.random.key(0),
                                  n_importance=4)
    with pytest.raises(TypeError, match="y must be a real array"):
        spread_elbo(dec, enc, p, np.array([["a", "b"]], dtype=object), Gaussian(0.0, 0.25),
                    key=jax.random.key(0))
    # inside a trace the values are unknown: the check steps aside and the bound stays traceable
    g = jax.grad(lambda q: spread_elbo(dec, enc, q, good, Gaussian(0.0, 0.25), key=jax.random.key(0)))(p)
    assert np.all(np.isfinite(np.asarray(g["W"])))
