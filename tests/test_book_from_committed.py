"""`make test` builds the book from stored outputs: it must refuse a notebook never executed."""

import importlib.util
from pathlib import Path

import nbformat
import pytest
import yaml

spec = importlib.util.spec_from_file_location(
    "book_from_committed", Path(__file__).resolve().parents[1] / "tools" / "book_from_committed.py"
)
bfc = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bfc)


def _notebook(tmp_path, counts):
    nb = nbformat.v4.new_notebook()
    for c in counts:
        cell = nbformat.v4.new_code_cell("x = 1")
        cell.execution_count = c
        nb.cells.append(cell)
    nb.cells.append(nbformat.v4.new_code_cell("   "))  # an empty cell is never executed
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)
    return path


def test_unexecuted_code_cells_are_found(tmp_path):
    assert bfc.unexecuted_cells(_notebook(tmp_path, [1, None, 3])) == [1]
    assert bfc.unexecuted_cells(_notebook(tmp_path, [1, 2])) == []


def test_config_copy_switches_execution_off_and_keeps_the_rest(tmp_path):
    src = Path(__file__).resolve().parents[1] / "_config.yml"
    dst = bfc.committed_config(src, tmp_path / "c.yml")
    orig, copy = yaml.safe_load(src.read_text()), yaml.safe_load(dst.read_text())
    assert orig["execute"]["execute_notebooks"] != "off"
    assert copy["execute"]["execute_notebooks"] == "off"
    copy["execute"]["execute_notebooks"] = orig["execute"]["execute_notebooks"]
    assert copy == orig


def test_config_without_the_execution_key_is_refused(tmp_path):
    src = tmp_path / "_config.yml"
    src.write_text("title: x\n")
    with pytest.raises(SystemExit, match="execute_notebooks"):
        bfc.committed_config(src, tmp_path / "c.yml")
