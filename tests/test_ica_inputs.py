"""Bad input: each a ValueError naming the parameter, what is allowed and what was received."""
import numpy as np
import pytest

from spreadlab.ica import GaussianMixturePrior, SpreadICA, make_ica_data


@pytest.fixture(scope="module")
def data():
    return make_ica_data(300, 4, 2, random_state=0)[0]


@pytest.mark.parametrize("bad, match", [
    (np.nan, r"X must contain only finite values; got 1 NaN/inf"),
    (np.inf, r"X must contain only finite values; got 1 NaN/inf"),
])
def test_non_finite_X(data, bad, match):
    X = data.copy()
    X[3, 1] = bad
    with pytest.raises(ValueError, match=match):
        SpreadICA(2).fit(X)


@pytest.mark.parametrize("params, match", [
    (dict(n_components=5), r"n_components must be <= n_features=4; got n_components=5"),
    (dict(n_components=0), r"n_components must be a positive integer; got 0"),
    (dict(n_components=2, spread=-1.0), r"spread must be 'auto' or a finite float >= 0; got spread=-1.0"),
    (dict(n_components=2, noise=-0.1), r"noise must be a finite float >= 0; got noise=-0.1"),
    (dict(n_components=2, spread=0.0, noise=0.0), r"spread=0 with noise=0 .* EM cannot move.*spread='auto'"),
    (dict(n_components=2, prior="gauss"), r"Unknown prior 'gauss'; prior should be one of 'laplace', 'sech', 'laplace_gsm'"),
    (dict(n_components=2, estep="mcmc"), r"Unknown estep 'mcmc'; estep should be one of \('auto', 'importance', 'exact'\)"),
    (dict(n_components=2, estep="exact", prior="laplace"), r"estep='exact' needs a mixture prior; got prior='laplace'"),
    (dict(n_components=2, n_draws=0), r"n_draws must be an integer >= 1; got n_draws=0"),
    (dict(n_components=2, accelerate="newton"), r"Unknown accelerate 'newton'"),
    (dict(n_components=2, init=np.ones((3, 3))), r"init must be 'pca' or a finite array of shape \(4, 2\); got \(3, 3\)"),
])
def test_bad_parameters(data, params, match):
    with pytest.raises(ValueError, match=match):
        SpreadICA(**params).fit(data)


def test_exact_estep_refuses_too_many_combinations():
    X = make_ica_data(300, 8, 7, random_state=0)[0]
    with pytest.raises(ValueError, match=r"K\*\*Z = 3\*\*7 = 2187 .* more than the allowed 729"):
        SpreadICA(7, estep="exact", prior="laplace_gsm").fit(X)


def test_fewer_samples_than_features():
    with pytest.raises(ValueError, match=r"at least as many samples as features; got n_samples=3 < n_features=5"):
        SpreadICA(2).fit(np.random.default_rng(0).standard_normal((3, 5)))


def test_wrong_shapes_in_transform(data):
    est = SpreadICA(2, max_iter=3, tol=1.0, random_state=0).fit(data)
    with pytest.raises(ValueError, match=r"X has 3 features, but SpreadICA was fitted with n_features=4"):
        est.transform(data[:, :3])
    with pytest.raises(ValueError, match=r"X must be a 2-D array .* got shape \(4,\)"):
        est.transform(data[0])
    with pytest.raises(ValueError, match=r"S must have shape \(n_samples, 2\) .* got shape \(5, 3\)"):
        est.inverse_transform(np.zeros((5, 3)))


def test_transform_before_fit():
    with pytest.raises(ValueError, match="not fitted yet"):
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
