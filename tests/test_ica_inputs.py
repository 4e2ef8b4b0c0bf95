"""Bad input: each a ValueError naming the parameter, what is allowed and what was received."""
import numpy as np
import pytest

from spreadlab.ica import GaussianMixturePrior, SpreadICA, make_ica_data


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
    (dict(noise=-1.0), r"noise must be a finite float >= 0; got -1.0"),
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

    with pytest.raises(ValueError, match=r"n_components must be an int in \[1, n_features=4\]; got n_components=0"):
        auto_spread(data, 0)


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
