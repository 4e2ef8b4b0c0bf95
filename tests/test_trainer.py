"""The shared trainer skeleton (spreadlab/_trainer.py) and its use by SpreadICA."""
import math
import warnings
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest

from spreadlab._trainer import (ConvergenceWarning, Progress, Tracker, as_generator, fit_guard,
                                fixed_point, rel_change, warn_not_converged)


def test_tracker_keeps_the_best_finite_iterate():
    t = Tracker(maximize=True)
    for v in [1.0, 5.0, math.nan, math.inf, 2.0]:
        t.record(v, params=v)
    assert t.best_value == 5.0 and t.best_params == 5.0 and t.n_iter == 5
    m = Tracker(maximize=False)
    for v in [3.0, 1.0, 2.0]:
        m.record(v, params=v)
    assert m.best_params == 1.0


def test_fit_guard_names_the_estimator_the_progress_and_the_advice():
    n = {"steps": 7}
    with pytest.raises(FloatingPointError,
                       match=r"^Model fit failed with a floating-point fault after 7 steps "
                             r"\(overflow.*\); try less"):
        with fit_guard("Model", where=lambda: f"after {n['steps']} steps", advice="try less"):
            np.exp(np.array([1000.0]))
    # the error policy is restored afterwards
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        assert np.isinf(np.exp(np.array([1000.0])))[0]


def test_fixed_point_returns_the_best_iterate_when_it_does_not_converge():
    # a map whose objective peaks at its second iterate and then falls: the run stops at
    # max_iter, and the estimate returned is the best one seen, not the last
    def F(P):
        return P + 1.0, -float((P[0] - 2.0) ** 2)
    P, tracker, info = fixed_point(F, np.array([1.0]), tol=1e-12, max_iter=5, accelerate=False)
    assert not tracker.converged and "max_iter=5" in tracker.reason
    assert P[0] == 2.0 and tracker.best_value == 0.0
    assert tracker.history == [-1.0, 0.0, -1.0, -4.0, -9.0, -16.0]


def test_fixed_point_never_converges_on_a_frozen_map():
    # classical EM at tiny noise: the rate 1 - 1e-13 cannot be told from 1 above round-off
    rho = 1.0 - 1e-13
    F = lambda P: (2.0 + rho * (P - 2.0), 0.0)  # noqa: E731
    P, tracker, info = fixed_point(F, np.array([1.0]), tol=1e-3, max_iter=20, accelerate=False)
    assert not tracker.converged and info["dist"] == math.inf


def test_fixed_point_stops_when_on_iter_asks():
    F = lambda P: (0.5 * P + 1.0, -float(np.sum((P - 2.0) ** 2)))  # noqa: E731
    seen = []
    P, tracker, info = fixed_point(F, np.array([1.0]), tol=1e-12, max_iter=50, accelerate=False,
                                   on_iter=lambda P, obj, it: seen.append(it) or it == 3)
    assert seen == [1, 2, 3] and tracker.reason == "stopped by the callback"


def test_rel_change_from_zero():
    assert rel_change(np.zeros(2), np.zeros(2)) == 0.0
    assert rel_change(np.ones(2), np.zeros(2)) == math.inf


def test_as_generator_policy():
    g = np.random.default_rng(1)
    assert as_generator(g) is g                           # a Generator is used as is
    assert as_generator(3).random() == np.random.default_rng(3).random()
    with pytest.raises(TypeError, match="rng must be None"):
        as_generator("3", name="rng")
    with pytest.raises(TypeError, match="random_state must be None"):
        as_generator(True)


def test_progress_is_silent_without_verbose(capsys):
    with Progress(3, "x", verbose=False) as bar:
        bar.update(objective=1.0)
    assert capsys.readouterr().err == ""
    with Progress(3, "visible", verbose=True) as bar:
        bar.update(objective=1.0)
    assert "visible" in capsys.readouterr().err


def test_warn_not_converged_is_sklearns_warning():
    from sklearn.exceptions import ConvergenceWarning as SkWarning
    assert ConvergenceWarning is SkWarning
    with pytest.warns(SkWarning, match="42 iterations"):
        warn_not_converged("stopped after 42 iterations")


@pytest.fixture(scope="module")
def small():
    from spreadlab.ica import make_ica_data
    X, A, _ = make_ica_data(500, 3, 2, random_state=0)
    return X


def test_spread_ica_states_why_it_stopped(small):
    from spreadlab.ica import SpreadICA
    est = SpreadICA(2, random_state=0).fit(small)
    assert est.converged_ and est.stop_reason_ == "every stage met its stopping rule"
    est = SpreadICA(2, random_state=0, callback=lambda e, it, obj: it >= 2).fit(small)
    assert not est.converged_ and est.stop_reason_ == "stopped by the callback"
    with pytest.warns(ConvergenceWarning):
        est = SpreadICA(2, random_state=0, max_iter=1, finish=None, anneal=0).fit(small)
    assert not est.converged_ and est.stop_reason_ == "max_iter reached in spread stage(s) [1]"


def test_spread_ica_keeps_no_temporary_state(small):
    from spreadlab.ica import SpreadICA
    for kw in [{}, dict(estep="importance", n_draws=20, max_iter=5, anneal=0)]:
        est = SpreadICA(2, random_state=0, **kw)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            est.fit(small)
            private = {k for k in vars(est) if k.startswith("_") and not k.startswith("__")}
            # the fitted model in the E-step's coordinates (read by score), nothing else
            assert private <= {"_scale", "_P", "_W", "_whitening", "_log_det_whitening",
                               "_sklearn_output_config"}, private
            keys = set(vars(est))
            before = est.score(small)
            assert set(vars(est)) == keys and est.score(small) == before   # score leaves it alone


# ---- issue 21: parameter values scikit-learn's interval checks cannot read, refused by name
@pytest.mark.parametrize("make", [
    lambda: __import__("spreadlab").SpreadICA(2, tol=Fraction(1, 3)),
    lambda: __import__("spreadlab").SpreadICA(2, tol=10**400),
    lambda: __import__("spreadlab").SpreadGenerator(1, spread=Fraction(1, 3), max_iter=3),
    lambda: __import__("spreadlab").SpreadGenerator(1, tol=10**400),
    lambda: __import__("spreadlab").SpreadVAE(1, tol=Decimal("0.1"), max_iter=2),
], ids=["ica-tol-Fraction", "ica-tol-10**400", "generator-spread-Fraction", "generator-tol-10**400",
        "vae-tol-Decimal"])
def test_exotic_number_parameters_are_refused_by_name(make):
    import spreadlab

    X = spreadlab.make_curve(60, random_state=0)[0]
    est = make()
    with pytest.raises((TypeError, ValueError), match=r"^(tol|spread) must be"):
        est.fit(X)


def test_spreadica_n_components_true_is_a_named_type_error():
    import spreadlab

    X = spreadlab.make_ica_data(200, 3, 2, random_state=0)[0]
    with pytest.raises(TypeError, match="n_components must be an int or None, not a boolean"):
        spreadlab.SpreadICA(n_components=True).fit(X)


def test_spreadica_max_iter_uint64_max_is_refused_up_front():
    import spreadlab

    X = spreadlab.make_ica_data(200, 3, 2, random_state=0)[0]
    with pytest.raises(ValueError, match="max_iter"):
        spreadlab.SpreadICA(2, max_iter=np.uint64(2**64 - 1)).fit(X)
