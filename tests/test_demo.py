"""Tests for spreadlab.demo: what each section prints and draws (the ICA section runs in test_cli)."""

import io
import re
import types

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from spreadlab import Fejer, Laplace, demo_ica  # noqa: E402
from spreadlab import demo  # noqa: E402


def test_ica_sizes_printed_by_the_demo_are_those_of_demo_ica():
    """The demo names the ICA problem size; it must be the one demo_ica really solves."""
    sizes = demo.ICA_DEMO_SIZES
    stated = re.search(r"N=(\d+), X=(\d+), Z=(\d+)", demo_ica.__doc__)
    assert stated is not None, "demo_ica's docstring no longer states its problem size"
    assert tuple(map(int, stated.groups())) == (sizes["n_samples"], sizes["n_features"],
                                                sizes["n_sources"])


def test_run_demo_runs_the_sections_it_is_given(tmp_path):
    """run_demo is extended by adding a section: a function (outdir, out) -> figure paths."""
    calls = []

    def extra(outdir, out):
        calls.append(outdir)
        print("4. an extra section", file=out)
        return [str(tmp_path / "extra.png")]

    out = io.StringIO()
    figures = demo.run_demo(tmp_path, out, sections=[extra])
    assert figures == [str(tmp_path / "extra.png")] and calls == [str(tmp_path)]
    assert "4. an extra section" in out.getvalue() and "extra.png" in out.getvalue()
    # the default order: divergences, kernels, ICA, then the nonlinear generator (issue 11)
    assert demo.SECTIONS[-2:] == [demo.demo_ica_section, demo.demo_generator_section]


def test_demo_divergences_prints_three_checks_and_draws_laplace(tmp_path):
    out = io.StringIO()
    (path,) = demo.demo_divergences(tmp_path, out)
    text = out.getvalue()
    # the closed-form row shows (mu_p - mu_q)^2 / (2 sigma^2) = 1.3^2 / 0.98 to 12 digits
    assert re.search(r"closed form\s+1\.72448979592\b", text)
    assert re.search(r"quadrature\s+1\.7244897959", text)
    assert "n = 200000" in text                                   # the Monte Carlo size is named
    assert path.endswith("spread_kl_deltas.png")
    from PIL import Image

    width, _ = Image.open(path).size
    assert width == pytest.approx(6.5 * 150, abs=2)               # 6.5 inches at 150 dpi


def test_demo_kernels_reports_the_fejer_band_to_infinity(tmp_path):
    out = io.StringIO()
    demo.demo_kernels(tmp_path, out)
    text = out.getvalue()
    fejer = next(line for line in text.splitlines() if line.strip().startswith("Fejér, s = 1"))
    assert fejer.split()[-1] == "∞)" and "[2, ∞)" in fejer
    laplace = next(line for line in text.splitlines() if "Laplace, b = 1" in line)
    assert laplace.split()[-5:] == ["yes", "yes", "yes", "yes", "none"]
    # the "valid spread?" column: isolated zeros keep spreading one-to-one, a band does not
    assert "valid spread?" in text
    uniform = next(line for line in text.splitlines() if "Uniform on [-1, 1]" in line)
    assert uniform.split()[-6:-1] == ["no", "yes", "no", "yes", "3.142,"]
    assert fejer.split()[-6:-2] == ["no", "no", "yes", "no"]


def test_band_text_keeps_a_finite_band_finite():
    """Negative control for the [a, ∞) report: a band that ends inside the scan stays [a, b]."""
    check = types.SimpleNamespace(zero_bands=[(2.0, 3.0)], omega=np.linspace(0, 5, 11))
    assert demo._band_text(check, Fejer(0.0, 1.0)) == "[2, 3]"
    # a band reaching the scan's end, for a transform that is not zero beyond it, stays finite
    check = types.SimpleNamespace(zero_bands=[(2.0, 5.0)], omega=np.linspace(0, 5, 11))
    assert demo._band_text(check, Laplace(0.0, 1.0)) == "[2, 5]"   # 1 / (1 + w^2) > 0
    check = types.SimpleNamespace(zero_bands=[(2.0, 5.0)], omega=np.linspace(0, 5, 11))
    assert demo._band_text(check, Fejer(0.0, 1.0)) == "[2, ∞)"
