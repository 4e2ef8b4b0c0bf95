"""Command-line interface: ``spreadlab demo``, ``spreadlab kl`` and friends."""

import argparse
import os
import sys

__all__ = ["main"]

DEFAULT_OUT = "spreadlab-output"


def cmd_kl(args, out=None):
    out = sys.stdout if out is None else out
    from ._parse import parse_distribution
    from .demo import checks_table, print_rows

    p = parse_distribution(args.p)
    q = parse_distribution(args.q)
    kernel = parse_distribution(args.kernel)
    order = "" if args.alpha is None else f" (alpha={args.alpha:g})"
    print(f"spread {args.f}{order}({p!r} || {q!r}) with kernel {kernel!r}", file=out)
    print_rows(checks_table(p, q, kernel, args.f, args.samples, args.seed, args.alpha), out)
    return 0


def cmd_kernel_check(args, out=None):
    out = sys.stdout if out is None else out
    from ._parse import parse_distribution
    from ._report import kernel_check_report

    kernel = parse_distribution(args.kernel)
    print(kernel_check_report(kernel, plot_path=args.plot), file=out)
    return 0


def cmd_reproduce(args, out=None):
    out = sys.stdout if out is None else out
    from .ica import reproduce_ica

    outdir = os.path.abspath(args.out)
    os.makedirs(outdir, exist_ok=True)
    scale = "paper scale (this takes hours)" if args.full else "reduced scale (a few minutes)"
    print(f"Reproducing Fig. 1 of Zhang et al. (2020), {scale}; output in {outdir}", file=out)
    res = reproduce_ica(outdir, full=args.full, progress=not args.quiet, random_state=args.seed)
    print(res.summary(), file=out)
    print("Files written:", file=out)
    for path in res.files:
        print("  ", path, file=out)
    return 0


def cmd_demo(args, out=None):
    from .demo import run_demo

    run_demo(args.out, out)
    return 0


def build_parser():
    parser = argparse.ArgumentParser(
        prog="spreadlab",
        description="Spread divergences: closed forms checked by quadrature and Monte Carlo.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="run the headline demonstration and write its figures")
    demo.add_argument("--out", default=DEFAULT_OUT, help=f"output folder (default: ./{DEFAULT_OUT})")
    demo.set_defaults(func=cmd_demo)

    klp = sub.add_parser(
        "kl",
        help="spread divergence of two distributions with its quadrature and Monte Carlo checks",
        description='Example: spreadlab kl "Delta(0)" "Delta(1.3)" --kernel "Gaussian(0, 0.49)"',
    )
    klp.add_argument("p", help='first distribution, e.g. "Delta(0)"')
    klp.add_argument("q", help='second distribution, e.g. "Delta(1.3)"')
    klp.add_argument("--kernel", default="Gaussian(0, 1)", help='spread kernel (default "Gaussian(0, 1)")')
    klp.add_argument("--f", default="kl", help="divergence: kl, reverse_kl, jeffreys, tv, hellinger, chi2, js, renyi")
    klp.add_argument("--alpha", type=float, default=None, help="order of the Rényi divergence (with --f renyi)")
    klp.add_argument("--samples", type=int, default=200_000, help="Monte Carlo sample size")
    klp.add_argument("--seed", type=int, default=0, help="Monte Carlo seed")
    klp.set_defaults(func=cmd_kl)

    kc = sub.add_parser(
        "kernel-check",
        help="is a kernel a valid spread? (Fourier positivity, injectivity, support)",
        description='Example: spreadlab kernel-check "Uniform(-1, 2)" --plot uniform_cf.png',
    )
    kc.add_argument("kernel", help='kernel, e.g. "Laplace(0, 1)" or "Fejer(0, 1)"')
    kc.add_argument("--plot", default=None, metavar="FILE", help="save a plot of the characteristic function")
    kc.set_defaults(func=cmd_kernel_check)

    rep = sub.add_parser("reproduce", help="reproduce a figure of the paper")
    rep.add_argument("experiment", choices=["ica"], help="ica: Fig. 1a/1b, deterministic linear ICA")
    rep.add_argument("--full", action="store_true", help="paper scale (X=20, Z=10, N=20000; hours)")
    rep.add_argument("--out", default=DEFAULT_OUT, help=f"output folder (default: ./{DEFAULT_OUT})")
    rep.add_argument("--seed", type=int, default=0, help="random seed")
    rep.add_argument("--quiet", action="store_true", help="no progress bar")
    rep.set_defaults(func=cmd_reproduce)
    return parser


def main(argv=None):
    """Entry point of the ``spreadlab`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, TypeError, NotImplementedError) as exc:
        print(f"spreadlab {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
