"""taidan preflight on real PDFs: the interview's print book (with and without --press) and
handout as taidan builds them, and small PDFs made here with WeasyPrint, then broken one
fault at a time with pikepdf. Every rule is seen both ways: the clean file passes, the
broken one is reported with its page. Ghostscript and pdftotext run for real."""

from __future__ import annotations

import re
from pathlib import Path

import pikepdf
import pytest
import weasyprint
from PIL import Image

from taidan.cli import main
from taidan.errors import EXIT_OK, EXIT_PROBLEMS
from taidan.publish.preflight import check

pytestmark = pytest.mark.slow  # Ghostscript renders every page

FILES = {"print": "interview-2025-10-06.pdf", "handout": "interview-2025-10-06-handout.pdf"}
# Ghostscript's own CMYK profile (Debian's libgs-common): an output intent for the tests
CMYK_PROFILE = Path("/usr/share/color/icc/ghostscript/default_cmyk.icc")
RGB_PROFILE = Path("/usr/share/color/icc/ghostscript/srgb.icc")
CSS = """@page { size: 100mm 80mm; bleed: 3mm; margin: 15mm }
body { font-family: "EB Garamond"; font-size: 11pt; color: device-cmyk(0 0 0 1) }"""
TEXT = "<p>Printed in black ink only.</p>"


def made(folder: Path, name: str, body: str = TEXT, css: str = "", variant: str | None = "pdf/x-4",
         profile: Path | None = CMYK_PROFILE) -> Path:
    """A one-page PDF from WeasyPrint; with ``profile``, the output intent WeasyPrint's
    PDF/X-4 lacks, so that the clean file is one a shop takes."""
    path = folder / f"{name}.pdf"
    html = f'<html lang="en"><head><title>{name}</title><style>{CSS}{css}</style></head><body>{body}</body></html>'
    weasyprint.HTML(string=html, base_url=str(folder)).write_pdf(path, pdf_variant=variant)
    if profile:
        with pikepdf.open(path, allow_overwriting_input=True) as pdf:
            icc = pdf.make_stream(profile.read_bytes(), N=4 if profile == CMYK_PROFILE else 3)
            pdf.Root.OutputIntents = pdf.make_indirect(pikepdf.Array([pikepdf.Dictionary(
                Type=pikepdf.Name.OutputIntent, S=pikepdf.Name.GTS_PDFX,
                OutputConditionIdentifier="test", DestOutputProfile=icc)]))
            pdf.save(path)
    return path


def edited(path: Path, name: str, change) -> Path:
    """A copy of ``path`` with ``change(pdf)`` applied."""
    target = path.with_name(f"{name}.pdf")
    with pikepdf.open(path) as pdf:
        change(pdf)
        pdf.save(target)
    return target


def add_content(pdf: pikepdf.Pdf, operators: bytes, fonts: dict | None = None) -> None:
    page = pdf.pages[0]
    page.contents_add(pdf.make_stream(operators), prepend=False)
    if fonts and "/Font" not in page.Resources:
        page.Resources.Font = pikepdf.Dictionary()
    for name, font in (fonts or {}).items():
        page.Resources.Font[name] = pdf.make_indirect(font)


def found(path: Path, standard: str = "pdf/x-4") -> list[tuple[int, str, bool]]:
    return [(p.line, p.message, p.warning) for p in check.problems(path, standard)]


def messages(path: Path, standard: str = "pdf/x-4") -> str:
    return "\n".join(f"{page}: {'warning: ' * warning}{message}" for page, message, warning in found(path, standard))


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> Path:
    return made(tmp_path_factory.mktemp("preflight"), "clean")


@pytest.fixture(scope="session")
def built(build_once):
    return lambda name, **options: build_once(name, **options)[FILES[name]]


def run(capsys, *argv) -> tuple[int, list[str], list[str]]:
    status = main(["preflight", *map(str, argv)])
    out, err = capsys.readouterr()
    return status, out.splitlines(), err.splitlines()


# ---- the clean file and taidan's own books ------------------------------------------------

def test_a_clean_pdf_x4_file_passes(clean, capsys):
    assert found(clean) == []
    status, out, err = run(capsys, clean)
    assert (status, err) == (EXIT_OK, [])
    assert out == [f"{clean}: 0 errors, 0 warnings for pdf/x-4"]


def test_the_press_book_is_a_pdf_x4_file_a_shop_takes(built, capsys):
    # the whole --press check, both standards and both editions, is tests/test_press.py's
    book = built("print", press=True)
    status, out, err = run(capsys, book)
    assert (status, err) == (EXIT_OK, [])
    assert out == [f"{book}: 0 errors, 0 warnings for pdf/x-4"]


def test_the_book_without_press_has_no_bleed(built):
    lines = messages(built("print"))
    assert re.search(r"^1: the bleed is 0\.0 mm; shops ask for 3 mm, pages 1-\d+$", lines, re.M), lines
    assert "text in RGB colour" in lines


def test_pdf_x1a_refuses_the_screen_books_rgb(built):
    lines = messages(built("print"), "pdf/x-1a")
    assert re.search(r"^1: an RGB colour \(rg\), which PDF/X-1a forbids, pages 1, 3, 5-\d+$", lines, re.M), lines
    assert "0: the file is PDF 1.7; PDF/X-1a is PDF 1.4 at most" in lines
    assert "0: no output intent" in lines
    assert re.search(r"^1: text in RGB colour, not in black ink \(K\) only", lines, re.M), lines


# ---- each rule, made to fail ---------------------------------------------------------------

def test_boxes(clean):
    no_trim = edited(clean, "no-trim", lambda pdf: pdf.pages[0].obj.__delitem__("/TrimBox"))
    assert (1, "no TrimBox: the shop cannot tell the finished size", False) in found(no_trim)
    thin = made(clean.parent, "thin-bleed", css="@page { bleed: 1mm }")
    assert (1, "the bleed is 1.0 mm; shops ask for 3 mm", False) in found(thin)

    def outside(pdf):
        pdf.pages[0].obj.BleedBox = pikepdf.Array([-20, -20, 300, 250])
    assert (1, "the BleedBox reaches outside the MediaBox", False) in found(edited(clean, "outside", outside))


def test_fonts(clean):
    broken = edited(clean, "fonts", _type3_and_helvetica)
    found_here = found(broken)
    assert (1, "the font T3 is a Type 3 font", False) in found_here
    assert (1, "the font Helvetica is not embedded", False) in found_here
    # PDF/UA allows Type 3 fonts, not unembedded ones
    ua = found(broken, "pdf/ua-1")
    assert (1, "the font Helvetica is not embedded", False) in ua
    assert not any("Type 3" in message for _, message, _ in ua)


def _type3_and_helvetica(pdf):
    type3 = pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type3,
                               FontBBox=[0, 0, 1000, 1000], FontMatrix=[0.001, 0, 0, 0.001, 0, 0],
                               CharProcs=pikepdf.Dictionary(), Encoding=pikepdf.Dictionary(Differences=[]),
                               FirstChar=97, LastChar=97, Widths=[500], Resources=pikepdf.Dictionary())
    helvetica = pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1,
                                   BaseFont=pikepdf.Name.Helvetica)
    add_content(pdf, b"BT /T3 12 Tf 50 50 Td (a) Tj /Hv 12 Tf (b) Tj ET", {"/T3": type3, "/Hv": helvetica})


@pytest.mark.parametrize(("colour", "kind"), [("black", "RGB"), ("device-cmyk(0.6 0.5 0.5 1)", "four-colour")])
def test_text_not_in_black_ink_only(clean, colour, kind):
    path = made(clean.parent, f"text-{kind}", body=f'{TEXT}<p style="color: {colour}">Rich.</p>')
    assert found(path) == [(1, f"text in {kind} colour, not in black ink (K) only", False)]


def test_rgb_is_refused_by_pdf_x1a_only(clean, tmp_path):
    Image.new("RGB", (600, 600), (200, 30, 30)).save(tmp_path / "red.png")
    path = made(clean.parent, "rgb-picture", body=f'{TEXT}<img src="{tmp_path / "red.png"}" style="width: 20mm">')
    assert found(path) == []
    assert (1, "an RGB picture, which PDF/X-1a forbids", False) in found(path, "pdf/x-1a")
    inline = edited(clean, "inline-rgb", lambda pdf: add_content(
        pdf, b"q 20 0 0 20 10 10 cm BI /W 2 /H 2 /CS /RGB /BPC 8 ID " + bytes(12) + b" EI Q"))
    assert (1, "an RGB picture, which PDF/X-1a forbids", False) in found(inline, "pdf/x-1a")


def test_transparency_is_refused_by_pdf_x1a_only(clean, tmp_path):
    """ISO 15930-4, 6.3.1: an opacity, a soft mask or a blend mode, a picture with a soft
    mask, a page that is a transparency group: each is a finding on its page for X-1a, none
    for X-4, which keeps live transparency."""
    assert "transparency" not in messages(clean, "pdf/x-1a")
    see_through = made(tmp_path, "see-through", '<p style="opacity: 0.5">Half there.</p>')
    as_x1a = messages(see_through, "pdf/x-1a")
    assert "with opacity 0.5: PDF/X-1a allows no transparency" in as_x1a, as_x1a
    assert all(line.startswith("1: ") for line in as_x1a.splitlines() if "transparency" in line)
    assert "transparency" not in messages(see_through, "pdf/x-4")

    def soft_masked_picture(pdf):
        mask = pdf.make_stream(b"\x80", Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Image, Width=1, Height=1,
                               ColorSpace=pikepdf.Name.DeviceGray, BitsPerComponent=8)
        picture = pdf.make_stream(b"\x00", Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Image, Width=1, Height=1,
                                  ColorSpace=pikepdf.Name.DeviceGray, BitsPerComponent=8, SMask=mask)
        pdf.pages[0].Resources.XObject = pikepdf.Dictionary(Im9=picture)
        pdf.pages[0].Resources.ExtGState = pikepdf.Dictionary(Gm=pikepdf.Dictionary(BM=pikepdf.Name.Multiply))
        add_content(pdf, b"q /Gm gs 10 0 0 10 50 50 cm /Im9 Do Q")
        pdf.pages[0].obj.Group = pikepdf.Dictionary(S=pikepdf.Name.Transparency, CS=pikepdf.Name.DeviceCMYK)

    masked = messages(edited(clean, "masked", soft_masked_picture), "pdf/x-1a")
    assert "1: a picture (/Im9) with a soft mask: PDF/X-1a allows no transparency" in masked, masked
    assert "1: the page is a transparency group: PDF/X-1a allows no transparency" in masked, masked
    assert "1: a graphics state (/Gm) with the blend mode /Multiply: PDF/X-1a allows no transparency" in masked


def test_version_keys_and_output_intent(clean):
    as_x1a = messages(clean, "pdf/x-1a")
    assert "0: the file says it is PDF/X-4, not PDF/X-1a" in as_x1a
    assert "0: the file is PDF 1.6; PDF/X-1a is PDF 1.4 at most" in as_x1a
    no_intent = made(clean.parent, "no-intent", profile=None)
    assert found(no_intent) == [(0, "no output intent: the file names no printing condition and "
                                    "no ICC profile, which PDF/X-4 requires", False)]
    rgb_intent = made(clean.parent, "rgb-intent", profile=RGB_PROFILE)
    assert found(rgb_intent) == []  # PDF/X-4 allows an RGB printing condition
    assert "0: the output intent's ICC profile is for RGB, not a CMYK or grey press" in messages(rgb_intent, "pdf/x-1a")

    def unknown(pdf):
        pdf.docinfo.Trapped = pikepdf.Name.Unknown
    assert found(edited(clean, "trapped", unknown)) == [(0, "the Trapped key is 'Unknown'", False)]


@pytest.mark.parametrize(("cmyk", "total"), [("1 1 1 1", "400"), ("0.8 0.7 0.7 1", "320")])
def test_total_ink(clean, cmyk, total):
    path = made(clean.parent, f"ink-{total}", body=f'{TEXT}<div style="background: device-cmyk({cmyk}); height: 10mm"></div>')
    assert found(path) == [(1, f"total ink reaches {total} %; shops accept 300 % at most", False)]
    within = made(clean.parent, "ink-280", body=f'{TEXT}<div style="background: device-cmyk(0.7 0.6 0.6 0.9); height: 10mm"></div>')
    assert found(within) == []


@pytest.mark.parametrize(("pixels", "expected"), [
    (40, (1, "a picture at 51 ppi (40×40 pixels printed 20×20 mm)", False)),
    (200, (1, "a picture at 254 ppi (200×200 pixels printed 20×20 mm)", True)),
    (400, None)])
def test_picture_resolution(clean, tmp_path, pixels, expected):
    Image.new("L", (pixels, pixels), 128).save(tmp_path / "grey.png")
    path = made(clean.parent, f"picture-{pixels}", body=f'{TEXT}<img src="{tmp_path / "grey.png"}" style="width: 20mm">')
    assert found(path) == ([expected] if expected else [])
    if expected:
        assert check.problems(path, "pdf/x-4")[0].hint == "give it at least 300 ppi at that size: 237×237 pixels"


def test_thin_lines(clean):
    rule = made(clean.parent, "rule", body=f'{TEXT}<div style="border-top: 0.1pt solid device-cmyk(0 0 0 1)"></div>')
    assert found(rule) == [(1, "a filled rule 0.10 pt thick; lines under 0.25 pt break up or vanish in print", False)]
    hairline = edited(clean, "hairline", lambda pdf: add_content(pdf, b"q 0 G 0.1 w 20 20 m 200 20 l S Q"))
    assert found(hairline) == [(1, "a line 0.10 pt thick; lines under 0.25 pt break up or vanish in print", False)]
    fine = edited(clean, "fine-line", lambda pdf: add_content(pdf, b"q 0 G 0.3 w 20 20 m 200 20 l S Q"))
    assert found(fine) == []
    # a crop mark in the bleed, beyond the trim, is cut away with the paper
    mark = edited(clean, "mark", lambda pdf: add_content(pdf, b"q 0 G 0.1 w -8 -4 m -2 -4 l S Q"))
    assert found(mark) == []


@pytest.mark.parametrize(("top", "warning"), [("1.5mm", False), ("3.8mm", True), ("8mm", None)])
def test_text_near_the_trim(clean, top, warning):
    path = made(clean.parent, f"near-{top}", css="@page { margin: 0 }",
                body=f'<p style="position: absolute; top: {top}; left: 20mm; margin: 0">Folio</p>')
    result = found(path)
    if warning is None:
        assert result == []
        return
    assert len(result) == 1, result
    page, message, is_warning = result[0]
    assert (page, is_warning) == (1, warning)
    assert re.fullmatch(r"text \d\.\d mm from the trim \('Folio'\); shops ask for 5 mm", message), message


# ---- what is not a PDF it can read ---------------------------------------------------------

def test_bad_input_is_one_line_each(clean, tmp_path, capsys):
    (tmp_path / "text.pdf").write_text("hello\n")
    (tmp_path / "cut.pdf").write_bytes(clean.read_bytes()[:2000])
    with pikepdf.open(clean) as pdf:
        pdf.save(tmp_path / "locked.pdf", encryption=pikepdf.Encryption(user="secret", owner="owner"))
        pdf.save(tmp_path / "owner.pdf", encryption=pikepdf.Encryption(user="", owner="owner"))
    status, _, err = run(capsys, tmp_path / "missing.pdf", tmp_path / "text.pdf", tmp_path / "cut.pdf",
                         tmp_path / "locked.pdf", tmp_path)
    assert status == EXIT_PROBLEMS
    assert err == [f"{tmp_path / 'missing.pdf'}:0: no such file",
                   f"{tmp_path / 'text.pdf'}:0: is not a PDF (give the PDF file itself)",
                   f"{tmp_path / 'cut.pdf'}:0: the PDF is truncated (no %%EOF at its end) (copy or download the file again)",
                   f"{tmp_path / 'locked.pdf'}:0: the PDF is encrypted with a password (ask for a copy without one)",
                   f"{tmp_path}:0: is not a file (give a PDF file)"]
    # opened without a password, but PDF/X forbids encryption all the same
    assert (0, "the file is encrypted, which PDF/X-4 forbids", False) in found(tmp_path / "owner.pdf")
