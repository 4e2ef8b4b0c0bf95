"""The ``spreadlab demo`` job: three short sections, each printing numbers and writing a figure.

1. spread KL between two point masses (closed form, quadrature, Monte Carlo);
2. the Fourier verdict of every built-in kernel and the Fejér counterexample;
3. deterministic linear ICA: classical EM freezes, spread EM learns.

The command line only parses arguments and calls :func:`run_demo`.
"""

import os
import sys

__all__ = ["run_demo", "checks_table", "print_rows"]


def checks_table(p, q, kernel, f="kl", n_samples=200_000, seed=0, alpha=None):
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


def print_rows(rows, out):
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


def demo_divergences(outdir, out=None):
    """Spread KL between two point masses: closed form, quadrature and MC, plus a figure."""
    out = sys.stdout if out is None else out
    import matplotlib.pyplot as plt
    import numpy as np

    from .distributions import Cauchy, Delta, Gaussian, Laplace
    from .divergences import kl, spread_kl

    print("1. Two point masses have KL = inf; spread with the same kernel they do not:", file=out)
    kernel = Gaussian(0.0, 0.49)
    print("   KL(Delta(0) || Delta(1.3)) =", float(spread_kl(Delta(0.0), Delta(1.3), Delta(0.0))), file=out)
    print(f"   spread with {kernel!r}: (closed form 1.3^2/(2*0.49) = {1.3**2 / (2 * 0.49):.12g})", file=out)
    print_rows(checks_table(Delta(0.0), Delta(1.3), kernel), out)

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
    import matplotlib.pyplot as plt

    from . import distributions as d
    from .counterexample import band_limited_counterexample
    from .fourier import fourier_check
    from .plotting import plot_cf

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


def run_demo(outdir, out=None):
    """Run the three demo sections, writing figures into ``outdir``; return the figure paths."""
    out = sys.stdout if out is None else out
    outdir = os.path.abspath(outdir)
    os.makedirs(outdir, exist_ok=True)
    print(f"spreadlab demo: figures go to {outdir}\n", file=out)
    figures = demo_divergences(outdir, out)
    figures += demo_kernels(outdir, out)
    figures += demo_ica_section(outdir, out)
    print("\nFigures written:", file=out)
    for path in figures:
        print("  ", path, file=out)
    return figures
