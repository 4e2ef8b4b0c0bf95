"""Execution time of the tutorial notebooks (budget: under 60 s each, under 5 minutes together).

Each notebook is executed top to bottom in a fresh kernel, as tests/test_notebooks.py does
(notebooks/ on PYTHONPATH, Agg backend, a scratch working directory), ``--repeats`` times;
the table gives the fastest and slowest run and the kernel start-up included in them.
Nothing is asserted: the tests only run the notebooks.

Run: ``python benchmarks/bench_notebooks.py [--repeats 3] [names ...]`` from the repository
root (writes a Markdown table to stdout). ``--thumbnails DIR`` also writes the first figure of
each notebook, 360 px wide, to ``DIR/<notebook>.png`` (the gallery of docs/course.md); figures
need the inline backend then (as in Jupyter and the docs build), so those runs use it.
"""

import argparse
import os
import pathlib
import statistics
import sys
import tempfile
import time

from _machine import print_machine

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"


def run_once(path, thumbnail=None):
    import nbclient
    import nbformat

    nb = nbformat.read(path, as_version=4)
    with tempfile.TemporaryDirectory() as tmp:
        client = nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                                         resources={"metadata": {"path": tmp}})
        start = time.perf_counter()
        client.execute()
        elapsed = time.perf_counter() - start
    if thumbnail is not None:
        _save_thumbnail(nb, thumbnail)
    return elapsed


def _save_thumbnail(nb, dest, width=360):
    """The notebook's first PNG figure, scaled to ``width`` pixels, written to ``dest``."""
    import base64
    import io

    from PIL import Image

    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if "image/png" in data:
                img = Image.open(io.BytesIO(base64.b64decode(data["image/png"])))
                img = img.convert("RGB").resize((width, round(img.height * width / img.width)), Image.LANCZOS)
                img.save(dest, optimize=True)
                return
    raise RuntimeError(f"no figure in {dest}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--thumbnails", default=None, metavar="DIR",
                        help="write each notebook's first figure to DIR/<notebook>.png")
    parser.add_argument("names", nargs="*", help="notebook file names (default: all)")
    args = parser.parse_args(argv)
    os.environ["MPLBACKEND"] = ("module://matplotlib_inline.backend_inline" if args.thumbnails else "Agg")
    if args.thumbnails:
        os.makedirs(args.thumbnails, exist_ok=True)
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [str(NOTEBOOKS)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p])
    paths = ([NOTEBOOKS / n for n in args.names] if args.names
             else sorted(NOTEBOOKS.glob("*.ipynb")))

    print_machine()
    print(f"load average before: {os.getloadavg()[0]:.1f}; matplotlib backend {os.environ['MPLBACKEND']}\n")
    print(f"| notebook | runs | fastest (s) | median (s) | slowest (s) |\n|---|---|---|---|---|")
    total_median = 0.0
    for path in paths:
        try:
            thumb = os.path.join(args.thumbnails, path.stem + ".png") if args.thumbnails else None
            times = [run_once(path, thumb if i == 0 else None) for i in range(args.repeats)]
        except Exception as exc:  # a broken notebook is reported, not hidden
            print(f"| {path.name} | failed: {type(exc).__name__} | | | |")
            continue
        med = statistics.median(times)
        total_median += med
        print(f"| {path.name} | {len(times)} | {min(times):.1f} | {med:.1f} | {max(times):.1f} |")
    print(f"\nSum of the medians: {total_median:.1f} s; load average after: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
