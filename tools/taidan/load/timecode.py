"""Time codes in a manuscript: where a paragraph (or a line of it) starts in the recording.

    {t=00:01:02.500} Ruth: What the speaker says …
    {t=00:01:05.100-00:01:07.900} a line of the same paragraph, with its end

A time code stands at the start of a line of a paragraph, before the label. The loader
takes it out of the text, so no edition prints it; it is plain text to type and to keep
while editing. Hours are optional (``1:02.5``), and so are the milliseconds.
"""

from __future__ import annotations

import re

# at a line's start: {t=START} or {t=START-END}
MARK = re.compile(r"^[ \t]*\{t=([^{}\n]*)\}[ \t\u3000]*")
# anywhere else in the text: an unescaped {t= that is not at a line's start
STRAY = re.compile(r"(?<!\\)\{t=[^{}\n]*\}")
TIME = re.compile(r"^(?:(\d{1,3}):)?(\d{1,2}):(\d{2})(?:[.,](\d{1,3}))?$")
EXAMPLE = "{t=00:01:02.500} or {t=00:01:02.500-00:01:05.000}"
# Where a later line's time code stood, while the paragraph's inline markup is parsed: a
# private-use character at the end of the line before, so that the markup parses as one
# paragraph, and the passages are cut apart after (taidan.load.structure, Builder._timed).
SPLIT = "\ue000"


def parse_time(text: str) -> float | None:
    """Seconds, from h:mm:ss.mmm, mm:ss.mmm, mm:ss or m:ss; None when it is not a time."""
    match = TIME.match(text.strip())
    if not match:
        return None
    hours, minutes, seconds, fraction = match.groups()
    if int(seconds) > 59 or (hours is not None and int(minutes) > 59):
        return None
    millis = int((fraction or "0").ljust(3, "0"))
    return int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds) + millis / 1000


def parse_mark(body: str) -> tuple[float, float | None] | None:
    """The start and end (or None) of a time code's inside, or None when it is not one."""
    start_text, dash, end_text = body.partition("-")
    start = parse_time(start_text)
    end = parse_time(end_text) if dash else None
    if start is None or (dash and end is None):
        return None
    return start, end


def format_time(seconds: float) -> str:
    """00:01:02.500: whole milliseconds, so the same time is always written the same way."""
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:02d}:{minutes:02d}:{rest // 1000:02d}.{rest % 1000:03d}"


def mark(start: float, end: float | None = None) -> str:
    return "{t=" + format_time(start) + (f"-{format_time(end)}" if end is not None else "") + "}"
