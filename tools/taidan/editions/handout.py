"""The handout edition: the whole interview on A4 sheets to hand out at an event."""

from __future__ import annotations

from taidan.engines.weasyprint import pdf
from taidan.render.jinja import render
from taidan.engines.weasyprint import justify, linebreak

NAME = "handout"


def produce(m, options) -> dict[str, bytes]:
    justify.install()  # Japanese justification and punctuation spacing
    linebreak.install()  # no break after a run's first word (WeasyPrint 70)
    html = render(NAME, "handout.html", m, created=m.meta.timestamp, font_url=pdf.font_url,
                  image_href=lambda image: image.path.resolve().as_uri())
    return {f"{m.name}-handout.pdf": pdf.write_pdf(html, m)}
