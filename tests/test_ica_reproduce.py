import csv
import json
import sys

import numpy as np
import pytest

from spreadlab.ica import ica_sweep, reproduce_ica
from spreadlab.experiments import _ica_reproduce as _reproduce
from spreadlab.experiments import _ica_sweep as _sweep

pytest.importorskip("sklearn")

TINY = {"fig1a": dict(n_features=3, n_sources=2, n_samples=400, gammas=[1e-3, 0.3], n_runs=1,
                      max_iter=4, n_draws=10, classical_max_iter=120),
        "fig1b": dict(n_features=3, n_sources=2, sample_sizes=[300], n_runs=2, max_iter=4,
                      n_draws=10, classical_max_iter=60)}


def test_reproduce_writes_tables_figures_and_one_file_per_point(tmp_path):
    res = reproduce_ica(tmp_path, progress=False, config=TINY)
    # 5 methods x 2 gammas x 1 run, and 5 methods x 1 size x 2 runs
    assert len(res.fig1a) == 10 and len(res.fig1b) == 10
    names = sorted(p.rsplit("/", 1)[-1] for p in res.files)
    assert names == ["ica_fig1a.csv", "ica_fig1a.png", "ica_fig1b.csv", "ica_fig1b.png"]
    assert sorted(p.name for p in (tmp_path / "ica_fig1a_points").iterdir()) == \
        ["gamma_0.001_run000.json", "gamma_0.3_run000.json"]
    assert len(list((tmp_path / "ica_fig1b_points").iterdir())) == 2
    with open(tmp_path / "ica_fig1a.csv") as f:
        rows = list(csv.DictReader(f))
    assert {r["method"] for r in rows} == {"classical EM", "spread EM", "spread EM + ML finish",
                                           "spread EM + noisy ML finish", "FastICA"}
    assert all(0 <= float(r["amari"]) <= 1 for r in rows)
    # the paper's protocol: plain classical EM, importance sampling in both EMs,
    # spread EM ending at 0.5 / 2**2 source units
    spread = [r for r in res.fig1a if r["method"] == "spread EM"]
    assert all(r["final_spread"] == 0.125 for r in spread)
    classical = [r for r in res.fig1a if r["method"] == "classical EM"]
    assert all(r["n_iter"] <= 120 for r in classical)
    assert all(r["n_estep"] <= r["n_iter"] + 1 for r in classical if r["n_iter"] > 0)  # no SQUAREM
    assert (tmp_path / "ica_fig1b.png").stat().st_size > 1000
    assert set(res.summary()) == {"fig1a", "fig1b"}
    assert "| 0.3 | spread EM | 1 |" in res.table("fig1a")
    assert res.table("fig1b").count("\n") == 2 + 5 - 1  # header, rule, one line per method
    # the fourth method is SpreadICA's default fit: it ends at spread 0 (the ML stage)
    finish = [r for r in res.fig1a if r["method"] == "spread EM + ML finish"]
    assert all(r["final_spread"] == 0.0 and r["n_estep"] > 0 for r in finish)
    # the fifth ends at ML of the noisy model with the data noise given (issue 23)
    noisy = [r for r in res.fig1a if r["method"] == "spread EM + noisy ML finish"]
    assert [r["noise"] for r in noisy] == [r["gamma"] for r in noisy] == [1e-3, 0.3]
    assert [r["noise"] for r in rows if r["method"] == "spread EM + noisy ML finish"] == \
        ["0.001", "0.3"]   # and the CSV carries it


def test_sweep_resumes_from_its_per_point_files(tmp_path, monkeypatch):
    folder = tmp_path / "points"
    kw = dict(n_samples=300, n_features=3, n_sources=2, max_iter=3, n_draws=10, results=folder)
    first = ica_sweep([0.3], **kw)
    assert len(first) == 3 and len(list(folder.iterdir())) == 1
    # second call: every point has its file, so nothing may be fitted again
    monkeypatch.setattr(_sweep, "_fit_point", lambda s: pytest.fail("refitted"))
    again = ica_sweep([0.3], **kw)
    assert [(r["method"], r["mixing_error"]) for r in again] == \
        [(r["method"], r["mixing_error"]) for r in first]
    # one more value: only the new point is fitted
    fitted = []
    monkeypatch.setattr(_sweep, "_fit_point", lambda s: fitted.append(s["value"]) or [])
    ica_sweep([0.3, 0.5], **kw)
    assert fitted == [0.5]


def test_resume_refits_a_point_whose_file_has_other_settings_or_is_broken(tmp_path, monkeypatch):
    folder = tmp_path / "points"
    kw = dict(n_samples=300, n_features=3, n_sources=2, n_draws=10, results=folder,
              methods=("FastICA",))
    ica_sweep([0.3], max_iter=3, **kw)
    fitted = []
    monkeypatch.setattr(_sweep, "_fit_point", lambda s: fitted.append(s["max_iter"]) or [])
    ica_sweep([0.3], max_iter=5, **kw)            # other settings: not reused
    assert fitted == [5]
    monkeypatch.setattr(_sweep, "_FROZEN_WINDOW", 10)  # another early-stop rule: not reused
    ica_sweep([0.3], max_iter=3, **kw)
    assert fitted == [5, 3]
    ica_sweep([0.3], max_iter=3, **kw)            # same settings as that refit: reused
    assert fitted == [5, 3]
    (path,) = folder.iterdir()
    path.write_text('{"format": 2, "settings"')  # a half-written file (killed run)
    ica_sweep([0.3], max_iter=3, **kw)
    assert fitted == [5, 3, 3]


def test_progress_bar_can_be_disabled(tmp_path, capsys):
    kw = dict(n_samples=300, n_features=3, n_sources=2, max_iter=2, methods=("FastICA",))
    ica_sweep([0.3], progress=False, **kw)
    assert "ICA sweep" not in capsys.readouterr().err
    ica_sweep([0.3], progress=True, **kw)        # negative control: the bar is drawn
    assert "ICA sweep over gamma" in capsys.readouterr().err


def test_worker_processes_give_the_same_rows(tmp_path):
    kw = dict(n_samples=300, n_features=3, n_sources=2, max_iter=3, n_draws=10, n_runs=2)
    one = ica_sweep([0.3], **kw)
    two = ica_sweep([0.3], n_jobs=2, results=tmp_path / "p", **kw)
    key = lambda r: (r["run"], r["method"])  # noqa: E731
    assert [(key(r), r["mixing_error"]) for r in sorted(one, key=key)] == \
        [(key(r), r["mixing_error"]) for r in sorted(two, key=key)]
    assert len(list((tmp_path / "p").iterdir())) == 2


def test_classical_em_at_zero_noise_is_reported_frozen():
    rows = ica_sweep([0.0], n_samples=300, n_features=3, n_sources=2, max_iter=3,
                     methods=("classical EM",))
    assert rows[0]["n_estep"] == 0 and rows[0]["converged"] is False


class _Est:
    mixing_ = None


def _drive(rule, matrices):
    est = _Est()
    for k, A in enumerate(matrices, 1):
        est.mixing_ = A
        if rule(est, k, 0.0):
            return k
    return None


A_TRUE = np.array([[1.0, -1.0], [1.0, 1.0], [-1.0, 1.0]])
DIRECTION = np.array([[0.3, 0.1], [-0.2, 0.4], [0.1, 0.2]])


def test_frozen_rule_stops_a_crawling_em_and_bounds_the_rest_of_its_budget():
    # EM crawling at a constant rate 1 - 1e-6 towards the truth from far away: over the
    # budget it could only move 0.2% of its error
    budget = 2000
    path = [A_TRUE + DIRECTION * (1 - 1e-6) ** k for k in range(budget)]
    rule = _sweep._FrozenRule(A_TRUE, budget, 0.02)
    k = _drive(rule, path)
    assert k is not None and k < 100
    it, err_then, bound = rule.fired
    final = _sweep.mixing_error(path[-1], A_TRUE)
    assert abs(final - err_then) <= bound <= 0.02 * err_then
    # negative control: at rate 1 - 1e-4 the budget could still move the error by 18%
    fast = [A_TRUE + DIRECTION * (1 - 1e-4) ** k for k in range(budget)]
    assert _drive(_sweep._FrozenRule(A_TRUE, budget, 0.02), fast) > 1500


def test_frozen_rule_never_stops_an_em_whose_steps_grow():
    # leaving a plateau: steps grow geometrically, total movement small at first
    budget = 2000
    path = [A_TRUE + DIRECTION * (1 - 1e-7 * 1.05 ** k) for k in range(300)]
    rule = _sweep._FrozenRule(A_TRUE, budget, 0.02)
    assert _drive(rule, path) is None and rule.fired is None


def test_frozen_rule_validation_runs_record_but_do_not_stop():
    budget = 300
    path = [A_TRUE + DIRECTION * (1 - 1e-4) ** k for k in range(budget)]
    rule = _sweep._FrozenRule(A_TRUE, budget, 0.02, apply=False)
    assert _drive(rule, path) is None and rule.fired is not None


def test_reproduce_validation_run_checks_the_frozen_rule(tmp_path):
    """Run 0 runs classical EM's full budget and records where the rule fired; later runs stop
    where it fires (two runs, so that the rule has a run on which to fire)."""
    res = reproduce_ica(tmp_path, progress=False, config={**TINY, "fig1a": {**TINY["fig1a"], "n_runs": 2}})
    checked = [r for r in res.fig1a + res.fig1b
               if r["method"] == "classical EM" and r["run"] == 0 and r.get("rule_iter")]
    assert checked, res.rule_check()
    for r in checked:
        assert r["stop"] != "frozen rule"
        assert abs(r["mixing_error"] - r["rule_error"]) <= r["error_bound"]
    stopped = [r for r in res.fig1a + res.fig1b if r.get("stop") == "frozen rule"]
    assert stopped  # not vacuous: classical EM at gamma = 1e-3 freezes on run 1
    assert all(r["run"] != 0 and r["n_iter"] < 120 for r in stopped)


def test_sweep_rejects_bad_jobs_and_fraction():
    with pytest.raises(ValueError, match="n_jobs must be an int >= 1; got n_jobs=0"):
        ica_sweep([0.3], n_jobs=0)
    with pytest.raises(ValueError, match="frozen_stop must be None or a float in"):
        ica_sweep([0.3], frozen_stop=1.5)


def test_reproduce_without_sklearn_fails_clearly(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn.decomposition", None)
    with pytest.raises(ImportError, match="pip install scikit-learn"):
        reproduce_ica(tmp_path, progress=False, config=TINY)


def test_cli_reproduce_quiet_prints_tables_and_no_bar(tmp_path, capsys, monkeypatch):
    from spreadlab.cli import main

    monkeypatch.setattr(_reproduce, "_SMALL", {k: {**_reproduce._SMALL[k], **v}
                                               for k, v in TINY.items()})
    assert main(["reproduce", "ica", "--quiet", "--out", str(tmp_path)]) == 0
    out, err = capsys.readouterr()
    assert "| gamma | method |" in out and "| n_samples | method |" in out
    assert "ICA sweep" not in err
    saved = json.loads(next((tmp_path / "ica_fig1a_points").iterdir()).read_text())
    assert saved["settings"]["classical_accelerate"] is None


def test_plot_with_standard_error_bars_draws_the_mean():
    import matplotlib.pyplot as plt

    from spreadlab.ica import plot_ica_sweep

    rows = [{"method": "FastICA", "gamma": 0.1, "mixing_error": e} for e in (0.01, 0.02, 0.06)]
    ax = plot_ica_sweep(rows, bars="se")
    line = ax.containers[0][0]                                       # the data line of errorbar
    assert line.get_ydata()[0] == pytest.approx(0.03, rel=1e-12)   # mean, not the median 0.02
    plt.close(ax.figure)
    ax = plot_ica_sweep(rows)                                        # default: median and range
    assert ax.containers[0][0].get_ydata()[0] == pytest.approx(0.02, rel=1e-12)
    plt.close(ax.figure)
    with pytest.raises(ValueError, match="bars must be 'range' or 'se'; got bars='sd'"):
        plot_ica_sweep(rows, bars="sd")


# ---------------------------------------------------------------- hostile input (review 2)

TINY_SWEEP = dict(n_samples=200, n_features=3, n_sources=2, max_iter=2, n_draws=10)


@pytest.mark.parametrize("param, value, exc, match", [
    ("estep", "abc", ValueError, "'estep' parameter of ica_sweep"),
    ("estep", float("nan"), TypeError, "'estep' parameter of ica_sweep"),
    ("estep", True, TypeError, "estep must not be a bool"),
    ("spread_anneal", -1, ValueError, "'spread_anneal' parameter of ica_sweep"),
    ("spread_anneal", 1.5, TypeError, "'spread_anneal' parameter of ica_sweep"),
    ("spread_anneal", True, TypeError, "spread_anneal must not be a bool"),
    ("spread_anneal", None, TypeError, "'spread_anneal' parameter of ica_sweep"),
    ("classical_accelerate", "abc", ValueError, "'classical_accelerate' parameter of ica_sweep"),
    ("classical_accelerate", True, TypeError, "classical_accelerate must not be a bool"),
    ("classical_max_iter", float("nan"), TypeError, "classical_max_iter must be an integer"),
    ("classical_max_iter", float("inf"), TypeError, "classical_max_iter must be an integer"),
    ("classical_max_iter", 1.5, TypeError, "classical_max_iter must be an integer"),
    ("classical_max_iter", 0, ValueError, "classical_max_iter must be an integer >= 1"),
    ("classical_max_iter", "abc", TypeError, "classical_max_iter must be an integer"),
    ("classical_max_iter", True, TypeError, "classical_max_iter must be an integer"),
    ("validate_runs", None, TypeError, "validate_runs must be a sequence"),
    ("validate_runs", 0, TypeError, "validate_runs must be a sequence"),
    ("validate_runs", "abc", TypeError, "validate_runs must be a sequence"),
    ("validate_runs", (0.5,), TypeError, "validate_runs must hold integer run indices"),
    ("validate_runs", (True,), TypeError, "validate_runs must hold integer run indices"),
    ("validate_runs", (1,), ValueError, r"validate_runs must hold runs in \[0, n_runs=1\)"),
    ("validate_runs", (-1,), ValueError, r"validate_runs must hold runs in \[0, n_runs=1\)"),
    ("n_jobs", float("nan"), ValueError, "n_jobs must be an int >= 1; got n_jobs=nan"),
    ("n_jobs", True, ValueError, "n_jobs must be an int >= 1; got n_jobs=True"),
    ("n_jobs", None, ValueError, "n_jobs must be an int >= 1; got n_jobs=None"),
    ("frozen_stop", float("nan"), ValueError, "frozen_stop must be None or a float in"),
    ("frozen_stop", True, ValueError, "frozen_stop must be None or a float in"),
    ("random_state", 2**32, ValueError, "random_state must be an integer <= 4294967295"),
    ("random_state", -1, ValueError, "random_state must be an integer >= 0"),
])
def test_sweep_names_a_bad_parameter_before_fitting_anything(monkeypatch, param, value, exc, match):
    """Each was a traceback from int(), 'in', or SpreadICA's 'anneal'/'accelerate' inside a fit
    (possibly in a worker), or was accepted (classical_max_iter=1.5 ran 1 iteration)."""
    monkeypatch.setattr(_sweep, "_fit_point", lambda s: pytest.fail("fitted before checking"))
    with pytest.raises(exc, match=match):
        ica_sweep([0.3], **{**TINY_SWEEP, param: value})


def test_sweep_accepts_the_edge_values_it_documents(monkeypatch):
    fitted = []
    monkeypatch.setattr(_sweep, "_fit_point", lambda s: fitted.append(s) or [])
    ica_sweep([0.3], spread_anneal=0, classical_accelerate=None, classical_max_iter=1,
              validate_runs=[1], n_runs=2, frozen_stop=0.5, random_state=2**32 - 2,
              n_jobs=1, **TINY_SWEEP)
    assert [s["validate_frozen"] for s in fitted] == [False, True]
    assert all(s["classical_max_iter"] == 1 and s["spread_anneal"] == 0 for s in fitted)


@pytest.mark.parametrize("kw, exc, match", [
    (dict(n_jobs=0), ValueError, "n_jobs must be an int >= 1"),
    (dict(n_jobs="abc"), ValueError, "n_jobs must be an int >= 1"),
    (dict(random_state=-1), ValueError, "random_state must be an integer >= 0"),
    (dict(random_state=float("nan")), TypeError, "random_state must be an integer"),
    (dict(config={"fig1c": {}}), ValueError, "config must be a dict with keys among"),
    (dict(config={"fig1a": {"n_run": 1}}), ValueError, "config must be a dict"),  # a typo
    (dict(config="abc"), ValueError, "config must be a dict"),
    (dict(config={"fig1a": {"n_runs": 1.5}}), TypeError, r"config\['fig1a'\]\['n_runs'\]"),
])
def test_reproduce_refuses_bad_arguments_before_creating_its_folder(tmp_path, kw, exc, match):
    out = tmp_path / "out"
    with pytest.raises(exc, match=match):
        reproduce_ica(out, progress=False, **kw)
    assert not out.exists()


def test_reproduce_refuses_a_non_path_outdir():
    with pytest.raises(TypeError, match="outdir must be a str or os.PathLike path; got nan"):
        reproduce_ica(float("nan"), progress=False)


def test_point_files_hold_no_machine_specific_path(tmp_path):
    folder = tmp_path / "points"
    ica_sweep([0.3], results=folder, methods=("FastICA",), **TINY_SWEEP)
    (path,) = folder.iterdir()
    text = path.read_text()
    saved = json.loads(text)
    assert saved["rows"] and saved["settings"]["value"] == 0.3   # the file is the real one
    # no POSIX path, and no Windows one (JSON writes a backslash as two)
    assert str(tmp_path) not in text and "/" not in text and "\\\\" not in text


@pytest.mark.parametrize("values", [[0.3, 0.3], [0.1234561, 0.1234562]])
def test_sweep_refuses_values_that_would_share_a_point_file(monkeypatch, values):
    """[0.3, 0.3] fitted run 0 twice (a table of 'two runs'); 0.1234561 and 0.1234562 were
    both written to gamma_0.123456_run000.json."""
    monkeypatch.setattr(_sweep, "_fit_point", lambda s: pytest.fail("fitted before checking"))
    with pytest.raises(ValueError, match="values must differ in their first 6 significant"):
        ica_sweep(values, **TINY_SWEEP)


def test_table_of_a_single_run_has_no_nan_standard_error():
    rows = [{"method": "FastICA", "gamma": 0.1, "run": 0, "mixing_error": 0.02, "converged": True}]
    res = _reproduce.ICAReproduction(fig1a=rows)
    line = res.table("fig1a").splitlines()[-1]
    assert line == "| 0.1 | FastICA | 1 | 0.0200 | 0.0200 ± n/a | 1/1 | - |"
    two = _reproduce.ICAReproduction(fig1a=rows + [{**rows[0], "run": 1, "mixing_error": 0.04}])
    assert "0.0300 ± 0.0100 |" in two.table("fig1a")   # negative control: s.e. of (0.02, 0.04)


@pytest.mark.parametrize("values, kw, exc, match", [
    ([250.7], dict(vary="n_samples"), TypeError, "values must hold integer sample sizes"),
    ([True], dict(vary="n_samples"), TypeError, "values must hold integer sample sizes"),
    ([1], dict(vary="n_samples"), ValueError, r"values \(sample sizes\) must be an integer >= 2"),
    ([float("nan")], {}, ValueError, r"values \(noise levels\) must be finite"),
    ([-1.0], {}, ValueError, r"values \(noise levels\) must be a finite float >= 0"),
    ([1e101], {}, ValueError, r"values \(noise levels\) must be a finite float >= 0 and <= 1e\+100"),
    (["abc"], {}, TypeError, r"values \(noise levels\) must be a real number"),
    ([True], {}, TypeError, r"values \(noise levels\) must be a real number"),
    ([], {}, ValueError, "values must hold at least one value"),
    ("0.1", {}, TypeError, "values must be a sequence of noise levels"),
    (np.array(0.1), {}, TypeError, "values must be a sequence of noise levels"),
    ([300], dict(vary="n_samples", gamma=float("inf")), ValueError,
     "gamma must be finite"),
    ([0.3], dict(n_samples=2.5), TypeError, "n_samples must be an integer >= 2"),
    ([0.3], dict(n_features=2, n_sources=3), ValueError, "n_sources must be <= n_features=2"),
    ([0.3], dict(n_draws=0), ValueError, "n_draws must be an integer >= 1"),
    ([0.3], dict(max_iter=1.5), TypeError, "max_iter must be an integer"),
    ([0.1, [0.2, 0.3]], {}, TypeError, r"values \(noise levels\) must be a real number"),  # ragged
])
def test_sweep_checks_its_values_and_sizes_before_fitting(monkeypatch, values, kw, exc, match):
    """Before: 250.7 samples were fitted as 250 (int() truncation), True as one sample ('zero
    variance' from inside the fit), NaN and -1 were refused by make_ica_data as 'noise', 'abc'
    by float(), and n_features=3.7 was truncated."""
    monkeypatch.setattr(_sweep, "_fit_point", lambda s: pytest.fail("fitted before checking"))
    with pytest.raises(exc, match=match):
        ica_sweep(values, **{**TINY_SWEEP, **kw})


def test_sweep_accepts_numpy_values(monkeypatch):
    fitted = []
    monkeypatch.setattr(_sweep, "_fit_point", lambda s: fitted.append(s) or [])
    ica_sweep(np.array([0.1, 1.0]), **TINY_SWEEP)
    ica_sweep(np.array([300, 600]), vary="n_samples", **TINY_SWEEP)
    ica_sweep(np.geomspace(250, 1000, 3).round(), vary="n_samples", **TINY_SWEEP)  # 250., 500., ...
    ica_sweep((g for g in [0.2]), **TINY_SWEEP)  # any iterable, read once
    assert sorted(s["value"] for s in fitted) == [0.1, 0.2, 1.0, 250, 300, 500, 600, 1000]
    assert all(type(s["value"]) in (float, int) for s in fitted)  # JSON-safe Python numbers


def test_cli_reproduce_refuses_a_bad_seed_before_creating_its_folder(tmp_path, capsys):
    """`spreadlab reproduce ica --seed 2**40` created the output folder, then refused the seed."""
    from spreadlab.cli import main

    out = tmp_path / "out"
    assert main(["reproduce", "ica", "--seed", str(2**40), "--out", str(out)]) == 2
    assert "--seed must be an integer <= " in capsys.readouterr().err
    assert not out.exists()


def test_ml_finish_row_names_a_stalled_ml_stage(monkeypatch):
    """A fit whose terminal ML stage runs out of Newton iterations is reported as not converged,
    with the stage's own reason (it was labelled 'max_iter' whatever the cause)."""
    from spreadlab.ica import SpreadICA

    class Short(SpreadICA):  # the sweep's SpreadICA() with a budget of one iteration per stage
        def __init__(self, n_components=None, **kw):
            super().__init__(n_components, **{**kw, "max_iter": 1})

    monkeypatch.setattr(_sweep, "SpreadICA", Short)
    (row,) = ica_sweep([0.0], methods=("spread EM + ML finish",), **TINY_SWEEP)
    assert row["converged"] is False
    assert row["stop"] == "ML stage: max_iter=1 Newton iterations"
    assert row["final_spread"] == 0.0
