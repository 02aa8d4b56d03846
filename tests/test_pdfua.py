"""PDF/UA-1 for the screen PDFs (the print edition without --press, and the handout) and
``taidan preflight --standard pdf/ua-1``.

taidan's own PDFs are read back with pikepdf and pypdf: the structure tree holds the text
in reading order (a speaker's label before the turn's text), each footnote as a Note just
after its Reference, pictures with their alt text, headings in order; running heads and
folios are artifacts. Each preflight rule is then seen both ways: our files pass, and a file
made to fail (untagged by pandoc and WeasyPrint, a picture without alt text, a skipped
heading level, text outside the tags, a font without ToUnicode ...) is reported with its page.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pikepdf
import pytest
import weasyprint
from pypdf import PdfReader

from taidan.cli import main
from taidan.editions import Options
from taidan.engines.weasyprint import install, tagging
from taidan.errors import EXIT_OK, EXIT_PROBLEMS
from taidan.pipeline.build import build
from taidan.publish.preflight import check

from conftest import INTERVIEW, ROOT
from test_preflight import edited

pytestmark = pytest.mark.slow  # books built, every page's content read

ENGLISH = ROOT / "tests" / "manuscripts" / "english-repair.md"
IMAGE = ROOT / "tests" / "corpus" / "ok-image.md"
UA = "pdf/ua-1"


def found(path: Path) -> list[tuple[int, str]]:
    return [(p.line, p.message) for p in check.problems(path, UA)]


def pdf_of(build_once, edition: str, manuscript: Path = INTERVIEW, **options) -> Path:
    return next(p for p in build_once(edition, manuscript, **options).values() if p.suffix == ".pdf")


# ---- reading a structure tree back ---------------------------------------------------------

def marked_texts(path: Path) -> dict[tuple[int, object], str]:
    """The text of each marked-content sequence: (page index, MCID) -> text; text inside an
    artifact is under (page index, 'Artifact')."""
    texts: dict = {}
    for index, page in enumerate(PdfReader(path).pages):
        stack: list = []

        def before(operator, operands, cm, tm):
            if operator == b"BDC":
                properties = operands[1]
                mcid = properties.get("/MCID") if hasattr(properties, "get") else None
                stack.append("Artifact" if operands[0] == "/Artifact" else mcid)
            elif operator == b"BMC":
                stack.append("Artifact" if operands[0] == "/Artifact" else None)
            elif operator == b"EMC" and stack:
                stack.pop()

        def shown(text, cm, tm, font, size):
            if not text.strip():
                return  # pypdf calls with '' at each text positioning
            if "Artifact" in stack:
                key = "Artifact"
            else:
                key = next((mark for mark in reversed(stack) if mark is not None), None)
            texts[(index, key)] = texts.get((index, key), "") + text

        page.extract_text(visitor_operand_before=before, visitor_text=shown)
    return texts


class Node:
    """A structure element: its type, attributes, children and (for a leaf) its text."""

    def __init__(self, kind: str, element, page: int | None):
        self.kind, self.element, self.page, self.kids, self.own = kind, element, page, [], ""

    @property
    def text(self) -> str:
        return self.own + "".join(kid.text for kid in self.kids)

    def walk(self):
        yield self
        for kid in self.kids:
            yield from kid.walk()


def tree(path: Path) -> Node:
    texts = marked_texts(path)
    with pikepdf.open(path) as pdf:
        pages = {page.objgen: index for index, page in enumerate(pdf.pages)}

        def read(element, page) -> Node:
            if "/Pg" in element:
                page = pages[element.Pg.objgen]
            node = Node(str(element.get("/S")), element, page)
            kids = element.get("/K")
            for kid in (kids if isinstance(kids, pikepdf.Array) else [kids] if kids is not None else []):
                if isinstance(kid, int):
                    node.own += re.sub(r"\s+", "", texts.get((page, int(kid)), ""))
                elif isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
                    node.kids.append(read(kid, page))
            return node

        root = Node("StructTreeRoot", None, None)
        root.kids = [read(kid, None) for kid in pdf.Root.StructTreeRoot.K]
        # keep what the tests read: the attributes as plain values
        for node in root.walk():
            if node.element is not None:
                node.element = {key: str(value) for key, value in node.element.items()
                                if key in ("/Alt", "/ID")}
        return root


# ---- our files -----------------------------------------------------------------------------

@pytest.mark.parametrize("edition", ["print", "handout"])
@pytest.mark.parametrize("manuscript", [INTERVIEW, ENGLISH, IMAGE], ids=lambda p: p.stem)
def test_our_screen_pdfs_pass(build_once, edition, manuscript, capsys):
    pdf = pdf_of(build_once, edition, manuscript)
    assert found(pdf) == []
    assert main(["preflight", "--standard", UA, str(pdf)]) == EXIT_OK
    assert capsys.readouterr().out == f"{pdf}: 0 errors, 0 warnings for pdf/ua-1\n"
    with pikepdf.open(pdf) as opened:
        assert str(opened.open_metadata()["pdfuaid:part"]) == "1"
        assert opened.Root.ViewerPreferences.DisplayDocTitle is True
        assert str(opened.Root.Lang) == ("ja" if manuscript == INTERVIEW else "en")


@pytest.mark.parametrize("paper", ["B6", "A4", "Letter"])
def test_every_paper_passes(build_once, paper):
    assert found(pdf_of(build_once, "print", ENGLISH, paper=paper)) == []


def test_the_press_book_does_not_claim_pdf_ua(build_once):
    # --press is for a print shop (PDF/X): the claim is the screen PDFs'
    with pikepdf.open(pdf_of(build_once, "print", press=True)) as pdf:
        assert "pdfuaid:part" not in pdf.open_metadata()


def test_running_heads_and_folios_are_artifacts(build_once):
    pdf = pdf_of(build_once, "print")
    texts = marked_texts(pdf)
    fifth = re.sub(r"\s+", "", texts[(4, "Artifact")])
    # the running head (the section's title) and the folio, and nothing of them in the tree
    assert fifth == "「日本は最も好きな渡航先、何度も来ている」5"
    tagged = [re.sub(r"\s+", "", text) for (page, key), text in texts.items() if page == 4 and isinstance(key, int)]
    assert tagged.count("「日本は最も好きな渡航先、何度も来ている」") == 1  # the heading, not the head
    assert "5" not in tagged
    # every page's text is in a marked sequence: tagged or artifact, nothing outside
    assert not any(key is None for _, key in texts)


def test_rules_and_label_shapes_are_artifacts(build_once):
    """Every line and filled shape (the speakers' label shapes, the heading bars, the
    footnote rule) is drawn inside an artifact; only text and pictures are tagged."""
    with pikepdf.open(pdf_of(build_once, "print")) as pdf:
        page = pdf.pages[4]  # a section's heading bar, labels, a footnote and its rule
        stack, shapes = [], {"artifact": 0, "tagged": 0}
        for instruction in pikepdf.parse_content_stream(page):
            operator = str(instruction.operator)
            if operator in ("BMC", "BDC"):
                stack.append(str(instruction.operands[0]))
            elif operator == "EMC":
                stack.pop()
            elif operator in ("f", "f*", "S", "s", "B", "b"):
                shapes["artifact" if "/Artifact" in stack else "tagged"] += 1
        assert shapes["tagged"] == 0 and shapes["artifact"] > 5, shapes


@pytest.mark.parametrize("manuscript, texts", [
    (INTERVIEW, ["＊1ショートフィルムの音声より"]),
    (ENGLISH, ["1.Thecrayoninquestionisstillthere:", "2.Okaforkeepsthemarked‐upproofframed",
               "3.Workingtitle.Okaforsaysthename"])], ids=["interview", "english"])
def test_footnotes_are_notes_after_their_references(build_once, manuscript, texts):
    root = tree(pdf_of(build_once, "print", manuscript))
    notes = [node for node in root.walk() if node.kind == "/Note"]
    assert [note.element["/ID"] for note in notes] == [f"note-{n}" for n in range(1, len(texts) + 1)]
    assert all(note.text.startswith(text) for note, text in zip(notes, texts)), [n.text for n in notes]
    for note in notes:  # read where it is called: the Note follows its Reference in the text
        assert note.kids[0].kind == "/Lbl"
        parent = next(node for node in root.walk() if note in node.kids)
        assert parent.kind == "/P"
        before = parent.kids[parent.kids.index(note) - 1]
        assert before.kind == "/Reference"
        assert note.kids[0].text.strip("＊.") == before.text.strip("＊.")  # the call ＊1 (1), the marker ＊1 (1.)


def test_speaker_labels_come_before_their_turns(build_once):
    root = tree(pdf_of(build_once, "print", ENGLISH))
    turns = [node for node in root.walk() if node.kind == "/P"
             and re.match(r"(Quinn|Reyes|Okafor)[A-Z‘“'\"]", node.text)]
    assert len(turns) > 20
    first = next(turn for turn in turns if turn.text.startswith("Quinn"))
    assert first.text.startswith("QuinnLet’sstartwiththeobviousquestion"), first.text[:60]
    # the label is the turn's first element, its text whole
    assert all(turn.kids[0].text in ("Quinn", "Reyes", "Okafor") for turn in turns)


def test_headings_nested_in_order(build_once):
    for manuscript in (INTERVIEW, ENGLISH):
        for edition in ("print", "handout"):
            levels = [int(node.kind[2]) for node in tree(pdf_of(build_once, edition, manuscript)).walk()
                      if re.fullmatch(r"/H[1-6]", node.kind)]
            assert levels[0] == 1
            assert all(b <= a + 1 for a, b in zip(levels, levels[1:])), levels
    english = [node.kind for node in tree(pdf_of(build_once, "print", ENGLISH)).walk() if node.kind.startswith("/H")]
    # the title, the contents, two parts of sections, the contacts
    assert english == ["/H1", "/H2", "/H2", "/H3", "/H3", "/H2", "/H3", "/H3", "/H3", "/H2"]


def test_pictures_have_their_alt_text(build_once):
    for edition in ("print", "handout"):
        figures = [node for node in tree(pdf_of(build_once, edition, IMAGE)).walk() if node.kind == "/Figure"]
        assert [figure.element.get("/Alt") for figure in figures] == ["A small grey square"]


def test_same_bytes_twice(tmp_path):
    twice = [{p.name: p.read_bytes() for p in build([IMAGE], ["print", "handout"], tmp_path / str(n), Options(),
                                                    say=lambda s: None)}
             for n in (1, 2)]
    assert len(twice[0]) == 2 and twice[0] == twice[1]


# ---- each rule, made to fail ---------------------------------------------------------------

TWO_PAGES = """<html lang="en"><head><title>Two pages</title>
<style>@page {{ size: 120mm 90mm; margin: 15mm; @bottom-center {{ content: counter(page) }} }}
body {{ font-family: "EB Garamond" }} .next {{ break-before: page }}</style></head>
<body><h1>One</h1><p>The first page.</p><div class="next">{second}</div></body></html>"""


def made(folder: Path, name: str, second: str = "<h2>Two</h2><p>The second page.</p>",
         variant: str | None = UA, tags: bool = True) -> Path:
    """A two-page PDF from WeasyPrint with taidan's patches, its second page given."""
    install()
    path = folder / f"{name}.pdf"
    weasyprint.HTML(string=TWO_PAGES.format(second=second), base_url=str(folder)).write_pdf(
        path, pdf_variant=variant, pdf_tags=tags)
    return path


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("pdfua")


@pytest.fixture(scope="module")
def clean(folder) -> Path:
    return made(folder, "clean")


def test_the_clean_file_passes(clean):
    assert found(clean) == []


def test_an_untagged_peer_pdf(folder, capsys):
    """pandoc with WeasyPrint, as a writer would make a PDF without taidan: no tags at all."""
    if not shutil.which("pandoc"):
        pytest.skip("pandoc is not installed (tools/setup.sh installs it)")
    peer = folder / "peer.pdf"
    subprocess.run(["pandoc", str(ENGLISH), "-s", "-o", str(peer), "--pdf-engine=weasyprint",
                    "--metadata", "title=Peer"], check=True, capture_output=True,
                   env={"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin"})  # this WeasyPrint
    pages = len(pikepdf.open(peer).pages)
    assert found(peer) == [
        (0, "the file has no XMP metadata"),
        (0, "the file is not tagged (no structure tree)"),
        (0, "MarkInfo does not say Marked true"),
        (0, "the document has no title (dc:title)"),
        (0, "DisplayDocTitle is not true: readers show the file name, not the title"),
        (1, f"content neither tagged nor marked as an artifact, pages 1-{pages}"),
        (2, "the page has links but no Tabs S: they are not in reading order, pages 2, 4, 6"),
        (2, "a link with no description (Contents), pages 2, 4, 6")]
    assert main(["preflight", "--standard", UA, str(peer)]) == EXIT_PROBLEMS
    err = capsys.readouterr().err
    assert f"{peer}:1: content neither tagged nor marked as an artifact, pages 1-{pages} (tag the text" in err


def test_document_keys(clean):
    def stripped(pdf):
        del pdf.Root.Lang
        pdf.Root.ViewerPreferences.DisplayDocTitle = False
        pdf.Root.MarkInfo.Suspects = True
        with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
            del meta["dc:title"]
            del meta["pdfuaid:part"]
    assert found(edited(clean, "stripped", stripped)) == [
        (0, "the file does not say it is PDF/UA-1: no pdfuaid:part in its XMP"),
        (0, "MarkInfo says Suspects true: the tags may not match the content"),
        (0, "the document has no title (dc:title)"),
        (0, "DisplayDocTitle is not true: readers show the file name, not the title"),
        (0, "the document has no language (Lang)")]
    # WeasyPrint's tags without its pdf/ua-1 variant: no XMP, so no dc:title either
    assert found(made(clean.parent, "no-claim", variant=None)) == [
        (0, "the file has no XMP metadata"), (0, "the document has no title (dc:title)")]


def test_a_picture_without_alt_text(folder):
    # WeasyPrint logs the missing alt and writes the Figure without it
    (folder / "grey.png").write_bytes((ROOT / "tests" / "corpus" / "images" / "ok.png").read_bytes())
    assert found(made(folder, "alt", '<p><img src="grey.png" alt="A grey square"></p>')) == []
    assert found(made(folder, "no-alt", '<p><img src="grey.png"></p>')) == [
        (2, "a picture (Figure) has no alternate text (Alt)")]


def test_headings_out_of_order(folder):
    assert found(made(folder, "skipped", "<h3>Three</h3><p>A level skipped.</p>")) == [
        (2, "heading H3 follows H1: a level is skipped")]
    assert found(made(folder, "no-h1", "<h1>Two</h1>")) == []
    first = edited(made(folder, "first", "<h2>Two</h2>"), "first-h2", lambda pdf: _retag(pdf, "/H1", "/H2"))
    assert found(first) == [(1, "the first heading is H2, not H1")]


def _retag(pdf: pikepdf.Pdf, old: str, new: str) -> None:
    for element in _elements(pdf):
        if element.get("/S") == old:
            element.S = pikepdf.Name(new)


def _elements(pdf: pikepdf.Pdf):
    todo = list(pdf.Root.StructTreeRoot.K)
    while todo:
        element = todo.pop(0)
        if isinstance(element, pikepdf.Dictionary) and "/S" in element:
            yield element
            kids = element.get("/K")
            todo.extend(kids if isinstance(kids, pikepdf.Array) else [kids])


def add_content(pdf: pikepdf.Pdf, page: int, operators: bytes) -> None:
    pdf.pages[page].contents_add(pdf.make_stream(operators), prepend=False)


def test_content_outside_the_tags(clean):
    font = b"/" + next(iter(pdf_fonts(clean))).encode()
    text = b"BT " + font + b" 12 Tf 40 40 Td (x) Tj ET"
    assert found(edited(clean, "untagged", lambda pdf: add_content(pdf, 1, text))) == [
        (2, "content neither tagged nor marked as an artifact")]
    rule = b"0 0 m 100 0 l S"
    assert found(edited(clean, "untagged-rule", lambda pdf: add_content(pdf, 0, rule))) == [
        (1, "content neither tagged nor marked as an artifact")]
    # marked with an MCID that no element holds (WeasyPrint's own margin boxes: see below)
    assert found(edited(clean, "orphan", lambda pdf: add_content(pdf, 1, b"/Span <</MCID 99>> BDC " + rule + b" EMC"))) == [
        (2, "marked content that no element of the structure tree holds")]
    assert found(edited(clean, "nested", lambda pdf: add_content(
        pdf, 0, b"/Artifact BMC /P <</MCID 0>> BDC " + rule + b" EMC EMC"))) == [
        (1, "tagged content inside an artifact")]
    assert found(edited(clean, "nested-artifact", lambda pdf: add_content(
        pdf, 0, b"/P <</MCID 0>> BDC /Artifact BMC " + rule + b" EMC EMC"))) == [
        (1, "an artifact inside tagged content")]
    # and the same drawn as an artifact passes
    assert found(edited(clean, "artifact", lambda pdf: add_content(pdf, 1, b"/Artifact BMC " + rule + b" EMC"))) == []


def pdf_fonts(path: Path) -> list[str]:
    with pikepdf.open(path) as pdf:
        return [str(key).lstrip("/") for key in pdf.pages[0].Resources.Font.keys()]


def test_weasyprints_own_margin_boxes_are_in_no_tree(folder):
    """Without taidan's tagging patch, the folio is marked content the tree does not hold."""
    with tagging.disabled():
        stock = made(folder, "stock")
    assert found(stock) == [(1, "marked content that no element of the structure tree holds, pages 1-2")]
    assert found(made(folder, "patched")) == []
    # a margin box with opacity is drawn in a group (a Form XObject) of its own: an artifact too
    faded = made(folder, "faded", '<h2>Two</h2><style>@page { @top-center { content: "Head"; opacity: .5 } }</style>')
    assert found(faded) == []
    assert "Head" in marked_texts(faded).get((1, "Artifact"), "")


def test_notes_have_ids_each_its_own(build_once, tmp_path):
    book = shutil.copy(pdf_of(build_once, "print", ENGLISH), tmp_path / "book.pdf")

    def ids(value):
        def change(pdf):
            for element in _elements(pdf):
                if element.get("/S") == "/Note":
                    if value is None:
                        del element.ID
                    else:
                        element.ID = pikepdf.String(value)
        return change
    assert found(edited(book, "no-id", ids(None))) == [(7, "a footnote (Note) has no ID, pages 7, 10-11")]
    assert found(edited(book, "same-id", ids("note-1"))) == [
        (10, "two footnotes (Note) share the ID 'note-1', pages 10-11")]


def test_a_font_without_to_unicode(clean):
    def strip(pdf):
        for font in pdf.pages[1].Resources.Font.values():
            del font.ToUnicode
    fonts = pdf_fonts(clean)
    found_here = found(edited(clean, "no-unicode", strip))
    # WeasyPrint's pages share one resource dictionary: each font is reported on page 1
    assert len(found_here) == len(fonts) > 0
    assert all(page == 1 and message.endswith(" has no ToUnicode map: its text cannot be read aloud or copied")
               for page, message in found_here), found_here


def test_links(folder):
    linked = made(folder, "linked", '<h2>Two</h2><p><a href="https://example.org/">A link</a></p>')
    assert found(linked) == []

    def bare(pdf):
        del pdf.pages[1].obj.Tabs
        for annotation in pdf.pages[1].Annots:
            del annotation.Contents
    assert found(edited(linked, "bare-link", bare)) == [
        (2, "the page has links but no Tabs S: they are not in reading order"),
        (2, "a link with no description (Contents)")]
