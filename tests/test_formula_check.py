"""check_formula: right closed forms pass, wrong ones are caught, hostile input raises named errors.

The reference inside check_formula is spreadlab's quadrature; the formulas here are the notes'
closed forms typed from their derivations. Each "caught" case is a negative control: a check
that could not fail would pass them too.
"""

import math

import numpy as np
import pytest

from spreadlab import Cauchy, Delta, FormulaCheck, Gaussian, Laplace, check_formula


def laplace_kl(loc_p, scale_p, loc_q, scale_q):
    d = abs(loc_p - loc_q)
    return math.log(scale_q / scale_p) + d / scale_q + scale_p / scale_q * math.exp(-d / scale_p) - 1


def test_right_formulas_pass_at_random_and_corner_parameters():
    res = check_formula(laplace_kl, Laplace, Laplace, n_random=4)
    assert isinstance(res, FormulaCheck) and res.passed and bool(res)
    assert res.n_checked == 4 * 5  # each draw: itself, near-equal, far apart, tiny and huge scales
    # the naive formula cancels near equal laws: 1e-6 relative (the default rtol) holds, 1e-12 would not
    assert res.worst_relative_error < 1e-6
    cauchy = check_formula(lambda loc_p, scale_p, loc_q, scale_q:
                           math.log(((scale_p + scale_q) ** 2 + (loc_p - loc_q) ** 2) / (4 * scale_p * scale_q)),
                           "Cauchy", "Cauchy", n_random=3)
    assert cauchy.passed


def test_misprinted_two_delta_spread_kl_is_caught():
    # the paper prints (mu_p - mu_q)^2 without 1/(2 sigma^2); the blog has it right
    bad = check_formula(lambda loc_p, loc_q: (loc_p - loc_q) ** 2, Delta, Delta, kernel=Gaussian, n_random=3)
    assert not bad.passed and bad.failures
    assert set(bad.worst_parameters) == {"loc_p", "loc_q", "mean_k", "cov_k"}
    good = check_formula(lambda loc_p, loc_q, cov_k: (loc_p - loc_q) ** 2 / (2 * cov_k), Delta, Delta,
                         kernel=Gaussian, n_random=3)
    assert good.passed and "agrees" in repr(good) and "DISAGREES" in repr(bad)


def test_a_subtle_error_is_caught_and_located():
    # the factor b1/b2 dropped: right whenever the scales are equal, wrong otherwise
    wrong = lambda loc_p, scale_p, loc_q, scale_q: (laplace_kl(loc_p, scale_p, loc_q, scale_q)  # noqa: E731
                                                    - scale_p / scale_q * math.exp(-abs(loc_p - loc_q) / scale_p)
                                                    + math.exp(-abs(loc_p - loc_q) / scale_p))
    res = check_formula(wrong, Laplace, Laplace, n_random=4)
    assert not res.passed
    assert all(f["params"]["scale_p"] != f["params"]["scale_q"] for f in res.failures)
    tied = check_formula(wrong, Laplace, Laplace, fixed={"scale_q": "scale_p"}, n_random=4)
    assert tied.passed  # restricted to equal scales, the formula is right


def test_sympy_expression_and_spread_laplace_pair():
    sp = pytest.importorskip("sympy")
    lp, lq, b, ck = sp.symbols("loc_p loc_q scale_p cov_k")
    assert check_formula((lp - lq) ** 2 / (2 * ck), Delta, Delta, kernel=Gaussian, n_random=3).passed
    # a spread Laplace pair has no closed form; a student's guess (the Gaussian formula) is rejected
    guess = check_formula((lp - lq) ** 2 / (2 * ck), Laplace, Laplace, kernel=Gaussian,
                          fixed={"scale_q": "scale_p"}, n_random=2)
    assert not guess.passed


def test_infinite_divergences_must_be_matched():
    assert check_formula(lambda loc_p, loc_q: math.inf, Delta, Delta, n_random=2,
                         ranges={"loc_q": (5.0, 6.0)}).passed
    assert not check_formula(lambda loc_p, loc_q: 1.0, Delta, Delta, n_random=2, ranges={"loc_q": (5.0, 6.0)}).passed


def test_nan_or_raising_formula_fails_instead_of_passing():
    res = check_formula(lambda loc_p, scale_p: float("nan"), Laplace, Laplace, n_random=2)
    assert not res.passed and res.worst_relative_error == math.inf
    res = check_formula(lambda loc_p, loc_q: 1 / (loc_p - loc_p), Laplace, Laplace, n_random=1)
    assert not res.passed and "ZeroDivisionError" in res.failures[0]["corner"]


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(formula="x**2"), TypeError, "formula must be a callable or a sympy expression"),
    (dict(formula=3.0), TypeError, "formula must be a callable or a sympy expression; got float"),
    (dict(formula=lambda *a: 0.0), TypeError, "formula must name its parameters"),
    (dict(formula=lambda mu_p: 0.0), ValueError, "formula takes 'mu_p', which is not a parameter; the parameters "
                                                "are loc_p, scale_p, loc_q, scale_q"),
    (dict(p=3), TypeError, "p must be a Distribution subclass"),
    (dict(q="Nope"), ValueError, "q must name a spreadlab distribution family; got 'Nope'"),
    (dict(n_random=0), ValueError, r"n_random must be an integer in \[1, 1000\]; got 0"),
    (dict(n_random=True), ValueError, "n_random must be an integer"),
    (dict(rtol=float("nan")), ValueError, "rtol must be a number in"),
    (dict(ranges={"loc_p": (0.0, float("inf"))}), ValueError, r"ranges\['loc_p'\] must have finite numbers"),
    (dict(ranges={"scale_p": ("log", -1.0, 1.0)}), ValueError, r"ranges\['scale_p'\] needs low < high"),
    (dict(ranges={"nope": (0.0, 1.0)}), ValueError, "ranges names 'nope', which is not a parameter"),
    (dict(fixed={"scale_q": float("nan")}), ValueError, r"fixed\['scale_q'\] must be a finite number"),
    (dict(fixed={"scale_q": "nope"}), ValueError, r"fixed\['scale_q'\] ties it to 'nope'"),
    (dict(f="nope"), ValueError, "nope"),
])
def test_hostile_input_raises_named_errors(kwargs, error, match):
    args = dict(formula=lambda loc_p, loc_q: 0.0, p=Laplace, q=Laplace)
    args.update(kwargs)
    with pytest.raises(error, match=match):
        check_formula(args.pop("formula"), args.pop("p"), args.pop("q"), n_random=args.pop("n_random", 1), **args)


def test_cli_check_formula(capsys):
    pytest.importorskip("sympy", reason="check-formula reads the formula with sympy")
    from spreadlab.cli import main

    assert main(["check-formula", "(loc_p - loc_q)**2 / (2*cov_k)", "Delta", "Delta", "--kernel", "Gaussian",
                 "--n-random", "2"]) == 0
    assert "agrees" in capsys.readouterr().out
    assert main(["check-formula", "abs(loc_p - loc_q)/scale_p", "Laplace", "Laplace", "--fix", "scale_q=scale_p",
                 "--n-random", "2"]) == 3   # a wrong formula is exit status 3, for scripts
    assert "DISAGREES" in capsys.readouterr().out
    assert main(["check-formula", "(loc_p", "Delta", "Delta"]) == 2
    assert "is not a sympy expression" in capsys.readouterr().err


def test_register_style_closed_form_is_called_with_the_distributions():
    # the shape a register_kl function has: (p, q) -> number
    def laplace_kl_of(p, q):
        return laplace_kl(float(p.loc), float(p.scale), float(q.loc), float(q.scale))

    assert check_formula(laplace_kl_of, Laplace, Laplace, n_random=3).passed
    assert not check_formula(lambda p, q: 2 * laplace_kl_of(p, q), Laplace, Laplace, n_random=3).passed


def test_check_formula_names_a_bad_seed_or_sample_count():
    from spreadlab import check_formula

    fn = lambda loc_p, loc_q, scale_p, scale_q: 0.0  # noqa: E731
    for kwargs, name in ((dict(seed=-1), "seed"), (dict(seed=float("nan")), "seed"),
                         (dict(n_samples=10**15), "n_samples"), (dict(n_samples=None), "n_samples")):
        with pytest.raises((TypeError, ValueError), match=name):
            check_formula(fn, "Laplace", "Laplace", n_random=1, **kwargs)


def test_check_formula_does_not_loosen_to_monte_carlo_when_quadrature_runs_out_of_time(monkeypatch):
    """A quadrature budget error is re-raised, not replaced by a 5-standard-error MC reference."""
    from spreadlab import check_formula, divergences
    from spreadlab.budgets import TimeBudgetError

    def out_of_time(*args, **kwargs):
        raise TimeBudgetError("QUAD_TIME_BUDGET exhausted (test)")

    monkeypatch.setattr(divergences, "divergence", out_of_time)
    with pytest.raises(TimeBudgetError):
        check_formula(lambda loc_p, loc_q, scale_p, scale_q: 0.0, "Laplace", "Laplace", n_random=1)


def test_right_formula_at_a_scale_quadrature_cannot_integrate_is_not_blamed():
    # at scale_p = 1e-308 quadrature's integrand overflows: it used to return inf and
    # check_formula called the right closed form wrong; it now refuses and the check falls back
    # to another reference route, and a wrong formula at the same point is still caught
    fixed = {"loc_p": 0.0, "scale_p": 1e-308, "loc_q": 0.0, "scale_q": 1.0}
    res = check_formula(laplace_kl, Laplace, Laplace, fixed=fixed, n_random=1)
    assert res.passed, res.failures
    assert "quad" not in res.method
    wrong = check_formula(lambda loc_p, scale_p, loc_q, scale_q: laplace_kl(loc_p, scale_p, loc_q, scale_q) + 1.0,
                          Laplace, Laplace, fixed=fixed, n_random=1)
    assert not wrong.passed
