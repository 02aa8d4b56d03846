"""The handout edition: the whole interview on office paper to hand out at an event: A4, or
Letter when the book is Letter (``Paper.handout`` in taidan.config.paper). A long book is
laid out in pieces on every core and joined (taidan.pipeline.pieces)."""

from __future__ import annotations

from taidan.config.paper import PAPERS
from taidan.engines.weasyprint import pdf
from taidan.render.jinja import render
from taidan.editions.registry import EDITIONS
from taidan.pipeline import pieces

NAME = "handout"


def produce(m, options) -> dict[str, bytes]:
    sheet = PAPERS[PAPERS[options.paper].handout]

    def html(piece=None) -> str:
        return render(NAME, "handout.html", m, created=m.meta.timestamp, piece=piece,
                      **({} if m.cjk else {"word_hyphens": True}), font_url=pdf.font_url, paper_size=sheet,
                      image_href=lambda image: image.path.resolve().as_uri())

    groups = pieces.plan(m, NAME)
    if len(groups) < 2:
        book = pdf.write_pdf(html(), m)
    else:
        book = pieces.lay_out(m, groups, html, lambda text: pdf.write_pdf(text, m), front=False)
    return {EDITIONS[NAME].outputs[0].file(m): book}
