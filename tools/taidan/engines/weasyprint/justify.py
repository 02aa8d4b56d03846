"""Japanese justification (両端揃え) for WeasyPrint 70.

WeasyPrint justifies by widening spaces only, so a Japanese line (no spaces) stays ragged.
``install()`` adapts its justification step:

- ``justify_line`` (``weasyprint/layout/inline.py``, called by ``text_align`` for every
  line but the last of a paragraph): on a line that holds CJK text, every CJK character and
  every space is an expansion opportunity, and one spacing value is solved for the line.
  Lines without CJK keep WeasyPrint's own word spacing.
- ``Layout.set_text`` (``weasyprint/text/line_break.py``): when a justified box is drawn,
  that spacing becomes a Pango letter-spacing attribute on the opportunity characters.
  ―― …… ‥ are never opportunities, so a dash or an ellipsis is never torn apart.
- Pango gives a letter-spaced run only half its spacing at each end of a layout, and
  WeasyPrint makes one layout per text box: the missing halves are handed back at box
  boundaries inside the line (a bold label, a link) so the line still ends flush.
- ``draw_first_line`` (``weasyprint/draw/text.py``) writes each glyph's extra advance with
  ``int()``, dropping up to 1/1000 em a glyph; on justified boxes it is written exactly.
- On lines that mix CJK with Latin letters or digits the spacing is capped (``LATIN_CAP``):
  wider gaps make text extraction (pdftotext, copy and paste) insert spaces.

Also contextual punctuation spacing (約物の詰め, what the OpenType ``chws`` feature does):
in 」「, 。」, ）、 and the like the first mark is set half-width with the font's ``halt``
feature, so the pair is not a full em apart. It acts only in faces that have ``halt``
(IPAex): the BIZ UD faces have no GPOS features at all, and their P faces (the editions'
body faces) draw brackets half-width anyway. Limit: a pair split by a line end is halved
while Pango chooses the break and full-width once the line is set, so such a line can
stand out by up to half an em.

Also glyphs that no font has (an emoji, 𠮷 in a face without it): WeasyPrint draws each as
CID 0 (.notdef), whose width in the PDF is the first missing glyph's, but writes each one's
TJ adjustment from its own width. Every later missing glyph of another width (another
emoji, a letter-spaced one) then moved the rest of its line: text ran into a ruby or past
the column. ``draw_first_line`` here takes a missing glyph's adjustment from CID 0's width,
so each ends where Pango put it. (Upstream: ``draw/text.py`` should set
``font.widths[glyph_id] = font.widths[0]`` after choosing the .notdef width.)

Line breaking (kinsoku) is not touched, and the text is unchanged: only advances change.
This reaches into WeasyPrint's internals, so it refuses any version but the pinned one.
"""

from __future__ import annotations

import copy
import functools
import inspect
import re

from taidan.engines.weasyprint import fast_import  # noqa: F401,I001 - WeasyPrint imported the quick way, first
from weasyprint.draw import text as draw_text
from weasyprint.formatting_structure import boxes
from weasyprint.layout import inline
from weasyprint.text.ffi import TO_UNITS, ffi, pango
from weasyprint.text.line_break import Layout

from taidan.engines.weasyprint.patching import Patches, require_pinned

LATIN_CAP = 0.08  # em: the widest gap pdftotext still reads as no space (measured ~0.1)

# Never spread: the two halves of ―― …… ‥ must touch (and ── as a narration mark).
NO_SPREAD = frozenset("\u2014\u2015\u2025\u2026\u2500\u2501\u22ef")
SPACES = frozenset(" \u00a0\u3000")
_CJK = re.compile(
    "[\u2e80-\u2fdf\u3000-\u30ff\u3100-\u312f\u3190-\u31ff\u3200-\u33ff\u3400-\u4dbf"
    "\u4e00-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\U00020000-\U0003ffff]")
_LATIN = re.compile(r"[0-9A-Za-z\u00c0-\u024f]")

# Punctuation classes of JLReq (cl-01 opening brackets, cl-02 closing brackets, cl-06
# full stops, cl-07 commas, cl-05 middle dots).
OPENING = frozenset("「『（〔［｛〈《【〘〖〝")
CLOSING = frozenset("」』）〕］｝〉》】〙〗〟")
STOPS = frozenset("。．、，")
MIDDLE_DOTS = frozenset("・：；")


class CJKSpacing(float):
    """The spacing of a justified CJK line, marking its text boxes for ``set_text``."""


PATCH = Patches("justify")
disabled = PATCH.disabled  # WeasyPrint's own justification inside the block (to compare with)


def opportunity(char: str) -> bool:
    """Whether justification may add space around ``char``."""
    return char not in NO_SPREAD and (char in SPACES or bool(_CJK.match(char)))


# The opportunities of a whole text counted in one pass of the regex engine (a Python call
# per character cost 5 % of a long book): a space or a CJK character, not one of NO_SPREAD.
_OPPORTUNITIES = re.compile(
    "(?![" + "".join(sorted(NO_SPREAD)) + "])(?:[" + "".join(sorted(SPACES)) + "]|" + _CJK.pattern + ")")


def opportunities(text: str) -> int:
    """How many characters of ``text`` are opportunities (``opportunity``)."""
    return len(_OPPORTUNITIES.findall(text))


def halved(text: str) -> list[int]:
    """Indexes of the marks set half-width because of their neighbour (JLReq 3.1.4)."""
    out = []
    for i in range(len(text) - 1):
        a, b = text[i], text[i + 1]
        if (a in CLOSING or a in STOPS) and (b in OPENING or b in CLOSING or b in STOPS or b in MIDDLE_DOTS):
            out.append(i)  # 」「 。」 ）、 、「: the first mark loses its trailing half
        elif a in OPENING and b in OPENING:
            out.append(i + 1)  # 「『: the second mark loses its leading half
    return out


# ---- layout: solve one spacing value per line ----------------------------------------

def _text_boxes(box, out):
    if isinstance(box, boxes.TextBox):
        out.append(box)
    elif isinstance(box, (boxes.LineBox, boxes.InlineBox)):
        for child in box.children:
            if child.is_in_normal_flow():
                _text_boxes(child, out)
    return out


def justify_line(context, line, extra_width):
    texts = _text_boxes(line, []) if PATCH.enabled else []
    text = "".join(box.text for box in texts)
    if not _CJK.search(text):
        return PATCH.originals["justify_line"](context, line, extra_width)
    PATCH.ran.add("justify_line")
    first, last = text[:1], text[-1:]
    # Each opportunity gets half the spacing on either side; nothing outside the line ends.
    weight = opportunities(text) - (opportunity(first) + opportunity(last)) / 2
    if weight <= 0:
        return
    spacing = extra_width / weight
    if _LATIN.search(text):
        spacing = min(spacing, LATIN_CAP * line.style["font_size"])
    state = {"first": texts[0], "last": texts[-1]}
    _add_spacing(context, line, CJKSpacing(spacing), 0, state)


def _drawing_layout(box, spacing):
    """What ``create_layout(box.text, ..., max_width=None, justification_spacing=spacing)``
    followed by ``deactivate()`` leaves, without building and shaping a Pango layout
    that is thrown away at once: a deactivated layout is its attributes (the style's
    font metrics, the text), and drawing rebuilds it (``Layout.reactivate``)."""
    layout = copy.copy(box.pango_layout)
    for name in ("layout", "language", "style"):  # as deactivate() leaves it
        layout.__dict__.pop(name, None)
    layout.text, layout.max_width, layout.justification_spacing = box.text, None, spacing
    layout.first_line_direction = 0
    return layout


def _add_spacing(context, box, spacing, x_advance, state):
    if isinstance(box, boxes.TextBox):
        opens, closes = opportunity(box.text[:1]), opportunity(box.text[-1:])
        if opens and box is not state["first"]:
            x_advance += spacing / 2  # the half Pango drops at this layout's start
        box.position_x += x_advance
        count = opportunities(box.text)
        if count:
            box.justification_spacing = spacing
            box.pango_layout = _drawing_layout(box, spacing)
            drawn = spacing * (count - (opens + closes) / 2)
            box.width += drawn
            x_advance += drawn
        if closes and box is not state["last"]:
            x_advance += spacing / 2  # the half Pango drops at this layout's end
    elif isinstance(box, (boxes.LineBox, boxes.InlineBox)):
        box.position_x += x_advance
        before = x_advance
        children = box.children[::-1] if box.style["direction"] == "rtl" else box.children
        for child in children:
            if child.is_in_normal_flow():
                x_advance = _add_spacing(context, child, spacing, x_advance, state)
        box.width += x_advance - before
    else:
        box.translate(x_advance, 0)  # atomic inline: ruby, images
    return x_advance


# ---- drawing: spacing and punctuation as Pango attributes -----------------------------

def _runs(text: str, wanted) -> list[tuple[int, int]]:
    """UTF-8 byte ranges of the runs of characters for which ``wanted(index)`` holds."""
    ranges, start, offset = [], None, 0
    for i, char in enumerate(text):
        if wanted(i):
            if start is None:
                start = offset
        elif start is not None:
            ranges.append((start, offset))
            start = None
        offset += len(char.encode())
    if start is not None:
        ranges.append((start, offset))
    return ranges


# Maximal runs of opportunities, found by the regex engine (per character in Python, the
# spacing attributes cost about 2 % of a long book's time).
_OPPORTUNITY_RUNS = re.compile("(?:" + _OPPORTUNITIES.pattern + ")+")


def _byte_ranges(text: str, runs: re.Pattern) -> list[tuple[int, int]]:
    """UTF-8 byte ranges of the matches of ``runs`` in ``text``."""
    ranges, offset, at = [], 0, 0
    for match in runs.finditer(text):
        start = offset + len(text[at:match.start()].encode())
        offset, at = start + len(match.group().encode()), match.end()
        ranges.append((start, offset))
    return ranges


def set_text(self, text, justify=False):
    PATCH.originals["set_text"](self, text, justify)
    if not PATCH.enabled:
        return
    spaced = justify and isinstance(self.justification_spacing, CJKSpacing)
    halves = halved(self.text) if _PUNCTUATION.search(self.text) else []
    if not (spaced or halves):
        return
    PATCH.ran.add("set_text")

    attrs = pango.pango_layout_get_attributes(self.layout)
    if attrs == ffi.NULL:
        attrs = ffi.gc(pango.pango_attr_list_new(), pango.pango_attr_list_unref)
    text = self.text
    if halves:
        marks = set(halves)
        for start, end in _runs(text, marks.__contains__):
            attr = pango.pango_attr_font_features_new(b"halt 1")
            attr.start_index, attr.end_index = start, end
            pango.pango_attr_list_insert(attrs, attr)
    if spaced:
        base = self.style["letter_spacing"]
        base = 0 if base == "normal" else base
        units = int(round((base + self.justification_spacing) * TO_UNITS))
        for start, end in _byte_ranges(text, _OPPORTUNITY_RUNS):
            attr = pango.pango_attr_letter_spacing_new(units)
            attr.start_index, attr.end_index = start, end
            pango.pango_attr_list_change(attrs, attr)
    pango.pango_layout_set_attributes(self.layout, attrs)


_PUNCTUATION = re.compile("[" + re.escape("".join(OPENING | CLOSING | STOPS)) + "]{2}")


def _tj_advance(kerning, textbox):
    """The TJ adjustment of one glyph: exact on justified boxes, WeasyPrint's int() elsewhere."""
    if isinstance(textbox.justification_spacing, CJKSpacing) and PATCH.enabled:
        return _exact_tj(kerning)
    return f">{int(kerning)}<"


@functools.lru_cache(maxsize=4096)  # a justified line repeats a few values glyph after glyph
def _exact_tj(kerning: float) -> str:
    PATCH.ran.add("draw_first_line")  # on a cache miss only: the cost stays off each glyph
    number = f"{kerning:.2f}".rstrip("0").rstrip(".")
    return f">{'0' if number in ('', '-0') else number}<"


_STOCK_TJ = "string += f'>{int(kerning)}<'"
# A glyph no font has is drawn as CID 0 (.notdef), whose /W width is the first such glyph's
# Pango width; the TJ adjustment must be taken from that width, not the glyph's own.
_STOCK_NOTDEF = "                    font.widths[0] = font.widths[glyph_id]\n"
_NOTDEF = _STOCK_NOTDEF + "                font.widths[glyph_id] = font.widths[0]\n"


def _exact_draw_first_line(module):
    """draw_first_line with the TJ adjustment written by ``_tj_advance``, and missing glyphs
    advanced by their own Pango width (see the module's docstring)."""
    source = inspect.getsource(module.draw_first_line)
    if source.count(_STOCK_TJ) != 1 or source.count(_STOCK_NOTDEF) != 1:
        raise RuntimeError("taidan.engines.weasyprint.justify: weasyprint.draw.text.draw_first_line "
                           "is not the one this module was written for")
    namespace = dict(vars(module), _tj_advance=_tj_advance)
    source = source.replace(_STOCK_TJ, "string += _tj_advance(kerning, textbox)")
    code = compile(source.replace(_STOCK_NOTDEF, _NOTDEF), inspect.getsourcefile(module), "exec")
    exec(code, namespace)  # noqa: S102 - WeasyPrint's own source, one call changed
    return namespace["draw_first_line"]


# ---- install ------------------------------------------------------------------------

def install() -> None:
    """Patches WeasyPrint (idempotent). Raises RuntimeError on an unpinned WeasyPrint."""
    require_pinned()
    if PATCH.installed:
        return
    PATCH.replace(inline, "justify_line", justify_line)
    PATCH.replace(Layout, "set_text", set_text)
    PATCH.replace(draw_text, "draw_first_line", _exact_draw_first_line(draw_text))
