"""spreadlab.registry: most-specific dispatch, ambiguity warnings, and a user's own family end to end."""

import warnings

import numpy as np
import pytest

from spreadlab import (
    AmbiguousRegistrationWarning,
    Delta,
    Distribution,
    Gaussian,
    NoClosedFormError,
    divergence,
    kl,
    register_convolution,
    register_kl,
    spread,
    spread_divergence,
    spread_kl,
)
from spreadlab.registry import PairRegistry


class Exponential(Distribution):
    """A user's family, defined outside the library: rate lambda, support [shift, inf)."""

    def __init__(self, rate, shift=0.0):
        self.rate, self.shift = float(rate), float(shift)

    def logpdf(self, x):
        z = np.asarray(x, dtype=float) - self.shift
        with np.errstate(divide="ignore", over="ignore"):
            return np.where(z >= 0, np.log(self.rate) - self.rate * z, -np.inf)

    def cf(self, omega):
        w = np.asarray(omega, dtype=float)
        return np.exp(1j * w * self.shift) * self.rate / (self.rate - 1j * w)

    def sample(self, n, rng=None):
        return self.shift + np.random.default_rng(rng).exponential(1.0 / self.rate, n)

    def shifted(self, offset):
        return Exponential(self.rate, self.shift + float(offset))

    @property
    def support(self):
        return self.shift, np.inf

    @property
    def location_hint(self):
        return self.shift + np.log(2.0) / self.rate

    @property
    def scale_hint(self):
        return 1.0 / self.rate


@register_kl(Exponential, Exponential)
def _kl_exponential(p, q):
    if p.shift < q.shift:
        return np.inf  # p has mass where q has none
    r = q.rate / p.rate
    return r - 1.0 - np.log(r) + q.rate * (p.shift - q.shift)


P, Q = Exponential(2.0), Exponential(0.7, -0.5)
KL_PQ = 0.35 - 1.0 - np.log(0.35) + 0.7 * 0.5
KL_QP = np.inf  # q starts left of p


def test_user_family_closed_form_and_derived_divergences():
    assert kl(P, Q) == pytest.approx(KL_PQ, rel=1e-15)
    assert divergence(Q, P, "reverse_kl") == pytest.approx(KL_PQ, rel=1e-15)  # derived: KL(P||Q)
    assert divergence(P, Q, "jeffreys") == np.inf  # KL(Q||P) is infinite
    assert divergence(P, P, "jeffreys") == 0.0


def test_user_family_checked_by_quadrature_and_monte_carlo():
    est = divergence(P, Q, "kl", "quad")
    assert abs(est - KL_PQ) <= est.error + 1e-14 * KL_PQ  # quadrature's bound holds
    mc = divergence(P, Q, "kl", "mc", n_samples=200_000, rng=3)
    assert abs(mc - KL_PQ) <= 5 * mc.error  # 5 standard errors
    assert divergence(Q, P, "kl", "quad") == np.inf  # the support rule of the f object


def test_user_family_through_spread_kl():
    # a point-mass kernel shifts both laws: the spread KL is the KL itself
    assert spread_kl(P, Q, Delta(0.3)) == pytest.approx(KL_PQ, rel=1e-15)
    # a Gaussian kernel has no closed form here: the error names the pair, quadrature works
    with pytest.raises(NoClosedFormError, match="spread pair"):
        spread_kl(P, Q, Gaussian(0.0, 0.25))
    mc = spread_divergence(P, Q, Gaussian(0.0, 0.25), "kl", "mc", n_samples=20_000, rng=0)
    assert 0 < mc < KL_PQ  # data processing: spreading can only lower the divergence


def test_user_registered_convolution_is_used_by_spread():
    @register_convolution(Exponential, Delta)
    def _exp_plus_point(p, kernel):
        return Exponential(p.rate, p.shift + float(kernel.loc[0]) + 0.0)

    out = spread(Exponential(1.0), Delta(2.0))
    assert isinstance(out, Exponential) and out.shift == 2.0


class A(Distribution):
    pass


class B(A):
    pass


def test_most_specific_pair_wins_and_ties_warn():
    reg = PairRegistry("test")
    reg.register(A, A)(lambda p, q: "AA")
    reg.register(B, A)(lambda p, q: "BA")
    assert reg.lookup(B, A)(None, None) == "BA"
    assert reg.lookup(A, B)(None, None) == "AA"
    reg.register(A, B)(lambda p, q: "AB")
    with pytest.warns(AmbiguousRegistrationWarning, match=r"\(B, A\) and \(A, B\)"):
        assert reg.lookup(B, B)(None, None) == "BA"
    reg.register(B, B)(lambda p, q: "BB")  # registering clears the memo and decides the tie
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert reg.lookup(B, B)(None, None) == "BB"


def test_register_rejects_non_classes_and_unknown_f():
    with pytest.raises(TypeError, match="type_p must be a class"):
        register_kl("Gaussian", Gaussian)
    from spreadlab import register_divergence

    with pytest.raises(ValueError, match="Unknown f 'kll'"):
        register_divergence(Gaussian, Gaussian, "kll")


def test_abstract_contract_refuses_an_incomplete_distribution():
    class Half(Distribution):
        def logpdf(self, x):
            return 0.0

    with pytest.raises(TypeError, match="abstract"):
        Half()
