"""The chapter notebooks are committed executed, and without Jupyter's per-cell timestamps."""

import re
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


ABSOLUTE_PATH = re.compile(r"/(?:work|home|root|tmp|Users)/[\w.\-/]+")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_stored_outputs_name_no_checkout(path):
    """The book shows the stored outputs (tracebacks of cells that must raise among them): a
    path of the author's machine there would publish where one checkout happened to be
    (tools/run_notebooks.py writes checkout-relative paths)."""
    nb = nbformat.read(path, as_version=4)
    for i, c in enumerate(nb.cells):
        for out in c.get("outputs", []):
            text = "\n".join(out.get("traceback", [])) + str(out.get("text", ""))
            found = ABSOLUTE_PATH.search(text)
            assert found is None, f"{path.name} cell {i}: stored output names {found.group()}"


def test_the_path_check_can_fail():
    assert ABSOLUTE_PATH.search("File /work/wt/x/lecturenn/layers.py:3") is not None
    assert ABSOLUTE_PATH.search("\x1b[32m/home/u/c/lecturenn/layers.py") is not None
    assert ABSOLUTE_PATH.search("File lecturenn/layers.py:3, in f") is None
