"""The editions: each is a module with NAME and ``produce(m, options)``.

``produce`` returns {file name: bytes}; writing the files is the builder's job, so every
edition gets the same atomic writes. Modules are imported only when their edition is built.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field

from taidan.config.project import Publisher
from taidan.config.style import Style

EDITIONS = {
    "html": "taidan.editions.html",
    "epub": "taidan.editions.epub",
    "epub-vertical": "taidan.editions.epub_vertical",
    "kepub": "taidan.editions.kepub",
    "print-vertical": "taidan.editions.print_vertical",
    "print": "taidan.editions.print_pdf",
    "handout": "taidan.editions.handout",
}


@dataclass(frozen=True)
class Options:
    paper: str = "A5"  # print edition: A5, B6, A4 or Letter
    press: bool = False  # print edition: 3 mm bleed and crop marks
    embed_fonts: bool = False  # EPUB editions: embed subset fonts
    # from the book project (taidan.config.project): its templates folder overriding the built-in
    # files one by one, its house style, publisher defaults and accessibility certifier
    templates: str = ""
    style: Style = field(default_factory=Style)
    publisher: Publisher = field(default_factory=Publisher)
    certified_by: str = ""


VERTICAL = ("epub-vertical", "print-vertical")


def skip_reason(name: str, m) -> str | None:
    """Why edition ``name`` does not apply to manuscript ``m`` (None: it does)."""
    if name in VERTICAL and not m.vertical_ok:
        return "vertical editions are for lang ja and zh"
    return None


def edition(name: str):
    return importlib.import_module(EDITIONS[name])
