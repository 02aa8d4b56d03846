"""The handout edition: the whole interview on A4 sheets to hand out at an event."""

from __future__ import annotations

from taidan.engines.weasyprint import pdf
from taidan.render.jinja import render

NAME = "handout"


def produce(m, options) -> dict[str, bytes]:
    html = render(NAME, "handout.html", m, created=pdf.source_date(m), font_url=pdf.font_url,
                  image_href=lambda image: image.path.resolve().as_uri())
    return {f"{m.name}-handout.pdf": pdf.write_pdf(html, m)}
