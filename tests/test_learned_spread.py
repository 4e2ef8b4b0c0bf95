"""learn_spread against closed forms and a brute-force search; fit_linear_generator's gradient."""

import math

import numpy as np
import pytest

from spreadlab import (
    ConvergenceWarning, Delta, Gaussian, Laplace, LearnedSpread, fit_linear_generator,
    learn_spread, spread_kl,
)


def _sup_deltas(delta, c, sigma2, a, d):
    """sup KL over det S = sigma^{2d}, cond(S) < a: smallest noise sigma^2 a^{-(d-1)/d} along delta."""
    return float(delta @ delta) / (2.0 * (c + sigma2 * a ** (-(d - 1) / d)))


@pytest.mark.parametrize("d", [2, 3])
def test_two_point_masses_reach_the_closed_form(d):
    delta = np.zeros(d)
    delta[0], delta[-1] = 1.0, 0.5
    a, sigma2 = 5.0, 0.7
    res = learn_spread(Delta(np.zeros(d)), Delta(delta), Gaussian(np.zeros(d), sigma2 * np.eye(d)),
                       anisotropy=a, rng=0, n_restarts=1)
    exact = _sup_deltas(delta, 0.0, sigma2, a, d)
    # the bound is open (reached only as a parameter -> infinity); L-BFGS-B stops within
    # ~1e-7 relative of the supremum at its default gtol
    assert res.divergence_after == pytest.approx(exact, rel=1e-6)
    assert res.divergence_after <= exact * (1 + 1e-12)  # never above the supremum
    assert res.divergence_before == pytest.approx(float(delta @ delta) / (2 * sigma2), rel=1e-12)
    evals, evecs = np.linalg.eigh(res.kernel.cov)
    # the least-noise axis is the gap: |cos| within 1e-4 of 1 (flat directions of the
    # objective elsewhere only move the other eigenvectors)
    assert abs(evecs[:, 0] @ delta) / np.linalg.norm(delta) == pytest.approx(1.0, abs=1e-4)


# a random restart may end in an L-BFGS-B line-search failure near the open bound (flat
# objective there); the constraint must hold whatever the optimiser reports
@pytest.mark.filterwarnings("ignore::spreadlab.ConvergenceWarning")
def test_constraint_holds_exactly():
    res = learn_spread(Delta([0.0, 0.0, 0.0]), Delta([1.0, 2.0, 0.0]), Gaussian(np.zeros(3), 2.0),
                       anisotropy=3.0, rng=1)
    evals = np.linalg.eigvalsh(res.kernel.cov)
    assert np.prod(evals) == pytest.approx(2.0 ** 3, rel=1e-12)  # fixed det: rounding only
    assert evals.max() / evals.min() < 3.0
    assert abs(np.linalg.det(res.transform)) == pytest.approx(1.0, rel=1e-12)
    # the mean transform view: spreading W x with N(0, sigma^2 I) gives the same divergence
    w = res.transform
    moved = spread_kl(Delta(np.zeros(3)), Delta(w @ np.array([1.0, 2.0, 0.0])), Gaussian(np.zeros(3), 2.0))
    assert moved == pytest.approx(res.divergence_after, rel=1e-10)


def test_equal_covariance_gaussians_reach_the_closed_form():
    d, c, sigma2, a = 3, 0.4, 1.0, 10.0
    delta = np.array([0.3, -0.2, 0.6])
    res = learn_spread(Gaussian(np.zeros(d), c * np.eye(d)), Gaussian(delta, c * np.eye(d)),
                       anisotropy=a, rng=2, n_restarts=1)
    assert res.divergence_after == pytest.approx(_sup_deltas(delta, c, sigma2, a, d), rel=1e-6)
    assert isinstance(res, LearnedSpread) and res.converged


def test_matches_brute_force_search_for_unequal_covariances():
    """Independent oracle in 2-D: a grid over the least-noise angle and the eigenvalue ratio,
    polished by Nelder-Mead in (angle, log ratio), every value from the public spread_kl."""
    from scipy.optimize import minimize

    p = Gaussian([0.0, 0.0], [[1.0, 0.3], [0.3, 0.5]])
    q = Gaussian([0.4, -0.2], [[0.6, -0.1], [-0.1, 1.2]])
    a = 6.0

    def kl(theta, log_r):
        u = np.array([math.cos(theta), math.sin(theta)])
        v = np.array([-u[1], u[0]])
        r = math.exp(float(np.clip(log_r, -math.log(a), math.log(a))))  # ratio along u / along v
        s = math.sqrt(r) * np.outer(u, u) + np.outer(v, v) / math.sqrt(r)  # det = 1
        return spread_kl(p, q, Gaussian([0.0, 0.0], s))

    grid = [(kl(t, lr), t, lr) for t in np.linspace(0, np.pi, 61)
            for lr in np.linspace(-math.log(a), math.log(a), 31)]
    _, t0, lr0 = max(grid)
    polish = minimize(lambda z: -kl(*z), [t0, lr0], method="Nelder-Mead",
                      options={"xatol": 1e-8, "fatol": 1e-13, "maxiter": 2000})
    best = max(-polish.fun, max(grid)[0])
    res = learn_spread(p, q, anisotropy=a, rng=3)
    # both optimisers converge to ~1e-9 relative; the open bound costs L-BFGS-B ~1e-7
    assert res.divergence_after == pytest.approx(best, rel=1e-6)


def test_floor_only_family_learns_nothing():
    """sigma^2 I + L L^T with sigma fixed: a further spreading, so KL only falls as L grows."""
    p, q = Delta([0.0, 0.0]), Delta([1.0, 0.5])
    ell = np.array([[0.6], [-0.8]])
    values = [spread_kl(p, q, Gaussian([0.0, 0.0], 0.5 * np.eye(2) + t * ell @ ell.T))
              for t in (0.0, 0.1, 1.0, 10.0)]
    assert all(b < a for a, b in zip(values, values[1:]))


def test_one_dimension_has_nothing_to_learn():
    res = learn_spread(Delta(0.0), Delta(1.0), Gaussian(0.0, 0.25))
    assert res.kernel.cov[0, 0] == 0.25 and res.n_iter == 0
    assert res.divergence_after == res.divergence_before == pytest.approx(2.0, rel=1e-12)


def test_sample_estimate_agrees_with_closed_form(rng):
    """The leave-one-out estimate (fixed kernel, no optimisation) against the closed form."""
    from spreadlab.learned_spread import _SampleKL

    d, n = 2, 600
    mu = np.array([0.8, 0.0])
    x, y = rng.normal(size=(n, d)), rng.normal(size=(n, d)) + mu
    est = _SampleKL(x, y, 4, np.random.default_rng(0)).final(np.eye(d), np.zeros(d), 0.5)
    exact = spread_kl(Gaussian(np.zeros(d), np.eye(d)), Gaussian(mu, np.eye(d)),
                      Gaussian(np.zeros(d), 0.5 * np.eye(d)))
    # the estimate is off by its standard error plus a kernel-density (Jensen) bias of
    # O(1/n) (measured 0.01 here); 4 se + 0.03 leaves room for both
    assert abs(est - exact) < 4 * est.error + 0.03
    assert 0 < est.error < 0.05
    # negative control: the same check fails for a wrong target (the shift doubled)
    wrong = spread_kl(Gaussian(np.zeros(d), np.eye(d)), Gaussian(2 * mu, np.eye(d)),
                      Gaussian(np.zeros(d), 0.5 * np.eye(d)))
    assert not abs(est - wrong) < 4 * est.error + 0.03


def test_sample_learning_finds_the_direction_of_difference(rng):
    x = rng.normal(size=(150, 2))
    y = rng.normal(size=(150, 2))
    y[:, 0] += 1.5
    res = learn_spread(x, y, anisotropy=8.0, rng=0, n_restarts=1, max_iter=60)
    evecs = np.linalg.eigh(res.kernel.cov)[1]
    assert abs(evecs[0, 0]) > 0.9  # least noise within 26 degrees of the shift axis
    assert res.method == "sample" and res.divergence_after.error > 0


def test_non_convergence_warns_with_numbers():
    with pytest.warns(ConvergenceWarning, match=r"stopped after 1 iterations"):
        res = learn_spread(Gaussian([0.0, 0.0], [[1.0, 0.3], [0.3, 0.5]]), Gaussian([0.5, 0.1], 1.0),
                           max_iter=1, n_restarts=1)
    assert not res.converged


@pytest.mark.parametrize(
    "args,kwargs,err,match",
    [
        ((Delta([0.0, 0.0]), Delta([1.0, 0.0])), {"anisotropy": 1.0}, ValueError, "anisotropy must lie in"),
        ((Delta([0.0, 0.0]), np.zeros((5, 2))), {}, TypeError, "both be distributions or both be arrays"),
        ((np.zeros((5, 2)), np.ones((5, 2))), {"f": "tv"}, ValueError, "f must be 'kl' for samples"),
        ((Laplace(0.0, 1.0), Delta(0.0)), {}, TypeError, "p must be a Gaussian or a Delta"),
        ((Delta([0.0, 0.0]), Delta([0.0, 0.0, 1.0])), {}, ValueError, "same dimension"),
        ((Delta([0.0, 0.0]), Delta([1.0, 0.0]), Gaussian([0.0, 0.0], [1.0, 0.0])), {}, TypeError,
         "kernel must be a non-singular Gaussian"),
        ((np.zeros((5, 2)), np.ones((5, 3))), {}, ValueError, r"q must have the same number of features as p \(2\); got 3"),
        ((Delta([0.0, 0.0]), Delta([1.0, 0.0])), {"n_restarts": 0}, ValueError, "n_restarts must be"),
    ],
)
def test_bad_input_is_named(args, kwargs, err, match):
    with pytest.raises(err, match=match):
        learn_spread(*args, **kwargs)


def test_samples_are_checked_by_the_two_sample_checker():
    """learn_spread and two_sample_test share one sample checker (issue 23): same messages."""
    with pytest.raises(ValueError, match=r"p needs at least 3 samples for the leave-one-out estimate; got 2"):
        learn_spread(np.zeros((2, 2)), np.ones((5, 2)))
    with pytest.raises(ValueError, match=r"q must contain finite numbers only \(no NaN or inf\); row 1 is"):
        learn_spread(np.zeros((5, 2)), [[0.0, 1.0], [np.nan, 0.0], [1.0, 1.0]])
    with pytest.raises(TypeError, match=r"p must be an array-like of real numbers; got list"):
        learn_spread([[1.0, 2.0], [3.0]], np.ones((5, 2)))


def test_linear_generator_gradient_matches_finite_differences_of_spread_kl(rng):
    """The analytic gradient of fit_linear_generator against central differences of spread_kl."""
    from spreadlab.learned_spread import _kl_and_grad

    a_true, a = rng.normal(size=(4, 2)), rng.normal(size=(4, 2))
    c = a_true @ a_true.T
    s = np.diag([0.5, 1.0, 2.0, 1.0])
    kl, grad = _kl_and_grad(a, c, s)
    ref = spread_kl(Gaussian(np.zeros(4), c), Gaussian(np.zeros(4), a @ a.T), Gaussian(np.zeros(4), s))
    assert kl == pytest.approx(ref, rel=1e-12)
    h = 1e-5
    num = np.zeros_like(a)
    for idx in np.ndindex(a.shape):
        e = np.zeros_like(a)
        e[idx] = h
        up = spread_kl(Gaussian(np.zeros(4), c), Gaussian(np.zeros(4), (a + e) @ (a + e).T), Gaussian(np.zeros(4), s))
        dn = spread_kl(Gaussian(np.zeros(4), c), Gaussian(np.zeros(4), (a - e) @ (a - e).T), Gaussian(np.zeros(4), s))
        num[idx] = (up - dn) / (2 * h)
    # central differences: truncation O(h^2) ~ 1e-10, rounding ~ 1e-16 / h ~ 1e-11
    np.testing.assert_allclose(grad, num, rtol=1e-6, atol=1e-8)


def test_linear_generator_fits_and_learned_run_records_kernels():
    a_true = np.array([[1.0], [2.0], [0.0]])
    c = a_true @ a_true.T
    fixed = fit_linear_generator(c, 1, spread="fixed", n_iter=400, rng=0)
    assert fixed.cov_error[-1] < 1e-3 < fixed.cov_error[0]
    learned = fit_linear_generator(c, 1, spread="learned", n_iter=40, relearn_every=10,
                                   learning_rate=0.02, rng=0)
    assert len(learned.kernels) == 1 + 4
    for k in learned.kernels:  # every learned spread keeps det S = 1
        assert np.linalg.det(k.cov) == pytest.approx(1.0, rel=1e-10)
    # the learned spread maximises the KL, so at each re-learning it is >= the fixed one
    assert np.all(learned.divergence[::10][:4] >= learned.fixed_divergence[::10][:4] * (1 - 1e-9))


def test_inner_loop_kl_matches_public_spread_kl(rng):
    """The optimiser's fast closed form against the public spread_kl (same formula, other code)."""
    from spreadlab.learned_spread import _gauss_kl

    m = rng.normal(size=(2, 3))
    b1, b2, s = rng.normal(size=(3, 3)), rng.normal(size=(3, 2)), rng.normal(size=(3, 3))
    c1, c2, cs = b1 @ b1.T, b2 @ b2.T, s @ s.T + 0.1 * np.eye(3)  # c2 singular, as for a model
    ref = spread_kl(Gaussian(m[0], c1), Gaussian(m[1], c2), Gaussian(np.zeros(3), cs))
    assert _gauss_kl(m[0], c1 + cs, m[1], c2 + cs) == pytest.approx(ref, rel=1e-12)


# ---------------------------------------------------------------------- issue 21 reproducers
def test_learn_spread_n_restarts_10_12_refused_up_front_bug_issue21():
    """n_restarts=10**12 passed the 2**40 count cap and ran restarts forever."""
    with pytest.raises(ValueError, match=r"n_restarts must be an integer <= 10000; got 1000000000000"):
        learn_spread(Delta([0.0, 0.0]), Delta([1.0, 0.0]), n_restarts=10**12)


def test_learn_spread_tol_10_400_is_a_named_error_bug_issue21():
    """tol=10**400 (an int with no float value) raised a bare OverflowError from math.isfinite."""
    with pytest.raises(TypeError, match=r"tol must be a finite real number; got 1000"):
        learn_spread(Delta([0.0, 0.0]), Delta([1.0, 0.0]), tol=10**400)


def test_fit_linear_generator_n_iter_10_12_refused_up_front_bug_issue21():
    with pytest.raises(ValueError, match=r"n_iter must be an integer <= 1000000; got 1000000000000"):
        fit_linear_generator(np.diag([3.0, 1.0, 0.5]), 1, n_iter=10**12)


def test_fit_linear_generator_anisotropy_1e300_is_named_not_linalgerror_bug_issue21():
    """anisotropy=1e300 gave numpy's LinAlgError from a numerically singular spread."""
    with pytest.raises(ValueError, match=r"anisotropy must lie in \(1.0, 1e\+12\); got 1e\+300"):
        fit_linear_generator(np.diag([3.0, 1.0, 0.5]), 1, anisotropy=1e300)


def test_fit_linear_generator_learning_rate_1e308_is_named_not_nan_bug_issue21():
    """learning_rate=1e308 returned a LinearFit full of NaN; now the divergence is named."""
    with pytest.raises(ValueError, match=r"diverged with learning_rate=1e\+308 .*smaller learning_rate"):
        fit_linear_generator(np.diag([3.0, 1.0, 0.5]), 1, learning_rate=1e308, n_iter=10)
    # a step size that is merely large stays an honest, finite result
    fit = fit_linear_generator(np.diag([3.0, 1.0, 0.5]), 1, spread="fixed", learning_rate=1.0, n_iter=20, rng=0)
    assert np.all(np.isfinite(fit.mixing)) and np.all(np.isfinite(fit.divergence))
