"""The print edition: a small book (A5 by default) laid out by WeasyPrint.

The page size is an option; with --press the book is made a PDF/X file (bleed, trim marks,
ink: taidan.engines.pdfx); everything else about the look lives in templates/print/.
"""

from __future__ import annotations

from taidan.config.paper import PAPERS
from taidan.engines import pdfx
from taidan.engines.weasyprint import pdf
from taidan.render.jinja import render
from taidan.editions.registry import EDITIONS

NAME = "print"


def produce(m, options) -> dict[str, bytes]:
    html = render(NAME, "book.html", m, paper=options.paper, paper_size=PAPERS[options.paper],
                  press=options.press and pdfx.what(options.press, options.colours),
                  created=m.meta.timestamp, **({} if m.cjk else {"word_hyphens": True}), font_url=pdf.font_url,
                  image_href=lambda image: image.path.resolve().as_uri())
    book = pdf.write_pdf(html, m)
    if options.press:
        book = pdfx.make(book, m, options.press, options.colours, options.press_marks)
    return {EDITIONS[NAME].outputs[0].file(m): book}
