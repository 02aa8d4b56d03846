"""Writing outputs so that nothing is ever half-written or lost.

Each file goes to a temporary file in the same folder, is flushed to disk, and is renamed
over the old one: a reader (or a build killed at any moment) sees the old file or the new
one, never a mixture. A lock file in the output folder lets one build at a time write
there; a second build waits for the first. Temporary files an interrupted build left
behind are removed by the next build, under the lock, so no running build loses one.
"""

from __future__ import annotations

import fcntl
import os
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

from taidan.stopping import held

TEMP_PREFIX = ".taidan-tmp-"
LOCK_NAME = ".taidan.lock"  # never deleted: removing a lock file races with its next user


def write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, 0o644)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    _sync_folder(path.parent)  # the rename itself survives a power cut


def _sync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def clean_leftovers(folder: Path) -> None:
    """Removes temporary files an interrupted build left behind (call it under the lock):
    regular files named as write_atomic names them, nothing else."""
    if folder.is_dir():
        for leftover in folder.glob(TEMP_PREFIX + "*"):
            if leftover.is_file() and not leftover.is_symlink():
                leftover.unlink(missing_ok=True)


@contextmanager
def locked(folder: Path, say=print):
    """Holds the output folder's lock; waits, saying so, while another build holds it.
    The kernel releases the lock when a process dies, even by SIGKILL."""
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            say(f"waiting for another build writing into {folder} to finish")
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def kill_browsers() -> None:
    """Kills at once every browser this process started and has not closed."""
    chromium = sys.modules.get("taidan.engines.chromium")  # loaded only where a browser ran
    if chromium is not None:
        chromium.kill_all()


@contextmanager
def scratch():
    """A temporary folder of the process's own, made TMPDIR for it and the workers it forks,
    removed at the end: whatever a worker killed mid-edition or an engine's profile leaves in
    it goes with it."""
    import shutil  # deferred: only a build that has work to do removes the folder
    import time

    before = os.environ.get("TMPDIR"), tempfile.tempdir
    folder = None
    try:
        with held():  # made and known to the clean-up below, or not made
            folder = tempfile.mkdtemp(prefix="taidan-build-")
            os.environ["TMPDIR"] = tempfile.tempdir = folder
        yield Path(folder)
    finally:
        # a browser this process started and did not close (stopped as it started one)
        # would go on writing in the folder, and outlive the build
        kill_browsers()
        if before[0] is None:
            os.environ.pop("TMPDIR", None)
        else:
            os.environ["TMPDIR"] = before[0]
        tempfile.tempdir = before[1]
        for _ in range(20 if folder else 0):  # an engine a stopped worker started may still be writing in it
            shutil.rmtree(folder, ignore_errors=True)
            if not os.path.exists(folder):
                break
            time.sleep(0.1)
