"""Every closed form checked three ways: closed form, adaptive quadrature, Monte Carlo."""

import numpy as np
import pytest

from spreadlab import (
    Cauchy,
    Delta,
    Gaussian,
    HyperbolicSecant,
    Laplace,
    Logistic,
    NoClosedFormError,
    StudentT,
    Triangular,
    Uniform,
    divergence,
    kl,
    spread,
    spread_kl,
)

ALL_F = ["kl", "reverse_kl", "jeffreys", "tv", "hellinger", "chi2", "js"]

# (p, q, f, alpha) for every registered closed form
CASES = (
    [(Gaussian(0.2, 1.3), Gaussian(1.1, 0.9), f, None) for f in ["kl", "reverse_kl", "jeffreys", "hellinger", "chi2"]]
    + [(Gaussian(0.2, 1.3), Gaussian(1.1, 0.9), "renyi", a) for a in (0.3, 0.5, 2.0)]
    + [(Gaussian(-0.4, 0.8), Gaussian(1.1, 0.8), f, None) for f in ALL_F]
    + [(Gaussian(-0.4, 0.8), Gaussian(1.1, 0.8), "renyi", a) for a in (0.5, 3.0)]
    + [(Laplace(0.2, 1.3), Laplace(1.1, 0.7), f, None) for f in ["kl", "reverse_kl", "jeffreys"]]
    + [(Laplace(0.2, 1.0), Laplace(1.7, 1.0), f, None) for f in ALL_F]
    + [(Laplace(0.2, 1.0), Laplace(1.7, 1.0), "renyi", a) for a in (0.3, 0.5, 0.7, 2.5)]
    + [(Cauchy(0.2, 1.3), Cauchy(1.1, 0.7), f, None) for f in ["kl", "reverse_kl", "jeffreys", "chi2", "tv", "hellinger"]]
    + [(Cauchy(0.2, 1.0), Cauchy(1.9, 1.0), f, None) for f in ["kl", "tv", "chi2", "hellinger"]]
    + [(Logistic(0.2, 1.3), Logistic(1.9, 1.3), f, None) for f in ["kl", "reverse_kl", "jeffreys", "tv", "hellinger"]]
    + [(HyperbolicSecant(0.2, 0.6), HyperbolicSecant(1.9, 0.6), f, None) for f in ["kl", "reverse_kl", "jeffreys", "tv"]]
    + [(Uniform(0.0, 1.0), Uniform(-1.0, 3.0), "kl", None)]
)
IDS = [f"{type(p).__name__}-{f}{'' if a is None else a}-{i}" for i, (p, q, f, a) in enumerate(CASES)]


@pytest.mark.parametrize("p, q, f, alpha", CASES, ids=IDS)
def test_closed_form_matches_quadrature(p, q, f, alpha):
    exact = divergence(p, q, f, alpha=alpha)
    est = divergence(p, q, f, "quad", alpha=alpha)
    assert np.isfinite(exact) and exact > 0
    # quadrature's own error bound, plus a few ulps of the value for the final sums
    assert abs(est - exact) <= 10 * est.error + 1e-13 * abs(exact)
    assert abs(est - exact) <= 1e-10 * abs(exact)


@pytest.mark.parametrize("p, q, f, alpha", CASES, ids=IDS)
def test_closed_form_matches_monte_carlo(p, q, f, alpha):
    exact = divergence(p, q, f, alpha=alpha)
    est = divergence(p, q, f, "mc", alpha=alpha, n_samples=200_000, rng=np.random.default_rng(7))
    # 5 standard errors: a false alarm has probability ~6e-7 per case; the rounding
    # term covers estimators with zero variance (log p/q constant, as for nested uniforms)
    assert abs(est - exact) <= 5 * est.error + 1e-13 * abs(exact)


def test_monte_carlo_negative_control():
    """A wrong closed form must be rejected by the same MC test (the test can fail)."""
    p, q = Laplace(0.2, 1.0), Laplace(1.7, 1.0)
    est = divergence(p, q, "kl", "mc", n_samples=200_000, rng=np.random.default_rng(7))
    wrong = 1.5**2 / 2  # the Gaussian formula, not the Laplace one
    assert abs(est - wrong) > 5 * est.error


def test_quadrature_negative_control():
    p, q = Cauchy(0.2, 1.0), Cauchy(1.9, 1.0)
    est = divergence(p, q, "tv", "quad")
    assert abs(est - 2 / np.pi * np.arctan(1.7)) > 1e-3  # arctan(d/gamma), missing the 1/2


def test_two_deltas_gaussian_spread_blog_example():
    value = spread_kl(Delta(0.0), Delta(1.3), Gaussian(0.0, 0.49))
    assert value == pytest.approx(1.3**2 / (2 * 0.49), rel=1e-15)


@pytest.mark.parametrize(
    "kernel, expected",
    [
        (Laplace(0.0, 0.8), lambda t: t + np.expm1(-t)),  # t = d / b
        (Cauchy(0.0, 0.8), lambda t: np.log1p(t * t / 4)),
        (Logistic(0.0, 0.8), lambda t: t / np.tanh(t / 2) - 2),
    ],
)
def test_two_deltas_other_kernels(kernel, expected):
    d = 1.9
    value = spread_kl(Delta(0.3), Delta(0.3 + d), kernel)
    assert value == pytest.approx(expected(d / 0.8), rel=1e-13)
    est = spread_kl(Delta(0.3), Delta(0.3 + d), kernel, method="quad")
    assert abs(est - value) <= 1e-10 * value


def test_gaussian_spread_of_deltas_is_half_mahalanobis(rng):
    d = 4
    a = rng.standard_normal((d, d))
    cov = a @ a.T + 0.5 * np.eye(d)
    mu_p, mu_q = rng.standard_normal(d), rng.standard_normal(d)
    delta = mu_p - mu_q
    expected = 0.5 * delta @ np.linalg.solve(cov, delta)
    got = spread_kl(Delta(mu_p), Delta(mu_q), Gaussian(np.zeros(d), cov))
    assert got == pytest.approx(expected, rel=1e-12)
    est = spread_kl(Delta(mu_p), Delta(mu_q), Gaussian(np.zeros(d), cov), "mc", n_samples=100_000, rng=rng)
    assert abs(est - expected) <= 5 * est.error


def test_multivariate_gaussian_kl_against_monte_carlo(rng):
    d = 3
    a, b = rng.standard_normal((2, d, d))
    p = Gaussian(rng.standard_normal(d), a @ a.T + np.eye(d))
    q = Gaussian(rng.standard_normal(d), b @ b.T + np.eye(d))
    for f in ["kl", "reverse_kl", "hellinger", "jeffreys"]:
        exact = divergence(p, q, f)
        est = divergence(p, q, f, "mc", n_samples=200_000, rng=rng)
        assert abs(est - exact) <= 5 * est.error, f


def test_diagonal_gaussian_kl_is_sum_of_one_dimensional_quadratures():
    mp, mq = np.array([0.1, -0.5, 2.0]), np.array([0.4, 0.3, 1.0])
    vp, vq = np.array([0.5, 1.5, 2.0]), np.array([1.0, 0.7, 2.5])
    exact = kl(Gaussian(mp, vp), Gaussian(mq, vq))
    parts = [divergence(Gaussian(a, s), Gaussian(b, t), "kl", "quad") for a, b, s, t in zip(mp, mq, vp, vq)]
    assert exact == pytest.approx(sum(parts), rel=1e-12)


def test_extreme_separation_stays_finite_and_exact():
    value = spread_kl(Delta(0.0), Delta(1e4), Gaussian(0.0, 1e-6))
    assert value == pytest.approx(5e13, rel=1e-14)
    assert divergence(Gaussian(0.0, 1e-6), Gaussian(1e4, 1e-6), "tv") == 1.0
    assert divergence(Gaussian(0.0, 1e-6), Gaussian(1e4, 1e-6), "js") == pytest.approx(np.log(2), rel=1e-15)


def test_tiny_separations_keep_relative_accuracy():
    # series branches: compare against the leading Taylor terms
    # each reference is a Taylor polynomial whose first omitted term is < 1e-12 relative
    t = 1e-6
    assert kl(Laplace(0.0, 1.0), Laplace(t, 1.0)) == pytest.approx(t**2 / 2 - t**3 / 6, rel=1e-12)
    # next term t^4/360 is 1.7e-15 of t^2/6 at t = 1e-6
    assert kl(Logistic(0.0, 1.0), Logistic(t, 1.0)) == pytest.approx(t**2 / 6, rel=1e-13)
    assert divergence(Laplace(0.0, 1.0), Laplace(t, 1.0), "chi2") == pytest.approx(t**2 - t**3 / 3, rel=1e-12)
    assert divergence(Laplace(0.0, 1.0), Laplace(t, 1.0), "js") == pytest.approx(t**2 / 8 - t**3 / 24, rel=1e-12)
    x = (t / 2) ** 2  # Cauchy: Hellinger = x/4 - 9x^2/64 + ..., x = (d / 2 gamma)^2
    assert divergence(Cauchy(0.0, 1.0), Cauchy(t, 1.0), "hellinger") == pytest.approx(x / 4, rel=1e-12)
    cauchy_h = lambda d: divergence(Cauchy(0.0, 1.0), Cauchy(d, 1.0), "hellinger")  # noqa: E731
    d_branch = 2 * np.sqrt(1e-2)  # series / elliptic-integral switch
    # the two sides differ by 2e-12 in d, so by 4e-12 in h ~ d^2: a jump would show above 1e-11
    assert cauchy_h(d_branch * (1 - 1e-12)) == pytest.approx(cauchy_h(d_branch * (1 + 1e-12)), rel=1e-11)
    lam = 1 + 1e-9
    e = lam - 1.0  # exact (Sterbenz): 1.00000008e-9, not 1e-9 -- the reference must use it
    # KL = (e - log1p(e)) / 2 = e^2/4 - e^3/6 + e^4/8; the e^4 term is 1e-18 relative
    assert kl(Gaussian(0.0, lam), Gaussian(0.0, 1.0)) == pytest.approx(e**2 / 4 - e**3 / 6, rel=1e-14)


def test_support_mismatch_is_inf_never_nan():
    assert kl(Delta(0.0), Delta(1.0)) == np.inf
    assert kl(Delta(0.0), Delta(0.0)) == 0.0
    assert kl(Delta(0.0), Gaussian(0.0, 1.0)) == np.inf
    assert kl(Gaussian(0.0, 1.0), Delta(0.0)) == np.inf
    assert kl(Delta(0.0), Laplace(0.0, 1.0)) == np.inf
    assert divergence(Delta(0.0), Delta(1.0), "tv") == 1.0
    assert divergence(Delta(0.0), Delta(1.0), "js") == pytest.approx(np.log(2))
    assert kl(Uniform(0.0, 2.0), Uniform(0.0, 1.0)) == np.inf
    assert divergence(Uniform(0.0, 2.0), Uniform(0.0, 1.0), "kl", "quad") == np.inf
    # chi2 between Gaussians diverges when 2 var_q <= var_p
    assert divergence(Gaussian(0.0, 3.0), Gaussian(0.0, 1.0), "chi2") == np.inf


def test_singular_gaussians_on_the_same_line():
    """Rank-1 Gaussians on one line in R^2 reduce to 1-D; off the line they are mutually singular."""
    u = np.array([3.0, 4.0]) / 5.0
    p = Gaussian(0.0 * u, 2.0 * np.outer(u, u))
    q = Gaussian(1.5 * u, 0.5 * np.outer(u, u))
    assert kl(p, q) == pytest.approx(kl(Gaussian(0.0, 2.0), Gaussian(1.5, 0.5)), rel=1e-12)
    r = Gaussian(np.array([0.0, 0.1]), 0.5 * np.outer(u, u))
    assert kl(p, r) == np.inf
    assert divergence(p, r, "hellinger") == 1.0
    # spreading makes them regular and the divergence finite
    kernel = Gaussian([0.0, 0.0], 0.1)
    assert np.isfinite(spread_kl(p, r, kernel)) and spread_kl(p, r, kernel) > 0


def test_broadcasting_over_a_grid_of_locations():
    mu = np.linspace(-3, 3, 7)
    # Delta(m) spread by Laplace(0, 1) is Laplace(m, 1): the whole curve is one call
    values = kl(Laplace(mu, 1.0), Laplace(0.0, 1.0))
    loop = [spread_kl(Delta(m), Delta(0.0), Laplace(0.0, 1.0)) for m in mu]
    assert values.shape == (7,)
    np.testing.assert_allclose(values, loop, rtol=1e-15)


def test_numeric_convolution_against_analytic_laplace_gaussian_density():
    from scipy.special import erfcx

    b, s = 1.0, np.sqrt(0.5)
    conv = spread(Laplace(0.0, b), Gaussian(0.0, s * s))
    y = np.linspace(-6, 6, 25)

    def exact(y):  # Laplace * Gaussian, written with scaled erfc for stability
        g = np.exp(-y * y / (2 * s * s)) / (4 * b)
        return g * (erfcx((s / b - y / s) / np.sqrt(2)) + erfcx((s / b + y / s) / np.sqrt(2)))

    np.testing.assert_allclose(conv.pdf(y), exact(y), rtol=1e-10)  # quadrature runs at rtol 1e-11
    assert conv.cf(1.3) == pytest.approx(np.exp(-0.5 * 0.5 * 1.69) / (1 + 1.69), rel=1e-14)


def test_spread_divergence_of_non_closed_pair_quad_vs_mc():
    p, q, k = Laplace(0.0, 1.0), Laplace(1.0, 1.0), Gaussian(0.0, 0.5)
    with pytest.raises(NoClosedFormError, match="method='quad'"):
        spread_kl(p, q, k)
    est_q = spread_kl(p, q, k, "quad")
    est_mc = spread_kl(p, q, k, "mc", n_samples=20_000, rng=np.random.default_rng(3))
    assert abs(est_mc - est_q) <= 5 * est_mc.error
    # and spreading lowers the divergence (data processing)
    assert est_q < kl(p, q)


def test_estimate_reports_its_error():
    est = spread_kl(Delta(0.0), Delta(1.0), Gaussian(0.0, 1.0), "quad")
    assert est.method == "quad" and 0 < est.error < 1e-10
    assert "abserr" in repr(est)
    mc = spread_kl(Delta(0.0), Delta(1.0), Gaussian(0.0, 1.0), "mc", n_samples=1000, rng=1)
    assert mc.method == "mc" and mc.n_samples == 1000 and mc.error > 0


def test_gaussian_js_branches_join_smoothly():
    """JS(N(0,1), N(m,1)) switches between a series, a small-m and a large-m integral."""
    js = lambda m: divergence(Gaussian(0.0, 1.0), Gaussian(m, 1.0), "js")  # noqa: E731
    for m in (1e-2, 2.0):  # branch points: the two sides must agree to ~1e-10 relative
        below, above = js(m * (1 - 1e-12)), js(m * (1 + 1e-12))
        assert abs(below - above) <= 1e-10 * above
    for m in (0.005, 0.05, 1.0, 3.0):
        est = divergence(Gaussian(0.0, 1.0), Gaussian(m, 1.0), "js", "quad")
        assert abs(js(m) - est) <= 10 * est.error + 1e-12 * js(m)


@pytest.mark.parametrize(
    "family, f, switch",
    [
        (Laplace, "js", 1e-3),  # series -> closed form; the t^3 coefficient was wrong (review A3)
        (Laplace, "chi2", 0.1),
        (Logistic, "kl", 0.05),
        (Logistic, "hellinger", 0.1),
        (Cauchy, "hellinger", 2 * np.sqrt(1e-2)),
    ],
)
def test_series_branches_join_the_closed_forms(family, f, switch):
    """Both sides of every series/closed-form switch agree (the two formulas are independent)."""
    below = divergence(family(0.0, 1.0), family(switch * (1 - 1e-9), 1.0), f)
    above = divergence(family(0.0, 1.0), family(switch * (1 + 1e-9), 1.0), f)
    # the value moves by ~2e-9 relative across the gap; allow that plus rounding
    assert abs(below - above) <= 1e-8 * above


def test_extreme_variance_ratios_stay_finite_bug_review_a2():
    """lambda - 1 formed first lost a tiny lambda: KL became inf for var ratio 1e-17."""
    for v in (1e-15, 1e-17, 1e-300):
        expected = 0.5 * (v - 1 - np.log(v))  # KL(N(0, v) || N(0, 1)), written out
        assert kl(Gaussian(0.0, v), Gaussian(0.0, 1.0)) == pytest.approx(expected, rel=1e-14)
    assert kl(Laplace(0.0, 1e-17), Laplace(0.0, 1.0)) == pytest.approx(1e-17 - 1 - np.log(1e-17), rel=1e-14)
    assert np.isfinite(divergence(Gaussian(0.0, 1e-300), Gaussian(0.0, 1.0), "renyi", alpha=0.5))


def test_renyi_near_order_one_matches_kl_bug_review_a6():
    p, q = Gaussian(0.0, 0.1), Gaussian(2.0, 5.0)
    d = divergence(p, q, "renyi", alpha=1 + 1e-10)
    # D_alpha = KL + O(alpha - 1) with a derivative of order 100 here
    assert abs(d - kl(p, q)) <= 1e-7 * kl(p, q)


def test_laplace_renyi_half_for_large_separations_bug_review_a4():
    for t in (60.0, 100.0, 800.0):
        expected = t - 2 * np.log(1 + t / 2)  # -2 log of e^{-t/2}(1 + t/2)
        got = divergence(Laplace(0.0, 1.0), Laplace(t, 1.0), "renyi", alpha=0.5)
        assert got == pytest.approx(expected, rel=1e-14)


def test_cauchy_tiny_scales_do_not_underflow_bug_review_a7():
    # log(1 + d^2 / (4 g^2)) with g = 1e-200, d = 1: 2 * 200 log 10 - log 4 to double precision
    expected = 400 * np.log(10) - np.log(4)
    assert kl(Cauchy(0.0, 1e-200), Cauchy(1.0, 1e-200)) == pytest.approx(expected, rel=1e-14)
    assert divergence(Cauchy(0.0, 1e-200), Cauchy(1.0, 1e-200), "hellinger") == 1.0


def test_student_t_cf_for_large_df_bug_review_a1():
    """kve overflowed for large df at small omega and the cf came out 0."""
    from scipy import integrate

    for df in (100.0, 400.0, 1000.0):
        k = StudentT(df)
        for w in (1e-3, 0.1, 1.0):
            ref = integrate.quad(lambda x: k.pdf(x) * np.cos(w * x), -np.inf, np.inf, epsabs=1e-13, limit=400)[0]
            # quad of a smooth bell-shaped integrand: ~1e-12 absolute
            assert abs(k.cf(w).real - ref) <= 1e-10


def test_convolution_with_a_compact_kernel_bug_review_b1():
    """Kernel jumps/kinks are fixed breakpoints when integrating over the kernel's support."""
    from scipy import integrate

    kernel = Triangular(-1.0, 2.0)  # compact, with kinks at -1, 0, 1: the quadrature path
    s = spread(Laplace(0.0, 1.0), kernel)
    y = np.array([-6.0, -1.0, -0.3, 0.0, 0.8, 2.5])
    ref = [
        integrate.quad(lambda e: kernel.pdf(e) * Laplace(0.0, 1.0).pdf(v - e), -1, 1,
                       points=sorted({-0.0, float(np.clip(v, -1, 1))}), epsabs=0, epsrel=1e-13)[0]
        for v in y
    ]
    np.testing.assert_allclose(s.pdf(y), ref, rtol=1e-10)  # both integrate to ~1e-11 relative


def test_uniform_kernel_spread_is_exact_from_the_cdf():
    """p * Uniform[a, b] = P(y - b < X <= y - a) / (b - a): checked against the quadrature path,
    in both tails (the sf branch keeps the right tail from cancelling)."""
    from spreadlab import Convolution, UniformSpread

    s = spread(Laplace(0.0, 1.0), Uniform(-1.0, 2.0))
    assert isinstance(s, UniformSpread)  # the registered closed form, not numeric quadrature
    y = np.linspace(-40, 40, 81)
    fast = s.pdf(y)
    slow = Convolution(Laplace(0.0, 1.0), Uniform(-1.0, 2.0)).pdf(y)  # the general quadrature
    np.testing.assert_allclose(fast, slow, rtol=1e-10)  # quadrature runs at rtol 1e-11
    assert np.all(fast > 0)  # e^{-40}-level tails survive in both directions


def test_booleans_and_overflowing_integers_are_rejected():
    with pytest.raises(TypeError, match="not a boolean"):
        Laplace(0.0, True)
    with pytest.raises(ValueError, match="too large for a float"):
        Delta(10**400)
    with pytest.raises(ValueError, match="offset must be finite"):
        Gaussian(0.0, 1.0).shifted(np.nan)


def test_tv_quadrature_breaks_at_density_crossings():
    """|p - q| has kinks where the densities cross; found by the random-parameter oracle test,
    the quadrature was 1.2e-8 off while reporting 1e-12 until the crossings became breakpoints."""
    p, q = Cauchy(0.0, 0.1015625), Cauchy(12.5, 0.1015625 * 1.125)
    est = divergence(p, q, "tv", "quad")
    assert abs(est - divergence(p, q, "tv")) <= 1e-12


def test_renyi_quadrature_far_from_one_uses_logs():
    """int p^a q^(1-a) = e^{(a-1) D}: tiny for a < 1 and huge for a > 1 when D is large."""
    for alpha, q in ((0.8, Gaussian(3.0, 0.0039)), (1.7, Gaussian(-14.8, 6.92))):
        p = Gaussian(0.0, 0.0625) if alpha < 1 else Gaussian(0.0, 14.32)
        exact = divergence(p, q, "renyi", alpha=alpha)
        est = divergence(p, q, "renyi", "quad", alpha=alpha)
        assert exact > 100  # the regime that broke: log1p(-1 + tiny) and an overflowing expm1
        assert abs(est - exact) <= 10 * est.error + 1e-10 * exact


def test_renyi_quadrature_resolves_the_bump_between_narrow_laws_bug_oracle_r03():
    """Rényi-0.3 of N(0, 0.109^2) and N(28, 0.024^2): p^a q^(1-a) peaks at x = 27.44 with width
    0.028, inside a Gauss-Kronrod panel [3.3, 27.3] whose 15 nodes all see 0. The quadrature
    was 2.2e-12 off while reporting an error of 4e-17 relative; the reported error must bound
    the true one (mpmath at 50 digits gives 13761.627217570831993)."""
    s1 = 0.109375
    p, q = Gaussian(0.0, s1 * s1), Gaussian(28.0, (s1 * 0.21875) ** 2)
    truth = 13761.627217570831993
    est = divergence(p, q, "renyi", "quad", alpha=0.3)
    # the closed form itself is good to a few ulps of 1.4e4 (~2e-12 absolute)
    assert abs(est - truth) <= est.error + 4 * np.spacing(truth)


def test_point_masses_are_the_same_only_when_equal_bug_issue9_data_processing():
    """kl(Delta(1e12), Delta(1e12 + 0.5)) was 0 (a relative tolerance for 'the same point') while
    the spread KL of the same pair under Gaussian(0, 1e-6) was 125,000: spreading raised it."""
    p, q = Delta(1e12), Delta(1e12 + 0.5)
    spread_value = spread_kl(p, q, Gaussian(0.0, 1e-6))
    assert spread_value == pytest.approx(0.25 / 2e-6, rel=1e-15)
    assert kl(p, q) == np.inf >= spread_value  # data processing
    assert kl(Delta(0.3), Delta(0.3)) == 0.0
    assert kl(Delta(0.1 + 0.2), Delta(0.3)) == np.inf  # 5.6e-17 apart: different points
