"""Text inside the safe zone: no word closer to the trim than 5 mm (the shops' guides: the
cut wanders by up to a few millimetres). The words' boxes come from Poppler's
``pdftotext -bbox``, which measures them from the top left of the MediaBox."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

from taidan.errors import CannotRun
from taidan.publish.preflight import MM, Finding, mm

SAFE, CUT = 5 * MM, 3 * MM  # inside 5 mm: at risk (warning); inside 3 mm: may be cut (error)
PAGE = re.compile(r"<page\b[^>]*>(.*?)</page>", re.S)
WORD = re.compile(r'<word xMin="([-\d.]+)" yMin="([-\d.]+)" xMax="([-\d.]+)" yMax="([-\d.]+)">(.*?)</word>', re.S)


def words(path: Path) -> Iterator[tuple[int, list]]:
    """(page number, [(x0, y0, x1, y1 from the MediaBox's top left, text)]) for each page."""
    pdftotext = shutil.which("pdftotext")
    if pdftotext is None:
        raise CannotRun("taidan preflight finds text near the trim with pdftotext, which is "
                        "not installed (Debian: apt install poppler-utils)")
    run = subprocess.run([pdftotext, "-q", "-bbox", str(path), "-"], capture_output=True,
                         text=True, encoding="utf-8", errors="replace", stdin=subprocess.DEVNULL)
    for number, page in enumerate(PAGE.findall(run.stdout), 1):
        yield number, [(*map(float, m[:4]), html.unescape(m[4])) for m in WORD.findall(page)]


def findings(path: Path, boxes: dict[int, tuple]) -> Iterator[Finding]:
    """``boxes``: page number -> (MediaBox, trim), each (x0, y0, x1, y1) in PDF points."""
    for number, found in words(path):
        if number not in boxes:
            continue
        media, trim = boxes[number]
        closest, word = SAFE, ""
        for x0, y0, x1, y1, text in found:
            left, right = media[0] + x0, media[0] + x1
            bottom, top = media[3] - y1, media[3] - y0
            if right < trim[0] or left > trim[2] or top < trim[1] or bottom > trim[3]:
                continue  # outside the finished page: slug or marks, cut away
            distance = min(left - trim[0], bottom - trim[1], trim[2] - right, trim[3] - top)
            if distance < closest:
                closest, word = distance, text
        if word:
            yield Finding(number, f"text {mm(max(closest, 0))} from the trim ('{word[:20]}'); "
                          "shops ask for 5 mm", "move it inside the margins",
                          warning=closest >= CUT)
