"""Reproduction of the ICA experiment of the spread-divergence paper (Fig. 1)
and a small demo for ``spreadlab demo``.

Both compare classical EM (``spread=0``, model noise gamma), spread EM and
scikit-learn's FastICA on data from the same mixing matrices; scikit-learn
is needed only here and is imported lazily.
"""
import csv
import os
import time
import warnings
from dataclasses import dataclass, field

import numpy as np

from ._data import make_ica_data
from ._estimator import ConvergenceWarning, SpreadICA
from ._metrics import amari_distance, mixing_error

__all__ = ["reproduce_ica", "demo_ica", "ICAReproduction"]

_PAPER = dict(
    fig1a=dict(n_features=20, n_sources=10, n_samples=20000, gammas=[1e-3, 1e-2, 0.1, 0.2, 0.5, 1.0],
               n_runs=10, n_iter=700, n_draws=100),
    fig1b=dict(n_features=10, n_sources=5, gamma=0.2, sample_sizes=[500, 1000, 2000, 5000, 10000, 20000],
               n_runs=50, n_iter=170),
)
_SMALL = dict(
    fig1a=dict(n_features=8, n_sources=4, n_samples=4000, gammas=[1e-3, 1e-2, 0.1, 0.3, 1.0],
               n_runs=3, n_iter=100, n_draws=100),
    fig1b=dict(n_features=8, n_sources=4, gamma=0.2, sample_sizes=[500, 1000, 2000, 4000],
               n_runs=3, n_iter=100),
)


def _fastica():
    try:
        from sklearn.decomposition import FastICA
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "the ICA reproduction compares with scikit-learn's FastICA, which is not "
            "installed; install it with `pip install scikit-learn` (or `pip install "
            "spreadlab[test]`)"
        ) from exc
    return FastICA


@dataclass
class ICAReproduction:
    """Result of :func:`reproduce_ica`: rows of the two tables, file paths and timing."""

    fig1a: list = field(default_factory=list)
    fig1b: list = field(default_factory=list)
    files: list = field(default_factory=list)
    config: dict = field(default_factory=dict)
    seconds: float = 0.0

    def summary(self):
        """Median error in A per method, as a small dict of dicts."""
        out = {}
        for name, rows, key in (("fig1a", self.fig1a, "gamma"), ("fig1b", self.fig1b, "n_samples")):
            table = {}
            for r in rows:
                table.setdefault((r["method"], r[key]), []).append(r["mixing_error"])
            out[name] = {f"{m} {key}={v:g}": float(np.median(e)) for (m, v), e in sorted(table.items())}
        return out


def _fit_methods(X, Z, gamma, n_iter, seed, n_draws=100, estep="auto"):
    """Standard EM and spread EM (same start, same SQUAREM acceleration, same
    iteration budget) and FastICA."""
    FastICA = _fastica()
    rng = np.random.default_rng(seed)
    Xc = X - X.mean(axis=0)
    start = SpreadICA(Z, noise=gamma)._initial_mixing(Xc, rng)
    out = {}
    common = dict(init=start, max_iter=n_iter, random_state=seed, n_draws=n_draws, estep=estep)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # classical EM runs out of budget
        for method, kw in (("standard EM", dict(spread=0.0, noise=gamma)),
                           ("spread EM", dict(spread="auto", noise=gamma))):
            t = time.perf_counter()
            est = SpreadICA(Z, **kw, **common).fit(X)
            out[method] = (est.mixing_, time.perf_counter() - t, est.n_estep_)
        t = time.perf_counter()
        ica = FastICA(n_components=Z, whiten="unit-variance", max_iter=1000, random_state=seed).fit(X)
        out["FastICA"] = (ica.mixing_, time.perf_counter() - t, ica.n_iter_)
    return out


def _write_csv(path, rows):
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


def _plot(path, rows, key, xlabel, title):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(5.5, 4))
    ax = fig.add_subplot()
    for method, marker in (("standard EM", "o"), ("spread EM", "s"), ("FastICA", "^")):
        xs = sorted({r[key] for r in rows if r["method"] == method})
        errs = [[r["mixing_error"] for r in rows if r["method"] == method and r[key] == x] for x in xs]
        med = [np.median(e) for e in errs]
        lo = [np.median(e) - np.min(e) for e in errs]
        hi = [np.max(e) - np.median(e) for e in errs]
        ax.errorbar(xs, med, yerr=[lo, hi], marker=marker, capsize=3, label=method)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(r"error in A, mean $|\hat A_{ij}-A_{ij}|/|A_{ij}|$")
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def reproduce_ica(outdir, full=False, progress=True, random_state=0, *, config=None):
    """Reproduce Fig. 1a and 1b of the spread-divergence paper.

    Fig. 1a: error in the mixing matrix against the model noise gamma for
    classical EM (``spread=0``), spread EM and FastICA, on data
    :math:`x = As + \\gamma\\epsilon` with :math:`A_{ij}=\\pm 1` and Laplace
    sources.  Fig. 1b: error against the number of samples at gamma = 0.2.
    Both EMs start from the same matrix with the same SQUAREM acceleration
    and iteration budget; spread EM uses the :class:`SpreadICA` defaults
    (``spread="auto"`` with its halving schedule).  The paper used plain EM
    with 2000 iterations and a fixed spread.

    Parameters
    ----------
    outdir : str or path-like
        Directory for ``ica_fig1a.png``, ``ica_fig1b.png`` and the CSVs.
    full : bool, default=False
        Paper scale (X=20, Z=10, N=20000, 10 runs for Fig. 1a; X=10, Z=5,
        50 runs for Fig. 1b; hours on two cores).  Budgets are 700 and 170
        SQUAREM iterations (about 2100 and 510 E-steps, the paper's 2000 and
        500 EM updates), with 100 instead of the paper's 1000 importance
        draws.
        The default is a scaled-down version (X=8, Z=4, a few runs) that
        takes a few minutes.
    progress : bool, default=True
        Show a tqdm progress bar.
    random_state : int, default=0
        Base seed; run r uses seed ``random_state + r``.
    config : dict, optional
        Overrides of the per-figure settings (keys ``"fig1a"``, ``"fig1b"``),
        e.g. for a tiny smoke test.

    Returns
    -------
    ICAReproduction
        Rows (method, gamma or n_samples, run, mixing_error, amari, seconds,
        iterations), written files and the configuration.

    References
    ----------
    M. Zhang, P. Hayes, T. Bird, R. Habib, D. Barber, "Spread Divergence",
    ICML 2020, Fig. 1.
    """
    from tqdm.auto import tqdm

    _fastica()  # fail early with a clear message
    base = _PAPER if full else _SMALL
    cfg = {k: {**v, **((config or {}).get(k, {}))} for k, v in base.items()}
    os.makedirs(outdir, exist_ok=True)
    t0 = time.perf_counter()
    res = ICAReproduction(config={"full": full, **cfg})
    a, b = cfg["fig1a"], cfg["fig1b"]
    jobs = [("a", g, r) for g in a["gammas"] for r in range(a["n_runs"])]
    jobs += [("b", n, r) for n in b["sample_sizes"] for r in range(b["n_runs"])]
    for fig, value, run in tqdm(jobs, disable=not progress, desc="reproduce ica"):
        seed = random_state + run
        if fig == "a":
            X, A, _ = make_ica_data(a["n_samples"], a["n_features"], a["n_sources"], noise=value,
                                    random_state=seed)
            fits = _fit_methods(X, a["n_sources"], value, a["n_iter"], seed, n_draws=a["n_draws"])
            key, rows = "gamma", res.fig1a
        else:
            X, A, _ = make_ica_data(value, b["n_features"], b["n_sources"], noise=b["gamma"],
                                    random_state=seed)
            fits = _fit_methods(X, b["n_sources"], b["gamma"], b["n_iter"], seed)
            key, rows = "n_samples", res.fig1b
        for method, (A_est, secs, iters) in fits.items():
            rows.append({"method": method, key: value, "run": run,
                         "mixing_error": mixing_error(A_est, A), "amari": amari_distance(A_est, A),
                         "seconds": secs, "iterations": iters})
    scale = "paper scale" if full else "scaled down"
    titles = {
        "fig1a": f"Fig. 1a ({scale}): X={a['n_features']}, Z={a['n_sources']}, N={a['n_samples']}",
        "fig1b": f"Fig. 1b ({scale}): X={b['n_features']}, Z={b['n_sources']}, "
                 f"$\\gamma$={b['gamma']}",
    }
    for name, rows, key, xlabel in (("fig1a", res.fig1a, "gamma", r"model/data noise $\gamma$"),
                                    ("fig1b", res.fig1b, "n_samples", "number of samples N")):
        csv_path = os.path.join(outdir, f"ica_{name}.csv")
        png_path = os.path.join(outdir, f"ica_{name}.png")
        _write_csv(csv_path, rows)
        _plot(png_path, rows, key, xlabel, titles[name])
        res.files += [csv_path, png_path]
    res.seconds = time.perf_counter() - t0
    return res


def demo_ica(outdir, random_state=0):
    """Small demo: classical EM freezes on deterministic data, spread EM does not.

    Deterministic data (N=5000, X=6, Z=3, Laplace sources, :math:`A_{ij}=\\pm 1`).
    Classical EM with model noise :math:`\\gamma=10^{-3}` (plain EM, 200
    iterations) and spread EM with default settings start from the same
    matrix; FastICA is the reference.  Writes ``ica_demo.png`` (Amari
    distance against E-steps).  Runs in well under a minute.

    Parameters
    ----------
    outdir : str or path-like
    random_state : int, default=0

    Returns
    -------
    dict
        ``amari_start``, ``amari_standard_em``, ``amari_spread_em``,
        ``amari_fastica`` (None when scikit-learn is not installed: the demo runs on the
        core dependencies alone), E-step counts, seconds and the figure path.
    """
    try:
        FastICA = _fastica()
    except ImportError:
        FastICA = None
    from matplotlib.figure import Figure

    os.makedirs(outdir, exist_ok=True)
    X, A, _ = make_ica_data(5000, 6, 3, random_state=random_state)
    rng = np.random.default_rng(random_state)
    start = SpreadICA(3)._initial_mixing(X - X.mean(axis=0), rng)
    traces = {}

    def tracer(name):
        traces[name] = [(0, amari_distance(start, A))]

        def cb(est, it, objective):
            traces[name].append((est.n_estep_, amari_distance(est.mixing_, A)))
        return cb

    out = {"amari_start": amari_distance(start, A)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        t = time.perf_counter()
        std = SpreadICA(3, spread=0.0, noise=1e-3, init=start, accelerate=None, max_iter=200,
                        tol=0.0, random_state=random_state, callback=tracer("standard EM")).fit(X)
        out["seconds_standard_em"] = time.perf_counter() - t
    t = time.perf_counter()
    spr = SpreadICA(3, init=start, random_state=random_state, callback=tracer("spread EM")).fit(X)
    out["seconds_spread_em"] = time.perf_counter() - t
    out["amari_fastica"] = None
    if FastICA is not None:
        t = time.perf_counter()
        ica = FastICA(n_components=3, whiten="unit-variance", random_state=random_state).fit(X)
        out["seconds_fastica"] = time.perf_counter() - t
        out["amari_fastica"] = amari_distance(ica.mixing_, A)
    out.update(amari_standard_em=amari_distance(std.mixing_, A), esteps_standard_em=std.n_estep_,
               amari_spread_em=amari_distance(spr.mixing_, A), esteps_spread_em=spr.n_estep_,
               spread=spr.spread_schedule_)
    fig = Figure(figsize=(5.5, 4))
    ax = fig.add_subplot()
    for name, trace in traces.items():
        e, d = zip(*trace)
        ax.plot(e, d, label=name)
    if out["amari_fastica"] is not None:
        ax.axhline(out["amari_fastica"], color="k", ls="--", label="FastICA")
    ax.set_yscale("log")
    ax.set_xlabel("E-steps")
    ax.set_ylabel("Amari distance to the true A")
    ax.set_title(r"Deterministic ICA: classical EM ($\gamma=10^{-3}$) vs spread EM")
    ax.legend()
    fig.tight_layout()
    path = os.path.join(outdir, "ica_demo.png")
    fig.savefig(path, dpi=120)
    out["figure"] = path
    return out
