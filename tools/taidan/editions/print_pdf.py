"""The print edition: a small book (A5 by default) laid out by WeasyPrint.

Page size, bleed and crop marks are options; everything else about the look lives in
templates/print/.
"""

from __future__ import annotations

from taidan.engines.weasyprint import pdf
from taidan.render.jinja import render
from taidan.engines.weasyprint import justify, linebreak

NAME = "print"


def produce(m, options) -> dict[str, bytes]:
    justify.install()  # Japanese justification and punctuation spacing
    linebreak.install()  # no break after a run's first word (WeasyPrint 70)
    html = render(NAME, "book.html", m, paper=options.paper, press=options.press,
                  created=m.meta.timestamp, font_url=pdf.font_url,
                  image_href=lambda image: image.path.resolve().as_uri())
    return {f"{m.name}.pdf": pdf.write_pdf(html, m)}
