"""The PCA start shared by :class:`SpreadICA`, :func:`reproduce_ica` and notebook 6."""
import numbers

import numpy as np

from .._trainer import as_generator as _as_generator, blas_limit

__all__ = ["pca_start"]


def _one_blas_thread():
    """Context manager: BLAS on one thread (the fits' products are thin, N x Z)."""
    return blas_limit(1)


def _principal_subspace(Xc, n_components):
    """Top eigenpairs (descending) of the covariance of centred data; raises if
    the data have fewer than ``n_components`` directions of non-zero variance."""
    spread_x = np.max(np.abs(Xc)) if Xc.size else 0.0
    if 0 < spread_x < 1e-150:  # the mirror of the 1e150 bound on data: the covariance underflows
        raise ValueError(
            f"X must vary by more than 1e-150 about its mean (its covariance must not "
            f"underflow); got max |X - mean| = {spread_x:.3g}. Rescale X"
        )
    with _one_blas_thread():                              # a thin product
        lam, U = np.linalg.eigh(Xc.T @ Xc / Xc.shape[0])
    lam, U = lam[::-1][:n_components], U[:, ::-1][:, :n_components]
    if not lam[0] > 0:
        raise ValueError("X has zero variance (all samples are equal); ICA needs data that vary")
    # relative threshold: eigenvalues below d * eps * lam_max are round-off of a zero
    tiny = Xc.shape[1] * np.finfo(float).eps * lam[0]
    rank = int(np.sum(lam > tiny))
    if rank < n_components:
        raise ValueError(
            f"X spans only {rank} directions of non-zero variance, fewer than "
            f"n_components={n_components}; use n_components <= {rank}"
        )
    return lam, U


def _random_rotation(rng, n):
    """Haar-distributed orthogonal matrix (QR of a Gaussian matrix, signs fixed)."""
    Q, R = np.linalg.qr(rng.standard_normal((n, n)))
    return Q * np.sign(np.diag(R))


def pca_start(X, n_components=None, *, noise=0.0, random_state=None):
    r"""A starting mixing matrix spanning the data's principal subspace, randomly rotated.

    .. math:: A_0 = U_Z\,(\Lambda_Z - \gamma^2 I)^{1/2}\,R,

    with the top-Z eigenpairs :math:`(\Lambda_Z, U_Z)` of the data
    covariance, the model noise :math:`\gamma` (``noise``) and a
    Haar-random orthogonal :math:`R`.  For noise-free data it reproduces the
    data covariance exactly, so only the rotation :math:`R` is left to learn
    (second-order statistics cannot find it).  :class:`SpreadICA` with
    ``init="pca"`` and :func:`reproduce_ica` start from this matrix: for
    the same ``random_state`` it is the same matrix.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        The data.
    n_components : int, default=None
        Number of sources Z (``None``: n_features).
    noise : float, default=0.0
        Model noise :math:`\gamma` subtracted from the eigenvalues (floored
        at 1e-6 of the largest).
    random_state : None, int or numpy.random.Generator, default=None
        Seeds the rotation.

    Returns
    -------
    ndarray of shape (n_features, n_components)

    References
    ----------
    A. Hyvärinen, J. Karhunen, E. Oja, *Independent Component Analysis*,
    Wiley 2001, section 7.4 (whitening leaves an orthogonal rotation).

    Examples
    --------
    >>> import numpy as np
    >>> from spreadlab.ica import pca_start
    >>> rng = np.random.default_rng(0)
    >>> X = rng.laplace(size=(1000, 2)) @ rng.normal(size=(4, 2)).T
    >>> A0 = pca_start(X, 2, random_state=0)
    >>> A0.shape, bool(np.allclose(A0 @ A0.T, np.cov(X.T, bias=True)))
    ((4, 2), True)
    """
    from .._validation import as_float_array, as_noise

    X = as_float_array(X, "X")
    if X.ndim != 2:
        raise ValueError(f"X must be a 2-D array (n_samples, n_features); got shape {X.shape}")
    Z = X.shape[1] if n_components is None else n_components
    if not isinstance(Z, numbers.Integral) or isinstance(Z, bool) or not 1 <= Z <= X.shape[1]:
        raise ValueError(f"n_components must be an int in [1, n_features={X.shape[1]}]; "
                         f"got {n_components!r}")
    noise = as_noise(noise, "noise")
    rng = _as_generator(random_state)
    Xc = X - X.mean(axis=0)
    lam, U = _principal_subspace(Xc, Z)
    scale = np.sqrt(np.maximum(lam - noise**2, 1e-6 * lam[0]))
    return (U * scale) @ _random_rotation(rng, Z)
