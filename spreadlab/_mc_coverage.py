"""Random pairs of laws with closed forms, for the coverage check of ``method="mc"`` (private).

Shared by ``tests/test_mc_trust.py`` (a CI-cheap count) and
``benchmarks/bench_mc_coverage.py`` (a larger one): the distance between the laws is drawn
log-uniformly from 0.01 to 40 scales, so nearly disjoint laws are common.
"""

import warnings

import numpy as np

from .distributions._gaussian import Gaussian
from .distributions._univariate import Cauchy, Laplace, Logistic

__all__ = []

# (family, divergences with a registered closed form for equal scales)
_CASES = [
    (Gaussian, ("kl", "hellinger", "tv", "chi2", "jeffreys")),
    (Laplace, ("kl", "hellinger", "tv", "chi2")),
    (Cauchy, ("kl", "tv", "chi2")),
    (Logistic, ("kl", "tv", "hellinger")),
]


def random_case(rng):
    """(p, q, f) with equal scales, the distance log-uniform in [0.01, 40] scales."""
    family, names = _CASES[rng.integers(len(_CASES))]
    f = names[rng.integers(len(names))]
    scale = float(np.exp(rng.uniform(-3, 3)))
    loc = float(rng.normal(0, 5))
    d = float(np.exp(rng.uniform(np.log(0.01), np.log(40.0))))
    if family is Gaussian:
        return Gaussian(loc, scale**2), Gaussian(loc + d * scale, scale**2), f
    return family(loc, scale), family(loc + d * scale, scale), f


def coverage(n_cases, n_samples, seed, width=5.0):
    """Run ``n_cases`` random cases; return a dict of counts: ``covered`` (truth within
    ``width`` reported errors, or both infinite), ``missed`` (with the cases), ``inf_error``
    (error reported as inf: flagged, covered trivially), ``warned``."""
    from .divergences import MonteCarloWarning, divergence

    rng = np.random.default_rng(seed)
    out = {"covered": 0, "missed": [], "inf_error": 0, "warned": 0, "n": n_cases}
    for _ in range(n_cases):
        p, q, f = random_case(rng)
        truth = float(divergence(p, q, f))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", MonteCarloWarning)
            est = divergence(p, q, f, method="mc", n_samples=n_samples, rng=rng)
        out["warned"] += any(issubclass(w.category, MonteCarloWarning) for w in caught)
        out["inf_error"] += bool(np.isinf(est.error))
        value = float(est)
        if (np.isinf(truth) and value == truth) or abs(value - truth) <= width * est.error:
            out["covered"] += 1
        else:
            out["missed"].append((p, q, f, truth, est))
    return out
