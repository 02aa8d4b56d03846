"""A footnote fix for WeasyPrint 70: no footnote sent to a later page by a rounding error.

Each time a footnote is added to a page, ``LayoutContext._update_footnote_area``
(``weasyprint/layout/__init__.py``) lays out the footnote area again and calls it an
overflow when the last note's bottom lies below the area's bottom: two sums of floats that
are equal when the notes fit, and that rounding can leave some 1e-14 px apart (A5, 9.5 pt
text, 7 pt notes, a rule and a margin above them: one note in three). The note is then
moved to the next page, and so is every later note of that page, one page each; notes moved
past the last page were lost (English print editions with three notes on a page printed
one, the others on the colophon or nowhere).

``install()`` compares with a tolerance of 1/100 px. Upstream: the comparison in
``_update_footnote_area`` should allow for rounding. Pinned to WeasyPrint 70.0 like
``taidan.engines.weasyprint.justify``.
"""

from __future__ import annotations

import inspect
import textwrap

from taidan.engines.weasyprint import fast_import  # noqa: F401,I001 - WeasyPrint imported the quick way, first
from weasyprint import layout

from taidan.engines.weasyprint.patching import Patches, require_pinned

_STOCK = "overflow = last_child_bottom > footnote_area_bottom"
_FIXED = "overflow = last_child_bottom > footnote_area_bottom + 0.01  # px: not rounding"

PATCH = Patches("footnotes")
disabled = PATCH.disabled  # WeasyPrint's own comparison inside the block (to compare with)


def install() -> None:
    """Patches WeasyPrint (idempotent). Raises RuntimeError on an unpinned WeasyPrint."""
    require_pinned()
    if PATCH.installed:
        return
    method = layout.LayoutContext._update_footnote_area
    source = textwrap.dedent(inspect.getsource(method))
    if source.count(_STOCK) != 1:
        raise RuntimeError("taidan.engines.weasyprint.footnotes: weasyprint.layout.LayoutContext."
                           "_update_footnote_area is not the one this module was written for")
    namespace = dict(vars(layout))
    exec(compile(source.replace(_STOCK, _FIXED), inspect.getsourcefile(layout), "exec"),  # noqa: S102
         namespace)  # WeasyPrint's own source, one comparison changed
    fixed = namespace["_update_footnote_area"]

    def _update_footnote_area(self):
        if not PATCH.enabled:
            return method(self)
        PATCH.ran.add("_update_footnote_area")
        return fixed(self)

    PATCH.replace(layout.LayoutContext, "_update_footnote_area", _update_footnote_area)
