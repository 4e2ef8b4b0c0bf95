r"""f-divergences as objects: one class per f, holding everything spreadlab needs to know.

An f-divergence is :math:`D_f(p\|q) = \int q\, f(p/q)` with f convex and f(1) = 0. Each
object here says, in one place:

* ``f(t)``, the generator on the likelihood ratio t = p/q;
* the pointwise integrand in terms of log densities, for quadrature;
* the Monte Carlo terms and which distributions to sample from;
* its value for mutually singular laws, and when a support mismatch makes it infinite;
* which closed forms it derives from (reverse KL and Jeffreys from KL, Hellinger and
  chi-square from Rényi, Rényi of order 1 from KL), so that one registered closed form
  serves several divergences.

Adding an f-divergence means writing one subclass here and adding it to the table; its
closed forms are registered with :func:`spreadlab.register_divergence`.

==================== ================================================================
``"kl"``             :math:`\int p \log(p/q)`
``"reverse_kl"``     :math:`\int q \log(q/p)`
``"jeffreys"``       KL + reverse KL
``"tv"``             :math:`\tfrac12\int |p - q|`
``"hellinger"``      :math:`1 - \int\sqrt{pq}` (squared Hellinger distance)
``"chi2"``           :math:`\int (p - q)^2 / q`
``"js"``             :math:`\tfrac12 KL(p\|m) + \tfrac12 KL(q\|m)`, :math:`m = (p+q)/2`
``"triangular"``     :math:`\int (p - q)^2 / (p + q)` (Le Cam's triangular discrimination)
``"renyi"``          :math:`\frac{1}{\alpha - 1}\log\int p^\alpha q^{1-\alpha}` (needs ``alpha``)
==================== ================================================================

All values are in nats.
"""

import numbers
import types

import numpy as np

from . import _mc_checks

__all__ = ["FDivergence", "F_DIVERGENCES", "get_f_divergence", "NoClosedFormError"]

LOG2 = float(np.log(2.0))


class NoClosedFormError(NotImplementedError):
    """No closed form is registered (or derivable) for this pair of distributions and divergence.

    The message names the pair and suggests ``method="quad"`` or ``method="mc"``.

    Examples
    --------
    >>> from spreadlab import Cauchy, Laplace, NoClosedFormError, divergence
    >>> try:
    ...     divergence(Laplace(0.0, 1.0), Cauchy(0.0, 1.0))
    ... except NoClosedFormError as err:
    ...     print("suggests quadrature:", "method='quad'" in str(err))
    suggests quadrature: True
    """


def _mean_se(terms):
    """Mean and standard error of Monte Carlo terms; an infinite term makes the mean inf."""
    terms = np.asarray(terms, dtype=float)
    _mc_checks.record(terms)  # for the trust checks of method="mc" (spreadlab._mc_checks)
    if np.any(np.isposinf(terms)):
        return np.inf, 0.0
    return float(np.mean(terms)), float(np.std(terms, ddof=1) / np.sqrt(terms.size))


def _log_abs_expm1(y):
    """log|e^y - 1| without overflow or cancellation (-inf at y = 0)."""
    y = np.asarray(y, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        pos = y + np.log(-np.expm1(-np.where(y > 0, y, 1.0)))
        neg = np.log(-np.expm1(np.where(y > 0, -1.0, y)))
        return np.where(y > 0, pos, neg)


def _log_abs_diff(a, b):
    """log|a - b| for finite a, b (-inf when equal)."""
    with np.errstate(divide="ignore"):
        return np.log(np.abs(np.asarray(a, dtype=float) - b))


class FDivergence:
    r"""One f-divergence: its generator, integrands, Monte Carlo terms and derivation rules.

    Subclasses set ``name``, ``label`` and ``formula`` and implement :meth:`f` and
    :meth:`pointwise`; the Monte Carlo estimator defaults to the average of
    :math:`f(p/q)\,q/p` over draws from p (override :meth:`mc_terms` for a better one).

    Attributes
    ----------
    name : str
        Key in :data:`F_DIVERGENCES` (``"kl"``).
    label : str
        Name in words for legends and tables (``"Kullback-Leibler"``).
    formula : str
        The definition in LaTeX.
    has_order : bool
        True when the divergence takes an order ``alpha`` (Rényi).
    bounded_by : float
        Its value for mutually singular laws (``inf`` when unbounded).
    draws : tuple of str
        Which laws the Monte Carlo estimator samples: ``("p",)``, ``("q",)`` or both.

    Examples
    --------
    >>> from spreadlab import F_DIVERGENCES
    >>> tv = F_DIVERGENCES["tv"]
    >>> tv.label, tv.bounded_by
    ('total variation', 1.0)
    >>> float(tv.f(3.0))  # |t - 1| / 2
    1.0
    """

    name = ""
    label = ""
    formula = ""
    has_order = False
    bounded_by = np.inf
    draws = ("p",)

    def f(self, t, alpha=None):  # pragma: no cover - overridden
        """The generator f(t) on the likelihood ratio t = p/q."""
        raise NotImplementedError

    def check_alpha(self, alpha):
        """Validate the order: None unless :attr:`has_order`, else a number in (0, inf)."""
        if not self.has_order:
            if alpha is not None:
                raise ValueError(f"alpha is only used with f='renyi'; got alpha={alpha!r} with f={self.name!r}")
            return None
        if alpha is None:
            raise ValueError(f"f={self.name!r} needs alpha, the order: a number > 0")
        if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real):
            raise TypeError(f"alpha must be a finite number > 0; got {type(alpha).__name__}")
        try:
            value = float(alpha)
        except OverflowError:  # an integer beyond the float range
            raise ValueError("alpha must be a finite number > 0; got an integer too large for a float") from None
        if not np.isfinite(value) or value <= 0:
            raise ValueError(f"alpha must be a finite number > 0; got {value!r}")
        return value

    def mutually_singular(self, alpha=None):
        """Value between laws with disjoint supports."""
        return self.bounded_by

    def infinite_on_mismatch(self, p_outside_q, q_outside_p, alpha=None):
        """True when p having mass outside q's support (or the reverse) makes D_f infinite."""
        return False

    def can_diverge(self, alpha=None):
        """True when the integral of :meth:`pointwise` can be infinite between two laws with
        the same support (so quadrature must check its tails). A bounded divergence cannot:
        its integrand is at most a constant times p + q."""
        return not np.isfinite(self.bounded_by)

    def log_magnitude(self, lp, lq, alpha=None):
        """log|integrand| at points where both log densities are finite, computed in log space.

        Used to read how fast the integrand decays far out in the tails, where the integrand
        itself underflows (or overflows) long before the laws' log densities do. The
        default takes the log of :meth:`pointwise`; the built-in divergences that can be
        infinite write it without leaving log space.
        """
        with np.errstate(divide="ignore", invalid="ignore", under="ignore", over="ignore"):
            return np.log(np.abs(self.pointwise(lp, lq, alpha)))

    def pointwise(self, lp, lq, alpha=None):  # pragma: no cover - overridden
        """Integrand of :math:`D_f` at points with log densities ``lp``, ``lq`` (finite or -inf).

        Must return a number at every pair, ``inf`` where the integrand is infinite. The
        quadrature route reads a NaN as 0 where both densities are below 1e-308 (``0 * inf``
        of a naive ``exp(lq) * f(exp(lp - lq))``) and refuses a NaN anywhere else with a
        ValueError naming the f-divergence and the point."""
        raise NotImplementedError

    def finish(self, integral, alpha=None):
        """Turn the integral of :meth:`pointwise` into the divergence (identity by default)."""
        return float(integral)

    def finish_error(self, integral, error, alpha=None):
        """Propagate an absolute error of the integral through :meth:`finish`."""
        return float(error)

    def mc_terms(self, at_p, at_q, alpha=None):
        r"""Monte Carlo estimate and standard error from log densities at the draws.

        ``at_p = (lp, lq)`` are log p and log q at draws from p (None if p is not in
        :attr:`draws`), ``at_q`` likewise at draws from q. The default, for a subclass that
        only writes :meth:`f`, averages :math:`f(t)/t` with :math:`t = p/q` over draws from
        p (:math:`E_p[f(t)/t] = \int q f(p/q)`); a term that is not a number (t overflowing
        to inf, or 0 with f(0) != 0) raises a ValueError that names the f-divergence.
        """
        lp, lq = at_p
        with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
            t = np.exp(np.asarray(lp, dtype=float) - lq)
            terms = np.asarray(self.f(t, alpha) if self.has_order else self.f(t), dtype=float) / t
        if np.any(np.isnan(terms)):
            raise ValueError(
                f"f={self!r}: the default Monte Carlo terms f(t)/t (t = p/q at draws from p) are "
                "NaN at some draws (t = 0 or inf); write mc_terms for this f-divergence, or use "
                "method='quad' (one dimension)"
            )
        return _mean_se(terms)

    def derive(self, p, q, alpha, closed_form):
        """The value from closed forms of other divergences, or None when no rule applies.

        ``closed_form(p, q, name, alpha)`` evaluates a registered (or derived) closed form
        and raises :class:`NoClosedFormError` when there is none.
        """
        return None

    def __repr__(self):
        return f"<f-divergence {self.name!r}: {self.label}>"


class KL(FDivergence):
    name, label = "kl", "Kullback-Leibler"
    formula = r"\int p \log(p/q)"

    def f(self, t, alpha=None):
        t = np.asarray(t, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(t > 0, t * np.log(np.where(t > 0, t, 1.0)), 0.0)

    def infinite_on_mismatch(self, p_outside_q, q_outside_p, alpha=None):
        return p_outside_q

    def pointwise(self, lp, lq, alpha=None):
        with np.errstate(under="ignore", invalid="ignore"):
            p = np.exp(lp)
            return np.where(p > 0, p * (lp - lq), 0.0)

    def log_magnitude(self, lp, lq, alpha=None):
        return np.asarray(lp, dtype=float) + _log_abs_diff(lp, lq)  # log(p |log p - log q|)

    def mc_terms(self, at_p, at_q, alpha=None):
        lp, lq = at_p
        return _mean_se(lp - lq)

    def derive(self, p, q, alpha, closed_form):
        return None


class ReverseKL(FDivergence):
    name, label = "reverse_kl", "reverse Kullback-Leibler"
    formula = r"\int q \log(q/p)"
    draws = ("q",)

    def f(self, t, alpha=None):
        t = np.asarray(t, dtype=float)
        with np.errstate(divide="ignore"):
            return -np.log(t)

    def infinite_on_mismatch(self, p_outside_q, q_outside_p, alpha=None):
        return q_outside_p

    def pointwise(self, lp, lq, alpha=None):
        return _KL.pointwise(lq, lp)

    def log_magnitude(self, lp, lq, alpha=None):
        return _KL.log_magnitude(lq, lp)

    def mc_terms(self, at_p, at_q, alpha=None):
        lp, lq = at_q
        return _mean_se(lq - lp)

    def derive(self, p, q, alpha, closed_form):
        return closed_form(q, p, "kl", None)


class Jeffreys(FDivergence):
    name, label = "jeffreys", "Jeffreys (symmetrised KL)"
    formula = r"\int (p - q) \log(p/q)"
    draws = ("p", "q")

    def f(self, t, alpha=None):
        t = np.asarray(t, dtype=float)
        with np.errstate(divide="ignore"):
            return (t - 1.0) * np.log(t)

    def infinite_on_mismatch(self, p_outside_q, q_outside_p, alpha=None):
        return p_outside_q or q_outside_p

    def pointwise(self, lp, lq, alpha=None):
        return _KL.pointwise(lp, lq) + _KL.pointwise(lq, lp)

    def log_magnitude(self, lp, lq, alpha=None):
        # (p - q)(log p - log q) = max(p, q) (1 - e^{-|r|}) |r|, r = log p - log q
        r = np.asarray(lp, dtype=float) - lq
        return np.maximum(lp, lq) + _log_abs_expm1(-np.abs(r)) + _log_abs_diff(lp, lq)

    def mc_terms(self, at_p, at_q, alpha=None):
        v1, s1 = _mean_se(at_p[0] - at_p[1])
        v2, s2 = _mean_se(at_q[1] - at_q[0])
        return v1 + v2, float(np.hypot(s1, s2))

    def derive(self, p, q, alpha, closed_form):
        return closed_form(p, q, "kl", None) + closed_form(q, p, "kl", None)


class TotalVariation(FDivergence):
    name, label = "tv", "total variation"
    formula = r"\tfrac12 \int |p - q|"
    bounded_by = 1.0

    def f(self, t, alpha=None):
        return 0.5 * np.abs(np.asarray(t, dtype=float) - 1.0)

    def pointwise(self, lp, lq, alpha=None):
        with np.errstate(under="ignore"):
            return 0.5 * np.abs(np.exp(lp) - np.exp(lq))

    def mc_terms(self, at_p, at_q, alpha=None):
        lp, lq = at_p
        with np.errstate(over="ignore"):
            return _mean_se(-np.minimum(np.expm1(lq - lp), 0.0))  # E_p[(1 - q/p)_+]


class Hellinger(FDivergence):
    name, label = "hellinger", "squared Hellinger"
    formula = r"1 - \int \sqrt{pq}"
    bounded_by = 1.0
    draws = ("p", "q")

    def f(self, t, alpha=None):
        return 0.5 * (np.sqrt(np.asarray(t, dtype=float)) - 1.0) ** 2

    def pointwise(self, lp, lq, alpha=None):
        with np.errstate(under="ignore"):
            return 0.5 * (np.exp(0.5 * lp) - np.exp(0.5 * lq)) ** 2

    def mc_terms(self, at_p, at_q, alpha=None):
        # int sqrt(pq) = E_m[sqrt(pq) / m] with m = (p + q)/2 and sqrt(pq)/m = sech(u/2),
        # u = log(p/q): bounded terms in [0, 1], so a finite variance for every pair of laws.
        # (E_p[sqrt(q/p)] has a tail index near 1/2 for laws with exponential tails: its
        # standard error understated the error 8-fold for logistic laws 12 scales apart.)
        with np.errstate(over="ignore"):
            v1, s1 = _mean_se(1.0 / np.cosh(0.5 * (at_p[0] - at_p[1])))
            v2, s2 = _mean_se(1.0 / np.cosh(0.5 * (at_q[0] - at_q[1])))
        return 1.0 - 0.5 * (v1 + v2), 0.5 * float(np.hypot(s1, s2))

    def derive(self, p, q, alpha, closed_form):
        # 1 - int sqrt(pq) = 1 - exp(-D_{1/2} / 2)
        return -np.expm1(-0.5 * closed_form(p, q, "renyi", 0.5))


class ChiSquare(FDivergence):
    name, label = "chi2", "chi-square"
    formula = r"\int (p - q)^2 / q"

    def f(self, t, alpha=None):
        return (np.asarray(t, dtype=float) - 1.0) ** 2

    def infinite_on_mismatch(self, p_outside_q, q_outside_p, alpha=None):
        return p_outside_q

    def pointwise(self, lp, lq, alpha=None):
        # q (p/q - 1)^2 without forming p/q: overflow-free in both tails
        with np.errstate(under="ignore", over="ignore", invalid="ignore"):
            r = lp - lq
            big = np.exp(2.0 * lp - lq) * np.expm1(-np.abs(r)) ** 2
            q = np.exp(lq)
            return np.where(r > 0, big, np.where(q > 0, q * np.expm1(r) ** 2, 0.0))

    def log_magnitude(self, lp, lq, alpha=None):
        return np.asarray(lq, dtype=float) + 2.0 * _log_abs_expm1(np.asarray(lp, dtype=float) - lq)

    def mc_terms(self, at_p, at_q, alpha=None):
        lp, lq = at_p
        with np.errstate(over="ignore"):
            return _mean_se(np.expm1(lp - lq))

    def derive(self, p, q, alpha, closed_form):
        with np.errstate(over="ignore"):
            return np.expm1(closed_form(p, q, "renyi", 2.0))


class JensenShannon(FDivergence):
    name, label = "js", "Jensen-Shannon"
    formula = r"\tfrac12 KL(p\|m) + \tfrac12 KL(q\|m),\ m = (p + q)/2"
    bounded_by = LOG2
    draws = ("p", "q")

    def f(self, t, alpha=None):
        t = np.asarray(t, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            tlogt = np.where(t > 0, t * np.log(np.where(t > 0, t, 1.0)), 0.0)
        return 0.5 * (tlogt - (t + 1.0) * np.log1p(t) + (t + 1.0) * LOG2)

    def pointwise(self, lp, lq, alpha=None):
        # log(p/m) = -log1p(expm1(u)/2) with u = log(q/p): no difference of two large logs
        # (lp - lm cancelled eps * |lp| per node, 1e-15 absolute for narrow laws with p ~ q,
        # which the quadrature's error estimate cannot see)
        with np.errstate(under="ignore", invalid="ignore", over="ignore"):
            p, q = np.exp(lp), np.exp(lq)
            u = lq - lp
            log_p_m = np.where(u > 0, LOG2 - u - np.log1p(np.exp(-u)), -np.log1p(0.5 * np.expm1(u)))
            log_q_m = np.where(u < 0, LOG2 + u - np.log1p(np.exp(u)), -np.log1p(0.5 * np.expm1(-u)))
            return 0.5 * (np.where(p > 0, p * log_p_m, 0.0) + np.where(q > 0, q * log_q_m, 0.0))

    def mc_terms(self, at_p, at_q, alpha=None):
        lp, lq = at_p
        v1, s1 = _mean_se(LOG2 + lp - np.logaddexp(lp, lq))
        lp2, lq2 = at_q
        v2, s2 = _mean_se(LOG2 + lq2 - np.logaddexp(lp2, lq2))
        return 0.5 * (v1 + v2), 0.5 * float(np.hypot(s1, s2))


class TriangularDiscrimination(FDivergence):
    r"""Le Cam's triangular discrimination :math:`\int (p-q)^2/(p+q)`, in [0, 2].

    With :math:`u = \log(p/q)`, :math:`(p-q)/(p+q) = \tanh(u/2)`, so the divergence is
    :math:`\int (p+q)\tanh^2(u/2)`: Monte Carlo averages the bounded terms
    :math:`\tanh^2(u/2)` over draws from p and from q, with a finite variance for
    every pair of laws.
    """

    name, label = "triangular", "triangular discrimination"
    formula = r"\int (p - q)^2 / (p + q)"
    bounded_by = 2.0
    draws = ("p", "q")

    def f(self, t, alpha=None):
        t = np.asarray(t, dtype=float)
        return (t - 1.0) ** 2 / (t + 1.0)

    def pointwise(self, lp, lq, alpha=None):
        with np.errstate(under="ignore", invalid="ignore"):
            s = np.exp(np.logaddexp(lp, lq))
            return np.where(s > 0, s * np.tanh(0.5 * (lp - lq)) ** 2, 0.0)

    def mc_terms(self, at_p, at_q, alpha=None):
        t1 = np.tanh(0.5 * (at_p[0] - at_p[1])) ** 2
        t2 = np.tanh(0.5 * (at_q[0] - at_q[1])) ** 2
        v1, s1 = _mean_se(np.where(np.isnan(t1), 1.0, t1))
        v2, s2 = _mean_se(np.where(np.isnan(t2), 1.0, t2))
        return v1 + v2, float(np.hypot(s1, s2))


class Renyi(FDivergence):
    r"""Rényi divergence of order :math:`\alpha`; order 1 is the KL divergence.

    Not an f-divergence itself but a monotone function of one,
    :math:`\frac{1}{\alpha-1}\log(1 + \int p(p^{\alpha-1}q^{1-\alpha} - 1))`, so it shares
    the machinery.
    """

    name, label = "renyi", "Rényi"
    formula = r"\frac{1}{\alpha - 1}\log\int p^\alpha q^{1-\alpha}"
    has_order = True

    def f(self, t, alpha=None):
        t = np.asarray(t, dtype=float)
        return (t**alpha - t) / (alpha - 1.0)  # differs from (t^a - 1)/(a - 1) by an affine term

    def infinite_on_mismatch(self, p_outside_q, q_outside_p, alpha=None):
        if alpha == 1.0:
            return p_outside_q
        return p_outside_q if alpha > 1 else False

    def mutually_singular(self, alpha=None):
        return np.inf

    def can_diverge(self, alpha=None):
        # for alpha < 1, Hölder bounds int p^a q^(1-a) by 1
        return alpha >= 1.0

    def log_magnitude(self, lp, lq, alpha=None):
        if alpha == 1.0:
            return _KL.log_magnitude(lp, lq)
        # p^a q^(1-a) - p = p expm1((a - 1)(log p - log q))
        return np.asarray(lp, dtype=float) + _log_abs_expm1((alpha - 1.0) * (np.asarray(lp, dtype=float) - lq))

    def pointwise(self, lp, lq, alpha=None):
        if alpha == 1.0:
            return _KL.pointwise(lp, lq)
        # p * expm1((1 - alpha)(lq - lp)) = p^a q^(1-a) - p, integrated then log1p
        with np.errstate(under="ignore", over="ignore", invalid="ignore"):
            p = np.exp(lp)
            return np.where(p > 0, p * np.expm1((1.0 - alpha) * (lq - lp)), 0.0)

    def finish(self, integral, alpha=None):
        if alpha == 1.0:
            return float(integral)
        if integral <= -1.0:
            return np.inf
        return float(np.log1p(integral) / (alpha - 1.0))

    def finish_error(self, integral, error, alpha=None):
        if alpha == 1.0:
            return float(error)
        if integral <= -1.0:
            return 0.0
        return float(error / (abs(alpha - 1.0) * (1.0 + integral)))

    def mc_terms(self, at_p, at_q, alpha=None):
        lp, lq = at_p
        if alpha == 1.0:
            return _mean_se(lp - lq)
        with np.errstate(over="ignore"):
            m, s = _mean_se(np.expm1((1.0 - alpha) * (lq - lp)))
        value = self.finish(m, alpha)
        if not np.isfinite(value):
            return value, 0.0
        return value, float(s / max(abs(alpha - 1.0) * (1.0 + m), 1e-300))

    def derive(self, p, q, alpha, closed_form):
        if alpha == 1.0:
            return closed_form(p, q, "kl", None)
        return None


_KL = KL()
_BUILT_IN = {
    d.name: d
    for d in (_KL, ReverseKL(), Jeffreys(), TotalVariation(), Hellinger(), ChiSquare(),
              JensenShannon(), TriangularDiscrimination(), Renyi())
}

F_DIVERGENCES = types.MappingProxyType(_BUILT_IN)
"""The built-in f-divergences: a read-only mapping from name to :class:`FDivergence`.

Iterating gives the names (``"kl"``, ``"reverse_kl"``, ``"jeffreys"``, ``"tv"``,
``"hellinger"``, ``"chi2"``, ``"js"``, ``"triangular"``, ``"renyi"``); any of them, or the
object itself, is accepted wherever a function takes ``f``.
"""


def get_f_divergence(f):
    """Resolve ``f`` (a name in :data:`F_DIVERGENCES` or an :class:`FDivergence`) to its object.

    Parameters
    ----------
    f : str or FDivergence
        A key of :data:`F_DIVERGENCES`, or the object itself (returned unchanged).

    Returns
    -------
    FDivergence

    Examples
    --------
    >>> from spreadlab.fdivergences import get_f_divergence
    >>> get_f_divergence("hellinger").label
    'squared Hellinger'
    """
    if isinstance(f, FDivergence):
        return f
    if isinstance(f, str) and f in _BUILT_IN:
        return _BUILT_IN[f]
    options = ", ".join(repr(k) for k in _BUILT_IN)
    text = repr(f)
    text = text if len(text) <= 80 else text[:77] + "..."
    raise ValueError(f"Unknown f {text}; should be one of {options} or an FDivergence")
