"""The scheduler (taidan.pipeline.parallel): editions side by side while their estimated memory fits
the budget, one at a time when it does not. Real forked workers; each job reports when it
ran, and the test reads the overlaps."""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from taidan.load import load
from taidan.pipeline import parallel, pieces

from conftest import INTERVIEW, ROOT, clean_env

sys.path.insert(0, str(ROOT / "tools"))
from bench import _tree_pss, long_manuscript  # noqa: E402 - the benchmark's own sampler and book (tools/bench.py)

sys.path.remove(str(ROOT / "tools"))


@dataclass
class Manuscript:  # what the scheduler reads of a manuscript: where its file is
    path: Path


def _timed(name, m, options):
    start = time.monotonic()
    time.sleep(0.4)
    return start, time.monotonic()


def _spans(jobs, workers=2):
    return {job[0] + ":" + job[1].path.name: span
            for job, span in parallel.run(jobs, _timed, workers=workers)}


def _overlap(a, b) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def test_a_long_book_builds_its_pdfs_one_at_a_time(tmp_path, monkeypatch):
    monkeypatch.delenv("TAIDAN_MEMORY_MB", raising=False)
    book = tmp_path / "book.md"
    book.write_bytes(INTERVIEW.read_bytes() * 55)  # about 600 KB, some 300 pages
    big = Manuscript(book)
    assert parallel.estimate(("print", big)) > parallel.BUDGET_MB / 2
    spans = _spans([("html", big, None), ("print", big, None), ("handout", big, None), ("epub", big, None)])
    assert not _overlap(spans["print:book.md"], spans["handout:book.md"])
    # whatever ran at the same time fitted in the budget together
    keys = list(spans)
    for i, a in enumerate(keys):
        for b in keys[i + 1:]:
            if _overlap(spans[a], spans[b]):
                cost = parallel.estimate((a.split(":")[0], big)) + parallel.estimate((b.split(":")[0], big))
                assert parallel.PARENT_MB + cost <= parallel.BUDGET_MB, (a, b)


def test_the_interview_still_builds_two_at_a_time(monkeypatch):
    monkeypatch.delenv("TAIDAN_MEMORY_MB", raising=False)
    m = Manuscript(INTERVIEW)
    spans = _spans([(name, m, None) for name in ("print", "handout", "epub", "html")])
    assert _overlap(spans["print:" + INTERVIEW.name], spans["handout:" + INTERVIEW.name])


def test_the_budget_is_a_setting(monkeypatch):
    m = Manuscript(INTERVIEW)
    monkeypatch.setenv("TAIDAN_MEMORY_MB", "1")  # every job is over it: one at a time
    spans = list(_spans([(name, m, None) for name in ("print", "handout", "epub")]).values())
    assert not any(_overlap(a, b) for i, a in enumerate(spans) for b in spans[i + 1:])
    monkeypatch.setenv("TAIDAN_MEMORY_MB", "many")
    assert parallel.budget_mb() == parallel.BUDGET_MB


ENGINE_ORDER = """
import sys
from pathlib import Path
from taidan.pipeline import parallel

class M:
    path = Path(sys.argv[1])

def loaded(name, m, options):  # what the worker had when it was forked
    return "weasyprint" in sys.modules, bool(parallel.gc.get_freeze_count())

for job, (engine, frozen) in parallel.run([(n, M, None) for n in ("print", "epub", "html")],
                                          loaded, workers=2):
    print(job[0], engine, frozen)
"""


def test_editions_without_an_engine_start_while_it_is_imported():
    """epub and html are forked before WeasyPrint is imported (they need none of it); print
    after, with WeasyPrint loaded and frozen out of the cycle collector's sight."""
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", ENGINE_ORDER, str(INTERVIEW)],
                         capture_output=True, text=True, check=True).stdout
    assert sorted(out.splitlines()) == ["epub False False", "html False False", "print True True"]


def _name(name, m, options):
    return name


def test_every_edition_has_an_estimate_and_a_place_in_the_order():
    """Slowest first, from the registry; kepub (both EPUB packages) before epub-vertical."""
    from taidan.editions import EDITIONS

    m = Manuscript(INTERVIEW)
    done = [name for _, name in parallel.run([(name, m, None) for name in EDITIONS], _name, workers=1)]
    assert done == ["print-vertical", "print", "handout", "kepub", "epub-vertical", "epub", "html"]
    costs = {name: parallel.estimate((name, m)) for name in EDITIONS}
    assert costs["print-vertical"] > costs["print"] > costs["kepub"] > costs["epub"] > costs["html"]
    assert costs["print-vertical"] + costs["kepub"] <= parallel.BUDGET_MB  # side by side


def _tree_pss_mb(pid: int) -> float:
    """Proportional set size of a process and all its descendants, in MB, measured as the
    benchmark measures it."""
    return _tree_pss(pid) / (1024 * 1024)


def _peak_mb(book: Path, edition: str, out: Path, **env) -> float:
    """The peak PSS of building one edition of ``book`` in one process, sampled."""
    build = subprocess.Popen([sys.executable, "-m", "taidan", "build", str(book), "--edition", edition,
                              "--jobs", "1", "--out", str(out)], cwd=book.parent,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                             env=clean_env(PYTHONPATH=str(ROOT / "tools"), TAIDAN_NO_CACHE="1", **env))
    peak = 0.0
    while build.poll() is None:
        peak = max(peak, _tree_pss_mb(build.pid))
        time.sleep(0.03)
    assert build.returncode == 0, build.stderr.read()
    return peak


@pytest.mark.slow
@pytest.mark.parametrize("edition", ["print", "handout"])
@pytest.mark.parametrize("split", ["1", ""])
def test_the_estimate_holds_for_a_long_book(tmp_path, monkeypatch, edition, split):
    """A 204 KB book of 20 parts (about 130 pages of the print edition), laid out whole
    (TAIDAN_PIECES=1) and in pieces (the default, one per core): the build's peak PSS is
    within the estimate's margins. The estimate once said 123 MB for a print edition that
    took 171 whole and 222 in pieces."""
    book = tmp_path / "long.md"
    book.write_text(long_manuscript(20, parts=True), encoding="utf-8")
    monkeypatch.setenv("TAIDAN_PIECES", split)  # the estimate plans the pieces as the build does
    peak = _peak_mb(book, edition, tmp_path / "out", TAIDAN_PIECES=split)
    out = tmp_path / "out" / ("long.pdf" if edition == "print" else "long-handout.pdf")
    assert out.read_bytes().startswith(b"%PDF")
    estimated = pieces.estimate((edition, load(book)))
    assert 0.7 * estimated < peak < 1.3 * estimated, (peak, estimated)


@pytest.mark.slow
def test_the_estimate_holds_for_many_short_turns(tmp_path):
    """2,500 one-line turns (41 KB) in the print edition: the build's peak PSS, sampled, is
    within the estimate's margins (the estimate from bytes alone said a third of it)."""
    book = tmp_path / "turns.md"
    book.write_text("---\ntitle: Turns\ndate: 2025-10-06\nlang: en\nspeakers:\n"
                    "  - {id: a, name: Ann, label: Ann}\n  - {id: b, name: Bob, label: Bob}\n---\n\n# Part\n\n"
                    + "".join(f"{'Ann' if i % 2 else 'Bob'}: Turn {i}.\n\n" for i in range(2500)), encoding="utf-8")
    peak = _peak_mb(book, "print", tmp_path / "out")
    assert (tmp_path / "out" / "turns.pdf").read_bytes().startswith(b"%PDF")
    estimated = parallel.estimate(("print", Manuscript(book)))
    assert 0.6 * estimated < peak < 1.25 * estimated, (peak, estimated)


POOL = """
import hashlib, json, os, sys, time
from pathlib import Path
from taidan.editions import Options
from taidan.pipeline import load, parallel
from taidan.pipeline.build import _produce_safely

def traced(name, m, options):  # which process built it, and when
    start = time.monotonic()
    result = _produce_safely(name, m, options)
    return os.getpid(), start, time.monotonic(), result

options = Options()
books = [load(Path(p), options) for p in sys.argv[1:]]
jobs = [(name, m, options) for m in books for name in ("print", "handout", "epub", "html")]

def built(workers):
    out = {}
    for (name, m, _), (pid, start, end, (status, value)) in parallel.run(jobs, traced, workers=workers):
        assert status == "ok", value
        out[name + ":" + m.name] = [pid, start, end, {f: hashlib.sha256(b).hexdigest() for f, b in value[0].items()}]
    return out

print(json.dumps({"parent": os.getpid(), "alone": built(1), "pool": built(2)}))
"""


def _short_books(folder: Path, count: int) -> list[Path]:
    """Short manuscripts (two to four pages each): the interview's front matter and lead,
    then one of its sections each (as tools/bench.py makes its catalog)."""
    import re

    head, _, body = INTERVIEW.read_text(encoding="utf-8").partition("\n## ")
    sections = re.split(r"(?m)^(?=## )", "## " + body)
    paths = []
    for k in range(count):
        path = folder / f"talk-{k}.md"
        path.write_text(head + "\n" + sections[k % len(sections)], encoding="utf-8")
        paths.append(path)
    return paths


def _pool(tmp_path, budget: str | None) -> dict:
    env = clean_env(PYTHONPATH=str(ROOT / "tools"))
    env.pop("TAIDAN_MEMORY_MB", None)
    if budget:
        env["TAIDAN_MEMORY_MB"] = budget
    out = subprocess.run([sys.executable, "-c", POOL, *map(str, _short_books(tmp_path, 3))], env=env,
                         cwd=tmp_path, capture_output=True, text=True, check=True).stdout
    import json

    return json.loads(out)


def _jobs_per_worker(built: dict) -> list[int]:
    pids = [pid for pid, _, _, _ in built.values()]
    return sorted((pids.count(pid) for pid in set(pids)), reverse=True)


def test_a_worker_takes_job_after_job(tmp_path):
    """Twelve real editions (print, handout, epub, html of three short books) on two workers:
    a worker builds several of them in a row, and every file is the one built in a single
    process, byte for byte."""
    ran = _pool(tmp_path, None)
    assert {pid for pid, _, _, _ in ran["alone"].values()} == {ran["parent"]}
    assert {job: files for job, (_, _, _, files) in ran["pool"].items()} == \
        {job: files for job, (_, _, _, files) in ran["alone"].items()}
    assert ran["parent"] not in {pid for pid, _, _, _ in ran["pool"].values()}
    per_worker = _jobs_per_worker(ran["pool"])
    assert per_worker[0] >= 3 and len(per_worker) <= len(ran["pool"]) // 2, per_worker
    spans = [(start, end) for _, start, end, _ in ran["pool"].values()]
    assert any(_overlap(a, b) for i, a in enumerate(spans) for b in spans[i + 1:])  # two at a time


def test_a_workers_kept_memory_counts_in_the_budget(tmp_path):
    """What a worker keeps between jobs (its own pages: 30-40 MB once it has built a short
    book's PDF) counts in the budget: with room for the parent and one PDF but not for that
    beside it, no worker builds two PDFs, the PDFs are built one at a time, and the files
    are the same."""
    books = _short_books(tmp_path, 3)
    largest = max(parallel.estimate((name, Manuscript(p))) for p in books for name in ("print", "handout"))
    ran = _pool(tmp_path, str(int(parallel.PARENT_MB + largest + 10)))
    assert {job: files for job, (_, _, _, files) in ran["pool"].items()} == \
        {job: files for job, (_, _, _, files) in ran["alone"].items()}
    pdfs = {job: value for job, value in ran["pool"].items() if job.startswith(("print:", "handout:"))}
    pids = [pid for pid, _, _, _ in pdfs.values()]
    assert len(set(pids)) == len(pids), ran["pool"]
    spans = [(start, end) for _, start, end, _ in pdfs.values()]
    assert not any(_overlap(a, b) for i, a in enumerate(spans) for b in spans[i + 1:])
