"""Execute every tutorial notebook in a fresh kernel; check committed notebooks are stripped.

Each notebook's numeric claims are ``assert`` cells, so running it top to bottom is the test.
Notebooks are executed in memory (the files in ``notebooks/`` are never rewritten).
"""

import json
import os
import pathlib
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
# spreadlab.tutorial left the package (issue 13); a notebook still importing it is waiting for its
# rewrite (06: the ICA helpers move into spreadlab.ica) and is skipped here and in the docs build
REMOVED_MODULE = "spreadlab.tutorial"
# notebooks that train a user generator through the optional JAX layer (the `jax` extra: jax,
# optax) run only where it is installed; the base install skips them
OPTIONAL = {"09_bring_your_own_generator.ipynb": ("jax", "optax")}
# seconds per cell: only a guard against a hung kernel (speed is measured in benchmarks, not
# asserted here); each whole notebook runs in under 10 s on two idle cores
TIMEOUT = 300

nbformat = pytest.importorskip("nbformat")


def test_notebooks_exist():
    names = [p.name for p in NOTEBOOKS]
    assert names == [
        "01_zero_likelihood.ipynb",
        "02_spreading_two_deltas.ipynb",
        "03_gaussians_and_f_divergences.ipynb",
        "04_which_kernels.ipynb",
        "05_spread_maximum_likelihood.ipynb",
        "06_deterministic_ica.ipynb",
        "07_nonlinear_generator.ipynb",
        "08_learning_the_spread.ipynb",
        "09_bring_your_own_generator.ipynb",
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path, tmp_path, monkeypatch):
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    nb = nbformat.read(path, as_version=4)
    if any(REMOVED_MODULE in c.source for c in nb.cells if c.cell_type == "code"):
        pytest.skip(f"{path.name} still imports {REMOVED_MODULE}, which left the package in "
                    "issue 13; it runs again once rewritten on spreadlab.ica")
    for module in OPTIONAL.get(path.name, ()):
        pytest.importorskip(module, reason=f"{path.name} needs the optional jax extra")
    client = nbclient.NotebookClient(
        nb,
        timeout=TIMEOUT,  # per cell: a guard against a hung kernel, not a speed test
        kernel_name="python3",
        # run in a scratch directory: whatever a notebook writes lands there
        resources={"metadata": {"path": str(tmp_path)}},
    )
    # the kernel inherits this environment (spreadlab sets OMP_WAIT_POLICY=PASSIVE itself)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    # notebooks import their helper module notebooks/_helpers.py (docs/conf.py does the same)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        [str(NOTEBOOK_DIR)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))
    client.execute()  # run times: benchmarks/bench_notebooks.py (speed is measured, not tested)
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert not errors


def _nbstripout():
    return shutil.which("nbstripout") or shutil.which("nbstripout", path=str(pathlib.Path(sys.executable).parent))


def _stored_output_problems(path):
    """Reasons why ``path`` is not a clean, output-free notebook (empty list if it is)."""
    problems = []
    tool = _nbstripout()
    if tool:
        res = subprocess.run([tool, "--verify", str(path)], capture_output=True, text=True)
        if res.returncode != 0:
            problems.append(f"nbstripout --verify: {res.stdout.strip() or res.stderr.strip()}")
    data = json.loads(pathlib.Path(path).read_text(encoding="utf-8"))
    for i, cell in enumerate(data["cells"]):
        if cell["cell_type"] == "code":
            if cell.get("outputs"):
                problems.append(f"cell {i} has outputs")
            if cell.get("execution_count") is not None:
                problems.append(f"cell {i} has an execution count")
    return problems


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_is_committed_without_outputs(path):
    """Stale stored outputs teach stale results: committed notebooks carry none."""
    problems = _stored_output_problems(path)
    assert not problems, f"{path.name}: {problems}; run `nbstripout {path}`"
    nbformat.validate(nbformat.read(path, as_version=4))


def test_output_check_catches_an_executed_notebook(tmp_path):
    """Negative control: the check above must fail on a notebook with stored outputs."""
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("1 + 1", execution_count=1)
    cell.outputs = [nbformat.v4.new_output("execute_result", {"text/plain": "2"}, execution_count=1)]
    nb.cells = [cell]
    dirty = tmp_path / "dirty.ipynb"
    nbformat.write(nb, dirty)
    problems = _stored_output_problems(dirty)
    assert any("outputs" in p for p in problems)
    assert any("execution count" in p for p in problems)


# ----------------------------------------------------------------------------------------------
# The lecture conventions (issue 13): goals, references with links, numbered captioned figures,
# 2-4 exercises whose solution cells are tagged "solution" and checked, a summary.
# Notebooks that follow them are listed here; add a notebook once it does.
# ----------------------------------------------------------------------------------------------
CONVENTIONS = [p.name for p in NOTEBOOKS]  # every notebook follows them (test_notebooks_exist lists them)
PAPER = "https://arxiv.org/abs/1811.08968"
BLOG = "https://aiucl.github.io/spread-divergence/"


def _convention_problems(nb, number=0):
    """Reasons why notebook ``number`` misses the lecture conventions (empty list if it follows them)."""
    problems = []
    md = [c for c in nb.cells if c.cell_type == "markdown"]
    text = "\n".join(c.source for c in md)
    first = md[0].source if md else ""
    if "Learning goals" not in first:
        problems.append("the first cell has no 'Learning goals'")
    if PAPER not in first or BLOG not in first:
        problems.append("the first cell does not link the paper and the blog")
    if not re.search(r"^#+ Summary", md[-1].source if md else "", re.M):
        problems.append("the last markdown cell is not a Summary")
    # figures: "**Figure n.k.**" captions numbered 1, 2, ... with the notebook's number n
    captions = [int(k) for n, k in re.findall(r"\*\*Figure (\d+)\.(\d+)\.\*\*", text)
                if int(n) == number]
    if not captions or captions != list(range(1, len(captions) + 1)):
        problems.append(f"figure captions are not numbered {number}.1, {number}.2, ...: {captions}")
    exercises = re.findall(r"^#+ Exercise (\d+)\.(\d+)", text, re.M)
    if not 2 <= len(exercises) <= 4:
        problems.append(f"{len(exercises)} exercises (2-4 wanted)")
    solutions = [c for c in nb.cells if "solution" in c.get("metadata", {}).get("tags", [])]
    if len(solutions) != len(exercises):
        problems.append(f"{len(exercises)} exercises but {len(solutions)} cells tagged 'solution'")
    for c in solutions:
        if c.cell_type != "code" or "check(" not in c.source:
            problems.append("a solution cell does not call check(...)")
        if "hide-cell" not in c.metadata.get("tags", []):
            problems.append("a solution cell is not hidden in the docs (tag 'hide-cell')")
    return problems


@pytest.mark.parametrize("name", CONVENTIONS)
def test_notebook_follows_the_lecture_conventions(name):
    nb = nbformat.read(NOTEBOOK_DIR / name, as_version=4)
    problems = _convention_problems(nb, int(name[:2]))
    assert not problems, f"{name}: {problems}"


def test_convention_check_rejects_a_bare_notebook():
    """Negative control: a notebook with none of the conventions fails on each of them."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# A title"), nbformat.v4.new_code_cell("1 + 1")]
    problems = " | ".join(_convention_problems(nb))
    for missing in ("Learning goals", "link the paper", "Summary", "captions", "0 exercises"):
        assert missing in problems


# The exercise checkers of every notebook (spreadlab.exercises) and the student edition are
# tested in tests/test_exercises.py.
