"""Tests for what the tutorials use: spreadlab.plotting's figures and spreadlab.course.

The worked examples moved from ``notebooks/_helpers.py`` into :mod:`spreadlab.course`; the file
left beside the notebooks is a shim re-exporting it, checked here to still do so.
"""

import builtins
import importlib.util
import pathlib

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from spreadlab import (  # noqa: E402
    Cauchy, Delta, Fejer, Gaussian, Laplace, Uniform, divergence, spread_kl,
)
from spreadlab import plotting  # noqa: E402

from spreadlab import course as tut  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_notebook_shim_reexports_the_course_module():
    spec = importlib.util.spec_from_file_location("_helpers", ROOT / "notebooks" / "_helpers.py")
    shim = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(shim)
    assert shim.two_delta_kl is tut.two_delta_kl
    from spreadlab.exercises import check

    assert shim.check is check

# the plane of notebook 1 and a point 1.2247 off it
W = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, -0.5]])
NORMAL = np.array([-0.5, 0.5, 1.0]) / np.sqrt(1.5)  # unit normal of the column space of W


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


# ---------------------------------------------------------------- the figure style
def test_use_style_applies_fonts_to_text_created_after_subplots():
    before = plotting.use_style()
    try:
        fig, ax = plotting.subplots()
        title = ax.set_title("created after the figure")
        assert title.get_fontsize() == plotting.RC_PARAMS["axes.titlesize"]
        assert fig.get_size_inches()[0] == plotting.FIGURE_WIDTH
    finally:
        matplotlib.rcParams.update(before)


def test_without_the_style_text_has_matplotlib_defaults():
    """Negative control for the test above: outside the style the size differs."""
    with matplotlib.rc_context({"axes.titlesize": "large", "font.size": 12.0}):
        fig, ax = plotting.subplots()
        assert ax.set_title("t").get_fontsize() != plotting.RC_PARAMS["axes.titlesize"]


def test_styled_plotting_functions_use_the_style_under_other_global_settings():
    with matplotlib.rc_context({"axes.labelsize": 20.0, "legend.fontsize": 20.0}):
        ax = plotting.plot_divergence_curves([1.0, 2.0], {"tv": [0.3, 0.2]})
    assert ax.xaxis.label.get_fontsize() == plotting.RC_PARAMS["axes.labelsize"]
    assert ax.get_legend().get_texts()[0].get_fontsize() == plotting.RC_PARAMS["legend.fontsize"]
    assert ax.figure.get_size_inches()[0] == plotting.FIGURE_WIDTH


def test_subplots_rejects_a_bad_height():
    with pytest.raises(ValueError, match="height must be a positive number of inches; got -1"):
        plotting.subplots(height=-1)


# ---------------------------------------------------------------- reusable figures
def test_plot_manifold_draws_surface_and_points():
    ax = plotting.plot_manifold(tut.saddle_generator, {"a point": [0, 0, 0]}, n=5)
    assert ax.name == "3d"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["a point"]
    assert ax.get_xlabel() == "$x_1$"


@pytest.mark.parametrize("bad, match", [(dict(lim=0.0), "lim must be a positive number"),
                                        (dict(n=1), "n must be an integer >= 2")])
def test_plot_manifold_validates(bad, match):
    with pytest.raises(ValueError, match=match):
        plotting.plot_manifold(tut.saddle_generator, **bad)


@pytest.mark.parametrize("kernel, label", [(Gaussian(0.0, 0.49), "Gaussian, σ = 0.7"),
                                           (Laplace(0.0, 0.7), "Laplace, b = 0.7"),
                                           (Cauchy(0.0, 0.7), "Cauchy, γ = 0.7")])
def test_plot_spread_point_masses_titles_in_words_and_returns_the_kl(kernel, label):
    ax, value = plotting.plot_spread_point_masses(0.0, 1.3, kernel)
    kind = type(kernel).__name__.lower()
    # the figure's number against the textbook formula written independently in _helpers
    assert np.isclose(value, tut.two_delta_kl(0.0, 1.3, 0.7, kind), rtol=1e-12)
    assert ax.get_title().startswith(label) and "(" not in label
    # the drawn curves are the shifted kernel: the first peaks at mu_p = 0, the second at 1.3
    (y0, f0), (y1, f1) = (line.get_data() for line in ax.lines[:2])
    assert abs(y0[np.argmax(f0)] - 0.0) < 0.01 and abs(y1[np.argmax(f1)] - 1.3) < 0.01


def test_plot_spread_point_masses_rejects_a_non_kernel():
    with pytest.raises(TypeError, match="kernel must be a one-dimensional spreadlab distribution"):
        plotting.plot_spread_point_masses(0.0, 1.0, 0.5)


def test_plot_divergence_curves_legend_in_words_and_drops_infinite_points():
    ax = plotting.plot_divergence_curves([0.5, 1.0, 2.0], {"chi2": [np.inf, 2.0, 1.0],
                                                           "js": [0.3, 0.2, 0.1]})
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["χ²", "Jensen–Shannon"]
    np.testing.assert_array_equal(ax.lines[0].get_xdata(), [1.0, 2.0])


def test_plot_divergence_curves_validates_shapes():
    with pytest.raises(ValueError, match=r"curves\['kl'\] must have the shape of widths"):
        plotting.plot_divergence_curves([1.0, 2.0], {"kl": [1.0]})
    with pytest.raises(ValueError, match="widths must be a non-empty 1-D array of positive"):
        plotting.plot_divergence_curves([0.0, 1.0], {"kl": [1.0, 2.0]})


def test_plot_kernel_cfs_real_curves_match_closed_forms():
    ax = plotting.plot_kernel_cfs({"Laplace": Laplace(0.0, 1.0), "Gaussian": Gaussian(0.0, 1.0),
                                   "Uniform[-1, 1]": Uniform(-1.0, 2.0)}, omega_max=3.0)
    w = ax.lines[0].get_xdata()
    np.testing.assert_allclose(ax.lines[0].get_ydata(), 1 / (1 + w**2), rtol=1e-12)
    np.testing.assert_allclose(ax.lines[1].get_ydata(), np.exp(-(w**2) / 2), rtol=1e-12)
    # the uniform kernel's centre (0) is removed from the phase: sin(w) / w, real
    np.testing.assert_allclose(ax.lines[2].get_ydata(), np.sinc(w / np.pi), atol=1e-12)


def test_shade_zero_band_reaches_the_axis_edge_and_says_infinity():
    fig, ax = plotting.subplots()
    w = np.linspace(0, 6, 50)
    ax.plot(w, Fejer(0.0, 1.0).cf(w).real)
    plotting.shade_zero_band(ax, 2.0)
    patch = ax.patches[-1]
    x_left, x_right = patch.get_x(), patch.get_x() + patch.get_width()
    assert x_left == 2.0 and x_right >= ax.get_xlim()[1]
    assert ax.get_legend().get_texts()[-1].get_text() == "φ_K ≡ 0 on [2, ∞)"


def test_kernel_label_rejects_multivariate():
    with pytest.raises(TypeError, match="one-dimensional spreadlab distribution"):
        plotting.kernel_label(Gaussian([0.0, 0.0], 1.0))


# ---------------------------------------------------------------- notebook 1 helpers
def test_saddle_generator_lies_on_its_surface(rng):
    x = tut.saddle_generator(rng.standard_normal((100, 2)))
    assert x.shape == (100, 3)
    np.testing.assert_allclose(x[:, 2], 0.5 * (x[:, 0] ** 2 - x[:, 1] ** 2), rtol=0, atol=1e-14)


def test_spread_density_mc_matches_linear_closed_form(rng):
    y = np.array([1.0, 0.0, -1.0])
    exact = tut.linear_spread_density(y, W, 0.5)
    est, se = tut.spread_density_mc(y, tut.linear_generator(W), 0.5, n_z=50_000, rng=rng)
    # 4 standard errors: a correct estimator fails this about once in 16 000 runs
    assert abs(est - exact) < 4 * se
    # negative control: the density at another point is a different number
    assert abs(est - tut.linear_spread_density(y + 0.3, W, 0.5)) > 4 * se


def test_spread_density_mc_far_from_manifold_underflow_bug_issue8(rng):
    """Regression: spread_density_mc returned (0.0, 0.0) far from the manifold (issue 8).

    Here the density is e^-3010: no float holds it, but its logarithm does. The estimate is
    compared in log space with the closed form; the old code (mean of exp(log w), rescaled
    by exp(max log w)) gives log 0 = -inf, which the check rejects.
    """
    y = np.array([1.0, 0.0, -1.0]) + 40.0 * NORMAL   # 41 off the plane (sigma = 0.5)
    exact = float(tut.linear_spread_logpdf(y, W, 0.5))
    assert exact < -3000  # far below the smallest float's logarithm (-745)
    log_est, se = tut.spread_log_density_mc(y, tut.linear_generator(W), 0.5, n_z=20_000, rng=rng)
    # the off-plane factor is the same for every draw, so the log estimate has the in-plane
    # relative error only; 4 standard errors (delta method) as in the test above
    assert np.isfinite(log_est) and abs(log_est - exact) < 4 * se
    # the old computation, kept here as the negative control: it underflows to 0
    z = np.random.default_rng(0).standard_normal((20_000, 2))
    logw = -0.5 * np.sum((z @ W.T - y) ** 2, axis=1) / 0.25 - 1.5 * np.log(2 * np.pi * 0.25)
    with np.errstate(under="ignore"):
        old = np.exp(logw.max()) * np.exp(logw - logw.max()).mean()
    assert old == 0.0
    # the density itself honestly underflows too, and says so in its docstring
    assert tut.spread_density_mc(y, tut.linear_generator(W), 0.5, n_z=2000, rng=rng)[0] == 0.0


def test_spread_log_density_mc_saddle_far_point_is_finite_and_below_the_surface(rng):
    far, _ = tut.spread_log_density_mc([0.0, 0.0, 40.0], tut.saddle_generator, 0.5, 2000, rng)
    near, _ = tut.spread_log_density_mc([1.0, 0.0, 0.5], tut.saddle_generator, 0.5, 2000, rng)
    assert np.isfinite(far) and far < near - 100


@pytest.mark.parametrize("kwargs, match", [(dict(sigma=0.0), "sigma must be a positive number"),
                                           (dict(sigma=0.5, n_z=0), r"n_z must be an integer >= 1")])
def test_spread_density_mc_validates(kwargs, match):
    with pytest.raises(ValueError, match=match):
        tut.spread_log_density_mc([0, 0, 0], tut.saddle_generator, **kwargs)


def test_linear_spread_density_is_gaussian_with_added_noise():
    Wl = np.array([[2.0], [1.0]])
    y = np.array([0.3, -0.2])
    C = Wl @ Wl.T + 0.49 * np.eye(2)
    expected = np.exp(-0.5 * y @ np.linalg.solve(C, y)) / (2 * np.pi * np.sqrt(np.linalg.det(C)))
    assert np.isclose(tut.linear_spread_density(y, Wl, 0.7), expected, rtol=1e-12)


def test_distance_to_column_space_against_the_normal_vector():
    y = np.array([1.0, 0.0, -1.0])
    assert np.isclose(tut.distance_to_column_space(y, W), abs(NORMAL @ y), rtol=1e-12)
    assert tut.distance_to_column_space(W @ [0.3, -2.0], W) < 1e-12


# ---------------------------------------------------------------- notebook 2 helpers
@pytest.mark.parametrize("kind", ["gaussian", "laplace", "cauchy"])
@pytest.mark.parametrize("width", [0.2, 1.0, 3.0])
def test_two_delta_kl_matches_package_and_quadrature(kind, width):
    k = tut.make_kernel(kind, width)
    textbook = tut.two_delta_kl(0.4, -1.1, width, kind)
    # two independent closed-form implementations: agree to rounding
    assert np.isclose(spread_kl(Delta(0.4), Delta(-1.1), k), textbook, rtol=1e-12)
    quad = spread_kl(Delta(0.4), Delta(-1.1), k, method="quad")
    assert abs(quad - textbook) < max(10 * quad.error, 1e-9 * textbook)


@pytest.mark.parametrize("args, match", [(("box", 1.0), "kind must be one of"),
                                         (("gaussian", 0.0), "sigma must be a positive number")])
def test_make_kernel_validates(args, match):
    with pytest.raises(ValueError, match=match):
        tut.make_kernel(*args)


def test_two_delta_widget_builds_when_ipywidgets_present():
    pytest.importorskip("ipywidgets")
    w = tut.two_delta_widget("laplace")
    names = {c.description for c in w.children if hasattr(c, "description")}
    assert {"μp", "μq", "σ", "kernel"} <= names


def test_two_delta_widget_degrades_without_ipywidgets(monkeypatch):
    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name == "ipywidgets":
            raise ImportError("no ipywidgets here")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.warns(UserWarning, match="ipywidgets is not installed"):
        assert tut.two_delta_widget() is None


# ---------------------------------------------------------------- notebook 3 helpers
def test_divergence_against_spread_is_monotone_and_matches_formula():
    p, q = Gaussian(0.0, 1.0), Gaussian(1.5, 1.0)
    widths = np.array([0.1, 0.5, 1.0, 2.0])
    kl = tut.divergence_against_spread(p, q, widths, "kl")
    np.testing.assert_allclose(kl, 1.5**2 / (2 * (1 + widths**2)), rtol=1e-12)
    for f in ("tv", "hellinger", "chi2", "js"):
        assert np.all(np.diff(tut.divergence_against_spread(p, q, widths, f)) < 0), f


def test_divergence_against_spread_multivariate_uses_isotropic_kernel():
    p = Gaussian([0.0, 0.0], [[1.0, 1.0], [1.0, 1.0]])
    q = Gaussian([0.5, 0.0], [[1.0, -0.5], [-0.5, 0.25]])
    assert divergence(p, q, "kl") == np.inf
    v = tut.divergence_against_spread(p, q, [0.3, 1.0], "kl")
    assert np.all(np.isfinite(v)) and v[0] > v[1]


# ---------------------------------------------------------------- notebook 4 helpers
@pytest.mark.parametrize("family", ["Gaussian", "Laplace", "Cauchy", "Uniform", "Fejér",
                                    "Student-t, 3 d.o.f.", "Epanechnikov"])
def test_kernel_with_iqr_has_that_iqr_by_sampling(family, rng):
    k = tut.kernel_with_iqr(family, 2.0)
    x = k.sample(40_000, rng).ravel()
    q1, q3 = np.quantile(x, [0.25, 0.75])
    # a sample quartile from 40 000 draws has s.e. ~ sqrt(3/16 / 40 000) / density(q) <~ 0.01
    # for these kernels at IQR 2 (density at the quartiles >= 0.2); 0.06 is 4 s.e. of the
    # difference of the two quartiles with margin
    assert abs((q3 - q1) - 2.0) < 0.06
    assert abs(np.median(x)) < 0.04   # centred


def test_kernel_with_iqr_validates():
    with pytest.raises(ValueError, match="family must be one of"):
        tut.kernel_with_iqr("Box")
    with pytest.raises(ValueError, match="iqr must be a positive number"):
        tut.kernel_with_iqr("Laplace", -1.0)


# ---------------------------------------------------------------- notebook 5 helpers
def test_fit_scale_spread_mle_closed_forms(rng):
    x = rng.normal(0.0, 2.0, 3000)
    y = x + 0.8 * np.random.default_rng(3).standard_normal((1, x.size)).ravel()
    # the numerical maximiser against the analytic maximiser of the same likelihood; 1e-7 is
    # the bounded Brent search's tolerance on log a^2 (xatol 1e-10) with margin
    assert np.isclose(tut.fit_scale_spread_mle(x, 0.8, True, rng=3), np.mean(y**2) - 0.64, rtol=1e-7)
    assert np.isclose(tut.fit_scale_spread_mle(x, 0.8, False, rng=3), np.mean(y**2), rtol=1e-7)


@pytest.mark.parametrize("seed", range(4))
def test_fit_scale_spread_mle_clips_at_zero_when_noise_explains_everything(seed):
    m2 = np.mean(np.random.default_rng(seed).standard_normal((1, 50)) ** 2)
    fit = tut.fit_scale_spread_mle(np.zeros(50), 1.0, spread_model=True, rng=seed)
    assert fit == 0.0 if m2 <= 1.0 else np.isclose(fit, m2 - 1.0, rtol=1e-6)


def test_sd_of_scale_fit_against_simulation(rng):
    """The variance formula behind notebook 5's error bars, against 400 simulated fits."""
    a0_sq, sigma, n, m = 4.0, 1.0, 500, 3
    fits = np.array([np.mean((2.0 * rng.standard_normal(n)[None, :]
                              + sigma * rng.standard_normal((m, n))) ** 2) - sigma**2
                     for _ in range(400)])
    predicted = tut.sd_of_scale_fit(a0_sq, sigma, n, m)
    # relative s.e. of a sample sd from R = 400 near-normal draws: 1/sqrt(2(R-1)) = 0.035
    assert abs(fits.std(ddof=1) / predicted - 1) < 4 * 0.035
    # negative control: the m = 1 formula is 20% larger and is rejected by the same check
    assert abs(fits.std(ddof=1) / tut.sd_of_scale_fit(a0_sq, sigma, n, 1) - 1) > 4 * 0.035


def test_fit_line_spread_mle_recovers_the_line(rng):
    w0 = np.array([2.0, -1.0])
    w = tut.fit_line_spread_mle(np.outer(rng.standard_normal(5000), w0), 0.5, rng=rng)
    assert w[0] > 0  # the sign convention: largest entry positive
    # s.e. of each entry ~ |w0| / sqrt(2N) ~ 0.02; 0.1 is five of them
    np.testing.assert_allclose(w, w0, atol=0.1)


def test_fit_line_spread_mle_needs_spread():
    with pytest.raises(ValueError, match="sigma must be a positive number"):
        tut.fit_line_spread_mle(np.zeros((3, 2)), 0.0)


# The exercise checkers (spreadlab.exercises, re-exported by the shim) are tested in
# tests/test_exercises.py.


def test_save_figure_is_atomic_and_leaves_no_part_file(tmp_path):
    """Issue 21: an interrupted run must leave only complete files: the figure is written under a
    temporary name and renamed; a failing write leaves neither the file nor the temporary."""
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    from spreadlab.plotting._style import save_figure

    fig = Figure()
    fig.add_subplot().plot([0, 1], [1, 0])
    path = save_figure(fig, tmp_path / "f.png")
    assert open(path, "rb").read(8) == b"\x89PNG\r\n\x1a\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.png"]
    with pytest.raises(ValueError):
        save_figure(fig, tmp_path / "g.nosuchformat")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.png"]
