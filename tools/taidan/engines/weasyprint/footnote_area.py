"""The footnote area of a page measured once for each set of notes, not once each time a
line with a call is laid out again.

Each time a footnote is added to a page or taken off it, ``LayoutContext._update_footnote_area``
(``weasyprint/layout/__init__.py``) copies the page's footnote area with all its notes and
lays them all out again, to learn the area's height and whether the last note overflows it.
A page whose text is laid out again and again lays out its notes each time: in a
multi-column box (the handout), ``columns_layout`` (``weasyprint/layout/column.py``) renders
the columns several times per page to balance them and to make room for the notes, and each
render adds and removes every note of the page one by one. A page with k notes cost about
k² note layouts per render, and the handout's 200 one-line notes took 25 times the CPU time of
the same pages without them.

Two changes, and nothing drawn changes: the PDF's bytes are the same with or without
(tests/test_engines.py).

- **Each set of notes measured once.** The laid-out area depends only on the page's footnote
  area (its width and maximum height, set once per page) and on the notes in it, in order:
  ``install()`` keeps, on the page's area, the height and overflow found for each sequence of
  notes, and gives them back when the same sequence comes again. What the method does to the
  page's bottom is done as before.
- **Notes taken off together, measured once.** ``remove_placeholders``
  (``weasyprint/layout/block.py``) takes a render's notes off the page one by one, first note
  first, and the area was measured after each (every suffix of the page's notes: a new
  sequence each time). Inside a multi-column box the area's height is only read once the
  render is undone (a column does not move the page's bottom, ``context.in_column``), so
  there the area is measured once, when ``remove_placeholders`` returns.

Upstream: ``_update_footnote_area`` could lay out only the note added, or the columns could
be balanced without adding and removing every note at each render.
"""

from __future__ import annotations

from taidan.engines.weasyprint import fast_import  # noqa: F401,I001 - WeasyPrint imported the quick way, first
from weasyprint import layout
from weasyprint.layout import block

from taidan.engines.weasyprint.patching import Patches, require_pinned

PATCH = Patches("footnote_area")
disabled = PATCH.disabled  # WeasyPrint's own re-layout each time (to compare with)

# on the page's footnote area: (in columns, notes) -> (height, overflow)
_KNOWN = "_taidan_footnote_heights"
_DEFERRED = "_taidan_footnotes_removed"  # on the context: None, or whether a note was taken off


def install() -> None:
    """Patches WeasyPrint (idempotent); wraps the method as the footnotes patch left it, so
    it is installed after that one. Raises RuntimeError on an unpinned WeasyPrint."""
    require_pinned()
    if PATCH.installed:
        return
    measure = layout.LayoutContext._update_footnote_area  # the footnotes patch's, when installed

    def _update_footnote_area(self):
        area = self.current_footnote_area
        notes = tuple(self.current_page_footnotes)
        if not PATCH.enabled:
            return measure(self)
        if self.in_column and self.__dict__.get(_DEFERRED) is not None:
            PATCH.ran.add("remove_placeholders")
            self.__dict__[_DEFERRED] = True  # measured when remove_placeholders returns
            return False  # unlayout_footnote, the only caller inside it, ignores the answer
        if not notes:
            return measure(self)
        known = area.__dict__.setdefault(_KNOWN, {})
        key = self.in_column, notes  # a forced column break in a note breaks only in columns
        if key not in known:
            overflow = measure(self)
            known[key] = area.height, overflow
            return overflow
        PATCH.ran.add("_update_footnote_area")
        # what the method does, with the height it found for these notes before
        if area.height != "auto" and not self.in_column:
            self.page_bottom += area.margin_height()
        area.children = self.current_page_footnotes
        area.height, overflow = known[key]
        if not self.in_column:
            self.page_bottom -= area.margin_height()
        return overflow

    PATCH.replace(layout.LayoutContext, "_update_footnote_area", _update_footnote_area)
    stock_remove = block.remove_placeholders

    def remove_placeholders(context, *args):
        if not PATCH.enabled or not context.in_column or context.__dict__.get(_DEFERRED) is not None:
            return stock_remove(context, *args)
        context.__dict__[_DEFERRED] = False
        try:
            return stock_remove(context, *args)
        finally:
            removed = context.__dict__[_DEFERRED]
            context.__dict__[_DEFERRED] = None
            if removed:
                context._update_footnote_area()

    PATCH.replace(block, "remove_placeholders", remove_placeholders)
