"""EM behaviour: the freeze at gamma = 0, the crawl at small gamma, spread EM
recovering A on deterministic data, reproducibility, callback, warnings."""
import warnings

import numpy as np
import pytest

from spreadlab.ica import (ConvergenceWarning, GaussianMixturePrior, SpreadICA, amari_distance,
                           make_ica_data, pca_start)
from spreadlab.ica import _estep as E
from spreadlab.ica._estimator import _m_step, _point_mass_estep


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


@pytest.fixture
def small():
    """Deterministic data, lecture-like but small: N=2000, X=4, Z=2."""
    return make_ica_data(2000, 4, 2, random_state=3)


def test_em_freezes_at_zero_noise_square_mixing(rng):
    X, A, _ = make_ica_data(300, 4, 4, random_state=rng)
    B = A + 0.5 * rng.standard_normal(A.shape)          # any wrong square A
    B1 = _m_step(X, _point_mass_estep(X, B))
    # A_{k+1} = <x s^T><s s^T>^{-1} with s = B^{-1} x is B itself: rounding only
    np.testing.assert_allclose(B1, B, rtol=0, atol=1e-12 * np.abs(B).max())
    assert np.abs(B1 - A).max() > 0.1                    # ... and B is far from the truth


def test_em_step_size_shrinks_like_gamma_squared(rng):
    X, A, _ = make_ica_data(300, 4, 4, random_state=rng)
    B = A + 0.5 * rng.standard_normal(A.shape)
    prior = GaussianMixturePrior.laplace_gsm()
    steps = []
    for g in (1e-2, 1e-3):
        B1 = _m_step(X, E.estep_exact_numpy(E.gaussian_factor(X, B, g**2), prior))
        steps.append(np.linalg.norm(B1 - B) / np.linalg.norm(B))
    # 10x smaller gamma -> 100x smaller EM step. The next-order correction is O(gamma^2) =
    # 1e-4 relative (measured 0.3e-5 .. 6.7e-5 over five seeds): 1e-3 leaves 10x headroom
    assert steps[0] / steps[1] == pytest.approx(100.0, rel=1e-3)


def test_classical_em_stalls_while_spread_em_recovers(small):
    X, A, _ = small
    A0 = pca_start(X, 2, random_state=1)
    d0 = amari_distance(A0, A)
    assert d0 > 0.1  # the start is far from the truth, so recovery means something
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        classical = SpreadICA(2, spread=0.0, noise=1e-3, init=A0, accelerate=None,
                              max_iter=50, tol=0.0, random_state=0).fit(X)
    spread = SpreadICA(2, init=A0, random_state=0).fit(X)
    # classical EM moves by O(gamma^2) = 1e-6 per step: less than 10% of d0 in 50 steps
    assert abs(amari_distance(classical.mixing_, A) - d0) < 0.1 * d0
    # spread EM on the same start: N=2000 gives Amari ~0.01; 0.05 is the target
    assert amari_distance(spread.mixing_, A) < 0.05
    assert spread.converged_ and not classical.converged_


def test_importance_estep_fit_recovers_mixing(small):
    X, A, _ = small
    est = SpreadICA(2, estep="importance", n_draws=50, random_state=1).fit(X)
    assert est.estep_ == "importance"
    assert amari_distance(est.mixing_, A) < 0.05  # same target as above; IS adds MC noise


@pytest.mark.parametrize("kw", [dict(prior="laplace_gsm"), dict()], ids=["exact", "whitened"])
def test_history_is_monotone_within_a_stage_for_exact_estep(small, kw):
    X, _, _ = small
    # finish=None: the spread stage alone (the terminal ML stage has its own objective)
    est = SpreadICA(2, anneal=0, finish=None, random_state=2, **kw).fit(X)
    assert est.estep_ == ("exact" if kw else "whitened")
    h = est.history_
    assert h.shape == (est.n_iter_ + 1,)
    # SQUAREM with backtracking keeps the exact objective non-decreasing; 1e-9
    # allows rounding of a mean over 2000 log-likelihoods of size ~10
    assert np.all(np.diff(h) > -1e-9)


def test_same_seed_gives_identical_fit(small):
    X, _, _ = small
    kw = dict(estep="importance", n_draws=20, max_iter=5, tol=0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        a = SpreadICA(2, random_state=5, **kw).fit(X).mixing_
        b = SpreadICA(2, random_state=5, **kw).fit(X).mixing_
        c = SpreadICA(2, random_state=6, **kw).fit(X).mixing_
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)  # the seed matters, so equality above is meaningful


@pytest.mark.filterwarnings("ignore::spreadlab.ica.ConvergenceWarning")
@pytest.mark.parametrize("estep", ["exact", "importance"])
def test_fit_is_identical_whatever_the_thread_count(small, estep):
    numba = pytest.importorskip("numba")
    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("needs at least two Numba threads")
    X, _, _ = small
    kw = dict(prior="laplace_gsm", estep=estep, n_draws=20, random_state=9, max_iter=8, tol=0.0)
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = SpreadICA(2, **kw).fit(X).mixing_
        numba.set_num_threads(2)
        two = SpreadICA(2, **kw).fit(X).mixing_
    finally:
        numba.set_num_threads(before)
    assert np.array_equal(one, two)  # bitwise: fixed chunking fixes the summation order


def test_numpy_backend_matches_numba_backend(small):
    X, _, _ = small
    kw = dict(estep="importance", n_draws=10, random_state=4, max_iter=3, tol=0.0, anneal=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        a = SpreadICA(2, backend="numba", **kw).fit(X).mixing_
        b = SpreadICA(2, backend="numpy", **kw).fit(X).mixing_
    # a few EM steps amplify 1e-15 summation-order differences only mildly
    np.testing.assert_allclose(a, b, rtol=1e-9)


def test_callback_returning_true_stops_training(small):
    X, _, _ = small
    seen = []

    def cb(est, it, objective):
        seen.append((it, objective, est.mixing_.copy()))
        return it == 3

    est = SpreadICA(2, callback=cb, random_state=0, tol=0.0).fit(X)
    assert est.n_iter_ == 3 and len(seen) == 3
    assert np.isfinite(seen[-1][1])
    np.testing.assert_array_equal(seen[-1][2], est.mixing_)


def test_non_convergence_warns_with_numbers(small):
    X, _, _ = small
    with pytest.warns(ConvergenceWarning, match=r"max_iter=2 iterations per stage: stage 1 "
                      r"\(spread 0.5\): 2 iterations, last relative step \d.*observed rate "):
        # finish=None: the spread stages carry tol themselves (before the terminal stage
        # they stop at the looser basin tolerance max(tol, 0.03))
        est = SpreadICA(2, max_iter=2, tol=0.0, anneal=1, finish=None, random_state=0).fit(X)
    assert not est.converged_ and est.stage_converged_ == [False, False]


def test_transform_inverse_transform_round_trip(small):
    X, A, S = small
    est = SpreadICA(2, random_state=0).fit(X)
    S_hat = est.transform(X)
    assert S_hat.shape == (X.shape[0], 2)
    # components_ = pinv(mixing_), so mixing then unmixing is the identity (rounding)
    np.testing.assert_allclose(est.transform(est.inverse_transform(S)), S, atol=1e-10)
    # X is only approximately in the span of the estimated A: error ~ the estimation error
    resid = est.inverse_transform(S_hat) - X
    assert np.abs(resid).max() < 0.1 * np.abs(X).max()
    # recovered sources correlate with the true ones up to order and sign
    corr = np.abs(np.corrcoef(S_hat.T, S.T)[:2, 2:])
    assert np.all(corr.max(axis=1) > 0.99)


@pytest.mark.parametrize("kw", [dict(), dict(prior="laplace_gsm")], ids=["whitened", "exact"])
def test_score_prefers_the_fitted_model(small, kw):
    X = make_ica_data(2000, 2, 2, random_state=3)[0]   # square: densities of x comparable
    kw = dict(kw, anneal=2)                               # same spreads for both models
    est = SpreadICA(2, random_state=0, **kw).fit(X)
    good = est.score(X)
    # a model fitted to data mixed by another matrix explains X worse
    B = np.array([[1.0, 0.6], [0.2, 1.0]])
    est_bad = SpreadICA(2, random_state=0, **kw).fit(X @ B.T)
    assert np.isfinite(good) and good > est_bad.score(X)


def test_score_is_deterministic_and_leaves_no_scratch_state(small):
    X, _, _ = small
    for kw in (dict(), dict(estep="importance", n_draws=20, max_iter=3)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            est = SpreadICA(2, random_state=0, **kw).fit(X)
        before = dict(vars(est))
        a, b = est.score(X), est.score(X)
        assert a == b                                   # same draws every call
        assert set(vars(est)) == set(before)            # nothing added or removed
        assert all(vars(est)[k] is before[k] for k in before)


def test_sklearn_clone_and_params():
    sklearn_base = pytest.importorskip("sklearn.base")
    est = SpreadICA(3, spread=0.5, n_draws=7)
    twin = sklearn_base.clone(est)
    assert twin.get_params() == est.get_params() and twin is not est
    with pytest.raises(ValueError, match="Invalid parameter 'sigma' for estimator SpreadICA"):
        est.set_params(sigma=1.0)


def test_singular_start_raises_instead_of_returning_nans(small):
    X, _, _ = small
    with pytest.raises(np.linalg.LinAlgError, match=r"A\^T A is singular .* try a larger spread"):
        SpreadICA(2, init=np.ones((4, 2)), prior="laplace_gsm", random_state=0).fit(X)


@pytest.mark.filterwarnings("ignore::spreadlab.ica.ConvergenceWarning")
def test_verbose_shows_progress_bar(small, capsys):
    X, _, _ = small
    SpreadICA(2, verbose=True, max_iter=2, tol=0.0, random_state=0).fit(X)
    err = capsys.readouterr().err
    assert "SpreadICA" in err and "objective=" in err
