"""Cost linear in the book: doubling the input at most about doubles the CPU time.

Each measure runs in a fresh interpreter that builds one edition after a warm-up build
(fonts loaded, modules imported), and reports the CPU time of its own process tree
(``resource.getrusage``: itself and any child) for each size. The margins are generous:
they catch a cost that grows with the square of the input, not a few per cent."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, clean_env

pytestmark = [pytest.mark.slow]  # about 25 s of CPU time in all

MEASURE = """
import json, resource, sys
from pathlib import Path
from taidan.editions import Options
from taidan.engines.weasyprint import install
from taidan.load import load
from taidan.pipeline.build import produce

def tree_cpu():
    return sum(resource.getrusage(who).ru_utime + resource.getrusage(who).ru_stime
               for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))

install()
edition, paths = sys.argv[1], sys.argv[2:]
produce(edition, load(Path(paths[0])), Options())  # warm-up: fonts, imports, templates
times = []
for path in paths[1:]:
    m = load(Path(path))
    start = tree_cpu()
    produce(edition, m, Options())
    times.append(tree_cpu() - start)
print(json.dumps(times))
"""


def cpu_times(edition: str, warm_up: Path, manuscripts: list[Path]) -> list[float]:
    done = subprocess.run([sys.executable, "-c", MEASURE, edition, str(warm_up), *map(str, manuscripts)],
                          capture_output=True, text=True, timeout=600,
                          env=clean_env(PYTHONPATH=str(ROOT / "tools")))
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def interview(path: Path, turns: int, notes: bool = True, sections: int = 0) -> Path:
    """Two speakers, ``turns`` turns of a line or two, each with a footnote (``notes``);
    or ``sections`` sections of one turn each."""
    head = ("---\ntitle: Scaling\ndate: 2025-10-06\nlang: en\nspeakers:\n"
            "  - {id: a, name: Ann, label: Ann}\n  - {id: b, name: Bob, label: Bob}\n---\n\n")
    if sections:
        body = "".join(f"## Section {i}\n\nAnn: Words of section {i}, said here.\n\n" for i in range(sections))
    else:
        body = "# Part\n\n" + "".join(
            f"{'Ann' if i % 2 else 'Bob'}: Turn {i} of the interview, with words enough for a "
            f"line or two of text.{f'[^{i}]' if notes else ''}\n\n"
            + (f"[^{i}]: Note {i}, explaining it briefly.\n\n" if notes else "")
            for i in range(turns))
    path.write_text(head + body, encoding="utf-8")
    return path


def doubling_ratios(sizes: list[int], times: list[float]) -> list[float]:
    """The CPU time's growth for each step, per doubling of the input."""
    return [(t2 / t1) ** (math.log(2) / math.log(n2 / n1))
            for (n1, t1), (n2, t2) in zip(zip(sizes, times), zip(sizes[1:], times[1:]))]


# 200 notes against the same 200 turns without notes, CPU time: 3.1 to 3.9 times in print and
# 6.4 to 9.4 in the handout when each measure of a page's notes laid out all of them (the
# handout on 11 pages, its columns only shortened); now 1.8 to 2.2 and 2.6 to 3.2 (7 pages).
# WeasyPrint alone: 28 in the handout.
AT_MOST = {"print": 2.7, "handout": 4.5}


@pytest.mark.parametrize("edition", ["print", "handout"])
def test_footnotes_cost_what_their_pages_cost(tmp_path, edition):
    """One note a turn in print and in the handout's two columns: 25, 50, 100 and 200
    notes. Past the first page, doubling the notes at most about doubles the time; and 200
    notes cost a small multiple of the same 200 turns without notes."""
    sizes = [25, 50, 100, 200]
    paths = [interview(tmp_path / f"notes-{n}.md", n) for n in sizes]
    plain = interview(tmp_path / "plain-200.md", 200, notes=False)
    *times, without = cpu_times(edition, interview(tmp_path / "warm.md", 5), [*paths, plain])
    ratios = doubling_ratios(sizes[1:], times[1:])  # 25 notes fit on one handout page: no columns to fill
    assert all(r < 2.8 for r in ratios), (times, ratios)
    assert times[-1] < AT_MOST[edition] * without, (times, without)


def test_sections_in_print_cost_linear(tmp_path):
    """10, 100 and 1,000 sections of one turn each in the print edition (a contents page
    with an entry for each): each tenfold step at most about ten times the time."""
    sizes = [10, 100, 1000]
    paths = [interview(tmp_path / f"sections-{n}.md", 0, sections=n) for n in sizes]
    times = cpu_times("print", interview(tmp_path / "warm.md", 0, sections=2), paths)
    ratios = doubling_ratios(sizes, times)
    assert all(r < 2.8 for r in ratios), (times, ratios)
