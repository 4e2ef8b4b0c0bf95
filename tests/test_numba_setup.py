"""One Numba set-up (spreadlab/_numba.py): every kernel goes through it, it caches, it says
when a first compilation will take a while, and it leaves the environment alone."""
import ast
import os
import pathlib
import subprocess
import sys

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "spreadlab"


def _modules():
    return [p for p in PACKAGE.rglob("*.py") if p.name != "_numba.py"]


def test_every_kernel_is_compiled_through_spreadlab_numba():
    offenders = []
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module == "numba" and \
                    any(a.name in ("njit", "jit", "vectorize") for a in node.names):
                offenders.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
            if isinstance(node, ast.Attribute) and node.attr in ("njit", "jit") and \
                    isinstance(node.value, ast.Name) and node.value.id == "numba":
                offenders.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert not offenders, f"kernels decorated outside spreadlab._numba.jit: {offenders}"


def test_no_module_writes_the_environment():
    offenders = []
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text())):
            # os.environ[...] = ..., os.environ.setdefault/update/pop(...), os.putenv(...)
            target = None
            if isinstance(node, (ast.Assign, ast.AugAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                target = next((t.value for t in targets if isinstance(t, ast.Subscript)), None)
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                    node.func.attr in ("setdefault", "update", "pop", "putenv", "unsetenv"):
                target = node.func.value
            if target is not None and ast.unparse(target) in ("os.environ", "os"):
                offenders.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert not offenders, f"process-wide environment changes: {offenders}"


def _run(code, **env):
    full = {**os.environ, **env}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=full,
                         timeout=600)
    assert out.returncode == 0, out.stderr
    return out.stderr


KERNEL = ("import numpy as np; {pre}from spreadlab import _two_sample_kernels as K; "
          "a = np.zeros((3, 2)); K.gram_gauss(a, a, np.empty((3, 3)))")


@pytest.mark.parametrize("quiet", [False, True])
def test_a_cold_cache_is_announced_once_and_a_warm_one_is_silent(tmp_path, quiet):
    cache = str(tmp_path / "cache")
    pre = "import spreadlab._numba as N; N.set_compile_messages(False); " if quiet else ""
    first = _run(KERNEL.format(pre=pre), NUMBA_CACHE_DIR=cache)
    if quiet:
        assert "compiling" not in first
    else:
        assert first.count("spreadlab: compiling the Numba kernels of "
                           "spreadlab._two_sample_kernels") == 1, first
    assert any(p.suffix == ".nbi" for p in pathlib.Path(cache).rglob("*"))   # cached
    assert "compiling" not in _run(KERNEL.format(pre=""), NUMBA_CACHE_DIR=cache)


def test_cache_off_by_request_compiles_silently(tmp_path):
    cache = tmp_path / "cache"
    err = _run(KERNEL.format(pre=""), NUMBA_CACHE_DIR=str(cache), SPREADLAB_NUMBA_CACHE="0")
    assert "compiling" not in err and not any(cache.rglob("*.nbi"))
