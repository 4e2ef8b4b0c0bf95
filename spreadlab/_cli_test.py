"""The ``spreadlab test X.csv Y.csv [--kernel ...] [--learn]`` sub-command.

Two functions for :mod:`spreadlab.cli`: :func:`add_parser` registers the sub-command on an
``argparse`` sub-parser collection and :func:`cmd_test` runs it. Samples are read from
plain CSV (comma-separated numbers, one sample per row, an optional header line of
names: see :func:`read_samples` for the rule) or NumPy ``.npy`` files, at most
:data:`spreadlab.budgets.CLI_MAX_ROWS` samples each.
"""

import argparse
import os
import sys

import numpy as np

__all__ = ["add_parser", "cmd_test", "read_samples"]


def read_samples(path, name, header=None, max_rows=None):
    """Read a sample matrix of shape (n_samples, n_features) from a CSV or NPY file.

    Nothing is dropped silently. In a CSV file blank lines and lines starting with ``#`` are
    skipped; a UTF-8 byte-order mark is removed; the first line is taken for a header of
    column names only when *every* one of its fields is non-numeric text (``x,y`` but not
    ``1,abc``, ``1,,2`` or an empty field), unless ``header`` says otherwise. Any other field
    that is not a number is an error naming the file, the line and the column.

    Parameters
    ----------
    path : str
        A ``.npy`` file (real numbers) or a CSV file (comma-separated numbers, one sample
        per line).
    name : str
        The argument's name for messages (``"x"``).
    header : bool or None, default=None
        ``True``: the first line is a header (skipped whatever it holds); ``False``: there is
        none (a non-numeric first line is an error); ``None``: decide by the rule above.
    max_rows : int, optional
        Largest number of samples accepted (default
        :data:`spreadlab.budgets.CLI_MAX_ROWS`); a larger file is refused, naming the budget.

    Raises
    ------
    ValueError
        Naming ``name`` and the file: missing or malformed file, a field that is not a
        number (with line and column), a ragged CSV, NaN or infinite entries, fewer than 2
        rows, more than ``max_rows`` rows.
    """
    from . import budgets

    if max_rows is None:
        max_rows = int(budgets.CLI_MAX_ROWS)
    if not os.path.isfile(path):
        raise ValueError(f"{name}: no such file {path!r}")
    if path.lower().endswith(".npy"):
        try:
            arr = np.load(path, allow_pickle=False, mmap_mode="r")  # the header only, so far
        except (ValueError, OSError) as exc:
            raise ValueError(f"{name}: {path!r} is not a readable .npy array ({exc})") from exc
        if not np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.complexfloating):
            raise ValueError(f"{name}: {path!r} must hold real numbers; got dtype {arr.dtype}")
        if arr.ndim >= 1 and arr.shape[0] > max_rows:
            raise _too_many_rows(name, path, arr.shape[0], max_rows)
        arr = np.array(arr, dtype=float)
    else:
        arr = _read_csv(path, name, header, max_rows)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise ValueError(f"{name}: {path!r} must be a matrix (one sample per row); got shape {arr.shape}")
    if arr.shape[0] < 2:
        raise ValueError(f"{name}: {path!r} needs at least 2 samples (rows); got {arr.shape[0]}")
    bad = ~np.isfinite(arr)
    if bad.any():
        r, c = np.argwhere(bad)[0]
        raise ValueError(f"{name}: {path!r} has a NaN or infinite entry (row {r + 1}, column {c + 1})")
    return arr


def _too_many_rows(name, path, n_rows, max_rows):
    return ValueError(
        f"{name}: {path!r} has {'more than ' if n_rows is None else ''}{n_rows or max_rows} rows, "
        f"over the budget of {max_rows} (spreadlab.budgets.CLI_MAX_ROWS: the permutation test's "
        "cost grows as the square of the sample size); subsample the file first"
    )


def _read_csv(path, name, header, max_rows):
    rows, width, first = [], None, True
    with open(path, encoding="utf-8-sig", newline="") as fh:  # utf-8-sig: a BOM is removed
        for line_no, raw in enumerate(fh, start=1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            fields = [f.strip() for f in line.split(",")]
            if first:
                first = False
                if header is True or (header is None and _is_header(fields)):
                    continue
            if len(rows) >= max_rows:
                raise _too_many_rows(name, path, None, max_rows)
            values = []
            for col, field in enumerate(fields, start=1):
                try:
                    values.append(float(field))
                except ValueError:
                    what = "an empty field" if not field else f"{field[:40]!r}, not a number"
                    hint = (" (a header line must be all names; use --header to skip this line)"
                            if not rows and header is None else "")
                    raise ValueError(f"{name}: {path!r} line {line_no}, column {col}: {what}{hint}") from None
            if width is None:
                width = len(values)
            elif len(values) != width:
                raise ValueError(f"{name}: {path!r} line {line_no} has {len(values)} columns; the first "
                                 f"data line has {width}")
            rows.append(values)
    return np.array(rows, dtype=float) if rows else np.empty((0, 1))


def _is_header(fields):
    """A header line: every field is non-empty text that does not parse as a number."""
    for field in fields:
        if not field:
            return False
        try:
            float(field)
            return False
        except ValueError:
            continue
    return True


def add_parser(subparsers):
    """Register the ``test`` sub-command on ``subparsers`` (from ``add_subparsers``)."""
    p = subparsers.add_parser(
        "test",
        help="spread two-sample permutation test of p = q from two sample files",
        description='Example: spreadlab test x.csv y.csv --kernel "Gaussian(0, 0.5)" --permutations 999',
    )
    p.add_argument("x", help="samples from p: CSV (one sample per row) or .npy")
    p.add_argument("y", help="samples from q: CSV or .npy, same number of columns")
    p.add_argument("--kernel", default="auto",
                   help='spread kernel, e.g. "Gaussian(0, 1)" or "Laplace(0, 2)" (1-D), or "auto" '
                        "(median heuristic, the default)")
    p.add_argument("--learn", action="store_true",
                   help="learn a Gaussian spread on half of each sample and test on the other half")
    p.add_argument("--permutations", type=int, default=1000, help="number of permutations (default 1000)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--header", action=argparse.BooleanOptionalAction, default=None,
                   help="CSV files: the first line is (--header) or is not (--no-header) a line of "
                        "column names; by default it is one only if every field is non-numeric text")
    p.set_defaults(func=cmd_test)
    return p


def cmd_test(args, out=None):
    """Run the test and print the statistic, the p-value and its Monte Carlo standard error."""
    out = sys.stdout if out is None else out
    from .two_sample import two_sample_test

    x = read_samples(args.x, "x", header=args.header)
    y = read_samples(args.y, "y", header=args.header)
    if x.shape[1] != y.shape[1]:
        raise ValueError(f"x and y must have the same number of columns (dimensions); got "
                         f"{x.shape[1]} in {args.x!r} and {y.shape[1]} in {args.y!r}")
    if args.learn and args.kernel != "auto":
        raise ValueError("--learn learns the kernel: do not combine it with --kernel")
    if args.learn:
        kernel = "learn"
    elif args.kernel == "auto":
        kernel = "auto"
    else:
        from ._parse import parse_distribution

        kernel = parse_distribution(args.kernel)
    res = two_sample_test(x, y, kernel, n_permutations=args.permutations, rng=args.seed)
    print(f"spread two-sample test: n_x={res.n_x}, n_y={res.n_y}, d={x.shape[1]}, kernel {res.kernel!r}",
          file=out)
    print(f"statistic (unbiased MMD^2, k = K * K~): {res.statistic:.6g}", file=out)
    print(f"p-value: {res.p_value:.4g} (Monte Carlo standard error {res.p_value_se:.2g}, "
          f"{res.n_permutations} permutations)", file=out)
    return 0
