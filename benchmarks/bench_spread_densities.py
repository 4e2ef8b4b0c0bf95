"""Closed-form spread densities against the numeric convolution: time and agreement of the spread KL.

For each family (Laplace, Cauchy, Uniform spread by a Gaussian) and each of ``--seeds``
parameter sets drawn with a fixed seed (locations in (-2, 2), scales and the kernel's standard
deviation log-uniform in (0.2, 5)), the spread KL is computed by adaptive quadrature twice in
the same run: on the closed-form densities (what ``spread`` now returns) and on the numeric
``Convolution`` (what it returned before). The table gives the median time of each route, the
median and range of the paired time ratio, and the largest difference between the two values
relative to their combined error bounds. Then the CLI example
``spreadlab kl "Laplace(0,1)" "Laplace(1,1)" --kernel "Gaussian(0,0.5)"`` is timed in fresh
processes (imports included).

Run from the repository root: ``python benchmarks/bench_spread_densities.py [--seeds 20]``.
Nothing is asserted.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from _machine import print_machine  # noqa: E402

from spreadlab import Cauchy, Convolution, Gaussian, Laplace, Uniform, divergence, spread  # noqa: E402

FAMILIES = {"Laplace": Laplace, "Cauchy": Cauchy, "Uniform": Uniform}


def draw(rng, family):
    loc_p, loc_q = rng.uniform(-2, 2, size=2)
    scale_p, scale_q, s = np.exp(rng.uniform(np.log(0.2), np.log(5.0), size=3))
    cls = FAMILIES[family]
    return cls(loc_p, scale_p), cls(loc_q, scale_q), Gaussian(0.0, s * s)


def timed(fn):
    t = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - t


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--cli-repeats", type=int, default=3)
    args = parser.parse_args(argv)
    print_machine()
    print("| family | sets | closed form, median (s) | numeric, median (s) | numeric / closed, median [min, max] "
          "| max abs(diff) / (err_closed + err_numeric) |\n|---|---|---|---|---|---|")
    for family in FAMILIES:
        rng = np.random.default_rng(2026)  # fixed before looking
        t_closed, t_numeric, ratios, worst = [], [], [], 0.0
        for _ in range(args.seeds):
            p, q, k = draw(rng, family)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # a truncation warning travels with the error bound
                a, ta = timed(lambda: divergence(spread(p, k), spread(q, k), "kl", "quad"))
                b, tb = timed(lambda: divergence(Convolution(p, k), Convolution(q, k), "kl", "quad"))
            t_closed.append(ta)
            t_numeric.append(tb)
            ratios.append(tb / ta)
            if np.isfinite(float(a)) and np.isfinite(float(b)):
                worst = max(worst, abs(float(a) - float(b)) / (a.error + b.error + 1e-300))
        print(f"| {family} | {args.seeds} | {statistics.median(t_closed):.3f} | {statistics.median(t_numeric):.2f} | "
              f"{statistics.median(ratios):.0f} [{min(ratios):.0f}, {max(ratios):.0f}] | {worst:.2f} |")
    cmd = [sys.executable, "-m", "spreadlab.cli", "kl", "Laplace(0,1)", "Laplace(1,1)", "--kernel", "Gaussian(0,0.5)"]
    times = []
    for _ in range(args.cli_repeats):
        t = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        times.append(time.perf_counter() - t)
    print(f"\nCLI example (fresh process, imports included): best {min(times):.2f} s, median "
          f"{statistics.median(times):.2f} s over {len(times)} runs; load average now {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
