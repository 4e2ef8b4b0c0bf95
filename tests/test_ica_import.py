"""Import-time behaviour: no Numba at `import spreadlab.ica`, and the Numba
cache falls back to no caching when its directory is unwritable."""
import os
import subprocess
import sys




def _run(code, **env):
    full_env = {**os.environ, **env}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=full_env, timeout=300)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_import_does_not_import_numba():
    out = _run("import sys, spreadlab, spreadlab.ica; "
               "print('numba' in sys.modules, 'spreadlab.ica._kernels' in sys.modules, "
               "'sklearn' in sys.modules)")
    assert out == "False False False"


def test_cache_disabled_when_cache_dir_unwritable(tmp_path):
    blocker = tmp_path / "not_a_dir"
    blocker.write_text("a file where the cache directory should be")
    # a path below a regular file cannot be created, even by root
    cache = str(blocker / "numba_cache")
    out = _run("from spreadlab.ica import _kernels; print(_kernels.CACHE_ENABLED)",
               NUMBA_CACHE_DIR=cache)
    assert out == "False"
    out = _run("from spreadlab.ica import _kernels; print(_kernels.CACHE_ENABLED)",
               NUMBA_CACHE_DIR=str(tmp_path / "ok"))
    assert out == "True"  # positive control: a writable directory keeps caching on


def test_fit_works_with_unwritable_cache_dir(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    code = ("import numpy as np; from spreadlab.ica import SpreadICA, make_ica_data, amari_distance;"
            "X, A, _ = make_ica_data(300, 3, 2, random_state=0);"
            "e = SpreadICA(2, estep='importance', n_draws=10, max_iter=5, tol=1.0, random_state=0).fit(X);"
            "print(np.all(np.isfinite(e.mixing_)))")
    assert _run(code, NUMBA_CACHE_DIR=str(blocker / "cache")) == "True"


def test_cache_dir_writable_helper(tmp_path):
    from spreadlab.ica._kernels import cache_dir_writable

    f = tmp_path / "f"
    f.write_text("")
    assert cache_dir_writable(str(tmp_path / "new"))
    assert not cache_dir_writable(str(f / "below_a_file"))
