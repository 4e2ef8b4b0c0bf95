"""spreadlab.experiments: the reusable runner and the ICA sweep's configuration object."""
import dataclasses
import json

import pytest

from spreadlab.experiments import ICASweepConfig, ica_sweep, run_points
from spreadlab.experiments import _ica_sweep


def _square(p):
    return [p["x"] ** 2]


def test_runner_writes_one_file_per_point_and_resumes(tmp_path):
    points = [{"x": 1}, {"x": 2}, {"x": 3}]
    name = lambda p: f"x{p['x']}"  # noqa: E731
    assert run_points(points, _square, folder=tmp_path, name=name) == [[1], [4], [9]]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x1.json", "x2.json", "x3.json"]
    saved = json.loads((tmp_path / "x2.json").read_text())
    assert saved == {"format": 1, "settings": {"x": 2}, "rows": [4]}
    fitted = []
    again = run_points(points, lambda p: fitted.append(p) or [0], folder=tmp_path, name=name)
    assert again == [[1], [4], [9]] and fitted == []             # nothing refitted
    # another format or other settings under the same name: refitted, and overwritten
    run_points(points[:1], lambda p: fitted.append(p) or [0], folder=tmp_path, name=name,
               version=2)
    run_points([{"x": 1, "y": 0}], lambda p: fitted.append(p) or [0], folder=tmp_path,
               name=name)
    assert len(fitted) == 2
    assert json.loads((tmp_path / "x1.json").read_text())["settings"] == {"x": 1, "y": 0}


def test_runner_leaves_no_partial_file_when_a_point_fails(tmp_path):
    def fit(p):
        if p["x"] == 2:
            raise RuntimeError("point 2 failed")
        return [p["x"]]
    with pytest.raises(RuntimeError, match="point 2 failed"):
        run_points([{"x": 1}, {"x": 2}], fit, folder=tmp_path, name=lambda p: f"x{p['x']}")
    assert [p.name for p in tmp_path.iterdir()] == ["x1.json"]   # no temporary file left
    # an unreadable file counts as absent: refitted, not trusted
    (tmp_path / "x1.json").write_text("{truncated")
    assert run_points([{"x": 1}], fit, folder=tmp_path, name=lambda p: f"x{p['x']}") == [[1]]


def test_runner_needs_a_name_for_its_files(tmp_path):
    with pytest.raises(ValueError, match="name="):
        run_points([{"x": 1}], _square, folder=tmp_path)


def test_sweep_config_is_frozen_and_checked():
    config = ICASweepConfig(n_features=3, n_sources=2, methods=["spread EM"])
    assert config.methods == ("spread EM",)
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.max_iter = 3
    assert dataclasses.replace(config, max_iter=3).max_iter == 3
    with pytest.raises(ValueError, match="max_iter"):
        dataclasses.replace(config, max_iter=0)
    with pytest.raises(ValueError, match="methods must be among"):
        ICASweepConfig(methods=("EM",))


def test_sweep_takes_a_config_or_its_fields_as_keywords(monkeypatch):
    seen = []
    monkeypatch.setattr(_ica_sweep, "_fit_point", lambda s: seen.append(s) or [])
    config = ICASweepConfig(n_samples=300, n_features=3, n_sources=2, methods=("spread EM",))
    ica_sweep([0.1], config)
    ica_sweep([0.1], n_samples=300, n_features=3, n_sources=2, methods=("spread EM",))
    ica_sweep([0.1], config, max_iter=7)                # a keyword replaces a field
    assert seen[0] == seen[1] and seen[2]["max_iter"] == 7
    with pytest.raises(TypeError, match="unknown settings \\['n_sample'\\]"):
        ica_sweep([0.1], n_sample=300)
    with pytest.raises(TypeError, match="config must be an ICASweepConfig"):
        ica_sweep([0.1], {"n_samples": 300})


# ---- issue 21 reproducers in the experiment helpers: a named error, not an AttributeError,
# KeyError or FileExistsError from deep inside
def test_plot_ica_traces_empty_list_is_a_named_type_error():
    from spreadlab.ica import plot_ica_traces

    with pytest.raises(TypeError, match="traces must be a non-empty dict"):
        plot_ica_traces([])


def test_plot_ica_sweep_unknown_key_is_a_named_value_error():
    from spreadlab.ica import plot_ica_sweep

    rows = [{"method": "FastICA", "gamma": 0.1, "mixing_error": 0.02}]
    with pytest.raises(ValueError, match="key='nope'"):
        plot_ica_sweep(rows, key="nope")


def test_demo_ica_dev_null_is_refused_before_anything_runs():
    from spreadlab.ica import demo_ica

    with pytest.raises(ValueError, match="outdir must be a folder"):
        demo_ica("/dev/null")
