"""The PDF editions (print, handout) of the interview, read back from the real PDFs with
pdftotext, pdffonts and pypdf."""

from __future__ import annotations

import re
import subprocess
import unicodedata
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont
from pypdf import PdfReader

from taidan.editions import Options, edition
from taidan.engines.fonts import font
from taidan.model import plain_text

from conftest import SOURCE
from pdfread import (body_lines, body_text, fonts, kinsoku_faults, missing_in_order,
                     normal, pages, rows, source_sentences, text_band)

MM = 72 / 25.4
FILES = {"print": "interview-2025-10-06.pdf", "handout": "interview-2025-10-06-handout.pdf"}


@pytest.fixture(scope="session")
def pdf(build_once):
    return lambda name, **options: build_once(name, **options)[FILES[name]]


@pytest.fixture(scope="session")
def doc(pdf):
    cache = {}

    def read(name, **options):
        key = (name, tuple(sorted(options.items())))
        if key not in cache:
            cache[key] = pages(pdf(name, **options))
        return cache[key]

    return read


def labels(m):
    return [sp.label for sp in m.speakers]


# ---- the text, whole and well broken ---------------------------------------------------

def test_reading_order_check_notices_a_swap_and_a_loss():
    assert missing_in_order(["あ。", "い。"], "あ。い。") == []
    assert missing_in_order(["あ。", "い。"], "い。あ。") == ["い。"]
    assert missing_in_order(["あ。", "う。"], "あ。い。") == ["う。"]


@pytest.mark.parametrize("name", ["print", "handout"])
def test_every_sentence_of_the_interview_appears_in_order(name, doc, interview):
    sentences = source_sentences(SOURCE, labels(interview))
    assert len(sentences) > 80
    assert missing_in_order(sentences, body_text(doc(name))) == []


@pytest.mark.parametrize("name", ["print", "handout"])
def test_no_line_breaks_against_japanese_rules(name, doc):
    lines = [line for page in doc(name) for line in page.lines]
    assert len(lines) > 150
    assert kinsoku_faults(doc(name)) == []


@pytest.mark.parametrize("name, families", [
    ("print", {"BIZ-UDPMincho", "BIZ-UDPGothic-Bold"}),  # Gothic in bold only: smaller PDFs
    ("handout", {"BIZ-UDPGothic", "BIZ-UDPGothic-Bold"}),
])
def test_fonts_are_the_biz_ud_faces_embedded_as_subsets(name, families, pdf):
    found = fonts(pdf(name))
    assert {f.name.split("+", 1)[1] for f in found} == families  # no fallback face crept in
    for f in found:
        assert f.embedded and f.subset and f.unicode, f
        assert re.fullmatch(r"[A-Z]{6}\+.+", f.name), f.name


@pytest.fixture(scope="session")
def biz_ud_characters():
    chars = set()
    for role in ("mincho", "gothic", "gothic-bold"):
        chars |= {chr(code) for code in TTFont(font(role), lazy=True).getBestCmap()}
    return chars


@pytest.mark.parametrize("name", ["print", "handout"])
def test_every_character_has_a_glyph(name, pdf, biz_ud_characters):
    text = subprocess.run(["pdftotext", str(pdf(name)), "-"], check=True,
                          capture_output=True, text=True).stdout
    assert "\ufffd" not in text
    shown = {c for c in text if not c.isspace() and unicodedata.category(c) != "Cc"}
    # every character the PDF shows is one the BIZ UD faces draw (no .notdef, no tofu)
    assert shown - biz_ud_characters == set()
    assert len(shown) > 300


# ---- the book: pages, heads, contents, bookmarks ---------------------------------------

def test_print_is_a5_with_a_title_page_contents_text_and_colophon(doc, interview):
    book = doc("print")
    assert all(abs(p.width - 148 * MM) < 0.5 and abs(p.height - 210 * MM) < 0.5 for p in book)
    title = " ".join(line.text for line in book[0].lines)
    meta = interview.meta
    for part in [meta.kicker, meta.title, meta.subtitle, *(c.name for c in meta.credits),
                 *(sp.name for sp in interview.speakers)]:
        assert normal(part) in normal(title)
    for sp in interview.speakers:
        assert normal(sp.role) in normal(title)
    assert not any(line.text.isdigit() for line in book[0].lines)  # no folio on the title page
    assert normal(book[2].lines[0].text) == "目次"
    colophon = normal("".join(line.text for line in book[-1].lines))
    assert normal(meta.title) in colophon and normal(meta.written_date) in colophon
    assert normal(meta.publisher) in colophon


def test_folios_and_running_heads(doc, interview):
    book = doc("print")
    sections = {normal(s.title_text) for s in interview.sections}
    text_pages = 0
    for number, page in enumerate(book, 1):
        if not page.lines or number in (1, len(book)):
            assert not any(line.text.isdigit() for line in page.lines)
            continue  # blank pages, the title page and the colophon: no head, no folio
        folio = page.lines[-1]
        assert folio.text == str(number), (number, folio.text)
        assert folio.y0 > page.height * 0.88
        if normal(page.lines[0].text) == "目次":
            continue  # the contents page carries no running head
        head = page.lines[0]
        assert head.y1 < page.height * 0.09
        expected = {normal(interview.meta.title)} if number % 2 == 0 else sections
        assert normal(head.text) in expected, (number, head.text)
        text_pages += 1
    assert text_pages >= 4


@pytest.fixture(scope="session")
def outline(pdf):
    reader = PdfReader(pdf("print"))

    def walk(items, level):
        for item in items:
            if isinstance(item, list):
                yield from walk(item, level + 1)
            else:
                yield level, item.title, reader.get_destination_page_number(item) + 1

    return list(walk(reader.outline, 0))


def test_bookmarks_are_the_parts_and_sections(outline, interview):
    expected = []
    for part in interview.parts:
        if part.title:
            expected.append((0, part.title_text))
        expected += [(1 if part.title else 0, s.title_text) for s in part.sections]
    assert [(level, title) for level, title, _ in outline] == expected


def test_bookmarks_lead_to_the_pages_the_headings_are_on(outline, doc):
    book = doc("print")
    band = text_band(book)
    for _, title, page in outline:
        heading = [line for line in body_lines(book[page - 1], band) if normal(line.text) == normal(title)]
        assert heading, (title, page)


def test_contents_page_numbers_match_the_pages_sections_start_on(outline, doc):
    contents = doc("print")[2]
    entries = {}
    for row in rows(contents.lines[1:-1]):
        match = re.fullmatch(r"(.+?)[.\s]*(\d+)", " ".join(line.spaced for line in row))
        entries[normal(match[1])] = int(match[2])
    assert entries == {normal(title): page for _, title, page in outline}


def test_footnote_sits_at_the_foot_of_the_page_of_its_call(doc, interview):
    book = doc("print")
    band = text_band(book)
    body = band.body
    note = normal(plain_text(interview.notes[0].inlines))
    [(page, line)] = [(p, ln) for p in book for ln in p.lines if note in normal(ln.text)]
    text = body_lines(page, band)
    assert line.y0 > max(ln.y1 for ln in text)  # below the last line of text
    assert line.y1 < page.lines[-1].y0  # above the folio
    assert normal(line.text).startswith("*1")
    assert any(normal(ln.text) == "*1" and ln.height < body * 0.6 for ln in page.lines)  # the call


def test_each_speakers_first_turn_gives_full_name_and_role(doc, interview):
    text = body_text(doc("print"))
    for sp in interview.speakers:
        first = next(b for s in interview.sections for b in s.blocks
                     if b.kind == "turn" and b.speaker == sp)
        opening = normal(first.paragraphs[0][-1].text)[:12]
        at = text.index(normal(sp.name + sp.role) + normal(sp.label))
        assert text.index(opening) > at


# ---- the PDF as a file ------------------------------------------------------------------

@pytest.mark.parametrize("name", ["print", "handout"])
def test_metadata_language_and_structure_tree(name, pdf, interview):
    reader = PdfReader(pdf(name))
    info = reader.metadata
    assert info.title == interview.meta.title
    assert info.subject == interview.meta.subtitle
    for sp in interview.speakers:
        assert sp.name in info.author
    assert info["/CreationDate"] == "D:20251006000000Z"
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "ja"
    assert root["/MarkInfo"]["/Marked"]
    tree = root["/StructTreeRoot"].get_object()
    tags = set()

    def walk(node, depth=0):
        node = node.get_object() if hasattr(node, "get_object") else node
        if isinstance(node, list):
            for kid in node:
                walk(kid, depth)
        elif hasattr(node, "get") and depth < 12:
            if "/S" in node:
                tags.add(node["/S"])
            if "/K" in node:
                walk(node["/K"], depth + 1)

    walk(tree)
    assert {"/P", "/H1", "/H2"} <= tags


def test_same_manuscript_same_bytes(pdf, interview):
    again = edition("print").produce(interview, Options())
    assert again[FILES["print"]] == pdf("print").read_bytes()


def test_press_gives_3mm_bleed_and_crop_marks(pdf, doc):
    press = pdf("print", press=True)
    reader = PdfReader(press)
    assert len(reader.pages) == len(doc("print"))
    for page in reader.pages:
        trim, bleed, media = page.trimbox, page.bleedbox, page.mediabox
        assert abs(trim.width - 148 * MM) < 0.5 and abs(trim.height - 210 * MM) < 0.5
        grown = (trim.left - 3 * MM, trim.bottom - 3 * MM, trim.right + 3 * MM, trim.top + 3 * MM)
        for edge, expected in zip((bleed.left, bleed.bottom, bleed.right, bleed.top), grown):
            assert abs(float(edge) - float(expected)) < 0.01
        assert media.width >= bleed.width + 18 * MM and media.height >= bleed.height + 18 * MM
    # trim marks: ink beyond the bleed at the corner (10 to 13 mm from the media's edge),
    # where the plain edition has no page at all
    assert _corner_ink(press) > 0


def _corner_ink(path: Path) -> int:
    """Dark pixels in the top-left 13 x 13 mm corner of the first page's media box."""
    from io import BytesIO

    from PIL import Image

    pgm = subprocess.run(["pdftoppm", "-r", "150", "-gray", "-f", "1", "-l", "1", str(path)],
                         check=True, capture_output=True).stdout
    with Image.open(BytesIO(pgm)) as image:
        side = round(13 / 25.4 * 150)
        corner = image.crop((0, 0, side, side))
        return sum(corner.histogram()[:128])


def test_b6_paper(pdf, doc, interview):
    book = doc("print", paper="B6")
    assert all(abs(p.width - 128 * MM) < 0.5 and abs(p.height - 182 * MM) < 0.5 for p in book)
    assert len(book) > len(doc("print"))
    assert missing_in_order(source_sentences(SOURCE, labels(interview)), body_text(book)) == []


# ---- the handout -----------------------------------------------------------------------

def test_handout_is_a4_with_masthead_and_footer(doc, interview):
    sheets = doc("handout")
    assert 1 <= len(sheets) <= 2  # the interview fits on both sides of one sheet
    assert all(abs(p.width - 210 * MM) < 0.5 and abs(p.height - 297 * MM) < 0.5 for p in sheets)
    top = normal("".join(line.text for line in sheets[0].lines[:12]))
    meta = interview.meta
    for part in [meta.kicker, meta.title, meta.written_date,
                 *(sp.name for sp in interview.speakers), *(sp.role for sp in interview.speakers)]:
        assert normal(part) in top
    for number, page in enumerate(sheets, 1):
        foot = [line for line in page.lines if line.y0 > page.height * 0.94]
        foot_text = normal("".join(line.text for line in foot))
        assert foot_text.endswith(f"{number}/{len(sheets)}")
        assert normal(meta.publisher) in foot_text
        assert all(normal(c.name) in foot_text for c in meta.credits)


def test_handout_is_set_in_two_columns(doc):
    sheets = doc("handout")
    band = text_band(sheets)
    for page in sheets:
        text = [line for line in body_lines(page, band) if line.height < band.body * 1.05]
        left = [ln for ln in text if ln.x1 < page.width / 2]
        right = [ln for ln in text if ln.x0 > page.width / 2]
        assert len(left) > 20 and len(right) > 20


# ---- pictures for people to look at -----------------------------------------------------

@pytest.mark.parametrize("name, first_pages", [("print", 6), ("handout", 2)])
def test_page_images_for_review(name, first_pages, pdf, artefacts):
    for old in artefacts.glob(f"{name}-page-*.png"):
        old.unlink()
    subprocess.run(["pdftoppm", "-r", "60", "-png", "-f", "1", "-l", str(first_pages),
                    str(pdf(name)), str(artefacts / f"{name}-page")], check=True)
    images = sorted(artefacts.glob(f"{name}-page-*.png"))
    assert len(images) == first_pages
    from PIL import Image

    with Image.open(images[-1]) as image:
        grey = image.convert("L")
        assert grey.getextrema()[0] < 60  # text is drawn on the page


# ---- other manuscripts: ruby, a Latin label, English ------------------------------------

SMALL = """---
title: ルビの試し
subtitle: 小さな原稿
date: 2025-01-02
lang: {lang}
publisher: taidan
speakers:
  - {{id: yamada, name: 山田太郎, label: 山田, role: 編集者}}
  - {{id: jane, name: Jane Doe, label: Jane, role: Writer}}
---

## {heading}

山田：{{機械学習|きかいがくしゅう}}と{{漢字|かん|じ}}の話です。((笑))

Jane: Plain English in the same book, set in the Latin of the Mincho.

![黒い枠だけの図](fig.png "図1 枠")
"""


@pytest.fixture(scope="session")
def small(tmp_path_factory, build_once):
    def make(lang, heading):
        folder = tmp_path_factory.mktemp(f"small-{lang}")
        path = folder / "small.md"
        path.write_text(SMALL.format(lang=lang, heading=heading), encoding="utf-8")
        from PIL import Image, ImageDraw

        figure = Image.new("RGB", (240, 160), "white")
        ImageDraw.Draw(figure).rectangle((20, 20, 220, 140), outline="black", width=6)
        figure.save(folder / "fig.png")
        built = build_once("print", manuscript=path)["small.pdf"]
        return pages(built), built

    return make


def test_ruby_sits_above_its_base(small):
    book, _ = small("ja", "一")
    lines = [line for page in book for line in page.lines]
    base = next(line for line in lines if "機械学習" in line.text)
    for reading in ("きかいがくしゅう", "かん", "じ"):  # group ruby, then mono ruby
        [rt] = [line for line in lines if reading in line.spaced.split()]
        assert rt.y1 <= base.y0 + 1 and base.y0 - rt.y1 < base.height  # just above the line
        assert rt.height < base.height * 0.6
        assert base.x0 <= rt.x0 and rt.x1 <= base.x1
    text = body_text(book)
    assert "機械学習と漢字の話です。(笑)" in text  # readings out of the text, base intact


def test_an_english_manuscript_uses_english_words(small):
    book, _ = small("en", "One")
    contents = " ".join(line.spaced for page in book for line in page.lines)
    assert "Speakers" in contents and "Colophon" not in contents  # the colophon has no title
    assert "Plain English in the same book" in contents


@pytest.mark.parametrize("name", ["print", "handout"])
def test_speakers_labels_differ_in_shape(name, pdf, doc, interview):
    """The speakers' list shows each label in its shape (the house style's list): the rules
    drawn around the labels differ, so greyscale printing keeps the speakers apart."""
    from pdfread import filled_sides, rules_around

    first = doc(name)[0]
    sides = filled_sides(pdf(name), 1)
    shapes = []
    for sp in interview.speakers:
        label = min((line for line in first.lines if line.text == sp.label),
                    key=lambda line: line.y0)  # the list comes first
        em = label.height
        shapes.append(rules_around((label.x0, label.y0, label.x1, label.y1), sides,
                                   (label.x0 - 2 * em, label.y0 - em, label.x1 + 1.5 * em, label.y1 + em)))
    assert all(shapes) and len(set(shapes)) == len(shapes), shapes


def test_an_image_beside_the_manuscript_is_placed_with_its_caption(small):
    book, built = small("ja", "一")
    listing = subprocess.run(["pdfimages", "-list", str(built)], check=True, capture_output=True,
                             text=True).stdout.splitlines()[2:]
    assert [row.split()[3:5] for row in listing] == [["240", "160"]]
    assert any(normal(line.text) == normal("図1 枠") for page in book for line in page.lines)


def test_labels_form_a_column_and_turns_hang_beside_them(doc, interview):
    book = doc("print")
    band = text_band(book)
    labels = {sp.label for sp in interview.speakers}
    centres, turns = set(), 0
    for page in book[1:]:  # after the title page's list of speakers
        lines = body_lines(page, band)
        for label, first, second in zip(lines, lines[1:], lines[2:]):
            if label.text not in labels or label.height >= band.body:
                continue
            centres.add((page.lines[-1].x0 > page.width / 2, round((label.x0 + label.x1) / 2)))
            assert first.x0 > label.x1  # the text starts beside the label ...
            if second.height >= band.body * 0.95 and second.text not in labels:
                assert second.x0 > label.x1  # ... and its next line hangs beside it too
            turns += 1
    assert turns == sum(1 for s in interview.sections for b in s.blocks if b.kind == "turn")
    for right in (True, False):  # one column of names on right pages, one on left pages
        xs = [x for side, x in centres if side == right]
        assert xs and max(xs) - min(xs) <= 1, centres


NOTES = """---
title: T
date: 2024-02-29
lang: en
speakers:
  - {id: ann, name: Ann Lee, label: Ann, role: Host}
---

## One

Ann: Time. Future![^1] Future. Talk.[^2] Naive learning![^3]

[^1]: word.

[^2]: two.

[^3]: three.
"""


def test_every_note_is_printed_on_the_page_of_its_call(tmp_path_factory, build_once):
    """WeasyPrint 70 took rounding for an overflow of the footnote area (A5, this book's
    sizes): one note was printed, the next on the colophon, the last nowhere
    (taidan.engines.weasyprint.footnotes)."""
    path = tmp_path_factory.mktemp("notes") / "notes.md"
    path.write_text(NOTES, encoding="utf-8")
    book = pages(build_once("print", manuscript=path)["notes.pdf"])
    [page] = [page for page in book if any("Naive" in line.text for line in page.lines)]
    def notes(page):
        return [line.spaced for line in page.lines if re.match(r"\d\. ", line.spaced)]

    assert notes(page) == ["1. word.", "2. two.", "3. three."], [notes(p) for p in book]


LONG_LABELS = """---
title: A Conversation
date: 2025-01-02
lang: en
speakers:
  - {id: q, name: The Interviewer, label: Interviewer, role: Magazine}
  - {id: s, name: Sam Altman, label: Altman, role: OpenAI CEO}
---

## One

Interviewer: Why Japan, and why now? Tell us about the trip and what you hope to find here.

Altman: Japan adopted AI early. It is the second-largest market in the world for us, and
the creative work here is extraordinary.
"""


def test_long_labels_run_in_instead_of_a_column(tmp_path_factory, build_once):
    path = tmp_path_factory.mktemp("long-labels") / "long.md"
    path.write_text(LONG_LABELS, encoding="utf-8")
    book = pages(build_once("print", manuscript=path)["long.pdf"])
    band = text_band(book)
    lines = [line for page in book[1:] for line in body_lines(page, band)]
    for name in ("Interviewer", "Altman"):
        # the label and its turn make one line; the next line goes back to the margin
        i = next(i for i, line in enumerate(lines) if line.text.startswith(name + "Why")
                 or line.text.startswith(name + "Japan"))
        # (within the label's own rule and padding: a bar is .45 em wide)
        assert abs(lines[i + 1].x0 - lines[i].x0) < band.body * 0.8, (lines[i], lines[i + 1])
