"""What an edition is produced under: the command line's choices and the book project's
settings (taidan.toml), as one value every edition, the cache and the preview read."""

from __future__ import annotations

from dataclasses import dataclass, field

from taidan.config.paper import DEFAULT_PAPER
from taidan.config.style import Style


PRESS = ("pdf/x-4", "pdf/x-1a")  # the PDF/X standards --press makes (taidan.engines.pdfx), default first


@dataclass(frozen=True)
class Publisher:
    """[publisher]: what a manuscript's front matter says when it says nothing itself."""
    name: str = ""
    rights: str = ""
    credits: tuple[tuple[str, str], ...] = ()  # (role, name)
    date_format: str = ""  # a style or CLDR pattern (taidan.render.dates); "": the language's long form


@dataclass(frozen=True)
class Options:
    paper: str = DEFAULT_PAPER  # print edition: a name of taidan.config.paper.PAPERS
    press: str = ""  # print editions: "" (a screen PDF), or the PDF/X standard (taidan.engines.pdfx)
    press_marks: bool = True  # --press: trim marks outside the bleed
    colours: int = 1  # --press: inks, 1 (K) or 4 (CMYK)
    embed_fonts: bool = False  # EPUB editions: embed subset fonts
    audio_bitrate: int | None = None  # read-along: re-encode the recording at this kbit/s
    # from the book project (taidan.config.project): its templates folder overriding the built-in
    # files one by one, its house style, publisher defaults and accessibility certifier
    templates: str = ""
    style: Style = field(default_factory=Style)
    publisher: Publisher = field(default_factory=Publisher)
    certified_by: str = ""

    def __post_init__(self):
        if isinstance(self.press, bool):  # press = true: the default standard; false: none
            object.__setattr__(self, "press", PRESS[0] if self.press else "")
