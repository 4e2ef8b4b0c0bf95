r"""The ``spreadlab demo`` job: short sections, each printing numbers and writing a figure.

1. spread KL between two point masses (closed form, quadrature, Monte Carlo), Gaussian,
   Laplace and Cauchy kernels;
2. the Fourier verdict of every built-in kernel and the Fejér counterexample;
3. deterministic linear ICA: classical EM freezes, spread EM learns.

Each section is a function ``section(outdir, out) -> list of figure paths``; :data:`SECTIONS`
lists them in order and :func:`run_demo` runs them, so a new section is one more entry.
The command line only parses arguments and calls :func:`run_demo`.

References
----------
M. Zhang, P. Hayes, T. Bird, R. Habib, D. Barber, "Spread Divergence", ICML 2020,
https://arxiv.org/abs/1811.08968 . D. Barber, "Training models that have zero likelihood"
(blog post, Dec 21, 2019), https://aiucl.github.io/spread-divergence/ .
"""

import os
import sys

__all__ = ["run_demo", "checks_table", "print_rows", "SECTIONS"]

N_MONTE_CARLO = 200_000
"""Monte Carlo sample size of the demo's spread KL checks."""

# the problem solved by spreadlab.ica.demo_ica (its docstring states the same sizes; a test
# keeps the two in step)
ICA_DEMO_SIZES = {"n_samples": 5000, "n_features": 6, "n_sources": 3}


def checks_table(p, q, kernel, f="kl", n_samples=N_MONTE_CARLO, seed=0, alpha=None):
    r"""Closed form (if any), quadrature (1-D only) and Monte Carlo for one spread divergence.

    .. math:: \tilde D_f(p\|q) = D_f(p * K\,\|\,q * K)

    Parameters
    ----------
    p, q : Distribution
        The two distributions.
    kernel : Distribution
        The spread kernel :math:`K`.
    f : str, default="kl"
        One of :data:`spreadlab.F_DIVERGENCES`.
    n_samples : int, default=200_000
        Monte Carlo sample size.
    seed : int, default=0
        Seed of the Monte Carlo estimate.
    alpha : float, default=None
        Order of the Rényi divergence (``f="renyi"`` only).

    Returns
    -------
    list of (str, float or None, str or None)
        ``(method, value, note)`` rows; the value is None when there is no closed form.

    Examples
    --------
    >>> from spreadlab import Delta, Gaussian
    >>> rows = checks_table(Delta(0.0), Delta(1.3), Gaussian(0.0, 0.49), n_samples=1000)
    >>> [r[0] for r in rows]
    ['closed form', 'quadrature', 'Monte Carlo']
    >>> round(rows[0][1], 6)
    1.72449
    """
    from .divergences import spread_divergence
    from .fdivergences import NoClosedFormError

    rows = []
    try:
        rows.append(("closed form", float(spread_divergence(p, q, kernel, f, alpha=alpha)), None))
    except NoClosedFormError as exc:
        rows.append(("closed form", None, str(exc).split(";")[0]))
    if p.dim == 1:
        est = spread_divergence(p, q, kernel, f, "quad", alpha=alpha)
        rows.append(("quadrature", float(est), f"abserr {est.error:.1e}"))
    est = spread_divergence(p, q, kernel, f, "mc", alpha=alpha, n_samples=n_samples, rng=seed)
    rows.append(("Monte Carlo", float(est), f"stderr {est.error:.1e}, n = {n_samples}"))
    return rows


def print_rows(rows, out):
    """Print the rows of :func:`checks_table`, one per line, to the stream ``out``.

    Parameters
    ----------
    rows : list of (str, float or None, str or None)
        As returned by :func:`checks_table`.
    out : file-like
        Where to print.

    Examples
    --------
    >>> import sys
    >>> print_rows([("closed form", 1.5, None)], sys.stdout)
      closed form                   1.5
    """
    for label, value, note in rows:
        shown = "—" if value is None else f"{value:.12g}"
        print(f"  {label:<12} {shown:>20}   {note or ''}".rstrip(), file=out)


def _save(fig, outdir, name, dpi=150):
    """Write and close a demo figure; return its path."""
    import matplotlib.pyplot as plt

    from .plotting._style import save_figure

    path = os.path.join(outdir, name)
    save_figure(fig, path, dpi=dpi)
    plt.close(fig)
    return path


def demo_divergences(outdir, out=None):
    """Section 1: spread KL between two point masses, three ways, and a figure."""
    out = sys.stdout if out is None else out
    import numpy as np

    from .distributions._gaussian import Delta, Gaussian
    from .distributions._univariate import Cauchy, Laplace
    from .divergences import kl, spread_kl
    from .plotting._style import style, subplots
    from .plotting._tutorial import kernel_label

    print("1. Two point masses have KL = inf; spread with the same kernel they do not.", file=out)
    kernel = Gaussian(0.0, 0.49)
    print("   KL(Delta(0) || Delta(1.3)) =", float(kl(Delta(0.0), Delta(1.3))), file=out)
    print(f"   spread with a {kernel_label(kernel)} kernel (closed form "
          f"1.3^2 / (2 * 0.49) = {1.3**2 / (2 * 0.49):.12g}):", file=out)
    print_rows(checks_table(Delta(0.0), Delta(1.3), kernel), out)

    mu = np.linspace(-4.0, 4.0, 401)
    kernels = (Gaussian(0.0, 1.0), Laplace(0.0, 1.0), Cauchy(0.0, 1.0))
    with style():
        fig, ax = subplots()
        # the 1-D families broadcast: one call per kernel gives the whole curve
        curves = [[spread_kl(Delta(0.0), Delta(float(m)), kernels[0]) for m in mu],
                  kl(Laplace(mu, 1.0), Laplace(0.0, 1.0)), kl(Cauchy(mu, 1.0), Cauchy(0.0, 1.0))]
        for k, values in zip(kernels, curves):
            ax.plot(mu, values, label=f"{kernel_label(k)} (closed form)")
        check = np.array([-3.0, -1.0, 0.5, 2.0, 3.5])
        for k in kernels:
            vals = [float(spread_kl(Delta(0.0), Delta(float(m)), k, "quad")) for m in check]
            ax.plot(check, vals, "k.", ms=6)
        ax.plot([], [], "k.", label="adaptive quadrature")
        ax.set_xlabel(r"distance $\mu_q - \mu_p$ (units of x)")
        ax.set_ylabel(r"$\mathrm{KL}(\tilde p\,\|\,\tilde q)$ (nats)")
        ax.set_title(r"Spread KL of $p = \delta_{\mu_p}$ and $q = \delta_{\mu_q}$, kernel width 1")
        ax.set_ylim(0, 6)
        ax.legend()
    return [_save(fig, outdir, "spread_kl_deltas.png")]


def _band_text(check, kernel):
    """A zero band as ``[a, b]``, or ``[a, ∞)`` when it reaches the end of the scan and the
    closed-form transform is still zero far beyond (10 to 10^6 times the scan's end)."""
    import numpy as np

    parts = []
    for a, b in check.zero_bands:
        end = float(check.omega[-1]) if check.omega is not None else np.inf
        beyond = end * np.logspace(1, 6, 50)
        if np.isinf(b) or (b >= end and np.all(np.abs(kernel.cf(beyond)) == 0.0)):
            parts.append(f"[{a:.4g}, ∞)")
        else:
            parts.append(f"[{a:.4g}, {b:.4g}]")
    return ", ".join(parts)


def demo_kernels(outdir, out=None):
    """Section 2: Fourier verdict for every built-in kernel, and their transforms."""
    out = sys.stdout if out is None else out
    import numpy as np

    from .counterexample import band_limited_counterexample
    from .distributions._gaussian import Gaussian
    from .distributions._univariate import (Cauchy, Epanechnikov, Fejer, HyperbolicSecant, Laplace,
                                            Logistic, StudentT, Triangular, Uniform)
    from .fourier import fourier_check
    from .plotting._style import style, subplots
    from .plotting._tutorial import plot_kernel_cfs

    kernels = {
        "Gaussian, σ = 1": Gaussian(0.0, 1.0), "Laplace, b = 1": Laplace(0.0, 1.0),
        "Cauchy, γ = 1": Cauchy(0.0, 1.0), "Logistic, s = 1": Logistic(0.0, 1.0),
        "Hyperbolic secant, s = 1": HyperbolicSecant(0.0, 1.0),
        "Student-t, 3 d.o.f.": StudentT(3.0), "Uniform on [-1, 1]": Uniform(-1.0, 2.0),
        "Triangular on [-1, 1]": Triangular(-1.0, 2.0), "Epanechnikov, s = 1": Epanechnikov(0.0, 1.0),
        "Fejér, s = 1": Fejer(0.0, 1.0),
    }
    print("\n2. Which kernels make a valid spread? Fourier check of each built-in kernel", file=out)
    print("   (φ > 0: strictly positive transform; 1-to-1: spreading is injective; "
          "K > 0: full support;\n    valid spread? = 1-to-1, so a zero spread divergence means p = q: "
          "φ > 0 is enough,\n    isolated zeros of φ_K are allowed, a band of zeros is not)", file=out)
    print(f"   {'kernel':<26} {'φ > 0':>6} {'1-to-1':>7} {'K > 0':>6} {'valid spread?':>14}   zeros of φ_K",
          file=out)
    checks = {}
    for name, k in kernels.items():
        res = checks[name] = fourier_check(k)
        yes = {True: "yes", False: "no"}
        where = (_band_text(res, k) if res.zero_bands else
                 ", ".join(f"{z:.4g}" for z in res.zeros[:2]) + (", ..." if len(res.zeros) > 2 else ""))
        print(f"   {name:<26} {yes[bool(res.strictly_positive)]:>6} {yes[bool(res.injective)]:>7} "
              f"{yes[bool(res.full_support)]:>6} {yes[bool(res.injective)]:>14}   {where or 'none'}", file=out)
    ce = band_limited_counterexample()
    print(f"   Fejér counterexample: p != q (total variation {ce.tv_distance:.4f}) yet "
          f"max |p*K - q*K| = {ce.max_spread_diff:.1e};\n"
          f"   a Gaussian spread separates them (max difference {ce.separating_max_diff:.3f}).",
          file=out)

    with style():
        fig, (ax1, ax2) = subplots(2, 1, height=6.6, sharex=True)
        plot_kernel_cfs({n: kernels[n] for n in ("Gaussian, σ = 1", "Laplace, b = 1",
                                                 "Cauchy, γ = 1")}, omega_max=8.0, ax=ax1)
        ax1.set_title(r"strictly positive $\varphi_K$: valid spread kernels")
        ax1.set_xlabel("")
        with_zeros = ("Uniform on [-1, 1]", "Triangular on [-1, 1]", "Epanechnikov, s = 1")
        plot_kernel_cfs({n: kernels[n] for n in with_zeros + ("Fejér, s = 1",)}, omega_max=8.0, ax=ax2)
        for n in with_zeros:
            z = checks[n].zeros[checks[n].zeros <= 8.0]
            ax2.plot(z, np.zeros_like(z), "x", color="k", ms=7)
        ax2.plot([], [], "x", color="k", label="isolated zeros: still one-to-one (valid)")
        # the Fejér band is marked on the axis, in Fejér's colour, not shaded over the other curves
        start = checks["Fejér, s = 1"].zero_bands[0][0]
        fejer = next(line for line in ax2.get_lines() if line.get_label() == "Fejér, s = 1")
        right = ax2.get_xlim()[1]
        ax2.plot([start, right], [0.0, 0.0], color=fejer.get_color(), lw=8, alpha=0.35,
                 solid_capstyle="butt", label=f"Fejér: φ_K ≡ 0 on [{start:.3g}, ∞): not one-to-one")
        ax2.set_xlim(right=right)
        ax2.set_title(r"$\varphi_K$ with zeros (Triangular: $\varphi_K \geq 0$, touching 0 at $2\pi k$)")
        ax2.legend(fontsize=8, ncol=2, loc="upper right")
    return [_save(fig, outdir, "kernel_characteristic_functions.png")]


def demo_ica_section(outdir, out=None):
    """Section 3: a small version of the paper's ICA experiment (Fig. 1)."""
    out = sys.stdout if out is None else out
    from .experiments._ica_reproduce import demo_ica

    n, x, z = (ICA_DEMO_SIZES[k] for k in ("n_samples", "n_features", "n_sources"))
    print("\n3. Deterministic linear ICA (x = A s, no noise): classical EM freezes, spread EM learns",
          file=out)
    print(f"   problem: N = {n} samples, X = {x} observed dimensions, Z = {z} Laplace sources, "
          "A_ij = ±1", file=out)
    print("   error: Amari distance between the fitted and the true mixing matrix "
          "(0 = perfect up to order, sign and scale; 1 = worst)", file=out)
    print("   fitting classical EM, spread EM and FastICA (the first fit compiles the E-step, "
          "about 20 s) ...", file=out, flush=True)
    res = demo_ica(outdir)
    print(f"   {'at the start':<42}: {res['amari_start']:.4f}", file=out)
    print(f"   {'classical EM, model noise γ = 1e-3':<42}: {res['amari_standard_em']:.4f}  (stalls)",
          file=out)
    # SpreadICA's default ends with a noiseless maximum-likelihood stage: say so, and show spread
    # EM on its own (finish=None, the paper's method) from the same start on the same data
    print(f"   {'spread EM + ML finish (SpreadICA default)':<42}: {res['amari_spread_em']:.4f}", file=out)
    print(f"   {'spread EM alone (finish=None)':<42}: {_plain_spread_em(**ICA_DEMO_SIZES):.4f}", file=out)
    fastica = res["amari_fastica"]
    shown = ("not available (scikit-learn is not installed)" if fastica is None
             else f"{fastica:.4f}")
    print(f"   {'scikit-learn FastICA (reference)':<42}: {shown}", file=out)
    return [res["figure"]]


def _plain_spread_em(n_samples, n_features, n_sources, random_state=0):
    """Amari distance of spread EM without the ML finish, on demo_ica's data and start."""
    import numpy as np

    from .ica._data import make_ica_data
    from .ica._estimator import SpreadICA
    from .ica._metrics import amari_distance
    from .ica._start import pca_start

    X, A, _ = make_ica_data(n_samples, n_features, n_sources, random_state=random_state)
    start = pca_start(X, n_sources, random_state=np.random.default_rng(random_state))
    est = SpreadICA(n_sources, init=start, finish=None, random_state=random_state).fit(X)
    return amari_distance(est.mixing_, A)


def demo_generator_section(outdir, out=None):
    """Section 4: a deterministic nonlinear generator fitted by spread EM (the blog's headline)."""
    out = sys.stdout if out is None else out
    from .generator._demo import demo_manifold

    return demo_manifold(outdir, out)  # prints its own heading and numbers


SECTIONS = [demo_divergences, demo_kernels, demo_ica_section, demo_generator_section]
"""The demo's sections in order: functions ``(outdir, out) -> list of figure paths``."""


def run_demo(outdir, out=None, sections=None):
    """Run the demo's sections, writing figures into ``outdir``; return the figure paths.

    Parameters
    ----------
    outdir : str or path-like
        Folder for the figures (created if needed).
    out : file-like, default=None
        Where to print; standard output by default.
    sections : list of callable, default=None
        The sections to run, each ``section(outdir, out) -> list of paths``; :data:`SECTIONS`
        by default.

    Returns
    -------
    list of str
        Paths of the figures written.
    """
    out = sys.stdout if out is None else out
    outdir = os.path.abspath(outdir)
    os.makedirs(outdir, exist_ok=True)
    print(f"spreadlab demo: figures go to {outdir}\n", file=out)
    figures = []
    for section in SECTIONS if sections is None else sections:
        figures += section(outdir, out)
    print("\nFigures written:", file=out)
    for path in figures:
        print("  ", path, file=out)
    return figures
