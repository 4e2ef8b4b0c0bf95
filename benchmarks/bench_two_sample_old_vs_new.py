"""Last session's two_sample_test (commit 0711514) against this one, paired in one run (issue 23).

Run from the repository root of a git checkout: ``python benchmarks/bench_two_sample_old_vs_new.py [reps]``.
The old ``spreadlab/two_sample.py`` is read with ``git show`` into a temporary module that uses
the installed package for everything else (its Numba Gram kernels are still there). Same data
(seed 0), same permutations (seed 1), n = m = 10^4, d = 5, 1000 permutations; the order of the
two implementations alternates per repetition; the ratio to the symmetric bound uses
``bench_two_sample._gemm_rate`` measured just before each run. Prints a Markdown table.
"""
import importlib.util
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, "benchmarks")
from _machine import print_machine  # noqa: E402
from bench_two_sample import _gemm_rate  # noqa: E402

from spreadlab import Gaussian, two_sample_test  # noqa: E402

OLD_COMMIT = "0711514"


def load_old():
    src = subprocess.run(["git", "show", f"{OLD_COMMIT}:spreadlab/two_sample.py"], capture_output=True,
                         text=True, check=True).stdout
    for a, b in (("from ._validation", "from spreadlab._validation"),
                 ("from . import _two_sample_kernels", "from spreadlab import _two_sample_kernels"),
                 ("from .distributions", "from spreadlab.distributions"),
                 ("from ._kernel_hooks", "from spreadlab._kernel_hooks"),
                 ("from .learned_spread", "from spreadlab.learned_spread")):
        src = src.replace(a, b)
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
        f.write(src)
    spec = importlib.util.spec_from_file_location("old_two_sample", f.name)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    os.unlink(f.name)
    return module


def main(reps=4, n=10_000, d=5, perms=1000):
    old = load_old()
    print("# two_sample_test: last session's against this one\n")
    print_machine()
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(n, d)), rng.normal(size=(n, d))
    kernel = Gaussian(np.zeros(d), 2.5 * np.eye(d))
    for f in (old.two_sample_test, two_sample_test):  # compile / load the kernels
        f(x[:60], y[:60], kernel, n_permutations=5, rng=0)
    flops = float(2 * n) ** 2 * (perms + 1)
    print("| rep | impl | rate GF/s wall / CPU | wall s | CPU s | ratio wall | ratio CPU | p | load |")
    print("|---|---|---|---|---|---|---|---|---|")
    res = {"old": [], "new": []}
    for rep in range(reps):
        order = [("old", old.two_sample_test, 2048), ("new", two_sample_test, 1024)]
        if rep % 2:
            order.reverse()
        for name, f, block in order:
            rw, rc = _gemm_rate(2048, perms + 1)
            w, c = time.perf_counter(), time.process_time()
            r = f(x, y, kernel, n_permutations=perms, rng=1, block_size=block)
            w, c = time.perf_counter() - w, time.process_time() - c
            res[name].append((w, c, w * rw / flops, c * rc / flops))
            print(f"| {rep} | {name} | {rw / 1e9:.1f} / {rc / 1e9:.1f} | {w:.1f} | {c:.1f} | {w * rw / flops:.2f} | "
                  f"{c * rc / flops:.2f} | {r.p_value:.3f} | {os.getloadavg()[0]:.1f} |", flush=True)
    o, nw = np.array(res["old"]), np.array(res["new"])
    print(f"\nmedian new/old time ratio: wall {np.median(nw[:, 0] / o[:, 0]):.2f}, CPU {np.median(nw[:, 1] / o[:, 1]):.2f}; "
          f"median ratio to the bound: old {np.median(o[:, 2]):.2f} wall / {np.median(o[:, 3]):.2f} CPU, "
          f"new {np.median(nw[:, 2]):.2f} wall / {np.median(nw[:, 3]):.2f} CPU")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:2]))
