"""Closed-form spread densities (spreadlab/closed_forms/_spread_densities.py) against mpmath.

The oracle is the convolution integral itself, integrated by mpmath at 40 digits with the
kinks and peaks as breakpoints, not the closed form re-typed. Log-densities are compared with
a relative tolerance of 1e-12 on |log p| (at least 1e-12 absolute): the closed forms sum two
log-space terms with log_ndtr, whose rounding is a few ulps of each term.
"""

import numpy as np
import pytest

from spreadlab import Cauchy, Convolution, Gaussian, Laplace, Uniform, spread, spread_kl
from spreadlab.closed_forms._spread_densities import (
    LaplaceGaussianSpread, UniformGaussianSpread, VoigtSpread,
)

mpmath = pytest.importorskip("mpmath", reason="the oracle integrates at 40 digits (mpmath comes with sympy)")
DPS = 40  # set per computation (mpmath.workdps), not globally: other test modules share mpmath


def _normal(t, s):
    return mpmath.exp(-t * t / (2 * s * s)) / (s * mpmath.sqrt(2 * mpmath.pi))


def _log_conv(y, density, s, points):
    """log of int density(x) N(y - x; 0, s^2) dx, by mpmath quadrature split at ``points``."""
    y = mpmath.mpf(y)
    s = mpmath.mpf(s)
    # breakpoints every s over +-40 s around y (the Gaussian factor's peak moves with the other
    # factor's slope; a coarser split missed it by 0.02 nats at y = 300) and at the kinks
    pts = sorted({mpmath.mpf(p) for p in points} | {y + k * s for k in range(-40, 41)})
    f = lambda x: density(x) * _normal(y - x, s)  # noqa: E731
    value = mpmath.quad(f, [-mpmath.inf] + pts + [mpmath.inf], maxdegree=10)
    return float(mpmath.log(value))


def _log_conv_40(*args):
    with mpmath.workdps(DPS):
        return _log_conv(*args)


def _assert_log_close(got, expected, cancel=0.0):
    # 1e-12 relative on the log-density (a few ulps of each log-space term), 1e-12 near log p = 0;
    # plus 4 ulps of ``cancel``, a term of that size cancelled inside the closed form
    tol = 1e-12 * max(1.0, abs(expected)) + 4 * np.finfo(float).eps * cancel
    assert abs(got - expected) <= tol, (got, expected)


LAPLACE_CASES = [(0.0, 1.0, 0.5), (2.0, 0.7, 1.3), (0.0, 1e-3, 1.0), (0.0, 1e2, 1e-2)]
Y = [-300.0, -40.0, -3.0, -0.1, 0.0, 0.4, 2.5, 17.0, 300.0]


@pytest.mark.parametrize("loc, b, s", LAPLACE_CASES)
def test_laplace_gaussian_matches_the_convolution_integral(loc, b, s):
    law = spread(Laplace(loc, b), Gaussian(0.0, s * s))
    assert isinstance(law, LaplaceGaussianSpread)
    dens = lambda x: mpmath.exp(-abs(x - loc) / b) / (2 * b)  # noqa: E731
    for y in Y:
        # laplace_spread_logpdf adds s^2/(2 b^2) to log Phi(u/s - s/b) ~ -(u/s - s/b)^2 / 2: for s >> b
        # the two cancel and leave ~eps s^2/(2 b^2) absolute error (5e-11 at s/b = 1000; the erfcx
        # form would avoid it)
        _assert_log_close(float(law.logpdf(y)), _log_conv_40(y, dens, s, [loc + k * b for k in range(-40, 41)]),
                          cancel=s * s / (2 * b * b))


VOIGT_CASES = [(0.0, 1.0, 1.0), (1.0, 0.05, 2.0), (0.0, 3.0, 0.01)]


@pytest.mark.parametrize("loc, g, s", VOIGT_CASES)
def test_voigt_matches_the_convolution_integral(loc, g, s):
    law = spread(Cauchy(loc, g), Gaussian(0.0, s * s))
    assert isinstance(law, VoigtSpread)
    dens = lambda x: g / (mpmath.pi * ((x - loc) ** 2 + g * g))  # noqa: E731
    for y in [-1e4, -30.0, -1.0, 0.0, 0.3, 5.0, 1e3]:
        # voigt_profile (Faddeeva) is good to ~1e-13 relative: compare the density, 5e-13
        expected = _log_conv_40(y, dens, s, [loc + k * g for k in range(-40, 41)])
        got = float(law.logpdf(y))
        assert abs(got - expected) <= 5e-13 * max(1.0, abs(expected)), (y, got, expected)


def test_voigt_far_tail_is_finite_and_asymptotic():
    law = spread(Cauchy(0.0, 1.0), Gaussian(0.0, 4.0))
    for u in [1e160, -1e200, 1e300]:
        # g/(pi u^2) (1 + (3 s^2 - g^2)/u^2): the correction is below 1e-300 here
        with mpmath.workdps(DPS):
            expected = float(mpmath.log(mpmath.mpf(1) / (mpmath.pi * mpmath.mpf(u) ** 2)))
        _assert_log_close(float(law.logpdf(u)), expected)
    # where the profile is still normal, the tail formula and the profile agree
    from scipy.special import voigt_profile

    u = 1e6
    tail = np.log(1 / np.pi) - 2 * np.log(u) + np.log1p((3 * 4.0 - 1.0) / u**2)
    assert abs(np.log(voigt_profile(u, 2.0, 1.0)) - tail) < 1e-12 * abs(tail)
    assert float(law.logpdf(np.inf)) == -np.inf


UNIFORM_CASES = [(-1.0, 2.0, 1.0), (3.0, 0.01, 1.0), (0.0, 50.0, 0.1)]


@pytest.mark.parametrize("a, w, s", UNIFORM_CASES)
def test_uniform_gaussian_matches_normal_cdfs_in_mpmath(a, w, s):
    law = spread(Uniform(a, w), Gaussian(0.0, s * s))
    assert isinstance(law, UniformGaussianSpread)
    for y in [a - 30 * s, a - 3 * s, a, a + w / 2, a + w, a + w + 0.5 * s, a + w + 35 * s]:
        # exact: (Phi((y - a)/s) - Phi((y - a - w)/s)) / w with erfc at 40 digits
        with mpmath.workdps(DPS):
            hi, lo = mpmath.mpf(y - a) / s, mpmath.mpf(y - a - w) / s
            val = (mpmath.erfc(-hi / mpmath.sqrt(2)) - mpmath.erfc(-lo / mpmath.sqrt(2))) / (2 * w)
            expected = float(mpmath.log(val))
        _assert_log_close(float(law.logpdf(y)), expected)


@pytest.mark.parametrize("p, kernel", [
    (Laplace(0.5, 1.0), Gaussian(0.2, 0.3)), (Cauchy(-1.0, 0.5), Gaussian(0.0, 2.0)),
    (Uniform(0.0, 1.0), Gaussian(1.0, 0.04)),
])
def test_closed_form_agrees_with_the_numeric_convolution(p, kernel):
    exact, numeric = spread(p, kernel), Convolution(p, kernel)
    y = np.linspace(-6.0, 6.0, 41)
    # the numeric convolution targets 1e-10 relative per point
    np.testing.assert_allclose(exact.logpdf(y), numeric.logpdf(y), rtol=0, atol=1e-9)
    # both argument orders give the same law
    swapped = spread(kernel, p)
    np.testing.assert_allclose(swapped.logpdf(y), exact.logpdf(y), rtol=1e-15, atol=0)


def test_registration_declines_batches_and_shifts_by_a_point_mass():
    from spreadlab.registry import CONVOLUTIONS

    rule = CONVOLUTIONS.lookup(Laplace, Gaussian)
    assert rule(Laplace([0.0, 1.0], 1.0), Gaussian(0.0, 1.0)) is None  # batched: the numeric route decides
    assert isinstance(rule(Laplace(0.0, 1.0), Gaussian(0.0, 1.0)), LaplaceGaussianSpread)
    shifted = spread(Laplace(0.0, 2.0), Gaussian(1.5, 0.0))
    assert isinstance(shifted, Laplace) and float(shifted.loc) == 1.5
    moved = spread(Cauchy(0.0, 1.0), Gaussian(0.0, 1.0)).shifted(2.0)
    assert isinstance(moved, VoigtSpread)
    assert np.isclose(float(moved.logpdf(2.0)), float(spread(Cauchy(0.0, 1.0), Gaussian(0.0, 1.0)).logpdf(0.0)),
                      rtol=1e-15)


def test_spread_kl_of_laplaces_by_quadrature_uses_the_exact_densities():
    # the same integral through the numeric convolution: the two must agree within their bounds
    p, q, k = Laplace(0.0, 1.0), Laplace(1.0, 1.0), Gaussian(0.0, 0.5)
    fast = spread_kl(p, q, k, method="quad")
    from spreadlab import divergence

    slow = divergence(Convolution(p, k), Convolution(q, k), "kl", method="quad")
    assert abs(fast - slow) <= fast.error + slow.error + 1e-12
    # and lies below the unspread KL (spreading lowers an f-divergence): 1/e here
    assert fast < np.exp(-1.0)


@pytest.mark.parametrize("p", [Laplace(0.0, 1e-300), Laplace(0.0, 1e300), Cauchy(0.0, 1e-300),
                               Cauchy(0.0, 1e300), Uniform(0.0, 1e-300), Uniform(-1e300, 1e300)],
                         ids=lambda d: repr(d))
@pytest.mark.parametrize("variance", [1e-300, 1.0, 1e300])
def test_extreme_parameters_never_give_nan_bug_found_by_probing(p, variance):
    """Closed forms at extreme scale ratios produced NaN (overflowing s^2/b^2, voigt_profile
    returning 0 at g/s = 1e10, -inf minus -inf): they now decline, hand points to the numeric
    route, or return -inf where the density is below the log-space range."""
    import warnings

    y = np.array([-np.inf, -1e300, -1e10, -40.0, -1.0, 0.0, 1.0, 40.0, 1e10, 1e300, np.inf])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the numeric route may warn about its own accuracy
        out = spread(p, Gaussian(0.0, variance)).logpdf(y)
    assert not np.any(np.isnan(out)) and not np.any(out == np.inf)
    assert out[0] == -np.inf and out[-1] == -np.inf


def test_declines_where_the_formula_loses_accuracy():
    assert isinstance(spread(Laplace(0.0, 1e-4), Gaussian(0.0, 1.0)), Convolution)      # s/b = 1e4
    assert isinstance(spread(Uniform(0.0, 1e-7), Gaussian(0.0, 1.0)), Convolution)      # w/s = 1e-7
    narrow = spread(Cauchy(2.0, 1.0), Gaussian(0.5, 1e-18))                              # s/g = 1e-9
    assert isinstance(narrow, Cauchy) and float(narrow.loc) == 2.5
