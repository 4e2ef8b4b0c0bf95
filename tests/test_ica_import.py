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
    # scikit-learn is a runtime dependency (SpreadICA subclasses its BaseEstimator);
    # Numba is compiled lazily, on the first fit
    out = _run("import sys, spreadlab, spreadlab.ica; "
               "print('numba' in sys.modules, 'spreadlab.ica._kernels' in sys.modules)")
    assert out == "False False"


def test_import_leaves_environment_unchanged():
    # before: importing the kernels set OMP_WAIT_POLICY as a side effect
    code = ("import os; before = dict(os.environ); import spreadlab; "
            "from spreadlab.ica import _kernels; print(dict(os.environ) == before)")
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "True"


def test_thread_pool_starts_with_the_measured_omp_policy_and_restores_the_environment():
    # positive control for the test above: the wait policy (measured fix for spinning OpenMP
    # threads) is what the OpenMP runtime sees when Numba's thread pool starts (GNU OpenMP
    # reads it once, when it is loaded), and is gone from os.environ right after
    code = ("import os; from numba.np.ufunc import parallel; seen = []; "
            "launch = parallel._launch_threads; "
            "parallel._launch_threads = lambda: seen.append(os.environ.get('OMP_WAIT_POLICY')) "
            "or launch(); "
            "import spreadlab._numba; print(seen, os.environ.get('OMP_WAIT_POLICY'))")
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         timeout=300)
    assert out.stdout.strip() == "['PASSIVE'] None", out.stderr
    assert _run(code, OMP_WAIT_POLICY="ACTIVE") == "['ACTIVE'] ACTIVE"   # a user's choice wins


def test_fits_and_tests_leave_the_environment_unchanged():
    # (scikit-learn sets KMP_DUPLICATE_LIB_OK and KMP_INIT_AT_FORK when it is imported: its own)
    code = ("import os, numpy as np, sklearn; env = dict(os.environ); import spreadlab; "
            "from spreadlab.ica import SpreadICA, make_ica_data; "
            "X, A, _ = make_ica_data(300, 3, 2, random_state=0); "
            "SpreadICA(2, random_state=0).fit(X); "
            "SpreadICA(2, estep='importance', n_draws=10, max_iter=3, tol=1.0, "
            "random_state=0).fit(X); "
            "from spreadlab import _two_sample_kernels; "
            "from spreadlab.generator import _kernels; "
            "import numba; print(dict(os.environ) == env, numba.threading_layer())")
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         timeout=600)
    assert out.stdout.strip().split()[0] == "True", out.stderr


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
