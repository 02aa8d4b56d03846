"""The document model: the one source every edition renders from.

Inline content is a list of nodes; every node has a ``kind`` the templates dispatch on.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from pathlib import Path
from typing import Union


# ---- inline nodes -------------------------------------------------------------------

@dataclass(frozen=True)
class Text:
    text: str
    kind: str = "text"


@dataclass(frozen=True)
class Styled:
    """Emphasis (``*x*``), strong (``**x**``) or emphasis dots (``《《x》》``)."""
    style: str  # "em" | "strong" | "dots"
    children: tuple
    kind: str = "styled"


@dataclass(frozen=True)
class Ruby:
    base: str
    readings: tuple[str, ...]  # one reading: group ruby; one per character: mono ruby
    kind: str = "ruby"

    @property
    def pairs(self) -> list[tuple[str, str]]:
        if len(self.readings) == 1:
            return [(self.base, self.readings[0])]
        return list(zip(self.base, self.readings))


@dataclass(frozen=True)
class Tcy:
    """Tate-chu-yoko: a short run set upright across a vertical line."""
    text: str
    kind: str = "tcy"


@dataclass(frozen=True)
class Stage:
    """A stage direction such as (一同笑い)."""
    text: str
    kind: str = "stage"


@dataclass(frozen=True)
class NoteRef:
    note_id: str
    number: int
    kind: str = "noteref"


@dataclass(frozen=True)
class Link:
    href: str
    children: tuple
    kind: str = "link"


@dataclass(frozen=True)
class Code:
    text: str
    kind: str = "code"


@dataclass(frozen=True)
class LineBreak:
    kind: str = "br"


@dataclass(frozen=True)
class Timed:
    """A passage heard in the recording: a line of the manuscript with a time code
    (taidan.load.timecode). ``end`` is None where the manuscript gives none: the next
    passage's start ends it (see taidan.render.overlay)."""
    id: str  # t1, t2 ... in the manuscript's order: the read-along's element ids
    start: float
    end: float | None
    children: tuple
    line: int
    kind: str = "timed"


Inline = Union[Text, Styled, Ruby, Tcy, Stage, NoteRef, Link, Code, LineBreak, Timed]
NESTING = ("styled", "link", "timed")  # inline kinds that hold other inline nodes


def plain_text(nodes) -> str:
    """The text a reader sees, ruby readings left out."""
    out = []
    for node in nodes:
        if node.kind in ("text", "tcy", "code"):
            out.append(node.text)
        elif node.kind == "ruby":
            out.append(node.base)
        elif node.kind in NESTING:
            out.append(plain_text(node.children))
        elif node.kind == "stage":
            out.append(f"({node.text})")
    return "".join(out)


def inline_nodes(blocks):
    """Every inline node of ``blocks``, nested ones (inside emphasis, links) included."""
    def walk(nodes):
        for node in nodes:
            yield node
            if node.kind in NESTING:
                yield from walk(node.children)

    for block in blocks:
        if block.kind == "turn":
            for paragraph in block.paragraphs:
                yield from walk(paragraph)
        elif block.kind in ("narration", "prose"):
            yield from walk(block.inlines)


# ---- blocks ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Speaker:
    id: str
    name: str
    label: str
    role: str
    number: int  # 1, 2, 3 ... in order of declaration: templates key styles on it


@dataclass
class Turn:
    """What one speaker says, or several at once: a joint turn (``岸本・岡部：``, ``Ann & Bob:``)
    or everyone (``一同：``, ``All:``)."""
    speakers: tuple[Speaker, ...]  # in the order the label names them; everyone: all of them
    paragraphs: list[list]  # each a list of inline nodes
    introduced: tuple[Speaker, ...]  # speakers named here for the first time: full name and role
    line: int
    everyone: bool = False
    kind: str = "turn"

    @property
    def speaker(self) -> Speaker | None:
        """The one speaker of an ordinary turn; None for a joint turn or everyone."""
        return self.speakers[0] if len(self.speakers) == 1 and not self.everyone else None

    @property
    def joint(self) -> bool:
        return self.speaker is None

    @property
    def first(self) -> bool:
        return bool(self.introduced)


@dataclass
class Narration:
    """The interviewer's or editor's voice inside the conversation (── ...)."""
    inlines: list
    line: int
    kind: str = "narration"


@dataclass
class Prose:
    """A paragraph outside any turn: the lead, an editor's passage."""
    inlines: list
    line: int
    kind: str = "prose"


@dataclass
class StageDirection:
    text: str
    line: int
    kind: str = "stage"


@dataclass
class Image:
    src: str  # as written, relative to the manuscript
    path: Path  # resolved file inside the manuscript's folder
    alt: str
    caption: str
    line: int
    kind: str = "image"


@dataclass
class SceneBreak:
    line: int
    kind: str = "break"


Block = Union[Turn, Narration, Prose, StageDirection, Image, SceneBreak]


@dataclass
class Section:
    title: list  # inline nodes
    anchor: str  # "s1", "s2" ...: stable ids for links, bookmarks and files
    number: int
    blocks: list
    line: int

    @property
    def title_text(self) -> str:
        return plain_text(self.title)


@dataclass
class Part:
    """A ``#`` heading above sections; ``title`` is None for sections under no part."""
    title: list | None
    anchor: str
    blocks: list  # blocks between the part heading and its first section
    sections: list[Section]
    line: int

    @property
    def title_text(self) -> str:
        return plain_text(self.title) if self.title else ""


@dataclass
class Note:
    note_id: str
    number: int
    inlines: list
    line: int


@dataclass(frozen=True)
class Credit:
    role: str
    name: str


@dataclass(frozen=True)
class Series:
    """The series a book belongs to, and its place in it (2, or 2.5 between two books)."""
    name: str
    number: float


@dataclass(frozen=True)
class Contact:
    name: str
    url: str


@dataclass
class Meta:
    title: str
    subtitle: str
    kicker: str
    date: str  # ISO 8601
    lang: str
    publisher: str
    credits: list[Credit]
    contacts: list[Contact]
    source: str
    identifier: str
    rights: str
    cover: str
    description: str
    audio: str = ""  # the recording, as the front matter names it
    isbn: str = ""  # digits only (and X), checked: ISBN-10 or ISBN-13
    series: Series | None = None
    date_format: str = ""  # taidan.toml's [publisher] date_format: "" is the language's long form

    @property
    def written_date(self) -> str:
        """The date as readers of the book's language write it (3 November 2025,
        2025年11月3日): what the pages print. ``date`` stays ISO for the metadata."""
        # deferred: Babel is needed only by the editions that print a date
        from taidan.render.dates import written

        return written(self.date, self.lang, self.date_format)

    @property
    def moment(self) -> datetime.datetime:
        """The book's date as a moment, midnight UTC: every edition's timestamps, so the same
        manuscript gives the same bytes (nothing reads the clock)."""
        day = datetime.date.fromisoformat(self.date)
        return datetime.datetime(day.year, day.month, day.day, tzinfo=datetime.timezone.utc)

    @property
    def timestamp(self) -> str:
        """``moment`` as a W3C date-time: 2025-10-06T00:00:00Z."""
        return self.moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Manuscript:
    path: Path
    meta: Meta
    speakers: list[Speaker]
    lead: list
    parts: list[Part]
    notes: list[Note]
    cover_path: Path | None = None
    audio_path: Path | None = None  # the recording (front matter audio:), for the read-along
    images: list[Image] = field(default_factory=list)
    warnings: list = field(default_factory=list)  # Problems that do not stop a build

    @property
    def name(self) -> str:
        return self.path.stem

    @property
    def sections(self) -> list[Section]:
        return [s for p in self.parts for s in p.sections]

    @property
    def cjk(self) -> bool:
        """Japanese or Chinese: set by CJK conventions. Every other language is set by
        Latin-script ones (typographic punctuation, Latin faces, italics, hyphenation)."""
        return self.meta.lang.split("-")[0].lower() in ("ja", "zh")
