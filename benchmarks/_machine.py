"""Machine description printed at the top of every benchmark."""
import os
import platform
import subprocess


def machine_info():
    # Start Numba's thread pool the way spreadlab does (idle threads sleep) before asking its
    # size: numba.get_num_threads() first would start it with spinning idle threads, which
    # made every later parallel SpreadICA fit ~4x slower at load ~18 on 2 cores (measured,
    # paper size, 2026-12-08); benchmarks print the machine before their first fit.
    import spreadlab._numba  # noqa: F401
    import numba
    import numpy
    import scipy

    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        model = next(l.split(":", 1)[1].strip() for l in lscpu.splitlines() if l.startswith("Model name"))
    except Exception:  # pragma: no cover
        model = platform.processor()
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "numba_threads": numba.get_num_threads(),
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
        "numba": numba.__version__,
        "python": platform.python_version(),
        "loadavg_at_start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE", "(unset)"),
    }


def print_machine():
    info = machine_info()
    print("| machine | |\n|---|---|")
    for k, v in info.items():
        print(f"| {k} | {v} |")
    print()
    return info
