"""Numerical constants shared by the package's modules (one definition each).

Plain Python floats, so Numba kernels read them as compile-time constants.
"""
import math

__all__ = ["LOG_2PI", "LOG_SQRT_2PI"]

LOG_2PI = math.log(2.0 * math.pi)
"""log(2 pi), the normalising constant of Gaussian log-densities (0.5 * D * LOG_2PI in D dims)."""

LOG_SQRT_2PI = 0.5 * LOG_2PI
"""log(sqrt(2 pi)), the normalising constant of a standard normal log-density."""
