"""Runs the rules on one PDF and returns what they found as FILE:PAGE problems: the same
message on several pages is one line, on the first page, naming the others."""

from __future__ import annotations

from pathlib import Path

import pikepdf

from taidan.errors import Problem, shown
from taidan.publish.preflight import PRINT, Finding, content, document, ink, margins, pages, transparency, ua

TAIL = 1024  # %%EOF lies in the file's last kilobyte (ISO 32000-1, 7.5.5)


def _opened(path: Path):
    """The PDF, or the one Finding that says why it cannot be read."""
    if not path.exists():
        return Finding(0, "no such file")
    if not path.is_file():
        return Finding(0, "is not a file", "give a PDF file")
    try:
        with path.open("rb") as file:
            head = file.read(1024)
            file.seek(max(0, path.stat().st_size - TAIL))
            tail = file.read()
    except OSError as err:
        return Finding(0, f"cannot be read: {err.strerror}")
    if b"%PDF-" not in head:
        return Finding(0, "is not a PDF", "give the PDF file itself")
    if b"%%EOF" not in tail:
        return Finding(0, "the PDF is truncated (no %%EOF at its end)",
                       "copy or download the file again")
    try:
        return pikepdf.open(path)
    except pikepdf.PasswordError:
        return Finding(0, "the PDF is encrypted with a password", "ask for a copy without one")
    except pikepdf.PdfError as err:
        return Finding(0, f"the PDF cannot be read: {str(err).splitlines()[0]}",
                       "make or download the file again")


def findings(path: Path, standard: str) -> list[Finding]:
    opened = _opened(path)
    if isinstance(opened, Finding):
        return [opened]
    with opened as pdf:
        return list(_rules(pdf, path, standard))


def _rules(pdf: pikepdf.Pdf, path: Path, standard: str):
    printed = standard in PRINT
    fonts_seen: set = set()
    read = [content.read(number, page, pages.trim(page)) for number, page in enumerate(pdf.pages, 1)]
    for number, page in enumerate(pdf.pages, 1):
        if printed:
            yield from pages.boxes(number, page)
        yield from pages.fonts(number, page, fonts_seen, type3_allowed=not printed)
    if printed:
        for found in read:
            yield from content.findings(found, standard)
        yield from document.pdf_x(pdf, standard)
        if standard == "pdf/x-1a":
            yield from transparency.findings(pdf)
        yield from ink.findings(path)
        boxes = {n: (pages.box(page, "/MediaBox"), pages.trim(page))
                 for n, page in enumerate(pdf.pages, 1)
                 if pages.box(page, "/MediaBox") and int(page.obj.get("/Rotate", 0)) % 360 == 0}
        yield from margins.findings(path, boxes)
    else:
        yield from ua.findings(pdf)


def _pages(numbers: list[int]) -> str:
    """1, 2, 3, 5 -> '1-3, 5'."""
    runs: list[list[int]] = []
    for n in sorted(set(numbers)):
        if runs and n == runs[-1][1] + 1:
            runs[-1][1] = n
        else:
            runs.append([n, n])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)


def problems(path: Path, standard: str) -> list[Problem]:
    """What preflight found in one file, a line each, in the order of its pages."""
    grouped: dict[tuple, list[int]] = {}
    for finding in findings(path, standard):
        grouped.setdefault((finding.message, finding.hint, finding.warning), []).append(finding.page)
    lines = []
    for (message, hint, warning), numbers in grouped.items():
        if len(set(numbers)) > 1:
            message = f"{message}, pages {_pages(numbers)}"
        lines.append(Problem(shown(path), min(numbers), message, hint, warning))
    return sorted(lines, key=lambda p: p.line)  # stable: the rules' order within a page
