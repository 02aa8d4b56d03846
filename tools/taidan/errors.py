"""What stops a command, each with the exit status the command line gives it.

A problem in the input (a manuscript, a template, taidan.toml) is a value with a file, a
line and a message; ProblemsFound carries all of them at once. An edition that breaks on
valid input is EditionsFailed: a bug or a missing tool, not the user's fault.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

EXIT_OK = 0
EXIT_FAILED = 1  # an edition broke on valid input: a bug or a missing tool
EXIT_PROBLEMS = 2  # the input is at fault: FILE:LINE: message, and what to do
EXIT_INTERRUPTED = 130  # Ctrl-C (128 + SIGINT), as shells report it


@dataclass(frozen=True)
class Problem:
    file: Path
    line: int
    message: str
    hint: str = ""
    warning: bool = False  # worth a look, but the input is valid: exit status 0

    def __str__(self) -> str:
        text = f"{self.file}:{self.line}: {'warning: ' if self.warning else ''}{self.message}"
        return f"{text} ({self.hint})" if self.hint else text


def shown(path) -> Path:
    """A path as people type it from the working folder, for FILE:LINE and messages:
    relative when it is inside the working folder or just above it (build,
    ../taidan.toml), else absolute."""
    path, here = Path(path).resolve(), Path.cwd().resolve()
    if path.is_relative_to(here) or (path.parent in here.parents and path.parent != Path(here.anchor)):
        return Path(os.path.relpath(path, here))
    return path


class ProblemsFound(Exception):
    """Every problem found in a manuscript, a template or taidan.toml, raised at once so
    the command line can print them all."""

    exit_status = EXIT_PROBLEMS

    def __init__(self, problems: list[Problem]):
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


class Refused(Exception):
    """The command cannot start on what it was given (a file that is not there, a folder
    without manuscripts, a setting that is missing): one line the user can act on."""

    exit_status = EXIT_PROBLEMS


class CannotRun(Exception):
    """What the command needs from the machine is not there (a port already taken): one
    line, not the user's input at fault."""

    exit_status = EXIT_FAILED


class WorkerFailure(Exception):
    """What broke in a worker, as one line (the exception itself stays in the worker)."""


class EditionsFailed(Exception):
    """An edition broke on a valid manuscript: a bug or a missing tool, not the input."""

    exit_status = EXIT_FAILED

    def __init__(self, failures: list[tuple[str, Path, BaseException]], written: list[Path]):
        super().__init__("; ".join(f"{name} ({path.name}): {err!r}" for name, path, err in failures))
        self.failures = failures
        self.written = written  # the other editions' files, written all the same
