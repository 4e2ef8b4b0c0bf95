"""The VAE part of the sigma sweep (issue 20): both-sided, one-sided and learnt-noise VAEs.

Three arms, one user JAX model each, trained by ``SpreadVAE`` to its own ``converged_`` rule
(evaluation bound on draws fixed for the whole fit, best not improved by the relative ``tol``
for ``n_iter_no_change`` epochs; an Adam learning rate that decays per epoch, so that a plateau
is not the jitter of a constant step):

- ``spread``: both-sided, data and model spread by N(0, sigma^2) (``noise="spread"``);
- ``fixed``: one-sided, raw data, output noise fixed at sigma (``noise="fixed"``);
- ``learn``: raw data, learnt isotropic output noise (``noise="learn"``). Its "sigma" is not a
  parameter: it is fitted ONCE per seed and scored at every sigma.

Data (``--data``):
- ``blob``: 28x28 known-manifold images (``spreadlab.make_images``, 1000 training, 300 held
  out), the transposed-convolution decoder ``conv_model`` of benchmarks/_jax_models.py;
- ``digits``: scikit-learn's 8x8 digits / 16 (random 1437/360 splits; no known manifold, so no
  precision), the 3-layer tanh MLP ``mlp_model``.

Seeds 0-4 fixed before looking, paired per seed (same training data, held-out images, spread
draw of the held-out images, sample seeds). Metrics (distances relative to the root total
variance of the held-out images):
- precision: mean distance of 50 model samples to the TRUE manifold (blob only);
- coverage: mean distance of the held-out images to the nearest of 1000 model samples;
- MMD: ``mmd_permutation_test`` of 300 samples against the held-out images (200 permutations);
- held-out spread log-likelihood (nats/image) of y = x + sigma*eps with the decoder FROZEN and
  its encoder REFIT on spread training data (Adam on the spread ELBO, encoder parameters only),
  importance-weighted with K = 100 and K = 200 (the K-doubling check).

One JSON file per fit in benchmarks/results/vae_sigma_sweep/ (a rerun resumes); the learnt arm's
file holds its scores at every sigma. Nothing is asserted; the tables go to
docs/generator_sigma_sweep.md and benchmarks/README.md.

Run:  python benchmarks/bench_vae_sigma_sweep.py --data blob|digits [--quick] [--table]
"""
import argparse
import json
import os
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

from _jax_models import conv_model, mlp_model
from _machine import machine_info, print_machine
from spreadlab import (Gaussian, distance_to_manifold, make_images, mmd_permutation_test,
                       nearest_sample_distance, render_images)
from spreadlab.generator import SpreadCollapseWarning, SpreadVAE, spread_elbo, spread_log_likelihood

SEEDS = (0, 1, 2, 3, 4)
SIGMAS = (0.3, 0.1, 0.03, 0.01)
ARMS = ("spread", "fixed", "learn")
N_TRAIN, N_TEST = 1000, 300
# the optimiser: Adam, learning rate LR0 decayed by DECAY per epoch down to a floor of
# LR0 * FLOOR (reached after 100 epochs); the fit stops at SpreadVAE's plateau rule (default
# tol 1e-3 relative, PATIENCE epochs). Chosen from single fits at sigma = 0.1 on blobs (seed 0):
# a constant 3e-3 still rose after 150 epochs, a constant 3e-2 fell off its best and never
# came back, a per-epoch decay of 0.95 from 1e-2 settled early (632 vs 655-661 nats/image)
LR0, DECAY, FLOOR, PATIENCE, BATCH = 1e-2, 0.955, 0.01, 10, 50
MAX_EPOCHS = {"blob": 100, "digits": 300}
REFIT_EPOCHS = 20
OUT = Path(__file__).resolve().parent / "results" / "vae_sigma_sweep"


def load(data, seed):
    """Training and held-out data: blobs (known manifold) or digits (a random 1437/360 split)."""
    if data == "blob":
        return (make_images(N_TRAIN, random_state=seed)[0],
                make_images(N_TEST, random_state=1000 + seed)[0])
    from sklearn.datasets import load_digits
    X = load_digits().data / 16.0
    idx = np.random.default_rng(seed).permutation(len(X))
    return X[idx[:1437]], X[idx[1437:]]


def model(data, n_features):
    """``(decoder, encoder, init_params, encoder keys)`` of the arm's user model."""
    if data == "blob":
        return (*conv_model(2), ("e1", "e2"))
    return (*mlp_model(n_features, 2, width=64), ("enc",))


def optimizer(n_train, lr0=LR0):
    import optax
    steps = -(-n_train // BATCH)   # optimiser steps per epoch
    return optax.adam(optax.exponential_decay(lr0, steps, DECAY, end_value=lr0 * FLOOR))


def refit_encoder(dec, enc, params, enc_keys, X, sigma, seed, epochs=REFIT_EPOCHS, batch=128,
                  lr=3e-3):
    """Adam on the spread ELBO over the encoder parameters only (decoder frozen), started from
    the fit's encoder, on fresh spread draws of the training data every epoch."""
    import jax
    import jax.numpy as jnp
    import optax
    p = jax.tree_util.tree_map(lambda a: jnp.asarray(a, jnp.float32), params)
    frozen = {k: v for k, v in p.items() if k not in enc_keys}
    kernel = Gaussian(0.0, sigma**2)

    def loss(e, y, key):
        return -jnp.mean(spread_elbo(dec, enc, {**frozen, **e}, y, kernel, key=key,
                                     per_sample=True))
    opt = optax.adam(lr)
    e = {k: p[k] for k in enc_keys}
    state = opt.init(e)

    @jax.jit
    def step(e, state, y, key):
        val, g = jax.value_and_grad(loss)(e, y, key)
        upd, state = opt.update(g, state, e)
        return optax.apply_updates(e, upd), state, val
    rng = np.random.default_rng(seed)
    key = jax.random.key(seed)
    for _ in range(epochs):
        Y = X + sigma * rng.standard_normal(X.shape)
        for idx in np.array_split(rng.permutation(len(Y)), max(1, len(Y) // batch)):
            key, sub = jax.random.split(key)
            e, state, _ = step(e, state, jnp.asarray(Y[idx], jnp.float32), sub)
    return {**frozen, **e}


def held_out_ll(dec, enc, params, Y, sigma, K, seed):
    import jax
    import jax.numpy as jnp
    p = jax.tree_util.tree_map(lambda a: jnp.asarray(a, jnp.float32), params)
    out = []
    key = jax.random.key(seed)
    for idx in np.array_split(np.arange(len(Y)), max(1, len(Y) // 50)):
        key, sub = jax.random.split(key)
        out.append(np.asarray(spread_log_likelihood(
            dec, enc, p, jnp.asarray(Y[idx], jnp.float32), Gaussian(0.0, sigma**2), key=sub,
            n_importance=K), float))
    return np.concatenate(out)


def likelihood_scores(dec, enc, params, enc_keys, X, Xt, sigma, seed):
    """Held-out spread log-likelihood at sigma with the refit encoder (K = 100 and 200)."""
    Yt = Xt + sigma * np.random.default_rng(2000 + seed).standard_normal(Xt.shape)  # shared
    t = time.perf_counter()
    refit = refit_encoder(dec, enc, params, enc_keys, X, sigma, seed)
    refit_s = time.perf_counter() - t
    ll100 = held_out_ll(dec, enc, refit, Yt, sigma, 100, seed)
    ll200 = held_out_ll(dec, enc, refit, Yt, sigma, 200, seed)
    d = ll200 - ll100
    return dict(sigma=sigma, ll_refit_K200=float(ll200.mean()),
                ll_refit_K200_se=float(ll200.std(ddof=1) / np.sqrt(len(ll200))),
                ll_refit_K100=float(ll100.mean()), ll_K200_minus_K100=float(d.mean()),
                ll_K200_minus_K100_se=float(d.std(ddof=1) / np.sqrt(len(d))),
                refit_seconds=refit_s)


def fit_point(data, arm, sigma, seed, max_epochs):
    """Fit one arm (``sigma`` None for the learnt arm) and score it; one JSON file per fit."""
    name = f"{data}_learn_seed{seed}" if arm == "learn" else f"{data}_{arm}_s{sigma}_seed{seed}"
    path = OUT / f"{name}.json"
    if path.exists():
        return json.loads(path.read_text())
    X, Xt = load(data, seed)
    scale = float(np.sqrt(np.sum(np.var(Xt, axis=0))))   # root total variance
    dec, enc, init, enc_keys = model(data, X.shape[1])
    kernel = None if arm == "learn" else Gaussian(0.0, sigma**2)
    vae = SpreadVAE(2, decoder=dec, encoder=enc, init_params=init, kernel=kernel, noise=arm,
                    dtype="float32", max_iter=max_epochs, batch_size=BATCH,
                    optimizer=optimizer(len(X)), n_iter_no_change=PATIENCE, random_state=seed)
    t = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        vae.fit(X)
    wall = time.perf_counter() - t
    S = vae.sample(1000, random_state=seed)[0]
    prec = (distance_to_manifold(S[:50], render_images, 2) / scale if data == "blob"
            else np.array([np.nan]))
    cov = nearest_sample_distance(Xt, S) / scale
    mmd = mmd_permutation_test(S[:len(Xt)], Xt, n_permutations=200, random_state=seed)
    collapse = [str(w.message)[:100] for w in caught if issubclass(w.category, SpreadCollapseWarning)]
    h = vae.history_["eval_elbo"]
    row = dict(data=data, arm=arm, sigma=sigma, seed=seed, scale=scale,
               precision=float(prec.mean()), coverage=float(cov.mean()),
               mmd2=float(mmd[0]), mmd_p=float(mmd[1]),
               converged=bool(vae.converged_), diverged=bool(vae.diverged_),
               n_iter=int(vae.n_iter_), best_iter=int(vae.best_iter_),
               best_bound=float(h[vae.best_iter_ - 1]) if vae.best_iter_ else None,
               eval_elbo=[float(v) for v in h], stop_reason=vae.stop_reason_,
               noise_std=float(vae.noise_std_), enc_std=float(vae.history_["encoder_std"][-1]),
               fit_seconds=wall, collapse_warning=collapse[0] if collapse else "")
    sigmas = SIGMAS if arm == "learn" else (sigma,)
    row["scores"] = [likelihood_scores(dec, enc, vae.params_, enc_keys, X, Xt, s, seed)
                     for s in sigmas]
    OUT.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(row))
    os.replace(tmp, path)   # only complete files
    return row


def se(x):
    return float(np.std(x, ddof=1) / np.sqrt(len(x))) if len(x) > 1 else float("nan")


def ms(v, f=1.0, digits=2):
    v = [f * x for x in v]
    return f"{np.mean(v):.{digits}f} ± {se(v):.{digits}f}"


def ll_at(row, sigma):
    return next(s for s in row["scores"] if s["sigma"] == sigma)


def table(data, seeds):
    rows = [json.loads(p.read_text()) for p in sorted(OUT.glob(f"{data}_*_seed*.json"))]
    rows = [r for r in rows if r["seed"] in seeds]
    learn = sorted((r for r in rows if r["arm"] == "learn"), key=lambda r: r["seed"])
    print(f"\n{data}: {len(rows)} fits, seeds {sorted({r['seed'] for r in rows})}")
    print("| σ | arm | converged | precision % | coverage % | MMD p<0.05 | held-out LL (refit) "
          "| − both (paired) | max K200−K100 | collapse warn |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for sigma in SIGMAS:
        both = sorted((r for r in rows if r["arm"] == "spread" and r["sigma"] == sigma),
                      key=lambda r: r["seed"])
        one = sorted((r for r in rows if r["arm"] == "fixed" and r["sigma"] == sigma),
                     key=lambda r: r["seed"])
        for label, rs in (("both", both), ("one", one), ("learn", learn)):
            if not rs:
                continue
            ll = [ll_at(r, sigma) for r in rs]
            lb = {r["seed"]: ll_at(r, sigma)["ll_refit_K200"] for r in both}
            d = [x["ll_refit_K200"] - lb[r["seed"]] for r, x in zip(rs, ll) if r["seed"] in lb]
            diff = ("" if label == "both" or not d else
                    f"{np.mean(d):+.1f} ± {se(d):.1f} ({sum(x > 0 for x in d)}/{len(d)} better)")
            prec = ("—" if data == "digits" else ms([r["precision"] for r in rs], 100))
            print(f"| {sigma} | {label} | {sum(r['converged'] for r in rs)}/{len(rs)} | {prec} | "
                  f"{ms([r['coverage'] for r in rs], 100)} | "
                  f"{sum(r['mmd_p'] < 0.05 for r in rs)}/{len(rs)} | "
                  f"{ms([x['ll_refit_K200'] for x in ll], 1, 1)} | {diff} | "
                  f"{max(abs(x['ll_K200_minus_K100']) for x in ll):.2f} | "
                  f"{sum(bool(r['collapse_warning']) for r in rs)}/{len(rs)} |")
    fits = [r for r in rows]
    print(f"epochs run {min(r['n_iter'] for r in fits)}–{max(r['n_iter'] for r in fits)}, "
          f"fit seconds {min(r['fit_seconds'] for r in fits):.0f}–"
          f"{max(r['fit_seconds'] for r in fits):.0f}; learnt noise std "
          + ", ".join(f"{r['noise_std']:.4f}" for r in learn))


def _rows(data, seeds=SEEDS):
    rows = [json.loads(p.read_text()) for p in sorted(OUT.glob(f"{data}_*_seed*.json"))]
    return [r for r in rows if r["seed"] in seeds]


def plot(path):
    """Figure: precision on blobs, and the paired held-out log-likelihood gaps to the
    both-sided fit on blobs and digits, against sigma (mean and standard error over seeds)."""
    import matplotlib.pyplot as plt
    from spreadlab.plotting._style import save_figure, style, subplots

    arms = (("spread", "both-sided spread", "C0", "o"), ("fixed", "one-sided (fixed noise)",
                                                          "C1", "s"),
            ("learn", "learnt noise (one fit, scored at each σ)", "C2", "^"))
    with style():
        fig, axes = subplots(3, 1, height=8.4, sharex=True)
        blob, digits = _rows("blob"), _rows("digits")
        for arm, label, color, marker in arms:
            rs = [r for r in blob if r["arm"] == arm]
            if arm == "learn":
                v = [100 * r["precision"] for r in rs]
                if v:
                    axes[0].axhspan(np.mean(v) - se(v), np.mean(v) + se(v), color=color,
                                    alpha=0.25, label=label)
            else:
                xs = [s for s in SIGMAS if any(r["sigma"] == s for r in rs)]
                v = [[100 * r["precision"] for r in rs if r["sigma"] == s] for s in xs]
                axes[0].errorbar(xs, [np.mean(x) for x in v], [se(x) for x in v], color=color,
                                 marker=marker, capsize=3, label=label)
            for ax, rows in ((axes[1], blob), (axes[2], digits)):
                if arm == "spread":
                    continue
                xs, m, e = [], [], []
                for s in SIGMAS:
                    both = {r["seed"]: ll_at(r, s)["ll_refit_K200"] for r in rows
                            if r["arm"] == "spread" and r["sigma"] == s}
                    d = [ll_at(r, s)["ll_refit_K200"] - both[r["seed"]] for r in rows
                         if r["arm"] == arm and r["seed"] in both
                         and (arm == "learn" or r["sigma"] == s)]
                    if d:
                        xs.append(s), m.append(np.mean(d)), e.append(se(d) if len(d) > 1 else 0)
                ax.errorbar(xs, m, e, color=color, marker=marker, capsize=3, label=label)
        axes[0].set_ylabel("precision: distance of\nsamples to the true\nmanifold (% of scale)")
        axes[0].set_title("blobs (28×28, known 2-D manifold), transposed-conv decoder")
        axes[0].legend(fontsize="small")
        for ax, name in ((axes[1], "blobs"), (axes[2], "digits (8×8), MLP decoder")):
            ax.axhline(0, color="0.5", lw=0.8)
            ax.set_yscale("symlog", linthresh=1)
            ax.set_ylabel("held-out log p̃(y) minus\nboth-sided (nats/image)")
            ax.set_title(f"{name}: refit-encoder likelihood, paired per seed")
        axes[1].legend(fontsize="small")
        axes[2].set_xscale("log")
        axes[2].set_xlabel("spread σ per pixel")
        save_figure(fig, path, dpi=110)
        plt.close(fig)
    return path


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", choices=("blob", "digits"), required=True)
    ap.add_argument("--quick", action="store_true", help="one seed, 3 epochs (a smoke run)")
    ap.add_argument("--table", action="store_true", help="print the table of the stored points")
    ap.add_argument("--plot", action="store_true", help="draw the figure of the stored points")
    ap.add_argument("--reverse", action="store_true",
                    help="run each seed's points in reverse order (a second process then meets "
                         "the first in the middle of a seed instead of repeating its points)")
    ap.add_argument("--seeds", default=",".join(map(str, SEEDS)),
                    help="comma-separated subset of the fixed seeds (to split the run over "
                         "processes; the table always reads every stored seed)")
    args = ap.parse_args()
    global OUT
    if args.quick:
        OUT = OUT.with_name("vae_sigma_sweep_quick")
    seeds = SEEDS[:1] if args.quick else SEEDS
    if args.plot:
        return print(plot(OUT / "vae_sigma_sweep.png"))
    if args.table:
        return table(args.data, seeds)
    run_seeds = [s for s in seeds if str(s) in args.seeds.split(",")]
    import jax
    # compiled steps are shared by the fits of one shape and sigma (a cache outside the repository)
    jax.config.update("jax_compilation_cache_dir",
                      os.path.join(tempfile.gettempdir(), "spreadlab_jax_cache"))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0)
    print_machine()
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"machine_{args.data}_{'-'.join(map(str, run_seeds))}.json").write_text(
        json.dumps(machine_info(), default=str))
    max_epochs = 3 if args.quick else MAX_EPOCHS[args.data]
    t0 = time.perf_counter()
    for seed in run_seeds:
        # paired: both sides of one (sigma, seed) together; the learnt arm once per seed
        points = [(arm, sigma) for sigma in SIGMAS for arm in ("spread", "fixed")]
        points.append(("learn", None))
        for arm, sigma in (points[::-1] if args.reverse else points):
            r = fit_point(args.data, arm, sigma, seed, max_epochs)
            if arm == "learn":
                print(f"{args.data} learn seed={seed}: conv {r['converged']} ({r['n_iter']} ep) "
                      f"noise {r['noise_std']:.4f} prec {r['precision']:.3f} cov "
                      f"{r['coverage']:.3f} ll "
                      + " ".join(f"{s['ll_refit_K200']:.1f}" for s in r["scores"])
                      + f" {r['fit_seconds']:.0f}s", flush=True)
                continue
            s = r["scores"][0]
            print(f"{args.data} {arm} sigma={sigma} seed={seed}: conv {r['converged']} "
                  f"({r['n_iter']} ep, best {r['best_iter']}) prec {r['precision']:.3f} "
                  f"cov {r['coverage']:.3f} p {r['mmd_p']:.3f} ll {s['ll_refit_K200']:.1f} "
                  f"(K200-K100 {s['ll_K200_minus_K100']:.2f}) {r['fit_seconds']:.0f}s "
                  f"{r['collapse_warning'][:40]}", flush=True)
    print(f"wall {time.perf_counter() - t0:.0f} s, load {os.getloadavg()}")
    table(args.data, run_seeds)


if __name__ == "__main__":
    main()
