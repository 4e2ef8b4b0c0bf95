"""Package shape: no module imports a package facade (an ``__init__``'s re-exports), and no
import cycle, statically (module-level imports) or when any module is imported first."""
import ast
import importlib
import pathlib
import subprocess
import sys

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "spreadlab"

# Known exceptions, each with its reason (an entry whose import is gone fails the test). None
# left: the parser's vocabulary comes from the kernel-hook registry (spreadlab._kernel_hooks).
ALLOWED = set()


def _name(path):
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_package(name):
    return (PACKAGE.parent.joinpath(*name.split(".")) / "__init__.py").exists()


def _is_module(name):
    return _is_package(name) or PACKAGE.parent.joinpath(*name.split(".")).with_suffix(".py").exists()


def _target(path, node):
    """The absolute module an ImportFrom reads from."""
    if not node.level:
        return node.module or ""
    me = _name(path)
    base = (me if path.name == "__init__.py" else me.rsplit(".", 1)[0]).split(".")
    base = base[:len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _modules():
    return sorted(PACKAGE.rglob("*.py"))


def _facade_imports(path):
    """(line, text) of each import in ``path`` that reads a name from a package's __init__."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [(node.lineno, f"import {a.name}") for a in node.names
                      if a.name.split(".")[0] == "spreadlab" and _is_package(a.name)]
        elif isinstance(node, ast.ImportFrom):
            target = _target(path, node)
            if target.split(".")[0] != "spreadlab" or not _is_package(target):
                continue
            for a in node.names:
                sub = f"{target}.{a.name}"
                if _is_module(sub):
                    importlib.import_module(sub)   # sets the attribute on its package
                if not _is_module(sub):
                    found.append((node.lineno, f"from {target} import {a.name}"))
                elif getattr(importlib.import_module(target), a.name, None) is not \
                        importlib.import_module(sub):
                    # the facade re-exports a name that hides the submodule (spreadlab.spread
                    # is the function, not the module)
                    found.append((node.lineno, f"from {target} import {a.name} (not the module)"))
    return found


def test_no_module_imports_a_package_facade():
    """Inside the package, names come from their defining module; only the __init__ files
    (the facades themselves) re-export.  Doctest examples keep the public import."""
    offenders, allowed_seen = [], set()
    for path in _modules():
        if path.name == "__init__.py":
            continue
        rel = str(path.relative_to(PACKAGE))
        for line, text in _facade_imports(path):
            if (rel, text) in ALLOWED:
                allowed_seen.add((rel, text))
            else:
                offenders.append(f"{rel}:{line}: {text}")
    assert not offenders, "facade imports inside the package:\n" + "\n".join(offenders)
    assert allowed_seen == ALLOWED, f"stale exceptions: {ALLOWED - allowed_seen}"


def test_the_facade_check_catches_a_facade_import(tmp_path, monkeypatch):
    # negative control: the check must see each kind of facade import
    bad = PACKAGE / "_facade_probe_test.py"
    bad.write_text("from . import Gaussian\nfrom .distributions import Laplace\n"
                   "import spreadlab\nfrom . import spread\n")
    try:
        found = [text for _, text in _facade_imports(bad)]
    finally:
        bad.unlink()
    assert found == ["from spreadlab import Gaussian", "from spreadlab.distributions import Laplace",
                     "import spreadlab", "from spreadlab import spread (not the module)"]


def _module_level_edges(path):
    """Modules imported when ``path`` is executed (imports inside functions excluded)."""
    edges = set()
    for node in ast.parse(path.read_text()).body:
        stmts = [node]
        if isinstance(node, (ast.If, ast.Try)):
            stmts = list(ast.walk(node))
        for n in stmts:
            if isinstance(n, ast.Import):
                edges |= {a.name for a in n.names if a.name.split(".")[0] == "spreadlab"}
            elif isinstance(n, ast.ImportFrom):
                target = _target(path, n)
                if target.split(".")[0] != "spreadlab":
                    continue
                for a in n.names:
                    sub = f"{target}.{a.name}"
                    edges.add(sub if _is_module(sub) else target)
    return edges


def _cycles(graph):
    """The strongly connected components of ``graph`` that hold a cycle (Tarjan)."""
    index, low, stack, on, cycles = {}, {}, [], set(), []

    def visit(v):   # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1 or v in graph.get(v, ()):
                cycles.append(sorted(comp))

    for v in list(graph):
        if v not in index:
            visit(v)
    return cycles


def test_cycle_finder_finds_a_cycle():
    # negative control of the test below
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle_between_modules():
    """A cycle of module-level imports between modules (a package's __init__ importing its own
    children is the facade's job, and is the one kind of edge allowed to close a loop)."""
    graph = {_name(p): _module_level_edges(p) for p in _modules()}

    def descends(child, parent):
        return child.startswith(parent + ".")

    # drop the __init__ -> own-descendant edges: Python runs them while the package is
    # initialising, by design; any cycle that remains goes through a facade import or
    # between ordinary modules
    graph = {m: {t for t in ts if not (_is_package(m) and descends(t, m))} for m, ts in graph.items()}
    cycles = _cycles(graph)
    assert not cycles, f"import cycles: {cycles}"


@pytest.mark.parametrize("module", [_name(p) for p in _modules()])
def test_each_module_imports_first_in_a_fresh_interpreter(module):
    """Importing any module first (what a user, a worker process or a test may do) works:
    no cycle is hidden by the usual import order."""
    pytest.importorskip("sklearn")
    out = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True,
                         text=True, timeout=300, cwd=str(PACKAGE.parent))
    assert out.returncode == 0, out.stderr


def test_import_spreadlab_stays_light():
    """scikit-learn, Numba and tqdm load on first use (an estimator, a kernel, a visible bar)."""
    code = ("import sys, spreadlab, spreadlab.ica, spreadlab.experiments, spreadlab._trainer; "
            "print(sorted(m for m in ('sklearn', 'numba', 'tqdm') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=300, cwd=str(PACKAGE.parent))
    assert out.stdout.strip() == "[]", out.stderr
    # positive control: the estimators do load scikit-learn
    code = "import sys; from spreadlab.ica import SpreadICA; print('sklearn' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=300, cwd=str(PACKAGE.parent))
    assert out.stdout.strip() == "True", out.stderr
