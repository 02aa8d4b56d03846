"""WebVTT (Zoom, Teams, YouTube, Whisper's .vtt): cues with voice spans <v Name>, or the
Name: text that Zoom and Teams write. Cue ids, NOTE, STYLE and REGION blocks are skipped;
the lines of a cue are one passage."""

from __future__ import annotations

import html
import re
from pathlib import Path

from taidan.load.transcripts.cues import Cue, Transcript, blocks, join, named, problem, time

TIMING = re.compile(r"^(\S+)[ \t]+-->[ \t]+(\S+)(?:[ \t]+.*)?$")
VOICE = re.compile(r"<v(?:\.[^ \t>]*)?[ \t]+([^>]+)>")
RT = re.compile(r"<rt>.*?</rt>", re.DOTALL)  # ruby readings: the base text is what was said
TAG = re.compile(r"</?[a-z][^>]*>|<\d[\d:.]*>", re.IGNORECASE)


def _payload(text: str) -> list[tuple[str | None, str]]:
    """A cue's text as (voice, words) pieces: one per <v> span, or the Name: it opens with."""
    text = RT.sub("", text)
    spans = list(VOICE.finditer(text))
    if not spans:
        words = html.unescape(TAG.sub("", text))
        voice, rest = named(join(words.split("\n")))
        return [(voice, rest)]
    pieces = []
    lead = html.unescape(TAG.sub("", text[:spans[0].start()])).strip()
    if lead:
        pieces.append((None, lead))
    for index, span in enumerate(spans):
        end = spans[index + 1].start() if index + 1 < len(spans) else len(text)
        words = html.unescape(TAG.sub("", text[span.end():end]))
        pieces.append((span.group(1).strip(), join(words.split("\n"))))
    return pieces


def read(path: Path, text: str) -> Transcript:
    lines = text.split("\n")
    if not lines[0].startswith("WEBVTT"):
        raise problem(path, 1, "a WebVTT file starts with the line WEBVTT")
    cues: list[Cue] = []
    number = 0
    runs = blocks(lines, 1)
    for count, (start, block) in enumerate(runs, 1):
        first = block[0].strip()
        if re.match(r"^(NOTE|STYLE|REGION)(\s|$)", first):
            continue
        timing_at = 0 if "-->" in first else 1  # a cue id, then the timing line
        if timing_at >= len(block) or "-->" not in block[timing_at]:
            if start == 1 and number == 0:  # the header's own lines (Kind:, Language:)
                continue
            raise problem(path, start + 1, f"'{first[:60]}' is neither a cue nor a NOTE",
                          "a cue is an optional id, a line 00:00:01.000 --> 00:00:04.000, then its text")
        line = start + timing_at + 1
        timing = TIMING.match(block[timing_at].strip())
        if not timing:
            raise problem(path, line, "the cue's timing line is cut short",
                          "write it as 00:00:01.000 --> 00:00:04.000")
        begin = time(path, line, timing.group(1))
        end = time(path, line, timing.group(2))
        payload = "\n".join(block[timing_at + 1:])
        if not payload.strip():
            if count == len(runs):
                raise problem(path, line, "the last cue has no text: the transcript is cut short")
            continue
        number += 1
        for voice, words in _payload(payload):
            if words:
                cues.append(Cue(line, words, voice, begin, end, number))
    return Transcript(path, "WebVTT", cues)
