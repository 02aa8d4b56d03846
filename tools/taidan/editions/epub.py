"""The epub edition: EPUB 3, horizontal, for e-readers and stores."""

from __future__ import annotations

from taidan.editions.epub_base import EpubEdition

NAME = "epub"

EDITION = EpubEdition(NAME, vertical=False, fonts=[
    ("taidan-mincho", "normal", "mincho"),
    ("taidan-gothic", "normal", "gothic"),
    ("taidan-gothic", "bold", "gothic-bold"),
], latin_fonts=[
    ("taidan-serif", "normal", "serif"),
    ("taidan-serif", "normal", "serif-italic"),
    ("taidan-serif", "bold", "serif-bold"),
    ("taidan-serif", "bold", "serif-bold-italic"),
    ("taidan-sans", "normal", "sans"),
    ("taidan-sans", "bold", "sans-bold"),
])
outputs = EDITION.outputs
produce = EDITION.produce
