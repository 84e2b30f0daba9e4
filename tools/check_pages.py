"""Check the built book in a real headless browser.

For every page of the table of contents this script loads the built HTML in Chromium
with the network cut off (every host name resolves to nothing), lets the scripts run,
and reads the DOM back. It fails when, on any page:

* a formula of the page was not typeset by MathJax (fewer ``<mjx-container>`` elements
  than math nodes in the static HTML), or MathJax reported a TeX error (``<mjx-merror>``);
* raw TeX is left in the visible text (``$$`` or ``\\begin{``), outside code blocks;
* MathJax was not loaded from the book's own files, or a script or stylesheet would be
  fetched from another machine (``http(s)://`` or ``//`` sources).

Usage: ``python tools/check_pages.py _build/html``
"""

from __future__ import annotations

import concurrent.futures as cf
import os
import re
import shutil
import subprocess
import sys
import tempfile
from html.parser import HTMLParser
from pathlib import Path

SKIP_TEXT_IN = {"script", "style", "pre", "code", "mjx-container", "mjx-assistive-mml", "textarea",
                "noscript", "title"}


def find_chromium() -> str:
    env = os.environ.get("CHROMIUM")
    if env:
        return env
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    sys.exit("no Chromium found: run tools/ensure_chromium.sh or set CHROMIUM")


class PageScan(HTMLParser):
    """Collects what the checks need from one HTML document."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.text: list[str] = []
        self.mjx = 0
        self.merror = 0
        self.math_nodes = 0
        self.external: list[str] = []
        self.scripts: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "mjx-container":
            self.mjx += 1
        if tag == "mjx-merror":
            self.merror += 1
        cls = (a.get("class") or "").split()
        if tag in ("span", "div") and "math" in cls:
            self.math_nodes += 1
        if tag == "script" and a.get("src"):
            self.scripts.append(a["src"])
        src = a.get("src") if tag in ("script", "img", "iframe") else None
        if tag == "link" and (a.get("rel") or "") in ("stylesheet", "preload", "modulepreload"):
            src = a.get("href")
        if src and re.match(r"^(https?:)?//", src):
            self.external.append(f"<{tag}> {src}")
        if tag not in ("br", "img", "hr", "meta", "link", "input", "source", "wbr", "area", "col"):
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag in self.stack:
            while self.stack and self.stack.pop() != tag:
                pass

    def handle_data(self, data):
        if not any(t in SKIP_TEXT_IN for t in self.stack):
            self.text.append(data)


def scan(html: str) -> PageScan:
    p = PageScan()
    p.feed(html)
    return p


def dump_dom(chromium: str, page: Path) -> str:
    with tempfile.TemporaryDirectory() as profile:
        cmd = [
            chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
            "--no-first-run", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--disable-dev-shm-usage", f"--user-data-dir={profile}",
            # cut the network: nothing may be fetched from another machine
            "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=127.0.0.1:9",
            "--virtual-time-budget=30000", "--dump-dom", page.resolve().as_uri(),
        ]
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    if out.returncode != 0 or "<html" not in out.stdout:
        raise RuntimeError(f"chromium failed on {page}: {out.stderr[-2000:]}")
    return out.stdout


def toc_pages(html_root: Path) -> list[Path]:
    """The pages of the table of contents (every .html under book/)."""
    pages = sorted((html_root / "book").rglob("*.html"))
    if not pages:
        sys.exit(f"no pages under {html_root / 'book'}: build the book first")
    return pages


def local_file(page: Path, src: str) -> Path:
    """The file a relative ``src`` of ``page`` points to, without ``?query`` or ``#fragment``.

    Sphinx appends ``?v=<checksum>`` to static files on an incremental build.
    """
    return (page.parent / re.split(r"[?#]", src, maxsplit=1)[0]).resolve()


def check_page(chromium: str, page: Path, html_root: Path) -> list[str]:
    problems: list[str] = []
    static = scan(page.read_text(encoding="utf-8"))
    dom = scan(dump_dom(chromium, page))
    name = page.relative_to(html_root)
    mathjax = [s for s in static.scripts if "mathjax" in s.lower()]
    if static.math_nodes:
        if not mathjax:
            problems.append(f"{name}: has {static.math_nodes} formulas but no MathJax script")
        for s in mathjax:
            if re.match(r"^(https?:)?//", s):
                problems.append(f"{name}: MathJax is loaded from another machine: {s}")
            elif not local_file(page, s).exists():
                problems.append(f"{name}: MathJax script {s} is not in the built book")
        if dom.mjx < static.math_nodes:
            problems.append(
                f"{name}: {static.math_nodes} formulas in the page, "
                f"only {dom.mjx} typeset by MathJax"
            )
    if dom.merror:
        problems.append(f"{name}: MathJax reported {dom.merror} TeX error(s)")
    text = " ".join(dom.text)
    for raw in ("$$", "\\begin{"):
        i = text.find(raw)
        if i >= 0:
            context = text[max(0, i - 60) : i + 60]
            problems.append(f"{name}: raw TeX {raw!r} left in the text: ...{context!r}...")
    for ext in sorted(set(static.external + dom.external)):
        problems.append(f"{name}: fetches from another machine: {ext}")
    print(f"  {str(name):45s} formulas {static.math_nodes:4d}  typeset {dom.mjx:4d}  "
          f"{'OK' if not problems else 'FAIL'}", flush=True)
    return problems


def main(argv: list[str]) -> int:
    html_root = Path(argv[1] if len(argv) > 1 else "_build/html")
    chromium = find_chromium()
    pages = toc_pages(html_root)
    print(f"checking {len(pages)} pages with {chromium} (network cut off)")
    problems: list[str] = []
    with cf.ThreadPoolExecutor(max_workers=2) as pool:
        for result in pool.map(lambda p: check_page(chromium, p, html_root), pages):
            problems.extend(result)
    if problems:
        print("\nbrowser check FAILED:")
        for p in problems:
            print("  " + p)
        return 1
    print(f"browser check passed: {len(pages)} pages")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
