"""SpreadVAE's stopping rule (issue 20): converged only on a plateau that stayed at its best.

Both ways: a decaying learning rate on a linear-Gaussian model converges at the closed-form
maximum-likelihood fit (probabilistic PCA of the spread data) and more epochs do not beat it;
a bound that still rises, or that jitters below its best under a constant step, is refused; a
crawl below ``tol`` returns its best (latest) iterate, not the initial one."""
import math
import warnings

import numpy as np
import pytest
from scipy import stats
from sklearn.exceptions import ConvergenceWarning

from spreadlab import SpreadVAE, make_curve

SIGMA = 0.3


def _line(n=400):
    """Points exactly on a line in 2-D (a deterministic linear generator x = z a + c)."""
    rng = np.random.default_rng(0)
    u, c = np.array([0.6, 0.8]), np.array([0.5, -1.0])
    return 2.0 * rng.standard_normal((n, 1)) * u + c


def _ml_fit(X):
    """Closed-form maximum likelihood of y = z a + b + sigma eps on the spread data of X
    (Tipping & Bishop 1999 with the noise fixed at sigma): covariance S_X + sigma^2 I,
    a = sqrt(lambda_1 - sigma^2) times the top eigenvector."""
    S = np.cov(X.T, bias=True) + SIGMA**2 * np.eye(2)
    lam, V = np.linalg.eigh(S)
    return X.mean(axis=0), S, math.sqrt(lam[-1] - SIGMA**2) * V[:, -1]


def _linear_model(X):
    jnp = pytest.importorskip("jax.numpy", reason="user models need the jax extra")
    _, _, a = _ml_fit(X)

    def dec(p, z):
        return z @ p["A"] + p["b"]

    def enc(p, y):   # the exact posterior family: mean linear in y, constant std
        return (y - p["b"]) @ p["C"], jnp.zeros((y.shape[0], 1)) + p["s"]

    def init(X, rng):   # near the optimum, so that the test is about the stopping rule
        A = (a + 0.2 * rng.standard_normal(2))[None, :]
        v = float((A @ A.T)[0, 0]) + SIGMA**2
        return {"A": A, "b": X.mean(axis=0), "C": A.T / v,
                "s": np.array([0.5 * math.log(SIGMA**2 / v)])}
    return dec, enc, init


def _spread_loglik(X, b, cov):
    Y = np.repeat(X, 50, axis=0) + SIGMA * np.random.default_rng(9).standard_normal((50 * len(X), 2))
    return float(np.mean(stats.multivariate_normal(b, cov).logpdf(Y)))


@pytest.mark.jax
def test_decaying_schedule_converges_at_the_maximum_likelihood_fit():
    optax = pytest.importorskip("optax", reason="user models need the jax extra")
    X = _line()
    dec, enc, init = _linear_model(X)
    kw = dict(decoder=dec, encoder=enc, init_params=init, spread=SIGMA, batch_size=50,
              optimizer=optax.adam(optax.exponential_decay(1e-2, 8, 0.9, end_value=1e-5)),
              random_state=0)
    vae = SpreadVAE(1, max_iter=300, n_iter_no_change=10, **kw).fit(X)
    assert vae.converged_ and "stayed within tol" in vae.stop_reason_
    # oracle 1: the decoder is the closed-form ML fit; its exact spread log-likelihood (a
    # Gaussian) matches the ML one within the rule's own resolution, tol = 1e-3 relative
    # (measured: 1.2e-4 nats of 2.33), and the line's direction is recovered
    b, S, a = _ml_fit(X)
    A = vae.params_["A"][0]
    l_fit = _spread_loglik(X, vae.params_["b"], np.outer(A, A) + SIGMA**2 * np.eye(2))
    l_ml = _spread_loglik(X, b, S)
    assert abs(l_fit - l_ml) < vae.tol * abs(l_ml)
    assert abs(abs(A @ a) / (np.linalg.norm(A) * np.linalg.norm(a)) - 1) < 1e-4
    # oracle 2: a plateau is a plateau -- 100 more epochs of the same run never beat the
    # returned bound by more than tol (measured: not at all)
    h = vae.history_["eval_elbo"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        longer = SpreadVAE(1, max_iter=vae.n_iter_ + 100, n_iter_no_change=10**6, **kw).fit(X)
    best = h[vae.best_iter_ - 1]
    assert longer.history_["eval_elbo"].max() <= best + vae.tol * abs(best)


def test_constant_step_that_never_settles_is_not_converged_bug_plateau_at_jitter():
    """The old rule (no gain above tol for n_iter_no_change epochs) stopped this fit at epoch 90
    as converged with a best bound of -2.04; the same fit reaches -1.82 later. The bound jitters
    more than tol below its best at this constant step: not a plateau."""
    X, _ = make_curve(300, random_state=0)
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        vae = SpreadVAE(1, spread=0.1, learning_rate=1e-2, max_iter=200, n_iter_no_change=10,
                        random_state=0).fit(X)
    h = vae.history_["eval_elbo"]
    assert not vae.converged_ and vae.n_iter_ == 200
    assert h[vae.best_iter_ - 1] == h.max()
    # what the old verdict missed: a gain far above tol after epoch 90 (measured 0.22 nats,
    # 120 x tol |best|)
    assert h.max() - h[:90].max() > 10 * vae.tol * abs(h.max())


def test_still_rising_fit_is_not_converged():
    X, _ = make_curve(300, random_state=0)
    with pytest.warns(ConvergenceWarning, match="still improved by more than tol"):
        vae = SpreadVAE(1, spread=0.1, max_iter=15, random_state=0).fit(X)
    h = vae.history_["eval_elbo"]
    assert not vae.converged_ and not vae.diverged_
    assert h[-1] - h[-6] > vae.tol * abs(h[-1])   # it was still rising (measured: 0.9 nats)
    assert vae.best_iter_ == 15


def test_crawl_below_tol_returns_its_best_iterate_not_the_first():
    """At a tiny step every epoch gains less than tol: the plateau clock never restarts, but
    the returned parameters are the best epoch's (they were the initial ones before)."""
    X, _ = make_curve(300, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        vae = SpreadVAE(1, spread=0.1, learning_rate=1e-5, tol=0.1, max_iter=8,
                        n_iter_no_change=5, random_state=0).fit(X)
    h = vae.history_["eval_elbo"]
    assert np.all(np.diff(h) > 0) and h[-1] - h[0] < 0.1 * abs(h[0])   # a crawl below tol
    assert vae.best_iter_ == vae.n_iter_ == len(h)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ref = SpreadVAE(1, spread=0.1, learning_rate=1e-5, tol=0.1, max_iter=vae.best_iter_,
                        n_iter_no_change=10**6, random_state=0).fit(X)
    for k in vae.params_:   # oracle: the same fit stopped at best_iter_ epochs
        np.testing.assert_array_equal(vae.params_[k], ref.params_[k])
