"""One decision on positive semi-definiteness, shared by Gaussians, divergences and MMD.

In the spirit of scipy's ``_PSD``: one eigendecomposition and one tolerance give the
rank, the range basis, the pseudo-inverse and the log pseudo-determinant, so that every
caller agrees on which directions a covariance has.
"""

import numpy as np

__all__ = ["PSD"]


class PSD:
    r"""Eigendecomposition of a symmetric positive semi-definite matrix.

    Eigenvalues at or below :math:`d\,\varepsilon\,\lambda_{\max}` (``eps`` the float64
    machine epsilon) are set to zero: that is the size of the absolute error with which
    ``numpy.linalg.eigh`` computes any eigenvalue, so smaller ones are not resolved. A
    covariance ``diag(1, 1e-17)`` therefore counts as singular (rank 1), and divergences
    involving it follow from the singular (deterministic-direction) formulas.

    Parameters
    ----------
    matrix : ndarray of shape (d, d)
        Symmetric, finite.
    name : str, default="cov"
        Parameter name used in error messages.

    Attributes
    ----------
    eigval : ndarray of shape (d,)
        Eigenvalues, ascending, the unresolved ones set to 0.
    eigvec : ndarray of shape (d, d)
        Orthonormal eigenvectors (columns).
    rank : int
    tol : float
        The threshold below which an eigenvalue counts as zero.

    Examples
    --------
    >>> import numpy as np
    >>> from spreadlab.distributions._psd import PSD
    >>> s = PSD(np.array([[1.0, 1.0], [1.0, 1.0]]))
    >>> s.rank, round(s.log_pdet, 12)  # one direction with eigenvalue 2
    (1, 0.69314718056)
    >>> bool(np.allclose(s.pinv(), np.linalg.pinv([[1.0, 1.0], [1.0, 1.0]])))  # numpy's, same cut-off
    True
    """

    def __init__(self, matrix, name="cov"):
        m = np.asarray(matrix, dtype=float)
        d = m.shape[0]
        # scale first: eigh of a matrix with entries near 1e308 overflows internally
        size = float(np.max(np.abs(m), initial=0.0))
        if not np.isfinite(size):
            raise ValueError(f"{name} must be finite; got entries of size {size!r}")
        unit = m / size if size > 0 else m
        val, vec = np.linalg.eigh(unit)
        top = max(float(val.max(initial=0.0)), 0.0)
        tol_unit = d * np.finfo(float).eps * top
        if val.min(initial=0.0) < -10.0 * max(tol_unit, 1e-300):
            raise ValueError(
                f"{name} must be positive semi-definite; got smallest eigenvalue "
                f"{val.min() * size:.3g} (largest {top * size:.3g})"
            )
        with np.errstate(over="raise"):
            scaled = np.where(val > tol_unit, val, 0.0) * size
        self.eigval = scaled
        self.eigvec = vec
        self.tol = tol_unit * size
        self.rank = int(np.count_nonzero(scaled))
        self.dim = d

    @property
    def range_basis(self):
        """Orthonormal basis of the column space, shape (d, rank)."""
        return self.eigvec[:, self.eigval > 0]

    @property
    def log_pdet(self):
        """Log of the pseudo-determinant: the sum of the log non-zero eigenvalues."""
        v = self.eigval[self.eigval > 0]
        return float(np.sum(np.log(v)))

    def pinv(self):
        """Moore-Penrose pseudo-inverse with the same cut-off."""
        u = self.range_basis
        return (u / self.eigval[self.eigval > 0]) @ u.T

    def whiten(self, x):
        """Coordinates of ``x`` (..., d) in the range basis, divided by the square roots."""
        v = self.eigval > 0
        return (np.asarray(x, dtype=float) @ self.eigvec[:, v]) / np.sqrt(self.eigval[v])
