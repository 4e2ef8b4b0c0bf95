"""Memory of ``spreadlab kl`` against ``--samples``: the measurement behind ``cli.MAX_SAMPLES``.

Each row runs the real console entry point in a fresh Python process and reads the child's
peak resident memory (``ru_maxrss``). The baseline row (``--samples 2``) is the cost of the
imports and the closed-form and quadrature rows; the slope over the larger runs is the
Monte Carlo check's memory per sample and dimension. The CLI refuses
``samples x dimension > MAX_SAMPLES``, so the largest accepted run costs about
``baseline + slope x MAX_SAMPLES``.

Also timed: how long a refused command takes (the user waits only for the imports).

Run from the repository root: ``python benchmarks/bench_cli.py`` (about a minute).
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from _machine import print_machine  # noqa: E402

from spreadlab.cli import MAX_SAMPLES  # noqa: E402

CASES = [  # (label, p, q, kernel, dimension)
    ("1-D", "Delta(0)", "Delta(1)", "Gaussian(0, 1)", 1),
    ("2-D", "Gaussian([0, 0], 1)", "Gaussian([1, 0], 1)", "Gaussian([0, 0], 1)", 2),
]
SIZES = [2, 250_000, 1_000_000, 2_000_000]  # chosen before looking; all far below the budget
REPEATS = 2  # peak memory hardly varies; the time is the best of the repeats


def run_child(argv):
    """Peak RSS (MB) and wall time (s) of ``spreadlab <argv>`` in a fresh process."""
    code = "import sys\nfrom spreadlab.cli import main\nsys.exit(main(sys.argv[1:]))"
    t0 = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # child: exec a fresh interpreter so ru_maxrss is its own
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 1)
            os.dup2(null.fileno(), 2)
        os.execv(sys.executable, [sys.executable, "-c", code, *argv])
    _, status, usage = os.wait4(pid, 0)
    seconds = time.perf_counter() - t0
    return usage.ru_maxrss / 1024.0, seconds, os.waitstatus_to_exitcode(status)


def main():
    print_machine()
    print(f"MAX_SAMPLES (samples x dimension) = {MAX_SAMPLES:,}\n")
    print("| case | --samples | exit | peak RSS (MB) | wall (s) |\n|---|---|---|---|---|")
    slopes = {}
    for label, p, q, kernel, dim in CASES:
        rows = []
        for n in SIZES:
            best = None
            for _ in range(REPEATS):
                rss, sec, code = run_child(["kl", p, q, "--kernel", kernel, "--samples", str(n)])
                best = (rss, sec, code) if best is None else (max(best[0], rss), min(best[1], sec), code)
            rows.append((n, *best))
            print(f"| {label} | {n:,} | {best[2]} | {best[0]:.0f} | {best[1]:.2f} |")
        (n0, r0, _, _), (n1, r1, _, _) = rows[1], rows[-1]
        slopes[label] = ((r1 - r0) / (n1 - n0), rows[0][1], dim)
    print("\n| case | MB per sample | MB per sample and dimension | baseline (MB) | "
          "projected peak at the budget (MB) |\n|---|---|---|---|---|")
    for label, (slope, base, dim) in slopes.items():
        print(f"| {label} | {slope * 1e6:.1f} per 1e6 | {slope / dim * 1e6:.1f} per 1e6 | {base:.0f} | "
              f"{base + slope * MAX_SAMPLES / dim:.0f} |")

    print("\nTime to refuse (no computation; imports only), best of 3:\n")
    print("| command | exit | wall (s) |\n|---|---|---|")
    for argv in (["kl", "Delta(0)", "Delta(1)", "--samples", "100000000000"],
                 ["kl", "Delta(0)", "Delta(1)", "--f", "kll"],
                 ["kl", "Gaussian(" + "-" * 100_000 + "1, 1)", "Delta(0)"],
                 ["--version"]):
        runs = [run_child(argv) for _ in range(3)]
        shown = " ".join(argv)
        shown = shown if len(shown) < 60 else shown[:40] + f"... ({len(shown):,} chars)"
        print(f"| `spreadlab {shown}` | {runs[0][2]} | {min(r[1] for r in runs):.2f} |")


if __name__ == "__main__":
    main()
