"""spreadlab.distributions: the contract, the scipy-backed families, Epanechnikov and Fejér, PSD."""

import mpmath
import numpy as np
import pytest
from scipy import integrate, stats

from spreadlab import (
    Cauchy, Delta, Epanechnikov, Fejer, Gaussian, HyperbolicSecant, Laplace, Logistic,
    StudentT, Triangular, Uniform, divergence, kl,
)

FAMILIES_1D = [
    Laplace(0.3, 1.7), Cauchy(-1.0, 0.4), Logistic(2.0, 0.8), HyperbolicSecant(0.0, 1.3),
    StudentT(2.5, 1.0, 0.6), Uniform(-1.0, 2.0), Triangular(-1.0, 2.0, 0.3),
    Epanechnikov(0.5, 2.0), Fejer(-0.2, 0.7),
]


@pytest.mark.parametrize("d", [Epanechnikov(0.5, 2.0), Fejer(-0.2, 0.7)], ids=repr)
def test_samplers_of_the_non_scipy_kernels_follow_their_cdf(d):
    """Kolmogorov-Smirnov against the closed-form cdf, with a negative control that must fail."""
    x = d.sample(20_000, np.random.default_rng(5))
    assert stats.kstest(x, d.cdf).pvalue > 1e-3  # a false alarm has probability 1e-3
    wrong = type(d)(float(d.loc) + 0.1 * float(d.scale), float(d.scale))
    assert stats.kstest(x, wrong.cdf).pvalue < 1e-6  # a 0.1-scale shift is detected


@pytest.mark.parametrize("d", FAMILIES_1D, ids=repr)
def test_cdf_is_the_integral_of_the_pdf(d):
    lo, hi = (float(v) for v in d.support)
    for x in (float(d.location_hint) - 1.3 * float(d.scale_hint), float(d.location_hint) + 0.4):
        start = max(lo, float(d.location_hint) - 20 * float(d.scale_hint))
        pts = [p for p in d.landmarks() if start < p < x]
        mass, err = integrate.quad(d.pdf, start, x, points=pts or None, limit=500, epsabs=1e-14)
        assert err < 1e-8  # a meaningful oracle (quad's estimate; Fejer oscillates: 2.5e-9)
        # the difference of two cdf values against the integral between them: quad's error
        # plus rounding of cdf values of size <= 1
        assert float(d.cdf(x) - d.cdf(start)) == pytest.approx(mass, abs=err + 1e-14)


def test_fejer_far_tail_keeps_relative_accuracy():
    """Beyond z = 32 the tail comes from the sine integral's asymptotic series; mpmath oracle."""
    mpmath.mp.dps = 40
    for z in (5.0, 31.9, 32.1, 1e3, 1e8):
        exact = 0.5 - (mpmath.si(2 * z) - mpmath.sin(z) ** 2 / z) / mpmath.pi
        assert float(Fejer(0.0, 1.0).sf(z)) == pytest.approx(float(exact), rel=1e-12)
        assert float(Fejer(0.0, 1.0).cdf(-z)) == pytest.approx(float(exact), rel=1e-12)


def test_infinite_arguments_give_limits_not_nan_bug_issue9():
    """Fejér pdf/logpdf/cdf at +-inf were NaN; cf at 1e308 was NaN for Epanechnikov and logistic."""
    f = Fejer(0.0, 1.0)
    assert f.pdf(np.inf) == 0.0 and f.logpdf(-np.inf) == -np.inf
    np.testing.assert_array_equal(f.cdf([-np.inf, np.inf]), [0.0, 1.0])
    for d in (Epanechnikov(0.0, 1.0), Logistic(0.0, 1.0), Laplace(0.0, 1.0), Cauchy(0.0, 1.0)):
        value = complex(d.cf(1e308))
        assert abs(value) <= 1e-300  # every one of these cfs decays to 0


def test_student_t_cf_has_the_gaussian_limit_bug_issue9():
    """StudentT(1e7).cf(1) was 0.3032, StudentT(1e15).cf(1) 1.064 (> 1), StudentT(3).cf(5e-324) NaN."""
    for df in (1e7, 1e15, 1e20, 1e300):
        # phi = exp(-t^2/2) (1 + O(1/df)): the correction t^4/(4 df) is below 1e-8 here
        assert float(StudentT(df).cf(1.0).real) == pytest.approx(np.exp(-0.5), rel=1e-7)
    assert float(StudentT(3.0).cf(5e-324).real) == 1.0
    # small df and tiny t: 1 - phi ~ Gamma(1 - v)/Gamma(1 + v) (u/2)^(2v), v = df/2 (series)
    v, u = 0.005, np.sqrt(0.01) * 1e-250
    from scipy.special import gamma

    expected = 1.0 + gamma(-v) / gamma(v) * (u / 2) ** (2 * v)
    assert float(StudentT(0.01).cf(1e-250).real) == pytest.approx(expected, rel=1e-13)


@pytest.mark.parametrize("nu", [0.3, 3.0, 30.0, 399.0, 401.0, 1000.0])
@pytest.mark.parametrize("t", [1e-3, 0.5, 1.0, 3.0])
def test_student_t_cf_against_mpmath(nu, t):
    mpmath.mp.dps = 40
    v, u = mpmath.mpf(nu) / 2, mpmath.sqrt(mpmath.mpf(nu)) * t
    exact = mpmath.besselk(v, u) * u**v / (mpmath.gamma(v) * 2 ** (v - 1))
    # scipy's kve at orders near 200 (df = 399) is good to 2.8e-13 here; Debye's expansion
    # above order 200 and kve below ~50 are within 4e-14
    assert float(StudentT(nu).cf(t).real) == pytest.approx(float(exact), rel=1e-12)


@pytest.mark.parametrize("d", FAMILIES_1D, ids=repr)
def test_hints_are_exact_at_huge_locations_bug_issue9(d):
    """Quartiles by bracketing looped for ever at loc 1e16 (start - 1 == start); the hints are
    computed on the standard law and stay exact at any location."""
    far = d.shifted(1e16)
    assert far.location_hint == pytest.approx(1e16 + float(d.location_hint), rel=1e-15)
    assert far.scale_hint == pytest.approx(float(d.scale_hint), rel=1e-15)
    ppf = d._scipy().ppf
    assert float(d.scale_hint) == pytest.approx(float(ppf(0.75) - ppf(0.25)) / 1.3489795003921634, rel=1e-9)


def test_huge_covariance_stays_a_full_rank_law_bug_issue9():
    """0.5 * (c + c.T) overflowed to inf: rank 0, and TV against a point mass came out 0."""
    g = Gaussian([0.0, 0.0], [[1e308, 0.0], [0.0, 1e308]])
    assert g.rank == 2
    assert divergence(g, Delta([0.0, 0.0]), "tv") == 1.0


def test_unresolved_eigenvalues_count_as_zero_as_documented():
    """An eigenvalue below d * eps * lambda_max is not resolved by eigh: diag(1, 1e-17) is rank 1,
    a deterministic direction, so p has no mass off a line that q spreads over: KL = inf."""
    p = Gaussian([0.0, 0.0], [[1.0, 0.0], [0.0, 1e-17]])
    assert p.rank == 1
    assert kl(p, Gaussian([0.0, 0.0], 1.0)) == np.inf
    assert Gaussian([0.0, 0.0], [[1.0, 0.0], [0.0, 1e-15]]).rank == 2  # resolved: a density


def test_empty_points_are_refused_bug_issue9():
    with pytest.raises(ValueError, match="loc must have at least one coordinate"):
        Delta([])
    with pytest.raises(ValueError, match="mean must have at least one coordinate"):
        Gaussian([])
