"""A line-breaking fix for WeasyPrint 70: a text box whose only overflow is its trailing space.

A run of text followed by an inline element (``*em*``, ``**strong**``, a stage direction,
a link) is its own text box, ending in a space. When that box fits the rest of the line
but for the space, Pango puts the whole run on one line (a trailing space may hang), and
``split_first_line`` (``weasyprint/text/line_break.py``) reads "wider than the line, no
break found" as "the first word alone does not fit": it ends the line after the box's
first word ("Quinn Let's / start with the obvious question, which I took from *The
Paper Trail*"). Which lines it hits depends on the measure, so one paper size showed it
(B6) and another not.

``install()`` wraps ``split_first_line``: when WeasyPrint breaks such a box although the
box without its trailing spaces fits, the whole box is returned as fitting. The caller
already lets a trailing space overflow (``split_inline_box`` subtracts it before calling
a line too wide), so the line then continues, or breaks, after the box as it should.
Pinned to WeasyPrint 70.0 like ``taidan.engines.weasyprint.justify``.
"""

from __future__ import annotations

from taidan.engines.weasyprint import fast_import  # noqa: F401,I001 - WeasyPrint imported the quick way, first
from weasyprint.layout import inline
from weasyprint.text.line_break import create_layout, first_line_metrics, line_size

from taidan.engines.weasyprint.patching import Patches, require_pinned

COLLAPSING = ("normal", "nowrap", "pre-line")  # white-space values whose spaces collapse

PATCH = Patches("linebreak")
disabled = PATCH.disabled  # WeasyPrint's own line breaking inside the block (to compare with)


def split_first_line(text, style, context, max_width, justification_spacing,
                     is_line_start=True, minimum=False):
    result = PATCH.originals["split_first_line"](text, style, context, max_width,
                                                 justification_spacing, is_line_start, minimum)
    PATCH.ran.add("split_first_line")
    resume = result[2]
    stripped = text.rstrip(" ")
    if (not PATCH.enabled or resume is None or max_width is None or stripped == text or not stripped
            or style["white_space"] not in COLLAPSING or len(stripped.encode()) <= resume - 1):
        return result
    layout = create_layout(stripped, style, context, max_width, justification_spacing)
    line, index = layout.get_first_line()
    fits = index is None and line_size(line, style)[0] <= max_width
    layout.deactivate()
    if not fits:
        return result
    layout = create_layout(text, style, context, None, justification_spacing)
    line, _ = layout.get_first_line()
    return first_line_metrics(line, text, layout, None, True, style)


def install() -> None:
    """Patches WeasyPrint (idempotent). Raises RuntimeError on an unpinned WeasyPrint."""
    require_pinned()
    if PATCH.installed:
        return
    # layout/inline.py imported the function by name from text/line_break.py: patch it
    # where it is called
    PATCH.replace(inline, "split_first_line", split_first_line)
