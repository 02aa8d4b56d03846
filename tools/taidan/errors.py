"""Problems in a manuscript are values: a file, a line and a message."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    file: Path
    line: int
    message: str
    hint: str = ""
    warning: bool = False  # worth a look, but the manuscript is valid: exit status 0

    def __str__(self) -> str:
        text = f"{self.file}:{self.line}: {'warning: ' if self.warning else ''}{self.message}"
        return f"{text} ({self.hint})" if self.hint else text


class ManuscriptInvalid(Exception):
    """Raised with every problem found, so the CLI can print them all at once."""

    def __init__(self, problems: list[Problem]):
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems
