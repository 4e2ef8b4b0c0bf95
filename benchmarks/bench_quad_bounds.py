"""Do quadrature's error estimates bound the true error? The extended closed-form oracle sweep.

For every registered closed form between two laws of one family (Gaussian, Laplace, Cauchy,
Logistic, hyperbolic secant; 34 (family, f) pairs), draw extreme but legal pairs -- widths
1e-10 ... 1e10, gaps up to 1e12 widths (15% equal locations), scale ratios within 2x where the
closed form allows them, Rényi orders 0.3, 0.7, 1.5, 2 -- and compare
``divergence(p, q, f, "quad")`` with the closed form:

* finite exact value: a *violation* is |quad - exact| > abserr + 8 eps |exact| (the 8 eps
  |exact| is the closed form's own rounding); the *ratio* is |quad - exact| / (abserr +
  8 eps |exact|), so a bound that holds has ratio <= 1;
* infinite exact value: quad must return inf or raise ValueError; a finite number is a
  violation ("finite for inf");
* the median ratio (over cases with a nonzero error) says how tight the bounds are.

The draw generator is the one of ``tests/test_divergences_numerics.py`` (same seeds for the
first 8 draws of a pair), extended to ``--seeds`` draws per pair (default 60, fixed before
looking). Warnings (QuadratureTruncationWarning) are counted, not failures: the bound must
hold anyway.

Run: ``python benchmarks/bench_quad_bounds.py [--seeds 60]`` (Markdown table on stdout).
"""

import argparse
import pathlib
import sys
import time
import warnings

import numpy as np

from _machine import print_machine
from spreadlab import NoClosedFormError, QuadratureTruncationWarning, divergence

EPS = np.finfo(float).eps
# one draw generator for the test and this sweep: the test's (same seeds, more draws here)
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "tests"))
from test_divergences_numerics import _FAMILIES as FAMILIES  # noqa: E402
from test_divergences_numerics import _draws as draws  # noqa: E402


def run_pair(fam, f, n):
    row = {"cases": 0, "inf": 0, "violations": 0, "worst": 0.0, "warned": 0, "raised": 0,
           "time": 0.0, "examples": [], "ratios": []}
    for p, (q, q_eq), alpha in draws(fam, f, n):
        try:
            exact = float(divergence(p, q, f, alpha=alpha))
        except NoClosedFormError:
            q = q_eq
            exact = float(divergence(p, q, f, alpha=alpha))
        row["cases"] += 1
        t0 = time.perf_counter()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", QuadratureTruncationWarning)
            try:
                est = divergence(p, q, f, "quad", alpha=alpha)
            except ValueError as exc:
                est = exc
        row["time"] += time.perf_counter() - t0
        row["warned"] += any(issubclass(w.category, QuadratureTruncationWarning) for w in caught)
        if isinstance(est, ValueError):
            row["raised"] += 1
            if not np.isinf(exact):
                row["violations"] += 1  # a raise where a finite answer exists is not a bound
                row["examples"].append((p, q, alpha, exact, f"raised {est}"[:90]))
            continue
        if np.isinf(exact):
            row["inf"] += 1
            if not np.isinf(float(est)):
                row["violations"] += 1
                row["worst"] = np.inf
                row["examples"].append((p, q, alpha, exact, f"finite {float(est):.6g}"))
            continue
        allowed = est.error + 8 * EPS * abs(exact)
        gap = abs(float(est) - exact)
        ratio = gap / allowed if allowed > 0 else (0.0 if gap == 0 else np.inf)
        row["worst"] = max(row["worst"], ratio)
        if gap > 0:
            row["ratios"].append(ratio)
        if ratio > 1:
            row["violations"] += 1
            row["examples"].append((p, q, alpha, exact, f"{float(est)!r} +- {est.error:.3g} (ratio {ratio:.3g})"))
    return row


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=60, help="draws per (family, f) pair")
    args = parser.parse_args()
    print_machine()
    print(f"{args.seeds} draws per (family, f) pair\n")
    print("| family | f | cases | exact inf | raised | warned | violations | worst ratio | median ratio | time (s) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    total = {"cases": 0, "violations": 0, "worst": 0.0, "time": 0.0, "inf": 0, "raised": 0, "warned": 0}
    examples, ratios = [], []
    for fam, (_, _, fs) in FAMILIES.items():
        for f in fs:
            row = run_pair(fam, f, args.seeds)
            median = float(np.median(row["ratios"])) if row["ratios"] else 0.0
            print(f"| {fam} | {f} | {row['cases']} | {row['inf']} | {row['raised']} | {row['warned']} | "
                  f"{row['violations']} | {row['worst']:.3g} | {median:.2g} | {row['time']:.2f} |", flush=True)
            ratios += row["ratios"]
            for key in ("cases", "violations", "time", "inf", "raised", "warned"):
                total[key] += row[key]
            total["worst"] = max(total["worst"], row["worst"])
            examples += [(fam, f) + e for e in row["examples"]]
    print(f"| **all** | | {total['cases']} | {total['inf']} | {total['raised']} | {total['warned']} | "
          f"{total['violations']} | {total['worst']:.3g} | {float(np.median(ratios)):.2g} | {total['time']:.1f} |")
    if examples:
        print("\nViolations:\n")
        for fam, f, p, q, alpha, exact, what in examples:
            print(f"- {fam} {f} alpha={alpha}: {p!r} vs {q!r}: exact {exact!r}, quad {what}")


if __name__ == "__main__":
    main()
