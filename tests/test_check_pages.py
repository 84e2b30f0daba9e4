"""The browser check of the book must be able to fail: its HTML scan is tested here."""

import importlib.util
from pathlib import Path

spec = importlib.util.spec_from_file_location(
    "check_pages", Path(__file__).resolve().parents[1] / "tools" / "check_pages.py"
)
check_pages = importlib.util.module_from_spec(spec)
spec.loader.exec_module(check_pages)


def test_counts_typeset_formulas_and_errors():
    html = (
        '<html><body><span class="math notranslate">x</span>'
        "<mjx-container><mjx-merror>bad</mjx-merror></mjx-container></body></html>"
    )
    s = check_pages.scan(html)
    assert (s.math_nodes, s.mjx, s.merror) == (1, 1, 1)


def test_raw_tex_in_text_is_seen_but_not_inside_code():
    s = check_pages.scan("<html><body><p>$$a$$</p><pre>\\begin{x}</pre></body></html>")
    text = " ".join(s.text)
    assert "$$" in text
    assert "\\begin{" not in text


def test_external_scripts_are_reported():
    s = check_pages.scan(
        '<html><head><script src="https://cdn.example/mathjax.js"></script>'
        '<script src="../_static/mathjax/tex-chtml.js"></script>'
        '<link rel="stylesheet" href="//fonts.example/x.css"></head></html>'
    )
    assert s.external == ["<script> https://cdn.example/mathjax.js", "<link> //fonts.example/x.css"]
    assert len(s.scripts) == 2


def test_local_script_with_a_query_string_is_found(tmp_path):
    # an incremental Sphinx build writes src="../_static/x.js?v=1a2b"
    (tmp_path / "_static").mkdir()
    (tmp_path / "_static" / "x.js").write_text("")
    page = tmp_path / "book" / "p.html"
    assert check_pages.local_file(page, "../_static/x.js?v=1a2b").exists()
    assert check_pages.local_file(page, "../_static/x.js#top").exists()
    assert not check_pages.local_file(page, "../_static/y.js?v=1a2b").exists()
