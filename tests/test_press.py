"""--press makes PDF/X files a print shop takes: the interview (print and print-vertical) and
an English book with a colour picture and an accent colour, in one and four colours, as
PDF/X-4 and PDF/X-1a. Everything is read back with the real tools: pikepdf for the
structure, Ghostscript's inkcov for the ink of every page, pdffonts, pdftotext, and
taidan preflight, which must find nothing."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pikepdf
import pytest
from PIL import Image

from taidan.config.style import Style
from taidan.editions import Options
from taidan.engines import pdfx
from taidan.errors import ProblemsFound
from taidan.pipeline.build import build
from taidan.publish.preflight import check

pytestmark = pytest.mark.slow  # every book is built, Ghostscript renders every page

ROOT = Path(__file__).resolve().parents[1]
INTERVIEW = ROOT / "manuscript" / "interview-2025-10-06.md"
ENGLISH = ROOT / "tests" / "manuscripts" / "english-repair.md"
MM = 72 / 25.4
WIDE, HIGH = 1400, 934  # pixels: 309 ppi at the 115 mm of the English book's measure
ACCENT = "#1f6fb2"  # a blue: in four colours it must come out in C and M, in one as K


@pytest.fixture(scope="module")
def english(tmp_path_factory) -> Path:
    """The English book with a colour picture (a gradient; over 300 ppi across the measure)."""
    folder = tmp_path_factory.mktemp("english")
    picture = Image.new("RGB", (WIDE, HIGH))
    picture.putdata([(x * 255 // (WIDE - 1), 80 + y * 120 // (HIGH - 1), 255 - x * 255 // (WIDE - 1))
                     for y in range(HIGH) for x in range(WIDE)])
    picture.save(folder / "workbench.png")
    text = ENGLISH.read_text(encoding="utf-8")
    head, _, body = text.partition("\n---\n")
    manuscript = folder / "english.md"
    manuscript.write_text(f"{head}\n---\n![A workbench in colour](workbench.png \"The bench\")\n{body}",
                          encoding="utf-8")
    return manuscript


@pytest.fixture(scope="module")
def press(tmp_path_factory):
    """press(manuscript, edition, **options) -> the built PDF, built once per set of options."""
    made: dict = {}

    def run(manuscript: Path, edition: str = "print", **options) -> Path:
        key = (manuscript, edition, tuple(sorted(options.items())))
        if key not in made:
            out = tmp_path_factory.mktemp("press")
            options.setdefault("press", "pdf/x-4")
            options.setdefault("style", Style(accent=ACCENT))
            paths = build([manuscript], [edition], out, Options(**options), say=lambda s: None)
            made[key] = next(p for p in paths if p.suffix == ".pdf")
        return made[key]

    return run


BOOKS = {  # name -> (manuscript, edition, options)
    "interview-x4": ("interview", "print", {}),
    "interview-x1a": ("interview", "print", {"press": "pdf/x-1a"}),
    "vertical-x4": ("interview", "print-vertical", {}),
    "vertical-x1a": ("interview", "print-vertical", {"press": "pdf/x-1a"}),
    "english-1": ("english", "print", {}),
    "english-4": ("english", "print", {"colours": 4}),
    "english-4-x1a": ("english", "print", {"colours": 4, "press": "pdf/x-1a"}),
}


@pytest.fixture(params=list(BOOKS))
def book(request, press, english) -> tuple[str, Path]:
    manuscript, edition, options = BOOKS[request.param]
    if edition == "print-vertical":
        request.applymarker(pytest.mark.chromium)
    return request.param, press(INTERVIEW if manuscript == "interview" else english, edition, **options)


def inks(path: Path) -> list[tuple[float, float, float, float]]:
    """Ghostscript's ink coverage of each page (the whole media box, marks too)."""
    out = subprocess.run(["gs", "-q", "-o", "-", "-sDEVICE=inkcov", str(path)],
                         check=True, capture_output=True, text=True).stdout
    return [tuple(map(float, line.split()[:4])) for line in out.splitlines() if "CMYK" in line]


def standard_of(name: str) -> str:
    return "pdf/x-1a" if "x1a" in name else "pdf/x-4"


# ---- structure ------------------------------------------------------------------------------

def test_identity_output_intent_and_boxes(book):
    name, path = book
    standard = standard_of(name)
    with pikepdf.open(path) as pdf:
        assert pdf.pdf_version == ("1.4" if standard == "pdf/x-1a" else "1.6")
        intent = pdf.Root.OutputIntents[0]
        assert intent.S == "/GTS_PDFX" and str(intent.OutputConditionIdentifier) == "FOGRA39"
        profile = intent.DestOutputProfile.read_bytes()
        assert profile == pdfx.PROFILE.read_bytes() and profile[16:20] == b"CMYK"
        assert pdf.docinfo.Trapped == "/False"
        meta = pdf.open_metadata()
        if standard == "pdf/x-1a":
            assert str(pdf.docinfo.GTS_PDFXVersion) == "PDF/X-1a:2003"
            assert meta["pdfx:GTS_PDFXVersion"] == "PDF/X-1a:2003"
        else:
            assert meta["pdfxid:GTS_PDFXVersion"] == "PDF/X-4"
        # the dates are the manuscript's (2025-10-06 or 2026-03-14), not today's
        assert re.fullmatch(r"D:20(25100|26031)\d+\+00'00'", str(pdf.docinfo.CreationDate))
        assert meta["xmp:CreateDate"].startswith(("2025-10-06", "2026-03-14"))
        assert len(pdf.trailer.ID) == 2
        for page in pdf.pages:
            trim = [float(v) for v in page.TrimBox]
            bleed = [float(v) for v in page.BleedBox]
            media = [float(v) for v in page.MediaBox]
            assert [round(b - t, 2) for b, t in zip(bleed, trim)] == [round(-3 * MM, 2), round(-3 * MM, 2),
                                                                      round(3 * MM, 2), round(3 * MM, 2)]
            # Trim inside Bleed inside Media, with room for the marks beyond the bleed
            assert media[0] <= bleed[0] - 9 * MM and media[1] <= bleed[1] - 9 * MM
            assert media[2] >= bleed[2] + 9 * MM and media[3] >= bleed[3] + 9 * MM


def test_links_bookmarks_labels_and_tags_survive(press, english):
    for manuscript, edition in ((INTERVIEW, "print"), (english, "print"), (INTERVIEW, "print-vertical")):
        if edition == "print-vertical" and not shutil.which("chromium"):
            continue
        screen = press(manuscript, edition, press="")
        for standard in ("pdf/x-4", "pdf/x-1a"):
            with pikepdf.open(screen) as before, pikepdf.open(press(manuscript, edition, press=standard)) as after:
                assert len(after.pages) == len(before.pages)
                assert _links(after) == _links(before) and _links(before)
                with before.open_outline() as a, after.open_outline() as b:
                    assert [i.title for i in b.root] == [i.title for i in a.root]
                assert repr(after.Root.get("/PageLabels")) == repr(before.Root.get("/PageLabels"))
                assert "/StructTreeRoot" in after.Root
                # the colophon gains a line (what the file is): a few tags more, on its page;
                # every other page marks the same content for the same tags
                assert _tags(before) <= _tags(after) <= _tags(before) + 8
                colophon = len(after.pages) - 1
                assert [_marked(p) for p in after.pages[:colophon]] == [_marked(p) for p in before.pages[:colophon]]
            # the glyphs, vertical ones too: the same characters on every page before the
            # colophon (pdftotext may group a line differently on the larger media box)
            assert _glyphs(press(manuscript, edition, press=standard), colophon) == _glyphs(screen, colophon)


def _links(pdf) -> list:
    return [(number, [round(float(v)) for v in a.Rect]) for number, page in enumerate(pdf.pages)
            for a in page.get("/Annots", []) if a.get("/Subtype") == "/Link"]


def _glyphs(path: Path, pages: int) -> list:
    """The characters of each page, in any order, as pdftotext reads them."""
    text = subprocess.run(["pdftotext", "-l", str(pages), str(path), "-"], check=True,
                          capture_output=True, text=True).stdout
    return [sorted("".join(page.split())) for page in text.split("\f")]


def _marked(page) -> list:
    """The marked content of a page: (tag, MCID) of each BDC, in order."""
    return [(str(i.operands[0]), int(i.operands[1].get("/MCID", -1)) if isinstance(i.operands[1], pikepdf.Dictionary) else -1)
            for i in pikepdf.parse_content_stream(page) if str(i.operator) == "BDC"]


def _tags(pdf) -> int:
    count, stack = 0, [pdf.Root.StructTreeRoot]
    while stack:
        node = stack.pop()
        if isinstance(node, pikepdf.Array):
            stack.extend(node)
        elif isinstance(node, pikepdf.Dictionary) and "/K" in node and count < 100000:
            count += 1
            stack.append(node.K)
    return count


def test_fonts_are_embedded_and_none_is_type3(book):
    _, path = book
    out = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True, text=True).stdout
    rows = out.splitlines()[2:]
    assert rows
    for row in rows:
        assert "Type 3" not in row, row
        assert re.search(r"\s(yes|no)\s+(yes|no)\s+(yes|no)\s+\d+\s+\d+$", row), row
        assert row.split()[-5] == "yes", row  # emb


def test_preflight_finds_nothing(book):
    name, path = book
    assert [str(p) for p in check.problems(path, standard_of(name))] == []


# ---- ink ----------------------------------------------------------------------------------

def test_one_colour_is_black_ink_alone_on_every_page(book):
    name, path = book
    if "-4" in name:
        pytest.skip("four colours")
    coverage = inks(path)
    assert coverage and all(k > 0 for *_, k in coverage)
    assert all(c == m == y == 0 for c, m, y, _ in coverage), coverage


def test_four_colours_print_the_picture_in_cmyk_and_text_in_k(press, english):
    path = press(english, "print", colours=4)
    coverage = inks(path)
    assert any(c > 0.01 and m > 0.01 and y > 0.01 for c, m, y, _ in coverage), coverage
    # the pages without the picture or the accent: text and rules in K alone
    assert sum(1 for c, m, y, _ in coverage if c == m == y == 0) >= len(coverage) // 2, coverage
    from taidan.publish.preflight import ink

    most, rendered = ink.pages(path)
    assert rendered and max(most) <= 300.5, most
    # the same book in one colour: the picture is K alone, as light as it was
    one = inks(press(english, "print"))
    assert all(c == m == y == 0 for c, m, y, _ in one)


def test_the_picture_becomes_grey_through_the_profile(press, english):
    with pikepdf.open(press(english, "print")) as pdf:
        pictures = [x for page in pdf.pages for x in page.get_images().values()]
        assert pictures and all(p.ColorSpace == "/DeviceGray" for p in pictures)
        grey = pikepdf.PdfImage(pictures[0]).as_pil_image()
        # the gradient's dark end prints darker than its light end, no tone is lost to black
        assert grey.getpixel((0, 0)) < grey.getpixel((WIDE - 1, HIGH - 1)) < 255
    with pikepdf.open(press(english, "print", colours=4)) as pdf:
        assert {str(p.ColorSpace) for page in pdf.pages for p in page.get_images().values()} == {"/DeviceCMYK"}


# ---- options ------------------------------------------------------------------------------

def test_without_marks_the_media_box_is_the_bleed_box(press):
    path = press(INTERVIEW, "print", press_marks=False)
    with pikepdf.open(path) as pdf:
        for page in pdf.pages:
            assert [float(v) for v in page.MediaBox] == [float(v) for v in page.BleedBox]
    assert [str(p) for p in check.problems(path, "pdf/x-4")] == []


def test_the_same_manuscript_gives_the_same_bytes(press, tmp_path, english):
    for manuscript, standard, colours in ((INTERVIEW, "pdf/x-4", 1), (INTERVIEW, "pdf/x-1a", 1), (english, "pdf/x-4", 4)):
        first = press(manuscript, "print", press=standard, colours=colours).read_bytes()
        again = build([manuscript], ["print"], tmp_path / standard.replace("/", "") / str(colours),
                      Options(press=standard, colours=colours, style=Style(accent=ACCENT)), say=lambda s: None)
        assert again[0].read_bytes() == first


@pytest.mark.chromium
def test_the_vertical_book_is_the_same_twice(press, tmp_path):
    first = press(INTERVIEW, "print-vertical").read_bytes()
    again = build([INTERVIEW], ["print-vertical"], tmp_path, Options(press="pdf/x-4", style=Style(accent=ACCENT)),
                  say=lambda s: None)
    assert again[0].read_bytes() == first


def test_the_colophon_says_what_the_file_is(press, english):
    def text(path):
        return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True,
                              capture_output=True, text=True).stdout

    assert "PDF/X-4・1色（スミ）・taidanFOGRA39プロファイル" in text(press(INTERVIEW, "print")).replace(" ", "")
    assert "PDF/X-1a, four colours (CMYK), taidan FOGRA39 profile" in \
        " ".join(text(press(english, "print", colours=4, press="pdf/x-1a")).split())
    assert "taidan FOGRA39" not in text(press(INTERVIEW, "print", press=""))


def test_x1a_refuses_transparency_naming_the_page(interview, tmp_path):
    import weasyprint

    html = ('<html><body><p>one</p><p style="break-before: page; opacity: .5">half</p></body></html>')
    transparent = weasyprint.HTML(string=html).write_pdf()
    with pytest.raises(ProblemsFound) as refused:
        pdfx.make(transparent, interview, "pdf/x-1a", 1, True)
    said = [problem.message for problem in refused.value.problems]
    assert said and all(message.startswith("page 2: ") for message in said), said
    assert any(re.match(r"page 2: a graphics state \(/[\w.]+\) with opacity 0.5 is transparency, "
                        "which PDF/X-1a forbids", message) for message in said), said
    # PDF/X-4 keeps it: live transparency is allowed there
    assert pdfx.make(transparent, interview, "pdf/x-4", 1, True).startswith(b"%PDF-1.6")


@pytest.mark.skipif(not shutil.which("colprof"), reason="needs ArgyllCMS (tools/setup.sh)")
def test_the_profile_is_what_colprof_makes_from_the_fogra39_data():
    run = subprocess.run([sys.executable, str(ROOT / "tools" / "press_profile.py"), "--check"],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
