"""The grid E-step of SpreadGenerator: Numba kernel vs NumPy reference vs a direct double loop."""
import math

import numpy as np
import pytest
from scipy import integrate, stats

from spreadlab.generator import _basis, _estep


def _problem(seed, N=37, K=23, D=5, scale=1.0):
    rng = np.random.default_rng(seed)
    Y = rng.standard_normal((N, D)) * scale
    G = rng.standard_normal((K, D)) * scale
    logw = rng.standard_normal(K)
    logw -= np.logaddexp.reduce(logw)
    return Y, G, logw


def _double_loop(Y, G, logw, var):
    """Independent oracle: plain Python loops, max-shifted sum of exponentials."""
    N, D = Y.shape
    R = np.empty((N, G.shape[0]))
    ll = np.empty(N)
    for n in range(N):
        a = [logw[k] - sum((Y[n, d] - G[k, d]) ** 2 for d in range(D)) / (2 * var)
             for k in range(G.shape[0])]
        m = max(a)
        s = sum(math.exp(v - m) for v in a)
        R[n] = [math.exp(v - m) / s for v in a]
        ll[n] = m + math.log(s) - 0.5 * D * math.log(2 * math.pi * var)
    return R, ll


@pytest.mark.parametrize("var", [1.0, 1e-2, 1e-6])
def test_numpy_reference_matches_double_loop(var):
    Y, G, logw = _problem(0)
    R, ll = _estep.estep_numpy(Y, G, logw, var, block=8)  # small blocks: exercise the seams
    R0, ll0 = _double_loop(Y, G, logw, var)
    # same formula, different summation order: a few ulps of the largest term; at var=1e-6
    # the exponents are ~1e6, so the absolute log-likelihood tolerance scales with 1/var
    np.testing.assert_allclose(R, R0, rtol=0, atol=1e-12)
    np.testing.assert_allclose(ll, ll0, rtol=1e-13, atol=1e-13 / var)


@pytest.mark.parametrize("seed,var", [(1, 1.0), (2, 0.05), (3, 1e-8)])
def test_numba_kernel_matches_numpy_reference(seed, var):
    Y, G, logw = _problem(seed, N=301, K=97, D=7)
    R, ll = _estep.estep_numba(Y, G, logw, var)
    R0, ll0 = _estep.estep_numpy(Y, G, logw, var)
    # both form the squared distances from differences in the same order and normalise in
    # log space; only the log-sum-exp summation order differs (relative 1e-15 per term)
    np.testing.assert_allclose(R, R0, rtol=0, atol=1e-12)
    np.testing.assert_allclose(ll, ll0, rtol=1e-12, atol=1e-12)


def _stats_reference(Y, G, logw, var):
    """Sufficient statistics from the NumPy responsibilities, whole (no blocks, no chunks)."""
    R, ll = _estep.estep_numpy(Y, G, logw, var)
    return R.sum(axis=0), R.T @ Y, ll, float(np.mean(1.0 / np.sum(R * R, axis=1))), R


@pytest.mark.parametrize("seed,N,K,D,var", [(11, 301, 97, 7, 1.0), (12, 1000, 50, 3, 1e-8),
                                            (13, 5, 200, 64, 0.05), (14, 40, 30, 2, 0.3)])
def test_fused_numba_statistics_match_numpy_reference(seed, N, K, D, var):
    """The fused kernel (no responsibility matrix, chunked sums) against the NumPy route and
    against sums of the reference responsibilities; N=5 has fewer points than chunks."""
    Y, G, logw = _problem(seed, N=N, K=K, D=D)
    Rk, RtY, ll, n_eff = _estep.estep_stats(Y, G, logw, var, "numba")
    Rk0, RtY0, ll0, n_eff0, R = _stats_reference(Y, G, logw, var)
    # sums of positive terms in another order: relative 1e-12 (N * eps at most, N <= 1000);
    # a tiny r_nk = exp(a) carries the rounding of its exponent a (~ eps |a|, |a| up to 1e3),
    # which the kernel forms as log w - (0.5 / var) d2 and NumPy as log w - 0.5 d2 / var: an
    # absolute 1e-12 on probabilities that sum to 1 per point, as in the test above
    np.testing.assert_allclose(Rk, Rk0, rtol=1e-12, atol=1e-12)
    # sum_n r_nk y_nd cancels (y of both signs): the bound is 1e-12 times sum_n r_nk |y_nd|
    # (summation) plus sum_n |y_nd| times the absolute 1e-12 on each r_nk above
    bound = 1e-12 * (R.T @ np.abs(Y) + np.abs(Y).sum(axis=0))
    np.testing.assert_array_less(np.abs(RtY - RtY0), bound)
    np.testing.assert_allclose(ll, ll0, rtol=1e-12, atol=1e-12)
    assert n_eff == pytest.approx(n_eff0, rel=1e-12)
    # the blocked NumPy route of estep_stats (small blocks: its seams) agrees as well
    Rk1, RtY1, ll1, n_eff1 = _estep.estep_stats(Y, G, logw, var, "numpy", max_entries=3 * K)
    np.testing.assert_allclose(Rk1, Rk0, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_less(np.abs(RtY1 - RtY0), bound)
    np.testing.assert_array_equal(ll1, ll0)
    assert n_eff1 == pytest.approx(n_eff0, rel=1e-12)


def test_fused_statistics_detect_a_wrong_variance():
    """Negative control: the tolerances above see a 1e-6 relative change of var."""
    Y, G, logw = _problem(15, N=301, K=97, D=7)
    Rk, RtY, _, _ = _estep.estep_stats(Y, G, logw, 0.3, "numba")
    Rk0, RtY0, _, _, R = _stats_reference(Y, G, logw, 0.3 * (1 + 1e-6))
    with pytest.raises(AssertionError):
        np.testing.assert_allclose(Rk, Rk0, rtol=1e-12, atol=1e-12)
    with pytest.raises(AssertionError):
        np.testing.assert_array_less(np.abs(RtY - RtY0),
                                     1e-12 * (R.T @ np.abs(Y) + np.abs(Y).sum(axis=0)))


def test_fused_statistics_do_not_depend_on_the_thread_count():
    """The chunks are fixed by the data's size, not by the threads: bit-identical results."""
    from spreadlab._numba import limit_threads

    Y, G, logw = _problem(16, N=997, K=61, D=4)
    many = _estep.estep_stats(Y, G, logw, 0.2, "numba")
    with limit_threads(1):
        one = _estep.estep_stats(Y, G, logw, 0.2, "numba")
    for a, b in zip(many, one):
        np.testing.assert_array_equal(a, b)


def test_comparison_detects_a_wrong_variance():
    """Negative control: the tolerance above is tight enough to see a 1e-6 change of var."""
    Y, G, logw = _problem(4)
    R, ll = _estep.estep_numba(Y, G, logw, 0.3)
    _, ll0 = _estep.estep_numpy(Y, G, logw, 0.3 * (1 + 1e-6))
    assert np.max(np.abs(ll - ll0)) > 1e-9


def test_tiny_spread_stays_finite_and_hardens():
    """sigma -> 0: responsibilities become one-hot at the nearest node, never NaN."""
    Y, G, logw = _problem(5)
    Y = Y + 3.0  # far from every node
    var = 1e-12
    for fn in (_estep.estep_numba, _estep.estep_numpy):
        R, ll = fn(Y, G, logw, var)
        assert np.all(np.isfinite(R)) and np.all(np.isfinite(ll))
        d2 = np.sum((Y[:, None] - G[None]) ** 2, axis=2)
        nearest = np.argmin(d2, axis=1)
        np.testing.assert_array_equal(np.argmax(R, axis=1), nearest)
        assert np.min(R.max(axis=1)) > 1 - 1e-12
        # the log-likelihood is the nearest node's term: -d^2/(2 var) + log w - D/2 log(2 pi var)
        expected = (logw[nearest] - d2[np.arange(len(Y)), nearest] / (2 * var)
                    - 0.5 * Y.shape[1] * math.log(2 * math.pi * var))
        np.testing.assert_allclose(ll, expected, rtol=1e-12)


def test_latent_grid_weights_are_normal_cell_masses():
    nodes, logw, h = _basis.latent_grid(1, 9, 2.0)
    # oracle: quadrature of the standard normal density over each cell, renormalised
    masses = np.array([integrate.quad(stats.norm.pdf, z - h / 2, z + h / 2)[0] for z in nodes[:, 0]])
    np.testing.assert_allclose(np.exp(logw), masses / masses.sum(), rtol=1e-10)  # quad ~1e-14
    nodes2, logw2, _ = _basis.latent_grid(2, 9, 2.0)
    # the 2-D weights are products of the 1-D ones (independent axes)
    np.testing.assert_allclose(np.exp(logw2).reshape(9, 9), np.outer(np.exp(logw), np.exp(logw)),
                               rtol=1e-12)
    assert nodes2.shape == (81, 2)


def test_rbf_design_columns():
    z = np.array([[0.3, -0.2]])
    c = np.array([[0.0, 0.0], [1.0, 1.0]])
    Phi = _basis.rbf_design(z, c, 0.5)
    expected = [math.exp(-0.5 * (0.09 + 0.04) / 0.25), math.exp(-0.5 * (0.49 + 1.44) / 0.25),
                0.3, -0.2, 1.0]
    np.testing.assert_allclose(Phi[0], expected, rtol=1e-14)


def _run(code, **env):
    import os
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, **env}, timeout=300)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_import_is_light_and_estimators_load_on_first_use():
    out = _run("import sys, spreadlab, spreadlab.generator; "
               "a = ('sklearn' in sys.modules, 'numba' in sys.modules); "
               "spreadlab.SpreadGenerator; "
               "print(*a, 'sklearn' in sys.modules, 'numba' in sys.modules)")
    # nothing heavy at import; scikit-learn (not Numba) once the class is touched
    assert out == "False False True False"


def test_numba_cache_falls_back_when_its_directory_is_unwritable(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache directory should be")
    code = "from spreadlab.generator import _kernels; print(_kernels.CACHE_ENABLED)"
    assert _run(code, NUMBA_CACHE_DIR=str(blocker / "cache")) == "False"
    assert _run(code, NUMBA_CACHE_DIR=str(tmp_path / "ok")) == "True"  # positive control
