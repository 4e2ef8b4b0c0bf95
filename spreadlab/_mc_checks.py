r"""When a Monte Carlo standard error cannot be trusted (private; used by ``method="mc"``).

The standard error of a mean is an honest error bar only when the terms have a finite
variance and the sample has seen the part of the space that carries the answer. Two
failures are detected here, from the terms themselves:

* **heavy tails**: the tail index :math:`\hat\xi` of the largest terms, from a generalized
  Pareto fit to the top :math:`M = \min(n/5, 3\sqrt n)` terms by the estimator of Zhang and
  Stephens (Technometrics 51, 2009), as in Pareto-smoothed importance sampling (Vehtari,
  Simpson, Gelman, Yao, Gabry, JMLR 25, 2024). :math:`\hat\xi \ge 1/2` means an infinite
  variance (the standard error is meaningless); light tails (Gaussian, exponential) give
  :math:`\hat\xi \le 0`.
* **pinned at a bound**: a bounded divergence (total variation, Hellinger, Jensen-Shannon,
  triangular) whose interval reaches its largest value: the draws (numerically) saw no
  region where the laws overlap, and the standard error says nothing about what was not
  seen. The unseen overlap is bounded by the rule of three: with n draws from a law, a
  region of probability above :math:`k \cdot 3/n` is missed with probability below
  :math:`e^{-3k}`, so the error is widened to that bound on the overlap
  (:math:`1 - TV = E_p[\min(1, q/p)]`, :math:`\int\sqrt{pq} = E_m[\operatorname{sech}(u/2)]`,
  :math:`2 - D_\triangle = E_p[\operatorname{sech}^2(u/2)] + E_q[\cdot]`, all with terms
  in [0, 1], and :math:`\log 2 - JS \le \log 2 \int\sqrt{pq}`).
"""

import contextlib
import contextvars

import numpy as np

__all__ = []

_TERMS = contextvars.ContextVar("spreadlab_mc_terms", default=None)


@contextlib.contextmanager
def collecting():
    """Collect every array of Monte Carlo terms averaged inside the block (a list)."""
    found = []
    token = _TERMS.set(found)
    try:
        yield found
    finally:
        _TERMS.reset(token)


def record(terms):
    """Called by the averaging helper: keep ``terms`` if a :func:`collecting` block is open."""
    found = _TERMS.get()
    if found is not None:
        found.append(terms)


def gpd_shape(exceedances):
    """Shape :math:`\\xi` of a generalized Pareto fit to positive, sorted exceedances.

    Zhang and Stephens' empirical-Bayes estimate with the weak prior used by PSIS (shrinks
    towards 1/2 by 10 pseudo-observations). Returns nan for fewer than 5 points or a
    degenerate tail (all exceedances equal)."""
    x = np.asarray(exceedances, dtype=float)
    n = x.size
    if n < 5 or not x[-1] > 0 or x[-1] == x[0]:
        return np.nan
    m = 30 + int(np.sqrt(n))
    b = 1.0 - np.sqrt(m / (np.arange(1, m + 1) - 0.5))
    quartile = x[max(int(n / 4 + 0.5) - 1, 0)]
    if not quartile > 0:
        quartile = x[x > 0][0]
    b = b / (3.0 * quartile) + 1.0 / x[-1]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        k = np.mean(np.log1p(-b[:, None] * x[None, :]), axis=1)
        log_lik = n * (np.log(-b / k) - k - 1.0)
        ok = np.isfinite(log_lik)
        if not np.any(ok):
            return np.nan
        b, log_lik = b[ok], log_lik[ok]
        w = np.exp(log_lik - np.max(log_lik))
        w /= w.sum()
        b_post = float(np.sum(b * w))
        xi = float(np.mean(np.log1p(-b_post * x)))
    xi = (n * xi + 10 * 0.5) / (n + 10)
    return xi if np.isfinite(xi) else np.nan


def tail_index(terms):
    """The larger of the two tails' estimated shapes :math:`\\hat\\xi` of ``terms`` (nan if
    too few terms or none spread out in either tail), and the largest term's share of the
    sum of absolute deviations from the median."""
    t = np.asarray(terms, dtype=float).ravel()
    t = t[np.isfinite(t)]
    n = t.size
    if n < 50:
        return np.nan, np.nan
    m = int(min(n / 5, 3 * np.sqrt(n)))
    dev = t - np.median(t)
    share = float(np.max(np.abs(dev)) / max(np.sum(np.abs(dev)), np.finfo(float).tiny))
    shapes = []
    for side in (dev, -dev):
        top = np.sort(side)[-(m + 1):]
        if np.count_nonzero(top == top[-1]) > 1:
            continue  # an atom at the largest value: a bounded tail (Laplace log-ratios), not heavy
        exc = top[1:] - top[0]
        if np.count_nonzero(np.diff(top)) >= m // 2:  # a continuous tail (not a few repeated values)
            shapes.append(gpd_shape(exc))
    shapes = [s for s in shapes if np.isfinite(s)]
    return (max(shapes) if shapes else np.nan), share


def pinned_error(name, n):
    """Conservative error of a bounded divergence pinned at its bound after ``n`` draws per
    law (the rule-of-three bound on the unseen overlap, see the module docstring), or None
    for a divergence without a known bound."""
    delta = 3.0 / n  # a region of probability k * delta is missed with probability e^{-3k}
    return {
        "tv": delta,  # 1 - TV = E_p[min(1, q/p)], terms in [0, 1]
        "hellinger": delta,  # int sqrt(pq) = (E_p + E_q)[sech(u/2)] / 2, terms in [0, 1]
        "triangular": 2.0 * delta,  # 2 - D = (E_p + E_q)[sech^2(u/2)], terms in [0, 1]
        "js": np.log(2.0) * delta,  # log 2 - JS = int m H(p/2m) <= log 2 * int sqrt(pq)
    }.get(name)
