"""The budgets that bound every count, allocation and long computation in spreadlab.

A call that would need more memory or time than these budgets is refused up front with a
``ValueError`` that names the parameter, the value asked for and the budget (so a typo such
as ``n_samples=10**12`` fails at once instead of with a ``MemoryError`` or a hang). A
computation whose cost cannot be known up front (nested numeric convolutions, Monte Carlo
over numerically spread densities) runs under a deadline and raises a
:class:`TimeBudgetError` naming the budget when it passes.

The budgets are module attributes read at every call: change one for a session with, e.g.,
``spreadlab.budgets.MEMORY_BUDGET = 8 * 2**30``; ``float("inf")`` switches a time budget off.
The helpers that apply them (``as_count`` and friends) live in ``spreadlab._validation``
and are shared by every public function.

Budgets kept beside the code they bound (documented there): ``spreadlab.divergences.
QUAD_TIME_BUDGET`` (one ``method="quad"`` evaluation), ``spreadlab.fourier.
FOURIER_TIME_BUDGET`` (one Fourier check), ``spreadlab.counterexample.MAX_NODES`` and
``MAX_EVALUATIONS`` (the band-limited counterexample).

Examples
--------
>>> import spreadlab
>>> from spreadlab import Gaussian
>>> try:
...     Gaussian(0.0, 1.0).sample(10**12)
... except ValueError as exc:
...     print(str(exc)[:60])
n=1000000000000 would need 7.28 TiB (8 bytes per draw), over
"""

__all__ = [
    "MAX_COUNT",
    "MEMORY_BUDGET",
    "WORK_BUDGET",
    "MC_TIME_BUDGET",
    "DENSITY_TIME_BUDGET",
    "CLI_MAX_ROWS",
    "TimeBudgetError",
]

MAX_COUNT = 2**40
"""Largest count accepted anywhere (about 1.1e12): samples, permutations, restarts,
iterations, grid sizes. Beyond it no loop finishes and no array fits in memory."""

MEMORY_BUDGET = 2 * 2**30
"""Bytes one array that a call allocates for its counts may take (2 GiB). A count whose
arrays would exceed it (``Gaussian(0, 1).sample(10**12)``, ``fourier_check(n_grid=10**12)``,
``divergence(..., method="mc", n_samples=10**12)``) is refused up front, naming the parameter
and this budget."""

WORK_BUDGET = 1e12
"""Elementary operations (multiply-adds, density evaluations) one call may be asked for up front:
a loop count whose work would exceed it (``n_permutations=10**12`` on 1,000 points) is refused
with a ValueError naming the parameter, the value and this budget. At the 1e9-1e10 operations
per second NumPy reaches on one core, 1e12 is minutes to a quarter of an hour."""

MC_TIME_BUDGET = 120.0
"""Seconds one ``method="mc"`` divergence may take (the default Monte Carlo size with
closed-form densities takes well under a second; 20,000 draws of numerically spread densities
took 32 s on a loaded 2-core machine). With numerically spread densities
(:class:`~spreadlab.Convolution`) the cost is first projected from a few evaluations and an
estimate that cannot finish in time is refused up front; the deadline is also checked while
the densities are evaluated, so the call answers or raises :class:`TimeBudgetError` within
about this time."""

DENSITY_TIME_BUDGET = 30.0
"""Seconds one call of a numerically spread density (:meth:`Convolution.logpdf
<spreadlab.Convolution.logpdf>` and ``pdf``) may take, nested convolutions included; inside a
divergence the (earlier) deadline of the divergence applies instead."""

CLI_MAX_ROWS = 10_000
"""Rows ``spreadlab test`` reads from one CSV/NPY file. The permutation test's cost grows as
the square of the sample size (measured this session on 2 shared cores, load ~10: 1,000 rows
7 s, 3,000 rows 8 s, 10,000 rows 44 s per file pair, 2 columns, 1,000 permutations); a larger
file is refused up front, naming the file and this budget: subsample it first."""


class TimeBudgetError(ValueError):
    """A computation ran past a time budget (the message names the budget and what to try).

    A subclass of ``ValueError``, so the command line reports it on one line like any
    rejected argument. :class:`~spreadlab.QuadratureBudgetError` (``method="quad"``) is a
    subclass of it.
    """
