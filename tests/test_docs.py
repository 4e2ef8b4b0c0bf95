"""Build the Sphinx documentation with warnings as errors (offline).

The build executes the tutorial notebooks with myst-nb (in memory), so this test also runs
them once more; it takes about a minute on two cores.
"""

import importlib.util
import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
TIMEOUT = 600  # seconds for the whole build; it normally takes 30-90 s

REQUIRED = ("sphinx", "myst_nb", "numpydoc")  # pydata_sphinx_theme is optional (alabaster fallback)


def _missing():
    return [m for m in REQUIRED if importlib.util.find_spec(m) is None]


@pytest.mark.skipif(bool(_missing()), reason=f"documentation tools not installed: {_missing()} "
                    "(pip install -e '.[docs]')")
def test_docs_build_without_warnings(tmp_path):
    env = dict(os.environ)
    out = tmp_path / "html"
    res = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-b", "html",
         "-d", str(tmp_path / "doctrees"), str(DOCS), str(out)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=TIMEOUT,
    )
    assert res.returncode == 0, f"sphinx-build failed:\n{res.stdout[-4000:]}\n{res.stderr[-6000:]}"
    for page in ("index.html", "theory.html", "api/index.html", "benchmarks.html",
                 "tutorials/01_zero_likelihood.html", "tutorials/06_deterministic_ica.html"):
        assert (out / page).exists(), page


def test_every_public_name_has_an_api_page():
    """The API pages are generated from __all__; check the generator covers everything."""
    pytest.importorskip("sphinx")
    import spreadlab

    spec = importlib.util.spec_from_file_location("spreadlab_docs_conf", DOCS / "conf.py")
    conf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conf)  # writes the stubs into docs/api/generated/ (git-ignored)
    listed = {(mod, n) for _, mod, names in conf._api_sections() for n in names}
    assert {("spreadlab", n) for n in spreadlab.__all__} <= listed
    for mod, name in listed:
        assert (DOCS / "api" / "generated" / f"{mod}.{name}.rst").exists(), f"{mod}.{name}"


def test_notebooks_are_linked_into_the_docs():
    linked = sorted(p.name for p in (DOCS / "tutorials").glob("*.ipynb"))
    shipped = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
    assert linked == shipped
    for p in (DOCS / "tutorials").glob("*.ipynb"):
        assert p.resolve() == (ROOT / "notebooks" / p.name).resolve(), f"{p} is a copy, not a link"
