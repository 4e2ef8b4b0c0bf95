"""The one random-state policy of the estimators (docs/api "Random state"): random_state takes
None, an int >= 0, a Generator (used as is) or a RandomState; an int makes fit reproducible;
score never advances a shared generator; invalid values name the parameter."""
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from spreadlab import SpreadGenerator, SpreadICA, SpreadVAE, make_curve, make_ica_data


def _curve():
    return make_curve(120, random_state=0)[0]


ESTIMATORS = {
    "SpreadICA": (lambda rs: SpreadICA(n_components=2, max_iter=5, random_state=rs),
                  lambda: make_ica_data(300, 3, 2, random_state=0)[0], "mixing_"),
    "SpreadGenerator": (lambda rs: SpreadGenerator(1, n_grid=30, max_iter=8, anneal_iter=3,
                                                   n_draws=2, random_state=rs),
                        _curve, "coef_"),
    "SpreadVAE": (lambda rs: SpreadVAE(1, n_hidden=4, max_iter=3, random_state=rs),
                  _curve, "params_"),
}


def _fit(name, rs):
    make, data, _ = ESTIMATORS[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # short fits: not converged, and that is not the point
        return make(rs).fit(data())


def _fitted(name, est):
    value = getattr(est, ESTIMATORS[name][2])
    if isinstance(value, dict):
        return np.concatenate([np.ravel(v) for v in value.values()])
    return np.asarray(value)


@pytest.mark.parametrize("name", ESTIMATORS)
def test_an_int_a_generator_and_a_randomstate_give_reproducible_fits(name):
    a, b = _fitted(name, _fit(name, 7)), _fitted(name, _fit(name, 7))
    np.testing.assert_array_equal(a, b)  # same seed, same arithmetic: bit for bit
    # a Generator is used as is: a fresh one seeded alike gives the int's fit
    np.testing.assert_array_equal(_fitted(name, _fit(name, np.random.default_rng(7))), a)
    # a RandomState seeds a new Generator from one draw: reproducible too
    r1 = _fitted(name, _fit(name, np.random.RandomState(3)))
    r2 = _fitted(name, _fit(name, np.random.RandomState(3)))
    np.testing.assert_array_equal(r1, r2)
    # negative control: another seed gives another fit
    assert not np.array_equal(_fitted(name, _fit(name, 8)), a)


@pytest.mark.parametrize("name", ESTIMATORS)
def test_a_shared_generator_advances_in_fit_but_not_in_score(name):
    rng = np.random.default_rng(0)
    before = rng.bit_generator.state
    est = _fit(name, rng)
    assert rng.bit_generator.state != before  # fit drew from the caller's stream
    after_fit = rng.bit_generator.state
    X = ESTIMATORS[name][1]()
    s1, s2 = est.score(X), est.score(X)
    assert s1 == s2 and np.isfinite(s1)
    assert rng.bit_generator.state == after_fit


@pytest.mark.parametrize("name", ESTIMATORS)
@pytest.mark.parametrize("bad", [-1, 1.5, "seed"])
def test_invalid_random_state_is_refused_naming_the_parameter(name, bad):
    make, data, _ = ESTIMATORS[name]
    with pytest.raises(ValueError, match="random_state"):
        make(bad).fit(data())


def test_stop_reason_is_the_warning_or_the_verdict():
    X = _curve()
    with pytest.warns(ConvergenceWarning) as record:
        gen = SpreadGenerator(1, n_grid=30, max_iter=4, anneal_iter=3, random_state=0).fit(X)
    assert not gen.converged_ and gen.stop_reason_ == str(record[0].message)
    with pytest.warns(ConvergenceWarning) as record:
        vae = SpreadVAE(1, n_hidden=4, max_iter=2, random_state=0).fit(X)
    assert not vae.converged_ and vae.stop_reason_ == str(record[0].message)
