"""Load and validate: a manuscript file becomes a ``Manuscript`` or a list of problems."""

from __future__ import annotations

from pathlib import Path

from taidan.load import smart
from taidan.load.blocks import scan
from taidan.load.frontmatter import FrontMatter
from taidan.load.source import read_source
from taidan.load.structure import Builder
from taidan.model import Manuscript
from taidan.problems import ManuscriptInvalid, Problem

CONTROL = {chr(c) for c in [*range(32), *range(0x7F, 0xA0)] if chr(c) not in "\n\t"}


def _control_characters(path: Path, lines: list[str], first_line: int) -> list[Problem]:
    problems = []
    for offset, line in enumerate(lines):
        bad = next((ch for ch in line if ch in CONTROL), None)
        if bad:
            problems.append(Problem(path, first_line + offset,
                                    f"the control character U+{ord(bad):04X} is not text",
                                    "delete it"))
    return problems


def load(path: Path, publisher=None) -> Manuscript:
    """Reads and validates one manuscript; raises ManuscriptInvalid with every problem.
    ``publisher``: taidan.project.Publisher, what the front matter falls back on."""
    path = Path(path)
    source = read_source(path)
    problems = _control_characters(path, source.front.split("\n"), source.front_line)
    if problems:  # YAML would only repeat them, less clearly
        raise ManuscriptInvalid(problems + _control_characters(path, source.body, source.body_line))
    problems += _control_characters(path, source.body, source.body_line)
    front = FrontMatter(path, source.front, source.front_line, publisher)
    meta, speakers = front.parse()
    problems += front.problems
    if meta is None:
        raise ManuscriptInvalid(problems)
    builder = Builder(path, speakers, meta.lang)
    notes = builder.build(scan(source.body, source.body_line))
    cover_path = builder.resolve_file(meta.cover, source.front_line, "cover image") \
        if meta.cover else None
    problems += builder.problems
    if problems:
        raise ManuscriptInvalid(sorted(problems, key=lambda p: p.line))
    return Manuscript(path=path, meta=smart.meta(meta), speakers=speakers, lead=builder.lead,
                      parts=builder.parts, notes=notes,
                      cover_path=cover_path, images=builder.images)


def check(path: Path, publisher=None) -> list[Problem]:
    try:
        load(path, publisher)
    except ManuscriptInvalid as err:
        return err.problems
    return []
