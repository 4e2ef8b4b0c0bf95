"""The exercise checker (spreadlab.exercises) and the student edition of the notebooks.

Right answers come from each exercise's derivation, written here independently of the
checker; wrong answers are the mistakes a student is likely to make. A checker must accept
the right answer, reject the wrong one, and never show the expected value.
"""

import math
import pathlib
import re

import numpy as np
import pytest

from spreadlab.exercises import EXERCISE_KINDS, EXERCISES, STUDENT_STUB, WrongAnswer, check

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"

# exercise -> (right answer, its checkable parts, a wrong answer)
CASES = {
    # -d^2/2 with d the distance of (1, 0, -1) to the plane of W: d^2 = 1.5; wrong: -d^2
    "1.1": (-0.75, {}, -1.5),
    # one direction squeezed: slope -1 (wrong: -1/2, a density ~ sigma^-1/2)
    "1.2": (-1.0, {"squeezed": 1}, -0.5),
    # d / sqrt(2) (wrong: d, from forgetting the 1/2 of d^2 / (2 sigma^2))
    "2.2": (1.3 / np.sqrt(2), {}, 1.3),
    # -Delta^2 sigma / (1 + sigma^2)^2 at sigma = 0.5 (wrong: the KL itself, 0.9)
    "3.1": (-1.5**2 * 0.5 / 1.25**2, {"why": "b"}, 0.9),
    # sqrt(-lambda_min(2 Sq - Sp)); 2 Sq - Sp = [[1, -2], [-2, -0.5]]: lambda_min = (0.5 - sqrt(18.25)) / 2
    "3.2": (float(np.sqrt((np.sqrt(18.25) - 0.5) / 2)), {}, 1.0),
    # first positive root of tan u = u (4.4934094579...); wrong: pi, a zero of sin u alone
    "4.1": (4.493409457909064, {}, np.pi),
    # 2 / s for s = 0.25 (wrong: 2 s)
    "4.2": (8.0, {"one_to_one": False}, 0.5),
    # sqrt(2 a^4 / N + (4 a^2 s^2 + 2 s^4) / (N m)); wrong: the m = 1 formula
    "5.1": (np.sqrt(2 * 16 / 2000 + 18 / 20000), {"limit": np.sqrt(32 / 2000)}, np.sqrt(2) * 5 / np.sqrt(2000)),
    # |w0|^2 + sigma^2 - s^2 = 5 + 0.25 - 0.09 (wrong: |w0|^2)
    "5.2": (5.16, {}, 5.0),
    # (0.5 + 0.5) / (2 Z (Z - 1)), Z = 2 (wrong: without the normalisation)
    "6.1": (0.25, {}, 1.0),
    # step ~ sigma^2: ratio 4 (measured 3.9994); wrong: linear in sigma
    "6.2": (3.9994, {"if_linear": 2.0}, 2.0),
    # iterations ~ gamma^-2 (measured -1.978 in notebook 6); wrong: ~ 1/gamma
    "6.3": (-1.978, {}, -1.0),
    # sqrt(|a|^2 - sigma^2) = sqrt(5 - 0.64); wrong: |a|
    "7.1": (float(np.sqrt(4.36)), {}, float(np.sqrt(5.0))),
    # (r - 1 - log r) / 2 of the spread variances 5.25 and 4.61; wrong: of the unspread ones
    "7.2": (0.5 * (5.25 / 4.61 - 1 - np.log(5.25 / 4.61)), {}, 0.5 * (5 / 4.36 - 1 - np.log(5 / 4.36))),
    # log p~(y) = -6.532759 (quadrature in notebook 7); wrong: without log(2 pi sigma^2)
    "7.3": (-6.532759, {}, -6.532759 + np.log(2 * np.pi * 0.01)),
    # |Delta|^2 / (2 a^(-2/3)) = 2 / (2 / 4) = 4; wrong: the isotropic 1
    "8.1": (4.0, {}, 1.0),
    # 1 / (2 eps) = 500; wrong: eps / 2
    "8.2": (500.0, {"bounded": False}, 5e-4),
    # 0.36 / (2 (1 + 4 * 10^(-7/8))); wrong: the isotropic 0.36 / 10
    "8.3": (0.36 / (2 * (1 + 4 * 10 ** (-7 / 8))), {"why": "a"}, 0.036),
    # Var Laplace(0, b) = 2 b^2 = sigma^2 at sigma = 0.1; wrong: b = sigma (variance 2 sigma^2)
    "9.1": (0.1 / 2 ** 0.5, {}, 0.1),
    # -(196/2) log(2 pi e 0.01) = 262.99...; wrong: without the e (the mean of ||eps||^2 / sigma^2 forgotten)
    "9.2": (-98 * math.log(2 * math.pi * math.e * 0.01), {}, -98 * math.log(2 * math.pi * 0.01)),
}


def test_every_numeric_exercise_has_a_case_and_a_kind():
    assert set(CASES) | {"2.1"} == set(EXERCISES) == set(EXERCISE_KINDS)
    kinds = {k for k in EXERCISE_KINDS.values()}
    assert kinds == {"number", "symbolic", "number + explanation"}


def _shown(value):
    """The ways a number could leak into a message."""
    return {f"{value:.{k}g}" for k in range(4, 13)} | {repr(float(value))}


@pytest.mark.parametrize("exercise", sorted(CASES))
def test_checker_accepts_the_right_answer_and_rejects_a_wrong_one(exercise, capsys):
    right, parts, wrong = CASES[exercise]
    assert check(exercise, right, **parts) is True
    assert capsys.readouterr().out == f"Exercise {exercise}: correct.\n"
    with pytest.raises(WrongAnswer, match=rf"Exercise {re.escape(exercise)}: not right .*Hint: ") as info:
        check(exercise, wrong, **parts)
    message = str(info.value)
    leaked = [s for s in _shown(right) if s in message]
    assert not leaked, f"the message shows the expected value: {message}"


@pytest.mark.parametrize("exercise", sorted(e for e, k in EXERCISE_KINDS.items() if k == "number + explanation"))
def test_explain_why_part_is_checked(exercise):
    right, parts, _ = CASES[exercise]
    (name, value), = parts.items()
    with pytest.raises(WrongAnswer, match=rf"second part: check\('{re.escape(exercise)}', answer, {name}="):
        check(exercise, right)  # the number alone is not enough
    wrong = {True: False, False: True}.get(value) if isinstance(value, bool) else (
        "c" if isinstance(value, str) else value * 1.5)
    with pytest.raises(WrongAnswer, match=f"part '{name}' is not"):
        check(exercise, right, **{name: wrong})


def test_check_2_1_symbolic():
    sp = pytest.importorskip("sympy")
    d, b = sp.symbols("d b", positive=True)
    assert check("2.1", d / b + sp.exp(-d / b) - 1)
    # plain symbols (no assumptions) are accepted too
    assert check("2.1", sp.sympify("d/b + exp(-d/b) - 1"))
    with pytest.raises(WrongAnswer, match="not right") as info:
        check("2.1", d**2 / (2 * b**2))  # the Gaussian answer
    assert "exp" not in str(info.value)
    with pytest.raises(WrongAnswer, match="written in d and b only"):
        check("2.1", sp.Symbol("mu") / b)


@pytest.mark.parametrize("exercise, answer, parts, error, match", [
    ("9.9", 1.0, {}, ValueError, r"exercise must be one of .*; got '9.9'"),
    (2.2, 1.0, {}, ValueError, r"exercise must be one of .*; got 2.2"),
    ("2.2", "0.919", {}, TypeError, "answer must be a real number; got str"),
    ("2.2", [0.9], {}, TypeError, "answer must be a real number; got list"),
    ("2.2", True, {}, TypeError, "answer must be a real number; got bool"),
    ("2.2", float("nan"), {}, ValueError, "answer is NaN"),
    ("2.2", 0.9, {"why": "a"}, TypeError, "exercise 2.2 has no part 'why'; its parts are: none"),
    ("4.2", 8.0, {"one_to_one": "no"}, TypeError, "True or False"),
    ("3.1", -0.72, {"why": 2}, TypeError, "exercise 3.1, part 'why': .*one of the letters"),
    # a numeric part given a string, a list or a bool: named, not numpy's ufunc error
    ("6.2", 3.9994, {"if_linear": "2"}, TypeError, "if_linear must be a real number; got str"),
    ("6.2", 3.9994, {"if_linear": [2.0]}, TypeError, "if_linear must be a real number; got list"),
    ("6.2", 3.9994, {"if_linear": True}, TypeError, "if_linear must be a real number; got bool"),
    ("6.2", 3.9994, {"if_linear": float("nan")}, ValueError, "if_linear is NaN"),
])
def test_hostile_answers_raise_named_errors(exercise, answer, parts, error, match):
    with pytest.raises(error, match=match):
        check(exercise, answer, **parts)


def test_infinite_answer_is_wrong_not_an_error():
    with pytest.raises(WrongAnswer, match="not right"):
        check("2.2", float("inf"))


# ------------------------------------------------------------------------------ student edition
nbformat = pytest.importorskip("nbformat")


def _student(tmp_path):
    pytest.importorskip("nbgrader", reason="the student edition needs nbgrader (extra 'course')")
    from spreadlab.exercises import make_student_edition

    return make_student_edition(NOTEBOOK_DIR, tmp_path / "student")


def _solution_regions(source):
    return re.findall(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", source, re.S)


def test_student_edition_hides_every_solution_and_hidden_test(tmp_path):
    written = _student(tmp_path)
    assert [p.name for p in written] == sorted(p.name for p in NOTEBOOK_DIR.glob("[0-9]*.ipynb"))
    for path in written:
        teacher = nbformat.read(NOTEBOOK_DIR / path.name, as_version=4)
        student = nbformat.read(path, as_version=4)
        assert len(student.cells) == len(teacher.cells)
        n_solutions = 0
        for t, s in zip(teacher.cells, student.cells):
            if "solution" not in t.metadata.get("tags", []):
                assert s.source == t.source
                continue
            n_solutions += 1
            assert STUDENT_STUB in s.source
            assert "BEGIN" not in s.source and "HIDDEN" not in s.source
            assert re.search(r"^assert check\(", s.source, re.M), "the check line stays for the student"
            for region in _solution_regions(t.source):
                for line in region.strip().splitlines():
                    if len(line.strip()) > 12:  # no line of the answer survives
                        assert line not in s.source, (path.name, line)
        assert n_solutions >= 2, path.name


def test_unpaired_markers_are_a_named_error(tmp_path):
    pytest.importorskip("nbgrader")
    from spreadlab.exercises import make_student_edition

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("### BEGIN SOLUTION\nx = 1\n")]
    bad = tmp_path / "01_bad.ipynb"
    nbformat.write(nb, bad)
    with pytest.raises(ValueError, match="01_bad.ipynb: no end solution"):
        make_student_edition(bad, tmp_path / "out")
    with pytest.raises(ValueError, match="source must be a notebook or a folder"):
        make_student_edition(tmp_path / "out", tmp_path / "out2")


def test_cli_writes_the_student_edition(tmp_path, capsys):
    pytest.importorskip("nbgrader")
    from spreadlab.cli import main

    status = main(["course", "student", str(tmp_path / "handout"), "--source",
                   str(NOTEBOOK_DIR / "02_spreading_two_deltas.ipynb")])
    assert status == 0
    assert (tmp_path / "handout" / "02_spreading_two_deltas.ipynb").is_file()
    assert "1 student notebooks" in capsys.readouterr().out


STUDENT_RUN = ["01_zero_likelihood.ipynb", "02_spreading_two_deltas.ipynb",
               "03_gaussians_and_f_divergences.ipynb", "04_which_kernels.ipynb",
               "05_spread_maximum_likelihood.ipynb", "06_deterministic_ica.ipynb",
               "08_learning_the_spread.ipynb"]


@pytest.mark.parametrize("name", STUDENT_RUN)
def test_student_edition_runs_and_stops_only_where_an_answer_is_due(name, tmp_path, monkeypatch):
    """Executed with errors allowed: every error is the stub's NotImplementedError, in an exercise cell."""
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    pytest.importorskip("nbgrader")
    from spreadlab.exercises import make_student_edition

    path, = make_student_edition(NOTEBOOK_DIR / name, tmp_path / "student")
    # alone in a fresh folder: the notebook must not need notebooks/_helpers.py
    assert not (tmp_path / "student" / "_helpers.py").exists()
    nb = nbformat.read(path, as_version=4)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nbclient.NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(tmp_path / "student")}}).execute()
    failed = []
    for cell in nb.cells:
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        is_exercise = "solution" in cell.metadata.get("tags", [])
        if is_exercise:
            assert [e["ename"] for e in errors] == ["NotImplementedError"], cell.source
            assert "not answered yet" in errors[0]["evalue"]
        else:
            failed += [(cell.source[:80], e["ename"], e["evalue"]) for e in errors]
    assert not failed, failed
