"""The vertical print edition (縦組み): a book PDF set by headless Chromium.

Chromium sets vertical text, ruby, emphasis dots, tate-chu-yoko and strict kinsoku, but has
no target-counter(): the book is loaded once and printed with its headings alone; the page
of each heading is read back from that PDF's named destinations, written into the contents
of the loaded page, and the book printed (the contents keep their size: the numbers sit in
a fixed 3em box). Chromium knows nothing of right-to-left binding and stamps the clock into
its PDFs: an incremental update (written with pypdf's objects) adds /ViewerPreferences
/Direction /R2L, fixed dates and an /ID, so equal manuscripts give byte-identical files.
A long book is laid out a piece at a time instead (render_in_pieces, below).
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from dataclasses import dataclass, field

from markupsafe import Markup
from pypdf import PdfReader
from pypdf.generic import (ArrayObject, BooleanObject, ByteStringObject, DictionaryObject,
                           NameObject, NumberObject, create_string_object)

from taidan import model
from taidan.config.paper import DEFAULT_PAPER, PAPERS
from taidan.pipeline import guard
from taidan.pipeline.pieces import asked
from taidan.engines import chromium, pdfx
from taidan.engines.fonts import font
from taidan.render.jinja import environment, render
from taidan.editions.registry import EDITIONS

NAME = "print-vertical"

FONT_ROLES = ("mincho-mono", "gothic-mono", "gothic-mono-bold", "ipaex-mincho", "ipaex-gothic")

# How runs of Latin letters, digits and ! ? stand in a vertical line:
# - a Latin phrase (words joined by spaces, hyphens, dots ...) lies sideways as one piece,
#   except an initialism standing alone: two capitals across the line (AI), one, three or
#   four upright letter by letter (CEO), as the epub-vertical edition sets them;
# - a bare number of one or two digits stands across the line (縦中横), three or four digits
#   stand upright one by one; numbers touching number punctuation (3.5, 10:30) lie sideways;
# - ! ? and their pairs after Japanese text stand across the line;
# - em dashes (——) take their full-width form: BIZ UD's U+2014 is half an em wide.
# epub-vertical sets fewer of these (its vertical_runs says where and why the two differ).
_RUN = re.compile(
    r"(?P<latin>[A-Za-z](?:[A-Za-z0-9.,:/'&\-]|\s(?=[A-Za-z0-9]))*)"
    r"|(?<![0-9.,:/\-])(?P<number>[0-9]+)(?![0-9.,:/\-%])"
    r"|(?<![A-Za-z0-9])(?P<bang>[!?]{1,2})(?![!?])"
    r"|(?P<dash>\u2014+)"
)


def _kind(match) -> str:
    text = match.group()
    if match.lastgroup == "latin":
        if re.fullmatch(r"[A-Z]{2}", text):
            return "tcy"
        return "upright" if re.fullmatch(r"[A-Z]{1,4}", text) else "text"
    if match.lastgroup == "dash":
        return "dash"
    if match.lastgroup == "number":
        return {1: "tcy", 2: "tcy", 3: "upright", 4: "upright"}.get(len(text), "text")
    return "tcy"


def text_runs(s: str) -> list[tuple[str, str]]:
    """Splits a text run into ("text" | "tcy" | "upright" | "dash", part) pieces, in order;
    the pieces joined give the run back."""
    runs: list[tuple[str, str]] = []

    def add(kind, part):
        if runs and runs[-1][0] == kind == "text":
            runs[-1] = ("text", runs[-1][1] + part)
        else:
            runs.append((kind, part))

    at = 0
    for match in _RUN.finditer(s):
        if match.start() > at:
            add("text", s[at:match.start()])
        add(_kind(match), match.group())
        at = match.end()
    if at < len(s):
        add("text", s[at:])
    return runs


def vertical_quotes(s: str) -> str:
    """“…” becomes 〝…〟, the double quotes of vertical Japanese: Latin quotes stand
    sideways-upright in a vertical line and read as stray marks."""
    return s.replace("\u201c", "\u301d").replace("\u201d", "\u301f")


def css_string(s: str) -> Markup:
    """A CSS string literal for a <style> element: every character outside letters, digits
    and CJK is written as a hex escape, so no quote, backslash or `</style` survives."""
    out = []
    for ch in str(s):
        if ch.isalnum() or ord(ch) > 0x2000:
            out.append(ch)
        else:
            out.append(f"\\{ord(ch):x} ")
    return Markup('"' + "".join(out) + '"')


def notes_in(blocks, m) -> list:
    """The notes referenced from these blocks, in order: printed at the end of a section."""
    numbers: list[int] = []

    def walk(nodes):
        for n in nodes:
            if n.kind == "noteref" and n.number not in numbers:
                numbers.append(n.number)
            elif n.kind in model.NESTING:
                walk(n.children)

    for b in blocks:
        if b.kind == "turn":
            for para in b.paragraphs:
                walk(para)
        elif b.kind in ("narration", "prose"):
            walk(b.inlines)
    return [note for note in m.notes if note.number in numbers]


def _environment():
    env = environment(NAME)
    env.filters["text_runs"] = text_runs  # used by _text.html, imported without context
    env.filters["vertical_quotes"] = vertical_quotes
    env.filters["css_string"] = css_string
    return env


def _html(m, paper: str, pages: dict[str, int], press=None, piece=None, furniture=None) -> str:
    _environment()
    return render(
        NAME, "book.html", m,
        paper=paper,
        press=press,
        paper_size=PAPERS[paper],
        font_url={role: font(role).as_uri() for role in FONT_ROLES},
        image_href=lambda image: image.path.resolve().as_uri(),
        notes_in=lambda blocks: notes_in(blocks, m),
        page_of=pages,
        body=piece.body if piece else [(part, True, part.sections) for part in m.parts],
        piece=piece,
        furniture=furniture,
    )


def section_pages(pdf: bytes) -> dict[str, int]:
    """The page of each link target (the headings the contents link to): {id: page number}."""
    reader = PdfReader(io.BytesIO(pdf))
    return {name.lstrip("/"): reader.get_destination_page_number(dest) + 1
            for name, dest in reader.named_destinations.items()}


# The first print only has to say where the headings fall: everything but the headings the
# contents link to is hidden, which changes no box (visibility is not layout) but spares
# Chromium drawing the text and images into the PDF. The second print shows it all again.
_HIDE = """(() => {
  const style = document.createElement("style");
  style.id = "taidan-layout-only";
  style.textContent = "body * { visibility: hidden !important }";
  document.head.append(style);
  const links = document.querySelectorAll(".contents a[href^='#']");
  for (const a of links) {
    const target = document.getElementById(a.getAttribute("href").slice(1));
    if (target) target.style.setProperty("visibility", "visible", "important");
  }
  if (!links.length) style.remove();  // no contents: the first print is the book
  return links.length;
})()"""

# Shows everything again and writes the contents' page numbers: {anchor: HTML of the number}.
_SET_NUMBERS = """(numbers => {
  document.getElementById("taidan-layout-only")?.remove();
  for (const a of document.querySelectorAll(".contents a[href^='#']")) {
    const target = document.getElementById(a.getAttribute("href").slice(1));
    if (target) target.style.removeProperty("visibility");
    const num = a.querySelector(".num");
    const html = numbers[a.getAttribute("href").slice(1)];
    if (num && html !== undefined) num.innerHTML = html;
  }
})(%s)"""


def number_html(page: int) -> str:
    """A page number as the contents print it (_text.html's text macro: 12 across the line)."""
    return str(_environment().get_template("_text.html").module.text(str(page)))


def render_pdf(page, m, paper: str, press=None) -> bytes:
    """Loads the book once into ``page`` (a chromium.Browser) and prints its headings alone
    (where they fall is all the first print is for); writes their pages into the contents
    and prints the book, again until the numbers printed are where the headings are."""
    page.load(chromium.write_document(page, _html(m, paper, {}, press)))
    if not page.evaluate(_HIDE):
        return page.pdf()
    pages: dict[str, int] | None = None  # the first print is never the book
    for _ in range(3):
        pdf = page.pdf()
        found = section_pages(pdf)
        if found == pages:  # the numbers printed are where the headings fell
            return pdf
        pages = found
        numbers = {anchor: number_html(n) for anchor, n in pages.items()}
        page.evaluate(_SET_NUMBERS % json.dumps(numbers, ensure_ascii=False))
    raise RuntimeError("the contents' page numbers did not settle after three printings")


# Chromium's own /CreationDate and /ModDate: the clock, overwritten in place (same length)
_CLOCK = re.compile(rb"(/(?:CreationDate|ModDate) ?\(D:)(\d{14})")


def finish(pdf: bytes, m) -> bytes:
    """Right-to-left page order and fixed metadata, appended to Chromium's PDF as an
    incremental update (a new catalog and Info, a trailer with /ID): the pages are not
    rewritten, which for a long book is seconds of pypdf saved. The clock Chromium wrote
    into its Info is overwritten in place, so no byte depends on when the book was built.
    The /ID hashes what the pages draw: the same book gets the same /ID wherever it is
    built, a changed manuscript, template or paper a new one."""
    reader = PdfReader(io.BytesIO(pdf))
    drawn = hashlib.sha256()
    for page in reader.pages:
        contents = page.get_contents()
        if contents is not None:
            drawn.update(contents.get_data())
    ident = ByteStringObject(drawn.digest()[:16])
    date = pdfx.pdf_date(m)
    digits = date[2:16].encode()
    body = _CLOCK.sub(lambda found: found.group(1) + digits, pdf)
    previous = re.search(rb"startxref\s+(\d+)\s+%%EOF\s*$", pdf)
    root_ref, info_ref = reader.trailer.raw_get("/Root"), reader.trailer.raw_get("/Info")
    if previous is None or "/Prev" in reader.trailer or info_ref is None:
        raise RuntimeError("Chromium's PDF is not laid out as taidan expects (one xref table)")

    catalog = DictionaryObject(reader.trailer["/Root"])
    catalog[NameObject("/ViewerPreferences")] = DictionaryObject({
        NameObject("/Direction"): NameObject("/R2L"),
        NameObject("/DisplayDocTitle"): BooleanObject(True),  # the title, not the file name
    })
    info = DictionaryObject({NameObject(key): create_string_object(value) for key, value in {
        "/Title": m.meta.title,
        "/Author": "、".join(sp.name for sp in m.speakers),
        "/Creator": "taidan print-vertical",
        "/Producer": "taidan (Chromium, pypdf)",
        "/CreationDate": date,
        "/ModDate": date,
    }.items()})

    out = io.BytesIO()
    out.write(body if body.endswith(b"\n") else body + b"\n")
    offsets = {}
    for ref, obj in sorted([(info_ref, info), (root_ref, catalog)], key=lambda r: r[0].idnum):
        offsets[ref.idnum] = out.tell()
        out.write(f"{ref.idnum} {ref.generation} obj\n".encode())
        obj.write_to_stream(out)
        out.write(b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 1\n0000000000 65535 f \n")
    for number, offset in offsets.items():
        out.write(f"{number} 1\n{offset:010d} 00000 n \n".encode())
    trailer = DictionaryObject({
        NameObject("/Size"): NumberObject(reader.trailer["/Size"]),
        NameObject("/Root"): root_ref,
        NameObject("/Info"): info_ref,
        NameObject("/Prev"): NumberObject(int(previous.group(1))),
        NameObject("/ID"): ArrayObject([ident, ident]),
    })
    out.write(b"trailer\n")
    trailer.write_to_stream(out)
    out.write(f"\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def produce(m, options) -> dict[str, bytes]:
    paper = options.paper if options.paper in PAPERS else DEFAULT_PAPER
    groups = plan(m)
    # the manuscript's folder, the templates, the fonts; Chromium starts while the book is
    # rendered to HTML and shuts down while pypdf finishes the PDF
    press = options.press and pdfx.what(options.press, options.colours)
    with chromium.browser(guard.roots(m)) as page:
        if len(groups) > 1:
            book = render_in_pieces(page, m, paper, groups, press)
            page.quit()
        else:
            pdf = render_pdf(page, m, paper, press)
            page.quit()
            book = finish(pdf, m)
    if options.press:  # the PDF/X file: boxes, marks, ink, keys (the pages stay as they are)
        book = pdfx.make(book, m, options.press, options.colours, options.press_marks)
    return {EDITIONS[NAME].outputs[0].file(m): book}


# ---- a long book, a piece at a time --------------------------------------------------------
# Chromium holds the whole of a document it lays out: a 300-page book took 1.1 GB. A long
# book is laid out in pieces instead, one page load at a time (each in a fresh page, closed
# after), and joined (taidan.pipeline.join). Every section opens a page of its own (its named
# page, book.html), so a piece of whole sections paginates as it does in the book; the only
# thing that differs by a page's side is its margins (the text block is as large on both),
# which a piece starting on a left-hand page swaps (book.css). Chromium cannot carry page
# numbers over (`@page :first { counter-reset: page N }` numbers that page alone), so the
# pieces are printed without folios and running heads and one document of those alone,
# for the whole book's pages (each with its named page: a section's, part, front or back),
# is drawn over them as artifacts. The contents is laid out last, its numbers known.

PIECE_KB = 64  # about 30 pages of A5: a piece's share of the manuscript


@dataclass(frozen=True)
class Piece:
    """What book.html is told about the piece it lays out."""
    front: bool = False  # the title page and contents
    body: list = field(default_factory=list)  # (part, its header here?, its sections here)
    back: bool = False  # the colophon
    swap: bool = False  # the first page is an even page of the book
    targets: tuple = ()  # link targets, for their named destinations (where each page starts)
    elsewhere: tuple = ()  # the ids the front's contents link to, in the other pieces


def plan(m) -> list[list]:
    """The book in runs of (part, header, sections), each laid out apart; one run: whole."""
    wanted, kb = asked(m)
    whole = [[(part, True, part.sections) for part in m.parts]]
    if wanted == 1 or kb < 2 * PIECE_KB or len(m.sections) < 2:
        return whole
    units = []  # a part's header goes with its first section
    for part in m.parts:
        sections = part.sections or [None]
        for k, s in enumerate(sections):
            weight = (len(part.blocks) if k == 0 else 0) + (len(s.blocks) if s else 0)
            units.append((part, k == 0, [s] if s else [], weight + 1))
    share = PIECE_KB * sum(u[3] for u in units) / kb
    groups, acc = [[]], 0
    for part, header, sections, weight in units:
        if acc >= share:
            groups.append([])
            acc = 0
        run = groups[-1]
        if run and run[-1][0] is part:
            run[-1] = (part, run[-1][1], run[-1][2] + sections)
        else:
            run.append((part, header, sections))
        acc += weight
    return groups if len(groups) > 1 else whole


def _starts(body, last: bool) -> dict[str, str]:
    """Where a piece's named pages start: {link target: named page}."""
    starts = {}
    for part, header, sections in body:
        if header and part.title:
            starts[part.anchor + "-h"] = "part"
        elif header and part.blocks:
            starts[part.anchor] = "part"
        for s in sections:
            starts[s.anchor + "-h"] = s.anchor
    if last:
        starts["colophon-h"] = "back"
    return starts


# Chromium loads the faces a document's text uses, not those of its margin boxes alone
_LOAD_FONTS = "Promise.all([...document.fonts].map(face => face.load())).then(() => true)"


def _print(page, html: str, tagged: bool = True, script: str | None = None) -> bytes:
    """``html`` printed in a page of its own, closed after; ``script`` run before."""
    page.load(chromium.write_document(page, html))
    try:
        if script:
            page.evaluate(script)
        return page.pdf(tagged)
    finally:
        page.close_page()


def render_in_pieces(page, m, paper: str, groups, press=None) -> bytes:
    from taidan.pipeline.join import join  # deferred: pikepdf, only for a long book

    # the front's length: hidden, as render_pdf's first print (the contents' leaders alone
    # take seconds to print)
    front = _print(page, _html(m, paper, {}, press, Piece(front=True)), script=_HIDE)
    first = len(PdfReader(io.BytesIO(front)).pages) + 1
    names = ["front"] * (first - 1)  # each page's named page
    numbers: dict[str, int] = {}
    pieces = []
    for k, body in enumerate(groups):
        starts = _starts(body, k == len(groups) - 1)
        piece = Piece(body=body, back=k == len(groups) - 1, swap=first % 2 == 0, targets=tuple(starts))
        html = _html(m, paper, {}, press, piece)
        pdf = _print(page, html)
        found = section_pages(pdf)
        count = len(PdfReader(io.BytesIO(pdf)).pages)
        begins = sorted((found[target], name) for target, name in starts.items())
        if not begins or begins[0][0] != 1:
            raise RuntimeError("a piece of the book does not open with a section or part")
        for n in range(1, count + 1):
            names.append([name for start, name in begins if start <= n][-1])
        numbers.update({anchor: first - 1 + n for anchor, n in found.items()})
        pieces.append((pdf, False, _levels(html)))
        first += count
    headings = {a: n for a, n in numbers.items() if a.endswith("-h")}
    contents = _html(m, paper, headings, press, Piece(front=True, elsewhere=tuple(sorted(headings))))
    front = finish(_print(page, contents), m)  # its catalog and Info become the book's
    if len(PdfReader(io.BytesIO(front)).pages) != names.count("front"):
        raise RuntimeError("the contents took more pages with its numbers than without")
    furniture = _print(page, _html(m, paper, {}, press, furniture=names), tagged=False, script=_LOAD_FONTS)
    # the text pieces after the first continue the <main> the one before began
    return join([(front, False, _levels(contents)), *pieces], furniture,
                continued=frozenset(range(2, len(pieces) + 1)))


def _levels(html: str) -> list[int]:
    """The level of each bookmark Chromium makes of a document: one for each heading."""
    return [int(level) for level in re.findall(r"<h([1-6])[ >]", html)]
