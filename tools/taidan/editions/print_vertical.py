"""The vertical print edition (縦組み): a book PDF set by headless Chromium.

Chromium sets vertical text, ruby, emphasis dots, tate-chu-yoko and strict kinsoku, but has
no target-counter(): the book is loaded once and printed with its headings alone; the page
of each heading is read back from that PDF's named destinations, written into the contents
of the loaded page, and the book printed (the contents keep their size: the numbers sit in
a fixed 3em box). Chromium knows nothing of right-to-left binding and stamps the clock into
its PDFs: an incremental update (written with pypdf's objects) adds /ViewerPreferences
/Direction /R2L, fixed dates and an /ID, so equal manuscripts give byte-identical files.
"""

from __future__ import annotations

import hashlib
import io
import json
import re

from markupsafe import Markup
from pypdf import PdfReader
from pypdf.generic import (ArrayObject, BooleanObject, ByteStringObject, DictionaryObject,
                           NameObject, NumberObject, create_string_object)

from taidan import model
from taidan.config.paper import DEFAULT_PAPER, PAPERS
from taidan.pipeline import guard
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


def _html(m, paper: str, pages: dict[str, int], press=None) -> str:
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
    # the manuscript's folder, the templates, the fonts; Chromium starts while the book is
    # rendered to HTML and shuts down while pypdf finishes the PDF
    press = options.press and pdfx.what(options.press, options.colours)
    with chromium.browser(guard.roots(m)) as page:
        pdf = render_pdf(page, m, paper, press)
        page.quit()
    book = finish(pdf, m)
    if options.press:  # the PDF/X file: boxes, marks, ink, keys (the pages stay as they are)
        book = pdfx.make(book, m, options.press, options.colours, options.press_marks)
    return {EDITIONS[NAME].outputs[0].file(m): book}
