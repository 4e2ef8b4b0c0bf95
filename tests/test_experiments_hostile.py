"""Hostile input to the experiment runner, the ICA sweep and the reproduction (issue 23):
each case was a hang, a write outside the result folder, a late or unnamed error."""
import json
import os

import numpy as np
import pytest

from spreadlab.experiments import ICASweepConfig, ica_sweep, reproduce_ica, run_points
from spreadlab.experiments import _ica_sweep as _sweep

TINY = dict(n_samples=200, n_features=3, n_sources=2, max_iter=2, n_draws=10)


def _refuse_fits(monkeypatch):
    monkeypatch.setattr(_sweep, "_fit_point", lambda s: pytest.fail("fitted before checking"))


def test_runner_refuses_a_name_that_leaves_its_folder_bug_issue23(tmp_path):
    """name=lambda p: '../../evil' wrote ../../evil.json beside the folder's parents."""
    folder = tmp_path / "a" / "b"
    with pytest.raises(ValueError, match="without a path separator; got '../../evil'"):
        run_points([{"x": 1}], lambda p: [1], folder=folder, name=lambda p: "../../evil")
    for bad in ("", ".", "..", 5, "a/b"):
        with pytest.raises(ValueError, match=r"name\(point\) must be a non-empty file name"):
            run_points([{"x": 1}], lambda p: [1], folder=folder, name=lambda p, b=bad: b)
    assert not (tmp_path / "evil.json").exists() and not folder.exists()


def test_runner_refuses_two_points_with_one_name_bug_issue23(tmp_path):
    """Both points were fitted into one file; a rerun read point 1's file back as point 0's
    (its settings differ, so it was refitted every time and never resumed)."""
    with pytest.raises(ValueError, match=r"points\[0\] and points\[1\] are both named 'same'"):
        run_points([{"x": 1}, {"x": 2}], lambda p: [p["x"]], folder=tmp_path,
                   name=lambda p: "same")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("kw, exc, match", [
    (dict(points=[{"x": object()}]), TypeError, r"points must hold JSON-able settings; points\[0\]"),
    (dict(points=[1, 2]), TypeError, r"points must hold dicts of settings; got points\[0\]=1"),
    (dict(points=5), TypeError, "points must be a list of dicts"),
    (dict(points={"x": 1}), TypeError, "points must be a list of dicts"),
    (dict(fit=5), TypeError, "fit must be a callable; got fit=5"),
    (dict(worker_init=5), TypeError, "worker_init must be a callable"),
    (dict(version=float("nan")), TypeError, "version must be an integer"),
    (dict(version=-1), ValueError, "version must be an integer >= 0"),
    (dict(progress="no"), TypeError, "progress must be True or False; got progress='no'"),
    (dict(folder=5), TypeError, "folder must be a str or os.PathLike path; got 5"),
    (dict(folder=""), ValueError, "folder must be a non-empty path"),
    (dict(folder=os.devnull), ValueError, "folder must be a folder"),
])
def test_runner_checks_everything_before_fitting_bug_issue23(kw, exc, match):
    """Before: non-JSON settings failed at the first save, after the fit; points=[1, 2] and
    version=nan were accepted; fit=5 was "'int' object is not callable"; folder=5 was os's
    'expected str, bytes or os.PathLike object'."""
    args = dict(points=[{"x": 1}], fit=lambda p: pytest.fail("fitted before checking"),
                name=lambda p: "x")
    args.update(kw)
    with pytest.raises(exc, match=match):
        run_points(args.pop("points"), args.pop("fit"), **args)


def test_runner_names_a_fit_that_returns_no_json(tmp_path):
    with pytest.raises(TypeError, match="the result of fit for the point saved as 'x.json' is "
                                        "not JSON-able"):
        run_points([{"x": 1}], lambda p: [object()], folder=tmp_path, name=lambda p: "x")
    assert list(tmp_path.iterdir()) == []   # and no temporary file is left
    # an iterable of points is read once, as the docstring says (a generator had no len())
    assert run_points((p for p in [{"x": 2}]), lambda p: [p["x"] ** 2]) == [[4]]


def test_sweep_with_a_billion_runs_is_refused_not_built_bug_issue23(monkeypatch):
    """n_runs=10**9 built a list of 10**9 point dicts (a hang, then a MemoryError)."""
    _refuse_fits(monkeypatch)
    with pytest.raises(ValueError, match=r"the number of points \(n_runs=1000000000 x 2 values\)"
                                         r"=2000000000 would need .*MEMORY_BUDGET"):
        ica_sweep([0.1, 0.2], n_runs=10**9, **TINY)
    with pytest.raises(ValueError, match="n_runs must be an integer <= 4294967296"):
        ICASweepConfig(n_runs=2**40)   # was "random_state must be an integer <= -1095216660480"


@pytest.mark.parametrize("kw, match", [
    # every fit forms the X x X covariance: 10**7 features is 728 TiB, refused up front
    (dict(n_features=10**7, n_sources=2, n_samples=2), "n_features=10000000 would need"),
    (dict(n_features=20000, n_sources=2, n_samples=2), "n_features=20000 would need"),
    # the ML finish's Z**2 x Z**2 Hessian
    (dict(n_features=400, n_sources=200, n_samples=2, methods="spread EM + ML finish"),
     "n_sources=200 would need"),
])
def test_sizes_beyond_the_budgets_are_refused_by_name(monkeypatch, kw, match):
    _refuse_fits(monkeypatch)
    with pytest.raises(ValueError, match=match):
        ica_sweep([0.1], **kw)


def test_sizes_within_the_budgets_are_accepted(monkeypatch):
    """Negative control of the size budgets: the paper's sizes, and a large Z without an ML
    finish (no Hessian)."""
    fitted = []
    monkeypatch.setattr(_sweep, "_fit_point", lambda s: fitted.append(s) or [])
    ica_sweep([0.1], n_features=20, n_sources=10, n_samples=20000, methods=_sweep.METHODS)
    ica_sweep([0.1], n_features=400, n_sources=200, n_samples=2, methods="FastICA")
    assert len(fitted) == 2


def test_numpy_anneal_is_written_to_the_point_file_bug_issue23(tmp_path):
    """spread_anneal=numpy.int64(1) passed the check, the point was fitted, and writing its
    file raised 'Object of type int64 is not JSON serializable'."""
    folder = tmp_path / "points"
    (row,) = ica_sweep([0.3], methods="spread EM", spread_anneal=np.int64(1), results=folder,
                       **TINY)
    (path,) = folder.iterdir()
    assert json.loads(path.read_text())["settings"]["spread_anneal"] == 1
    assert row["final_spread"] == 0.25   # anneal=1: one halving of the first spread, 0.5


@pytest.mark.parametrize("kw, exc, match", [
    (dict(results=5), TypeError, "results must be a str or os.PathLike path; got 5"),
    (dict(results=""), ValueError, "results must be a non-empty path"),
    (dict(results=os.devnull), ValueError, "results must be a folder"),
    (dict(progress="yes"), TypeError, "progress must be True or False"),
    (dict(progress=None), TypeError, "progress must be True or False"),
])
def test_sweep_names_a_bad_results_folder_or_progress_bug_issue23(monkeypatch, kw, exc, match):
    """results=5 was os's TypeError, '' a FileNotFoundError and /dev/null a FileExistsError;
    progress='yes' and None were taken as flags."""
    _refuse_fits(monkeypatch)
    with pytest.raises(exc, match=match):
        ica_sweep([0.1], **TINY, **kw)


@pytest.mark.parametrize("kw, exc, match", [
    (dict(full="no"), TypeError, "full must be True or False; got full='no'"),
    (dict(progress="no"), TypeError, "progress must be True or False"),
    (dict(config={"fig1a": {"n_runs": 10**9}}), ValueError, r"\['gammas'\]: the number of points"),
    (dict(config={"fig1b": {"sample_sizes": [10**11]}}), ValueError,
     r"config\['fig1b'\]\['sample_sizes'\]: values \(sample sizes\)=100000000000 would need"),
    (dict(config={"fig1a": {"methods": []}}), ValueError, "methods must name at least one"),
    (dict(config={"fig1a": {"gammas": "0.1"}}), TypeError,
     r"config\['fig1a'\]\['gammas'\]: values must be a sequence"),
])
def test_reproduce_checks_its_sweeps_before_creating_its_folder_bug_issue23(tmp_path, kw, exc,
                                                                            match):
    """full='no' ran the paper's settings (a true string); n_runs=10**9 made the folder and then
    hung; a bad gammas or methods was refused only after the folder was made."""
    out = tmp_path / "out"
    with pytest.raises(exc, match=match):
        reproduce_ica(out, **{"progress": False, **kw})
    assert not out.exists()
