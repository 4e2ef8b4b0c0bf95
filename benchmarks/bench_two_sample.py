"""Spread two-sample test and learned spread: speed, calibration, power, min-max training.

Run from the repository root: ``python benchmarks/bench_two_sample.py`` (prints Markdown
tables; nothing is asserted). Seeds are fixed before looking: 0..R-1 for every table.

1. Time of ``two_sample_test`` at 10^4 x 10^4 samples (d = 2) with 1000 permutations
   (Numba backend, compiled before timing), and Numba vs the NumPy reference backend at
   2000 x 2000, same data and same permutations.
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


def timing():
    print("## 1. Time of two_sample_test\n")
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(200, 2)), rng.normal(size=(200, 2))
    two_sample_test(x, y, n_permutations=10, rng=0)  # compile the Numba kernels
    print("| case | backend | seconds |\n|---|---|---|")
    x, y = rng.normal(size=(2000, 2)), rng.normal(size=(2000, 2))
    for backend in ("numpy", "numba"):
        t = time.perf_counter()
        two_sample_test(x, y, n_permutations=1000, rng=1, backend=backend)
        print(f"| 2000 x 2000, d=2, 1000 permutations | {backend} | {time.perf_counter() - t:.2f} |")
    x, y = rng.normal(size=(10_000, 2)), rng.normal(size=(10_000, 2))
    t = time.perf_counter()
    res = two_sample_test(x, y, n_permutations=1000, rng=1)
    print(f"| 10^4 x 10^4, d=2, 1000 permutations | numba | {time.perf_counter() - t:.2f} |")
    print(f"\n(p-value of that run under p = q: {res.p_value:.3f} +- {res.p_value_se:.3f})\n")
    sys.stdout.flush()


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
    parts = sys.argv[1:] or ["timing", "type1", "power", "minmax"]
    runs = {"timing": timing, "type1": type_one, "type1learn": lambda: type_one(which=("learn",)),
            "type1learn400": lambda: type_one(reps_learn=400, which=("learn",)),
            "minmax_large_steps": lambda: minmax(rates=(0.3, 1.0)),
            "power": power, "minmax": minmax}
    for part in parts:
        runs[part]()
