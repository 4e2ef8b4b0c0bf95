"""Fig. 1 of the spread-divergence paper at the paper's settings, with the noisy-ML finish.

``spreadlab reproduce ica --full`` fits five methods per point (classical EM, spread EM,
``SpreadICA()`` = spread EM + ML finish, ``SpreadICA(finish="noisy_ml", noise=gamma)`` =
spread EM + noisy ML finish, FastICA).  On a loaded machine the two EMs of the paper
(classical EM alone was 71% of the last full run's CPU time) do not fit in a session, so
``--methods ml`` runs the subset that issue 23 is about: the two ML finishes and FastICA,
on the same data, seeds and starts as the full run.  ``--methods all`` is the full run.

Per-point files go to ``--out`` (resume: rerun with the same folder), with the tables, the
timing per method (CPU seconds of single-threaded workers: their sum over two is the
wall time on two free cores) and the figures.  Paired per run, the error of the noisy
finish divided by each other method's is printed per point (mean ± s.e., runs won).

Run:  python benchmarks/bench_ica_fig1.py --out DIR [--methods ml|all] [--jobs 2] [--runs-1b N]
"""
import argparse
import math
import os
import time

import numpy as np

from _machine import print_machine

NOISY = "spread EM + noisy ML finish"
SUBSETS = {"ml": ("spread EM + ML finish", NOISY, "FastICA"), "all": None}


def paired(rows, key):
    """Per point: the noisy finish's error over each other method's, paired by run."""
    lines = [f"| {key} | other method | runs | mean ratio ± s.e. | noisy finish lower |",
             "|---|---|---|---|---|"]
    for v in sorted({r[key] for r in rows}):
        at = [r for r in rows if r[key] == v]
        ours = {r["run"]: r["mixing_error"] for r in at if r["method"] == NOISY}
        for m in dict.fromkeys(r["method"] for r in at):
            if m == NOISY:
                continue
            q = np.array([ours[r["run"]] / r["mixing_error"] for r in at
                          if r["method"] == m and r["run"] in ours])
            se = q.std(ddof=1) / math.sqrt(q.size) if q.size > 1 else float("nan")
            lines.append(f"| {v:g} | {m} | {q.size} | {q.mean():.3f} ± {se:.3f} | "
                         f"{int(np.sum(q < 1))}/{q.size} |")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True, help="output folder (per-point files, tables)")
    ap.add_argument("--methods", default="ml", choices=list(SUBSETS))
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--runs-1b", type=int, default=None,
                    help="Fig. 1b runs (default: the paper's 50); runs go in order, so a "
                         "smaller number reports the first runs of an interrupted run")
    args = ap.parse_args()
    from spreadlab.experiments import reproduce_ica

    print_machine()
    methods = SUBSETS[args.methods]
    config = {"fig1a": {}, "fig1b": {}}
    if methods is not None:
        config = {"fig1a": {"methods": methods}, "fig1b": {"methods": methods}}
    if args.runs_1b is not None:
        config["fig1b"]["n_runs"] = args.runs_1b
    t0 = time.perf_counter()
    res = reproduce_ica(args.out, full=True, progress=False, n_jobs=args.jobs, config=config)
    print(f"methods: {args.methods}; wall {time.perf_counter() - t0:.0f} s (points already in "
          f"{args.out} are read, not refitted); load average at the end "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}\n")
    for name, key in (("fig1a", "gamma"), ("fig1b", "n_samples")):
        print(res.table(name), "\n")
        print(paired(getattr(res, name), key), "\n")
    print(res.timing())


if __name__ == "__main__":
    main()
