"""The one Numba set-up of spreadlab's compiled kernels.

Every kernel module (``ica/_kernels.py``, ``generator/_kernels.py``,
``_two_sample_kernels.py``) writes its kernels as plain functions decorated
with :func:`jit` from here, and is imported only on first use (never at
``import spreadlab``); importing this module is therefore itself "first
use" and is the only place that imports Numba.

* **Lazy compilation**: :func:`jit` returns an ordinary Numba dispatcher,
  compiled on its first call.
* **One cache policy**: every kernel is compiled with ``cache=True`` when
  Numba's cache directory (``NUMBA_CACHE_DIR``, or ``__pycache__`` beside the
  kernel's file) is writable, decided once per directory; a read-only install
  compiles without caching instead of failing.  ``SPREADLAB_NUMBA_CACHE=0``
  turns caching off.
* **A message before a long compilation**: when a kernel module's cache is
  cold, one line on stderr says that compiling will take a while (it is
  cached afterwards).  :func:`set_compile_messages` turns it off.
* **One threading policy**: kernels run on Numba's thread pool, sized by
  Numba (``NUMBA_NUM_THREADS``); :func:`limit_threads` lowers it for a block
  (small problems, where a parallel region's fork/join costs more than it
  saves) and restores it.  Results never depend on the thread count (the
  kernels sum in fixed chunks).
* **No process-wide side effects**: ``os.environ`` is left as it was.  Numba's
  OpenMP layer makes idle threads spin-wait by default, which made the ICA
  E-step 7-17x slower whenever another process shared the cores (measured on
  2 cores); GNU OpenMP reads its wait policy once, when the library is
  loaded.  So the thread pool is started here, once, with
  ``OMP_WAIT_POLICY=PASSIVE`` visible to the loader only for that call
  (unless the user chose a value), and the environment is restored at once.
"""
import contextlib
import glob
import os
import sys
import tempfile
import threading

import numba
from numba import prange

__all__ = ["jit", "prange", "limit_threads", "set_compile_messages", "cache_dir_writable",
           "cache_enabled"]

_LOCK = threading.Lock()
_MESSAGES = [True]
_ANNOUNCED = set()
_WRITABLE = {}


def cache_dir_writable(path):
    """True if a file can be created (and removed) in directory ``path``."""
    try:
        os.makedirs(path, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=path, prefix=".spreadlab-probe-")
        os.close(fd)
        os.remove(name)
        return True
    except OSError:
        return False


def cache_enabled(py_file):
    """Whether kernels of the module file ``py_file`` are cached (see the module docstring)."""
    if os.environ.get("SPREADLAB_NUMBA_CACHE", "1").strip() == "0":
        return False
    target = os.environ.get("NUMBA_CACHE_DIR", "").strip() or os.path.join(
        os.path.dirname(os.path.abspath(py_file)), "__pycache__")
    if target not in _WRITABLE:
        _WRITABLE[target] = cache_dir_writable(target)
    return _WRITABLE[target]


def set_compile_messages(enabled):
    """Show (True, the default) or hide the one-line note before a cold compilation."""
    _MESSAGES[0] = bool(enabled)


def _announce(dispatcher, module):
    """One line on stderr before the first cold compilation of a kernel module."""
    if not _MESSAGES[0] or module in _ANNOUNCED:
        return
    try:
        folder = dispatcher._cache._cache_path
    except AttributeError:   # not cached (or a Numba without these internals): say nothing
        return
    # helpers called only from compiled code never get an index of their own: the module
    # counts as compiled before when any of its kernels has one
    stem = os.path.splitext(os.path.basename(sys.modules[module].__file__))[0]
    if not glob.glob(os.path.join(glob.escape(folder), f"{stem}.*.nbi")):
        _ANNOUNCED.add(module)
        print(f"spreadlab: compiling the Numba kernels of {module} (first use: up to a "
              "minute; cached afterwards)", file=sys.stderr, flush=True)


def jit(*, parallel=False, inline="never"):
    """Decorate a kernel: ``numba.njit`` with the package's cache policy.

    No ``fastmath`` (divergences can be infinite, and reductions must stay
    IEEE arithmetic).

    Parameters
    ----------
    parallel : bool, default=False
        Compile ``prange`` loops for the thread pool.
    inline : {"never", "always"}, default="never"
        Numba-level inlining of a small helper into its callers.
    """
    def decorate(func):
        cache = cache_enabled(sys.modules[func.__module__].__file__)
        dispatcher = numba.njit(cache=cache, parallel=parallel, inline=inline)(func)
        if cache and inline == "never":
            _announce(dispatcher, func.__module__)
        return dispatcher
    return decorate


def _start_thread_pool():
    """Start Numba's thread pool once, with idle threads that sleep (see the module docstring)."""
    from numba.np.ufunc import parallel

    if getattr(parallel, "_is_initialized", False):
        return
    with _LOCK:
        chose = "OMP_WAIT_POLICY" in os.environ
        if not chose:
            os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
        try:
            parallel._launch_threads()
        finally:
            if not chose:
                del os.environ["OMP_WAIT_POLICY"]


@contextlib.contextmanager
def limit_threads(n):
    """Run the Numba kernels of the block on at most ``n`` threads (restored after).

    Examples
    --------
    >>> import numba
    >>> from spreadlab._numba import limit_threads
    >>> before = numba.get_num_threads()
    >>> with limit_threads(1):
    ...     numba.get_num_threads()
    1
    >>> numba.get_num_threads() == before
    True
    """
    before = numba.get_num_threads()
    numba.set_num_threads(max(1, min(int(n), before)))
    try:
        yield
    finally:
        numba.set_num_threads(before)


_start_thread_pool()
