"""A band-limited kernel spreads two different distributions identically."""

import numpy as np
import pytest
from scipy import integrate

from spreadlab import Fejer, Gaussian, Laplace
from spreadlab import CosineModulated, band_limited_counterexample, numeric_cf


@pytest.fixture
def rng():
    return np.random.default_rng(777)


@pytest.fixture(scope="module")
def example():
    return band_limited_counterexample(Fejer(0.0, 1.0), n_grid=41)


def test_pair_is_far_apart_but_spreads_identically(example):
    ce = example
    # |cos| = 2/pi + sum_k c_k cos(2 k omega x) and phi_F(2 k omega) = 0, so
    # int K_F |cos| = 2/pi exactly: TV = 2/pi. The quadrature's tail correction is
    # accurate to ~1e-9.
    assert abs(ce.tv_distance - 2 / np.pi) < 1e-8
    # spread densities agree to quadrature error (measured 5e-13 on a grid of 41 points)
    assert ce.max_spread_diff < 1e-9
    # Plancherel: |phi_p - phi_q|^2 |phi_K|^2 vanishes identically
    assert ce.spread_l2 == pytest.approx(0.0, abs=1e-15)


def test_gaussian_spread_separates_the_pair(example):
    # negative control: a Gaussian kernel does NOT make p and q coincide
    ce = example
    assert ce.separating_max_diff > 0.1  # measured 0.21
    assert ce.separating_l2 > 1e-2  # measured 0.049
    assert ce.separating_max_diff > 1e8 * max(ce.max_spread_diff, 1e-300)


def test_spread_difference_against_fourier_inversion(example):
    # independent oracle for the grid values: (p - q) * G (y) =
    # (1/pi) int_0^inf [phi_F(t - w) + phi_F(t + w)] exp(-s^2 t^2 / 2) cos(t y) dt,
    # an integral over the finite band [w - 2, w + 2]
    ce = example
    s2 = float(Gaussian(0.0, 1.0 / 16).cov[0, 0])
    assert ce.separating_kernel == repr(Gaussian(0.0, 1.0 / 16))
    w = ce.omega
    for i in (3, 20, 33):
        y = ce.y[i]
        val, _ = integrate.quad(
            lambda t: (max(0.0, 1 - abs(t - w) / 2) + max(0.0, 1 - abs(t + w) / 2))
            * np.exp(-s2 * t * t / 2) * np.cos(t * y) / np.pi,
            w - 2, w + 2, points=[w], epsabs=1e-14, epsrel=1e-12,
        )
        # both sides are quadratures accurate to ~1e-12
        assert abs(ce.separating_diff[i] - val) < 1e-9


def test_p_and_q_are_proper_distributions(example, rng):
    p, q = example.p, example.q
    omega = np.array([0.0, 1.0, 4.5, 6.0, 7.5])
    for d in (p, q):
        phi, err = numeric_cf(d.pdf, omega)  # rejects d unless it integrates to 1
        # analytic cf phi_F(t) +- (phi_F(t - w) + phi_F(t + w)) / 2 within the bound
        assert np.max(np.abs(phi - d.cf(omega))) <= err
    # E_p cos(w x) = (1 + phi_F(2w)) / 2 = 1/2 and E_q cos(w x) = -1/2; the sample
    # means of 20000 draws have standard error <= 0.71 / sqrt(20000) = 0.005
    for d, target in ((p, 0.5), (q, -0.5)):
        c = np.cos(example.omega * d.sample(20000, rng))
        assert abs(c.mean() - target) < 4 * c.std() / np.sqrt(c.size)
    assert np.isneginf(q.logpdf(0.0))  # 1 - cos vanishes at 0


def test_callable_band_limited_kernel():
    ce = band_limited_counterexample(lambda x: Fejer(0.0, 1.0).pdf(x), n_grid=11)
    assert ce.spread_l2 is None  # no closed-form transform for a callable
    assert ce.max_spread_diff < 1e-9 and ce.separating_max_diff > 0.1
    assert abs(ce.tv_distance - 2 / np.pi) < 1e-8


def test_errors():
    with pytest.raises(ValueError, match="injective"):
        band_limited_counterexample(Laplace(0.0, 1.0))
    with pytest.raises(ValueError, match="omega must lie inside"):
        band_limited_counterexample(Fejer(0.0, 1.0), omega=1.5)
    with pytest.raises(ValueError, match="omega must satisfy"):
        CosineModulated(Fejer(0.0, 1.0), 1.0)
    with pytest.raises(TypeError, match="base must be a Fejer"):
        CosineModulated(Laplace(0.0, 1.0), 6.0)
    with pytest.raises(ValueError, match="sign must be"):
        CosineModulated(Fejer(0.0, 1.0), 6.0, sign=2)
    with pytest.raises(TypeError, match="separating_kernel"):
        band_limited_counterexample(Fejer(0.0, 1.0), separating_kernel=Laplace(0.0, 1.0))


def test_counterexample_inside_an_interior_zero_band():
    # kernel whose transform vanishes on [2, 3] only (and beyond 7): omega = 2.5, beta = 0.45
    kernel = CosineModulated(Fejer(0.0, 1.0), 5.0)
    ce = band_limited_counterexample(kernel, n_grid=11)
    assert ce.zero_band[1] < 3.5 and ce.omega == pytest.approx(2.5, abs=1e-8)
    assert abs(ce.tv_distance - 2 / np.pi) < 1e-8  # same Fourier-series argument
    assert ce.max_spread_diff < 1e-9 and ce.spread_l2 == pytest.approx(0.0, abs=1e-15)
    assert ce.separating_max_diff > 1e-2  # measured 0.068


def _limit_memory(gigabytes):
    """Allow this process ``gigabytes`` more address space than it has now (thread pools and
    imports differ between machines); the caller restores the returned old limit."""
    import resource

    try:
        with open("/proc/self/status") as fh:
            now = next(int(line.split()[1]) * 1024 for line in fh if line.startswith("VmSize:"))
    except (OSError, StopIteration):
        pytest.skip("needs /proc/self/status to set a memory cap relative to the current size")
    old = resource.getrlimit(resource.RLIMIT_AS)
    cap = now + int(gigabytes * 2**30)
    if old[0] != resource.RLIM_INFINITY and old[0] < cap:
        return old
    resource.setrlimit(resource.RLIMIT_AS, (cap, old[1]))
    return old


@pytest.mark.parametrize("omega", [2.0, 2.0 + 1e-12, 2.0 - 1e-15])
def test_omega_on_the_band_edge_is_a_value_error_not_memory_error_issue9(omega):
    # omega = 2.0 was a MemoryError: the located edge is 1.99999999999999, so "room" was 1e-14
    with pytest.raises(ValueError, match=r"omega must lie inside the kernel's zero band \[2, inf\]"):
        band_limited_counterexample(Fejer(0.0, 1.0), omega=omega, n_grid=5)


@pytest.mark.timeout(60)  # a hang guard (the old call took 42 s), not a speed test
def test_omega_just_inside_the_band_is_refused_within_a_budget_issue9():
    # omega = 2.001 took 42 s and 6.5 GB (arrays of size ~1/(omega - 2)): now a refusal that
    # names omega and the documented budget, in well under a second, with 2 GB to spare (the
    # old code dies with MemoryError under it instead of taking the shared machine down)
    import resource

    from spreadlab import counterexample as ce_module

    old = _limit_memory(2.0)
    try:
        with pytest.raises(ValueError, match=r"omega=2\.001 .*MAX_EVALUATIONS.*n_grid"):
            band_limited_counterexample(Fejer(0.0, 1.0), omega=2.001, n_grid=5)
    finally:
        resource.setrlimit(resource.RLIMIT_AS, old)
    assert ce_module.MAX_EVALUATIONS >= 1e7  # the documented budget is the one enforced


def test_close_to_the_edge_within_budget_still_works_with_bounded_memory():
    # omega = 2.02 (a base law 105 wide, 5e7 evaluations) is inside the budget and must still
    # give the same pair: TV = 2/pi to 1e-9 (TV of K_F (1 + cos) vs K_F (1 - cos) tends to
    # 2/pi, the mean of |cos|, as the base widens) and identical spread densities; it runs
    # block by block, so 1 GB to spare is enough (it peaked at 0.55 GB before blocks)
    import resource

    old = _limit_memory(1.0)
    try:
        ce = band_limited_counterexample(Fejer(0.0, 1.0), omega=2.02, n_grid=5)
    finally:
        resource.setrlimit(resource.RLIMIT_AS, old)
    assert abs(ce.tv_distance - 2.0 / np.pi) < 1e-9
    assert ce.max_spread_diff < 1e-12 and ce.separating_max_diff > 1e-3


@pytest.mark.parametrize("name", ["MAX_NODES", "MAX_EVALUATIONS"])
@pytest.mark.parametrize("budget, error", [(float("nan"), ValueError), (-1, ValueError),
                                           ("abc", TypeError), (None, TypeError)])
def test_budget_settings_are_checked_by_name_bug_review(monkeypatch, name, budget, error):
    # a NaN budget silently switched the refusal off; a string raised numpy's UFuncTypeError
    from spreadlab import counterexample as ce_module

    monkeypatch.setattr(ce_module, name, budget)
    with pytest.raises(error, match=rf"spreadlab\.counterexample\.{name} must be a number >= 0"):
        band_limited_counterexample(Fejer(0.0, 1.0), n_grid=5)
