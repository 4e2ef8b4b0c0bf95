"""two_sample_test: statistic against independent oracles, the permutation null, calibration."""

import math
import subprocess
import sys

import numpy as np
import pytest
from scipy import stats

from spreadlab import (
    Cauchy, Gaussian, Laplace, ProductKernel, Uniform, median_heuristic_kernel, mmd2,
    two_sample_test,
)
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
    codes = np.array([0, 1, 2], dtype=np.int64)
    out = K.gram_product(a, b, codes, np.empty((37, 29)))
    np.testing.assert_allclose(out, K.gram_product_numpy(a, b, codes), rtol=1e-14, atol=0)


def test_backends_agree_and_null_is_each_permuted_split(rng):
    x, y = rng.normal(size=(15, 2)), rng.normal(0.5, 1.0, size=(11, 2))
    kernel = Gaussian([0.0, 0.0], 0.6)
    a = two_sample_test(x, y, kernel, n_permutations=30, rng=7, block_size=5)
    b = two_sample_test(x, y, kernel, n_permutations=30, rng=7, backend="numpy")
    np.testing.assert_allclose(a.null_distribution, b.null_distribution, rtol=1e-10, atol=1e-15)
    assert a.p_value == b.p_value
    # replay the permutation stream: the b-th null value is mmd2 of the b-th relabelling
    replay = np.random.default_rng(7)
    pooled = np.vstack([x, y])
    for value in a.null_distribution[:5]:
        idx = replay.permutation(len(pooled))
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
        ({"kernel": Uniform(0.0, 1.0)}, TypeError, "kernel must be a Gaussian, Laplace, Cauchy"),
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
