"""spreadlab.spread: the convolution registry and log-space numeric spreading."""

import mpmath
import numpy as np
import pytest

import spreadlab

from spreadlab import (
    Cauchy, Convolution, Delta, Gaussian, Laplace, Logistic, Uniform, UniformSpread, divergence,
    spread, spread_kl,
)


def _laplace_gauss_log(y):
    """log (Laplace(0, 1) * N(0, 1))(y) in closed form, at 50 digits:
    e^{1/2} [e^{-y} Phi(y - 1) + e^{y} Phi(-y - 1)] / 2."""
    mpmath.mp.dps = 50
    y = mpmath.mpf(y)
    phi = lambda v: mpmath.ncdf(v)  # noqa: E731
    return float(mpmath.log(mpmath.e ** 0.5 * (mpmath.e ** -y * phi(y - 1) + mpmath.e ** y * phi(-y - 1)) / 2))


@pytest.mark.parametrize("y", [0.0, 10.0, 100.0, 300.0, -300.0, 700.0])
def test_numeric_spreading_tail_is_right_in_log_space_bug_issue9(y):
    """pdf(300) of Laplace * N(0, 1) was 0.0 (truth 4.2e-131), and a tail value depended on the
    other points of the call (pdf(100) alone right, inside a 9-point call 9.6e-55 for 3.1e-44)."""
    s = Convolution(Laplace(0.0, 1.0), Gaussian(0.0, 1.0))
    alone = float(s.logpdf(y))
    together = s.logpdf(np.array([-5.0, 0.0, 1.0, 2.0, y, 3.0, 50.0, 80.0, 120.0]))[4]
    truth = _laplace_gauss_log(y)
    # log-space: an absolute error in the log is the relative error of the density
    assert abs(alone - truth) <= 1e-12 * max(1.0, abs(truth))
    assert together == alone
    assert s.last_error <= Convolution.rtol


def _mp_log_conv(logp, y):
    mpmath.mp.dps = 40
    y = mpmath.mpf(y)
    f = lambda t: mpmath.exp(logp(t) - (y - t) ** 2 / 2) / mpmath.sqrt(2 * mpmath.pi)  # noqa: E731
    pts = sorted({mpmath.mpf(v) for v in (-40, -8, -2, 0, 2, 8, 40)} | {y + d for d in (-40, -8, -2, -1, 0, 2, 8, 40)})
    value, err = mpmath.quad(f, [-mpmath.inf] + pts + [mpmath.inf], error=True, maxdegree=10)
    assert err < 1e-20 * value  # the oracle itself converged (mpmath's own error estimate)
    return float(mpmath.log(value))


@pytest.mark.parametrize("y", [10.0, 100.0, 300.0])
def test_cauchy_spreading_tails_against_mpmath(y):
    got = float(Convolution(Cauchy(0.0, 1.0), Gaussian(0.0, 1.0)).logpdf(y))
    assert got == pytest.approx(_mp_log_conv(lambda t: -mpmath.log(mpmath.pi * (1 + t * t)), y), rel=1e-12)


def test_logistic_spreading_tails():
    s = Convolution(Logistic(0.0, 1.0), Gaussian(0.0, 1.0))
    # y = 10 against mpmath (the logistic written smoothly, 2 log(2 cosh(t/2)))
    truth = _mp_log_conv(lambda t: -2 * mpmath.log(2 * mpmath.cosh(t / 2)), 10.0)
    assert float(s.logpdf(10.0)) == pytest.approx(truth, rel=1e-12)
    # far out the logistic density is e^{-t} (1 - 2e^{-t} + ...): twice the Laplace one up to
    # a relative e^{-99} at y = 100, so the closed form above is the oracle there
    for y in (100.0, 300.0):
        assert float(s.logpdf(y)) == pytest.approx(np.log(2.0) + _laplace_gauss_log(y), rel=1e-12)


def test_far_apart_spread_kl_by_quadrature_matches_monte_carlo_bug_issue9(monkeypatch):
    """spread_kl(Laplace(0,1), Laplace(20,1), N(0,1), 'quad') was inf with abserr 0 (MC: 18.23)."""
    # 200,000 numerically spread densities take 1-3 min on a loaded 2-core machine: no time
    # budget here, so the test does not depend on the machine's speed
    monkeypatch.setattr(spreadlab.budgets, "MC_TIME_BUDGET", float("inf"))
    q = spread_kl(Laplace(0.0, 1.0), Laplace(20.0, 1.0), Gaussian(0.0, 1.0), method="quad")
    mc = spread_kl(Laplace(0.0, 1.0), Laplace(20.0, 1.0), Gaussian(0.0, 1.0), method="mc", n_samples=200_000, rng=4)
    assert np.isfinite(q) and q.error > 0
    assert abs(q - mc) <= 5 * mc.error + q.error


def test_nested_quadrature_finishes_bug_issue9_hang(monkeypatch):
    """Laplace * Laplace pairs had no answer after 150 s (nested quad_vec)."""
    monkeypatch.setattr(spreadlab.budgets, "MC_TIME_BUDGET", float("inf"))  # as above
    q = spread_kl(Laplace(0.0, 1.0), Laplace(1.0, 1.0), Laplace(0.0, 1.0), method="quad")
    mc = spread_kl(Laplace(0.0, 1.0), Laplace(1.0, 1.0), Laplace(0.0, 1.0), method="mc", n_samples=200_000, rng=2)
    assert abs(q - mc) <= 5 * mc.error + q.error


def test_registry_routes():
    assert isinstance(spread(Laplace(0.0, 1.0), Uniform(-1.0, 2.0)), UniformSpread)
    # Laplace * Gaussian has a closed form (tests/test_spread_densities.py); Logistic * Gaussian has not
    assert type(spread(Laplace(0.0, 1.0), Gaussian(0.0, 1.0))).__name__ == "LaplaceGaussianSpread"
    assert isinstance(spread(Logistic(0.0, 1.0), Gaussian(0.0, 1.0)), Convolution)
    assert spread(Delta(1.0), Laplace(0.0, 2.0)).loc == 1.0
    assert spread(Cauchy(0.0, 1.0), Cauchy(1.0, 2.0)).scale == 3.0
    # the uniform route agrees with the general numeric route
    y = np.linspace(-30.0, 30.0, 61)
    np.testing.assert_allclose(spread(Laplace(0.0, 1.0), Uniform(-1.0, 2.0)).logpdf(y),
                               Convolution(Laplace(0.0, 1.0), Uniform(-1.0, 2.0)).logpdf(y), rtol=1e-11)
    assert divergence(Gaussian(0.0, 1.0), Gaussian(0.0, 1.0), "kl") == 0.0
