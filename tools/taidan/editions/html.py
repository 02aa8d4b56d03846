"""The html edition: one self-contained page per manuscript, the proofreading view."""

from __future__ import annotations

from taidan.render.jinja import data_uri, render

NAME = "html"


def produce(m, options) -> dict[str, bytes]:
    page = render(NAME, "page.html", m, image_href=lambda image: data_uri(image.path))
    return {f"{m.name}.html": page.encode("utf-8")}
