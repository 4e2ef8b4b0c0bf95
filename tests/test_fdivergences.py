"""spreadlab.fdivergences: each f-divergence object agrees with itself, its closed forms and its limits."""

import mpmath
import numpy as np
import pytest

from spreadlab import (
    F_DIVERGENCES,
    Delta,
    FDivergence,
    Gaussian,
    Laplace,
    Logistic,
    divergence,
)

RNG = np.random.default_rng(20261126)


@pytest.mark.parametrize("name", list(F_DIVERGENCES))
def test_pointwise_integrand_is_q_times_the_generator(name):
    """The log-space integrand used by quadrature is q f(p/q), the definition, at random points."""
    fd = F_DIVERGENCES[name]
    alpha = 0.7 if fd.has_order else None
    lp, lq = RNG.normal(-1.0, 1.5, 200), RNG.normal(-1.0, 1.5, 200)
    expected = np.exp(lq) * fd.f(np.exp(lp - lq), alpha)
    got = fd.pointwise(lp, lq, alpha)
    if name == "renyi":  # the Renyi integrand is p^a q^(1-a) - p, i.e. (alpha - 1) q f(p/q)
        expected = (alpha - 1.0) * expected
    # the generator form sums terms of size ~(p + q)(1 + |log p/q|) that cancel (JS near p = q):
    # allow a few ulps of those terms, not of the result
    terms = (np.exp(lp) + np.exp(lq)) * (1.0 + np.abs(lp - lq))
    atol = 1e-15 * float(terms.max()) if name == "js" else 0.0
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=atol)


@pytest.mark.parametrize("name", [n for n in F_DIVERGENCES if n != "renyi"])
def test_generator_is_convex_and_zero_at_one(name):
    fd = F_DIVERGENCES[name]
    assert fd.f(1.0) == pytest.approx(0.0, abs=1e-15)
    t = np.linspace(0.05, 20.0, 400)
    second = np.diff(fd.f(t), 2)
    assert np.all(second >= -1e-12)  # convex up to rounding of values of size <= 20


def test_triangular_discrimination_equal_covariance_gaussians():
    """Le Cam's triangular discrimination: closed form vs quadrature vs Monte Carlo."""
    p, q = Gaussian(0.3, 0.8), Gaussian(1.5, 0.8)
    exact = divergence(p, q, "triangular")
    est = divergence(p, q, "triangular", "quad")
    assert abs(est - exact) <= 10 * est.error + 1e-13 * exact
    mc = divergence(p, q, "triangular", "mc", n_samples=100_000, rng=11)
    assert abs(mc - exact) <= 5 * mc.error
    # in 3 dimensions only the whitened gap matters: compare with the 1-D value of that gap
    cov = np.array([[2.0, 0.3, 0.0], [0.3, 1.0, 0.2], [0.0, 0.2, 0.5]])
    m = np.array([0.4, -0.2, 0.3])
    gap = float(np.sqrt(m @ np.linalg.solve(cov, m)))
    three = divergence(Gaussian(np.zeros(3), cov), Gaussian(m, cov), "triangular")
    assert three == pytest.approx(divergence(Gaussian(0.0, 1.0), Gaussian(gap, 1.0), "triangular"), rel=1e-13)
    # series branch (m < 1e-3) meets the integral branch continuously
    below = divergence(Gaussian(0.0, 1.0), Gaussian(1e-3 * (1 - 1e-9), 1.0), "triangular")
    above = divergence(Gaussian(0.0, 1.0), Gaussian(1e-3 * (1 + 1e-9), 1.0), "triangular")
    assert below == pytest.approx(above, rel=1e-8)  # values differ by 4e-9 relative from m alone
    assert divergence(Delta(0.0), Delta(1.0), "triangular") == 2.0  # mutually singular


@pytest.mark.parametrize("name", list(F_DIVERGENCES))
def test_mutually_singular_laws_get_the_documented_value(name):
    fd = F_DIVERGENCES[name]
    alpha = 0.5 if fd.has_order else None
    value = divergence(Delta(0.0), Laplace(0.0, 1.0), name, alpha=alpha)
    assert value == fd.mutually_singular(alpha)
    assert not np.isnan(value)


def test_renyi_order_one_is_kl_in_every_method_bug_issue9():
    """alpha = 1 was ZeroDivisionError with quad and NaN with mc."""
    p, q = Laplace(0.0, 1.0), Laplace(0.8, 1.3)
    klv = divergence(p, q, "kl")
    assert divergence(p, q, "renyi", alpha=1.0) == klv
    est = divergence(p, q, "renyi", "quad", alpha=1.0)
    assert abs(est - klv) <= est.error + 1e-14 * klv
    mc = divergence(p, q, "renyi", "mc", alpha=1.0, n_samples=50_000, rng=1)
    assert abs(mc - klv) <= 5 * mc.error


def _laplace_renyi_mp(t, a):
    mpmath.mp.dps = 60
    t, a = mpmath.mpf(t), mpmath.mpf(a)
    if a == 1:
        return t + mpmath.exp(-t) - 1
    if a == mpmath.mpf(0.5):
        return -2 * mpmath.log(mpmath.exp(-t / 2) * (1 + t / 2))
    i = ((1 - a) * mpmath.exp(-a * t) - a * mpmath.exp(-(1 - a) * t)) / (1 - 2 * a)
    return mpmath.log(i) / (a - 1)


@pytest.mark.parametrize("t", [1e-3, 0.37, 5.0, 40.0])
@pytest.mark.parametrize("alpha", [1e-6, 0.3, 0.5 - 1e-9, 0.5, 0.5 + 1e-9, 0.9, 1 - 1e-12, 1.0, 1 + 1e-12, 1.4, 7.0, 1e6, 1e300])
def test_laplace_renyi_for_every_order_bug_issue9(t, alpha):
    """Near alpha = 1 the old formula lost everything (-1.1e-4 for a truth of 5e-7 at
    alpha = 1 + 1e-12, t = 1e-3); for large alpha it gave -inf. mpmath at 60 digits."""
    got = divergence(Laplace(0.0, 1.0), Laplace(t, 1.0), "renyi", alpha=alpha)
    if alpha == 1e300:  # the max-divergence limit D_inf = t (mpmath cannot form the 1e300 powers)
        truth = t
    else:
        truth = float(_laplace_renyi_mp(t, alpha))
    # relative 1e-12 except for t = 1e-3 with alpha < 1/2, where the closed form subtracts
    # two terms of size alpha t and keeps eps / t = 2e-13 relative (documented cancellation)
    assert got == pytest.approx(truth, rel=2e-12)


def test_f_can_be_passed_as_an_object_and_unknown_names_are_refused():
    fd = F_DIVERGENCES["hellinger"]
    assert isinstance(fd, FDivergence)
    p, q = Logistic(0.0, 1.0), Logistic(1.0, 1.0)
    assert divergence(p, q, fd) == divergence(p, q, "hellinger")
    with pytest.raises(ValueError, match="Unknown f 'hellinguer'"):
        divergence(p, q, "hellinguer")
    with pytest.raises(ValueError, match="alpha must be a finite number > 0"):
        divergence(p, q, "renyi", alpha=float("inf"))
