"""Build the Sphinx documentation once (offline, warnings are errors) and check it in a browser.

The build executes the tutorial notebooks with myst-nb (in memory), so it also runs them once
more; it takes one to two minutes on two cores. The browser test loads built pages in headless
Chromium with the network off and checks that the mathematics is typeset by the MathJax copy
shipped inside the build; it saves screenshots (CI artifacts) in ``SCREENSHOT_DIR``.
"""

import html.parser
import importlib.util
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
TIMEOUT = 600  # seconds for the whole build; it normally takes 60-120 s
# where the browser test leaves its screenshots; .ci/run sets and prints this path
SCREENSHOT_DIR = pathlib.Path(os.environ.get("SPREADLAB_SCREENSHOT_DIR",
                                             ROOT / "docs" / "_build" / "screenshots"))

REQUIRED = ("sphinx", "myst_nb", "numpydoc")  # pydata_sphinx_theme is optional (alabaster fallback)

# the pages the browser test opens: the theory page, one tutorial and one API page
BROWSER_PAGES = ("theory.html", "tutorials/02_spreading_two_deltas.html",
                 "api/generated/spreadlab.spread_kl.html", "ica_fig1.html")
# more full-page screenshots: the figures of two more tutorials
EXTRA_SCREENSHOTS = ("tutorials/01_zero_likelihood.html", "tutorials/04_which_kernels.html")
# full pages: a window tall enough for the longest tutorial (headless Chromium cannot scroll)
SHOT_WINDOW = "--window-size=1100,16000"


def _missing():
    return [m for m in REQUIRED if importlib.util.find_spec(m) is None]


@pytest.fixture(scope="module")
def built_docs(tmp_path_factory):
    """One documentation build shared by every test of this module: (result, html dir)."""
    if _missing():
        pytest.skip(f"documentation tools not installed: {_missing()} (pip install -e '.[docs]')")
    tmp = tmp_path_factory.mktemp("docs")
    out = tmp / "html"
    res = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-b", "html",
         "-d", str(tmp / "doctrees"), str(DOCS), str(out)],
        cwd=ROOT, env=dict(os.environ), capture_output=True, text=True, timeout=TIMEOUT,
    )
    return res, out


def test_docs_build_without_warnings(built_docs):
    res, out = built_docs
    assert res.returncode == 0, f"sphinx-build failed:\n{res.stdout[-4000:]}\n{res.stderr[-6000:]}"
    for page in ("index.html", "theory.html", "api/index.html", "benchmarks.html",
                 "tutorials/01_zero_likelihood.html", "tutorials/06_deterministic_ica.html",
                 "_static/mathjax/MathJax.js"):
        assert (out / page).exists(), page
    # offline: no page loads a script, style sheet, font or image from another host
    remote = {str(f.relative_to(out)): _read_page(f.read_text(encoding="utf-8")).remote
              for f in out.rglob("*.html")}
    assert {page: r for page, r in remote.items() if r} == {}


@pytest.mark.parametrize("page, n_figures", [("ica_fig1.html", 2), ("benchmarks.html", 2)])
def test_figures_of_the_result_pages_are_in_the_build(built_docs, page, n_figures):
    """The Fig. 1 reproduction and the benchmark tables show their figures: every <img> of
    the page is a local file of the build, a real PNG, not a broken link."""
    res, out = built_docs
    assert res.returncode == 0, "the documentation build failed (see the test above)"
    path = out / page
    images = _read_page(path.read_text(encoding="utf-8")).images
    figures = [src for src in images if src.endswith(".png")]
    assert len(figures) >= n_figures, f"{page}: expected {n_figures} figures, found {images}"
    for src in figures:
        target = (path.parent / src).resolve()
        assert target.is_file(), f"{page}: <img src={src}> is missing from the build"
        data = target.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000, f"{page}: {src} is no figure"


# --------------------------------------------------------------------------------------------
# what a reader sees: parse the page (as served, or as the browser left it after scripts ran)
# --------------------------------------------------------------------------------------------
class _Page(html.parser.HTMLParser):
    """Visible text, rendered-math count and remote resources of one HTML document."""

    _HIDDEN = {"script", "style", "noscript", "template", "title"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.text = []
        self.rendered_math = 0  # MathJax 2 output elements: one per typeset formula
        self.math_errors = 0
        self.remote = []
        self.images = []  # src of every <img>
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        classes = (a.get("class") or "").split()
        if tag in self._HIDDEN:
            self._skip += 1
        if "MathJax" in classes:
            self.rendered_math += 1
        if "MathJax_Error" in classes or tag == "merror":
            self.math_errors += 1
        if tag == "img":
            self.images.append(a.get("src") or "")
        for key in ("src", "href"):
            url = a.get(key) or ""
            if tag in ("script", "link", "img", "iframe") and re.match(r"^(https?:)?//", url):
                self.remote.append(f"<{tag} {key}={url}>")

    def handle_endtag(self, tag):
        if tag in self._HIDDEN and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.text.append(data)


def _read_page(html_text):
    page = _Page()
    page.feed(html_text)
    page.visible = " ".join(page.text)
    return page


RAW_TEX = re.compile(r"\\\(|\\\[|\$\$|\\begin\{")


def _typesetting_problems(html_text):
    """Reasons why a page shows untypeset mathematics (empty list if it is all typeset)."""
    page = _read_page(html_text)
    problems = []
    raw = RAW_TEX.findall(page.visible)
    if raw:
        at = RAW_TEX.search(page.visible).start()
        problems.append(f"{len(raw)} raw TeX delimiters in the visible text, e.g. "
                        f"{page.visible[max(0, at - 60):at + 60]!r}")
    if page.rendered_math == 0:
        problems.append("no typeset (MathJax) element on the page")
    if page.math_errors:
        problems.append(f"{page.math_errors} MathJax errors")
    return problems


def _chromium():
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _offline_prefix():
    """``unshare -n`` (a network namespace with no interfaces) when we may create one."""
    tool = shutil.which("unshare")
    if tool and subprocess.run([tool, "-n", "true"], capture_output=True).returncode == 0:
        return [tool, "-n"]
    return []  # the --proxy-server / --host-resolver-rules flags below still block the network


def _browse(url, profile, extra):
    """Run headless Chromium on ``url`` with the network off; return the completed process."""
    cmd = _offline_prefix() + [
        _chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", f"--user-data-dir={profile}",
        # networking off even without a network namespace: no proxy answers, no name resolves
        "--proxy-server=http://127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND",
        # give MathJax time to load its files and typeset (virtual time: no real waiting)
        "--virtual-time-budget=30000", "--hide-scrollbars", *extra, url,
    ]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=180)


def test_pages_typeset_math_offline_in_chromium(built_docs, tmp_path):
    """Theory page, a tutorial and an API page: every formula typeset, no network needed."""
    if _chromium() is None:
        if os.environ.get("CI"):
            pytest.fail("CI must run the browser test, but chromium is not installed "
                        "(.ci/run installs it: apt-get install -y chromium)")
        pytest.skip("chromium is not installed (apt-get install chromium) and CI is not set")
    res, out = built_docs
    assert res.returncode == 0, "the documentation build failed (see the test above)"
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    for page in BROWSER_PAGES:
        path = out / page
        served = path.read_text(encoding="utf-8")
        # as served: nothing fetched from another host (MathJax, widgets, fonts are local) ...
        assert not _read_page(served).remote, f"{page} loads remote resources"
        # ... and the check below is not vacuous: before scripts run, the TeX is still raw
        assert any("raw TeX" in p for p in _typesetting_problems(served)), page

        profile = tmp_path / f"profile-{path.stem}"  # a fresh profile for each page
        dom = _browse(path.as_uri(), profile, ["--window-size=1100,1400", "--dump-dom"])
        assert dom.returncode == 0, f"chromium failed on {page}: {dom.stderr[-2000:]}"
        problems = _typesetting_problems(dom.stdout)
        assert not problems, f"{page}: {problems}"

        shot = SCREENSHOT_DIR / (page.replace("/", "__").replace(".html", ".png"))
        cap = _browse(path.as_uri(), tmp_path / f"shot-{path.stem}",
                      [SHOT_WINDOW, f"--screenshot={shot}"])
        assert cap.returncode == 0 and shot.exists() and shot.stat().st_size > 10_000, \
            f"no screenshot of {page}: {cap.stderr[-2000:]}"
    for page in EXTRA_SCREENSHOTS:
        shot = SCREENSHOT_DIR / (page.replace("/", "__").replace(".html", ".png"))
        cap = _browse((out / page).as_uri(), tmp_path / f"extra-{pathlib.Path(page).stem}",
                      [SHOT_WINDOW, f"--screenshot={shot}"])
        assert cap.returncode == 0 and shot.exists(), f"no screenshot of {page}: {cap.stderr[-2000:]}"


def test_typesetting_check_rejects_raw_tex():
    """Negative control for the browser test's check, on pages written by hand."""
    raw = '<p>Let <span class="math notranslate">\\(z \\sim \\mathcal N(0, I)\\)</span>.</p>'
    assert any("raw TeX" in p for p in _typesetting_problems(raw))
    typeset = ('<p>Let <span class="MathJax">z</span>'
               '<script type="math/tex">z \\sim \\mathcal N(0, I)</script>.</p>')
    assert _typesetting_problems(typeset) == []
    assert "no typeset" in _typesetting_problems("<p>no formula</p>")[0]
    remote = '<script src="https://cdn.example.org/mathjax.js"></script>'
    assert _read_page(remote).remote


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


def test_course_page_has_its_gallery_and_notebook_downloads(built_docs):
    """docs/course.md: a thumbnail per notebook (real PNGs in the build) and .ipynb downloads."""
    res, out = built_docs
    assert res.returncode == 0, "the documentation build failed (see the first test)"
    page = out / "course.html"
    text = page.read_text(encoding="utf-8")
    thumbs = [src for src in _read_page(text).images if "gallery/" in src]
    names = sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9]*.ipynb"))
    assert sorted(pathlib.Path(src).stem for src in thumbs) == names
    for src in thumbs:
        data = (page.parent / src).resolve().read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5_000, src
    for name in names:  # a real notebook file, not a .ipynb.txt
        assert f'href="notebooks/{name}.ipynb"' in text, name
        assert json.loads((out / "notebooks" / f"{name}.ipynb").read_text(encoding="utf-8"))["cells"]


def test_notebooks_are_linked_into_the_docs():
    linked = sorted(p.name for p in (DOCS / "tutorials").glob("*.ipynb"))
    shipped = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
    assert linked == shipped
    for p in (DOCS / "tutorials").glob("*.ipynb"):
        assert p.resolve() == (ROOT / "notebooks" / p.name).resolve(), f"{p} is a copy, not a link"


def _parameters_without_description(obj):
    """Parameters of ``obj`` that its numpydoc docstring does not describe."""
    import inspect

    from numpydoc.docscrape import ClassDoc, FunctionDoc

    doc = ClassDoc(obj) if inspect.isclass(obj) else FunctionDoc(obj)
    described = set()
    # a result record (a dataclass) is built from its documented attributes
    sections = ["Parameters", "Attributes"] if inspect.isclass(obj) else ["Parameters"]
    for p in (p for sec in sections for p in doc[sec]):
        if "".join(p.desc).strip():
            described |= {x.strip().lstrip("*") for x in p.name.split(",")}
    params = [q for q in inspect.signature(obj).parameters if q not in ("self", "args", "kwargs")]
    return [q for q in params if q not in described]


def test_api_describes_every_parameter():
    """The API pages (spreadlab and spreadlab.plotting) show a description for every parameter."""
    pytest.importorskip("numpydoc")
    import inspect

    import spreadlab
    from spreadlab import plotting

    names = [(spreadlab, n) for n in spreadlab.__all__] + [(plotting, n) for n in plotting.__all__]
    bare = {}
    for module, n in names:
        obj = getattr(module, n)
        if callable(obj) and not (inspect.isclass(obj) and issubclass(obj, BaseException)):
            bare[n] = _parameters_without_description(obj)
    assert {n: b for n, b in bare.items() if b} == {}

    # negative control: an undescribed parameter is found
    def f(a, b=1):
        """Do something.

        Parameters
        ----------
        a : int
            The a.
        b : int
        """

    assert _parameters_without_description(f) == ["b"]
    assert inspect.isfunction(f)
