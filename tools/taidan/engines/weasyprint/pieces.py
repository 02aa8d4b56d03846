"""A piece of a long book laid out by WeasyPrint apart from the others, as if it were laid out
with the whole book: the patches that let a forked worker lay out one run of parts while
another lays out the next (taidan.pipeline.pieces runs them and joins the PDFs).

WeasyPrint lays a document out in two steps (``layout_document``,
``weasyprint/layout/__init__.py``): it paginates, then it makes each page's margin boxes
(running heads, folios) from the counters and named strings the pagination left. Only the
second step needs to know what came before the piece. So a piece paginates at once, side
by side with the others, then stops before its first margin box and reports its page count,
the pages its anchors fell on and the last value of each named string; the parent answers
with the number of the piece's first page, the book's page count and the named strings
carried over from the pieces before it, and the piece goes on. Pagination itself does not
depend on them: every piece but the first begins on a right-hand page (a part, or the text
after the contents, ``break-before: right``), as it does in the whole book.

With no piece under way (``begin`` not called) every replacement calls WeasyPrint's own.
The replacements:

- ``_page_type_match``: a piece after the first has no ``:first`` page (WeasyPrint takes
  the first page of each document for the book's first);
- ``make_all_pages``: keeps the laid-out pages, to find the anchors on them;
- ``make_margin_boxes``: the stop described above, once per document;
- ``resolve_links``: keeps the links to anchors laid out in other pieces (the contents'),
  which WeasyPrint drops as broken; the join resolves them by name.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from taidan.engines.weasyprint import fast_import  # noqa: F401,I001 - WeasyPrint imported the quick way, first
from weasyprint import layout
from weasyprint.css import StyleFor
import weasyprint.pdf as pdf_package

from taidan.engines.weasyprint.patching import Patches, require_pinned

PATCH = Patches("pieces")


@dataclass
class Piece:
    """The piece this process lays out: ``first`` is the book's first (it keeps ``:first``),
    ``wanted`` the anchors whose pages the parent needs, ``elsewhere`` the anchors laid out
    in other pieces (links to them are kept), ``paginated`` the call that reports and waits."""
    first: bool
    wanted: frozenset = frozenset()
    elsewhere: frozenset = frozenset()
    paginated: object = None  # (Report) -> Answer
    contexts: set = field(default_factory=set)


@dataclass
class Report:
    pages: int  # pages laid out
    anchors: dict  # anchor -> 0-based page index in the piece (those wanted)
    strings: dict  # named string -> its value at the piece's end
    levels: list  # each bookmark's bookmark-level, in order (the PDF keeps only its depth)


@dataclass
class Answer:
    first_page: int  # the number of the piece's first page in the book
    total: int  # the book's pages (counter(pages))
    strings: dict  # named string -> its value where the piece begins


_piece: Piece | None = None


def begin(piece: Piece) -> None:
    """This process now lays out ``piece`` (a forked worker lays out one and ends)."""
    global _piece
    install()
    _piece = piece


def end() -> None:
    global _piece
    _piece = None


def page_type_match(page_selector_type, page_type):
    if _piece is not None and not _piece.first and page_selector_type.first is True:
        PATCH.ran.add("_page_type_match")
        return False
    return PATCH.originals["_page_type_match"](page_selector_type, page_type)


def make_all_pages(context, root_box, html, pages):
    made = PATCH.originals["make_all_pages"](context, root_box, html, pages)
    if _piece is None:
        return made
    made = list(made)
    context.taidan_pages = made  # the last pagination's pages are the layout's
    return iter(made)


def make_margin_boxes(context, page, state):
    if _piece is not None and id(context) not in _piece.contexts:
        _piece.contexts.add(id(context))
        PATCH.ran.add("make_margin_boxes")
        _carry_on(context, _piece.paginated(_report(context)))
    return PATCH.originals["make_margin_boxes"](context, page, state)


def _report(context) -> Report:
    pages = context.taidan_pages
    found, levels = {}, []
    for index, page in enumerate(pages):
        for box in page.descendants():
            anchor = box.style["anchor"]
            if anchor in _piece.wanted and anchor not in found:
                found[anchor] = index
            # as weasyprint/anchors.py gather_anchors finds bookmarks
            if box.bookmark_label and box.style["bookmark_level"] != "none":
                levels.append(box.style["bookmark_level"])
    strings = {name: values[max(values)][-1] for name, values in context.string_set.items() if values}
    return Report(len(pages), found, strings, levels)


def _carry_on(context, answer: Answer) -> None:
    """Numbers the piece's pages from ``answer.first_page`` and starts its named strings
    with the values they had where it begins."""
    offset = answer.first_page - 1
    seen = set()
    for entry in context.page_maker:
        counters = entry[3][1]
        if id(counters) in seen:
            continue
        seen.add(id(counters))
        if "page" in counters:
            counters["page"] = [value + offset for value in counters["page"]]
        counters["pages"] = [answer.total]
    for name, value in answer.strings.items():
        if 1 not in context.string_set[name]:  # the first page sets none: the carried one holds
            context.string_set[name][1] = [value]


def resolve_links(pages):
    if _piece is None or not _piece.elsewhere:
        yield from PATCH.originals["resolve_links"](pages)
        return
    # WeasyPrint's own (weasyprint/pdf/anchors.py), keeping links to ``elsewhere``
    PATCH.ran.add("resolve_links")
    anchors, paged_anchors = set(), []
    for page in pages:
        paged_anchors.append([])
        for anchor_name, (point_x, point_y, _, _) in page.anchors.items():
            if anchor_name not in anchors:
                paged_anchors[-1].append((anchor_name, point_x, point_y))
                anchors.add(anchor_name)
    known = anchors | _piece.elsewhere
    for page in pages:
        links = [link for link in page.links if link[0] != "internal" or link[1] in known]
        yield links, paged_anchors.pop(0)


def install() -> None:
    """Patches WeasyPrint (idempotent). Raises RuntimeError on an unpinned WeasyPrint."""
    require_pinned()
    if PATCH.installed:
        return
    PATCH.replace(StyleFor, "_page_type_match", staticmethod(page_type_match))
    PATCH.replace(layout, "make_all_pages", make_all_pages)
    PATCH.replace(layout, "make_margin_boxes", make_margin_boxes)
    PATCH.replace(pdf_package, "resolve_links", resolve_links)
