"""A long book's print-vertical edition laid out a piece at a time (one Chromium page load
each, its folios and running heads drawn over it after: taidan.editions.print_vertical,
taidan.pipeline.join) is the book laid out whole: the same text on every page, in the same
order and in the same places (folios, running heads, the contents' page numbers), the same
bookmarks, link targets, page labels and tag tree; and the same bytes from build to build.

Places are compared to two hundredths of a point: depending on where in its document a page
falls, Chromium sets its text a few ten-thousandths of a point apart, and a heading's
bookmark may fall one of its layout units (1/64 px, 0.012 pt) apart.
The book is the benchmark's long manuscript (tools/bench.py), each copy of the interview's
sections a part; real builds with the command line; pikepdf and pdftotext read them."""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path

import pikepdf
import pytest

from conftest import INTERVIEW, ROOT, clean_env, run
from test_pieces import _facts, long_manuscript  # the whole-vs-pieces comparison of print

TAIDAN = ROOT / ".venv" / "bin" / "taidan"
COPIES = 24  # about 250 KB of manuscript, 250 vertical pages: eight pieces or so

pytestmark = [pytest.mark.slow, pytest.mark.chromium]


def _build(manuscript: Path, out: Path, pieces: str) -> bytes:
    done = run(TAIDAN, "build", manuscript, "--edition", "print-vertical", "--out", out,
               cwd=manuscript.parent, env=clean_env(TAIDAN_PIECES=pieces))
    assert done.returncode == 0, done.stderr
    return (out / (manuscript.stem + "-vertical.pdf")).read_bytes()


@pytest.fixture(scope="module")
def books(tmp_path_factory):
    """The long book whole, a piece at a time (the default for a long book), and again."""
    work = tmp_path_factory.mktemp("vertical-pieces")
    manuscript = work / "long.md"
    manuscript.write_text(long_manuscript(COPIES, parts=True), encoding="utf-8")
    return {name: _build(manuscript, work / name, pieces)
            for name, pieces in (("whole", "1"), ("pieces", "0"), ("again", "0"))}


def _pdftotext(data: bytes, tmp_path: Path, *options: str) -> str:
    path = tmp_path / "book.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", *options, str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


def _words(data: bytes, tmp_path: Path) -> list[list[tuple]]:
    """Each page's words in the order they are drawn, each (text, xMin, yMin, xMax, yMax)."""
    html = _pdftotext(data, tmp_path, "-raw", "-bbox")
    return [[(word, *map(float, box)) for *box, word in
             re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', page)]
            for page in html.split("<page ")[1:]]


def _close(a, b, tolerance: float = 0.02) -> bool:
    """The same, numbers to within ``tolerance``."""
    if isinstance(a, float) or isinstance(b, float):
        return isinstance(a, (int, float)) and isinstance(b, (int, float)) and abs(a - b) <= tolerance
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_close(x, y, tolerance) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k], tolerance) for k in a)
    return a == b


def test_the_book_a_piece_at_a_time_is_the_book_laid_out_whole(books, tmp_path):
    whole, pieces = books["whole"], books["pieces"]
    assert pikepdf.open(io.BytesIO(whole)).Root.get("/Dests") is not None  # Chromium's own file
    assert pikepdf.open(io.BytesIO(pieces)).Root.get("/Dests") is None  # joined by pikepdf
    texts = [_pdftotext(data, tmp_path, "-raw").split("\f")[:-1] for data in (whole, pieces)]
    assert len(texts[0]) > 200
    assert len(texts[1]) == len(texts[0])
    for number, (a, b) in enumerate(zip(*texts), start=1):
        assert a == b, f"page {number}"
    words = [_words(data, tmp_path) for data in (whole, pieces)]
    for number, (a, b) in enumerate(zip(*words), start=1):
        assert _close(a, b), f"page {number}: a word moved"
    a, b = _facts(whole), _facts(pieces)
    assert len(a["marks"]) >= COPIES * 8  # the parts and sections
    contents = [link for link in a["links"] if link[2].endswith("-h")]  # the contents' links
    assert len(contents) >= COPIES * 8 and max(link[3][0] for link in contents) > len(texts[0]) - 3
    for key in a:
        assert _close(a[key], b[key]), key


def test_the_folios_run_on_and_the_running_heads_follow_the_sections(books, tmp_path):
    # Chromium draws the margin boxes first: a page's text opens with its head and folio
    pages = [page.splitlines() for page in _pdftotext(books["pieces"], tmp_path, "-raw").split("\f")[:-1]]
    n = len(pages)  # the colophon, last, has none
    assert str(n) not in pages[n - 1][:3]
    assert str(n - 1) in pages[n - 2][:4]
    odd = n - 1 if (n - 1) % 2 else n - 2  # in the last section: its title on right-hand pages
    assert pages[odd - 1][0].endswith(f"（{COPIES}）") and str(odd) in pages[odd - 1][:3]
    even = odd - 1  # the book's title on left-hand pages
    assert pages[even - 1][0].startswith("「AIは親切なエイリアン」") and str(even) in pages[even - 1][:4]


def test_the_book_a_piece_at_a_time_is_the_same_bytes_every_time(books):
    assert books["pieces"] == books["again"]


def test_a_short_book_stays_whole(tmp_path):
    """Under twice a piece's share (print_vertical.PIECE_KB) a book is laid out at once:
    Chromium's own file, byte for byte as before."""
    default = _build(INTERVIEW, tmp_path / "default", "0")
    assert default == _build(INTERVIEW, tmp_path / "whole", "1")
    assert pikepdf.open(io.BytesIO(default)).Root.get("/Dests") is not None
