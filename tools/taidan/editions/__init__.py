"""The editions: each is a module with NAME and ``produce(m, options)``.

``produce`` returns {file name: bytes}; writing the files is the builder's job, so every
edition gets the same atomic writes. Modules are imported only when their edition is built.
"""

from __future__ import annotations

import importlib

from taidan.config.options import Options  # noqa: F401 - what every edition is produced under

EDITIONS = {
    "html": "taidan.editions.html",
    "epub": "taidan.editions.epub",
    "epub-vertical": "taidan.editions.epub_vertical",
    "kepub": "taidan.editions.kepub",
    "print-vertical": "taidan.editions.print_vertical",
    "print": "taidan.editions.print_pdf",
    "handout": "taidan.editions.handout",
}


VERTICAL = ("epub-vertical", "print-vertical")


def skip_reason(name: str, m) -> str | None:
    """Why edition ``name`` does not apply to manuscript ``m`` (None: it does)."""
    if name in VERTICAL and not m.vertical_ok:
        return "vertical editions are for lang ja and zh"
    return None


def edition(name: str):
    return importlib.import_module(EDITIONS[name])
