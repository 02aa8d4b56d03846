"""What a build is doing, told to the person waiting for it.

On a terminal one status line is redrawn on standard error (which editions are being built,
how many are done); otherwise, as in CI or a log, every step is a plain line of its own on
standard output, beside the "wrote" lines. Standard error is kept for problems.
"""

from __future__ import annotations

import sys

# What an edition has to tell the person building it (a recording converted, a book without
# its audio): collected while it is produced, in the process that produces it, and said
# by the build beside its "wrote" lines (taidan.pipeline.build). The library never prints.
_notes: list[str] = []


def note(line: str) -> None:
    """A line for the build output, from inside an edition."""
    if line not in _notes:
        _notes.append(line)


def notes() -> list[str]:
    """The lines noted since the last call, and none kept."""
    taken = list(_notes)
    _notes.clear()
    return taken


class Progress:
    def __init__(self, total: int, say=print, stream=sys.stderr):
        self.total = total
        self.done = 0
        self.running: dict[str, str] = {}  # job -> stage
        self.say = say
        self.stream = stream
        self.live = stream.isatty() and say is print

    def _draw(self) -> None:
        jobs = ", ".join(f"{job} ({stage})" for job, stage in self.running.items())
        line = f"[{self.done}/{self.total}] {jobs}"[:max(20, _width() - 1)]
        self.stream.write("\r\x1b[K" + line)
        self.stream.flush()

    def stage(self, job: str, stage: str) -> None:
        self.running[job] = stage
        if self.live:
            self._draw()
        else:
            self.say(f"{stage} {job}")

    def finished(self, job: str, lines: list[str]) -> None:
        self.running.pop(job, None)
        self.done += 1
        if self.live:
            self.stream.write("\r\x1b[K")
        for line in lines:
            self.say(line)
        if self.live and self.running:
            self._draw()

    def close(self) -> None:
        if self.live:
            self.stream.write("\r\x1b[K")
            self.stream.flush()


def _width() -> int:
    import shutil  # deferred: only a terminal's progress line asks its width

    return shutil.get_terminal_size((80, 24)).columns
