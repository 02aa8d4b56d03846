"""DAISY Ace, the EPUB accessibility checker, on every EPUB edition: no violation at all.

Ace is installed by tools/setup.sh into tools/ace/ (npm, pinned) and drives Debian's chromium
(no browser is downloaded). One Ace process per book, several at a time: most of its time is
spent waiting for the browser. The counts are written to ace-summary.txt in the artefacts folder (conftest.py).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from taidan.engines.chromium import find as find_chromium

from conftest import ROOT
from test_epub import books  # noqa: F401  (the session's books)

ACE = ROOT / "tools" / "ace" / "node_modules" / "@daisy" / "ace" / "bin" / "ace.js"

pytestmark = [pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed"),
              pytest.mark.ace, pytest.mark.slow]  # Ace drives Chromium, a book at a time


def _ace(epub: Path, out: Path) -> dict:
    assert ACE.exists(), "DAISY Ace is not installed: run sh tools/setup.sh"
    env = dict(os.environ, PUPPETEER_EXECUTABLE_PATH=str(find_chromium()))
    done = subprocess.run(["node", str(ACE), "--silent", "--force", "--outdir", str(out), str(epub)],
                          capture_output=True, text=True, timeout=600, env=env)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return json.loads((out / "report.json").read_text(encoding="utf-8"))


def _violations(report: dict) -> list[tuple[str, str, str]]:
    return [(a.get("earl:testSubject", {}).get("url", ""), t["earl:test"]["dct:title"],
             t["earl:test"]["earl:impact"])
            for a in report["assertions"] for t in a["assertions"]
            if t["earl:result"]["earl:outcome"] == "fail"]


def test_daisy_ace_finds_no_violation_in_any_epub_edition(books, tmp_path, artefacts):  # noqa: F811
    # every EPUB edition, and the interview's kepubs (the koboSpans change no semantics)
    chosen = {key: book for key, book in books.items() if not key[1].endswith("+fonts")
              and (not key[1].startswith("kepub") or key[0] == "interview-2025-10-06")}
    outs = [tmp_path / f"{key[0]}.{key[1]}" for key in chosen]
    with ThreadPoolExecutor(4) as pool:
        reports = dict(zip(chosen, pool.map(_ace, [b.path for b in chosen.values()], outs)))
    lines = []
    for key, report in reports.items():
        # the report is about this book: Ace read its title and its documents
        assert report["earl:testSubject"]["metadata"]["dc:title"], key
        assert len(report["data"].get("images", [])) >= 1, key  # the cover, at least
        violations = _violations(report)
        lines.append(f"{key[0]} {key[1]}: {len(violations)} violations {violations}")
    (artefacts / "ace-summary.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    for key, report in reports.items():
        assert _violations(report) == [], key
        assert report["earl:result"]["earl:outcome"] == "pass", key
