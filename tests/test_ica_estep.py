"""E-steps: Numba kernels against the NumPy reference, and importance
sampling against the exact mixture E-step."""

import numpy as np
import pytest
from scipy.special import logsumexp
from scipy.stats import multivariate_normal

from spreadlab.ica import GaussianMixturePrior, LaplacePrior, SechPrior, make_ica_data
from spreadlab.ica import _estep as E

PRIORS = [LaplacePrior(), SechPrior(), GaussianMixturePrior.laplace_gsm(),
          GaussianMixturePrior([0.3, 0.7], [-1.0, 0.5], [0.5, 1.0])]


@pytest.fixture
def rng():
    return np.random.default_rng(20240611)


@pytest.fixture
def problem(rng):
    """Spread data y = x + sigma eps and a perturbed mixing matrix."""
    X, A, _ = make_ica_data(700, 6, 3, random_state=rng)
    Y = X + 0.7 * rng.standard_normal(X.shape)
    A0 = A + 0.3 * rng.standard_normal(A.shape)
    return Y, A0, 0.49


def _pool(rng, Z, N, J, P=4096):
    return E.extend_pool(rng.standard_normal((Z, P)), J), rng.integers(0, P, size=N)


def _max_rel(a, b):
    return np.max(np.abs(a - b)) / np.max(np.abs(b))


def test_gaussian_factor_log_normaliser_matches_direct_integral(problem):
    # p(y) for a Gaussian prior N(0, I) is N(y; 0, A A^T + v I); the factorisation
    # C(y) N(s; mu, Sigma) integrates to C(y) N(mu; 0, Sigma + I).
    Y, A, v = problem
    gf = E.gaussian_factor(Y, A, v)
    Z = A.shape[1]
    ours = gf.logC + multivariate_normal(np.zeros(Z), gf.Sigma + np.eye(Z)).logpdf(gf.Mu)
    direct = multivariate_normal(np.zeros(Y.shape[1]), A @ A.T + v * np.eye(Y.shape[1])).logpdf(Y)
    # closed form against closed form: rounding only (values are O(10))
    np.testing.assert_allclose(ours, direct, rtol=1e-12, atol=1e-11)


def test_exact_estep_loglik_matches_mixture_of_gaussians_density(problem):
    # the exact E-step's log p(y) against scipy's MVN density summed over all
    # K**Z component combinations
    import itertools

    Y, A, v = problem
    prior = PRIORS[3]
    est = E.estep_exact_numpy(E.gaussian_factor(Y, A, v), prior)
    terms = []
    for c in itertools.product(range(prior.n_components), repeat=A.shape[1]):
        m, d = prior.means[list(c)], prior.variances[list(c)]
        cov = A @ np.diag(d) @ A.T + v * np.eye(Y.shape[1])
        terms.append(np.log(prior.weights[list(c)]).sum()
                     + multivariate_normal(A @ m, cov).logpdf(Y))
    np.testing.assert_allclose(est.loglik, logsumexp(terms, axis=0), rtol=1e-12)  # rounding


@pytest.mark.parametrize("prior", PRIORS, ids=lambda p: p.name + str(getattr(p, "n_components", "")))
def test_importance_kernel_matches_numpy_reference(problem, rng, prior):
    # same inputs, same draws: only the summation order differs -> ~1e-15 relative;
    # 1e-12 leaves room for the condition of the second-moment formula
    Y, A, v = problem
    gf = E.gaussian_factor(Y, A, v)
    J = 37  # not a multiple of 8: exercises the tail of the lane-wise dot product
    ext, off = _pool(rng, A.shape[1], Y.shape[0], J)
    ref = E.estep_importance_numpy(gf, prior, ext, off, J)
    nb = E.estep_importance_numba(gf, prior, ext, off, J)
    for name in ("Es", "sum_ss", "loglik"):
        assert _max_rel(getattr(nb, name), getattr(ref, name)) < 1e-12, name


@pytest.mark.parametrize("prior", PRIORS[2:], ids=["laplace_gsm", "asymmetric"])
def test_exact_kernel_matches_numpy_reference(problem, prior):
    Y, A, v = problem
    gf = E.gaussian_factor(Y, A, v)
    ref = E.estep_exact_numpy(gf, prior)
    nb = E.estep_exact_numba(gf, prior)
    for name in ("Es", "sum_ss", "loglik"):
        assert _max_rel(getattr(nb, name), getattr(ref, name)) < 1e-12, name  # rounding only


def test_importance_sampling_agrees_with_exact_estep_within_standard_error(problem, rng):
    """z-scores of the IS posterior means and log-likelihoods against the exact
    E-step, with per-sample standard errors from the importance weights
    (delta method for self-normalised IS): their mean square must be ~1.
    Negative control: the same IS output against the exact E-step of a
    different prior must fail the same check."""
    Y, A, v = problem
    prior = GaussianMixturePrior.laplace_gsm()
    gf = E.gaussian_factor(Y, A, v)
    N, Z = gf.Mu.shape
    J = 400
    ext, off = _pool(rng, Z, N, J, P=8192)
    est = E.estep_importance_numba(gf, prior, ext, off, J)
    exact = E.estep_exact_numpy(gf, prior)

    eps = ext[:, off[:, None] + np.arange(J)]                      # (Z, N, J)
    S = gf.Mu.T[:, :, None] + np.einsum("ik,knj->inj", gf.L, eps)
    lw = prior.logpdf(S).sum(axis=0)
    w = np.exp(lw - logsumexp(lw, axis=1, keepdims=True))
    se_mean = np.sqrt(np.einsum("nj,inj->ni", w**2, (S - est.Es.T[:, :, None]) ** 2))
    ratio = np.exp(lw - lw.max(axis=1, keepdims=True))
    se_ll = np.sqrt(ratio.var(axis=1) / J) / ratio.mean(axis=1)

    z2_mean = np.mean(((est.Es - exact.Es) / se_mean) ** 2)
    z2_ll = np.mean(((est.loglik - exact.loglik) / se_ll) ** 2)
    # mean of N*Z = 2100 squared z-scores: ~1 +- 0.03 if the SEs are right; the
    # delta-method SE and the O(1/J) bias of self-normalised IS allow [0.75, 1.3]
    assert 0.75 < z2_mean < 1.3
    assert 0.75 < z2_ll < 1.3
    wrong = GaussianMixturePrior(prior.weights, prior.means, 1.5 * prior.variances,
                                 standardize=False)
    z2_wrong = np.mean(((est.Es - E.estep_exact_numpy(gf, wrong).Es) / se_mean) ** 2)
    assert z2_wrong > 1.5  # negative control: a wrong target is detected


def test_singular_mixing_matrix_raises_clear_error():
    A = np.ones((4, 2))  # two equal columns: A^T A singular
    with pytest.raises(np.linalg.LinAlgError, match="A\\^T A is singular"):
        E.gaussian_factor(np.zeros((5, 4)), A, 1.0)


def test_vectorised_exp_matches_numpy_exp():
    from spreadlab.ica._kernels import _exp_nonpos

    x = np.concatenate([-np.logspace(-15, np.log10(707.0), 5001), [0.0, -0.0, -1e-300]])
    y = x.copy()
    _exp_nonpos(y, np.empty(x.size, dtype=np.int64))
    # degree-13 Taylor after exact range reduction: a few ulp
    np.testing.assert_allclose(y, np.exp(x), rtol=4e-16, atol=0)
    z = np.array([-np.inf, -800.0])
    _exp_nonpos(z, np.empty(2, dtype=np.int64))
    assert np.array_equal(z, [0.0, 0.0])  # underflow and -inf weights are exactly zero


def test_numba_importance_weights_propagate_nan_like_numpy_issue_8():
    # before: _exp_nonpos tested `v > -708`, False for NaN, so a NaN log-weight became a
    # weight of exactly 0 in the Numba kernel while the NumPy reference propagated NaN
    from spreadlab.ica._kernels import _exp_nonpos

    z = np.array([np.nan, -1.0, -np.inf])
    _exp_nonpos(z, np.empty(3, dtype=np.int64))
    assert np.isnan(z[0]) and z[1] == np.exp(-1.0) and z[2] == 0.0
    rng = np.random.default_rng(8)
    Y = rng.standard_normal((40, 3))
    A = rng.standard_normal((3, 2))
    gf = E.gaussian_factor(Y, A, 0.5)
    gf.Mu[5, 0] = np.nan                                   # one poisoned sample
    eps, off = _pool(rng, 2, 40, 16, P=256)
    a = E.estep_importance_numpy(gf, LaplacePrior(), eps, off, 16)
    b = E.estep_importance_numba(gf, LaplacePrior(), eps, off, 16)
    assert np.isnan(a.loglik[5]) and np.isnan(b.loglik[5])  # the two agree: NaN, not a number
    ok = np.arange(40) != 5
    np.testing.assert_allclose(b.loglik[ok], a.loglik[ok], rtol=1e-12)


def test_importance_ess_matches_numpy_reference(problem, rng):
    Y, A0, var = problem
    gf = E.gaussian_factor(Y, A0, var)
    eps, off = _pool(rng, 3, Y.shape[0], 32)
    a = E.estep_importance_numpy(gf, LaplacePrior(), eps, off, 32)
    b = E.estep_importance_numba(gf, LaplacePrior(), eps, off, 32)
    # same weights, different summation order: a few ulp
    np.testing.assert_allclose(b.ess, a.ess, rtol=1e-12)
    assert np.all((a.ess >= 1.0) & (a.ess <= 32.0))


@pytest.mark.parametrize("sigma", [3.0, 0.5, 0.05, 1e-3, 1e-6])
def test_whitened_posterior_kernel_matches_numpy_reference(sigma):
    from spreadlab.ica._estep import load_kernels
    from spreadlab.ica._whitened import laplace_posterior

    rng = np.random.default_rng(int(1 / sigma) % 1000)
    M = 3 * rng.standard_normal((300, 5))
    M[0] = [0.0, 60.0, -60.0, sigma, -1e3]                # kink, far tails, the scale
    b = 1 / np.sqrt(2)
    Es_np, lp_np = laplace_posterior(M, sigma, b)
    Es_nb, lp_nb = load_kernels().laplace_posterior_kernel(M, sigma, b)
    # erfc and a continued fraction against scipy's log_ndtr: both accurate to a few
    # ulp of their inputs; posterior means differ from m by O(sigma^2), so compare
    # on the scale max(|E s|, sigma); 1e-13 is 500 ulp of headroom
    np.testing.assert_allclose(Es_nb, Es_np, rtol=0, atol=1e-13 * max(sigma, 1) * 60)
    np.testing.assert_allclose(lp_nb, lp_np.sum(axis=1), rtol=1e-13)


@pytest.mark.parametrize("m, sigma", [(0.0, 0.3), (0.4, 0.3), (-2.0, 0.05), (8.0, 1.0)])
def test_whitened_posterior_mean_matches_quadrature(m, sigma):
    # independent oracle: the posterior moments by adaptive quadrature
    from scipy.integrate import quad

    from spreadlab.ica._whitened import laplace_posterior

    b = 1 / np.sqrt(2)

    def joint(s):
        return np.exp(-0.5 * ((s - m) / sigma) ** 2 - abs(s) / b) / (2 * b * sigma * np.sqrt(2 * np.pi))

    pts = [0.0, m]
    lo, hi = m - 40 * sigma, m + 40 * sigma
    Z = quad(joint, lo, hi, points=pts, epsabs=0, epsrel=1e-12, limit=200)[0]
    # epsabs: the mean is exactly 0 at m = 0 (symmetry), where a relative tolerance cannot be met
    mean = quad(lambda s: s * joint(s), lo, hi, points=pts, epsabs=1e-15, epsrel=1e-12, limit=200)[0] / Z
    Es, logp = laplace_posterior(np.array([m]), sigma, b)
    # quadrature to 1e-12 relative; the closed form is exact up to rounding
    assert Es[0] == pytest.approx(mean, rel=1e-9, abs=1e-12)
    assert logp[0] == pytest.approx(np.log(Z), rel=1e-10)


@pytest.mark.parametrize("sigma", [0.5, 3.0, 3.6])
def test_whitened_posterior_kernel_across_its_branch_boundaries(sigma):
    # the kernel computes in linear space where a = (|m| - sigma^2 c)/sigma > -5 and
    # b = (|m| + sigma^2 c)/sigma <= 5, in log space elsewhere, and drops the far half-line
    # past its tail bound: a dense grid through all three boundaries (and through m = 0)
    # against the NumPy reference, which has no branches
    from spreadlab.ica._estep import load_kernels
    from spreadlab.ica._whitened import laplace_posterior

    b = 1 / np.sqrt(2)
    s2c = sigma * sigma / b
    edges = np.array([s2c - 5 * sigma, 5 * sigma - s2c, 12 * sigma, 0.0])
    m = (edges[:, None] + sigma * np.linspace(-1e-3, 1e-3, 41)[None, :]).ravel()
    k = m.size
    m = np.concatenate([m, -m, np.linspace(-20 * sigma, 20 * sigma, 2001)])
    Es_np, lp_np = laplace_posterior(m, sigma, b)
    Es_nb, lp_nb = load_kernels().laplace_posterior_kernel(m[:, None], sigma, b)
    # as in the test above: 500 ulp of headroom on the scale max(sigma, 1)
    np.testing.assert_allclose(Es_nb[:, 0], Es_np, rtol=0, atol=1e-13 * max(sigma, 1) * 60)
    np.testing.assert_allclose(lp_nb, lp_np, rtol=1e-13)
    # the posterior mean is odd in m and the marginal even: exactly, since the kernel
    # works on |m|
    np.testing.assert_array_equal(Es_nb[:k], -Es_nb[k:2 * k])
    np.testing.assert_array_equal(lp_nb[:k], lp_nb[k:2 * k])
