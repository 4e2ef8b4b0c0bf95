"""Spread divergences by quadrature: spreadlab's vectorised Gauss-Kronrod vs nested scipy.quad.

The spread of a Laplace pair with a Gaussian kernel has no closed form, so its KL is a
double integral: the outer integral over y of the KL integrand, each evaluation needing an
inner integral (the convolution density). scipy's ``quad`` calls Python once per point;
spreadlab evaluates all nodes of all active intervals in one vectorised call. Both are run
here on the same problem, in the same process, to the same requested accuracy.

Run: ``python benchmarks/bench_quadrature.py`` (writes a Markdown table to stdout).
"""

import time

import numpy as np
from scipy import integrate, stats

from _machine import print_machine
from spreadlab import Gaussian, Laplace, spread_kl


def nested_scipy_quad(b=1.0, d=1.0, var=0.5, epsrel=1e-10):
    """Reference: KL(p*K || q*K) with scipy.quad for both integrals (scalar calls)."""
    k = stats.norm(0.0, np.sqrt(var))
    lap_p, lap_q = stats.laplace(0.0, b), stats.laplace(d, b)

    def conv(y, lap, loc):
        f = lambda x: lap.pdf(x) * k.pdf(y - x)  # noqa: E731
        return sum(
            integrate.quad(f, a, c, epsabs=0, epsrel=epsrel, limit=200)[0]
            for a, c in ((-np.inf, loc), (loc, np.inf))
        )

    def integrand(y):
        py, qy = conv(y, lap_p, 0.0), conv(y, lap_q, d)
        return py * np.log(py / qy) if py > 0 else 0.0

    return sum(
        integrate.quad(integrand, a, c, epsabs=1e-14, epsrel=epsrel, limit=200)[0]
        for a, c in ((-np.inf, 0.0), (0.0, d), (d, np.inf))
    )


def best_of(func, repeat):
    times, value = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        value = func()
        times.append(time.perf_counter() - t0)
    return min(times), value


def main():
    print_machine()
    p, q, kernel = Laplace(0.0, 1.0), Laplace(1.0, 1.0), Gaussian(0.0, 0.5)
    t_ours, ours = best_of(lambda: spread_kl(p, q, kernel, "quad"), 3)
    t_ref, ref = best_of(nested_scipy_quad, 1)
    print("| method | value | wall time (s) |\n|---|---|---|")
    print(f"| spreadlab `spread_kl(..., method='quad')` | {float(ours):.15g} | {t_ours:.3f} |")
    print(f"| nested `scipy.integrate.quad` | {ref:.15g} | {t_ref:.3f} |")
    print(f"\nspeed-up {t_ref / t_ours:.1f}x; |difference| = {abs(float(ours) - ref):.1e}")


if __name__ == "__main__":
    main()
