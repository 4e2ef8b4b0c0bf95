"""Hostile-call census for issue 21: the new hostile classes against every parameter slot of the
distributions, divergences, Fourier checks and the counterexample.

Every call is classified by the fuzz suite's own contract (tests/test_fuzz.py: a NaN-free result,
or a ValueError/TypeError naming a parameter, within 4 s). Prints the number of calls, the breaks
by kind and the first reproducers.

Usage: python benchmarks/bench_hostile.py
"""

import collections
import itertools
import pathlib
import sys
import time
from decimal import Decimal
from fractions import Fraction

import numpy as np

from _machine import print_machine

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "tests"))
import spreadlab as sl  # noqa: E402
from test_fuzz import Call, run  # noqa: E402

HOSTILE = [10**12, 2**63, np.uint64(2**64 - 1), np.int64(10**12), 10**400, -(10**400), Fraction(1, 3),
           Fraction(10**400), Decimal("1.5"), Decimal("1e400"), True, False, -1, 0, 5e-324, 1e308,
           -1e308, float("inf"), float("nan"), None, "1", [], np.array([1.0, np.nan])]

LAWS = [sl.Gaussian(0.0, 1.0), sl.Laplace(0.0, 1.0), sl.Cauchy(0.0, 1.0), sl.StudentT(3.0),
        sl.Logistic(0.0, 1.0), sl.HyperbolicSecant(0.0, 1.0), sl.Uniform(0.0, 1.0),
        sl.Triangular(0.0, 1.0), sl.Epanechnikov(0.0, 1.0), sl.Fejer(0.0, 1.0), sl.Delta(0.0),
        sl.CosineModulated(sl.Fejer(0.0, 1.0), 2.0),
        sl.Gaussian([0.0, 0.0], np.eye(2))]
FAMILIES = [sl.Gaussian, sl.Laplace, sl.Cauchy, sl.Logistic, sl.HyperbolicSecant, sl.Uniform,
            sl.Epanechnikov, sl.Fejer]


def calls():
    for law, h in itertools.product(LAWS, HOSTILE):
        name = type(law).__name__
        yield Call(f"{name}.sample", law.sample, (h,), {"rng": 0}, params=("n", "rng", name))
        yield Call(f"{name}.logpdf", law.logpdf, (h,), params=("x", name))
        yield Call(f"{name}.cf", law.cf, (h,), params=("omega", name))
    for fam, h in itertools.product(FAMILIES, HOSTILE):
        yield Call(fam.__name__, fam, (h, 1.0), params=("loc", "mean"))
        yield Call(fam.__name__, fam, (0.0, h), params=("scale", "cov", "variance"))
    yield from (Call("StudentT", sl.StudentT, (h,), params=("df",)) for h in HOSTILE)
    p, q = sl.Gaussian(0.0, 1.0), sl.Gaussian(1.0, 2.0)
    for h in HOSTILE:
        yield Call("divergence", sl.divergence, (p, q, "kl", "mc"), {"n_samples": h, "rng": 0},
                   params=("n_samples",))
        yield Call("divergence", sl.divergence, (p, q, "renyi", "quad"), {"alpha": h}, params=("alpha",))
        yield Call("spread_divergence", sl.spread_divergence, (sl.Delta(0.0), sl.Delta(1.0), p, "tv", "mc"),
                   {"n_samples": h, "rng": 0}, params=("n_samples",))
        yield Call("fourier_check", sl.fourier_check, (p,), {"n_grid": h}, params=("n_grid",))
        yield Call("fourier_check", sl.fourier_check, (p,), {"band": h}, params=("band",))
        yield Call("band_limited_counterexample", sl.band_limited_counterexample, (None, h),
                   params=("omega",))
        yield Call("band_limited_counterexample", sl.band_limited_counterexample, (None,), {"n_grid": h},
                   params=("n_grid",))
        yield Call("spread", lambda v: sl.spread(sl.Laplace(0.0, 1.0), sl.Gaussian(0.0, v)), (h,),
                   params=("variance", "cov"))


def main():
    print_machine()
    start = time.perf_counter()
    kinds, examples, n = collections.Counter(), [], 0
    for call in calls():
        n += 1
        out = run(call)
        if out.failed:
            kinds[out.kind] += 1
            if len(examples) < 15:
                examples.append(f"{call.text} -> {out.kind}: {out.message[:120]}")
    print(f"{n} hostile calls, {sum(kinds.values())} breaks {dict(kinds)} "
          f"[{time.perf_counter() - start:.1f} s]")
    for e in examples:
        print("  ", e)


if __name__ == "__main__":
    main()
