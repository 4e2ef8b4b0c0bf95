"""Synthetic data for deterministic (noise-free) linear ICA."""
import numpy as np

from .._validation import MAX_COUNT, _short, as_count, as_noise, check_rng
from ._priors import get_prior

__all__ = ["make_ica_data"]

_MIXINGS = ("uniform_pm1", "gaussian")
_DATA_PRIORS = ("laplace", "sech", "laplace_gsm")


def make_ica_data(n_samples, n_features, n_sources, prior="laplace", mixing="uniform_pm1",
                  noise=0.0, random_state=None):
    r"""Draw observations from the linear ICA model :math:`x = A s + \gamma\,\epsilon`.

    Parameters
    ----------
    n_samples : int
        Number of observations N.
    n_features : int
        Observation dimension X.
    n_sources : int
        Number of sources Z, with ``n_sources <= n_features``.
    prior : {"laplace", "sech", "laplace_gsm"}, default="laplace"
        Unit-variance source distribution.
    mixing : {"uniform_pm1", "gaussian"}, default="uniform_pm1"
        ``"uniform_pm1"`` draws :math:`A_{ij}` uniformly from {-1, +1} as in
        the paper's Fig. 1; ``"gaussian"`` draws standard normal entries.
    noise : float, default=0.0
        Observation noise standard deviation :math:`\gamma`; 0 gives the
        deterministic model studied in the paper.
    random_state : None, int >= 0, numpy.random.SeedSequence or numpy.random.Generator, default=None
        Seed for :func:`numpy.random.default_rng`, or the generator to draw from.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
        Observations.
    A : ndarray of shape (n_features, n_sources)
        Mixing matrix, redrawn until it has full column rank (small
        :math:`\pm 1` matrices can have repeated columns).
    S : ndarray of shape (n_samples, n_sources)
        Sources.

    References
    ----------
    M. Zhang, P. Hayes, T. Bird, R. Habib, D. Barber, "Spread Divergence",
    ICML 2020, the deterministic ICA experiment and its Fig. 1.

    Examples
    --------
    >>> from spreadlab.ica import make_ica_data
    >>> X, A, S = make_ica_data(500, 4, 2, random_state=0)
    >>> X.shape, A.shape, S.shape
    ((500, 4), (4, 2), (500, 2))
    >>> import numpy as np; bool(np.allclose(X, S @ A.T))
    True
    """
    n_samples = as_count(n_samples, "n_samples")
    n_features = as_count(n_features, "n_features")
    n_sources = as_count(n_sources, "n_sources")
    if n_sources > n_features:
        raise ValueError(
            f"n_sources must be <= n_features; got n_sources={n_sources}, n_features={n_features}"
        )
    if n_samples * n_features > MAX_COUNT or n_features * n_sources > MAX_COUNT:
        raise ValueError(
            f"n_samples * n_features and n_features * n_sources must be <= {MAX_COUNT} (the "
            f"arrays must fit in memory); got n_samples={n_samples}, n_features={n_features}, "
            f"n_sources={n_sources}"
        )
    if isinstance(prior, str) and prior not in _DATA_PRIORS:
        raise ValueError(f"Unknown prior {_short(prior)}; should be one of {_DATA_PRIORS}")
    src = get_prior(prior)
    if not isinstance(mixing, str) or mixing not in _MIXINGS:
        raise ValueError(f"Unknown mixing {_short(mixing)}; should be one of {_MIXINGS}")
    noise = as_noise(noise, "noise")
    rng = check_rng(random_state, "random_state")
    for _ in range(1000):  # redraw until A has full column rank (identifiable sources)
        if mixing == "uniform_pm1":
            A = rng.choice(np.array([-1.0, 1.0]), size=(n_features, n_sources))
        else:
            A = rng.standard_normal((n_features, n_sources))
        if np.linalg.cond(A) < 1e6:
            break
    else:  # pragma: no cover - only for tiny +-1 matrices such as X = Z = 1 ... never rank-deficient
        raise RuntimeError("could not draw a full-rank mixing matrix")
    S = src.sample(rng, (n_samples, n_sources))
    X = S @ A.T
    if noise > 0:
        X = X + noise * rng.standard_normal(X.shape)
    return X, A, S
