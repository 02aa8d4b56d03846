"""The handout edition: the whole interview on office paper to hand out at an event: A4, or
Letter when the book is Letter (``Paper.handout`` in taidan.config.paper)."""

from __future__ import annotations

from taidan.config.paper import PAPERS
from taidan.engines.weasyprint import pdf
from taidan.render.jinja import render
from taidan.editions.registry import EDITIONS

NAME = "handout"


def produce(m, options) -> dict[str, bytes]:
    sheet = PAPERS[PAPERS[options.paper].handout]
    html = render(NAME, "handout.html", m, created=m.meta.timestamp, **({} if m.cjk else {"word_hyphens": True}),
                  font_url=pdf.font_url, paper_size=sheet,
                  image_href=lambda image: image.path.resolve().as_uri())
    return {EDITIONS[NAME].outputs[0].file(m): pdf.write_pdf(html, m)}
