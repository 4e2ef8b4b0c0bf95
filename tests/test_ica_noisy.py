"""The noisy-ML terminal stage (spreadlab.ica._noisy, SpreadICA(finish="noisy_ml")).

Oracles: finite differences of the simulated objective for its relative gradient, the
closed-form Laplace * Gaussian density (itself checked by quadrature in
test_ica_ml_stage.py) for the noise average with one source, within Monte Carlo
standard errors, and the noiseless ML stage for noise 0.
"""
import math
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from spreadlab.ica import SpreadICA, make_ica_data, mixing_error
from spreadlab.ica._noisy import (estimate_noise, noise_draws, noisy_gradient, noisy_ml,
                                  noisy_objective, smooth_laplace_logpdf)
from spreadlab.ica._whitened import laplace_spread_logpdf, noiseless_objective

B = 1 / math.sqrt(2)


def _whiten(X, Z):
    Xc = X - X.mean(axis=0)
    lam, U = np.linalg.eigh(Xc.T @ Xc / X.shape[0])
    lam, U = lam[::-1][:Z], U[:, ::-1][:, :Z]
    return Xc @ (U / np.sqrt(lam)), lam


@pytest.fixture(scope="module")
def noisy_data():
    X, A, _ = make_ica_data(1500, 6, 3, noise=0.4, random_state=3)
    U, lam = _whiten(X, 3)
    return X, A, U, lam


def test_relative_gradient_matches_finite_differences(noisy_data):
    _, _, U, lam = noisy_data
    rng = np.random.default_rng(0)
    draws = rng.standard_normal((8, 3)) * (0.4 / np.sqrt(lam))
    W = np.eye(3) + 0.3 * rng.standard_normal((3, 3))
    G = noisy_gradient(U, W, draws, B)
    for _ in range(3):
        E = rng.standard_normal((3, 3))
        eps = 1e-6
        fd = (noisy_objective(U, (np.eye(3) + eps * E) @ W, draws, B)
              - noisy_objective(U, (np.eye(3) - eps * E) @ W, draws, B)) / (2 * eps)
        # truncation eps^2 * l''' with curvature <= c/delta ~ 1.4e3 near the smoothed kink
        # (a few of 12000 points): ~1e-9; round-off |l| * 1e-16 / eps ~ 1e-9
        assert fd == pytest.approx(np.sum(G * E), abs=1e-7)


def test_smoothed_laplace_derivative_matches_finite_differences():
    s = np.linspace(-3, 3, 61) + 1e-4
    logp, d1 = smooth_laplace_logpdf(s, B)
    h = 1e-7
    fd = (smooth_laplace_logpdf(s + h, B)[0] - smooth_laplace_logpdf(s - h, B)[0]) / (2 * h)
    np.testing.assert_allclose(fd, d1, rtol=0, atol=1e-6)   # curvature <= c/delta: h^2*1e9
    # delta = 1e-3 changes log p by at most c*delta away from the kink
    np.testing.assert_allclose(logp, -np.abs(s) / B - math.log(2 * B), rtol=0, atol=1.5e-3)


def test_noise_average_is_the_laplace_gaussian_convolution_for_one_source():
    # Z = 1: p(u) = |w| E_n p(w (u + n)); with w = 1 this is Laplace * N(0, tau^2) at u
    tau = 0.3
    u = np.array([[-1.2], [0.0], [0.4], [2.5]])
    K = 200_000
    draws = np.random.default_rng(5).standard_normal((K, 1)) * tau
    exact = laplace_spread_logpdf(u[:, 0], tau, B)[0]
    for i in range(u.shape[0]):
        est = noisy_objective(u[i:i + 1], np.eye(1), draws, B)
        # Monte Carlo: relative standard error of the mean of p(u + n) over K draws
        vals = np.exp(smooth_laplace_logpdf(u[i, 0] + draws[:, 0], B)[0])
        rel_se = vals.std() / vals.mean() / math.sqrt(K)
        # 5 standard errors, plus the O(c*delta) smoothing of the kink
        assert est == pytest.approx(exact[i], abs=5 * rel_se + 1.5e-3)


def test_zero_noise_objective_is_the_noiseless_one(noisy_data):
    _, _, U, _ = noisy_data
    W = np.eye(3) + 0.1
    a = noisy_objective(U, W, np.zeros((1, 3)), B)
    # the noiseless objective with Gaussian smoothing 1e-3 vs sqrt smoothing 1e-3:
    # both within c * 1e-3 per source of the exact Laplace one
    assert a == pytest.approx(noiseless_objective(U, W, 1e-3, B), abs=3 * 1.5e-3)


def test_noisy_ml_reaches_a_stationary_point(noisy_data):
    _, _, U, lam = noisy_data
    W0 = np.eye(3) + 0.05 * np.random.default_rng(1).standard_normal((3, 3))
    W, info = noisy_ml(U, W0, 0.4 / np.sqrt(lam), B, n_draws=8, random_state=2, tol=1e-6)
    assert info["converged"] and info["stall"] is None
    draws = noise_draws(8, 0.4 / np.sqrt(lam), 2)
    G = noisy_gradient(U, W, draws, B)
    assert np.abs(G).max() < 1e-6 and np.abs(G).max() == pytest.approx(info["gradient"])
    assert info["objective"] >= noisy_objective(U, W0, draws, B)


def test_noisy_ml_out_of_iterations_is_not_converged(noisy_data):
    _, _, U, lam = noisy_data
    W, info = noisy_ml(U, np.eye(3) + 0.3, 0.4 / np.sqrt(lam), B, random_state=0,
                       tol=1e-12, max_iter=2)
    assert not info["converged"] and "max_iter=2" in info["stall"]


def test_estimate_noise_from_trailing_eigenvalues():
    X, _, _ = make_ica_data(20000, 8, 3, noise=0.3, random_state=0)
    Xc = X - X.mean(axis=0)
    lam = np.linalg.eigvalsh(Xc.T @ Xc / X.shape[0])
    # 5 trailing eigenvalues of a 20000-sample covariance: relative error ~ sqrt(2/(5N))
    assert estimate_noise(lam, 3) == pytest.approx(0.3, rel=0.02)
    with pytest.raises(ValueError, match="n_features > n_components"):
        estimate_noise(lam, 8)


def test_spreadica_noisy_finish_fits_and_reports(noisy_data):
    X, A, _, _ = noisy_data
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est = SpreadICA(3, finish="noisy_ml", random_state=0).fit(X)
        given = SpreadICA(3, finish="noisy_ml", noise=0.4, random_state=0).fit(X)
    assert est.converged_ and est.ml_stage_["converged"]
    assert est.ml_stage_["noise"] == pytest.approx(0.4, rel=0.1)   # 3 trailing eigenvalues
    assert given.ml_stage_["noise"] == 0.4
    # statistical error of A at N = 1500 with this noise is ~0.03-0.05 per entry
    assert mixing_error(est.mixing_, A) < 0.15 and mixing_error(given.mixing_, A) < 0.15


def test_spreadica_noisy_finish_needs_a_noise_level():
    X, _, _ = make_ica_data(500, 3, 3, noise=0.1, random_state=0)
    with pytest.raises(ValueError, match="finish='noisy_ml' needs noise > 0"):
        SpreadICA(3, finish="noisy_ml", random_state=0).fit(X)


def test_numba_pass_matches_numpy_reference(noisy_data):
    pytest.importorskip("numba")
    _, _, U, lam = noisy_data
    rng = np.random.default_rng(4)
    draws = rng.standard_normal((16, 3)) * (0.4 / np.sqrt(lam))
    W = np.eye(3) + 0.3 * rng.standard_normal((3, 3))
    a = noisy_objective(U, W, draws, B), noisy_gradient(U, W, draws, B)
    b = noisy_objective(U, W, draws, B, "numba"), noisy_gradient(U, W, draws, B, "numba")
    # same formulas, other summation order: ~1e-15 relative per term over 24000 terms
    assert b[0] == pytest.approx(a[0], rel=1e-12)
    np.testing.assert_allclose(b[1], a[1], rtol=0, atol=1e-12)
