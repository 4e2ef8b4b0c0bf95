"""spreadlab: spread divergences for teaching and checking.

A deterministic-output model puts all its mass on a low-dimensional manifold, so the
likelihood of data off it is zero and KL(data || model) is undefined. Convolving both
distributions with the same noise kernel (spreading) makes the divergence well defined;
if the kernel's Fourier transform is strictly positive it is still zero only when the two
distributions are equal (Zhang, Hayes, Bird, Habib, Barber, "Spread Divergence", ICML 2020).
"""

from .distributions import (
    Cauchy,
    Delta,
    Distribution,
    Epanechnikov,
    Fejer,
    Gaussian,
    HyperbolicSecant,
    Laplace,
    Logistic,
    StudentT,
    Triangular,
    Uniform,
)
from .divergences import (
    F_DIVERGENCES,
    METHODS,
    Estimate,
    NoClosedFormError,
    divergence,
    kl,
    spread_divergence,
    spread_kl,
)
from .ica import (
    ConvergenceWarning,
    GaussianMixturePrior,
    ICAReproduction,
    LaplacePrior,
    SechPrior,
    SpreadICA,
    amari_distance,
    auto_spread,
    demo_ica,
    make_ica_data,
    mixing_error,
    reproduce_ica,
)
from .kernels import (
    CosineModulated,
    Counterexample,
    FourierCheck,
    ProductKernel,
    band_limited_counterexample,
    fourier_check,
    kernel_check_report,
    mmd2,
    mmd2_gaussian,
    numeric_cf,
    plot_cf,
    spread_l2_distance,
)
from .spread import Convolution, spread

__version__ = "0.1.0"

__all__ = [
    # distributions
    "Distribution",
    "Delta",
    "Gaussian",
    "Laplace",
    "Cauchy",
    "Logistic",
    "HyperbolicSecant",
    "StudentT",
    "Uniform",
    "Triangular",
    "Epanechnikov",
    "Fejer",
    # spreading and divergences
    "spread",
    "Convolution",
    "kl",
    "divergence",
    "spread_kl",
    "spread_divergence",
    "Estimate",
    "NoClosedFormError",
    "F_DIVERGENCES",
    "METHODS",
    # kernels: Fourier positivity, counterexample, MMD link
    "FourierCheck",
    "fourier_check",
    "numeric_cf",
    "ProductKernel",
    "CosineModulated",
    "Counterexample",
    "band_limited_counterexample",
    "plot_cf",
    "kernel_check_report",
    "mmd2",
    "mmd2_gaussian",
    "spread_l2_distance",
    # deterministic linear ICA trained with spread EM
    "SpreadICA",
    "ConvergenceWarning",
    "auto_spread",
    "make_ica_data",
    "amari_distance",
    "mixing_error",
    "LaplacePrior",
    "SechPrior",
    "GaussianMixturePrior",
    "reproduce_ica",
    "demo_ica",
    "ICAReproduction",
]
