"""Load and validate: a manuscript file becomes a ``Manuscript`` or a list of problems."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from taidan.load import smart
from taidan.load.blocks import scan
from taidan.load.frontmatter import FrontMatter, not_text
from taidan.load.source import read_source
from taidan.load.structure import Builder
from taidan.model import Manuscript
from taidan.errors import CannotRun, ProblemsFound, Problem
from taidan.render.strings import words


def _control_characters(path: Path, lines: list[str], first_line: int) -> list[Problem]:
    """A problem for each line that holds a character no output can hold (not_text)."""
    return [Problem(path, first_line + offset, *problem) for offset, line in enumerate(lines)
            if (problem := not_text(line))]


def _everyone_declared(path, speakers, everyone, lang, lines) -> list[Problem]:
    """Warnings for a speaker declared as 一同 or All, which need no declaration."""
    colon = lang["label_sep"].strip()
    return [Problem(path, lines[sp.id], f"'{sp.label}' need not be declared: '{sp.label}{colon}' "
                    "is everyone speaking at once", "delete this speaker, so that it stays out "
                    "of the cast list and the colophon", warning=True)
            for sp in speakers if sp.label in everyone or sp.name in everyone]


PLACEHOLDER = "TODO"  # what taidan import writes where only the editor knows the answer
_PLACEHOLDER = re.compile(PLACEHOLDER + r"\b")


def _placeholders(path, meta, speakers, front) -> list[Problem]:
    """Warnings for front matter text still reading TODO (taidan import's placeholders)."""
    found = [(front.lines.get("title", 1), "the title", "write the book's title")] \
        if _PLACEHOLDER.match(meta.title) else []
    for speaker in speakers:
        line = front.speaker_lines.get(speaker.id, 1)
        if _PLACEHOLDER.match(speaker.name) or _PLACEHOLDER.match(speaker.label):
            found.append((line, f"the name of the speaker '{speaker.id}'",
                          "write the speaker's full name, and the label (the first name) "
                          "the turns are printed with"))
        if _PLACEHOLDER.match(speaker.role):
            found.append((line, f"the role of the speaker '{speaker.id}'",
                          "write it (an author, a photographer...), or leave it empty"))
    return [Problem(path, line, f"{what} is still the placeholder '{PLACEHOLDER}'", hint,
                    warning=True) for line, what, hint in found]


def _past_the_end(path: Path, audio: Path, times, line: int) -> list[Problem]:
    """A time code past the recording's end, at its line (the length from ffprobe)."""
    from taidan.engines import audio as recordings  # deferred: only a manuscript with audio:
    from taidan.load import timecode

    try:
        length = recordings.probe(audio).duration
    except ValueError as err:
        return [Problem(path, line, f"the recording {audio.name} cannot be read: {err}",
                        "name an audio file (MP3, AAC, WAV ...)")]
    except CannotRun as err:
        return [Problem(path, line, f"the times are not checked against the recording: {err}",
                        warning=True)]
    found = []
    for at, start, end in times:
        last = max(start, end if end is not None else start)
        if last > length + 0.0005:
            found.append(Problem(path, at, f"the time {timecode.format_time(last)} lies past the "
                                 f"end of the recording {audio.name} "
                                 f"({timecode.format_time(length)})",
                                 "fix the time, or name the whole recording under audio:"))
    return found


def load(path: Path, publisher=None) -> Manuscript:
    """Reads and validates one manuscript; raises ProblemsFound with every problem.
    ``publisher``: taidan.config.options.Publisher, what the front matter falls back on."""
    path = Path(path)
    source = read_source(path)
    problems = _control_characters(path, source.front.split("\n"), source.front_line)
    if problems:  # YAML would only repeat them, less clearly
        raise ProblemsFound(problems + _control_characters(path, source.body, source.body_line))
    problems += _control_characters(path, source.body, source.body_line)
    front = FrontMatter(path, source.front, source.front_line, publisher)
    meta, speakers = front.parse()
    problems += front.problems
    if meta is None:
        raise ProblemsFound(problems)
    speakers = smart.speakers(speakers, meta.lang)
    try:
        lang = words(meta.lang or "en")
    except (OSError, yaml.YAMLError):  # a broken templates folder: the editions report it
        lang = {"label_sep": ":"}
    everyone = lang.get("everyone_labels", ())
    problems += _everyone_declared(path, speakers, everyone, lang, front.speaker_lines)
    problems += _placeholders(path, meta, speakers, front)
    builder = Builder(path, speakers, meta.lang, everyone_labels=everyone,
                      known=front.broken_labels, both_labels=lang.get("both_labels", ()))
    notes = builder.build(scan(source.body, source.body_line))
    cover_path = builder.resolve_file(meta.cover, front.lines.get("cover", source.front_line),
                                      "cover image") if meta.cover else None
    audio_path = builder.resolve_file(meta.audio, front.lines.get("audio", source.front_line),
                                      "recording", image=False) if meta.audio else None
    if audio_path is not None:
        problems += _past_the_end(path, audio_path, builder.times,
                                  front.lines.get("audio", source.front_line))
    problems += builder.problems
    if any(not p.warning for p in problems):
        raise ProblemsFound(sorted(problems, key=lambda p: p.line))
    return Manuscript(path=path, meta=smart.meta(meta), speakers=speakers, lead=builder.lead,
                      parts=builder.parts, notes=notes,
                      cover_path=cover_path, audio_path=audio_path, images=builder.images,
                      warnings=sorted(problems, key=lambda p: p.line))


def check(path: Path, publisher=None) -> list[Problem]:
    """Every problem of a manuscript, warnings (``Problem.warning``) included."""
    try:
        return load(path, publisher).warnings
    except ProblemsFound as err:
        return err.problems
