"""Atomic outputs, proved on real processes.

Edition A of a manuscript is in the output folder; the manuscript changes (B) and
`taidan build` is killed with SIGKILL at several moments: early, mid-layout, and the instant
a temporary output file appears (mid-write). After each kill every output is whole: the
bytes of A or the bytes of B, never anything else under its final name. The next build
waits for no one (the kernel freed the lock), removes the leftovers and writes B.
Also: two builds at once on one folder, and one edition failing while the others write.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from taidan.pipeline.output import LOCK_NAME, TEMP_PREFIX

from conftest import INTERVIEW, ROOT

pytestmark = [pytest.mark.slow]  # builds killed at several moments

EDITIONS = ["html", "epub", "print"]  # print (WeasyPrint) is the slow one: seconds of layout
DELAYS = [0.5, 2.0, 4.0]  # seconds after start: loading, rendering, laying out pages
MID_WRITE = 3  # kills the instant a temporary output file is seen, for successive files


def start(folder: Path, *editions: str, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "taidan", "build", "talk.md", "--edition",
                             *(editions or EDITIONS), "--out", "out"],
                            cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True, env={**os.environ, **(env or {})})


def finish(process: subprocess.Popen) -> tuple[int, str]:
    _, err = process.communicate(timeout=600)
    return process.returncode, err.decode("utf-8")


def kill(process: subprocess.Popen) -> bool:
    """SIGKILL to the build and anything it started; False when it had already ended."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait(timeout=60)
    return process.returncode == -signal.SIGKILL


def outputs(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if not p.name.startswith(".")}


def leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.startswith(TEMP_PREFIX)]


@pytest.fixture(scope="module")
def versions(tmp_path_factory) -> dict:
    """A project whose out/ holds edition A; talk.md now says B; B's bytes built elsewhere."""
    folder = tmp_path_factory.mktemp("atomic")
    text = INTERVIEW.read_text(encoding="utf-8")
    (folder / "talk.md").write_text(text, encoding="utf-8")
    assert finish(start(folder))[0] == 0
    a = outputs(folder / "out")
    reference = tmp_path_factory.mktemp("reference")
    changed = text.replace("\ntitle: ", "\ntitle: 第二版 ", 1)
    assert changed != text
    (reference / "talk.md").write_text(changed, encoding="utf-8")
    assert finish(start(reference))[0] == 0
    b = outputs(reference / "out")
    assert a.keys() == b.keys() and len(a) == len(EDITIONS)
    assert all(a[name] != b[name] for name in a)  # every file tells A from B
    (folder / "talk.md").write_text(changed, encoding="utf-8")
    return {"folder": folder, "a": a, "b": b}


def assert_whole(out: Path, a: dict, b: dict) -> str:
    """Every output is A's or B's bytes; returns a summary like 'AAB + 1 leftover'."""
    now = outputs(out)
    assert now.keys() == a.keys()
    state = ""
    for name in sorted(a):
        assert now[name] in (a[name], b[name]), f"{name} is neither the old nor the new file"
        state += "A" if now[name] == a[name] else "B"
    return f"{state} + {len(leftovers(out))} leftover(s)"


def test_killed_builds_leave_every_output_whole(versions):
    folder, a, b = versions["folder"], versions["a"], versions["b"]
    out = folder / "out"
    outcomes, interrupted = [], 0
    for delay in DELAYS:
        process = start(folder)
        time.sleep(delay)
        running = kill(process)
        interrupted += running
        outcomes.append((f"after {delay} s" + ("" if running else " (had ended)"),
                         assert_whole(out, a, b)))
    for number in range(MID_WRITE):
        for name, data in a.items():  # A again, so the build has files to replace
            (out / name).write_bytes(data)
        stale = set(leftovers(out))  # the last kill's, until the build cleans them
        process, seen, moment = start(folder), set(), "never saw a temporary file"
        while process.poll() is None:
            temps = set(leftovers(out)) - seen - stale
            seen |= temps
            if temps and len(seen) > number:
                killed = kill(process)
                interrupted += killed
                moment = f"when temporary file {len(seen)} appeared" + ("" if killed else " (had ended)")
                break
            time.sleep(0.0002)
        process.wait()
        outcomes.append((moment, assert_whole(out, a, b)))
    print("\nkilled builds:", *outcomes, sep="\n  ")
    assert interrupted >= len(DELAYS)  # most kills hit a running build
    # the next build is not blocked by a dead build's lock, cleans up and writes B
    code, err = finish(start(folder))
    assert code == 0, err
    assert "waiting" not in err
    assert outputs(out) == b
    assert leftovers(out) == []


def test_two_builds_at_once_do_not_corrupt_anything(versions, tmp_path):
    shutil.copy(versions["folder"] / "talk.md", tmp_path)
    first, second = start(tmp_path), start(tmp_path)
    results = [finish(first), finish(second)]
    assert [code for code, _ in results] == [0, 0], results
    waited = [err for _, err in results if "waiting for another build writing into out" in err]
    assert len(waited) == 1  # the second one waited for the first, and said so
    assert outputs(tmp_path / "out") == versions["b"]
    assert leftovers(tmp_path / "out") == [] and (tmp_path / "out" / LOCK_NAME).exists()


def test_one_edition_failing_leaves_its_files_and_writes_the_others(versions, tmp_path):
    folder = tmp_path
    shutil.copy(versions["folder"] / "talk.md", folder)
    (folder / "out").mkdir()
    for name, data in versions["a"].items():
        (folder / "out" / name).write_bytes(data)
    old_pdf = (folder / "out" / "talk.pdf").stat().st_mtime_ns
    shutil.copytree(ROOT / "templates", folder / "templates")
    book = folder / "templates" / "print" / "book.html"
    lines = book.read_text(encoding="utf-8").split("\n")
    lines.insert(2, "{% for %}")
    book.write_text("\n".join(lines), encoding="utf-8")
    code, err = finish(start(folder, env={"TAIDAN_TEMPLATES": "templates"}))
    assert code == 2
    assert err.splitlines() == ["templates/print/book.html:3: template error: "
                                "Expected an expression, got 'end of statement block'"]
    now = outputs(folder / "out")
    assert now["talk.pdf"] == versions["a"]["talk.pdf"]
    assert (folder / "out" / "talk.pdf").stat().st_mtime_ns == old_pdf
    assert now["talk.html"] == versions["b"]["talk.html"]
    assert now["talk.epub"] == versions["b"]["talk.epub"]
