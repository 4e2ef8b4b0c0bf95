r"""SpreadVAE: the blog's recipe -- a deterministic decoder trained on the ELBO of spread data."""
import math
import warnings
from numbers import Integral, Real

import numpy as np
from scipy.special import logsumexp
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from .._constants import LOG_2PI
from .._trainer import (PlainNumbersMixin, Progress, Tracker, as_generator, blas_limit, fit_guard, score_seed,
                        warn_not_converged)

__all__ = ["SpreadVAE", "SpreadCollapseWarning"]



def _init_params(D, Z, H, mean, rng):
    """Weights ~ N(0, 1/fan_in); decoder offset at the data mean; encoder log-std at log 0.5."""
    def w(i, o):
        return rng.standard_normal((i, o)) / math.sqrt(i)
    return {
        "V1": w(D, H), "c1": np.zeros(H),            # encoder hidden layer
        "Vm": w(H, Z), "cm": np.zeros(Z),            # encoder mean
        "Vs": 0.1 * w(H, Z), "cs": np.full(Z, math.log(0.5)),  # encoder log-std
        "W1": w(Z, H), "b1": np.zeros(H),            # decoder hidden layer
        "W2": w(H, D) * 0.1, "b2": mean.copy(),      # decoder output
        "tau": np.zeros(1),                          # log output std (learnt noise only)
    }


def _decode(p, Z):
    return np.tanh(Z @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"]


def _encode(p, Y):
    u = np.tanh(Y @ p["V1"] + p["c1"])
    return u @ p["Vm"] + p["cm"], u @ p["Vs"] + p["cs"], u


def elbo_and_grad(p, Y, eps, log_std):
    r"""Mean ELBO of a batch and its gradient (derived by hand, reparameterised).

    For one draw :math:`z = \mu(y) + s(y)\odot\epsilon`,

    .. math:: \mathcal L(y) = \log\mathcal N(y; g(z), v I_D)
              - \tfrac12\sum_i\bigl(\mu_i^2 + s_i^2 - 1 - 2\log s_i\bigr),

    with :math:`v = e^{2\,\mathrm{log\_std}}` (the spread :math:`\sigma^2`), or the learnt
    :math:`e^{2\tau}` when ``log_std is None``.

    Parameters
    ----------
    p : dict of ndarray
        Parameters (see :func:`_init_params`).
    Y : ndarray of shape (batch, n_features)
    eps : ndarray of shape (batch, n_latent)
        Standard-normal reparameterisation draws.
    log_std : float or None
        Log output standard deviation; ``None`` learns it (parameter ``tau``).

    Returns
    -------
    elbo : float
    grad : dict of ndarray
        Gradient of ``elbo`` with respect to each parameter.
    """
    B, D = Y.shape
    mu, logs, u = _encode(p, Y)
    s = np.exp(logs)
    z = mu + s * eps
    h = np.tanh(z @ p["W1"] + p["b1"])
    xh = h @ p["W2"] + p["b2"]
    lstd = p["tau"][0] if log_std is None else log_std
    inv_var = math.exp(-2.0 * lstd)
    res = Y - xh
    sq = np.sum(res * res, axis=1)
    rec = -0.5 * D * (LOG_2PI + 2.0 * lstd) - 0.5 * inv_var * sq
    kl = 0.5 * np.sum(mu * mu + s * s - 1.0 - 2.0 * logs, axis=1)
    elbo = float(np.mean(rec - kl))

    g = {}
    r = res * (inv_var / B)                       # d elbo / d xh
    g["W2"] = h.T @ r
    g["b2"] = r.sum(axis=0)
    da1 = (r @ p["W2"].T) * (1.0 - h * h)
    g["W1"] = z.T @ da1
    g["b1"] = da1.sum(axis=0)
    dz = da1 @ p["W1"].T
    gmu = dz - mu / B
    glogs = dz * eps * s - (s * s - 1.0) / B
    g["Vm"] = u.T @ gmu
    g["cm"] = gmu.sum(axis=0)
    g["Vs"] = u.T @ glogs
    g["cs"] = glogs.sum(axis=0)
    da = (gmu @ p["Vm"].T + glogs @ p["Vs"].T) * (1.0 - u * u)
    g["V1"] = Y.T @ da
    g["c1"] = da.sum(axis=0)
    g["tau"] = (np.array([np.mean(-D + inv_var * sq)]) if log_std is None else np.zeros(1))
    return elbo, g


class SpreadCollapseWarning(UserWarning):
    """The spread is too small for the fit to be trusted (see :class:`SpreadVAE`)."""


class Adam:
    r"""Adam (Kingma & Ba 2015) on a dict of NumPy arrays, with optax's interface.

    ``init(params) -> state`` and ``update(grads, state, params=None) -> (updates, state)``
    as ``optax.adam``: given the gradient of a loss, the updates descend it, and the caller
    adds them to the parameters. The built-in NumPy MLP of :class:`SpreadVAE` trains with it
    (on the negated ELBO); a JAX model trains with ``optax.adam`` or the ``optimizer`` given.

    .. math:: m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t,\quad
              v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2,\quad
              u_t = -\eta\,\frac{m_t/(1-\beta_1^t)}{\sqrt{v_t/(1-\beta_2^t)} + \epsilon}

    Examples
    --------
    >>> import numpy as np
    >>> from spreadlab.generator._vae import Adam
    >>> opt = Adam(0.1)
    >>> params = {"w": np.array([1.0, -2.0])}
    >>> state = opt.init(params)
    >>> updates, state = opt.update({"w": 2 * params["w"]}, state)   # loss |w|^2
    >>> updates["w"]   # the first step is -lr * sign(gradient)
    array([-0.1,  0.1])
    """

    def __init__(self, learning_rate, b1=0.9, b2=0.999, eps=1e-8):
        self.learning_rate, self.b1, self.b2, self.eps = learning_rate, b1, b2, eps

    def init(self, params):
        zeros = {k: np.zeros_like(v) for k, v in params.items()}
        return 0, zeros, {k: v.copy() for k, v in zeros.items()}

    def update(self, grads, state, params=None):
        t, m, v = state
        t, b1, b2 = t + 1, self.b1, self.b2
        m = {k: b1 * m[k] + (1 - b1) * g for k, g in grads.items()}
        v = {k: b2 * v[k] + (1 - b2) * g * g for k, g in grads.items()}
        updates = {k: -self.learning_rate * (m[k] / (1 - b1**t))
                   / (np.sqrt(v[k] / (1 - b2**t)) + self.eps) for k in grads}
        return updates, (t, m, v)


class _NumpyMLP:
    """The built-in one-hidden-layer tanh MLP with its hand-derived gradient, trained by
    :class:`Adam`.

    Same interface as :class:`spreadlab.generator._jax_fit.JaxModel`.
    """

    def __init__(self, params, learning_rate, log_std):
        self.params = params
        self.log_std = log_std  # None: learnt output noise (parameter ``tau``)
        self.opt = Adam(learning_rate)
        self.opt_state = self.opt.init(params)

    def step(self, y, eps):
        """One Adam step up the batch's ELBO; returns the ELBO before the step."""
        val, g = elbo_and_grad(self.params, y, eps, self.log_std)
        updates, self.opt_state = self.opt.update({k: -gk for k, gk in g.items()},
                                                  self.opt_state, self.params)
        for k, u in updates.items():
            self.params[k] = self.params[k] + u
        return val

    def evaluate(self, y, eps):
        p = self.params
        mu, logs, _ = _encode(p, y)
        s = np.exp(logs)
        xh = _decode(p, mu + s * eps)
        lstd = p["tau"][0] if self.log_std is None else self.log_std
        D = y.shape[1]
        rec = (-0.5 * D * (LOG_2PI + 2.0 * lstd)
               - 0.5 * math.exp(-2.0 * lstd) * np.sum((y - xh) ** 2, axis=1))
        kl_terms = 0.5 * (mu * mu + s * s - 1.0 - 2.0 * logs)
        return rec - kl_terms.sum(axis=1), mu, s, kl_terms.mean(axis=0)

    def learned_log_noise_std(self):
        """The learnt :math:`\\tau` (``None`` unless the noise is learnt)."""
        return float(self.params["tau"][0]) if self.log_std is None else None

    def snapshot(self):
        return {k: v.copy() for k, v in self.params.items()}

    def restore(self, snap):
        self.params = snap

    def numpy_params(self):
        return self.params

    def encode(self, X):
        return _encode(self.params, X)[0]

    def decode(self, Z):
        return _decode(self.params, Z)

    def log_likelihood(self, Y, sigma, n_importance, rng):
        mu, logs, _ = _encode(self.params, Y)
        s = np.exp(logs)
        N, D = Y.shape
        Zd = mu.shape[1]
        out = np.empty((N, n_importance))
        for k in range(n_importance):
            eps = rng.standard_normal(mu.shape)
            z = mu + s * eps
            r = Y - _decode(self.params, z)
            log_lik = -0.5 * np.sum(r * r, axis=1) / sigma**2 - 0.5 * D * (LOG_2PI
                                                                           + 2 * math.log(sigma))
            log_prior = -0.5 * np.sum(z * z, axis=1) - 0.5 * Zd * LOG_2PI
            log_q = np.sum(-0.5 * eps * eps - logs, axis=1) - 0.5 * Zd * LOG_2PI
            out[:, k] = log_lik + log_prior - log_q
        return logsumexp(out, axis=1) - math.log(n_importance)


# the fraction of the data's scale below which sigma is "a few percent" of it, and the mean
# encoder std (prior std 1) below which the posterior has collapsed (see SpreadVAE, "Warns").
# Measured on digits / 16 (scale 0.27), Z = 8: the encoder std tracks sigma (1.0-1.5 sigma at
# sigma = 0.01 ... 0.2), so the ratio to sigma cannot tell collapse from health; its absolute
# size and sigma's size against the data can.
_SMALL_SPREAD = 0.05
_COLLAPSE_STD = 0.02
# a drop of the evaluation bound by more than this many of its standard errors, plus this
# fraction of its magnitude, is a divergence rather than stochastic-gradient noise
_DIVERGE_SE, _DIVERGE_REL = 10.0, 0.5
_MAX_PARAMS = 10**7  # parameter budget of the built-in MLP (x5 arrays in float64: 400 MB)
_MAX_WEIGHTS = 10**9  # importance weights per spread_log_likelihood call (one row of K at a time)


def _is_isotropic_gaussian(kernel):
    """A zero-mean one-dimensional Gaussian (acting on each coordinate alike)."""
    return (type(kernel).__name__ == "Gaussian" and kernel.dim == 1
            and float(kernel.mean[0]) == 0.0 and float(kernel.cov[0, 0]) > 0)


def _data_log_scale(X):
    """Log of the data's scale (root mean feature variance): the start of a learnt noise."""
    return math.log(max(float(np.sqrt(np.mean(np.var(X, axis=0)))), 1e-12))


def _draw_noise(kernel, shape, rng):
    """Spread noise of the given shape from a spreadlab distribution (NumPy draws)."""
    if kernel.dim == 1:
        return np.asarray(kernel.sample(int(np.prod(shape)), rng), float).reshape(shape)
    return np.asarray(kernel.sample(shape[0], rng), float).reshape(shape)


def _epoch(model, Y, batch_size, n_latent, rng):
    """One pass of minibatch steps over Y in a random order; the mean ELBO of its batches."""
    N = len(Y)
    order = rng.permutation(N)
    total = 0.0
    for s in range(0, N, batch_size):
        idx = order[s:s + batch_size]
        total += model.step(Y[idx], rng.standard_normal((len(idx), n_latent))) * len(idx)
    return total / N


class _Bound:
    """The evaluation bound of a fit: the model's ELBO on spread data and reparameterisation
    draws fixed for the whole fit, so that epochs are compared on one objective."""

    def __init__(self, model, Y, eps):
        self.model, self.Y, self.eps = model, Y, eps

    def __call__(self):
        """``(mean bound, its standard error, encoder means, encoder stds, KL per dim)``; a
        non-finite bound is ``(-inf, inf, ...)``."""
        terms, mu, s, kl = self.model.evaluate(self.Y, self.eps)
        if not np.all(np.isfinite(terms)):
            return -np.inf, np.inf, mu, s, kl
        return float(np.mean(terms)), float(np.std(terms) / math.sqrt(len(self.Y))), mu, s, kl

    def initial(self):
        """``(bound, standard error)`` at the initial parameters; a ValueError if not finite."""
        try:
            value, se = self()[:2]
        except FloatingPointError as exc:
            raise ValueError(f"SpreadVAE cannot evaluate its initial bound on X: {exc}. "
                             "Standardise X") from exc
        if not math.isfinite(value):
            raise ValueError("SpreadVAE's initial bound on X is not finite: standardise X")
        return value, se


class _Epochs:
    """State of a SpreadVAE run: per-epoch history, epochs run and the failure, if any."""

    def __init__(self):
        self.n_iter, self.failure = 0, None
        self.history = {"elbo": [], "eval_elbo": [], "eval_se": [], "encoder_std": [],
                        "kl_per_dim": [], "active_units": []}

class SpreadVAE(PlainNumbersMixin, TransformerMixin, BaseEstimator):
    r"""Deterministic decoder and Gaussian encoder trained on the ELBO of spread data.

    The blog's recipe ("a simple modification of standard VAE training with an outer loop
    sampling from the spread data"): the generator :math:`x = g_\theta(z)`, with no output
    noise, is trained by maximising the evidence lower bound of the spread model
    :math:`\tilde p(y)=\int K(y - g_\theta(z))\,p(z)\,dz` on spread data :math:`y = x + \eta`,
    :math:`\eta\sim K`, re-drawn every epoch, with a Gaussian encoder
    :math:`q_\phi(z\mid y)=\mathcal N(\mu_\phi(y), \operatorname{diag}s_\phi(y)^2)`:

    .. math:: \log\tilde p(y)\ \ge\ \mathbb E_{q}\bigl[\log K(y - g_\theta(z))\bigr]
              - \mathrm{KL}\bigl(q_\phi(z\mid y)\,\|\,p(z)\bigr).

    Two back ends, one estimator:

    * default (``decoder=None``): a one-hidden-layer tanh MLP in NumPy, gradients derived by
      hand (checked against finite differences and against JAX autodiff in the tests), Adam,
      float64, an isotropic Gaussian spread :math:`K=\mathcal N(0,\sigma^2 I)` and an
      :math:`\mathcal N(0, I)` prior;
    * ``decoder=..., encoder=..., init_params=...``: any JAX generator, trained through
      :func:`spreadlab.generator.spread_elbo` with an optax optimiser, any spread kernel that
      :func:`spreadlab.generator.as_jax_law` accepts (Gaussian isotropic/diagonal/full,
      Laplace, products of 1-D Gaussian/Laplace kernels; each checked with
      :func:`spreadlab.fourier_check`), float32 or float64. Needs ``pip install
      'spreadlab[jax]'``; JAX is imported only then.

    ``noise`` chooses what is spread:

    * ``"spread"``: data and model both spread by :math:`K` (the spread VAE, unbiased);
    * ``"fixed"``: raw data, output noise fixed at :math:`K` -- the standard VAE with fixed
      noise, i.e. the one-sided spread (noise on the model only);
    * ``"learn"``: raw data, learnt isotropic Gaussian output noise :math:`e^\tau` (a standard
      VAE; the noise can absorb what the decoder does not fit), :math:`\tau` started at the log
      of the data's scale (root mean feature variance). Both back ends: a user JAX model
      trains :math:`\tau` beside its own parameters with the same optimiser; ``kernel`` must
      then be ``None`` or an isotropic zero-mean Gaussian, which only sets the default spread
      of ``score``/``spread_log_likelihood`` (any other kernel is refused: it would be ignored).

    Parameters
    ----------
    n_latent : int, default=2
        Latent dimension.
    n_hidden : int, default=64
        Hidden units of the built-in encoder and decoder (ignored for user models).
    spread : float, default=0.1
        Spread :math:`\sigma` of data and model (data units), in [1e-50, 1e50]; the kernel is
        :math:`\mathcal N(0, \sigma^2 I)` unless ``kernel`` is given.
    kernel : Distribution, default=None
        The spread kernel :math:`K` itself (it replaces ``spread``): a one-dimensional law
        acts on each coordinate independently, a ``n_features``-dimensional one jointly. The
        built-in MLP accepts only a zero-mean one-dimensional Gaussian.
    noise : {"spread", "fixed", "learn"}, default="spread"
        See above.
    decoder : callable, default=None
        ``decoder(params, z) -> x`` in JAX, z of shape (batch, n_latent), x of any shape that
        flattens to (batch, n_features).
    encoder : callable, default=None
        ``encoder(params, y) -> (mean, log_std)`` in JAX, y of shape (batch, n_features).
    init_params : pytree or callable, default=None
        Initial parameters of the user model, or ``init_params(X, rng) -> pytree``. May be
        ``None`` only with :func:`~spreadlab.generator.mlp_decoder` /
        :func:`~spreadlab.generator.mlp_encoder` (the built-in MLP's initialisation).
    prior : Distribution, default=None
        Latent prior; ``None`` is N(0, I) (KL in closed form). JAX path only.
    optimizer : optax.GradientTransformation, default=None
        ``None`` is ``optax.adam(learning_rate)``. Pass e.g.
        ``optax.adam(optax.cosine_decay_schedule(1e-2, 2000))`` for a learning-rate schedule,
        under which a plateau can mean convergence. JAX path only.
    dtype : {"float64", "float32"}, default="float64"
        Floating-point type of the JAX computation (set per call with ``jax.enable_x64``; the
        process-wide JAX setting is not touched). The built-in MLP is float64 only.
    max_iter : int, default=200
        Maximum epochs (one spread draw per data point per epoch).
    batch_size : int, default=128
        Minibatch size of the optimiser steps.
    learning_rate : float, default=3e-3
        Adam step size, in (0, 1e100] (ignored when ``optimizer`` is given).
    tol : float, default=1e-3
        Relative tolerance in [0, 1]: an epoch improves the fit when its evaluation bound beats
        the best so far by more than ``tol * max(|best|, 1)`` nats per sample.
    n_iter_no_change : int, default=20
        Epochs without improvement of the evaluation bound before stopping.
    random_state : None, int >= 0, numpy.random.Generator or RandomState, default=None
        Seeds the initial weights, the spread draws, the minibatches and the
        reparameterisation draws (all NumPy draws, in both back ends); a fit is reproducible
        given an int (the package's one random-state policy, :ref:`random-state`).
    verbose : bool, default=False
        tqdm progress bar.

    Attributes
    ----------
    params_ : dict of ndarray or pytree
        Parameters of the best iterate (see ``best_iter_``). Built-in MLP: encoder (``V1, c1,
        Vm, cm, Vs, cs``), decoder (``W1, b1, W2, b2``) and ``tau`` (log output std, used
        only with ``noise="learn"``); user models: their pytree, as NumPy arrays (a learnt
        noise is not in it: see ``noise_std_``).
    noise_std_ : float
        Output noise scale of the fitted model: the spread's root mean per-coordinate
        standard deviation, or the learnt :math:`e^\tau` (``noise="learn"``).
    history_ : dict of ndarray
        Per epoch: ``"elbo"`` (mean over the epoch's batches), ``"eval_elbo"`` (the bound on
        fixed evaluation draws), ``"eval_se"`` (its standard error over the samples),
        ``"encoder_std"`` (mean encoder standard deviation), ``"kl_per_dim"`` (shape (n_epochs,
        n_latent): mean KL of each latent coordinate to the prior; absent for a non-factorised
        prior) and ``"active_units"`` (coordinates whose encoder mean varies over the data by
        more than 0.01 in variance, Burda et al. 2016).
    best_iter_ : int
        Epochs run by the returned parameters: ``history_["eval_elbo"][best_iter_ - 1]`` is
        their bound (0: no epoch beat the initial parameters).
    n_iter_ : int
        Epochs run.
    stop_reason_ : str
        Why the fit stopped, in words (the warning's message when it did not converge).
    converged_ : bool
        True when the evaluation bound (on draws fixed for the whole fit, so that epochs are
        compared on one objective) stopped improving by more than the relative ``tol`` for
        ``n_iter_no_change`` epochs *and* stayed at its best: its median over those epochs is
        within ``tol`` (relative) of the best. A bound that still rises is refused (``max_iter``
        runs out), and so is one that fell off its best and jitters below it (steps too large
        to settle; ``stop_reason_`` says so). With a constant learning rate a plateau is still
        one of a noisy stochastic ascent, not a stationary point; a decaying schedule
        (``optimizer``) makes the two closer. Never true after a divergence.
    diverged_ : bool
        True when the fit stopped because the evaluation bound turned non-finite, a
        floating-point fault occurred, or the bound did not improve for ``n_iter_no_change``
        epochs while its median over them stayed far below the best (by more than 10 of the
        best bound's standard errors plus half its magnitude). The best iterate is returned
        and a warning says so. (A transient fall that recovers is neither.)
    model_ : object
        The trained model behind ``transform``/``sample``/``score`` (the NumPy MLP, or the
        jit-compiled JAX model, which is dropped on pickling and rebuilt from ``params_``).
    n_features_in_ : int

    Warns
    -----
    ConvergenceWarning
        When ``max_iter`` runs out while the bound still improves, or the fit diverged.
    SpreadCollapseWarning
        When the spread is below 5% of the data's scale (root of the mean feature variance),
        or the mean encoder standard deviation of the returned fit is below 0.02 (the prior's
        is 1): the posterior has collapsed to the spread's resolution (the encoder's standard
        deviation tracks the spread, about 1-1.5 sigma on digits), and held-out spread
        likelihood and samples degrade; increase ``spread``. Not checked for
        ``noise="learn"``.

    References
    ----------
    D. Barber, "Training models that have zero likelihood", Dec 21 2019,
    https://aiucl.github.io/spread-divergence/.
    M. Zhang, P. Hayes, T. Bird, R. Habib, D. Barber, "Spread Divergence", ICML 2020,
    https://arxiv.org/abs/1811.08968, section 3.
    D. P. Kingma, M. Welling, "Auto-encoding variational Bayes", ICLR 2014.
    Y. Burda, R. Grosse, R. Salakhutdinov, "Importance weighted autoencoders", ICLR 2016.

    Examples
    --------
    >>> import warnings
    >>> from spreadlab import SpreadVAE, make_curve
    >>> X, _ = make_curve(300, random_state=0)
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")   # ConvergenceWarning: 20 epochs are too few
    ...     vae = SpreadVAE(n_latent=1, spread=0.1, max_iter=20, random_state=0).fit(X)
    >>> vae.converged_, vae.best_iter_   # the bound still rises: not converged, last is best
    (False, 20)
    >>> vae.sample(4, random_state=0)[0].shape
    (4, 2)
    >>> bool(vae.history_["elbo"][-1] > vae.history_["elbo"][0])
    True
    """

    _parameter_constraints = {
        "n_latent": [Interval(Integral, 1, None, closed="left")],
        "n_hidden": [Interval(Integral, 1, _MAX_PARAMS, closed="both")],
        # sigma^2 and 1/sigma^2 (and the squared gradients they scale) stay representable
        "spread": [Interval(Real, 1e-50, 1e50, closed="both")],
        "kernel": [None, HasMethods(["logpdf", "sample", "cf"])],
        "noise": [StrOptions({"spread", "fixed", "learn"})],
        "decoder": [None, callable],
        "encoder": [None, callable],
        "init_params": "no_validation",
        "prior": [None, HasMethods(["logpdf", "sample", "cf"])],
        "optimizer": [None, HasMethods(["init", "update"])],
        "dtype": [StrOptions({"float64", "float32"})],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "learning_rate": [Interval(Real, 0, 1e100, closed="right")],
        "tol": [Interval(Real, 0, 1, closed="both")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state", np.random.Generator],
        "verbose": ["verbose"],
    }

    def __init__(self, n_latent=2, *, n_hidden=64, spread=0.1, kernel=None, noise="spread",
                 decoder=None, encoder=None, init_params=None, prior=None, optimizer=None,
                 dtype="float64", max_iter=200, batch_size=128, learning_rate=3e-3, tol=1e-3,
                 n_iter_no_change=20, random_state=None, verbose=False):
        self.n_latent = n_latent
        self.n_hidden = n_hidden
        self.spread = spread
        self.kernel = kernel
        self.noise = noise
        self.decoder = decoder
        self.encoder = encoder
        self.init_params = init_params
        self.prior = prior
        self.optimizer = optimizer
        self.dtype = dtype
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.random_state = random_state
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Fit decoder and encoder by stochastic ascent of the ELBO of spread data.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : Ignored

        Returns
        -------
        self : SpreadVAE
        """
        X = validate_data(self, X, dtype=np.float64, ensure_min_samples=2)
        rng = as_generator(self.random_state)
        model, draw, sigma = self._make_model(X, rng)
        bound = _Bound(model, X + draw(X.shape, rng) if self.noise == "spread" else X,
                       rng.standard_normal((X.shape[0], self.n_latent)))
        tracker, run = Tracker(maximize=True), _Epochs()
        # one BLAS thread: the matrices are small, and on shared cores the hand-offs between
        # BLAS threads cost more than they save (measured 2.6x (grid EM) and 5x (VAE) on digits)
        with fit_guard("SpreadVAE", where=lambda: f"in epoch {run.n_iter + 1}",
                       advice="lower learning_rate or standardise X"), \
                Progress(self.max_iter, "SpreadVAE", self.verbose) as bar:
            value, se = bound.initial()
            tracker.observe(value, (model.snapshot(), 0, se))
            self._ascend(X, model, draw, bound, tracker, run, rng, bar)
        snapshot, self.best_iter_, _ = tracker.best_params
        model.restore(snapshot)
        self.model_ = model
        self.params_ = model.numpy_params()
        self.n_iter_ = run.n_iter
        self.diverged_ = run.failure is not None
        self.converged_, self.stop_reason_ = tracker.converged, tracker.reason
        self.noise_std_ = (float(math.exp(model.learned_log_noise_std()))
                           if self.noise == "learn" else float(sigma))
        self.history_ = {k: np.asarray(v) for k, v in run.history.items()
                         if v or k != "kl_per_dim"}
        if not self.converged_:
            warn_not_converged(self.stop_reason_, stacklevel=4)
        if self.noise != "learn":
            self._warn_small_spread(X, sigma, bound()[3])
        return self

    # -- the two back ends -------------------------------------------------------------------
    def _numpy_model(self, X, rng):
        N, D = X.shape
        for name in ("prior", "optimizer"):
            if getattr(self, name) is not None:
                raise ValueError(f"{name}= needs a JAX model (decoder=..., encoder=...); the "
                                 f"built-in NumPy MLP has an N(0, I) prior and Adam")
        if self.dtype != "float64":
            raise ValueError(f"dtype={self.dtype!r} needs a JAX model (decoder=..., encoder=..."
                             "); the built-in NumPy MLP is float64")
        sigma = self.spread
        if self.kernel is not None:
            k = self.kernel
            if not _is_isotropic_gaussian(k):
                raise ValueError(
                    f"kernel={k!r} needs a JAX model: the built-in NumPy MLP spreads with an "
                    "isotropic zero-mean Gaussian only. Pass decoder=mlp_decoder, encoder="
                    "mlp_encoder (spreadlab.generator) for the same MLP through JAX")
            sigma = math.sqrt(float(k.cov[0, 0]))
            if not 1e-50 <= sigma <= 1e50:
                raise ValueError(f"the kernel's standard deviation must be in [1e-50, 1e50]; "
                                 f"got {sigma!r}")
        H, Z = self.n_hidden, self.n_latent
        n_params = (D + 1) * H + 2 * (H + 1) * Z + (Z + 1) * H + (H + 1) * D
        if n_params > _MAX_PARAMS:
            raise ValueError(
                f"n_hidden={H} with n_features={D} and n_latent={Z} needs {n_params:.3g} "
                f"parameters; the budget of the built-in MLP is {_MAX_PARAMS:.0e}")
        p = _init_params(D, Z, H, X.mean(axis=0), rng)
        learn = self.noise == "learn"
        if learn:
            p["tau"][0] = _data_log_scale(X)
        model = _NumpyMLP(p, self.learning_rate, None if learn else math.log(sigma))

        def draw(shape, rng):
            return sigma * rng.standard_normal(shape)
        return model, draw, sigma

    def _jax_model(self, X, rng):
        from ._jax import mlp_decoder, mlp_encoder
        from ._jax_fit import JaxModel

        N, D = X.shape
        log_noise = None
        if self.noise == "learn":
            k = self.kernel
            if k is not None and not _is_isotropic_gaussian(k):
                raise ValueError(
                    f"noise='learn' learns an isotropic Gaussian output noise (one log standard "
                    f"deviation, started at the data's scale); kernel={k!r} would be ignored in "
                    "training. Pass kernel=None (spread= then only sets the default spread of "
                    "score/spread_log_likelihood), or noise='spread'/'fixed' for this kernel")
            log_noise = _data_log_scale(X)
        params = self.init_params
        if callable(params):
            params = params(X, rng)
        elif params is None:
            if not (self.decoder is mlp_decoder and self.encoder is mlp_encoder):
                raise ValueError("init_params is required with a user decoder/encoder (a pytree "
                                 "or a callable init_params(X, rng) -> pytree)")
            params = _init_params(D, self.n_latent, self.n_hidden, X.mean(axis=0), rng)
        kernel = self._kernel()
        model = JaxModel(self.decoder, self.encoder, params, kernel, self.prior, self.optimizer,
                         self.learning_rate, self.dtype, D, self.n_latent, log_noise=log_noise)

        def draw(shape, rng):
            return _draw_noise(kernel, shape, rng)
        return model, draw, model.kernel.std

    def _make_model(self, X, rng):
        if (self.decoder is None) != (self.encoder is None):
            raise ValueError("decoder and encoder must be given together (or neither, for the "
                             f"built-in MLP); got decoder={self.decoder!r}, "
                             f"encoder={self.encoder!r}")
        return (self._numpy_model if self.decoder is None else self._jax_model)(X, rng)

    # -- the fit -------------------------------------------------------------------------------
    def _ascend(self, X, model, draw, bound, tracker, run, rng, bar):
        """Epochs of stochastic ascent until the evaluation bound plateaus, falls or faults.

        Updates ``run`` (history, epochs, failure) and ``tracker`` (best iterate
        ``(snapshot, epoch, standard error)``: the running maximum of the bound, and the
        verdict). The plateau clock restarts only on a gain above the relative ``tol`` over
        the bound at the last such gain (``ref``), so a crawl below ``tol`` still returns its
        best (latest) iterate.
        """
        hist = run.history
        ref, ref_iter, unsettled = tracker.best_value, 0, None
        for epoch in range(1, self.max_iter + 1):
            run.n_iter = epoch
            try:
                # the blog's outer loop: a fresh draw of the spread data every epoch
                Y = X + draw(X.shape, rng) if self.noise == "spread" else X
                elbo = _epoch(model, Y, self.batch_size, self.n_latent, rng)
                ev, se, mu, enc_s, kl = bound()
            except FloatingPointError as exc:
                return self._diverged(tracker, run, f"a floating-point fault ({exc})")
            if not (math.isfinite(ev) and math.isfinite(elbo)):
                return self._diverged(tracker, run, "a non-finite bound")
            for key, value in (("elbo", elbo), ("eval_elbo", ev), ("eval_se", se),
                               ("encoder_std", float(np.mean(enc_s))), ("kl_per_dim", kl),
                               ("active_units", int(np.sum(np.var(mu, axis=0) > 0.01)))):
                if value is not None:
                    hist[key].append(value)
            bar.update(elbo=f"{ev:.4f}")
            if ev > tracker.best_value:
                tracker.observe(ev, (model.snapshot(), epoch, se))
            best, (_, best_iter, best_se) = tracker.best_value, tracker.best_params
            scale = max(abs(ref), 1.0)
            if ev > ref + self.tol * scale:
                ref, ref_iter, unsettled = ev, epoch, None
            elif epoch - ref_iter >= self.n_iter_no_change:
                # no real gain for n_iter_no_change epochs: a plateau if the bound stayed at its
                # best (median of the last n_iter_no_change epochs within tol of it), a
                # divergence if it fell far below and stays there, else not settled yet (steps
                # too large for the bound to stay at its best): go on
                scale = max(abs(best), 1.0)
                typical = float(np.median(hist["eval_elbo"][-self.n_iter_no_change:]))
                if best - typical > _DIVERGE_SE * best_se + _DIVERGE_REL * scale:
                    return self._diverged(tracker, run, (
                        f"the evaluation bound fell from {best:.6g} (epoch {best_iter}) to a "
                        f"median {typical:.6g} over the last {self.n_iter_no_change} epochs "
                        f"(more than {_DIVERGE_SE:g} standard errors ({best_se:.3g}) plus "
                        f"{_DIVERGE_REL:g} of its magnitude)"))
                if best - typical <= self.tol * scale:
                    return tracker.stop(True, (
                        f"the evaluation bound improved by less than tol={self.tol:g} "
                        f"(relative) over {epoch - ref_iter} epochs and its median over the "
                        f"last {self.n_iter_no_change} stayed within tol of its best"))
                unsettled = (best - typical, typical)
        _, best_iter, _ = tracker.best_params
        if unsettled is not None and epoch - ref_iter >= self.n_iter_no_change:
            return tracker.stop(False, (
                f"SpreadVAE did not converge: max_iter={self.max_iter} epochs ran out while the "
                f"evaluation bound, without gaining more than tol={self.tol:g} (relative) for "
                f"{epoch - ref_iter} epochs, did not settle: its median over the last "
                f"{self.n_iter_no_change} epochs, {unsettled[1]:.6g}, lies {unsettled[0]:.3g} "
                f"below its best {tracker.best_value:.6g} (epoch {best_iter}), more than tol. "
                "The steps are too large for the bound to stay at its best: lower "
                "learning_rate or decay it (optimizer=optax.adam(schedule)). Returning the "
                "best iterate."))
        tracker.stop(False, (
            f"SpreadVAE did not converge: max_iter={self.max_iter} epochs ran out while the "
            f"evaluation bound still improved by more than tol={self.tol:g} (relative) "
            f"within {self.n_iter_no_change} epochs (best {tracker.best_value:.6g} at epoch "
            f"{best_iter}). Increase max_iter."))

    def _diverged(self, tracker, run, failure):
        run.failure = failure
        tracker.stop(False, (
            f"SpreadVAE diverged in epoch {run.n_iter}: {failure}. Returning the best "
            f"iterate (epoch {tracker.best_params[1]}, evaluation bound "
            f"{tracker.best_value:.6g}); lower learning_rate or standardise X."))

    def _warn_small_spread(self, X, sigma, enc_s):
        data_scale = float(np.sqrt(np.mean(np.var(X, axis=0))))
        if sigma < _SMALL_SPREAD * data_scale:
            warnings.warn(
                f"spread {sigma:.3g} is {100 * sigma / data_scale:.2g}% of the data's scale "
                f"{data_scale:.3g} (root mean feature variance), below {100 * _SMALL_SPREAD:g}%: "
                "the spread ELBO then rewards a posterior that collapses onto the spread's "
                "resolution; increase spread (or anneal it from a larger value)",
                SpreadCollapseWarning, stacklevel=4)
        mean_s = float(np.mean(enc_s))
        if mean_s < _COLLAPSE_STD:
            warnings.warn(
                f"the mean encoder standard deviation {mean_s:.3g} ({mean_s / sigma:.2g} x the "
                f"spread {sigma:.3g}) is below {_COLLAPSE_STD:g} of the prior's: the posterior "
                "has collapsed to the spread's resolution, and held-out spread likelihood and "
                "samples degrade; increase spread", SpreadCollapseWarning, stacklevel=4)
    def _fitted_model(self):
        """The trained model; a JAX model is rebuilt from ``params_`` after unpickling."""
        check_is_fitted(self)
        if self.model_ is None:
            from ._jax_fit import JaxModel
            self.model_ = JaxModel(self.decoder, self.encoder, self.params_, self._kernel(),
                                   self.prior, self.optimizer, self.learning_rate, self.dtype,
                                   self.n_features_in_, self.n_latent)
        return self.model_

    def _kernel(self):
        from ..distributions._gaussian import Gaussian
        return Gaussian(0.0, self.spread**2) if self.kernel is None else self.kernel

    def __getstate__(self):
        state = super().__getstate__()
        if "model_" in state and not isinstance(state["model_"], _NumpyMLP):
            state = {**state, "model_": None}  # jit-compiled closures do not pickle
        return state

    def _check_X(self, X):
        check_is_fitted(self)
        return validate_data(self, X, dtype=np.float64, reset=False)

    def transform(self, X):
        r"""Encoder mean :math:`\mu_\phi(x)`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_latent)
        """
        X = self._check_X(X)
        return self._fitted_model().encode(X)

    def inverse_transform(self, X):
        r"""The deterministic decoder :math:`g_\theta(z)`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_latent)

        Returns
        -------
        ndarray of shape (n_samples, n_features)
        """
        check_is_fitted(self)
        Z = np.asarray(X, dtype=float)
        if Z.ndim != 2 or Z.shape[1] != self.n_latent or not np.all(np.isfinite(Z)):
            raise ValueError(f"X must be a finite array of shape (n_samples, {self.n_latent}) "
                             f"(n_latent={self.n_latent}); got shape {Z.shape}")
        return self._fitted_model().decode(Z)

    def sample(self, n_samples=1, random_state=None):
        r"""Exact samples of the deterministic decoder, :math:`x = g_\theta(z)`, :math:`z\sim p(z)`.

        :math:`p(z)` is N(0, I), or ``prior`` when one was given.

        Parameters
        ----------
        n_samples : int, default=1
        random_state : None, int >= 0, numpy.random.Generator or RandomState, default=None

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
        Z : ndarray of shape (n_samples, n_latent)
        """
        check_is_fitted(self)
        if isinstance(n_samples, bool) or not isinstance(n_samples, Integral) or n_samples < 1:
            raise ValueError(f"n_samples must be a positive integer; got n_samples={n_samples!r}")
        rng = as_generator(random_state)
        Z = (rng.standard_normal((n_samples, self.n_latent)) if self.prior is None
             else _draw_noise(self.prior, (n_samples, self.n_latent), rng))
        return self._fitted_model().decode(Z), Z

    def spread_log_likelihood(self, X, spread=None, n_importance=200, random_state=None):
        r"""Importance-weighted estimate of :math:`\log\tilde p(y)` for spread data :math:`y=x+\sigma\epsilon`.

        The decoder is treated as the deterministic generator it is, spread by ``spread``:

        .. math:: \log\tilde p(y)\approx\log\frac1K\sum_{k=1}^K
                  \frac{\mathcal N(y; g(z_k),\sigma^2I)\,\mathcal N(z_k;0,I)}{q(z_k\mid y)},
                  \qquad z_k\sim q(\cdot\mid y),

        a lower bound in expectation that tightens as K grows (Burda, Grosse, Salakhutdinov,
        "Importance weighted autoencoders", ICLR 2016).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        spread : float, default=None
            :math:`\sigma` of an isotropic Gaussian spread; ``None`` uses the fitted kernel
            (``kernel``, or ``spread``).
        n_importance : int, default=200
        random_state : None, int >= 0, numpy.random.Generator or RandomState, default=None
            Seeds the spread draw and the importance draws.

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        X = self._check_X(X)
        sigma = self.spread if spread is None else spread
        if not (isinstance(sigma, Real) and math.isfinite(sigma) and sigma > 0):
            raise ValueError(f"spread must be a finite float > 0; got spread={spread!r}")
        if isinstance(n_importance, bool) or not isinstance(n_importance, Integral) \
                or n_importance < 1:
            raise ValueError(f"n_importance must be a positive integer; got {n_importance!r}")
        if len(X) * n_importance > _MAX_WEIGHTS:
            raise ValueError(
                f"n_importance={n_importance} with {len(X)} samples needs {len(X) * n_importance:.3g}"
                f" importance weights; the budget is {_MAX_WEIGHTS:.0e} (score fewer rows at a time)")
        if not 1e-50 <= sigma <= 1e50:
            raise ValueError(f"spread must be in [1e-50, 1e50]; got spread={sigma!r}")
        rng = as_generator(random_state)
        if isinstance(self._fitted_model(), _NumpyMLP):
            Y = X + sigma * rng.standard_normal(X.shape)
            # small products (rows x hidden units): one BLAS thread, as in fit; two threads made
            # this 10-25x slower on a loaded 2-core machine (notebook 7's profile, 2026-12-08)
            with blas_limit(1):
                return self._fitted_model().log_likelihood(Y, sigma, n_importance, rng)
        from ..distributions._gaussian import Gaussian
        kernel = (self.kernel if spread is None and self.kernel is not None
                  else Gaussian(0.0, sigma**2))
        Y = X + _draw_noise(kernel, X.shape, rng)
        return self._fitted_model().log_likelihood(Y, kernel, n_importance, rng)

    def score(self, X, y=None):
        """Mean :meth:`spread_log_likelihood` at ``spread``.

        The draws come from a fresh generator seeded by ``random_state`` when it is an int
        (by 0 otherwise), so repeated calls agree and a shared generator is never advanced.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : Ignored

        Returns
        -------
        float
        """
        return float(np.mean(self.spread_log_likelihood(X, n_importance=50,
                                                        random_state=score_seed(self.random_state))))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64"]
        return tags
