"""The print edition: a small book (A5 by default) laid out by WeasyPrint.

The page size is an option; with --press the book is made a PDF/X file (bleed, trim marks,
ink: taidan.engines.pdfx); everything else about the look lives in templates/print/. A long
book is laid out in pieces on every core and joined (taidan.pipeline.pieces); the result is
the same book.
"""

from __future__ import annotations

from taidan.config.paper import PAPERS
from taidan.engines import pdfx
from taidan.engines.weasyprint import pdf
from taidan.render.jinja import render
from taidan.editions.registry import EDITIONS
from taidan.pipeline import pieces

NAME = "print"


def produce(m, options) -> dict[str, bytes]:
    press = options.press and pdfx.what(options.press, options.colours)  # for the colophon

    def html(piece=None) -> str:
        return render(NAME, "book.html", m, paper=options.paper, paper_size=PAPERS[options.paper],
                      press=press, piece=piece,
                      created=m.meta.timestamp, **({} if m.cjk else {"word_hyphens": True}),
                      font_url=pdf.font_url, image_href=lambda image: image.path.resolve().as_uri())

    # --press is for a print shop (PDF/X), not a screen reader: it does not claim PDF/UA
    variant = None if options.press else pdf.UA
    groups = pieces.plan(m, NAME)
    if len(groups) < 2:
        book = pdf.write_pdf(html(), m, variant)
    else:
        book = pieces.lay_out(m, groups, html, lambda text: pdf.write_pdf(text, m, variant))
    if options.press:  # the joined book made a PDF/X file: boxes, marks, ink, keys
        book = pdfx.make(book, m, options.press, options.colours, options.press_marks)
    return {EDITIONS[NAME].outputs[0].file(m): book}
