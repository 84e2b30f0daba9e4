"""The Python examples of the README and of the book's introduction run and print what they say."""

import contextlib
import io
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def python_blocks(path: Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", path.read_text(encoding="utf-8"), flags=re.S)


@pytest.mark.parametrize("doc", ["README.md", "book/intro.md"])
def test_python_examples_run_and_print_their_comments(doc):
    blocks = python_blocks(ROOT / doc)
    assert blocks, f"{doc} has no python example"
    for code in blocks:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(code, doc, "exec"), {})
        # a line `print(...)   # expected` must print exactly the expected text
        expected = [m.group(1).strip() for m in re.finditer(r"print\(.*\)\s*#\s*(.*)", code)]
        assert out.getvalue().strip().splitlines() == expected
