"""Errors of an estimated mixing matrix, invariant to the ICA ambiguities."""
import math

import numpy as np
from scipy.optimize import linear_sum_assignment

from .._validation import as_float_array

__all__ = ["amari_distance", "mixing_error"]


def _check_pair(A_est, A_true):
    A_est = as_float_array(A_est, "A_est")
    A_true = as_float_array(A_true, "A_true")
    if A_est.ndim != 2 or A_est.shape != A_true.shape:
        raise ValueError(
            "A_est and A_true must be 2-D arrays of one shape (n_features, n_sources); "
            f"got {A_est.shape} and {A_true.shape}"
        )
    return A_est, A_true


def _unit_columns(A):
    """``A`` with each column divided by its largest absolute entry (zero columns stay zero).

    Both errors are invariant to rescaling columns, and after this no product or
    pseudo-inverse of entries near 1e-320 or 1e308 underflows or overflows."""
    top = np.max(np.abs(A), axis=0)
    return np.divide(A, top, out=np.zeros_like(A), where=top > 0)


def amari_distance(A_est, A_true):
    r"""Normalised Amari distance between two mixing matrices.

    Each column of both matrices is first divided by its largest absolute
    entry (:math:`\hat A`, :math:`\bar A`), so the distance does not depend
    on the arbitrary scale ICA gives each estimated source (the raw Amari
    index of :math:`A_{\mathrm{est}}^{+}A_{\mathrm{true}}` does: rescaling a
    column of :math:`A_{\mathrm{est}}` rescales a row of :math:`P` and
    changes the column-normalised sum unless :math:`P` is a scaled
    permutation).  With :math:`P = \hat A^{+}\bar A` (:math:`Z\times Z`),

    .. math::
        d = \frac{1}{2Z(Z-1)}\Big[\sum_i\Big(\frac{\sum_j |P_{ij}|}{\max_j |P_{ij}|}-1\Big)
            + \sum_j\Big(\frac{\sum_i |P_{ij}|}{\max_i |P_{ij}|}-1\Big)\Big],

    which lies in [0, 1] and is 0 exactly when :math:`P` is a scaled
    permutation, i.e. when the sources are recovered up to order, sign and
    scale.

    Parameters
    ----------
    A_est, A_true : array-like of shape (n_features, n_sources)
        Estimated and true mixing matrices.

    Returns
    -------
    float

    References
    ----------
    S. Amari, A. Cichocki, H. Yang, "A new learning algorithm for blind
    signal separation", NIPS 1996.

    Examples
    --------
    >>> import numpy as np
    >>> from spreadlab.ica import amari_distance
    >>> A = np.array([[1.0, 1.0], [1.0, -1.0], [0.5, 2.0]])
    >>> print(f"{amari_distance(-3.0 * A[:, ::-1], A):.12f}")
    0.000000000000
    >>> B = A @ np.array([[1.0, 0.3], [0.0, 1.0]])
    >>> print(f"{amari_distance(B, A):.12f} {amari_distance(B * [1.0, 1e3], A):.12f}")
    0.072383720930 0.072383720930
    """
    A_est, A_true = _check_pair(A_est, A_true)
    Z = A_true.shape[1]
    if Z < 2:
        return 0.0
    # unit columns (the definition above) also keep tiny (even subnormal) or huge
    # matrices from underflowing or overflowing in the pseudo-inverse
    A_est, A_true = _unit_columns(A_est), _unit_columns(A_true)
    if not (np.all(np.any(A_est, axis=0)) and np.all(np.any(A_true, axis=0))):
        return 1.0  # a zero column: a lost source, maximal distance
    P = np.abs(np.linalg.pinv(A_est) @ A_true)
    row_max = P.max(axis=1)
    col_max = P.max(axis=0)
    if np.any(row_max == 0) or np.any(col_max == 0):
        return 1.0  # a lost source: maximal distance
    rows = np.sum(P.sum(axis=1) / row_max - 1.0)
    cols = np.sum(P.sum(axis=0) / col_max - 1.0)
    return float((rows + cols) / (2.0 * Z * (Z - 1)))


def mixing_error(A_est, A_true):
    r"""Mean relative error of the entries of a mixing matrix (paper, Fig. 1).

    Columns of ``A_est`` are first matched to columns of ``A_true``: each
    estimated column :math:`\hat a` is rescaled (including its sign) by the
    least-squares factor :math:`c = \hat a^\top a / \hat a^\top \hat a`, and
    the permutation minimising the total error is found with
    :func:`scipy.optimize.linear_sum_assignment`.  The error is then

    .. math:: \frac{1}{XZ}\sum_{ij} \frac{|c_j \hat A_{i\pi(j)} - A_{ij}|}{|A_{ij}|}.

    Parameters
    ----------
    A_est, A_true : array-like of shape (n_features, n_sources)
        Estimated and true mixing matrices; ``A_true`` must have no zero
        entries (the paper uses :math:`A_{ij}\in\{\pm 1\}`).

    Returns
    -------
    float

    References
    ----------
    M. Zhang, P. Hayes, T. Bird, R. Habib, D. Barber, "Spread Divergence",
    ICML 2020, Fig. 1.

    Examples
    --------
    >>> import numpy as np
    >>> from spreadlab.ica import mixing_error
    >>> A = np.array([[1.0, -1.0], [1.0, 1.0], [-1.0, 1.0]])
    >>> mixing_error(-2.0 * A[:, ::-1], A)
    0.0
    """
    A_est, A_true = _check_pair(A_est, A_true)
    if np.any(A_true == 0):
        raise ValueError("A_true must have no zero entries for a relative error")
    # invariant to rescaling any column of either matrix (c absorbs A_est's, the ratio
    # A_true's): unit columns keep the sums of products below inf
    A_est, A_true = _unit_columns(A_est), _unit_columns(A_true)
    num = np.einsum("ia,ib->ab", A_est, A_true)  # (est col a, true col b)
    den = np.sum(A_est**2, axis=0)[:, None]
    c = np.divide(num, den, out=np.zeros_like(num), where=den > 0)
    # cost[a, b] = mean_i |c_ab * A_est[i, a] - A_true[i, b]| / |A_true[i, b]|
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        cost = np.mean(
            np.abs(c[None, :, :] * A_est[:, :, None] - A_true[:, None, :]) / np.abs(A_true[:, None, :]),
            axis=0,
        )
    # an entry of A_true below 1e-308 times its column's largest has a relative error
    # beyond the float range (or 0/0 once it underflows): such a pairing is never the best
    cost[~np.isfinite(cost)] = np.inf
    try:
        rows, cols = linear_sum_assignment(cost)
        error = float(cost[rows, cols].mean())
    except ValueError:  # "cost matrix is infeasible": every pairing is beyond the float range
        error = math.inf
    if not math.isfinite(error):
        raise ValueError(
            "A_true has entries so small relative to the largest of their column that the "
            "relative error of A_est exceeds the float range; got A_true with min |entry| / "
            f"max |entry| = {np.min(np.abs(A_true)):.3g} after scaling each column to 1"
        )
    return error
