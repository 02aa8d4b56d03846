"""Whisper and WhisperX JSON: {"segments": [{"start", "end", "text", "speaker"?,
"words"?}], "language"?}, or the list of segments alone. A segment without a speaker whose
words carry one (WhisperX's assign_word_speakers) takes the speaker of most of its words."""

from __future__ import annotations

import json
import json.decoder
import json.scanner
from collections import Counter
from pathlib import Path

from taidan.errors import Problem, ProblemsFound
from taidan.load.transcripts.cues import Cue, Transcript, problem

LINE = "\x00line"  # the key under which each object keeps the line it starts on


def _parse(path: Path, text: str):
    """The JSON, each object carrying the line it starts on (the pure-Python scanner:
    the C one takes no hook that sees positions)."""
    decoder = json.JSONDecoder()

    def parse_object(s_and_end, *args):
        value, end = json.decoder.JSONObject(s_and_end, *args)
        value[LINE] = text.count("\n", 0, s_and_end[1]) + 1
        return value, end

    decoder.parse_object = parse_object
    decoder.scan_once = json.scanner.py_make_scanner(decoder)
    try:
        return decoder.decode(text)
    except json.JSONDecodeError as err:
        cut = err.pos >= len(text.rstrip()) or err.msg.startswith("Unterminated string")
        raise problem(path, err.lineno, "the JSON ends before it is complete: the transcript "
                      "is cut short" if cut else f"the JSON is not valid: {err.msg}") from None


def _number(path, segment, key, number) -> float:
    value = segment.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise problem(path, segment[LINE], f"segment {number} has no '{key}' time in seconds"
                      + (f" ({value!r})" if value is not None else ""))
    return float(value)


def read(path: Path, text: str) -> Transcript:
    data = _parse(path, text)
    segments = data.get("segments") if isinstance(data, dict) else data
    if not isinstance(segments, list):
        raise problem(path, 1, "the JSON has no list of segments",
                      'Whisper writes {"segments": [{"start": 0.0, "end": 2.5, "text": "..."}]}')
    cues, problems = [], []
    for number, segment in enumerate(segments, 1):
        if not isinstance(segment, dict):
            problems.append(Problem(path, 1, f"segment {number} is not an object"))
            continue
        line = segment[LINE]
        words = segment.get("text")
        if not isinstance(words, str):
            problems.append(Problem(path, line, f"segment {number} has no text"))
            continue
        try:
            start, end = _number(path, segment, "start", number), _number(path, segment, "end", number)
        except ProblemsFound as err:
            problems += err.problems
            continue
        speaker = segment.get("speaker")
        if speaker is None and isinstance(segment.get("words"), list):
            voices = Counter(w.get("speaker") for w in segment["words"]
                             if isinstance(w, dict) and w.get("speaker"))
            speaker = voices.most_common(1)[0][0] if voices else None
        cues.append(Cue(line, " ".join(words.split()), str(speaker) if speaker is not None else None,
                        start, end, number))
    if problems:
        raise ProblemsFound(problems)
    lang = data.get("language") if isinstance(data, dict) else None
    return Transcript(path, "Whisper JSON", cues, lang=lang if isinstance(lang, str) else "")
