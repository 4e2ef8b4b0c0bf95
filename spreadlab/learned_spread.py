r"""Learning the spread (Zhang et al., ICML 2020, section 4).

Spreading can only lower an f-divergence (data processing), so a fixed spread may wash
out exactly the difference between two distributions. Here the spread is *learned*: a
Gaussian spread :math:`K = N(0, S)` is chosen to maximise the spread divergence
:math:`D(p * K \| q * K)` under the constraint

.. math::
    S = \sigma^2 Q\, \mathrm{diag}(e^{h_1}, \dots, e^{h_d})\, Q^\top,\qquad
    Q^\top Q = I,\quad \sum_i h_i = 0,\quad \max_i h_i - \min_i h_i < \log a,

i.e. a fixed determinant :math:`\det S = \sigma^{2d}` (a fixed noise volume, fixed noise
entropy) and a condition number :math:`\lambda_{\max}(S)/\lambda_{\min}(S) < a`
(``anisotropy``). Both parts are needed:

* without the determinant the maximiser is :math:`S \to 0`, where the spread divergence
  tends to the unspread one -- infinite for a deterministic model (two point masses at
  distance Δ have spread KL :math:`\Delta^\top S^{-1}\Delta/2`);
* a floor alone (:math:`S \succeq \sigma^2 I`, e.g. the family :math:`\sigma^2 I + LL^\top`
  with σ fixed) teaches nothing: :math:`N(0, \sigma^2 I + LL^\top) = N(0, \sigma^2 I) *
  N(0, LL^\top)` is a further spreading, so by data processing the maximum is at L = 0;
* the determinant alone still lets one eigenvalue go to zero while another goes to
  infinity, which again makes the divergence of two point masses unbounded; the bound a
  on the condition number keeps the spread non-degenerate (and the spread stays a valid,
  strictly positive-transform Gaussian).

With samples instead of distributions the same spread is read as an injective *mean
transform* (paper, section 4): spreading x with N(0, S) and spreading the linear image
:math:`Wx`, :math:`W = \sigma S^{-1/2}` (:math:`|\det W| = 1`), with N(0, σ²I) give
divergences that agree, because an invertible map preserves every f-divergence.
"""

import math
import numbers
import warnings
from dataclasses import dataclass, field

import numpy as np

from ._validation import _short, as_count, check_rng
from .two_sample import _check_samples

__all__ = ["LearnedSpread", "learn_spread", "LinearFit", "fit_linear_generator"]


# ---------------------------------------------------------------------- budgets
# refused up front (issue 21): counts whose loops would not end, and a condition number
# beyond which the spread covariance is numerically singular in float64 (its Cholesky
# factor fails: eigenvalues sigma^2 a^{+-1/2} differ by more than ~1e16 in relative terms)
MAX_RESTARTS = 10_000
MAX_ITER = 1_000_000
MAX_ANISOTROPY = 1e12


# ---------------------------------------------------------------------- helpers
def _check_real(value, name, low, high=math.inf, low_open=True):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a finite real number; got {_short(value)}")
    try:
        finite = math.isfinite(value)
    except OverflowError:  # an int such as 10**400 has no float value
        finite = False
    if not finite:
        raise TypeError(f"{name} must be a finite real number; got {_short(value)}")
    ok = (value > low if low_open else value >= low) and value < high
    if not ok:
        bracket = "(" if low_open else "["
        raise ValueError(f"{name} must lie in {bracket}{low}, {high:g}); got {_short(value)}")
    return float(value)


def _skew(w, d):
    a = np.zeros((d, d))
    a[np.triu_indices(d, k=1)] = w
    return a - a.T


def _rotation(w, d):
    """Cayley transform (I - A)^{-1}(I + A) of the skew matrix A(w): a rotation, smooth in w
    (scipy's expm costs ~100x more per call and the optimiser calls this thousands of times)."""
    if d == 1:
        return np.eye(1)
    a = _skew(w, d)
    eye = np.eye(d)
    return np.linalg.solve(eye - a, eye + a)


def _log_eigenvalues(v, log_a):
    """Smooth map R^d -> {h : sum(h) = 0, max(h) - min(h) < log a}."""
    g = np.log1p(np.expm1(log_a) * special_expit(v))  # each g_i in (0, log a)
    return g - g.mean()


def special_expit(v):
    from scipy.special import expit

    return expit(v)


def _unpack(theta, q0, log_a, d):
    n_rot = d * (d - 1) // 2
    q = q0 @ _rotation(theta[:n_rot], d)
    return q, _log_eigenvalues(theta[n_rot:], log_a)


def _covariance(q, h, sigma2):
    s = sigma2 * (q * np.exp(h)) @ q.T
    return 0.5 * (s + s.T)


# ---------------------------------------------------------------------- objectives
class _ClosedForm:
    """theta -> spread divergence D(p * N(0, S) || q * N(0, S)) by the public closed form."""

    method = "closed form"

    def __init__(self, p, q, f, alpha):
        self.p, self.q, self.f, self.alpha = p, q, f, alpha
        # KL inner loop: the same closed form written with two Cholesky factors, ~50x
        # cheaper than building spread Gaussians; tests pin it to spread_kl at 1e-12
        self.fast = f == "kl"
        if self.fast:
            self.moments = [(np.asarray(d.mean if hasattr(d, "mean") else d.loc, float),
                             np.asarray(d.cov, float)) for d in (p, q)]

    def value(self, q, h, sigma2):
        cov = _covariance(q, h, sigma2)
        if self.fast:
            (mp, cp), (mq, cq) = self.moments
            return _gauss_kl(mp, cp + cov, mq, cq + cov)
        return self.final(q, h, sigma2)

    def final(self, q, h, sigma2):
        """The reported value: the public closed form."""
        from .divergences import spread_divergence

        kernel = _gaussian(_covariance(q, h, sigma2))
        return float(spread_divergence(self.p, self.q, kernel, self.f, alpha=self.alpha))


def _gauss_kl(m1, c1, m2, c2):
    """KL(N(m1, c1) || N(m2, c2)) for positive-definite c1, c2."""
    l1, l2 = np.linalg.cholesky(c1), np.linalg.cholesky(c2)
    a = np.linalg.solve(l2, l1)
    b = np.linalg.solve(l2, m1 - m2)
    logdet = 2.0 * (np.sum(np.log(np.diag(l2))) - np.sum(np.log(np.diag(l1))))
    return 0.5 * float(np.sum(a * a) + b @ b - c1.shape[0] + logdet)


class _SampleKL:
    r"""Leave-one-out Monte Carlo estimate of KL(p * K || q * K) from samples.

    With :math:`W = S^{-1/2}` (so that the spread is N(0, I) on :math:`z = Wx`),
    :math:`y_{ir} = W x_i + \varepsilon_{ir}` are draws from the spread p (fixed draws
    ε: common random numbers, a smooth objective), and

    .. math::
        \hat D = \frac{1}{nR}\sum_{i, r} \Big[\log \frac{1}{n-1}\sum_{j \ne i}
        N(y_{ir}; Wx_j, I) - \log \frac1m \sum_k N(y_{ir}; Wy_k, I)\Big].

    Leaving :math:`x_i` out of the first mixture makes each term an estimate of the
    log-density of the *population* spread p at a point independent of the other
    components; the standard error is that of the mean of the n per-point averages. The
    reported values (before and after) use fresh draws, independent of those the optimiser
    fitted.
    """

    method = "sample"

    def __init__(self, x, y, n_draws, rng):
        self.x, self.y, self.rng = x, y, rng
        self.eps = rng.standard_normal((n_draws, x.shape[0], x.shape[1]))

    def per_point(self, q, h, sigma2):
        from scipy.special import logsumexp

        # z = x @ w = diag(e^{-h/2}) Q^T x / sigma: whitened by S, with the rotation tied
        # to the parameters (an eigendecomposition would flip its vectors arbitrarily when
        # eigenvalues tie, and the fixed draws eps would then see a jumping objective)
        w = q * np.exp(-0.5 * h) / math.sqrt(sigma2)
        zx, zy = self.x @ w, self.y @ w
        n, m = zx.shape[0], zy.shape[0]
        out = np.zeros(n)
        nx, ny = np.sum(zx * zx, axis=1), np.sum(zy * zy, axis=1)
        for eps in self.eps:
            pts = zx + eps
            npts = np.sum(pts * pts, axis=1)[:, None]
            dxx = np.maximum(npts + nx - 2.0 * pts @ zx.T, 0.0)
            np.fill_diagonal(dxx, np.inf)  # leave x_i out
            dxy = np.maximum(npts + ny - 2.0 * pts @ zy.T, 0.0)
            out += (logsumexp(-0.5 * dxx, axis=1) - math.log(n - 1)
                    - logsumexp(-0.5 * dxy, axis=1) + math.log(m))
        return out / len(self.eps)

    def value(self, q, h, sigma2):
        return float(np.mean(self.per_point(q, h, sigma2)))

    def final(self, q, h, sigma2):
        """Estimate with fresh draws: the optimiser has seen (and fitted) the fixed ones."""
        from .divergences import Estimate

        fixed, self.eps = self.eps, self.rng.standard_normal(self.eps.shape)
        try:
            u = self.per_point(q, h, sigma2)
        finally:
            self.eps = fixed
        se = float(np.std(u, ddof=1) / math.sqrt(u.size))
        return Estimate(float(np.mean(u)), se, "mc", n_samples=u.size * len(self.eps))


# ---------------------------------------------------------------------- result
@dataclass(frozen=True, repr=False)
class LearnedSpread:
    r"""Result of :func:`learn_spread`.

    Attributes
    ----------
    kernel : Gaussian
        The learned spread :math:`K = N(0, S)`, :math:`\det S = \sigma^{2d}`.
    transform : ndarray of shape (d, d)
        The equivalent injective mean transform :math:`W = \sigma S^{-1/2}`
        (:math:`|\det W| = 1`): spreading Wx with N(0, σ²I) gives the same divergence.
    initial_kernel : Gaussian
        The spread the optimisation started from (the isotropic N(0, σ²I) by default).
    divergence_before, divergence_after : float or Estimate
        The spread divergence with the initial and with the learned kernel (an
        :class:`spreadlab.Estimate` carrying its standard error for samples).
    history : ndarray
        Objective value after each optimiser iteration (best restart).
    n_iter : int
        Iterations of the best restart.
    converged : bool
        True when every restart's optimiser met its tolerance.
    scale : float
        :math:`\sigma^2 = (\det S)^{1/d}`, held fixed.
    anisotropy : float
        Bound a on the condition number: :math:`\lambda_{\max}(S) / \lambda_{\min}(S) < a`.
    method : str
        ``"closed form"`` (Gaussian or point-mass p, q) or ``"sample"``.
    """

    kernel: object
    transform: np.ndarray = field(compare=False)
    initial_kernel: object = field(compare=False)
    divergence_before: float = 0.0
    divergence_after: float = 0.0
    history: np.ndarray = field(default=None, compare=False)
    n_iter: int = 0
    converged: bool = True
    scale: float = 1.0
    anisotropy: float = 10.0
    method: str = "closed form"

    def __repr__(self):
        return (f"LearnedSpread(divergence_before={float(self.divergence_before):.6g}, "
                f"divergence_after={float(self.divergence_after):.6g}, n_iter={self.n_iter}, "
                f"converged={self.converged}, method={self.method!r})")


def _as_gaussian_pair(p, q):
    from .distributions._gaussian import Delta, Gaussian

    for name, d in (("p", p), ("q", q)):
        if not isinstance(d, (Gaussian, Delta)):
            raise TypeError(
                f"{name} must be a Gaussian or a Delta (closed form under a Gaussian spread) or "
                f"an array of samples; got {type(d).__name__}: {d!r}"
            )
    if p.dim != q.dim:
        raise ValueError(f"p and q must have the same dimension; got p.dim={p.dim}, q.dim={q.dim}")
    return p.dim


def learn_spread(p, q, kernel=None, *, anisotropy=10.0, f="kl", alpha=None, n_restarts=3,
                 max_iter=200, tol=1e-10, n_draws=2, rng=None, verbose=False):
    r"""Maximise a spread divergence over Gaussian spreads of fixed determinant.

    Solves

    .. math::
        \max_{S}\; D_f\big(p * N(0, S) \,\big\|\, q * N(0, S)\big)
        \quad\text{s.t.}\quad \det S = \sigma^{2d},\quad
        \lambda_{\max}(S) / \lambda_{\min}(S) < a,

    with :math:`S = \sigma^2 Q\,\mathrm{diag}(e^{h})Q^\top`, Q a rotation
    (:math:`Q = Q_0 (I - A)^{-1}(I + A)`, A skew-symmetric: the Cayley transform), :math:`\sum h_i = 0`,
    :math:`h = g - \bar g`, :math:`g_i = \log(1 + (a - 1)\,\mathrm{expit}(v_i))` (a smooth
    map from free :math:`v \in R^d`, so the problem is unconstrained), by L-BFGS-B with
    finite-difference gradients from ``n_restarts`` starts (the initial kernel, then random
    rotations). The bound is open, so an optimum on it is approached, not reached. See the module docstring for why both the determinant
    and the eigenvalue bound are needed. The closed-form optimum for two point masses (or
    Gaussians of equal covariance :math:`cI`) at distance Δ puts the smallest allowed
    noise along Δ and a times more in every other direction,
    :math:`\lambda_\Delta = \sigma^2 a^{-(d-1)/d}`:

    .. math:: \sup_S \mathrm{KL} = \frac{\|\Delta\|^2}{2(c + \sigma^2 a^{-(d-1)/d})}.

    In one dimension the constraint leaves nothing to learn and the initial kernel is
    returned.

    Parameters
    ----------
    p, q : Gaussian or Delta, or array-like of shape (n_samples, n_features)
        Two distributions (closed form, any dimension, singular covariances allowed) or
        two samples (leave-one-out Monte Carlo estimate of the spread KL of the
        population distributions, with its standard error; the linear mean transform
        family of the paper).
    kernel : Gaussian, default=None
        Starting spread; its determinant fixes :math:`\sigma^{2d}`. Default: N(0, I) for
        distributions, the median heuristic
        (:func:`spreadlab.median_heuristic_kernel`) of the pooled samples for samples.
    anisotropy : float, default=10.0
        a > 1, the bound on the condition number of S (a starting kernel beyond it is
        squeezed inside it).
    f : str, default="kl"
        Divergence (closed form only; samples support ``"kl"``), as in
        :func:`spreadlab.spread_divergence`.
    alpha : float, default=None
        Order of the Rényi divergence (``f="renyi"``).
    n_restarts : int, default=3
        Random starting spreads besides the given one; the best optimum is kept.
    max_iter : int, default=200
        L-BFGS-B iterations per restart.
    tol : float, default=1e-10
        L-BFGS-B's ``ftol`` (relative change of the objective).
    n_draws : int, default=2
        Spread draws per sample point (samples only); fixed across the optimisation.
    rng : None, int or numpy.random.Generator
        Random rotations of the restarts and the spread draws.
    verbose : bool, default=False
        Progress bar over restarts.

    Returns
    -------
    LearnedSpread

    Warns
    -----
    ConvergenceWarning
        When a restart stops without meeting ``tol`` (the message gives the numbers).

    References
    ----------
    .. [1] M. Zhang, P. Hayes, T. Bird, R. Habib, D. Barber, "Spread Divergence", ICML 2020,
       section 4 (learning the spread), https://arxiv.org/abs/1811.08968.
    .. [2] D. Barber, "Training models that have zero likelihood", blog, Dec 21, 2019,
       https://aiucl.github.io/spread-divergence/.

    Examples
    --------
    Two point masses one unit apart along the first axis, det S = 1 and condition number
    below 4: the learned spread puts variance 1/2 along the gap and 2 across it, so
    KL = 1 / (2 * 1/2) = 1, up from 1/2 with the isotropic N(0, I).

    >>> import numpy as np
    >>> from spreadlab import Delta, learn_spread
    >>> res = learn_spread(Delta([0.0, 0.0]), Delta([1.0, 0.0]), anisotropy=4.0, rng=0)
    >>> round(res.divergence_before, 6), round(res.divergence_after, 4)
    (0.5, 1.0)
    >>> evals, evecs = np.linalg.eigh(res.kernel.cov)
    >>> np.round(evals, 4), round(float(abs(evecs[0, 0])), 4)  # smallest noise along the gap
    (array([0.5, 2. ]), 1.0)
    """
    from .distributions._base import Distribution

    anisotropy = _check_real(anisotropy, "anisotropy", 1.0, MAX_ANISOTROPY)
    n_restarts = as_count(n_restarts, "n_restarts", 1, MAX_RESTARTS)
    max_iter = as_count(max_iter, "max_iter", 1, MAX_ITER)
    tol = _check_real(tol, "tol", 0.0)
    n_draws = as_count(n_draws, "n_draws", 1)
    rng = check_rng(rng)
    if isinstance(p, Distribution) != isinstance(q, Distribution):
        raise TypeError("p and q must both be distributions or both be arrays of samples; "
                        f"got {type(p).__name__} and {type(q).__name__}")
    if isinstance(p, Distribution):
        objective, kernel, d = _for_distributions(p, q, kernel, f, alpha)
    else:
        objective, kernel, d = _for_samples(p, q, kernel, f, n_draws, rng)
    start = _Start.of(kernel, anisotropy)
    before = objective.final(start.q0, start.h, start.sigma2)
    if d == 1 or not math.isfinite(float(before)):
        cov = start.cov
        return LearnedSpread(_gaussian(cov), _transform(cov, start.sigma2), _gaussian(cov), before, before,
                             np.array([float(before)]), 0, True, start.sigma2, anisotropy, objective.method)
    res, trace, all_converged = _best_of_restarts(objective, start, before, n_restarts, max_iter, tol,
                                                  rng, verbose)
    qq, h = _unpack(res.x, start.q0, start.log_a, d)
    cov = _covariance(qq, h, start.sigma2)
    after = objective.final(qq, h, start.sigma2)
    return LearnedSpread(_gaussian(cov), _transform(cov, start.sigma2), _gaussian(start.cov), before, after,
                         np.asarray(trace), int(res.nit), all_converged, start.sigma2, anisotropy,
                         objective.method)


def _for_distributions(p, q, kernel, f, alpha):
    """The closed-form objective, and the starting kernel (default N(0, I))."""
    from .distributions._gaussian import Gaussian

    d = _as_gaussian_pair(p, q)
    if kernel is None:
        kernel = Gaussian(0.0, 1.0) if d == 1 else Gaussian(np.zeros(d), np.eye(d))
    return _ClosedForm(p, q, f, alpha), _check_start_kernel(kernel, d), d


def _for_samples(p, q, kernel, f, n_draws, rng):
    """The leave-one-out sample objective, and the starting kernel (default: median heuristic)."""
    if f != "kl":
        raise ValueError(f"f must be 'kl' for samples (the leave-one-out estimate); got {f!r}")
    x = _check_samples(p, "p", min_samples=3, purpose="the leave-one-out estimate")
    y = _check_samples(q, "q", x.shape[1], like="p", min_samples=3, purpose="the leave-one-out estimate")
    d = x.shape[1]
    if kernel is None:
        from .two_sample import median_heuristic_kernel

        kernel = median_heuristic_kernel(x, y, rng=rng)
    return _SampleKL(x, y, n_draws, rng), _check_start_kernel(kernel, d), d


def _check_start_kernel(kernel, d):
    from .distributions._gaussian import Gaussian

    if not isinstance(kernel, Gaussian) or kernel.dim != d or kernel.is_singular:
        raise TypeError(f"kernel must be a non-singular Gaussian of dimension {d} (the starting "
                        f"spread); got {kernel!r}")
    return kernel


@dataclass(frozen=True)
class _Start:
    """The fixed scale, the starting rotation and free parameters of the search."""

    q0: np.ndarray
    v0: np.ndarray
    h: np.ndarray
    sigma2: float
    log_a: float

    @classmethod
    def of(cls, kernel, anisotropy):
        evals, q0 = np.linalg.eigh(kernel.cov)
        sigma2 = float(np.exp(np.mean(np.log(evals))))
        log_a = math.log(anisotropy)
        # the initial kernel's eigenvalues, centred in (0, log a) where the map is steepest
        # (squeezed inside the bound if the kernel is beyond it)
        g0 = np.log(evals) - np.mean(np.log(evals))
        if np.max(np.abs(g0)) >= 0.49 * log_a:
            g0 *= 0.49 * log_a / np.max(np.abs(g0))
        frac = np.expm1(g0 + 0.5 * log_a) / np.expm1(log_a)
        v0 = np.log(frac / (1 - frac))
        return cls(q0, v0, _log_eigenvalues(v0, log_a), sigma2, log_a)

    @property
    def cov(self):
        return _covariance(self.q0, self.h, self.sigma2)


def _best_of_restarts(objective, start, before, n_restarts, max_iter, tol, rng, verbose):
    """L-BFGS-B from the start and from random rotations; the best optimum, its trace, all converged."""
    from scipy.optimize import minimize

    from sklearn.exceptions import ConvergenceWarning

    d = start.q0.shape[0]
    n_rot = d * (d - 1) // 2
    scale = max(abs(float(before)), 1e-300)

    def negative(theta):
        qq, h = _unpack(theta, start.q0, start.log_a, d)
        return -objective.value(qq, h, start.sigma2) / scale

    best, all_converged = None, True
    starts = range(n_restarts)
    if verbose:
        from tqdm.auto import tqdm

        starts = tqdm(starts, desc="learn_spread restarts")
    for r in starts:
        # restart 0: the initial kernel, nudged by 1e-3 so that a symmetric start (an
        # isotropic kernel is a saddle for symmetric problems) is not a stationary point
        w0 = rng.normal(0.0, 1e-3 if r == 0 else 1.0, n_rot)
        theta0 = np.r_[w0, start.v0 + rng.normal(0.0, 1e-3, d) if r == 0 else rng.normal(0.0, 1.0, d)]
        trace = [-negative(theta0) * scale]
        with np.errstate(over="raise", invalid="raise"):
            res = minimize(negative, theta0, method="L-BFGS-B",
                           callback=lambda t: trace.append(-negative(t) * scale),
                           options={"maxiter": max_iter, "ftol": tol, "gtol": 1e-8})
        if not res.success:
            all_converged = False
            warnings.warn(
                f"learn_spread restart {r}: L-BFGS-B stopped after {res.nit} iterations without "
                f"meeting ftol={tol:g} ({res.message}); divergence {-res.fun * scale:.6g}",
                ConvergenceWarning, stacklevel=3)
        if best is None or res.fun < best[0].fun:
            best = (res, trace)
    return best[0], best[1], all_converged


def _gaussian(cov):
    from .distributions._gaussian import Gaussian

    d = cov.shape[0]
    return Gaussian(0.0, float(cov[0, 0])) if d == 1 else Gaussian(np.zeros(d), cov)


def _transform(cov, sigma2):
    evals, evecs = np.linalg.eigh(cov)
    return math.sqrt(sigma2) * (evecs / np.sqrt(evals)) @ evecs.T


# ---------------------------------------------------------------------- min-max demo
@dataclass(frozen=True, repr=False)
class LinearFit:
    """Result of :func:`fit_linear_generator`.

    Attributes
    ----------
    mixing : ndarray of shape (n_features, n_latent)
        The fitted A of the deterministic model x = A z, z ~ N(0, I).
    divergence : ndarray of shape (n_iter + 1,)
        Spread KL(data || model) with the spread in use at each iteration.
    fixed_divergence : ndarray of shape (n_iter + 1,)
        Spread KL with the fixed isotropic N(0, σ²I), whatever spread was trained with:
        one yardstick for both runs.
    cov_error : ndarray of shape (n_iter + 1,)
        Relative error :math:`\\|AA^\\top - C\\|_F / \\|C\\|_F` (the model's only
        identifiable quantity: A is defined up to a rotation of z).
    kernels : list of Gaussian
        The spread after each re-learning (one entry for a fixed spread).
    """

    mixing: np.ndarray
    divergence: np.ndarray
    fixed_divergence: np.ndarray
    cov_error: np.ndarray
    kernels: list

    def __repr__(self):
        return (f"LinearFit(n_iter={self.cov_error.size - 1}, cov_error={self.cov_error[-1]:.3g}, "
                f"divergence={self.divergence[-1]:.3g})")


def _kl_and_grad(a_mix, data_cov, spread_cov):
    """KL(N(0, C + S) || N(0, AA^T + S)) and its gradient in A."""
    d = data_cov.shape[0]
    b = a_mix @ a_mix.T + spread_cov
    at = data_cov + spread_cov
    cb = np.linalg.cholesky(b)
    ca = np.linalg.cholesky(at)
    binv = np.linalg.inv(b)
    binv_at = binv @ at
    kl = 0.5 * (np.trace(binv_at) - d + 2 * np.sum(np.log(np.diag(cb))) - 2 * np.sum(np.log(np.diag(ca))))
    grad = (binv - binv_at @ binv) @ a_mix
    return float(kl), grad


def fit_linear_generator(data_cov, n_latent, *, spread="learned", scale=1.0, anisotropy=10.0,
                         n_iter=300, learning_rate=0.1, relearn_every=10, init=None, rng=None):
    r"""Fit a deterministic linear generator x = A z by spread KL, with a fixed or learned spread.

    The model :math:`x = Az`, :math:`z \sim N(0, I_Z)`, Z < X, is a singular Gaussian
    :math:`N(0, AA^\top)`; the data :math:`N(0, C)` may be singular too. With a Gaussian
    spread N(0, S) the spread KL is closed form,

    .. math::
        \tilde{\mathrm{KL}}(A, S) = \tfrac12\Big[\mathrm{tr}(B^{-1}(C + S)) - X
        + \log\det B - \log\det(C + S)\Big],\qquad B = AA^\top + S,

    with gradient :math:`\partial \tilde{\mathrm{KL}}/\partial A = (B^{-1} - B^{-1}(C + S)
    B^{-1})A`. The model takes gradient steps on A; with ``spread="learned"`` the spread
    is re-learned every ``relearn_every`` steps by :func:`learn_spread` (maximising the
    same KL, fixed determinant :math:`\sigma^{2X}`), a min-max game; with
    ``spread="fixed"`` it stays N(0, σ²I).

    Parameters
    ----------
    data_cov : array-like of shape (n_features, n_features)
        Covariance C of the data (positive semi-definite, singular allowed).
    n_latent : int
        Z, the latent dimension.
    spread : {"learned", "fixed"}, default="learned"
        Re-learn the spread every ``relearn_every`` steps (min-max), or keep it fixed.
    scale : float, default=1.0
        :math:`\sigma^2`.
    anisotropy : float, default=10.0
        Eigenvalue bound of the learned spread (see :func:`learn_spread`).
    n_iter : int, default=300
        Gradient steps on A.
    learning_rate : float, default=0.1
        Step size of the gradient descent on the spread KL.
    relearn_every : int, default=10
        Steps between two re-learnings of the spread.
    init : array-like of shape (n_features, n_latent), default=None
        Starting A (default: N(0, 1/X) entries drawn from ``rng``).
    rng : None, int or numpy.random.Generator
        Random source of the starting A.

    Returns
    -------
    LinearFit

    References
    ----------
    M. Zhang et al., "Spread Divergence", ICML 2020, sections 3-4,
    https://arxiv.org/abs/1811.08968.

    Examples
    --------
    >>> import numpy as np
    >>> from spreadlab import fit_linear_generator
    >>> a_true = np.array([[1.0], [2.0], [0.0]])
    >>> fit = fit_linear_generator(a_true @ a_true.T, 1, spread="fixed", n_iter=400, rng=0)
    >>> bool(fit.cov_error[-1] < 1e-3 < fit.cov_error[0])
    True
    """
    c = _check_data_cov(data_cov)
    xdim = c.shape[0]
    n_latent = as_count(n_latent, "n_latent", 1)
    if spread not in ("learned", "fixed"):
        raise ValueError(f"Unknown spread {spread!r}; should be one of 'learned', 'fixed'")
    scale = _check_real(scale, "scale", 0.0)
    anisotropy = _check_real(anisotropy, "anisotropy", 1.0, MAX_ANISOTROPY)
    n_iter = as_count(n_iter, "n_iter", 1, MAX_ITER)
    learning_rate = _check_real(learning_rate, "learning_rate", 0.0)
    relearn_every = as_count(relearn_every, "relearn_every", 1)
    rng = check_rng(rng)
    if init is None:
        a_mix = rng.normal(0.0, 1.0 / math.sqrt(xdim), (xdim, n_latent))
    else:
        a_mix = np.array(init, dtype=float)
        if a_mix.shape != (xdim, n_latent):
            raise ValueError(f"init must have shape ({xdim}, {n_latent}); got {a_mix.shape}")
    try:
        with np.errstate(over="raise", invalid="raise"):
            return _gradient_descent(c, a_mix, spread, scale, anisotropy, n_iter, learning_rate,
                                     relearn_every)
    except (FloatingPointError, np.linalg.LinAlgError) as exc:
        # the steps overflowed (or left B = AA^T + S numerically singular): say which
        # parameter to change instead of returning NaN fields
        raise ValueError(
            f"fit_linear_generator diverged with learning_rate={learning_rate:g} (scale={scale:g}, "
            f"anisotropy={anisotropy:g}): {type(exc).__name__}: {exc}; use a smaller learning_rate (or anisotropy)"
        ) from exc


def _check_data_cov(data_cov):
    c = np.asarray(data_cov, dtype=float)
    if c.ndim != 2 or c.shape[0] != c.shape[1] or not np.all(np.isfinite(c)):
        raise ValueError(f"data_cov must be a finite square matrix; got shape {np.shape(data_cov)}")
    top = max(1.0, np.abs(c).max())
    if not np.allclose(c, c.T, atol=1e-12 * top) or np.linalg.eigvalsh(c).min() < -1e-10 * top:
        raise ValueError("data_cov must be symmetric positive semi-definite")
    return c


def _gradient_descent(c, a_mix, spread, scale, anisotropy, n_iter, learning_rate, relearn_every):
    """Gradient steps on A against a fixed or periodically re-learned spread (the min-max game)."""
    from .distributions._gaussian import Gaussian

    xdim = c.shape[0]
    fixed_cov = scale * np.eye(xdim)
    spread_cov = fixed_cov.copy()
    kernels = [_gaussian(spread_cov)]
    cnorm = np.linalg.norm(c)
    div, fixed_div, err = [], [], []
    for t in range(n_iter + 1):
        if spread == "learned" and t % relearn_every == 0 and t < n_iter:
            model = Gaussian(np.zeros(xdim), a_mix @ a_mix.T)
            with warnings.catch_warnings():
                # a few warm-started L-BFGS-B steps per round: stopping early is intended here
                warnings.simplefilter("ignore")
                learned = learn_spread(Gaussian(np.zeros(xdim), c), model, kernels[-1],
                                       anisotropy=anisotropy, n_restarts=1, max_iter=20)
            spread_cov = learned.kernel.cov
            kernels.append(learned.kernel)
        kl, grad = _kl_and_grad(a_mix, c, spread_cov)
        div.append(kl)
        fixed_div.append(kl if spread == "fixed" else _kl_and_grad(a_mix, c, fixed_cov)[0])
        err.append(float(np.linalg.norm(a_mix @ a_mix.T - c) / max(cnorm, 1e-300)))
        if t < n_iter:
            a_mix = a_mix - learning_rate * grad
    return LinearFit(a_mix, np.array(div), np.array(fixed_div), np.array(err), kernels)
