"""Sphinx configuration for the spreadlab documentation.

Build (offline, warnings are errors)::

    python -m sphinx -W -b html docs docs/_build/html

The tutorial notebooks in ``notebooks/`` are linked into ``docs/tutorials/`` (symlinks) and
executed by myst-nb during the build, in memory: the committed notebooks stay output-free.
Set ``SPREADLAB_NB_EXECUTION=off`` to render them without running (faster, no outputs).
"""

import importlib.util
import os
import pathlib
import re
import sys

import matplotlib

matplotlib.use("Agg")
# Kernels must draw with the inline backend so figures reach the HTML, even when the caller
# exported MPLBACKEND=Agg (as the test suite does); this process has already chosen Agg.
os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))  # the package is normally installed; this is a fallback
# notebook 07 still imports the shim notebooks/_helpers.py (the others import spreadlab.course);
# the kernels myst-nb starts inherit this environment (as in tests/test_notebooks.py)
os.environ["PYTHONPATH"] = os.pathsep.join(
    [str(ROOT / "notebooks")] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
)

import spreadlab  # noqa: E402

project = "spreadlab"
author = "spreadlab developers"
copyright = "2026, spreadlab developers"
version = release = spreadlab.__version__

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
]

exclude_patterns = ["_build", "api/generated/*.rst.new", "**.ipynb_checkpoints", "jupyter_execute"]
templates_path = ["_templates"]
source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}
root_doc = "index"

# -- myst / myst-nb ----------------------------------------------------------------------
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 3
# "force": every notebook is executed at every build (they are committed without outputs,
# and together they run in about a minute); outputs go into the HTML only.
nb_execution_mode = os.environ.get("SPREADLAB_NB_EXECUTION", "force")
nb_execution_timeout = 120
nb_execution_raise_on_error = True
# spreadlab.tutorial left the package (issue 13): a notebook still importing it awaits its rewrite
# (06: the ICA helpers move into spreadlab.ica) and is rendered without running until then
nb_execution_excludepatterns = [
    f"tutorials/{p.name}" for p in sorted((ROOT / "notebooks").glob("*.ipynb"))
    if "spreadlab.tutorial" in p.read_text(encoding="utf-8")
]
# notebook 9 trains a JAX decoder: without the optional jax extra it is rendered without running
if importlib.util.find_spec("jax") is None or importlib.util.find_spec("optax") is None:
    nb_execution_excludepatterns.append("tutorials/09_bring_your_own_generator.ipynb")
nb_execution_show_tb = True
nb_merge_streams = True
# no widget scripts from a CDN: a slider needs a live kernel anyway, and every widget cell in
# the notebooks is followed by the same figure drawn statically (the page stays readable offline)
nb_ipywidgets_js = {}

# -- autodoc / autosummary / numpydoc ----------------------------------------------------
# The API pages are written by _write_api_stubs() below into docs/api/generated/ (git-ignored)
# from the packages' __all__, so every public name is documented and none goes stale.
autosummary_generate = False
autosummary_imported_members = False
autodoc_default_options = {"members": False}
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# -- HTML ----------------------------------------------------------------------------------
html_title = f"spreadlab {release}"
try:
    import pydata_sphinx_theme  # noqa: F401
except ImportError:  # the built-in theme keeps the build working without it
    html_theme = "alabaster"
    html_theme_options = {}
else:
    html_theme = "pydata_sphinx_theme"
    html_theme_options = {"navigation_with_keys": False, "show_toc_level": 2}
html_static_path = ["_static"]
html_css_files = ["spreadlab.css"]

# -- math that renders offline -------------------------------------------------------------
# MathJax comes from a maintained PyPI package (jupyter-server-mathjax, MathJax 2.7) and is
# copied into the build (_static/mathjax/) by _copy_mathjax below: no CDN at view time.
# tests/test_docs.py loads pages in headless Chromium with the network off and checks that
# the formulas are typeset.
MATHJAX_CONFIG = "TeX-AMS-MML_HTMLorMML-full"


def _mathjax_source():
    """Directory holding MathJax.js: the PyPI package, else Debian's libjs-mathjax."""
    try:
        import jupyter_server_mathjax
    except ImportError:
        pass
    else:
        d = pathlib.Path(jupyter_server_mathjax.__file__).parent / "static"
        if (d / "MathJax.js").exists():
            return d
    debian = pathlib.Path("/usr/share/javascript/mathjax")
    if (debian / "MathJax.js").exists():
        return debian
    raise RuntimeError(
        "No local MathJax found: the documentation would show raw TeX offline. Install it with "
        "pip install jupyter-server-mathjax (part of the [docs] and [test] extras)."
    )


MATHJAX_SOURCE = _mathjax_source()
mathjax_path = f"mathjax/MathJax.js?config={MATHJAX_CONFIG}"  # relative to _static/
mathjax2_config = {
    "tex2jax": {
        "inlineMath": [["\\(", "\\)"]],
        "displayMath": [["\\[", "\\]"]],
        "processEscapes": True,
        # Sphinx, myst and myst-nb wrap math in elements of these classes
        "processClass": "math|output_area|cell_output",
        "ignoreClass": "tex2jax_ignore|highlight",
    },
    # the package ships the STIX-Web web fonts (as Jupyter's classic notebook configured it)
    "HTML-CSS": {"availableFonts": [], "preferredFont": None, "imageFont": None,
                 "webFont": "STIX-Web", "scale": 92, "linebreaks": {"automatic": True}},
    "showMathMenu": False,
    "messageStyle": "none",
}


def _copy_mathjax(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    import shutil

    dest = pathlib.Path(app.outdir) / "_static" / "mathjax"
    shutil.copytree(MATHJAX_SOURCE, dest, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("*.py", "__pycache__", "unpacked"))


# -- benchmarks page: include benchmarks/README.md when it exists ---------------------------
BENCH_README = ROOT / "benchmarks" / "README.md"


_LINK = re.compile(r"(!?)\[([^\]]*)\]\(([^)\s]+)(\s+\"[^\"]*\")?\)")


def _rewrite_relative_links(text):
    """Relative links in benchmarks/README.md point at files outside the docs tree.

    Images are re-pointed at ``../benchmarks/``; links to other files become inline code
    naming the file, since Sphinx cannot link to them (a broken link is an error under -W).
    """

    def fix(m):
        bang, label, target, title = m.group(1), m.group(2), m.group(3), m.group(4) or ""
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I) or target.startswith("#"):
            return m.group(0)  # absolute URL or in-page anchor: keep
        if bang:
            return f"![{label}](../benchmarks/{target}{title})"
        shown = f"benchmarks/{target}"
        return f"{label} (`{shown}`)" if label and label != target else f"`{shown}`"

    return _LINK.sub(fix, text)


def _benchmarks_source(app, docname, source):
    if docname != "benchmarks":
        return
    if BENCH_README.exists():
        app.env.note_dependency(str(BENCH_README))
        text = BENCH_README.read_text(encoding="utf-8")
        first = next((line for line in text.splitlines() if line.strip()), "")
        head = "" if first.startswith("# ") else "# Benchmarks\n\n"
        source[0] = head + _rewrite_relative_links(text)
    # otherwise the page's own text (a short note) is rendered


# -- API reference: one page per public name, generated from __all__ --------------------------
import importlib  # noqa: E402
import inspect  # noqa: E402

API_DIR = HERE / "api" / "generated"
API_PLACEHOLDER = "@@SPREADLAB_API_TABLES@@"

# spreadlab's own names are grouped by the module that defines them (longest prefix wins);
# the subpackages' __all__ are listed after them, minus names already documented at the top
_GROUPS = [
    ("spreadlab.distributions", "Distributions"),
    ("spreadlab.registry", "Registries: add a closed form or a spreading rule"),
    ("spreadlab.fdivergences", "f-divergences"),
    ("spreadlab.spread", "Spreading"),
    ("spreadlab.divergences", "Divergences"),
    ("spreadlab.fourier", "Kernels: Fourier checks"),
    ("spreadlab.formula_check", "Checking a formula of your own"),
    ("spreadlab.counterexample", "Kernels: the band-limited counterexample"),
    ("spreadlab.mmd", "Kernels: the MMD link"),
    ("spreadlab.ica", "Deterministic ICA by spread EM"),
    ("spreadlab.generator", "Deterministic nonlinear generators, known manifolds and their checks"),
    ("spreadlab.experiments", "Experiments: the Fig. 1 sweep and a reusable runner"),
    ("spreadlab.plotting", "Figures"),
]
_SUBPACKAGES = [
    ("spreadlab.ica", "spreadlab.ica: deterministic ICA by spread EM"),
    ("spreadlab.experiments", "spreadlab.experiments: sweeps and reproductions (not the library)"),
    ("spreadlab.plotting", "spreadlab.plotting: the figure style and the tutorials' figures"),
    ("spreadlab.course", "spreadlab.course: the tutorials' worked examples"),
    ("spreadlab.exercises", "spreadlab.exercises: the exercise checker and the student edition"),
    ("spreadlab.budgets", "spreadlab.budgets: memory and time budgets"),
]


def _kind(obj):
    if inspect.isclass(obj):
        return "exception" if issubclass(obj, BaseException) else "class"
    if callable(obj):
        return "function"
    return "data"


def _group(home):
    best = max((p for p, _ in _GROUPS if home == p or home.startswith(p + ".")), key=len, default=None)
    return dict(_GROUPS).get(best, "Other")


def _api_sections():
    """[(heading, module, [names])]: spreadlab.__all__ by topic, then the subpackages."""
    sections = {}
    top_ids = set()
    for name in spreadlab.__all__:
        obj = getattr(spreadlab, name)
        if _kind(obj) == "data":  # constants carry no __module__: find the defining module
            home = next((p for p, _ in _GROUPS if name in vars(importlib.import_module(p))), "")
        else:
            home = getattr(obj, "__module__", "") or ""
            top_ids.add(id(obj))
        sections.setdefault(_group(home), []).append(name)
    out = [(h, "spreadlab", names) for h, names in sections.items()]
    for mod, heading in _SUBPACKAGES:
        module = importlib.import_module(mod)
        names = [n for n in module.__all__
                 if _kind(getattr(module, n)) == "data" or id(getattr(module, n)) not in top_ids]
        if names:
            out.append((heading, mod, names))
    return out


# Public constants are documented by the docstring written under their assignment in the module
# that defines them ("F_DIVERGENCES = (...)" then a string). A tuple or dict has no docstring of its
# own (autodoc would show "Built-in immutable sequence."), so for a constant whose module has none
# yet the text below is used; a docstring in the source takes precedence.
_CONSTANT_FALLBACK = {
    "F_DIVERGENCES": "Names accepted by the ``f`` argument of :func:`spreadlab.divergence` and "
                     ":func:`spreadlab.spread_divergence`: ``kl``, ``reverse_kl``, ``jeffreys``, "
                     "``tv`` (total variation), ``hellinger`` (squared Hellinger), ``chi2``, "
                     "``js`` (Jensen–Shannon) and ``renyi`` (with ``alpha``).",
    "METHODS": "Names accepted by the ``method`` argument of :func:`spreadlab.spread_kl` and "
               ":func:`spreadlab.spread_divergence`: ``exact`` (registered closed forms), "
               "``quad`` (adaptive quadrature with an error bound) and ``mc`` (Monte Carlo with "
               "its standard error).",
}


def _constant_doc(mod, name):
    """(home module, docstring) of a public constant re-exported by ``mod``."""
    from sphinx.pycode import ModuleAnalyzer

    value = getattr(importlib.import_module(mod), name)
    # every loaded spreadlab module holding this very object, the deepest (defining) one first
    homes = sorted((m for m, module in list(sys.modules.items())
                    if m.startswith("spreadlab") and module is not None
                    and vars(module).get(name) is value), key=lambda m: -m.count("."))
    for home in homes:
        try:
            lines = ModuleAnalyzer.for_module(home).find_attr_docs().get(("", name))
        except Exception:  # no source to analyse
            lines = None
        if lines:
            return home, "\n".join(lines).strip()
    return (homes[0] if homes else mod), _CONSTANT_FALLBACK.get(name, "")


def _constant_page(mod, name):
    value = getattr(importlib.import_module(mod), name)
    home, doc = _constant_doc(mod, name)
    body = "\n".join(f"   {line}" if line else "" for line in doc.splitlines())
    full = f"{mod}.{name}"
    return (f"{full}\n{'=' * len(full)}\n\n.. currentmodule:: {mod}\n\n"
            f".. data:: {name}\n   :value: {value!r}\n\n{body}\n")


_IMPORT = re.compile(r"from spreadlab(?:\.\w+)* import (?:\(([^)]*)\)|([\w ,]+))")


def _tutorial_uses():
    """{public name: [tutorial stems]}: the names each notebook imports from spreadlab."""
    import json

    uses = {}
    for nb in sorted((ROOT / "notebooks").glob("[0-9]*.ipynb")):
        cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
        code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
        names = {n for m in _IMPORT.finditer(code)
                 for n in re.findall(r"[A-Za-z_]\w*", re.sub(r"#.*", "", m.group(1) or m.group(2)))}
        for name in sorted(names):
            uses.setdefault(name, []).append(nb.stem)
    return uses


def _used_in(name, uses):
    """The "Used in tutorials" rubric of an API page (a small backreference, built offline)."""
    stems = uses.get(name, [])
    if not stems:
        return ""
    links = "\n".join(f"* :doc:`/tutorials/{stem}`" for stem in stems)
    return f"\n.. rubric:: Used in tutorials\n\n{links}\n"


def _write_api_stubs():
    API_DIR.mkdir(parents=True, exist_ok=True)
    uses = _tutorial_uses()
    wanted = set()
    for _, mod, names in _api_sections():
        module = importlib.import_module(mod)
        for name in names:
            kind = _kind(getattr(module, name))
            full = f"{mod}.{name}"
            options = "   :members:\n" if kind == "class" else ""
            text = (f"{full}\n{'=' * len(full)}\n\n.. currentmodule:: {mod}\n\n"
                    f".. auto{kind}:: {name}\n{options}")
            if kind == "data":
                text = _constant_page(mod, name)
            text += _used_in(name, uses)
            path = API_DIR / f"{full}.rst"
            wanted.add(path.name)
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                path.write_text(text, encoding="utf-8")  # rewrite only on change: no rebuild churn
    for stale in API_DIR.glob("*.rst"):
        if stale.name not in wanted:
            stale.unlink()


def _api_tables():
    lines = []
    for heading, mod, names in _api_sections():
        module = importlib.import_module(mod)
        data = [n for n in names if _kind(getattr(module, n)) == "data"]
        other = [n for n in names if n not in data]
        lines += [heading, "-" * len(heading), "", f".. currentmodule:: {mod}", ""]
        if other:
            lines += [".. autosummary::", "   :toctree: generated", "   :nosignatures:", ""]
            lines += [f"   {n}" for n in other]
            lines.append("")
        if data:  # constants: a table of their own, with the first sentence of their docstring
            lines += [".. list-table::", "   :widths: 30 70", ""]
            for n in data:
                para = _constant_doc(mod, n)[1].split("\n\n")[0].replace("\n", " ")
                first = para.split(". ")[0].rstrip(".")
                lines += [f"   * - :data:`{n} <{mod}.{n}>`", f"     - {first}."]
            lines += ["", ".. toctree::", "   :hidden:", ""]
            lines += [f"   generated/{mod}.{n}" for n in data]
            lines.append("")
    return "\n".join(lines)


def _api_source(app, docname, source):
    if docname == "api/index":
        source[0] = source[0].replace(API_PLACEHOLDER, _api_tables())


_write_api_stubs()


# -- the course page: the notebooks as downloadable .ipynb files ----------------------------
def _copy_notebooks(app, exception):
    """Copy notebooks/*.ipynb to <build>/notebooks/, linked from course.md as real downloads."""
    if exception is not None or app.builder.format != "html":
        return
    import shutil

    dest = pathlib.Path(app.outdir) / "notebooks"
    dest.mkdir(parents=True, exist_ok=True)
    for nb in sorted((ROOT / "notebooks").glob("[0-9]*.ipynb")):
        shutil.copyfile(nb, dest / nb.name)


def setup(app):
    app.connect("build-finished", _copy_notebooks)
    app.connect("source-read", _benchmarks_source)
    app.connect("source-read", _api_source)
    app.connect("build-finished", _copy_mathjax)
    return {"parallel_read_safe": True}
