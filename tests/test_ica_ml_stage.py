"""The terminal noiseless-ML stage of SpreadICA (issue 10).

Oracles: quadrature for the smoothed Laplace density, finite differences of the
objective for its relative gradient and Hessian, an independent optimiser
(scipy L-BFGS started at the truth) for the estimate, the NumPy reference for
the Numba kernel.
"""
import math
import warnings

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.optimize import minimize
from sklearn.exceptions import ConvergenceWarning

from spreadlab.ica import SpreadICA, amari_distance, make_ica_data
from spreadlab.ica._whitened import (_ml_moments, _relative_hessian, laplace_spread_logpdf,
                                     noiseless_gradient, noiseless_ml, noiseless_objective)

B = 1 / math.sqrt(2)          # unit-variance Laplace scale
C = 1 / B


@pytest.fixture(scope="module")
def data():
    X, A, S = make_ica_data(2000, 6, 3, random_state=21)
    return X, A


def _whiten(X, Z):
    Xc = X - X.mean(axis=0)
    lam, U = np.linalg.eigh(Xc.T @ Xc / X.shape[0])
    K = (U[:, ::-1][:, :Z] / np.sqrt(lam[::-1][:Z])).T
    return Xc @ K.T, K


def _off_start(U, seed=0):
    """A wrong, non-orthogonal unmixing matrix near identity-ish."""
    rng = np.random.default_rng(seed)
    Z = U.shape[1]
    return np.eye(Z) + 0.2 * rng.standard_normal((Z, Z))


@pytest.mark.parametrize("sigma", [1e-3, 0.05, 0.7])
def test_smoothed_laplace_logpdf_matches_quadrature(sigma):
    m = np.array([-30.0, -5.0, -1.0, -3 * sigma, -sigma, 0.0, 0.4 * sigma, 2 * sigma, 0.7, 6.0])
    logp = laplace_spread_logpdf(m, sigma, B)[0]

    def density(mi):
        f = lambda s: math.exp(-0.5 * ((mi - s) / sigma) ** 2 - abs(s) * C) / (
            sigma * math.sqrt(2 * math.pi) * 2 * B)
        lo, hi = mi - 12 * sigma, mi + 12 * sigma    # Gaussian mass outside: < 1e-32
        pts = [0.0] if lo < 0 < hi else None
        return quad(f, lo, hi, points=pts, epsabs=0, epsrel=1e-13, limit=200)[0]

    ref = np.log([density(mi) for mi in m])
    # quad at epsrel 1e-13 on a smooth integrand with the kink as a break point
    np.testing.assert_allclose(logp, ref, rtol=1e-11, atol=0)


@pytest.mark.parametrize("sigma", [1e-3, 0.05, 0.7])
def test_smoothed_laplace_derivatives_match_finite_differences(sigma):
    m = np.concatenate([np.linspace(-6 * sigma, 6 * sigma, 25), [-4.0, -0.8, 0.5, 3.0]])
    logp, d1, d2 = laplace_spread_logpdf(m, sigma, B)
    h = 1e-4 * sigma
    lp_p, d1_p, _ = laplace_spread_logpdf(m + h, sigma, B)
    lp_m, d1_m, _ = laplace_spread_logpdf(m - h, sigma, B)
    # central differences: truncation (h/sigma)^2 = 1e-8 relative to the scale of
    # the next derivative, round-off eps*|f|/h; both far below 1e-6
    np.testing.assert_allclose((lp_p - lp_m) / (2 * h), d1, rtol=0, atol=1e-6 * C)
    np.testing.assert_allclose((d1_p - d1_m) / (2 * h), d2, rtol=0,
                               atol=1e-6 * np.abs(d2).max())
    # log-concave (Laplace * Gaussian); far from the kink the score is the Laplace
    # one, -c sign(m), so the kink carries total curvature -2c
    assert np.all(d2 <= 0) and np.all(np.abs(d1) <= C * (1 + 1e-12))
    far = laplace_spread_logpdf(np.array([-20 * sigma - 5, 20 * sigma + 5]), sigma, B)[1]
    np.testing.assert_allclose(far, [C, -C], rtol=1e-12)


@pytest.mark.parametrize("sigma", [1e-3, 0.05])
def test_relative_gradient_matches_finite_differences(data, sigma):
    X, _ = data
    U, _ = _whiten(X, 3)
    W = _off_start(U)
    G = noiseless_gradient(U, W, sigma, B)
    rng = np.random.default_rng(1)
    for _ in range(3):
        E = rng.standard_normal((3, 3))
        eps = 1e-6
        fd = (noiseless_objective(U, (np.eye(3) + eps * E) @ W, sigma, B)
              - noiseless_objective(U, (np.eye(3) - eps * E) @ W, sigma, B)) / (2 * eps)
        # round-off of the objective (|l| ~ 5, eps 1e-16) over 2*eps: ~3e-10
        assert fd == pytest.approx(np.sum(G * E), abs=1e-7)


def test_relative_hessian_matches_second_differences(data):
    X, _ = data
    U, _ = _whiten(X, 3)
    W = _off_start(U, seed=2)
    sigma = 0.05
    _, _, D2 = _ml_moments(U @ W.T, sigma, B, "numpy")
    H = _relative_hessian(D2)
    rng = np.random.default_rng(3)
    loss = lambda M: -noiseless_objective(U, M, sigma, B)
    for _ in range(3):
        E = rng.standard_normal((3, 3))
        eps = 1e-4
        q = (loss((np.eye(3) + eps * E) @ W) - 2 * loss(W) + loss((np.eye(3) - eps * E) @ W)) / eps**2
        # the loss along the straight line I + eps E has second derivative E:H:E;
        # round-off 4 * 1e-16 * 5 / 1e-8 = 2e-7, truncation eps^2 * l'''' ~ 1e-5
        assert q == pytest.approx(E.ravel() @ H @ E.ravel(), rel=1e-4)


def test_numba_moments_match_numpy_reference(data):
    X, _ = data
    U, _ = _whiten(X, 3)
    S = U @ _off_start(U).T
    for sigma in (1e-3, 1e-2, 0.3):
        a = _ml_moments(S, sigma, B, "numpy")
        b = _ml_moments(S, sigma, B, "numba")
        # erfc / continued fraction (kernel) vs scipy's log_ndtr: 1e-12 relative per
        # element; the second derivative loses a few digits to cancellation near the kink
        assert a[0] == pytest.approx(b[0], rel=1e-12)
        np.testing.assert_allclose(b[1], a[1], rtol=0, atol=1e-11 * np.abs(a[1]).max())
        np.testing.assert_allclose(b[2], a[2], rtol=0, atol=1e-9 * np.abs(a[2]).max())


def test_numba_ml_pass_is_identical_whatever_the_thread_count(data):
    numba = pytest.importorskip("numba")
    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("needs at least two Numba threads")
    X, _ = data
    U, _ = _whiten(X, 3)
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = _ml_moments(U, 1e-3, B, "numba")
        numba.set_num_threads(2)
        two = _ml_moments(U, 1e-3, B, "numba")
    finally:
        numba.set_num_threads(before)
    assert one[0] == two[0] and np.array_equal(one[1], two[1]) and np.array_equal(one[2], two[2])


def test_default_fit_ends_at_a_stationary_point_of_the_noiseless_likelihood(data):
    X, A = data
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est = SpreadICA(3, tol=1e-9, random_state=0).fit(X)
    assert est.converged_ and est.ml_stage_["converged"]
    sigma = est.ml_stage_["smoothing"][-1]
    # the relative gradient I + <(log p)'(s) s^T> depends on the sources only: computed
    # here from the public transform, not from the fit's internals
    S = est.transform(X)
    d1 = laplace_spread_logpdf(S, sigma, B)[1]
    G = np.eye(3) + d1.T @ S / S.shape[0]
    ml = est.ml_stage_
    # the stage stops below tol or at the round-off floor of its own Newton step (which
    # BLAS kernel decides where that lies: SkylakeX and Haswell differ in the last bits);
    # the floor is only reached once the promised ascent is below the objective's
    # resolution, i.e. for steps far below the statistical error 1/sqrt(N) = 0.02
    assert ml["distance"] < 1e-9 or (ml["roundoff"] and ml["distance"] < 1e-6)
    # G ~ H D with the relative Hessian's eigenvalues <= ~3 at a Laplace optimum (4 is a
    # margin), plus the round-off of G recomputed from transform: 2000 terms of size
    # |psi(s) s| ~ 1, summed, ~1e-13
    assert np.abs(G).max() < 4 * ml["distance"] + 1e-12
    assert np.abs(G).max() == pytest.approx(ml["gradient"], rel=1e-3, abs=1e-12)
    # far from the start: the stage did real work on this seed
    assert sum(est.ml_stage_["iters"]) >= 2


def _ml_reference(X, A, Z, sigma):
    """Noiseless ML at smoothing sigma by scipy's L-BFGS started at the truth (an
    independent optimiser), as a mixing matrix."""
    U, K = _whiten(X, Z)
    N = U.shape[0]

    def f(w):
        W = w.reshape(Z, Z)
        S = U @ W.T
        logp, d1, _ = laplace_spread_logpdf(S, sigma, B)
        val = -np.linalg.slogdet(W)[1] - logp.sum() / N
        grad = -np.linalg.inv(W).T - (d1.T @ U) / N     # Euclidean gradient in W
        return val, grad.ravel()

    W0 = np.linalg.inv(K @ A)                           # started at the truth
    res = minimize(f, W0.ravel(), jac=True, method="L-BFGS-B",
                   options=dict(maxiter=5000, gtol=1e-11, ftol=1e-16))
    return np.linalg.pinv(res.x.reshape(Z, Z) @ K)


def test_default_fit_equals_an_independent_maximum_likelihood_optimiser(data):
    X, A = data
    est = SpreadICA(3, tol=1e-9, random_state=0).fit(X)
    A_ref = _ml_reference(X, A, 3, est.ml_stage_["smoothing"][-1])
    d_ref = amari_distance(A_ref, A)
    # the same maximiser: the two estimates agree to ~1e-4 of the statistical error
    assert amari_distance(est.mixing_, A_ref) < 1e-4 * d_ref
    assert amari_distance(est.mixing_, A) == pytest.approx(d_ref, rel=1e-3)


@pytest.mark.parametrize("seed", [0, 1])
def test_spread_stage_on_a_subset_still_ends_at_the_ml_estimate_of_all_the_data(seed):
    # N = 8000 > max(2000, 40 Z^2): the spread stage runs on 2000 rows to a loose
    # tolerance, only to reach the basin; the terminal stage, on all 8000 rows, must still
    # land on the maximiser an independent optimiser finds from the truth
    X, A, _ = make_ica_data(8000, 6, 4, random_state=seed)
    est = SpreadICA(4, tol=1e-9, random_state=seed).fit(X)
    assert est.converged_ and est.stage_converged_ == [True]
    A_ref = _ml_reference(X, A, 4, est.ml_stage_["smoothing"][-1])
    d_ref = amari_distance(A_ref, A)
    assert amari_distance(est.mixing_, A_ref) < 1e-4 * d_ref
    # and the spread stage really saw a subset: its E-steps cost 2000 rows each
    assert est.n_estep_ > sum(est.ml_stage_["iters"])


def test_basin_subset_takes_distinct_rows_in_order_and_all_rows_of_small_data():
    from spreadlab.ica._estimator import _basin_subset

    U = np.arange(3 * 5000, dtype=float).reshape(5000, 3)
    rng = np.random.default_rng(0)
    sub = _basin_subset(U, 3, rng)
    assert sub.shape == (2000, 3)                       # max(2000, 40 * 3**2) = 2000
    rows = sub[:, 0] / 3
    assert np.all(np.diff(rows) > 0) and np.all(rows == np.round(rows))
    np.testing.assert_array_equal(sub, U[rows.astype(int)])
    assert _basin_subset(U, 8, rng).shape == (2560, 3)  # 40 * 8**2 = 2560 > 2000
    # small data: all rows, and no random numbers consumed (the fit's draws unchanged)
    before = rng.bit_generator.state
    assert _basin_subset(U[:2000], 3, rng) is not None
    assert _basin_subset(U[:2000], 3, rng).shape == (2000, 3)
    assert rng.bit_generator.state == before


def test_spread_stage_before_the_terminal_stage_stops_at_the_basin_tolerance(data):
    # tol=0 cannot be met by a spread stage; before the terminal stage it only has to reach
    # the basin (max(tol, 0.03)), so it converges, and the terminal stage goes on to its
    # round-off floor
    X, _ = data
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est = SpreadICA(3, tol=0.0, random_state=0).fit(X)
    assert est.stage_converged_ == [True] and est.converged_ and est.ml_stage_["roundoff"]
    # without a terminal stage the spread stage carries tol itself: tol=0 is never met
    with pytest.warns(ConvergenceWarning, match=r"> tol=0\. "):
        est = SpreadICA(3, tol=0.0, finish=None, anneal=0, max_iter=20, random_state=0).fit(X)
    assert est.stage_converged_ == [False]


def test_ml_stage_that_runs_out_of_iterations_is_not_converged(data):
    X, _ = data
    U, _ = _whiten(X, 3)
    W, info = noiseless_ml(U, _off_start(U), B, tol=1e-9, max_iter=1)
    assert not info["converged"] and "max_iter=1" in info["stall"]
    assert info["distance"] > 1e-9


def test_ml_stage_at_tol_zero_stops_at_the_round_off_floor_issue21(data):
    # tol=0 can never be met: Newton reaches the round-off floor of its own step, where
    # a line search would be decided by round-off (it used to run hundreds of no-op
    # halved steps to max_iter).  The stage stops there, converged "to machine
    # precision", with the achieved distance reported
    X, _ = data
    U, _ = _whiten(X, 3)
    W, info = noiseless_ml(U, _off_start(U), B, tol=0.0, max_iter=200)
    assert info["converged"] and info["roundoff"] and info["stall"] is None
    # quadratic convergence from 0.2 off: each level needs ~10 steps, not max_iter
    assert max(info["iters"]) <= 20
    # the floor of the Newton step: a few ulps of the relative W (|W| ~ 1)
    assert 0 < info["distance"] < 1e3 * np.finfo(float).eps
    assert np.abs(noiseless_gradient(U, W, 1e-3, B)).max() < 1e3 * np.finfo(float).eps


@pytest.mark.parametrize("backend", ["numba", "numpy"])
def test_ml_stage_restarted_at_its_optimum_stops_at_once_issue21(data, backend):
    # started at the round-off floor with a tol below it: one or two trial steps, no hang
    X, _ = data
    U, _ = _whiten(X, 3)
    W, info = noiseless_ml(U, _off_start(U), B, tol=1e-12, backend=backend)
    W2, info2 = noiseless_ml(U, W, B, smoothing=(1e-3,), tol=1e-300, max_iter=500,
                             backend=backend)
    assert info2["converged"] and info2["roundoff"] and info2["iters"][0] <= 3
    assert info2["evaluations"] <= 4
    assert amari_like(W2, W) < 1e3 * np.finfo(float).eps


def amari_like(W1, W2):
    """Relative difference of two unmixing matrices (no permutation: same start)."""
    return float(np.linalg.norm(W1 - W2) / np.linalg.norm(W2))


def test_stalled_ml_stage_warns_with_numbers_and_is_not_converged(data):
    X, _ = data
    with pytest.warns(ConvergenceWarning, match=r"noiseless-ML stage \(smoothing 0\.01\): 2 "
                      r"Newton iterations, stopped by max_iter=2 Newton iterations, estimated "
                      r"distance to the stationary point \d"):
        est = SpreadICA(3, max_iter=2, random_state=0).fit(X)
    assert not est.converged_ and not est.ml_stage_["converged"]


def test_ml_stage_warning_states_the_level_tolerance_and_its_own_advice_bug_review(data):
    # the warm-up level stops at max(tol, 1e-3), not tol: the warning said "> tol=0.0001";
    # and an ML-only failure was told to "increase the spread", advice for a stalled EM
    # on this seed the spread stage converges within 5 iterations, the ML warm-up not
    X, _, _ = make_ica_data(2000, 6, 3, random_state=0)
    with pytest.warns(ConvergenceWarning) as record:
        est = SpreadICA(3, max_iter=5, random_state=0).fit(X)
    message = str(record[-1].message)
    assert est.stage_converged_ == [True] and est.ml_stage_["tol"] == 1e-3
    assert f"> tol=0.001, max |relative gradient|" in message
    assert "finish=None" in message and "rate near 1" not in message


def test_callback_can_stop_the_ml_stage(data):
    X, _ = data
    n_spread = SpreadICA(3, finish=None, anneal=0, random_state=0).fit(X).n_iter_
    seen = []

    def cb(est, it, objective):
        seen.append((it, est.mixing_.copy()))
        return it == n_spread + 1                       # the first Newton step

    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)   # stopped, not stalled
        est = SpreadICA(3, callback=cb, random_state=0).fit(X)
    assert est.n_iter_ == n_spread + 1 and not est.converged_
    assert est.ml_stage_ is not None and not est.ml_stage_["converged"]
    np.testing.assert_array_equal(seen[-1][1], est.mixing_)


def test_finish_none_keeps_the_orthogonal_spread_fit(data):
    X, _ = data
    est = SpreadICA(3, finish=None, random_state=0).fit(X)
    assert est.ml_stage_ is None
    # the whitened spread fit decorrelates the estimated sources exactly in-sample;
    # the ML stage does not (that constraint is what it removes)
    C0 = np.corrcoef(est.transform(X).T)
    assert np.abs(C0 - np.eye(3)).max() < 1e-10
    C1 = np.corrcoef(SpreadICA(3, random_state=0).fit(X).transform(X).T)
    assert np.abs(C1 - np.eye(3)).max() > 1e-4


def test_numpy_backend_matches_numba_backend_through_the_ml_stage(data):
    X, _ = data
    a = SpreadICA(3, backend="numba", random_state=4).fit(X)
    b = SpreadICA(3, backend="numpy", random_state=4).fit(X)
    assert a.ml_stage_["iters"] == b.ml_stage_["iters"]
    # kernels agree to ~1e-12; Newton steps contract differences, EM steps barely grow them
    np.testing.assert_allclose(a.mixing_, b.mixing_, rtol=1e-8)


def test_ml_stage_does_not_run_for_other_esteps(data):
    X, _ = data
    est = SpreadICA(3, prior="laplace_gsm", max_iter=20, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X)
    assert est.estep_ == "exact" and est.ml_stage_ is None


def test_one_component_fit_converges_and_estimates_the_scale_by_ml():
    # Z=1 in whitened coordinates: the orthogonal "rotation" is +-1 (nothing for spread
    # EM to fit; it used to run to max_iter unconverged) and the ML stage fits the scale
    X, A, _ = make_ica_data(3000, 3, 1, random_state=5)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est = SpreadICA(1, random_state=0).fit(X)
    assert est.converged_ and est.n_iter_ < 50
    cos = abs(est.mixing_[:, 0] @ A[:, 0]) / np.linalg.norm(est.mixing_) / np.linalg.norm(A)
    assert cos > 1 - 1e-12                               # the data span one direction
    # ML scale of a Laplace(b) sample: b_hat = mean |s|, so the unit-variance-model
    # estimate satisfies mean |s_hat| = b exactly at the optimum (sigma* = 1e-3 smooths
    # the kink: relative effect ~ sigma*^2 plus the kink's few points, < 1e-4)
    s = est.transform(X)[:, 0]
    assert np.mean(np.abs(s)) == pytest.approx(B, rel=1e-4)


@pytest.mark.parametrize("W0", [np.zeros((3, 3)), np.diag([1.0, 1.0, 0.0]), np.full((3, 3), np.nan)],
                         ids=["zero", "rank-2", "nan"])
def test_ml_stage_refuses_a_singular_start_bug_review(data, W0):
    # a singular start has l = -inf; every trial (I + D) W is singular too and was
    # "accepted" by Armijo (-inf >= -inf), then crashed with a TypeError on its missing pass
    X, _ = data
    U, _ = _whiten(X, 3)
    with pytest.raises(ValueError, match="W0 must be a finite non-singular matrix"):
        noiseless_ml(U, W0, B)
    with pytest.raises(ValueError, match=r"W0 must have shape \(3, 3\)"):
        noiseless_ml(U, np.eye(2), B)


@pytest.mark.parametrize("sigma", [1e-3, 1e-2, 0.3])
def test_numba_moments_match_numpy_reference_across_the_far_from_kink_boundary(sigma):
    # entries about 12.9 smoothing widths or more beyond the kink (where the far half-line's
    # log weight falls below -80) take the unsmoothed Laplace terms in the kernel and skip
    # the third-moment products: a dense band of sources through that boundary, against
    # the NumPy reference, which has no branch
    rng = np.random.default_rng(7)
    edge = 12 * sigma
    col = np.concatenate([edge + sigma * np.linspace(-0.5, 1.5, 201),
                          -edge - sigma * np.linspace(-0.5, 1.5, 201)])
    S = np.column_stack([col, rng.permutation(col), 0.3 * rng.standard_normal(col.size)])
    a = _ml_moments(S, sigma, B, "numpy")
    b = _ml_moments(S, sigma, B, "numba")
    # tolerances as in test_numba_moments_match_numpy_reference
    assert a[0] == pytest.approx(b[0], rel=1e-12)
    np.testing.assert_allclose(b[1], a[1], rtol=0, atol=1e-11 * np.abs(a[1]).max())
    np.testing.assert_allclose(b[2], a[2], rtol=0, atol=1e-9 * np.abs(a[2]).max())
