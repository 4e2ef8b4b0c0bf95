"""plot_cf titles name kernels in the paper's notation (issue 13), through kernel_notation."""

import warnings

import matplotlib
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from spreadlab import (  # noqa: E402
    Cauchy, Delta, Epanechnikov, Fejer, Gaussian, HyperbolicSecant, Laplace, Logistic, StudentT,
    Triangular, Uniform, fourier_check,
)
from spreadlab.plotting import kernel_notation, plot_cf  # noqa: E402

NOTATION = [
    (Uniform(-1.0, 2.0), "Uniform[−1, 1]"),
    (Laplace(0.0, 1.0), "Laplace(0, b=1)"),
    (Gaussian(0.0, 1.0), r"$\mathcal{N}$(0, σ²=1)"),
    (Gaussian(-0.5, 0.25), r"$\mathcal{N}$(−0.5, σ²=0.25)"),
    (Cauchy(0.0, 0.5), "Cauchy(0, γ=0.5)"),
    (Logistic(1.0, 2.0), "Logistic(1, s=2)"),
    (HyperbolicSecant(0.0, 1.0), "Hyperbolic secant(0, s=1)"),
    (StudentT(3.0, 0.0, 1.0), "Student-t(ν=3, 0, s=1)"),
    (Epanechnikov(0.0, 2.0), "Epanechnikov[−2, 2]"),
    (Triangular(-1.0, 2.0), "Triangular[−1, 1]"),
    (Triangular(-1.0, 2.0, 0.25), "Triangular[−1, 1], mode −0.5"),
    (Fejer(0.0, 1.0), "Fejér(0, s=1)"),
    (Delta(0.0), "δ(0)"),
]


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.mark.parametrize("kernel, expected", NOTATION, ids=[e for _, e in NOTATION])
def test_kernel_notation_writes_the_papers_notation(kernel, expected):
    assert kernel_notation(kernel) == expected
    # a FourierCheck keeps only the repr: the notation is recovered from it
    assert kernel_notation(repr(kernel)) == expected


def test_kernel_notation_keeps_what_it_cannot_write():
    """Multivariate laws and callables' names are left as they are, never mis-written."""
    g2 = Gaussian([0.0, 0.0], 1.0)
    assert kernel_notation(g2) == repr(g2)
    assert kernel_notation("my_characteristic_function") == "my_characteristic_function"


@pytest.mark.parametrize("bad", [None, float("nan"), 1e308, 1e-308, [Laplace(0.0, 1.0)], Laplace],
                         ids=["None", "nan", "1e308", "1e-308", "list", "class"])
def test_kernel_notation_refuses_what_is_not_a_kernel_bug_review(bad):
    # these were returned as their repr ("None", "nan"): a title that hides the mistake
    with pytest.raises(TypeError, match="kernel must be a spreadlab distribution"):
        kernel_notation(bad)


@pytest.mark.parametrize("given", [Uniform(-1.0, 2.0), fourier_check(Uniform(-1.0, 2.0))],
                         ids=["kernel", "result"])
def test_plot_cf_title_uses_the_notation_not_the_repr(given):
    title = plot_cf(given).get_title()
    assert "Uniform[−1, 1]" in title
    # negative control: the repr this replaced is what the old title showed
    assert "loc=" in repr(Uniform(-1.0, 2.0)) and "loc=" not in title and "scale=" not in title


def _missing_glyphs(draw, path):
    """Warnings about glyphs missing from the font while ``draw()`` is saved to ``path``."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ax = draw()
        ax.figure.savefig(path)
    return [str(w.message) for w in caught if "missing from font" in str(w.message)]


def test_plot_cf_renders_the_gaussian_title_without_missing_glyphs(tmp_path):
    """The notation is drawn by matplotlib's default font: a missing glyph only warns."""
    assert not _missing_glyphs(lambda: plot_cf(Gaussian(0.0, 1.0)), tmp_path / "cf.png")

    # negative control: the Unicode script N (U+1D4A9) the notation avoids is caught
    def unicode_title():
        ax = plot_cf(Gaussian(0.0, 1.0))
        ax.set_title("\U0001d4a9(0, σ²=1)")
        return ax

    assert _missing_glyphs(unicode_title, tmp_path / "bad.png")
