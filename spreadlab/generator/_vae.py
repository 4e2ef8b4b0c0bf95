r"""SpreadVAE: the blog's recipe -- a deterministic decoder trained on the ELBO of spread data."""
import math
import warnings
from numbers import Integral, Real

import numpy as np
from scipy.special import logsumexp
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

__all__ = ["SpreadVAE"]

_LOG_2PI = math.log(2.0 * math.pi)
_ADAM_B1, _ADAM_B2, _ADAM_EPS = 0.9, 0.999, 1e-8


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
    rec = -0.5 * D * (_LOG_2PI + 2.0 * lstd) - 0.5 * inv_var * sq
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


class SpreadVAE(TransformerMixin, BaseEstimator):
    r"""Deterministic decoder and Gaussian encoder trained on the ELBO of spread data.

    The blog's recipe ("a simple modification of standard VAE training with an outer loop
    sampling from the spread data"): the generator :math:`x = g_\theta(z)`, a one-hidden-layer
    tanh network with no output noise, is trained by maximising the evidence lower bound of
    the spread model :math:`\tilde p(y)=\int\mathcal N(y; g_\theta(z),\sigma^2I)\,
    \mathcal N(z;0,I)\,dz` on spread data :math:`y = x + \sigma\epsilon`, re-drawn every
    epoch, with a Gaussian encoder :math:`q_\phi(z\mid y)=\mathcal N(\mu_\phi(y),
    \operatorname{diag}s_\phi(y)^2)`:

    .. math:: \log\tilde p(y)\ \ge\ \mathbb E_{q}\bigl[\log\mathcal N(y; g_\theta(z),
              \sigma^2 I)\bigr] - \mathrm{KL}\bigl(q_\phi(z\mid y)\,\|\,\mathcal N(0,I)\bigr).

    Gradients are derived by hand (reparameterisation :math:`z=\mu+s\odot\epsilon`) and
    checked against finite differences in the tests; the optimiser is Adam.

    ``noise="learn"`` gives the standard VAE for comparison: raw (unspread) data and a learnt
    output standard deviation :math:`e^\tau`, so the noise can absorb what the decoder does
    not fit and the decoder is no longer a deterministic model of the data.

    Parameters
    ----------
    n_latent : int, default=2
        Latent dimension (up to about 8).
    n_hidden : int, default=64
        Hidden units of the encoder and the decoder.
    spread : float, default=0.1
        Spread :math:`\sigma` of data and model (data units).
    noise : {"spread", "learn"}, default="spread"
        ``"spread"``: spread data, output noise fixed at ``spread`` (the spread VAE).
        ``"learn"``: raw data, learnt output noise (a standard VAE).
    max_iter : int, default=200
        Maximum epochs (one spread draw per data point per epoch).
    batch_size : int, default=128
        Minibatch size of the Adam steps.
    learning_rate : float, default=3e-3
        Adam step size.
    tol : float, default=1e-3
        Converged when the ELBO of a fixed evaluation draw (spread noise and reparameterisation
        draws fixed at the start) has not improved by more than ``tol`` nats per sample for
        ``n_iter_no_change`` epochs.
    n_iter_no_change : int, default=20
        Epochs without improvement of the evaluation bound before stopping.
    random_state : None, int or numpy.random.Generator, default=None
        Seeds the initial weights, the spread draws and the minibatches.
    verbose : bool, default=False
        tqdm progress bar.

    Attributes
    ----------
    params_ : dict of ndarray
        Encoder (``V1, c1, Vm, cm, Vs, cs``) and decoder (``W1, b1, W2, b2``) weights, and
        ``tau`` (log output std; used only with ``noise="learn"``).
    noise_std_ : float
        Output standard deviation of the fitted model (``spread``, or the learnt one).
    history_ : dict of ndarray
        Per epoch: ``"elbo"`` (mean over the epoch's batches) and ``"eval_elbo"``.
    n_iter_ : int
    converged_ : bool
    n_features_in_ : int

    References
    ----------
    D. Barber, "Training models that have zero likelihood", Dec 21 2019,
    https://aiucl.github.io/spread-divergence/.
    M. Zhang, P. Hayes, T. Bird, R. Habib, D. Barber, "Spread Divergence", ICML 2020,
    https://arxiv.org/abs/1811.08968, section 3.
    D. P. Kingma, M. Welling, "Auto-encoding variational Bayes", ICLR 2014.

    Examples
    --------
    >>> from spreadlab import SpreadVAE, make_curve
    >>> X, _ = make_curve(300, random_state=0)
    >>> vae = SpreadVAE(n_latent=1, spread=0.1, tol=1e-2, n_iter_no_change=5,
    ...                 random_state=0).fit(X)
    >>> vae.converged_
    True
    >>> vae.sample(4, random_state=0)[0].shape
    (4, 2)
    >>> bool(vae.history_["elbo"][-1] > vae.history_["elbo"][0])
    True
    """

    _parameter_constraints = {
        "n_latent": [Interval(Integral, 1, None, closed="left")],
        "n_hidden": [Interval(Integral, 1, None, closed="left")],
        # spread <= 1e100: sigma^2 must stay representable
        "spread": [Interval(Real, 0, 1e100, closed="right")],
        "noise": [StrOptions({"spread", "learn"})],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "random_state": [None, Interval(Integral, 0, None, closed="left"), np.random.Generator],
        "verbose": ["verbose"],
    }

    def __init__(self, n_latent=2, *, n_hidden=64, spread=0.1, noise="spread", max_iter=200,
                 batch_size=128, learning_rate=3e-3, tol=1e-3, n_iter_no_change=20,
                 random_state=None, verbose=False):
        self.n_latent = n_latent
        self.n_hidden = n_hidden
        self.spread = spread
        self.noise = noise
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
        from threadpoolctl import threadpool_limits

        # one BLAS thread: the matrices are small, and on shared cores the hand-offs between
        # BLAS threads cost more than they save (measured 2.6x (grid EM) and 5x (VAE) on digits)
        with threadpool_limits(limits=1, user_api="blas"):
            return self._fit(X)

    def _fit(self, X):
        from tqdm.auto import tqdm

        X = validate_data(self, X, dtype=np.float64, ensure_min_samples=2)
        N, D = X.shape
        Zd = self.n_latent
        rng = np.random.default_rng(self.random_state)
        p = _init_params(D, Zd, self.n_hidden, X.mean(axis=0), rng)
        spread_data = self.noise == "spread"
        log_std = math.log(self.spread) if spread_data else None
        if not spread_data:
            p["tau"][0] = math.log(max(float(np.sqrt(np.mean(np.var(X, axis=0)))), 1e-12))
        m = {k: np.zeros_like(v) for k, v in p.items()}
        v2 = {k: np.zeros_like(v) for k, v in p.items()}
        Y_eval = X + self.spread * rng.standard_normal(X.shape) if spread_data else X
        eps_eval = rng.standard_normal((N, Zd))
        hist = {"elbo": [], "eval_elbo": []}
        best, best_at, t = -np.inf, 0, 0
        self.converged_ = False
        bar = tqdm(total=self.max_iter, disable=not self.verbose, desc="SpreadVAE", leave=False)
        try:
            with np.errstate(over="raise", invalid="raise", divide="raise"):
                for epoch in range(self.max_iter):
                    # the blog's outer loop: a fresh draw of the spread data every epoch
                    Y = X + self.spread * rng.standard_normal(X.shape) if spread_data else X
                    order = rng.permutation(N)
                    total = 0.0
                    for s in range(0, N, self.batch_size):
                        idx = order[s:s + self.batch_size]
                        val, g = elbo_and_grad(p, Y[idx], rng.standard_normal((len(idx), Zd)),
                                               log_std)
                        total += val * len(idx)
                        t += 1
                        for k in p:  # Adam, ascending
                            m[k] = _ADAM_B1 * m[k] + (1 - _ADAM_B1) * g[k]
                            v2[k] = _ADAM_B2 * v2[k] + (1 - _ADAM_B2) * g[k] * g[k]
                            mh = m[k] / (1 - _ADAM_B1**t)
                            vh = v2[k] / (1 - _ADAM_B2**t)
                            p[k] = p[k] + self.learning_rate * mh / (np.sqrt(vh) + _ADAM_EPS)
                    ev = elbo_and_grad(p, Y_eval, eps_eval, log_std)[0]
                    hist["elbo"].append(total / N)
                    hist["eval_elbo"].append(ev)
                    self.n_iter_ = epoch + 1
                    bar.update(1)
                    bar.set_postfix(elbo=f"{ev:.4f}")
                    if ev > best + self.tol:
                        best, best_at = ev, epoch
                    elif epoch - best_at >= self.n_iter_no_change:
                        self.converged_ = True
                        break
        except FloatingPointError as exc:
            raise FloatingPointError(
                f"SpreadVAE fit failed with a floating-point fault in epoch {len(hist['elbo']) + 1}"
                f": {exc}. Standardise X or lower learning_rate") from exc
        finally:
            bar.close()
        self.params_ = p
        self.noise_std_ = self.spread if spread_data else float(math.exp(p["tau"][0]))
        self.history_ = {k: np.asarray(v) for k, v in hist.items()}
        if not self.converged_:
            warnings.warn(
                f"SpreadVAE did not converge: max_iter={self.max_iter} epochs ran out while the "
                f"evaluation ELBO still improved by more than tol={self.tol:g} within "
                f"{self.n_iter_no_change} epochs (last {hist['eval_elbo'][-1]:.4f}). Increase "
                "max_iter.", ConvergenceWarning, stacklevel=4)
        return self

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
        return _encode(self.params_, X)[0]

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
        return _decode(self.params_, Z)

    def sample(self, n_samples=1, random_state=None):
        r"""Exact samples of the deterministic decoder, :math:`x = g_\theta(z)`, :math:`z\sim\mathcal N(0,I)`.

        Parameters
        ----------
        n_samples : int, default=1
        random_state : None, int or numpy.random.Generator, default=None

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
        Z : ndarray of shape (n_samples, n_latent)
        """
        check_is_fitted(self)
        if isinstance(n_samples, bool) or not isinstance(n_samples, Integral) or n_samples < 1:
            raise ValueError(f"n_samples must be a positive integer; got n_samples={n_samples!r}")
        Z = np.random.default_rng(random_state).standard_normal((n_samples, self.n_latent))
        return _decode(self.params_, Z), Z

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
            :math:`\sigma`; ``None`` uses ``spread``.
        n_importance : int, default=200
        random_state : None, int or numpy.random.Generator, default=None
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
        rng = np.random.default_rng(random_state)
        Y = X + sigma * rng.standard_normal(X.shape)
        mu, logs, _ = _encode(self.params_, Y)
        s = np.exp(logs)
        N, D = Y.shape
        out = np.empty((N, n_importance))
        for k in range(n_importance):
            eps = rng.standard_normal(mu.shape)
            z = mu + s * eps
            r = Y - _decode(self.params_, z)
            log_lik = -0.5 * np.sum(r * r, axis=1) / sigma**2 - 0.5 * D * (_LOG_2PI
                                                                           + 2 * math.log(sigma))
            log_prior = -0.5 * np.sum(z * z, axis=1) - 0.5 * self.n_latent * _LOG_2PI
            log_q = np.sum(-0.5 * eps * eps - logs, axis=1) - 0.5 * self.n_latent * _LOG_2PI
            out[:, k] = log_lik + log_prior - log_q
        return logsumexp(out, axis=1) - math.log(n_importance)

    def score(self, X, y=None):
        """Mean :meth:`spread_log_likelihood` at ``spread`` (seeded by ``random_state``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : Ignored

        Returns
        -------
        float
        """
        seed = self.random_state if not isinstance(self.random_state, np.random.Generator) else 0
        return float(np.mean(self.spread_log_likelihood(X, n_importance=50, random_state=seed)))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64"]
        return tags
