import numpy as np
import pytest

from spreadlab.ica import amari_distance, mixing_error


@pytest.fixture
def rng():
    return np.random.default_rng(7)


def _scaled_permutation(rng, Z):
    return np.eye(Z)[rng.permutation(Z)] * rng.choice([-1, 1], Z) * rng.uniform(0.2, 5.0, Z)


def test_amari_is_zero_for_permuted_scaled_sign_flipped_mixing(rng):
    A = rng.standard_normal((7, 4))
    # A D P: exactly the ICA ambiguities; only rounding of pinv remains
    assert amari_distance(A @ _scaled_permutation(rng, 4), A) < 1e-12


def test_amari_bounds_and_positivity(rng):
    A = rng.standard_normal((6, 3))
    values = [amari_distance(rng.standard_normal((6, 3)), A) for _ in range(50)]
    assert all(0.0 <= d <= 1.0 for d in values)
    assert min(values) > 1e-3  # random matrices are never scaled permutations
    # worst case: A_est^+ A_true = Hadamard matrix, every source equally mixed -> 1
    H = np.array([[1.0, 1.0], [1.0, -1.0]])
    assert amari_distance(np.linalg.inv(H), np.eye(2)) == pytest.approx(1.0, abs=1e-15)


def test_amari_rejects_shape_mismatch():
    with pytest.raises(ValueError, match="one shape"):
        amari_distance(np.eye(3), np.eye(2))


def test_mixing_error_matches_permutation_sign_and_scale(rng):
    A = rng.choice([-1.0, 1.0], size=(8, 4))
    assert mixing_error(A @ _scaled_permutation(rng, 4), A) < 1e-12  # rounding only


def test_mixing_error_value_of_known_perturbation(rng):
    A = rng.choice([-1.0, 1.0], size=(6, 3))
    B = A.copy()
    B[0, 0] *= 1.3  # one entry 30% off; least squares rescales column 0 slightly
    D = np.diag([-2.0, 1.0, 0.5])
    err = mixing_error((B @ D)[:, [2, 0, 1]], A)
    # independent computation: column 0 matched with scale c = b.a / b.b
    c = B[:, 0] @ A[:, 0] / (B[:, 0] @ B[:, 0])
    expected = np.sum(np.abs(c * B[:, 0] - A[:, 0])) / A.size
    assert err == pytest.approx(expected, rel=1e-12)


def test_mixing_error_requires_nonzero_true_entries():
    with pytest.raises(ValueError, match="no zero entries"):
        mixing_error(np.eye(2), np.eye(2))
