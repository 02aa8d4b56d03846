"""Copied text keeps the manuscript's hyphens: a compound broken at its own hyphen at a
line's end (8-track, 2-inch, twenty-six) survives pdftotext (poppler, behind the copy and
search of many viewers) and pypdf, while a hyphen that hyphenation added at a line's end
still disappears, on every paper."""

from __future__ import annotations

import io
import re
import subprocess

import pypdf
import pytest

from taidan.editions import Options
from taidan.load import load
from taidan.pipeline.build import produce

COMPOUNDS = ["8-track", "2-inch", "twenty-six", "reel-to-reel", "well-known", "half-speed"]
LONG = ["incomprehensible", "characterisations", "extraordinarily", "representatives"]


@pytest.fixture(scope="module")
def manuscript(tmp_path_factory):
    turns = []
    for n in range(24):
        words = (COMPOUNDS * 2)[n % 6:n % 6 + 5] + LONG[n % 4:n % 4 + 2]
        turns.append(("Ruth: " if n % 2 == 0 else "Tom: ")
                     + f"We taped {n} sessions on the " + " and the ".join(words)
                     + " machines in the basement studio, night after night.\n")
    path = tmp_path_factory.mktemp("hyphens") / "tape.md"
    path.write_text("---\ntitle: Tape\ndate: 2025-11-03\nlang: en\nspeakers:\n"
                    "  - {id: ruth, name: Ruth Abara, label: Ruth, role: interviewer}\n"
                    "  - {id: tom, name: Tom Barker, label: Tom, role: engineer}\n---\n\n## One\n\n"
                    + "\n".join(turns), encoding="utf-8")
    return load(path)


@pytest.mark.parametrize("edition,paper", [("print", "A5"), ("print", "B6"), ("print", "Letter"),
                                           ("handout", "A5")])
def test_real_hyphens_survive_and_line_break_hyphens_go(manuscript, edition, paper):
    pdf = next(iter(produce(edition, manuscript, Options(paper=paper)).values()))
    poppler = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True,
                             check=True).stdout.decode("utf-8")
    raw = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    for text in (poppler, raw):
        joined = re.sub(r"\u2010\s*\n", "\u2010", text).replace("\u2010", "-")
        words = set(re.findall(r"[\w-]+", joined))
        assert words >= set(COMPOUNDS)  # every compound, broken at a line's end or not
        assert not {c.replace("-", "") for c in COMPOUNDS} & words  # none joined up
    # the case is there: compounds broken at their own hyphen at a line's end
    assert re.search(r"\w\u2010\n", raw)
    # hyphenation's own hyphens are U+002D at a line's end, which poppler takes away
    assert re.search(r"\w-\n", raw)
    assert set(LONG) <= set(re.findall(r"\w+", poppler))
