"""Italic and bold drawn from the regular file when a face has no such file, as browsers do
(CSS ``font-synthesis: weight style``).

A house face given as one file, or a family whose bold file is incomplete, has no file for
some styles. Pango then sets the italic or bold text in the regular file, and WeasyPrint 70
draws it exactly so: the emphasis of an English book vanished without trace (the words were
upright and regular, only the PDF's font name said "Bold"). ``install()`` wraps
``draw_text`` (``weasyprint/draw/text.py``): where a text box asks for italic or bold and
the font Pango chose is upright or regular, the glyphs are slanted by the text matrix
(tan 12°, about the angle of a true italic) or stroked in their own colour as well as filled
(text rendering mode 2, a stroke of 1/24 em, FreeType's own emboldening strength). Text in
a face that has the style is drawn exactly as before.
"""

from __future__ import annotations

import math

from taidan.engines.weasyprint import fast_import  # noqa: F401,I001 - WeasyPrint imported the quick way, first
from weasyprint import draw
from weasyprint.draw import text as draw_text_module
from weasyprint.matrix import Matrix
from weasyprint.text.ffi import ffi, harfbuzz, pango

from taidan.engines.weasyprint.patching import Patches, require_pinned

PATCH = Patches("synthetic")
disabled = PATCH.disabled  # WeasyPrint's own drawing inside the block (to compare with)

SLANT = math.tan(math.radians(12))
EMBOLDEN = 1 / 24  # of the font size: the stroke's width
BOLD = 600  # CSS: 600 and heavier is bold; Pango's weights are CSS's

_slant = 0.0  # the slant the next draw_first_line applies (set by draw_text around it)


def _missing_styles(textbox) -> tuple[bool, bool]:
    """(italic, bold): the styles the box asks for that its first font does not have."""
    wants_italic = textbox.style["font_style"] != "normal"
    wants_bold = textbox.style["font_weight"] >= BOLD
    if not (wants_italic or wants_bold):
        return False, False
    # the layout is inactive between layout and drawing; draw_text makes it active again, so
    # only a box that asks for a style pays for doing so twice
    textbox.pango_layout.reactivate(textbox.style)
    line, _ = textbox.pango_layout.get_first_line()
    if line.runs == ffi.NULL:
        return False, False
    # Pango describes a font by the style asked for, so the file itself is read: its OS/2
    # table's weight class and fsSelection (bit 0 italic, bit 9 oblique)
    face = harfbuzz.hb_font_get_face(pango.pango_font_get_hb_font(line.runs[0].data.item.analysis.font))
    blob = harfbuzz.hb_face_reference_table(face, harfbuzz.hb_tag_from_string(b"OS/2", -1))
    try:
        with ffi.new("unsigned int *") as length:
            data = harfbuzz.hb_blob_get_data(blob, length)
            table = b"" if data == ffi.NULL else ffi.unpack(data, min(int(length[0]), 64))
    finally:
        harfbuzz.hb_blob_destroy(blob)
    if len(table) < 64:
        return False, False  # no OS/2 table: nothing to go by
    weight, selection = int.from_bytes(table[4:6], "big"), int.from_bytes(table[62:64], "big")
    upright, regular = not selection & 0x201, weight < BOLD
    return wants_italic and upright, wants_bold and regular


def draw_text(stream, textbox, *args, **kwargs):
    global _slant
    original = PATCH.originals["draw_text"]
    if not PATCH.enabled or textbox.style["visibility"] != "visible":
        return original(stream, textbox, *args, **kwargs)
    italic, bold = _missing_styles(textbox)
    if not (italic or bold):
        return original(stream, textbox, *args, **kwargs)
    PATCH.ran.add("draw_text")
    with stream.stacked():
        if bold:
            stream.set_color(textbox.style["color"], stroke=True)
            stream.set_line_width(textbox.style["font_size"] * EMBOLDEN)
            stream.set_text_rendering(2)  # fill, then stroke
        _slant = SLANT if italic else 0.0
        try:
            return original(stream, textbox, *args, **kwargs)
        finally:
            _slant = 0.0


def draw_first_line(stream, textbox, text_overflow, block_ellipsis, matrix):
    if _slant and matrix.values[1] == 0:  # horizontal text: x' = x + slant * y, in glyph space
        a, b, c, d, e, f = matrix.values
        matrix = Matrix(a, b, c + _slant * a, d, e, f)
    return PATCH.originals["draw_first_line"](stream, textbox, text_overflow, block_ellipsis, matrix)


def install() -> None:
    """Patches WeasyPrint (idempotent; after ``justify``, whose draw_first_line it wraps).
    Raises RuntimeError on an unpinned WeasyPrint."""
    require_pinned()
    if PATCH.installed:
        return
    PATCH.replace(draw, "draw_text", draw_text)
    PATCH.replace(draw_text_module, "draw_first_line", draw_first_line)
