"""Images on a known manifold and the generator metrics: independent checks."""
import numpy as np
import pytest
from scipy.spatial.distance import cdist

from spreadlab.generator import (IMAGE_KINDS, curve_function, distance_to_manifold,
                                 make_images, mmd_permutation_test, nearest_sample_distance,
                                 render_images)


@pytest.fixture(scope="module")
def rng():
    return np.random.default_rng(20)


def test_make_images_is_the_true_generator_applied_to_its_latents():
    for kind in IMAGE_KINDS:
        X, Z = make_images(50, kind=kind, random_state=3)
        assert X.shape == (50, 784) and Z.shape == (50, 2)
        np.testing.assert_array_equal(X, render_images(Z, kind))      # deterministic
        np.testing.assert_array_equal(X, make_images(50, kind=kind, random_state=3)[0])
        assert X.min() >= 0.0 and X.max() <= 1.0


def test_blob_peaks_at_its_position(rng):
    z = rng.uniform(-2, 2, size=(40, 2))
    X = render_images(z, "blob").reshape(-1, 28, 28)
    peak = np.array([np.unravel_index(np.argmax(x), x.shape) for x in X])
    # the centre is 13.5 + 4 z (rows, cols); the brightest pixel is the nearest one
    np.testing.assert_array_equal(peak, np.round(13.5 + 4 * z - 1e-9).astype(int))


def test_bar_angle_from_image_moments(rng):
    """Independent oracle: the principal axis of the intensity-weighted second moments."""
    z = np.column_stack([rng.uniform(-2, 2, 30), rng.uniform(-0.5, 0.5, 30)])
    X = render_images(z, "bar").reshape(-1, 28, 28)
    r, c = np.meshgrid(np.arange(28.0), np.arange(28.0), indexing="ij")
    for x, zz in zip(X, z):
        w = x / x.sum()
        mr, mc = (w * r).sum(), (w * c).sum()
        crr, ccc, crc = (w * (r - mr) ** 2).sum(), (w * (c - mc) ** 2).sum(), (w * (r - mr) * (c - mc)).sum()
        angle = 0.5 * np.arctan2(2 * crc, ccc - crr)   # from the column axis towards the rows
        # pixelation and the finite image bias the moments slightly: 0.03 rad (1.7 degrees)
        assert abs(angle - 0.6 * zz[0]) < 0.03, (angle, 0.6 * zz[0])


def test_distance_to_manifold_along_a_normal_of_the_image_manifold(rng):
    """x = g(z) + delta n with n orthogonal to the tangent plane: the distance is delta (to
    O(delta^2) curvature); points on the manifold are at distance ~0."""
    z = rng.uniform(-1.5, 1.5, size=(20, 2))
    G = render_images(z)
    h = 1e-6
    J = np.stack([(render_images(z + h * e) - render_images(z - h * e)) / (2 * h)
                  for e in np.eye(2)], axis=2)                    # (n, 784, 2)
    n = rng.standard_normal(G.shape)
    for i in range(len(z)):
        q, _ = np.linalg.qr(J[i])
        n[i] -= q @ (q.T @ n[i])
    n /= np.linalg.norm(n, axis=1, keepdims=True)
    delta = 0.05          # the images have norm ~ 3.5: a small step off the manifold
    d = distance_to_manifold(G + delta * n, render_images, 2)
    # a random normal direction sees curvature ~ (tangent step)^2: within 1% of delta
    np.testing.assert_allclose(d, delta, rtol=1e-2)
    assert distance_to_manifold(G, render_images, 2).max() < 1e-6
    # negative control: the grid search alone (no refinement) is measurably worse
    coarse = distance_to_manifold(G, render_images, 2, n_refine=0)
    assert coarse.max() > 1e-3


def test_distance_to_curve_matches_brute_force(rng):
    X = curve_function(rng.standard_normal((30, 1))) + 0.2 * rng.standard_normal((30, 2))
    zz = np.linspace(-4, 4, 400001)[:, None]   # spacing 2e-5
    G = curve_function(zz)
    brute = np.sqrt(cdist(X, G, "sqeuclidean").min(axis=1))
    d = distance_to_manifold(X, curve_function, 1)
    assert np.all(d <= brute + 1e-12)           # never worse than the brute-force grid
    assert np.max(brute - d) < 1e-6             # and the grid is within (2e-5 * |g'|)^2 / d


def _spiral(z):
    """A spiral whose turns lie 0.05 apart (2 pi * 0.05 ~ 0.31 in z per turn of radius ~1)."""
    c = 2 * np.pi * 1.013
    return (1 + 0.05 * z) * np.hstack([np.cos(c * z), np.sin(c * z)])


def test_distance_to_manifold_finds_the_right_turn_of_a_spiral(rng, monkeypatch):
    """Issue 20: where the manifold passes close to itself the nearest search node can lie on
    the wrong turn (nodes 0.126 apart along a turn, turns 0.05 apart); refining from the
    grid's nearest local minima of the distance (one per turn) finds the point's own turn."""
    from spreadlab.generator import _metrics

    X = _spiral(rng.uniform(-3.5, 3.5, (200, 1)))          # exactly on the spiral
    d = distance_to_manifold(X, _spiral, 1, n_search=401)
    assert d.max() < 1e-9                                    # rounding of |x| ~ 1
    # negative control: from the nearest node alone, many points stop on a neighbouring
    # turn, at about the turn spacing 0.05
    monkeypatch.setattr(_metrics, "_N_STARTS", 1)
    d1 = distance_to_manifold(X, _spiral, 1, n_search=401)
    assert np.sum(d1 > 0.01) > 10


def test_distance_to_manifold_with_the_foot_point_on_the_box_boundary():
    """A linear sheet g(z) = A z with coupled columns and |z_i| <= 1: for x = (3, -0.5, 0.5)
    the foot point has z_1 = 1 (held at the bound) and z_2 = b.(x - a)/|b|^2 = 0.718; the
    clipped Gauss-Newton step of the coupled system stalled 1.5e-6 above it."""
    A = np.array([[1.0, 0.9], [0.0, 1.0], [0.0, 0.0]])
    a, b = A[:, 0], A[:, 1]
    x = np.array([3.0, -0.5, 0.5])
    t = b @ (x - a) / (b @ b)
    assert -1 < t < 1                                        # the foot point is on an edge
    exact = np.linalg.norm(x - a - t * b)
    d = distance_to_manifold(x[None], lambda z: z @ A.T, 2, latent_range=1.0, n_search=11)
    assert d[0] == pytest.approx(exact, rel=1e-12, abs=0)


def test_nearest_sample_distance_matches_cdist(rng):
    X, S = rng.standard_normal((70, 5)), rng.standard_normal((300, 5))
    np.testing.assert_allclose(nearest_sample_distance(X, S), cdist(X, S).min(axis=1),
                               rtol=1e-12)


def test_mmd_permutation_test_is_public_and_detects_a_shift(rng):
    a, b = make_images(150, random_state=1)[0], make_images(150, random_state=2)[0]
    c = render_images(np.random.default_rng(3).standard_normal((150, 2)) + 0.7)
    _, p_same = mmd_permutation_test(a, b, random_state=0)
    _, p_shift = mmd_permutation_test(a, c, random_state=0)
    assert p_same > 0.01 and p_shift < 0.01


def _mmd_by_index_sums(X, Y, n_permutations, seed):
    """Reference: the unbiased MMD^2 of every labelling from index sums of the Gram matrix
    (np.ix_ blocks), with the median bandwidth and the same permutation draws."""
    P = np.vstack([X, Y])
    D2 = cdist(P, P, "sqeuclidean")
    K = np.exp(-0.5 * D2 / np.median(np.sqrt(D2[np.triu_indices_from(D2, k=1)])) ** 2)
    np.fill_diagonal(K, 0.0)
    m, n = len(X), len(Y)

    def stat(lab):
        a, b = lab[:m], lab[m:]
        return (K[np.ix_(a, a)].sum() / (m * (m - 1)) + K[np.ix_(b, b)].sum() / (n * (n - 1))
                - 2.0 * K[np.ix_(a, b)].sum() / (m * n))

    rng = np.random.default_rng(seed)
    perm = np.array([stat(rng.permutation(m + n)) for _ in range(n_permutations)])
    return stat(np.arange(m + n)), perm


@pytest.mark.parametrize("shift", [0.0, 0.25, 1.0])
def test_mmd_permutation_test_matches_index_sums(shift):
    """The permutation statistics by one matrix product per block of labellings (issue 20:
    8-10x faster) against the index sums they replaced: same statistic to rounding, and the
    same p-value unless a permuted statistic ties the observed one to within rounding."""
    rng = np.random.default_rng(3)
    X, Y = rng.normal(size=(60, 3)), rng.normal(shift, size=(45, 3))
    mmd2, p = mmd_permutation_test(X, Y, n_permutations=300, random_state=4)
    obs, perm = _mmd_by_index_sums(X, Y, 300, 4)
    # kernel values are <= 1 and each term is a mean of them: rounding ~1e-15 per term
    assert mmd2 == pytest.approx(obs, rel=0, abs=1e-12)
    assert not np.any(np.abs(perm - obs) < 1e-12)          # no tie within rounding ...
    assert p == (1 + np.sum(perm >= obs)) / 301             # ... so the p-values agree exactly


@pytest.mark.parametrize("call,match", [
    (lambda: make_images(10**12), r"n_samples must be an integer <="),
    (lambda: make_images(5, kind="face"), "kind must be one of"),
    (lambda: make_images(5, size=10**6), r"size must be an integer <= 256"),
    (lambda: render_images(np.zeros((2, 3))), r"shape \(n_samples, 2\)"),
    (lambda: distance_to_manifold(np.zeros((2, 2)), curve_function, 1, n_search=10**7),
     "n_search"),
    (lambda: distance_to_manifold(np.zeros((2, 3)), curve_function, 1), "3 columns|2 columns"),
    (lambda: nearest_sample_distance(np.zeros((2, 2)), np.zeros((2, 3))), "samples must have"),
])
def test_hostile_inputs_are_named(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()


@pytest.mark.parametrize("n_refine, err", [(200000, ValueError), (None, TypeError), (-5, ValueError)])
def test_distance_to_manifold_n_refine_is_budgeted_and_named(n_refine, err):
    """Review finding: n_refine=200000 ran on past 20 s; -5 silently skipped the refinement."""
    from spreadlab import curve_function, distance_to_manifold

    with pytest.raises(err, match="n_refine"):
        distance_to_manifold([[0.0, 0.0]], curve_function, 1, n_refine=n_refine)
