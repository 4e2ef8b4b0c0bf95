"""The ``spreadlab test`` sub-command: cmd_test directly and through a local argparse."""

import argparse
import io

import numpy as np
import pytest

from spreadlab import Gaussian, two_sample_test
from spreadlab._cli_test import add_parser, cmd_test, read_samples


def _parse(argv):
    parser = argparse.ArgumentParser(prog="spreadlab")
    sub = parser.add_subparsers(dest="command", required=True)
    add_parser(sub)
    return parser.parse_args(argv)


def _write_csv(path, arr, header=None):
    lines = ([header] if header else []) + [",".join(repr(float(v)) for v in row) for row in np.atleast_2d(arr)]
    path.write_text("\n".join(lines) + "\n")
    return str(path)


@pytest.fixture
def files(tmp_path, rng):
    x, y = rng.normal(size=(40, 2)), rng.normal(0.8, 1.0, size=(30, 2))
    return x, y, _write_csv(tmp_path / "x.csv", x, header="a,b"), str(_save(tmp_path / "y.npy", y))


def _save(path, arr):
    np.save(path, arr)
    return path


def test_prints_the_same_numbers_as_the_library(files):
    x, y, fx, fy = files
    args = _parse(["test", fx, fy, "--kernel", "Gaussian([0, 0], 0.5)", "--permutations", "99", "--seed", "3"])
    out = io.StringIO()
    assert args.func(args, out) == 0
    text = out.getvalue()
    ref = two_sample_test(x, y, Gaussian([0.0, 0.0], 0.5), n_permutations=99, rng=3)
    assert f"statistic (unbiased MMD^2, k = K * K~): {ref.statistic:.6g}" in text
    assert f"p-value: {ref.p_value:.4g} (Monte Carlo standard error {ref.p_value_se:.2g}, 99 permutations)" in text


@pytest.mark.filterwarnings("ignore::spreadlab.ConvergenceWarning")  # short learning run
def test_auto_and_learn(files):
    _, _, fx, fy = files
    out = io.StringIO()
    cmd_test(_parse(["test", fx, fy, "--permutations", "19"]), out)
    assert "kernel Gaussian" in out.getvalue() and "p-value" in out.getvalue()
    out = io.StringIO()
    cmd_test(_parse(["test", fx, fy, "--learn", "--permutations", "19"]), out)
    assert "n_x=20, n_y=15" in out.getvalue()


@pytest.mark.parametrize(
    "content,match",
    [
        ("1,2\n3,oops\n", r"x: .* line 2, column 2: 'oops', not a number"),
        ("1,2\n3\n", r"x: .* line 2 has 1 columns; the first data line has 2"),
        ("1,2\nnan,3\n", r"x: .* NaN or infinite entry \(row 2, column 1\)"),
        ("1,2\n", r"x: .* needs at least 2 samples"),
    ],
)
def test_malformed_csv_is_reported(tmp_path, content, match):
    path = tmp_path / "x.csv"
    path.write_text(content)
    with pytest.raises(ValueError, match=match):
        read_samples(str(path), "x")


def test_mismatched_dimensions_and_missing_file(tmp_path, rng):
    fx = _write_csv(tmp_path / "x.csv", rng.normal(size=(5, 2)))
    fy = _write_csv(tmp_path / "y.csv", rng.normal(size=(5, 3)))
    with pytest.raises(ValueError, match="same number of columns"):
        cmd_test(_parse(["test", fx, fy]), io.StringIO())
    with pytest.raises(ValueError, match="y: no such file"):
        cmd_test(_parse(["test", fx, str(tmp_path / "none.csv")]), io.StringIO())
    with pytest.raises(ValueError, match="do not combine it with --kernel"):
        cmd_test(_parse(["test", fx, fx, "--learn", "--kernel", "Gaussian(0, 1)"]), io.StringIO())


def test_npy_errors(tmp_path):
    bad = tmp_path / "bad.npy"
    bad.write_bytes(b"not an npy file")
    with pytest.raises(ValueError, match="not a readable .npy array"):
        read_samples(str(bad), "x")
    np.save(tmp_path / "s.npy", np.array(["a", "b"]))
    with pytest.raises(ValueError, match="must hold real numbers"):
        read_samples(str(tmp_path / "s.npy"), "x")
    one_d = _save(tmp_path / "v.npy", np.arange(4.0))
    assert read_samples(str(one_d), "x").shape == (4, 1)


# --- issue 21: reading never drops data silently -------------------------------------------


@pytest.mark.parametrize("content, line, col, what", [
    ("1,abc\n1,2\n3,4\n5,6\n", 1, 2, "'abc', not a number"),  # was taken for a header: row lost
    ("1,,2\n1,2,3\n3,4,5\n", 1, 2, "an empty field"),  # ditto
    ("x,y\n1,2\n3,,\n", 3, 2, "an empty field"),
])
def test_a_first_row_that_does_not_parse_is_an_error_not_a_header_bug_21(tmp_path, content, line, col, what):
    path = tmp_path / "x.csv"
    path.write_text(content)
    with pytest.raises(ValueError, match=rf"x: .*x\.csv' line {line}, column {col}: {what}"):
        read_samples(str(path), "x")


def test_a_byte_order_mark_is_stripped_not_a_dropped_row_bug_21(tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes("\ufeff1,2\n3,4\n5,6\n".encode("utf-8"))
    np.testing.assert_array_equal(read_samples(str(path), "x"), [[1, 2], [3, 4], [5, 6]])


def test_a_header_of_names_is_recognised_and_the_override_works(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("# a comment\nx, y\n\n1,2\n3,4\n")
    np.testing.assert_array_equal(read_samples(str(path), "x"), [[1, 2], [3, 4]])
    with pytest.raises(ValueError, match=r"line 2, column 1: 'x', not a number"):
        read_samples(str(path), "x", header=False)
    odd = tmp_path / "odd.csv"
    odd.write_text("1,abc\n1,2\n3,4\n")
    np.testing.assert_array_equal(read_samples(str(odd), "x", header=True), [[1, 2], [3, 4]])


def test_cli_header_flags(tmp_path):
    fx, fy = tmp_path / "x.csv", tmp_path / "y.csv"
    fx.write_text("1,abc\n" + "".join(f"{i},{i % 3}\n" for i in range(12)))
    fy.write_text("".join(f"{i},{i % 5}\n" for i in range(12)))
    with pytest.raises(ValueError, match=r"line 1, column 2"):
        cmd_test(_parse(["test", str(fx), str(fy), "--permutations", "9"]), io.StringIO())
    out = io.StringIO()
    cmd_test(_parse(["test", str(fx), str(fy), "--permutations", "9", "--header"]), out)
    assert "n_x=12" in out.getvalue()


def test_more_rows_than_the_budget_are_refused(tmp_path, monkeypatch):
    from spreadlab import budgets

    monkeypatch.setattr(budgets, "CLI_MAX_ROWS", 5)
    path = tmp_path / "x.csv"
    path.write_text("".join(f"{i},1\n" for i in range(6)))
    with pytest.raises(ValueError, match=r"more than 5 rows, over the budget of 5 \(spreadlab\.budgets\.CLI_MAX_ROWS"):
        read_samples(str(path), "x")
    npy = tmp_path / "x.npy"
    np.save(npy, np.zeros((6, 2)))
    with pytest.raises(ValueError, match=r"has 6 rows, over the budget of 5"):
        read_samples(str(npy), "x")
    path.write_text("".join(f"{i},1\n" for i in range(5)))
    assert read_samples(str(path), "x").shape == (5, 2)
