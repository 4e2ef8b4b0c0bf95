"""Bad input: each a ValueError naming the parameter, what is allowed and what was received."""
import numpy as np
import pytest

from spreadlab.ica import GaussianMixturePrior, SpreadICA, make_ica_data, pca_start


@pytest.fixture(scope="module")
def data():
    return make_ica_data(300, 4, 2, random_state=0)[0]


@pytest.mark.parametrize("bad, match", [
    (np.nan, r"Input X contains NaN"),
    (np.inf, r"Input X contains infinity"),
])
def test_non_finite_X(data, bad, match):
    X = data.copy()
    X[3, 1] = bad
    with pytest.raises(ValueError, match=match):
        SpreadICA(2).fit(X)


@pytest.mark.parametrize("params, match", [
    (dict(n_components=5), r"n_components must be <= n_features=4; got n_components=5"),
    (dict(n_components=0), r"'n_components' parameter of SpreadICA must be an int in the range \[1, inf\) or None. Got 0"),
    (dict(n_components=2, spread=-1.0), r"'spread' parameter of SpreadICA must be .*a float in the range \[0.0, 1000.0\]. Got -1.0"),
    (dict(n_components=2, noise=-0.1), r"'noise' parameter of SpreadICA must be a float in the range \[0.0, 1e\+100\]. Got -0.1"),
    (dict(n_components=2, spread=0.0, noise=0.0), r"spread=0 with noise=0 .* EM cannot move.*spread='auto'"),
    (dict(n_components=2, prior="gauss"), r"'prior' parameter of SpreadICA must be a str among .*'laplace'.*Got 'gauss'"),
    (dict(n_components=2, estep="mcmc"), r"'estep' parameter of SpreadICA must be a str among .*'whitened'.*Got 'mcmc'"),
    (dict(n_components=2, estep="exact", prior="laplace"), r"estep='exact' needs a mixture prior; got prior='laplace'"),
    (dict(n_components=2, estep="whitened", noise=0.1), r"estep='whitened' needs noise=0 and prior='laplace'; got noise=0.1"),
    (dict(n_components=2, n_draws=0), r"'n_draws' parameter of SpreadICA must be an int in the range \[1, 100000\]. Got 0"),
    (dict(n_components=2, accelerate="newton"), r"'accelerate' parameter of SpreadICA must be a str among \{'squarem'\} or None. Got 'newton'"),
    (dict(n_components=2, init=np.ones((3, 3))), r"init must be 'pca' or a finite array of shape \(4, 2\); got shape \(3, 3\)"),
])
def test_bad_parameters(data, params, match):
    with pytest.raises(ValueError, match=match):
        SpreadICA(**params).fit(data)


def test_exact_estep_refuses_too_many_combinations():
    X = make_ica_data(300, 8, 7, random_state=0)[0]
    with pytest.raises(ValueError, match=r"K\*\*Z = 3\*\*7 = 2187 .* more than the allowed 729"):
        SpreadICA(7, estep="exact", prior="laplace_gsm").fit(X)


def test_fewer_samples_than_features():
    with pytest.raises(ValueError, match=r"at least 2 samples and as many samples as features; got n_samples=3, n_features=5"):
        SpreadICA(2).fit(np.random.default_rng(0).standard_normal((3, 5)))


def test_wrong_shapes_in_transform(data):
    est = SpreadICA(2, max_iter=3, tol=1.0, random_state=0).fit(data)
    with pytest.raises(ValueError, match=r"X has 3 features, but SpreadICA is expecting 4 features"):
        est.transform(data[:, :3])
    with pytest.raises(ValueError, match=r"Expected 2D array, got 1D array instead"):
        est.transform(data[0])
    with pytest.raises(ValueError, match=r"X must have shape \(n_samples, 2\) .* got shape \(5, 3\)"):
        est.inverse_transform(np.zeros((5, 3)))


def test_transform_before_fit():
    with pytest.raises(ValueError, match="not fitted yet"):  # NotFittedError is a ValueError
        SpreadICA(2).transform(np.zeros((3, 4)))


@pytest.mark.parametrize("kwargs, match", [
    (dict(n_sources=5), r"n_sources must be <= n_features; got n_sources=5, n_features=4"),
    (dict(mixing="orthogonal"), r"Unknown mixing 'orthogonal'"),
    (dict(prior="cauchy"), r"Unknown prior 'cauchy'"),
    (dict(noise=-1.0), r"noise must be a finite float >= 0 and <= 1e\+100; got -1.0"),
])
def test_make_ica_data_bad_input(kwargs, match):
    args = dict(n_samples=10, n_features=4, n_sources=2) | kwargs
    with pytest.raises(ValueError, match=match):
        make_ica_data(**args)


def test_mixture_prior_bad_input():
    with pytest.raises(ValueError, match=r"weights and variances must be positive; got weights=\[1.0\], variances=\[-1.0\]"):
        GaussianMixturePrior([1.0], [0.0], [-1.0])


# --- issue 9: hostile but legal-looking inputs, each a clean error naming the parameter ---

@pytest.mark.parametrize("params, match", [
    (dict(spread=1e200), r"'spread' parameter of SpreadICA must be .*\[0.0, 1000.0\]. Got 1e\+200"),
    (dict(noise=1e200), r"'noise' parameter of SpreadICA must be a float in the range \[0.0, 1e\+100\]. Got 1e\+200"),
    (dict(anneal=2000), r"'anneal' parameter of SpreadICA must be .*\[0, 40\]. Got 2000"),
    (dict(anneal=10**9), r"'anneal' parameter of SpreadICA must be .*\[0, 40\]. Got 1000000000"),
    (dict(spread=1e-300), r"spread must be 0 or in \[1e-06, 1e3\] .*got spread=1e-300"),
    (dict(random_state=-1), r"'random_state' parameter of SpreadICA must be an int in the range \[0, 4294967295\].*Got -1"),
])
def test_extreme_parameters_issue_9(data, params, match):
    # before: OverflowError (1e200), LinAlgError (anneal=2000), building a 1e9-stage
    # schedule (anneal=10**9), the zero-variance message (1e-300), numpy's message (-1)
    with pytest.raises(ValueError, match=match):
        SpreadICA(2, **params).fit(data)


def test_complex_X_is_refused_not_truncated_issue_9(data):
    with pytest.raises(ValueError, match=r"Complex data not supported: X must be real; got complex dtype complex128"):
        SpreadICA(2).fit(data + 1j * data)


def test_score_on_empty_X_raises_instead_of_nan_issue_9(data):
    est = SpreadICA(2, random_state=0).fit(data)
    with pytest.raises(ValueError, match=r"Found array with 0 sample\(s\)"):
        est.score(np.empty((0, 4)))


def test_auto_spread_zero_components_raises_issue_9(data):
    from spreadlab.ica import auto_spread

    with pytest.raises(ValueError, match=r"n_components must be an integer >= 1; got 0"):
        auto_spread(data, 0)
    with pytest.raises(ValueError, match=r"n_components must be <= n_features=4; got n_components=5"):
        auto_spread(data, 5)


def test_amari_distance_of_subnormal_matrix_is_not_nan_issue_9():
    from spreadlab.ica import amari_distance

    A = np.array([[1.0, -1.0], [1.0, 1.0], [-1.0, 1.0]])
    # same columns: distance 0 up to the rounding of one pseudo-inverse (was NaN)
    assert amari_distance(A * 1e-320, A) == pytest.approx(0.0, abs=1e-14)
    assert amari_distance(A * 1e300, A) == pytest.approx(0.0, abs=1e-14)
    # negative control: a genuinely different tiny matrix is still told apart
    B = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    assert amari_distance(B * 1e-320, A) == pytest.approx(amari_distance(B, A), rel=1e-3)
    assert amari_distance(B, A) > 0.1


def test_huge_mixture_weights_are_normalised_issue_9():
    p = GaussianMixturePrior([1e308, 1e308], [-1.0, 1.0], [0.5, 0.5])
    np.testing.assert_array_equal(p.weights, [0.5, 0.5])   # was [0, 0] (sum overflowed)


def test_huge_data_is_refused_with_its_scale(data):
    with pytest.raises(ValueError, match=r"X must have entries of magnitude <= 1e150.*got max \|X\| = 1e\+200"):
        SpreadICA(2).fit(data / np.abs(data).max() * 1e200)


def test_tiny_data_is_refused_with_its_scale_not_called_constant_bug_review(data):
    # X * 1e-300 varies, but its covariance underflows to 0: it was refused as "zero variance
    # (all samples are equal)", which is false; the bound mirrors the 1e150 one above
    with pytest.raises(ValueError, match=r"X must vary by more than 1e-150 .*got max \|X - mean\| = \d"):
        SpreadICA(2).fit(data * 1e-300)
    with pytest.raises(ValueError, match="zero variance"):   # a constant X is still that
        SpreadICA(2).fit(np.ones_like(data))
    # pca_start shares the check (it said "all samples are equal" too)
    with pytest.raises(ValueError, match=r"X must vary by more than 1e-150"):
        pca_start(data * 1e-300, 2, random_state=0)
    est = SpreadICA(2, random_state=0).fit(data * 1e-140)      # inside the bound: fitted
    ref = SpreadICA(2, random_state=0).fit(data)
    # scale-equivariant fit: the mixing scales with X (round-off differences only)
    assert amari_distance(est.mixing_, ref.mixing_) < 1e-8


# --- issue 9, session 3: the remaining hostile inputs of spreadlab.ica ---------------------

from spreadlab.ica import (LaplacePrior, SechPrior, amari_distance, auto_spread,  # noqa: E402
                           demo_ica, mixing_error)

_PRIORS = [LaplacePrior(), SechPrior(), GaussianMixturePrior.laplace_gsm()]
_prior_ids = ["laplace", "sech", "mixture"]


@pytest.mark.parametrize("prior", _PRIORS, ids=_prior_ids)
@pytest.mark.parametrize("rng, size, error, match", [
    ([], 12, TypeError, r"rng must be None, a non-negative int seed.*got list"),
    (np.random.RandomState(0), 12, TypeError, r"rng must be .*legacy RandomState .* refused"),
    (0, -np.inf, TypeError, r"size must be an int >= 0 or a tuple of ints; got -inf"),
    (0, None, TypeError, r"size must be an int >= 0 or a tuple of ints; got None"),
    (0, True, TypeError, r"size must be an int >= 0 or a tuple of ints; got True"),
    (0, -1, ValueError, r"size must be an integer >= 0; got -1"),
    (0, 10**400, ValueError, r"size must be an integer <= 1099511627776; got 1000"),
    (0, (2**30, 2**30), ValueError, r"size must ask for at most 1099511627776 draws"),
    (0, (3, 1.5), TypeError, r"size must be an integer >= 0; got 1.5"),
])
def test_prior_sample_names_rng_and_size_issue_9(prior, rng, size, error, match):
    # before: AttributeError ('list' has no attribute 'laplace'), numpy's unnamed messages
    with pytest.raises(error, match=match):
        prior.sample(rng, size)


@pytest.mark.parametrize("prior", _PRIORS, ids=_prior_ids)
def test_prior_sample_takes_the_shared_rng_policy(prior):
    # a seed means default_rng(seed) (check_rng), a shape tuple gives that shape
    a = prior.sample(5, (4, 3))
    b = prior.sample(np.random.default_rng(5), (4, 3))
    assert a.shape == (4, 3)
    np.testing.assert_array_equal(a, b)
    assert prior.sample(0, 0).shape == (0,)


@pytest.mark.parametrize("prior", _PRIORS, ids=_prior_ids)
@pytest.mark.parametrize("s, error, match", [
    (None, TypeError, r"s must be a real number or array of real numbers; got None"),
    ("abc", TypeError, r"s must be a real number or array of real numbers; got 'abc'"),
    (1j, TypeError, r"s must be real; got a complex value"),
    ([[1.0, 2.0], [3.0]], TypeError, r"s must be a real number or a rectangular array"),
    (10**400, ValueError, r"s must be finite; got a number too large for a float"),
    (np.nan, ValueError, r"s must be not NaN; got nan"),
])
def test_prior_logpdf_names_s_issue_9(prior, s, error, match):
    # before: NaN for None, OverflowError for 10**400, numpy's message for 'abc'
    with pytest.raises(error, match=match):
        prior.logpdf(s)


@pytest.mark.parametrize("prior", _PRIORS, ids=_prior_ids)
def test_prior_logpdf_is_minus_inf_at_infinity(prior):
    np.testing.assert_array_equal(prior.logpdf([-np.inf, np.inf]), [-np.inf, -np.inf])


def test_prior_logpdf_far_tail_is_the_closed_form():
    # exact up to the rounding of |s|/b and one subtraction: 4 ulp
    s = 1e300
    assert LaplacePrior().logpdf(s) == pytest.approx(-np.log(np.sqrt(2.0)) - s * np.sqrt(2.0), rel=1e-15)
    # log sech(a)/2 = -a - log(1 + e^{-2a}) + log 2 - log 2 = -a at a = pi s / 2 >> 1
    assert SechPrior().logpdf(s) == pytest.approx(-np.pi * s / 2.0, rel=1e-15)


@pytest.mark.parametrize("args, kwargs, error, match", [
    ((object(), [0.0], [1.0]), {}, TypeError, r"weights must be a real number or array of real numbers"),
    (([10**400], [0.0], [1.0]), {}, ValueError, r"weights must be finite; got a number too large"),
    (([1.0], ["a"], [1.0]), {}, TypeError, r"means must be a real number or array"),
    (([1.0], [0.0], [np.inf]), {}, ValueError, r"variances must be finite; got \[inf\]"),
    ((np.ones((2, 2)), np.zeros((2, 2)), np.ones((2, 2))), {}, ValueError,
     r"weights must be a 1-D array \(one entry per component\); got shape \(2, 2\)"),
    (([1.0], [0.0], [1.0]), {"standardize": np.array([])}, TypeError, r"standardize must be True or False"),
    (([1e-320, 1e300], [0.0, 1.0], [1.0, 1.0]), {}, ValueError,
     r"weights must be positive after normalisation: the smallest weight is less than 5e-324"),
    (([1.0, 1.0], [1e308, -1e308], [1.0, 1.0]), {}, ValueError,
     r"variances must be positive after standardisation"),
])
def test_mixture_prior_names_the_bad_argument_issue_9(args, kwargs, error, match):
    # before: float()'s TypeError, OverflowError, numpy's truth-value message, and for the
    # last two a mixture with a zero weight / variances of exactly 0 (logpdf NaN)
    with pytest.raises(error, match=match):
        GaussianMixturePrior(*args, **kwargs)


def test_mixture_standardisation_is_scale_free_issue_9():
    w, m = [0.2, 0.5, 0.3], np.array([-1.0, 0.5, 3.0])
    # x -> c x maps the mixture (m, v) onto (c m, c^2 v); standardising removes c. At
    # c = 1e200 the old formula's (m - mean)^2 overflowed to inf and gave variances of 0
    for v, c in ((np.array([0.5, 1.0, 2.0]) * 1e-100, 1e200), (np.array([0.5, 1.0, 2.0]), 1e-150)):
        ref = GaussianMixturePrior(w, m, v)
        p = GaussianMixturePrior(w, c * m, (c * np.sqrt(v)) ** 2)
        # a few roundings of O(1) numbers in each: 1e-14 relative
        np.testing.assert_allclose(p.means, ref.means, rtol=1e-14)
        np.testing.assert_allclose(p.variances, ref.variances, rtol=1e-14)
        # independent oracle: mean 0 and variance 1 by their definitions
        assert np.sum(p.weights * p.means) == pytest.approx(0.0, abs=1e-15)
        assert np.sum(p.weights * (p.variances + p.means**2)) == pytest.approx(1.0, rel=1e-14)


@pytest.mark.parametrize("fn", [amari_distance, mixing_error])
@pytest.mark.parametrize("A_est, error, match", [
    ("abc", TypeError, r"A_est must be a real number or array of real numbers; got 'abc'"),
    (-10**400, ValueError, r"A_est must be finite; got a number too large for a float"),
    (np.array([[1.0, np.inf], [0.0, 1.0]]), ValueError, r"A_est must be finite"),
    (np.eye(2) + 0j, TypeError, r"A_est must be real"),
])
def test_metrics_name_A_est_issue_9(fn, A_est, error, match):
    # before: numpy's 'could not convert string to float', OverflowError
    with pytest.raises(error, match=match):
        fn(A_est, np.ones((2, 2)) + np.eye(2))


def test_metrics_of_exactly_scaled_tiny_and_huge_matrices_issue_9():
    A = np.array([[1.0, -1.0], [1.0, 1.0], [-1.0, 1.0]])
    tiny = 2.0**-1070  # a power of two: A * tiny is exact even as a subnormal
    P = A[:, ::-1] * [-1.0, 1.0]
    for scale in (tiny, 2.0**1000):
        assert mixing_error(P * scale, A) == 0.0  # was 1.0 at tiny (den underflowed), NaN at 2^1000
        # the unit columns are the same bits at every power-of-two scale
        assert amari_distance(P * scale, A) == amari_distance(P, A)
    assert amari_distance(P, A) < 1e-15  # one pseudo-inverse of a well-conditioned matrix
    # negative control: a genuinely different matrix keeps its error at every scale
    B = A.copy()
    B[0, 0] = 3.0
    assert mixing_error(B * tiny, A) == pytest.approx(mixing_error(B, A), rel=1e-15)
    assert mixing_error(B, A) > 0.1


def test_mixing_error_refuses_relative_errors_beyond_the_float_range_issue_9():
    A_true = np.array([[1.0, 2.0], [2.2e-309, 1.0]])  # fuzz: 'cost matrix is infeasible'
    with pytest.raises(ValueError, match=r"A_true has entries so small relative to the largest"):
        mixing_error(np.array([[1.0, 2.0], [1.0, 1.0]]), A_true)
    assert mixing_error(A_true, A_true) == 0.0  # the right pairing is still representable


@pytest.mark.parametrize("X, n_components, error, match", [
    (np.empty((0, 2)), 1, ValueError, r"X must be a non-empty 2-D array \(n_samples, n_features\); got shape \(0, 2\)"),
    (np.empty((3, 0)), 1, ValueError, r"X must be a non-empty 2-D array .* got shape \(3, 0\)"),
    (None, 1, TypeError, r"X must be a real number or array of real numbers; got None"),
    (np.ones((5, 2)) + 1j, 1, TypeError, r"X must be real; got a complex value"),
    (10**400, 1, ValueError, r"X must be finite; got a number too large for a float"),
    (np.ones((5, 2)), 8.0, TypeError, r"n_components must be an integer >= 1; got 8.0"),
    (np.ones((5, 2)), True, TypeError, r"n_components must be an integer >= 1; got True"),
])
def test_auto_spread_names_X_and_n_components_issue_9(X, n_components, error, match):
    # before: NaN (empty X), 'slice indices must be integers' (8.0), AxisError (None), and
    # complex X silently lost its imaginary part
    with pytest.raises(error, match=match):
        auto_spread(X, n_components)


def test_auto_spread_is_right_at_extreme_scales_issue_9(data):
    # independent oracle: half the root mean of the top-2 eigenvalues of numpy's covariance
    lam = np.sort(np.linalg.eigvalsh(np.cov(data.T, bias=True)))[::-1][:2]
    expected = 0.5 * np.sqrt(lam.mean())
    # two eigen-solvers on the same 4x4 matrix: agreement to ~10 ulp of the largest eigenvalue
    assert auto_spread(data, 2) == pytest.approx(expected, rel=1e-13)
    # scale equivariance at 1e300 and 1e-300 (before: inf/NaN, the covariance over/underflowed)
    assert auto_spread(1e300 * data, 2) == pytest.approx(1e300 * expected, rel=1e-13)
    assert auto_spread(1e-300 * data, 2) == pytest.approx(1e-300 * expected, rel=1e-13)
    assert auto_spread(np.full((4, 2), 1e308), 1) == 0.0  # equal rows: no spread (was NaN)


@pytest.mark.parametrize("X, error, match", [
    ("abc", TypeError, r"X must be an array-like of shape \(n_samples, n_features\) of real numbers; got 'abc'"),
    (None, TypeError, r"X must be an array-like .* got None"),
    (np.array([["a", "b"], ["c", "d"]]), TypeError, r"X must contain real numbers, not strings"),
    (10**400, ValueError, r"X must be finite; got a number too large for a float"),
    (object(), TypeError, r"X: float\(\) argument must be a string or a real number"),
    ([[1.0, 2.0], [3.0]], ValueError, r"X: setting an array element with a sequence"),
])
def test_fit_names_X_issue_9(X, error, match):
    # before: numpy's unnamed messages, and OverflowError for 10**400
    with pytest.raises(error, match=match):
        SpreadICA(2).fit(X)


def test_complex_X_is_both_a_type_and_a_value_error_issue_9(data):
    # TypeError by the package's rule for complex input, ValueError as check_estimator expects
    for error in (TypeError, ValueError):
        with pytest.raises(error, match=r"Complex data not supported: X must be real"):
            SpreadICA(2).fit(data + 1j * data)


@pytest.mark.parametrize("random_state", ["seed", 1.5, 10**400, -1], ids=["str", "float", "10**400", "-1"])
def test_fit_names_random_state_issue_9(data, random_state):
    with pytest.raises(ValueError, match=r"'random_state' parameter of SpreadICA must be"):
        SpreadICA(2, random_state=random_state).fit(data)


@pytest.mark.parametrize("args, kwargs, error, match", [
    ((52, 10**400, 10**400), {}, ValueError, r"n_features must be an integer <= 1099511627776"),
    ((10.0, 2, 2), {}, TypeError, r"n_samples must be an integer >= 1; got 10.0"),
    ((10, 2, 2), {"random_state": 1.5}, TypeError, r"random_state must be None, a non-negative int seed"),
    ((10, 2, 2), {"random_state": -1}, ValueError, r"random_state seed must be a non-negative integer; got -1"),
    ((10, 2, 2), {"noise": "x"}, TypeError, r"noise must be a real number"),
    ((10, 2, 2), {"noise": np.inf}, ValueError, r"noise must be finite"),
    ((10, 2, 2), {"mixing": []}, ValueError, r"Unknown mixing \[\]"),
    ((2**30, 2**30, 1), {}, ValueError, r"n_samples \* n_features and n_features \* n_sources must be <= 1099511627776"),
])
def test_make_ica_data_names_the_bad_argument_issue_9(args, kwargs, error, match):
    # before: OverflowError (10**400), SeedSequence's message (1.5), 'unhashable type' ([])
    with pytest.raises(error, match=match):
        make_ica_data(*args, **kwargs)


@pytest.mark.parametrize("outdir, random_state, error, match", [
    (10**400, 0, TypeError, r"outdir must be a str or os.PathLike path; got 1000"),
    (b"bytes", 0, TypeError, r"outdir must be a str or os.PathLike path; got b'bytes'"),
    ("", 0, ValueError, r"outdir must be a non-empty path"),
    ("new", -1, ValueError, r"random_state must be an integer >= 0; got -1"),
    ("new", 1.5, TypeError, r"random_state must be an integer >= 0; got 1.5"),
    ("new", 2**32, ValueError, r"random_state must be an integer <= 4294967295"),
])
def test_demo_ica_checks_before_writing_issue_9(tmp_path, outdir, random_state, error, match):
    # before: os.fspath's unnamed TypeError; random_state=-1 created the folder, then failed
    # with numpy's message
    target = str(tmp_path / outdir) if outdir == "new" else outdir
    with pytest.raises(error, match=match):
        demo_ica(target, random_state)
    assert not (tmp_path / "new").exists()


@pytest.mark.parametrize("S, error, match", [
    ("abc", TypeError, r"X must be a real number or array of real numbers; got 'abc'"),
    (np.ones((3, 2)) + 1j, TypeError, r"X must be real; got a complex value"),
    (10**400, ValueError, r"X must be finite; got a number too large for a float"),
    (np.array([[1e308, -1e308]]), ValueError, r"X must have entries of magnitude <= 1e150; got max \|X\| = 1e\+308"),
])
def test_inverse_transform_names_X_issue_9(data, S, error, match):
    # before: complex sources silently lost their imaginary part; 'abc' and 10**400 gave
    # numpy's unnamed ValueError and an OverflowError
    est = SpreadICA(2, max_iter=3, tol=1.0, random_state=0).fit(data)
    with pytest.raises(error, match=match):
        est.inverse_transform(S)


@pytest.mark.parametrize("noise, error, match", [
    (float("nan"), ValueError, r"noise must be finite"),
    (np.inf, ValueError, r"noise must be finite"),
    (1e308, ValueError, r"noise must be a finite float >= 0 and <= 1e\+100"),
    (-1e-308, ValueError, r"noise must be a finite float >= 0"),
    (True, TypeError, r"noise must be a real number"),
    ("0.1", TypeError, r"noise must be a real number"),
    (np.array([0.1, 0.2]), TypeError, r"noise must be a real number"),
])
def test_noise_is_checked_alike_by_data_and_start(noise, error, match):
    """One check (_validation.as_noise) for make_ica_data and pca_start: pca_start accepted
    noise=True, and the two had different bounds (1e100 excluded vs no bound)."""
    X = np.random.default_rng(0).laplace(size=(50, 3))
    with pytest.raises(error, match=match):
        make_ica_data(10, 3, 2, noise=noise)
    with pytest.raises(error, match=match):
        pca_start(X, 2, noise=noise)


def test_noise_edge_values_are_accepted():
    X = np.random.default_rng(0).laplace(size=(50, 3))
    for noise in (0.0, 1e-308, np.float32(0.5), np.array(0.5), 1e100):
        assert make_ica_data(10, 3, 2, noise=noise)[0].shape == (10, 3)
        assert np.isfinite(pca_start(X, 2, noise=noise)).all()
