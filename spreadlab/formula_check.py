r"""Check a hand-derived divergence formula against the package's quadrature over random parameters.

A student who derived, say, the KL between two Laplace laws or the spread KL of two point
masses writes it as a function (or a sympy expression) of the families' parameters, named
``<parameter>_p``, ``<parameter>_q`` and ``<parameter>_k`` (the kernel's): for example
``loc_p``, ``scale_q``, ``cov_k``. :func:`check_formula` draws the parameters at random
(seeded) and at hard corners (near-equal laws, laws far apart, every scale times 1e-3 and
1e3), computes the divergence independently by adaptive quadrature with its error bound
(Monte Carlo with its standard error where quadrature does not apply), and reports the worst
relative error, the parameters where it happened and a verdict.

Parameter conventions are the constructors': ``Gaussian(mean, cov)`` takes a *variance*,
the one-dimensional families ``(loc, scale)``, ``Uniform(loc, width)`` the interval
``[loc, loc + width]`` (as scipy).
"""

import inspect
import math
import numbers
import warnings

import numpy as np

from ._integration import QuadratureTruncationWarning
from ._validation import as_count, check_choice
from .budgets import TimeBudgetError
from .distributions._base import Distribution
from .fdivergences import get_f_divergence

__all__ = ["check_formula", "FormulaCheck"]

_ROLES = ("p", "q", "k")
# default ranges of a drawn parameter, by its constructor name: ("uniform", lo, hi) or ("log", lo, hi)
_DEFAULT_RANGES = {
    "loc": ("uniform", -3.0, 3.0), "mean": ("uniform", -3.0, 3.0),
    "scale": ("log", 0.1, 10.0), "cov": ("log", 0.01, 100.0), "df": ("uniform", 1.0, 10.0),
    "c": ("uniform", 0.05, 0.95),
}
_SCALE_NAMES = {"scale": 1, "cov": 2}   # how a parameter grows with the law's scale (power)
_LOC_NAMES = {"loc", "mean"}
MAX_DRAWS = 1000


class FormulaCheck:
    """The outcome of :func:`check_formula`.

    Attributes
    ----------
    passed : bool
        True when the formula agrees with the reference at every parameter set.
    worst_relative_error : float
        Largest :math:`|formula - reference| / |reference|` over the parameter sets (``inf``
        when one is infinite and the other not, or the formula returned NaN).
    worst_parameters : dict
        The parameters where it happened.
    failures : list of dict
        Every parameter set that failed: ``params``, ``formula``, ``reference``, ``error``
        (the reference's error bound or standard error), ``corner`` (which corner, or
        ``"random"``).
    n_checked : int
        Parameter sets compared.
    method : str
        The reference used: ``"quad"``, ``"mc"`` where quadrature does not apply, or
        ``"exact"`` (the registered closed form) for laws without densities.
    rtol : float
        The relative tolerance the comparison used.
    """

    def __init__(self, passed, worst_relative_error, worst_parameters, failures, n_checked, method, rtol):
        self.passed = passed
        self.worst_relative_error = worst_relative_error
        self.worst_parameters = worst_parameters
        self.failures = failures
        self.n_checked = n_checked
        self.method = method
        self.rtol = rtol

    def __bool__(self):
        return self.passed

    def __repr__(self):
        verdict = "agrees" if self.passed else "DISAGREES"
        params = ", ".join(f"{k}={v:.4g}" for k, v in self.worst_parameters.items())
        lines = [f"check_formula: the formula {verdict} with {self.method} at "
                 f"{self.n_checked - len(self.failures)}/{self.n_checked} parameter sets "
                 f"(rtol {self.rtol:g} plus the reference's error)",
                 f"  worst relative error {self.worst_relative_error:.3g} at {params}"]
        if self.failures:
            first = self.failures[0]
            lines.append(f"  first failure ({first['corner']}): formula {first['formula']!r}, "
                         f"reference {first['reference']!r} +- {first['error']:.2g}")
        return "\n".join(lines)


def _family(value, name):
    if isinstance(value, str):
        from ._parse import named_classes

        cls = named_classes().get(value)
        if not (isinstance(cls, type) and issubclass(cls, Distribution)):
            raise ValueError(f"{name} must name a spreadlab distribution family; got {value!r}")
        return cls
    if isinstance(value, type) and issubclass(value, Distribution):
        return value
    raise TypeError(f"{name} must be a Distribution subclass (e.g. Laplace) or its name; "
                    f"got {type(value).__name__}: {value!r}")


def _constructor_params(cls, name):
    params = []
    for par in list(inspect.signature(cls.__init__).parameters.values())[1:]:
        if par.kind in (par.VAR_POSITIONAL, par.VAR_KEYWORD):
            raise TypeError(f"{name}={cls.__name__} has no named parameters to draw")
        params.append(par.name)
    return params


def _formula_function(formula, available):
    """(callable taking keyword parameters, the names it uses)."""
    try:
        import sympy
    except ImportError:  # sympy is optional: callables still work
        sympy = None
    if sympy is not None and isinstance(formula, sympy.Expr):
        names = sorted(s.name for s in formula.free_symbols)
        unknown = [n for n in names if n not in available]
        if unknown:
            raise ValueError(f"formula uses {unknown[0]!r}, which is not a parameter; the parameters are "
                             f"{', '.join(available)}")
        symbols = [sympy.Symbol(n) for n in names]
        expr = formula.subs({s: sympy.Symbol(s.name) for s in formula.free_symbols})
        fn = sympy.lambdify(symbols, expr, modules=["numpy", "scipy"])
        return (lambda _laws=None, **kw: fn(*(kw[n] for n in names))), names
    if isinstance(formula, str):
        raise TypeError("formula must be a callable or a sympy expression; for a string, pass "
                        "sympy.sympify(text) (the CLI does this)")
    if not callable(formula):
        raise TypeError(f"formula must be a callable or a sympy expression; got {type(formula).__name__}")
    names = []
    for par in inspect.signature(formula).parameters.values():
        if par.kind in (par.VAR_POSITIONAL, par.VAR_KEYWORD):
            raise TypeError("formula must name its parameters (no *args or **kwargs)")
        names.append(par.name)
    if names in (["p", "q"], ["p", "q", "kernel"]):  # a register_divergence-style closed form
        return (lambda _laws=None, **kw: formula(*_laws[:len(names)])), names
    unknown = [n for n in names if n not in available]
    if unknown:
        raise ValueError(f"formula takes {unknown[0]!r}, which is not a parameter; the parameters are "
                         f"{', '.join(available)}")
    return (lambda _laws=None, **kw: formula(**{n: kw[n] for n in names})), names


def _range(spec, name):
    if not (isinstance(spec, tuple) and len(spec) in (2, 3)):
        raise ValueError(f"ranges[{name!r}] must be (low, high) or ('log' | 'uniform', low, high); got {spec!r}")
    kind, lo, hi = spec if len(spec) == 3 else ("uniform", *spec)
    check_choice(kind, f"ranges[{name!r}] kind", ("uniform", "log"))
    for v in (lo, hi):
        if isinstance(v, bool) or not isinstance(v, numbers.Real) or not math.isfinite(v):
            raise ValueError(f"ranges[{name!r}] must have finite numbers; got {spec!r}")
    if not lo < hi or (kind == "log" and not lo > 0):
        raise ValueError(f"ranges[{name!r}] needs low < high (and low > 0 for 'log'); got {spec!r}")
    return kind, float(lo), float(hi)


def _draw(spec, rng):
    kind, lo, hi = spec
    return float(np.exp(rng.uniform(np.log(lo), np.log(hi)))) if kind == "log" else float(rng.uniform(lo, hi))


def _corners(base, free, families):
    """Hard corners built from one random draw: near-equal, far apart, tiny and huge scales."""
    out = []
    scale_p = next((base[f"{n}_p"] ** (1 / _SCALE_NAMES[n]) for n in _SCALE_NAMES if f"{n}_p" in base), 1.0)
    if families[0] is families[1]:
        near = dict(base)
        for key in base:
            if key.endswith("_q") and key[:-2] + "_p" in base and key in free:
                near[key] = base[key[:-2] + "_p"]
        for loc in _LOC_NAMES:
            if f"{loc}_q" in free and f"{loc}_p" in base:
                near[f"{loc}_q"] = base[f"{loc}_p"] + 1e-3 * scale_p
        out.append(("near-equal", near))
    far = dict(base)
    for loc in _LOC_NAMES:
        if f"{loc}_q" in free and f"{loc}_p" in base:
            far[f"{loc}_q"] = base[f"{loc}_p"] + 30.0 * scale_p
            out.append(("far apart", far))
            break
    for factor, label in ((1e-3, "tiny scales"), (1e3, "huge scales")):
        scaled = {}
        for key, value in base.items():
            root = key[:-2]
            scaled[key] = value * factor ** _SCALE_NAMES.get(root, 1 if root in _LOC_NAMES else 0)
        out.append((label, scaled))
    return out


def _build(cls, role, params):
    return cls(**{k[:-2]: v for k, v in params.items() if k.endswith(f"_{role}")})


def check_formula(formula, p, q, *, kernel=None, f="kl", alpha=None, ranges=None, fixed=None,
                  n_random=30, rtol=1e-6, seed=0, n_samples=200_000):
    r"""Compare a divergence formula with quadrature over random and corner parameters.

    Parameters
    ----------
    formula : callable or sympy expression
        The claimed :math:`D_f(p\|q)` (or :math:`D_f(p * K\|q * K)` with ``kernel``) as a
        function of named parameters ``<name>_p``, ``<name>_q``, ``<name>_k``, where
        ``<name>`` is a constructor parameter of the family (``loc``, ``scale``; ``mean``,
        ``cov`` for :class:`~spreadlab.Gaussian`, whose ``cov`` is a variance). A sympy
        expression uses the same names as its symbols. A function of ``(p, q)`` or
        ``(p, q, kernel)`` is called with the distributions themselves, as a closed form for
        :func:`~spreadlab.register_divergence` would be.
    p, q : type or str
        The families the formula claims to cover (``Laplace`` or ``"Laplace"``).
    kernel : type or str, default=None
        The spread kernel's family; ``None`` compares the unspread divergence.
    f : str, default="kl"
        The f-divergence (a key of :data:`spreadlab.F_DIVERGENCES`).
    alpha : float, default=None
        Order of the Rényi divergence.
    ranges : dict, default=None
        ``{name: (low, high)}`` or ``{name: ("log", low, high)}`` per parameter; defaults:
        locations in (-3, 3), scales log-uniform in (0.1, 10), variances in (0.01, 100).
    fixed : dict, default=None
        ``{name: value}`` holds a parameter fixed; ``{name: "other_name"}`` ties it to another
        (``{"scale_q": "scale_p"}`` for an equal-scale formula).
    n_random : int, default=30
        Random parameter sets, each followed by its corners.
    rtol : float, default=1e-6
        Relative tolerance, added to the reference's own error bound (or 5 standard errors
        of a Monte Carlo reference).
    seed : int, default=0
        Seed of the parameter draws (and of Monte Carlo).
    n_samples : int, default=200_000
        Monte Carlo sample size where quadrature does not apply.

    Returns
    -------
    FormulaCheck
        ``passed``, ``worst_relative_error``, ``worst_parameters``, ``failures``; its repr is
        a short report.

    Raises
    ------
    TypeError
        For a formula that is neither callable nor a sympy expression, or a family that is
        not a Distribution subclass.
    ValueError
        For a parameter name the families do not have, a bad range, tolerance or count.

    References
    ----------
    D. Barber, "Training models that have zero likelihood" (blog, 2019): the spread KL of two
    point masses is :math:`(\mu_p - \mu_q)^2/(2\sigma^2)`; the ICML 2020 paper prints it
    without the :math:`1/(2\sigma^2)`.

    Examples
    --------
    The paper's misprinted two-delta spread KL is caught, the blog's version passes:

    >>> from spreadlab import check_formula
    >>> misprint = check_formula(lambda loc_p, loc_q: (loc_p - loc_q) ** 2, "Delta", "Delta",
    ...                          kernel="Gaussian", n_random=5)
    >>> misprint.passed
    False
    >>> right = check_formula(lambda loc_p, loc_q, mean_k, cov_k: (loc_p - loc_q) ** 2 / (2 * cov_k),
    ...                       "Delta", "Delta", kernel="Gaussian", n_random=5)
    >>> right.passed, right.worst_relative_error < 1e-9
    (True, True)
    """
    families = [_family(p, "p"), _family(q, "q")] + ([_family(kernel, "kernel")] if kernel is not None else [])
    fd = get_f_divergence(f)
    if isinstance(n_random, bool) or not isinstance(n_random, numbers.Integral) or not 1 <= n_random <= MAX_DRAWS:
        raise ValueError(f"n_random must be an integer in [1, {MAX_DRAWS}]; got {n_random!r}")
    if isinstance(rtol, bool) or not isinstance(rtol, numbers.Real) or not (0 < rtol < 1):
        raise ValueError(f"rtol must be a number in (0, 1); got {rtol!r}")
    available = [f"{par}_{role}" for cls, role in zip(families, _ROLES)
                 for par in _constructor_params(cls, role)]
    fn, used = _formula_function(formula, available)
    ranges = dict(ranges or {})
    fixed = dict(fixed or {})
    for label, mapping in (("ranges", ranges), ("fixed", fixed)):
        for key in mapping:
            if key not in available:
                raise ValueError(f"{label} names {key!r}, which is not a parameter; the parameters are "
                                 f"{', '.join(available)}")
    specs = {}
    for name in available:
        if name in fixed:
            value = fixed[name]
            if isinstance(value, str):
                if value not in available or value in fixed:
                    raise ValueError(f"fixed[{name!r}] ties it to {value!r}, which must be a drawn parameter")
            elif isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
                raise ValueError(f"fixed[{name!r}] must be a finite number or a parameter name; got {value!r}")
            continue
        root = name.rsplit("_", 1)[0]
        if name in ranges:
            specs[name] = _range(ranges[name], name)
        elif root in _DEFAULT_RANGES:
            specs[name] = _DEFAULT_RANGES[root]
        else:
            raise ValueError(f"no default range for {name!r}: give ranges={{{name!r}: (low, high)}}")
    free = set(specs)
    seed = as_count(seed, "seed", 0, 2**63 - 1)
    n_samples = as_count(n_samples, "n_samples", 2, item_bytes=64)
    rng = np.random.default_rng(seed)

    def complete(params):
        out = dict(params)
        for name, value in fixed.items():
            out[name] = out[value] if isinstance(value, str) else float(value)
        return out

    sets = []
    for _ in range(n_random):
        base = complete({name: _draw(spec, rng) for name, spec in specs.items()})
        sets.append(("random", base))
        sets += [(label, complete(c)) for label, c in _corners(base, free, families)]

    methods = set()
    rows, worst, worst_params = [], -1.0, {}
    with warnings.catch_warnings():
        # a quadrature that stopped on round-off says so by its error bound, which is used below
        warnings.simplefilter("ignore", QuadratureTruncationWarning)
        for label, params in sets:
            row, rel, params = _compare(fn, families, kernel, fd, alpha, n_samples, seed, rtol, label, params,
                                        available)
            methods.add(row["method"])
            if rel > worst:
                worst, worst_params = rel, params
            if not row["ok"]:
                rows.append({k: row[k] for k in ("params", "formula", "reference", "error", "corner")})
    method = "+".join(sorted(methods)) or "quad"   # every reference route used, not just the last
    return FormulaCheck(not rows, float(worst), worst_params, rows, len(sets), method, rtol)


def _compare(fn, families, kernel, fd, alpha, n_samples, seed, rtol, label, params, available):
    """One parameter set: the formula against the quadrature (or Monte Carlo) reference."""
    from .divergences import divergence, spread_divergence

    dp, dq = _build(families[0], "p", params), _build(families[1], "q", params)
    dk = _build(families[2], "k", params) if kernel is not None else None
    ref = None
    # quadrature; Monte Carlo where it does not apply (several dimensions); the registered closed
    # form only for laws without densities (point masses), where neither applies
    for how in ("quad", "mc", "exact"):
        try:
            if dk is None:
                ref = divergence(dp, dq, fd.name, how, alpha=alpha, n_samples=n_samples, rng=seed)
            else:
                ref = spread_divergence(dp, dq, dk, fd.name, how, alpha=alpha, n_samples=n_samples, rng=seed)
            break
        except TimeBudgetError:
            raise   # a reference that ran out of time is no reason to loosen the tolerance to MC's
        except (ValueError, NotImplementedError):
            if how == "exact":
                raise
    ref_value = float(ref)
    err = float(getattr(ref, "error", 0.0))
    method = getattr(ref, "method", how)
    if method == "mc":
        err = 5.0 * err  # 5 standard errors: a right formula fails ~1 in 1.7 million
    with np.errstate(all="ignore"):
        try:
            value = float(np.asarray(fn(_laws=(dp, dq, dk), **params), dtype=float))
        except (ArithmeticError, ValueError) as exc:
            value = math.nan
            label = f"{label} (formula raised {type(exc).__name__})"
    if math.isnan(value):
        rel, ok = math.inf, False
    elif math.isinf(ref_value) or math.isinf(value):
        ok = value == ref_value
        rel = 0.0 if ok else math.inf
    else:
        diff = abs(value - ref_value)
        ok = diff <= rtol * abs(ref_value) + err
        rel = diff / abs(ref_value) if ref_value != 0 else (0.0 if diff <= err else math.inf)
    shown = {k: params[k] for k in available}
    row = {"params": shown, "formula": value, "reference": ref_value, "error": err, "corner": label,
           "ok": ok, "method": method}
    return row, rel, shown

