"""Reproduction of the ICA experiment of the spread-divergence paper (Fig. 1)
and a small demo for ``spreadlab demo``.

Both compare classical EM (``spread=0``, model noise gamma), spread EM and
scikit-learn's FastICA (the reproduction also SpreadICA's default fit, spread EM
with an ML finish) on data from the same mixing matrices, through the one
sweep function :func:`spreadlab.experiments.ica_sweep` that notebook 6 also uses.
"""
import csv
import os
import time
import warnings
from dataclasses import dataclass, field

import numpy as np

from .._trainer import ConvergenceWarning
from .._validation import _short, as_count
from ..ica._data import make_ica_data
from ..ica._estimator import SpreadICA
from ..ica._metrics import amari_distance
from ..ica._start import pca_start
from ..plotting._style import FIGURE_WIDTH, save_figure
from ._ica_sweep import (METHODS, ICASweepConfig, check_n_jobs, check_values, ica_sweep,
                         plot_ica_sweep)
from ._ica_sweep import fastica_class as _fastica  # a module attribute: tests replace it
from ._runner import check_flag, check_folder

__all__ = ["reproduce_ica", "demo_ica", "ICAReproduction"]

# The paper's settings (the deterministic ICA experiment, Fig. 1).  Classical EM is the paper's plain EM
# with its budget (2000 updates for 1a, 500 for 1b), stopped early only when it is
# frozen so that the full budget could not change its error by more than 2%
# (ica_sweep, frozen_stop; run 0 of every point runs the full budget to check the
# rule).  Spread EM runs SQUAREM with the honest stopping rule in each of three
# stages, spread 0.5 -> 0.25 -> 0.125 source units (smaller spreads need more than
# 100 importance draws: docs/ica_fig1.md).  Both EMs use the paper's E-step,
# importance sampling from the Gaussian likelihood factor with Laplace prior
# weights (100 draws; the paper: 1000).  A fourth method, the package's default
# SpreadICA (one spread stage, then the sigma -> 0 limit: noiseless ML), shows
# where spread EM continued to sigma -> 0 ends; a fifth, SpreadICA(finish="noisy_ml",
# noise=gamma), continues to ML of the noisy model (the limit with model noise gamma).
_PROTOCOL = dict(estep="importance", n_draws=100, max_iter=300, spread_anneal=2,
                 classical_accelerate=None, frozen_stop=0.02, validate_runs=(0,),
                 methods=METHODS)
_PAPER = dict(
    fig1a=dict(n_features=20, n_sources=10, n_samples=20000, gammas=[1e-3, 1e-2, 0.1, 0.2, 0.5, 1.0],
               n_runs=10, classical_max_iter=2000, **_PROTOCOL),
    fig1b=dict(n_features=10, n_sources=5, gamma=0.2, sample_sizes=[250, 500, 1000, 2000, 5000, 10000, 20000],
               n_runs=50, classical_max_iter=500, **_PROTOCOL),
)
_SMALL = dict(
    fig1a=dict(n_features=8, n_sources=4, n_samples=4000, gammas=[1e-3, 1e-2, 0.1, 0.3, 1.0],
               n_runs=3, classical_max_iter=2000, **_PROTOCOL),
    fig1b=dict(n_features=8, n_sources=4, gamma=0.2, sample_sizes=[250, 1000, 4000],
               n_runs=3, classical_max_iter=500, **_PROTOCOL),
)
_SWEEP_KEYS = ("n_features", "n_sources", "n_runs", "max_iter", "n_draws", "estep",
               "spread_anneal", "classical_accelerate", "classical_max_iter", "frozen_stop",
               "validate_runs", "methods")   # the ICASweepConfig fields a figure's settings set



@dataclass
class ICAReproduction:
    """Result of :func:`reproduce_ica`: rows of the two tables, file paths and timing.

    Attributes
    ----------
    fig1a : list of dict
        Per-point, per-method rows of Fig. 1a (error against the noise level gamma).
    fig1b : list of dict
        Rows of Fig. 1b (error against the sample size N).
    files : list of str
        Figures and CSV files written.
    config : dict
        The settings that ran (sizes, runs, budgets).
    seconds : float
        Wall time of the reproduction.
    """

    fig1a: list = field(default_factory=list)
    fig1b: list = field(default_factory=list)
    files: list = field(default_factory=list)
    config: dict = field(default_factory=dict)
    seconds: float = 0.0

    def summary(self):
        """Median error in A per method and point, as a small dict of dicts."""
        out = {}
        for name, rows, key in (("fig1a", self.fig1a, "gamma"), ("fig1b", self.fig1b, "n_samples")):
            table = {}
            for r in rows:
                table.setdefault((r["method"], r[key]), []).append(r["mixing_error"])
            out[name] = {f"{m} {key}={v:g}": float(np.median(e)) for (m, v), e in sorted(table.items())}
        return out

    def table(self, name):
        """Markdown table of ``"fig1a"`` or ``"fig1b"``: per point and method, the
        median, mean and standard error of the error in A over runs, how many
        runs met their stopping rule, and how many classical-EM runs were stopped
        as frozen (with the largest bound on how much the full budget could have
        changed their error)."""
        rows = getattr(self, name)
        key = "gamma" if name == "fig1a" else "n_samples"
        lines = [f"| {key} | method | runs | median error in A | mean ± s.e. | converged | "
                 "stopped as frozen (max bound) |",
                 "|---|---|---|---|---|---|---|"]
        for v in sorted({r[key] for r in rows}):
            for m in METHODS:
                sel = [r for r in rows if r[key] == v and r["method"] == m]
                if not sel:
                    continue
                e = np.array([r["mixing_error"] for r in sel])
                # one run has no standard error: the table says so instead of printing nan
                se = f"{e.std(ddof=1) / np.sqrt(e.size):.4f}" if e.size > 1 else "n/a"
                conv = sum(bool(r["converged"]) for r in sel)
                frozen = [r for r in sel if r.get("stop") == "frozen rule"]
                fz = (f"{len(frozen)}/{e.size} ({max(r['error_bound'] for r in frozen):.4f})"
                      if frozen else ("-" if m != "classical EM" else f"0/{e.size}"))
                lines.append(f"| {v:g} | {m} | {e.size} | {np.median(e):.4f} | "
                             f"{e.mean():.4f} ± {se} | {conv}/{e.size} | {fz} |")
        return "\n".join(lines)

    def timing(self):
        """Markdown table of fitting time per figure and method: CPU seconds summed
        over all fits (one thread per fit, so this is the time on free cores) and
        wall seconds summed over fits (inflated when the cores are shared)."""
        lines = ["| figure | method | fits | CPU s (sum) | CPU s per fit, median / max | "
                 "wall s (sum) |", "|---|---|---|---|---|---|"]
        for name in ("fig1a", "fig1b"):
            rows = getattr(self, name)
            for m in METHODS:
                sel = [r for r in rows if r["method"] == m]
                if not sel:
                    continue
                cpu = np.array([r.get("cpu_seconds", np.nan) for r in sel], dtype=float)
                wall = np.array([r["seconds"] for r in sel], dtype=float)
                lines.append(f"| {name} | {m} | {len(sel)} | {cpu.sum():.0f} | "
                             f"{np.median(cpu):.1f} / {cpu.max():.1f} | {wall.sum():.0f} |")
        return "\n".join(lines)

    def rule_check(self):
        """Markdown table of the validation runs of the frozen rule: runs that ran
        the full classical-EM budget although the rule fired, with the error when
        it fired, the error after the full budget, and the bound the rule gave."""
        lines = ["| figure | point | run | rule fired at iteration | error then | error after "
                 "the full budget | change | bound |", "|---|---|---|---|---|---|---|---|"]
        for name, key in (("fig1a", "gamma"), ("fig1b", "n_samples")):
            for r in getattr(self, name):
                if r["method"] == "classical EM" and r.get("stop") != "frozen rule" \
                        and r.get("rule_iter") is not None:
                    lines.append(
                        f"| {name} | {key} = {r[key]:g} | {r['run']} | {r['rule_iter']} | "
                        f"{r['rule_error']:.4f} | {r['mixing_error']:.4f} | "
                        f"{abs(r['mixing_error'] - r['rule_error']):.4f} | {r['error_bound']:.4f} |")
        return "\n".join(lines)


_CSV_FIELDS = ("vary", "value", "run", "method", "mixing_error", "amari", "seconds", "cpu_seconds",
               "n_estep",
               "n_iter", "converged", "stop", "rule_iter", "rule_error", "error_bound",
               "final_spread", "noise")


def _write_csv(path, rows):
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=_CSV_FIELDS, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)


def _plot(path, rows, key, title):
    from matplotlib.figure import Figure

    from ..plotting._style import style

    with style():
        fig = Figure(figsize=(FIGURE_WIDTH, 0.62 * FIGURE_WIDTH))
        ax = fig.add_subplot()
        plot_ica_sweep(rows, x=key, ax=ax, bars="se")
        ax.set_title(title)
        save_figure(fig, path)


def reproduce_ica(outdir, full=False, progress=True, random_state=0, *, config=None, n_jobs=1):
    """Reproduce Fig. 1a and 1b of the spread-divergence paper.

    Fig. 1a: error in the mixing matrix against the noise gamma of data and
    model for classical EM (``spread=0``), spread EM, spread EM with an ML finish
    (below) and FastICA, on data
    :math:`x = As + \\gamma\\epsilon` with :math:`A_{ij}=\\pm 1` and Laplace
    sources.  Fig. 1b: error against the number of samples at gamma = 0.2.
    Both EMs start from the same :func:`pca_start` matrix and use the paper's
    importance-sampling E-step; classical EM is the paper's plain EM with its
    budget (2000 updates for 1a, 500 for 1b), stopped early only when frozen
    (:func:`ica_sweep`, ``frozen_stop``); spread EM runs three SQUAREM stages,
    spread 0.5, 0.25, 0.125 source units, each to its stopping rule.  A fourth
    method, ``"spread EM + ML finish"``, is :class:`SpreadICA` with its defaults:
    one spread stage, then the :math:`\\sigma\\to 0` limit of the spread
    likelihood (noiseless maximum likelihood, which ignores gamma); a fifth,
    ``"spread EM + noisy ML finish"``, is ``SpreadICA(finish="noisy_ml",
    noise=gamma)``, the same fit continued to maximum likelihood of the noisy
    model (the limit of spread EM with model noise gamma).

    Every (point, run) is written to its own file in ``outdir/ica_fig1a_points``
    and ``outdir/ica_fig1b_points`` as soon as it finishes; running again with
    the same ``outdir`` and settings skips the finished points.

    Parameters
    ----------
    outdir : str or path-like
        Directory for ``ica_fig1a.png``, ``ica_fig1b.png``, the CSVs and the
        per-point folders.
    full : bool, default=False
        The paper's settings (X=20, Z=10, N=20000, A_ij = ±1, 10 runs per
        gamma for Fig. 1a; X=10, Z=5, gamma=0.2, 50 random A, N from 250 to
        20000 for Fig. 1b).  The default is a scaled-down version (X=8, Z=4,
        3 runs) that takes a few minutes.
    progress : bool, default=True
        Show a tqdm progress bar over the points.
    random_state : int, default=0
        Base seed; run r uses seed ``random_state + r``.
    config : dict, optional
        Overrides of the per-figure settings (keys ``"fig1a"``, ``"fig1b"``),
        e.g. for a tiny smoke test.
    n_jobs : int, default=1
        Worker processes, one thread each (``spreadlab reproduce ica --jobs``).
        The results do not depend on it.

    Returns
    -------
    ICAReproduction
        Rows of :func:`ica_sweep`, written files and the configuration.

    References
    ----------
    M. Zhang, P. Hayes, T. Bird, R. Habib, D. Barber, "Spread Divergence",
    ICML 2020, the deterministic ICA experiment and its Fig. 1.
    """
    # every argument is checked before anything is fitted or created on disk
    outdir, n_jobs, cfg, random_state = check_arguments(outdir, full, random_state, config,
                                                         n_jobs)
    progress = check_flag(progress, "progress")
    os.makedirs(outdir, exist_ok=True)
    t0 = time.perf_counter()
    res = ICAReproduction(config={"full": full, **cfg})
    a, b = cfg["fig1a"], cfg["fig1b"]
    config_a, config_b = _sweep_configs(cfg, random_state)
    run = dict(progress=progress, n_jobs=n_jobs)
    res.fig1a = ica_sweep(a["gammas"], config_a,
                          results=os.path.join(outdir, "ica_fig1a_points"), **run)
    res.fig1b = ica_sweep(b["sample_sizes"], config_b,
                          results=os.path.join(outdir, "ica_fig1b_points"), **run)
    scale = "paper settings" if full else "scaled down"
    titles = {
        "fig1a": f"Fig. 1a ({scale}): X = {a['n_features']}, Z = {a['n_sources']}, "
                 f"N = {a['n_samples']}",
        "fig1b": f"Fig. 1b ({scale}): X = {b['n_features']}, Z = {b['n_sources']}, "
                 f"γ = {b['gamma']}",
    }
    for name, rows, key in (("fig1a", res.fig1a, "gamma"), ("fig1b", res.fig1b, "n_samples")):
        csv_path = os.path.join(outdir, f"ica_{name}.csv")
        png_path = os.path.join(outdir, f"ica_{name}.png")
        _write_csv(csv_path, rows)
        _plot(png_path, rows, key, titles[name])
        res.files += [csv_path, png_path]
    res.seconds = time.perf_counter() - t0
    return res


def check_arguments(outdir, full=False, random_state=0, config=None, n_jobs=1):
    """The arguments of :func:`reproduce_ica`, checked; returns ``(outdir, n_jobs, cfg,
    random_state)`` with ``cfg`` the per-figure settings.  The CLI calls it before it
    creates the output folder."""
    outdir = _check_outdir(outdir)
    n_jobs = check_n_jobs(n_jobs)
    full = check_flag(full, "full")   # full='no' ran the paper's settings (a true string)
    _fastica()  # fail early with a clear message
    base = _PAPER if full else _SMALL
    config = {} if config is None else config
    if not isinstance(config, dict) or set(config) - set(base) or \
            any(not isinstance(c, dict) or set(c) - set(base[k]) for k, c in config.items()):
        raise ValueError(f"config must be a dict with keys among {sorted(base)}, each a dict "
                         f"of settings among {sorted(base['fig1a'])} (fig1a) or "
                         f"{sorted(base['fig1b'])} (fig1b); got config={_short(config)}")
    cfg = {k: {**v, **config.get(k, {})} for k, v in base.items()}
    most_runs = max(as_count(c["n_runs"], f"config[{k!r}]['n_runs']") for k, c in cfg.items())
    # run r is seeded random_state + r, and SpreadICA and FastICA take seeds below 2**32
    random_state = as_count(random_state, "random_state", minimum=0, maximum=2**32 - most_runs)
    # every setting and the sweeps' sizes and budgets, before the folder is made (n_runs=10**9
    # made the folder and then hung building a billion points)
    config_a, config_b = _sweep_configs(cfg, random_state)
    for fig, key, config_ in (("fig1a", "gammas", config_a), ("fig1b", "sample_sizes", config_b)):
        try:
            check_values(cfg[fig][key], config_)
        except (TypeError, ValueError) as exc:   # in the words of reproduce's config
            raise type(exc)(f"config[{fig!r}][{key!r}]: {exc}") from None
    return outdir, n_jobs, cfg, random_state


def _sweep_configs(cfg, random_state):
    """The two sweeps' configs (every setting checked by :class:`ICASweepConfig`)."""
    a, b = cfg["fig1a"], cfg["fig1b"]
    config_a = ICASweepConfig(vary="gamma", n_samples=a["n_samples"], random_state=random_state,
                              **{k: a[k] for k in _SWEEP_KEYS if k in a})
    config_b = ICASweepConfig(vary="n_samples", gamma=b["gamma"], random_state=random_state,
                              **{k: b[k] for k in _SWEEP_KEYS if k in b})
    return config_a, config_b


def _check_outdir(outdir):
    """``outdir`` as a non-empty ``str`` path (a path-like object is converted)."""
    return check_folder(outdir, "outdir")


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
        Folder the figure is written to (created if needed).
    random_state : int, default=0
        Seed of the data and of every fit, in [0, 2**32 - 1] (FastICA's range).

    Returns
    -------
    dict
        ``amari_start``, ``amari_standard_em``, ``amari_spread_em``,
        ``amari_fastica`` (None when scikit-learn is not installed: the demo runs on the
        core dependencies alone), E-step counts, seconds and the figure path.
    """
    # every argument is checked before anything is created on disk
    outdir = _check_outdir(outdir)
    random_state = as_count(random_state, "random_state", minimum=0, maximum=2**32 - 1)
    try:
        FastICA = _fastica()
    except ImportError:
        FastICA = None
    from matplotlib.figure import Figure

    os.makedirs(outdir, exist_ok=True)
    X, A, _ = make_ica_data(5000, 6, 3, random_state=random_state)
    rng = np.random.default_rng(random_state)
    start = pca_start(X, 3, random_state=rng)
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
                        tol=0.0, random_state=random_state, callback=tracer("classical EM")).fit(X)
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
    fig = Figure(figsize=(FIGURE_WIDTH, 0.62 * FIGURE_WIDTH))
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
    save_figure(fig, path, dpi=120)
    out["figure"] = path
    return out
