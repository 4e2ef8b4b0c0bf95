r"""Spread two-sample test: a permutation test of p = q with the spread L2 distance.

For a stationary spread kernel K the squared L2 distance between the spread
distributions is a maximum mean discrepancy with the kernel
:math:`k = K * \tilde K` (:func:`spreadlab.mmd2`),

.. math::
    \|p * K - q * K\|^2_{L^2} = \mathrm{MMD}^2_k(p, q),

so the unbiased MMD² U-statistic of two samples estimates how far apart the two spread
distributions are, and a permutation of the pooled sample gives its null distribution
under p = q. For a Gaussian spread :math:`K = N(0, S)`, :math:`k(x, y) = N(x - y; 0, 2S)`.
"""

import math
import numbers
from dataclasses import dataclass, field

import numpy as np

from ._validation import as_count, check_rng


__all__ = ["TwoSampleResult", "two_sample_test", "median_heuristic_kernel", "BlockTestResult",
           "block_two_sample_test"]

_BACKENDS = ("numba", "numpy")
# relative slack when counting permuted statistics >= the observed one: the observed and
# the permuted statistics are sums of the same Gram entries in different orders, so a
# permutation that reproduces the observed split may differ from it by rounding only
_TIE_RTOL = 1e-12
_MAX_LABEL_BYTES = 256 * 2**20  # permutation-label matrix per chunk (bounds memory)
# one piece of a Gram strip (block rows x width columns): small enough to stay in the last-level
# cache while it is exponentiated, summed and multiplied
_MAX_GRAM_BYTES = 16 * 2**20
_PERMUTATION_GROUP_BYTES = 4 * 2**20  # int32 permutations drawn at a time while building labels
# budgets checked before any work: the null distribution's length, and the multiply-adds of
# the quadratic forms, N^2 (P + 1) / 2 (1e15 is hours of BLAS time on a laptop)
_MAX_PERMUTATIONS = 10**7
_MAX_WORK = 1e15


# ---------------------------------------------------------------------- validation
def _check_samples(value, name, dim=None, *, like="x", min_samples=2, purpose="the unbiased MMD^2"):
    """Samples as a C-contiguous float array of shape (n_samples, n_features), or an error naming ``name``.

    The one sample checker of the two-sample test and of :func:`spreadlab.learn_spread`
    (``like``: the sample whose ``dim`` features this one must match; ``min_samples`` and
    ``purpose``: how many points the estimate needs, and why).
    """
    if isinstance(value, (str, bytes)) or value is None:
        raise TypeError(f"{name} must be an array-like of real numbers; got {value!r}")
    try:
        arr = np.asarray(value, dtype=float)
    except OverflowError as exc:  # an int such as 10**400 has no float value
        raise ValueError(f"{name} must contain finite numbers only; got an integer beyond float range") from exc
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be an array-like of real numbers; got {type(value).__name__}") from exc
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise ValueError(f"{name} must have shape (n_samples,) or (n_samples, n_features); got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        bad = int(np.argmax(~np.all(np.isfinite(arr), axis=1)))
        raise ValueError(f"{name} must contain finite numbers only (no NaN or inf); row {bad} is {arr[bad]!r}")
    if arr.shape[0] < min_samples:
        raise ValueError(f"{name} needs at least {min_samples} samples for {purpose}; got {arr.shape[0]}")
    if dim is not None and arr.shape[1] != dim:
        raise ValueError(
            f"{name} must have the same number of features as {like} ({dim}); got {arr.shape[1]}"
        )
    return np.ascontiguousarray(arr)


# ---------------------------------------------------------------------- kernels
def median_heuristic_kernel(x, y=None, *, max_points=1000, rng=None):
    r"""Isotropic Gaussian spread chosen by the median heuristic on the pooled sample.

    The spread :math:`K = N(0, s^2 I)` gives :math:`k(x, y) \propto
    \exp(-\|x - y\|^2 / (4 s^2))`; the median heuristic (Gretton et al., 2012) sets the
    kernel bandwidth h to the median pairwise distance, :math:`k \propto
    \exp(-\|x - y\|^2 / (2 h^2))`, hence

    .. math:: s^2 = \tfrac12\, \mathrm{median}_{i < j} \|z_i - z_j\|^2

    over the pooled sample z (a random subset of ``max_points`` points when larger).
    The rule uses the pooled sample only, so it is the same for every permutation and
    the test stays exact.

    Parameters
    ----------
    x : array-like of shape (n_samples,) or (n_samples, n_features)
        Sample from p.
    y : array-like of shape (m_samples,) or (m_samples, n_features), default=None
        Pooled with ``x`` when given.
    max_points : int, default=1000
        At most this many pooled points enter the median (a random subset beyond it).
    rng : None, int or numpy.random.Generator
        Chooses the subset when the pooled sample is larger than ``max_points``.

    Returns
    -------
    Gaussian
        ``Gaussian(0, s^2)`` (1-D) or ``Gaussian(zeros(d), s^2 I)``.

    References
    ----------
    A. Gretton et al., "A kernel two-sample test", JMLR 13 (2012), section 8.

    Examples
    --------
    >>> import numpy as np
    >>> from spreadlab import median_heuristic_kernel
    >>> median_heuristic_kernel(np.array([0.0, 1.0, 3.0]))  # squared gaps 1, 4, 9
    Gaussian(mean=0, cov=2)
    """
    xs = _check_samples(x, "x")
    z = xs if y is None else np.vstack([xs, _check_samples(y, "y", xs.shape[1])])
    max_points = as_count(max_points, "max_points", 2)
    if z.shape[0] > max_points:
        z = z[check_rng(rng).choice(z.shape[0], max_points, replace=False)]
    from scipy.spatial.distance import pdist

    with np.errstate(over="ignore"):
        sq = pdist(z, "sqeuclidean")  # the pairs i < j, in C, without an (N, N, d) temporary
    med = float(np.median(sq))
    if not np.isfinite(med):
        raise ValueError("x and y: the pairwise squared distances overflow float64 (samples beyond "
                         "~1e154 apart); rescale the data or pass an explicit kernel")
    if med <= 0:  # more than half the pairs tie: fall back to the positive distances
        pos = sq[sq > 0]
        if pos.size == 0:
            raise ValueError("x and y: all points are identical, so no bandwidth can be chosen; "
                             "pass an explicit kernel")
        med = float(np.median(pos))
    from .distributions._gaussian import Gaussian

    d = z.shape[1]
    return Gaussian(0.0, med / 2) if d == 1 else Gaussian(np.zeros(d), med / 2 * np.eye(d))


def _gram_function(plan, backend):
    """``gram(a, b, out)``: fill ``out`` with the unnormalised Gram block kappa(a_i - b_j)."""
    from . import _two_sample_kernels as K

    codes = plan.codes
    if backend == "numba" and plan.factors is None:
        def gauss(a, b, out):
            K.gauss_exponent(a, np.ascontiguousarray(b.T), out)
            with np.errstate(under="ignore"):
                return np.exp(out, out=out)  # NumPy's SIMD exp, in place (see _two_sample_kernels)
        return gauss
    if backend == "numba" and codes is not None:
        return lambda a, b, out: K.gram_product(a, b, codes, out)
    if plan.factors is None:
        reference = K.gram_gauss_numpy
    else:  # the NumPy reference, and the route of a registered kernel without a compiled code
        reference = lambda a, b: K.gram_product_numpy(a, b, plan.kappas)  # noqa: E731

    def numpy_gram(a, b, out):
        out[...] = reference(a, b)
        return out
    return numpy_gram


# ---------------------------------------------------------------------- core
def _label_matrix(rng, n, n_total, n_relabellings):
    """Labels [observed | relabellings | ones] as a C-ordered (N, n_relabellings + 2) matrix.

    Column 0 marks the observed x (the first n pooled points); column b marks the first n
    entries of the b-th row of ``Generator.permuted`` applied to copies of range(N) (drawn
    in groups of rows, which consumes the generator as one call would); the last column is
    all ones (it yields the Gram row sums from the same products). Row-major, so that the
    rows of any strip of points are one contiguous block that BLAS reads without a copy.
    """
    labels = np.zeros((n_total, n_relabellings + 2))
    labels[:n, 0] = 1.0
    labels[:, -1] = 1.0
    group = max(1, min(n_relabellings, _PERMUTATION_GROUP_BYTES // (4 * n_total)))
    for j in range(0, n_relabellings, group):
        k = min(group, n_relabellings - j)
        perms = rng.permuted(np.tile(np.arange(n_total, dtype=np.int32), (k, 1)), axis=1)
        mask = np.zeros((k, n_total), dtype=np.uint8)
        np.put_along_axis(mask, perms[:, :n], 1, axis=1)
        labels[:, 1 + j:1 + j + k] = mask.T
    return labels


def _quadratic_forms(gram, z, labels, block, width, progress=None):
    """For each column a of ``labels``: a^T G a and 1^T G a (the last column must be all ones).

    G (the unnormalised Gram matrix) is never stored. Row block b (rows s:e) is multiplied
    by its strip G[s:e, s:] only (upper triangle), with the diagonal block halved, so that
    one ``dgemm`` per strip piece (beta = 1 after the first, alpha = 2) accumulates

    .. math:: H_b = G_{bb} a_b + 2 \\sum_{c > b} G_{bc} a_c,

    half the Gram products of the plain G A. With :math:`B(x, y) = \\sum_b x_b^\\top H_b(y)
    = x^\\top (G_{\\mathrm{diag}} + 2 G_{\\mathrm{upper}}) y`, the symmetric forms are
    :math:`a^\\top G a = B(a, a)` and :math:`1^\\top G a = (B(1, a) + B(a, 1))/2`: the column
    sums of H and the products with the all-ones column's :math:`H(1)`, no extra pass over G.
    The product is formed transposed, :math:`H_b^\\top = L_{s:}^\\top (2 G_{b, s:})^\\top`, so
    that both operands are row-major arrays read as column-major ones (no copies).
    """
    from scipy.linalg.blas import dgemm

    n_total, n_cols = labels.shape
    quad = np.zeros(n_cols)
    ones_a = np.zeros(n_cols)      # B(1, a)
    a_ones = np.zeros(n_cols)      # B(a, 1)
    buf = np.empty(block * min(width, n_total))   # one Gram piece, reused (no page faults per block)
    ht = np.empty((n_cols, block), order="F")
    for s in range(0, n_total, block):
        e = min(s + block, n_total)
        rows = e - s
        h = ht[:, :rows]
        for c0 in range(s, n_total, width):
            c1 = min(c0 + width, n_total)
            g = gram(z[s:e], z[c0:c1], buf[:rows * (c1 - c0)].reshape(rows, c1 - c0))
            if c0 == s:
                g[:, :rows] *= 0.5   # the diagonal block enters once, the rest twice (exact scalings)
            # H^T (n_cols, rows) += 2 L[c0:c1]^T g^T: the label rows and g are C-ordered, so both
            # transposes are the column-major matrices BLAS reads in place
            h = dgemm(2.0, labels[c0:c1].T, g.T, beta=0.0 if c0 == s else 1.0, c=h, overwrite_c=1)
            if progress is not None:
                progress.update(1)
        quad += np.einsum("ip,pi->p", labels[s:e], h)
        ones_a += h.sum(axis=1)
        a_ones += labels[s:e].T @ h[-1]
    return quad, 0.5 * (ones_a + a_ones)


def _statistics(quad, a_dot_r, total, n, m, k0):
    """Unbiased MMD^2 (unnormalised kernel) from a^T G a, a . G1 and 1^T G 1."""
    q_yy = total - 2.0 * a_dot_r + quad
    cross = a_dot_r - quad
    return ((quad - n * k0) / (n * (n - 1)) + (q_yy - m * k0) / (m * (m - 1))
            - 2.0 * cross / (n * m))


def _permutation_statistics(z, n, rng, n_permutations, gram, block_size, verbose, gram_item_bytes=8):
    """Unnormalised statistics [observed, permuted...] for all relabellings, chunked by columns.

    Each chunk's relabellings are drawn when it is processed, so memory stays bounded by the
    chunk; drawing the rows chunk by chunk consumes the generator as one call would.
    ``gram_item_bytes`` is the memory one Gram entry costs while it is computed (the NumPy
    reference holds d differences per entry); the Gram pieces stay within _MAX_GRAM_BYTES.
    """
    n_total = z.shape[0]
    cols_per_chunk = max(1, _MAX_LABEL_BYTES // (8 * n_total) - 2)
    block = min(block_size, n_total)
    width = max(block, _MAX_GRAM_BYTES // (gram_item_bytes * block))
    n_pieces = sum(len(range(s, n_total, width)) for s in range(0, n_total, block))
    sizes = [min(cols_per_chunk, n_permutations - c) for c in range(0, n_permutations, cols_per_chunk)]
    progress = None
    if verbose:
        from tqdm.auto import tqdm

        progress = tqdm(total=len(sizes) * n_pieces, desc="Gram pieces")
    stats = []
    try:
        for i, size in enumerate(sizes):
            labels = _label_matrix(rng, n, n_total, size)
            # Gram entries of far-apart pairs are subnormal or 0 (below 1e-308 of k(0)): halving
            # and summing them underflows harmlessly, also under a caller's np.errstate(all="raise")
            with np.errstate(under="ignore"):
                quad, a_dot_r = _quadratic_forms(gram, z, labels, block, width, progress)
            part = _statistics(quad[:-1], a_dot_r[:-1], float(quad[-1]), n, n_total - n, 1.0)
            stats.append(part if i == 0 else part[1:])  # the observed column is repeated per chunk
    finally:
        if progress is not None:
            progress.close()
    return np.concatenate(stats)


def _check_budget(n_permutations, n_total):
    """Refuse up front a test whose Gram-times-labels work would not end in reasonable time."""
    work = 0.5 * float(n_total) ** 2 * (n_permutations + 1)
    if work > _MAX_WORK:
        raise ValueError(
            f"n_permutations={n_permutations} with {n_total} pooled samples needs about "
            f"{work:.2g} multiply-adds (N^2 (P + 1) / 2), over the budget of {_MAX_WORK:.0e} "
            "(hours of BLAS time); use fewer permutations"
        )


@dataclass(frozen=True, repr=False)
class TwoSampleResult:
    """Result of :func:`two_sample_test`.

    Attributes
    ----------
    statistic : float
        Unbiased MMD² U-statistic with :math:`k = K * \\tilde K`: an unbiased estimate of
        the squared spread L2 distance :math:`\\|p * K - q * K\\|^2_{L^2}`.
    p_value : float
        :math:`(1 + B) / (1 + P)`, B the number of permuted statistics >= the observed
        one, P the number of permutations (exact level under p = q).
    p_value_se : float
        Monte Carlo standard error of the permutation p-value,
        :math:`\\sqrt{p(1 - p)/P}` with the reported p = (1 + B)/(1 + P) (never 0, even when no
        permuted statistic reaches the observed one): how far the p-value may move if the
        test were re-run with other permutations.
    n_permutations : int
        Number of random relabellings behind the p-value.
    null_distribution : ndarray of shape (n_permutations,)
        The permuted statistics.
    kernel : Distribution
        The spread kernel K used on the tested data.
    n_x, n_y : int
        Sample sizes of the tested data (after the split for ``kernel="learn"``).
    learned : LearnedSpread or None
        The spread learned on the training split (``kernel="learn"`` only).
    """

    statistic: float
    p_value: float
    p_value_se: float
    n_permutations: int
    null_distribution: np.ndarray = field(compare=False)
    kernel: object = field(compare=False)
    n_x: int = 0
    n_y: int = 0
    learned: object = field(default=None, compare=False)

    def __repr__(self):
        return (f"TwoSampleResult(statistic={self.statistic:.6g}, p_value={self.p_value:.4g}, "
                f"p_value_se={self.p_value_se:.2g}, n_permutations={self.n_permutations}, "
                f"kernel={self.kernel!r})")


def two_sample_test(x, y, kernel="auto", *, n_permutations=1000, rng=None, train_fraction=0.5,
                    learn_options=None, block_size=1024, backend="numba", verbose=False):
    r"""Permutation test of p = q with the spread L2 distance (unbiased MMD², k = K * K̃).

    The statistic is the unbiased U-statistic

    .. math::
        \widehat{\mathrm{MMD}}{}^2_u = \frac{1}{n(n-1)}\sum_{i\ne j} k(x_i, x_j)
        + \frac{1}{m(m-1)}\sum_{i\ne j} k(y_i, y_j) - \frac{2}{nm}\sum_{i,j} k(x_i, y_j),
        \qquad k = K * \tilde K,

    whose expectation is :math:`\|p * K - q * K\|^2_{L^2}`, zero iff p = q when the
    spread's characteristic function is nowhere zero. Its null distribution is sampled
    by relabelling the pooled sample at random, and

    .. math::
        \text{p-value} = \frac{1 + \#\{b : T_b \ge T\}}{1 + P},\qquad
        \mathrm{se} = \sqrt{\text{p-value}\,(1 - \text{p-value}) / P}.

    The first form is an exact level-α test for any P (the observed labelling is one of
    the P + 1 exchangeable ones); the second is the Monte Carlo error of the permutation
    estimate of the full-permutation p-value.

    The Gram matrix is never stored: it is built in pieces (a vectorised Numba exponent on
    both cores and NumPy's SIMD ``exp`` for the Gaussian), upper triangle only, and all P
    relabellings (drawn by ``Generator.permuted``) are evaluated together through the
    symmetric quadratic forms
    :math:`a^\top G a = \sum_b a_b^\top (G_{bb} a_b + 2\sum_{c>b} G_{bc} a_c)`, one BLAS
    ``dgemm`` per strip piece accumulating in place: half the Gram products of the plain
    :math:`G A`, in :math:`O(N^2 d + N^2 P / 2)` time, N = n + m; the cross terms
    :math:`1^\top G a` come from the same products. Memory is bounded for any N and P: the
    relabellings are drawn and processed in column chunks of at most 256 MiB of labels
    (each chunk recomputes the Gram pieces). For samples too large for this, see
    :func:`block_two_sample_test` (linear time).

    Parameters
    ----------
    x : array-like of shape (n_samples,) or (n_samples, n_features)
        Sample from p.
    y : array-like of shape (m_samples,) or (m_samples, n_features)
        Sample from q.
    kernel : {"auto", "learn"} or Distribution, default="auto"
        The spread kernel K. ``"auto"``: isotropic Gaussian by
        :func:`median_heuristic_kernel` (:math:`s^2` = half the median squared
        distance of the pooled sample). ``"learn"``: split both samples, learn a Gaussian
        spread of fixed determinant on the first part with :func:`spreadlab.learn_spread`
        (starting from the median heuristic of that part) and test on the rest, so the
        learned kernel is independent of the tested data and the test stays exact. Or any
        Gaussian (positive-definite covariance, any d), a one-dimensional Laplace, Cauchy,
        Logistic, HyperbolicSecant or Uniform kernel, or a :class:`spreadlab.ProductKernel`
        of such one-dimensional factors (the kernels whose :math:`K * \tilde K` is known in
        closed form; the same set as :func:`spreadlab.mmd2`).
    n_permutations : int, default=1000
        Number of random relabellings of the pooled sample (the p-value's resolution), at
        most 10**7, and refused up front when :math:`N^2 (P + 1)/2` exceeds 1e15
        multiply-adds (hours of BLAS time).
    rng : None, int or numpy.random.Generator
        Draws the permutations (and the split for ``"learn"``).
    train_fraction : float, default=0.5
        Share of each sample used to learn the spread (``kernel="learn"`` only).
    learn_options : dict, default=None
        Keyword arguments for :func:`spreadlab.learn_spread` (defaults here: one start,
        ``max_iter=50``: the sample objective costs O(n² d) per evaluation).
    block_size : int, default=1024
        Rows per Gram strip: each strip of rows is multiplied by the labels of its own and the
        later points in pieces of at most 16 MiB of Gram entries. Larger blocks waste more
        products on the diagonal blocks (a share of about ``block_size / N``); much smaller
        ones make BLAS slower.
    backend : {"numba", "numpy"}, default="numba"
        Numba-compiled Gram blocks (compiled on the first call) or the NumPy reference.
    verbose : bool, default=False
        Show a progress bar over Gram blocks.

    Returns
    -------
    TwoSampleResult

    References
    ----------
    .. [1] A. Gretton, K. Borgwardt, M. Rasch, B. Schölkopf, A. Smola, "A kernel
       two-sample test", JMLR 13 (2012): the U-statistic (eq. 3) and the median heuristic.
    .. [2] M. Zhang, P. Hayes, T. Bird, R. Habib, D. Barber, "Spread Divergence", ICML 2020,
       https://arxiv.org/abs/1811.08968 (the MMD link; learning the spread, section 4).
    .. [3] D. J. Sutherland et al., "Generative models and model criticism via optimized
       maximum mean discrepancy", ICLR 2017 (learn the kernel on a split, test on the rest).

    Examples
    --------
    >>> import numpy as np
    >>> from spreadlab import Gaussian, two_sample_test
    >>> rng = np.random.default_rng(0)
    >>> x, y = rng.normal(0.0, 1.0, 200), rng.normal(0.5, 1.0, 200)
    >>> res = two_sample_test(x, y, Gaussian(0.0, 0.5), n_permutations=199, rng=1)
    >>> res.p_value < 0.05, res.null_distribution.shape
    (True, (199,))
    >>> from spreadlab import mmd2
    >>> bool(np.isclose(res.statistic, mmd2(x, y, Gaussian(0.0, 0.5)), rtol=1e-9))
    True
    """
    xs = _check_samples(x, "x")
    ys = _check_samples(y, "y", xs.shape[1])
    n_permutations = as_count(n_permutations, "n_permutations", 1, _MAX_PERMUTATIONS)
    block_size = as_count(block_size, "block_size", 1)
    if not isinstance(backend, str) or backend not in _BACKENDS:
        raise ValueError(f"Unknown backend {backend!r}; should be one of 'numba', 'numpy'")
    rng = check_rng(rng)
    xs, ys, kernel, learned = _resolve_kernel(kernel, xs, ys, rng, train_fraction, learn_options)
    n, m = xs.shape[0], ys.shape[0]
    _check_budget(n_permutations, n + m)
    plan = _plan(kernel, xs.shape[1])
    with np.errstate(over="ignore", invalid="ignore"):
        z = plan.transform(np.vstack([xs, ys]))
    if not np.all(np.isfinite(z)):
        raise ValueError(f"kernel {kernel!r} is too narrow for these samples: the samples divided by "
                         "its scale overflow float64; rescale the data or widen the kernel")
    item = 8 if backend == "numba" and (plan.factors is None or plan.codes is not None) else 8 * (z.shape[1] + 1)
    stats = plan.const * _permutation_statistics(z, n, rng, n_permutations, _gram_function(plan, backend),
                                                 block_size, verbose, item)
    statistic, null = float(stats[0]), stats[1:]
    if not np.all(np.isfinite(stats)):   # a NaN statistic must never become p = 1/(P+1)
        raise ValueError(f"kernel {kernel!r} gave a non-finite statistic on these samples; "
                         "rescale the data or choose another kernel")
    exceed = int(np.count_nonzero(null >= statistic - _TIE_RTOL * plan.const))
    p_value = (1 + exceed) / (1 + n_permutations)
    return TwoSampleResult(
        statistic=statistic,
        p_value=p_value,
        # with the (1 + B)/(1 + P) value, so that no exceedance does not claim an error of 0
        p_value_se=math.sqrt(p_value * (1.0 - p_value) / n_permutations),
        n_permutations=n_permutations,
        null_distribution=null,
        kernel=kernel,
        n_x=n,
        n_y=m,
        learned=learned,
    )


def _resolve_kernel(kernel, xs, ys, rng, train_fraction, learn_options):
    """The spread kernel to test with, and the samples it is tested on."""
    if not isinstance(kernel, str):
        return xs, ys, kernel, None
    if kernel == "auto":
        return xs, ys, median_heuristic_kernel(xs, ys, rng=rng), None
    if kernel == "learn":
        return _learn_on_split(xs, ys, train_fraction, learn_options, rng)
    raise ValueError(f"Unknown kernel {kernel!r}; should be 'auto', 'learn' or a spread kernel")


def _plan(kernel, d):
    from ._kernel_hooks import kernel_plan
    from .distributions._base import Distribution

    if not isinstance(kernel, Distribution):
        raise TypeError(f"kernel must be 'auto', 'learn' or a spreadlab spread kernel; got {kernel!r}")
    if kernel.dim != d:
        raise ValueError(f"kernel must have dimension {d} (the number of features); got kernel.dim={kernel.dim}")
    return kernel_plan(kernel)


def _learn_on_split(xs, ys, train_fraction, learn_options, rng):
    from .learned_spread import learn_spread

    if isinstance(train_fraction, bool) or not isinstance(train_fraction, numbers.Real) \
            or not 0 < train_fraction < 1:
        raise ValueError(f"train_fraction must be a number in (0, 1); got {train_fraction!r}")
    if learn_options is not None and not isinstance(learn_options, dict):
        raise TypeError(f"learn_options must be a dict of learn_spread arguments; got {learn_options!r}")
    parts = []
    for name, s in (("x", xs), ("y", ys)):
        k = int(round(train_fraction * s.shape[0]))
        if k < 2 or s.shape[0] - k < 2:
            raise ValueError(
                f"{name} has {s.shape[0]} samples: too few to keep >= 2 for learning and >= 2 "
                f"for testing with train_fraction={train_fraction}"
            )
        idx = rng.permutation(s.shape[0])
        parts.append((s[idx[:k]], s[idx[k:]]))
    (x_tr, x_te), (y_tr, y_te) = parts
    options = {"rng": rng, "n_restarts": 1, "max_iter": 50, **(learn_options or {})}
    learned = learn_spread(x_tr, y_tr, **options)
    return x_te, y_te, learned.kernel, learned


# ---------------------------------------------------------------------- linear-time path
@dataclass(frozen=True, repr=False)
class BlockTestResult:
    """Result of :func:`block_two_sample_test`.

    Attributes
    ----------
    statistic : float
        Mean of the block statistics: an unbiased estimate of the squared spread L2
        distance :math:`\\|p * K - q * K\\|^2_{L^2}` (an incomplete U-statistic).
    p_value : float
        One-sided p-value of the studentised mean, :math:`1 - T_{k-1}(t)`.
    t : float
        The studentised mean :math:`\\sqrt{k}\\,\\bar\\eta / s_\\eta`.
    block_statistics : ndarray of shape (k,)
        The unbiased MMD² of each pair of blocks.
    block_size : int
        Points of x per block (y blocks hold ``m // k`` points).
    kernel : Distribution
        The spread kernel K.
    """

    statistic: float
    p_value: float
    t: float
    block_statistics: np.ndarray = field(compare=False)
    block_size: int = 0
    kernel: object = field(default=None, compare=False)

    def __repr__(self):
        return (f"BlockTestResult(statistic={self.statistic:.6g}, p_value={self.p_value:.4g}, "
                f"t={self.t:.4g}, n_blocks={self.block_statistics.size}, block_size={self.block_size}, "
                f"kernel={self.kernel!r})")


def block_two_sample_test(x, y, kernel="auto", *, block_size=None, rng=None, backend="numba"):
    r"""Linear-time test of p = q: the spread L2 distance averaged over independent blocks.

    Both samples are shuffled and cut into k blocks (x blocks of B points, y blocks of
    :math:`\lfloor m/k \rfloor`); block i gives the unbiased MMD² U-statistic
    :math:`\eta_i` of its x and y points with :math:`k = K * \tilde K` (as
    :func:`two_sample_test`). The :math:`\eta_i` are independent and identically
    distributed with mean :math:`\|p * K - q * K\|^2_{L^2}`, zero under p = q, so

    .. math::
        t = \sqrt{k}\,\bar\eta / s_\eta,\qquad \text{p-value} = 1 - T_{k-1}(t),

    a one-sided studentised test of the block mean (Zaremba, Gretton & Blaschko's B-test,
    with the variance estimated from the blocks). It costs :math:`O((n + m) B d)` time and
    :math:`O(B^2)` memory, so :math:`10^5 \times 10^5` samples take seconds where the
    permutation test's :math:`O(N^2 P)` takes hours; the price is power (only pairs inside
    a block are compared) and a level that is exact only as k grows (the calibration over
    seeds is in ``benchmarks/bench_two_sample.py``). Use :func:`two_sample_test` when it
    fits the time.

    Parameters
    ----------
    x : array-like of shape (n_samples,) or (n_samples, n_features)
        Sample from p.
    y : array-like of shape (m_samples,) or (m_samples, n_features)
        Sample from q.
    kernel : "auto" or Distribution, default="auto"
        The spread kernel, as in :func:`two_sample_test` (``"auto"``: median heuristic on
        at most 1000 pooled points); ``"learn"`` is not offered here.
    block_size : int, default=None
        Points of x per block, B >= 2 with at least 2 blocks; default
        :math:`\lfloor\sqrt{n}\rfloor` (k and B both grow with n).
    rng : None, int or numpy.random.Generator
        Shuffles the samples before blocking (and picks the median-heuristic subset).
    backend : {"numba", "numpy"}, default="numba"
        Gram blocks compiled or by the NumPy reference.

    Returns
    -------
    BlockTestResult

    References
    ----------
    .. [1] W. Zaremba, A. Gretton, M. Blaschko, "B-test: a non-parametric, low variance
       kernel two-sample test", NeurIPS 2013.
    .. [2] A. Gretton et al., "A kernel two-sample test", JMLR 13 (2012), section 6
       (the linear-time statistic, B = 2).

    Examples
    --------
    >>> import numpy as np
    >>> from spreadlab import Gaussian, block_two_sample_test
    >>> rng = np.random.default_rng(0)
    >>> x, y = rng.normal(0.0, 1.0, 4000), rng.normal(0.3, 1.0, 4000)
    >>> res = block_two_sample_test(x, y, Gaussian(0.0, 0.5), rng=1)
    >>> res.block_statistics.shape, bool(res.p_value < 0.01)
    ((63,), True)
    """
    xs = _check_samples(x, "x")
    ys = _check_samples(y, "y", xs.shape[1])
    if not isinstance(backend, str) or backend not in _BACKENDS:
        raise ValueError(f"Unknown backend {backend!r}; should be one of 'numba', 'numpy'")
    rng = check_rng(rng)
    n, m = xs.shape[0], ys.shape[0]
    if block_size is None:
        block_size = max(2, math.isqrt(n))
    block_size = as_count(block_size, "block_size", 2, max(2, n // 2))
    n_blocks = n // block_size
    m_block = m // n_blocks
    if m_block < 2:
        raise ValueError(f"y has {m} samples: too few for {n_blocks} blocks of >= 2 points "
                         f"(block_size={block_size}); use a larger block_size")
    if isinstance(kernel, str) and kernel == "learn":
        raise ValueError("kernel='learn' is not offered by block_two_sample_test; learn the spread "
                         "on held-out data with learn_spread and pass its kernel")
    _, _, kernel, _ = _resolve_kernel(kernel, xs, ys, rng, 0.5, None)
    plan = _plan(kernel, xs.shape[1])
    with np.errstate(over="ignore", invalid="ignore"):
        zx, zy = plan.transform(xs[rng.permutation(n)]), plan.transform(ys[rng.permutation(m)])
    if not (np.all(np.isfinite(zx)) and np.all(np.isfinite(zy))):
        raise ValueError(f"kernel {kernel!r} is too narrow for these samples: the samples divided by "
                         "its scale overflow float64; rescale the data or widen the kernel")
    sums = _block_sums(plan, zx, zy, n_blocks, block_size, m_block, backend)
    b, c = block_size, m_block
    eta = plan.const * ((sums[:, 0] - b) / (b * (b - 1)) + (sums[:, 1] - c) / (c * (c - 1))
                        - 2.0 * sums[:, 2] / (b * c))
    return _studentised(eta, block_size, kernel)


def _block_sums(plan, zx, zy, n_blocks, b, c, backend):
    """(k, 3): the Gram sums xx, yy, xy (diagonals included) of each pair of blocks."""
    from . import _two_sample_kernels as K

    codes = plan.codes
    if backend == "numba" and (plan.factors is None or codes is not None):
        codes = np.zeros(zx.shape[1], dtype=np.int64) if codes is None else codes
        return K.block_sums(zx, zy, b, c, codes, plan.factors is None, np.empty((n_blocks, 3)))
    gram = _gram_function(plan, "numpy")
    out = np.empty((n_blocks, 3))
    for i in range(n_blocks):
        xb, yb = zx[i * b:(i + 1) * b], zy[i * c:(i + 1) * c]
        out[i] = [gram(u, v, np.empty((len(u), len(v)))).sum() for u, v in ((xb, xb), (yb, yb), (xb, yb))]
    return out


def _studentised(eta, block_size, kernel):
    from scipy import stats

    k = eta.size
    mean, sd = float(np.mean(eta)), float(np.std(eta, ddof=1))
    if sd > 0:
        t = math.sqrt(k) * mean / sd
        p_value = float(stats.t.sf(t, k - 1))
    else:  # every block statistic equal (e.g. all far apart): no spread to studentise by
        t = math.copysign(math.inf, mean) if mean != 0 else 0.0
        p_value = 0.0 if mean > 0 else 1.0
    return BlockTestResult(statistic=mean, p_value=p_value, t=t, block_statistics=eta,
                           block_size=block_size, kernel=kernel)
