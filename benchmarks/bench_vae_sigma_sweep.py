"""The VAE part of the sigma sweep (issue 20): both-sided vs one-sided spreading in the JAX layer.

SpreadVAE with a user JAX decoder (``mlp_model`` of benchmarks/_jax_models.py: 3-layer tanh MLP,
width 64, Z = 2, float32, batch 32, 30 epochs at Adam 3e-3) on 28x28 blob images with a known 2-D manifold (``spreadlab.make_images``)
at a fixed Gaussian spread sigma x {both-sided: data and model spread (``noise="spread"``),
one-sided: raw data, output noise fixed at sigma (``noise="fixed"``)}, 5 seeds fixed before
looking, paired per seed (same training data, same held-out images and spread draw, same seeds).

Metrics (distances relative to the data scale, the root total variance of the held-out images):
- precision: mean distance of 50 model samples to the *true* image manifold
  (``distance_to_manifold`` with the true generator ``render_images``);
- coverage: mean distance of 300 held-out images to the nearest of 1000 model samples;
- MMD: ``mmd_permutation_test`` of 300 samples against the 300 held-out images (200 permutations);
- held-out spread log-likelihood (nats/image) of y = x + sigma*eps (one draw, shared by both
  sides) with the decoder FROZEN and its encoder REFIT on spread training data (Adam on the spread
  ELBO, encoder parameters only), importance-weighted with K = 100 and K = 200 (the difference
  shows whether K is large enough); the estimate with the fit's own encoder is kept too.

Small nets and few epochs to keep the run to ~15 min on a loaded 2-core machine: the numbers
compare the two objectives at this budget, they are not converged state-of-the-art fits.
One JSON file per point in benchmarks/results/vae_sigma_sweep/ (a rerun resumes). Nothing is
asserted; the table goes to docs/generator_sigma_sweep.md and benchmarks/README.md.

With ``--digits``: the same on scikit-learn's 8x8 digits / 16 (5 random 1437/360 splits, Z = 2;
no known manifold, so no precision).

Run:  python benchmarks/bench_vae_sigma_sweep.py [--quick] [--digits]
"""
import json
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np

from _jax_models import mlp_model
from _machine import machine_info, print_machine
from spreadlab import (distance_to_manifold, make_images, mmd_permutation_test,
                       nearest_sample_distance, render_images)
from spreadlab.generator import SpreadCollapseWarning, SpreadVAE, spread_elbo, spread_log_likelihood
from spreadlab import Gaussian

QUICK = "--quick" in sys.argv
DATA = "digits" if "--digits" in sys.argv else "blob"
SEEDS = list(range(1 if QUICK else 5))
SIGMAS = (0.3, 0.1, 0.03, 0.01)
SIDES = {"both": "spread", "one": "fixed"}
N_TRAIN, N_TEST = 1000, 300
EPOCHS, REFIT_EPOCHS = (3, 2) if QUICK else (30, 20)
OUT = Path(__file__).resolve().parent / "results" / ("vae_sigma_sweep_quick" if QUICK else
                                                     "vae_sigma_sweep")


def load(seed):
    """Training and held-out images: blobs (known manifold) or digits (a random 1437/360 split)."""
    if DATA == "blob":
        return make_images(N_TRAIN, random_state=seed)[0], make_images(N_TEST, random_state=1000 + seed)[0]
    from sklearn.datasets import load_digits
    X = load_digits().data / 16.0
    idx = np.random.default_rng(seed).permutation(len(X))
    return X[idx[:1437]], X[idx[1437:]]


def refit_encoder(dec, enc, params, Y_train_fn, kernel, seed, epochs, batch=128, lr=3e-3):
    """Adam on the spread ELBO over the encoder parameters only (decoder frozen)."""
    import jax
    import jax.numpy as jnp
    import optax
    p = jax.tree_util.tree_map(lambda a: jnp.asarray(a, jnp.float32), params)
    frozen = p["dec"]

    def loss(e, y, key):
        return -jnp.mean(spread_elbo(dec, enc, {"dec": frozen, "enc": e}, y, kernel, key=key,
                                     per_sample=True))
    opt = optax.adam(lr)
    e = p["enc"]
    state = opt.init(e)

    @jax.jit
    def step(e, state, y, key):
        val, g = jax.value_and_grad(loss)(e, y, key)
        upd, state = opt.update(g, state, e)
        return optax.apply_updates(e, upd), state, val
    rng = np.random.default_rng(seed)
    key = jax.random.key(seed)
    for _ in range(epochs):
        Y = Y_train_fn(rng)
        for idx in np.array_split(rng.permutation(len(Y)), max(1, len(Y) // batch)):
            key, sub = jax.random.split(key)
            e, state, _ = step(e, state, jnp.asarray(Y[idx], jnp.float32), sub)
    return {"dec": frozen, "enc": e}


def held_out_ll(dec, enc, params, Y, kernel, K, seed):
    import jax
    import jax.numpy as jnp
    p = jax.tree_util.tree_map(lambda a: jnp.asarray(a, jnp.float32), params)
    out = []
    key = jax.random.key(seed)
    for idx in np.array_split(np.arange(len(Y)), max(1, len(Y) // 50)):
        key, sub = jax.random.split(key)
        out.append(np.asarray(spread_log_likelihood(dec, enc, p, jnp.asarray(Y[idx], jnp.float32),
                                                    kernel, key=sub, n_importance=K), float))
    return np.concatenate(out)


def run_point(sigma, side, seed):
    path = OUT / f"{DATA}_s{sigma}_{side}_seed{seed}.json"
    if path.exists():
        return json.loads(path.read_text())
    X, Xt = load(seed)
    scale = float(np.sqrt(np.sum(np.var(Xt, axis=0))))   # root total variance
    Yt = Xt + sigma * np.random.default_rng(2000 + seed).standard_normal(Xt.shape)  # shared draw
    dec, enc, init = mlp_model(X.shape[1], 2, width=64)
    kernel = Gaussian(0.0, sigma**2)   # Gaussian(mean, variance)
    vae = SpreadVAE(2, decoder=dec, encoder=enc, init_params=init, kernel=kernel,
                    noise=SIDES[side], dtype="float32", max_iter=EPOCHS, batch_size=32, n_iter_no_change=EPOCHS,
                    random_state=seed)
    t = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        vae.fit(X)
    wall = time.perf_counter() - t
    S = vae.sample(1000, random_state=seed)[0]
    prec = (distance_to_manifold(S[:50], render_images, 2) / scale if DATA == "blob"
            else np.array([np.nan]))     # digits: no known manifold
    cov = nearest_sample_distance(Xt, S) / scale
    mmd = mmd_permutation_test(S[:len(Xt)], Xt, n_permutations=200, random_state=seed)
    own = held_out_ll(dec, enc, vae.params_, Yt, kernel, 200, seed)
    t = time.perf_counter()
    refit = refit_encoder(dec, enc, vae.params_,
                          lambda r: X + sigma * r.standard_normal(X.shape), kernel, seed,
                          REFIT_EPOCHS)
    refit_s = time.perf_counter() - t
    ll100 = held_out_ll(dec, enc, refit, Yt, kernel, 100, seed)
    ll200 = held_out_ll(dec, enc, refit, Yt, kernel, 200, seed)
    collapse = [str(w.message)[:100] for w in caught if issubclass(w.category, SpreadCollapseWarning)]
    row = dict(data=DATA, sigma=sigma, side=side, seed=seed, scale=scale,
               precision=float(prec.mean()), coverage=float(cov.mean()),
               mmd2=float(mmd[0] if isinstance(mmd, tuple) else mmd.statistic),
               mmd_p=float(mmd[1] if isinstance(mmd, tuple) else mmd.p_value),
               ll_own=float(own.mean()), ll_refit_K100=float(ll100.mean()),
               ll_refit_K200=float(ll200.mean()),
               ll_refit_K200_se=float(ll200.std(ddof=1) / np.sqrt(len(ll200))),
               ll_K200_minus_K100=float((ll200 - ll100).mean()),
               ll_K200_minus_K100_se=float((ll200 - ll100).std(ddof=1) / np.sqrt(len(ll200))),
               enc_std=float(vae.history_["encoder_std"][-1]),   # null in the committed results (a wrong history key then)
               converged=bool(vae.converged_), diverged=bool(vae.diverged_),
               n_iter=int(vae.n_iter_), best_iter=int(vae.best_iter_), fit_seconds=wall,
               refit_seconds=refit_s, collapse_warning=collapse[0] if collapse else "")
    OUT.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(row))
    os.replace(tmp, path)   # only complete files
    return row


def se(x):
    return float(np.std(x, ddof=1) / np.sqrt(len(x))) if len(x) > 1 else float("nan")


def main():
    print_machine()
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"machine_{DATA}.json").write_text(json.dumps(machine_info(), default=str))
    t0 = time.perf_counter()
    rows = []
    for seed in SEEDS:
        for sigma in SIGMAS:
            for side in SIDES:   # paired: both sides of one (sigma, seed) back to back
                r = run_point(sigma, side, seed)
                rows.append(r)
                print(f"{DATA} sigma={sigma} {side} seed={seed}: prec {r['precision']:.3f} "
                      f"cov {r['coverage']:.3f} p {r['mmd_p']:.3f} ll {r['ll_refit_K200']:.1f} "
                      f"(own {r['ll_own']:.1f}, K200-K100 {r['ll_K200_minus_K100']:.2f}) "
                      f"{r['fit_seconds']:.0f}s {r['collapse_warning'][:40]}", flush=True)
    print(f"wall {time.perf_counter() - t0:.0f} s")
    print("| sigma | precision both | precision one | coverage both | coverage one | "
          "MMD p<0.05 both / one | held-out spread LL both | one | one - both (paired) | "
          "K200-K100 (max abs) | collapse warnings both / one |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for sigma in SIGMAS:
        b = [r for r in rows if r["sigma"] == sigma and r["side"] == "both"]
        o = [r for r in rows if r["sigma"] == sigma and r["side"] == "one"]
        b.sort(key=lambda r: r["seed"]), o.sort(key=lambda r: r["seed"])

        def ms(rs, k, f=100):
            v = [f * r[k] for r in rs]
            return f"{np.mean(v):.2f} ± {se(v):.2f}"
        d = [ro["ll_refit_K200"] - rb["ll_refit_K200"] for rb, ro in zip(b, o)]
        kk = max(abs(r["ll_K200_minus_K100"]) for r in b + o)
        print(f"| {sigma} | {ms(b, 'precision')}% | {ms(o, 'precision')}% | "
              f"{ms(b, 'coverage')}% | {ms(o, 'coverage')}% | "
              f"{sum(r['mmd_p'] < 0.05 for r in b)}/{len(b)} / "
              f"{sum(r['mmd_p'] < 0.05 for r in o)}/{len(o)} | {ms(b, 'll_refit_K200', 1)} | "
              f"{ms(o, 'll_refit_K200', 1)} | {np.mean(d):+.2f} ± {se(d):.2f} "
              f"({sum(x > 0 for x in d)}/{len(d)} one better) | {kk:.2f} | "
              f"{sum(bool(r['collapse_warning']) for r in b)}/{len(b)} / "
              f"{sum(bool(r['collapse_warning']) for r in o)}/{len(o)} |")


if __name__ == "__main__":
    main()
