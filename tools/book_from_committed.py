"""Build the book from the notebooks' committed outputs, warning-free, from a clean _build.

    python tools/book_from_committed.py          # what `make test` runs after nbval

`make book` executes every notebook (with the jupyter-cache), as a reader building the book
expects. The test suite does not need to execute them a second time: nbval has just run each
notebook top to bottom and compared every stored output with what the code produces now, and
`tests/test_notebooks_committed.py` checks that every notebook is committed executed, in order.
So the HTML built from the stored outputs is the HTML an executing build would give. This script
builds it with ``execute_notebooks: off`` (from a copy of ``_config.yml`` under ``_build/``; the
file itself is not touched), with ``-n -W --keep-going``, after removing every earlier build
product, so a stale page or cache cannot hide a warning.

It refuses to build if a notebook has a code cell that was never executed: an off-execution
build of such a notebook would silently publish a chapter without its outputs.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "_build"


def unexecuted_cells(path: Path) -> list[int]:
    """Indices of the code cells of a notebook that have no execution count."""
    nb = nbformat.read(path, as_version=4)
    return [i for i, c in enumerate(nb.cells)
            if c.cell_type == "code" and c.source.strip() and c.get("execution_count") is None]


def committed_config(src: Path, dst: Path) -> Path:
    """Write a copy of the book's configuration with notebook execution switched off."""
    cfg = yaml.safe_load(src.read_text(encoding="utf-8"))
    execute = cfg.setdefault("execute", {})
    if "execute_notebooks" not in execute:
        raise SystemExit(f"{src}: no execute.execute_notebooks key; the build config changed")
    execute["execute_notebooks"] = "off"
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_text(yaml.safe_dump(cfg, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return dst


def main() -> int:
    stale = {str(p.relative_to(ROOT)): cells
             for p in sorted((ROOT / "book").glob("*.ipynb")) if (cells := unexecuted_cells(p))}
    if stale:
        for name, cells in stale.items():
            print(f"{name}: code cells {cells} were never executed; run tools/run_notebooks.py",
                  file=sys.stderr)
        return 1
    for sub in ("html", ".doctrees", "jupyter_execute", ".jupyter_cache"):
        shutil.rmtree(BUILD / sub, ignore_errors=True)
    config = committed_config(ROOT / "_config.yml", BUILD / "_config.committed.yml")
    jb = Path(sys.executable).with_name("jupyter-book")
    cmd = [str(jb), "build", str(ROOT), "--config", str(config), "-n", "-W", "--keep-going"]
    return subprocess.call(cmd, cwd=ROOT)


if __name__ == "__main__":
    sys.exit(main())
