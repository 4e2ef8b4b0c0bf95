r"""The fixed smooth basis :math:`\phi(z)` and the latent grid of :class:`SpreadGenerator`.

The generator is linear in its parameters, :math:`g_W(z) = W\phi(z)`, with

.. math:: \phi(z) = \bigl(e^{-\|z-c_1\|^2/2h^2},\dots,e^{-\|z-c_M\|^2/2h^2},\;
          z_1,\dots,z_Z,\;1\bigr),

Gaussian radial basis functions on a regular grid of centres :math:`c_m` in latent space,
plus linear terms and a constant (the offset :math:`b`), so that the M-step is a weighted
least-squares solve (Bishop, Svensén, Williams, "GTM: the generative topographic mapping",
Neural Computation 1998, use the same construction).

The N(0, I) prior is represented on a *regular* grid of nodes :math:`z_k` with weights
:math:`\pi_k` equal to the prior probability of each node's cell (products of normal CDF
differences, renormalised after truncating at :math:`\pm` ``latent_range``). A regular grid is
chosen over Gauss--Hermite nodes because the spread model is the mixture
:math:`\sum_k\pi_k\mathcal N(y; g(z_k),\sigma^2 I)`: it approximates the manifold convolved
with the spread kernel only if neighbouring images :math:`g(z_k)` are closer than about
:math:`\sigma` (a row of Gaussians at spacing :math:`h` ripples with relative amplitude
:math:`2e^{-2\pi^2\sigma^2/h^2}`: 1.4% at :math:`\sigma = h/2`), and with uniform node spacing
that resolution condition is one number (the grid floor of :class:`SpreadGenerator`) rather
than a spacing that widens in the tails, as Gauss--Hermite nodes do exactly where the generator
must still be resolved.
"""
import numpy as np
from scipy.special import ndtr

__all__ = ["latent_grid", "rbf_design"]


def latent_grid(n_latent, n_grid, latent_range):
    r"""Regular latent grid with N(0, I) cell-probability weights.

    .. math:: \pi_k = \prod_{i=1}^{Z}\bigl[\Phi(z_{k,i}+\Delta/2)-\Phi(z_{k,i}-\Delta/2)\bigr]
              \Big/ \sum_{k'}(\cdot),

    with node spacing :math:`\Delta = 2r/(n-1)` for nodes on :math:`[-r, r]`.

    Parameters
    ----------
    n_latent : int
        Latent dimension Z (1 or 2).
    n_grid : int
        Nodes per latent axis.
    latent_range : float
        Half-width r of the grid.

    Returns
    -------
    nodes : ndarray of shape (n_grid**n_latent, n_latent)
    log_weights : ndarray of shape (n_grid**n_latent,)
        Log prior weights, normalised (``logsumexp == 0``).
    spacing : float
        Node spacing :math:`\Delta`.

    Examples
    --------
    >>> import numpy as np
    >>> nodes, logw, h = latent_grid(2, 5, 2.0)
    >>> nodes.shape, round(h, 3), round(float(np.exp(logw).sum()), 12)
    ((25, 2), 1.0, 1.0)
    """
    axis = np.linspace(-latent_range, latent_range, n_grid)
    spacing = float(axis[1] - axis[0])
    lo, hi = axis - spacing / 2, axis + spacing / 2
    # Phi(hi) - Phi(lo), written with the upper tail on the right so that no digits cancel
    mass = np.where(axis <= 0, ndtr(hi) - ndtr(lo), ndtr(-lo) - ndtr(-hi))
    log_mass = np.log(mass)
    mesh = np.meshgrid(*([axis] * n_latent), indexing="ij")
    nodes = np.stack([m.ravel() for m in mesh], axis=1)
    lmesh = np.meshgrid(*([log_mass] * n_latent), indexing="ij")
    logw = np.sum([m.ravel() for m in lmesh], axis=0)
    logw = logw - np.logaddexp.reduce(logw)
    return nodes, logw, spacing


def rbf_design(z, centres, width):
    r"""Basis matrix :math:`\Phi_{nm} = \phi_m(z_n)`: RBFs, linear terms, constant.

    .. math:: \phi(z) = \bigl(e^{-\|z-c_m\|^2/2h^2}\bigr)_{m=1}^{M}\oplus z\oplus 1

    Parameters
    ----------
    z : ndarray of shape (n_points, n_latent)
    centres : ndarray of shape (n_rbf, n_latent)
    width : float
        RBF width h.

    Returns
    -------
    Phi : ndarray of shape (n_points, n_rbf + n_latent + 1)

    Examples
    --------
    >>> import numpy as np
    >>> Phi = rbf_design(np.zeros((1, 1)), np.array([[0.0], [1.0]]), 1.0)
    >>> np.round(Phi, 4).tolist()
    [[1.0, 0.6065, 0.0, 1.0]]
    """
    z = np.asarray(z, dtype=float)
    d2 = np.sum((z[:, None, :] - centres[None, :, :]) ** 2, axis=2)
    return np.hstack([np.exp(-0.5 * d2 / width**2), z, np.ones((z.shape[0], 1))])
