"""Execute every tutorial notebook in a fresh kernel; check committed notebooks are stripped.

Each notebook's numeric claims are ``assert`` cells, so running it top to bottom is the test.
Notebooks are executed in memory (the files in ``notebooks/`` are never rewritten).
"""

import json
import pathlib
import shutil
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
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
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path, tmp_path, monkeypatch):
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        nb,
        timeout=TIMEOUT,  # per cell: a guard against a hung kernel, not a speed test
        kernel_name="python3",
        # run in a scratch directory: whatever a notebook writes lands there
        resources={"metadata": {"path": str(tmp_path)}},
    )
    # the kernel inherits this environment (spreadlab sets OMP_WAIT_POLICY=PASSIVE itself)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    client.execute()
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
