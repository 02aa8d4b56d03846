"""Japanese justification, punctuation, ruby and emphasis dots in the WeasyPrint editions,
measured on the real PDFs: line edges from ``pdftotext -bbox-layout``, glyph positions from
the content streams (pypdf), text from ``pdftotext -raw``.

The right-edge measure: every line of body text is found by its text in the manuscript
(so a label, a note call or a heading is never taken for body text), a line that ends its
paragraph is left out, and the others must end within EDGE of their column's right edge.
"""

from __future__ import annotations

import contextlib
import re
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest
from pypdf import PdfReader
from pypdf.generic import ContentStream

from taidan.editions import Options, edition
from taidan.load import load
from taidan.render.jinja import words
from taidan.engines.weasyprint import justify

from conftest import INTERVIEW, ROOT

EDGE = 0.5  # pt
SAMPLE = ROOT / "tests" / "manuscripts" / "typeset.md"
XHTML = "{http://www.w3.org/1999/xhtml}"
_SPACE = re.compile(r"\s+")


# ---- reading lines back ---------------------------------------------------------------

@dataclass
class Line:
    page: int
    x0: float
    x1: float
    text: str


def pdf_lines(pdf: Path) -> list[Line]:
    xml = subprocess.run(["pdftotext", "-bbox-layout", str(pdf), "-"], check=True,
                         capture_output=True).stdout
    out = []
    for number, page in enumerate(ET.fromstring(xml).iter(XHTML + "page"), 1):
        for line in page.iter(XHTML + "line"):
            text = "".join(w.text or "" for w in line.iter(XHTML + "word"))
            out.append(Line(number, float(line.get("xMin")), float(line.get("xMax")), text))
    return out


def _flat(nodes, w) -> str:
    """Inline nodes as printed: ruby bases, stage brackets, note numbers."""
    out = []
    for n in nodes:
        if n.kind in ("text", "tcy", "code"):
            out.append(n.text)
        elif n.kind == "ruby":
            out.append(n.base)
        elif n.kind in ("styled", "link"):
            out.append(_flat(n.children, w))
        elif n.kind == "stage":
            out.append(w["stage_open"] + n.text + w["stage_close"])
        elif n.kind == "noteref":
            out.append(str(n.number))
    return "".join(out)


def paragraphs(m) -> list[str]:
    w = words(m.meta.lang)
    blocks = list(m.lead)
    for part in m.parts:
        blocks += part.blocks + [b for s in part.sections for b in s.blocks]
    out = []
    for b in blocks:
        if b.kind == "turn":
            out += [_flat(p, w) for p in b.paragraphs]
        elif b.kind in ("narration", "prose"):
            out.append(_flat(b.inlines, w))
    return out


def body_lines(pdf: Path, m) -> list[tuple[Line, bool]]:
    """(line, ends its paragraph) for each line whose text occurs once in the body text.
    pdftotext's order mixes the handout's columns, so each line is placed on its own."""
    text, ends = "", set()
    for p in paragraphs(m):
        text += _SPACE.sub("", p)
        ends.add(len(text))
    body_end = len(text)
    text += "".join(_SPACE.sub("", s.title_text) for s in m.sections)  # headings are not body
    # a speaker's name over their first turn is a line of its own (pdftotext parts it from
    # the role), and the name may also occur in the body text: it is not a body line
    names = {_SPACE.sub("", sp.name) for sp in m.speakers}
    out, cursor = [], 0
    for line in pdf_lines(pdf):
        t = _SPACE.sub("", line.text)
        if t in names:
            continue
        for cut in range(6):  # a label, a narration mark or a note call may lead the line
            piece = t[cut:]
            if len(piece) < 8:
                break
            found = [i.start() for i in re.finditer(re.escape(piece), text)]
            if found and found[-1] >= body_end:
                break  # a heading (its text may also be in the body)
            if found:
                # a repeated line (a manuscript that repeats itself): the next one on
                if len(found) == 1 or (found := [i for i in found if i >= cursor - 3000]):
                    at = found[0]
                    out.append((line, at + len(piece) in ends))
                    cursor = at + len(piece)
                break
    return out


def edge_gaps(pdf: Path, m) -> list[tuple[Line, float]]:
    """(line, distance to its column's right edge) for every non-final body line; the
    column's edge is the furthest right any body line on that page and column reaches."""
    lines = body_lines(pdf, m)
    out = []
    for line, final in lines:
        if not final:
            edge = max(o.x1 for o, _ in lines
                       if o.page == line.page and o.x0 < line.x1 and o.x1 > line.x0)
            out.append((line, edge - line.x1))
    return out


# ---- reading glyphs back --------------------------------------------------------------

@dataclass
class Glyph:
    char: str
    x: float  # pen position where the glyph is drawn
    advance: float  # the font's advance width, pt
    kern: float  # the TJ adjustment after it, pt (positive: further right)
    size: float  # the font size, pt


def _to_unicode(font) -> dict[int, str]:
    data = font["/ToUnicode"].get_data().decode("latin-1")
    table = {}
    for block in re.findall(r"beginbfchar(.*?)endbfchar", data, re.S):
        for cid, uni in re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
            table[int(cid, 16)] = bytes.fromhex(uni).decode("utf-16-be")
    for block in re.findall(r"beginbfrange(.*?)endbfrange", data, re.S):
        for lo, hi, uni in re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
            start = int(uni, 16)
            for i, cid in enumerate(range(int(lo, 16), int(hi, 16) + 1)):
                table[cid] = chr(start + i)
    return table


def _widths(font) -> dict[int, float]:
    descendant = font["/DescendantFonts"][0].get_object()
    widths, w = {}, list(descendant.get("/W", []))
    i = 0
    while i < len(w):
        first = int(w[i])
        if isinstance(w[i + 1], list):
            for k, value in enumerate(w[i + 1]):
                widths[first + k] = float(value)
            i += 2
        else:
            for cid in range(first, int(w[i + 1]) + 1):
                widths[cid] = float(w[i + 2])
            i += 3
    return widths


def glyph_runs(pdf: Path, page: int) -> list[list[Glyph]]:
    """The glyphs of each TJ operation on ``page`` (1-based), with their positions."""
    reader = PdfReader(pdf)
    p = reader.pages[page - 1]
    fonts = {name: ref.get_object() for name, ref in p["/Resources"]["/Font"].items()}
    maps = {name: (_to_unicode(f), _widths(f)) for name, f in fonts.items()}
    runs, font, size, x = [], None, 0.0, 0.0
    for operands, op in ContentStream(p.get_contents(), reader).operations:
        if op == b"Tf":
            font, size = operands[0], float(operands[1])
        elif op == b"Tm":
            x = float(operands[4])
        elif op == b"TJ":
            chars, widths = maps[font]
            run = []
            for item in operands[0]:
                if isinstance(item, (bytes, str)) or hasattr(item, "original_bytes"):
                    raw = item.original_bytes if hasattr(item, "original_bytes") else item
                    for i in range(0, len(raw), 2):
                        cid = int.from_bytes(raw[i:i + 2], "big")
                        advance = widths.get(cid, 1000) / 1000 * size
                        run.append(Glyph(chars.get(cid, "?"), x, advance, 0.0, size))
                        x += advance
                else:
                    shift = -float(item) / 1000 * size
                    if run:
                        run[-1].kern += shift
                    x += shift
            runs.append(run)
    return runs


def page_with(pdf: Path, text: str) -> int:
    """The first page (1-based) whose text holds ``text``."""
    pages = subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True,
                           text=True).stdout.split("\f")
    return next(i for i, page in enumerate(pages, 1) if text in _SPACE.sub("", page))


def cjk(char: str) -> bool:
    return "\u3000" <= char <= "\u9fff" or "\uff00" <= char <= "\uffef"


def pairs(pdf: Path, page: int, a: str, b: str) -> list[tuple[Glyph, Glyph]]:
    found = []
    for run in glyph_runs(pdf, page):
        found += [(g, h) for g, h in zip(run, run[1:]) if g.char == a and h.char == b]
    return found


# ---- the PDFs -------------------------------------------------------------------------

@pytest.fixture(scope="session")
def interview_m():
    return load(INTERVIEW)


@pytest.fixture(scope="session")
def long_manuscript(tmp_path_factory) -> Path:
    """About 33 A5 pages: the interview's sections six times over (notes left out)."""
    source = INTERVIEW.read_text(encoding="utf-8")
    head, body = source.split("\n---\n", 1)
    body = re.sub(r"\[\^\d+\]:.*\n", "", re.sub(r"\[\^\d+\]", "", body))
    sections = body[body.index("\n## "):]
    path = tmp_path_factory.mktemp("long") / "long-interview.md"
    path.write_text(head + "\n---\n" + body[:body.index("\n## ")] + sections * 6, encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def pdfs(build_once, long_manuscript):
    def get(name: str) -> Path:
        if name == "long":
            return build_once("print", manuscript=long_manuscript)["long-interview.pdf"]
        if name == "sample":
            return build_once("print", manuscript=SAMPLE)["typeset.pdf"]
        files = build_once(name)
        return next(p for n, p in files.items() if n.endswith(".pdf"))
    return get


@pytest.fixture(scope="session")
def unjustified(interview_m, tmp_path_factory):
    """unjustified(edition): the interview as WeasyPrint sets it without taidan's step."""
    made = {}

    def get(name: str) -> Path:
        if name not in made:
            justify.install()
            with justify.disabled():
                (file, data), = edition(name).produce(interview_m, Options()).items()
            made[name] = tmp_path_factory.mktemp("unjustified") / file
            made[name].write_bytes(data)
        return made[name]
    return get


def manuscript_of(name, interview_m, long_manuscript):
    return {"long": lambda: load(long_manuscript), "sample": lambda: load(SAMPLE)}.get(
        name, lambda: interview_m)()


# ---- justification --------------------------------------------------------------------

@pytest.mark.parametrize("name, at_least", [("print", 70), ("handout", 100), ("long", 450), ("sample", 6)])
def test_every_non_final_line_ends_flush(name, at_least, pdfs, interview_m, long_manuscript):
    gaps = edge_gaps(pdfs(name), manuscript_of(name, interview_m, long_manuscript))
    assert len(gaps) >= at_least  # the measure found the body text
    ragged = [(round(gap, 2), line.page, line.text[:20]) for line, gap in gaps if abs(gap) > EDGE]
    assert not ragged


def test_the_measure_sees_a_ragged_edge(unjustified, interview_m):
    gaps = [gap for _, gap in edge_gaps(unjustified("print"), interview_m)]
    assert len(gaps) >= 70
    assert max(gaps) > 5 and sum(gap > EDGE for gap in gaps) > len(gaps) / 2


def _raw(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-raw", str(pdf), "-"], check=True,
                          capture_output=True, text=True).stdout


@pytest.mark.parametrize("name", ["print", "handout"])
def test_extracted_text_and_line_breaks_are_unchanged(name, pdfs, unjustified):
    """The same text in the same lines as WeasyPrint alone (pdftotext -raw: content order,
    a line break wherever the baseline moves, a space wherever a gap looks like one):
    nothing inserted on a spaced-out line, every line breaks where it did (kinsoku
    untouched)."""
    justified = pdfs(name)
    assert _raw(justified) == _raw(unjustified(name))
    assert "Win-Winの関係" in _raw(justified).replace("\n", "")


def test_dashes_and_ellipses_are_not_spread(pdfs):
    seen = 0
    for pdf, text in ((pdfs("print"), "創作の閃き──"), (pdfs("print"), "両立——日本"),
                      (pdfs("print"), "なんですが……あなた"), (pdfs("sample"), "ダッシュ――と")):
        for run in glyph_runs(pdf, page_with(pdf, text)):
            spread = [g.kern for g, h in zip(run, run[1:]) if cjk(g.char) and cjk(h.char)]
            if not spread or max(spread) < 0.05:
                continue  # not a justified line
            for g, h in zip(run, run[1:]):
                if g.char == h.char and g.char in "―…─—":
                    seen += 1
                    assert abs(g.kern) < 0.01, (g.char, g.kern)
    assert seen >= 3


def test_spacing_is_one_value_per_line(pdfs):
    """On a justified line every gap between two CJK characters opens by the same amount."""
    pdf = pdfs("print")
    lines = 0
    for run in glyph_runs(pdf, page_with(pdf, "巨大市場")):
        kerns = [g.kern for g, h in zip(run, run[1:]) if cjk(g.char) and cjk(h.char)
                 and g.char not in justify.NO_SPREAD and h.char not in justify.NO_SPREAD]
        if len(kerns) > 10 and max(kerns) > 0.05:
            lines += 1
            assert max(kerns) - min(kerns) < 0.01
    assert lines >= 5


def test_install_is_idempotent():
    from weasyprint.draw import text
    from weasyprint.layout import inline

    justify.install()
    patched = inline.justify_line, text.draw_first_line
    justify.install()
    assert (inline.justify_line, text.draw_first_line) == patched
    assert inline.justify_line is justify.justify_line


def test_install_refuses_another_weasyprint(monkeypatch):
    import weasyprint
    monkeypatch.setattr(weasyprint, "__version__", "71.0")
    with pytest.raises(RuntimeError, match="WeasyPrint 70.0"):
        justify.install()


# ---- punctuation, indents, ruby, emphasis dots (the typesetting sample) -------------------

def test_punctuation_pairs_are_not_a_full_em_apart(pdfs):
    """」「 。」 ）、: the first mark and its neighbour take at most 1.1 em together."""
    pdf = pdfs("sample")
    page = page_with(pdf, "約物どうし")
    for a, b in ("」「", "。」", "）、", "』（"):
        found = pairs(pdf, page, a, b)
        assert found, a + b
        for g, h in found:
            em = g.size
            assert h.x - g.x - g.kern <= 0.61 * em  # the first mark's own advance
            assert h.x + h.advance - g.x - g.kern <= 1.15 * em  # the pair, spacing aside


def test_a_paragraph_opening_with_a_bracket_sets_it_in_the_indent(pdfs):
    lines = {line.text[:4]: line for line in pdf_lines(pdfs("sample"))}
    bracket = next(line for text, line in lines.items() if text.startswith("「始め"))
    indented = next(line for text, line in lines.items() if text.startswith("続く段落"))
    em = 9
    # the character after 「 stands where an indented paragraph's first character does
    assert abs((bracket.x0 + 0.5 * em) - indented.x0) < 0.25 * em


def _words(pdf: Path, page: int):
    xml = subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), "-bbox", str(pdf), "-"],
                         check=True, capture_output=True).stdout
    return [(w.text, *(float(w.get(k)) for k in ("xMin", "yMin", "xMax", "yMax")))
            for w in ET.fromstring(xml).iter(XHTML + "word")]


def test_ruby_sits_above_its_base_on_the_baseline(pdfs):
    pdf = pdfs("sample")
    ws = _words(pdf, page_with(pdf, "約物どうし"))
    reading = next(w for w in ws if w[0] == "とうきょう")
    base = next(w for w in ws if w[0].startswith("東京"))
    after = next(w for w in ws if "のような" in w[0])
    assert reading[4] <= base[2] + 0.5  # above the base
    assert base[1] - 1 <= (reading[1] + reading[3]) / 2 <= base[3] + 1  # centred over it
    assert reading[4] - reading[2] < 0.6 * (base[4] - base[2])  # half size
    assert abs(base[4] - after[4]) < 0.2  # the base stays on the line's baseline
    # mono ruby: one reading over each character
    kan, ji = next(w for w in ws if w[0] == "かん"), next(w for w in ws if w[0] == "じ")
    assert kan[3] <= ji[1] + 0.5


def test_emphasis_dots_are_drawn_not_text(pdfs):
    pdf = pdfs("sample")
    assert "大切" in _raw(pdf) and "﹅" not in _raw(pdf) and "・大" not in _raw(pdf)
    shading = sum("/Shading" in (p["/Resources"].get("/Pattern") or {}).__repr__() or
                  "/Pattern" in p["/Resources"] for p in PdfReader(pdf).pages)
    assert shading  # the dots are painted (a radial gradient per character)


def test_page_images_for_people_to_look_at(pdfs, artefacts):
    """typeset-*.png in the artefacts folder: the sample's text page (ruby, dots, brackets)
    and a page of the interview's print edition, justified."""
    for pdf, text, name in ((pdfs("sample"), "約物どうし", "typeset-sample"),
                            (pdfs("print"), "巨大市場", "typeset-print"),
                            (pdfs("handout"), "巨大市場", "typeset-handout")):
        page = page_with(pdf, text)
        subprocess.run(["pdftoppm", "-r", "110", "-f", str(page), "-l", str(page), "-singlefile",
                        "-png", str(pdf), str(artefacts / name)], check=True)
        assert (artefacts / f"{name}.png").stat().st_size > 20_000


def test_pairs_close_up_in_a_font_with_halt(tmp_path):
    """chws done by hand: in a face with the halt feature (IPAex; the BIZ UD faces have
    no GPOS features at all) the first mark of 」「 。」 ）、 is set half-width, so each
    sample is 3.5 em wide instead of 4; a lone bracket keeps its full width."""
    from weasyprint import HTML

    from taidan.engines.fonts import font

    justify.install()
    samples = ["あ」「い", "あ。」い", "あ）、い", "あいうえ", "「あ」"]
    html = ("<html lang='ja'><style>@font-face { font-family: X; src: url('%s'); }"
            "body { font: 10pt X; margin: 0; } p { margin: 0 0 1em; }</style>%s</html>"
            % (font("ipaex-mincho").as_uri(), "".join(f"<p>{s}</p>" for s in samples)))
    pdf = tmp_path / "halt.pdf"
    HTML(string=html).write_pdf(pdf)
    widths = {w[0]: round((w[3] - w[1]) / 10, 2) for w in _words(pdf, 1)}
    assert widths == {"あ」「い": 3.5, "あ。」い": 3.5, "あ）、い": 3.5, "あいうえ": 4.0, "「あ」": 3.0}


if __name__ == "__main__":
    # The widest right-edge gap on non-final lines of the interview's print and handout
    # editions, with and without taidan's justification:  .venv/bin/python tests/test_justify.py
    import tempfile

    interview = load(INTERVIEW)
    justify.install()
    with tempfile.TemporaryDirectory() as folder:
        for name in ("print", "handout"):
            for label, switch in (("WeasyPrint alone", justify.disabled), ("taidan", None)):
                with switch() if switch else contextlib.nullcontext():
                    (file, data), = edition(name).produce(interview, Options()).items()
                pdf = Path(folder) / file
                pdf.write_bytes(data)
                gaps = [gap for _, gap in edge_gaps(pdf, interview)]
                print(f"{name:8} {label:17} non-final lines {len(gaps):4}  widest gap {max(gaps):6.3f} pt"
                      f"  over {EDGE} pt: {sum(g > EDGE for g in gaps)}")
