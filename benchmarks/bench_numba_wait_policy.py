"""Does spreadlab._numba's wait policy still reach the OpenMP runtime, now that it is no longer
left in os.environ?  Idle-thread wait policy of Numba's OpenMP layer, measured on a fit.

Each seed fits the same small importance-sampling SpreadICA (one parallel Numba region per
E-step, NumPy work between them) in two fresh interpreters, in alternating order:

* ``spreadlab``: the package as shipped -- the thread pool starts with OMP_WAIT_POLICY=PASSIVE
  visible to the OpenMP loader only, and os.environ restored;
* ``omp default``: Numba's thread pool started before spreadlab is imported, so GNU OpenMP
  keeps its default (idle threads spin for a while before sleeping).

Reports the fit's wall time per seed and the ratio default/spreadlab (median and range over
seeds, fixed before looking: 20).  The difference shows only when the cores are shared
(another process busy): run it as it is run here, with the load printed.

    python benchmarks/bench_numba_wait_policy.py [n_seeds]
"""
import os
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _machine import print_machine  # noqa: E402

FIT = """
import time, warnings, os
{pre}
from spreadlab.ica import SpreadICA, make_ica_data
X, A, _ = make_ica_data(4000, 6, 3, noise=0.1, random_state={seed})
kw = dict(noise=0.1, estep="importance", n_draws=100, max_iter=30, anneal=0, random_state={seed})
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    SpreadICA(3, **{{**kw, "max_iter": 1}}).fit(X)   # compile / load the kernels first
    t = time.perf_counter()
    SpreadICA(3, **kw).fit(X)
print(time.perf_counter() - t, "OMP_WAIT_POLICY" in os.environ)
"""
PRE = {"spreadlab": "",
       "omp default": "from numba.np.ufunc import parallel; parallel._launch_threads()"}


def run(mode, seed):
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    out = subprocess.run([sys.executable, "-c", FIT.format(pre=PRE[mode], seed=seed)],
                         capture_output=True, text=True, env=env, timeout=600)
    if out.returncode:
        raise RuntimeError(out.stderr)
    seconds, leaked = out.stdout.split()
    assert leaked == "False", "os.environ was changed"
    return float(seconds)


def main(n_seeds=20):
    print_machine()
    print("| seed | spreadlab s | omp default s | ratio default/spreadlab |\n|---|---|---|---|")
    ratios = []
    for seed in range(n_seeds):
        order = ["spreadlab", "omp default"] if seed % 2 == 0 else ["omp default", "spreadlab"]
        t = {mode: run(mode, seed) for mode in order}
        ratios.append(t["omp default"] / t["spreadlab"])
        print(f"| {seed} | {t['spreadlab']:.3f} | {t['omp default']:.3f} | {ratios[-1]:.2f} |",
              flush=True)
    print(f"\nratio default/spreadlab: median {statistics.median(ratios):.2f}, "
          f"range {min(ratios):.2f}-{max(ratios):.2f} over {n_seeds} seeds; "
          f"load average at the end {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
