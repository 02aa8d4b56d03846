"""Reading a PDF back the way a reader sees it: lines with positions (pdftotext -bbox-layout),
fonts (pdffonts), and the interview's sentences to look for in the text."""

from __future__ import annotations

import re
import subprocess
import unicodedata
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

XHTML = "{http://www.w3.org/1999/xhtml}"


@dataclass(frozen=True)
class Line:
    text: str  # the words joined without spaces (Japanese lines have none to keep)
    spaced: str  # the words joined with single spaces
    x0: float
    y0: float
    x1: float
    y1: float
    height: float  # the tallest word: pdftotext's word box follows the font size
    opening: float  # the first word's height: a footnote's marker, in the notes' size


@dataclass(frozen=True)
class Page:
    width: float
    height: float
    lines: list[Line]


def pages(pdf: Path) -> list[Page]:
    """Every page's lines in pdftotext's reading order."""
    out = subprocess.run(["pdftotext", "-bbox-layout", str(pdf), "-"], check=True,
                         capture_output=True).stdout
    root = ET.fromstring(out)
    result = []
    for page in root.iter(f"{XHTML}page"):
        lines = []
        for line in page.iter(f"{XHTML}line"):
            words = [w for w in line.iter(f"{XHTML}word")]
            texts = [w.text or "" for w in words]
            lines.append(Line(
                text="".join(texts), spaced=" ".join(texts),
                x0=float(line.get("xMin")), y0=float(line.get("yMin")),
                x1=float(line.get("xMax")), y1=float(line.get("yMax")),
                height=max(float(w.get("yMax")) - float(w.get("yMin")) for w in words),
                opening=float(words[0].get("yMax")) - float(words[0].get("yMin"))))
        result.append(Page(float(page.get("width")), float(page.get("height")), lines))
    return result


def body_height(doc: list[Page]) -> float:
    """The body type's word height: the height carrying the most characters."""
    weight = Counter()
    for page in doc:
        for line in page.lines:
            weight[round(line.height, 1)] += len(line.text)
    return weight.most_common(1)[0][0]


@dataclass(frozen=True)
class Band:
    """Where the text runs: the body type's height, and the top and bottom of the text
    area, found as the extremes of body-size lines over the whole document (full pages
    reach both). Running heads and folios lie outside it."""
    body: float
    top: float
    bottom: float


def text_band(doc: list[Page]) -> Band:
    body = body_height(doc)
    big = [line for page in doc for line in page.lines if line.height >= body * 0.95]
    return Band(body, min(line.y0 for line in big) - 0.5, max(line.y1 for line in big) + 0.5)


NOTE_MARKER = re.compile(r"[*＊]\d")
LATIN_NOTE_MARKER = re.compile(r"\d+\.$")  # "1." (English editions), a word of its own


def opens_a_note(line: Line, body: float) -> bool:
    """A footnote's first line: it opens with a note marker set in the notes' size, between
    a note call's (under 0.6 of the text) and the text's. The marker, not the line: a glyph
    from a taller fallback face (❤, 😀) makes the whole line as tall as the text."""
    marked = (NOTE_MARKER.match(line.text) and len(line.text) > 2) \
        or LATIN_NOTE_MARKER.match(line.spaced.split(" ", 1)[0])
    return bool(marked) and body * 0.6 <= line.opening < body * 0.95


def body_lines(page: Page, band: Band) -> list[Line]:
    """The text of the page in reading order, column by column: inside the band, without
    the footnotes (from a line opening with a note marker such as ＊1 down), and without
    lines far smaller than the text (superscript calls, ruby readings), which pdftotext
    puts in lines of their own."""
    inside = [line for line in page.lines
              if band.top <= line.y0 and line.y1 <= band.bottom and line.height >= band.body * 0.6]
    notes = [line.y0 for line in inside if opens_a_note(line, band.body)]
    if notes:
        inside = [line for line in inside if line.y0 < min(notes)]
    return reading_order(inside, page.width / 2)


def reading_order(lines: list[Line], centre: float) -> list[Line]:
    """Rows top to bottom down to the last row with a line across the centre (a masthead,
    a single-column page), then the left column, then the right one. Lines side by side
    (a label box and its text) are one row, read left to right."""
    grouped = rows(lines)
    across = [i for i, row in enumerate(grouped) if any(ln.x0 < centre < ln.x1 for ln in row)]
    split = across[-1] + 1 if across else 0
    rest = [ln for row in grouped[split:] for ln in row]
    columns = [[ln for ln in rest if ln.x0 < centre], [ln for ln in rest if ln.x0 >= centre]]
    return [ln for part in (grouped[:split], *map(rows, columns)) for row in part for ln in row]


def rows(lines: list[Line]) -> list[list[Line]]:
    """Lines side by side grouped into rows, top to bottom, each row left to right."""
    found: list[list[Line]] = []
    for line in sorted(lines, key=lambda line: line.y0 + line.y1):
        middle = (line.y0 + line.y1) / 2
        if found and any(other.y0 <= middle <= other.y1 for other in found[-1]):
            found[-1].append(line)
        else:
            found.append([line])
    return [sorted(row, key=lambda line: line.x0) for row in found]


def body_text(doc: list[Page]) -> str:
    band = text_band(doc)
    return normal("".join(line.text for page in doc for line in body_lines(page, band)))


def normal(text: str) -> str:
    """Width-folded (NFKC), without whitespace: what comparisons run on."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


# ---- the interview's source text ------------------------------------------------------

# "真鍋大度(以下、真鍋。 ※...) " at a speaker's first turn, "サム " afterwards
FIRST_LABEL = re.compile(r"^\S+?\(以下、[^)]*\)\s*")
SENTENCE_END = re.compile(r"(?<=[。！？!?])")


def source_sentences(source: Path, labels: list[str]) -> list[str]:
    """The interview's sentences in order, from the lead to the last section: the source's
    masthead (date, kicker, title, credit) and the contact block are left out, as are the
    speakers' labels, which the editions print in their own way."""
    lines = source.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("- CREDIT")) + 2
    end = next(i for i, line in enumerate(lines) if line.startswith("■ お問い合わせ"))
    dek = next(i for i, line in enumerate(lines) if line.startswith("■")) + 2
    texts = [lines[dek]] + lines[start:end]
    short = re.compile(r"^(%s)\s+" % "|".join(map(re.escape, labels)))
    sentences = []
    for text in texts:
        text = short.sub("", FIRST_LABEL.sub("", text.strip()))
        sentences += [normal(s) for s in SENTENCE_END.split(text) if normal(s)]
    return sentences


def missing_in_order(sentences: list[str], text: str) -> list[str]:
    """The sentences not found in ``text`` after the previous one (empty when all are)."""
    missing, at = [], 0
    for sentence in sentences:
        found = text.find(sentence, at)
        if found < 0:
            missing.append(sentence)
        else:
            at = found + len(sentence)
    return missing


def overlapping_words(pdf: Path, tofu: str = "") -> list[tuple[int, str, str, float]]:
    """(page, word, next word, overlap in pt) for words drawn over each other on one
    baseline (pdftotext -bbox: words as drawn, a ruby base apart from its line's text).
    A word ending in one of ``tofu``, characters no font has, is let off: the PDF draws all
    of them as .notdef (CID 0), so pdftotext boxes each as wide as the first one."""
    out = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], check=True,
                         capture_output=True).stdout
    found = []
    for number, page in enumerate(ET.fromstring(out).iter(f"{XHTML}page"), 1):
        baselines: dict[float, list] = {}
        for word in page.iter(f"{XHTML}word"):
            baselines.setdefault(round(float(word.get("yMax")), 1), []).append(
                (float(word.get("xMin")), float(word.get("xMax")), word.text or ""))
        for words in baselines.values():
            words.sort()
            for (_, end, text), (start, _, following) in zip(words, words[1:]):
                if end - start > 0.5 and text[-1:] not in tofu:
                    found.append((number, text, following, round(end - start, 1)))
    return found


# ---- fonts -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Font:
    name: str
    type: str
    embedded: bool
    subset: bool
    unicode: bool


def fonts(pdf: Path) -> list[Font]:
    out = subprocess.run(["pdffonts", str(pdf)], check=True, capture_output=True,
                         text=True).stdout.splitlines()
    result = []
    for row in out[2:]:
        # name, type (may hold spaces), encoding, emb, sub, uni, object, id
        cells = row.split()
        emb, sub, uni = cells[-5:-2]
        result.append(Font(cells[0], " ".join(cells[1:-6]), emb == "yes", sub == "yes", uni == "yes"))
    return result


# ---- Japanese line-breaking (kinsoku) --------------------------------------------------

NO_LINE_START = set("、。，．,.」』）)】〕〉》］｝〙〗”’ーぁぃぅぇぉっゃゅょゎゕゖァィゥェォッャュョヮヵヶㇰㇱㇲㇳㇴㇵㇶㇷㇸㇹㇺㇻㇼㇽㇾㇿ…‥？！?!：；:;・ゝゞヽヾ々〻")
NO_LINE_END = set("「『（(【〔〈《［｛〘〖“‘")


def kinsoku_faults(doc: list[Page]) -> list[str]:
    faults = []
    for number, page in enumerate(doc, 1):
        for line in page.lines:
            if line.text[:1] in NO_LINE_START:
                faults.append(f"page {number}: starts with {line.text[0]}: {line.text}")
            if line.text[-1:] in NO_LINE_END:
                faults.append(f"page {number}: ends with {line.text[-1]}: {line.text}")
    return faults


def filled_sides(document: Path, page: int) -> list[tuple[float, float, float, float]]:
    """Each area filled through a clip (how WeasyPrint and MuPDF draw a border side), in pt."""
    trace = subprocess.run(["mutool", "trace", str(document), str(page)],
                           capture_output=True, text=True, check=True).stdout
    root = ET.fromstring(trace[trace.index("<page"):trace.rindex("</page>") + 7])
    found, clip = [], None
    for node in root.iter():
        if node.tag == "clip_path":
            clip = _boxes(node)[0]
        elif node.tag == "fill_path" and clip:
            found.append(clip)  # one side: the border box clipped to the side's trapezoid
            clip = None
        elif node.tag == "fill_path":
            boxes = _boxes(node)
            if len(boxes) == 2:  # a whole box at once: the outer edge minus the inner one
                (a, b, c, d), (e, f, g, h) = sorted(boxes, key=lambda r: r[0])
                found += [(a, b, c, f), (a, h, c, d), (a, b, e, d), (g, b, c, d)]
            else:
                found += boxes
        elif node.tag not in ("moveto", "lineto", "curveto", "closepath"):
            clip = None
    return found


def _boxes(path) -> list[tuple[float, float, float, float]]:
    """The bounding box (in pt) of each subpath of a traced path."""
    a, _, _, d, e, f = (float(v) for v in path.get("transform", "1 0 0 1 0 0").split())
    boxes, points = [], []
    for step in list(path) + [None]:
        if (step is None or step.tag == "moveto") and points:
            xs, ys = [x for x, _ in points], [y for _, y in points]
            boxes.append((min(xs), min(ys), max(xs), max(ys)))
            points = []
        if step is not None and step.get("x"):
            points.append((a * float(step.get("x")) + e, d * float(step.get("y")) + f))
    return boxes


def rules_around(text: tuple, sides: list, region: tuple) -> frozenset:
    """The rules drawn inside ``region`` around a label's ``text`` box: (side, thickness in
    0.1 pt) pairs, such as {("left", 3.4)} for a bar. Text is not a path: only rules count."""
    x0, y0, x1, y1 = text
    found = set()
    for a, b, c, d in sides:
        if a >= region[0] and b >= region[1] and c <= region[2] and d <= region[3]:
            if c - a > d - b:
                found.add(("top" if b < (y0 + y1) / 2 else "bottom", round(d - b, 1)))
            else:
                found.add(("left" if a < (x0 + x1) / 2 else "right", round(c - a, 1)))
    return frozenset(found)


# ---- word spacing of justified Latin text ----------------------------------------------

@dataclass(frozen=True)
class LineGaps:
    page: int
    text: str
    widest: float  # the widest gap between two words of the line, in ems of the line's type


def justified_gaps(pdf: Path, body_size: float) -> list[LineGaps]:
    """The widest word gap of every justified, non-final line: lines that end flush with
    their column (the page's, or each of two columns) (a paragraph's last line, a heading stop short). Sizes come
    from pdftotext's word heights, which are proportional to the type size: the commonest
    height is the body's ``body_size`` (pt). Gaps next to type of another size (a speaker
    label, a note call) are not word spaces and are left out."""
    out = subprocess.run(["pdftotext", "-bbox-layout", str(pdf), "-"], check=True,
                         capture_output=True).stdout
    root = ET.fromstring(out)

    def height(word) -> float:
        return float(word.get("yMax")) - float(word.get("yMin"))

    heights: Counter = Counter()
    for word in root.iter(f"{XHTML}word"):
        heights[round(height(word), 1)] += len(word.text or "")
    per_pt = heights.most_common(1)[0][0] / body_size

    result = []
    for number, page in enumerate(root.iter(f"{XHTML}page"), 1):
        lines = [list(line.iter(f"{XHTML}word")) for line in page.iter(f"{XHTML}line")]
        lines = [words for words in lines if len(words) > 1]
        if not lines:
            continue
        centre = float(page.get("width")) / 2

        def column(words) -> bool:
            return float(words[0].get("xMin")) >= centre

        # the column's right edge: where most lines end (a folio or a note may stand further out)
        ends = {side: Counter(round(float(w[-1].get("xMax"))) for w in lines if column(w) == side)
                for side in (False, True)}
        right = {side: ends[side].most_common(1)[0][0] if ends[side] else 0 for side in ends}
        for words in lines:
            if abs(float(words[-1].get("xMax")) - right[column(words)]) > 1:
                continue  # ragged: a paragraph's last line, a heading, a running head
            size = Counter(round(height(w), 1) for w in words).most_common(1)[0][0]
            same = [abs(height(w) - size) < size * 0.05 for w in words]
            gaps = [float(b.get("xMin")) - float(a.get("xMax"))
                    for i, (a, b) in enumerate(zip(words, words[1:])) if same[i] and same[i + 1]]
            if gaps:
                result.append(LineGaps(number, " ".join(w.text or "" for w in words),
                                       max(gaps) / (size / per_pt)))
    return result
