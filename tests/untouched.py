"""A pytest plugin: a test run fails if it changed a folder it must leave alone.

The folders are the ini option ``untouched`` (pyproject.toml: the repository's build/, where
the user's own books are). Every file and folder in them is listed with its size and
modification time when the session starts, and again when it ends; a file written,
touched or deleted, even one made and removed again (its folder's time changes), fails
the run, and the summary names it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

_before = pytest.StashKey[dict]()
_changed = pytest.StashKey[list]()


def pytest_addoption(parser):
    parser.addini("untouched", "folders a test run must leave as it found them", type="paths",
                  default=[])


def listing(folder: Path) -> dict[str, tuple[int, int]] | None:
    """{path relative to folder: (size, mtime in ns)} of everything in it; None if absent."""
    if not folder.is_dir():
        return None
    found = {".": (0, folder.stat().st_mtime_ns)}
    for parent, folders, files in os.walk(folder):
        for name in folders + files:
            path = Path(parent) / name
            info = path.lstat()
            found[str(path.relative_to(folder))] = (info.st_size, info.st_mtime_ns)
    return found


def pytest_sessionstart(session):
    session.config.stash[_before] = {folder: listing(folder)
                                     for folder in session.config.getini("untouched")}


def pytest_sessionfinish(session, exitstatus):
    before = session.config.stash.get(_before, {})
    changed = []
    for folder, then in before.items():
        now = listing(folder)
        if now == then:
            continue
        if then is None or now is None:
            changed.append(f"{folder}: {'made' if then is None else 'removed'}")
            continue
        for name in sorted(then.keys() | now.keys()):
            if then.get(name) != now.get(name):
                what = "new" if name not in then else "gone" if name not in now else "changed"
                changed.append(f"{folder / name}: {what}")
    session.config.stash[_changed] = changed
    if changed and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, config):
    changed = config.stash.get(_changed, [])
    if changed:
        terminalreporter.section("folders the tests must leave alone were changed", red=True)
        for line in changed:
            terminalreporter.write_line(line)
