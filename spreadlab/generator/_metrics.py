r"""Two checks of a fitted generator: distance to its manifold, and an MMD permutation test.

These are small local tools for this subpackage's tests, notebook and benchmark.
"""
import numpy as np

__all__ = ["mmd_permutation_test"]


def _sqdist(A, B):
    d = np.sum(A * A, axis=1)[:, None] + np.sum(B * B, axis=1)[None, :] - 2.0 * A @ B.T
    return np.maximum(d, 0.0)


def mmd_permutation_test(X, Y, *, bandwidth=None, n_permutations=200, random_state=None):
    r"""Unbiased MMD² with a Gaussian kernel and its permutation p-value.

    .. math:: \widehat{\mathrm{MMD}}^2_u = \frac{1}{m(m-1)}\sum_{i\ne j}k(x_i,x_j)
              + \frac{1}{n(n-1)}\sum_{i\ne j}k(y_i,y_j) - \frac{2}{mn}\sum_{i,j}k(x_i,y_j),
              \qquad k(a,b) = e^{-\|a-b\|^2/2\ell^2}

    The p-value is :math:`(1 + \#\{\text{permuted statistics}\ge\text{observed}\})/(1+B)`
    over ``B = n_permutations`` random relabellings of the pooled sample (Gretton et al.,
    "A kernel two-sample test", JMLR 2012).

    Parameters
    ----------
    X : ndarray of shape (m, n_features)
    Y : ndarray of shape (n, n_features)
    bandwidth : float, default=None
        Kernel length scale :math:`\ell`; ``None`` uses the median pairwise distance of the
        pooled sample.
    n_permutations : int, default=200
    random_state : None, int or numpy.random.Generator, default=None

    Returns
    -------
    mmd2 : float
    p_value : float

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> _, p_same = mmd_permutation_test(rng.normal(size=(100, 2)), rng.normal(size=(100, 2)),
    ...                                  random_state=0)
    >>> _, p_diff = mmd_permutation_test(rng.normal(size=(100, 2)),
    ...                                  rng.normal(1.0, size=(100, 2)), random_state=0)
    >>> bool(p_same > 0.05), bool(p_diff < 0.01)
    (True, True)
    """
    X = np.asarray(X, dtype=float)
    Y = np.asarray(Y, dtype=float)
    if X.ndim != 2 or Y.ndim != 2 or X.shape[1] != Y.shape[1]:
        raise ValueError(f"X and Y must be 2-D with the same number of columns; got shapes "
                         f"{X.shape} and {Y.shape}")
    if X.shape[0] < 2 or Y.shape[0] < 2:
        raise ValueError(f"X and Y need at least 2 rows each; got {X.shape[0]} and {Y.shape[0]}")
    if isinstance(n_permutations, bool) or not isinstance(n_permutations, (int, np.integer)) \
            or n_permutations < 1:
        raise ValueError(f"n_permutations must be a positive integer; got {n_permutations!r}")
    P = np.vstack([X, Y])
    D2 = _sqdist(P, P)
    if bandwidth is None:
        med = np.median(np.sqrt(D2[np.triu_indices_from(D2, k=1)]))
        bandwidth = med if med > 0 else 1.0
    elif not (np.isfinite(bandwidth) and bandwidth > 0):
        raise ValueError(f"bandwidth must be a finite float > 0 or None; got {bandwidth!r}")
    Kmat = np.exp(-0.5 * D2 / bandwidth**2)
    np.fill_diagonal(Kmat, 0.0)
    m, n = X.shape[0], Y.shape[0]

    def stat(labels):
        a, b = labels[:m], labels[m:]
        kxx = Kmat[np.ix_(a, a)].sum() / (m * (m - 1))
        kyy = Kmat[np.ix_(b, b)].sum() / (n * (n - 1))
        kxy = Kmat[np.ix_(a, b)].sum() / (m * n)
        return kxx + kyy - 2.0 * kxy

    rng = np.random.default_rng(random_state)
    observed = stat(np.arange(m + n))
    perm = np.array([stat(rng.permutation(m + n)) for _ in range(n_permutations)])
    return float(observed), float((1 + np.sum(perm >= observed)) / (1 + n_permutations))
