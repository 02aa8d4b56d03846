"""The build: manuscripts loaded and validated first, then each edition produced and written."""

from __future__ import annotations

import sys
from pathlib import Path

from taidan.editions import EDITIONS, Options, edition
from taidan.load import load
from taidan.output import clean_leftovers, write_atomic
from taidan.problems import ManuscriptInvalid


def build(paths: list[Path], editions: list[str], out: Path, options: Options,
          say=print) -> list[Path]:
    """Builds every edition of every manuscript; raises ManuscriptInvalid before writing."""
    manuscripts, problems = [], []
    for path in paths:
        try:
            manuscripts.append(load(path))
        except ManuscriptInvalid as err:
            problems += err.problems
    if problems:
        raise ManuscriptInvalid(problems)
    clean_leftovers(out)
    written = []
    for m in manuscripts:
        for name in editions:
            files = edition(name).produce(m, options)
            for filename, data in files.items():
                target = out / filename
                write_atomic(target, data)
                written.append(target)
                say(f"wrote {target}")
    return written
