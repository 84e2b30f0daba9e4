r"""Run every check the verification ledger names: ``python -m lecturenn.verify``.

Prints one line per check (slide, claim, status, check, result, seconds) and the counts,
and exits with status 1 if a check fails or a named check does not exist (0 otherwise).

* A derivation ``lecturenn.derivations.<module>:<function>`` is imported and called with no
  arguments; it passes if it returns exactly ``True``.
* A test ``tests/<file>.py::<test>`` is run by pytest, all of them in one session, from the
  repository root (the folder holding ``tests/``; ``--root`` to give it). A test whose file
  imports an optional reference that is not installed (PyTorch, SciPy, scikit-learn) is
  skipped, and the table says why; so is every test when there is no ``tests/`` folder (an
  installed package without its repository).

Needs NumPy and SymPy (the package's dependencies) and, for the tests, pytest.

Examples
--------
``python -m lecturenn.verify`` (the whole ledger), ``python -m lecturenn.verify --chapter
backprop`` (one chapter), ``python -m lecturenn.verify --write-page book/ledger.md`` (write
the book's page and run nothing).
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import importlib
import importlib.util
import io
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from lecturenn.ledger import LEDGER_PATH, Slide, counts, load_ledger, parse_check, render_page

__all__ = ["Result", "run_checks", "main", "OPTIONAL_REFERENCES"]

#: modules a test file may need that the package does not depend on, by import name
OPTIONAL_REFERENCES = {"torch": "PyTorch", "scipy": "SciPy", "sklearn": "scikit-learn",
                       "kan": "pykan", "mpmath": "mpmath"}


@dataclass
class Result:
    """The outcome of one check: ``passed``, ``failed``, ``missing`` or ``skipped``."""

    slide: str
    claim: str
    status: str
    check: str
    outcome: str
    seconds: float = 0.0
    detail: str = ""


def _installed(name: str) -> bool:
    return importlib.util.find_spec(name) is not None


def _missing_references(test_file: Path) -> list[str]:
    """The optional references a test file imports at top level and that are not installed."""
    try:
        tree = ast.parse(test_file.read_text(encoding="utf-8"))
    except (OSError, SyntaxError):
        return []
    names = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return sorted(OPTIONAL_REFERENCES[n] for n in names & set(OPTIONAL_REFERENCES)
                  if not _installed(n))


def _run_derivation(check: str) -> tuple[str, float, str]:
    module, func = check.split(":")
    t0 = time.perf_counter()
    try:
        fn = getattr(importlib.import_module(module), func)
    except (ImportError, AttributeError) as exc:
        return "missing", 0.0, f"{type(exc).__name__}: {exc}"
    try:
        value = fn()
    except Exception as exc:  # a check that raises has failed; say how
        return "failed", time.perf_counter() - t0, f"raised {type(exc).__name__}: {exc}"
    dt = time.perf_counter() - t0
    if value is True:
        return "passed", dt, ""
    return "failed", dt, f"returned {value!r:.80}, not True"


class _Collector:
    """A pytest plugin that records the collected items and each test's outcome and time."""

    def __init__(self) -> None:
        self.items: list[str] = []
        self.reports: dict[str, list] = {}

    def pytest_collection_modifyitems(self, items):
        self.items = [it.nodeid for it in items]

    def pytest_runtest_logreport(self, report):
        self.reports.setdefault(report.nodeid, []).append(report)


def _pytest(args: list[str], root: Path, verbose: bool) -> _Collector:
    import pytest

    col = _Collector()
    base = ["-p", "no:cacheprovider", "-o", "addopts=", "-q", f"--rootdir={root}",
            "-c", str(root / "pyproject.toml")]
    out = io.StringIO()
    with contextlib.ExitStack() as stack:
        if not verbose:
            stack.enter_context(contextlib.redirect_stdout(out))
            stack.enter_context(contextlib.redirect_stderr(out))
        pytest.main(base + args, plugins=[col])
    return col


def _matches(requested: str, nodeid: str) -> bool:
    # a node id without parameters stands for all its parametrized cases
    return nodeid == requested or (nodeid.startswith(requested + "[") and "[" not in requested)


def _run_tests(node_ids: list[str], root: Path, verbose: bool) -> dict[str, tuple]:
    """``node id -> (outcome, seconds, detail)`` for every requested pytest node id."""
    out: dict[str, tuple] = {}
    if not node_ids:
        return out
    if not (root / "tests").is_dir():
        why = f"no tests/ folder under {root} (run from a clone of the repository, or --root)"
        return {n: ("skipped", 0.0, why) for n in node_ids}
    if not _installed("pytest"):
        return {n: ("skipped", 0.0, "pytest is not installed") for n in node_ids}
    runnable, files = [], {}
    for n in node_ids:
        f = n.split("::")[0]
        if not (root / f).is_file():
            out[n] = ("missing", 0.0, f"no file {f}")
            continue
        files.setdefault(f, _missing_references(root / f))
        if files[f]:
            out[n] = ("skipped", 0.0, f"needs {', '.join(files[f])} (not installed)")
        else:
            runnable.append(n)
    if not runnable:
        return out
    present = _pytest(["--collect-only", *sorted({n.split("::")[0] for n in runnable})],
                      root, verbose=False).items
    to_run = []
    for n in runnable:
        if any(_matches(n, item) for item in present):
            to_run.append(n)
        else:
            out[n] = ("missing", 0.0, "no such test")
    if not to_run:
        return out
    col = _pytest(sorted(set(to_run)), root, verbose)
    for n in to_run:
        reps = [r for nid, rs in col.reports.items() if _matches(n, nid) for r in rs]
        if not reps:
            out[n] = ("failed", 0.0, "did not run")
            continue
        secs = sum(r.duration for r in reps)
        failed = [r for r in reps if r.failed]
        skipped = [r for r in reps if r.skipped]
        if failed:
            msg = str(failed[0].longrepr).strip().splitlines()
            out[n] = ("failed", secs, msg[-1][:200] if msg else "")
        elif skipped and len(skipped) == len([r for r in reps if r.when in ("setup", "call")]):
            out[n] = ("skipped", secs, "skipped by the test")
        else:
            out[n] = ("passed", secs, "")
    return out


def run_checks(slides: list[Slide], root: Path, verbose: bool = False) -> list[Result]:
    """Run every check of ``slides``; one :class:`Result` per (claim, check) pair."""
    tests = sorted({c for s in slides for cl in s.claims for c in cl.checks
                    if parse_check(c)[0] == "test"})
    test_results = _run_tests(tests, root, verbose)
    derivation_results: dict[str, tuple] = {}
    results = []
    for s in slides:
        for cl in s.claims:
            if not cl.checks:
                results.append(Result(s.title, cl.claim, cl.status, "—", "—"))
            for c in cl.checks:
                if parse_check(c)[0] == "test":
                    outcome, secs, detail = test_results[c]
                else:
                    if c not in derivation_results:
                        derivation_results[c] = _run_derivation(c)
                    outcome, secs, detail = derivation_results[c]
                results.append(Result(s.title, cl.claim, cl.status, c, outcome, secs, detail))
    return results


def _short(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _print_table(results: list[Result], file) -> None:
    head = f"{'slide':30} {'claim':44} {'status':13} {'check':58} {'result':8} {'s':>6}"
    print(head, file=file)
    print("-" * len(head), file=file)
    last_slide = last_claim = None
    for r in results:
        new_claim = (r.slide, r.claim) != (last_slide, last_claim)
        slide = _short(r.slide, 30) if r.slide != last_slide else ""
        claim, status = (_short(r.claim, 44), r.status) if new_claim else ("", "")
        last_slide, last_claim = r.slide, r.claim
        check = r.check.replace("lecturenn.derivations.", "derivations.")
        secs = f"{r.seconds:6.2f}" if r.outcome in ("passed", "failed") else ""
        print(f"{slide:30} {claim:44} {status:13} {_short(check, 58):58} "
              f"{r.outcome:8} {secs:>6}".rstrip(), file=file)


def _toc_chapters(root: Path) -> list[tuple[str, str]]:
    """``(document, title)`` of the book's documents in the order of ``_toc.yml``."""
    toc = (root / "_toc.yml").read_text(encoding="utf-8")
    docs = re.findall(r"(?:root|file):\s*book/([\w-]+)", toc)
    out = []
    for doc in docs:
        path = next((root / "book" / f"{doc}{ext}" for ext in (".ipynb", ".md")
                     if (root / "book" / f"{doc}{ext}").exists()), None)
        out.append((doc, "Introduction" if doc == "intro" else (_title(path) if path else doc)))
    return out


def _title(path: Path) -> str:
    if path.suffix == ".ipynb":
        import json

        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        text = "".join(cells[0]["source"]) if cells else ""
    else:
        text = path.read_text(encoding="utf-8")
    m = re.search(r"^# (.+)$", text, re.M)
    return m.group(1).strip() if m else path.stem


def page_text(slides: list[Slide], root: Path) -> str:
    """The book's ledger page for the repository at ``root``."""
    chapters = _toc_chapters(root)
    return render_page(slides, chapters, {d for d, _ in chapters})


def _default_root() -> Path:
    here = Path.cwd()
    for p in (here, *here.parents):
        if (p / "tests").is_dir() and (p / "pyproject.toml").is_file():
            return p
    pkg_root = Path(__file__).resolve().parent.parent
    return pkg_root if (pkg_root / "tests").is_dir() else here


def main(argv=None) -> int:
    """The command line: ``python -m lecturenn.verify [--chapter C] [--root DIR] ...``."""
    ap = argparse.ArgumentParser(prog="python -m lecturenn.verify", description=__doc__.split(
        "\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ledger", type=Path, default=LEDGER_PATH, help="the ledger file")
    ap.add_argument("--root", type=Path, default=None,
                    help="the repository (the folder with tests/ and pyproject.toml)")
    ap.add_argument("--chapter", action="append", default=None,
                    help="only the slides of this chapter (book document name); repeatable")
    ap.add_argument("--write-page", type=Path, default=None, metavar="FILE",
                    help="write the book's ledger page to FILE and run nothing")
    ap.add_argument("-v", "--verbose", action="store_true", help="show pytest's output")
    args = ap.parse_args(argv)
    root = (args.root or _default_root()).resolve()
    slides = load_ledger(args.ledger)
    if args.write_page is not None:
        args.write_page.write_text(page_text(slides, root), encoding="utf-8")
        print(f"wrote {args.write_page}")
        return 0
    if args.chapter:
        unknown = sorted(set(args.chapter) - {s.chapter for s in slides})
        if unknown:
            ap.error(f"no slides of chapter(s) {unknown}; chapters: "
                     f"{sorted({s.chapter for s in slides})}")
        slides = [s for s in slides if s.chapter in args.chapter]
    t0 = time.perf_counter()
    results = run_checks(slides, root, verbose=args.verbose)
    _print_table(results, sys.stdout)
    c = counts(slides)
    runs = [r for r in results if r.check != "—"]
    by = {k: sum(r.outcome == k for r in runs) for k in ("passed", "failed", "missing",
                                                         "skipped")}
    print()
    print(f"ledger: {c['slides']} slides, {c['claims']} claims: {c['verified']} verified, "
          f"{c['erratum']} errata, {c['not-checkable']} not machine-checkable, "
          f"{c['pending']} pending")
    print(f"checks: {len(runs)} run: {by['passed']} passed, {by['failed']} failed, "
          f"{by['missing']} missing, {by['skipped']} skipped "
          f"({time.perf_counter() - t0:.0f} s)")
    for r in runs:
        if r.outcome in ("failed", "missing"):
            print(f"  {r.outcome.upper()}: {r.check}: {r.detail}")
    reasons = sorted({r.detail for r in runs if r.outcome == "skipped"})
    for why in reasons:
        n = sum(r.detail == why for r in runs)
        print(f"  skipped {n}: {why}")
    return 1 if by["failed"] or by["missing"] else 0


if __name__ == "__main__":
    sys.exit(main())
