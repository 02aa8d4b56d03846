"""A picture that does not fit on the rest of a page lets the text after it fill the page.

WeasyPrint 70 has no page floats: a ``<figure>`` (``break-inside: avoid``) too tall for
what is left of a page goes to the next page, and the space above it stays empty (an
English book: a quarter of a B6 page, of a Letter page). A book sets the text that follows
first and puts the picture at the top of the next page, or after the paragraph that runs
over onto it.

``install()`` wraps ``block_container_layout`` (``weasyprint/layout/block.py``), which lays
out the children of one block (a section: its heading, turns, pictures). When a layout of
that block ends because a ``<figure>`` child did not fit (``resume_at`` is ``{i: None}``
with child ``i`` a figure, and no forced break before it), the layout is undone
(``remove_placeholders``: its footnotes and positioned boxes) and done again without the
figure. If the text after it then fills the page and the block goes on on the next page,
the figure is put back among the block's children where the next page starts: before the
first child that did not fit at all, or after the one that was split between the pages.
Otherwise (the text after it is not enough to reach the page's foot, a forced break, the
block ends on the page) the figure is put back where it was and the block laid out as
WeasyPrint does.

So the figure moves, in the box tree and therefore in the PDF's structure tree and in
copied text, past the turns and paragraphs that filled the page: reading order changes by
exactly what the reader sees on the page, and nothing moves from one speaker's turn into
another's (a figure is only moved among its own parent's children, never into a turn).
The manuscript's order is kept in every other edition. Inside the handout's columns a
column is the page: the figure goes to the top of the next column.

Not in layouts that only measure: a layout with an infinite ``bottom_space``
(``columns_layout``'s probe for the next box's height) never moves anything.
Pinned to WeasyPrint 70.0 like ``taidan.engines.weasyprint.justify``.
"""

from __future__ import annotations

import math

from taidan.engines.weasyprint import fast_import  # noqa: F401,I001 - WeasyPrint imported the quick way, first
from weasyprint.layout import block

from taidan.engines.weasyprint.patching import Patches, require_pinned

PATCH = Patches("figures")
disabled = PATCH.disabled  # WeasyPrint's own layout inside the block (to compare with)


def _pushed_figure(box, result, context) -> int | None:
    """The index of the figure child that ``result``, a layout of ``box``, left for the next
    page, or None: not a figure, a forced break before it, or nothing laid out."""
    new_box, resume_at, next_page = result[0], result[1], result[2]
    if new_box is None or not resume_at or len(resume_at) != 1:
        return None
    (index, inner), = resume_at.items()
    if inner is not None or not 0 < index < len(box.children) - 1:
        return None  # the figure must have text before it on the page and text after it
    figure = box.children[index]
    if figure.element_tag != "figure" or not figure.is_in_normal_flow():
        return None
    before = block.block_level_page_break(box.children[index - 1], figure)
    if block.force_page_break(before, context) or next_page.get("page"):
        return None
    return index


def _has_figure(box) -> bool:
    """Whether a child of ``box`` is a figure, found once a box (a section is laid out again
    on each of its pages; moving a figure keeps it among the same children)."""
    known = box.__dict__.get("_taidan_has_figure")
    if known is None:
        known = box.__dict__["_taidan_has_figure"] = any(child.element_tag == "figure" for child in box.children)
    return known


def install() -> None:
    """Patches WeasyPrint (idempotent). Raises RuntimeError on an unpinned WeasyPrint."""
    require_pinned()
    if PATCH.installed:
        return
    stock = block.block_container_layout

    def block_container_layout(context, box, bottom_space, skip_stack, page_is_empty,
                               absolute_boxes, fixed_boxes, adjoining_margins,
                               first_letter_style, first_line_style, discard, max_lines):
        rest = first_letter_style, first_line_style, discard, max_lines
        if not PATCH.enabled or math.isinf(bottom_space) or not _has_figure(box):
            return stock(context, box, bottom_space, skip_stack, page_is_empty,
                         absolute_boxes, fixed_boxes, adjoining_margins, *rest)
        PATCH.ran.add("block_container_layout")
        # what a layout changes in its arguments, to lay the block out again from the same start
        position = box.position_x, box.position_y
        margins = None if adjoining_margins is None else list(adjoining_margins)

        def layout():
            box.position_x, box.position_y = position
            if margins is not None:
                adjoining_margins[:] = margins
            return stock(context, box, bottom_space, skip_stack, page_is_empty,
                         absolute_boxes, fixed_boxes, adjoining_margins, *rest)

        result = layout()
        index = _pushed_figure(box, result, context)
        if index is None:
            return result
        block.remove_placeholders(context, [result[0]], absolute_boxes, fixed_boxes)
        figure = box.children.pop(index)
        deferred = layout()
        resume_at = deferred[1]
        if deferred[0] is not None and resume_at and len(resume_at) == 1:
            (stop, inner), = resume_at.items()
            forced = block.force_page_break(deferred[2]["break"], context) or deferred[2].get("page")
            if (stop, inner) != (index, None) and stop >= index and not forced:
                # the next page starts at child `stop`: the figure before it, or after it
                # when it was split
                box.children.insert(stop if inner is None else stop + 1, figure)
                PATCH.ran.add("deferred")
                return deferred
        if deferred[0] is not None:
            block.remove_placeholders(context, [deferred[0]], absolute_boxes, fixed_boxes)
        box.children.insert(index, figure)
        return layout()

    PATCH.replace(block, "block_container_layout", block_container_layout)
