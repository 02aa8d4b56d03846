"""Text transcripts: `Name: text` lines (a line without a name continues the voice before
it; a blank line starts a paragraph), and Otter's export, where a line holding a name and
a time (`Ruth Calloway  0:03`) stands above what that voice said."""

from __future__ import annotations

import re
from pathlib import Path

from taidan.load import timecode
from taidan.load.transcripts.cues import Cue, Transcript, named

# Otter: the name, two spaces or a tab (or one space), a time, and nothing else
OTTER = re.compile(r"^(\S.{0,60}?)[ \t]+(\d{1,2}:\d{2}(?::\d{2})?)[ \t]*$")
# a date the export carries in its first lines: 2024-05-17, or Otter's May 17, 2024
ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
MONTHS = {m: n for n, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug",
                                        "sep", "oct", "nov", "dec"), 1)}
WORD_DATE = re.compile(r"\b([A-Z][a-z]{2})[a-z]*\.? (\d{1,2}), (\d{4})\b")


def _date(lines: list[str]) -> str:
    for line in lines[:5]:
        if OTTER.match(line.strip()):
            break
        iso = ISO_DATE.search(line)
        if iso:
            return iso.group(0)
        words = WORD_DATE.search(line)
        if words and words.group(1).lower() in MONTHS:
            return f"{words.group(3)}-{MONTHS[words.group(1).lower()]:02d}-{int(words.group(2)):02d}"
    return ""


def read(path: Path, text: str) -> Transcript:
    lines = text.split("\n")
    otter = [i for i, line in enumerate(lines) if OTTER.match(line.strip())
             and i + 1 < len(lines) and lines[i + 1].strip()]
    if otter:
        return _otter(path, lines, otter)
    cues, blank, number = [], True, 0
    for index, line in enumerate(lines):
        if not line.strip():
            blank = True
            continue
        voice, words = named(line)
        number += 1
        cues.append(Cue(index + 1, words, voice, number=number, paragraph=blank))
        blank = False
    return Transcript(path, "text", cues)


def _otter(path: Path, lines: list[str], heads: list[int]) -> Transcript:
    cues, number = [], 0
    header = [line for line in lines[:heads[0]] if line.strip()]
    for position, head in enumerate(heads):
        found = OTTER.match(lines[head].strip())
        start = timecode.parse_time(found.group(2))
        stop = heads[position + 1] if position + 1 < len(heads) else len(lines)
        blank, timed = True, False
        for index in range(head + 1, stop):
            if not lines[index].strip():
                blank = True
                continue
            number += 1
            cues.append(Cue(index + 1, lines[index].strip(), found.group(1).strip(),
                            None if timed else start, None, number, paragraph=blank))
            blank, timed = False, True
    return Transcript(path, "Otter text", cues, date=_date(header))
