"""SpreadVAE: hand-derived gradients vs finite differences, importance-weighted likelihood vs
quadrature, the scikit-learn contract, and what the learnt-noise VAE does differently."""
import math
import warnings

import numpy as np
import pytest
from scipy.special import logsumexp
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.estimator_checks import parametrize_with_checks

from spreadlab import SpreadVAE, make_curve
from spreadlab.generator._vae import _decode, _init_params, elbo_and_grad


@parametrize_with_checks([SpreadVAE(1, n_hidden=4, max_iter=5, random_state=0)])
def test_sklearn_compatible(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # 5 epochs: fast, not converged
        check(estimator)


def _fd_error(p, Y, eps, log_std, grad_fn=elbo_and_grad):
    _, g = grad_fn(p, Y, eps, log_std)
    worst = 0.0
    h = 1e-6
    for k in p:
        for i in np.ndindex(p[k].shape):
            old = p[k][i]
            p[k][i] = old + h
            fp = elbo_and_grad(p, Y, eps, log_std)[0]
            p[k][i] = old - h
            fm = elbo_and_grad(p, Y, eps, log_std)[0]
            p[k][i] = old
            worst = max(worst, abs((fp - fm) / (2 * h) - g[k][i]))
    return worst


@pytest.mark.parametrize("log_std", [math.log(0.7), None], ids=["spread", "learnt-noise"])
def test_gradient_matches_central_differences(log_std):
    rng = np.random.default_rng(0)
    D, Z, H = 5, 2, 4
    p = _init_params(D, Z, H, np.zeros(D), rng)
    p["tau"][0] = 0.3
    Y = rng.standard_normal((7, D))
    eps = rng.standard_normal((7, Z))
    # central differences with h = 1e-6: truncation ~h^2 |f'''| ~ 1e-12, rounding
    # ~1e-16 |f| / h ~ 1e-9 for |f| ~ 10; measured max error 2e-9
    assert _fd_error(p, Y, eps, log_std) < 1e-7


def test_gradient_check_catches_a_missing_kl_term():
    """Negative control: drop the KL gradient of the encoder mean; the check must fail."""
    rng = np.random.default_rng(1)
    p = _init_params(4, 2, 3, np.zeros(4), rng)
    Y, eps = rng.standard_normal((6, 4)), rng.standard_normal((6, 2))

    def broken(p, Y, eps, log_std):
        val, g = elbo_and_grad(p, Y, eps, log_std)
        mu = np.tanh(Y @ p["V1"] + p["c1"]) @ p["Vm"] + p["cm"]
        g["cm"] = g["cm"] + mu.sum(axis=0) / len(Y)  # i.e. without the -mu/B term
        return val, g

    assert _fd_error(p, Y, eps, math.log(0.5), broken) > 1e-3


@pytest.fixture(scope="module")
def curve_vae():
    X, _ = make_curve(600, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # 150 epochs suffice here
        return X, SpreadVAE(1, n_hidden=32, spread=0.2, max_iter=150, learning_rate=1e-2,
                            random_state=0).fit(X)


def test_importance_weighted_likelihood_matches_quadrature(curve_vae):
    X, vae = curve_vae
    sigma = 0.2
    est = vae.spread_log_likelihood(X[:20], spread=sigma, n_importance=2000, random_state=4)
    # oracle: the same spread draw, log p(y) = log int N(y; g(z), s^2 I) N(z; 0, 1) dz by a
    # 20001-point trapezoid rule on [-8, 8] (integrand smooth, tails below 1e-14)
    Y = X[:20] + sigma * np.random.default_rng(4).standard_normal(X[:20].shape)
    z = np.linspace(-8, 8, 20001)
    G = _decode(vae.params_, z[:, None])
    logf = (-0.5 * np.sum((Y[:, None] - G[None]) ** 2, axis=2) / sigma**2 - math.log(2 * math.pi * sigma**2)
            - 0.5 * z**2 - 0.5 * math.log(2 * math.pi))
    w = np.full(z.size, z[1] - z[0])
    w[[0, -1]] /= 2
    exact = logsumexp(logf + np.log(w), axis=1)
    # the IW estimate is biased low by ~var(w)/(2K mean(w)^2) and noisy by ~1/sqrt(K) of the
    # weights' relative spread; with K = 2000 and a fitted encoder both are < 0.05 nats
    np.testing.assert_allclose(est, exact, atol=0.05)
    assert np.mean(est) <= np.mean(exact) + 0.01  # a lower bound in expectation


def test_decoder_recovers_the_curve(curve_vae):
    X, vae = curve_vae
    assert vae.history_["elbo"][-1] > vae.history_["elbo"][0]
    S, _ = vae.sample(300, random_state=2)
    # samples lie on the decoder's curve; compare with the true curve x2 = sin(2 x1)
    resid = np.abs(S[:, 1] - np.sin(2 * S[:, 0]))
    # measured median 0.05 at sigma = 0.2; a straight line leaves ~0.6
    assert np.median(resid) < 0.15, np.median(resid)


def test_learnt_noise_vae_is_a_noisy_model(curve_vae):
    X, spread_vae = curve_vae
    vae = SpreadVAE(1, n_hidden=32, noise="learn", max_iter=150, learning_rate=1e-2,
                    random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        vae.fit(X)
    assert 0 < vae.noise_std_ < 1.0
    assert spread_vae.noise_std_ == 0.2


@pytest.mark.parametrize("kwargs,match", [
    ({"spread": 0.0}, "spread"), ({"noise": "fixd"}, "noise"), ({"learning_rate": -1.0}, "learning_rate"),
])
def test_bad_parameters_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        SpreadVAE(**kwargs).fit(np.zeros((5, 2)))


def test_bad_inputs(curve_vae):
    _, vae = curve_vae
    with pytest.raises(ValueError, match="n_importance must be a positive integer"):
        vae.spread_log_likelihood(np.zeros((2, 2)), n_importance=0)
    with pytest.raises(ValueError, match=r"shape \(n_samples, 1\)"):
        vae.inverse_transform(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="features"):
        vae.transform(np.zeros((2, 3)))


# -- honest fits (issue 19) -----------------------------------------------------------------
def _digits():
    from sklearn.datasets import load_digits
    return load_digits().data / 16.0  # pixels in [0, 1]: data scale 0.27


def test_blow_up_returns_the_initial_iterate_after_a_floating_point_fault():
    X, _ = make_curve(300, random_state=0)
    with pytest.warns(ConvergenceWarning, match="diverged in epoch .*floating-point fault"):
        vae = SpreadVAE(1, spread=0.2, max_iter=50, learning_rate=3.0, random_state=0).fit(X)
    assert vae.diverged_ and not vae.converged_
    assert vae.best_iter_ == 0 < vae.n_iter_
    # oracle: the initial parameters, drawn first from the same seed
    p0 = _init_params(2, 1, 64, X.mean(axis=0), np.random.default_rng(0))
    for k in p0:
        np.testing.assert_array_equal(vae.params_[k], p0[k])


def test_a_lasting_fall_is_reported_as_divergence_not_convergence():
    X, _ = make_curve(300, random_state=0)
    # lr = 0.3: the first epoch throws the bound from -20 (initial) to -3816, and in the 20
    # epochs after it never gets back above the initial bound (median about -118)
    with pytest.warns(ConvergenceWarning, match="diverged .*fell from"):
        vae = SpreadVAE(1, spread=0.2, max_iter=100, learning_rate=0.3, random_state=0).fit(X)
    assert vae.diverged_ and not vae.converged_
    assert vae.best_iter_ == 0 and vae.n_iter_ == 20
    assert np.median(vae.history_["eval_elbo"]) < -100


def test_a_transient_fall_that_recovers_is_not_divergence():
    """Negative control of the divergence rule: lr = 0.1 falls to -158 in epoch 1, then recovers."""
    X, _ = make_curve(300, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        vae = SpreadVAE(1, spread=0.2, max_iter=150, learning_rate=0.1, random_state=0).fit(X)
    assert not vae.diverged_
    assert vae.history_["eval_elbo"][0] < -100 and vae.history_["eval_elbo"].max() > -10


def test_history_has_kl_per_dimension_and_active_units():
    X = _digits()[:300]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        vae = SpreadVAE(3, spread=0.2, max_iter=4, random_state=0).fit(X)
    h = vae.history_
    assert h["kl_per_dim"].shape == (vae.n_iter_, 3) and np.all(h["kl_per_dim"] >= 0)
    assert h["active_units"].shape == (vae.n_iter_,) and np.all(h["active_units"] <= 3)
    # oracle for the last epoch (4 epochs of steady ascent: the returned iterate is the last):
    # KL of N(mu, s^2) to N(0, 1) per coordinate, from the encoder on the evaluation draw
    assert vae.best_iter_ == vae.n_iter_ == 4
    from spreadlab.generator._vae import _encode
    rng = np.random.default_rng(0)
    _init_params(64, 3, 64, X.mean(axis=0), rng)
    Y_eval = X + 0.2 * rng.standard_normal(X.shape)
    mu, logs, _ = _encode(vae.params_, Y_eval)
    kl = np.mean(0.5 * (mu**2 + np.exp(2 * logs) - 1 - 2 * logs), axis=0)
    np.testing.assert_allclose(h["kl_per_dim"][-1], kl, rtol=1e-12)
    assert h["active_units"][-1] == np.sum(np.var(mu, axis=0) > 0.01)


@pytest.mark.parametrize("sigma,fires", [(0.01, True), (0.2, False)])
def test_sigma_collapse_warning_on_digits(sigma, fires):
    from spreadlab.generator import SpreadCollapseWarning
    X = _digits()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        vae = SpreadVAE(8, spread=sigma, max_iter=6, learning_rate=1e-2, random_state=0).fit(X)
    msgs = [str(w.message) for w in caught if issubclass(w.category, SpreadCollapseWarning)]
    assert bool(msgs) is fires, msgs
    if fires:  # both symptoms: sigma is 3.7% of the scale, encoder std ~ sigma
        assert any("of the data's scale" in m for m in msgs)
        assert any("encoder standard deviation" in m for m in msgs)
        assert vae.history_["encoder_std"][-1] < 0.02


def test_fixed_noise_mode_trains_on_raw_data():
    """noise='fixed': one full-batch Adam step on the raw data (oracle: the hand gradient)."""
    X, _ = make_curve(50, random_state=0)
    sigma, lr = 0.3, 1e-3
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        vae = SpreadVAE(1, n_hidden=5, spread=sigma, noise="fixed", max_iter=1, batch_size=50,
                        learning_rate=lr, random_state=0).fit(X)
    rng = np.random.default_rng(0)  # the fit's draws in order: init, eval eps, order, eps
    p = _init_params(2, 1, 5, X.mean(axis=0), rng)
    rng.standard_normal((50, 1))
    order = rng.permutation(50)
    _, g = elbo_and_grad(p, X[order], rng.standard_normal((50, 1)), math.log(sigma))
    assert vae.noise_std_ == sigma and vae.best_iter_ == 1
    for k in p:  # Adam's first step: lr * g / (|g| + 1e-8)
        np.testing.assert_allclose(vae.params_[k], p[k] + lr * g[k] / (np.abs(g[k]) + 1e-8),
                                   rtol=1e-12, atol=1e-15)


# -- issue 21: hostile parameters get a named refusal ---------------------------------------
@pytest.mark.parametrize("kwargs,match", [
    ({"n_hidden": 10**12}, "n_hidden"),
    ({"tol": 10**400}, "tol"),
    ({"learning_rate": 10**400}, "learning_rate"),
    ({"spread": 1e-160}, "spread"),
], ids=["n_hidden_1e12_memoryerror", "tol_1e400_overflowerror", "learning_rate_1e400_overflowerror",
        "spread_1e-160_floatingpointerror"])
def test_hostile_parameters_named_bug_issue21(kwargs, match):
    X, _ = make_curve(20, random_state=0)
    with pytest.raises(ValueError, match=match):
        SpreadVAE(1, max_iter=2, **kwargs).fit(X)


def test_parameter_budget_names_n_hidden():
    with pytest.raises(ValueError, match=r"n_hidden=100000 with n_features=784 .*budget"):
        SpreadVAE(2, n_hidden=100_000, max_iter=1).fit(np.zeros((3, 784)))


def test_numpy_path_refuses_what_only_jax_does():
    from spreadlab import Laplace
    X, _ = make_curve(20, random_state=0)
    with pytest.raises(ValueError, match=r"kernel=Laplace.*needs a JAX model"):
        SpreadVAE(1, kernel=Laplace(0.0, 0.1)).fit(X)
    with pytest.raises(ValueError, match="dtype='float32' needs a JAX model"):
        SpreadVAE(1, dtype="float32").fit(X)
    with pytest.raises(ValueError, match="decoder and encoder must be given together"):
        SpreadVAE(1, decoder=lambda p, z: z).fit(X)


def test_importance_budget_is_a_named_refusal_not_a_memoryerror(curve_vae):
    X, vae = curve_vae
    with pytest.raises(ValueError, match=r"n_importance=1000000000000 .*budget"):
        vae.spread_log_likelihood(X[:10], n_importance=10**12)
    with pytest.raises(ValueError, match="spread must be in"):
        vae.spread_log_likelihood(X[:10], spread=1e-160)


def test_a_user_model_without_jax_names_the_extra(monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "jax", None)  # as if JAX were not installed
    X, _ = make_curve(20, random_state=0)
    with pytest.raises(ImportError, match=r"pip install 'spreadlab\[jax\]'"):
        SpreadVAE(1, decoder=lambda p, z: z, encoder=lambda p, y: (y, y), init_params={}).fit(X)
