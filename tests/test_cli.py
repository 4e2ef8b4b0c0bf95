import os
import subprocess
import sys

import numpy as np
import pytest

import spreadlab
import spreadlab.cli as cli
from spreadlab.cli import MAX_SAMPLES, main


def one_error_line(err):
    """stderr of a failed command: exactly one line and no traceback."""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


# ---------------------------------------------------------------- what the commands print


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
    assert f"{-2 * np.log(np.exp(-0.5) * 1.5):.12g}" in out


def test_samples_written_as_1e3_is_a_whole_number(capsys):
    assert main(["kl", "Delta(0)", "Delta(1)", "--samples", "1e3"]) == 0
    assert "n = 1000" in capsys.readouterr().out


def test_kernel_check(capsys, tmp_path):
    plot = tmp_path / "fejer.png"
    assert main(["kernel-check", "Fejer(0, 1)", "--plot", str(plot)]) == 0
    out = capsys.readouterr().out
    assert "injective         : False" in out
    assert out.rstrip().splitlines()[-1].startswith("Verdict:")
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_demo_writes_figures(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert str(tmp_path) in out
    pngs = [f for f in os.listdir(tmp_path) if f.endswith(".png")]
    assert pngs, out


def test_demo_runs_without_scikit_learn(tmp_path, capsys, monkeypatch):
    """README's demo command installs only the core dependencies: FastICA must be optional."""
    import spreadlab.experiments._ica_reproduce as rep

    def missing():
        raise ImportError("no sklearn here")

    monkeypatch.setattr(rep, "_fastica", missing)
    res = rep.demo_ica(str(tmp_path))
    assert res["amari_fastica"] is None
    assert res["amari_spread_em"] < 0.1 < res["amari_standard_em"]  # the stall and its cure


def test_console_script_runs_help_and_version():
    res = subprocess.run([sys.executable, "-m", "spreadlab.cli", "--help"], capture_output=True, text=True)
    assert res.returncode == 0 and "demo" in res.stdout
    res = subprocess.run([sys.executable, "-m", "spreadlab.cli", "--version"], capture_output=True, text=True)
    assert res.returncode == 0 and res.stdout.strip() == f"spreadlab {spreadlab.__version__}"


def test_f_choices_come_from_the_library():
    """Iterating F_DIVERGENCES gives the names whether it is a tuple or a mapping."""
    parser = cli.build_parser()
    kl_parser = parser._subparsers._group_actions[0].choices["kl"]
    f_action = next(a for a in kl_parser._actions if a.dest == "f")
    assert list(f_action.choices) == [str(f) for f in spreadlab.F_DIVERGENCES]
    assert "renyi" in f_action.choices  # negative control: the list is not empty


def test_f_choices_accept_a_mapping(monkeypatch, capsys):
    """The lead may replace the tuple by a mapping name -> object: the CLI must not care."""
    monkeypatch.setattr(spreadlab.fdivergences, "F_DIVERGENCES", {"kl": object(), "tv": object()})
    assert main(["kl", "Delta(0)", "Delta(1)", "--f", "js"]) == 2
    assert "choose from 'kl', 'tv'" in one_error_line(capsys.readouterr().err)


# ---------------------------------------------------------------- issue 8: the error policy


def test_unknown_f_kll_rejected_before_anything_is_printed(capsys):
    assert main(["kl", "Delta(0)", "Delta(1)", "--f", "kll"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "invalid choice: 'kll'" in one_error_line(captured.err)


def test_library_rejection_after_parsing_prints_nothing_on_stdout(capsys, monkeypatch):
    """The closed form succeeds, then the quadrature route rejects: no half report on stdout."""
    real = spreadlab.spread_divergence

    def fails_for_quad(p, q, kernel, f="kl", method="exact", **kw):
        if method == "quad":
            raise ValueError("method='quad' refuses this pair")
        return real(p, q, kernel, f, method, **kw)

    monkeypatch.setattr(spreadlab.divergences, "spread_divergence", fails_for_quad)
    assert main(["kl", "Delta(0)", "Delta(1)", "--samples", "100"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert one_error_line(captured.err) == "spreadlab kl: error: method='quad' refuses this pair"


def test_unknown_command_is_one_line_exit_2(capsys):
    assert main(["frobnicate"]) == 2
    line = one_error_line(capsys.readouterr().err)
    assert "invalid choice: 'frobnicate'" in line and "see spreadlab --help" in line


def test_bad_distribution_text_is_an_error_not_code(capsys):
    assert main(["kl", "__import__('os')", "Delta(1)"]) == 2
    assert "unknown distribution '__import__'" in one_error_line(capsys.readouterr().err)


def test_library_value_error_is_a_user_error(capsys):
    assert main(["kl", "Gaussian([0, 0], 1)", "Delta(0)"]) == 2
    assert "same dimension" in one_error_line(capsys.readouterr().err)


@pytest.mark.parametrize("exc", [AttributeError("no attribute 'support'"), FloatingPointError("overflow"),
                                 ZeroDivisionError("float division by zero"), MemoryError()])
def test_internal_error_is_one_line_exit_1_asking_for_a_report(capsys, monkeypatch, exc):
    def broken(*args, **kwargs):
        raise exc

    monkeypatch.setattr(spreadlab.divergences, "spread_divergence", broken)
    assert main(["kl", "Delta(0)", "Delta(1)"]) == 1
    captured = capsys.readouterr()
    line = one_error_line(captured.err)
    assert captured.out == ""
    assert line.startswith(f"spreadlab kl: internal error: {type(exc).__name__}")
    assert "please report" in line and "--debug" in line


def test_internal_type_error_is_still_a_user_error_by_policy(capsys, monkeypatch):
    """TypeError is the library's 'wrong type of argument': exit 2 (issue 8's policy)."""
    def broken(*args, **kwargs):
        raise TypeError("kernel must be a Distribution; got str")

    monkeypatch.setattr(spreadlab.divergences, "spread_divergence", broken)
    assert main(["kl", "Delta(0)", "Delta(1)"]) == 2
    assert "internal" not in one_error_line(capsys.readouterr().err)


@pytest.mark.parametrize("how", ["flag before", "flag after", "env"])
def test_debug_shows_the_traceback_of_an_internal_error(capsys, monkeypatch, how):
    def broken(*args, **kwargs):
        raise AttributeError("no attribute 'support'")

    monkeypatch.setattr(spreadlab.divergences, "spread_divergence", broken)
    argv = ["kl", "Delta(0)", "Delta(1)"]
    if how == "flag before":
        argv = ["--debug", *argv]
    elif how == "flag after":
        argv = [*argv, "--debug"]
    else:
        monkeypatch.setenv(cli.DEBUG_ENV, "1")
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err and "in broken" in err
    assert err.rstrip().splitlines()[-1].startswith("spreadlab kl: internal error: AttributeError")


def test_nan_from_a_route_is_an_internal_error_not_a_result(capsys, monkeypatch):
    real = spreadlab.spread_divergence

    def nan_for_mc(p, q, kernel, f="kl", method="exact", **kw):
        if method == "mc":
            return spreadlab.Estimate(float("nan"), 0.0, "mc")
        return real(p, q, kernel, f, method, **kw)

    monkeypatch.setattr(spreadlab.divergences, "spread_divergence", nan_for_mc)
    assert main(["kl", "Delta(0)", "Delta(1)", "--samples", "100"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "Monte Carlo route returned NaN" in one_error_line(captured.err)


def test_warnings_are_one_line_each_and_only_on_success(capsys, monkeypatch):
    import warnings

    real = spreadlab.spread_divergence

    def warns(*args, **kw):
        warnings.warn("first line\nsecond line", RuntimeWarning)
        return real(*args, **kw)

    monkeypatch.setattr(spreadlab.divergences, "spread_divergence", warns)
    assert main(["kl", "Delta(0)", "Delta(1)", "--samples", "100"]) == 0
    err = capsys.readouterr().err
    assert err.splitlines() == ["spreadlab kl: warning: RuntimeWarning: first line second line"]


# ---------------------------------------------------------------- issue 9: the CLI findings


def test_thousand_unary_minus_signs_recursion_error(capsys):
    """1,000 unary minus signs were a RecursionError traceback; now they fold to a sign."""
    even = "Gaussian(" + "-" * 1000 + "1, 1)"
    assert main(["kl", even, "Delta(0)", "--samples", "100"]) == 0
    assert "Gaussian(mean=1, cov=1)" in capsys.readouterr().out
    odd = "Gaussian(" + "-" * 1001 + "1, 1)"
    assert main(["kl", odd, "Delta(0)", "--samples", "100"]) == 0
    assert "Gaussian(mean=-1, cov=1)" in capsys.readouterr().out


def test_hundred_thousand_unary_minus_signs_parser_memory_error(capsys):
    """CPython's own parser gives up (MemoryError) far deeper: a one-line user error."""
    deep = "Gaussian(" + "-" * 100_000 + "1, 1)"
    assert main(["kl", deep, "Delta(0)"]) == 2
    assert "nested too deeply" in one_error_line(capsys.readouterr().err)


def test_plot_into_nonexistent_folder_traceback(capsys):
    assert main(["kernel-check", "Laplace(0, 1)", "--plot", os.path.join(os.sep, "nonexistent", "x.png")]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "does not exist" in one_error_line(captured.err)


def test_plot_to_a_directory_wrote_dir_png(capsys, tmp_path):
    """``--plot /tmp`` said "saved to /tmp" and wrote /tmp.png: a directory is now refused."""
    target = tmp_path / "figs"
    target.mkdir()
    assert main(["kernel-check", "Laplace(0, 1)", "--plot", str(target)]) == 2
    assert "is a directory" in one_error_line(capsys.readouterr().err)
    assert not (tmp_path / "figs.png").exists() and list(target.iterdir()) == []


def test_plot_writes_exactly_the_path_given(capsys, tmp_path):
    target = tmp_path / "cf.PDF"  # an upper-case extension still names the format
    assert main(["kernel-check", "Laplace(0, 1)", "--plot", str(target)]) == 0
    assert f"Plot saved to {target}" in capsys.readouterr().out
    assert target.read_bytes()[:4] == b"%PDF"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cf.PDF"]


def test_plot_without_an_extension_is_refused_not_suffixed(capsys, tmp_path):
    target = tmp_path / "cf"
    assert main(["kernel-check", "Laplace(0, 1)", "--plot", str(target)]) == 2
    assert "from its extension" in one_error_line(capsys.readouterr().err)
    assert list(tmp_path.iterdir()) == []


def test_plot_unwritable_at_save_time_is_a_user_error(capsys, tmp_path, monkeypatch):
    """A path that passes the up-front checks but fails when written (e.g. permissions)."""
    from matplotlib.figure import Figure

    def refuse(self, fname, **kwargs):
        raise PermissionError(13, "Permission denied", str(fname))

    monkeypatch.setattr(Figure, "savefig", refuse)
    assert main(["kernel-check", "Laplace(0, 1)", "--plot", str(tmp_path / "cf.png")]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "cannot use" in one_error_line(captured.err) and "Permission denied" in captured.err


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs Linux's /proc")
def test_demo_out_proc_x_traceback(capsys):
    assert main(["demo", "--out", "/proc/x"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "cannot use '/proc/x'" in one_error_line(captured.err)


def test_demo_out_below_a_file_traceback(capsys, tmp_path):
    """The same failure on any OS: the output folder would have to live inside a file."""
    afile = tmp_path / "afile"
    afile.write_text("x")
    assert main(["demo", "--out", str(afile / "sub")]) == 2
    assert captured_is_one_line(capsys)
    assert main(["demo", "--out", str(afile)]) == 2
    assert "is not a folder" in one_error_line(capsys.readouterr().err)


def captured_is_one_line(capsys):
    captured = capsys.readouterr()
    one_error_line(captured.err)
    return captured.out == ""


def test_samples_1e11_memory_error(capsys):
    """``--samples 100000000000`` was a MemoryError traceback (745 GiB); now refused up front."""
    assert main(["kl", "Delta(0)", "Delta(1)", "--samples", "100000000000"]) == 2
    line = one_error_line(capsys.readouterr().err)
    assert "--samples" in line and f"{MAX_SAMPLES:,}" in line


def test_samples_budget_counts_the_dimension(capsys):
    n = MAX_SAMPLES // 2 + 1  # within the 1-D budget, over it in two dimensions
    argv = ["kl", "Gaussian([0, 0], 1)", "Gaussian([1, 0], 1)", "--kernel", "Gaussian([0, 0], 1)"]
    assert main([*argv, "--samples", str(n)]) == 2
    assert "--samples times the dimension" in one_error_line(capsys.readouterr().err)
    assert main([*argv, "--samples", "1000"]) == 0  # negative control: a small run passes


@pytest.mark.parametrize("bad", ["0", "1", "-5", "2.5", "nan", "inf", "ten"])
def test_samples_must_be_a_whole_number_from_2(capsys, bad):
    assert main(["kl", "Delta(0)", "Delta(1)", "--samples", bad]) == 2
    assert "argument --samples" in one_error_line(capsys.readouterr().err)


def test_alpha_1_traceback(capsys):
    """``--f renyi --alpha 1`` was a ZeroDivisionError traceback; the library decides the value,
    the CLI guarantees one line and a documented exit status."""
    status = main(["kl", "Delta(0)", "Delta(1)", "--f", "renyi", "--alpha", "1", "--samples", "1000"])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    if status == 0:
        # Renyi of order 1 is KL: 1/2 for two unit Gaussians one apart
        assert "0.5" in captured.out
    else:
        assert status in (1, 2)
        one_error_line(captured.err)


def test_megabyte_argument_echoed_whole_in_the_parse_error(capsys):
    huge = "Gaussian(" + "1" * 1_000_000
    assert main(["kl", huge, "Delta(0)"]) == 2
    line = one_error_line(capsys.readouterr().err)
    assert len(line) < 300
    assert "1" * 81 not in line  # at most ~80 characters of the input are quoted


def test_long_argparse_value_is_cut(capsys):
    assert main(["kl", "Delta(0)", "Delta(1)", "--f", "x" * 100_000]) == 2
    line = one_error_line(capsys.readouterr().err)
    assert len(line) <= 400


def test_duplicate_keyword_mean_accepted(capsys):
    """``Gaussian(mean=0, mean=5)`` silently meant mean 5; now rejected."""
    assert main(["kl", "Gaussian(mean=0, mean=5)", "Delta(1)"]) == 2
    assert "keyword 'mean' given more than once" in one_error_line(capsys.readouterr().err)


def test_console_script_internal_error_has_no_traceback(tmp_path):
    """End to end, as a user runs it: a real internal error, one line, exit 1; traceback with env."""
    code = ("import sys, spreadlab, spreadlab.cli as c\n"
            "def broken(*a, **k): raise AttributeError('boom')\n"
            "spreadlab.divergences.spread_divergence = broken\n"
            "sys.exit(c.main(['kl', 'Delta(0)', 'Delta(1)']))\n")
    env = {k: v for k, v in os.environ.items() if k != cli.DEBUG_ENV}
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert res.returncode == 1 and res.stdout == ""
    assert "internal error: AttributeError: boom" in one_error_line(res.stderr)
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**env, cli.DEBUG_ENV: "1"})
    assert res.returncode == 1 and "Traceback (most recent call last)" in res.stderr


# ---------------------------------------------------------------- a user's own distribution class


USER_MODULE = '''
import spreadlab


class {name}(spreadlab.Laplace):
    """A user's family: a Laplace law under another name (closed forms come by inheritance)."""
'''


def test_user_distribution_from_a_py_file(capsys, tmp_path):
    path = tmp_path / "userdists.py"
    path.write_text(USER_MODULE.format(name="UserLaplaceFile"))
    argv = ["kl", "UserLaplaceFile(0, 1)", "UserLaplaceFile(1, 1)", "--kernel", "Delta(0)", "--samples", "2000"]
    assert main(argv) == 2  # negative control: unknown until imported
    assert "unknown distribution 'UserLaplaceFile'" in one_error_line(capsys.readouterr().err)
    assert main([*argv, "--import", str(path)]) == 0
    out = capsys.readouterr().out
    # KL between unit Laplace laws 1 apart: e^{-1} + 1 - 1 = e^{-1}, an independent formula
    assert "UserLaplaceFile(loc=0, scale=1)" in out and f"{np.exp(-1.0):.12g}" in out


def test_user_distribution_from_a_module_name_in_the_current_folder(capsys, tmp_path, monkeypatch):
    (tmp_path / "userdists_mod.py").write_text(USER_MODULE.format(name="UserLaplaceModule"))
    monkeypatch.chdir(tmp_path)
    assert main(["kernel-check", "UserLaplaceModule(0, 1)", "--import", "userdists_mod"]) == 0
    assert "Verdict: Valid spread kernel" in capsys.readouterr().out
    assert str(tmp_path) not in sys.path  # the folder was on the path only for the import


@pytest.mark.parametrize("spec, match", [
    ("no_such_module_xyz", "ModuleNotFoundError"),
    ("missing_file.py", "FileNotFoundError"),
])
def test_import_failure_is_a_user_error(capsys, tmp_path, monkeypatch, spec, match):
    monkeypatch.chdir(tmp_path)
    assert main(["kl", "Delta(0)", "Delta(1)", "--import", spec]) == 2
    line = one_error_line(capsys.readouterr().err)
    assert f"--import '{spec}' failed: {match}" in line


def test_user_module_that_raises_is_a_user_error(capsys, tmp_path):
    path = tmp_path / "broken.py"
    path.write_text("raise RuntimeError('the user module is broken')\n")
    assert main(["kl", "Delta(0)", "Delta(1)", "--import", str(path)]) == 2
    assert "RuntimeError: the user module is broken" in one_error_line(capsys.readouterr().err)


@pytest.mark.parametrize("bad, match", [
    ("nan", "expected a whole number of processes; got 'nan'"),
    ("inf", "expected a whole number of processes"),
    ("1e308", "expected a whole number of processes"),
    ("1.5", "expected a whole number of processes"),
    ("abc", "expected a whole number of processes"),
    ("True", "expected a whole number of processes"),
    ("None", "expected a whole number of processes"),
    ("", "expected a whole number of processes"),
    ("1_0", "expected a whole number of processes"),        # int() reads this as 10
    ("\u0663", "expected a whole number of processes"),     # Arabic-Indic 3: int() reads 3
    ("-1", "must be between 1 and 64; got -1"),
    ("0", "must be between 1 and 64; got 0"),
    ("65", "must be between 1 and 64; got 65"),
])
def test_reproduce_jobs_must_be_a_whole_number_from_1_to_64(capsys, tmp_path, bad, match):
    out = tmp_path / "out"
    assert main(["reproduce", "ica", "--quiet", "--out", str(out), "--jobs", bad]) == 2
    captured = capsys.readouterr()
    assert match in one_error_line(captured.err) and captured.out == ""
    assert not out.exists()
