"""The spread-L2 / MMD identity: closed forms, quadrature and the U-statistic."""

import numpy as np
import pytest
from scipy import integrate

from spreadlab import Cauchy, Delta, Gaussian, Laplace, Logistic, StudentT, Uniform
from spreadlab import ProductKernel, QuadratureTruncationWarning, mmd2, mmd2_gaussian, spread_l2_distance


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


CASES_1D = [
    (Gaussian(0.3, 0.7), Gaussian(-0.5, 1.9), Gaussian(0.0, 0.4)),
    (Delta(0.0), Delta(2.5), Gaussian(0.0, 0.4)),
    (Delta(1.0), Gaussian(1.0, 0.01), Gaussian(3.0, 2.0)),  # kernel mean is irrelevant
    (Gaussian(4.0, 3.0), Gaussian(4.0, 3.0), Gaussian(0.0, 1.0)),  # p = q
]


@pytest.mark.parametrize("p, q, kernel", CASES_1D)
def test_closed_form_equals_plancherel_quadrature(p, q, kernel):
    closed = mmd2_gaussian(p, q, kernel)
    quad = spread_l2_distance(p, q, kernel, method="quadrature")
    # smooth Gaussian integrand, 16-point Gauss-Legendre panels: rounding-level agreement
    assert abs(closed - quad) <= 1e-12 * max(1.0, closed)


@pytest.mark.parametrize("p, q, kernel", CASES_1D)
def test_closed_form_equals_direct_l2_integral(p, q, kernel):
    # independent route: integrate (p~ - q~)^2 in x with the spread densities in closed
    # form, p~ = N(mu_p, s_p^2 + s_K^2)
    def spread(d):
        mean = float(d.loc[0]) if isinstance(d, Delta) else float(d.mean[0])
        var = (0.0 if isinstance(d, Delta) else float(d.cov[0, 0])) + float(kernel.cov[0, 0])
        return Gaussian(mean, var)

    ps, qs = spread(p), spread(q)
    val, abserr = integrate.quad(lambda x: float(ps.pdf(x) - qs.pdf(x)) ** 2, -np.inf, np.inf,
                                 epsabs=1e-14, epsrel=1e-12, limit=200)
    # QUADPACK's own error estimate is ~1e-14 here; 1e-10 leaves room for it
    assert abs(mmd2_gaussian(p, q, kernel) - val) < 1e-10
    assert abserr < 1e-11


def test_closed_form_two_dimensional_against_grid_quadrature():
    p = Gaussian([0.0, 0.5], [[1.0, 0.3], [0.3, 0.5]])
    q = Delta([1.0, -0.5])
    kernel = Gaussian([0.0, 0.0], [[0.4, -0.1], [-0.1, 0.3]])
    ps = Gaussian(p.mean, p.cov + kernel.cov)
    qs = Gaussian(q.loc, kernel.cov)
    # tensor Gauss-Legendre on [-9, 9]^2 (spread sds < 1.2, so > 7 sd of margin: the
    # truncated mass is < 1e-11) with 60 panels of 16 nodes per axis
    t, w = np.polynomial.legendre.leggauss(16)
    edges = np.linspace(-9, 9, 61)
    c, h = 0.5 * (edges[1:] + edges[:-1]), 0.5 * np.diff(edges)
    x = (c[:, None] + h[:, None] * t).ravel()
    wx = (h[:, None] * w).ravel()
    X, Y = np.meshgrid(x, x, indexing="ij")
    pts = np.stack([X, Y], axis=-1)
    diff2 = (ps.pdf(pts) - qs.pdf(pts)) ** 2
    grid = float(wx @ diff2 @ wx)
    assert abs(mmd2_gaussian(p, q, kernel) - grid) < 1e-10


def test_closed_form_examples_by_hand():
    # deltas d apart, K = N(0, s^2): MMD^2 = 2 (1 - exp(-d^2 / 4 s^2)) / sqrt(4 pi s^2)
    d, s2 = 1.7, 0.3
    expected = 2 * (1 - np.exp(-d * d / (4 * s2))) / np.sqrt(4 * np.pi * s2)
    assert mmd2_gaussian(Delta(0.0), Delta(d), Gaussian(0.0, s2)) == pytest.approx(expected, rel=1e-14)
    assert mmd2_gaussian(Gaussian(0.0, 1.0), Gaussian(0.0, 1.0), Gaussian(0.0, 1.0)) == pytest.approx(0.0, abs=1e-16)


@pytest.mark.parametrize(
    "kernel, exact",
    [
        # deltas at 0 and 1: ||K(.) - K(. - 1)||^2 = 2 (k(0) - k(1)), k = K * K~
        (Laplace(0.0, 1.0), 0.5 - np.exp(-1.0)),  # k(z) = (1 + |z|) e^-|z| / 4
        (Cauchy(0.0, 1.0), 2 * (1 / (2 * np.pi) - 2 / (5 * np.pi))),  # k = Cauchy(0, 2)
        (Uniform(-1.0, 2.0), 0.5),  # k(z) = (2 - |z|)_+ / 4
    ],
)
def test_plancherel_for_non_gaussian_kernels(kernel, exact):
    if isinstance(kernel, Uniform):
        # the panel budget ends before the w^-2 tail is negligible: extrapolated, and said
        with pytest.warns(QuadratureTruncationWarning, match="max_panels = 20000"):
            val = spread_l2_distance(Delta(0.0), Delta(1.0), kernel, method="quadrature")
    else:
        val = spread_l2_distance(Delta(0.0), Delta(1.0), kernel, method="quadrature")
    # the uniform kernel's |phi|^2 decays like w^-2: its tail is extrapolated (~3e-8);
    # the others are integrated to rounding
    tol = 1e-7 if isinstance(kernel, Uniform) else 1e-12
    assert abs(val - exact) < tol



# Review bug a5: the quadrature sized its panels by max|loc| instead of |delta mu|, hit the
# 20000-panel cap and silently extrapolated: at L = 1e5 the Gaussian value was 96% low,
# at L = 1e4 the Laplace value 8% high.
TRANSLATIONS = [0.0, 1e4, 1e5, 1e7, 1e7 + 0.3]


@pytest.mark.parametrize("L", TRANSLATIONS)
def test_spread_l2_quadrature_is_translation_invariant_bug_review_a5(L, recwarn):
    kernel = Gaussian(0.0, 0.3)
    p, q = Gaussian(L, 1.0), Gaussian(L + 1.0, 1.0)
    closed = mmd2_gaussian(p, q, kernel)
    quad = spread_l2_distance(p, q, kernel, method="quadrature")
    # after the common shift the integrand is the L = 0 one up to the rounding of the
    # location difference (exact for the integer L; ~1e-9 * 2^-52 relative at 1e7 + 0.3),
    # so the smooth Gaussian integrand agrees with the closed form to rounding, as in
    # test_closed_form_equals_plancherel_quadrature; the buggy code was off by 1e-2 to 1
    assert abs(quad - closed) <= 1e-12 * closed
    assert not any(issubclass(w.category, QuadratureTruncationWarning) for w in recwarn)


@pytest.mark.parametrize("L", TRANSLATIONS)
def test_spread_l2_quadrature_laplace_is_translation_invariant_bug_review_a5(L, recwarn):
    kernel = Gaussian(0.0, 0.3)
    ref = spread_l2_distance(Laplace(0.0, 1.0), Laplace(1.0, 1.0), kernel)
    val = spread_l2_distance(Laplace(L, 1.0), Laplace(L + 1.0, 1.0), kernel)
    # same integrand as at L = 0 after the shift (bit-identical for integer L; for
    # L = 1e7 + 0.3 the difference 1 carries a ~1e-9 rounding, a ~1e-9 relative change
    # in the value at most), so 1e-8 relative is ample; the bug was 8% to 100% off
    assert abs(val - ref) <= 1e-8 * ref
    assert not any(issubclass(w.category, QuadratureTruncationWarning) for w in recwarn)
    # and the L = 0 value is right: Laplace cf 1 / (1 + w^2), |phi_K|^2 = exp(-0.3 w^2)
    # (Gaussian(0, 0.3) has variance 0.3), direct adaptive quadrature of the integrand
    direct, _ = integrate.quad(
        lambda w: 2 * (1 - np.cos(w)) / (1 + w * w) ** 2 * np.exp(-0.3 * w * w) / np.pi,
        0, np.inf, epsabs=1e-14, epsrel=1e-12, limit=200)
    assert abs(ref - direct) <= 1e-10 * direct  # QUADPACK tolerance 1e-12 plus margin


def test_spread_l2_quadrature_warns_when_the_panel_cap_truncates_bug_review_a5():
    # a genuinely large location difference needs ~9e5 panels: the range is cut at the
    # budget, which must be reported instead of silently extrapolated
    p, q, kernel = Gaussian(0.0, 1.0), Gaussian(1e5, 1.0), Gaussian(0.0, 0.3)
    with pytest.warns(QuadratureTruncationWarning, match=r"\|delta mu\| = 100000"):
        spread_l2_distance(p, q, kernel, method="quadrature")

def test_u_statistic_is_exact_for_point_masses():
    # every sample equal: the estimator reduces to 2 (k(0) - k(1)) without noise
    x, y = np.zeros(5), np.ones(7)
    assert mmd2(x, y, Uniform(-1.0, 2.0)) == pytest.approx(0.5, abs=1e-15)
    assert mmd2(x, y, Laplace(0.0, 1.0)) == pytest.approx(0.5 - np.exp(-1.0), abs=1e-15)


def _replicates(rng, p, q, kernel, n, reps):
    return np.array([mmd2(p.sample(n, rng), q.sample(n, rng), kernel) for _ in range(reps)])


def test_u_statistic_matches_closed_form_within_standard_error(rng):
    p = Gaussian([0.0, 0.0], [[1.0, 0.5], [0.5, 1.0]])
    q = Gaussian([0.8, -0.3], [[0.5, 0.0], [0.0, 2.0]])
    kernel = Gaussian([0.0, 0.0], [[0.5, 0.2], [0.2, 0.8]])
    est = _replicates(rng, p, q, kernel, n=150, reps=60)
    se = est.std(ddof=1) / np.sqrt(est.size)
    exact = mmd2_gaussian(p, q, kernel)
    # unbiased estimator: a 4-standard-error band (two-sided false alarm 6e-5)
    assert abs(est.mean() - exact) < 4 * se
    # negative control: the closed form for a kernel twice as wide is rejected
    wrong = mmd2_gaussian(p, q, Gaussian([0.0, 0.0], 2 * kernel.cov))
    assert abs(est.mean() - wrong) > 4 * se


def test_u_statistic_matches_plancherel_for_non_gaussian_everything(rng):
    # the identity for a non-Gaussian kernel and non-Gaussian p, q
    p, q, kernel = Laplace(0.0, 1.0), Logistic(0.7, 0.5), Laplace(0.0, 0.5)
    est = _replicates(rng, p, q, kernel, n=200, reps=50)
    se = est.std(ddof=1) / np.sqrt(est.size)
    exact = spread_l2_distance(p, q, kernel)
    assert abs(est.mean() - exact) < 4 * se  # 4 standard errors, as above
    # negative control: a Cauchy kernel gives a different MMD, outside the band
    assert abs(est.mean() - spread_l2_distance(p, q, Cauchy(0.0, 0.5))) > 4 * se


def test_u_statistic_unbiased_at_zero(rng):
    p = Gaussian(0.0, 1.0)
    est = _replicates(rng, p, p, Gaussian(0.0, 1.0), n=100, reps=60)
    se = est.std(ddof=1) / np.sqrt(est.size)
    assert abs(est.mean()) < 4 * se  # E = 0 when p = q; 4 standard errors
    assert np.any(est < 0)  # an unbiased estimator of 0 must go negative


def test_product_kernel_of_gaussians_equals_diagonal_gaussian(rng):
    x, y = rng.normal(size=(40, 2)), rng.normal(0.5, 1.0, size=(30, 2))
    a = mmd2(x, y, ProductKernel(Gaussian(0.0, 0.3), Gaussian(0.0, 2.0)))
    b = mmd2(x, y, Gaussian([0.0, 0.0], [0.3, 2.0]))
    assert abs(a - b) < 1e-14  # same estimator, same numbers, different code path


def test_infinite_and_zero_with_singular_spread():
    point = Gaussian(0.0, 0.0)  # a 1-D Gaussian kernel with zero variance: no spreading
    assert mmd2_gaussian(Delta(0.0), Delta(1.0), point) == np.inf
    assert mmd2_gaussian(Delta(1.0), Delta(1.0), point) == 0.0


def test_errors_name_the_parameter():
    with pytest.raises(ValueError, match="positive definite"):
        mmd2(np.zeros((3, 2)), np.ones((3, 2)), Gaussian([0.0, 0.0], [[1.0, 1.0], [1.0, 1.0]]))
    with pytest.raises(ValueError, match=r"x must have shape"):
        mmd2(np.zeros((3, 3)), np.ones((3, 2)), Gaussian([0.0, 0.0], 1.0))
    with pytest.raises(ValueError, match="at least 2 samples"):
        mmd2(np.zeros(1), np.ones(3), Gaussian(0.0, 1.0))
    with pytest.raises(TypeError, match=r"kernel must be a Gaussian .*K \* K~ is known in closed form"):
        mmd2(np.zeros(3), np.ones(3), StudentT(3.0))
    with pytest.raises(ValueError, match="one-dimensional only"):
        spread_l2_distance(Gaussian([0.0, 0.0]), Gaussian([1.0, 0.0]), Gaussian([0.0, 0.0]),
                           method="quadrature")
    with pytest.raises(ValueError, match="method='closed' needs"):
        spread_l2_distance(Laplace(0.0, 1.0), Laplace(1.0, 1.0), Gaussian(0.0, 1.0), method="closed")
    with pytest.raises(TypeError, match="p must be a Delta or a Gaussian"):
        mmd2_gaussian(Laplace(0.0, 1.0), Delta(0.0), Gaussian(0.0, 1.0))
    with pytest.raises(ValueError, match="same dimension"):
        mmd2_gaussian(Delta([0.0, 0.0]), Delta(0.0), Gaussian(0.0, 1.0))
    with pytest.raises(ValueError, match="kernel must have a density"):
        spread_l2_distance(Laplace(0.0, 1.0), Laplace(1.0, 1.0), Delta(0.0))
    with pytest.raises(ValueError, match="Unknown method"):
        spread_l2_distance(Laplace(0.0, 1.0), Laplace(1.0, 1.0), Gaussian(0.0, 1.0), method="mc")


def test_direct_route_integrates_compact_kernels_exactly():
    """Point masses spread by a uniform kernel: the Fourier route truncates (1/omega^2 tail),
    the direct route in y-space has the jumps as breakpoints and is exact."""
    from spreadlab import Delta, Laplace, Uniform, spread_l2_distance

    d, a = 0.7, 1.0
    # ||U(-a, a) - U(d - a, d + a)||^2 = 2 / (2a) - 2 (2a - d) / (2a)^2 for d < 2a
    exact = 2 / (2 * a) - 2 * (2 * a - d) / (2 * a) ** 2
    assert spread_l2_distance(Delta(0.0), Delta(d), Uniform(-a, 2 * a)) == pytest.approx(exact, rel=1e-12)
    # Laplace(b) kernel: 2 int K^2 - 2 (K * K)(d) = 1/(2b) - e^{-d/b}(1 + d/b)/(2b)
    b = 1.3
    exact = 1 / (2 * b) - np.exp(-d / b) * (1 + d / b) / (2 * b)
    direct = spread_l2_distance(Delta(0.0), Delta(d), Laplace(0.0, b), method="direct")
    assert direct == pytest.approx(exact, rel=1e-12)
    # Laplace * Uniform is closed-form too (from the cdf): the direct route agrees with Plancherel
    pair = (Laplace(0.0, 1.0), Laplace(1.0, 1.0), Uniform(-1.0, 2.0))
    direct = spread_l2_distance(*pair, method="direct")
    # Plancherel with a uniform kernel converges slowly (|phi_K|^2 ~ omega^-2): ~1e-7 relative
    assert direct == pytest.approx(spread_l2_distance(*pair, method="quadrature"), rel=1e-6)
    # Laplace * Gaussian has a closed-form spread density too (closed_forms/_spread_densities):
    # the direct route agrees with Plancherel, whose Gaussian factor makes it fast and accurate
    pair = (Laplace(0.0, 1.0), Laplace(1.0, 1.0), Gaussian(0.0, 1.0))
    assert spread_l2_distance(*pair, method="direct") == pytest.approx(
        spread_l2_distance(*pair, method="quadrature"), rel=1e-9)
    with pytest.raises(ValueError, match="method='direct' needs closed-form spread densities"):
        spread_l2_distance(Logistic(0.0, 1.0), Logistic(1.0, 1.0), Gaussian(0.0, 1.0), method="direct")
