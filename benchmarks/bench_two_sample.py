"""Spread two-sample test and learned spread: speed, calibration, power, min-max training.

Run from the repository root: ``python benchmarks/bench_two_sample.py`` (prints Markdown
tables; nothing is asserted). Seeds are fixed before looking: 0..R-1 for every table.

1. Time of ``two_sample_test`` at 10^4 x 10^4 samples (d = 5) with 1000 permutations
   against the symmetric arithmetic bound (N^2 (P + 1) / 2 multiply-adds at the best dgemm rate
   measured just before each run), block sizes 1024 and 2048 paired per repetition, 5 repetitions.
1b. Same p-values and statistics as a plain NumPy GEMM reference (full Gram matrix, G A) at
   2000 x 2000, both Gram backends; time against hyppo's permutation MMD at 500 x 500.
1c. The memory-bounded blocked permutation test at 10^4 and 10^5 x 10^5 (99 permutations): time,
   ratio to the symmetric bound, peak memory; its type-I error over 200 seeds at 2000 x 2000.
1d. The linear-time block test: 10^5 x 10^5 in one run, its type-I error over 200 seeds at
   10^4, and its power against the permutation test on the same data.
3b. Power of kernel="learn" against "auto" on three directional alternatives (mean shift
   along e_1, variance x1.5 along e_1, variance x1.5 along a rotated axis), paired per seed.
2. Type-I error at alpha = 0.05 under p = q = N(0, I_3), n = m = 50, 199 permutations, for
   a fixed N(0, I), the median heuristic ("auto") and the learned spread ("learn"), with
   the exact 95% binomial (Clopper-Pearson) interval of the rejection rate.
3. Power against n for p = N(0, I_5), q = N(0.5 e_1, I_5) (the difference along one
   direction): isotropic median-heuristic spread on all the data, the same on the test
   half only, and the spread learned on the other half; paired per seed.
4. Min-max training of x = A z (X = 4, Z = 1) by spread KL: fixed N(0, I) vs learned
   spread (re-learned every 20 steps), same start A per seed, three step sizes; steps to
   a relative covariance error of 1e-2 and the final error.
"""
import os
import sys
import time
import warnings

import numpy as np
from scipy import stats

sys.path.insert(0, "benchmarks")
from _machine import print_machine  # noqa: E402

from spreadlab import ConvergenceWarning, Gaussian, fit_linear_generator, two_sample_test  # noqa: E402

LEARN = {"n_restarts": 1, "max_iter": 30}


def clopper_pearson(k, n, level=0.95):
    a = 1 - level
    lo = stats.beta.ppf(a / 2, k, n - k + 1) if k > 0 else 0.0
    hi = stats.beta.ppf(1 - a / 2, k + 1, n - k) if k < n else 1.0
    return lo, hi


def _gemm_rate(block, cols, calls=3):
    """BLAS dgemm rate (flop/s, wall and CPU) measured now: the best of two shapes.

    The square product the old test used (block x block times block x cols) and the shape the
    strip products of ``two_sample_test`` use ((cols + 1) x 4096 times 4096 x 1024, beta = 1);
    each rate is the best of ``calls`` calls, and the faster shape sets the bound, so the bound
    is the smallest time this machine's dgemm needs, never a slow shape's.
    """
    from scipy.linalg.blas import dgemm

    rng = np.random.default_rng(99)
    g = np.asfortranarray(rng.random((block, block)))
    lab = np.asfortranarray(rng.random((block, cols)))
    labels = rng.random((4096, cols + 1))
    strip = rng.random((1024, 4096))
    h = np.empty((cols + 1, 1024), order="F")
    shapes = ((lambda: dgemm(1.0, g, lab), 2.0 * block * block * cols),
              (lambda: dgemm(2.0, labels.T, strip.T, beta=1.0, c=h, overwrite_c=1), 2.0 * (cols + 1) * 4096 * 1024))
    best_w, best_c = 0.0, 0.0
    for call, flops in shapes:
        call()
        for _ in range(calls):
            w, c = time.perf_counter(), time.process_time()
            call()
            w, c = time.perf_counter() - w, time.process_time() - c
            best_w, best_c = max(best_w, flops / w), max(best_c, flops / max(c, 1e-9))
    return best_w, best_c


def _gemm_reference(x, y, kernel, n_permutations, seed):
    """Plain NumPy: the full Gram matrix, then A^T G A for all labellings (same permutations)."""
    from spreadlab._kernel_hooks import kernel_plan

    plan = kernel_plan(kernel)
    z = plan.transform(np.vstack([x, y]))
    n, n_total = len(x), len(z)
    sq = np.sum(z * z, axis=1)
    g = plan.const * np.exp(-0.25 * np.maximum(sq[:, None] + sq[None, :] - 2.0 * z @ z.T, 0.0))
    perms = np.random.default_rng(seed).permuted(np.tile(np.arange(n_total, dtype=np.int32),
                                                         (n_permutations, 1)), axis=1)
    at = np.zeros((1 + n_permutations, n_total))
    at[0, :n] = 1.0
    np.put_along_axis(at[1:], perms[:, :n], 1.0, axis=1)
    a = at.T
    ga = g @ a
    r = g.sum(axis=1)
    quad = np.einsum("ip,ip->p", a, ga)
    adr = a.T @ r
    m, total, k0 = n_total - n, r.sum(), plan.const
    yy = total - 2 * adr + quad
    stats_ = ((quad - n * k0) / (n * (n - 1)) + (yy - m * k0) / (m * (m - 1)) - 2 * (adr - quad) / (n * m))
    p = (1 + np.count_nonzero(stats_[1:] >= stats_[0] - 1e-12 * plan.const)) / (1 + n_permutations)
    return stats_[0], stats_[1:], p


def timing(reps=5, n=10_000, d=5, perms=1000):
    print(f"## 1. Time of two_sample_test against the symmetric arithmetic bound (n = m = {n}, d = {d}, "
          f"{perms} permutations)\n")
    print("The symmetric bound: the permutation statistics a^T G a need N^2 (P + 1) / 2 multiply-adds "
          "(half the Gram products of G A), timed at the BLAS dgemm rate measured just before each run "
          "(the best of a square product and the test's strip product, see _gemm_rate); the Gram itself "
          "and the relabellings are counted as free. Data seed 0, permutation seed 1, for every "
          "repetition; the two block sizes are paired within a repetition.\n")
    rng = np.random.default_rng(0)
    two_sample_test(rng.normal(size=(60, d)), rng.normal(size=(60, d)), n_permutations=5, rng=0)  # compile/load
    x, y = rng.normal(size=(n, d)), rng.normal(size=(n, d))
    kernel = Gaussian(np.zeros(d), 2.5 * np.eye(d))
    n_total = 2 * n
    flops = float(n_total) ** 2 * (perms + 1)
    print("| repetition | block_size | dgemm GFLOP/s (wall) | test seconds (wall) | bound (wall) | ratio (wall) | "
          "ratio (CPU time) | load |")
    print("|---|---|---|---|---|---|---|---|")
    ratios = {}
    for rep in range(reps):
        for block in (1024, 2048):
            rate_w, rate_c = _gemm_rate(block, perms + 1)
            w, c = time.perf_counter(), time.process_time()
            res = two_sample_test(x, y, kernel, n_permutations=perms, rng=1, block_size=block)
            w, c = time.perf_counter() - w, time.process_time() - c
            rw, rc = w / (flops / rate_w), c / (flops / rate_c)
            ratios.setdefault(block, []).append((rw, rc))
            print(f"| {rep} | {block} | {rate_w / 1e9:.1f} | {w:.1f} | {flops / rate_w:.1f} | {rw:.2f} | {rc:.2f} | "
                  f"{os.getloadavg()[0]:.1f} |")
            sys.stdout.flush()
    for block, v in ratios.items():
        v = np.array(v)
        print(f"\nblock_size {block}: median ratio to the symmetric bound {np.median(v[:, 0]):.2f} (wall), "
              f"{np.median(v[:, 1]):.2f} (CPU time)")
    print(f"\n(p-value of the last run under p = q: {res.p_value:.3f} +- {res.p_value_se:.3f})\n")
    sys.stdout.flush()


def against_references(n_gemm=2000, n_hyppo=500, d=5, perms=1000):
    print(f"## 1b. Same answer as a plain NumPy GEMM reference, and against hyppo ({perms} permutations, d = {d})\n")
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(n_gemm, d)), rng.normal(size=(n_gemm, d))
    y[:, 0] += 0.05
    kernel = Gaussian(np.zeros(d), 2.5 * np.eye(d))
    print("| case | method | seconds | p-value | max abs difference of the statistics to the reference |")
    print("|---|---|---|---|---|")
    two_sample_test(x[:50], y[:50], kernel, n_permutations=5, rng=0)  # load the compiled kernels
    t = time.perf_counter()
    ref_stat, ref_null, ref_p = _gemm_reference(x, y, kernel, perms, 3)
    t_ref = time.perf_counter() - t
    print(f"| n = m = {n_gemm} | plain NumPy GEMM (full G, G A) | {t_ref:.2f} | {ref_p:.4f} | 0 |")
    for backend in ("numba", "numpy"):
        t = time.perf_counter()
        res = two_sample_test(x, y, kernel, n_permutations=perms, rng=3, backend=backend)
        dt = time.perf_counter() - t
        diff = max(abs(res.statistic - ref_stat), float(np.max(np.abs(res.null_distribution - ref_null))))
        print(f"| n = m = {n_gemm} | two_sample_test, {backend} Gram | {dt:.2f} | {res.p_value:.4f} | {diff:.1e} |")
    sys.stdout.flush()
    try:
        from hyppo.ksample import MMD
    except ImportError:
        print("\nhyppo is not installed: no hyppo row (pip install hyppo)\n")
        return
    x, y = x[:n_hyppo], y[:n_hyppo]
    MMD(compute_kernel="gaussian").test(x[:20], y[:20], reps=10, workers=1, random_state=0)  # hyppo's compile
    t = time.perf_counter()
    h = MMD(compute_kernel="gaussian").test(x, y, reps=perms, workers=1, random_state=4)
    t_h = time.perf_counter() - t
    t = time.perf_counter()
    res = two_sample_test(x, y, "auto", n_permutations=perms, rng=4)
    t_s = time.perf_counter() - t
    print(f"| n = m = {n_hyppo} | hyppo.ksample.MMD (gaussian, its own bandwidth) | {t_h:.2f} | {h[1]:.4f} | "
          "(other statistic) |")
    print(f"| n = m = {n_hyppo} | two_sample_test, auto | {t_s:.3f} | {res.p_value:.4f} | "
          f"(hyppo / spreadlab time: {t_h / t_s:.0f}x) |\n")
    sys.stdout.flush()


def large(sizes=(10_000, 100_000), d=5, perms=99, cal_n=2000, cal_reps=200):
    print(f"## 1c. The blocked permutation test at large n (d = {d}, {perms} permutations, under p = q)\n")
    print("Memory stays O(N (P + 2) + block x width): the Gram matrix is never stored (pieces of at "
          "most 16 MiB, reused) and the label matrix is processed in column chunks of at most 256 MiB.\n")
    print("| n = m | seconds (wall) | CPU seconds | symmetric bound (wall) | ratio (wall) | ratio (CPU) | "
          "p-value | peak RSS (MiB) | load |")
    print("|---|---|---|---|---|---|---|---|---|")
    import resource

    kernel = Gaussian(np.zeros(d), 2.5 * np.eye(d))
    for n in sizes:
        rng = np.random.default_rng(5)
        x, y = rng.normal(size=(n, d)), rng.normal(size=(n, d))
        rate_w, rate_c = _gemm_rate(2048, perms + 1)
        t, c = time.perf_counter(), time.process_time()
        res = two_sample_test(x, y, kernel, n_permutations=perms, rng=6)
        w, c = time.perf_counter() - t, time.process_time() - c
        flops = float(2 * n) ** 2 * (perms + 1)
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"| {n} | {w:.1f} | {c:.1f} | {flops / rate_w:.1f} | {w * rate_w / flops:.2f} | "
              f"{c * rate_c / flops:.2f} | {res.p_value:.2f} | {rss:.0f} | {os.getloadavg()[0]:.1f} |")
        sys.stdout.flush()
    print(f"\nCalibration of the permutation test at n = m = {cal_n} (p = q = N(0, I_{d}), auto kernel, "
          f"{perms} permutations, seeds 0..{cal_reps - 1}; with {perms} permutations P(p <= 0.05) = 5/100 "
          "exactly under p = q):")
    rejections = 0
    for seed in range(cal_reps):
        r = np.random.default_rng(seed)
        rejections += two_sample_test(r.normal(size=(cal_n, d)), r.normal(size=(cal_n, d)),
                                      n_permutations=perms, rng=seed).p_value <= 0.05
    lo, hi = clopper_pearson(rejections, cal_reps)
    print(f"{rejections}/{cal_reps} = {rejections / cal_reps:.3f}, 95% Clopper-Pearson [{lo:.3f}, {hi:.3f}]\n")


def linear(reps=200, n_cal=10_000, n_big=100_000, d=5, n_power=(2000, 5000), power_reps=20):
    print(f"## 1d. The linear-time block test (block_two_sample_test, B = sqrt(n), d = {d})\n")
    from spreadlab import block_two_sample_test

    rng = np.random.default_rng(7)
    x, y = rng.normal(size=(n_big, d)), rng.normal(size=(n_big, d))
    block_two_sample_test(x[:200], y[:200], rng=0)  # load the compiled kernel
    print("| case | seconds (wall) | p-value | load |\n|---|---|---|---|")
    for label, yy in (("p = q", y), ("q shifted by 0.05 along e_1", y + 0.05 * np.eye(d)[0])):
        t = time.perf_counter()
        res = block_two_sample_test(x, yy, rng=8)
        print(f"| n = m = {n_big}, {label} | {time.perf_counter() - t:.1f} | {res.p_value:.3g} | "
              f"{os.getloadavg()[0]:.1f} |")
    print(f"\nType-I error at alpha = 0.05 (n = m = {n_cal}, p = q = N(0, I_{d}), auto kernel), seeds 0..{reps - 1}:")
    rejections = 0
    for seed in range(reps):
        r = np.random.default_rng(seed)
        rejections += block_two_sample_test(r.normal(size=(n_cal, d)), r.normal(size=(n_cal, d)),
                                            rng=seed).p_value <= 0.05
    lo, hi = clopper_pearson(rejections, reps)
    print(f"{rejections}/{reps} = {rejections / reps:.3f}, 95% Clopper-Pearson [{lo:.3f}, {hi:.3f}]\n")
    print(f"Power against the permutation test (q = N(0.1 e_1, I_{d}), auto kernel, {power_reps} seeds, "
          "199 permutations), same data per seed:\n")
    print("| n = m | block test power | block seconds (mean) | permutation test power | permutation seconds (mean) |")
    print("|---|---|---|---|---|")
    for n in n_power:
        pb, pp, tb, tp = [], [], [], []
        for seed in range(power_reps):
            r = np.random.default_rng(500 + seed)
            xx, yy = r.normal(size=(n, d)), r.normal(size=(n, d))
            yy[:, 0] += 0.1
            t = time.perf_counter()
            pb.append(block_two_sample_test(xx, yy, rng=seed).p_value <= 0.05)
            tb.append(time.perf_counter() - t)
            t = time.perf_counter()
            pp.append(two_sample_test(xx, yy, n_permutations=199, rng=seed).p_value <= 0.05)
            tp.append(time.perf_counter() - t)
        print(f"| {n} | {np.mean(pb):.2f} | {np.mean(tb):.3f} | {np.mean(pp):.2f} | {np.mean(tp):.2f} |")
        sys.stdout.flush()
    print()


def directional(sizes=(100, 300), reps=20, d=5, only=None):
    print(f"## 3b. Power of kernel='learn' against 'auto' on directional alternatives (d = {d}, {reps} seeds "
          "per n, 199 permutations, alpha = 0.05; learn: half of each sample to learn, one restart, 30 "
          "iterations)\n")
    rot = np.linalg.qr(np.random.default_rng(123).normal(size=(d, d)))[0]
    alternatives = {
        "mean +0.5 along e_1": lambda z: z + 0.5 * np.eye(d)[0],
        "variance x1.5 along e_1": lambda z: z * np.r_[np.sqrt(1.5), np.ones(d - 1)],
        "variance x1.5 along a rotated axis": lambda z: (z @ rot.T * np.r_[np.sqrt(1.5), np.ones(d - 1)]) @ rot,
    }
    print("| alternative | n = m | auto | learn | learn minus auto (paired, +- se) |")
    print("|---|---|---|---|---|")
    for name, alt in alternatives.items():
        if only is not None and not name.startswith(only):
            continue
        for n in sizes:
            auto, learn = [], []
            for seed in range(reps):
                r = np.random.default_rng(2000 + seed)
                x, y = r.normal(size=(n, d)), alt(r.normal(size=(n, d)))
                auto.append(two_sample_test(x, y, "auto", n_permutations=199, rng=seed).p_value <= 0.05)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", ConvergenceWarning)
                    learn.append(two_sample_test(x, y, "learn", n_permutations=199, rng=seed,
                                                 learn_options=LEARN).p_value <= 0.05)
            diff = np.array(learn, float) - np.array(auto, float)
            print(f"| {name} | {n} | {np.mean(auto):.2f} | {np.mean(learn):.2f} | "
                  f"{diff.mean():+.2f} +- {diff.std(ddof=1) / np.sqrt(reps):.2f} |")
            sys.stdout.flush()
    print()


def type_one(reps_fast=400, reps_learn=100, which=("fixed", "auto", "learn")):
    print("## 2. Type-I error at alpha = 0.05 (p = q = N(0, I_3), n = m = 50, 199 permutations)\n")
    print("| kernel | repetitions | rejections | rate | 95% Clopper-Pearson interval | 0.05 inside |")
    print("|---|---|---|---|---|---|")
    cases = {"fixed": ("fixed N(0, I)", Gaussian(np.zeros(3), np.eye(3)), reps_fast),
             "auto": ("auto (median heuristic)", "auto", reps_fast),
             "learn": ("learn (half to learn, half to test)", "learn", reps_learn)}
    for label, kernel, reps in (cases[w] for w in which):
        rejections = 0
        for seed in range(reps):
            rng = np.random.default_rng(seed)
            x, y = rng.normal(size=(50, 3)), rng.normal(size=(50, 3))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                res = two_sample_test(x, y, kernel, n_permutations=199, rng=seed, learn_options=LEARN)
            rejections += res.p_value <= 0.05
        lo, hi = clopper_pearson(rejections, reps)
        print(f"| {label} | {reps} | {rejections} | {rejections / reps:.3f} | [{lo:.3f}, {hi:.3f}] | "
              f"{'yes' if lo <= 0.05 <= hi else 'NO'} |")
        sys.stdout.flush()
    print()


def power(sizes=(40, 80, 160), reps=20, d=5, shift=0.5):
    print(f"## 3. Power at alpha = 0.05: p = N(0, I_{d}), q = N({shift} e_1, I_{d}), {reps} seeds per n, "
          "199 permutations\n")
    print("| n = m | isotropic, all data | isotropic, test half | learned on half, test half | "
          "learned minus isotropic-half (paired, seeds) | mean cos(angle) smallest-noise axis vs e_1 |")
    print("|---|---|---|---|---|---|")
    for n in sizes:
        full, half, learned, cosines = [], [], [], []
        for seed in range(reps):
            rng = np.random.default_rng(1000 + seed)
            x = rng.normal(size=(n, d))
            y = rng.normal(size=(n, d))
            y[:, 0] += shift
            full.append(two_sample_test(x, y, "auto", n_permutations=199, rng=seed).p_value <= 0.05)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                res = two_sample_test(x, y, "learn", n_permutations=199, rng=seed, learn_options=LEARN)
            learned.append(res.p_value <= 0.05)
            # the same split (same rng stream) with the isotropic rule on the test half
            split = np.random.default_rng(seed)
            ix, iy = split.permutation(n), split.permutation(n)
            k = int(round(0.5 * n))
            half.append(two_sample_test(x[ix[k:]], y[iy[k:]], "auto", n_permutations=199,
                                        rng=seed).p_value <= 0.05)
            evals, evecs = np.linalg.eigh(res.kernel.cov)
            cosines.append(abs(evecs[0, 0]))
        diff = np.array(learned, float) - np.array(half, float)
        se = diff.std(ddof=1) / np.sqrt(reps)
        print(f"| {n} | {np.mean(full):.2f} | {np.mean(half):.2f} | {np.mean(learned):.2f} | "
              f"{diff.mean():+.2f} +- {se:.2f} | {np.mean(cosines):.2f} |")
        sys.stdout.flush()
    print()


def minmax(reps=20, xdim=4, zdim=1, rates=(0.01, 0.03, 0.1), n_iter=200):
    print(f"## 4. Min-max training of x = A z (X = {xdim}, Z = {zdim}), {n_iter} steps, {reps} seeds, "
          "spread re-learned every 20 steps (anisotropy 10)\n")
    print("| step size | seeds reaching 1e-2: fixed / learned | median steps to 1e-2: fixed / learned | "
          "learned faster / slower / tied (seeds where both reach it) | median final error: fixed / learned | "
          "learned lower final error (seeds) |")
    print("|---|---|---|---|---|---|")

    def steps(err, level):
        hit = np.nonzero(err < level)[0]
        return int(hit[0]) if hit.size else np.inf

    for lr in rates:
        sf, sl, ff, fl = [], [], [], []
        for seed in range(reps):
            rng = np.random.default_rng(seed)
            a_true = rng.normal(size=(xdim, zdim))
            init = rng.normal(size=(xdim, zdim)) / np.sqrt(xdim)
            c = a_true @ a_true.T
            fixed = fit_linear_generator(c, zdim, spread="fixed", n_iter=n_iter, learning_rate=lr, init=init)
            learned = fit_linear_generator(c, zdim, spread="learned", n_iter=n_iter, learning_rate=lr,
                                           init=init, relearn_every=20)
            sf.append(steps(fixed.cov_error, 1e-2))
            sl.append(steps(learned.cov_error, 1e-2))
            ff.append(fixed.cov_error[-1])
            fl.append(learned.cov_error[-1])
        sf, sl, ff, fl = map(np.array, (sf, sl, ff, fl))
        both = np.isfinite(sf) & np.isfinite(sl)
        med = lambda v: f"{np.median(v):.0f}" if np.all(np.isfinite(v)) and v.size else (
            f"{np.median(v):.0f}" if np.isfinite(np.median(v)) else "not reached")
        print(f"| {lr} | {int(np.isfinite(sf).sum())} / {int(np.isfinite(sl).sum())} | {med(sf)} / {med(sl)} | "
              f"{int(np.sum(sl[both] < sf[both]))} / {int(np.sum(sl[both] > sf[both]))} / "
              f"{int(np.sum(sl[both] == sf[both]))} | {np.median(ff):.2e} / {np.median(fl):.2e} | "
              f"{int(np.sum(fl < ff))}/{reps} |")
        sys.stdout.flush()
    print()


if __name__ == "__main__":
    print("# bench_two_sample\n")
    print_machine()
    parts = sys.argv[1:] or ["timing", "references", "large", "linear", "type1", "power", "directional",
                             "minmax"]
    runs = {"timing": timing, "references": against_references, "large": large, "linear": linear, "directional": directional,
            "directional_large": lambda: directional(sizes=(1000,), only="variance x1.5 along e_1"), "type1": type_one, "type1learn": lambda: type_one(which=("learn",)),
            "type1learn400": lambda: type_one(reps_learn=400, which=("learn",)),
            "minmax_large_steps": lambda: minmax(rates=(0.3, 1.0)),
            "power": power, "minmax": minmax}
    for part in parts:
        runs[part]()
