r"""The Fig. 1 sweeps (error in A against noise or sample size) and their plots.

One sweep function serves notebook 6 and :func:`spreadlab.ica.reproduce_ica`:
classical EM (``SpreadICA(spread=0, noise=gamma)``), spread EM
(``SpreadICA(noise=gamma)``) and scikit-learn's FastICA on the same data, both
EMs from the same :func:`pca_start` matrix with the same iteration budget.
"""
import csv
import os
import time
import warnings

import numpy as np

from ._data import make_ica_data
from ._estimator import ConvergenceWarning, SpreadICA
from ._metrics import amari_distance, mixing_error
from ._start import pca_start

__all__ = ["ica_sweep", "em_update_zero_noise", "plot_ica_traces", "plot_ica_sweep"]

METHODS = ("classical EM", "spread EM", "FastICA")
_FIELDS = ("vary", "value", "run", "method", "mixing_error", "amari", "seconds", "n_estep",
           "converged")


def em_update_zero_noise(A, X):
    r"""One classical EM update of the mixing matrix for noiseless ICA (:math:`\gamma = 0`).

    As :math:`\gamma \to 0` the posterior of the sources given :math:`x` collapses to the
    point mass at :math:`A^{+}x`, so with :math:`S = \frac1N\sum_n x_n x_n^\top`

    .. math:: \langle xz^\top\rangle = S A^{+\top}, \qquad
              \langle zz^\top\rangle = A^{+} S A^{+\top}, \qquad
              A_{\text{new}} = S A^{+\top}\bigl(A^{+} S A^{+\top}\bigr)^{-1}.

    For square invertible :math:`A` this is :math:`S A^{-\top} A^\top S^{-1} A = A`: EM
    does not move.  The same holds for tall :math:`A` whose columns span the data
    subspace (as :func:`pca_start`).

    Parameters
    ----------
    A : array-like of shape (n_features, n_components)
        Current mixing matrix, full column rank.
    X : array-like of shape (n_samples, n_features)
        Noise-free data (centred).

    Returns
    -------
    ndarray of shape (n_features, n_components)

    References
    ----------
    M. Zhang, P. Hayes, T. Bird, R. Habib, D. Barber, "Spread Divergence", ICML 2020,
    section 5.1; O. Bermond, J.-F. Cardoso, "Approximate likelihood for noisy mixtures",
    ICA 1999.

    Examples
    --------
    >>> import numpy as np
    >>> from spreadlab.ica import em_update_zero_noise
    >>> rng = np.random.default_rng(0)
    >>> X = rng.laplace(size=(500, 3)) @ rng.normal(size=(3, 3)).T
    >>> A = rng.normal(size=(3, 3))
    >>> bool(np.allclose(em_update_zero_noise(A, X), A))
    True
    """
    from .._validation import as_float_array

    A = as_float_array(A, "A")
    X = as_float_array(X, "X")
    if A.ndim != 2 or X.ndim != 2 or X.shape[1] != A.shape[0] or X.shape[0] == 0:
        raise ValueError(f"A must have shape (n_features, n_components) and X (n_samples, "
                         f"n_features) with the same n_features; got A {A.shape}, X {X.shape}")
    with np.errstate(over="raise", invalid="raise"):
        try:
            Z = X @ np.linalg.pinv(A).T  # the posterior point for each x
            xz = X.T @ Z / X.shape[0]
            zz = Z.T @ Z / X.shape[0]
            return np.linalg.solve(zz.T, xz.T).T
        except (np.linalg.LinAlgError, FloatingPointError) as exc:
            raise ValueError(f"A and X: the update is undefined for these inputs ({exc}); A must "
                             "have full column rank and X moderate, finite values") from None


def _fastica_class():
    try:
        from sklearn.decomposition import FastICA
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "the ICA sweep compares with scikit-learn's FastICA, which is not installed; "
            "install it with `pip install scikit-learn`"
        ) from exc
    return FastICA


def _read_done(path):
    if not path or not os.path.exists(path):
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def _typed(row):
    out = dict(row)
    out["value"] = float(row["value"]) if row["vary"] == "gamma" else int(float(row["value"]))
    out[row["vary"]] = out["value"]
    out["run"] = int(row["run"])
    for k in ("mixing_error", "amari", "seconds"):
        out[k] = float(row[k])
    out["n_estep"] = None if row["n_estep"] in ("", "None") else int(float(row["n_estep"]))
    out["converged"] = row["converged"] in ("True", True)
    return out


def ica_sweep(values, *, vary="gamma", gamma=0.0, n_samples=2000, n_features=6, n_sources=3,
              n_runs=1, max_iter=40, n_draws=100, methods=METHODS, random_state=0,
              results=None, progress=False):
    r"""Fig. 1a or 1b of the spread-divergence paper: error in A against noise or N.

    For each value (a model/data noise :math:`\gamma` with ``vary="gamma"``, or a
    number of samples with ``vary="n_samples"``) and each run r, data
    :math:`x = As + \gamma\epsilon` are drawn by :func:`make_ica_data`
    (:math:`A_{ij}=\pm 1`, Laplace sources, seed ``random_state + r``: the same
    :math:`A` for every value of one run) and fitted by

    * ``"classical EM"``: ``SpreadICA(spread=0, noise=gamma)`` (SQUAREM, as spread
      EM; at :math:`\gamma = 0` it cannot move and is reported at its start),
    * ``"spread EM"``: ``SpreadICA(noise=gamma)`` with its defaults,
    * ``"FastICA"``: scikit-learn's ``FastICA(whiten="unit-variance")``,

    both EMs from the same :func:`pca_start` matrix with ``max_iter`` iterations per
    stage.  The error is the paper's :func:`mixing_error`,
    :math:`\frac{1}{XZ}\sum_{ij}|\hat A_{ij}-A_{ij}|/|A_{ij}|` after matching
    permutation, sign and scale.

    Parameters
    ----------
    values : sequence of float or int
        Noise levels (``vary="gamma"``) or sample sizes (``vary="n_samples"``).
    vary : {"gamma", "n_samples"}, default="gamma"
        Which setting the sweep varies (Fig. 1a varies the noise, Fig. 1b the sample size).
    gamma : float, default=0.0
        Noise level when ``vary="n_samples"``.
    n_samples : int, default=2000
        Sample size when ``vary="gamma"``.
    n_features, n_sources : int, default=6, 3
        X and Z of the generated problems.
    n_runs : int, default=1
        Random mixing matrices per point.
    max_iter : int, default=40
        Iteration budget per stage of each EM.
    n_draws : int, default=100
        Importance draws of spread EM (when it samples).
    methods : sequence of str, default=("classical EM", "spread EM", "FastICA")
        Which methods to fit at each point.
    random_state : int, default=0
        Seed of the data and fits (each point and run derives its own).
    results : str or path-like, optional
        CSV file of per-point results.  Rows already in it are reused (the sweep
        resumes where it stopped); new rows are appended as each point finishes.
    progress : bool, default=False
        tqdm progress bar over the points.

    Returns
    -------
    list of dict
        One row per (value, run, method): ``vary``, ``value`` (also under the key
        ``gamma`` or ``n_samples``), ``run``, ``method``, ``mixing_error``, ``amari``,
        ``seconds``, ``n_estep`` (None for FastICA), ``converged``.

    References
    ----------
    M. Zhang, P. Hayes, T. Bird, R. Habib, D. Barber, "Spread Divergence", ICML 2020,
    section 5.1 and Fig. 1 (https://arxiv.org/abs/1811.08968).

    Examples
    --------
    >>> from spreadlab.ica import ica_sweep
    >>> rows = ica_sweep([0.3], n_samples=400, n_features=3, n_sources=2, max_iter=5,
    ...                  methods=("spread EM",))
    >>> rows[0]["method"], rows[0]["gamma"]
    ('spread EM', 0.3)
    """
    from tqdm.auto import tqdm

    if vary not in ("gamma", "n_samples"):
        raise ValueError(f"vary must be 'gamma' or 'n_samples'; got vary={vary!r}")
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise ValueError(f"methods must be among {METHODS}; got {unknown}")
    FastICA = _fastica_class() if "FastICA" in methods else None
    done = [_typed(r) for r in _read_done(results) if r["vary"] == vary]
    have = {(r["value"], r["run"], r["method"]) for r in done}
    rows = list(done)
    jobs = [(v, r) for v in values for r in range(n_runs)]
    new_file = bool(results) and not os.path.exists(results)
    if results:
        os.makedirs(os.path.dirname(os.path.abspath(results)), exist_ok=True)
    for value, run in tqdm(jobs, disable=not progress, desc=f"ICA sweep over {vary}"):
        value = float(value) if vary == "gamma" else int(value)
        todo = [m for m in methods if (value, run, m) not in have]
        if not todo:
            continue
        g = value if vary == "gamma" else float(gamma)
        n = n_samples if vary == "gamma" else value
        seed = random_state + run
        X, A, _ = make_ica_data(n, n_features, n_sources, noise=g, random_state=seed)
        start = pca_start(X, n_sources, noise=g, random_state=seed)
        point = []
        for method in todo:
            t = time.perf_counter()
            if method == "FastICA":
                est = FastICA(n_components=n_sources, whiten="unit-variance", max_iter=1000,
                              random_state=seed)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # its own ConvergenceWarning: reported below
                    est.fit(X)
                A_est, esteps, conv = est.mixing_, None, est.n_iter_ < 1000
            elif method == "classical EM" and g == 0:
                A_est, esteps, conv = start, 0, False  # frozen: every matrix is a fixed point
            else:
                kw = dict(spread=0.0) if method == "classical EM" else {}
                est = SpreadICA(n_sources, noise=g, init=start, max_iter=max_iter,
                                n_draws=n_draws, random_state=seed, **kw)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", ConvergenceWarning)  # reported as a column
                    est.fit(X)
                A_est, esteps, conv = est.mixing_, est.n_estep_, est.converged_
            point.append({"vary": vary, "value": value, "run": run, "method": method,
                          "mixing_error": mixing_error(A_est, A),
                          "amari": amari_distance(A_est, A),
                          "seconds": time.perf_counter() - t, "n_estep": esteps,
                          "converged": bool(conv)})
        if results:
            with open(results, "a", newline="") as f:
                w = csv.DictWriter(f, fieldnames=_FIELDS)
                if new_file:
                    w.writeheader()
                    new_file = False
                w.writerows(point)
        for r in point:
            r[vary] = value
        rows += point
    order = {m: i for i, m in enumerate(METHODS)}
    rows.sort(key=lambda r: (r["value"], r["run"], order[r["method"]]))
    return rows


def _new_ax(ax):
    if ax is not None:
        return ax
    from ..plotting import subplots

    return subplots()[1]


def plot_ica_traces(traces, ax=None, xlabel="E-steps", ylabel="Amari distance to the true A"):
    """Plot error curves against iterations (or E-steps) on a logarithmic y axis.

    Parameters
    ----------
    traces : dict of str to array-like or (array-like, array-like)
        Labelled curves: the values (plotted against 1, 2, ...), or an ``(x, y)`` pair.
    ax : matplotlib.axes.Axes, optional
        Axes to draw in; a new :func:`spreadlab.plotting.subplots` figure otherwise.
    xlabel, ylabel : str
        Axis labels.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from spreadlab.ica import plot_ica_traces
    >>> ax = plot_ica_traces({"plain EM": [0.5, 0.3, 0.2]})
    >>> ax.get_yscale()
    'log'
    >>> plt.close(ax.figure)
    """
    ax = _new_ax(ax)
    for label, t in traces.items():
        if isinstance(t, tuple) and len(t) == 2:
            x, y = (np.asarray(v, dtype=float) for v in t)
        else:
            y = np.asarray(t, dtype=float)
            x = np.arange(1, y.size + 1)
        ax.semilogy(x, y, label=label)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend()
    return ax


def plot_ica_sweep(rows, x="gamma", key="mixing_error", ax=None):
    """Plot the rows of :func:`ica_sweep`: one line per method, median over runs with
    error bars from the smallest to the largest run (a single run: no bars).

    Parameters
    ----------
    rows : list of dict
        Result rows of :func:`ica_sweep` (``method``, the varied setting and the errors).
    x : {"gamma", "n_samples"}, default="gamma"
        The varied setting on the horizontal axis.
    key : {"mixing_error", "amari"}, default="mixing_error"
        Which error to plot.
    ax : matplotlib.axes.Axes, optional
        Axes to draw in; a new figure otherwise.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from spreadlab.ica import plot_ica_sweep
    >>> rows = [{"method": "FastICA", "gamma": g, "mixing_error": e}
    ...         for g, e in [(0.1, 0.02), (1.0, 0.05)]]
    >>> ax = plot_ica_sweep(rows)
    >>> ax.get_xlabel()
    'model and data noise γ'
    >>> plt.close(ax.figure)
    """
    ax = _new_ax(ax)
    markers = {"classical EM": "o", "spread EM": "s", "FastICA": "^"}
    for method in dict.fromkeys(r["method"] for r in rows):
        xs = sorted({r[x] for r in rows if r["method"] == method})
        errs = [np.array([r[key] for r in rows if r["method"] == method and r[x] == v])
                for v in xs]
        med = np.array([np.median(e) for e in errs])
        lo = med - np.array([e.min() for e in errs])
        hi = np.array([e.max() for e in errs]) - med
        ax.errorbar(xs, med, yerr=[lo, hi], marker=markers.get(method, "d"), capsize=3,
                    label=method)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("model and data noise γ" if x == "gamma" else "number of samples N")
    ax.set_ylabel("error in A (mean relative)" if key == "mixing_error"
                  else "Amari distance to the true A")
    ax.legend()
    return ax

