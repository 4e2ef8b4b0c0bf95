import csv
import sys

import pytest

from spreadlab.ica import ica_sweep, reproduce_ica
from spreadlab.ica import _sweep

pytest.importorskip("sklearn")

TINY = {"fig1a": dict(n_features=3, n_sources=2, n_samples=400, gammas=[1e-3, 0.3], n_runs=1,
                      max_iter=4, n_draws=10),
        "fig1b": dict(n_features=3, n_sources=2, sample_sizes=[300], n_runs=2, max_iter=4)}


def test_reproduce_writes_tables_and_figures(tmp_path):
    res = reproduce_ica(tmp_path, progress=False, config=TINY)
    # 3 methods x 2 gammas x 1 run, and 3 methods x 1 size x 2 runs
    assert len(res.fig1a) == 6 and len(res.fig1b) == 6
    names = sorted(p.rsplit("/", 1)[-1] for p in res.files)
    assert names == ["ica_fig1a.csv", "ica_fig1a.png", "ica_fig1b.csv", "ica_fig1b.png"]
    with open(tmp_path / "ica_fig1a.csv") as f:
        rows = list(csv.DictReader(f))
    assert {r["method"] for r in rows} == {"classical EM", "spread EM", "FastICA"}
    assert all(0 <= float(r["amari"]) <= 1 for r in rows)
    assert (tmp_path / "ica_fig1b.png").stat().st_size > 1000
    assert set(res.summary()) == {"fig1a", "fig1b"}
    assert "| 0.3 | spread EM | 1 |" in res.table("fig1a")


def test_sweep_resumes_from_its_per_point_results(tmp_path, monkeypatch):
    path = tmp_path / "points.csv"
    kw = dict(n_samples=300, n_features=3, n_sources=2, max_iter=3, results=path)
    first = ica_sweep([0.3], **kw)
    assert len(first) == 3 and path.exists()
    # second call: every point is in the file, so nothing may be fitted again
    monkeypatch.setattr(_sweep, "make_ica_data", lambda *a, **k: pytest.fail("refitted"))
    again = ica_sweep([0.3], **kw)
    assert [(r["method"], r["mixing_error"]) for r in again] == \
        [(r["method"], r["mixing_error"]) for r in first]


def test_classical_em_at_zero_noise_is_reported_frozen():
    rows = ica_sweep([0.0], n_samples=300, n_features=3, n_sources=2, max_iter=3,
                     methods=("classical EM",))
    assert rows[0]["n_estep"] == 0 and rows[0]["converged"] is False


def test_reproduce_without_sklearn_fails_clearly(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn.decomposition", None)
    with pytest.raises(ImportError, match="pip install scikit-learn"):
        reproduce_ica(tmp_path, progress=False, config=TINY)
