"""Coverage of method="mc" error bars over random pairs of laws, nearly disjoint ones included.

For each case (family, divergence with a closed form, distance log-uniform in 0.01..40 scales;
see spreadlab/_mc_coverage.py) the Monte Carlo estimate is compared with the closed form:
covered when the truth lies within 5 reported errors (or both are inf). Also counts how often
the trust checks warned and how often they reported an infinite error (heavy-tailed terms).

Usage: python benchmarks/bench_mc_coverage.py [n_cases] [n_samples ...]
"""

import sys
import time
import warnings

from _machine import print_machine
from spreadlab._mc_coverage import coverage


def main():
    n_cases = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    sizes = [int(a) for a in sys.argv[2:]] or [2000, 20000]
    print_machine()
    warnings.simplefilter("ignore")
    for n in sizes:
        start = time.perf_counter()
        r = coverage(n_cases, n, seed=12345)
        print(f"n_samples={n}: covered {r['covered']}/{r['n']} ({r['covered'] / r['n']:.2%}), "
              f"missed {len(r['missed'])}, warned {r['warned']}, error reported inf {r['inf_error']} "
              f"[{time.perf_counter() - start:.1f} s]")
        for m in r["missed"][:10]:
            print("   missed:", m)


if __name__ == "__main__":
    main()
