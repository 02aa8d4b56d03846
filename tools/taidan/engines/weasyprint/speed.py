"""WeasyPrint 70 and pydyf 0.13 steps whose cost grows with the square of a book's length.

Two steps walk the whole document once per page, or once per object, so each page of a
long book costs more than a page of a short one:

- ``pydyf.PDF.page_references`` is a property that builds a tuple of every page's
  reference each time it is read, and ``weasyprint/pdf/tags.py`` reads it once per
  structure element (several per line of text).
  Here it is kept, and rebuilt only when a page has been added since.
- ``set_page_type_computed_styles`` (``weasyprint/layout/page.py``) looks for the page's
  margin boxes among the cascaded styles of every element of the document, and of every
  page before, once per page. Here it looks only at the page's own ones: the pseudo-types
  ``add_page_declarations`` gave it, in the same order.

A third cost of that kind, Python's cycle collector walking a heap that grows with the book at
each full collection, is taken out where the build runs its editions
(``taidan.pipeline.parallel``: a frozen heap, higher thresholds).

Nothing drawn changes: the PDF's bytes are the same with or without
(tests/test_weasy_speed.py).
Upstream changes called for are in each function's comment.
"""

from __future__ import annotations

from taidan.engines.weasyprint import fast_import  # noqa: F401,I001 - WeasyPrint imported the quick way, first
import pydyf
from weasyprint.layout import page

from taidan.engines.weasyprint.patching import Patches, require_pinned

PATCH = Patches("speed")
disabled = PATCH.disabled  # WeasyPrint's own steps inside the block (to compare with)


def page_references(self):
    # Upstream (pydyf): keep the references in a list that add_page appends to, or let
    # weasyprint/pdf/tags.py read the property once.
    kids = self.pages["Kids"]
    cached = self.__dict__.get("_taidan_page_references")
    if not PATCH.enabled or cached is None or cached[0] != len(kids):
        cached = len(kids), PATCH.originals["page_references"].fget(self)
        self.__dict__["_taidan_page_references"] = cached
    else:
        PATCH.ran.add("page_references")  # kept, not rebuilt
    return cached[1]


def set_page_type_computed_styles(page_type, html, style_for):
    # Upstream (weasyprint/layout/page.py): loop over the pseudo-types of the page's own
    # rules instead of over every cascaded style of the document.
    if not PATCH.enabled:
        return PATCH.originals["set_page_type_computed_styles"](page_type, html, style_for)
    PATCH.ran.add("set_page_type_computed_styles")
    style_for.add_page_declarations(page_type)
    style_for.set_computed_styles(page_type, root=html.etree_element, parent=html.etree_element,
                                  base_url=html.base_url)
    cascaded = style_for.get_cascaded_styles()
    for pseudo_type in _page_pseudo_types(style_for, page_type):
        if (page_type, pseudo_type) in cascaded:
            style_for.set_computed_styles(page_type, pseudo_type=pseudo_type, root=html.etree_element,
                                          parent=page_type, base_url=html.base_url)


def _page_pseudo_types(style_for, page_type) -> list:
    """The pseudo-types (margin boxes, footnote area) of the @page rules matching
    ``page_type``, in the order ``add_page_declarations`` first meets them: the order in
    which it added them to the cascaded styles."""
    seen = {}
    for sheet, _, _ in style_for._sheets:
        for _, selectors, _ in sheet.page_rules:
            for _, pseudo_type, selector_type in selectors:
                if pseudo_type and pseudo_type not in seen and style_for._page_type_match(selector_type, page_type):
                    seen[pseudo_type] = None
    return list(seen)


def install() -> None:
    """Patches WeasyPrint and pydyf (idempotent). Raises RuntimeError when either is not
    the pinned version."""
    require_pinned()
    if PATCH.installed:
        return
    PATCH.replace(pydyf.PDF, "page_references", property(page_references))
    PATCH.replace(page, "set_page_type_computed_styles", set_page_type_computed_styles)
