"""Every footnote at the foot of the page of its call, none lost, on every paper and with
the built-in faces, a house family (EB Garamond) and a house face given as a file: an
English interview of 60 turns and 73 notes, read back page by page from the PDFs. Each call
follows a word zq<N>zq and each note opens with nq<N>nq, so pypdf's text of a page says
which calls and notes it holds."""

from __future__ import annotations

import io
import random
import re
from pathlib import Path

import pypdf
import pytest

from taidan.config import project
from taidan.engines.weasyprint import footnotes
from taidan.pipeline import load
from taidan.pipeline.build import produce

pytestmark = pytest.mark.slow  # twelve print books of 14 pages

WORDS = ("the tape ran slow and we kept the basement lights off while the engineer counted "
         "reels of them from the old station archive on the north side of town").split()
FACES = {"built-in": "", "EB Garamond": 'body_font = "EB Garamond"\n',
         "a file": 'body_font = "/usr/share/fonts/opentype/linux-libertine/LinLibertine_R.otf"\n'}


def interview() -> str:
    chance = random.Random(7)
    lines = ["---", "title: Salt on the Wire", "date: 2025-11-03", "lang: en", "speakers:",
             "  - {id: ruth, name: Ruth Abara, label: Ruth, role: interviewer}",
             "  - {id: tom, name: Tom Barker, label: Tom, role: engineer}", "---", "", "## One", ""]
    notes = []
    for turn in range(60):
        sentences = []
        for _ in range(chance.randint(2, 6)):
            words = " ".join(chance.choice(WORDS) for _ in range(chance.randint(8, 20)))
            if chance.random() < 0.35:
                number = len(notes) + 1
                words += f" zq{number}zq[^{number}]"
                notes.append(f"[^{number}]: nq{number}nq "
                             + " ".join(chance.choice(WORDS) for _ in range(chance.randint(4, 30))) + ".")
            sentences.append(words.capitalize() + ".")
        lines += [("Ruth: " if turn % 2 == 0 else "Tom: ") + " ".join(sentences), ""]
    return "\n".join(lines + notes) + "\n"


def pages_of(pdf: bytes) -> tuple[dict[int, int], dict[int, int]]:
    """The page of each call, and of each note, by number."""
    calls, notes = {}, {}
    for page, content in enumerate(pypdf.PdfReader(io.BytesIO(pdf)).pages, 1):
        text = content.extract_text()
        for found in re.finditer(r"zq(\d+)zq", text):
            calls.setdefault(int(found.group(1)), page)
        for found in re.finditer(r"nq(\d+)nq", text):
            notes.setdefault(int(found.group(1)), page)
    return calls, notes


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    folder = tmp_path_factory.mktemp("notes")
    (folder / "notes.md").write_text(interview(), encoding="utf-8")
    return folder


def build(folder: Path, face: str, paper: str) -> bytes:
    (folder / "taidan.toml").write_text("[style]\n" + FACES[face])
    options = project.find(folder).options(paper=paper)
    m = load(folder / "notes.md", options)
    return produce("print", m, options)["notes.pdf"]


@pytest.mark.parametrize("paper", ["A5", "B6", "A4", "Letter"])
@pytest.mark.parametrize("face", list(FACES))
def test_each_note_on_the_page_of_its_call(book, face, paper):
    written = interview().count("[^") // 2  # each note: one call, one definition
    assert written > 70
    calls, notes = pages_of(build(book, face, paper))
    assert sorted(calls) == sorted(notes) == list(range(1, written + 1))
    assert {n: (calls[n], notes[n]) for n in calls if calls[n] != notes[n]} == {}


def test_without_the_fix_notes_are_lost_or_moved(book):
    """The same book with WeasyPrint's own footnote placement: the test above can fail."""
    with footnotes.disabled():
        calls, notes = pages_of(build(book, "EB Garamond", "B6"))
    assert len(notes) < len(calls) or any(calls[n] != notes.get(n) for n in calls)
