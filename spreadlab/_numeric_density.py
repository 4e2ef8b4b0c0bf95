"""Numerical Fourier transform of a one-dimensional density (private; used by spreadlab.fourier).

The characteristic function :math:`\\varphi(\\omega) = \\int f(x) e^{i\\omega x}\\,dx` of a
density given only as a Python callable is computed by *Filon-Legendre* quadrature:

1. The real line is cut into panels: a core of width-``s`` panels around the median
   (``s`` a robust scale) and geometrically growing panels out to ``1e16 s`` on each side.
2. On each panel ``f`` is sampled at 16 Gauss-Legendre nodes and expanded in Legendre
   polynomials. A panel whose last two Legendre coefficients are not negligible (a kink,
   a jump, an unresolved oscillation) is bisected, worst panels first, until every panel
   is resolved or the node budget is spent.
3. On a panel with centre ``c`` and half-width ``h`` the polynomial part is integrated
   against :math:`e^{i\\omega x}` *exactly*, whatever :math:`\\omega h`:

   .. math:: \\int_{-1}^{1} P_k(t) e^{i\\kappa t}\\,dt = 2 i^k j_k(\\kappa),

   with :math:`j_k` the spherical Bessel function. So wide tail panels stay accurate at
   high frequency, and the error bound (sum over panels of twice the size of the last
   two Legendre coefficients times the half-width) holds for every :math:`\\omega` at
   once.

The same partition gives the total mass and the quartiles, so normalisation and the
default frequency band come from one computation.
"""

import numpy as np
from scipy import optimize, special

from ._integration import GL_NODES, GL_WEIGHTS

__all__ = []

_N = 16  # Gauss-Legendre nodes per panel
_T, _W = GL_NODES, GL_WEIGHTS  # the package's 16-point Gauss-Legendre rule
_P = np.polynomial.legendre.legvander(_T, _N - 1)  # _P[j, k] = P_k(t_j)
# Legendre coefficients a = _C @ f(nodes): a_k = (2k+1)/2 sum_j w_j P_k(t_j) f_j
_C = ((2 * np.arange(_N) + 1) / 2.0)[:, None] * (_P * _W[:, None]).T
# Filon weights on the nodes from j_k: sum_k 2 i^k j_k C[k, j], split into real parts
# (NumPy's complex-by-real matmul bypasses BLAS and is ~50x slower)
_CRE = (2.0 * np.real(1j ** np.arange(_N)))[:, None] * _C
_CIM = (2.0 * np.imag(1j ** np.arange(_N)))[:, None] * _C
_CORE = 16  # core half-width in units of the scale
_FAR = 1e16  # outermost panel edge in units of the scale


def _spherical_jn_all(kappa):
    """j_0 .. j_{N-1} at kappa >= 0, shape kappa.shape + (N,).

    Upward recurrence j_{k+1} = (2k+1)/x j_k - j_{k-1} is stable for x > k, so it is
    used for x >= N (most wide panels); scipy handles the rest.
    """
    kappa = np.asarray(kappa, dtype=float)
    out = np.empty(kappa.shape + (_N,))
    big = kappa >= _N
    if np.any(big):
        x = kappa[big]
        sx, cx = np.sin(x), np.cos(x)
        cols = [sx / x, sx / (x * x) - cx / x]
        for k in range(1, _N - 1):
            cols.append((2 * k + 1) / x * cols[k] - cols[k - 1])
        out[big] = np.stack(cols, axis=-1)
    tiny = kappa < 1e-150  # j_k(x) ~ x^k / (2k+1)!!: j_0 = 1 and the rest vanish in float64
    rest = ~big & ~tiny
    if np.any(rest):
        out[rest] = special.spherical_jn(np.arange(_N), kappa[rest][:, None])
    if np.any(tiny):
        out[tiny] = 0.0
        out[tiny, 0] = 1.0
    return out


def _vectorise(func):
    """Return a function mapping a float array to a float array of the same shape."""

    def call(x):
        x = np.asarray(x, dtype=float)
        try:
            with np.errstate(all="ignore"):
                out = np.asarray(func(x), dtype=float)
            if out.shape == x.shape:
                return out
        except Exception:  # noqa: BLE001 - fall back to one call per point
            pass
        with np.errstate(all="ignore"):
            flat = np.array([float(func(float(v))) for v in x.ravel()])
        return flat.reshape(x.shape)

    return call


class NumericDensity:
    """A callable 1-D density resolved on an adaptive panel partition.

    Parameters
    ----------
    func : callable
        f(x) >= 0, vectorised or not.
    tol : float
        Target for the summed per-panel error bound.
    max_panels : int
        Budget of panels (16 evaluations each).
    """

    def __init__(self, func, tol=1e-12, max_panels=12000, name="kernel"):
        self.func = _vectorise(func)
        self.name = name
        centre, scale = self._probe()
        self._build(centre, scale, tol, max_panels)
        self._check_values()
        self.mass = float(np.sum(self.h[:, None] * _W * self.values))
        if not np.isfinite(self.mass) or self.mass <= 0:
            raise ValueError(
                f"{name} does not integrate to a positive finite number "
                f"(quadrature gave {self.mass!r}); it is not a density"
            )
        if self.error > 1e-2 * self.mass:
            raise ValueError(
                f"{name} does not look integrable: the mass it leaves beyond 1e15 scales, or "
                f"in unresolved panels, is {self.error:.3g} against a total of {self.mass:.3g}"
            )
        self.quartiles = self._quantiles([0.25, 0.5, 0.75])
        self.median = self.quartiles[1]
        self.scale = (self.quartiles[2] - self.quartiles[0]) / 1.3489795003921634

    # ------------------------------------------------------------------ partition
    def _probe(self):
        """Rough centre and scale from a symmetric logarithmic grid of 601 points."""
        r = np.logspace(-6, 15, 300)
        grid = np.concatenate([-r[::-1], [0.0], r])
        vals = self.func(grid)
        self._reject_bad(grid, vals)
        seg = 0.5 * (vals[1:] + vals[:-1]) * np.diff(grid)
        cum = np.concatenate([[0.0], np.cumsum(seg)])
        if cum[-1] <= 0 or not np.isfinite(cum[-1]):
            raise ValueError(
                f"{self.name} is zero (or not integrable) on a probe grid spanning "
                "[-1e15, 1e15]; it is not a density"
            )
        q = np.interp([0.25, 0.5, 0.75], cum / cum[-1], grid)
        scale = (q[2] - q[0]) / 1.349
        if not scale > 0:
            pos = grid[vals > 0]
            scale = max(pos.max() - pos.min(), 1e-6) if pos.size else 1.0
        return float(q[1]), float(scale)

    def _build(self, centre, scale, tol, max_panels):
        core = centre + scale * np.arange(-_CORE, _CORE + 1.0)
        k = np.arange(1, int(np.ceil(np.log2(_FAR / _CORE))) + 1)
        right = centre + scale * _CORE * 2.0**k
        left = centre - scale * _CORE * 2.0**k
        edges = np.concatenate([left[::-1], core, right])
        a, b = edges[:-1], edges[1:]
        min_width = 1e-13 * scale
        per_panel = tol / 200.0
        while True:
            c, h = 0.5 * (a + b), 0.5 * (b - a)
            vals = self.func(c[:, None] + h[:, None] * _T)
            ends = self.func(np.stack([a, b], axis=1))
            err = self._panel_error(h, vals, ends)
            bad = np.flatnonzero((err > per_panel) & (h > min_width))
            room = max_panels - a.size
            if bad.size == 0 or room <= 0:
                break
            bad = bad[np.argsort(err[bad])[::-1][:room]]
            mid = c[bad]
            a = np.concatenate([np.delete(a, bad), a[bad], mid])
            b = np.concatenate([np.delete(b, bad), mid, b[bad]])
            order = np.argsort(a)
            a, b = a[order], b[order]
        self.a, self.b, self.c, self.h = a, b, c, h
        self.values = vals
        self.panel_error = err
        # mass beyond the outermost edges: f(R) R / alpha for an R^-(1+alpha) tail, with
        # a factor 10 covering tails as heavy as alpha = 0.1
        edge_tail = 10.0 * (np.abs(vals[0, 0]) * np.abs(c[0] + h[0] * _T[0] - centre)
                     + np.abs(vals[-1, -1]) * np.abs(c[-1] + h[-1] * _T[-1] - centre))
        self.error = float(np.sum(err) + edge_tail)
        self.resolved = bool(np.all((err <= per_panel) | (h <= min_width)))

    @staticmethod
    def _panel_error(h, vals, ends):
        # last two Legendre coefficients, plus the mismatch between f and the polynomial
        # at the panel ends: a jump hidden between the outermost node and the edge shows
        # up only there
        coef = vals @ _C.T
        at_ends = np.stack([coef @ (-1.0) ** np.arange(_N), coef.sum(axis=1)], axis=1)
        mismatch = np.sum(np.abs(np.nan_to_num(ends) - at_ends), axis=1)
        return 2.0 * h * (np.abs(coef[:, -1]) + np.abs(coef[:, -2])) + h * mismatch

    def _reject_bad(self, x, vals):
        if not np.all(np.isfinite(vals)):
            i = np.flatnonzero(~np.isfinite(vals))[0]
            raise ValueError(
                f"{self.name} must return finite values; got {vals[i]!r} at x = {x[i]:.6g}"
            )
        if np.any(vals < 0):
            i = np.argmin(vals)
            raise ValueError(
                f"{self.name} is not a density: it is negative ({vals[i]:.3g}) at x = {x[i]:.6g}"
            )

    def _check_values(self):
        self._reject_bad((self.c[:, None] + self.h[:, None] * _T).ravel(), self.values.ravel())

    # ------------------------------------------------------------------ quantities
    def _quantiles(self, probs):
        pm = self.h * (self.values @ _W)
        cum = np.concatenate([[0.0], np.cumsum(pm)]) / self.mass
        out = []
        for p in probs:
            i = int(np.clip(np.searchsorted(cum, p) - 1, 0, self.h.size - 1))
            coef = _C @ self.values[i]
            anti = np.polynomial.legendre.Legendre(coef).integ(lbnd=-1)

            def g(t, i=i, anti=anti, p=p):
                return cum[i] + self.h[i] * anti(t) / self.mass - p

            lo, hi = g(-1.0), g(1.0)
            if lo >= 0:
                t = -1.0
            elif hi <= 0:
                t = 1.0
            else:
                t = optimize.brentq(g, -1.0, 1.0, xtol=1e-14)
            out.append(self.c[i] + self.h[i] * t)
        return np.array(out)

    def positive_far_out(self, reach=30.0, n=6001):
        """Is f > 0 on a dense grid over median +- reach * scale and at every node there?

        A zero that the density reaches by *underflow* is not a hole in the support: a run
        of zeros whose neighbours on the grid are all below 1e-250 of the largest value (a
        Gaussian tail 40 widths out, the valley between two far-apart bumps) counts as
        positive. A hard edge (Uniform, Epanechnikov, even exp(-1/(1 - x^2)), whose last
        value before 0 is far above that) is still one."""
        x = self.median + self.scale * np.linspace(-reach, reach, n)
        nodes = (self.c[:, None] + self.h[:, None] * _T).ravel()
        inside = np.abs(nodes - self.median) <= reach * self.scale
        pts = np.concatenate([x, nodes[inside]])
        vals = np.concatenate([np.asarray(self.func(x), dtype=float), self.values.ravel()[inside]])
        order = np.argsort(pts, kind="stable")
        return _positive_up_to_underflow(vals[order]), x.size + int(inside.sum())

    def cf(self, omega, block=256):
        """Characteristic function at real ``omega`` (any shape), divided by ``mass``."""
        omega = np.asarray(omega, dtype=float)
        reach = float(np.max(np.abs(self.c) + self.h))
        if np.max(np.abs(omega), initial=0.0) * reach > 1e300:
            raise ValueError(
                f"omega must satisfy |omega| <= {1e300 / reach:.3g}: beyond it the phases omega x "
                f"over the density's partition (out to |x| = {reach:.3g}) overflow"
            )
        flat = omega.ravel()
        out = np.zeros(flat.size, dtype=complex)
        widths, group = np.unique(self.h, return_inverse=True)
        members = [np.flatnonzero(group == g) for g in range(widths.size)]
        sign = (-1.0) ** np.arange(_N)
        wmax = np.max(np.abs(flat), initial=0.0)
        # e^{i w h t} is a degree-16 polynomial to 5e-14 relative accuracy when w h <= 1,
        # so plain Gauss-Legendre is exact enough there and much cheaper than Filon
        filon = widths * wmax > 1.0
        for start in range(0, flat.size, block):
            w = flat[start:start + block]
            if np.any(filon):
                # one call for all wide panels: (n_w, n_filon_widths, N)
                jk = _spherical_jn_all(np.abs(w)[:, None] * widths[filon][None, :])
                jk = jk * np.where(w[:, None, None] < 0, sign, 1.0)  # j_k(-x) = (-1)^k j_k(x)
                mf = jk @ _CRE + 1j * (jk @ _CIM)  # (n_w, n_filon_widths, N)
            fi = 0
            for g, h in enumerate(widths):
                if filon[g]:
                    m = mf[:, fi, :]
                    fi += 1
                else:
                    m = _W * np.exp(1j * np.outer(w, h * _T))
                sel = members[g]
                arg = np.outer(w, self.c[sel])  # (n_w, n_panels); real BLAS products below
                vals = self.values[sel]
                summed = np.cos(arg) @ vals + 1j * (np.sin(arg) @ vals)
                out[start:start + block] += h * np.sum(m * summed, axis=1)
        return (out / self.mass).reshape(omega.shape)


# ---------------------------------------------------------------------- zero analysis
def analyse_zeros(cf, band, n_grid, floor, centre=0.0):
    """Locate zeros, zero bands and the resolved band of a characteristic function.

    Parameters
    ----------
    cf : callable
        Vectorised characteristic function of a 1-D distribution.
    band : (float, float)
        Frequencies examined, 0 <= lo < hi. |phi| is even, so only omega >= 0 is needed.
    n_grid : int
        Grid points for the scan; every candidate is refined off the grid.
    floor : float
        Absolute accuracy of ``cf``: values below it are indistinguishable from 0.
    centre : float
        Location used to strip the linear phase exp(i omega centre).

    Returns
    -------
    dict
    """
    lo, hi = band
    omega = np.linspace(lo, hi, n_grid)
    phi = np.asarray(cf(omega), dtype=complex)
    # remove the linear phase; a symmetric kernel then has a real transform
    rot = phi * np.exp(-1j * omega * centre)
    sym_tol = max(100.0 * floor, 1e-9)
    symmetric = bool(np.max(np.abs(rot.imag)) <= sym_tol)
    if symmetric:
        def g(w):
            return float(np.real(np.asarray(cf(w), dtype=complex) * np.exp(-1j * w * centre)))
        vals = rot.real
    else:
        def g(w):
            return float(np.abs(np.asarray(cf(w), dtype=complex)))
        vals = np.abs(phi)
    mag = np.abs(vals)
    below = mag <= floor
    zeros, bands = [], []
    resolved_hi = hi
    sharp_edge = None
    step = omega[1] - omega[0]

    # runs of consecutive grid points below the floor
    runs = []
    i = 0
    while i < n_grid:
        if below[i]:
            j = i
            while j + 1 < n_grid and below[j + 1]:
                j += 1
            runs.append((i, j))
            i = j + 1
        else:
            i += 1
    for i, j in runs:
        terminal = j == n_grid - 1
        if terminal and i > 0:
            sharp_edge = _edge_is_sharp(lambda w: abs(g(w)), omega[i - 1], omega[i], floor)
            edge = _bisect_floor(lambda w: abs(g(w)), omega[i - 1], omega[i], floor)
            if sharp_edge:
                bands.append((edge, hi))
            else:
                resolved_hi = edge
        elif j - i >= 2:  # at least two full grid steps below the floor
            left = _bisect_floor(lambda w: abs(g(w)), omega[max(i - 1, 0)], omega[i], floor) if i > 0 else omega[0]
            right = _bisect_floor(lambda w: -abs(g(w)), omega[j], omega[min(j + 1, n_grid - 1)], -floor)
            bands.append((left, right))
        else:  # one or two points: an isolated zero near the grid
            a, b = omega[max(i - 1, 0)], omega[min(j + 1, n_grid - 1)]
            zeros.append(_refine_min(lambda w: abs(g(w)), a, b, step))

    in_run = np.zeros(n_grid, dtype=bool)
    for i, j in runs:
        in_run[max(i - 1, 0):j + 2] = True
    # sign changes between resolved points (symmetric kernels)
    if symmetric:
        s = np.sign(vals)
        for k in np.flatnonzero((s[:-1] * s[1:] < 0) & ~in_run[:-1] & ~in_run[1:]):
            zeros.append(optimize.brentq(g, omega[k], omega[k + 1], xtol=1e-15 * max(1.0, hi)))
    # local minima of |phi| that may touch zero between grid points
    mid, left, right = mag[1:-1], mag[:-2], mag[2:]
    interior = np.flatnonzero((mid <= left) & (mid <= right) & ((mid < left) | (mid < right))) + 1
    for k in interior:
        if in_run[k] or (symmetric and (vals[k - 1] * vals[k + 1] < 0 or vals[k] * vals[k + 1] < 0
                                        or vals[k - 1] * vals[k] < 0)):
            continue
        w0 = _refine_min(lambda w: abs(g(w)), omega[k - 1], omega[k + 1], step)
        if abs(g(w0)) <= floor:
            zeros.append(w0)
    zeros = np.unique(np.round(np.sort(np.array(zeros, dtype=float)), 12))
    # keep only zeros not inside a zero band
    if bands:
        keep = [z for z in zeros if not any(a - step <= z <= b + step for a, b in bands)]
        zeros = np.array(keep, dtype=float)
    return {
        "omega": omega,
        "phi": phi,
        "symmetric": symmetric,
        "values": vals,
        "zeros": zeros,
        "zero_bands": [(float(a), float(b)) for a, b in bands],
        "resolved_hi": float(resolved_hi),
        "sharp_edge": sharp_edge,
        "min_cf": float(np.min(vals)),
    }


def _refine_min(func, a, b, step):
    res = optimize.minimize_scalar(func, bounds=(a, b), method="bounded",
                                   options={"xatol": 1e-13 * max(step, 1.0)})
    return float(res.x)


def _bisect_floor(func, a, b, floor):
    """Point in [a, b] where func drops to ``floor`` (func(a) > floor >= func(b))."""
    fa = func(a) - floor
    fb = func(b) - floor
    if fa <= 0:
        return float(a)
    if fb > 0:
        return float(b)
    return float(optimize.brentq(lambda w: func(w) - floor, a, b, xtol=1e-14 * max(1.0, abs(b))))


def _edge_is_sharp(func, a, b, floor):
    """Does |phi| reach the floor at a finite frequency, or decay smoothly into it?

    The crossing frequencies w(tau) of three levels tau from 0.2 down to
    max(3 floor, 2e-5), equally spaced in log, are located. A power-law approach to an
    exact zero, |phi| ~ (w0 - w)^p, makes successive gaps shrink by the level ratio to
    the power 1/p (about 0.01 for the Fejer kernel's p = 1 when the floor is tiny);
    Gaussian, exponential or power-law decay give gaps that stay comparable or grow
    (ratio > 0.6). Edges with p > ~4, or C-infinity edges, cannot be told from smooth
    decay in double precision and are reported as smooth.

    Returns True (sharp), False (smooth) or None (the floor is too high to tell).
    """
    top = 0.2
    bottom = max(3.0 * floor, 2e-5)
    if bottom > top / 30.0:
        return None
    levels = np.geomspace(top, bottom, 3)
    # walk left from a until |phi| exceeds the top level
    left = a
    width = max(b - a, 1e-12)
    while func(left) < top and left > 0:
        width *= 2.0
        left = max(0.0, a - width)
    if func(left) < top:
        return None
    crossings = [_bisect_floor(func, left, b, lev) for lev in levels]
    d1 = crossings[1] - crossings[0]
    d2 = crossings[2] - crossings[1]
    if d1 <= 0:
        return True
    return bool(d2 < 0.35 * d1)


_UNDERFLOW = 1e-250  # relative size below which a density's last value before 0 is a tail underflowing


def _positive_up_to_underflow(values):
    """True when ``values`` (a density along increasing x) is > 0 except in runs of zeros
    bordered only by values below ``_UNDERFLOW`` times the largest value."""
    values = np.asarray(values, dtype=float)
    zero = ~(values > 0)
    if not np.any(zero):
        return True
    top = float(np.max(values, initial=0.0))
    if not top > 0:
        return False
    edges = np.diff(np.concatenate([[0], zero.astype(np.int8), [0]]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1
    for a, b in zip(starts, ends):
        for nb in (a - 1, b + 1):
            if 0 <= nb < values.size and values[nb] >= _UNDERFLOW * top:
                return False
    return True
