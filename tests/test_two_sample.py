"""two_sample_test: statistic against independent oracles, the permutation null, calibration."""

import math
import subprocess
import sys

import numpy as np
import pytest
from scipy import stats

from spreadlab import (
    Cauchy, Gaussian, HyperbolicSecant, Laplace, Logistic, ProductKernel, StudentT, Triangular,
    Uniform, median_heuristic_kernel, mmd2, two_sample_test,
)
from spreadlab import _kernel_hooks as hooks
from spreadlab import _two_sample_kernels as K


def _k_direct(kernel, a, b):
    """k(a, b) = (K * K~)(a - b) from the textbook formulas, one pair at a time."""
    z = np.atleast_1d(a - b)
    if isinstance(kernel, Gaussian):
        s2 = 2.0 * kernel.cov
        return float(np.exp(-0.5 * z @ np.linalg.solve(s2, z))
                     / math.sqrt(np.linalg.det(2 * math.pi * s2)))
    if isinstance(kernel, Laplace):
        b_, t = float(kernel.scale), abs(float(z[0]))
        return (b_ + t) * math.exp(-t / b_) / (4 * b_ * b_)
    if isinstance(kernel, Cauchy):
        g = 2 * float(kernel.scale)
        return g / (math.pi * (g * g + float(z[0]) ** 2))
    if isinstance(kernel, Logistic):  # density of the sum of two logistics, cosh/sinh form
        s_, u = float(kernel.scale), abs(float(z[0])) / float(kernel.scale)
        if u == 0:
            return 1 / (6 * s_)
        return (u * math.cosh(u / 2) - 2 * math.sinh(u / 2)) / (4 * math.sinh(u / 2) ** 3) / s_
    if isinstance(kernel, HyperbolicSecant):  # K = sech(x/s)/(pi s): k = 2 u / (pi^2 s sinh u)
        s_, u = float(kernel.scale), abs(float(z[0])) / float(kernel.scale)
        return 2 / (math.pi ** 2 * s_) * (u / math.sinh(u) if u else 1.0)
    if isinstance(kernel, Uniform):  # triangle of half-width w
        w = float(kernel.scale)
        return max(w - abs(float(z[0])), 0.0) / w ** 2
    return math.prod(_k_direct(f, a[i:i + 1], b[i:i + 1]) for i, f in enumerate(kernel.factors))


def _double_loop(x, y, kernel):
    """Unbiased MMD^2 by a direct double loop over pairs (Gretton et al. 2012, eq. 3)."""
    n, m = len(x), len(y)
    sxx = sum(_k_direct(kernel, x[i], x[j]) for i in range(n) for j in range(n) if i != j)
    syy = sum(_k_direct(kernel, y[i], y[j]) for i in range(m) for j in range(m) if i != j)
    sxy = sum(_k_direct(kernel, x[i], y[j]) for i in range(n) for j in range(m))
    return sxx / (n * (n - 1)) + syy / (m * (m - 1)) - 2 * sxy / (n * m)


CASES = [
    ("gauss-2d-full", Gaussian([0.0, 0.0], [[1.0, 0.4], [0.4, 0.5]]), 2),
    ("laplace-1d", Laplace(0.0, 0.7), 1),
    ("cauchy-1d", Cauchy(0.0, 0.3), 1),
    ("product", ProductKernel(Gaussian(0.0, 0.8), Laplace(0.0, 1.5), Cauchy(0.0, 0.5)), 3),
    ("logistic-1d", Logistic(0.0, 0.6), 1),
    ("sech-1d", HyperbolicSecant(0.0, 0.8), 1),
    ("uniform-1d", Uniform(-1.0, 2.5), 1),
    ("product-new", ProductKernel(Logistic(0.0, 0.7), HyperbolicSecant(0.0, 1.1), Uniform(0.0, 2.0)), 3),
]


@pytest.mark.parametrize("name,kernel,d", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("backend", ["numba", "numpy"])
def test_statistic_matches_double_loop_and_mmd2(name, kernel, d, backend, rng):
    x = rng.normal(0.0, 1.0, (13, d))
    y = rng.normal(0.3, 1.2, (9, d))
    res = two_sample_test(x, y, kernel, n_permutations=5, rng=0, block_size=4, backend=backend)
    direct = _double_loop(x, y, kernel)
    # the test sums O(N^2) Gram entries in blocks and recombines quadratic forms; with
    # N = 22 and entries O(1), rounding is ~1e-14 absolute against a statistic ~1e-2
    assert res.statistic == pytest.approx(direct, rel=1e-10, abs=1e-14)
    assert res.statistic == pytest.approx(mmd2(x if d > 1 else x[:, 0], y if d > 1 else y[:, 0], kernel),
                                          rel=1e-10, abs=1e-14)


def test_numba_gram_matches_numpy_reference(rng):
    a, b = rng.normal(size=(37, 3)), rng.normal(size=(29, 3))
    out = K.gram_gauss(a, b, np.empty((37, 29)))
    # same operations in the same order per entry; exp differs by at most an ulp or two
    np.testing.assert_allclose(out, K.gram_gauss_numpy(a, b), rtol=1e-14, atol=0)
    # every compiled code against the registry's NumPy kappa, at distances from 0 to ~40
    # scales (a, b spread wide), where the products stay far above the subnormal range
    for cls in (Gaussian, Laplace, Cauchy, Uniform, Logistic, HyperbolicSecant):
        auto = hooks.hooks_for(cls).autocorrelation
        codes = np.full(3, auto.code, dtype=np.int64)
        a2, b2 = 4 * a, 4 * b
        out = K.gram_product(a2, b2, codes, np.empty((37, 29)))
        ref = K.gram_product_numpy(a2, b2, [auto.kappa] * 3)
        # scalar vs vectorised evaluation of the same formulas: a few ulps per factor
        np.testing.assert_allclose(out, ref, rtol=1e-13, atol=1e-300, err_msg=cls.__name__)


def test_backends_agree_and_null_is_each_permuted_split(rng):
    x, y = rng.normal(size=(15, 2)), rng.normal(0.5, 1.0, size=(11, 2))
    kernel = Gaussian([0.0, 0.0], 0.6)
    a = two_sample_test(x, y, kernel, n_permutations=30, rng=7, block_size=5)
    b = two_sample_test(x, y, kernel, n_permutations=30, rng=7, backend="numpy")
    np.testing.assert_allclose(a.null_distribution, b.null_distribution, rtol=1e-10, atol=1e-15)
    assert a.p_value == b.p_value
    # replay the permutation stream: the b-th null value is mmd2 of the b-th relabelling,
    # row b of Generator.permuted applied to 30 copies of range(N)
    pooled = np.vstack([x, y])
    perms = np.random.default_rng(7).permuted(np.tile(np.arange(len(pooled)), (30, 1)), axis=1)
    for value, idx in zip(a.null_distribution[:5], perms):
        mask = np.zeros(len(pooled), bool)
        mask[idx[:15]] = True
        assert value == pytest.approx(mmd2(pooled[mask], pooled[~mask], kernel), rel=1e-9, abs=1e-15)


def test_p_value_and_its_standard_error_follow_their_formulas(rng):
    x, y = rng.normal(size=(20, 1)), rng.normal(size=(20, 1))
    res = two_sample_test(x, y, Gaussian(0.0, 1.0), n_permutations=99, rng=1)
    exceed = int(np.sum(res.null_distribution >= res.statistic))
    assert res.p_value == (1 + exceed) / 100
    p = res.p_value  # the reported value, so that B = 0 does not claim an error of 0
    assert res.p_value_se == pytest.approx(math.sqrt(p * (1 - p) / 99), rel=1e-12)
    assert res.null_distribution.shape == (99,)


def test_detects_a_clear_difference(rng):
    x, y = rng.normal(0, 1, 100), rng.normal(1.0, 1, 100)
    res = two_sample_test(x, y, n_permutations=199, rng=0)
    # a one-sd shift with n = 100 has power ~1; the smallest possible p-value is 1/200
    assert res.p_value == pytest.approx(1 / 200)


def _rejections(kernel, reps, n=20, d=2, perms=39, naive=False):
    count = 0
    for seed in range(reps):
        r = np.random.default_rng(seed)
        x, y = r.normal(size=(n, d)), r.normal(size=(n, d))
        res = two_sample_test(x, y, kernel, n_permutations=perms, rng=seed)
        count += (res.statistic > 0) if naive else (res.p_value <= 0.05)
    return count


@pytest.mark.parametrize("kernel", ["auto", Gaussian([0.0, 0.0], 1.0)], ids=["auto", "fixed"])
def test_type_one_error_within_binomial_interval(kernel):
    # with 39 permutations P(p <= 0.05) = 2/40 = 0.05 exactly under p = q, so the number
    # of rejections in 200 independent repetitions is Binomial(200, 0.05); 99.9% interval
    reps = 200
    lo, hi = stats.binom.ppf([0.0005, 0.9995], reps, 0.05)
    count = _rejections(kernel, reps)
    assert lo <= count <= hi, (count, lo, hi)


def test_type_one_check_rejects_an_uncalibrated_rule():
    """Negative control: 'reject when the statistic is positive' ignores the null and fails."""
    reps = 200
    lo, hi = stats.binom.ppf([0.0005, 0.9995], reps, 0.05)
    count = _rejections("auto", reps, naive=True)
    assert not lo <= count <= hi


@pytest.mark.filterwarnings("ignore::spreadlab.ConvergenceWarning")  # 15 iterations: a short run on purpose
def test_learn_splits_and_tests_on_held_out_halves(rng):
    x = rng.normal(size=(40, 2))
    y = rng.normal(size=(30, 2))
    y[:, 0] += 2.0
    res = two_sample_test(x, y, "learn", n_permutations=49, rng=0,
                          learn_options={"max_iter": 15, "anisotropy": 4.0})
    assert (res.n_x, res.n_y) == (20, 15)
    # det of the learned spread is fixed by the starting (median-heuristic) kernel of the
    # training halves: a rounding-level check
    assert np.linalg.det(res.kernel.cov) == pytest.approx(res.learned.scale ** 2, rel=1e-10)
    assert res.p_value < 0.05  # a two-sd shift: the test half alone has power ~1


def test_median_heuristic_value():
    k = median_heuristic_kernel(np.array([[0.0, 0.0], [3.0, 4.0], [0.0, 1.0]]))
    # squared distances 25, 1, 18: median 18, s^2 = 9
    np.testing.assert_array_equal(k.cov, 9.0 * np.eye(2))


@pytest.mark.parametrize(
    "kwargs,err,match",
    [
        ({"x": [[0.0], [np.nan], [1.0]]}, ValueError, "x must contain finite numbers"),
        ({"y": np.zeros((5, 3))}, ValueError, "y must have the same number of features as x"),
        ({"x": [1.0]}, ValueError, "x needs at least 2 samples"),
        ({"kernel": "gauss"}, ValueError, "Unknown kernel 'gauss'"),
        ({"kernel": StudentT(3.0)}, TypeError, "kernel must be a Gaussian"),
        ({"n_permutations": 10**12}, ValueError, "n_permutations must be an integer <= 10000000"),
        ({"kernel": Gaussian(0.0, 0.0)}, ValueError, "kernel covariance must be positive definite"),
        ({"kernel": Gaussian([0.0, 0.0], 1.0)}, ValueError, "kernel must have dimension 1"),
        ({"n_permutations": 0}, ValueError, "n_permutations must be an integer >= 1"),
        ({"n_permutations": True}, TypeError, "n_permutations must be an integer"),
        ({"backend": "cuda"}, ValueError, "Unknown backend 'cuda'"),
        ({"kernel": "learn", "train_fraction": 1.5}, ValueError, "train_fraction must be a number in"),
        ({"x": "abc"}, TypeError, "x must be an array-like"),
    ],
)
def test_bad_input_is_named(kwargs, err, match):
    args = {"x": np.arange(6.0), "y": np.arange(6.0) + 0.5, "kernel": "auto"}
    args.update(kwargs)
    with pytest.raises(err, match=match):
        two_sample_test(args.pop("x"), args.pop("y"), args.pop("kernel"), n_permutations=args.pop("n_permutations", 9),
                        **args)


def test_identical_points_have_no_median_bandwidth():
    with pytest.raises(ValueError, match="all points are identical"):
        two_sample_test(np.ones(5), np.ones(5))


def test_import_does_not_compile_numba():
    code = "import sys, spreadlab; print('numba' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_p_value_standard_error_is_not_zero_without_exceedances_bug_merge_review():
    """With no permuted statistic above the observed one, B/P = 0 gave a standard error of 0."""
    rng = np.random.default_rng(0)
    res = two_sample_test(rng.normal(0, 1, 100), rng.normal(2.0, 1, 100), n_permutations=199, rng=0)
    assert res.p_value == pytest.approx(1 / 200)
    assert res.p_value_se == pytest.approx(math.sqrt((1 / 200) * (199 / 200) / 199), rel=1e-12)


# ---------------------------------------------------------------------- kernel hooks (issue 18)
ONE_D_KERNELS = [Gaussian(0.0, 0.7), Laplace(0.3, 0.8), Cauchy(0.0, 0.4), Logistic(-0.2, 0.6),
                 HyperbolicSecant(0.0, 1.3), Uniform(-1.0, 2.5)]


@pytest.mark.parametrize("kernel", ONE_D_KERNELS, ids=lambda k: type(k).__name__)
def test_registered_autocorrelation_equals_numeric_convolution(kernel):
    """k(t) = int K(x) K(x - t) dx by adaptive quadrature, against the registered closed form."""
    from scipy import integrate

    plan = hooks.kernel_plan(kernel)
    lo, hi = (float(v) for v in kernel.support)
    for t in (0.0, 0.05, 0.4, 1.3, 3.0, 9.0):
        # integrate over the overlap of the supports of K(x) and K(x - t), with the
        # kink/mode points as breakpoints; quad's own error estimate is ~1e-14 here
        a, b = max(lo, lo + t), min(hi, hi + t)
        if a >= b:
            assert plan.k(np.array([[t]]))[0] == 0.0
            continue
        centre = float(np.asarray(kernel.location_hint))
        cuts = sorted({a, b, *(c for c in (-200.0, centre, centre + t, 200.0) if a < c < b)})
        val = sum(integrate.quad(lambda v: float(kernel.pdf(v)) * float(kernel.pdf(v - t)),
                                 u, w, limit=400, epsabs=0, epsrel=1e-13)[0]
                  for u, w in zip(cuts[:-1], cuts[1:]))
        got = float(plan.k(np.array([[t]]))[0])
        # 1e-9 relative: quadrature of a smooth (or piecewise-smooth with breakpoints) integrand
        assert got == pytest.approx(val, rel=1e-9, abs=1e-300), (t, got, val)


@pytest.mark.parametrize("kernel", [Logistic(0.0, 0.9), HyperbolicSecant(0.0, 0.5), Uniform(0.0, 1.5),
                                    Laplace(0.0, 0.6), Cauchy(0.0, 0.3)], ids=lambda k: type(k).__name__)
def test_point_mass_spread_l2_closed_form_matches_direct_quadrature(kernel):
    from spreadlab import Delta, spread_l2_distance

    for gap in (0.1, 0.7, 2.0):
        closed = spread_l2_distance(Delta(0.0), Delta(gap), kernel, method="closed")
        direct = spread_l2_distance(Delta(0.0), Delta(gap), kernel, method="direct")
        # the direct route integrates (pt - qt)^2 with rtol 1e-12
        assert closed == pytest.approx(direct, rel=1e-9)


def test_mmd2_and_two_sample_test_accept_the_same_kernels_bug_issue18_uniform():
    """mmd._autocorrelation accepted Uniform while two_sample._factor_code refused it."""
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=12), rng.normal(0.5, 1.0, size=10)
    for kernel in ONE_D_KERNELS:
        res = two_sample_test(x, y, kernel, n_permutations=9, rng=0)
        assert res.statistic == pytest.approx(mmd2(x, y, kernel), rel=1e-10, abs=1e-15)
    for kernel in (StudentT(3.0), Triangular(0.0, 1.0)):
        with pytest.raises(TypeError, match="K \\* K~ is known in closed form"):
            mmd2(x, y, kernel)
        with pytest.raises(TypeError, match="K \\* K~ is known in closed form"):
            two_sample_test(x, y, kernel, n_permutations=9)


def test_a_kernel_registered_without_a_compiled_code_uses_the_numpy_gram(monkeypatch):
    """A family registered with an autocorrelation but no compiled code still works everywhere."""
    auto = hooks.hooks_for(Laplace).autocorrelation
    old = hooks.hooks_for(Laplace)

    class MyLaplace(Laplace):
        pass

    hooks.register_kernel_hooks(MyLaplace, name="MyLaplace", notation=old.notation,
                                autocorrelation=hooks.Autocorrelation(auto.scale_const, auto.kappa))
    try:
        rng = np.random.default_rng(4)
        x, y = rng.normal(size=15), rng.normal(size=11)
        a = two_sample_test(x, y, MyLaplace(0.0, 0.7), n_permutations=19, rng=2)
        b = two_sample_test(x, y, Laplace(0.0, 0.7), n_permutations=19, rng=2)
        assert a.p_value == b.p_value
        np.testing.assert_allclose(a.null_distribution, b.null_distribution, rtol=1e-12)
    finally:
        del hooks._TABLE[MyLaplace]
        hooks._MEMO.clear()


# ---------------------------------------------------------------------- speed path (issue 23)
def _gemm_reference(x, y, kernel, n_permutations, seed):
    """Plain NumPy: the full Gram matrix G and every statistic from A^T G A, same permutations."""
    pooled = np.vstack([x, y])
    n, n_total = len(x), len(pooled)
    diff = pooled[:, None, :] - pooled[None, :, :]
    g = hooks.kernel_plan(kernel).k(diff)
    perms = np.random.default_rng(seed).permuted(np.tile(np.arange(n_total), (n_permutations, 1)), axis=1)
    a = np.zeros((n_total, 1 + n_permutations))
    a[:n, 0] = 1
    for b, idx in enumerate(perms, start=1):
        a[idx[:n], b] = 1
    xx = np.einsum("ip,ij,jp->p", a, g, a)
    yy = np.einsum("ip,ij,jp->p", 1 - a, g, 1 - a)
    xy = np.einsum("ip,ij,jp->p", a, g, 1 - a)
    m = n_total - n
    k0 = np.trace(g) / n_total
    stats_ = (xx - n * k0) / (n * (n - 1)) + (yy - m * k0) / (m * (m - 1)) - 2 * xy / (n * m)
    return stats_[0], stats_[1:]


@pytest.mark.parametrize("block_size", [3, 7, 64])
def test_p_values_identical_to_plain_gemm_reference(block_size):
    rng = np.random.default_rng(11)
    x, y = rng.normal(size=(23, 3)), rng.normal(0.2, 1.0, size=(19, 3))
    kernel = Gaussian(np.zeros(3), 0.9 * np.eye(3))
    res = two_sample_test(x, y, kernel, n_permutations=199, rng=5, block_size=block_size)
    stat, null = _gemm_reference(x, y, kernel, 199, 5)
    # different summation orders of ~1e3 Gram entries of size <= k(0): rounding ~1e-15 * k(0)
    scale = hooks.kernel_plan(kernel).const
    np.testing.assert_allclose(res.null_distribution, null, rtol=0, atol=1e-12 * scale)
    assert res.statistic == pytest.approx(stat, rel=0, abs=1e-12 * scale)
    ref_p = (1 + np.count_nonzero(null >= stat - 1e-12 * scale)) / 200
    assert res.p_value == ref_p


@pytest.mark.parametrize("backend", ["numba", "numpy"])
def test_gram_strips_cut_into_pieces_give_the_reference_statistics(monkeypatch, backend):
    """Strips wider than _MAX_GRAM_BYTES are multiplied piece by piece (beta = 1): same answer."""
    import spreadlab.two_sample as ts

    rng = np.random.default_rng(13)
    x, y = rng.normal(size=(31, 3)), rng.normal(0.3, 1.0, size=(26, 3))
    kernel = Gaussian(np.zeros(3), 0.7 * np.eye(3))
    # 8-row strips, pieces of 8 columns (numba) or 1 column (numpy: (d + 1) * 8 bytes per entry):
    # every strip is cut into several pieces, the last one shorter
    monkeypatch.setattr(ts, "_MAX_GRAM_BYTES", 8 * 8 * 8)
    res = two_sample_test(x, y, kernel, n_permutations=99, rng=2, block_size=8, backend=backend)
    stat, null = _gemm_reference(x, y, kernel, 99, 2)
    scale = hooks.kernel_plan(kernel).const  # rounding of ~3e3 Gram entries <= k(0): ~1e-15 k(0)
    np.testing.assert_allclose(res.null_distribution, null, rtol=0, atol=1e-12 * scale)
    assert res.statistic == pytest.approx(stat, rel=0, abs=1e-12 * scale)
    assert res.p_value == (1 + np.count_nonzero(null >= stat - 1e-12 * scale)) / 100


def test_far_apart_samples_under_errstate_raise_bug_halved_subnormal_diagonal():
    """Halving the diagonal Gram block underflowed on subnormal entries: FloatingPointError
    under a caller's np.errstate(all="raise") (the previous version ran). Same answer as mmd2."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(30, 1))
    y = x[::-1] + 53.0  # exp(-53^2 / 4) ~ 1e-305: the cross Gram entries are subnormal or 0
    with np.errstate(all="raise"):
        res = two_sample_test(x, y, Gaussian(0.0, 1.0), n_permutations=9, rng=0, block_size=8)
    assert res.statistic == pytest.approx(mmd2(x[:, 0], y[:, 0], Gaussian(0.0, 1.0)), rel=1e-12)
    assert res.p_value == pytest.approx(0.1)  # the observed split is the extreme one: (1 + 0) / 10


def test_gauss_exponent_kernel_matches_its_numpy_reference(rng):
    """The vectorised exponent kernel sums the squares in the reference's order: identical values."""
    a, b = 3 * rng.normal(size=(41, 5)), 3 * rng.normal(size=(23, 5))
    out = K.gauss_exponent(a, np.ascontiguousarray(b.T), np.empty((41, 23)))
    ref = K.gauss_exponent_numpy(a, b)
    # same subtractions, squares and left-to-right sums, then an exact scaling by -1/4: at most
    # a rounding of the last bit if the compiler reassociates (it may not without fastmath)
    np.testing.assert_allclose(out, ref, rtol=4e-16, atol=0)
    assert np.all(out <= 0) and np.all(np.exp(out) <= 1)
    # the Gram the test uses (exp of it) equals the NumPy Gram reference
    np.testing.assert_allclose(np.exp(out), K.gram_gauss_numpy(a, b), rtol=4e-16, atol=0)


def test_label_chunks_do_not_change_the_result(monkeypatch):
    """The memory bound splits the permutations into column chunks: same statistics."""
    import spreadlab.two_sample as ts

    rng = np.random.default_rng(12)
    x, y = rng.normal(size=(20, 2)), rng.normal(size=(17, 2))
    whole = two_sample_test(x, y, Gaussian(np.zeros(2), np.eye(2)), n_permutations=50, rng=3, block_size=8)
    monkeypatch.setattr(ts, "_MAX_LABEL_BYTES", 8 * 37 * 7)  # 7 label columns: 5 permutations per chunk
    chunked = two_sample_test(x, y, Gaussian(np.zeros(2), np.eye(2)), n_permutations=50, rng=3, block_size=8)
    # the chunks sum the same Gram entries in another order: rounding ~1e-15 of k(0) = 1/(4 pi)
    np.testing.assert_allclose(chunked.null_distribution, whole.null_distribution, rtol=0, atol=1e-13)
    assert chunked.statistic == pytest.approx(whole.statistic, rel=0, abs=1e-13)
    assert chunked.p_value == whole.p_value


def test_two_sample_test_n_permutations_10_12_refused_up_front_bug_issue21():
    """n_permutations=10**12 passed the 2**40 cap and ran forever; now refused by its budget."""
    with pytest.raises(ValueError, match=r"n_permutations must be an integer <= 10000000; got 1000000000000"):
        two_sample_test(np.arange(5.0), np.arange(5.0) + 1, n_permutations=10**12)
    big = np.zeros((200_000, 1))
    big[:, 0] = np.arange(200_000)
    with pytest.raises(ValueError, match=r"n_permutations=100000 with 400000 pooled samples needs .* budget"):
        two_sample_test(big, big + 0.5, Gaussian(0.0, 1.0), n_permutations=100_000)


# ---------------------------------------------------------------------- linear-time block test
def test_block_statistics_are_mmd2_of_each_block_after_the_same_shuffle():
    from spreadlab import block_two_sample_test

    rng = np.random.default_rng(21)
    x, y = rng.normal(size=(40, 2)), rng.normal(0.3, 1.0, size=(33, 2))
    kernel = ProductKernel(Logistic(0.0, 0.8), Gaussian(0.0, 0.6))
    res = block_two_sample_test(x, y, kernel, block_size=8, rng=4)
    replay = np.random.default_rng(4)
    xs, ys = x[replay.permutation(40)], y[replay.permutation(33)]
    assert res.block_statistics.shape == (5,)  # 40 // 8 blocks; y blocks of 33 // 5 = 6
    for i, eta in enumerate(res.block_statistics):
        # mmd2 sums the same kernel values in another order: rounding only
        assert eta == pytest.approx(mmd2(xs[8 * i:8 * i + 8], ys[6 * i:6 * i + 6], kernel), rel=1e-10, abs=1e-15)
    assert res.statistic == pytest.approx(np.mean(res.block_statistics), rel=1e-14)
    t = math.sqrt(5) * res.statistic / np.std(res.block_statistics, ddof=1)
    assert res.t == pytest.approx(t, rel=1e-12)
    assert res.p_value == pytest.approx(stats.t.sf(t, 4), rel=1e-12)
    numpy = block_two_sample_test(x, y, kernel, block_size=8, rng=4, backend="numpy")
    np.testing.assert_allclose(numpy.block_statistics, res.block_statistics, rtol=1e-12, atol=1e-16)


def test_block_test_type_one_error_within_binomial_interval():
    """Under p = q the studentised block mean rejects at about its nominal level."""
    from spreadlab import block_two_sample_test

    reps, count = 300, 0
    for seed in range(reps):
        r = np.random.default_rng(seed)
        x, y = r.normal(size=(400, 2)), r.normal(size=(400, 2))
        count += block_two_sample_test(x, y, Gaussian([0.0, 0.0], 1.0), rng=seed).p_value <= 0.05
    # 20 blocks of 20: the t approximation of a mean of 20 skewed block statistics is not
    # exact, so the check is the 99.9% binomial interval around 0.05, not equality
    lo, hi = stats.binom.ppf([0.0005, 0.9995], reps, 0.05)
    assert lo <= count <= hi, (count, lo, hi)


def test_block_test_detects_a_clear_difference_and_refuses_learn():
    from spreadlab import block_two_sample_test

    rng = np.random.default_rng(5)
    x, y = rng.normal(0, 1, 2000), rng.normal(0.5, 1, 2000)
    assert block_two_sample_test(x, y, rng=0).p_value < 1e-6  # half-sd shift, 44 blocks of 44
    with pytest.raises(ValueError, match="kernel='learn' is not offered"):
        block_two_sample_test(x, y, "learn")
    with pytest.raises(ValueError, match="block_size must be an integer <= 1000"):
        block_two_sample_test(x, y, block_size=1500)
    with pytest.raises(ValueError, match="y has 3 samples: too few"):
        block_two_sample_test(x, y[:3], block_size=500)


def test_kappa_closed_forms_against_mpmath_and_at_the_extremes():
    """Logistic (series below u = 1, exponential form above) and sech against 40-digit mpmath;
    every registered kappa is 1 at 0, finite and in [0, 1] up to u = inf (never NaN)."""
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 40

    def logistic(u):  # 6 f(u), f the density of the sum of two standard logistics
        u = mpmath.mpf(u)
        return 6 * (u * mpmath.cosh(u / 2) - 2 * mpmath.sinh(u / 2)) / (4 * mpmath.sinh(u / 2) ** 3)

    us = np.array([1e-6, 1e-3, 0.1, 0.5, 0.999, 1.0, 1.001, 2.0, 7.0, 40.0, 300.0])
    got_l = hooks.hooks_for(Logistic).autocorrelation.kappa(us)
    got_s = hooks.hooks_for(HyperbolicSecant).autocorrelation.kappa(us)
    for u, gl, gs in zip(us, got_l, got_s):
        # a few ulps: the series and the exponential form are both well conditioned
        assert gl == pytest.approx(float(logistic(u)), rel=2e-15)
        assert gs == pytest.approx(float(mpmath.mpf(u) / mpmath.sinh(u)), rel=2e-15)
    extremes = np.array([0.0, 5e-324, 1e-300, 745.0, 1e300, 1e308, np.finfo(float).max, np.inf])
    for cls in (Gaussian, Laplace, Cauchy, Uniform, Logistic, HyperbolicSecant):
        auto = hooks.hooks_for(cls).autocorrelation
        with np.errstate(all="raise"):
            vals = np.asarray(auto.kappa(extremes), dtype=float)
        assert vals[0] == 1.0 and vals[-1] == 0.0, cls.__name__
        assert np.all(np.isfinite(vals)) and np.all((vals >= 0) & (vals <= 1)), (cls.__name__, vals)
        compiled = [K._kappa(auto.code, float(u)) for u in extremes]
        np.testing.assert_allclose(compiled, vals, rtol=1e-13, atol=1e-300, err_msg=cls.__name__)
