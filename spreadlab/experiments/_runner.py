"""A small runner for experiments: one result file per point, resume, progress, workers.

An experiment is a list of *points*, each a dict of JSON-able settings that
fully determine its result, and a top-level function ``fit(point) -> result``
(a JSON-able value, e.g. a list of rows).  :func:`run_points` fits every
point, and with a ``folder``

* writes each result as soon as it is known, to its own file
  ``folder/<name(point)>.json`` holding ``{"format", "settings", "rows"}``,
  atomically (a temporary name, then ``os.replace``: a crash never leaves half
  a file that looks finished);
* resumes: a point whose file exists with the same settings and format is
  read, not refitted (another format or other settings: refitted).

Points run in the given order, in this process or in ``n_jobs`` spawned
worker processes; a point that fails ends the run (points not yet started are
dropped).  The ICA sweep (:func:`spreadlab.experiments.ica_sweep`) is written
on it.

Examples
--------
>>> import tempfile
>>> from spreadlab.experiments import run_points
>>> points = [{"x": 1}, {"x": 2}]
>>> with tempfile.TemporaryDirectory() as folder:
...     first = run_points(points, lambda p: [p["x"] ** 2], folder=folder,
...                        name=lambda p: f"x{p['x']}")
...     again = run_points(points, lambda p: 1 / 0, folder=folder,
...                        name=lambda p: f"x{p['x']}")   # resumed: nothing is refitted
>>> first, again
([[1], [4]], [[1], [4]])
"""
import json
import os

import numpy as np

from .._trainer import Progress
from .._validation import _short, as_count

__all__ = ["run_points", "load_point", "save_point"]


def check_folder(folder, name):
    """``folder`` as a non-empty ``str`` path that is a folder or can be made one; refused
    by ``name`` otherwise (a path-like object is converted)."""
    try:
        path = os.fspath(folder)
    except TypeError:
        path = None
    if not isinstance(path, str):
        raise TypeError(f"{name} must be a str or os.PathLike path; got {_short(folder)}")
    if not path:
        raise ValueError(f"{name} must be a non-empty path; got ''")
    if os.path.exists(path) and not os.path.isdir(path):
        raise ValueError(f"{name} must be a folder (or a path to create); {path!r} exists and "
                         "is not a folder")
    return path


def check_flag(value, name):
    """``value`` as a bool (Python or NumPy); anything else is refused by ``name`` (the
    string 'no' is true)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False; got {name}={_short(value)}")
    return bool(value)


def _check_names(points, name):
    """The file name of every point: non-empty strings, distinct, without a path separator
    (a name such as '../x' wrote outside the folder; two points with one name overwrote
    each other's file and one was read back as the other)."""
    names = []
    for i, point in enumerate(points):
        n = name(point)
        if not isinstance(n, str) or not n or n in (".", "..") or "/" in n or \
                (os.sep != "/" and os.sep in n) or (os.altsep and os.altsep in n) or "\0" in n:
            raise ValueError(f"name(point) must be a non-empty file name without a path "
                             f"separator; got {_short(n)} for points[{i}]")
        names.append(n)
    seen = {}
    for i, n in enumerate(names):
        if n in seen:
            raise ValueError(f"name(point) must differ between points; points[{seen[n]}] and "
                             f"points[{i}] are both named {n!r}")
        seen[n] = i
    return names


def _key(settings):
    return json.dumps(settings, sort_keys=True)


def load_point(path, settings, version):
    """The result stored at ``path``, or None if absent, unreadable, of another
    ``version`` or fitted with other settings."""
    try:
        with open(path) as f:
            saved = json.load(f)
    except (OSError, ValueError):
        return None
    if not isinstance(saved, dict) or saved.get("format") != version or \
            _key(saved.get("settings")) != _key(settings):
        return None
    return saved.get("rows")


def save_point(path, settings, rows, version):
    """Write one point atomically (temporary name in the same folder, then rename)."""
    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        try:
            text = json.dumps({"format": version, "settings": settings, "rows": rows}, indent=1)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"the result of fit for the point saved as {os.path.basename(path)!r} "
                            f"is not JSON-able ({exc}); fit must return lists, dicts, str, "
                            "int, float, bool or None") from None
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:   # rows that are not JSON, Ctrl-C: leave no temporary behind
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def run_points(points, fit, *, folder=None, name=None, version=1, progress=False,
               desc="points", n_jobs=1, worker_init=None):
    """Fit every point, reusing and writing per-point result files.

    Parameters
    ----------
    points : iterable of dict
        JSON-able settings, one dict per point (checked before anything is fitted).
    fit : callable
        ``fit(point) -> result`` (JSON-able).  With ``n_jobs > 1`` it must be a
        module-level function (it is pickled by reference).
    folder : str or path-like, optional
        Folder of the result files (created if needed); None: nothing is read
        or written.
    name : callable, optional
        ``name(point) -> str``, the file name without ``.json`` (needed with
        ``folder``): a non-empty name without a path separator, distinct for
        distinct points (checked for every point before anything is fitted).
    version : int, default=1
        Format of the files; bump it when ``fit`` changes its results, so that
        old files are refitted.
    progress : bool, default=False
        tqdm bar over the points that are fitted.
    desc : str, default="points"
        Label of the bar.
    n_jobs : int, default=1
        Worker processes (spawned); 1 fits in this process.
    worker_init : callable, optional
        Run once in each worker (e.g. to limit its threads).

    Returns
    -------
    list
        The results, in the order of ``points``.
    """
    # everything is checked before any file is read or written or any point fitted
    n_jobs = as_count(n_jobs, "n_jobs", 1, 1024)
    if isinstance(points, (str, bytes, dict)) or not hasattr(points, "__iter__"):
        raise TypeError(f"points must be a list of dicts of settings; got {_short(points)}")
    points = list(points)
    for i, point in enumerate(points):
        if not isinstance(point, dict):
            raise TypeError(f"points must hold dicts of settings; got points[{i}]="
                            f"{_short(point)}")
        try:
            _key(point)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"points must hold JSON-able settings; points[{i}] is not "
                            f"({exc})") from None
    for label, f in (("fit", fit), ("name", name), ("worker_init", worker_init)):
        if (f is not None or label == "fit") and not callable(f):
            raise TypeError(f"{label} must be a callable; got {label}={_short(f)}")
    version = as_count(version, "version", minimum=0)
    progress = check_flag(progress, "progress")
    if folder is not None and name is None:
        raise ValueError("run_points needs name=... to name the result files in folder")
    path = None
    if folder is not None:
        folder = check_folder(folder, "folder")
        files = dict(zip(map(id, points), _check_names(points, name)))
        path = lambda p: os.path.join(folder, f"{files[id(p)]}.json")  # noqa: E731
    results = [None] * len(points)
    todo = []
    for i, point in enumerate(points):
        done = None if path is None else load_point(path(point), point, version)
        if done is None:
            todo.append(i)
        else:
            results[i] = done
    if folder is not None:
        os.makedirs(folder, exist_ok=True)

    with Progress(len(todo), desc, progress, leave=True) as bar:
        def finish(i, rows):
            if path is not None:
                save_point(path(points[i]), points[i], rows, version)
            results[i] = rows
            bar.update()

        if n_jobs == 1 or len(todo) <= 1:
            for i in todo:
                finish(i, fit(points[i]))
        else:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor, as_completed

            ctx = multiprocessing.get_context("spawn")  # no fork of a process with OpenMP threads
            with ProcessPoolExecutor(min(n_jobs, len(todo)), mp_context=ctx,
                                     initializer=worker_init) as pool:
                futures = {pool.submit(fit, points[i]): i for i in todo}
                try:
                    for fut in as_completed(futures):
                        finish(futures[fut], fut.result())
                except BaseException:
                    # a failed point (or Ctrl-C) ends the run now: the points not yet
                    # started are dropped instead of being fitted before the error shows
                    pool.shutdown(wait=False, cancel_futures=True)
                    raise
    return results
