"""Time to accuracy: SpreadICA (default settings) vs scikit-learn FastICA and
python-picard (PCA to Z dims inside picard), on deterministic Laplace data
with A_ij = +-1; plus the classical-EM stall and the SQUAREM E-step savings.

Run:  python benchmarks/bench_accuracy.py [--quick]
Wall times include no Numba compilation (a warm-up fit runs first).
"""
import sys
import time
import warnings

import numpy as np

from _machine import print_machine
from spreadlab.ica import ConvergenceWarning, SpreadICA, amari_distance, make_ica_data, pca_start


def fit_spread(X, Z, seed, **kw):
    t = time.perf_counter()
    est = SpreadICA(Z, random_state=seed, **kw).fit(X)
    return est.mixing_, time.perf_counter() - t, f"{est.n_iter_} it / {est.n_estep_} E-steps"


def fit_fastica(X, Z, seed):
    from sklearn.decomposition import FastICA

    t = time.perf_counter()
    ica = FastICA(n_components=Z, whiten="unit-variance", max_iter=1000, random_state=seed).fit(X)
    return ica.mixing_, time.perf_counter() - t, f"{ica.n_iter_} it"


def fit_picard(X, Z, seed):
    from picard import picard

    t = time.perf_counter()
    K, W, _, n_iter = picard(X.T, n_components=Z, ortho=False, random_state=seed,
                             return_n_iter=True, max_iter=1000)
    return np.linalg.pinv(W @ K), time.perf_counter() - t, f"{n_iter} it"


def time_to_accuracy(label, N, Xd, Z, seeds):
    rows = []
    for seed in seeds:
        X, A, _ = make_ica_data(N, Xd, Z, random_state=seed)
        for name, fn in (("SpreadICA (defaults)", lambda: fit_spread(X, Z, seed)),
                         ("FastICA", lambda: fit_fastica(X, Z, seed)),
                         ("picard", lambda: fit_picard(X, Z, seed))):
            with warnings.catch_warnings(record=True) as w:
                warnings.simplefilter("always")
                A_est, secs, iters = fn()
            conv = "" if not any(issubclass(x.category, ConvergenceWarning) or
                                 "converge" in str(x.message) for x in w) else " (not converged)"
            rows.append((name, seed, amari_distance(A_est, A), secs, iters + conv))
    print(f"\n### {label}: N={N}, X={Xd}, Z={Z}, seeds {list(seeds)}\n")
    print("| method | seed | Amari | wall (s) | iterations |\n|---|---|---|---|---|")
    for r in rows:
        print(f"| {r[0]} | {r[1]} | {r[2]:.4f} | {r[3]:.3f} | {r[4]} |")
    print("\n| method | median Amari | median wall (s) | max wall (s) |\n|---|---|---|---|")
    for name in dict.fromkeys(r[0] for r in rows):
        a = [r[2] for r in rows if r[0] == name]
        s = [r[3] for r in rows if r[0] == name]
        print(f"| {name} | {np.median(a):.4f} | {np.median(s):.3f} | {np.max(s):.3f} |")
    sys.stdout.flush()


def stall(N=10000, Xd=8, Z=4, seeds=(0, 1, 2)):
    print(f"\n### Classical EM (gamma=1e-3) vs spread EM on deterministic data, N={N}, X={Xd}, Z={Z}\n")
    print("Same start (PCA + random rotation). Classical EM: plain EM, 200 iterations. "
          "Spread EM: defaults (SQUAREM, spread schedule).\n")
    print("| seed | Amari at start | classical EM after 200 it | relative improvement | "
          "spread EM | spread EM E-steps |\n|---|---|---|---|---|---|")
    for seed in seeds:
        X, A, _ = make_ica_data(N, Xd, Z, random_state=seed)
        start = pca_start(X, Z, random_state=seed)
        d0 = amari_distance(start, A)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            std = SpreadICA(Z, spread=0.0, noise=1e-3, init=start, accelerate=None, max_iter=200,
                            tol=0.0, random_state=seed).fit(X)
        spr = SpreadICA(Z, init=start, random_state=seed).fit(X)
        d1, d2 = amari_distance(std.mixing_, A), amari_distance(spr.mixing_, A)
        print(f"| {seed} | {d0:.4f} | {d1:.4f} | {100 * (d0 - d1) / d0:.4f}% | {d2:.4f} | {spr.n_estep_} |")
    sys.stdout.flush()


def acceleration(N=10000, Xd=8, Z=4, seeds=(0, 1, 2), target=0.02, budget=1500):
    print(f"\n### E-steps to reach Amari <= {target} with and without SQUAREM "
          f"(N={N}, X={Xd}, Z={Z}, fixed spread='auto', anneal=0)\n")
    print("Fixed spread so that both runs climb the same objective; a callback stops each run "
          f"when Amari <= {target} (at this spread the optimum is ~0.015).\n")
    print("| seed | spread | plain EM: E-steps, s | SQUAREM: E-steps, s | ratio |\n|---|---|---|---|---|")
    for seed in seeds:
        X, A, _ = make_ica_data(N, Xd, Z, random_state=seed)
        cells, counts = [], []
        for acc in (None, "squarem"):
            hit = {}

            def cb(est, it, obj):
                if amari_distance(est.mixing_, A) <= target:
                    hit["esteps"] = est.n_estep_
                    return True
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                t = time.perf_counter()
                est = SpreadICA(Z, accelerate=acc, anneal=0, max_iter=budget, tol=0.0,
                                random_state=seed, callback=cb).fit(X)
                secs = time.perf_counter() - t
            n = hit.get("esteps")
            counts.append(n)
            cells.append(f"{n}, {secs:.1f}" if n else f"not reached in {est.n_estep_}, {secs:.1f}")
        ratio = f"{counts[0] / counts[1]:.1f}x" if all(counts) else "-"
        print(f"| {seed} | {est.spread_:.2f} | {cells[0]} | {cells[1]} | {ratio} |")
    sys.stdout.flush()


def main():
    quick = "--quick" in sys.argv
    print_machine()
    X, _, _ = make_ica_data(2000, 8, 4, random_state=0)
    SpreadICA(4, random_state=0).fit(X)                                   # compile (exact)
    SpreadICA(4, estep="importance", max_iter=2, tol=1.0, random_state=0).fit(X)  # compile (IS)
    time_to_accuracy("Lecture size", 10000, 8, 4, range(5))
    time_to_accuracy("Paper size", 20000, 20, 10, range(1 if quick else 3))
    stall()
    if not quick:
        acceleration()


if __name__ == "__main__":
    main()
