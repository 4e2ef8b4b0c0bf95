"""spreadlab.fourier: Fourier checks of spread kernels (verdicts, transforms, zeros, product kernels)."""

import doctest
import math

import numpy as np
import pytest
from scipy import optimize

from spreadlab import (
    Cauchy, CosineModulated, Delta, Epanechnikov, Fejer, FourierCheck, Gaussian, HyperbolicSecant,
    Laplace, Logistic, ProductKernel, StudentT, Triangular, Uniform, fourier_check, numeric_cf,
)
from spreadlab.plotting import plot_cf

# (kernel, strictly_positive, injective, full_support): the issue's required verdicts
VALID = (True, True, True)
COMPACT = (False, True, False)
BANDLIMITED = (False, False, True)
KERNELS = [
    (Gaussian(0.0, 1.0), VALID),
    (Gaussian(0.5, 2.3), VALID),
    (Laplace(0.0, 1.0), VALID),
    (Laplace(1.0, 0.3), VALID),
    (Cauchy(0.0, 1.0), VALID),
    (Logistic(0.0, 1.0), VALID),
    (HyperbolicSecant(0.0, 1.0), VALID),
    (StudentT(3.0), VALID),
    (StudentT(1.5, 0.0, 2.0), VALID),
    (Uniform(-1.0, 2.0), COMPACT),
    (Uniform(0.0, 1.0), COMPACT),
    (Triangular(-1.0, 2.0), COMPACT),
    (Epanechnikov(0.0, 1.0), COMPACT),
    (Fejer(0.0, 1.0), BANDLIMITED),
    (Fejer(0.3, 2.0), BANDLIMITED),
]
IDS = [repr(k) for k, _ in KERNELS]


def _verdict_tuple(res):
    return (res.strictly_positive, res.injective, res.full_support)


@pytest.mark.parametrize("kernel, expected", KERNELS, ids=IDS)
def test_verdicts_analytic(kernel, expected):
    res = fourier_check(kernel)
    assert res.method == "analytic"
    assert _verdict_tuple(res) == expected
    assert isinstance(res.verdict, str) and res.verdict.endswith(".")


@pytest.mark.parametrize("kernel, expected", KERNELS, ids=IDS)
def test_same_verdicts_from_a_plain_callable(kernel, expected):
    # the numeric path sees only f(x): no cf, no support, no scale
    res = fourier_check(lambda x: kernel.pdf(x))
    assert res.method == "numeric"
    assert _verdict_tuple(res) == expected
    assert res.verdict.split(":")[0].split("(")[0] == fourier_check(kernel).verdict.split(":")[0].split("(")[0]


@pytest.mark.parametrize("kernel, expected", KERNELS, ids=IDS)
def test_numeric_cf_matches_closed_form(kernel, expected):
    omega = np.linspace(-12.0, 12.0, 241)
    phi, err = numeric_cf(kernel.pdf, omega)
    exact = kernel.cf(omega)
    worst = np.max(np.abs(phi - exact))
    # the reported accuracy is a bound, so it must hold ...
    assert worst <= err
    # ... and for every family except the Fejér kernel (slowly decaying oscillating
    # tail, see numeric_cf) the issue's ~1e-8 target is met with room to spare
    if not isinstance(kernel, Fejer):
        assert err < 1e-8
        assert worst < 1e-12
    else:
        assert err < 5e-3  # measured 1.7e-3 bound, 6e-5 actual
        assert worst < 1e-4


def test_uniform_zeros_are_located_to_machine_precision():
    res = fourier_check(Uniform(-1.0, 2.0), band=20.0)
    # zeros of sin(w)/w at k pi; brentq on the sign change
    np.testing.assert_allclose(res.zeros, np.pi * np.arange(1, 7), rtol=0, atol=1e-12)
    num = fourier_check(lambda x: Uniform(-1.0, 2.0).pdf(x), band=20.0)
    # numeric transform accurate to ~1e-14, slope of sinc ~ 1/w: zeros to ~1e-12
    np.testing.assert_allclose(num.zeros, np.pi * np.arange(1, 7), rtol=0, atol=1e-10)


def test_epanechnikov_zeros_solve_tan_a_equals_a():
    # independent oracle: 3 (sin a - a cos a) / a^3 = 0  <=>  tan a = a
    roots = [optimize.brentq(lambda a: np.tan(a) - a, k * np.pi + 0.1, k * np.pi + np.pi / 2 - 1e-9)
             for k in (1, 2, 3)]
    res = fourier_check(Epanechnikov(0.0, 1.0))
    np.testing.assert_allclose(res.zeros, roots, rtol=0, atol=1e-12)


def test_touching_zeros_found_between_points_of_a_coarse_grid():
    # sinc^2 never changes sign; on a 101-point grid its zeros at 2 pi k fall between
    # points where |phi| >= 7e-6, eight orders above the 1e-14 floor: a threshold on the
    # grid would miss them, only the refinement finds them
    res = fourier_check(Triangular(-1.0, 2.0), band=20.0, n_grid=101)
    grid = np.linspace(0, 20, 101)
    assert np.min(np.abs(Triangular(-1.0, 2.0).cf(grid))) > 1e-6
    # minimising a double zero c (w - w0)^2 pins w0 to ~sqrt(eps) = 1e-8
    np.testing.assert_allclose(res.zeros, 2 * np.pi * np.arange(1, 4), rtol=0, atol=1e-6)
    assert not res.strictly_positive and res.injective


@pytest.mark.parametrize("scale", [1.0, 0.5, 3.0])
def test_fejer_band_edge(scale):
    res = fourier_check(Fejer(0.0, scale), band=(0.0, 10.0 / scale))
    a, b = res.zero_bands[0]
    assert abs(a - 2.0 / scale) < 1e-9 / scale  # brentq on the exact linear edge
    assert b == np.inf  # the closed form is still exactly 0 far past the scan: [2/s, inf)
    num = fourier_check(lambda x: Fejer(0.0, scale).pdf(x), band=(0.0, 10.0 / scale))
    # numeric floor ~2e-3 on phi = 1 - s w / 2 moves the edge by ~2 floor / s
    assert abs(num.zero_bands[0][0] - 2.0 / scale) < 1e-2 / scale
    # decided by the sharp-edge test, not by a fallback for too coarse an accuracy
    assert not any("too coarse" in n for n in num.notes)


def test_smooth_decay_is_not_mistaken_for_a_zero_band():
    # far beyond w ~ 8 the Gaussian transform is below rounding; it must be reported as
    # unresolved, not as a band where it vanishes
    for kernel in (Gaussian(0.0, 1.0), Logistic(0.0, 1.0), lambda x: Gaussian(0.0, 1.0).pdf(x)):
        res = fourier_check(kernel, band=40.0)
        assert res.injective and res.strictly_positive and res.zero_bands == []
        assert res.resolved_band[1] < 40.0
        assert any("decays smoothly" in n for n in res.notes)
    # negative control: the same wide band on the Fejér kernel finds the band
    assert not fourier_check(Fejer(0.0, 1.0), band=40.0).injective


def test_shifted_kernel_is_symmetric_after_phase_removal():
    res = fourier_check(Laplace(3.0, 1.0))
    assert res.symmetric and res.strictly_positive
    res = fourier_check(Uniform(5.0, 2.0))  # [5, 7]: zeros of sinc at k pi
    assert res.symmetric
    np.testing.assert_allclose(res.zeros, [np.pi, 2 * np.pi], atol=1e-12)


def test_asymmetric_kernel_judged_by_modulus():
    res = fourier_check(Triangular(0.0, 1.0, 0.3))
    assert not res.symmetric
    assert any("not symmetric" in n for n in res.notes)
    assert res.min_cf > 0 and res.strictly_positive and not res.full_support
    num = fourier_check(lambda x: Triangular(0.0, 1.0, 0.3).pdf(x))
    assert not num.symmetric and num.strictly_positive


def test_non_vectorised_callable():
    res = fourier_check(lambda x: 0.5 * math.exp(-abs(x)))
    assert _verdict_tuple(res) == VALID


def test_normalize_rescales_and_otherwise_rejects():
    with pytest.raises(ValueError, match="integrates to 2"):
        fourier_check(lambda x: np.exp(-np.abs(x)))
    res = fourier_check(lambda x: np.exp(-np.abs(x)), normalize=True)
    assert _verdict_tuple(res) == VALID
    phi, _ = numeric_cf(lambda x: np.exp(-np.abs(x)), [1.0], normalize=True)
    assert abs(phi[0] - 0.5) < 1e-13  # Laplace(1): 1 / (1 + 1)


def test_bad_callables_are_rejected_with_clear_errors():
    with pytest.raises(ValueError, match="negative"):
        fourier_check(lambda x: np.exp(-x * x) * (1 - x * x))
    with pytest.raises(ValueError, match="finite"):
        fourier_check(lambda x: 1.0 / np.abs(x))
    with pytest.raises(ValueError, match="not a density"):
        fourier_check(lambda x: np.zeros_like(x))
    with pytest.raises(ValueError, match="does not look integrable"):
        fourier_check(lambda x: 1.0 / (1.0 + np.abs(x)), normalize=True)
    with pytest.raises(TypeError, match="density must be a callable"):
        numeric_cf(3.0, [0.0])


def test_bad_arguments_name_the_parameter():
    with pytest.raises(TypeError, match="kernel must be a spreadlab distribution"):
        fourier_check("gaussian")
    with pytest.raises(ValueError, match="band must be"):
        fourier_check(Laplace(0.0, 1.0), band=(3.0, 1.0))
    with pytest.raises(ValueError, match="Unknown method"):
        fourier_check(Laplace(0.0, 1.0), method="fft")
    with pytest.raises(ValueError, match="batch"):
        fourier_check(Laplace([0.0, 1.0], 1.0))
    with pytest.raises(ValueError, match="n_grid"):
        fourier_check(Laplace(0.0, 1.0), n_grid=5)
    with pytest.raises(ValueError, match="analytic"):
        fourier_check(lambda x: np.exp(-np.abs(x)) / 2, method="analytic")


def test_full_support_of_callables():
    assert fourier_check(lambda x: 0.75 * np.clip(1 - x * x, 0, None)).full_support is False
    res = fourier_check(lambda x: Gaussian(0.0, 1.0).pdf(x))
    assert res.full_support is True and "30" in res.full_support_method


def test_delta_and_degenerate_gaussian_kernels():
    for kernel in (Delta(0.5), Gaussian(1.0, 0.0)):
        res = fourier_check(kernel)
        # |phi| = 1: one-to-one (spreading by a point mass is a shift), no full support
        assert _verdict_tuple(res) == (True, True, False)
        assert res.min_cf == pytest.approx(1.0, abs=1e-12)


# ---------------------------------------------------------------------- product kernel
@pytest.fixture
def rng():
    return np.random.default_rng(20240611)


def test_product_kernel_density_and_cf(rng):
    g, lap = Gaussian(0.2, 1.5), Laplace(-1.0, 0.7)
    k = ProductKernel(g, lap)
    x = rng.normal(size=(7, 2))
    # products of the factors, to rounding
    np.testing.assert_allclose(k.pdf(x), g.pdf(x[:, 0]) * lap.pdf(x[:, 1]), rtol=1e-14)
    np.testing.assert_allclose(k.logpdf(x), g.logpdf(x[:, 0]) + lap.logpdf(x[:, 1]), rtol=1e-14)
    w = rng.normal(size=(5, 2))
    np.testing.assert_allclose(k.cf(w), g.cf(w[:, 0]) * lap.cf(w[:, 1]), rtol=1e-14)
    s = k.sample(20000, rng)
    assert s.shape == (20000, 2)
    # means 0.2 and -1.0; standard errors sqrt(1.5/n) = 0.009, sqrt(2*0.49/n) = 0.007
    assert abs(s[:, 0].mean() - 0.2) < 4 * np.sqrt(1.5 / 20000)
    assert abs(s[:, 1].mean() + 1.0) < 4 * np.sqrt(2 * 0.49 / 20000)
    moved = k.shifted([1.0, 2.0])
    np.testing.assert_allclose(moved.pdf(x + [1.0, 2.0]), k.pdf(x), rtol=1e-13)
    assert k.full_support and not ProductKernel(g, Uniform(0.0, 1.0)).full_support
    lo, hi = ProductKernel(g, Uniform(0.0, 1.0)).support
    np.testing.assert_array_equal(lo, [-np.inf, 0.0])
    np.testing.assert_array_equal(hi, [np.inf, 1.0])


def test_product_kernel_rejects_bad_factors():
    with pytest.raises(ValueError, match="at least one"):
        ProductKernel()
    with pytest.raises(TypeError, match=r"factors\[1\]"):
        ProductKernel(Laplace(0.0, 1.0), "x")
    with pytest.raises(ValueError, match=r"factors\[0\] must be one-dimensional"):
        ProductKernel(Gaussian([0.0, 0.0], 1.0))


@pytest.mark.parametrize(
    "factors, expected",
    [
        ((Gaussian(0.0, 1.0), Laplace(0.0, 2.0)), VALID),
        ((Gaussian(0.0, 1.0), Uniform(-1.0, 2.0)), COMPACT),
        ((Gaussian(0.0, 1.0), Fejer(0.0, 1.0)), BANDLIMITED),
    ],
)
def test_product_kernel_verdict_combines_factors(factors, expected):
    res = fourier_check(ProductKernel(*factors))
    assert _verdict_tuple(res) == expected
    assert len(res.factors) == 2 and isinstance(res.zeros, tuple)


def test_multivariate_gaussian_positive_definite_and_singular():
    res = fourier_check(Gaussian([0.0, 1.0], [[2.0, 0.5], [0.5, 1.0]]))
    assert _verdict_tuple(res) == VALID
    sing = Gaussian([0.0, 0.0], [[1.0, 1.0], [1.0, 1.0]])
    res = fourier_check(sing)
    # phi = exp(-w' S w / 2) > 0 everywhere: injective; K lives on a line: no full support
    assert _verdict_tuple(res) == (True, True, False)
    assert "null space" in res.verdict and "rank 1" in res.verdict
    # along the null direction (1, -1) the transform is exactly 1
    t = np.linspace(0, 50, 11)
    np.testing.assert_allclose(np.abs(sing.cf(np.outer(t, [1.0, -1.0]))), 1.0, rtol=0, atol=1e-15)


# ---------------------------------------------------------------------- output
def test_repr_is_readable():
    text = repr(fourier_check(Uniform(-1.0, 2.0)))
    assert "injective         : True" in text and "3.14159" in text and "verdict" in text


def test_plot_cf_marks_zeros_and_bands(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ax = plot_cf(Uniform(-1.0, 2.0))
    assert len(ax.lines) >= 3  # real part, modulus, zero markers
    markers = [ln for ln in ax.lines if ln.get_marker() == "x"]
    np.testing.assert_allclose(markers[0].get_xdata(), [np.pi, 2 * np.pi], atol=1e-12)
    ax2 = plot_cf(fourier_check(Fejer(0.0, 1.0)))
    assert len(ax2.patches) == 1  # the shaded zero band
    with pytest.raises(ValueError, match="one-dimensional"):
        plot_cf(fourier_check(ProductKernel(Laplace(0.0, 1.0), Laplace(0.0, 1.0))))
    plt.close("all")


def test_interior_zero_band_is_found():
    # phi = phi_F(t) + (phi_F(t - 5) + phi_F(t + 5)) / 2 vanishes on [2, 3] and [7, inf)
    kernel = CosineModulated(Fejer(0.0, 1.0), 5.0)
    res = fourier_check(kernel, band=(0.0, 8.0))
    assert not res.injective
    # exact linear edges, brentq on them: 1e-9
    np.testing.assert_allclose(res.zero_bands, [(2.0, 3.0), (7.0, np.inf)], atol=1e-9)
    num = fourier_check(kernel.pdf, band=(0.0, 8.0))
    assert not num.injective
    # numeric accuracy ~7e-3 on slopes of 1/2 widens the band by ~2 * 7e-3 per side
    a, b = num.zero_bands[0]
    assert 1.97 < a < 2.0 and 3.0 < b < 3.03


@pytest.mark.parametrize(
    "phi, expected",
    [
        (lambda w: max(0.0, 1 - w / 2), True),  # Fejér: linear edge at 2
        (lambda w: max(0.0, 1 - w / 2) ** 2, True),  # quadratic edge
        (lambda w: math.exp(-w * w / 2), False),  # Gaussian decay
        (lambda w: math.exp(-w), False),  # Cauchy decay
        (lambda w: 1 / (1 + w * w), False),  # Laplace decay
    ],
)
def test_sharp_edge_test(phi, expected):
    from spreadlab._numeric_density import _bisect_floor, _edge_is_sharp

    floor = 1e-14
    # locate the first grid step where phi drops below the floor, as analyse_zeros does
    grid = np.linspace(0, 400, 40001)
    vals = np.array([phi(w) for w in grid])
    i = int(np.argmax(vals <= floor)) if np.any(vals <= floor) else len(grid) - 1
    assert _edge_is_sharp(phi, grid[i - 1], grid[i], floor) is expected
    assert _bisect_floor(phi, grid[i - 1], grid[i], floor) <= grid[i]


def test_sharp_edge_test_refuses_to_guess_with_poor_accuracy():
    from spreadlab._numeric_density import _edge_is_sharp

    # an accuracy of 0.01 leaves less than a factor 30 of dynamic range below 0.2
    assert _edge_is_sharp(lambda w: max(0.0, 1 - w / 2), 1.99, 2.0, 1e-2) is None


def test_fejer_band_is_reported_open_ended_bug_issue13():
    """The Fejér zero band was printed and shaded as [2, 4.76]: 4.76 is the end of the scan."""
    res = fourier_check(Fejer(0.0, 1.0))
    assert res.zero_bands[-1][1] == np.inf
    assert "[2, ∞)" in res.verdict and "[2, ∞)" in repr(res)
    # negative control: a band with an end inside the scan keeps its end
    inner = fourier_check(CosineModulated(Fejer(0.0, 1.0), 5.0), band=(0.0, 6.0)).zero_bands[0]
    assert inner[1] == pytest.approx(3.0, abs=1e-9)


@pytest.mark.parametrize("kernel, positive", [
    (Uniform(1e15, 1.0), False), (Uniform(-1e15, 1.0), False), (Laplace(1e16, 1.0), True),
    (Fejer(1e15, 1.0), False),
])
def test_verdicts_hold_at_huge_locations_bug_issue9(kernel, positive):
    """Uniform(1e15, 1) was called strictly positive: the phase omega * 1e15 swamped the transform.
    The check now examines the kernel moved to its centre (|phi| is translation invariant)."""
    res = fourier_check(kernel)
    assert res.strictly_positive is positive
    near = fourier_check(kernel.shifted(-float(kernel.location_hint)))  # the same kernel at 0
    assert (res.injective, res.full_support) == (near.injective, near.full_support)
    np.testing.assert_allclose(res.zeros, near.zeros, rtol=1e-12)


@pytest.mark.timeout(120)  # a hang guard (measured 0.7 s; the old route never finished), not a speed test
def test_high_dimensional_gaussian_is_decided_from_eigenvalues_quickly_issue9():
    # kernel-check of a 300-dimensional Gaussian took ~40 s (each direction's scan evaluated
    # the d-dimensional cf, O(n_grid d^2)); 1000 dimensions did not finish in 60 s
    from spreadlab.cli import main

    d = 300
    cov = np.eye(d) + 0.1  # positive definite, not diagonal: the eigenvectors are mixed
    res = fourier_check(Gaussian(np.linspace(-1.0, 1.0, d), cov))
    assert _verdict_tuple(res) == VALID and len(res.factors) == d
    # each direction's transform is the 1-D N(v.mu, lambda) one: min over its default band
    # [0, 6 / sqrt(lambda)] is exp(-18) exactly (to rounding)
    assert abs(res.min_cf - np.exp(-18.0)) < 1e-12 * np.exp(-18.0) + 1e-15
    singular = np.ones((d, d))  # rank 1: injective, but no full support
    assert _verdict_tuple(fourier_check(Gaussian(np.zeros(d), singular))) == (True, True, False)
    spec = "Gaussian([" + ", ".join(["0"] * 1000) + "], 1)"
    assert main(["kernel-check", spec]) == 0


def test_multivariate_check_has_a_time_budget(monkeypatch, capsys):
    from spreadlab import fourier as fourier_module
    from spreadlab.cli import main

    monkeypatch.setattr(fourier_module, "FOURIER_TIME_BUDGET", 0.0)
    with pytest.raises(ValueError, match=r"kernel Gaussian.*FOURIER_TIME_BUDGET"):
        fourier_check(Gaussian(np.zeros(3), np.eye(3)))
    with pytest.raises(ValueError, match=r"kernel ProductKernel.*FOURIER_TIME_BUDGET"):
        fourier_check(ProductKernel(Laplace(0.0, 1.0), Laplace(0.0, 1.0)))
    assert main(["kernel-check", "Gaussian([0, 0, 0], 1)"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "FOURIER_TIME_BUDGET" in err


@pytest.mark.parametrize("budget, error", [(float("nan"), ValueError), (-1.0, ValueError),
                                           ("abc", TypeError), (None, TypeError)])
def test_time_budget_setting_is_checked_by_name_bug_review(monkeypatch, budget, error):
    # a NaN budget silently switched the budget off (every comparison with it is False);
    # a string or None failed inside a format string without naming the setting
    from spreadlab import fourier as fourier_module

    monkeypatch.setattr(fourier_module, "FOURIER_TIME_BUDGET", budget)
    with pytest.raises(error, match=r"spreadlab\.fourier\.FOURIER_TIME_BUDGET must be a number >= 0"):
        fourier_check(Gaussian(np.zeros(3), np.eye(3)))
    monkeypatch.setattr(fourier_module, "FOURIER_TIME_BUDGET", float("inf"))  # inf: no budget
    assert fourier_check(Gaussian(np.zeros(3), np.eye(3))).injective


def _gauss(x, m, s):
    return np.exp(-0.5 * ((x - m) / s) ** 2) / (s * np.sqrt(2 * np.pi))


@pytest.mark.parametrize("density", [
    lambda x: 0.5 * _gauss(x, -3.0, 1.0) + 0.5 * _gauss(x, 3.0, 1.0),
    lambda x: 0.3 * _gauss(x, -10.0, 0.5) + 0.7 * _gauss(x, 4.0, 2.0),
], ids=["symmetric", "lopsided"])
def test_two_bump_mixture_has_full_support_bug_21(density):
    # issue 21: the underflowing Gaussian tails (exp(-4700) is 0 as a float) were read as a
    # hard edge, so a mixture with full support was judged to lack it
    res = fourier_check(density)
    assert res.full_support and res.method == "numeric"
    assert "underflowing" in res.full_support_method


@pytest.mark.parametrize("density", [
    lambda x: np.where(np.abs(x) < 1, 0.5, 0.0),  # uniform: a jump
    lambda x: np.where(np.abs(x) < 1, 0.75 * (1 - x * x), 0.0),  # Epanechnikov: linear edge
    # a C-infinity bump: its last value before the edge (~e^-50 on the grid) is far above underflow
    lambda x: np.where(np.abs(x) < 1, np.exp(-1 / (1 - np.minimum(x * x, 1 - 1e-9))) / 0.443994, 0.0),
], ids=["uniform", "epanechnikov", "smooth-bump"])
def test_hard_edges_are_still_not_full_support(density):
    assert not fourier_check(density).full_support
