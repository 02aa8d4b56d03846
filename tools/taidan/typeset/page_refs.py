"""pydyf's list of page references built once per page, not once per use.

A tagged PDF's structure tree names the page of every element (``/Pg``), and every link
and bookmark names the page it goes to. WeasyPrint 70 (``weasyprint/pdf/tags.py``,
``anchors.py``) reads ``pdf.page_references[page]`` for each, and pydyf 0.13 builds that
tuple of every page's reference anew on each read: a 300-page book with some ten
thousand tagged paragraphs formats millions of references, and its time per page grows
with its length. ``install()`` keeps the tuple until a page is added. Same bytes.

Upstream change called for: pydyf could keep the references as pages are added (or
WeasyPrint read the tuple once).
"""

from __future__ import annotations

_original = None


def _page_references(pdf) -> tuple:
    kids = pdf.pages["Kids"]  # [number, 0, "R"] per page, only ever extended
    kept = pdf.__dict__.get("_taidan_page_references")
    if kept is None or kept[0] != len(kids):
        kept = (len(kids), _original.fget(pdf))
        pdf._taidan_page_references = kept
    return kept[1]


def install() -> None:
    """Patches pydyf.PDF (idempotent)."""
    global _original
    import pydyf

    if _original is None:
        _original = pydyf.PDF.page_references
        pydyf.PDF.page_references = property(_page_references)
