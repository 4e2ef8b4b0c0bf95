"""Machine description printed at the top of every benchmark."""
import os
import platform
import subprocess


def machine_info():
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
