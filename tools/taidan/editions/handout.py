"""The handout edition: the whole interview on A4 sheets to hand out at an event."""

from __future__ import annotations

from taidan.engines.weasyprint import pdf
from taidan.render.jinja import render
from taidan.editions.registry import EDITIONS

NAME = "handout"


def produce(m, options) -> dict[str, bytes]:
    html = render(NAME, "handout.html", m, created=m.meta.timestamp, **({} if m.cjk else {"word_hyphens": True}), font_url=pdf.font_url,
                  image_href=lambda image: image.path.resolve().as_uri())
    return {EDITIONS[NAME].outputs[0].file(m): pdf.write_pdf(html, m)}
