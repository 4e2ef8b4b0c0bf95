"""E-step throughput: Numba kernels vs the plain NumPy reference (same data,
same draws, same run), and achieved GFLOP/s vs NumPy's matmul GFLOP/s.

Run:  python benchmarks/bench_estep.py
FLOP counts are nominal counts of the operations in the Numba kernels
(one multiply or add = 1 flop, exp/log/abs/divide = 1 each); the NumPy
reference does more arithmetic for the same result (it forms L eps per
draw and the weighted outer products), so its "GFLOP/s" is not shown.
Times are the best of several repeats: the machine is shared, so medians
mostly measure the other tenants.
"""
import time

import numpy as np

from _machine import print_machine
from spreadlab.ica import GaussianMixturePrior, LaplacePrior, make_ica_data
from spreadlab.ica import _estep as E


def best_time(f, repeat=5, number=1):
    f()  # warm-up (compilation, caches)
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        for _ in range(number):
            f()
        times.append((time.perf_counter() - t) / number)
    return min(times), float(np.median(times))


def matmul_gflops(n=2000):
    a = np.random.default_rng(0).standard_normal((n, n))
    b = np.random.default_rng(1).standard_normal((n, n))
    t, _ = best_time(lambda: a @ b, repeat=10)
    return 2 * n**3 / t / 1e9


def flops_exact(N, Z, C):
    Q = Z * (Z + 1) // 2
    return N * C * (4 * Q + 6 * Z + 2 * Z * Z + 7)


def flops_importance(N, Z, J, P):
    return N * J * (7 * Z + 6) + 4 * Z * Z * (P + J)


def main():
    import numba

    info = print_machine()
    mm = matmul_gflops()
    print(f"NumPy matmul (2000x2000 float64): {mm:.1f} GFLOP/s\n")
    cases = []
    for label, N, Xd, Z, kind in [("lecture, exact (GSM, C=81)", 10000, 8, 4, "exact"),
                                  ("lecture, importance J=100", 10000, 8, 4, "importance"),
                                  ("paper, importance J=100", 20000, 20, 10, "importance")]:
        X, A, _ = make_ica_data(N, Xd, Z, random_state=0)
        rng = np.random.default_rng(0)
        Y = X + rng.standard_normal(X.shape)
        gf = E.gaussian_factor(Y, A, 1.0)
        J, P = 100, 8192
        ext = E.extend_pool(rng.standard_normal((Z, P)), J)
        off = rng.integers(0, P, size=N)
        if kind == "exact":
            prior = GaussianMixturePrior.laplace_gsm()
            fn = lambda: E.estep_exact_numba(gf, prior)  # noqa: E731
            fr = lambda: E.estep_exact_numpy(gf, prior)  # noqa: E731
            flops = flops_exact(N, Z, 3**Z)
        else:
            prior = LaplacePrior()
            fn = lambda: E.estep_importance_numba(gf, prior, ext, off, J)  # noqa: E731
            fr = lambda: E.estep_importance_numpy(gf, prior, ext, off, J)  # noqa: E731
            flops = flops_importance(N, Z, J, P)
        t_ref, _ = best_time(fr, repeat=3)
        row = {"case": label, "N": N, "Z": Z, "numpy_ms": 1e3 * t_ref}
        for nt in sorted({1, info["numba_threads"]}):
            numba.set_num_threads(nt)
            t, _ = best_time(fn, repeat=15)
            row[f"numba{nt}_ms"] = 1e3 * t
            row[f"gflops{nt}"] = flops / t / 1e9
        numba.set_num_threads(info["numba_threads"])
        cases.append(row)
    nts = sorted({1, info["numba_threads"]})
    head = "| case | NumPy ref (ms) | " + " | ".join(
        f"Numba {n} thr (ms) | speed-up {n} thr | GFLOP/s {n} thr | % of matmul" for n in nts) + " |"
    print(head)
    print("|" + "---|" * (2 + 4 * len(nts)))
    for r in cases:
        cells = [r["case"], f"{r['numpy_ms']:.1f}"]
        for n in nts:
            cells += [f"{r[f'numba{n}_ms']:.2f}", f"{r['numpy_ms'] / r[f'numba{n}_ms']:.1f}x",
                      f"{r[f'gflops{n}']:.2f}", f"{100 * r[f'gflops{n}'] / mm:.1f}%"]
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
