"""The vertical print edition (print-vertical): read back from the real PDF Chromium makes.

The interview is built once at A5 and a small manuscript of every inline feature once at
B6; a third build of the interview checks that equal input gives byte-identical output.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import subprocess
import threading
import time
import unicodedata
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from xml.etree import ElementTree

import pytest
from PIL import Image
from pypdf import PdfReader

from conftest import ROOT, SOURCE
from pdfread import missing_in_order
from taidan.pipeline import guard
from taidan.editions import Options, print_vertical
from taidan.engines import chromium
from taidan.editions.print_vertical import text_runs, vertical_quotes
from taidan.engines.fonts import font

pytestmark = [pytest.mark.chromium]  # the edition is Chromium's

MM = 72 / 25.4

FEATURES = """\
---
title: 縦組みの見本
date: 2024-03-09
lang: ja
speakers:
  - {id: a, name: 青木一郎, label: 青木, role: 編集者}
  - {id: b, name: 馬場花子, label: 馬場, role: 作家}
---

## 最初の節

青木：これは{縦組|たてぐ}みの見本です。2021年^12^月に、《《大切》》な話をしました[^a]。GPT-4は3.5倍!?

馬場：{漢字|かん|じ}の読みは右に付きます。第7回の会合は100人でした。

## 次の節

青木：二つ目の節にも注があります[^b]。

[^a]: 一つ目の注の本文です。
[^b]: 二つ目の注の本文です。
"""


# ---- helpers: everything is read from the PDF -------------------------------------------

def squash(text: str) -> str:
    """What the comparison sees: NFKC, no whitespace."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def run(*args) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def page_size(pdf: Path) -> tuple[float, float]:
    box = PdfReader(pdf).pages[0].mediabox
    return float(box.width), float(box.height)


def text_block(pdf: Path) -> str:
    """The text of every page in content order (pdftotext -raw), running heads and page
    numbers cropped away: they sit in the top and bottom margins."""
    width, height = page_size(pdf)
    pages = len(PdfReader(pdf).pages)
    top, bottom = int(height * 0.12), int(height * 0.86)
    return "".join(
        run("pdftotext", "-raw", "-f", str(p), "-l", str(p), "-x", "0", "-y", str(top),
            "-W", str(int(width)), "-H", str(bottom - top), str(pdf), "-")
        for p in range(1, pages + 1))


def margin_text(pdf: Path, page: int, where: str) -> str:
    width, height = page_size(pdf)
    y, h = (0, int(height * 0.12)) if where == "top" else (int(height * 0.86), int(height * 0.14))
    return squash(run("pdftotext", "-raw", "-f", str(page), "-l", str(page), "-x", "0",
                      "-y", str(y), "-W", str(int(width)), "-H", str(h), str(pdf), "-"))


def words(pdf: Path, page: int) -> list[tuple[str, float, float, float, float]]:
    """(text, xMin, yMin, xMax, yMax) of every word pdftotext finds on a page."""
    xml = run("pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(pdf), "-")
    root = ElementTree.fromstring(xml.replace('xmlns="http://www.w3.org/1999/xhtml"', ""))
    return [(w.text or "", float(w.get("xMin")), float(w.get("yMin")),
             float(w.get("xMax")), float(w.get("yMax"))) for w in root.iter("word")]


def source_sentences(speakers) -> list[str]:
    """Every sentence of the interview source, from the lead to the end of the talk,
    speaker designations removed, split on 。！？!? (the credit line is left out: the
    colophon sets it differently)."""
    lines = SOURCE.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("10月2日"))
    end = next(i for i, line in enumerate(lines) if line.startswith("■ お問い合わせ"))
    names = "|".join(re.escape(sp.name) for sp in speakers)
    labels = "|".join(re.escape(sp.label) for sp in speakers)
    who = re.compile(rf"^(?:(?:{names})\(以下[^)]*\)|{labels}) ")
    sentences = []
    for line in lines[start:end]:
        if not line.strip() or line.startswith("- CREDIT") or "/" in line and "(Web LEON)" in line:
            continue
        for piece in re.split(r"[。！？!?]", who.sub("", line)):
            if squash(piece):
                sentences.append(squash(piece))
    return sentences


def outline(pdf: Path) -> list:
    reader = PdfReader(pdf)

    def walk(items):
        out = []
        for item in items:
            if isinstance(item, list):
                out[-1] = (out[-1][0], out[-1][1], walk(item))
            else:
                out.append((item.title, reader.get_destination_page_number(item) + 1, []))
        return out

    return walk(reader.outline)


# ---- fixtures -------------------------------------------------------------------------

@pytest.fixture(scope="session")
def book(build_once) -> Path:
    return build_once("print-vertical")["interview-2025-10-06-vertical.pdf"]


@pytest.fixture(scope="session")
def features(build_once, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("features-src")
    (folder / "features.md").write_text(FEATURES, encoding="utf-8")
    return build_once("print-vertical", folder / "features.md", paper="B6")["features-vertical.pdf"]


# ---- the interview --------------------------------------------------------------------

def test_every_sentence_of_the_source_in_reading_order(book, interview):
    # the one deliberate change: “…” is set as 〝…〟, the quotes of vertical Japanese
    text = squash(text_block(book)).replace("〝", "“").replace("〟", "”")
    assert "〝新世界の神〟" in squash(text_block(book))
    sentences = source_sentences(interview.speakers)
    assert len(sentences) > 80
    missing = missing_in_order(sentences, text)
    assert not missing, f"{len(missing)} sentences missing or out of order: {missing[:3]}"


def test_two_digit_numbers_read_in_order(book):
    text = squash(text_block(book))
    # 10月2日 (tate-chu-yoko), 2021年 (upright digits), 80年代 (tate-chu-yoko)
    for phrase in ("10月2日", "2021年には", "1970年代後半から80年代初頭", "200枚", "3年前に"):
        assert phrase in text


def test_fonts_are_embedded_truetype_subsets(book, features):
    for pdf in (book, features):
        rows = run("pdffonts", str(pdf)).splitlines()[2:]
        assert rows
        names = []
        for row in rows:
            name, kind = row.split()[0], " ".join(row.split()[1:3])
            emb, sub = row.split()[-5], row.split()[-4]
            assert "Type 3" not in row, row
            assert kind == "CID TrueType", row
            assert (emb, sub) == ("yes", "yes"), row
            assert re.match(r"^[A-Z]{6}\+", name), row
            names.append(name.split("+")[1])
        assert "BIZUDMincho-Regular" in names  # the body
        assert "BIZUDGothic-Bold" in names  # speaker labels and headings


def text_columns(pdf: Path, page: int) -> list[list]:
    """The words of the text block (no heads, no folios) grouped into columns by their
    centre line, each column's words in no particular order."""
    _, height = page_size(pdf)
    glyphs = [w for w in words(pdf, page) if height * 0.12 < w[2] and w[4] < height * 0.86]
    columns: list[list] = []  # [centre, words]
    for w in sorted(glyphs, key=lambda w: (w[1] + w[3]) / 2):
        centre = (w[1] + w[3]) / 2
        if columns and centre - columns[-1][0] <= 2:
            columns[-1][1].append(w)
        else:
            columns.append([centre, [w]])
    return [column for _, column in columns]


def column_ends(pdf: Path, page: int) -> list[float]:
    """How far each column of the text block stops short of the longest one, in points."""
    bottoms = [max(w[4] for w in column) for column in text_columns(pdf, page)]
    return [max(bottoms) - bottom for bottom in bottoms]


def test_columns_are_justified(book):
    """Every column but a paragraph's last ends at the foot of the text block: measured
    from the glyph boxes, the columns that come within an em of it end within 1.5 pt
    (ragged columns, text-align: start, leave up to 6.5 pt here)."""
    em = 9
    near = [gap for page in range(3, len(PdfReader(book).pages))
            for gap in column_ends(book, page) if gap < 0.9 * em]
    assert len(near) > 40
    assert max(near) < 1.5, sorted(near)[-5:]


def column_starts(pdf: Path, page: int) -> list[str]:
    """The first character of each column of the text block."""
    return [min(column, key=lambda w: w[2])[0][0] for column in text_columns(pdf, page)]


def test_strict_kinsoku_no_line_starts_with_a_closing_mark_or_small_kana(book):
    starts = [ch for page in range(2, len(PdfReader(book).pages) + 1)
              for ch in column_starts(book, page)]
    assert len(starts) > 100
    forbidden = set("、。，．」』）〕】〉》”’〟ーぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ・：；？！!?々ゝゞ")
    assert [ch for ch in starts if ch in forbidden] == []


def test_dashes_are_two_ems_long(book):
    """―― and —— run two ems down the line (BIZ UD's own U+2014 is half an em wide)."""
    dashes = [w for page in range(3, len(PdfReader(book).pages))
              for w in words(book, page) if w[0] in ("——", "──")]
    assert {w[0] for w in dashes} == {"——", "──"}
    for text, x0, y0, x1, y1 in dashes:
        assert abs((y1 - y0) - 2 * (x1 - x0)) < 0.5, (text, y1 - y0, x1 - x0)


def test_comma_before_a_bracket_is_set_half_width(book):
    """、「 one em apart, not one and a half (text-spacing-trim with IPAex's vhal)."""
    gaps = []
    for page in range(3, len(PdfReader(book).pages)):
        chars = [w for w in words(book, page) if len(w[0]) == 1]
        for a, b in zip(chars, chars[1:]):
            if a[0] in "、。" and b[0] == "「" and abs(a[1] - b[1]) < 1:  # same column
                gaps.append((b[2] - a[2]) / (a[4] - a[2]))  # advance, in ems
    assert len(gaps) >= 2
    assert all(0.4 < gap < 0.65 for gap in gaps), gaps


def test_outline_matches_the_sections_and_the_contents_page(book, interview):
    items = outline(book)
    part = interview.parts[0]
    titles = [title for title, _, _ in items]
    assert titles == ["目次", part.title_text, "奥付"]
    sections = items[1][2]
    assert [t for t, _, _ in sections] == [vertical_quotes(s.title_text) for s in interview.sections]
    pages = [p for _, p, _ in sections]
    assert items[1][1] == 3  # the part's own page
    assert pages == sorted(pages) and pages[0] == 4
    # the contents page prints the same page numbers: title, leader, number
    contents = squash(run("pdftotext", "-raw", "-f", "2", "-l", "2", str(book), "-"))
    for title, page, _ in sections:
        assert squash(title) + str(page) in contents
    # and each section's title is the first text of its first page (after the head)
    for section, (title, page, _) in zip(interview.sections, sections):
        body = squash(text_block_page(book, page))
        assert squash(title) in body[:200]


def text_block_page(pdf: Path, page: int) -> str:
    width, height = page_size(pdf)
    top, bottom = int(height * 0.12), int(height * 0.86)
    return run("pdftotext", "-raw", "-f", str(page), "-l", str(page), "-x", "0", "-y", str(top),
               "-W", str(int(width)), "-H", str(bottom - top), str(pdf), "-")


def test_right_to_left_tagged_and_dated_from_the_manuscript(book):
    reader = PdfReader(book)
    root = reader.trailer["/Root"]
    assert root["/ViewerPreferences"]["/Direction"] == "/R2L"
    assert bool(root["/ViewerPreferences"]["/DisplayDocTitle"])
    assert bool(root["/MarkInfo"]["/Marked"])
    assert "/StructTreeRoot" in root
    assert root["/Lang"] == "ja"
    info = reader.metadata
    assert info["/CreationDate"] == info["/ModDate"] == "D:20251006000000+00'00'"
    assert info["/Title"] == "「AIは親切なエイリアン」「デスノートが好き」"
    assert "Chrome" not in str(info.get("/Creator"))


def test_a5_vertical_pages(book):
    width, height = page_size(book)
    assert (round(width / MM), round(height / MM)) == (148, 210)
    assert 8 <= len(PdfReader(book).pages) <= 20


def test_running_heads_and_page_numbers(book, interview):
    pages = len(PdfReader(book).pages)
    # title page and contents: neither head nor number
    for page in (1, 2):
        assert margin_text(book, page, "top") == "" and margin_text(book, page, "bottom") == ""
    # the part's page (3): neither head nor number either
    assert margin_text(book, 3, "top") == "" and margin_text(book, 3, "bottom") == ""
    starts = [page for _, page, _ in outline(book)[1][2]]  # each section's first page
    on_5 = [s for s, page in zip(interview.sections, starts) if page <= 5][-1]
    assert margin_text(book, 4, "top") == squash(interview.meta.title)  # even: the book
    assert margin_text(book, 5, "top") == squash(on_5.title_text)  # odd: the section
    for page in range(4, pages):
        assert margin_text(book, page, "bottom") == str(page)
    assert margin_text(book, pages, "bottom") == ""  # the colophon


def test_page_images_read_from_right_to_left(book, artefacts):
    """Writes the first pages for people to look at, and checks where the ink is: the
    title page's title on the right, the first text page's lines (page 4, after the part's
    page) filling from the right."""
    for old in artefacts.glob("print-vertical-page-*.png"):
        old.unlink()
    subprocess.run(["pdftoppm", "-r", "60", "-png", "-f", "1", "-l", "4", str(book),
                    str(artefacts / "print-vertical-page")], check=True)
    images = sorted(artefacts.glob("print-vertical-page-*.png"))
    assert len(images) == 4
    for path in (images[0], images[3]):
        grey = Image.open(path).convert("L")
        w, h = grey.size
        body = grey.crop((0, int(h * .15), w, int(h * .85)))
        columns = [x for x in range(w) if body.crop((x, 0, x + 1, body.height)).getextrema()[0] < 128]
        assert columns, path
        assert max(columns) > w * 0.75  # the first line stands at the right
        assert len(columns) > w * 0.1  # several lines, not a stray mark


def test_the_id_is_a_hash_of_what_the_pages_draw(book, features):
    ids = [bytes(PdfReader(pdf).trailer["/ID"][0].original_bytes) for pdf in (book, features)]
    assert ids[0] != ids[1]
    drawn = hashlib.sha256()
    for page in PdfReader(book).pages:
        drawn.update(page.get_contents().get_data())
    assert ids[0] == drawn.digest()[:16]


def test_two_builds_are_byte_identical(book, interview):
    again = print_vertical.produce(interview, Options())
    assert again["interview-2025-10-06-vertical.pdf"] == book.read_bytes()


def test_the_headless_shell_draws_the_pages_chromium_draws(book, interview, monkeypatch):
    # The build prints with Chromium's headless shell where it is installed, else with
    # chromium: the same book either way, every page drawn alike to the byte (the shell
    # hints glyphs fully unless told to hint them as chromium does, and breaks lines elsewhere)
    if chromium.find().name != "chromium-headless-shell":
        pytest.skip("Chromium's headless shell is not what built the book")
    monkeypatch.delenv(chromium.ENVIRONMENT, raising=False)
    monkeypatch.setattr(chromium, "NAMES", tuple(n for n in chromium.NAMES if n != "chromium-headless-shell"))
    try:
        assert chromium.find().name != "chromium-headless-shell"
    except chromium.ChromiumMissing:
        pytest.skip("only Chromium's headless shell is installed")
    again = print_vertical.produce(interview, Options())["interview-2025-10-06-vertical.pdf"]
    drawn = [[page.get_contents().get_data() for page in PdfReader(pdf).pages]
             for pdf in (book, io.BytesIO(again))]
    assert len(drawn[0]) == len(drawn[1]) and drawn[0] == drawn[1]


# ---- ruby, tate-chu-yoko, emphasis, notes (the features manuscript, B6) ---------------------

def test_b6_paper(features):
    width, height = page_size(features)
    assert (round(width / MM), round(height / MM)) == (128, 182)


def test_ruby_stands_right_of_its_base(features):
    ws = {w[0]: w for w in words(features, 3)}
    base, reading = ws["字"], ws["じ"]
    assert reading[1] >= base[3] - 0.5  # reading's left edge at the base's right edge
    assert base[2] <= (reading[2] + reading[4]) / 2 <= base[4]  # beside it, not above
    assert reading[3] - reading[1] < (base[3] - base[1]) * 0.6  # half size


def test_tate_chu_yoko_sits_upright_in_one_em(features):
    ws = words(features, 3)
    year, month = next(w for w in ws if w[0] == "年"), next(w for w in ws if w[0] == "月")
    twelve = next(w for w in ws if w[0] == "12")
    em = year[3] - year[1]
    assert abs((twelve[3] - twelve[1]) - em) < 0.1 * em  # two digits side by side in 1 em
    assert abs((twelve[4] - twelve[2]) - em) < 0.1 * em
    assert year[4] - 0.5 <= twelve[2] and twelve[4] <= month[2] + 0.5  # between 年 and 月
    # a longer number stands upright digit by digit, down the column
    digits = [w for w in ws if w[0] in "0123456789" and len(w[0]) == 1
              and abs(w[1] - year[1]) < 0.5 and w[4] <= year[2] + 0.5]
    assert [w[0] for w in sorted(digits, key=lambda w: w[2])][-4:] == list("2021")
    # GPT-4 and 3.5 stay sideways with their words
    assert "GPT-4は3.5倍!?" in squash(text_block(features)).replace("たてぐ", "")


def test_emphasis_dots_beside_the_text(features):
    ws = words(features, 3)
    big, dots = next(w for w in ws if w[0] == "大"), [w for w in ws if w[0] == "﹅"]
    assert len(dots) == 2  # one sesame dot per character of 《《大切》》
    assert all(d[1] >= big[3] - 0.5 for d in dots)  # on the right of the column


def test_notes_close_their_sections(features):
    text = squash(text_block(features))
    first = text.index("二つ目の節にも注があります")
    assert text.index("*1一つ目の注の本文です") < first < text.index("*2二つ目の注の本文です")
    assert text.index("な話をしました*1") < text.index("*1一つ目")


def test_a_manuscript_without_sections_is_a_title_page_and_a_colophon(build_once, tmp_path_factory):
    folder = tmp_path_factory.mktemp("lead-only-src")
    (folder / "lead.md").write_text(
        "---\ntitle: リードだけ\ndate: 2024-01-01\nlang: ja\nspeakers:\n"
        "  - {id: a, name: 青木, label: 青木}\n---\n\nこれはリードだけの原稿です。\n",
        encoding="utf-8")
    pdf = build_once("print-vertical", folder / "lead.md")["lead-vertical.pdf"]
    assert len(PdfReader(pdf).pages) == 2
    assert [title for title, _, _ in outline(pdf)] == ["奥付"]
    assert "これはリードだけの原稿です" in squash(text_block(pdf))


# ---- pieces ---------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("10月2日", [("tcy", "10"), ("text", "月"), ("tcy", "2"), ("text", "日")]),
    ("2021年", [("upright", "2021"), ("text", "年")]),
    ("GPT-4と3.5倍", [("text", "GPT-4と3.5倍")]),
    ("本当!?", [("text", "本当"), ("tcy", "!?")]),
    ("Hello!", [("text", "Hello!")]),
    ("12345", [("text", "12345")]),
    ("第7回", [("text", "第"), ("tcy", "7"), ("text", "回")]),
    ("OpenAIのCEOとAI", [("text", "OpenAIの"), ("upright", "CEO"), ("text", "と"), ("tcy", "AI")]),
    ("『GHOST IN THE SHELL』", [("text", "『GHOST IN THE SHELL』")]),
    ("10:30と100%", [("text", "10:30と100%")]),
    ("両立——日本", [("text", "両立"), ("dash", "——"), ("text", "日本")]),
])
def test_text_runs(text, expected):
    assert text_runs(text) == expected
    assert "".join(part for _, part in text_runs(text)) == text


def test_chromium_requests_nothing_from_the_network(tmp_path):
    """A document that asks for a remote image, stylesheet and font gets none of them:
    the server on this machine's loopback sees no request."""
    seen = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (the http.server name)
            seen.append(self.path)
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        html = (f'<!DOCTYPE html><html lang="ja"><head><link rel="stylesheet" href="{url}/a.css">'
                f'<style>@font-face{{font-family:M;src:url("{font("mincho-mono").as_uri()}")}}'
                f'@font-face{{font-family:R;src:url("{url}/r.ttf")}} p{{font-family:R,M}}</style>'
                f'</head><body><p>本文<img src="{url}/x.png"></p></body></html>')
        with chromium.printer([font("mincho-mono").parent]) as print_pdf:
            pdf = print_pdf(html)
    finally:
        server.shutdown()
        server.server_close()
    assert seen == []
    refused = guard.refusals()  # the builder turns these into problems
    assert {f"{url}/a.css", f"{url}/x.png"} <= set(refused)
    out = tmp_path / "net.pdf"
    out.write_bytes(pdf)
    assert "本文" in run("pdftotext", str(out), "-")



def _descendants(pid: int) -> list[int]:
    found, stack = [], [pid]
    while stack:
        for task in Path(f"/proc/{stack.pop()}/task").iterdir():
            children = [int(c) for c in (task / "children").read_text().split()]
            found += children
            stack += children
    return found


def _running(pid: int) -> bool:
    """Alive and not a zombie (an orphan's exit status waits for init; it holds nothing)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_ctrl_c_leaves_no_chromium_running_and_no_temporary_folder():
    """Chromium runs in a process group of its own: Ctrl-C (KeyboardInterrupt in the
    build) reaches taidan alone, which stops every Chromium process and removes the
    profile and the documents."""
    with pytest.raises(KeyboardInterrupt):
        with chromium.browser([font("mincho-mono").parent]) as page:
            page.load(chromium.write_document(page, '<p lang="ja">本文</p>'))
            processes = _descendants(os.getpid())
            folder = page.log.parent
            raise KeyboardInterrupt
    assert len(processes) >= 3  # the browser, its zygote, the page's renderer ...
    for _ in range(40):  # a SIGKILL lands in a moment, not at once
        running = [pid for pid in processes if _running(pid)]
        if not running:
            break
        time.sleep(0.05)
    assert running == []
    assert not folder.exists()


EARLY_UNTAKEN = """
from taidan.engines import chromium
chromium.start_early()
pid, folder = chromium._early[2].process.pid, chromium._early[1].name
print(pid, folder, flush=True)
"""


def test_a_browser_started_early_is_taken_or_closed(tmp_path, monkeypatch):
    """`taidan build --edition print-vertical` starts Chromium before loading the manuscript
    (chromium.start_early); the edition takes that browser, the same bytes come out, and
    nothing is left running. A browser nobody takes (here: the process just ends) is closed
    and its folder removed at exit."""
    import sys

    out = subprocess.run([sys.executable, "-c", EARLY_UNTAKEN], capture_output=True, text=True,
                         check=True).stdout.split()
    pid, folder = int(out[0]), Path(out[1])
    for _ in range(40):
        if not _running(pid):
            break
        time.sleep(0.05)
    assert not _running(pid)
    assert not folder.exists()

    # an English book skips print-vertical: the early browser is closed once that is known
    from taidan.pipeline.build import build

    started, start = [], chromium.start_early
    monkeypatch.setattr(chromium, "start_early", lambda: (start(), started.append(chromium._early[2])))
    build([ROOT / "tests" / "manuscripts" / "english-repair.md"], ["print-vertical", "html"],
          tmp_path, Options(), say=lambda line: None, workers=1)
    assert len(started) == 1 and chromium._early is None
    assert not _running(started[0].process.pid) and not started[0].log.parent.exists()
    monkeypatch.undo()

    chromium.start_early()
    early = chromium._early[2]
    with chromium.browser([font("mincho-mono").parent]) as page:
        assert page is early and chromium._early is None
        page.load(chromium.write_document(page, '<p lang="ja">本文</p>'))
        assert b"%PDF" in page.pdf()[:8]
    assert not _running(early.process.pid)
    # its own folder, not the temporary folder's listing: another test worker's builds
    # come and go there meanwhile
    assert early.log.parent.name.startswith("taidan-chromium-") and not early.log.parent.exists()


# ---- pages: images, parts, orphans and widows -------------------------------------------

SENTENCES = ["印刷機の音が止むと、工房は急に静かになる。", "紙の束を揃える手の音がする。",
             "インクの匂いが部屋に残っている。", "窓から午後の光が差し込んでくる。",
             "活字を拾う職人の指は速い。", "刷り上がった頁を一枚ずつ確かめる。",
             "誤植を見つけると、版を組み直す。", "製本の糸は麻で、丈夫にできている。",
             "表紙の布は藍色に染めてある。", "断裁機の刃は毎朝研がれる。",
             "見本刷りを著者に送る日が来た。", "校正刷りには赤い字が並んでいた。"]


def pages_manuscript(folder: Path) -> Path:
    """Two parts of two sections each: paragraphs from one to about twenty lines, a tall, a
    wide and a square picture, each larger than a page, with captions."""
    (folder / "images").mkdir()
    for name, size, grey in (("tall.png", (600, 1800), 200), ("wide.png", (2400, 700), 170),
                             ("square.png", (1200, 1200), 220)):
        Image.new("RGB", size, (grey, grey, grey)).save(folder / "images" / name)
    count = 0

    def para(sentences: int) -> str:
        nonlocal count
        count += 5
        return "".join(SENTENCES[(count + i) % len(SENTENCES)] for i in range(sentences))

    text = ["---\ntitle: 頁の見本\ndate: 2025-03-01\nlang: ja\nspeakers:\n"
            "  - {id: k, name: 岸本一郎, label: 岸本, role: 聞き手}\n"
            "  - {id: o, name: 岡部花子, label: 岡部, role: 作家}\n---\n\nリード。\n"]
    pictures = {1: "tall.png", 2: "wide.png", 3: "square.png"}
    for p in (1, 2):
        text.append(f"\n# 第{p}部　工房の一日\n\n部の前書き。{para(3)}\n")
        for s in (1, 2):
            text.append(f"\n## 第{p}部の{s}\n")
            for t in range(4):
                text.append(f"\n岸本：{para(2 + t + s)}\n\n岡部：{para(7 + p + 9 * t)}\n\n"
                            f"{para(3 + 4 * t)}\n")
                if t in pictures and (t, s) != (3, 1):
                    text.append(f"\n![写真 {p}-{s}-{t}](images/{pictures[t]} "
                                f"\"写真の説明{p}{s}{t}\")\n")
    path = folder / "pages.md"
    path.write_text("".join(text), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def pages_book(build_once, tmp_path_factory):
    from taidan.load import load
    path = pages_manuscript(tmp_path_factory.mktemp("pages-src"))
    return load(path), build_once("print-vertical", path)["pages-vertical.pdf"]


def page_columns(pdf: Path) -> list[list[str]]:
    """Per page, the text of each column of the text block, right to left."""
    return [["".join(w[0] for w in sorted(column, key=lambda w: w[2])) for column in
             reversed(text_columns(pdf, page))] for page in range(1, len(PdfReader(pdf).pages) + 1)]


def conversation_units(m) -> list[str]:
    """What the conversation prints, block by block, as the PDF's text reads it back: part and
    section titles, opening paragraphs, a speaker's name and role, each paragraph (its first
    with the label), each caption."""
    from taidan.model import plain_text
    units = []

    def blocks(items):
        for b in items:
            if b.kind == "turn":
                units.extend(sp.name + sp.role for sp in b.introduced)
                units.append(b.speaker.label + plain_text(b.paragraphs[0]))
                units.extend(plain_text(p) for p in b.paragraphs[1:])
            elif b.kind == "prose":
                units.append(plain_text(b.inlines))
            elif b.kind == "image" and b.caption:
                units.append(b.caption)

    for part in m.parts:
        if part.title:
            units.append(part.title_text)
        blocks(part.blocks)
        for s in part.sections:
            units.append(s.title_text)
            blocks(s.blocks)
    return [squash(u) for u in units]


def lines_of_each_unit(m, pdf: Path) -> list[dict[int, int]]:
    """For each unit of the conversation, how many of its lines (columns) each page holds:
    the columns of the pages, in reading order, are matched to the units' text in order."""
    units = conversation_units(m)
    pages = [[squash(c) for c in columns] for columns in page_columns(pdf)]
    first = next(i for i, columns in enumerate(pages) if columns and columns[0] == units[0])
    where: list[dict[int, int]] = [{} for _ in units]
    unit, offset = 0, 0
    for page, columns in enumerate(pages[first:], first + 1):
        for column in columns:
            if unit == len(units):
                break  # the colophon
            assert units[unit][offset:].startswith(column), (page, column, units[unit][offset:])
            where[unit][page] = where[unit].get(page, 0) + 1
            offset += len(column)
            if offset == len(units[unit]):
                unit, offset = unit + 1, 0
    assert unit == len(units), units[unit:]
    return where


def test_no_page_holds_a_single_line_of_a_paragraph(pages_book):
    """Orphans and widows: a paragraph split between pages leaves at least two of its lines
    on each (Chromium honours orphans: 2 and widows: 2 in vertical-rl; with 1 and 1 a
    sample like this one left five single lines when this test was written)."""
    m, pdf = pages_book
    where = lines_of_each_unit(m, pdf)
    split = [pages for pages in where if len(pages) > 1]
    assert len(split) >= 3  # the test has something to find
    assert [pages for pages in split if 1 in pages.values()] == []


def drawn_images(pdf: Path) -> list[tuple[int, tuple[float, float, float, float]]]:
    """(page, (x0, y0, x1, y1)) of every image drawn, from the content streams' Do operators."""
    reader = PdfReader(pdf)
    found = []
    for number, page in enumerate(reader.pages, 1):
        images = {name for name, obj in (page["/Resources"].get("/XObject") or {}).items()
                  if obj.get_object()["/Subtype"] == "/Image"}

        def visit(op, args, cm, tm, number=number, images=images):
            if op == b"Do" and args and args[0] in images:
                xs, ys = (cm[4], cm[4] + cm[0] + cm[2]), (cm[5], cm[5] + cm[1] + cm[3])
                found.append((number, (min(xs), min(ys), max(xs), max(ys))))

        page.extract_text(visitor_operand_before=visit)
    return found


def test_images_are_never_split_and_fit_the_text_block_with_their_captions(pages_book):
    m, pdf = pages_book
    drawn = drawn_images(pdf)
    assert len(drawn) == len(m.images) == 10  # each picture drawn once: on one page, whole
    width, height = page_size(pdf)
    block = 42 * 9 / MM  # the A5 text block (book.css): 42 characters of 9 pt, in mm
    top = round((210 - block) * 0.46, 2) * MM
    bottom = height - top - 42 * 9
    for (page, (x0, y0, x1, y1)), image in zip(drawn, m.images):
        assert 15 * MM - 1 <= x0 and x1 <= width - 15 * MM + 1, (image.src, x0, x1)
        assert bottom - 1 <= y0 and y1 <= height - top + 1, (image.src, y0, y1)
        assert image.caption in squash(text_block_page(pdf, page)), image.caption
    wide = next(box for (_, box), image in zip(drawn, m.images) if image.src.endswith("wide.png"))
    assert (wide[2] - wide[0]) / (wide[3] - wide[1]) == pytest.approx(2400 / 700, rel=0.01)


def test_a_part_always_opens_a_page_of_its_own(pages_book):
    """Each part's title page holds the part (title and opening paragraph) and nothing else,
    its title set at the same place every time; its first section opens the next page."""
    m, pdf = pages_book
    columns = page_columns(pdf)
    places = set()
    for part in m.parts:
        title = squash(part.title_text)
        page = next(i for i, cols in enumerate(columns) if cols and squash(cols[0]) == title)
        text = squash("".join(columns[page]))
        assert text == title + squash("".join(conversation_units_of(part))), text
        assert squash(columns[page + 1][0]) == squash(part.sections[0].title_text)
        glyph = min((w for w in words(pdf, page + 1) if w[0] and w[0][0] == title[0]),
                    key=lambda w: w[2])
        places.add((round(page_size(pdf)[0] - glyph[3], 0) if (page + 1) % 2 else
                    round(page_size(pdf)[0] - glyph[3] - 5 * MM, 0), round(glyph[2], 0)))
    assert len(places) == 1, places


def conversation_units_of(part) -> list[str]:
    from taidan.model import plain_text
    return [plain_text(b.inlines) for b in part.blocks]


def test_chromium_writes_nothing_in_the_users_home(tmp_path):
    """Chromium's own config, crash and dconf folders go in the build's temporary profile:
    a print-vertical build with an empty HOME (and XDG_CONFIG_HOME unset) leaves it empty,
    and the cache folder holds taidan's cache only."""
    import sys

    from conftest import clean_env

    home, cache = tmp_path / "home", tmp_path / "cache"
    for folder in (home, cache):
        folder.mkdir()
    env = {k: v for k, v in clean_env().items() if not k.startswith("XDG_")}
    env.update(HOME=str(home), XDG_CACHE_HOME=str(cache), PYTHONPATH=str(ROOT / "tools"))
    done = subprocess.run([sys.executable, "-m", "taidan", "build", "--edition", "print-vertical",
                           "--out", str(tmp_path / "out"), str(ROOT / "tests" / "epub_samples" / "small-ja.md")],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out" / "small-ja-vertical.pdf").read_bytes().startswith(b"%PDF-")
    assert sorted(str(p.relative_to(home)) for p in home.rglob("*")) == []
    assert [p.name for p in cache.iterdir()] in ([], ["taidan"])
