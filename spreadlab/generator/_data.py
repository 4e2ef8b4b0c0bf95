r"""Data exactly on a low-dimensional manifold: the blog's picture, with a known truth.

Both makers push :math:`z\sim\mathcal N(0, I_Z)` through a fixed smooth map, so the data
distribution is itself that of a deterministic generator and has zero density off its
manifold (Barber, "Training models that have zero likelihood", 2019).
"""
import numpy as np

__all__ = ["make_sheet", "make_curve", "sheet_function", "bowl_function", "curve_function"]


def as_latent(z, n_latent, name="z"):
    """``z`` as a finite float array of shape (n, n_latent), or a TypeError/ValueError naming it."""
    from .._validation import as_float_array

    arr = as_float_array(z, name)   # type, overflow (10**400) and NaN/inf, named
    if arr.size and np.max(np.abs(arr)) > 1e150:   # the sheets square z: keep z**2 finite
        raise ValueError(f"{name} must have entries of magnitude <= 1e150 (the generators square "
                         f"them); got {np.max(np.abs(arr)):.3g}")
    if arr.ndim != 2 or arr.shape[1] != n_latent or not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be a finite array of shape (n_samples, {n_latent}); got "
                         f"shape {arr.shape}" + ("" if np.all(np.isfinite(arr)) else " with NaN/inf"))
    return arr


def sheet_function(z):
    r"""The saddle of notebook 1: :math:`g(z) = (z_1, z_2, \tfrac12(z_1^2 - z_2^2))`.

    Parameters
    ----------
    z : array-like of shape (n_samples, 2)
        Latent points (finite).

    Returns
    -------
    ndarray of shape (n_samples, 3)

    Examples
    --------
    >>> sheet_function([[1.0, 0.0]]).tolist()
    [[1.0, 0.0, 0.5]]
    """
    z = as_latent(z, 2)
    return np.column_stack([z[:, 0], z[:, 1], 0.5 * (z[:, 0] ** 2 - z[:, 1] ** 2)])


def bowl_function(z):
    r"""A bowl: :math:`g(z) = (z_1, z_2, \tfrac12(z_1^2 + z_2^2))` (mean curvature 1 at the centre).

    Parameters
    ----------
    z : array-like of shape (n_samples, 2)
        Latent points (finite).

    Returns
    -------
    ndarray of shape (n_samples, 3)

    Examples
    --------
    >>> bowl_function([[1.0, 1.0]]).tolist()
    [[1.0, 1.0, 1.0]]
    """
    z = as_latent(z, 2)
    return np.column_stack([z[:, 0], z[:, 1], 0.5 * (z[:, 0] ** 2 + z[:, 1] ** 2)])


def curve_function(z):
    r"""A wave: :math:`g(z) = (z, \sin 2z)`.

    Parameters
    ----------
    z : array-like of shape (n_samples, 1)
        Latent points (finite).

    Returns
    -------
    ndarray of shape (n_samples, 2)

    Examples
    --------
    >>> curve_function([[0.0]]).tolist()
    [[0.0, 0.0]]
    """
    z = as_latent(z, 1)
    return np.column_stack([z[:, 0], np.sin(2.0 * z[:, 0])])


# the largest data set the makers build: 2**24 points (a few hundred MB of float64 with the
# latents); a larger request is refused up front rather than failing with a MemoryError
MAX_SAMPLES = 2**24


def _make(n_samples, n_latent, fn, random_state):
    from .._validation import as_count, check_rng

    n_samples = as_count(n_samples, "n_samples", maximum=MAX_SAMPLES)
    rng = check_rng(random_state, "random_state")
    Z = rng.standard_normal((n_samples, n_latent))
    return fn(Z), Z


def make_sheet(n_samples=1000, random_state=None, kind="saddle"):
    r"""Points exactly on a curved 2-D sheet in 3-D (by default the saddle of notebook 1).

    .. math:: z\sim\mathcal N(0, I_2),\qquad x = \bigl(z_1, z_2, \tfrac12(z_1^2\mp z_2^2)\bigr)

    The saddle (``-``) has zero mean curvature at its centre, the bowl (``+``) mean curvature 1;
    fitting with noise on the model only bends a sheet in proportion to its mean curvature.

    Parameters
    ----------
    n_samples : int, default=1000
        Number of points, at most ``2**24``.
    random_state : None, int or numpy.random.Generator, default=None
        Seed of the latent draws.
    kind : {"saddle", "bowl"}, default="saddle"
        The saddle x3 = (z1^2 - z2^2)/2 of notebook 1, or the bowl x3 = (z1^2 + z2^2)/2.

    Returns
    -------
    X : ndarray of shape (n_samples, 3)
    Z : ndarray of shape (n_samples, 2)
        The latent points that generated X.

    References
    ----------
    D. Barber, "Training models that have zero likelihood", blog, Dec 21 2019,
    https://aiucl.github.io/spread-divergence/

    Examples
    --------
    >>> import numpy as np
    >>> X, Z = make_sheet(5, random_state=0)
    >>> bool(np.allclose(X[:, 2], 0.5 * (X[:, 0] ** 2 - X[:, 1] ** 2)))
    True
    """
    makers = {"saddle": sheet_function, "bowl": bowl_function}
    if not isinstance(kind, str) or kind not in makers:
        raise ValueError(f"kind must be 'saddle' or 'bowl'; got kind={kind!r:.80}")
    return _make(n_samples, 2, makers[kind], random_state)


def make_curve(n_samples=1000, random_state=None):
    r"""Points exactly on a 1-D curve in 2-D.

    .. math:: z\sim\mathcal N(0, 1),\qquad x = (z, \sin 2z)

    Parameters
    ----------
    n_samples : int, default=1000
        Number of points, at most ``2**24``.
    random_state : None, int or numpy.random.Generator, default=None
        Seed of the latent draws.

    Returns
    -------
    X : ndarray of shape (n_samples, 2)
    Z : ndarray of shape (n_samples, 1)

    Examples
    --------
    >>> import numpy as np
    >>> X, Z = make_curve(4, random_state=0)
    >>> bool(np.allclose(X[:, 1], np.sin(2 * X[:, 0])))
    True
    """
    return _make(n_samples, 1, curve_function, random_state)
