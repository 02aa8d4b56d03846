"""An English book reads like a good English book on every paper: its lines hold about 45
to 75 characters (a book's measure), not the 90 to 100 a Letter or A4 page gave one
column of 11.5 pt type. Counted on the text pages of tests/manuscripts/english-repair.md,
from pdftotext's lines."""

from __future__ import annotations

import statistics
import subprocess

import pypdf
import pytest

from taidan.editions import Options
from taidan.load import load

from conftest import ROOT
from taidan.pipeline.build import produce

BOOK = ROOT / "tests" / "manuscripts" / "english-repair.md"


@pytest.mark.parametrize("paper", ["A5", "B6", "A4", "Letter"])
def test_lines_hold_a_books_measure(tmp_path, paper):
    pdf = tmp_path / "book.pdf"
    pdf.write_bytes(produce("print", load(BOOK), Options(paper=paper))["english-repair.pdf"])
    last = len(pypdf.PdfReader(pdf).pages) - 1  # the colophon
    text = subprocess.run(["pdftotext", "-raw", "-f", "6", "-l", str(last), str(pdf), "-"],
                          capture_output=True, text=True, check=True).stdout
    # a full line of text: long, and not a contents line or a heading
    lines = [line for line in text.split("\n") if len(line) > 40 and "...." not in line]
    assert len(lines) > 50
    assert 45 <= statistics.median(map(len, lines)) <= 75, (paper, statistics.median(map(len, lines)))
