import numpy as np
import pytest
from scipy import integrate

from spreadlab.ica import GaussianMixturePrior, LaplacePrior, SechPrior, make_ica_data

PRIORS = [LaplacePrior(), SechPrior(), GaussianMixturePrior.laplace_gsm(),
          GaussianMixturePrior([0.3, 0.7], [-1.0, 0.5], [0.5, 1.0])]


@pytest.mark.parametrize("prior", PRIORS, ids=lambda p: repr(p)[:12])
def test_prior_is_a_unit_variance_density(prior):
    pdf = lambda s: np.exp(prior.logpdf(s))  # noqa: E731
    pts = [0.0] if not prior.is_mixture else None  # the Laplace kink
    mass = integrate.quad(pdf, -60, 60, points=pts, limit=200)[0]
    mean = integrate.quad(lambda s: s * pdf(s), -60, 60, points=pts, limit=200)[0]
    var = integrate.quad(lambda s: s * s * pdf(s), -60, 60, points=pts, limit=200)[0] - mean**2
    # adaptive quadrature of smooth, exponentially decaying integrands: ~1e-10
    assert mass == pytest.approx(1.0, abs=1e-9)
    assert mean == pytest.approx(0.0, abs=1e-9)
    assert var == pytest.approx(1.0, abs=1e-9)


@pytest.mark.parametrize("prior", PRIORS, ids=lambda p: repr(p)[:12])
def test_sampler_matches_density(prior):
    rng = np.random.default_rng(3)
    n = 200_000
    s = prior.sample(rng, n)
    # second moment of unit variance: SE = sqrt(Var(s^2)/n) <= sqrt(25/n) = 0.011; 5 SE
    assert np.mean(s**2) == pytest.approx(1.0, abs=0.056)
    # mean absolute value against quadrature, SE <= 1/sqrt(n) = 0.0022; 5 SE
    mabs = integrate.quad(lambda x: abs(x) * np.exp(prior.logpdf(x)), -60, 60, points=[0.0], limit=200)[0]
    assert np.mean(np.abs(s)) == pytest.approx(mabs, abs=0.011)


def test_laplace_gsm_is_close_to_laplace():
    lap, gsm = LaplacePrior(), GaussianMixturePrior.laplace_gsm()
    kl = integrate.quad(lambda s: np.exp(lap.logpdf(s)) * (lap.logpdf(s) - gsm.logpdf(s)),
                        -40, 40, points=[0.0], limit=400)[0]
    # the stored fit has KL = 9.5e-4 nats; a mistyped constant would raise it
    assert 0 < kl < 1.2e-3


def test_make_ica_data_is_deterministic_and_full_rank():
    X, A, S = make_ica_data(100, 3, 3, random_state=11)
    X2, _, _ = make_ica_data(100, 3, 3, random_state=11)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_allclose(X, S @ A.T, rtol=1e-14)
    assert np.linalg.matrix_rank(A) == 3
    assert set(np.unique(A)) <= {-1.0, 1.0}
