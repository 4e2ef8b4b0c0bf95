"""SpreadGenerator: scikit-learn contract, recovery of a known manifold, one-sided bias, sigma -> 0."""
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.utils.estimator_checks import parametrize_with_checks

from spreadlab import SpreadGenerator, make_curve, make_sheet
from spreadlab.generator import curve_function, mmd_permutation_test


@parametrize_with_checks([SpreadGenerator(1, n_grid=30, max_iter=15, anneal_iter=5,
                                          random_state=0)])
def test_sklearn_compatible(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # 15 sweeps: fast, not converged
        check(estimator)


@pytest.fixture(scope="module")
def curve():
    X, _ = make_curve(1000, random_state=0)
    Xt, _ = make_curve(1000, random_state=1)
    return X, Xt


@pytest.fixture(scope="module")
def fits(curve):
    X, _ = curve
    both = SpreadGenerator(1, spread=0.3, random_state=0).fit(X)
    one = SpreadGenerator(1, spread=0.3, spread_data=False, random_state=0).fit(X)
    default = SpreadGenerator(1, random_state=0).fit(X)
    return both, one, default


def test_recovers_the_curve(curve, fits):
    _, Xt = curve
    gen = fits[2]
    assert gen.converged_
    assert gen.stop_reason_.startswith("the log-likelihood improved by less than tol=")
    scale = np.sqrt(np.mean(np.var(Xt, axis=0)))
    d = gen.manifold_distance(Xt) / scale
    # measured 1.5% of the data scale (the sigma floor of the grid is 0.033, 4% of the
    # scale); 4% leaves room for other seeds while a wrong manifold is tens of percent
    assert d.mean() < 0.04, d.mean()
    # negative control: the PCA initialisation (a straight line) is far from the curve
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        line = SpreadGenerator(1, max_iter=1, random_state=0).fit(curve[0])
    assert line.manifold_distance(Xt).mean() / scale > 0.2


def test_samples_match_held_out_data(curve, fits):
    _, Xt = curve
    gen = fits[2]
    S, _ = gen.sample(500, random_state=3)
    _, p = mmd_permutation_test(S, Xt[:500], n_permutations=200, random_state=0)
    assert p > 0.01, p  # a 1% test: fails for 1 seed in 100 if the samples are right
    # negative control: the same test rejects samples from the unfitted (PCA) line
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        line = SpreadGenerator(1, max_iter=1, random_state=0).fit(curve[0])
    _, p_line = mmd_permutation_test(line.sample(500, random_state=3)[0], Xt[:500],
                                     n_permutations=200, random_state=0)
    assert p_line < 0.01


def test_samples_lie_exactly_on_the_fitted_manifold(fits):
    gen = fits[2]
    S, Z = gen.sample(200, random_state=1)
    np.testing.assert_allclose(gen.inverse_transform(Z), S, rtol=0, atol=1e-14)
    inside = np.all(np.abs(Z) < gen.latent_range, axis=1)
    # Gauss-Newton converges to the foot point; 1e-6 is far below the 1e-2 manifold errors
    assert gen.manifold_distance(S[inside]).max() < 1e-6


def test_manifold_distance_matches_brute_force(curve, fits):
    _, Xt = curve
    gen = fits[2]
    z = np.linspace(-3, 3, 200001)[:, None]  # spacing 3e-5: brute force within ~1e-9 sq. error
    G = gen.inverse_transform(z)
    brute = np.array([np.sqrt(np.min(np.sum((G - x) ** 2, axis=1))) for x in Xt[:50]])
    md = gen.manifold_distance(Xt[:50])
    # the refined foot point is never worse than the brute-force grid point ...
    assert np.all(md <= brute + 1e-12)
    # ... and the grid point is off the foot point by at most half a step s = 3e-5 along z,
    # so brute overestimates by at most (s |g'|)^2 / (2 d) ~ 2e-6 for d ~ 1e-3, |g'| <= 2.3
    assert np.max(brute - md) < 1e-5
    # negative control: a coarse search (spacing 0.03) alone is measurably worse
    Gc = gen.inverse_transform(np.linspace(-3, 3, 201)[:, None])
    coarse = np.array([np.sqrt(np.min(np.sum((Gc - x) ** 2, axis=1))) for x in Xt[:50]])
    assert np.max(coarse - md) > 1e-4


def _manifold_distance_before_issue_20(gen, X, n_search=None):
    """The method's own routine before it called distance_to_manifold (frozen copy, the
    regression reference): nearest node of a grid search, 8 undamped Gauss--Newton steps with
    the analytic Jacobian of the RBFs, each kept only if it lowers the distance."""
    Zd, r = gen.n_latent, gen.latent_range
    n = n_search or (2000 if Zd == 1 else 120)
    axis = np.linspace(-r, r, n)
    S = np.stack([m.ravel() for m in np.meshgrid(*([axis] * Zd), indexing="ij")], axis=1)
    GS = gen.inverse_transform(S)
    z = S[np.argmin(np.sum(GS * GS, axis=1)[None, :] - 2.0 * X @ GS.T, axis=1)]
    n_rbf = gen.centres_.shape[0]
    Wr, Wl = gen.coef_[:n_rbf], gen.coef_[n_rbf:n_rbf + Zd]
    for _ in range(8):
        diff = z[:, None, :] - gen.centres_[None, :, :]
        e = np.exp(-0.5 * np.sum(diff * diff, axis=2) / gen.width_**2)
        res = gen.inverse_transform(z) - X
        J = np.einsum("nm,nmi,md->ndi", e, -diff / gen.width_**2, Wr) + Wl.T[None]
        JtJ = np.einsum("ndi,ndj->nij", J, J) + 1e-9 * np.eye(Zd)
        step = np.linalg.solve(JtJ, np.einsum("ndi,nd->ni", J, res)[..., None])[..., 0]
        z_new = np.clip(z - step, -r, r)
        better = np.sum((gen.inverse_transform(z_new) - X) ** 2, axis=1) < np.sum(res * res, axis=1)
        z[better] = z_new[better]
    return np.sqrt(np.sum((gen.inverse_transform(z) - X) ** 2, axis=1))


@pytest.fixture(scope="module")
def sheet_fit():
    X, _ = make_sheet(600, random_state=1)
    Xt, _ = make_sheet(300, random_state=11)
    return SpreadGenerator(2, n_grid=40, n_draws=2, random_state=1).fit(X), Xt


def test_manifold_distance_is_distance_to_manifold_of_the_fitted_generator(fits, curve, sheet_fit):
    """One routine: the method is distance_to_manifold with the fitted generator, on the box
    the generator was fitted on, with the method's search grid."""
    from spreadlab.generator import distance_to_manifold

    for gen, Xt, n in ((fits[2], curve[1][:200], 2000), (sheet_fit[0], sheet_fit[1], 120)):
        expected = distance_to_manifold(Xt, gen.inverse_transform, gen.n_latent,
                                        latent_range=gen.latent_range, n_search=n)
        np.testing.assert_array_equal(gen.manifold_distance(Xt), expected)


def test_manifold_distance_is_never_worse_than_the_old_routine(fits, curve, sheet_fit):
    """Against the frozen copy of the method's former routine: the same distances to rounding
    where that one reached the foot point (the curve), never larger on the sheet, and exact
    for points on the fitted sheet, where the old routine left some on a wrong fold (the
    nearest search node was there; the new routine also starts from the grid's next local
    minima of the distance)."""
    gen, Xt = fits[2], curve[1][:300]
    new, old = gen.manifold_distance(Xt), _manifold_distance_before_issue_20(gen, Xt)
    # both stop at the same foot point: a few ulps of |x - g(z)| (distances ~1e-3 .. 1e-1)
    np.testing.assert_allclose(new, old, rtol=1e-9, atol=1e-14)
    sheet, Xs = sheet_fit
    S, _ = sheet.sample(300, random_state=1)           # exactly on the fitted sheet
    for X in (Xs, S):
        new, old = sheet.manifold_distance(X), _manifold_distance_before_issue_20(sheet, X)
        assert np.all(new <= old + 1e-12), np.max(new - old)
    # rounding of |x - g(z)| for |x| ~ 1: 1e-9 is far above it and far below a wrong fold
    assert new.max() < 1e-9, new.max()
    # negative control (measured: 23 of 300 points off by up to ~0.1 with the old routine)
    assert np.sum(old > 1e-9) > 0


def test_manifold_distance_of_a_sheet_matches_an_independent_minimiser(sheet_fit):
    """Oracle for Z = 2: a dense 601 x 601 latent grid (spacing 0.01), then scipy's bounded
    L-BFGS-B from its best node, for each held-out point."""
    from scipy.optimize import minimize

    from spreadlab.generator import distance_to_manifold

    gen, Xt = sheet_fit
    X = Xt[:40]
    axis = np.linspace(-3, 3, 601)
    S = np.stack([m.ravel() for m in np.meshgrid(axis, axis, indexing="ij")], axis=1)
    G = gen.inverse_transform(S)
    oracle = []
    for x in X:
        z0 = S[np.argmin(np.sum((G - x) ** 2, axis=1))]
        fun = lambda z: float(np.sum((gen.inverse_transform(z[None]) - x) ** 2))  # noqa: E731
        best = minimize(fun, z0, method="L-BFGS-B", bounds=[(-3, 3)] * 2,
                        options={"ftol": 1e-15, "gtol": 1e-12})
        oracle.append(np.sqrt(min(best.fun, fun(z0))))
    oracle = np.array(oracle)
    # L-BFGS-B with finite-difference gradients stops within ~1e-8 relative of the minimum
    # (measured 7e-12 here); 1e-6 is far below the 1e-2 manifold errors the method measures
    np.testing.assert_allclose(gen.manifold_distance(X), oracle, rtol=1e-6)
    # negative control: the method's search grid alone (no refinement) misses it measurably
    coarse = distance_to_manifold(X, gen.inverse_transform, 2, latent_range=3.0, n_search=120,
                                  n_refine=0)
    assert np.max(coarse / oracle - 1) > 1e-4


@pytest.mark.parametrize("n_search,err,match", [
    (10**12, ValueError, "n_search must be an integer <= 1024"),
    (2**63, ValueError, "n_search must be an integer <= 1024"),
    (1, ValueError, "n_search must be an integer >= 2"),
    (True, TypeError, "n_search"),
    (2.5, TypeError, "n_search"),
])
def test_manifold_distance_n_search_is_a_budgeted_count(sheet_fit, n_search, err, match):
    """Review finding (issue 20): the method's n_search was unchecked (n_search=10**12 tried
    to allocate the grid; 0 fell back to the default through `or`)."""
    gen, Xt = sheet_fit
    with pytest.raises(err, match=match):
        gen.manifold_distance(Xt[:2], n_search=n_search)


def test_one_sided_spread_bends_the_manifold(curve, fits):
    """Noise on the model only (GTM-style) is biased; spreading both is not."""
    _, Xt = curve
    both, one, _ = fits
    diff = one.manifold_distance(Xt) - both.manifold_distance(Xt)  # paired per point
    se = diff.std(ddof=1) / np.sqrt(len(diff))
    # measured 0.067 vs 0.026 at sigma = 0.3; require the paired mean 3 standard errors above 0
    assert diff.mean() > 3 * se, (diff.mean(), se)
    z = np.random.default_rng(5).standard_normal((2000, 1))
    err = [min(np.mean(np.linalg.norm(m.inverse_transform(z) - curve_function(s * z), axis=1))
               for s in (1, -1)) for m in (both, one)]
    assert err[1] > err[0]


def test_tiny_spread_below_the_grid_floor_is_reported_as_a_stall(curve):
    X, _ = curve
    with pytest.warns(ConvergenceWarning, match="stalled rather than converged"):
        gen = SpreadGenerator(1, spread=1e-3, spread_start=1e-3, anneal_iter=0, grid_floor=False,
                              n_grid=50, max_iter=60, random_state=0).fit(X)
    assert not gen.converged_
    assert gen.history_["n_eff"][-1] < 1.1  # one node per point: responsibilities are hard
    assert gen.spread_ < gen.spread_floor_


def test_off_manifold_density_collapses_like_minus_d2_over_2_sigma2(fits):
    gen = fits[2]
    x_on = gen.inverse_transform(np.array([[0.4]]))
    # move off along the normal of the curve at that point
    t = gen.inverse_transform(np.array([[0.4 + 1e-5]])) - x_on
    nrm = np.array([[-t[0, 1], t[0, 0]]]) / np.linalg.norm(t)
    delta = 0.3
    gap = gen.score_samples(x_on + delta * nrm)[0] - gen.score_samples(x_on)[0]
    expected = -delta**2 / (2 * gen.spread_**2)  # about -41 nats at sigma = 0.033
    # curvature moves the nearest point by O(delta * sigma); 10% covers it
    assert abs(gap - expected) < 0.1 * abs(expected), (gap, expected)


def test_sheet_recovery_small():
    X, _ = make_sheet(600, random_state=0)
    Xt, _ = make_sheet(300, random_state=1)
    gen = SpreadGenerator(2, n_grid=30, random_state=0).fit(X)
    scale = np.sqrt(np.mean(np.var(Xt, axis=0)))
    # measured 3.3% at this small size; a flat plane (PCA) leaves ~40%
    assert np.median(gen.manifold_distance(Xt)) / scale < 0.08
    Z = gen.transform(Xt)
    assert Z.shape == (300, 2)
    # posterior-mean latents map back near the data (within a few spreads)
    assert np.median(np.linalg.norm(gen.inverse_transform(Z) - Xt, axis=1)) < 3 * gen.spread_


def test_reproducible_and_backends_agree(curve):
    X, _ = curve
    a = SpreadGenerator(1, max_iter=20, random_state=7).fit(X)
    b = SpreadGenerator(1, max_iter=20, random_state=7).fit(X)
    c = SpreadGenerator(1, max_iter=20, random_state=7, backend="numpy").fit(X)
    np.testing.assert_array_equal(a.coef_, b.coef_)
    # the two E-steps agree to 1e-12; 20 sweeps of least squares amplify that modestly
    np.testing.assert_allclose(a.coef_, c.coef_, rtol=1e-7, atol=1e-9)


def test_max_iter_too_small_warns_with_numbers(curve):
    with pytest.warns(ConvergenceWarning, match=r"max_iter=5 sweeps ran out at spread"):
        gen = SpreadGenerator(1, max_iter=5, random_state=0).fit(curve[0])
    assert not gen.converged_ and gen.n_iter_ == 5


@pytest.mark.parametrize("kwargs,match", [
    ({"n_latent": 3}, "n_latent"),
    ({"spread": -1.0}, "spread"),
    ({"spread": "big"}, "spread"),
    ({"backend": "cuda"}, "backend"),
    ({"max_iter": 0}, "max_iter"),
    ({"spread": 0.5, "spread_start": 0.1}, "spread_start must be >= spread"),
])
def test_bad_parameters_are_named(curve, kwargs, match):
    with pytest.raises(ValueError, match=match):
        SpreadGenerator(**{"n_latent": 1, **kwargs}).fit(curve[0])


@pytest.mark.parametrize("kwargs,err,match", [
    ({"n_draws": True}, TypeError, "n_draws must be an integer, not a bool"),
    ({"anneal_iter": False}, TypeError, "anneal_iter must be an integer, not a bool"),
    ({"latent_range": 1e-300}, ValueError, "latent_range"),
    ({"spread": 1e-300, "spread_start": 1e-300, "grid_floor": False}, ValueError, "'spread'"),
])
def test_hostile_parameters_are_named_bug_issue_20(curve, kwargs, err, match):
    """Hostile-input sweep (issue 20): n_draws=True crashed with an unnamed "an integer is
    required", latent_range=1e-300 with a division by zero inside the fit, spread=1e-300 with
    a ZeroDivisionError (sigma^2 = 0)."""
    with pytest.raises(err, match=match):
        SpreadGenerator(**{"n_latent": 1, "max_iter": 3, **kwargs}).fit(curve[0][:50])


@pytest.mark.parametrize("spread", [1e300, 1e-300])
def test_spread_log_likelihood_refuses_an_unrepresentable_spread_bug_issue_20(fits, spread):
    """spread=1e300 raised OverflowError (sigma**2) and 1e-300 ZeroDivisionError (0.5 / 0)."""
    with pytest.raises(ValueError, match=r"spread must be in \[1e-150, 1e100\]"):
        fits[2].spread_log_likelihood(np.zeros((2, 2)), spread=spread)


def test_bad_inputs(fits):
    gen = fits[2]
    with pytest.raises(NotFittedError):
        SpreadGenerator(1).transform(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="features"):
        gen.transform(np.zeros((3, 5)))
    with pytest.raises(ValueError, match=r"shape \(n_samples, 1\)"):
        gen.inverse_transform(np.zeros((3, 2)))
    with pytest.raises(ValueError, match="n_samples must be a positive integer"):
        gen.sample(0)
    with pytest.raises(ValueError, match="spread must be a finite float > 0"):
        gen.spread_log_likelihood(np.zeros((2, 2)), spread=0.0)
    with pytest.raises(ValueError, match="NaN"):
        gen.score(np.array([[np.nan, 0.0]]))


# ----------------------------------------------------------- fitting to the optimum (issue 20)
def test_best_iterate_is_returned_and_scored_on_the_final_draw_set(fits):
    gen = fits[0]  # both-sided, sigma = 0.3
    h = gen.history_
    final = (h["n_draws"] == gen.n_draws_) & (h["spread"] == gen.spread_)
    assert gen.n_draws_ == gen.n_draws == 16
    # the returned generator is the best one scored on the final draw set ...
    assert h["loglik"][gen.best_iter_] == h["loglik"][final].max()
    assert final[gen.best_iter_]
    # ... and draws were doubled 1 -> 16 as the fit settled, never decreased
    assert list(np.unique(h["n_draws"][h["spread"] == gen.spread_])) == [1, 2, 4, 8, 16]
    assert np.all(np.diff(h["n_draws"]) >= 0)


def test_more_spread_draws_bring_the_both_sided_fit_closer_to_the_truth(curve, fits):
    """One draw per point: the fit follows that draw's noise (of order sigma sqrt(p/N) per
    coefficient); the default's 16 fixed draws and SQUAREM carry far less of it."""
    X, Xt = curve
    one_draw = SpreadGenerator(1, spread=0.3, n_draws=1, accelerate=False, random_state=0).fit(X)
    d1 = one_draw.manifold_distance(Xt)
    d16 = fits[0].manifold_distance(Xt)
    diff = d1 - d16
    # paired per held-out point; 3 standard errors
    assert diff.mean() > 3 * diff.std(ddof=1) / np.sqrt(len(diff)), (d1.mean(), d16.mean())


def test_squarem_finds_the_fixed_point_of_a_linear_em_map_faster():
    """Oracle: F(t) = t* + A (t - t*) with a slow eigenvalue 0.99 has the fixed point t*; the
    objective -|t - t*|^2 is what EM would increase. Plain iteration needs ~2000 steps to 1e-8."""
    from spreadlab.generator._estimator import _Squarem

    rng = np.random.default_rng(0)
    Q = np.linalg.qr(rng.standard_normal((6, 6)))[0]
    A = Q @ np.diag([0.99, 0.9, 0.5, 0.3, 0.1, 0.0]) @ Q.T
    t_star = rng.standard_normal(6)
    F = lambda t: t_star + A @ (t - t_star)  # noqa: E731
    sq, evals = _Squarem(np.zeros(6)), 0
    while np.linalg.norm(sq.query - t_star) > 1e-8 and evals < 2000:
        sq.update(-np.sum((sq.query - t_star) ** 2), F(sq.query))
        evals += 1
    assert np.linalg.norm(sq.query - t_star) <= 1e-8
    assert evals < 200, evals
    # negative control: plain EM is still far after the same number of steps
    t = np.zeros(6)
    for _ in range(evals):
        t = F(t)
    assert np.linalg.norm(t - t_star) > 1e-3


# ------------------------------------------------------------- sampling inside the fit's range
def test_sample_stays_inside_the_latent_range_bug_issue19(curve):
    from scipy.special import ndtr

    gen = SpreadGenerator(1, latent_range=1.0, max_iter=30, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        gen.fit(curve[0])
    S, Z = gen.sample(20000, random_state=0)
    assert np.all(np.abs(Z) <= 1.0)
    np.testing.assert_allclose(gen.inverse_transform(Z), S, rtol=0, atol=1e-14)
    # truncated N(0, 1) on [-1, 1], not clipped: no atom at the boundary ...
    assert np.mean(np.abs(Z) == 1.0) == 0.0
    # ... and the mass of |z| < 0.5 is (Phi(.5) - Phi(-.5)) / (Phi(1) - Phi(-1)) = 0.5633
    p = (ndtr(0.5) - ndtr(-0.5)) / (ndtr(1.0) - ndtr(-1.0))
    frac = np.mean(np.abs(Z) < 0.5)
    assert abs(frac - p) < 4 * np.sqrt(p * (1 - p) / len(Z)), (frac, p)
    # negative control: the untruncated prior would put 38% of the mass outside [-1, 1]
    assert abs(p - (ndtr(0.5) - ndtr(-0.5))) > 4 * np.sqrt(p * (1 - p) / len(Z))


# ------------------------------------------------------------------ hostile inputs (issue 21)
@pytest.mark.parametrize("n_grid", [10**12, 2**63])
def test_n_grid_10_12_and_2_63_refused_with_a_budget_bug_issue21(curve, n_grid):
    with pytest.raises(ValueError, match=r"n_grid=\d+ gives .* the budget is 1048576 nodes"):
        SpreadGenerator(1, n_grid=n_grid).fit(curve[0])


def test_n_basis_beyond_the_budget_is_refused(curve):
    with pytest.raises(ValueError, match=r"n_basis=1000 gives 1000003 basis functions.*budget"):
        SpreadGenerator(2, n_basis=1000).fit(curve[0])


def test_latent_range_1e300_refused_bug_issue21(curve):
    with pytest.raises(ValueError, match=r"latent_range.*\[0.001, 20.0\]"):
        SpreadGenerator(1, latent_range=1e300).fit(curve[0])


def test_fit_Y_times_1e300_refused_not_linalgerror_bug_issue21(curve):
    with pytest.raises(ValueError, match=r"X must have entries of magnitude <= 1e\+100.*rescale"):
        SpreadGenerator(1).fit(curve[0] * 1e300)


@pytest.mark.parametrize("name", ["tol", "ridge", "spread_start", "spread"])
def test_tol_ridge_spread_start_10_400_refused_bug_issue21(curve, name):
    with pytest.raises(ValueError, match=name):
        SpreadGenerator(1, **{name: 10**400}).fit(curve[0])


def test_n_draws_beyond_the_memory_budget_refused(curve):
    with pytest.raises(ValueError, match=r"n_draws=100000 spread draws .* budget"):
        SpreadGenerator(1, n_draws=100_000).fit(curve[0])


@pytest.mark.parametrize("maker", [make_curve, make_sheet])
def test_make_sheet_make_curve_10_12_refused_not_memoryerror_bug_issue21(maker):
    with pytest.raises(ValueError, match=r"n_samples must be an integer <= 16777216"):
        maker(10**12)


def test_sample_10_12_refused_with_a_budget(fits):
    with pytest.raises(ValueError, match=r"n_samples=1000000000000 samples .* budget"):
        fits[0].sample(10**12)
