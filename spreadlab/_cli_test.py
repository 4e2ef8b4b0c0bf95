"""The ``spreadlab test X.csv Y.csv [--kernel ...] [--learn]`` sub-command.

Two functions for :mod:`spreadlab.cli`: :func:`add_parser` registers the sub-command on an
``argparse`` sub-parser collection and :func:`cmd_test` runs it. Samples are read from
plain CSV (comma-separated numbers, one sample per row, an optional header line of
names) or NumPy ``.npy`` files.
"""

import os
import sys

import numpy as np

__all__ = ["add_parser", "cmd_test", "read_samples"]


def read_samples(path, name):
    """Read a sample matrix of shape (n_samples, n_features) from a CSV or NPY file.

    Raises ValueError naming ``name`` and the file for a missing or malformed file, a
    non-numeric or ragged CSV, NaN or infinite entries, or fewer than 2 rows.
    """
    if not os.path.isfile(path):
        raise ValueError(f"{name}: no such file {path!r}")
    if path.lower().endswith(".npy"):
        try:
            arr = np.load(path, allow_pickle=False)
        except (ValueError, OSError) as exc:
            raise ValueError(f"{name}: {path!r} is not a readable .npy array ({exc})") from exc
        if not np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.complexfloating):
            raise ValueError(f"{name}: {path!r} must hold real numbers; got dtype {arr.dtype}")
        arr = arr.astype(float)
    else:
        with open(path, encoding="utf-8") as fh:
            lines = [ln.strip() for ln in fh if ln.strip() and not ln.lstrip().startswith("#")]
        if lines and not _is_numeric_row(lines[0]):
            lines = lines[1:]  # a header of column names
        rows = []
        for i, ln in enumerate(lines):
            fields = [f.strip() for f in ln.split(",")]
            try:
                rows.append([float(f) for f in fields])
            except ValueError:
                raise ValueError(f"{name}: {path!r} data row {i + 1} is not comma-separated numbers: {ln!r}") from None
            if len(rows[-1]) != len(rows[0]):
                raise ValueError(f"{name}: {path!r} data row {i + 1} has {len(rows[-1])} columns, "
                                 f"the first row has {len(rows[0])}")
        arr = np.array(rows, dtype=float)
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


def _is_numeric_row(line):
    try:
        [float(f) for f in line.split(",")]
        return True
    except ValueError:
        return False


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
    p.set_defaults(func=cmd_test)
    return p


def cmd_test(args, out=None):
    """Run the test and print the statistic, the p-value and its Monte Carlo standard error."""
    out = sys.stdout if out is None else out
    from .two_sample import two_sample_test

    x = read_samples(args.x, "x")
    y = read_samples(args.y, "y")
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
