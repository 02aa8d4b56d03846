"""A generated cover for manuscripts that name no cover image: 1600x2560 PNG (the 1:1.6
ratio stores ask for), typeset by Pillow with the editions' faces: BIZ UD Gothic and
Mincho for Japanese and Chinese, Linux Libertine and Biolinum for other languages.

Layout (greyscale): a black band with the kicker, the title in large Gothic, the subtitle in Mincho,
the speakers with their roles, and the publisher and date at the foot. Lines break
between characters (or between Latin words) and respect the basic kinsoku rules.
"""

from __future__ import annotations

import io
import re
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from taidan.engines.fonts import font
from taidan.render import jinja

SIZE = (1600, 2560)
MARGIN = 130
PAPER = 242  # grey levels: the cover is black and white, as e-ink shows it
INK = 26

NO_LINE_START = set("、。，．,.)）」』】〕〉》”’!?！？ー…‥・:：;；ゃゅょぁぃぅぇぉっャュョァィゥェォッ々")
NO_LINE_END = set("(（「『【〔〈《“‘")
# a Latin (Greek, Cyrillic) word with its space, a katakana word, or any other single character
_LETTER = "0-9A-Za-z\u00c0-\u024f\u0370-\u03ff\u0400-\u04ff"
_UNIT = re.compile(rf"[{_LETTER}][{_LETTER}'’.\-–—]*\s*|[\u30a1-\u30fa\u30fc]+|\s+|.", re.S)
# the faces of each part of the cover: (Japanese and Chinese, other languages)
FACES = {"kicker": ("gothic-bold", "sans-bold"), "title": ("gothic-bold", "serif-bold"),
         "subtitle": ("mincho", "serif-italic"), "name": ("gothic-bold", "sans-bold"),
         "role": ("mincho", "serif"), "foot": ("gothic", "sans")}


def _units(text: str) -> list[str]:
    """Pieces a line may break between (kinsoku characters stay with their neighbour)."""
    units: list[str] = []
    for piece in _UNIT.findall(text):
        if units and (piece[0] in NO_LINE_START or units[-1][-1] in NO_LINE_END):
            units[-1] += piece
        else:
            units.append(piece)
    return units


# The house style's role for each of taidan's own faces: a house face takes its place on
# the cover as in the pages (the Latin text face, its sans, or the Japanese body and heading)
HOUSE = {"serif": ("latin_body", "body"), "sans": ("latin_heading", "heading"),
         "mincho": ("body",), "gothic": ("heading",)}


def _file(role: str) -> Path:
    """The file of a cover face: the house style's, when it names one for the role, else
    taidan's own (taidan.engines.fonts)."""
    family, _, style = role.partition("-")
    house = jinja.house()
    face = next((f for r in HOUSE.get(family, ()) for f in [house.face(r)] if f), None)
    if face is None:
        return font(role)
    wanted = {"bold": ("bold", "regular"), "italic": ("italic", "regular")}.get(style, ("regular",))
    return next(getattr(face, s) for s in wanted if getattr(face, s))


def _face(role: str, size: int) -> ImageFont.FreeTypeFont:
    return _truetype(str(_file(role)), size)


@lru_cache(maxsize=64)
def _truetype(path: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size)


@lru_cache(maxsize=4096)
def _length(face: ImageFont.FreeTypeFont, text: str) -> float:
    """face.getlength(text), remembered: wrap() tries many measures on the same pieces."""
    return face.getlength(text)


def _greedy(text: str, face: ImageFont.FreeTypeFont, width: float) -> list[str]:
    lines, line = [], ""
    units = _units(text)
    # a word wider than the measure breaks between its characters
    units = [p for u in units for p in (u if _length(face, u) > width else [u])]
    for unit in units:
        if line and _length(face, (line + unit).rstrip()) > width:
            lines.append(line.rstrip())
            line = unit.lstrip()
        else:
            line += unit
    if line.strip():
        lines.append(line.rstrip())
    return lines


def wrap(text: str, face: ImageFont.FreeTypeFont, width: int) -> list[str]:
    """Lines of even length: the narrowest measure that needs no more lines than ``width``.

    A headline made of quotations (「…」「…」) breaks between them first."""
    lines = []
    for phrase in re.split(r"(?<=[」』])(?=[「『])", text):
        count = len(_greedy(phrase, face, width))
        low, high = width / 2, float(width)
        while high - low > 2:
            mid = (low + high) / 2
            low, high = (mid, high) if len(_greedy(phrase, face, mid)) > count else (low, mid)
        lines += _greedy(phrase, face, high)
    return lines


def _fit(text: str, role: str, sizes, width: int, max_lines: int):
    """The largest size at which ``text`` fits in ``max_lines`` lines."""
    phrases = len(re.split(r"(?<=[」』])(?=[「『])", text))
    if phrases > 1:  # the largest size that sets each quotation on one line, if not too small
        for size in sizes[:-1]:
            face = _face(role, size)
            lines = wrap(text, face, width)
            if len(lines) == phrases:
                return face, lines
    for size in sizes:
        face = _face(role, size)
        lines = wrap(text, face, width)
        if len(lines) <= max_lines:
            return face, lines
    return face, lines


def _clip(text: str, limit: int) -> str:
    """A cover shows a few lines: longer texts end in an ellipsis (and stay quick to set),
    after the last whole word when the text has spaces between its words."""
    if len(text) <= limit:
        return text
    cut = text[:limit - 1]
    mid_word = re.match(f"[{_LETTER}]{{2}}", text[limit - 2:limit])
    if mid_word and " " in cut:  # never "the ethics of i…"
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:–—") + "…"


def _block(draw, lines, face, y: int, leading: float, fill=INK) -> int:
    for line in lines:
        draw.text((MARGIN, y), line, font=face, fill=fill)
        y += int(face.size * leading)
    return y


def roles(m) -> dict[str, str]:
    """The font role (taidan.engines.fonts) of each part of the cover, by the manuscript's script."""
    return {part: faces[0 if m.cjk else 1] for part, faces in FACES.items()}


def generate(m) -> bytes:
    """The cover of manuscript ``m`` as PNG bytes (deterministic: no time stamps)."""
    image = Image.new("L", SIZE, PAPER)
    draw = ImageDraw.Draw(image)
    width = SIZE[0] - 2 * MARGIN
    meta = m.meta
    role = roles(m)

    band = 420
    draw.rectangle((0, 0, SIZE[0], band), fill=INK)
    if meta.kicker:
        face, lines = _fit(_clip(meta.kicker, 60), role["kicker"], (68, 60, 52, 44), width, 3)
        lines = lines[:3]
        height = len(lines) * int(face.size * 1.4)
        _block(draw, lines, face, band - 90 - height, 1.4, fill=PAPER)

    y = band + 170
    title, lines = _fit(_clip(meta.title, 80), role["title"], (150, 132, 116, 100, 88, 76), width, 5)
    y = _block(draw, lines[:6], title, y, 1.32)
    if meta.subtitle:
        y += 60
        # a Latin subtitle has room for three lines: its words are longer than kanji
        limit, most = (60, 1) if m.cjk else (120, 3)
        subtitle, lines = _fit(_clip(meta.subtitle, limit), role["subtitle"], (66, 58, 52, 46), width, most)
        y = _block(draw, lines[:3], subtitle, y, 1.45)

    y += 90
    draw.rectangle((MARGIN, y, MARGIN + 240, y + 14), fill=INK)
    y += 110
    name_face = _face(role["name"], 84)
    role_face = _face(role["role"], 50)
    for speaker in m.speakers[:6]:
        name = _clip(speaker.name, 24)
        draw.text((MARGIN, y), name, font=name_face, fill=INK)
        if speaker.role:
            x = MARGIN + name_face.getlength(name) + 40
            if x + role_face.getlength(speaker.role) <= SIZE[0] - MARGIN:
                draw.text((x, y + 26), speaker.role, font=role_face, fill=INK)
        y += 130

    foot = (" ・ " if m.cjk else " · ").join(part for part in (meta.publisher, meta.written_date) if part)
    if foot:
        foot_face = _face(role["foot"], 54)
        draw.rectangle((0, SIZE[1] - 230, SIZE[0], SIZE[1] - 222), fill=INK)
        draw.text((MARGIN, SIZE[1] - 170), foot, font=foot_face, fill=INK)

    out = io.BytesIO()
    # 16 grey levels keep the antialiasing and compress well (quantizing is 10x slower)
    image.point(lambda v: round(v / 17) * 17).save(out, "PNG")
    return out.getvalue()
