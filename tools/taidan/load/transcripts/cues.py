"""What every transcript reader shares: the cue, the transcript, how a line names its
voice, and the problems a transcript's bytes or times can have."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from taidan.errors import Problem, ProblemsFound
from taidan.load import source, timecode


@dataclass
class Cue:
    line: int  # where it starts in the transcript
    text: str  # as spoken, markup of the transcript removed
    speaker: str | None = None  # as the transcript names the voice; None: the voice before
    start: float | None = None  # seconds
    end: float | None = None
    number: int = 0  # the transcript's cue: the voices of one cue share it
    paragraph: bool = False  # the transcript starts a paragraph here (a blank line, a new block)
    heading: int = 0  # 1 or 2: a part's or a section's title (Word's headings), not words spoken


@dataclass
class Transcript:
    path: Path
    kind: str  # "WebVTT", "SRT", "Whisper JSON", "Otter text", "text", "Word"
    cues: list[Cue]
    date: str = ""  # YYYY-MM-DD, when the transcript carries the day it was made
    lang: str = ""  # when the transcript says so (Whisper's "language")


# Name: text, NAME: text, >> Name: text, - Name: text, 山田：text. A name is at most four
# words, each capitalised (or CJK), or a diarizer's SPEAKER_00 / Speaker 1.
_NAME_WORD = r"(?:[A-Z\u00c0-\u00de][\w'’.\-]*|[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]+|SPEAKER_\d+|\d+)"
NAMED = re.compile(rf"^(?:>>+[ \t]*|-[ \t]+)?({_NAME_WORD}(?:[ \t]+(?:{_NAME_WORD}|van|von|de|da|del|der|di|du|la|le|bin|al)){{0,3}})"
                   r"[ \t]*(?::[ \t]+|:$|：[ \t\u3000]*)(.*)$")
# [Name] text, as some SRT files write the voice; [laughter] is not a name (see NON_SPEECH)
BRACKETED = re.compile(rf"^\[({_NAME_WORD}(?:[ \t]+{_NAME_WORD}){{0,3}})\][ \t]*(.+)$")
# what transcripts mark as sounds rather than words, in square brackets or parentheses
NON_SPEECH = re.compile(
    r"^(?:laugh\w*|chuckl\w*|inaudible|unintelligible|indiscernible|crosstalk|cross-talk|"
    r"music|applause|silence|pause|noise|background\w*|sigh\w*|cough\w*|coughing|"
    r"overlapping|clears throat|phone rings|blank_audio|no speech|"
    r"笑|笑い|一同笑い|爆笑|苦笑|拍手|聞き取れず|聞き取り不能|不明瞭|沈黙|間|音楽)\b", re.IGNORECASE)


CJK = re.compile(r"[\u3000-\u30ff\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]")


def join(parts) -> str:
    """Lines of one passage as one: a space between words, none between Japanese text."""
    result = ""
    for part in (p.strip() for p in parts):
        if not part:
            continue
        if result and not (CJK.match(result[-1]) and CJK.match(part[0])):
            result += " "
        result += part
    return result


def named(text: str) -> tuple[str | None, str]:
    """The voice a line of text opens with (Name:, >> Name:, [Name]) and the rest."""
    match = NAMED.match(text)
    if match and match.group(2).strip():
        return match.group(1).strip(), match.group(2).strip()
    match = BRACKETED.match(text)
    if match and not NON_SPEECH.match(match.group(1)):
        return match.group(1).strip(), match.group(2).strip()
    return None, text.strip()


def blocks(lines: list[str], first: int = 0) -> list[tuple[int, list[str]]]:
    """The runs of non-blank lines from ``lines[first]`` on (the cues of SRT and WebVTT),
    each with the index of its first line."""
    found, index = [], first
    while index < len(lines):
        if not lines[index].strip():
            index += 1
            continue
        start = index
        while index < len(lines) and lines[index].strip():
            index += 1
        found.append((start, lines[start:index]))
    return found


def problem(path: Path, line: int, message: str, hint: str = "") -> ProblemsFound:
    return ProblemsFound([Problem(path, line, message, hint)])


def decode(path: Path, data: bytes) -> str:
    """Text, or a problem at the line of the first byte that is not: binary, or not UTF-8
    (with the legacy encoding it looks like, and how to convert it)."""
    if b"\x00" in data[:8192] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise problem(path, 1, "this is a binary file, not a transcript")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16").replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
        except UnicodeDecodeError:
            raise problem(path, 1, "the file says it is UTF-16 but is not") from None
    return source.decode(path, data)


def time(path: Path, line: int, text: str, what: str = "time") -> float:
    """Seconds from 00:01:02.500 (WebVTT), 00:01:02,500 (SRT) or 1:02.5."""
    seconds = timecode.parse_time(text.strip())
    if seconds is None:
        raise problem(path, line, f"'{text.strip()}' is not a {what}",
                      "the transcript may be cut short or edited by hand: write it as 00:01:02.500")
    return seconds


