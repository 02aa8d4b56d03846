"""The epub edition: EPUB 3, horizontal, for e-readers and stores."""

from __future__ import annotations

from taidan.editions.epub_base import EpubEdition

NAME = "epub"

EDITION = EpubEdition(NAME, vertical=False, fonts=[
    ("taidan-mincho", "normal", "mincho"),
    ("taidan-gothic", "normal", "gothic"),
    ("taidan-gothic", "bold", "gothic-bold"),
])
outputs = EDITION.outputs
produce = EDITION.produce
