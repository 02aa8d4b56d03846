"""The body's lines cut into raw blocks, each remembering the line it starts on."""

from __future__ import annotations

import re
from dataclasses import dataclass

HEADING = re.compile(r"^(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
RULE = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
NOTE_DEF = re.compile(r"^\[\^([^\]\s]+)\]:[ \t]*(.*)$")
# A line of three colons ends the turn: what follows, until the next label, is the editor's.
TURN_END = re.compile(r"^ {0,3}(?::{3,}|：{3,})[ \t]*$")


@dataclass
class RawBlock:
    kind: str  # "heading" | "rule" | "end" (of a turn) | "note" | "para"
    text: str
    line: int
    level: int = 0  # heading level
    note_id: str = ""
    blank_before: int = 0  # blank lines between this block and the one before


def scan(lines: list[str], first_line: int) -> list[RawBlock]:
    blocks: list[RawBlock] = []
    current: RawBlock | None = None
    blank = 0
    for offset, raw in enumerate(lines):
        number = first_line + offset
        line = raw.rstrip()
        if not line.strip():
            current = None
            blank += 1
            continue
        before, blank = blank, 0
        heading = HEADING.match(line)
        if heading:
            blocks.append(RawBlock("heading", heading.group(2).strip(), number,
                                   level=len(heading.group(1))))
            current = None
            continue
        if TURN_END.match(line):  # never text: it may follow a paragraph's last line
            blocks.append(RawBlock("end", "", number))
            current = None
            continue
        if RULE.match(line) and current is None:
            blocks.append(RawBlock("rule", "", number))
            continue
        note = NOTE_DEF.match(line)
        if note:
            current = RawBlock("note", note.group(2), number, note_id=note.group(1))
            blocks.append(current)
            continue
        if current is not None:
            current.text += "\n" + line.strip() if current.kind == "note" else "\n" + line
            continue
        if line.startswith((" ", "\t")) and blocks and blocks[-1].kind == "note" \
                and blocks[-1].line + blocks[-1].text.count("\n") + 2 == number:
            current = blocks[-1]
            current.text += "\n" + line.strip()
            continue
        current = RawBlock("para", line.lstrip(), number, blank_before=before)
        blocks.append(current)
    return blocks
