"""Every quadrature rule of the package, and where to put the breakpoints.

* :func:`integrate_segments` -- vectorised adaptive Gauss-Kronrod (7/15) quadrature.
  scipy's ``quad`` calls its integrand one point at a time, which is slow when every
  evaluation is itself an integral (the density of a numerically spread distribution).
  This integrator evaluates all Kronrod nodes of all active intervals in one call, then
  bisects only the intervals whose Gauss-Kronrod difference is too large. Infinite
  intervals are mapped to finite ones first.
* :data:`GL_NODES`, :data:`GL_WEIGHTS`, :func:`gauss_legendre_panels` -- a fixed
  16-point Gauss-Legendre rule on equal panels (Plancherel integrals, the counterexample,
  the Filon-Legendre transform of :mod:`spreadlab._numeric_density`).
* :func:`landmarks`, :func:`breakpoints`, :func:`scan_grid` -- where 1-D densities have
  their features, read from the :class:`~spreadlab.Distribution` contract.
"""

import contextlib
import contextvars
import time

import numpy as np

__all__ = ["QuadratureTruncationWarning", "QuadratureBudgetError"]


class QuadratureTruncationWarning(UserWarning):
    """A numeric integral hit its budget before it reached the requested accuracy.

    The result is returned with the accuracy it achieved (in the message, and in the error
    estimate that travels with it), never silently as if it had converged.
    """


class QuadratureBudgetError(ValueError):
    """A numeric integral ran past its time budget before it converged.

    Raised by ``method="quad"`` (the budget is
    :data:`spreadlab.divergences.QUAD_TIME_BUDGET` seconds for one evaluation, checked in
    the outer quadrature *and* inside every numerically spread density it evaluates, so a
    nested integral cannot hang). A subclass of ``ValueError``: the command line reports it
    on one line like any rejected argument. The message names the budget and what to try
    instead (a closed form, ``method="mc"``, or a larger budget).
    """


_DEADLINE = contextvars.ContextVar("spreadlab_quadrature_deadline", default=None)


@contextlib.contextmanager
def time_budget(seconds, message):
    """Run the block under a deadline ``seconds`` from now; :func:`check_budget` raises
    :class:`QuadratureBudgetError` with ``message`` once it has passed. A budget already in
    force that ends earlier is kept (nested budgets never extend the outer one)."""
    deadline = time.monotonic() + float(seconds)
    outer = _DEADLINE.get()
    if outer is not None and outer[0] <= deadline:
        yield
        return
    token = _DEADLINE.set((deadline, message))
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def check_budget():
    """Raise :class:`QuadratureBudgetError` if the innermost :func:`time_budget` has expired."""
    current = _DEADLINE.get()
    if current is not None and time.monotonic() > current[0]:
        raise QuadratureBudgetError(current[1])


# 7-point Gauss / 15-point Kronrod nodes and weights on [-1, 1] (QUADPACK's qk15)
_XK = np.array([
    0.991455371120812639206854697526329, 0.949107912342758524526189684047851,
    0.864864423359769072789712788640926, 0.741531185599394439863864773280788,
    0.586087235467691130294144845693013, 0.405845151377397166906606412076961,
    0.207784955007898467600689403773245, 0.000000000000000000000000000000000,
])
_WK = np.array([
    0.022935322010529224963732008058970, 0.063092092629978553290700663189204,
    0.104790010322250183839876322541518, 0.140653259715525918745189590510238,
    0.169004726639267902826583426598550, 0.190350578064785409913256402421014,
    0.204432940075298892414161999234649, 0.209482141084727828012999174891714,
])
_WG = np.array([
    0.129484966168869693270611432679082, 0.279705391489276667901467771423780,
    0.381830050505118944950369775488975, 0.417959183673469387755102040816327,
])
_NODES = np.concatenate([-_XK[:-1], _XK[::-1]])
_WEIGHTS_K = np.concatenate([_WK[:-1], _WK[::-1]])
_WEIGHTS_G = np.zeros(15)
_WEIGHTS_G[1::2] = np.concatenate([_WG[:-1], _WG[::-1]])


def _mapping(a, b):
    """Return (t_lo, t_hi, x(t), dx/dt) turning [a, b] (maybe infinite) into a finite range."""
    if np.isfinite(a) and np.isfinite(b):
        return a, b, (lambda t: t), (lambda t: np.ones_like(t))
    if np.isfinite(a):  # [a, inf): x = a + t / (1 - t), t in [0, 1)
        return 0.0, 1.0, (lambda t: a + t / (1.0 - t)), (lambda t: 1.0 / (1.0 - t) ** 2)
    if np.isfinite(b):  # (-inf, b]: x = b - t / (1 - t)
        return 0.0, 1.0, (lambda t: b - t / (1.0 - t)), (lambda t: 1.0 / (1.0 - t) ** 2)
    return -1.0, 1.0, (lambda t: t / (1.0 - t * t)), (lambda t: (1.0 + t * t) / (1.0 - t * t) ** 2)


def integrate_segments(func, edges, rtol=1e-12, atol=1e-300, max_rounds=40):
    """Integrate a vectorised ``func`` over consecutive segments between ``edges``.

    Parameters
    ----------
    func : callable
        Maps a 1-D array of points to a 1-D array of finite values.
    edges : sequence of float
        Increasing breakpoints; the first may be -inf and the last +inf.

    Returns
    -------
    value, abserr : float
        The integral and the summed Gauss-Kronrod error estimate.
    """
    edges = [float(e) for e in edges]
    pieces = []  # (lo, hi, x_of_t, jac)
    for a, b in zip(edges[:-1], edges[1:]):
        if b > a:
            lo, hi, xmap, jac = _mapping(a, b)
            pieces.append((lo, hi, xmap, jac))
    if not pieces:
        return 0.0, 0.0
    active = [(i, lo, hi) for i, (lo, hi, _, _) in enumerate(pieces)]
    total, error = 0.0, 0.0
    for round_ in range(max_rounds):
        if not active:
            break
        check_budget()
        idx = np.array([a[0] for a in active])
        lo = np.array([a[1] for a in active])
        hi = np.array([a[2] for a in active])
        half = 0.5 * (hi - lo)
        mid = 0.5 * (hi + lo)
        t = mid[:, None] + half[:, None] * _NODES[None, :]
        x = np.empty_like(t)
        w = np.empty_like(t)
        for k in np.unique(idx):
            rows = idx == k
            _, _, xmap, jac = pieces[k]
            with np.errstate(divide="ignore", over="ignore"):
                x[rows] = xmap(t[rows])
                w[rows] = jac(t[rows])
        values = np.asarray(func(x.ravel()), dtype=float).reshape(x.shape) * w
        with np.errstate(invalid="ignore"):
            kron = half * (values @ _WEIGHTS_K)
            gauss = half * (values @ _WEIGHTS_G)
            err = np.abs(kron - gauss)
        running = total + kron.sum()
        tol = max(atol, rtol * abs(running))
        # accept intervals whose error is small for their share of the range
        share = (hi - lo) / np.array([pieces[k][1] - pieces[k][0] for k in idx])
        done = (err <= tol * share) | (half < 1e-15 * np.maximum(1.0, np.abs(mid)))
        done |= ~np.isfinite(err)  # a divergent integrand: keep its inf, do not split
        if round_ == max_rounds - 1 or idx.size > 20000:
            done[:] = True  # out of rounds: keep the estimates, report their error
        total += kron[done].sum()
        error += err[done].sum()
        active = []
        for j in np.flatnonzero(~done):
            active.append((idx[j], lo[j], mid[j]))
            active.append((idx[j], mid[j], hi[j]))
    return float(total), float(error)


# 16-point Gauss-Legendre rule on [-1, 1]
GL_NODES, GL_WEIGHTS = np.polynomial.legendre.leggauss(16)


def gauss_legendre_panels(lo, hi, n_panels):
    """Nodes and weights of the 16-point Gauss-Legendre rule on ``n_panels`` equal panels."""
    edges = np.linspace(lo, hi, n_panels + 1)
    c, h = 0.5 * (edges[1:] + edges[:-1]), 0.5 * (edges[1:] - edges[:-1])
    return (c[:, None] + h[:, None] * GL_NODES).ravel(), (h[:, None] * GL_WEIGHTS).ravel()


def support_1d(d):
    """(lo, hi) of a single one-dimensional law, as floats."""
    lo, hi = d.support
    return float(np.ravel(lo)[0]), float(np.ravel(hi)[0])


def landmarks(dist):
    """Points where a single 1-D density has its features (from ``dist.landmarks()``)."""
    return np.asarray(dist.landmarks(), dtype=float)


def breakpoints(*dists):
    """Quadrature edges for 1-D densities: the union of their supports, split at every
    landmark and finite support edge, e.g. ``[-inf, ..., inf]``."""
    supports = [support_1d(d) for d in dists]
    lo = min(a for a, _ in supports)
    hi = max(b for _, b in supports)
    edges = [v for s in supports for v in s if np.isfinite(v)]
    pts = np.unique(np.concatenate([landmarks(d) for d in dists] + [edges]))
    return np.concatenate([[lo], pts[(pts > lo) & (pts < hi)], [hi]])


def scan_grid(edges, n_inner=2001):
    """Points for scanning a 1-D function: dense between the finite edges and sinh-spaced
    far beyond them (out to ~1e5 spans), clipped to the outer edges."""
    inner = np.asarray(edges, dtype=float)
    inner = inner[np.isfinite(inner)]
    if inner.size == 0:
        inner = np.array([0.0])
    centre, span = float(np.mean(inner)), max(float(np.ptp(inner)), 1.0)
    far = centre + span * np.sinh(np.linspace(-12.0, 12.0, 801)) / np.sinh(1.0)
    grid = np.unique(np.concatenate([inner, np.linspace(inner.min(), inner.max(), n_inner), far]))
    return grid[(grid > edges[0]) & (grid < edges[-1])]
