"""The print edition: a small book (A5 by default) laid out by WeasyPrint.

Page size, bleed and crop marks are options; everything else about the look lives in
templates/print/.
"""

from __future__ import annotations

from taidan.config.paper import PAPERS
from taidan.engines.weasyprint import pdf
from taidan.render.jinja import render
from taidan.editions.registry import EDITIONS

NAME = "print"


def produce(m, options) -> dict[str, bytes]:
    html = render(NAME, "book.html", m, paper=options.paper, paper_size=PAPERS[options.paper],
                  press=options.press,
                  created=m.meta.timestamp, **({} if m.cjk else {"word_hyphens": True}), font_url=pdf.font_url,
                  image_href=lambda image: image.path.resolve().as_uri())
    # --press is for a print shop (PDF/X), not a screen reader: it does not claim PDF/UA
    return {EDITIONS[NAME].outputs[0].file(m): pdf.write_pdf(html, m, None if options.press else pdf.UA)}
