"""Footnote fixes for WeasyPrint 70: no footnote lost, none sent to a later page by a
rounding error.

**A line kept by moving notes away.** When a line does not fit at the foot of a page,
``_linebox_layout`` (``weasyprint/layout/block.py``) first tries to make room by moving the
page's last notes to the next page; if the line then fits, it is kept, but the notes its
own calls refer to are never laid out: the call is printed and its note is lost (an English
book in B6, 80 notes: note 43 was nowhere). ``install()`` lays out that line's notes
before keeping it, moving them to the next page if they do not fit. And it keeps notes on
the page of their calls: a line that does not fit goes to the next page, as in any book,
instead of the page's last notes (with 80 notes, every paper and face had one to seven notes
a page after their calls). With ``footnote-policy: line`` in the print and handout
stylesheets, a line whose own note does not fit goes to the next page with its note.

Each time a footnote is added to a page, ``LayoutContext._update_footnote_area``
(``weasyprint/layout/__init__.py``) lays out the footnote area again and calls it an
overflow when the last note's bottom lies below the area's bottom: two sums of floats that
are equal when the notes fit, and that rounding can leave some 1e-14 px apart (A5, 9.5 pt
text, 7 pt notes, a rule and a margin above them: one note in three). The note is then
moved to the next page, and so is every later note of that page, one page each; notes moved
past the last page were lost (English print editions with three notes on a page printed
one, the others on the colophon or nowhere).

**Columns.** In a multi-column box (the handout), ``columns_layout``
(``weasyprint/layout/column.py``) renders the columns, and when the notes their lines call
make the footnote area taller than before, renders them again, shorter by the difference;
at the end, notes above the last height it tried are sent to the next page. It renders again
whenever the area's height is one it has not seen, smaller as well as larger, so it could
end on a column height chosen for fewer notes than that height's lines call: the last notes
went to the next page, their calls stayed (an English handout with 203 notes: 6 notes a
page late with the built-in faces, 28 with EB Garamond; a Japanese one with 77 notes, one
or two). ``install()`` has it render again at the height ``_next_height`` chooses, and keep
the tallest height whose notes fit the room left to them: no note is sent away from its
call. The first height tried is where columns and notes share the page in the proportion of
the first render (the notes grow with the columns, about in proportion), then the columns
are shortened by the room the notes lacked, or grown by the room they left, interpolating
between the tallest height that fit and the shortest that did not, until the two are within
half a line (``CLOSE``) or after six renders. Only shortening the columns, as this patch did
before, left a page of many notes a third blank above them (one note a turn: 18 notes a
page and 11 pages for 200 turns; now about 29 and 7). Not covered: a note whose call is the
last line of a page's second column can be laid out on the next page (it is on no page list
when its line is laid out); the Japanese, EB Garamond, Letter handout of
tests/test_footnote_pages.py had one (note 47) before the columns' height was searched, and
ends that page elsewhere now.

**Rounding.** ``install()`` compares with a tolerance of 1/100 px. Upstream: the comparison in
``_update_footnote_area`` should allow for rounding. Pinned to WeasyPrint 70.0 like
``taidan.engines.weasyprint.justify``.
"""

from __future__ import annotations

import inspect
import textwrap

from taidan.engines.weasyprint import fast_import  # noqa: F401,I001 - WeasyPrint imported the quick way, first
from weasyprint import layout
from weasyprint.layout import block, column

from taidan.engines.weasyprint.patching import Patches, require_pinned

_STOCK = "overflow = last_child_bottom > footnote_area_bottom"
_FIXED = "overflow = last_child_bottom > footnote_area_bottom + 0.01  # px: not rounding"

# In _linebox_layout: the line kept once notes were moved away, its own notes laid out first
_KEPT = """                if not context.overflows_page(bottom_space, new_position_y + offset_y):
                    new_children.append(line)
"""
_KEPT_WITH_NOTES = """                if not context.overflows_page(bottom_space, new_position_y + offset_y):
                    for descendant in line.descendants():  # taidan: this line's own notes
                        if descendant.footnote in context.footnotes:
                            if context.layout_footnote(descendant.footnote):
                                context.report_footnote(descendant.footnote)
                            new_footnotes.append(descendant.footnote)
                    new_children.append(line)
"""

# ... and notes stay on the page of their calls: an overflowing line goes to the next page
# rather than the page's last notes (which left a call on one page, its note on the next)
_REPORT = "report = not context.in_column and can_break_now and not could_break_before"
_NO_REPORT = "report = False  # taidan: notes stay on the page of their calls"

# In columns_layout: the columns rendered again at the height _next_height chooses
_AGAIN = """                if last_footnotes_height not in footnote_area_heights:
                    # Footnotes have been rendered, try to re-render with the
                    # new footnote area height
                    height -= last_footnotes_height - footnote_area_heights[-1]
                    footnote_area_heights.append(last_footnotes_height)
                    continue
"""
_SEARCH = """                again = _taidan_next_height(
                    height, last_footnotes_height, footnote_area_heights, taidan_search)
                if again is not None:
                    height = again
                    continue
"""
_START = "        lost_space = inf\n"
_START_SEARCH = "        lost_space = inf\n        taidan_search = _TaidanSearch()\n"
RENDERS = 6  # at most, a page's columns rendered to find their height among notes
CLOSE = 10  # px, about half a line: columns this much taller than ones whose notes fit are not tried


class _TaidanSearch:
    """The column heights tried on a page: the tallest whose notes fit the room left to
    them, and the shortest whose notes did not, each with how far its notes overran."""

    def __init__(self):
        self.shared = None  # the height the columns and their notes share
        self.fits = None  # (height, overrun <= 0, the notes' room)
        self.too_tall = None  # (height, overrun > 0)
        self.renders = 0
        self.settled = False


def _next_height(height, notes, room, search):
    """The height to render the columns at again, or None to keep this render: ``notes`` is
    the height of the notes this render called, ``room`` the list of the notes' rooms (its
    last, the room left to them beside columns of ``height``; the room of the height
    returned is appended).

    The notes grow with the columns, about in proportion: the first height tried is where
    they would share the page in the proportion of the first render; then, while no height
    has fit, the columns are shortened by the room the notes lacked (WeasyPrint's step, which
    fits as long as shorter columns call no more notes); once a height fits and a taller one
    did not, the height is interpolated between them. The search keeps the tallest height
    whose notes fit, so no note goes to a later page than its call, and stops when the
    heights are within ``CLOSE``, when the notes leave less than a pixel, or after
    ``RENDERS`` renders."""
    search.renders += 1
    if search.settled:
        return None
    if search.shared is None:
        search.shared = height + room[-1]
    overrun = height + notes - search.shared
    fits = notes <= room[-1]
    if fits and (search.fits is None or height > search.fits[0]):
        search.fits = height, overrun, room[-1]
    if not fits and (search.too_tall is None or height < search.too_tall[0]):
        search.too_tall = height, overrun
    if search.too_tall is None:
        return None  # the notes fit beside the tallest columns
    if search.fits is None:
        if search.renders == 1 and height > 0:
            again = height * height / (height + overrun)
            room.append(search.shared - again)
            return again
        return _shrink(height, notes, room)
    (low, low_overrun, low_room), (high, high_overrun) = search.fits, search.too_tall
    again = low - low_overrun * (high - low) / (high_overrun - low_overrun)
    if search.renders >= RENDERS or high - low < CLOSE or again < low + 1:
        if low == height:
            return None
        search.settled = True  # the tallest that fit, rendered again and kept
        room.append(low_room)
        return low
    if again > high - 1:
        again = (low + high) / 2
    room.append(search.shared - again)
    return again


def _shrink(height, notes, room):
    """WeasyPrint's step: columns shorter by the room the notes lacked."""
    again = height - (notes - room[-1])
    room.append(notes)
    return again

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

    source = inspect.getsource(block._linebox_layout)
    if source.count(_KEPT) != 1 or source.count(_REPORT) != 1:
        raise RuntimeError("taidan.engines.weasyprint.footnotes: weasyprint.layout.block."
                           "_linebox_layout is not the one this module was written for")
    namespace = dict(vars(block))
    exec(compile(source.replace(_KEPT, _KEPT_WITH_NOTES).replace(_REPORT, _NO_REPORT), inspect.getsourcefile(block), "exec"),  # noqa: S102
         namespace)  # WeasyPrint's own source, the kept line's notes laid out
    stock_linebox, fixed_linebox = block._linebox_layout, namespace["_linebox_layout"]

    def _linebox_layout(*args, **kwargs):
        if not PATCH.enabled:
            return stock_linebox(*args, **kwargs)
        PATCH.ran.add("_linebox_layout")
        return fixed_linebox(*args, **kwargs)

    PATCH.replace(block, "_linebox_layout", _linebox_layout)

    source = inspect.getsource(column.columns_layout)
    if source.count(_AGAIN) != 1 or source.count(_START) != 1:
        raise RuntimeError("taidan.engines.weasyprint.footnotes: weasyprint.layout.column."
                           "columns_layout is not the one this module was written for")
    namespace = dict(vars(column), _taidan_next_height=_next_height, _TaidanSearch=_TaidanSearch)
    exec(compile(source.replace(_AGAIN, _SEARCH).replace(_START, _START_SEARCH), inspect.getsourcefile(column),
                 "exec"), namespace)  # noqa: S102 - WeasyPrint's own source, the height chosen by _next_height
    stock_columns, fixed_columns = column.columns_layout, namespace["columns_layout"]

    def columns_layout(*args, **kwargs):
        if not PATCH.enabled:
            return stock_columns(*args, **kwargs)
        PATCH.ran.add("columns_layout")
        return fixed_columns(*args, **kwargs)

    PATCH.replace(column, "columns_layout", columns_layout)
    block.columns_layout = columns_layout  # block.py imported it by name: where it is called
