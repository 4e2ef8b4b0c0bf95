import os
import subprocess
import sys

import pytest

from spreadlab.cli import main


def test_kl_prints_closed_form_and_checks(capsys):
    assert main(["kl", "Delta(0)", "Delta(1.3)", "--kernel", "Gaussian(0, 0.49)", "--samples", "20000"]) == 0
    out = capsys.readouterr().out
    assert "1.72448979592" in out  # closed form 1.3^2 / (2 * 0.49)
    assert "quadrature" in out and "Monte Carlo" in out and "stderr" in out


def test_kl_without_closed_form_still_checks(capsys):
    assert main(["kl", "Laplace(0, 1)", "Laplace(1, 1)", "--kernel", "Gaussian(0, 0.5)", "--samples", "5000"]) == 0
    out = capsys.readouterr().out
    assert "no closed form" in out and "quadrature" in out


def test_renyi_order_from_the_command_line(capsys):
    args = ["kl", "Delta(0)", "Delta(1)", "--kernel", "Laplace(0, 1)", "--f", "renyi", "--alpha", "0.5",
            "--samples", "20000"]
    assert main(args) == 0
    out = capsys.readouterr().out
    # Renyi-1/2 of two unit Laplace laws 1 apart: -2 log(e^{-1/2} (1 + 1/2)), an independent formula
    import numpy as np

    assert f"{-2 * np.log(np.exp(-0.5) * 1.5):.12g}" in out


def test_bad_distribution_text_is_an_error_not_code(capsys):
    assert main(["kl", "__import__('os')", "Delta(1)"]) == 2
    assert "unknown distribution '__import__'" in capsys.readouterr().err


def test_kernel_check(capsys, tmp_path):
    plot = tmp_path / "fejer.png"
    assert main(["kernel-check", "Fejer(0, 1)", "--plot", str(plot)]) == 0
    out = capsys.readouterr().out
    assert "injective         : False" in out
    assert plot.stat().st_size > 1000


def test_demo_writes_figures(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert str(tmp_path) in out
    pngs = [f for f in os.listdir(tmp_path) if f.endswith(".png")]
    assert pngs, out


def test_console_script_runs_help():
    res = subprocess.run([sys.executable, "-m", "spreadlab.cli", "--help"], capture_output=True, text=True)
    assert res.returncode == 0 and "demo" in res.stdout


def test_unknown_command_exits_nonzero():
    with pytest.raises(SystemExit) as err:
        main(["frobnicate"])
    assert err.value.code == 2


def test_demo_runs_without_scikit_learn(tmp_path, capsys, monkeypatch):
    """README's demo command installs only the core dependencies: FastICA must be optional."""
    import spreadlab.ica._reproduce as rep

    def missing():
        raise ImportError("no sklearn here")

    monkeypatch.setattr(rep, "_fastica", missing)
    res = rep.demo_ica(str(tmp_path))
    assert res["amari_fastica"] is None
    assert res["amari_spread_em"] < 0.1 < res["amari_standard_em"]  # the stall and its cure
