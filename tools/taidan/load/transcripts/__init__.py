"""Transcripts as recorders and transcription services export them, read into cues.

One module per format (webvtt, srt, whisper, text for plain and Otter-style text, word for .docx);
``read`` chooses the format by the file's content, not by its name alone. Every problem
names the transcript's line (or, in JSON, the line where the segment starts), and a
transcript with a problem gives no cues at all: ``taidan import`` writes nothing.
"""

from __future__ import annotations

from pathlib import Path

from taidan.errors import Problem, ProblemsFound
from taidan.load import source, timecode
from taidan.load.transcripts import srt, text as plain, webvtt, whisper
from taidan.load.transcripts.cues import Cue, Transcript, decode, problem  # noqa: F401 (Cue, Transcript: the package's names)

MAX_BYTES = source.MAX_BYTES
READERS = {"webvtt": webvtt, "srt": srt, "whisper": whisper, "text": plain}


def kind(path: Path, data: bytes, text: str | None) -> str:
    """The transcript's format, from its content (a .txt may hold SRT, a .json a list)."""
    head = (text or "").lstrip("\ufeff \t\n")
    if head.startswith("WEBVTT"):
        return "webvtt"
    if head[:1] in "{[" and head:
        return "whisper"
    lines = head.split("\n")
    if len(lines) > 1 and lines[0].strip().isdigit() and "-->" in lines[1]:
        return "srt"
    if "-->" in "\n".join(lines[:4]):  # SRT without its numbers, or WebVTT without its header
        return "srt"
    return "text"


def read(path: Path) -> Transcript:
    """The transcript at ``path``, or ProblemsFound naming its lines."""
    try:
        with path.open("rb") as file:
            data = file.read(MAX_BYTES + 1)
    except IsADirectoryError:
        raise problem(path, 0, "is a folder, not a transcript") from None
    except FileNotFoundError:
        raise problem(path, 0, "no such file") from None
    except OSError as err:
        raise problem(path, 0, f"cannot read the file: {err.strerror}") from None
    if len(data) > MAX_BYTES:
        raise problem(path, 1, f"the file is larger than {MAX_BYTES // 1048576} MB",
                      "split the transcript")
    if not data.strip(b" \t\r\n\xef\xbb\xbf"):
        raise problem(path, 1, "the transcript is empty")
    if data.startswith(b"PK\x03\x04"):
        from taidan.load.transcripts import word  # deferred: python-docx, for Word files alone

        transcript = word.read(path, data)
    else:
        text = decode(path, data)
        transcript = READERS[kind(path, data, text)].read(path, text.lstrip("\ufeff"))
    if not any(cue.text.strip() for cue in transcript.cues):
        raise problem(path, 1, f"the {transcript.kind} transcript holds no words")
    check_times(transcript)
    return transcript


def check_times(transcript: Transcript) -> None:
    """Every cue ends after it starts, and starts after the cue before it ended."""
    problems, before = [], None
    for cue in transcript.cues:
        if cue.start is None:
            continue
        if cue.end is not None and cue.end < cue.start:
            problems.append(Problem(transcript.path, cue.line, f"the cue ends "
                                    f"({timecode.format_time(cue.end)}) before it starts "
                                    f"({timecode.format_time(cue.start)})"))
        if before is not None and before.number != cue.number:
            if cue.start < before.start:
                problems.append(Problem(transcript.path, cue.line, f"the time "
                                        f"{timecode.format_time(cue.start)} goes back before the "
                                        f"cue at line {before.line} "
                                        f"({timecode.format_time(before.start)})",
                                        "the cues are out of order"))
            elif before.end is not None and cue.start < before.end - 0.0005:
                problems.append(Problem(transcript.path, cue.line, f"the cue starts at "
                                        f"{timecode.format_time(cue.start)}, before the cue at "
                                        f"line {before.line} ends "
                                        f"({timecode.format_time(before.end)})",
                                        "overlapping cues: fix the times, or join the two cues"))
        before = cue
    if problems:
        raise ProblemsFound(problems)
