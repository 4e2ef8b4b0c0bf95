"""The honest stopping rule, and what spread EM becomes as sigma -> 0.

* A stalled EM (classical EM at small gamma) runs to max_iter, is not
  ``converged_`` and warns with its numbers; a converging one stops.
* To first order in sigma^2 an EM step is the gradient of the noiseless
  log-likelihood preconditioned by <s s^T>^{-1}, with step sigma^2.
"""
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from spreadlab.ica import GaussianMixturePrior, SpreadICA, amari_distance, make_ica_data
from spreadlab.ica import _estep as E
from spreadlab.ica._estimator import _distance_to_fixed_point, _m_step


@pytest.fixture(scope="module")
def lecture_small():
    return make_ica_data(2000, 8, 4, random_state=7)


def test_distance_estimate_matches_a_linear_iteration():
    # oracle: x_{k+1} = x* + rho (x_k - x*) has steps e_k = rho^k e_0 and remaining
    # distance e_0 / (1 - rho) from x_0, exactly
    rho, e0 = 0.9, 1e-3
    r, d = _distance_to_fixed_point(e0, rho * e0)
    assert r == pytest.approx(rho, rel=1e-12)
    assert d == pytest.approx(e0 / (1 - rho), rel=1e-12)
    # a rate 1 - 1e-8 measured from steps of 1e-10 is below round-off (3e-15 / 1e-10 =
    # 3e-5): such a "stall" must never be reported as a finite distance
    assert _distance_to_fixed_point(1e-10, 1e-10 * (1 - 1e-8))[1] == np.inf
    assert _distance_to_fixed_point(1e-3, 2e-3)[1] == np.inf      # expanding
    assert _distance_to_fixed_point(0.0, 0.0)[1] == np.inf        # frozen exactly


def test_stalled_classical_em_runs_to_max_iter_and_warns_issue_10(lecture_small):
    # the issue's example: plain classical EM at gamma = 1e-2 used to stop after one
    # iteration with converged_=True at the Amari distance it started from
    X, A, _ = lecture_small
    with pytest.warns(ConvergenceWarning, match=r"stage 1 \(spread 0\): 30 iterations, last "
                      r"relative step .*observed rate 0\.99.*estimated distance"):
        est = SpreadICA(4, spread=0.0, noise=1e-2, accelerate=None, max_iter=30,
                        random_state=0).fit(X)
    assert est.n_iter_ == 30 and not est.converged_
    assert amari_distance(est.mixing_, A) > 0.1  # indeed still far from the truth


def test_frozen_squarem_classical_em_is_not_converged(lecture_small):
    # at gamma = 1e-4 the EM rate is 1 - O(1e-8): SQUAREM cannot extrapolate it
    X, A, _ = lecture_small
    with pytest.warns(ConvergenceWarning, match="estimated distance to the fixed point inf"):
        est = SpreadICA(4, spread=0.0, noise=1e-4, max_iter=20, random_state=0).fit(X)
    assert not est.converged_ and est.n_iter_ == 20


def test_squarem_rescues_classical_em_at_gamma_1e_2(lecture_small):
    # positive control: a genuinely converging classical EM stops with converged_=True
    X, A, _ = lecture_small
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est = SpreadICA(4, spread=0.0, noise=1e-2, max_iter=300, random_state=0).fit(X)
    assert est.converged_ and est.n_iter_ < 300
    assert amari_distance(est.mixing_, A) < 0.05


def test_every_stage_of_the_default_fit_converges(lecture_small):
    X, A, _ = lecture_small
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est = SpreadICA(4, random_state=0).fit(X)
    # default: one spread stage (into the basin), then the terminal noiseless-ML stage
    assert est.converged_ and est.stage_converged_ == [True] and est.ml_stage_["converged"]
    assert est.ml_stage_["distance"] < est.tol
    assert est.ml_stage_["smoothing"][-1] == 1e-3


def test_every_stage_of_the_data_chosen_schedule_converges(lecture_small):
    X, A, _ = lecture_small
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est = SpreadICA(4, finish=None, random_state=0).fit(X)
    assert est.converged_ and all(est.stage_converged_) and est.ml_stage_ is None
    assert len(est.stage_converged_) == len(est.spread_schedule_) >= 3
    # the schedule went below the starting spread by at least two halvings
    assert est.spread_ <= est.spread_schedule_[0] / 4


def _loglik_gradient(A, X, prior):
    """Gradient of the noiseless mean log-likelihood -log|det A| + <sum_i log p(s_i)>,
    s = A^{-1} x, for square A: -A^{-T} (I + <phi(s) s^T>), phi = (log p)'."""
    S = np.linalg.solve(A, X.T).T
    comp = (np.log(prior.weights) - 0.5 * np.log(2 * np.pi * prior.variances)
            - 0.5 * (S[..., None] - prior.means) ** 2 / prior.variances)
    r = np.exp(comp - comp.max(-1, keepdims=True))
    r /= r.sum(-1, keepdims=True)
    phi = np.sum(r * (prior.means - S[..., None]) / prior.variances, axis=-1)
    Z = A.shape[1]
    return -np.linalg.inv(A).T @ (np.eye(Z) + phi.T @ S / S.shape[0]), S


def test_em_step_is_sigma2_times_preconditioned_gradient_as_sigma_goes_to_0():
    # oracle: the closed-form gradient of the noiseless log-likelihood (no EM code)
    rng = np.random.default_rng(11)
    X, A, _ = make_ica_data(3000, 3, 3, random_state=rng)
    B = A + 0.3 * rng.standard_normal(A.shape)            # a wrong mixing matrix
    prior = GaussianMixturePrior.laplace_gsm()            # smooth score phi
    grad, S = _loglik_gradient(B, X, prior)
    C = S.T @ S / S.shape[0]
    predicted = grad @ np.linalg.inv(C)
    errs = {}
    for sigma in (1e-2, 3e-3):
        gf = E.gaussian_factor(X, B, sigma**2)
        step = (_m_step(X, E.estep_exact_numpy(gf, prior)) - B) / sigma**2
        errs[sigma] = np.linalg.norm(step - predicted) / np.linalg.norm(predicted)
    # first order: the remainder is O(sigma^2) relative (1e-4 at sigma = 1e-2, times a
    # constant measured near 1); 1e-2 and 1e-3 leave 10x headroom
    assert errs[1e-2] < 1e-2 and errs[3e-3] < 1e-3
    # ... and it shrinks like sigma^2: (1e-2 / 3e-3)^2 = 11.1; 6-20 allows the next order
    assert 6 < errs[1e-2] / errs[3e-3] < 20
    # negative control: the plain gradient (without <ss^T>^{-1}) is not the EM step
    plain = np.linalg.norm(step - grad) / np.linalg.norm(grad)
    assert plain > 0.05
