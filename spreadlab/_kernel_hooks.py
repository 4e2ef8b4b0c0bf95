r"""What the rest of spreadlab needs from a spread kernel, declared once per class.

One registry keyed by type (looked up over the MRO, memoised, like the KL registry in
:mod:`spreadlab.registry`) holds, for each distribution family:

* ``name`` -- the class name the text parser accepts (:func:`spreadlab._parse.parse_distribution`);
* ``notation`` -- ``write(kernel, params) -> str``, the paper's notation for figure titles
  (:func:`spreadlab.plotting.kernel_notation`);
* ``autocorrelation`` -- a :class:`Autocorrelation`: the closed form of
  :math:`k = K * \tilde K` of a one-dimensional kernel K, written as

  .. math:: k(t) = c\, \kappa(|t| / h),\qquad \kappa(0) = 1,

  with the scale h and the constant :math:`c = k(0) = \int K^2` read from the kernel,
  :math:`\kappa` in NumPy, and the integer ``code`` of the same :math:`\kappa` in the
  compiled Gram kernels (:mod:`spreadlab._two_sample_kernels`).

:func:`kernel_plan` turns a kernel (a multivariate Gaussian, a registered one-dimensional
kernel, or a :class:`~spreadlab.ProductKernel` of them) into one :class:`KernelPlan`,
which :func:`spreadlab.mmd2`, :func:`spreadlab.spread_l2_distance` (point masses) and
:func:`spreadlab.two_sample_test` all read. Adding a kernel family to all of them is one
``register_kernel_hooks`` call here (plus, for the compiled two-sample Gram, one branch in
``_two_sample_kernels._kappa``; without it the test falls back to the NumPy Gram).
"""

import math
from dataclasses import dataclass

import numpy as np

from .distributions._base import Distribution
from .distributions._composite import ProductKernel
from .distributions._gaussian import Delta, Gaussian
from .distributions._univariate import (
    Cauchy, Epanechnikov, Fejer, HyperbolicSecant, Laplace, Logistic, StudentT, Triangular, Uniform,
)

__all__ = ["Autocorrelation", "KernelHooks", "KernelPlan", "register_kernel_hooks", "hooks_for",
           "kernel_plan", "parse_names", "kernels_with_autocorrelation"]


# ---------------------------------------------------------------------- the registry
@dataclass(frozen=True)
class Autocorrelation:
    """:math:`k(t) = c\\,\\kappa(|t|/h)` of a one-dimensional kernel.

    Attributes
    ----------
    scale_const : callable
        ``scale_const(kernel) -> (h, c)``, both positive floats.
    kappa : callable
        NumPy :math:`\\kappa(u)` for arrays ``u >= 0``, with :math:`\\kappa(0) = 1`.
    code : int or None
        The code of the same :math:`\\kappa` in ``_two_sample_kernels._kappa`` (None: the
        two-sample test evaluates this factor with NumPy).
    """

    scale_const: object
    kappa: object
    code: object = None


@dataclass(frozen=True)
class KernelHooks:
    """Everything spreadlab reads from one distribution class (see the module docstring)."""

    name: object = None
    notation: object = None
    autocorrelation: object = None


_TABLE = {}
_MEMO = {}


def register_kernel_hooks(cls, *, name=None, notation=None, autocorrelation=None):
    """Declare what spreadlab needs from instances of ``cls`` (replaces an earlier entry).

    Parameters
    ----------
    cls : type
        A :class:`~spreadlab.Distribution` subclass.
    name : str, default=None
        The name the text parser accepts for it.
    notation : callable, default=None
        ``notation(kernel, params) -> str`` for titles (``params = kernel._params()``).
    autocorrelation : Autocorrelation, default=None
        The closed form of :math:`K * \\tilde K` for a one-dimensional kernel of ``cls``.

    Returns
    -------
    KernelHooks
    """
    if not (isinstance(cls, type) and issubclass(cls, Distribution)):
        raise TypeError(f"cls must be a Distribution subclass; got {cls!r}")
    if autocorrelation is not None and not isinstance(autocorrelation, Autocorrelation):
        raise TypeError(f"autocorrelation must be an Autocorrelation; got {autocorrelation!r}")
    hooks = KernelHooks(name=name, notation=notation, autocorrelation=autocorrelation)
    _TABLE[cls] = hooks
    _MEMO.clear()
    return hooks


def hooks_for(cls):
    """The hooks of the most specific registered class in ``cls.__mro__`` (empty if none)."""
    try:
        return _MEMO[cls]
    except KeyError:
        found = next((_TABLE[c] for c in cls.__mro__ if c in _TABLE), KernelHooks())
        _MEMO[cls] = found
        return found


def parse_names():
    """The class names the parser accepts, in registration order, with their classes."""
    return {h.name: cls for cls, h in _TABLE.items() if h.name is not None}


def kernels_with_autocorrelation():
    """Names of the registered classes whose :math:`K * \\tilde K` is known (for messages)."""
    return [cls.__name__ for cls, h in _TABLE.items() if h.autocorrelation is not None]


# ---------------------------------------------------------------------- one plan for all
@dataclass(frozen=True, eq=False)
class KernelPlan:
    """:math:`k(x, y) = c\\,\\kappa(T x - T y)` for a kernel on :math:`R^d`.

    ``T`` is :meth:`transform` (Cholesky whitening for a Gaussian, division by the
    per-dimension scales for a product); :math:`\\kappa` is
    :math:`e^{-\\|z\\|^2/4}` when ``factors`` is None (a whitened Gaussian), else
    :math:`\\prod_i \\kappa_i(|z_i|)`.
    """

    dim: int
    const: float
    chol: object = None         # Gaussian: lower Cholesky factor of the covariance
    scales: object = None       # product: per-dimension scales h_i
    factors: tuple = None       # product: per-dimension Autocorrelation

    @property
    def codes(self):
        """Compiled codes per dimension (None for the whitened Gaussian or an uncompiled factor)."""
        if self.factors is None or any(f.code is None for f in self.factors):
            return None
        return np.array([f.code for f in self.factors], dtype=np.int64)

    @property
    def kappas(self):
        return None if self.factors is None else tuple(f.kappa for f in self.factors)

    def transform(self, samples):
        """Rescaled coordinates z = T x of samples of shape (n, d)."""
        if self.chol is not None:
            return np.ascontiguousarray(np.linalg.solve(self.chol, samples.T).T)
        return np.ascontiguousarray(samples / self.scales)

    def kappa(self, zdiff):
        """:math:`\\kappa` of rescaled differences of shape (..., d)."""
        if self.factors is None:
            with np.errstate(over="ignore", under="ignore"):  # a huge distance: k = 0
                return np.exp(-0.25 * np.sum(zdiff * zdiff, axis=-1))
        out = np.ones(zdiff.shape[:-1])
        for i, f in enumerate(self.factors):
            out = out * f.kappa(np.abs(zdiff[..., i]))
        return out

    def k(self, diff):
        """:math:`k = K * \\tilde K` at raw differences of shape (..., d).

        A rescaled difference that overflows float64 is infinitely many scales away: k = 0.
        """
        diff = np.asarray(diff, dtype=float)
        with np.errstate(over="ignore", invalid="ignore"):
            z = self.transform(diff.reshape(-1, self.dim)).reshape(diff.shape)
        far = ~np.all(np.isfinite(z), axis=-1)
        if np.any(far):
            z = np.where(far[..., None], 0.0, z)
        return np.where(far, 0.0, self.const * self.kappa(z))


def _refuse(kernel):
    return TypeError(
        "kernel must be a Gaussian (positive-definite covariance, any d), a one-dimensional "
        f"{', '.join(n for n in kernels_with_autocorrelation() if n != 'Gaussian')} or Gaussian "
        "kernel, or a ProductKernel of these (K * K~ is known in closed form for them); got "
        f"{type(kernel).__name__}: {kernel!r}"
    )


def kernel_plan(kernel):
    """The :class:`KernelPlan` of a spread kernel; TypeError/ValueError naming ``kernel``."""
    if not isinstance(kernel, Distribution):
        raise TypeError(f"kernel must be a spreadlab spread kernel (a Distribution); got {kernel!r}")
    if getattr(kernel, "batch_shape", ()) != ():
        raise ValueError(f"kernel must have scalar parameters; got batch shape {kernel.batch_shape}")
    if isinstance(kernel, Gaussian):
        if kernel.is_singular:
            raise ValueError(
                f"kernel covariance must be positive definite (rank {kernel.rank} < d = "
                f"{kernel.dim}): a singular spread leaves directions unspread and "
                "k = K * K~ has no density"
            )
        chol = np.linalg.cholesky(kernel.cov)
        d = kernel.dim
        logc = -0.5 * d * math.log(4.0 * math.pi) - float(np.sum(np.log(np.diag(chol))))
        return KernelPlan(dim=d, const=math.exp(logc), chol=chol)
    parts = kernel.factors if isinstance(kernel, ProductKernel) else (kernel,)
    factors, scales, const = [], [], 1.0
    for i, f in enumerate(parts):
        auto = hooks_for(type(f)).autocorrelation
        if auto is None or f.dim != 1:
            raise _refuse(f)
        h, c = auto.scale_const(f)
        if not (h > 0 and c > 0 and math.isfinite(h) and math.isfinite(c)):
            raise ValueError(
                f"kernel factor {i} ({f!r}) has no usable autocorrelation: scale {h!r}, "
                f"k(0) = {c!r} (a variance of 0, or scales beyond float range)"
            )
        factors.append(auto)
        scales.append(h)
        const *= c
    if not (const > 0 and math.isfinite(const)):
        raise ValueError(f"kernel: k(0) = {const!r} of {kernel!r} under- or overflows float64")
    return KernelPlan(dim=len(parts), const=const, scales=np.asarray(scales), factors=tuple(factors))


# ---------------------------------------------------------------------- kappa functions
# u = |t| / h >= 0 throughout; each is 1 at 0 and written so that no u in [0, inf] gives NaN.
def _kappa_gauss(u):
    with np.errstate(under="ignore", over="ignore"):
        return np.exp(-0.25 * u * u)


def _kappa_laplace(u):
    u = np.asarray(u, dtype=float)
    with np.errstate(under="ignore", over="ignore", invalid="ignore"):
        return np.where(u > 750.0, 0.0, (1.0 + u) * np.exp(-np.minimum(u, 750.0)))


def _kappa_cauchy(u):
    with np.errstate(over="ignore", under="ignore"):
        return 1.0 / (1.0 + u * u)


def _kappa_triangle(u):
    return np.maximum(1.0 - u, 0.0)


# u/sinh(u) for the sech kernel, as 2u e^{-u} / (1 - e^{-2u}); -expm1 keeps the
# denominator exact near 0, where the value tends to 1
def _kappa_sech(u):
    u = np.asarray(u, dtype=float)
    with np.errstate(under="ignore", invalid="ignore", divide="ignore", over="ignore"):
        v = 2.0 * (u * np.exp(-np.minimum(u, 750.0))) / -np.expm1(-2.0 * u)
    # past u = 750 the value is below 1e-322; 2u alone overflows near 1e308 (inf * 0 = NaN)
    return np.where(u == 0, 1.0, np.where(u > 750.0, 0.0, v))


# 6 times the density of the sum of two standard logistic variables,
# f(u) = (u cosh(u/2) - 2 sinh(u/2)) / (4 sinh^3(u/2)), f(0) = 1/6. For u >= 1 it is
# e^{-u}((u - 2) + (u + 2) e^{-u}) / (1 - e^{-u})^3; below 1 the numerator cancels, so
# v cosh v - sinh v = v^3 sum_k 2k v^{2k-2} / (2k+1)! (v = u/2) is summed as a series.
# The one table of its coefficients, in Horner order (k = 11 down to 1; the terms past k = 11
# are below 1e-29 relative for v < 1/2): read here and by the compiled
# _two_sample_kernels._logistic, whose NumPy reference _kappa_logistic is (tests compare them).
LOGISTIC_SERIES = np.array([2.0 * k / math.factorial(2 * k + 1) for k in range(11, 0, -1)])


def _kappa_logistic(u):
    u = np.asarray(u, dtype=float)
    with np.errstate(under="ignore", invalid="ignore", divide="ignore", over="ignore"):
        e = np.exp(-u)
        far = e * ((u - 2.0) + (u + 2.0) * e) / (-np.expm1(-u)) ** 3
        near = _logistic_near(u)
    return 6.0 * np.where(u < 1.0, near, np.where(np.isinf(u), 0.0, far))


def _logistic_near(u):
    """f(u) for 0 <= u < 1 from the series (inputs >= 1 are clipped; their values are unused)."""
    v = 0.5 * np.minimum(u, 1.0)
    v2 = v * v
    series = np.zeros_like(v)
    for coef in LOGISTIC_SERIES:
        series = series * v2 + coef
    # numerator 2 (v cosh v - sinh v) = 2 v^3 series; denominator 4 sinh^3 v = 4 v^3 (sinh v / v)^3
    shv = np.where(v == 0, 1.0, np.sinh(v) / np.where(v == 0, 1.0, v))
    return 2.0 * series / (4.0 * shv ** 3)


# ---------------------------------------------------------------------- notation writers
def _num(value):
    """A number for a title: 3 significant digits, a true minus sign, no ``-0``."""
    value = float(value)
    text = f"{value:.3g}" if value != 0 else "0"
    return text.replace("-", "\u2212")


def _support(kernel):
    return tuple(float(np.asarray(v)) for v in kernel.support)


def _interval(name):
    def write(kernel, p):
        lo, hi = _support(kernel)
        return f"{name}[{_num(lo)}, {_num(hi)}]"

    return write


def _triangular(kernel, p):
    lo, hi = _support(kernel)
    text = f"Triangular[{_num(lo)}, {_num(hi)}]"
    if float(p["c"]) != 0.5:  # the mode is named only when the kernel is not symmetric
        text += f", mode {_num(lo + float(p['c']) * (hi - lo))}"
    return text


def _location_scale(name, symbol):
    def write(kernel, p):
        return f"{name}({_num(p['loc'])}, {symbol}={_num(p['scale'])})"

    return write


def _scale(kernel):
    return float(np.asarray(kernel.scale))


# ---------------------------------------------------------------------- built-ins, one place
register_kernel_hooks(Delta, name="Delta", notation=lambda k, p: f"δ({_num(p['loc'])})")
register_kernel_hooks(
    Gaussian, name="Gaussian",
    # mathtext's calligraphic N: DejaVu Sans, matplotlib's default font, has no U+1D4A9
    notation=lambda k, p: f"$\\mathcal{{N}}$({_num(p['mean'])}, σ²={_num(p['cov'])})",
    # 1-D N(0, v): k = N(0, 2v) = exp(-t^2 / 4v) / sqrt(4 pi v)
    autocorrelation=Autocorrelation(
        lambda k: (math.sqrt(float(k.cov[0, 0])), 1.0 / math.sqrt(4.0 * math.pi * float(k.cov[0, 0]))),
        _kappa_gauss, code=0),
)
register_kernel_hooks(
    Laplace, name="Laplace", notation=_location_scale("Laplace", "b"),
    # k(t) = (b + |t|) e^{-|t|/b} / (4 b^2)
    autocorrelation=Autocorrelation(lambda k: (_scale(k), 1.0 / (4.0 * _scale(k))), _kappa_laplace, code=1),
)
register_kernel_hooks(
    Cauchy, name="Cauchy", notation=_location_scale("Cauchy", "γ"),
    # k = the Cauchy(0, 2 gamma) density
    autocorrelation=Autocorrelation(lambda k: (2.0 * _scale(k), 1.0 / (2.0 * math.pi * _scale(k))),
                                    _kappa_cauchy, code=2),
)
register_kernel_hooks(
    Logistic, name="Logistic", notation=_location_scale("Logistic", "s"),
    # k(t) = f(|t|/s) / s, f the density of the sum of two standard logistics, f(0) = 1/6
    autocorrelation=Autocorrelation(lambda k: (_scale(k), 1.0 / (6.0 * _scale(k))), _kappa_logistic, code=4),
)
register_kernel_hooks(
    HyperbolicSecant, name="HyperbolicSecant", notation=_location_scale("Hyperbolic secant", "s"),
    # K = sech(x/s) / (pi s): k(t) = (2 / (pi^2 s)) u / sinh(u), u = |t|/s
    autocorrelation=Autocorrelation(lambda k: (_scale(k), 2.0 / (math.pi ** 2 * _scale(k))), _kappa_sech, code=5),
)
register_kernel_hooks(
    StudentT, name="StudentT",
    notation=lambda k, p: f"Student-t(ν={_num(p['df'])}, {_num(p['loc'])}, s={_num(p['scale'])})",
)
register_kernel_hooks(
    Uniform, name="Uniform", notation=_interval("Uniform"),
    # K uniform on an interval of width w: k(t) = (w - |t|)_+ / w^2
    autocorrelation=Autocorrelation(lambda k: (_scale(k), 1.0 / _scale(k)), _kappa_triangle, code=3),
)
register_kernel_hooks(Triangular, name="Triangular", notation=_triangular)
register_kernel_hooks(Epanechnikov, name="Epanechnikov", notation=_interval("Epanechnikov"))
register_kernel_hooks(Fejer, name="Fejer", notation=_location_scale("Fejér", "s"))
