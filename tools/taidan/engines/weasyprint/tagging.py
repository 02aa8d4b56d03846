"""The structure tree PDF/UA-1 asks for: margin boxes as artifacts, footnotes as Notes.

WeasyPrint 70 tags a page's content (``weasyprint/pdf/tags.py``), with two faults that
ISO 14289-1 fails:

- Margin boxes (running heads, folios) are drawn as tagged text whose structure elements
  hang in no tree (``_build_box_tree``'s MarginBox case: "it could be included in tree as
  Artifact, but that's only allowed in PDF 2.0"): their marked content is neither in the
  structure tree nor an artifact (Matterhorn 01-005). ``install()`` draws every margin box
  inside one /Artifact sequence (ISO 32000-1, 14.8.2.2: page furniture is an artifact) and
  leaves it out of the tree. Borders and backgrounds (the rules, the speaker labels' shapes)
  WeasyPrint already draws as artifacts.
- A footnote is an anonymous NonStruct at the foot of the page, its call a NonStruct in the
  text. ISO 14289-1, 7.9 wants a Note with an ID, and a reader wants it where it is called:
  the call becomes a Reference, its marker a Lbl, and the note a Note (ID: the footnote's
  ``id``) placed in the tree just after its Reference, so a screen reader reads the call and
  then the note, not a list of notes at the page's end. A note split over two pages is one
  Note.

Only the tree changes (and the margin boxes' marked content): the page looks the same.

Upstream change called for: WeasyPrint could do both in ``tags.py`` and ``draw``.
"""

from __future__ import annotations

from contextlib import contextmanager

from taidan.engines.weasyprint import fast_import  # noqa: F401,I001 - WeasyPrint imported the quick way, first
import pydyf
from weasyprint import draw
from weasyprint.formatting_structure import boxes
from weasyprint.pdf import tags
from weasyprint.pdf.stream import Stream

from taidan.engines.weasyprint.patching import Patches, require_pinned

PATCH = Patches("tagging")
disabled = PATCH.disabled  # WeasyPrint's own tags inside the block (to compare with)

CALL, MARKER = "::footnote-call", "::footnote-marker"
# Margin boxes being drawn. Not a flag on the stream: a margin box with opacity draws into a
# group of its own (a Form XObject) that shares the page's tags. Drawing runs in one thread.
_in_margin = 0


def draw_stacking_context(stream, stacking_context):
    """A margin box drawn inside one artifact sequence, nothing in it tagged."""
    original = PATCH.originals["draw_stacking_context"]
    if not (PATCH.enabled and stream._tags is not None
            and isinstance(stacking_context.box, boxes.MarginBox)):
        return original(stream, stacking_context)
    global _in_margin
    PATCH.ran.add("draw_stacking_context")
    with stream.artifact():
        _in_margin += 1
        try:
            return original(stream, stacking_context)
        finally:
            _in_margin -= 1


@contextmanager
def marked(self, box, tag):
    """Inside an artifact, text is neither marked nor given an MCID (a tagged sequence
    inside an artifact fails Matterhorn 01-004)."""
    if _in_margin:
        PATCH.ran.add("marked")
        yield
        return
    with PATCH.originals["marked"](self, box, tag):
        yield


@contextmanager
def artifact(self):
    """No artifact inside the margin box's artifact: one sequence is enough."""
    if _in_margin:
        PATCH.ran.add("artifact")
        yield
        return
    with PATCH.originals["artifact"](self):
        yield


def _pseudo(box) -> str:
    return box.element_tag if box.element is not None else ""


def build_box_tree(box, parent, pdf, page_number, nums, annotations, tag_map):
    original = PATCH.originals["_build_box_tree"]
    if not PATCH.enabled:
        yield from original(box, parent, pdf, page_number, nums, annotations, tag_map)
        return
    if isinstance(box, boxes.MarginBox):
        PATCH.ran.add("_build_box_tree")
        return  # drawn as an artifact: nothing of it was tagged
    if isinstance(box, boxes.FootnoteAreaBox):
        yield from _notes(box, parent, pdf, page_number, nums, annotations, tag_map)
        return
    pseudo = _pseudo(box)
    for element in original(box, parent, pdf, page_number, nums, annotations, tag_map):
        if pseudo.endswith(CALL) and box.footnote is not None:
            element["S"] = "/Reference"
            _calls(pdf)[box.footnote.element] = (element, parent)
        elif pseudo.endswith(MARKER):
            element["S"] = "/Lbl"
        yield element


def _calls(pdf) -> dict:
    """The footnotes' References met so far in this PDF: footnote element -> (Reference,
    its parent). Kept on the PDF being written, so nothing outlives it."""
    if not hasattr(pdf, "_taidan_calls"):
        pdf._taidan_calls, pdf._taidan_notes = {}, {}
    return pdf._taidan_calls


def _notes(area, parent, pdf, page_number, nums, annotations, tag_map):
    """Each footnote of the page's footnote area as a Note after its Reference (or, when
    the call was never met, where WeasyPrint put it); the area itself is no element."""
    calls = _calls(pdf)
    notes = pdf._taidan_notes
    original = PATCH.originals["_build_box_tree"]
    for footnote in area.children:
        element = footnote.element
        if element is not None and element in notes:  # the rest of a note split over pages
            note = notes[element]
            for piece in original(footnote, note, pdf, page_number, nums, annotations, tag_map):
                note["K"].append(piece.reference)
            continue
        reference, where = calls.get(element, (None, parent))
        for note in original(footnote, where, pdf, page_number, nums, annotations, tag_map):
            PATCH.ran.add("_build_box_tree")
            note["S"] = "/Note"
            note["ID"] = pydyf.String(
                (element.get("id") if element is not None else None) or f"note-{len(notes) + 1}")
            if element is not None:
                notes[element] = note
            if reference is not None and reference.reference in where["K"]:
                kids = where["K"]
                kids.insert(kids.index(reference.reference) + 1, note.reference)
            else:
                yield note


def install() -> None:
    """Patches WeasyPrint's drawing and tagging (idempotent). Raises RuntimeError on an
    unpinned WeasyPrint."""
    require_pinned()
    if PATCH.installed:
        return
    PATCH.replace(draw, "draw_stacking_context", draw_stacking_context)
    PATCH.replace(Stream, "marked", marked)
    PATCH.replace(Stream, "artifact", artifact)
    PATCH.replace(tags, "_build_box_tree", build_box_tree)
