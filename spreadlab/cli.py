"""Command-line interface: ``spreadlab demo``, ``spreadlab kl`` and friends."""

import argparse
import os
import sys

__all__ = ["main"]

DEFAULT_OUT = "spreadlab-output"


def _checks_table(p, q, kernel, f="kl", n_samples=200_000, seed=0, alpha=None):
    """Closed form (if any), quadrature (1-D) and Monte Carlo for one spread divergence."""
    from .divergences import NoClosedFormError, spread_divergence

    rows = []
    try:
        rows.append(("closed form", float(spread_divergence(p, q, kernel, f, alpha=alpha)), None))
    except NoClosedFormError as exc:
        rows.append(("closed form", None, str(exc).split(";")[0]))
    if p.dim == 1:
        est = spread_divergence(p, q, kernel, f, "quad", alpha=alpha)
        rows.append(("quadrature", float(est), f"abserr {est.error:.1e}"))
    est = spread_divergence(p, q, kernel, f, "mc", alpha=alpha, n_samples=n_samples, rng=seed)
    rows.append(("Monte Carlo", float(est), f"stderr {est.error:.1e}, n={n_samples}"))
    return rows


def _print_rows(rows, out):
    for label, value, note in rows:
        shown = "—" if value is None else f"{value:.12g}"
        print(f"  {label:<12} {shown:>20}   {note or ''}", file=out)


def _save(fig, outdir, name, dpi=120):
    """Lay out, write and close a demo figure; return its path."""
    import matplotlib.pyplot as plt

    fig.tight_layout()
    path = os.path.join(outdir, name)
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return path


def cmd_kl(args, out=None):
    out = sys.stdout if out is None else out
    from ._parse import parse_distribution

    p = parse_distribution(args.p)
    q = parse_distribution(args.q)
    kernel = parse_distribution(args.kernel)
    order = "" if args.alpha is None else f" (alpha={args.alpha:g})"
    print(f"spread {args.f}{order}({p!r} || {q!r}) with kernel {kernel!r}", file=out)
    _print_rows(_checks_table(p, q, kernel, args.f, args.samples, args.seed, args.alpha), out)
    return 0


def cmd_kernel_check(args, out=None):
    out = sys.stdout if out is None else out
    from ._parse import parse_distribution
    from .kernels import kernel_check_report

    kernel = parse_distribution(args.kernel)
    print(kernel_check_report(kernel, plot_path=args.plot), file=out)
    return 0


def demo_divergences(outdir, out=None):
    """Spread KL between two point masses: closed form, quadrature and MC, plus a figure."""
    out = sys.stdout if out is None else out
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from .distributions import Cauchy, Delta, Gaussian, Laplace
    from .divergences import kl, spread_kl

    print("1. Two point masses have KL = inf; spread with the same kernel they do not:", file=out)
    kernel = Gaussian(0.0, 0.49)
    print("   KL(Delta(0) || Delta(1.3)) =", float(spread_kl(Delta(0.0), Delta(1.3), Delta(0.0))), file=out)
    print(f"   spread with {kernel!r}: (closed form 1.3^2/(2*0.49) = {1.3**2 / (2 * 0.49):.12g})", file=out)
    _print_rows(_checks_table(Delta(0.0), Delta(1.3), kernel), out)

    mu = np.linspace(-4.0, 4.0, 401)
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    # the 1-D families broadcast: one call per kernel gives the whole curve
    curves = {
        "Gaussian(0, 1)": [spread_kl(Delta(0.0), Delta(float(m)), Gaussian(0.0, 1.0)) for m in mu],
        "Laplace(0, 1)": kl(Laplace(mu, 1.0), Laplace(0.0, 1.0)),
        "Cauchy(0, 1)": kl(Cauchy(mu, 1.0), Cauchy(0.0, 1.0)),
    }
    for label, values in curves.items():
        ax.plot(mu, values, label=f"kernel {label}")
    check = np.array([-3.0, -1.0, 0.5, 2.0, 3.5])
    for k in (Gaussian(0.0, 1.0), Laplace(0.0, 1.0), Cauchy(0.0, 1.0)):
        vals = [float(spread_kl(Delta(0.0), Delta(float(m)), k, "quad")) for m in check]
        ax.plot(check, vals, "k.", ms=6)
    ax.plot([], [], "k.", label="adaptive quadrature")
    ax.set_xlabel(r"$\mu_q - \mu_p$")
    ax.set_ylabel(r"KL$(\tilde p \,\|\, \tilde q)$")
    ax.set_title("Spread KL between two point masses")
    ax.set_ylim(0, 6)
    ax.legend()
    return [_save(fig, outdir, "spread_kl_deltas.png")]


def demo_kernels(outdir, out=None):
    """Fourier verdict for every built-in kernel, plus a panel of characteristic functions."""
    out = sys.stdout if out is None else out
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from . import distributions as d
    from .kernels import band_limited_counterexample, fourier_check, plot_cf

    kernels = [
        d.Gaussian(0.0, 1.0), d.Laplace(0.0, 1.0), d.Cauchy(0.0, 1.0), d.Logistic(0.0, 1.0),
        d.HyperbolicSecant(0.0, 1.0), d.StudentT(3.0), d.Uniform(-1.0, 2.0),
        d.Triangular(-1.0, 2.0), d.Epanechnikov(0.0, 1.0), d.Fejer(0.0, 1.0),
    ]
    print("\n2. Which kernels make a valid spread? (Fourier check of each built-in kernel)", file=out)
    print(f"   {'kernel':<34} {'phi>0':>6} {'1-to-1':>7} {'K>0':>5}", file=out)
    checks = []
    for k in kernels:
        res = fourier_check(k)
        checks.append(res)
        yes = lambda b: "yes" if b else "no"  # noqa: E731
        print(
            f"   {res.kernel:<34} {yes(res.strictly_positive):>6} {yes(res.injective):>7} "
            f"{yes(res.full_support):>5}",
            file=out,
        )
    ce = band_limited_counterexample()
    print(
        f"   Fejér counterexample: p != q (TV distance {ce.tv_distance:.4f}) yet "
        f"max|p*K - q*K| = {ce.max_spread_diff:.1e};\n   a Gaussian spread separates them "
        f"(max difference {ce.separating_max_diff:.3f}).",
        file=out,
    )
    fig, axes = plt.subplots(2, 2, figsize=(9, 6))
    for ax, res in zip(axes.ravel(), [checks[0], checks[6], checks[8], checks[9]]):
        plot_cf(res, ax=ax)
    return [_save(fig, outdir, "kernel_characteristic_functions.png")]


def demo_ica_section(outdir, out=None):
    """Small version of the paper's ICA experiment: standard EM stalls, spread EM does not."""
    out = sys.stdout if out is None else out
    from .ica import demo_ica

    print("\n3. Deterministic linear ICA (x = A s, no noise): classical EM freezes, spread EM learns", file=out)
    res = demo_ica(outdir)
    print(f"   Amari distance at the start           : {res['amari_start']:.4f}", file=out)
    print(f"   classical EM, noise 1e-3 (stalls)     : {res['amari_standard_em']:.4f}", file=out)
    print(f"   spread EM (this package)              : {res['amari_spread_em']:.4f}", file=out)
    fastica = res["amari_fastica"]
    shown = "not installed (pip install scikit-learn)" if fastica is None else f"{fastica:.4f}"
    print(f"   scikit-learn FastICA (reference)      : {shown}", file=out)
    return [res["figure"]]


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
    out = sys.stdout if out is None else out
    outdir = os.path.abspath(args.out)
    os.makedirs(outdir, exist_ok=True)
    print(f"spreadlab demo: figures go to {outdir}\n", file=out)
    figures = demo_divergences(outdir, out)
    figures += demo_kernels(outdir, out)
    figures += demo_ica_section(outdir, out)
    print("\nFigures written:", file=out)
    for path in figures:
        print("  ", path, file=out)
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
