"""The grid-EM part of the sigma sweep (issue 20): what does spreading both sides buy?

SpreadGenerator at a fixed spread sigma (from large to small; no annealing, no grid floor, so
the spread is exactly sigma) x {both-sided: data and model spread, one-sided: noise on the
model only, ``spread_data=False``} x {the curve x = (z, sin 2z), the saddle sheet}, 5 seeds
fixed before looking, paired per seed (same data, same held-out points, same sample seeds).

Metrics that no encoder or likelihood estimate can confound:
- precision: mean distance of 1000 model samples g(z) to the *true* manifold / data scale;
- coverage: mean distance of 1000 held-out points to the nearest of 2000 model samples / scale;
- MMD: spreadlab.two_sample_test (Gaussian kernel by the median heuristic, 500 permutations)
  of 500 model samples against 500 held-out points: the statistic and its p-value.

One JSON file per point in benchmarks/results/generator_sigma_sweep/ (a rerun resumes; delete
the folder to start again). Nothing is asserted; the table goes to docs/generator_sigma_sweep.md
and benchmarks/README.md.

Run:  python benchmarks/bench_generator_sigma_sweep.py [--quick]
"""
import json
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from _machine import machine_info, print_machine
from spreadlab import SpreadGenerator, two_sample_test
from spreadlab.generator import (curve_function, distance_to_manifold, make_curve, make_sheet,
                                 nearest_sample_distance, sheet_function)

QUICK = "--quick" in sys.argv
SEEDS = list(range(2 if QUICK else 5))
SIGMAS = (0.6, 0.3, 0.1, 0.03)
OUT = Path(__file__).resolve().parent / "results" / "generator_sigma_sweep"
DATA = {
    # name: (maker, true generator, Z, training size, grid nodes per axis)
    "curve": (make_curve, curve_function, 1, 1000, 200),
    "saddle": (make_sheet, sheet_function, 2, 600, 40),
}
SIDES = {"both": True, "one": False}


def run_point(data, sigma, side, seed):
    path = OUT / f"{data}_s{sigma}_{side}_seed{seed}.json"
    if path.exists():
        return json.loads(path.read_text())
    maker, g_true, Zd, n_train, n_grid = DATA[data]
    X, _ = maker(n_train, random_state=seed)
    Xt, _ = maker(1000, random_state=1000 + seed)
    scale = float(np.sqrt(np.mean(np.var(Xt, axis=0))))
    gen = SpreadGenerator(Zd, n_grid=n_grid, spread=sigma, spread_start=sigma, anneal_iter=0,
                          grid_floor=False, spread_data=SIDES[side], max_iter=600,
                          random_state=seed)
    t = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        gen.fit(X)
    wall = time.perf_counter() - t
    S, _ = gen.sample(2000, random_state=seed)
    prec = distance_to_manifold(S[:1000], g_true, Zd) / scale
    cov = nearest_sample_distance(Xt, S) / scale
    res = two_sample_test(S[:500], Xt[:500], n_permutations=500, rng=seed)
    row = dict(data=data, sigma=sigma, side=side, seed=seed, precision=float(prec.mean()),
               coverage=float(cov.mean()), mmd2=float(res.statistic), mmd_p=float(res.p_value),
               converged=bool(gen.converged_), n_iter=int(gen.n_iter_),
               spread_floor=float(gen.spread_floor_), fit_seconds=wall,
               warning=str(caught[0].message)[:120] if caught else "")
    OUT.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(row))
    os.replace(tmp, path)   # only complete files
    return row


def se(x):
    return float(np.std(x, ddof=1) / np.sqrt(len(x))) if len(x) > 1 else float("nan")


def main():
    print_machine()
    t0 = time.perf_counter()
    rows = [run_point(d, s, side, seed) for d in DATA for s in SIGMAS for seed in SEEDS
            for side in SIDES]
    print(f"\n## Grid EM sigma sweep: both-sided vs one-sided ({len(SEEDS)} seeds, paired; "
          f"mean ± standard error over seeds; distances / data scale)\n")
    print("| data | sigma | precision both | precision one | coverage both | coverage one "
          "| one - both precision (paired) | MMD p < 0.05 both / one | converged both / one "
          "| fit s both / one |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for d in DATA:
        for s in SIGMAS:
            b = sorted((r for r in rows if r["data"] == d and r["sigma"] == s and r["side"] == "both"),
                       key=lambda r: r["seed"])
            o = sorted((r for r in rows if r["data"] == d and r["sigma"] == s and r["side"] == "one"),
                       key=lambda r: r["seed"])
            pb, po = np.array([r["precision"] for r in b]), np.array([r["precision"] for r in o])
            cb, co = np.array([r["coverage"] for r in b]), np.array([r["coverage"] for r in o])
            diff = po - pb
            print(f"| {d} | {s} | {100 * pb.mean():.2f} ± {100 * se(pb):.2f}% "
                  f"| {100 * po.mean():.2f} ± {100 * se(po):.2f}% "
                  f"| {100 * cb.mean():.2f} ± {100 * se(cb):.2f}% "
                  f"| {100 * co.mean():.2f} ± {100 * se(co):.2f}% "
                  f"| {100 * diff.mean():+.2f} ± {100 * se(diff):.2f} ({int(np.sum(diff > 0))}/{len(diff)} one worse) "
                  f"| {sum(r['mmd_p'] < 0.05 for r in b)}/{len(b)} / {sum(r['mmd_p'] < 0.05 for r in o)}/{len(o)} "
                  f"| {sum(r['converged'] for r in b)}/{len(b)} / {sum(r['converged'] for r in o)}/{len(o)} "
                  f"| {np.median([r['fit_seconds'] for r in b]):.1f} / {np.median([r['fit_seconds'] for r in o]):.1f} |")
    floors = {d: np.median([r["spread_floor"] for r in rows if r["data"] == d]) for d in DATA}
    print("\nmedian grid floor (sigma the grid resolves): "
          + ", ".join(f"{d} {f:.3f}" for d, f in floors.items()))
    print(f"machine: {machine_info()['cpu']}, load at start {machine_info()['loadavg_at_start']}")
    print(f"total wall time {time.perf_counter() - t0:.0f} s (resumed points cost nothing)")


if __name__ == "__main__":
    main()
