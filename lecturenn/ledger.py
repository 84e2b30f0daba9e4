r"""The verification ledger: every slide of the lecture, every claim on it, and its check.

The ledger is the data file ``lecturenn/ledger.toml``, shipped with the package. It lists
every slide of the lecture in the lecture's order, by its Russian title as in the source
(``## Title`` headings; the contents and the closing summary have no title and get one,
marked ``seed = false``; the two OBD slides share a title), and for each slide every formula
or checkable claim on it, with one of four statuses:

``verified``
    ``checks`` names what proves it: pytest node ids (``"tests/test_x.py::test_y"``) and/or
    derivations (``"lecturenn.derivations.mod:func"``, a function that, called with no
    arguments, returns exactly ``True`` when the claim holds).
``erratum``
    the slide is wrong: ``right`` says what is right, ``errata`` is the label of its entry in
    ``book/errata/<chapter>.md`` (``(errata-<chapter>-<slug>)=``), and ``checks`` proves the
    right form (or, for a date or a title, ``instead`` says what it was checked against).
``not-checkable``
    a historical statement, a citation, an opinion: ``why`` says so and ``instead`` what was
    checked instead (e.g. against the paper); optional ``checks``.
``pending``
    the slide's chapter is not written yet.

Each slide names its chapter (the book document, e.g. ``"backprop"`` for
``book/backprop.ipynb``) and, once that document exists, the MyST label of the section that
treats it (``tests/test_ledger.py`` checks that the label is there). This module reads
and validates the ledger (:func:`load_ledger`), counts it (:func:`counts`) and renders the
book's page (:func:`render_page`); :mod:`lecturenn.verify` runs the checks.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "STATUSES",
    "Claim",
    "Slide",
    "LedgerError",
    "LEDGER_PATH",
    "load_ledger",
    "parse_check",
    "counts",
    "render_page",
    "seed_titles",
]

#: the statuses a claim may have
STATUSES = ("verified", "erratum", "not-checkable", "pending")

#: the ledger shipped with the package
LEDGER_PATH = Path(__file__).with_name("ledger.toml")

_NODE = re.compile(r"^tests/[\w/]+\.py::[\w]+(\[[^\]]+\])?$")
_FUNC = re.compile(r"^lecturenn\.derivations\.\w+:\w+$")
_LABEL = re.compile(r"^[a-z0-9][a-z0-9-]*$")

# the fields each status requires (beyond "claim" and "status") and allows
_REQUIRED = {
    "verified": ("checks",),
    "erratum": ("errata", "right"),
    "not-checkable": ("why", "instead"),
    "pending": (),
}
_ALLOWED = {"claim", "status", "checks", "errata", "right", "why", "instead"}


class LedgerError(ValueError):
    """The ledger file is malformed; the message lists every problem found."""


@dataclass
class Claim:
    """One formula or claim of a slide, with its status and checks."""

    claim: str
    status: str
    checks: list[str] = field(default_factory=list)
    errata: str | None = None
    right: str | None = None
    why: str | None = None
    instead: str | None = None


@dataclass
class Slide:
    """One slide of the lecture: its title, where the book treats it, and its claims."""

    title: str
    chapter: str
    section: str | None
    claims: list[Claim]
    seed: bool = True

    @property
    def pending(self) -> bool:
        """True when every claim of the slide is pending."""
        return all(c.status == "pending" for c in self.claims)


def parse_check(check: str) -> tuple[str, str]:
    """``("test", node_id)`` or ``("derivation", "module:function")``; ValueError otherwise."""
    if _NODE.match(check):
        return "test", check
    if _FUNC.match(check):
        return "derivation", check
    raise ValueError(f"a check must be a pytest node id 'tests/<file>.py::<test>' or "
                     f"'lecturenn.derivations.<module>:<function>', got {check!r}")


def _claim(raw, where: str, problems: list[str]) -> Claim | None:
    if not isinstance(raw, dict):
        problems.append(f"{where}: a claim must be a table, got {type(raw).__name__}")
        return None
    extra = sorted(set(raw) - _ALLOWED)
    if extra:
        problems.append(f"{where}: unknown fields {extra}")
    text, status = raw.get("claim"), raw.get("status")
    if not isinstance(text, str) or not text.strip():
        problems.append(f"{where}: 'claim' must be a non-empty string")
    if status not in STATUSES:
        problems.append(f"{where}: 'status' must be one of {STATUSES}, got {status!r}")
        return None
    for key in _REQUIRED[status]:
        if not raw.get(key):
            problems.append(f"{where} ({status}): needs a non-empty {key!r}")
    checks = raw.get("checks", [])
    if not isinstance(checks, list) or not all(isinstance(c, str) for c in checks):
        problems.append(f"{where}: 'checks' must be a list of strings")
        checks = []
    for c in checks:
        try:
            parse_check(c)
        except ValueError as exc:
            problems.append(f"{where}: {exc}")
    if status == "erratum" and not checks and not raw.get("instead"):
        problems.append(f"{where} (erratum): needs 'checks', or 'instead' when no machine "
                        "check can prove it (a date, a title)")
    if status == "pending" and checks:
        problems.append(f"{where} (pending): a pending claim has no checks yet")
    label = raw.get("errata")
    if label is not None and (status != "erratum" or not isinstance(label, str)
                              or not _LABEL.match(label) or not label.startswith("errata-")):
        problems.append(f"{where}: 'errata' is the label 'errata-<chapter>-<slug>' of an "
                        f"erratum's entry, got {label!r} with status {status!r}")
    for key in ("right", "why", "instead"):
        if key in raw and not isinstance(raw[key], str):
            problems.append(f"{where}: {key!r} must be a string")
    return Claim(claim=str(text), status=status, checks=list(checks), errata=label,
                 right=raw.get("right"), why=raw.get("why"), instead=raw.get("instead"))


def load_ledger(path=LEDGER_PATH) -> list[Slide]:
    """Read and validate the ledger; return its slides in the lecture's order.

    Raises
    ------
    LedgerError
        Listing every malformed entry (a missing field, an unknown status, a check that
        is neither a node id nor a derivation, ...).
    """
    with open(path, "rb") as fh:
        try:
            data = tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            raise LedgerError(f"{path}: not valid TOML: {exc}") from exc
    raw_slides = data.get("slide")
    if not isinstance(raw_slides, list) or not raw_slides:
        raise LedgerError(f"{path}: no [[slide]] entries")
    problems: list[str] = []
    slides = []
    for i, raw in enumerate(raw_slides):
        title = raw.get("title")
        where = f"slide {i + 1} ({title!r})"
        extra = sorted(set(raw) - {"title", "chapter", "section", "seed", "claim"})
        if extra:
            problems.append(f"{where}: unknown fields {extra}")
        if not isinstance(title, str) or not title.strip():
            problems.append(f"{where}: 'title' must be a non-empty string")
        chapter, section = raw.get("chapter"), raw.get("section")
        if not isinstance(chapter, str) or not _LABEL.match(chapter or ""):
            problems.append(f"{where}: 'chapter' must be a book document name, got {chapter!r}")
        seed = raw.get("seed", True)
        if not isinstance(seed, bool):
            problems.append(f"{where}: 'seed' must be true or false")
        raw_claims = raw.get("claim")
        if not isinstance(raw_claims, list) or not raw_claims:
            problems.append(f"{where}: needs at least one [[slide.claim]]")
            raw_claims = []
        claims = [c for j, rc in enumerate(raw_claims)
                  if (c := _claim(rc, f"{where}, claim {j + 1}", problems)) is not None]
        if section is not None and (not isinstance(section, str) or not _LABEL.match(section)):
            problems.append(f"{where}: 'section' must be a MyST label, got {section!r}")
        slides.append(Slide(title=str(title), chapter=str(chapter), section=section,
                            claims=claims, seed=bool(seed)))
    if problems:
        raise LedgerError(f"{path}: {len(problems)} problem(s):\n  " + "\n  ".join(problems))
    return slides


def seed_titles(seed_text: str) -> list[str]:
    """The slide titles of the lecture's source: its ``#`` and ``##`` headings, in order."""
    return [line.lstrip("#").strip() for line in seed_text.splitlines()
            if re.match(r"^#{1,2} \S", line)]


def counts(slides: list[Slide]) -> dict[str, int]:
    """Slides, claims, and claims by status."""
    out = {"slides": len(slides), "claims": sum(len(s.claims) for s in slides)}
    for status in STATUSES:
        out[status] = sum(c.status == status for s in slides for c in s.claims)
    return out


_STATUS_TEXT = {"verified": "**verified**", "erratum": "**erratum**",
                "not-checkable": "**not machine-checkable**", "pending": "*pending*"}


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def render_page(slides: list[Slide], chapters: list[tuple[str, str]],
                existing: set[str]) -> str:
    """The book's page: counts, then per chapter its slides, claims, statuses and checks.

    Parameters
    ----------
    slides : list of Slide
        The ledger.
    chapters : list of (str, str)
        ``(document, title)`` of the book's documents in the order of the table of contents;
        slides of a document not listed come last, under "Not yet written".
    existing : set of str
        The documents that exist: a pending slide links its chapter only if it exists.
    """
    c = counts(slides)
    lines = [
        "# Verification ledger",
        "",
        "Every slide of the lecture, every formula or claim on it, and the machine check that "
        "proves it. The ledger is the file `lecturenn/ledger.toml`; `python -m lecturenn.verify` "
        "(or `make verify`) runs every check it names and prints the results. This page is "
        "generated from the ledger (`python -m lecturenn.verify --write-page book/ledger.md`), "
        "and a test keeps it up to date.",
        "",
        f"**{c['slides']} slides, {c['claims']} claims:** {c['verified']} verified, "
        f"{c['erratum']} errata (the slide is wrong; the book and the code do what is right), "
        f"{c['not-checkable']} not machine-checkable (history, citations; checked against the "
        f"sources instead), {c['pending']} pending (their chapters are not written yet).",
        "",
        "A check is a test of the suite (`tests/...::test_...`) or a derivation of "
        "`lecturenn.derivations` that returns `True` exactly when the claim holds.",
        "",
    ]
    order = [doc for doc, _ in chapters]
    titles = dict(chapters)
    groups: dict[str, list[Slide]] = {}
    for s in slides:
        groups.setdefault(s.chapter, []).append(s)
    ordered = [d for d in order if d in groups] + [d for d in groups if d not in order]
    for doc in ordered:
        if doc in titles:
            lines += [f"## {titles[doc]}", "", f"Treated in {{doc}}`{doc}`.", ""]
        else:
            lines += [f"## Not yet written: `{doc}`", "",
                      "The chapter that will treat these slides is not in the book yet.", ""]
        for s in groups[doc]:
            name = f"«{s.title}»" if s.seed else f"{s.title} (untitled slide)"
            lines.append(f"### {name}")
            lines.append("")
            if s.section and doc in existing:
                lines += [f"Section: {{ref}}`{s.section}`.", ""]
            for cl in s.claims:
                status = _STATUS_TEXT[cl.status]
                if cl.status == "erratum":
                    status += f" ({{ref}}`entry <{cl.errata}>`)"
                lines.append(f"- {status}: {_one_line(cl.claim)}")
                if cl.right:
                    lines.append(f"  - what is right: {_one_line(cl.right)}")
                if cl.why:
                    lines.append(f"  - why not: {_one_line(cl.why)}")
                if cl.instead:
                    lines.append(f"  - checked instead: {_one_line(cl.instead)}")
                for k in cl.checks:
                    lines.append(f"  - `{k}`")
            lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"
