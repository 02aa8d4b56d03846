"""A long book's print edition laid out in pieces on every core and joined
(taidan.pipeline.pieces, taidan.pipeline.join) is the book laid out whole: the same text on
every page (folios, running heads, footnote numbers, the contents' page numbers), the same
bookmarks, link targets, page labels and tag tree; and the same bytes from build to build.

The book is the benchmark's long manuscript (tools/bench.py), about 300 pages, each copy of
the interview's sections a part. Real builds with the command line; pikepdf and pdftotext
read what they make."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pikepdf
import pytest

from taidan.publish.preflight import check

from conftest import INTERVIEW, ROOT, clean_env, run

sys.path.insert(0, str(ROOT / "tools"))
from bench import long_manuscript  # noqa: E402 - the benchmark's own long book (tools/bench.py)

sys.path.remove(str(ROOT / "tools"))

TAIDAN = ROOT / ".venv" / "bin" / "taidan"
COPIES = 46  # about 300 pages of the print edition (6.4 a copy)

pytestmark = pytest.mark.slow


def _build(manuscript: Path, out: Path, pieces: int, edition: str = "print") -> bytes:
    done = run(TAIDAN, "build", manuscript, "--edition", edition, "--out", out, cwd=manuscript.parent,
               env=clean_env(TAIDAN_PIECES=str(pieces)))
    assert done.returncode == 0, done.stderr
    return (out / (manuscript.stem + ("-handout" if edition == "handout" else "") + ".pdf")).read_bytes()


@pytest.fixture(scope="module", params=["print", "handout"])
def books(request, tmp_path_factory):
    """The long book whole, in three pieces of text (the print edition: and its front), and
    in three again."""
    work = tmp_path_factory.mktemp("pieces")
    manuscript = work / "long.md"
    manuscript.write_text(long_manuscript(COPIES, parts=True), encoding="utf-8")
    built = {name: _build(manuscript, work / name, pieces, request.param)
             for name, pieces in (("whole", 1), ("pieces", 3), ("again", 3))}
    return {"edition": request.param, **built}


def _texts(data: bytes, tmp_path: Path) -> list[str]:
    path = tmp_path / "book.pdf"
    path.write_bytes(data)
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True)
    return out.stdout.split("\f")[:-1]  # one form feed after each page


def _facts(data: bytes) -> dict:
    """What a reader's software reads besides the text, with pages as numbers."""
    import io

    pdf = pikepdf.open(io.BytesIO(data))
    page_of = {page.obj.objgen: i for i, page in enumerate(pdf.pages)}
    names = pdf.Root.get("/Names", {}).get("/Dests", {}).get("/Names", [])
    named = [(str(name), dest) for name, dest in zip(names[::2], names[1::2])]
    named += [(name[1:], dest) for name, dest in pdf.Root.get("/Dests", {}).items()]  # Chromium's
    dests = {name: (page_of[dest[0].objgen], [float(v) for v in list(dest)[2:4]]) for name, dest in named}
    marks = []

    def walk(items, level):
        for item in items:
            dest = item.destination
            marks.append((level, str(item.title), page_of[dest[0].objgen], [float(v) for v in list(dest)[2:4]]))
            walk(item.children, level + 1)

    with pdf.open_outline() as outline:
        walk(outline.root, 1)
    links = []
    for i, page in enumerate(pdf.pages):
        for annotation in page.obj.get("/Annots", []):
            target = str(annotation.Dest).lstrip("/") if "/Dest" in annotation else str(annotation.A.URI)
            links.append((i, [round(float(v), 2) for v in annotation.Rect], target, dests.get(target)))
    tags = []

    def tree(element, depth):
        page = element.get("/Pg")
        tags.append((depth, str(element.S), page_of[page.objgen] if page is not None else None))
        kids = element.get("/K")
        for kid in (kids if isinstance(kids, pikepdf.Array) else [kids] if kids is not None else []):
            if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
                tree(kid, depth + 1)
            elif isinstance(kid, pikepdf.Dictionary) and "/Obj" in kid:
                tags.append((depth + 1, "link", page_of[kid.Pg.objgen]))
            elif isinstance(kid, pikepdf.Dictionary):  # a marked-content reference
                tags.append((depth + 1, "content", int(kid.MCID), page_of[kid.Pg.objgen]))
            else:
                tags.append((depth + 1, "content", int(kid)))
    top = pdf.Root.StructTreeRoot.K
    tree(top if isinstance(top, pikepdf.Dictionary) else top[0], 0)  # Chromium's / WeasyPrint's
    return {"marks": marks, "links": links, "labels": repr(pdf.Root.get("/PageLabels")), "tags": tags,
            "lang": str(pdf.Root.Lang), "info": {k: str(v) for k, v in pdf.docinfo.items()},
            "joined": "/ID" in pdf.trailer}  # pikepdf writes an /ID, WeasyPrint none


def test_the_book_in_pieces_is_the_book_laid_out_whole(books, tmp_path):
    whole, pieces = _texts(books["whole"], tmp_path), _texts(books["pieces"], tmp_path)
    assert len(whole) > 60  # the print edition: about 300 pages, the handout (A4, two columns) 80
    assert len(pieces) == len(whole)
    for number, (a, b) in enumerate(zip(whole, pieces), start=1):
        assert a == b, f"page {number}"
    # what the text shows: folios run on, heads carried over, notes numbered on, contents right
    assert f"＊{COPIES}" in "".join(whole)  # the last footnote's number
    a, b = _facts(books["whole"]), _facts(books["pieces"])
    assert (a.pop("joined"), b.pop("joined")) == (False, True)  # really laid out in pieces
    assert len(a["marks"]) >= COPIES * 8  # the parts and sections (the handout: and the title)
    assert all(link[3] is not None for link in a["links"] if not link[2].startswith("http"))
    if books["edition"] == "print":  # the contents links into the later pieces
        assert any(link[3] and link[3][0] > len(whole) / 2 for link in b["links"])
    for key in a:
        assert a[key] == b[key], key


def test_the_book_in_pieces_is_pdf_ua(books, tmp_path):
    # the joined file keeps the claim (XMP), the language, one structure tree and its artifacts
    joined = tmp_path / "pieces.pdf"
    joined.write_bytes(books["pieces"])
    assert check.problems(joined, "pdf/ua-1") == []


def test_the_book_in_pieces_is_the_same_bytes_every_time(books):
    assert books["pieces"] == books["again"]


def test_the_last_folio_is_the_page_count(books, tmp_path):
    text = _texts(books["pieces"], tmp_path)
    if books["edition"] == "handout":  # "page / pages" on every page
        assert text[-1].split()[-3:] == [str(len(text)), "/", str(len(text))]
        return
    # the print edition: the colophon has none; the last page with a folio before it
    number = max(i for i, page in enumerate(text[:-1], start=1) if page.split())
    assert text[number - 1].split()[-1] == str(number)
    assert number >= len(text) - 2


def test_a_shorter_book_stays_whole(tmp_path):
    """A book of parts under the threshold (taidan.pipeline.pieces.MIN_KB) is laid out in one
    piece: WeasyPrint's own bytes, which pikepdf never rewrote."""
    manuscript = tmp_path / "shorter.md"
    manuscript.write_text(long_manuscript(6, parts=True), encoding="utf-8")  # about 60 KB
    default = _build(manuscript, tmp_path / "default", 0)
    assert b"/ID" not in default[-2000:]  # no trailer of pikepdf's
    assert default == _build(manuscript, tmp_path / "whole", 1)
