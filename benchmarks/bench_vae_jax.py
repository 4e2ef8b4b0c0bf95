"""SpreadVAE: the NumPy hand-gradient MLP against the same MLP through JAX (float64, float32),
per epoch, at the digits size and at 784-D; a transposed-convolution decoder per epoch at 10^4
images; and XLA's thread count. Nothing is asserted; the tables go to docs/jax_generators.md.

Run:  python benchmarks/bench_vae_jax.py [--quick] [--only sizes,conv,threads]

* Per-epoch times exclude compilation: each model runs one warm-up epoch, then the epochs are
  timed one by one. Methods are interleaved per repetition (paired) and the table reports the
  median per-epoch time and the median of the per-repetition ratios to NumPy.
* Threads: XLA_FLAGS must be set before JAX starts, so each setting runs in a child process
  (this script with --child); the settings alternate, REPS times each.
Repetitions are fixed before looking: 20 (sizes), 5 (threads), 3 (conv); --quick: 3, 2, 1.
"""
import json
import os
import subprocess
import sys
import time
import warnings

import numpy as np
from sklearn.datasets import load_digits

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _jax_models import blob_images, conv_model  # noqa: E402
from _machine import print_machine  # noqa: E402
from spreadlab import SpreadVAE  # noqa: E402
from spreadlab.generator import mlp_decoder, mlp_encoder  # noqa: E402

QUICK = "--quick" in sys.argv
REPS = {"sizes": 3 if QUICK else 20, "threads": 2 if QUICK else 5, "conv": 1 if QUICK else 3}
ONE_THREAD = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
warnings.simplefilter("ignore")


def _model(est, X):
    """The fit's model object (the private back end, so that epochs can be timed one by one)."""
    return est._make_model(X, np.random.default_rng(0))[0]


def epoch_runner(est, X, seed=0):
    """A function running one training epoch (spread draw, minibatch steps, evaluation)."""
    model = _model(est, X)
    rng = np.random.default_rng(seed)
    N, Z = X.shape[0], est.n_latent
    eps_eval = rng.standard_normal((N, Z))

    def epoch():
        Y = X + est.spread * rng.standard_normal(X.shape)
        order = rng.permutation(N)
        for s in range(0, N, est.batch_size):
            idx = order[s:s + est.batch_size]
            model.step(Y[idx], rng.standard_normal((len(idx), Z)))
        model.evaluate(Y, eps_eval)
    epoch()  # warm-up: compilation of both batch shapes and the evaluation
    return epoch


def timed(f):
    t = time.perf_counter()
    f()
    return time.perf_counter() - t


def sizes():
    digits = load_digits().data / 16.0
    blobs = blob_images(2000, random_state=0)[0]
    cases = {"digits (N=1797, D=64, Z=8, H=64)": (digits, 8, 64),
             "784-D blobs (N=2000, D=784, Z=8, H=256)": (blobs, 8, 256)}
    rows = []
    for name, (X, Z, H) in cases.items():
        kw = dict(n_hidden=H, spread=0.1, batch_size=128, random_state=0)
        runners = {
            "NumPy": epoch_runner(SpreadVAE(Z, **kw), X),
            "JAX float64": epoch_runner(SpreadVAE(Z, decoder=mlp_decoder, encoder=mlp_encoder,
                                                  **kw), X),
            "JAX float32": epoch_runner(SpreadVAE(Z, decoder=mlp_decoder, encoder=mlp_encoder,
                                                  dtype="float32", **kw), X),
        }
        times = {k: [] for k in runners}
        for _ in range(REPS["sizes"]):
            for k, f in runners.items():  # interleaved: each repetition pairs the methods
                times[k].append(timed(f))
        base = np.array(times["NumPy"])
        for k, t in times.items():
            t = np.array(t)
            rows.append((name, k, np.median(t), np.median(t / base), os.getloadavg()[0]))
    print(f"| case | path | median s/epoch | median ratio to NumPy (paired, {REPS['sizes']} "
          "reps) | load |\n|---|---|---|---|---|")
    for r in rows:
        print(f"| {r[0]} | {r[1]} | {r[2]:.4f} | {r[3]:.2f} | {r[4]:.1f} |")
    print()


def child():
    """One thread setting, in its own process: JAX float32 784-D epochs and the conv epoch."""
    X = blob_images(2000, random_state=0)[0]
    f = epoch_runner(SpreadVAE(8, n_hidden=256, spread=0.1, decoder=mlp_decoder,
                               encoder=mlp_encoder, dtype="float32", random_state=0), X)
    mlp = float(np.median([timed(f) for _ in range(5)]))
    dec, enc, init = conv_model(8)
    Xc = X[:1000]
    g = epoch_runner(SpreadVAE(8, spread=0.1, decoder=dec, encoder=enc, init_params=init,
                               dtype="float32", random_state=0), Xc)
    conv = float(np.median([timed(g) for _ in range(2)]))
    print(json.dumps({"mlp784_f32": mlp, "conv1000_f32": conv}))


def threads():
    settings = {"XLA default (all cores)": None, "one thread": ONE_THREAD}
    out = {k: [] for k in settings}
    for _ in range(REPS["threads"]):
        for k, flags in settings.items():
            env = dict(os.environ)
            env.pop("XLA_FLAGS", None)
            if flags:
                env["XLA_FLAGS"] = flags
            res = subprocess.run([sys.executable, __file__, "--child"], env=env,
                                 capture_output=True, text=True, check=True)
            out[k].append(json.loads(res.stdout.strip().splitlines()[-1]))
    base = out["XLA default (all cores)"]
    print(f"| XLA threads | 784-D MLP f32 s/epoch | ratio | conv 1000 images f32 s/epoch | ratio |"
          f"\n|---|---|---|---|---|")
    for k, runs in out.items():
        m = np.array([r["mlp784_f32"] for r in runs])
        c = np.array([r["conv1000_f32"] for r in runs])
        mb = np.array([r["mlp784_f32"] for r in base])
        cb = np.array([r["conv1000_f32"] for r in base])
        print(f"| {k} | {np.median(m):.4f} | {np.median(m / mb):.2f} | {np.median(c):.3f} | "
              f"{np.median(c / cb):.2f} |")
    print(f"(paired by repetition, {REPS['threads']} alternations; load "
          f"{os.getloadavg()[0]:.1f})\n")


def conv():
    X = blob_images(10_000, random_state=0)[0]
    dec, enc, init = conv_model(8)
    print("| conv decoder, 10^4 28x28 images, Z=8, batch 128 | s/epoch (median) | load |\n"
          "|---|---|---|")
    for dtype in ("float32", "float64"):
        f = epoch_runner(SpreadVAE(8, spread=0.1, decoder=dec, encoder=enc, init_params=init,
                                   dtype=dtype, random_state=0), X)
        t = [timed(f) for _ in range(REPS["conv"])]
        print(f"| {dtype} | {np.median(t):.2f} | {os.getloadavg()[0]:.1f} |")
    print()


if __name__ == "__main__":
    if "--child" in sys.argv:
        child()
        sys.exit()
    from threadpoolctl import threadpool_limits

    # one BLAS thread for the NumPy path, as SpreadVAE.fit sets it (XLA does not use BLAS)
    threadpool_limits(limits=1, user_api="blas")
    print_machine()
    import jax
    print(f"jax {jax.__version__}, devices {jax.devices()}, XLA_FLAGS="
          f"{os.environ.get('XLA_FLAGS', '(unset)')}\n")
    only = next((a.split("=", 1)[1] for a in sys.argv if a.startswith("--only=")), None)
    parts = {"sizes": sizes, "threads": threads, "conv": conv}
    for name in (only.split(",") if only else parts):
        parts[name]()
