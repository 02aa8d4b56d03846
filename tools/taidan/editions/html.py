"""The html edition: one self-contained page per manuscript, the proofreading view."""

from __future__ import annotations

from taidan.render.jinja import data_uri, render
from taidan.editions.registry import EDITIONS

NAME = "html"


def produce(m, options) -> dict[str, bytes]:
    page = render(NAME, "page.html", m, image_href=lambda image: data_uri(image.path))
    return {EDITIONS[NAME].outputs[0].file(m): page.encode("utf-8")}
