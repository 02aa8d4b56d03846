"""The bad-input corpus as a table: every case of tests/corpus/cases.yaml (the committed
ones and the generated ones) built with `taidan build` (every edition), with its exit
status, the first line it printed, its wall time and the peak memory of its process tree.

    .venv/bin/python tools/corpus_table.py [--tools DIR] [--limit-s 60] [--limit-mb 2500]

``--tools``: the folder holding the ``taidan`` package to run (default: this checkout's);
pointed at an older checkout's ``tools/``, it gives the table as that code answered. A run
past ``--limit-s`` seconds or ``--limit-mb`` MB is stopped and shown as such. Like
tools/bench.py, it is a measure, not a test (tests/test_corpus.py holds the expectations).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from test_corpus import CORPUS, five_megabytes, past_the_limits  # noqa: E402 - the corpus's own generators

sys.path.insert(0, str(ROOT / "tools"))
from bench import _tree_pss  # noqa: E402 - the benchmark's sampler


def project(folder: Path) -> list[tuple[str, str]]:
    """The corpus copied into ``folder`` with its generated cases; (file, why) of each bad case."""
    shutil.copytree(CORPUS, folder, symlinks=True)
    five_megabytes(folder / "five-megabytes.md")
    past_the_limits(folder)
    os.mkfifo(folder / "manuscript-fifo.md")
    with open(folder / "too-big.md", "wb") as big:
        big.truncate(25 * 1024 * 1024)
    cases = yaml.safe_load((CORPUS / "cases.yaml").read_text(encoding="utf-8"))
    return ([(c["file"], c["why"]) for c in cases["bad"]]
            + [(c["name"], c["why"]) for c in cases["generated"]])


def run(tools: Path, folder: Path, name: str, limit_s: float, limit_mb: float) -> tuple[str, str, float, float]:
    """(exit status or what stopped it, first line printed, wall seconds, peak MB)."""
    out = Path(tempfile.mkdtemp(prefix="corpus-table-"))
    env = {**os.environ, "PYTHONPATH": str(tools), "TAIDAN_NO_CACHE": "1", "TMPDIR": str(out), "HOME": str(out)}
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "taidan", "build", name, "--out", str(out / "build")],
                            cwd=folder, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)
    peak, stopped = 0.0, ""
    while proc.poll() is None:
        peak = max(peak, _tree_pss(proc.pid) / 2**20)
        if peak > limit_mb or time.perf_counter() - start > limit_s:
            stopped = f"stopped past {limit_mb:.0f} MB" if peak > limit_mb else f"stopped at {limit_s:.0f} s"
            os.killpg(proc.pid, signal.SIGKILL)
            break
        time.sleep(0.02)
    err = proc.communicate()[1].decode("utf-8", "replace")
    seconds = time.perf_counter() - start
    shutil.rmtree(out, ignore_errors=True)
    lines = err.splitlines()
    if "Traceback" in err:
        said = "traceback: " + next((l for l in reversed(lines) if l and not l.startswith(" ")), "")
    else:
        said = lines[0] if lines else ""
    return stopped or str(proc.returncode), said, seconds, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tools", type=Path, default=ROOT / "tools")
    parser.add_argument("--limit-s", type=float, default=60)
    parser.add_argument("--limit-mb", type=float, default=2500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="corpus-table-") as work:
        folder = Path(work) / "project"
        cases = project(folder)
        print("| case | exit | first line | s | peak MB |\n|---|---|---|---:|---:|")
        for name, why in cases:
            status, said, seconds, peak = run(args.tools.resolve(), folder, name, args.limit_s, args.limit_mb)
            said = said.replace("|", "\\|")[:160]
            print(f"| {name} ({why.replace('|', '/')}) | {status} | {said} | {seconds:.2f} | {peak:.0f} |", flush=True)


if __name__ == "__main__":
    main()
