"""The kepub edition: the EPUB books made into Kobo's .kepub.epub (what kepubify does).

A Kobo reads a file named ``.kepub.epub`` with its own renderer (page numbers, reading
statistics, footnote pop-ups). It needs three things, added here to the finished ``epub``
and ``epub-vertical`` packages:

- every sentence of text in a ``<span class="koboSpan" id="kobo.P.S">`` (P counts blocks,
  S sentences within one), and every image in one: the reader's positions are these spans.
  Sentences end at . ! ? followed by a space, and at 。！？; ruby readings (rt, rp) are left
  as they are, so a reading is never a position of its own;
- the body's content inside ``div#book-columns > div#book-inner``;
- the ``cover-image`` property on the cover (the EPUB editions have it already).

The archive is rewritten with the EPUB's fixed times: the same manuscript, the same bytes.
"""

from __future__ import annotations

import io
import zipfile

from lxml import etree

from taidan.editions import epub, epub_vertical, epub_zip, readalong
from taidan.editions.registry import EDITIONS

NAME = "kepub"
XHTML_NS = "http://www.w3.org/1999/xhtml"
OPF_NS = "http://www.idpf.org/2007/opf"
# a block starts a new P in kobo.P.S
BLOCKS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "dt", "dd", "figcaption", "blockquote",
          "pre", "td", "th", "div", "section", "aside", "figure", "nav", "header", "footer"}
UNTOUCHED = {"rt", "rp", "script", "style"}  # text that is never a position of its own
MARKS = ".!?。！？"
CLOSERS = "」』）)］]】〕〉》\"'”’"
def sentences(text: str) -> list[str]:
    """``text`` cut into sentences; joined, they give ``text`` back."""
    pieces = []
    position = 0
    while position < len(text):
        match = _next_sentence(text, position)
        pieces.append(text[position:match])
        position = match
    return pieces


def _next_sentence(text: str, start: int) -> int:
    """Where the sentence starting at ``start`` ends: after its marks (. ! ? before a space or
    the end of the text; 。！？ anywhere), the closing brackets and quotes, and the spaces."""
    i = start
    while i < len(text):
        if text[i] not in MARKS:
            i += 1
            continue
        j = i
        while j < len(text) and text[j] in MARKS:
            j += 1
        while j < len(text) and text[j] in CLOSERS:
            j += 1
        if any(ch in "。！？" for ch in text[i:j]) or j == len(text) or text[j].isspace():
            while j < len(text) and text[j].isspace():
                j += 1
            return j
        i = j  # 1.5, U.S.A: not the end of a sentence
    return len(text)


class _Spans:
    """Numbers the spans of one document: kobo.P.S."""

    def __init__(self):
        self.paragraph, self.sentence = 0, 0

    def block(self):
        self.paragraph, self.sentence = self.paragraph + 1, 0

    def span(self) -> etree._Element:
        self.sentence += 1
        span = etree.Element(f"{{{XHTML_NS}}}span", nsmap=None)
        span.set("class", "koboSpan")
        span.set("id", f"kobo.{self.paragraph}.{self.sentence}")
        return span

    def text_spans(self, text: str) -> list[etree._Element]:
        spans = []
        for piece in sentences(text):
            span = self.span()
            span.text = piece
            spans.append(span)
        return spans


def _local(element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _wrap(element, spans: _Spans) -> None:
    """Puts the text inside ``element`` (and its descendants) into koboSpans."""
    name = _local(element)
    if name in UNTOUCHED or not name:
        return
    if name in BLOCKS:
        spans.block()
    children = list(element)
    if element.text and element.text.strip():
        for index, span in enumerate(spans.text_spans(element.text)):
            element.insert(index, span)
        element.text = None
    for child in children:
        after = child
        if _local(child) == "img":
            holder = spans.span()
            child.addprevious(holder)
            holder.append(child)  # moves the image, tail and all
            holder.tail, child.tail = child.tail, None
            after = holder
        else:
            _wrap(child, spans)
        if after.tail and after.tail.strip():
            tail, after.tail = after.tail, None
            for span in reversed(spans.text_spans(tail)):
                after.addnext(span)


def kobo_document(xhtml: bytes) -> bytes:
    """One XHTML document with koboSpans and the book-columns/book-inner wrappers."""
    root = etree.fromstring(xhtml, etree.XMLParser(resolve_entities=False, no_network=True))
    body = root.find(f"{{{XHTML_NS}}}body")
    columns = etree.Element(f"{{{XHTML_NS}}}div", id="book-columns")
    inner = etree.SubElement(columns, f"{{{XHTML_NS}}}div", id="book-inner")
    inner.text, body.text = body.text, "\n"
    for child in list(body):
        inner.append(child)
    body.append(columns)
    columns.tail = "\n"
    _wrap(inner, _Spans())
    text = etree.tostring(root.getroottree(), encoding="unicode", doctype="<!DOCTYPE html>")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + text).encode("utf-8")


def kobo_package(data: bytes) -> bytes:
    """The EPUB ``data`` with every XHTML document of its manifest made for Kobo."""
    source = zipfile.ZipFile(io.BytesIO(data))
    opf_path = epub_zip.package_document(source)
    base = opf_path.rsplit("/", 1)[0] + "/" if "/" in opf_path else ""
    opf = etree.fromstring(source.read(opf_path))
    documents = {base + item.get("href") for item in opf.iter(f"{{{OPF_NS}}}item")
                 if item.get("media-type") == "application/xhtml+xml"}
    covers = [item for item in opf.iter(f"{{{OPF_NS}}}item")
              if "cover-image" in (item.get("properties") or "").split()]
    assert len(covers) == 1, "the EPUB has no cover-image item"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for name in source.namelist():
            content = source.read(name)
            target.writestr(zipfile.ZipInfo(name, epub_zip.ZIP_TIME),  # no clock read, even here
                            kobo_document(content) if name in documents else content)
    return epub_zip.reproducible(out.getvalue())


def produce(m, options) -> dict[str, bytes]:
    """The epub edition's book for Kobo, and epub-vertical's for the languages it is for:
    the registry's two outputs of kepub, in that order."""
    books = {}
    readalong.without_audio(m, NAME)  # Kobo plays no Media Overlays: the books stay silent
    sources = (epub.EDITION, epub_vertical.EDITION)
    for edition, output in zip(sources, EDITIONS[NAME].outputs, strict=True):
        if output.applies(m):
            data = edition.package(m, options.embed_fonts, options.certified_by)
            books[output.file(m)] = kobo_package(data)
    return books
