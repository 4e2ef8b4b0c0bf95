"""Spreading: the convolution p * K of a distribution with a noise kernel.

``spread(p, kernel)`` returns the law of y = x + e with x ~ p and e ~ kernel
independent. Closed forms are looked up in the convolution registry
(:func:`spreadlab.register_convolution`): a point mass shifts the other law, Gaussians
and Cauchy laws stay in their family, and a uniform kernel gives
:class:`UniformSpread`, exact from p's distribution function. Otherwise a
:class:`Convolution` evaluates the density by adaptive quadrature and the characteristic
function as the product of the two.
"""

import contextlib

import numpy as np

from ._integration import budget_in_force, check_budget, support_1d, time_budget
from ._validation import as_count, as_float_array, check_rng, time_budget_seconds
from .distributions._base import Distribution, check_distribution
from .distributions._gaussian import Delta, Gaussian
from .distributions._univariate import Cauchy, Uniform
from .distributions._univariate import _Univariate
from .registry import CONVOLUTIONS, register_convolution

__all__ = ["spread", "Convolution", "UniformSpread"]


def spread(p, kernel):
    r"""Spread a distribution with a kernel: the law of x + e, x ~ p, e ~ kernel.

    .. math:: \tilde p(y) = \int K(y - x)\, p(x)\, dx

    Parameters
    ----------
    p : Distribution
        The distribution to spread (data or model).
    kernel : Distribution
        The spread noise K; a ``Delta`` kernel means no spreading.

    Returns
    -------
    Distribution
        A closed form from the convolution registry when one applies, else a
        :class:`Convolution`.

    Raises
    ------
    TypeError
        If ``p`` or ``kernel`` is not a spreadlab distribution.
    ValueError
        If their dimensions differ.

    References
    ----------
    M. Zhang, P. Hayes, T. Bird, R. Habib, D. Barber. Spread Divergence. ICML 2020,
    section 2 (definition of the spread distribution).

    Examples
    --------
    >>> from spreadlab import Delta, Gaussian, spread
    >>> spread(Delta(1.0), Gaussian(0.0, 0.25))
    Gaussian(mean=1, cov=0.25)
    >>> spread(Gaussian([0.0, 0.0], [[1.0, 1.0], [1.0, 1.0]]), Gaussian([0.0, 0.0], 0.1)).is_singular
    False
    """
    check_distribution(p, "p")
    check_distribution(kernel, "kernel")
    if p.dim != kernel.dim:
        raise ValueError(
            f"p and kernel must have the same dimension; got p.dim={p.dim}, kernel.dim={kernel.dim}"
        )
    func = CONVOLUTIONS.lookup(type(p), type(kernel))
    if func is not None:
        result = func(p, kernel)
        if result is not None:
            return result
    return Convolution(p, kernel)


def _offset(point_law, other):
    """The location of a point mass as an offset for ``other`` (a scalar for 1-D laws)."""
    loc = np.atleast_1d(point_law.location_hint)
    return float(loc[0]) if other.dim == 1 and np.ndim(other.location_hint) == 0 else loc


# a point mass shifts the other law; the exact pairs (Delta, Delta), (Delta, Gaussian) and
# (Gaussian, Delta) are registered too so that no lookup is ambiguous
@register_convolution(Gaussian, Delta)
@register_convolution(Delta, Delta)
@register_convolution(Distribution, Delta)
def _spread_by_point(p, kernel):
    return p.shifted(_offset(kernel, p))


@register_convolution(Delta, Gaussian)
@register_convolution(Delta, Distribution)
def _spread_point(p, kernel):
    return kernel.shifted(_offset(p, kernel))


@register_convolution(Gaussian, Distribution)
def _spread_gaussian(p, kernel):
    return kernel.shifted(_offset(p, kernel)) if p.rank == 0 else None


@register_convolution(Distribution, Gaussian)
def _spread_by_gaussian(p, kernel):
    return p.shifted(_offset(kernel, p)) if kernel.rank == 0 else None


@register_convolution(Gaussian, Gaussian)
def _spread_gaussian_by_gaussian(p, kernel):
    mean = p.mean + kernel.mean
    return Gaussian(mean[0] if p._scalar and kernel._scalar else mean, p.cov + kernel.cov)


@register_convolution(Cauchy, Cauchy)
def _spread_cauchy(p, kernel):
    return Cauchy(p.loc + kernel.loc, p.scale + kernel.scale)


@register_convolution(_Univariate, Uniform)
def _spread_by_uniform(p, kernel):
    if p.batch_shape != () or kernel.batch_shape != ():
        return None
    return UniformSpread(p, kernel)


# the two Gauss-Legendre rules of the numeric convolution: 16 points, and 8 as its error check
_GL_RULES = {n: np.polynomial.legendre.leggauss(n) for n in (8, 16)}


class _SumOfTwo(Distribution):
    """The law of x + e for independent x ~ p, e ~ kernel (1-D, scalar parameters)."""

    dim = 1
    batch_shape = ()

    def __init__(self, p, kernel):
        check_distribution(p, "p")
        check_distribution(kernel, "kernel")
        for name, d in (("p", p), ("kernel", kernel)):
            if d.dim != 1 or d.batch_shape != ():
                raise ValueError(
                    f"numeric spreading needs a single one-dimensional {name}; got dim={d.dim}, "
                    f"batch_shape={d.batch_shape}"
                )
        if not p.absolutely_continuous:
            raise ValueError("p must have a density for numeric spreading (a point mass has a closed form)")
        self.p = p
        self.kernel = kernel

    def __repr__(self):
        return f"{type(self).__name__}({self.p!r}, {self.kernel!r})"

    @property
    def support(self):
        lo_p, hi_p = support_1d(self.p)
        lo_k, hi_k = support_1d(self.kernel)
        return lo_p + lo_k, hi_p + hi_k

    @property
    def location_hint(self):
        return float(np.asarray(self.p.location_hint)) + float(np.asarray(self.kernel.location_hint))

    @property
    def scale_hint(self):
        return float(np.hypot(float(np.asarray(self.p.scale_hint)), float(np.asarray(self.kernel.scale_hint))))

    def landmarks(self):
        a, b = self.p.landmarks(), self.kernel.landmarks()
        return np.unique(np.add.outer(a, b).ravel())

    def cf(self, omega):
        """Product of the two characteristic functions."""
        return self.p.cf(omega) * self.kernel.cf(omega)

    def sample(self, n, rng=None):
        """Draw ``n`` samples of x + e."""
        n = as_count(n, "n", item_bytes=8, what="draw")
        rng = check_rng(rng)
        return np.reshape(self.p.sample(n, rng), (n,)) + np.reshape(self.kernel.sample(n, rng), (n,))

    def shifted(self, offset):
        return type(self)(self.p.shifted(offset), self.kernel)


class UniformSpread(_SumOfTwo):
    r"""p * Uniform[a, a + w] in closed form from p's distribution function.

    .. math:: \tilde p(y) = \frac{F_p(y - a) - F_p(y - a - w)}{w}

    computed in log space: left of p's median from ``logcdf`` and right of it from
    ``logsf``, as :math:`\log F(u) + \log(-\mathrm{expm1}(\log F(l) - \log F(u)))`, so
    neither tail cancels or underflows while the density is representable in log space.

    Parameters
    ----------
    p : Distribution
        A one-dimensional scipy-backed family with scalar parameters.
    kernel : Uniform
        The uniform spread kernel on [a, a + w].

    Examples
    --------
    >>> from spreadlab import Laplace, Uniform, spread
    >>> s = spread(Laplace(0.0, 1.0), Uniform(-1.0, 2.0))
    >>> round(float(s.pdf(0.0)), 12)  # (1 - e^{-1}) / 2
    0.316060279414
    >>> round(float(s.logpdf(800.0)), 6)  # log((e - 1/e)/4) - 800, far past exp underflow
    -800.531708
    """

    def __init__(self, p, kernel):
        if not isinstance(p, _Univariate) or not isinstance(kernel, Uniform):
            raise TypeError(f"UniformSpread needs a scipy-backed 1-D p and a Uniform kernel; got {p!r}, {kernel!r}")
        super().__init__(p, kernel)

    def logpdf(self, x):
        y = as_float_array(x, "x", allow_inf=True)
        a, width = float(self.kernel.loc), float(self.kernel.scale)
        upper, lower = y - a, y - a - width
        median = float(self.p.location_hint)
        left = upper <= median
        with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
            lc_u, lc_l = self.p.logcdf(upper), self.p.logcdf(lower)
            ls_u, ls_l = self.p.logsf(upper), self.p.logsf(lower)
            from_cdf = lc_u + np.log(-np.expm1(lc_l - lc_u))
            from_sf = ls_l + np.log(-np.expm1(ls_u - ls_l))
            out = np.where(left, from_cdf, from_sf) - np.log(width)
        return np.where(np.isnan(out), -np.inf, out)


class Convolution(_SumOfTwo):
    r"""The spread distribution p * K evaluated numerically, in log space (one dimension).

    For every point y, :math:`\log\tilde p(y) = \log\int \exp(\log p(t) + \log K(y - t))\,dt`
    is a log-sum-exp over Gauss-Legendre nodes, so a tail value is right to full relative
    precision wherever it is representable in log space (``pdf(300)`` of a Laplace law
    spread by a standard Gaussian is 4.2e-131, not 0), and it does not depend on the other
    points of the call. Each point gets its own panels: split at the landmarks of p, at y
    minus the landmarks of K and at the support edges, semi-infinite ends mapped with the
    laws' scale. Two independent rules (16- and 8-point Gauss-Legendre) give each point's
    error estimate; panels are halved for the points that miss ``rtol`` until they pass or the
    budget ends (then a :class:`~spreadlab.QuadratureTruncationWarning` says so and
    :attr:`last_error` carries the achieved accuracy). The characteristic function is the
    product :math:`\varphi_p \varphi_K`; sampling adds independent draws.

    Parameters
    ----------
    p, kernel : Distribution
        One-dimensional distributions with scalar parameters; ``p`` must have a density.

    Attributes
    ----------
    rtol : float
        Target relative accuracy of each density value, 1e-10 (the 8-point rule must meet it,
        so the 16-point value returned is far more accurate: the estimate is conservative).
    max_level : int
        Panels are halved at most this many times (6: 64 sub-panels each).
    chunk : int
        Points evaluated together (256). The work per point is bounded by ``max_level`` (at
        most 24 * 2**6 evaluations per panel), so no call can run away; inside a
        ``method="quad"`` divergence the quadrature's time budget is checked between batches
        and raises :class:`~spreadlab.QuadratureBudgetError` when it has passed; a call on its
        own (nested convolutions included) has :data:`spreadlab.budgets.DENSITY_TIME_BUDGET`.
    max_nodes : int
        Nodes of one rule held in memory at once (2,000,000, ~16 MB per array): deep levels
        evaluate fewer points per batch instead of allocating more.
    last_error : float
        Largest relative error estimate of the last :meth:`logpdf` / :meth:`pdf` call.

    Examples
    --------
    >>> from spreadlab import Laplace, Gaussian, spread
    >>> s = spread(Laplace(0.0, 1.0), Gaussian(0.0, 1.0))
    >>> round(float(s.cf(1.0).real), 6)  # exp(-1/2) / (1 + 1)
    0.303265
    >>> float(s.pdf(300.0))  # e^{1/2 - 300} (1 + erf(...)) / 2 ~ 4.2e-131
    4.2439736062569e-131
    """

    rtol = 1e-10
    max_level = 6
    chunk = 256
    max_nodes = 2_000_000
    numeric_density = True

    def __init__(self, p, kernel):
        super().__init__(p, kernel)
        self.last_error = 0.0
        self.max_error_seen = 0.0  # running maximum, reset by whoever wants a bound over many calls

    def pdf(self, x):
        """Density (the exponential of :meth:`logpdf`)."""
        with np.errstate(under="ignore"):
            return np.exp(self.logpdf(x))

    def logpdf(self, x):
        """Log density by log-space quadrature; the error estimate is kept in ``last_error``."""
        value, err = self.logpdf_and_error(x)
        return value

    def logpdf_and_error(self, x):
        """Log density and, per point, an estimate of its absolute error (= relative error of the density)."""
        y = as_float_array(x, "x", allow_inf=True)
        flat = y.ravel()
        out = np.full(flat.size, -np.inf)
        err = np.zeros(flat.size)
        finite = np.isfinite(flat)
        if np.any(finite):
            budget = time_budget_seconds("DENSITY_TIME_BUDGET")
            message = (
                f"the numerically spread density {self!r} ran past its time budget of {budget:g} s "
                f"(spreadlab.budgets.DENSITY_TIME_BUDGET) at {int(finite.sum())} points; evaluate "
                "fewer points, use a closed-form spread, or a larger budget"
            )
            # inside a divergence (or any caller's budget) that budget alone applies
            with contextlib.nullcontext() if budget_in_force() else time_budget(budget, message):
                out[finite], err[finite] = self._log_conv(flat[finite])
        self.last_error = float(np.max(err, initial=0.0))
        self.max_error_seen = max(self.max_error_seen, self.last_error)
        return out.reshape(y.shape), err.reshape(y.shape)

    # ---------------------------------------------------------------------- internals
    def _panels(self, y):
        """Per-point panel edges in t (rows sorted), and the mapping scale for infinite ends."""
        p_lo, p_hi = support_1d(self.p)
        k_lo, k_hi = support_1d(self.kernel)
        lo = np.maximum(p_lo, y - k_hi)  # t in supp p and y - t in supp K
        hi = np.minimum(p_hi, y - k_lo)
        lp_marks = np.asarray(self.p.landmarks(), dtype=float)
        lk_marks = np.asarray(self.kernel.landmarks(), dtype=float)
        inner = np.concatenate([np.broadcast_to(lp_marks, (y.size, lp_marks.size)),
                                y[:, None] - lk_marks[None, :]], axis=1)
        inner = np.clip(inner, np.where(np.isfinite(lo), lo, -np.inf)[:, None],
                        np.where(np.isfinite(hi), hi, np.inf)[:, None])
        edges = np.sort(np.concatenate([lo[:, None], inner, hi[:, None]], axis=1), axis=1)
        scale = max(float(np.asarray(self.p.scale_hint)), float(np.asarray(self.kernel.scale_hint)),
                    np.finfo(float).tiny)
        return edges, scale, lo < hi

    def _rule(self, y, edges, scale, n_nodes, level):
        """log of the integral on the panels (each split in 2**level) with an n-point GL rule."""
        nodes, weights = _GL_RULES[n_nodes]
        sub = 2 ** level
        a, b = edges[:, :-1], edges[:, 1:]
        # split every panel in `sub` equal parts; the infinite end panels in the mapped variable
        frac = np.linspace(0.0, 1.0, sub + 1)
        u0, u1 = frac[:-1], frac[1:]
        s = (0.5 * (u1 - u0))[:, None] * (nodes[None, :] + 1.0) + u0[:, None]  # (sub, n) in [0, 1]
        ws = (0.5 * (u1 - u0))[:, None] * weights[None, :]
        s, ws = s.ravel(), ws.ravel()
        left_inf = np.isneginf(a)
        right_inf = np.isposinf(b)
        width = np.where(left_inf | right_inf, 0.0, b - a)
        with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
            # finite panels: t = a + (b - a) s
            t = a[..., None] + width[..., None] * s
            logw = np.log(width[..., None] * ws)
            # (-inf, b]: t = b - scale * s / (1 - s); [a, inf): t = a + scale * s / (1 - s)
            m = scale * s / (1.0 - s)
            logjac = np.log(scale * ws) - 2.0 * np.log1p(-s)
            t = np.where(left_inf[..., None], b[..., None] - m, t)
            t = np.where(right_inf[..., None], a[..., None] + m, t)
            logw = np.where((left_inf | right_inf)[..., None], logjac, logw)
            g = self.p.logpdf(t) + self.kernel.logpdf(y[:, None, None] - t)
            terms = np.where(np.isfinite(logw) & ~np.isnan(g), g + logw, -np.inf)
            terms = terms.reshape(y.size, -1)
            top = np.max(terms, axis=1)
            safe = np.where(np.isfinite(top), top, 0.0)
            total = safe + np.log(np.sum(np.exp(terms - safe[:, None]), axis=1))
        return np.where(np.isfinite(top), total, -np.inf)

    def _log_conv(self, y):
        """Log-space convolution at finite points y, in chunks that bound the memory."""
        out = np.empty(y.size)
        err = np.empty(y.size)
        for start in range(0, y.size, self.chunk):
            sl = slice(start, start + self.chunk)
            out[sl], err[sl] = self._log_conv_chunk(y[sl])
        bad = err > self.rtol
        if np.any(bad):
            import warnings

            from ._integration import QuadratureTruncationWarning

            warnings.warn(
                f"numeric spreading of {self!r}: {int(bad.sum())} of {y.size} points reach only a "
                f"relative accuracy of {float(np.max(err)):.2g} (target {self.rtol:g}) after "
                f"{self.max_level} panel halvings; last_error and quadrature error estimates carry it",
                QuadratureTruncationWarning, stacklevel=4,
            )
        return out, err

    def _log_conv_chunk(self, y):
        edges, scale, nonempty = self._panels(y)
        out = np.full(y.size, -np.inf)
        err = np.zeros(y.size)
        todo = np.flatnonzero(nonempty)
        for level in range(self.max_level + 1):
            if todo.size == 0:
                break
            # points per batch so that one rule holds at most max_nodes nodes in memory
            per_point = (edges.shape[1] - 1) * 2**level * 16
            step = max(1, self.max_nodes // per_point)
            fine, coarse = np.empty(todo.size), np.empty(todo.size)
            for start in range(0, todo.size, step):
                check_budget()  # a nested quadrature's deadline reaches down to here
                sel = todo[start:start + step]
                fine[start:start + step] = self._rule(y[sel], edges[sel], scale, 16, level)
                coarse[start:start + step] = self._rule(y[sel], edges[sel], scale, 8, level)
            with np.errstate(invalid="ignore", over="ignore"):
                rel = np.where(np.isfinite(fine) | np.isfinite(coarse), np.abs(np.expm1(coarse - fine)), 0.0)
            rel = np.where(np.isnan(rel), np.inf, rel)
            out[todo], err[todo] = fine, rel
            todo = todo[rel > self.rtol]
        return out, err
