"""The print edition: a small book (A5 by default) laid out by WeasyPrint.

Page size, bleed and crop marks are options; everything else about the look lives in
templates/print/.
"""

from __future__ import annotations

from taidan.engines.weasyprint import pdf
from taidan.render.jinja import render

NAME = "print"


def produce(m, options) -> dict[str, bytes]:
    html = render(NAME, "book.html", m, paper=options.paper, press=options.press,
                  created=pdf.source_date(m), font_url=pdf.font_url,
                  image_href=lambda image: image.path.resolve().as_uri())
    return {f"{m.name}.pdf": pdf.write_pdf(html, m)}
