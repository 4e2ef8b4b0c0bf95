"""Tests for spreadlab.tutorial: the numbers and figures behind the notebooks."""

import warnings

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from spreadlab import Delta, Gaussian, Laplace, divergence, spread_kl  # noqa: E402
from spreadlab import tutorial as tut  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


# ---------------------------------------------------------------- notebook 1
def test_saddle_generator_lies_on_its_surface(rng):
    x = tut.saddle_generator(rng.standard_normal((100, 2)))
    assert x.shape == (100, 3)
    np.testing.assert_allclose(x[:, 2], 0.5 * (x[:, 0] ** 2 - x[:, 1] ** 2), rtol=0, atol=1e-14)


def test_spread_density_mc_matches_linear_closed_form(rng):
    W = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, -0.5]])
    y = np.array([1.0, 0.0, -1.0])
    exact = tut.linear_spread_density(y, W, 0.5)
    est, se = tut.spread_density_mc(y, tut.linear_generator(W), 0.5, n_z=50_000, rng=rng)
    # 4 standard errors: a correct estimator fails this about once in 16 000 runs
    assert abs(est - exact) < 4 * se
    # negative control: the density at another point is a different number
    other = tut.linear_spread_density(y + 0.3, W, 0.5)
    assert abs(est - other) > 4 * se


def test_spread_density_mc_far_from_manifold_is_positive_not_underflow(rng):
    # exp(-d^2/2 sigma^2) underflows a naive mean of densities; the rescaled sum must not
    est, se = tut.spread_density_mc([0.0, 0.0, 40.0], tut.saddle_generator, 0.5, n_z=2000, rng=rng)
    assert est >= 0 and np.isfinite(est) and np.isfinite(se)


def test_linear_spread_density_is_gaussian_with_added_noise():
    W = np.array([[2.0], [1.0]])
    y = np.array([0.3, -0.2])
    C = W @ W.T + 0.49 * np.eye(2)
    expected = np.exp(-0.5 * y @ np.linalg.solve(C, y)) / (2 * np.pi * np.sqrt(np.linalg.det(C)))
    assert np.isclose(tut.linear_spread_density(y, W, 0.7), expected, rtol=1e-12)


def test_spread_density_mc_rejects_zero_sigma():
    with pytest.raises(ValueError, match="sigma must be > 0"):
        tut.spread_density_mc([0, 0, 0], tut.saddle_generator, 0.0)


def test_plot_manifold_draws_points():
    ax = tut.plot_manifold(tut.saddle_generator, {"a": [0, 0, 0]}, n=5)
    assert ax.name == "3d"
    assert ax.get_legend() is not None


# ---------------------------------------------------------------- notebook 2
@pytest.mark.parametrize("kind", ["gaussian", "laplace", "cauchy"])
@pytest.mark.parametrize("width", [0.2, 1.0, 3.0])
def test_two_delta_kl_matches_package_and_quadrature(kind, width):
    k = tut.make_kernel(kind, width)
    textbook = tut.two_delta_kl(0.4, -1.1, width, kind)
    # two independent closed-form implementations: agree to rounding
    assert np.isclose(spread_kl(Delta(0.4), Delta(-1.1), k), textbook, rtol=1e-12)
    quad = spread_kl(Delta(0.4), Delta(-1.1), k, method="quad")
    assert abs(quad - textbook) < max(10 * quad.error, 1e-9 * textbook)


def test_make_kernel_scales():
    assert tut.make_kernel("gaussian", 2.0).cov[0, 0] == 4.0
    assert float(tut.make_kernel("laplace", 2.0).scale) == 2.0
    assert float(tut.make_kernel("cauchy", 2.0).scale) == 2.0


@pytest.mark.parametrize("bad, match", [("box", "kind must be one of"), (0.0, "sigma must be > 0")])
def test_make_kernel_validates(bad, match):
    args = (bad, 1.0) if isinstance(bad, str) else ("gaussian", bad)
    with pytest.raises(ValueError, match=match):
        tut.make_kernel(*args)


def test_plot_two_deltas_returns_the_divergence():
    ax, value = tut.plot_two_deltas(0.0, 1.3, 0.7, "gaussian")
    assert np.isclose(value, 1.3**2 / (2 * 0.49), rtol=1e-14)
    assert len(ax.lines) == 4 and "KL" in ax.get_title()


def test_two_delta_widget_builds_when_ipywidgets_present():
    pytest.importorskip("ipywidgets")
    w = tut.two_delta_widget("laplace")
    assert w is not None
    names = {c.description for c in w.children if hasattr(c, "description")}
    assert {"μp", "μq", "σ", "kernel"} <= names


def test_two_delta_widget_degrades_without_ipywidgets(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name == "ipywidgets":
            raise ImportError("no ipywidgets here")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.warns(UserWarning, match="ipywidgets is not installed"):
        assert tut.two_delta_widget() is None


# ---------------------------------------------------------------- notebook 3
def test_divergence_against_spread_is_monotone_and_matches_formula():
    p, q = Gaussian(0.0, 1.0), Gaussian(1.5, 1.0)
    widths = np.array([0.1, 0.5, 1.0, 2.0])
    kl = tut.divergence_against_spread(p, q, widths, "kl")
    np.testing.assert_allclose(kl, 1.5**2 / (2 * (1 + widths**2)), rtol=1e-12)
    for f in ("tv", "hellinger", "chi2", "js"):
        v = tut.divergence_against_spread(p, q, widths, f)
        assert np.all(np.diff(v) < 0), f


def test_divergence_against_spread_multivariate_uses_isotropic_kernel():
    p = Gaussian([0.0, 0.0], [[1.0, 1.0], [1.0, 1.0]])
    q = Gaussian([0.5, 0.0], [[1.0, -0.5], [-0.5, 0.25]])
    assert divergence(p, q, "kl") == np.inf
    v = tut.divergence_against_spread(p, q, [0.3, 1.0], "kl")
    assert np.all(np.isfinite(v)) and v[0] > v[1]


def test_plot_divergence_against_spread_returns_curves():
    ax, vals = tut.plot_divergence_against_spread(Delta(0.0), Delta(1.0), [0.5, 1.0], fs=("kl", "tv"),
                                                  kind="laplace")
    assert set(vals) == {"kl", "tv"} and len(ax.lines) == 2


def test_plot_kernel_cfs_real_curves():
    ax = tut.plot_kernel_cfs({"Laplace": Laplace(0.0, 1.0), "Gaussian": Gaussian(0.0, 1.0)}, omega_max=3.0)
    y = ax.lines[0].get_ydata()
    w = ax.lines[0].get_xdata()
    np.testing.assert_allclose(y, 1 / (1 + w**2), rtol=1e-12)


# ---------------------------------------------------------------- notebook 5
def test_fit_scale_spread_mle_closed_forms(rng):
    x = rng.normal(0.0, 2.0, 3000)
    y = x + 0.8 * np.random.default_rng(3).standard_normal((1, x.size)).ravel()
    both = tut.fit_scale_spread_mle(x, 0.8, spread_model=True, rng=3)
    one = tut.fit_scale_spread_mle(x, 0.8, spread_model=False, rng=3)
    # the numerical maximiser against the analytic maximiser of the same likelihood
    assert np.isclose(both, np.mean(y**2) - 0.64, rtol=1e-7)
    assert np.isclose(one, np.mean(y**2), rtol=1e-7)


def test_fit_scale_spread_mle_data_only_is_biased_by_sigma_squared(rng):
    reps = np.array([[tut.fit_scale_spread_mle(rng.normal(0, 1.0, 2000), 1.5, m, rng=rng)
                      for m in (True, False)] for _ in range(20)])
    se = reps.std(axis=0, ddof=1) / np.sqrt(len(reps))
    assert abs(reps[:, 0].mean() - 1.0) < 4 * se[0]
    assert abs(reps[:, 1].mean() - (1.0 + 2.25)) < 4 * se[1]


@pytest.mark.parametrize("seed", range(6))
def test_fit_scale_spread_mle_clips_at_zero_when_noise_explains_everything(seed):
    # data at a single point: the spread data's second moment is sigma^2 * chi^2_n / n, below
    # sigma^2 about half the time; the maximiser is then a^2 = 0 (boundary), else m2 - sigma^2
    x = np.zeros(50)
    m2 = np.mean(np.random.default_rng(seed).standard_normal((1, 50)) ** 2)
    fit = tut.fit_scale_spread_mle(x, 1.0, spread_model=True, rng=seed)
    if m2 <= 1.0:
        assert fit == 0.0
    else:
        assert np.isclose(fit, m2 - 1.0, rtol=1e-6)


def test_fit_line_spread_mle_recovers_the_line(rng):
    w0 = np.array([2.0, -1.0])
    x = np.outer(rng.standard_normal(5000), w0)
    w = tut.fit_line_spread_mle(x, 0.5, rng=rng)
    # the sign convention: largest entry positive
    assert w[0] > 0
    # s.e. of each entry ~ |w0| / sqrt(2N) ~ 0.02; 0.1 is five of them
    np.testing.assert_allclose(w, w0, atol=0.1)


def test_fit_line_spread_mle_needs_spread():
    with pytest.raises(ValueError, match="sigma must be > 0"):
        tut.fit_line_spread_mle(np.zeros((3, 2)), 0.0)


# ---------------------------------------------------------------- notebook 6
def test_em_update_zero_noise_is_a_fixed_point(rng):
    X = rng.laplace(size=(400, 3)) @ rng.normal(size=(3, 3)).T
    A = rng.normal(size=(3, 3))
    np.testing.assert_allclose(tut.em_mixing_update_zero_noise(A, X), A, rtol=0, atol=1e-10)


def test_em_update_zero_noise_tall_matrix_spanning_data(rng):
    X = rng.laplace(size=(500, 2)) @ rng.normal(size=(5, 2)).T
    A0 = tut.pca_start(X, 2, rng=rng)
    np.testing.assert_allclose(tut.em_mixing_update_zero_noise(A0, X - X.mean(0)), A0, atol=1e-10)
    # negative control: a tall matrix that does *not* span the data subspace does move
    B = rng.normal(size=(5, 2))
    assert not np.allclose(tut.em_mixing_update_zero_noise(B, X), B, atol=1e-3)


def test_pca_start_reproduces_covariance(rng):
    X = rng.laplace(size=(800, 3)) @ rng.normal(size=(4, 3)).T
    A0 = tut.pca_start(X, 3, rng=1)
    np.testing.assert_allclose(A0 @ A0.T, np.cov(X.T, bias=True), atol=1e-10)


def test_plot_ica_traces_accepts_pairs_and_values():
    ax = tut.plot_ica_traces({"a": [1.0, 0.5, 0.1], "b": ([0, 3], [1.0, 0.2])}, xlabel="E-steps")
    assert len(ax.lines) == 2 and ax.get_xlabel() == "E-steps"
    np.testing.assert_array_equal(ax.lines[1].get_xdata(), [0, 3])


def test_ica_noise_sweep_small():
    pytest.importorskip("numba")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rows = tut.ica_noise_sweep([1e-3, 0.5], n_samples=600, n_features=4, n_sources=2, max_iter=15,
                                   fastica=False)
    err = {(r["method"], r["gamma"]): r["mixing_error"] for r in rows}
    assert set(err) == {("standard EM", 1e-3), ("spread EM", 1e-3), ("standard EM", 0.5), ("spread EM", 0.5)}
    # classical EM cannot move at gamma = 1e-3; spread EM can
    assert err[("spread EM", 1e-3)] < err[("standard EM", 1e-3)]
    ax = tut.plot_ica_sweep(rows)
    assert len(ax.lines) == 2


def test_ica_sample_sweep_small():
    pytest.importorskip("numba")
    rows = tut.ica_sample_sweep([300, 600], gamma=0.3, n_features=4, n_sources=2, max_iter=10,
                                fastica=False)
    assert [r["n_samples"] for r in rows] == [300, 300, 600, 600]
    assert all(0 <= r["mixing_error"] < 1 for r in rows)
    ax = tut.plot_ica_sweep(rows, x="n_samples", key="amari")
    assert ax.get_xlabel() == "number of samples N" and ax.get_ylabel() == "Amari distance"
