"""Budgets: counts over memory are refused up front, long computations end within their time budget.

Every refusal is a ValueError naming the parameter, the value and the budget
(``spreadlab.budgets``); time budgets are tested with the budget lowered, never with wall-clock
assertions on the machine's speed.
"""

import time

import numpy as np
import pytest

import spreadlab
from spreadlab import (
    Cauchy,
    Convolution,
    CosineModulated,
    Delta,
    Fejer,
    Gaussian,
    Laplace,
    QuadratureBudgetError,
    divergence,
    fourier_check,
    spread_divergence,
)
from spreadlab import budgets
from spreadlab._validation import as_count, check_memory
from spreadlab.budgets import TimeBudgetError
from spreadlab.distributions import _univariate
from spreadlab.spread import _SumOfTwo

UNIVARIATE = [cls for cls in vars(_univariate).values()
              if isinstance(cls, type) and issubclass(cls, _univariate._Univariate)
              and cls is not _univariate._Univariate and not cls.__name__.startswith("_")]


def _instances():
    """One law of every family, built from its default-ish parameters (skipped when none)."""
    out = [Delta(0.0), Gaussian(0.0, 1.0), Gaussian([0.0, 1.0], np.eye(2)),
           CosineModulated(Fejer(0.0, 1.0), 2.0), Convolution(Laplace(0.0, 1.0), Cauchy(0.0, 1.0))]
    for cls in UNIVARIATE:
        for args in ((0.0, 1.0), (1.0,), ()):
            try:
                out.append(cls(*args))
                break
            except (TypeError, ValueError):
                continue
    return out


@pytest.mark.parametrize("law", _instances(), ids=repr)
def test_sample_10_to_12_is_refused_naming_n_and_the_memory_budget(law):
    with pytest.raises(ValueError, match=r"n=1000000000000 would need .* over the memory budget of 2 GiB "
                                         r"\(spreadlab\.budgets\.MEMORY_BUDGET\); use n <= \d+"):
        law.sample(10**12)


def test_every_univariate_family_was_tried():
    # the parametrised test above must not silently skip families it could not build
    built = {type(d) for d in _instances()}
    assert set(UNIVARIATE) <= built, set(UNIVARIATE) - built


def test_mc_divergence_with_10_to_12_samples_is_refused_up_front():
    with pytest.raises(ValueError, match=r"n_samples=1000000000000 would need .*MEMORY_BUDGET"):
        divergence(Gaussian(0.0, 1.0), Gaussian(1.0, 1.0), method="mc", n_samples=10**12)


def test_fourier_check_with_a_10_to_12_grid_is_refused_up_front():
    with pytest.raises(ValueError, match=r"n_grid=1000000000000 would need .*MEMORY_BUDGET"):
        fourier_check(Gaussian(0.0, 1.0), n_grid=10**12)


def test_the_memory_budget_is_read_at_every_call(monkeypatch):
    Laplace(0.0, 1.0).sample(1000, rng=0)
    monkeypatch.setattr(budgets, "MEMORY_BUDGET", 1000)  # 125 float64 draws
    with pytest.raises(ValueError, match=r"n=1000 would need 7.81 KiB .* 1e\+03 B .*use n <= 125"):
        Laplace(0.0, 1.0).sample(1000, rng=0)
    assert Laplace(0.0, 1.0).sample(125, rng=0).shape == (125,)


@pytest.mark.parametrize("budget, error", [(float("nan"), ValueError), ("2 GiB", TypeError), (-1, ValueError)])
def test_a_broken_memory_budget_is_named(monkeypatch, budget, error):
    monkeypatch.setattr(budgets, "MEMORY_BUDGET", budget)
    with pytest.raises(error, match=r"spreadlab\.budgets\.MEMORY_BUDGET must be a number >= 0"):
        Laplace(0.0, 1.0).sample(10, rng=0)


@pytest.mark.parametrize("value, error, match", [
    (True, TypeError, "n must be an integer"),
    (2.0, TypeError, "n must be an integer >= 1; got 2.0"),
    (np.uint64(2**64 - 1), ValueError, "n must be an integer <= 1099511627776"),
    (0, ValueError, "n must be an integer >= 1"),
])
def test_as_count_names_the_parameter(value, error, match):
    with pytest.raises(error, match=match):
        as_count(value, "n", item_bytes=8)


def test_check_memory_names_a_product_of_parameters():
    with pytest.raises(ValueError, match=r"\(n, dim\)=\(1000000000, 10\) would need 74.5 GiB"):
        check_memory(8 * 10**10, "(n, dim)", (10**9, 10))
    check_memory(8 * 10**6, "(n, dim)", (10**5, 10))  # 76 MiB: under the budget, no error


def test_monte_carlo_fejer_triangular_answers_or_raises_within_its_budget(monkeypatch):
    # issue 21: this ran > 200 s. Numerically spread Fejer densities are slow: with a 2 s
    # budget the pilot timing refuses up front (or the deadline stops it); the call must end
    # within the budget plus one batch of density evaluations (10 s of slack for a loaded
    # machine: the test asserts an ending, not a speed)
    monkeypatch.setattr(budgets, "MC_TIME_BUDGET", 2.0)
    start = time.monotonic()
    with pytest.raises(TimeBudgetError, match=r"MC_TIME_BUDGET"):
        spread_divergence(Laplace(0, 1), Fejer(0, 1), Fejer(0, 1), f="triangular",
                          method="mc", n_samples=2000, rng=0)
    # the raise above is the check that the budget fired; the time only has to be far from the
    # original hang (> 200 s), not a speed: a bound a loaded machine cannot reach by itself
    assert time.monotonic() - start < 100.0


def test_monte_carlo_deadline_is_checked_inside_the_density(monkeypatch):
    monkeypatch.setattr(budgets, "MC_TIME_BUDGET", 0.0)
    with pytest.raises(TimeBudgetError, match=r"MC_TIME_BUDGET"):
        spread_divergence(Laplace(0, 1), Laplace(1, 1), Cauchy(0, 1), f="kl", method="mc",
                          n_samples=50, rng=0)  # <= 2 pilots: no projection, the deadline itself


def test_monte_carlo_with_closed_form_densities_is_not_slowed_by_the_budget(monkeypatch):
    monkeypatch.setattr(budgets, "MC_TIME_BUDGET", 0.0)  # closed forms never check the deadline
    est = divergence(Gaussian(0.0, 1.0), Gaussian(1.0, 1.0), method="mc", n_samples=1000, rng=0)
    assert abs(est - 0.5) < 5 * est.error


def test_nested_convolution_pdf_answers_or_raises_within_the_density_budget(monkeypatch):
    # issue 21: Convolution(Convolution(Laplace, Cauchy), Cauchy).pdf(0.3) took 23-45 s
    monkeypatch.setattr(budgets, "DENSITY_TIME_BUDGET", 0.5)
    c = Convolution(Convolution(Laplace(0, 1), Cauchy(0, 1)), Cauchy(0, 1))
    start = time.monotonic()
    with pytest.raises(QuadratureBudgetError, match=r"time budget of 0.5 s \(spreadlab\.budgets\.DENSITY_TIME_BUDGET\)"):
        c.pdf(np.linspace(-3, 3, 50))
    # the raise is the check that the budget fired; the time only has to be far from the
    # original 23-45 s for one value (here 50 values), not a speed of this machine
    assert time.monotonic() - start < 100.0


def test_time_budget_errors_are_value_errors():
    assert issubclass(QuadratureBudgetError, TimeBudgetError)
    assert issubclass(TimeBudgetError, ValueError)
    assert spreadlab.budgets is budgets


def test_a_loop_count_over_the_work_budget_is_refused_naming_it():
    # for the loops of other modules: n_permutations=10**12 on 1,000 x 1,000 points
    with pytest.raises(ValueError, match=r"n_permutations=1000000000000 would need about 1e\+18 operations "
                                         r"\(1e\+06 per permutation\), over the work budget of 1e\+12 "
                                         r"\(spreadlab\.budgets\.WORK_BUDGET\); use n_permutations <= 1000000"):
        as_count(10**12, "n_permutations", item_ops=1e6, what="permutation")
    assert as_count(999, "n_permutations", item_ops=1e6) == 999
