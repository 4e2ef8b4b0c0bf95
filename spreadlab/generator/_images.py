r"""Images that lie exactly on a known low-dimensional manifold (no download).

Each image is rendered deterministically from a latent :math:`z\sim\mathcal N(0, I_Z)` by a
smooth, injective map, so the data are a deterministic generator's output with a known
truth: the distance of any image (a sample of a fitted model, a reconstruction) to the true
manifold can be computed with :func:`distance_to_manifold`.

* ``"blob"`` (Z = 2): a Gaussian spot of width 2 pixels at the position
  :math:`c = (s-1)/2 + \tfrac{s}{7}z` (rows, columns; 4 pixels per unit of z at s = 28);
* ``"bar"`` (Z = 2): a soft bar of half-width 1.5 pixels and length about 16 pixels through
  the point at signed offset :math:`\tfrac{s}{9}z_2` from the centre along its normal, at the
  angle :math:`\theta = 0.6\,z_1` from the column axis (injective for :math:`|\theta|<\pi/2`,
  i.e. :math:`|z_1| < 2.6`, which holds for 99% of the prior mass).
"""
import numpy as np

__all__ = ["IMAGE_KINDS", "render_images", "make_images"]

IMAGE_KINDS = ("blob", "bar")
"""Shapes accepted by :func:`make_images` and :func:`render_images`; both have a 2-D latent."""

# largest size x size accepted, and the largest number of pixels one call renders
_MAX_SIZE = 256
_MAX_PIXELS = 2**26


def _check(kind, size):
    from .._validation import as_count

    if not isinstance(kind, str) or kind not in IMAGE_KINDS:
        raise ValueError(f"kind must be one of {IMAGE_KINDS}; got kind={kind!r:.80}")
    return as_count(size, "size", minimum=8, maximum=_MAX_SIZE)


def render_images(z, kind="blob", size=28):
    r"""The true generator: render one ``size`` x ``size`` image per latent point.

    .. math:: x_{ij}(z) = \exp\bigl(-\|p_{ij} - c(z)\|^2 / 2w^2\bigr)\quad(\text{blob}),
              \qquad x_{ij}(z) = \exp\bigl(-d_\perp^2/2w^2 - (d_\parallel/L)^4\bigr)
              \quad(\text{bar}),

    with :math:`p_{ij}` the pixel centre, :math:`d_\perp, d_\parallel` its coordinates across
    and along the bar (see the module docstring for :math:`c(z)`, the angle and the offset).

    Parameters
    ----------
    z : array-like of shape (n_samples, 2)
        Latent points (any finite values; the prior is N(0, I)).
    kind : {"blob", "bar"}, default="blob"
        The shape (one of ``IMAGE_KINDS``).
    size : int, default=28
        Image side in pixels (8 to 256).

    Returns
    -------
    X : ndarray of shape (n_samples, size * size)
        Row-major flattened images, values in [0, 1].

    Examples
    --------
    >>> import numpy as np
    >>> x = render_images(np.zeros((1, 2)), "blob").reshape(28, 28)
    >>> np.unravel_index(np.argmax(x), x.shape), round(float(x.max()), 4)
    ((np.int64(13), np.int64(13)), 0.9394)
    """
    from ._data import as_latent

    size = _check(kind, size)
    z = as_latent(z, 2)
    if z.shape[0] * size * size > _MAX_PIXELS:
        raise ValueError(f"{z.shape[0]} images of {size}x{size} exceed the budget of "
                         f"{_MAX_PIXELS} pixels per call; render them in batches")
    grid = np.arange(size, dtype=float)
    rows, cols = np.meshgrid(grid, grid, indexing="ij")
    rows, cols = rows.ravel()[None, :], cols.ravel()[None, :]
    mid = (size - 1) / 2.0
    if kind == "blob":
        width = 2.0 * size / 28
        c = mid + (size / 7.0) * z
        d2 = (rows - c[:, :1]) ** 2 + (cols - c[:, 1:]) ** 2
        return np.exp(-0.5 * d2 / width**2)
    width, length = 1.5 * size / 28, 8.0 * size / 28
    theta = 0.6 * z[:, :1]
    ct, st = np.cos(theta), np.sin(theta)        # direction of the bar (rows, cols) = (s, c)
    off = (size / 9.0) * z[:, 1:]
    # pixel relative to the bar's centre point, which sits `off` along the normal (c, -s)
    pr, pc = rows - mid - off * ct, cols - mid + off * st
    along = pr * st + pc * ct
    across = pr * ct - pc * st
    return np.exp(-0.5 * across**2 / width**2 - (along / length) ** 4)


def make_images(n_samples=1000, kind="blob", size=28, random_state=None):
    r"""Images exactly on a known 2-D manifold in :math:`\mathbb R^{\text{size}^2}`.

    .. math:: z\sim\mathcal N(0, I_2),\qquad x = \text{render}(z)

    (:func:`render_images`, the true generator). The data have zero density off a 2-D
    manifold of the 784-D image space (at ``size=28``), like the blog's faces, but with the
    truth known: :func:`distance_to_manifold` with ``render_images`` measures how far samples
    or reconstructions are from it.

    Parameters
    ----------
    n_samples : int, default=1000
        Number of images (at most 2**26 pixels in all).
    kind : {"blob", "bar"}, default="blob"
        The shape (one of ``IMAGE_KINDS``).
    size : int, default=28
        Image side in pixels (8 to 256).
    random_state : None, int or numpy.random.Generator, default=None
        Seed of the latent draws.

    Returns
    -------
    X : ndarray of shape (n_samples, size * size)
    Z : ndarray of shape (n_samples, 2)

    Examples
    --------
    >>> import numpy as np
    >>> X, Z = make_images(3, kind="bar", random_state=0)
    >>> X.shape, bool(np.array_equal(X, render_images(Z, kind="bar")))
    ((3, 784), True)
    """
    from .._validation import as_count, check_rng

    size = _check(kind, size)
    n_samples = as_count(n_samples, "n_samples", maximum=max(1, _MAX_PIXELS // (size * size)))
    Z = check_rng(random_state, "random_state").standard_normal((n_samples, 2))
    return render_images(Z, kind, size), Z
