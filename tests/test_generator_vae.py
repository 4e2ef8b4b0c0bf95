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
