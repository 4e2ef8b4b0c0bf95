"""Command-line interface: ``spreadlab demo``, ``spreadlab kl`` and friends.

Error policy
------------
Every failure is one line on stderr, never a traceback (warnings raised on the way are
printed, one line each, only when the command succeeds):

* a *user error* -- a rejected argument (argparse or the library's ``ValueError``,
  ``TypeError``, ``NoClosedFormError``) or a path that cannot be read or written --
  prints ``spreadlab <command>: error: ...`` and exits with status 2;
* an *internal error* -- any other exception, i.e. a bug in spreadlab -- prints
  ``spreadlab <command>: internal error: ...`` with a request to report it and exits with
  status 1. The full traceback is printed only with ``--debug`` or the environment
  variable ``SPREADLAB_DEBUG=1``.

``kl`` and ``kernel-check`` print nothing on stdout until their whole report is computed, so a
rejected argument never leaves half a report behind. Messages quote at most about 80
characters of any argument.

Distribution texts are parsed by :func:`spreadlab._parse.parse_distribution` (numbers only,
nothing evaluated). ``--import MODULE`` imports a user's module first -- their code, by
their request -- so that their own :class:`~spreadlab.Distribution` subclasses can be named.
"""

import argparse
import io
import math
import os
import re
import sys
import traceback
import warnings

__all__ = ["main", "build_parser", "MAX_SAMPLES", "DEBUG_ENV"]

DEFAULT_OUT = "spreadlab-output"

#: Largest ``--samples`` times the dimension of the distributions. The Monte Carlo check holds
#: about five float64 arrays of that length: measured 38 MB per million 1-D samples on top of
#: 84 MB of imports, so the largest accepted run peaks near 0.9 GB (865 MB measured for
#: ``kl "Delta(0)" "Delta(1)" --samples 20000000``, 9 s); see ``benchmarks/bench_cli.py``.
MAX_SAMPLES = 20_000_000

#: Set this environment variable to ``1`` to get the full traceback of an internal error.
DEBUG_ENV = "SPREADLAB_DEBUG"

_MAX_MESSAGE = 400  # characters of an error line; arguments inside it are quoted to ~80

_REPORT = "this is a bug in spreadlab; please report it with the command you ran"


class _UsageError(Exception):
    """An argument rejected by the parser (argparse would print usage and ``sys.exit(2)``)."""


class _Parser(argparse.ArgumentParser):
    """argparse, but a rejected argument raises instead of printing usage and exiting."""

    def error(self, message):
        raise _UsageError(f"{self.prog}: error: {message}")


def _quote(text):
    from ._parse import _quote as quote

    return quote(str(text))


def _one_line(message):
    """Collapse whitespace (numpy reprs span lines) and cut a runaway message."""
    line = " ".join(str(message).split())
    return line if len(line) <= _MAX_MESSAGE else line[: _MAX_MESSAGE - 1] + "…"


# ---------------------------------------------------------------- argument types


def _sample_count(text):
    """``--samples``: a whole number in [2, MAX_SAMPLES]; ``1e5`` is accepted as 100000."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number; got {_quote(text)}") from None
    if not (math.isfinite(value) and value == int(value)):
        raise argparse.ArgumentTypeError(f"expected a whole number; got {_quote(text)}")
    n = int(value)
    if not 2 <= n <= MAX_SAMPLES:
        raise argparse.ArgumentTypeError(
            f"must be between 2 (a standard error needs two draws) and {MAX_SAMPLES:,} (memory "
            f"budget of the Monte Carlo check); got {n:,}"
        )
    return n


def _job_count(text):
    """``--jobs``: worker processes, a whole number in [1, 64]."""
    digits = text.strip()
    # ASCII digits only: int() would also take '1_0' (10) and other scripts' digits
    if not re.fullmatch(r"[+-]?[0-9]+", digits):
        raise argparse.ArgumentTypeError(f"expected a whole number of processes; got {_quote(text)}")
    n = int(digits)
    if not 1 <= n <= 64:
        raise argparse.ArgumentTypeError(f"must be between 1 and 64; got {n}")
    return n


def _plot_file(text):
    """``--plot``: a file path (not a directory) in an existing folder, with an image extension."""
    if not text:
        raise argparse.ArgumentTypeError("expected a file name such as cf.png; got an empty string")
    if os.path.isdir(text):
        raise argparse.ArgumentTypeError(f"{_quote(text)} is a directory; give a file name such as cf.png")
    folder = os.path.dirname(os.path.abspath(text))
    if not os.path.isdir(folder):
        raise argparse.ArgumentTypeError(f"folder {_quote(folder)} does not exist")
    from matplotlib.figure import Figure

    formats = Figure().canvas.get_supported_filetypes()
    ext = os.path.splitext(text)[1][1:].lower()
    if ext not in formats:
        raise argparse.ArgumentTypeError(
            f"cannot tell the image format of {_quote(text)} from its extension; "
            f"use one of {', '.join('.' + f for f in sorted(formats))}"
        )
    return text


def _out_folder(text):
    """``--out``: a folder path (created when the command runs) that is not an existing file."""
    if not text:
        raise argparse.ArgumentTypeError("expected a folder name; got an empty string")
    if os.path.exists(text) and not os.path.isdir(text):
        raise argparse.ArgumentTypeError(f"{_quote(text)} exists and is not a folder")
    return text


def _make_folder(path):
    """Create the output folder now, before anything is printed (an OSError is a user error)."""
    path = os.path.abspath(path)
    os.makedirs(path, exist_ok=True)
    if not os.access(path, os.W_OK):
        raise PermissionError(13, "folder is not writable", path)
    return path


def _import_user_module(spec):
    """``--import``: a module name (searched from the current folder too) or a ``.py`` file.

    This runs the user's own code, by their explicit request, so that their Distribution
    subclasses (and registered closed forms) can be named in the distribution texts; the
    texts themselves are still never evaluated. Any failure is a user error naming --import.
    """
    import importlib
    import importlib.util

    try:
        if spec.endswith(".py"):
            path = os.path.abspath(spec)
            if not os.path.isfile(path):
                raise FileNotFoundError(2, "No such file", spec)
            name = "spreadlab_user_" + "".join(c if c.isalnum() else "_" for c in
                                               os.path.splitext(os.path.basename(path))[0])
            module_spec = importlib.util.spec_from_file_location(name, path)
            module = importlib.util.module_from_spec(module_spec)
            sys.modules[name] = module
            module_spec.loader.exec_module(module)
            return module
        added = os.getcwd() not in sys.path
        if added:
            sys.path.insert(0, os.getcwd())
        try:
            return importlib.import_module(spec)
        finally:
            if added:
                sys.path.remove(os.getcwd())
    except SystemExit as exc:  # the module called sys.exit() while being imported
        raise ValueError(f"--import {_quote(spec)} failed: the module called sys.exit({exc.code!r}) "
                         "while being imported") from None
    except Exception as exc:  # the user's module failed: their error, reported as such
        raise ValueError(f"--import {_quote(spec)} failed: {type(exc).__name__}: {exc}") from exc


# ---------------------------------------------------------------- commands


def _checks_table(p, q, kernel, f, n_samples, seed, alpha):
    """Closed form (if any), quadrature (1-D) and Monte Carlo rows for ``spreadlab kl``."""
    from .demo import checks_table

    rows = checks_table(p, q, kernel, f, n_samples, seed, alpha)
    for label, value, _ in rows:
        if value is not None and math.isnan(value):
            # a divergence is a number or +inf; NaN is a failure of the route, not a result
            raise FloatingPointError(f"the {label} route returned NaN")
    return rows


def cmd_kl(args, out):
    from ._parse import parse_distribution

    for spec in args.imports:
        _import_user_module(spec)
    p = parse_distribution(args.p)
    q = parse_distribution(args.q)
    kernel = parse_distribution(args.kernel)
    dim = max(getattr(d, "dim", 1) for d in (p, q, kernel))
    if args.samples * dim > MAX_SAMPLES:
        raise ValueError(
            f"--samples times the dimension must be at most {MAX_SAMPLES:,} (memory budget of the "
            f"Monte Carlo check); got {args.samples:,} x {dim} = {args.samples * dim:,}"
        )
    rows = _checks_table(p, q, kernel, args.f, args.samples, args.seed, args.alpha)
    order = "" if args.alpha is None else f" (alpha={args.alpha:g})"
    print(f"spread {args.f}{order}({p!r} || {q!r}) with kernel {kernel!r}", file=out)
    for label, value, note in rows:
        shown = "—" if value is None else f"{value:.12g}"
        print(f"  {label:<12} {shown:>20}   {note or ''}", file=out)
    return 0


def cmd_kernel_check(args, out):
    from .fourier import fourier_check
    from .plotting._kernels import plot_cf
    from ._parse import parse_distribution

    for spec in args.imports:
        _import_user_module(spec)
    kernel = parse_distribution(args.kernel)
    res = fourier_check(kernel)
    print(repr(res), file=out)
    if args.plot is not None:
        # a bare Figure (no pyplot): no GUI backend, no global state touched
        from matplotlib.figure import Figure

        panels = res.factors if res.factors else (res,)
        fig = Figure(figsize=(6.5, 3.2 * len(panels)))
        axes = fig.subplots(len(panels), 1, squeeze=False)
        for sub, ax in zip(panels, axes[:, 0]):
            plot_cf(sub, ax=ax)
        fig.tight_layout()
        # the format is named explicitly so matplotlib never appends an extension to the path
        from .plotting._style import save_figure

        save_figure(fig, args.plot)
        print(f"Plot saved to {args.plot}", file=out)
    print(f"Verdict: {res.verdict}", file=out)
    return 0


def cmd_reproduce(args, out):
    from .experiments._ica_reproduce import check_arguments as _check_arguments, reproduce_ica

    # the seed and the rest are checked before the folder is created (in the words of the CLI)
    try:
        _check_arguments(args.out, full=args.full, random_state=args.seed, n_jobs=args.jobs)
    except ValueError as exc:
        raise ValueError(str(exc).replace("random_state", "--seed")) from None
    outdir = _make_folder(args.out)
    scale = ("the paper's settings (25-50 min on two free cores with --jobs 2, depending on the CPU)"
             if args.full else "reduced settings (a few minutes)")
    print(f"Reproducing Fig. 1 of Zhang et al. (2020), {scale}; output in {outdir}; "
          f"finished points in that folder are reused", file=out)
    res = reproduce_ica(outdir, full=args.full, progress=not args.quiet, random_state=args.seed,
                        n_jobs=args.jobs)
    print(f"Wall time {res.seconds / 60:.1f} min", file=out)
    for name in ("fig1a", "fig1b"):
        print(res.table(name), file=out)
    print("Files written:", file=out)
    for path in res.files:
        print("  ", path, file=out)
    return 0


_DEMO_MANIFEST = ".spreadlab-demo"  # the files a demo run wrote into its folder, one per line


def _demo_folder(path, out):
    """The folder the demo writes into: ``path`` when it is empty or holds only files a
    previous demo wrote (listed in its manifest), else a fresh subfolder, said on ``out``:
    the demo never overwrites a file it did not write."""
    path = _make_folder(path)
    manifest = os.path.join(path, _DEMO_MANIFEST)
    ours = set()
    if os.path.isfile(manifest):
        with open(manifest, encoding="utf-8") as fh:
            ours = {line.strip() for line in fh if line.strip()}
    foreign = sorted(set(os.listdir(path)) - ours - {_DEMO_MANIFEST})
    if not foreign:
        return path
    k = 1
    while os.path.exists(os.path.join(path, f"spreadlab-demo-{k}")):
        k += 1
    fresh = _make_folder(os.path.join(path, f"spreadlab-demo-{k}"))
    print(f"{path} holds files the demo did not write ({_quote(foreign[0])}"
          f"{f' and {len(foreign) - 1} more' if len(foreign) > 1 else ''}); writing into {fresh} "
          "instead, so that nothing of yours is overwritten", file=out)
    return fresh


def cmd_demo(args, out):
    from .demo import run_demo

    folder = _demo_folder(args.out, out)
    figures = run_demo(folder, out)
    written = {os.path.relpath(os.fspath(f), folder) for f in figures or ()}
    manifest = os.path.join(folder, _DEMO_MANIFEST)
    if os.path.isfile(manifest):
        with open(manifest, encoding="utf-8") as fh:
            written |= {line.strip() for line in fh if line.strip()}
    tmp = manifest + ".tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write("".join(f"{name}\n" for name in sorted(written)))
    os.replace(tmp, manifest)
    return 0


def build_parser():
    """The ``spreadlab`` argument parser (a rejected argument raises instead of exiting)."""
    from ._version import __version__
    from .fdivergences import F_DIVERGENCES

    # --debug is accepted before or after the command; SUPPRESS keeps a subcommand's
    # default from overwriting ``spreadlab --debug kl ...``
    debug = _Parser(add_help=False)
    debug.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                       help=f"print the full traceback of an internal error (or set {DEBUG_ENV}=1)")

    parser = _Parser(
        prog="spreadlab",
        description="Spread divergences: closed forms checked by quadrature and Monte Carlo.",
        epilog="Exit status: 0 success, 2 rejected input (one line on stderr), 1 internal error.",
        parents=[debug],
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    user = _Parser(add_help=False)
    user.add_argument("--import", dest="imports", action="append", default=[], metavar="MODULE",
                      help="import MODULE (a name, or a path to a .py file) first, so that its "
                           "Distribution subclasses can be named; repeatable")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = sub.add_parser("demo", parents=[debug],
                          help="run the headline demonstration and write its figures")
    demo.add_argument("--out", type=_out_folder, default=DEFAULT_OUT,
                      help=f"output folder (default: ./{DEFAULT_OUT})")
    demo.set_defaults(func=cmd_demo, buffered=False)

    klp = sub.add_parser(
        "kl",
        parents=[debug, user],
        help="spread divergence of two distributions with its quadrature and Monte Carlo checks",
        description='Example: spreadlab kl "Delta(0)" "Delta(1.3)" --kernel "Gaussian(0, 0.49)"',
    )
    fs = [str(f) for f in F_DIVERGENCES]  # a tuple of names or a mapping keyed by them
    klp.add_argument("p", help='first distribution, e.g. "Delta(0)"')
    klp.add_argument("q", help='second distribution, e.g. "Delta(1.3)"')
    klp.add_argument("--kernel", default="Gaussian(0, 1)", help='spread kernel (default "Gaussian(0, 1)")')
    klp.add_argument("--f", default="kl", choices=fs, metavar="F",
                     help=f"divergence, one of: {', '.join(fs)} (default kl)")
    klp.add_argument("--alpha", type=float, default=None, help="order of the Rényi divergence (with --f renyi)")
    klp.add_argument("--samples", type=_sample_count, default=200_000,
                     help=f"Monte Carlo sample size, 2 to {MAX_SAMPLES:,} divided by the dimension "
                          "(memory budget; default 200,000)")
    klp.add_argument("--seed", type=int, default=0, help="Monte Carlo seed (default 0)")
    klp.set_defaults(func=cmd_kl, buffered=True)

    kc = sub.add_parser(
        "kernel-check",
        parents=[debug, user],
        help="is a kernel a valid spread? (Fourier positivity, injectivity, support)",
        description='Example: spreadlab kernel-check "Uniform(-1, 2)" --plot uniform_cf.png',
    )
    kc.add_argument("kernel", help='kernel, e.g. "Laplace(0, 1)" or "Fejer(0, 1)"')
    kc.add_argument("--plot", type=_plot_file, default=None, metavar="FILE",
                    help="save a plot of the characteristic function to exactly FILE "
                         "(format from its extension, e.g. cf.png or cf.pdf)")
    kc.set_defaults(func=cmd_kernel_check, buffered=True)

    rep = sub.add_parser("reproduce", parents=[debug], help="reproduce a figure of the paper")
    rep.add_argument("experiment", choices=["ica"], help="ica: Fig. 1a/1b, deterministic linear ICA")
    rep.add_argument("--full", action="store_true",
                     help="the paper's settings (Fig. 1a: X=20, Z=10, N=20000, 10 runs per gamma; "
                          "Fig. 1b: X=10, Z=5, 50 random A)")
    rep.add_argument("--out", type=_out_folder, default=DEFAULT_OUT,
                     help=f"output folder (default: ./{DEFAULT_OUT})")
    rep.add_argument("--seed", type=int, default=0, help="random seed")
    rep.add_argument("--quiet", action="store_true", help="no progress bar")
    rep.add_argument("--jobs", type=_job_count, default=1, metavar="N",
                     help="worker processes, one thread each (default 1; 2 uses two cores); "
                          "the results do not depend on it")
    rep.set_defaults(func=cmd_reproduce, buffered=False)

    from ._cli_test import add_parser as add_test_parser

    add_test_parser(sub).set_defaults(buffered=True)

    from ._cli_course import add_check_formula_parser, add_parser as add_course_parser

    add_course_parser(sub)
    add_check_formula_parser(sub)
    return parser


def _is_user_error(exc):
    from .fdivergences import NoClosedFormError

    if isinstance(exc, (ValueError, TypeError, NoClosedFormError)):
        return True
    # a path that cannot be read or written (OSError raised for a named file)
    return isinstance(exc, OSError) and getattr(exc, "filename", None) is not None


def _print_warnings(command, caught):
    """Each distinct warning once, one line each."""
    lines = dict.fromkeys(_one_line(f"{command}: warning: {w.category.__name__}: {w.message}")
                          for w in caught)
    for line in lines:
        print(line, file=sys.stderr)


_GRACE = 1.0  # seconds the interrupted command gets to end before it is killed


def _command_name(argv):
    words = [a for a in argv if not a.startswith("-")]
    return f"spreadlab {words[0]}" if words else "spreadlab"


def _supervised(argv):
    """Run the command in a child process (its own process group) and wait for it here.

    SIGINT (Ctrl-C) reaches this parent, which stays responsive whatever the command is
    doing (a Numba kernel does not return to Python for seconds; a pool of worker processes
    waits for its workers): it prints one line "interrupted", ends the child's whole group
    (SIGTERM, then SIGKILL after :data:`_GRACE` seconds) and returns 130. Result files are
    written under temporary names and renamed when complete, so an interrupted run leaves
    only complete ones."""
    import signal
    import time

    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # the child: run the command, never return into the caller's code
        status = 1
        try:
            os.setpgid(0, 0)
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides; it ends us
            status = _main(argv)
        finally:
            try:
                sys.stdout.flush()
                sys.stderr.flush()
            finally:
                os._exit(status if isinstance(status, int) else 1)
    try:
        try:
            os.setpgid(pid, pid)  # also here: no race with a signal before the child ran
        except OSError:
            pass
        _, raw = os.waitpid(pid, 0)
    except KeyboardInterrupt:
        print(f"{_command_name(argv)}: interrupted", file=sys.stderr, flush=True)
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(pid, sig)
            except OSError:
                break
            deadline = time.monotonic() + _GRACE
            while time.monotonic() < deadline:
                done, _ = os.waitpid(pid, os.WNOHANG)
                if done:
                    return 130
                time.sleep(0.02)
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass
        return 130
    if os.WIFEXITED(raw):
        return os.WEXITSTATUS(raw)
    print(f"{_command_name(argv)}: internal error: the command ended by signal {os.WTERMSIG(raw)} "
          f"-- {_REPORT}", file=sys.stderr)
    return 1


def main(argv=None):
    """Entry point of the ``spreadlab`` console script.

    Parameters
    ----------
    argv : list of str, optional
        The arguments after the program name (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        The exit status: 0 on success, 2 for rejected input (one line on stderr), 1 for an
        internal error (one line on stderr asking for a report; the traceback too with
        ``--debug`` or ``SPREADLAB_DEBUG=1``). ``--help`` and ``--version`` exit with
        :class:`SystemExit` (status 0) as argparse does. Called without ``argv`` (the console
        script) on a POSIX system, the command runs in a child process so that Ctrl-C ends
        any command within about a second with one line "interrupted" and status 130.

    Examples
    --------
    >>> from spreadlab.cli import main
    >>> main(["kl", "Delta(0)", "Delta(1.3)", "--kernel", "Gaussian(0, 0.49)", "--samples", "2000"])
    ... # doctest: +ELLIPSIS
    spread kl(Delta(loc=0) || Delta(loc=1.3)) with kernel Gaussian(mean=0, cov=0.49)
      closed form         1.72448979592
      quadrature          1.72448979592   abserr ...
      Monte Carlo   ...   stderr ..., n = 2000
    0
    >>> import contextlib, io
    >>> with contextlib.redirect_stderr(io.StringIO()) as err:
    ...     status = main(["kl", "Delta(0)", "Delta(1)", "--samples", "100000000000"])
    >>> status, err.getvalue().count("\\n")
    (2, 1)
    """
    if argv is None:
        argv = sys.argv[1:]
        if hasattr(os, "fork") and not {"-h", "--help", "--version"} & set(argv):
            return _supervised(argv)
    return _main(list(argv))


def _main(argv):
    command = "spreadlab"
    debug = os.environ.get(DEBUG_ENV, "") not in ("", "0") or "--debug" in argv
    try:
        args = build_parser().parse_args(argv)
        command = f"spreadlab {args.command}"
        debug = debug or getattr(args, "debug", False)
        buffer = io.StringIO() if args.buffered else sys.stdout
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("default")  # each warning once per place it is raised
            try:
                status = args.func(args, buffer)
            except BaseException:
                if debug:  # after a failure only the error line is printed, unless debugging
                    _print_warnings(command, caught)
                raise
            _print_warnings(command, caught)
        if args.buffered:
            sys.stdout.write(buffer.getvalue())
        return status
    except _UsageError as exc:
        print(_one_line(f"{exc} (see spreadlab --help)"), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{command}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # the error policy of the module docstring
        if debug:
            traceback.print_exc()
        if _is_user_error(exc):
            if isinstance(exc, OSError):
                detail = f"cannot use {_quote(exc.filename)}: {exc.strerror or exc}"
            else:
                detail = str(exc)
            print(_one_line(f"{command}: error: {detail}"), file=sys.stderr)
            return 2
        hint = "" if debug else f" (run with --debug or {DEBUG_ENV}=1 for the traceback)"
        print(_one_line(f"{command}: internal error: {type(exc).__name__}: {exc}") +
              f" -- {_REPORT}{hint}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
