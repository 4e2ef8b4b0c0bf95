r"""Checks of a fitted generator against a known truth and against held-out data.

* :func:`distance_to_manifold` -- distance of points to the image of a known generator
  (precision of samples, error of reconstructions);
* :func:`nearest_sample_distance` -- distance of held-out points to the nearest model sample
  (coverage: a model that drops part of the data is far from it);
* :func:`mmd_permutation_test` -- unbiased MMD with a Gaussian kernel and its permutation
  p-value, self-contained (the package-wide test with kernel choices is
  :func:`spreadlab.two_sample_test`).

None of them involves an encoder or a likelihood estimate, so none can confound the
generator with an inference network.
"""
import numpy as np

from .._validation import as_count, as_float_array

__all__ = ["distance_to_manifold", "nearest_sample_distance", "mmd_permutation_test"]

# budgets: search-grid nodes, and numbers held by one block of squared distances
_MAX_SEARCH = 2**20
_BLOCK_ENTRIES = 2**22
# entries beyond this overflow squared distances; permutations and pooled points for the MMD
_MAX_ABS = 1e150
_MAX_PERMUTATIONS = 10**5
_MAX_POOLED = 2**13


def _as_points(X, name, n_features=None):
    X = as_float_array(X, name)   # the package's checks: type, overflow, NaN/inf named
    if X.ndim != 2 or X.shape[0] < 1 or not np.all(np.isfinite(X)):
        raise ValueError(f"{name} must be a finite 2-D array with at least one row; got shape "
                         f"{X.shape}")
    if X.size and np.max(np.abs(X)) > _MAX_ABS:
        raise ValueError(f"{name} must have entries of magnitude <= {_MAX_ABS:g} (squared "
                         f"distances must stay finite); got {np.max(np.abs(X)):.3g}")
    if n_features is not None and X.shape[1] != n_features:
        raise ValueError(f"{name} must have {n_features} columns; got {X.shape[1]}")
    return X


def _nearest(X, G):
    """Index of the nearest row of G for each row of X (BLAS expansion, in blocks)."""
    g2 = np.sum(G * G, axis=1)
    out = np.empty(X.shape[0], dtype=np.intp)
    block = max(1, _BLOCK_ENTRIES // max(G.shape[0], 1))
    for s in range(0, X.shape[0], block):
        xb = X[s:s + block]
        out[s:s + block] = np.argmin(g2[None, :] - 2.0 * xb @ G.T, axis=1)
    return out


def distance_to_manifold(X, generator, n_latent, *, latent_range=4.0, n_search=None,
                         n_refine=30):
    r"""Distance of each point to the manifold :math:`\{g(z): z\in[-r, r]^Z\}` of a known generator.

    .. math:: d(x) = \min_{z\in[-r,r]^Z}\|x - g(z)\|

    found by a search on a regular latent grid (nearest image) followed by damped
    Gauss--Newton (Levenberg--Marquardt) steps with a central finite-difference Jacobian,
    each step kept only if it lowers the distance, so the result is never worse than the
    grid search and is exact at a foot point where :math:`g` is smooth.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Points (e.g. model samples or reconstructions); entries of magnitude <= 1e150.
    generator : callable
        ``generator(Z)`` maps an array of shape (m, n_latent) to shape (m, n_features), e.g.
        :func:`curve_function`, :func:`sheet_function` or :func:`render_images`.
    n_latent : int
        Latent dimension Z.
    latent_range : float, default=4.0
        Half-width r of the latent box searched (4 covers all but 6e-5 of N(0, 1)).
    n_search : int, default=None
        Search-grid nodes per axis; ``None``: 4001 for Z = 1, 161 for Z = 2, 31 for Z = 3.
    n_refine : int, default=30
        Gauss--Newton steps.

    Returns
    -------
    ndarray of shape (n_samples,)

    Examples
    --------
    >>> import numpy as np
    >>> from spreadlab.generator import curve_function
    >>> x = curve_function([[0.3]]) + np.array([[0.0, 0.1]])
    >>> bool(distance_to_manifold(x, curve_function, 1)[0] < 0.1)
    True
    """
    X = _as_points(X, "X")
    if isinstance(n_latent, bool) or not isinstance(n_latent, (int, np.integer)) or n_latent < 1:
        raise ValueError(f"n_latent must be a positive integer; got {n_latent!r}")
    n_refine = as_count(n_refine, "n_refine", 0, 1000)
    if isinstance(latent_range, bool) or not isinstance(latent_range, (int, float, np.floating, np.integer)) \
            or not 0 < latent_range <= 1e6:
        raise ValueError(f"latent_range must be a float in (0, 1e6]; got {latent_range!r:.80}")
    n = n_search if n_search is not None else {1: 4001, 2: 161}.get(int(n_latent), 31)
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 2 \
            or float(n) ** n_latent > _MAX_SEARCH:
        raise ValueError(f"n_search must be an integer >= 2 with n_search**n_latent <= "
                         f"{_MAX_SEARCH}; got n_search={n!r}, n_latent={n_latent}")
    Zd, r = int(n_latent), float(latent_range)
    axis = np.linspace(-r, r, int(n))
    mesh = np.meshgrid(*([axis] * Zd), indexing="ij")
    S = np.stack([m.ravel() for m in mesh], axis=1)
    GS = _as_points(generator(S), "generator(Z)", X.shape[1])
    z = S[_nearest(X, GS)]
    h = 1e-5 * max(r, 1.0)

    def sq(zz):
        d = generator(zz) - X
        return np.sum(d * d, axis=1), d

    f, res = sq(z)
    lam = np.full(X.shape[0], 1e-6)
    for _ in range(n_refine):
        J = np.empty((X.shape[0], X.shape[1], Zd))
        for i in range(Zd):
            e = np.zeros(Zd)
            e[i] = h
            J[:, :, i] = (generator(np.clip(z + e, -r - h, r + h))
                          - generator(np.clip(z - e, -r - h, r + h))) / (2 * h)
        JtJ = np.einsum("ndi,ndj->nij", J, J)
        g = np.einsum("ndi,nd->ni", J, res)
        scale = np.trace(JtJ, axis1=1, axis2=2) / Zd + 1e-300
        A = JtJ + (lam * scale)[:, None, None] * np.eye(Zd)
        step = np.linalg.solve(A, g[..., None])[..., 0]
        z_new = np.clip(z - step, -r, r)
        f_new, res_new = sq(z_new)
        better = f_new < f
        z[better], f[better], res[better] = z_new[better], f_new[better], res_new[better]
        lam = np.where(better, lam / 10.0, lam * 10.0)
        lam = np.clip(lam, 1e-12, 1e12)
    return np.sqrt(f)


def nearest_sample_distance(X, samples):
    r"""Distance of each point to its nearest model sample, :math:`\min_j\|x_i - s_j\|`.

    With held-out data as ``X`` this measures coverage: parts of the data the model does not
    generate are far from every sample.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Points to cover (e.g. held-out data).
    samples : array-like of shape (n_model_samples, n_features)
        Samples of the model.

    Returns
    -------
    ndarray of shape (n_samples,)

    Examples
    --------
    >>> nearest_sample_distance([[0.0, 0.0], [3.0, 4.0]], [[0.0, 1.0]]).tolist()
    [1.0, 4.242640687119285]
    """
    X = _as_points(X, "X")
    S = _as_points(samples, "samples", X.shape[1])
    d = X - S[_nearest(X, S)]
    return np.sqrt(np.sum(d * d, axis=1))


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
    X : array-like of shape (m, n_features)
        Sample from the first distribution (e.g. model samples), m >= 2.
    Y : array-like of shape (n, n_features)
        Sample from the second (e.g. held-out data), n >= 2.
    bandwidth : float, default=None
        Kernel length scale :math:`\ell`; ``None`` uses the median pairwise distance of the
        pooled sample.
    n_permutations : int, default=200
        At most 100000; X and Y together hold at most 8192 points.
    random_state : None, int or numpy.random.Generator, default=None
        Seeds the permutations.

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
    X, Y = _as_points(X, "X"), _as_points(Y, "Y")
    if X.shape[1] != Y.shape[1]:
        raise ValueError(f"X and Y must be 2-D with the same number of columns; got shapes "
                         f"{X.shape} and {Y.shape}")
    if X.shape[0] < 2 or Y.shape[0] < 2:
        raise ValueError(f"X and Y need at least 2 rows each; got {X.shape[0]} and {Y.shape[0]}")
    if isinstance(n_permutations, bool) or not isinstance(n_permutations, (int, np.integer)) \
            or not 1 <= n_permutations <= _MAX_PERMUTATIONS:
        raise ValueError(f"n_permutations must be an integer in [1, {_MAX_PERMUTATIONS}]; got "
                         f"{n_permutations!r:.80}")
    if X.shape[0] + Y.shape[0] > _MAX_POOLED:
        raise ValueError(f"X and Y hold {X.shape[0] + Y.shape[0]} points together; the budget "
                         f"is {_MAX_POOLED} (the Gram matrix is held whole): subsample them, or "
                         "use spreadlab.two_sample_test")
    from .._validation import check_rng

    rng = check_rng(random_state, "random_state")
    P = np.vstack([X, Y])
    D2 = _sqdist(P, P)
    if bandwidth is None:
        med = np.median(np.sqrt(D2[np.triu_indices_from(D2, k=1)]))
        bandwidth = med if med > 0 else 1.0
    elif isinstance(bandwidth, bool) or not isinstance(bandwidth, (int, float, np.number)) \
            or not 1e-150 <= bandwidth <= 1e150:
        raise ValueError(f"bandwidth must be a float in [1e-150, 1e150] or None; got "
                         f"{bandwidth!r:.80}")
    Kmat = np.exp(-0.5 * D2 / bandwidth**2)
    np.fill_diagonal(Kmat, 0.0)
    m, n = X.shape[0], Y.shape[0]

    def stat(labels):
        a, b = labels[:m], labels[m:]
        kxx = Kmat[np.ix_(a, a)].sum() / (m * (m - 1))
        kyy = Kmat[np.ix_(b, b)].sum() / (n * (n - 1))
        kxy = Kmat[np.ix_(a, b)].sum() / (m * n)
        return kxx + kyy - 2.0 * kxy

    observed = stat(np.arange(m + n))
    perm = np.array([stat(rng.permutation(m + n)) for _ in range(n_permutations)])
    return float(observed), float((1 + np.sum(perm >= observed)) / (1 + n_permutations))
