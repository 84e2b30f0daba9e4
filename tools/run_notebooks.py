"""Execute the chapter notebooks in place, the way they are committed.

    python tools/run_notebooks.py                   # every book/*.ipynb
    python tools/run_notebooks.py book/backprop.ipynb

Each notebook runs top to bottom in a fresh kernel, from its own folder (as the book build
and nbval run it). The per-cell execution timestamps that Jupyter records are removed, so
that a re-run changes only the outputs that really changed and the diff stays readable.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent


def strip_execution_metadata(nb: nbformat.NotebookNode) -> int:
    """Remove ``metadata.execution`` from every cell; return how many cells had it."""
    n = 0
    for cell in nb.cells:
        if cell.get("metadata", {}).pop("execution", None) is not None:
            n += 1
    return n


def coalesce_streams(nb: nbformat.NotebookNode) -> None:
    """Merge consecutive stdout (stderr) outputs of a cell into one, as Jupyter shows them.

    How the kernel splits a cell's printing into messages depends on timing (a loaded machine
    flushes more often); merged, the stored outputs do not.
    """
    for cell in nb.cells:
        merged = []
        for out in cell.get("outputs", []):
            if (out.get("output_type") == "stream" and merged
                    and merged[-1].get("output_type") == "stream"
                    and merged[-1].get("name") == out.get("name")):
                merged[-1]["text"] += out["text"]
            else:
                merged.append(out)
        if "outputs" in cell:
            cell["outputs"] = merged


# a file of the package under any checkout, e.g. /home/x/clone/lecturenn/layers.py
_PACKAGE_FILE = re.compile(r"(?:/[\w.\-]+)+/(lecturenn/[\w/]+\.py)")


def relative_tracebacks(nb: nbformat.NotebookNode) -> None:
    """Show the package's files in tracebacks relative to the checkout (``lecturenn/x.py``).

    A cell tagged ``raises-exception`` stores its traceback, and the book shows it: with the
    author's absolute path it would publish where one checkout happened to be. (nbval
    compares the exception's name and message, not the traceback.)
    """
    prefix = str(ROOT) + "/"
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                out["traceback"] = [_PACKAGE_FILE.sub(r"\1", line.replace(prefix, ""))
                                    for line in out["traceback"]]


def run(path: Path, timeout: int = 600) -> float:
    nb = nbformat.read(path, as_version=4)
    t0 = time.perf_counter()
    NotebookClient(nb, timeout=timeout, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    seconds = time.perf_counter() - t0
    strip_execution_metadata(nb)
    coalesce_streams(nb)
    relative_tracebacks(nb)
    nbformat.write(nb, path)
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--strip-only", action="store_true",
                        help="do not execute; only remove the execution timestamps (and merge "
                             "streams, shorten traceback paths)")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted((ROOT / "book").glob("*.ipynb"))
    for path in paths:
        if args.strip_only:
            nb = nbformat.read(path, as_version=4)
            n = strip_execution_metadata(nb)
            coalesce_streams(nb)
            relative_tracebacks(nb)
            nbformat.write(nb, path)
            print(f"{path}: removed the timestamps of {n} cells")
        else:
            print(f"{path}: executed in {run(path):.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
