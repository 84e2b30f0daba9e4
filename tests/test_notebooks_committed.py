"""The chapter notebooks are committed executed, and without Jupyter's per-cell timestamps."""

from pathlib import Path

import nbformat
import pytest

BOOK = Path(__file__).resolve().parent.parent / "book"
NOTEBOOKS = sorted(BOOK.glob("*.ipynb"))


def test_there_are_chapter_notebooks():
    assert len(NOTEBOOKS) >= 3


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_executed_in_order_without_timestamps(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]
    counts = [c.execution_count for c in code]
    assert None not in counts, f"{path.name}: some code cells were not executed"
    assert counts == list(range(1, len(code) + 1)), f"{path.name}: not run top to bottom once"
    stamped = [i for i, c in enumerate(nb.cells) if "execution" in c.metadata]
    assert not stamped, (f"{path.name}: cells {stamped} carry execution timestamps; "
                         "run tools/run_notebooks.py")


def test_ignored_outputs_say_why():
    # every cell whose output nbval does not compare explains it in a comment
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        for i, c in enumerate(nb.cells):
            if "nbval-ignore-output" in c.metadata.get("tags", []):
                assert "nbval-ignore-output" in c.source, f"{path.name} cell {i}: no reason given"
