"""Dot leaders (``content: leader(dotted)``, the contents page) as one text box a line.

WeasyPrint 70 (``weasyprint/layout/leader.py``) fills a leader with one copy of its text
box per dot, each drawn as a text object of its own: a contents page of 90 entries draws
some 5,000 boxes, a tenth of a 50-page book's time. ``install()`` keeps WeasyPrint's
placement (copies aligned from the line's end, so dots line up from line to line) and
then joins the copies into one box holding the dots' text repeated, laid out once. The
dots land where they did: Pango advances the repeated text by the width of one copy per
dot, and the glyph advances are written exactly (``justify._tj_advance``).

One difference in text extraction: where an entry's title ends less than about half a
point before its first dot, pdftotext reads the title and the dots as one word and prints
no space between them.

Upstream change called for: ``handle_leader`` could make one box of the repeated text
in the first place.
"""

from __future__ import annotations

from taidan.engines.weasyprint import fast_import  # noqa: F401,I001 - WeasyPrint imported the quick way, first
from weasyprint.layout import inline
from weasyprint.layout.leader import leader_index
from weasyprint.text.line_break import create_layout

from taidan.engines.weasyprint import justify
from taidan.engines.weasyprint.patching import Patches, require_pinned

PATCH = Patches("leaders")
disabled = PATCH.disabled  # WeasyPrint's own leaders inside the block (to compare with)


def join_copies(context, line) -> None:
    """Replaces the copies inside the line's leader by one text box of their text."""
    _, leader = leader_index(line)
    if leader is None or len(leader.children) < 2:
        return
    copies = sorted(leader.children, key=lambda box: box.position_x)
    first = copies[0]
    joined = first.copy()
    joined.text = first.text * len(copies)
    joined.width = copies[-1].position_x + copies[-1].width - first.position_x
    # exact glyph advances in the PDF (justify._tj_advance), so each dot lands where its
    # copy stood
    joined.justification_spacing = justify.CJKSpacing(0)
    joined.pango_layout = create_layout(joined.text, joined.style, context, max_width=None,
                                        justification_spacing=joined.justification_spacing)
    joined.pango_layout.deactivate()
    leader.children = (joined,)
    PATCH.ran.add("handle_leader")


def handle_leader(context, line, containing_block):
    PATCH.originals["handle_leader"](context, line, containing_block)
    if PATCH.enabled:
        join_copies(context, line)


def install() -> None:
    """Patches WeasyPrint's leader step (idempotent). Raises RuntimeError on an unpinned
    WeasyPrint."""
    require_pinned()
    justify.install()  # its exact glyph advances place the joined dots
    if not PATCH.installed:
        PATCH.replace(inline, "handle_leader", handle_leader)
