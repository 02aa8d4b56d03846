"""The epub-vertical edition: EPUB 3 in vertical Japanese (縦書き), pages turning right to left.

Only the direction, the fonts (full-width faces set vertical better) and a few templates
differ from ``epub``. Short runs of Latin characters are marked up here, so the templates
can set them upright: ``vertical_runs`` tells a 1–2 digit number or a two-letter initialism
such as AI (tate-chu-yoko) and a longer one such as CEO (upright letters) from running text.

print-vertical has its own rule set (``print_vertical.text_runs``). The two agree on
initialisms (AI across, CEO upright), on one- and two-digit numbers (across), on ! and ?
after Japanese text and on Latin phrases (sideways), and differ where the print edition sets
more: a lone capital (A案) and a three- or four-digit number (2025年) upright letter by
letter, a number touching % sideways, !!! as ! and !!, and em dashes in their full-width form
(its own fonts' U+2014 is half an em; here the reader's fonts set them). One rule set for both
would change one edition's files; which conventions both should follow is a choice to make
on its own, with its output change.
"""

from __future__ import annotations

import re

from taidan.editions.epub_base import EpubEdition

NAME = "epub-vertical"

# a run of Latin letters, digits and joiners (GPT-2, 2025-10-06, 1.5), or ! and ?
_RUN = re.compile(r"[A-Za-z0-9]+(?:[-.,/:'’&][A-Za-z0-9]+)*|[!?]{1,2}")
_TCY = re.compile(r"[0-9]{1,2}|[A-Z]{2}|[!?]{1,2}")  # 12, AI, !?: across the line
_UPRIGHT = re.compile(r"[A-Z]{3,4}")  # CEO, NHK: letters one below the other
_LATIN = re.compile(r"[A-Za-z0-9]")


def _in_latin_phrase(text: str, start: int, end: int) -> bool:
    """True when a Latin word is near, across spaces: GHOST IN THE SHELL stays sideways.
    (Only the spaces between two runs are looked at, so a long text costs linear time.)"""
    while start > 0 and text[start - 1] == " ":
        start -= 1
    while end < len(text) and text[end] == " ":
        end += 1
    return bool(start > 0 and _LATIN.match(text[start - 1])
                or end < len(text) and _LATIN.match(text[end]))


def vertical_runs(text: str) -> list[tuple[str, str]]:
    """``text`` as (kind, piece) pairs: kind is "" (as is), "tcy" or "upright"."""
    runs: list[tuple[str, str]] = []
    position = 0
    for match in _RUN.finditer(text):
        piece, kind = match.group(), ""
        if not _in_latin_phrase(text, match.start(), match.end()):
            if _TCY.fullmatch(piece):
                kind = "tcy"
            elif _UPRIGHT.fullmatch(piece):
                kind = "upright"
        if match.start() > position:
            runs.append(("", text[position:match.start()]))
        runs.append((kind, piece))
        position = match.end()
    if position < len(text):
        runs.append(("", text[position:]))
    return runs


class VerticalEdition(EpubEdition):
    def filters(self) -> dict:
        return {"vertical_runs": vertical_runs}


EDITION = VerticalEdition(NAME, vertical=True, fonts=[
    ("taidan-mincho", "normal", "mincho-mono"),
    ("taidan-gothic", "normal", "gothic-mono"),
    ("taidan-gothic", "bold", "gothic-mono-bold"),
])
outputs = EDITION.outputs
produce = EDITION.produce
