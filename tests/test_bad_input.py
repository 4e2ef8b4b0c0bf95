"""Bad input gets a ValueError/TypeError that names the parameter."""

import numpy as np
import pytest

from spreadlab import (
    Cauchy,
    Delta,
    Epanechnikov,
    Gaussian,
    Laplace,
    NoClosedFormError,
    StudentT,
    Triangular,
    divergence,
    spread,
    spread_kl,
)
from spreadlab._parse import parse_distribution


@pytest.mark.parametrize(
    "make, exc, match",
    [
        (lambda: Laplace(0.0, 0.0), ValueError, "scale must be > 0"),
        (lambda: Laplace(0.0, -1.0), ValueError, "scale must be > 0"),
        (lambda: Cauchy(np.nan, 1.0), ValueError, "loc must be finite"),
        (lambda: Cauchy(0.0, np.inf), ValueError, "scale must be finite"),
        (lambda: StudentT(0.0), ValueError, "df must be > 0"),
        (lambda: Triangular(0.0, 1.0, c=1.5), ValueError, r"c must lie in \[0, 1\]"),
        (lambda: Epanechnikov("a", 1.0), TypeError, "loc must be a real number"),
        (lambda: Gaussian(0.0, -1.0), ValueError, "variance.*>= 0"),
        (lambda: Gaussian([0.0, 0.0], [[1.0, 0.5], [0.0, 1.0]]), ValueError, "cov must be symmetric"),
        (lambda: Gaussian([0.0, 0.0], [[1.0, 2.0], [2.0, 1.0]]), ValueError, "positive semi-definite"),
        (lambda: Gaussian([0.0, 0.0], np.eye(3)), ValueError, r"cov must have shape \(2, 2\)"),
        (lambda: Gaussian([0.0, 0.0], [1.0, 1.0, 1.0]), ValueError, r"diagonal must have shape \(2,\)"),
        (lambda: Gaussian([[0.0]], 1.0), ValueError, "mean must be a scalar or a 1-D vector"),
        (lambda: Delta(np.inf), ValueError, "loc must be finite"),
        (lambda: Delta(None), TypeError, "loc must be a real number"),
        (lambda: Delta(1 + 2j), TypeError, "loc must be real"),
    ],
)
def test_constructors_validate(make, exc, match):
    with pytest.raises(exc, match=match):
        make()


def test_sampling_arguments():
    with pytest.raises(ValueError, match="n must be an integer >= 1"):
        Laplace().sample(0, 1)
    with pytest.raises(TypeError, match="n must be an integer"):
        Laplace().sample(2.5, 1)
    with pytest.raises(TypeError, match="rng must be None, a non-negative int seed, a SeedSequence or a numpy.random.Generator"):
        Laplace().sample(3, np.random.RandomState(0))
    with pytest.raises(ValueError, match="x must be not NaN"):
        Laplace().pdf(np.nan)


def test_divergence_arguments():
    p, q = Gaussian(0.0, 1.0), Gaussian(1.0, 1.0)
    with pytest.raises(ValueError, match="Unknown f 'kll'; should be one of 'kl'"):
        divergence(p, q, "kll")
    with pytest.raises(ValueError, match="Unknown method 'exakt'"):
        divergence(p, q, "kl", "exakt")
    with pytest.raises(ValueError, match="f='renyi' needs alpha"):
        divergence(p, q, "renyi")
    with pytest.raises(ValueError, match="alpha must be a finite number > 0"):
        divergence(p, q, "renyi", alpha=-1.0)
    with pytest.raises(ValueError, match="alpha is only used with f='renyi'"):
        divergence(p, q, "kl", alpha=0.5)
    with pytest.raises(TypeError, match="q must be a spreadlab distribution"):
        divergence(p, 3.0)
    with pytest.raises(TypeError, match="kernel must be a spreadlab distribution"):
        spread_kl(p, q, "Gaussian(0, 1)")
    with pytest.raises(ValueError, match="p and q must have the same dimension"):
        divergence(Gaussian([0.0, 0.0]), Gaussian(0.0))
    with pytest.raises(ValueError, match="q and kernel must have the same dimension"):
        spread_kl(Delta(0.0), Delta([0.0, 1.0]), Gaussian(0.0, 1.0))
    with pytest.raises(ValueError, match="p and kernel must have the same dimension"):
        spread(Delta([0.0, 1.0]), Gaussian(0.0, 1.0))
    with pytest.raises(ValueError, match="n_samples must be an integer >= 2"):
        divergence(p, q, "kl", "mc", n_samples=1)
    with pytest.raises(ValueError, match="method='quad' works in one dimension"):
        divergence(Gaussian([0.0, 0.0]), Gaussian([0.0, 1.0]), "kl", "quad")
    with pytest.raises(ValueError, match="method='quad' evaluates one pair at a time"):
        divergence(Laplace([0.0, 1.0]), Laplace(0.0), "kl", "quad")


def test_no_closed_form_names_the_pair_and_suggests_numeric_methods():
    with pytest.raises(NoClosedFormError, match=r"Laplace.*Cauchy.*method='quad'.*method='mc'"):
        divergence(Laplace(0.0, 1.0), Cauchy(0.0, 1.0), "kl")
    with pytest.raises(NoClosedFormError, match="needs equal scales"):
        divergence(Laplace(0.0, 1.0), Laplace(1.0, 2.0), "tv")
    with pytest.raises(NoClosedFormError, match="different covariances"):
        divergence(Gaussian(0.0, 1.0), Gaussian(1.0, 2.0), "tv")


def test_densities_of_singular_laws_are_refused_with_an_explanation():
    with pytest.raises(ValueError, match="Delta has no density"):
        Delta(0.0).pdf(0.0)
    with pytest.raises(ValueError, match="singular covariance.*spread it first"):
        Gaussian([0.0, 0.0], [[1.0, 1.0], [1.0, 1.0]]).pdf([0.0, 0.0])
    with pytest.raises(ValueError, match="needs densities"):
        divergence(Delta(0.0), Gaussian(0.0, 1.0), "kl", "mc")


@pytest.mark.parametrize(
    "text, match",
    [
        ("__import__('os').system('true')", "expected Name"),
        ("Gaussian(0, x)", "arguments must be numbers"),
        ("Gaussian(0, 1", "cannot parse"),
        ("Normal(0, 1)", "unknown distribution 'Normal'"),
        ("Gaussian(0, 1, 2, 3)", "bad arguments"),
        ("Laplace(0, -1)", "scale must be > 0"),
        ("Gaussian(**{'mean': 1})", r"\*\*kwargs"),
    ],
)
def test_parser_is_safe_and_explains(text, match):
    with pytest.raises(ValueError, match=match):
        parse_distribution(text)


def test_parser_accepts_lists_keywords_and_signs():
    g = parse_distribution("Gaussian(mean=[0, -1.5], cov=[[1, 0], [0, 2]])")
    assert g.dim == 2 and g.mean[1] == -1.5 and g.cov[1, 1] == 2.0
    t = parse_distribution("Triangular(-1, 2, c=0.25)")
    assert float(t.c) == 0.25
