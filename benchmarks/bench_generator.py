"""SpreadGenerator and SpreadVAE: E-step speed, manifold recovery, one-sided bias, sigma -> 0,
and the 8x8 digits. Nothing here is asserted; the tables go to benchmarks/README.md.

Run:  python benchmarks/bench_generator.py [--quick] [--only estep,sigma,recovery,digits]
Seeds are fixed before looking (0..19 for the manifold tables, 0..4 for the digits).
Times are the best of several repeats (E-step) or one run (fits): the two cores are shared.
"""
import sys
import time
import warnings

import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning

from _machine import print_machine
from spreadlab import SpreadGenerator, SpreadVAE, make_curve, make_sheet
from spreadlab.generator import _estep  # the E-step kernels themselves are what is timed
from spreadlab.generator import curve_function, mmd_permutation_test

QUICK = "--quick" in sys.argv
SEEDS = list(range(5 if QUICK else 20))
DIGIT_SEEDS = list(range(2 if QUICK else 5))
warnings.simplefilter("ignore", ConvergenceWarning)  # convergence is reported in the tables


def best_time(f, repeat=5):
    f()  # warm-up: compilation, caches
    ts = []
    for _ in range(repeat):
        t = time.perf_counter()
        f()
        ts.append(time.perf_counter() - t)
    return min(ts)


def estep_blas(Y, G, logw, var):
    """A fast NumPy alternative: squared distances by the BLAS expansion (loses digits at small
    sigma, which is why the reference does not use it)."""
    d2 = np.sum(Y * Y, 1)[:, None] + np.sum(G * G, 1)[None] - 2 * Y @ G.T
    a = logw[None] - 0.5 * d2 / var
    m = a.max(1, keepdims=True)
    e = np.exp(a - m)
    s = e.sum(1, keepdims=True)
    return e / s, (m + np.log(s))[:, 0] - 0.5 * Y.shape[1] * np.log(2 * np.pi * var)


def table_estep():
    import numba
    print("## E-step: Numba kernel vs NumPy reference (same data, same run; best of 5)\n")
    print("| case | N | K nodes | D | NumPy reference (ms) | NumPy BLAS expansion (ms) "
          "| Numba 1 thr (ms) | Numba 2 thr (ms) | speed-up vs reference (2 thr) |")
    print("|---|---|---|---|---|---|---|---|---|")
    rng = np.random.default_rng(0)
    digits = load_digits().data / 16.0
    cases = [("curve", rng.standard_normal((1000, 2)), 200), ("sheet", rng.standard_normal((2000, 3)), 3600),
             ("digits", digits, 1600)]
    for name, Y, K in cases:
        G = rng.standard_normal((K, Y.shape[1]))
        logw = np.full(K, -np.log(K))
        t_ref = best_time(lambda: _estep.estep_numpy(Y, G, logw, 0.1), repeat=3)
        t_blas = best_time(lambda: estep_blas(Y, G, logw, 0.1))
        numba.set_num_threads(1)
        t1 = best_time(lambda: _estep.estep_numba(Y, G, logw, 0.1))
        numba.set_num_threads(2)
        t2 = best_time(lambda: _estep.estep_numba(Y, G, logw, 0.1))
        print(f"| {name} | {Y.shape[0]} | {K} | {Y.shape[1]} | {1e3 * t_ref:.1f} | {1e3 * t_blas:.1f} "
              f"| {1e3 * t1:.1f} | {1e3 * t2:.1f} | {t_ref / t2:.1f}x |")
    print()


def rel_distance(gen, Xt):
    return float(np.mean(gen.manifold_distance(Xt)) / np.sqrt(np.mean(np.var(Xt, axis=0))))


def curve_error(gen):
    z = np.random.default_rng(12345).standard_normal((2000, 1))
    G = gen.inverse_transform(z)
    return min(float(np.mean(np.linalg.norm(G - curve_function(s * z), axis=1))) for s in (1, -1))


def table_recovery():
    print(f"## Manifold recovery and one-sided bias ({len(SEEDS)} seeds, paired per seed)\n")
    print("Training N=1000, n_grid 200 (curve) / 40x40 (sheets), held-out 1000 points exactly on the manifold. "
          "'distance' = mean held-out distance to the fitted manifold / data scale (root mean "
          "variance per feature). 'MMD p' = permutation p-value (200 permutations) of 500 samples "
          "vs 500 held-out points. 'curve error' = mean |g_fit(z) - g_true(+-z)| over z ~ N(0,1) "
          "(the 1-D latent is identifiable up to sign; a 2-D latent is not, any measure-preserving "
          "map of N(0, I) gives the same data distribution).\n")
    rows = {}
    def bowl(n, random_state):
        return make_sheet(n, random_state=random_state, kind="bowl")

    for data, maker, Zd, grid in (("curve", make_curve, 1, None), ("saddle sheet", make_sheet, 2, 40),
                                  ("bowl sheet", bowl, 2, 40)):
        for label, kw in (("default (anneal to grid floor)", {}),
                          ("spread both, sigma=0.3", dict(spread=0.3)),
                          ("noise on model only (GTM-style), sigma=0.3", dict(spread=0.3, spread_data=False))):
            res = []
            for seed in SEEDS:
                X, _ = maker(1000, random_state=seed)
                Xt, _ = maker(1000, random_state=1000 + seed)
                t = time.perf_counter()
                gen = SpreadGenerator(Zd, n_grid=grid, random_state=seed, **kw).fit(X)
                wall = time.perf_counter() - t
                S, _ = gen.sample(500, random_state=seed)
                _, p = mmd_permutation_test(S, Xt[:500], random_state=seed)
                res.append((rel_distance(gen, Xt), p, curve_error(gen) if Zd == 1 else np.nan,
                            wall, gen.n_iter_, gen.converged_, gen.spread_))
            rows[(data, label)] = np.array(res, dtype=float)
    print("| data | fit | distance, median [min, max] | MMD p < 0.05 (of seeds) | curve error median "
          "| final sigma | sweeps median | converged | fit time median (s) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for (data, label), r in rows.items():
        print(f"| {data} | {label} | {100 * np.median(r[:, 0]):.2f}% [{100 * r[:, 0].min():.2f}, "
              f"{100 * r[:, 0].max():.2f}] | {int(np.sum(r[:, 1] < 0.05))}/{len(r)} | "
              f"{np.median(r[:, 2]):.4f} | {np.median(r[:, 6]):.3f} | {int(np.median(r[:, 4]))} | "
              f"{int(r[:, 5].sum())}/{len(r)} | {np.median(r[:, 3]):.2f} |")
    print()
    for data in ("curve", "saddle sheet", "bowl sheet"):
        b = rows[(data, "spread both, sigma=0.3")]
        o = rows[(data, "noise on model only (GTM-style), sigma=0.3")]
        d = o[:, 0] - b[:, 0]
        print(f"- {data}, sigma=0.3: one-sided minus both-sided distance, paired over {len(d)} seeds: "
              f"mean {100 * d.mean():.2f} points of % (SE {100 * d.std(ddof=1) / np.sqrt(len(d)):.2f}); "
              f"one-sided worse on {int(np.sum(d > 0))}/{len(d)} seeds")
        if data == "curve":
            e = o[:, 2] - b[:, 2]
            print(f"- curve, sigma=0.3: curve error one-sided minus both: mean {e.mean():.4f} "
                  f"(SE {e.std(ddof=1) / np.sqrt(len(e)):.4f}); one-sided worse on {int(np.sum(e > 0))}/{len(e)}")
    print()


def table_sigma_to_zero():
    print(f"## sigma -> 0 (curve, fixed sigma from the PCA line, no annealing, no grid floor; "
          f"100 sweeps; n_grid=200, grid floor ~0.03; {len(SEEDS)} seeds, medians)\n")
    print("'log p(off) - log p(on)': spread log-density 0.1 off the fitted curve minus on it. "
          "'n_eff': mean effective number of grid nodes per point (1 = hard assignments). "
          "'moved in last 50': change of the held-out distance over sweeps 50-100.\n")
    print("| sigma | distance after 100 sweeps | moved in last 50 sweeps | n_eff | eval log-lik gain, sweeps 50->100 (nats) | log p(off) - log p(on) | -0.1^2/(2 sigma^2) | curve error | MMD p < 0.05 |")
    print("|---|---|---|---|---|---|---|---|---|")
    for sigma in (0.3, 0.1, 0.03, 0.01, 0.003):
        res = []
        for seed in SEEDS:
            X, _ = make_curve(1000, random_state=seed)
            Xt, _ = make_curve(500, random_state=1000 + seed)
            kw = dict(spread=sigma, spread_start=sigma, anneal_iter=0, grid_floor=False, tol=0.0,
                      n_iter_no_change=1000, random_state=seed)
            g50 = SpreadGenerator(1, max_iter=50, **kw).fit(X)
            g = SpreadGenerator(1, max_iter=100, **kw).fit(X)
            d50, d = rel_distance(g50, Xt), rel_distance(g, Xt)
            x_on = g.inverse_transform(np.array([[0.4], [0.4 + 1e-5]]))
            t = (x_on[1] - x_on[0]) / np.linalg.norm(x_on[1] - x_on[0])
            x_off = x_on[:1] + 0.1 * np.array([[-t[1], t[0]]])
            gap = g.score_samples(x_off)[0] - g.score_samples(x_on[:1])[0]
            ev = g.history_["loglik"]  # fixed spread draws: the objective of each sweep
            _, p = mmd_permutation_test(g.sample(500, random_state=seed)[0], Xt, random_state=seed)
            res.append((d, d50 - d, g.history_["n_eff"][-1], ev[-1] - ev[49], gap, curve_error(g), p))
        r = np.array(res, dtype=float)
        med = np.median(r, axis=0)
        print(f"| {sigma} | {100 * med[0]:.2f}% | {100 * med[1]:.3f}% | {med[2]:.2f} | {med[3]:.3g} "
              f"| {med[4]:.4g} | {-0.01 / (2 * sigma**2):.4g} | {med[5]:.4f} | {int(np.sum(r[:, 6] < 0.05))}/{len(r)} |")
    print()


def table_digits():
    X = load_digits().data / 16.0
    sig = 0.2
    print(f"## Digits (sklearn 8x8, pixels / 16; 1437 train / 360 held-out, {len(DIGIT_SEEDS)} "
          f"splits), held-out spread log-likelihood at sigma = {sig} (nats per image)\n")
    print("SpreadGenerator: exact on its 40x40 grid (spread annealed 0.5 -> 0.2 with grid_floor=False; "
          "the grid does *not* resolve sigma = 0.2 on the digits, see 'grid floor'). VAEs: "
          "importance-weighted estimate, K = 200 draws from the encoder, with the decoder treated as "
          "a deterministic generator spread by sigma.\n")
    print("| model | held-out spread log-lik, mean [min, max] | fit time median (s) | iterations median | "
          "converged | sample pixels outside [-0.1, 1.1] | notes |")
    print("|---|---|---|---|---|---|---|")
    models = {
        "SpreadGenerator Z=2, ridge 1e-6 (default)": lambda s: SpreadGenerator(
            2, n_grid=40, spread=sig, spread_start=0.5, grid_floor=False, random_state=s),
        "SpreadGenerator Z=2, ridge 1e-3": lambda s: SpreadGenerator(
            2, n_grid=40, spread=sig, spread_start=0.5, grid_floor=False, ridge=1e-3, random_state=s),
        "SpreadVAE Z=2": lambda s: SpreadVAE(2, spread=sig, max_iter=400, learning_rate=1e-2, random_state=s),
        "SpreadVAE Z=8": lambda s: SpreadVAE(8, spread=sig, max_iter=400, learning_rate=1e-2, random_state=s),
        "standard VAE Z=2 (learnt noise, raw data)": lambda s: SpreadVAE(
            2, noise="learn", max_iter=400, learning_rate=1e-2, random_state=s),
    }
    for name, make in models.items():
        res, notes = [], []
        for seed in DIGIT_SEEDS:
            perm = np.random.default_rng(seed).permutation(len(X))
            Xtr, Xte = X[perm[:1437]], X[perm[1437:]]
            est = make(seed)
            t = time.perf_counter()
            est.fit(Xtr)
            wall = time.perf_counter() - t
            ll = est.spread_log_likelihood(Xte, spread=sig, random_state=seed) if isinstance(
                est, SpreadGenerator) else est.spread_log_likelihood(Xte, spread=sig, n_importance=200,
                                                                      random_state=seed)
            S, _ = est.sample(2000, random_state=seed)
            res.append((float(np.mean(ll)), wall, est.n_iter_, est.converged_,
                        float(np.mean((S < -0.1) | (S > 1.1)))))
            if isinstance(est, SpreadGenerator):
                notes.append(f"floor {est.spread_floor_:.2f}, n_eff {est.history_['n_eff'][-1]:.2f}")
            elif est.noise == "learn":
                notes.append(f"learnt noise std {est.noise_std_:.3f}")
        r = np.array(res, dtype=float)
        print(f"| {name} | {r[:, 0].mean():.2f} [{r[:, 0].min():.2f}, {r[:, 0].max():.2f}] | "
              f"{np.median(r[:, 1]):.2f} | {int(np.median(r[:, 2]))} | {int(r[:, 3].sum())}/{len(r)} | "
              f"{100 * np.mean(r[:, 4]):.2f}% | {'; '.join(notes[:2])} |")
    print()


if __name__ == "__main__":
    print_machine()
    import sklearn
    print(f"scikit-learn {sklearn.__version__}\n")
    t0 = time.perf_counter()
    sections = {"estep": table_estep, "sigma": table_sigma_to_zero, "recovery": table_recovery,
                "digits": table_digits}
    only = sys.argv[sys.argv.index("--only") + 1].split(",") if "--only" in sys.argv else list(sections)
    for name in only:
        sections[name]()
    print(f"total wall time {time.perf_counter() - t0:.0f} s")
