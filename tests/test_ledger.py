"""The verification ledger covers every slide, names checks that exist, matches the errata pages,
and the book's ledger page is generated from it. And `python -m lecturenn.verify` can fail."""

import ast
import collections
import importlib
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from lecturenn import verify
from lecturenn.ledger import LedgerError, load_ledger, parse_check, seed_titles
from lecturenn.verify import page_text

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT.parent / "shared" / "seed" / "lecture-neural-networks.ru.md"
SLIDES = load_ledger()


def _seed_text():
    if SEED.exists():
        return SEED.read_text(encoding="utf-8")
    # a clone without the workspace beside it: the seed's headings are kept in the repo too
    return (ROOT / "tests" / "data" / "seed_headings.md").read_text(encoding="utf-8")


def test_the_seed_headings_copy_is_current():
    """tests/data/seed_headings.md holds the seed's headings, for clones without the seed."""
    copy = seed_titles((ROOT / "tests" / "data" / "seed_headings.md").read_text(encoding="utf-8"))
    assert copy and len(copy) >= 30
    if SEED.exists():
        assert copy == seed_titles(SEED.read_text(encoding="utf-8"))


def test_every_slide_of_the_lecture_is_in_the_ledger_in_order():
    seed = seed_titles(_seed_text())
    mine = [s.title for s in SLIDES if s.seed]
    missing = collections.Counter(seed) - collections.Counter(mine)
    extra = collections.Counter(mine) - collections.Counter(seed)
    assert not missing, f"slides of the lecture missing from the ledger: {sorted(missing)}"
    assert not extra, f"ledger titles that are not slides of the lecture: {sorted(extra)}"
    assert mine == seed, "the ledger lists the slides in another order than the lecture"
    # the two untitled slides (the contents after the title, the closing summary)
    untitled = [s for s in SLIDES if not s.seed]
    assert [SLIDES.index(s) for s in untitled] == [1, len(SLIDES) - 1]


def test_the_coverage_check_can_fail():
    seed = seed_titles(_seed_text()) + ["Новый слайд"]
    mine = [s.title for s in SLIDES if s.seed]
    assert collections.Counter(seed) - collections.Counter(mine) == {"Новый слайд": 1}


def _test_functions(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}


def test_every_named_check_exists():
    problems = []
    for s in SLIDES:
        for cl in s.claims:
            for c in cl.checks:
                kind, what = parse_check(c)
                if kind == "test":
                    file, name = what.split("::")
                    name = name.split("[")[0]
                    path = ROOT / file
                    if not path.is_file() or name not in _test_functions(path):
                        problems.append(c)
                else:
                    module, func = what.split(":")
                    if not callable(getattr(importlib.import_module(module), func, None)):
                        problems.append(c)
    assert not problems, f"checks named in the ledger that do not exist: {problems}"


def test_every_named_derivation_returns_true():
    """The derivations the ledger names hold (the tests it names run with the suite)."""
    seen = set()
    for s in SLIDES:
        for cl in s.claims:
            for c in cl.checks:
                if parse_check(c)[0] == "derivation" and c not in seen:
                    seen.add(c)
                    module, func = c.split(":")
                    assert getattr(importlib.import_module(module), func)() is True, c
    assert seen


def _errata_sections():
    """``label -> heading`` for every labelled entry of the errata pages, and the headings of
    unlabelled sections that look like errata (they say what is right)."""
    labelled, unlabelled = {}, []
    for f in sorted((ROOT / "book" / "errata").glob("*.md")):
        lines = f.read_text(encoding="utf-8").splitlines()
        starts = [i for i, line in enumerate(lines) if line.startswith("### ")]
        for j, i in enumerate(starts):
            body = "\n".join(lines[i:starts[j + 1] if j + 1 < len(starts) else len(lines)])
            m = re.fullmatch(r"\((errata-[a-z0-9-]+)\)=", lines[i - 1]) if i else None
            if m:
                label = m.group(1)
                assert label not in labelled, f"label {label} used twice"
                assert label.startswith(f"errata-{f.stem}-"), (
                    f"{f.name}: the label {label} should start with errata-{f.stem}-")
                labelled[label] = lines[i]
            elif "**What is right" in body:
                unlabelled.append(f"{f.name}: {lines[i]}")
        stray = [line for k, line in enumerate(lines) if line.startswith("(errata-")
                 and not (k + 1 < len(lines) and lines[k + 1].startswith("### "))]
        assert not stray, f"{f.name}: errata labels not followed by a ### heading: {stray}"
    return labelled, unlabelled


def test_errata_entries_and_ledger_rows_match():
    labelled, unlabelled = _errata_sections()
    assert not unlabelled, f"errata entries without a (errata-...)= label: {unlabelled}"
    rows = {cl.errata for s in SLIDES for cl in s.claims if cl.status == "erratum"}
    assert labelled, "no errata entries found"
    assert set(labelled) - rows == set(), (
        f"errata entries with no erratum row in the ledger: {sorted(set(labelled) - rows)}")
    assert rows - set(labelled) == set(), (
        f"erratum rows whose entry is not in book/errata/: {sorted(rows - set(labelled))}")


def _doc(chapter: str) -> Path | None:
    for ext in (".ipynb", ".md"):
        p = ROOT / "book" / f"{chapter}{ext}"
        if p.exists():
            return p
    return None


def _labels(path: Path) -> set[str]:
    if path.suffix == ".ipynb":
        text = "\n".join("".join(c["source"]) for c in
                         json.loads(path.read_text(encoding="utf-8"))["cells"]
                         if c["cell_type"] == "markdown")
    else:
        text = path.read_text(encoding="utf-8")
    return set(re.findall(r"^\(([a-z0-9-]+)\)=", text, re.M))


def test_sections_exist_where_the_chapter_does():
    problems = []
    for s in SLIDES:
        doc = _doc(s.chapter)
        if doc is None:
            if s.section is not None:
                problems.append(f"{s.title}: section {s.section} in {s.chapter}, which does "
                                "not exist")
            continue
        if s.section is None:
            problems.append(f"{s.title}: {s.chapter} exists, name the section that treats it")
        elif s.section not in _labels(doc):
            problems.append(f"{s.title}: no label ({s.section})= in {doc.name}")
    assert not problems, problems


def test_pending_slides_belong_to_chapters_not_yet_written():
    written = [s for s in SLIDES if _doc(s.chapter) is not None]
    stale = [(s.title, c.claim) for s in written for c in s.claims if c.status == "pending"]
    assert not stale, f"claims still pending although their chapter exists: {stale}"


def test_the_book_page_is_generated_from_the_ledger():
    page = (ROOT / "book" / "ledger.md").read_text(encoding="utf-8")
    assert page == page_text(SLIDES, ROOT), (
        "book/ledger.md is out of date: python -m lecturenn.verify --write-page book/ledger.md")
    assert "book/ledger" in (ROOT / "_toc.yml").read_text(encoding="utf-8")


def test_a_malformed_ledger_is_refused(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[[slide]]\ntitle = "A"\nchapter = "x"\n[[slide.claim]]\nclaim = "c"\n'
                   'status = "proved"\n[[slide]]\ntitle = "B"\nchapter = "x"\n'
                   '[[slide.claim]]\nclaim = "d"\nstatus = "verified"\n'
                   'checks = ["tests/nothing"]\n', encoding="utf-8")
    with pytest.raises(LedgerError, match=r"(?s)2 problem\(s\).*'status' must be one of.*"
                                          r"a check must be a pytest node id"):
        load_ledger(bad)


def _run_verify(ledger: Path):
    return subprocess.run([sys.executable, "-m", "lecturenn.verify", "--ledger", str(ledger),
                           "--root", str(ROOT)], capture_output=True, text=True, cwd=ROOT,
                          timeout=600)


def test_verify_fails_on_a_missing_or_failing_check_and_passes_otherwise(tmp_path):
    good = "tests/test_derivations_losses.py::test_the_slides_losses_have_the_claimed_shapes"
    ledger = tmp_path / "l.toml"
    ledger.write_text(
        '[[slide]]\ntitle = "S"\nchapter = "neurons"\nsection = "sec-neurons-recap"\n'
        f'[[slide.claim]]\nclaim = "c1"\nstatus = "verified"\nchecks = ["{good}",\n'
        '  "tests/test_derivations_losses.py::test_no_such_test",\n'
        '  "lecturenn.derivations.backprop:check_relu_family_derivatives",\n'
        '  "lecturenn.derivations.losses:check_loss_shapes"]\n', encoding="utf-8")
    r = _run_verify(ledger)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "4 run: 2 passed, 1 failed, 1 missing, 0 skipped" in r.stdout, r.stdout
    assert "MISSING: tests/test_derivations_losses.py::test_no_such_test: no such test" in r.stdout
    assert "FAILED: lecturenn.derivations.backprop:check_relu_family_derivatives: returned" \
        in r.stdout
    ledger.write_text(
        '[[slide]]\ntitle = "S"\nchapter = "neurons"\nsection = "sec-neurons-recap"\n'
        f'[[slide.claim]]\nclaim = "c1"\nstatus = "verified"\nchecks = ["{good}"]\n',
        encoding="utf-8")
    r = _run_verify(ledger)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "1 run: 1 passed, 0 failed, 0 missing, 0 skipped" in r.stdout


def test_a_test_needing_a_missing_reference_is_skipped_with_the_reason(monkeypatch):
    monkeypatch.setattr(verify, "_installed", lambda name: name != "torch")
    assert verify._missing_references(ROOT / "tests" / "test_torch_reference.py") == ["PyTorch"]
    assert verify._missing_references(ROOT / "tests" / "test_derivations_losses.py") == []
    out = verify._run_tests(["tests/test_torch_reference.py::test_output_activations"], ROOT,
                            verbose=False)
    assert out == {"tests/test_torch_reference.py::test_output_activations":
                   ("skipped", 0.0, "needs PyTorch (not installed)")}
