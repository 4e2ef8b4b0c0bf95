"""Numeric routes that never lie (issue 9, session 3): time budgets that reach nested
quadrature, p = q answered exactly, and quadrature error estimates that bound the error."""

import time

import mpmath
import numpy as np
import pytest

import spreadlab.divergences as divergences_module
from spreadlab import (
    Cauchy,
    Delta,
    Fejer,
    Gaussian,
    Laplace,
    QuadratureBudgetError,
    divergence,
    spread_divergence,
    spread_kl,
)
from spreadlab.cli import main


# ---------------------------------------------------------------- budgets and p = q


def test_identical_numerically_spread_pair_is_exactly_zero_not_a_hang_issue9():
    # used to run for minutes: Fejer(0, 1) * Fejer(0, 1e10) has ~300 landmarks, and the budget
    # was checked only between outer integrand calls, each of which took > 60 s
    start = time.monotonic()
    est = spread_divergence(Fejer(0.0, 1.0), Fejer(0.0, 1.0), Fejer(0.0, 1e10), f="chi2", method="quad")
    assert float(est) == 0.0 and est.error == 0.0 and est.method == "quad"
    mc = spread_kl(Laplace(0.0, 1.0), Laplace(0.0, 1.0), Laplace(0.0, 1.0), method="mc", n_samples=10, rng=0)
    assert float(mc) == 0.0 and mc.error == 0.0
    assert time.monotonic() - start < 2.0  # no integral at all: generous for a loaded machine


def test_equal_parameters_only_make_the_same_law():
    # a different location, scale or family must still be integrated
    est = divergence(Laplace(0.0, 1.0), Laplace(0.0, 1.0 + 2**-52), "kl", method="quad")
    assert est.error > 0.0  # integrated (KL ~ 1e-32 here), not answered by the p = q path
    assert float(divergence(Laplace(0.0, 1.0), Cauchy(0.0, 1.0), "tv", method="quad")) > 0.1
    with pytest.raises(ValueError, match="needs densities"):  # the checks come first
        divergence(Delta(0.0), Delta(0.0), "kl", method="quad")


def test_budget_reaches_inside_the_numeric_convolution(monkeypatch):
    # not p = q, so it integrates: the deadline must stop it inside Convolution.logpdf
    monkeypatch.setattr(divergences_module, "QUAD_TIME_BUDGET", 0.5)
    start = time.monotonic()
    with pytest.raises(QuadratureBudgetError, match=r"time budget of 0.5 s .*QUAD_TIME_BUDGET"):
        spread_divergence(Fejer(0.0, 1.0), Fejer(0.5, 1.0), Fejer(0.0, 1e10), f="chi2", method="quad")
    # one batch of the convolution is ~0.1 s; 10 s means "the check is inside", not "after it"
    assert time.monotonic() - start < 10.0
    assert issubclass(QuadratureBudgetError, ValueError)


def test_cli_reports_the_budget_in_one_line(monkeypatch, capsys):
    monkeypatch.setattr(divergences_module, "QUAD_TIME_BUDGET", 0.0)
    code = main(["kl", "Laplace(0, 1)", "Laplace(1, 1)", "--kernel", "Laplace(0, 1)", "--samples", "100"])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert "\n" not in err and "QUAD_TIME_BUDGET" in err and "Traceback" not in err


def test_spread_kl_laplace_by_laplace_against_mpmath_convolution():
    # X + E with X, E ~ Laplace(0, 1) independent has density (1 + |y|) e^{-|y|} / 4 (the
    # convolution in closed form); KL to the same shifted by 1, integrated by mpmath at 30 digits
    mpmath.mp.dps = 30
    dens = lambda y: (1 + abs(y)) * mpmath.exp(-abs(y)) / 4  # noqa: E731
    exact = float(mpmath.quad(lambda y: dens(y) * mpmath.log(dens(y) / dens(y - 1)),
                              [-mpmath.inf, 0, 1, mpmath.inf]))
    assert abs(exact - 0.1450998190935679) < 1e-15  # the oracle itself, against its own print
    est = spread_kl(Laplace(0.0, 1.0), Laplace(1.0, 1.0), Laplace(0.0, 1.0), method="quad")
    assert abs(float(est) - exact) <= est.error  # the reported error bounds the true error
    assert est.error < 1e-8  # and it is a useful bound (it reports ~4e-10)
