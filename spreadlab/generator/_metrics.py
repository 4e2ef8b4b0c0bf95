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

from .._trainer import blas_limit
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
    """Index of the nearest row of G for each row of X (BLAS expansion, in blocks; call it
    with one BLAS thread, see :func:`_one_blas_thread`)."""
    g2 = np.sum(G * G, axis=1)
    out = np.empty(X.shape[0], dtype=np.intp)
    block = max(1, _BLOCK_ENTRIES // max(G.shape[0], 1))
    for s in range(0, X.shape[0], block):
        out[s:s + block] = np.argmin(g2[None, :] - 2.0 * X[s:s + block] @ G.T, axis=1)
    return out


def _grid_minima(X, G, shape, k):
    """Starts for the refinement: for each row of X, the ``k`` nearest of the search nodes
    that are local minima of the distance on the grid (no nearer neighbour along any axis),
    nearest first, shape (n, k); a row with fewer local minima repeats its nearest node.
    One start per basin, so a fold of the manifold that comes close to itself cannot hide
    the right basin behind many nodes of the other fold."""
    g2 = np.sum(G * G, axis=1)
    out = np.empty((X.shape[0], k), dtype=np.intp)
    block = max(1, _BLOCK_ENTRIES // max(G.shape[0], 1))
    for s in range(0, X.shape[0], block):
        d2 = g2[None, :] - 2.0 * X[s:s + block] @ G.T
        grid = d2.reshape((-1,) + shape)
        is_min = np.ones(grid.shape, dtype=bool)
        for axis in range(1, grid.ndim):
            lo = [slice(None)] * grid.ndim
            hi = [slice(None)] * grid.ndim
            lo[axis], hi[axis] = slice(None, -1), slice(1, None)
            is_min[tuple(lo)] &= grid[tuple(lo)] <= grid[tuple(hi)]
            is_min[tuple(hi)] &= grid[tuple(hi)] <= grid[tuple(lo)]
        # the local minima are few per row: sort them by (row, distance) and keep k per row
        rows, cols = np.nonzero(is_min.reshape(d2.shape))
        order = np.lexsort((d2[rows, cols], rows))
        rows, cols = rows[order], cols[order]
        first = np.searchsorted(rows, np.arange(d2.shape[0]))      # every row has >= 1
        rank = np.arange(rows.size) - first[rows]
        keep = rank < k
        starts = np.repeat(cols[first][:, None], k, axis=1)      # the nearest fills the gaps
        starts[rows[keep], rank[keep]] = cols[keep]
        out[s:s + block] = starts
    return out


def _one_blas_thread():
    """One BLAS thread for the distance blocks: their products are thin (few features), and
    on shared cores the hand-offs between BLAS threads cost far more than they save
    (measured 1000 x 4001 x 2: 0.21 s with 2 threads under load 12, 0.05 s with one)."""
    return blas_limit(1)


def distance_to_manifold(X, generator, n_latent, *, latent_range=4.0, n_search=None,
                         n_refine=30):
    r"""Distance of each point to the manifold :math:`\{g(z): z\in[-r, r]^Z\}` of a known generator.

    .. math:: d(x) = \min_{z\in[-r,r]^Z}\|x - g(z)\|

    found by a search on a regular latent grid followed by damped Gauss--Newton
    (Levenberg--Marquardt) steps with a central finite-difference Jacobian from each of the
    4 nearest grid nodes that are local minima of the distance on the grid (one start per
    basin: where the manifold folds back close to itself, the nearest node may lie on the
    wrong fold). Each step is kept only if it lowers the distance, so the result is never
    worse than the grid search, and it is exact (to rounding) when a start lies in the basin
    of the foot point and :math:`g` is smooth there; a finer ``n_search`` separates folds
    that come closer than the spacing of the grid's images. The same routine serves
    ``SpreadGenerator.manifold_distance``.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Points (e.g. model samples or reconstructions); entries of magnitude <= 1e150.
    generator : callable
        ``generator(Z)`` maps an array of shape (m, n_latent) to shape (m, n_features), e.g.
        :func:`curve_function`, :func:`sheet_function` or :func:`render_images`.
    n_latent : int
        Latent dimension Z (1 to 20).
    latent_range : float, default=4.0
        Half-width r of the latent box searched (4 covers all but 6e-5 of N(0, 1)).
    n_search : int, default=None
        Search-grid nodes per axis, >= 2, with ``n_search**n_latent <= 2**20`` and the grid's
        images within :data:`spreadlab.budgets.MEMORY_BUDGET`; ``None``: 4001 for Z = 1, 161
        for Z = 2, 31 for Z = 3, 2 beyond.
    n_refine : int, default=30
        Gauss--Newton steps (0 to 1000).

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
    n_latent = as_count(n_latent, "n_latent", 1, _MAX_LATENT_DIM)
    if isinstance(latent_range, bool) or not isinstance(latent_range, (int, float, np.floating, np.integer)) \
            or not 0 < latent_range <= 1e6:
        raise ValueError(f"latent_range must be a float in (0, 1e6]; got {latent_range!r:.80}")
    return _distance(X, generator, n_latent, float(latent_range), n_search, n_refine)


# n_search**Z <= _MAX_SEARCH with n_search >= 2 allows at most 20 latent dimensions
_MAX_LATENT_DIM = 20
# Gauss--Newton runs from this many search nodes, the nearest local minima of the distance
# on the grid: where the manifold folds back near itself, the nearest node can sit on the
# other fold (a fitted sheet: distance 0.047 instead of 0 for a point on it)
_N_STARTS = 4
# damping at which a row of the refinement counts as converged (see _refine)
_DONE_DAMPING = 1e4


def _max_search(n_latent):
    """The largest n with n**n_latent <= _MAX_SEARCH (exact integer root)."""
    n = int(round(_MAX_SEARCH ** (1.0 / n_latent)))
    while n**n_latent > _MAX_SEARCH:
        n -= 1
    while (n + 1) ** n_latent <= _MAX_SEARCH:
        n += 1
    return n


def _distance(X, generator, n_latent, latent_range, n_search, n_refine):
    """:func:`distance_to_manifold` for checked points ``X`` (finite 2-D float array), an int
    ``n_latent`` and a float ``latent_range``: checks the counts, searches, refines."""
    from .._validation import check_memory

    Zd, r = n_latent, latent_range
    if n_search is None:
        n_search = {1: 4001, 2: 161, 3: 31}.get(Zd, 2)
    n = as_count(n_search, "n_search", 2, _max_search(Zd), what="search node per axis")
    n_refine = as_count(n_refine, "n_refine", 0, 1000)
    # the search grid and its images are held whole (the distances to them go in blocks)
    check_memory(8.0 * n**Zd * (Zd + X.shape[1]), "n_search", n,
                 per=f"{n}**{Zd} latent nodes and their images of {X.shape[1]} numbers")
    axis = np.linspace(-r, r, n)
    mesh = np.meshgrid(*([axis] * Zd), indexing="ij")
    S = np.stack([m.ravel() for m in mesh], axis=1)
    GS = _as_points(generator(S), "generator(Z)", X.shape[1])
    N = X.shape[0]
    k = min(_N_STARTS, S.shape[0])
    check_memory(8.0 * N * k * X.shape[1] * (Zd + 4), "X", f"<{N} rows>",
                 per=f"{k} starts x {X.shape[1]} features x (n_latent + 4) numbers per row")
    with _one_blas_thread():
        starts = _grid_minima(X, GS, (n,) * Zd, k)                 # (N, k), nearest first
        # every start is refined; the best foot point of each row wins
        z = S[starts.T.ravel()]                                    # start j of row n: j * N + n
        f = _refine(z, np.tile(X, (k, 1)), generator, Zd, r, n_refine)
    return np.sqrt(np.min(f.reshape(k, N), axis=0))


def _refine(z, X, generator, Zd, r, n_refine):
    """Levenberg--Marquardt on ``|X - generator(z)|^2`` row by row from the starts ``z``,
    each step kept only if it lowers the row's value; the final squared distances."""
    h = 1e-5 * max(r, 1.0)

    def sq(zz):
        d = generator(zz) - X
        return np.sum(d * d, axis=1), d

    f, res = sq(z)
    lam = np.full(X.shape[0], 1e-6)
    active = np.arange(X.shape[0])
    for _ in range(n_refine):
        # a row whose steps were refused 10 times running (damping 1e-6 -> 1e4: down to a
        # short gradient step) is at its foot point to rounding and leaves the loop
        active = active[lam[active] < _DONE_DAMPING]
        if active.size == 0:
            break
        za, xa = z[active], X[active]
        J = np.empty((active.size, X.shape[1], Zd))
        for i in range(Zd):
            e = np.zeros(Zd)
            e[i] = h
            J[:, :, i] = (generator(np.clip(za + e, -r - h, r + h))
                          - generator(np.clip(za - e, -r - h, r + h))) / (2 * h)
        JtJ = np.einsum("ndi,ndj->nij", J, J)
        g = np.einsum("ndi,nd->ni", J, res[active])
        scale = np.trace(JtJ, axis1=1, axis2=2) / Zd + 1e-300
        A = JtJ + (lam[active] * scale)[:, None, None] * np.eye(Zd)
        # projected steps: a coordinate at a bound of the box whose descent direction points
        # out of it is held there (its row and column leave the system); otherwise the
        # clipped step of the coupled system can stall beside a minimum on the boundary
        held = ((za <= -r) & (g > 0)) | ((za >= r) & (g < 0))
        if held.any():
            free = ~held
            A = A * (free[:, :, None] & free[:, None, :]) + held[:, :, None] * np.eye(Zd)
            g = g * free
        step = np.linalg.solve(A, g[..., None])[..., 0]
        z_new = np.clip(za - step, -r, r)
        res_new = generator(z_new) - xa
        f_new = np.sum(res_new * res_new, axis=1)
        better = f_new < f[active]
        idx = active[better]
        z[idx], f[idx], res[idx] = z_new[better], f_new[better], res_new[better]
        lam[active] = np.clip(np.where(better, lam[active] / 10.0, lam[active] * 10.0), 1e-12, 1e12)
    return f


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
    with _one_blas_thread():
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
    observed = _mmd_statistics(Kmat, [np.arange(m + n)], m)[0]
    # the permutations in the order they are drawn, _PERM_BLOCK labellings per matrix product
    perm = np.concatenate([
        _mmd_statistics(Kmat, [rng.permutation(m + n)
                               for _ in range(min(_PERM_BLOCK, n_permutations - s))], m)
        for s in range(0, n_permutations, _PERM_BLOCK)])
    return float(observed), float((1 + np.sum(perm >= observed)) / (1 + n_permutations))


# labellings scored together by one matrix product in mmd_permutation_test
_PERM_BLOCK = 256


def _mmd_statistics(Kmat, perms, m):
    r"""Unbiased MMD² of the labellings ``perms`` (the first ``m`` indices of each are the
    first sample) from the Gram matrix with a zero diagonal, by one matrix product: with
    :math:`a` the first sample's indicator, :math:`r = K\mathbf 1` and :math:`T = \mathbf 1^\top K\mathbf 1`,
    the three sums are :math:`a^\top Ka`, :math:`a^\top r - a^\top Ka` and
    :math:`T - 2a^\top r + a^\top Ka`."""
    N = Kmat.shape[0]
    n = N - m
    A = np.zeros((N, len(perms)))
    for j, p in enumerate(perms):
        A[p[:m], j] = 1.0
    row = Kmat.sum(axis=1)
    aKa = np.einsum("ij,ij->j", A, Kmat @ A)
    ar = row @ A
    kxx = aKa / (m * (m - 1))
    kxy = (ar - aKa) / (m * n)
    kyy = (row.sum() - 2.0 * ar + aKa) / (n * (n - 1))
    return kxx + kyy - 2.0 * kxy
