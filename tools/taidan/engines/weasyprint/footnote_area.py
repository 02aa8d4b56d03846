"""The footnote area of a page measured once for each set of notes, and each measure laying
out the note added, not every note of the page.

Each time a footnote is added to a page or taken off it, ``LayoutContext._update_footnote_area``
(``weasyprint/layout/__init__.py``) copies the page's footnote area with all its notes and
lays them all out again, to learn the area's height and whether the last note overflows it.
A page whose text is laid out again and again lays out its notes each time: in a
multi-column box (the handout), ``columns_layout`` (``weasyprint/layout/column.py``) renders
the columns several times per page to balance them and to make room for the notes, and each
render adds and removes every note of the page one by one. A page with k notes cost about
k² note layouts per render, and the handout's 200 one-line notes took 25 times the CPU time of
the same pages without them.

Four changes, and nothing drawn changes: the PDF's bytes are the same with or without
(tests/test_engines.py).

- **Each set of notes measured once.** The laid-out area depends only on the page's footnote
  area (its width and maximum height, set once per page) and on the notes in it, in order:
  ``install()`` keeps, on the page's area, the height and overflow found for each sequence of
  notes, and gives them back when the same sequence comes again. What the method does to the
  page's bottom is done as before.
- **The note added laid out alone.** The area lays its notes out one under the other
  (``block_container_layout`` and ``_in_flow_layout``, ``weasyprint/layout/block.py``): a
  note's layout depends on where it starts and on the margins the note before passes down,
  and the area's height on where its last note ends. So each measure keeps where a note
  after its last would start; when a note is added to notes measured before, the method
  lays out an area holding that note alone, and ``block_level_layout`` starts the note where
  the area's own layout would have started it (``_Measure.start``): the same floats, so the
  same height and overflow, for one note's layout instead of the page's.
- **A note laid out once at one place.** Inside a measure, a note's layout is kept for where
  it starts and what its parent passes down, and a copy given back when the same note starts
  at the same place with the same margins (a render that takes a note off and adds the ones
  after it again).
- **Notes taken off together, measured once.** ``remove_placeholders``
  (``weasyprint/layout/block.py``) takes a render's notes off the page one by one, first note
  first, and the area was measured after each (every suffix of the page's notes: a new
  sequence each time). Inside a multi-column box the area's height is only read once the
  render is undone (a column does not move the page's bottom, ``context.in_column``), so
  there the area is measured once, when ``remove_placeholders`` returns.

Each shortcut is taken only where it is the layout's own arithmetic: no floats beside the
notes, a note that is a block, laid out whole, with no forced break or page name before it,
in an area whose top margin does not collapse with its first note's; otherwise the area is
laid out with all its notes, as WeasyPrint does.

Upstream: ``_update_footnote_area`` could lay out only the note added, or the columns could
be balanced without adding and removing every note at each render.
"""

from __future__ import annotations

from taidan.engines.weasyprint import fast_import  # noqa: F401,I001 - WeasyPrint imported the quick way, first
from weasyprint import layout
from weasyprint.formatting_structure import boxes
from weasyprint.layout import block

from taidan.engines.weasyprint.patching import Patches, require_pinned

PATCH = Patches("footnote_area")
disabled = PATCH.disabled  # WeasyPrint's own re-layout each time (to compare with)

# on the page's footnote area: (in columns, notes) -> (height, overflow, where the next note starts)
_KNOWN = "_taidan_footnote_heights"
_DEFERRED = "_taidan_footnotes_removed"  # on the context: None, or whether a note was taken off
# on the context while the area is measured: a _Measure, or None
_MEASURING = "_taidan_measuring"
# on the page's footnote area: (note, where it starts, ...) -> (note, its laid-out box, ...)
_LAID = "_taidan_notes_laid_out"


class _Measure:
    """One measure of a page's footnote area: the notes laid out (all the page's notes, or the
    one added), where the first starts when it follows notes measured before, and where a note
    after the last would start."""

    def __init__(self, area, notes: tuple, start=None):
        self.area, self.notes, self.start = area, notes, start
        self.parent = None  # the area's copy the measure lays out
        self.copies: dict = {}  # id(a note's copy in it) -> (its index, the note)
        self.end = None


def install() -> None:
    """Patches WeasyPrint (idempotent); wraps the method as the footnotes patch left it, so
    it is installed after that one. Raises RuntimeError on an unpinned WeasyPrint."""
    require_pinned()
    if PATCH.installed:
        return
    measure = layout.LayoutContext._update_footnote_area  # the footnotes patch's, when installed

    def measured(context, how: _Measure) -> bool:
        context.__dict__[_MEASURING] = how
        try:
            return measure(context)
        finally:
            context.__dict__[_MEASURING] = None

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
            before = known.get((self.in_column, notes[:-1]))
            start = before and before[2]
            if start is not None and _follows(self, notes[-2], notes[-1]):
                # The notes before measured already: only the note added is laid out, where
                # it starts after them; the area's height is where it ends.
                PATCH.ran.add("_update_footnote_area")
                how = _Measure(area, notes[-1:], start)
                all_notes = self.current_page_footnotes
                self.current_page_footnotes = [notes[-1]]
                try:
                    overflow = measured(self, how)
                finally:
                    self.current_page_footnotes = area.children = all_notes
            else:
                how = _Measure(area, notes)
                overflow = measured(self, how)
            known[key] = area.height, overflow, how.end
            return overflow
        PATCH.ran.add("_update_footnote_area")
        # what the method does, with the height it found for these notes before
        if area.height != "auto" and not self.in_column:
            self.page_bottom += area.margin_height()
        area.children = self.current_page_footnotes
        area.height, overflow, _ = known[key]
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
    stock_level = block.block_level_layout

    def block_level_layout(context, box, bottom_space, skip_stack, containing_block, page_is_empty=True,
                           absolute_boxes=None, fixed_boxes=None, adjoining_margins=None,
                           first_letter_style=None, first_line_style=None, discard=False, max_lines=None):
        how = context.__dict__.get(_MEASURING)
        if how is not None and how.parent is None:  # the area's copy lays out its first note
            children = containing_block.children
            if len(children) == len(how.notes) and all(
                    child.element is note.element and child.style is note.style
                    for child, note in zip(children, how.notes)):
                how.parent = containing_block
                how.copies = {id(child): (index, note) for index, (child, note) in enumerate(zip(children, how.notes))}
        found = how.copies.get(id(box)) if how is not None and containing_block is how.parent else None
        if (not PATCH.enabled or found is None or skip_stack is not None or first_letter_style is not None
                or first_line_style is not None or context.excluded_shapes):
            return stock_level(context, box, bottom_space, skip_stack, containing_block, page_is_empty,
                               absolute_boxes, fixed_boxes, adjoining_margins, first_letter_style,
                               first_line_style, discard, max_lines)
        index, note = found
        if index == 0 and how.start is not None:
            # where the area's own layout would have put it, after the notes before
            PATCH.ran.add("block_level_layout")
            box.position_y, adjoining_margins = how.start[0], list(how.start[1])
            page_is_empty = False
        # A note's layout depends on the note, where it starts and what its parent passes
        # down: the same for each sequence of notes that begins with the same notes.
        key = (id(note), box.position_x, box.position_y, bottom_space, page_is_empty,
               tuple(adjoining_margins or ()), discard, max_lines, containing_block.width,
               context.current_page, context.forced_break, context.in_column)
        laid = how.area.__dict__.setdefault(_LAID, {})
        if key in laid:
            PATCH.ran.add("block_level_layout")
            _, *result = laid[key]
            result = _fresh(*result)
        else:
            counts = len(absolute_boxes or ()), len(fixed_boxes or ()), len(context.broken_out_of_flow)
            result = stock_level(context, box, bottom_space, skip_stack, containing_block, page_is_empty,
                                 absolute_boxes, fixed_boxes, adjoining_margins, first_letter_style,
                                 first_line_style, discard, max_lines)
            if (result[0] is not None and
                    counts == (len(absolute_boxes or ()), len(fixed_boxes or ()), len(context.broken_out_of_flow))):
                laid[key] = (note, *_fresh(*result))  # the note kept: its id stays its own
        new_box, resume_at, _, next_margins, collapsing_through, _ = result
        if (index == len(how.notes) - 1 and new_box is not None and resume_at is None and not collapsing_through
                and not new_box.clearance and not containing_block.top_margin_collapses()):
            # where _in_flow_layout puts the next child, and the margins it passes down
            how.end = new_box.border_box_y() + new_box.border_height(), (*next_margins, new_box.margin_bottom)
        return result

    PATCH.replace(block, "block_level_layout", block_level_layout)


def _follows(context, before, note) -> bool:
    """Whether the area lays ``note`` out after ``before`` as it lays out a first note: both
    blocks, no forced break or page name between them."""
    return (isinstance(before, boxes.BlockBox) and isinstance(note, boxes.BlockBox)
            and not note.is_table_wrapper
            and not block.force_page_break(block.block_level_page_break(before, note), context)
            and not block.block_level_page_name(before, note))


def _fresh(new_box, resume_at, next_page, adjoining_margins, collapsing_through, max_lines):
    """A copy of a note's laid-out box and what came with it, for the parent to change."""
    return (new_box.deepcopy(), resume_at, dict(next_page), list(adjoining_margins), collapsing_through,
            max_lines)
