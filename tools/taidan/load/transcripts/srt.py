"""SubRip (.srt): numbered cues; the voice written as Name:, NAME:, >> Name: or [Name]."""

from __future__ import annotations

import html
import re
from pathlib import Path

from taidan.load.transcripts.cues import Cue, Transcript, blocks, join, named, problem, time

TIMING = re.compile(r"^(\S+)[ \t]+-->[ \t]+(\S+)(?:[ \t]+.*)?$")
TAG = re.compile(r"</?(?:i|b|u|font)\b[^>]*>|\{\\[^}]*\}", re.IGNORECASE)  # <i>, {\an8}


def read(path: Path, text: str) -> Transcript:
    cues: list[Cue] = []
    number = 0
    runs = blocks(text.split("\n"))
    for count, (start, block) in enumerate(runs, 1):
        block = [part.strip() for part in block]
        timing_at = 1 if block[0].isdigit() else 0
        if timing_at >= len(block):
            raise problem(path, start + 1, f"cue {block[0]} has no timing line: the "
                          "transcript is cut short")
        line = start + timing_at + 1
        timing = TIMING.match(block[timing_at])
        if not timing:
            raise problem(path, line, f"'{block[timing_at][:60]}' is not a timing line",
                          "write it as 00:00:01,000 --> 00:00:04,000")
        begin = time(path, line, timing.group(1))
        end = time(path, line, timing.group(2))
        payload = [html.unescape(TAG.sub("", part)) for part in block[timing_at + 1:]]
        if not any(part.strip() for part in payload):
            if count == len(runs):
                raise problem(path, line, "the last cue has no text: the transcript is cut short")
            continue
        number += 1
        voice, words = None, []
        for offset, part in enumerate(payload):
            who, rest = named(part)
            if who and words:  # a second voice in one cue: "- Ann: ...\n- Bo: ..."
                cues.append(Cue(line, join(words), voice, begin, end, number))
                words = []
            if who or offset == 0:
                voice = who or voice
            words.append(rest)
        cues.append(Cue(line, join(words), voice, begin, end, number))
    return Transcript(path, "SRT", cues)
