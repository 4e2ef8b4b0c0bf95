"""ica_sweep's noisy method ("spread EM + noisy ML finish") and the config checks of issue 23:
a single method name, an empty or repeated list, and budgets checked when the sweep is made."""
import numpy as np
import pytest

from spreadlab import budgets
from spreadlab.experiments import ICASweepConfig, ica_sweep
from spreadlab.experiments import _ica_sweep as _sweep

pytest.importorskip("sklearn")

NOISY = "spread EM + noisy ML finish"
SMALL = dict(n_samples=2000, n_features=6, n_sources=3)


def _refuse_fits(monkeypatch):
    monkeypatch.setattr(_sweep, "_fit_point", lambda s: pytest.fail("fitted before checking"))


def test_noisy_method_is_spreadica_noisy_ml_with_gamma_given():
    """The row is SpreadICA(finish='noisy_ml', noise=gamma) from the sweep's common start, fitted
    independently here on the same data and seed: the same estimate to the last bit (the fit is
    deterministic given its seed), and the noise level the stage used is gamma."""
    from spreadlab.ica import SpreadICA, make_ica_data, mixing_error, pca_start

    rows = ica_sweep([0.3], methods=NOISY, random_state=5, **SMALL)
    (row,) = rows
    assert row["method"] == NOISY and row["gamma"] == 0.3
    X, A, _ = make_ica_data(2000, 6, 3, noise=0.3, random_state=5)
    start = pca_start(X, 3, noise=0.3, random_state=5)
    est = SpreadICA(3, finish="noisy_ml", noise=0.3, init=start, random_state=5).fit(X)
    assert row["mixing_error"] == mixing_error(est.mixing_, A)
    assert row["noise"] == est.ml_stage_["noise"] == 0.3
    assert row["converged"] is bool(est.converged_) and row["final_spread"] == 0.0
    # negative control: the noiseless finish on the same data is another estimate
    (ml,) = ica_sweep([0.3], methods="spread EM + ML finish", random_state=5, **SMALL)
    assert ml["mixing_error"] != row["mixing_error"] and "noise" not in ml


def test_noisy_method_at_zero_noise_estimates_it_from_the_trailing_eigenvalues():
    """At gamma = 0 the stage is given no noise level and estimates it: the data have exactly
    Z nonzero covariance eigenvalues, so the estimate is round-off (the trailing eigenvalues are
    ~1e-16 of the leading ones, i.e. a standard deviation ~1e-8 of the data's ~1)."""
    (row,) = ica_sweep([0.0], methods=NOISY, **SMALL)
    assert 0.0 <= row["noise"] < 1e-6
    (noisy,) = ica_sweep([0.5], methods=NOISY, **SMALL)   # negative control: a real level
    assert noisy["noise"] == 0.5


def test_noisy_method_at_zero_noise_needs_more_features_than_sources(monkeypatch):
    """X == Z leaves no trailing eigenvalue to estimate the noise from: SpreadICA raised only
    after its spread and ML stages (inside a worker with n_jobs > 1); now refused up front."""
    _refuse_fits(monkeypatch)
    match = "needs n_features > n_sources; got n_features=3, n_sources=3"
    with pytest.raises(ValueError, match=match):
        ica_sweep([0.2, 0.0], methods=(NOISY,), n_samples=200, n_features=3, n_sources=3)
    with pytest.raises(ValueError, match=match):
        ICASweepConfig(vary="n_samples", gamma=0.0, methods=NOISY, n_features=3, n_sources=3)
    # a positive noise level is given to the fit, so X == Z is fine there
    fitted = []
    monkeypatch.setattr(_sweep, "_fit_point", lambda s: fitted.append(s) or [])
    ica_sweep([0.2], methods=(NOISY,), n_samples=200, n_features=3, n_sources=3)
    assert len(fitted) == 1


def test_methods_as_a_single_string_is_one_method_bug_issue23():
    """methods='FastICA' was split into the 'methods' F, a, s, t, I, C, A."""
    assert ICASweepConfig(methods="FastICA").methods == ("FastICA",)
    assert ICASweepConfig(methods=NOISY).methods == (NOISY,)
    assert ICASweepConfig(methods=["FastICA", NOISY]).methods == ("FastICA", NOISY)
    with pytest.raises(ValueError, match=r"methods must be among .*; got \['Fast'\]"):
        ICASweepConfig(methods="Fast")


@pytest.mark.parametrize("methods, exc, match", [
    ([], ValueError, r"methods must name at least one method among .*; got methods=\(\)"),
    ((), ValueError, "methods must name at least one method"),
    (("FastICA", "FastICA"), ValueError, "methods must not repeat a method"),
    ((1,), TypeError, r"methods must hold method names \(str\)"),
    (("FastICA", None), TypeError, r"methods must hold method names \(str\)"),
    (5, TypeError, "methods must be a method name or a sequence of them"),
    (None, TypeError, "methods must be a method name or a sequence of them"),
    (b"FastICA", TypeError, "methods must be a method name or a sequence of them"),
    (np.array("FastICA"), TypeError, "methods must be a method name or a sequence of them"),
])
def test_bad_methods_are_refused_by_name_bug_issue23(monkeypatch, methods, exc, match):
    """methods=[] made a sweep that fitted nothing and returned []; a repeat fitted a method
    twice (counted as two runs); 5 raised "'int' object is not iterable"."""
    _refuse_fits(monkeypatch)
    with pytest.raises(exc, match=match):
        ICASweepConfig(methods=methods)
    with pytest.raises(exc, match=match):
        ica_sweep([0.1], methods=methods, n_samples=200, n_features=3, n_sources=2)


@pytest.mark.parametrize("kw, values, match", [
    # the data of one point would not fit in memory: refused by the config, not by a
    # MemoryError in make_ica_data (possibly in a worker, after other points were fitted)
    (dict(n_samples=10**11), [0.1], r"n_samples=100000000000 would need .*budgets\.MEMORY_BUDGET"),
    (dict(vary="n_samples"), [300, 10**11],
     r"values \(sample sizes\)=100000000000 would need .*budgets\.MEMORY_BUDGET"),
    # SpreadICA's own bound on n_draws, refused under the sweep's name before any fit
    (dict(n_draws=10**6), [0.1], "n_draws must be an integer <= 100000; got 1000000"),
    (dict(max_iter=10**8), [0.1], "max_iter must be an integer <= 10000000"),
    (dict(classical_max_iter=10**8), [0.1], "classical_max_iter must be an integer <= 10000000"),
    # the sampled E-steps of one EM budget: n_samples * n_draws * Z**2 * iterations
    (dict(n_samples=10**6, n_draws=10**5, max_iter=40), [0.1],
     r"n_samples=1000000 would need about .*budgets\.WORK_BUDGET"),
])
def test_sample_and_draw_budgets_are_checked_before_any_fit_bug_issue23(monkeypatch, kw, values,
                                                                        match):
    _refuse_fits(monkeypatch)
    with pytest.raises(ValueError, match=match):
        ica_sweep(values, **{"n_features": 3, "n_sources": 2, **kw})


def test_budget_checks_follow_the_budgets_and_what_is_fitted(monkeypatch):
    """The work bound applies only to the EMs that sample (FastICA alone has none), and both
    bounds read spreadlab.budgets at the call, so a session can raise them."""
    fitted = []
    monkeypatch.setattr(_sweep, "_fit_point", lambda s: fitted.append(s) or [])
    heavy = dict(n_samples=10**6, n_draws=10**5, n_features=3, n_sources=2)
    ica_sweep([0.1], methods="FastICA", **heavy)
    ica_sweep([0.1], methods="spread EM", estep="exact", **heavy)   # no importance draws
    assert len(fitted) == 2
    with pytest.raises(ValueError, match="WORK_BUDGET"):
        ica_sweep([0.1], methods="spread EM", **heavy)
    monkeypatch.setattr(budgets, "WORK_BUDGET", 1e15)
    ica_sweep([0.1], methods="spread EM", **heavy)
    assert len(fitted) == 3
    # the largest n_draws SpreadICA takes is accepted
    assert ICASweepConfig(n_draws=100_000, n_samples=200).n_draws == 100_000
