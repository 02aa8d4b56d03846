"""Benchmark: taidan against pandoc on the same content, in one run on this machine.

    .venv/bin/python tools/bench.py [--runs 5] [--pages 10 100 300] [--long-runs 2] [--titles 50]
    .venv/bin/python tools/bench.py --only titles     # or interview, serve, pieces, vertical

Measures median wall time and peak memory of taidan against a competent peer: pandoc as a
user of the book's language runs it, with `--metadata lang=ja` (lang=en for an English
book) and naming the faces taidan sets (tools/bench-peer-a5.css: A5, BIZ UDPMincho 9 pt,
justified, page numbers), on a pandoc Markdown file written from the same manuscript
(speaker names in bold ahead of each turn). The rows: the interview's five editions against
the peer's EPUB plus its PDF (pandoc --pdf-engine=weasyprint), and each edition against its
counterpart (epub against pandoc's EPUB, print against its PDF, print-vertical against its
PDF: pandoc has no engine setting vertical text); a no-op rebuild and a rebuild after a
one-line change; `taidan check`; a long manuscript generated from the interview's sections
at about 10, 100 and 300 pages of the print edition, against two peers, pandoc + WeasyPrint
with its default look and the fair peer (the same text on the same page, its stylesheet),
compared per page; the memory of a default build (every edition) of the longest; a
catalog's worth of short manuscripts (50, every edition) in titles per minute with --jobs 1
and 2, and in two shards (`taidan build --shard K/N`) joined by `taidan catalog --from`;
and `taidan serve`'s warm rebuild. It prints the command line, how long it took and the
table in the form docs/internals/performance.md shows them.

Memory is the peak PSS of the whole process tree, sampled from /proc: resident memory
with each shared page divided among the processes sharing it. (Summed RSS would count a
forked worker's inherited pages, or Chromium's binary in each of its processes, again and
again: 1.4 GB for one print-vertical of the interview.) It installs nothing: pandoc comes
from `apt-get install pandoc` (tools/setup.sh). It is a script, not a test.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

from taidan.engines.chromium import find as find_chromium  # noqa: E402
from taidan.load import load  # noqa: E402
from taidan.model import plain_text  # noqa: E402
from taidan.render.strings import words  # noqa: E402

VENV_BIN = ROOT / ".venv" / "bin"
TAIDAN = [str(VENV_BIN / "taidan")]
FAIR_CSS = ROOT / "tools" / "bench-peer-a5.css"  # copied from ../shared/bench/peer-a5.css
INTERVIEW = ROOT / "manuscript" / "interview-2025-10-06.md"
FIVE = ["html", "epub", "epub-vertical", "print", "handout"]
ENV = {**os.environ, "PATH": f"{VENV_BIN}:{os.environ['PATH']}"}


# ---- measuring ------------------------------------------------------------------------

def _tree_pss(pid: int) -> int:
    """Proportional set size of a process and all its descendants, in bytes."""
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        try:
            with open(f"/proc/{p}/smaps_rollup") as rollup:
                for line in rollup:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1]) * 1024
                        break
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as children:
                    stack += [int(c) for c in children.read().split()]
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return total


def measure(cmd: list[str], cwd: Path = ROOT, env: dict | None = None) -> tuple[float, int]:
    """(wall seconds, peak bytes of the process tree) for one command; fails loudly."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env={**ENV, **(env or {})}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0

    def sample():
        # Reading smaps_rollup walks the process's page tables (under its memory-map lock)
        # and takes CPU itself: every 5 ms it stretched the measured run's wall time (a
        # 100-page print edition 12-35 s for 9-12 s of CPU; the fair peer 9-11 s for 6).
        # So 5 ms at first (short runs), then a tenth of the time elapsed, at most 0.2 s:
        # a long build's peak grows with its pages (peaks the same within 5 MB).
        nonlocal peak
        while proc.poll() is None:
            peak = max(peak, _tree_pss(proc.pid))
            time.sleep(min(0.2, max(0.005, (time.perf_counter() - start) / 10)))

    sampler = threading.Thread(target=sample)
    sampler.start()
    _, err = proc.communicate()
    seconds = time.perf_counter() - start
    sampler.join()
    if proc.returncode != 0:
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{err.decode()[-2000:]}")
    return seconds, peak


def cpu_seconds() -> float:
    """User and system CPU time of this script's children that have ended, and of theirs
    (a build's forked workers, Chromium's processes), so far: what a command cost whatever
    else the machine was running."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def median_run(runs: int, make_cmd, before=None, cwd: Path = ROOT, env: dict | None = None) -> tuple[float, int]:
    """Median time and the largest peak memory over ``runs`` runs."""
    times, peaks = [], []
    for _ in range(runs):
        if before:
            before()
        seconds, peak = measure(make_cmd(), cwd=cwd, env=env)
        times.append(seconds)
        peaks.append(peak)
    return statistics.median(times), max(peaks)


# ---- the peer's input -----------------------------------------------------------------

def _pandoc_inline(nodes) -> str:
    out = []
    for n in nodes:
        if n.kind == "noteref":
            out.append(f"[^{n.number}]")
        elif n.kind == "styled":
            mark = {"em": "*", "strong": "**", "dots": "**"}[n.style]
            out.append(mark + _pandoc_inline(n.children) + mark)
        elif n.kind == "link":
            out.append(f"[{_pandoc_inline(n.children)}]({n.href})")
        else:
            out.append(plain_text([n]))
    return "".join(out)


def pandoc_markdown(m) -> str:
    """The same manuscript as pandoc Markdown: speaker names in bold ahead of each turn."""
    meta = m.meta
    lines = ["---", f"title: \"{meta.title}\"", f"subtitle: \"{meta.subtitle}\"",
             f"date: {meta.date}", f"lang: {meta.lang}", "---", ""]

    def blocks(items):
        for b in items:
            if b.kind == "turn":
                who = [sp.name if sp in b.introduced else sp.label for sp in b.speakers]
                name = words(m.meta.lang)["everyone"] if b.everyone else "・".join(who)
                lines.append(f"**{name}**　{_pandoc_inline(b.paragraphs[0])}")
                lines.append("")
                for para in b.paragraphs[1:]:
                    lines.extend([_pandoc_inline(para), ""])
            elif b.kind in ("narration", "prose"):
                lines.extend([("── " if b.kind == "narration" else "") + _pandoc_inline(b.inlines), ""])
            elif b.kind == "stage":
                lines.extend([f"({b.text})", ""])
            elif b.kind == "break":
                lines.extend(["* * *", ""])

    blocks(m.lead)
    for part in m.parts:
        if part.title:
            lines += [f"# {part.title_text}", ""]
        blocks(part.blocks)
        for s in part.sections:
            lines += [f"## {s.title_text}", ""]
            blocks(s.blocks)
    for note in m.notes:
        lines += [f"[^{note.number}]: {_pandoc_inline(note.inlines)}", ""]
    return "\n".join(lines)


def long_manuscript(copies: int, parts: bool = False) -> str:
    """The interview's sections repeated ``copies`` times under unique headings; with
    ``parts``, each copy a part of its own (a ``#`` heading: it opens a right-hand page)."""
    text = INTERVIEW.read_text(encoding="utf-8")
    head, _, body = text.partition("\n## ")
    body = "## " + body
    head = re.sub(r"^# .*\n", "", head, flags=re.M)
    chunks = [head]
    for k in range(1, copies + 1):
        copy = re.sub(r"^## (.*)$", rf"## \1（{k}）", body, flags=re.M)
        copy = copy.replace("[^1]", f"[^n{k}]")
        if parts:
            copy = f"# 第{k}部\n\n" + copy
        chunks.append(copy)
    return "\n".join(chunks)


def short_manuscripts(count: int) -> dict[str, str]:
    """``count`` short manuscripts (two to four pages of the print edition) made from the
    interview, by name: its front matter and lead under a title of their own, then one of
    its sections each, in turn (a section holds its own footnotes)."""
    text = INTERVIEW.read_text(encoding="utf-8")
    head, _, body = text.partition("\n## ")
    sections = re.split(r"(?m)^(?=## )", "## " + body)
    return {f"talk-{k:02d}": re.sub(r"(?m)^title: .*$", f"title: 対談 第{k}回", head, count=1)
            + "\n" + sections[(k - 1) % len(sections)] for k in range(1, count + 1)}


# ---- the runs ---------------------------------------------------------------------------

def pdf_pages(path: Path) -> int:
    from pypdf import PdfReader

    return len(PdfReader(path).pages)


def calibrate(work: Path, parts: bool = False) -> tuple[float, float]:
    """Pages of the print edition per copy of the sections (with ``parts``, each copy a part,
    which opens on a right-hand page), and pages outside them."""
    pages = {}
    for copies in (1, 3):
        folder = work / f"calibrate-{copies}{'-parts' * parts}"
        folder.mkdir()
        manuscript = folder / "calibrate.md"
        manuscript.write_text(long_manuscript(copies, parts), encoding="utf-8")
        measure(TAIDAN + ["build", str(manuscript), "--edition", "print", "--out", str(folder)])
        pages[copies] = pdf_pages(folder / "calibrate.pdf")
    per_copy = (pages[3] - pages[1]) / 2
    return per_copy, pages[1] - per_copy


class Rows(list):
    """The table's rows, each also printed to stderr as soon as it is measured."""

    def append(self, row) -> None:
        super().append(row)
        print(table([row]).splitlines()[-1], file=sys.stderr, flush=True)


def bench(args) -> list[tuple]:
    work = Path(tempfile.mkdtemp(prefix="taidan-bench-"))
    rows = Rows()

    def fresh(name: str) -> Path:
        out = work / name
        shutil.rmtree(out, ignore_errors=True)
        return out

    m = load(INTERVIEW)
    peer_md = work / "peer.md"
    peer_md.write_text(pandoc_markdown(m), encoding="utf-8")

    def taidan_cmd(manuscript, editions, out):
        return lambda: TAIDAN + ["build", str(manuscript), "--edition", *editions, "--out", str(out)]

    # The competent peer: pandoc as a user of the book's language runs it, with its language
    # (--metadata lang=ja: WeasyPrint picks Japanese faces instead of searching fontconfig's
    # fallbacks) and naming the faces taidan sets (the fair peer's stylesheet, FAIR_CSS)
    lang = ["--metadata", f"lang={m.meta.lang}"]

    def peer_pdf(md: Path, runs: int, css: Path | None = FAIR_CSS):
        style = ["--css", str(css)] if css else []
        # in the work folder: pandoc leaves its html2pdf* files in the current one while it runs
        return median_run(runs, lambda: ["pandoc", str(md), *lang, *style, "--pdf-engine=weasyprint",
                                         "-o", str(work / "peer.pdf")], cwd=work)

    def peer_epub(md: Path, runs: int):
        return median_run(runs, lambda: ["pandoc", str(md), *lang, "--css", str(FAIR_CSS),
                                         "-o", str(work / "peer.epub")], cwd=work)

    # 1. the interview: each edition against its counterpart, then the five together against
    # the peer's EPUB and PDF (its PDF also stands for print-vertical: WeasyPrint sets no
    # vertical text, and pandoc has no other engine that does)
    t_pdf_peer, mem_pdf_peer = peer_pdf(peer_md, args.runs)
    t_epub_peer, mem_epub_peer = peer_epub(peer_md, args.runs)
    t_peer, mem_peer = t_epub_peer + t_pdf_peer, max(mem_pdf_peer, mem_epub_peer)
    out = work / "full"
    t_full, mem_full = median_run(args.runs, taidan_cmd(INTERVIEW, FIVE, out), before=lambda: fresh("full"))
    rows.append(("full build of the interview, 5 editions (peer: pandoc EPUB + PDF)", t_full, t_peer,
                 "ratio ≤ 1.0 cold", mem_full, mem_peer))
    size = (out / "interview-2025-10-06.pdf").stat().st_size
    print_pages = pdf_pages(out / "interview-2025-10-06.pdf")
    for edition, (t_counter, mem_counter), counterpart, target in (
            ("epub", (t_epub_peer, mem_epub_peer), "pandoc EPUB", ""),
            ("print", (t_pdf_peer, mem_pdf_peer), "pandoc + WeasyPrint PDF", ""),
            ("print-vertical", (t_pdf_peer, mem_pdf_peer), "pandoc + WeasyPrint PDF", "ratio ≤ 1.5")):
        t_one, mem_one = median_run(args.runs, taidan_cmd(INTERVIEW, [edition], work / edition),
                                    before=lambda: fresh(edition))
        rows.append((f"{edition} of the interview (peer: {counterpart})", t_one, t_counter, target,
                     mem_one, mem_counter))

    # 2. no-op rebuild (the outputs of the last run are in place)
    t_noop, mem_noop = median_run(args.runs, taidan_cmd(INTERVIEW, FIVE, out))
    rows.append(("no-op rebuild", t_noop, None, "≤ 0.15 s", mem_noop, None))

    # 3. a one-line change: one more character in a turn, all five editions rebuilt
    changed = work / "changed" / INTERVIEW.name
    changed.parent.mkdir()
    original = INTERVIEW.read_text(encoding="utf-8")
    state = {"n": 0}

    def edit():
        state["n"] += 1
        changed.write_text(original.replace("期待しています。", "期待しています" + "。" * (state["n"] + 1), 1),
                           encoding="utf-8")

    out_changed = work / "out-changed"
    edit()
    measure(taidan_cmd(changed, FIVE, out_changed)())
    t_edit, mem_edit = median_run(args.runs, taidan_cmd(changed, FIVE, out_changed), before=edit)
    rows.append(("rebuild after a one-line change", t_edit, t_peer, "ratio ≤ 1.0", mem_edit, mem_peer))

    # 4. check
    t_check, mem_check = median_run(args.runs, lambda: TAIDAN + ["check", str(INTERVIEW)])
    rows.append(("taidan check of the interview", t_check, None, "≤ 0.3 s", mem_check, None))

    # 5. long manuscripts: print edition against pandoc + WeasyPrint (its default look, and the
    # fair peer: the same text on the same page), per page; a default build's memory
    per_copy, fixed = calibrate(work)
    per_page = {}
    for target in args.pages:
        copies = max(1, math.ceil((target - fixed) / per_copy))
        folder = work / f"long-{target}"
        folder.mkdir()
        manuscript = folder / f"long-{target}.md"
        manuscript.write_text(long_manuscript(copies), encoding="utf-8")
        runs = args.runs if target <= 10 else args.long_runs
        t_print, mem_print = median_run(runs, taidan_cmd(manuscript, ["print"], folder / "out"),
                                        before=lambda: fresh(f"long-{target}/out"))
        pages = pdf_pages(folder / "out" / f"long-{target}.pdf")
        long_md = folder / "peer.md"
        long_md.write_text(pandoc_markdown(load(manuscript)), encoding="utf-8")
        t_peer_long, mem_peer_long = peer_pdf(long_md, runs, css=None)
        peer_pages = pdf_pages(work / "peer.pdf")
        t_fair, mem_fair = peer_pdf(long_md, runs)
        fair_pages = pdf_pages(work / "peer.pdf")
        per_page[target] = t_print / pages
        rows.append((f"print edition, {pages} pages (peer: pandoc + WeasyPrint, {peer_pages} pages)",
                     t_print, t_peer_long, "", mem_print, mem_peer_long))
        rows.append((f"print edition, {pages} pages (fair peer: peer-a5.css, {fair_pages} pages)",
                     t_print, t_fair, "ratio ≤ 0.8" if target >= 300 else "", mem_print, mem_fair))
        if target > 10:
            rows.append((f"time per page, {pages} pages / fair peer's {fair_pages}", t_print / pages,
                         t_fair / fair_pages, "ratio ≤ 1.0", None, None))
        if target == max(args.pages):
            five = TAIDAN + ["build", str(manuscript), "--edition", *FIVE, "--out", str(fresh(f"long-{target}/five"))]
            t_five, mem_five = measure(five)
            rows.append((f"all 5 editions but print-vertical, {pages} pages: peak memory", t_five, None,
                         "≤ 400 MB", mem_five, None))
            every = TAIDAN + ["build", str(manuscript), "--out", str(fresh(f"long-{target}/all"))]
            t_all, mem_all = measure(every)
            rows.append((f"all 6 editions, {pages} pages, default settings: peak memory", t_all, None,
                         "≤ 500 MB", mem_all, None))
    if args.pages:
        rows += pieces_rows(work, max(args.pages), args.long_runs)
    spread = (max(per_page.values()) / min(per_page.values()) - 1) * 100 if per_page else 0
    rows.append(("time per page, " + " / ".join(f"{k}: {v * 1000:.0f} ms" for k, v in per_page.items()),
                 None, None, f"spread {spread:.0f} % (target ±15 %)", None, None))
    rows.append((f"print PDF of the interview ({print_pages} pages)", None, None,
                 f"{size / 1024:.0f} KB (target ≤ 150 KB)", None, None))
    shutil.rmtree(work, ignore_errors=True)
    return rows


def titles_rows(count: int) -> list[tuple]:
    """A catalog's worth of short manuscripts (short_manuscripts), every edition: titles per
    minute with --jobs 1 and --jobs 2 on this machine; then the same titles in two shards
    (one after the other here; the machines of a CI matrix build them at the same time) and
    the catalog from both shards' outputs, which must be the one-machine catalog, byte for byte."""
    work = Path(tempfile.mkdtemp(prefix="taidan-bench-titles-"))
    (work / "taidan.toml").write_text("", encoding="utf-8")
    (work / "manuscript").mkdir()
    for name, text in short_manuscripts(count).items():
        (work / "manuscript" / f"{name}.md").write_text(text, encoding="utf-8")
    rows, per_minute, cpu = Rows(), {}, {}
    for jobs in (1, 2):
        before = cpu_seconds()
        seconds, peak = measure(TAIDAN + ["build", "--jobs", str(jobs), "--out", f"jobs-{jobs}"], cwd=work)
        per_minute[jobs], cpu[jobs] = count / seconds * 60, (cpu_seconds() - before) / count
        rows.append((f"{count} short manuscripts, every edition, --jobs {jobs}", seconds, None,
                     f"{per_minute[jobs]:.1f} titles per minute ({cpu[jobs]:.2f} s of CPU each)", peak, None))
    rows.append((f"{count} short manuscripts: --jobs 2 / --jobs 1 in titles per minute", None, None,
                 f"{per_minute[2] / per_minute[1]:.2f}× (goal ≥ 1.8×; CPU per title {cpu[2] / cpu[1]:.2f}×)",
                 None, None))
    slowest = 0.0
    for k in (1, 2):
        seconds, peak = measure(TAIDAN + ["build", "--shard", f"{k}/2", "--out", f"shard-{k}"], cwd=work)
        slowest = max(slowest, seconds)
        built = len(list((work / f"shard-{k}").glob("*-handout.pdf")))
        rows.append((f"shard {k}/2 of the {count}: {built} titles, every edition", seconds, None, "", peak, None))
    seconds, peak = measure(TAIDAN + ["catalog", "--from", "shard-1", "shard-2", "--out", "sharded"], cwd=work)
    measure(TAIDAN + ["catalog", "--out", "jobs-2"], cwd=work)  # built already: only the catalog

    def files(folder: Path) -> dict[str, bytes]:
        return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}

    same = files(work / "sharded" / "catalog") == files(work / "jobs-2" / "catalog")
    rows.append((f"taidan catalog --from both shards ({count} books; byte-identical to one machine's: "
                 f"{'yes' if same else 'NO'})", seconds, None,
                 f"two machines: {count / (slowest + seconds) * 60:.1f} titles per minute", peak, None))
    shutil.rmtree(work, ignore_errors=True)
    return rows


def pieces_rows(work: Path, target: int, runs: int) -> list[tuple]:
    """The print edition of a long book of parts (each copy of the sections a part) of about
    ``target`` pages, laid out in pieces on every core (the default) against the same book
    laid out whole (TAIDAN_PIECES=1), in the peer's columns."""
    per_copy, fixed = calibrate(work, parts=True)
    copies = max(1, math.ceil((target - fixed) / per_copy))
    folder = work / f"pieces-{target}"
    folder.mkdir()
    manuscript = folder / f"pieces-{target}.md"
    manuscript.write_text(long_manuscript(copies, parts=True), encoding="utf-8")
    out = folder / "out"
    command = lambda: TAIDAN + ["build", str(manuscript), "--edition", "print", "--out", str(out)]  # noqa: E731
    clear = lambda: shutil.rmtree(out, ignore_errors=True)  # noqa: E731
    t_pieces, mem_pieces = median_run(runs, command, before=clear)
    pages = pdf_pages(out / manuscript.with_suffix(".pdf").name)
    t_whole, mem_whole = median_run(runs, command, before=clear, env={"TAIDAN_PIECES": "1"})
    return [(f"print edition of {pages} pages in parts: in pieces (peer: laid out whole)",
             t_pieces, t_whole, f"ratio ≤ {1 / os.cpu_count() + 0.15:.2f}", mem_pieces, mem_whole)]


def vertical_rows(work: Path, per_copy: float, fixed: float, targets: list[int], runs: int) -> list[tuple]:
    """print-vertical alone of the long manuscripts (sized as the print edition's rows are)
    laid out a piece at a time (the default for a long book) against the same book laid out
    whole (TAIDAN_PIECES=1), in the peer's columns: the memory Chromium holds."""
    rows = []
    for target in targets:
        copies = max(1, math.ceil((target - fixed) / per_copy))
        folder = work / f"vertical-{target}"
        folder.mkdir()
        manuscript = folder / f"vertical-{target}.md"
        manuscript.write_text(long_manuscript(copies), encoding="utf-8")
        out = folder / "out"
        command = lambda: TAIDAN + ["build", str(manuscript), "--edition", "print-vertical", "--out", str(out)]  # noqa: E731
        clear = lambda: shutil.rmtree(out, ignore_errors=True)  # noqa: E731
        t_pieces, mem_pieces = median_run(runs, command, before=clear)
        pages = pdf_pages(out / f"{manuscript.stem}-vertical.pdf")
        t_whole, mem_whole = median_run(runs, command, before=clear, env={"TAIDAN_PIECES": "1"})
        rows.append((f"print-vertical, {pages} pages ({target} of print): a piece at a time (peer: whole)",
                     t_pieces, t_whole, "", mem_pieces, mem_whole))
    return rows


def serve_rows(runs: int) -> list[tuple]:
    """taidan serve on a copy of the interview, with Chromium (Playwright) on the preview:
    the time from saving a one-line change to the reloaded proof in the page (the page's
    script stamps each load with Date.now(), on the same clock as this process), and the
    warm print worker's rebuild of the print edition for the same change (its own timing,
    reported in /_taidan/state)."""
    import json
    import urllib.request

    from playwright.sync_api import sync_playwright

    work = Path(tempfile.mkdtemp(prefix="taidan-bench-serve-"))
    (work / "manuscript").mkdir()
    manuscript = work / "manuscript" / "talk.md"
    original = INTERVIEW.read_text(encoding="utf-8")
    manuscript.write_text(original, encoding="utf-8")
    proc = subprocess.Popen(TAIDAN + ["serve", "--port", "0"], cwd=work, env=ENV, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    url = ""
    while "serving" not in url:
        url = proc.stdout.readline()
        if not url:
            raise SystemExit("taidan serve did not start")
    url = url.split()[2]

    def state() -> dict:
        with urllib.request.urlopen(url + "_taidan/state") as response:
            return json.load(response)["manuscripts"][0]

    def pages_settled(serial: int) -> dict:
        while True:
            pages = state()["pages"]
            if pages["serial"] > serial and not pages["building"]:
                return pages
            time.sleep(0.05)

    reloads, prints, cpus, totals, peak = [], [], [], [], 0
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=find_chromium(),
                                        args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page()
            page.goto(url + "talk/")
            page.wait_for_function("document.body.dataset.proofLoaded")
            serial = pages_settled(0)["serial"]
            for n in range(1, runs + 1):
                loaded = page.evaluate("document.body.dataset.proofLoaded")
                changed = original.replace("期待しています。", "期待しています" + "。" * (n + 1), 1)
                saved = time.time() * 1000
                manuscript.write_text(changed, encoding="utf-8")
                page.wait_for_function("t => document.body.dataset.proofLoaded !== t", arg=loaded,
                                       polling=10, timeout=10000)
                assert page.frame_locator("#proof").get_by_text("期待しています" + "。" * (n + 1),
                                                                exact=False).count()
                reloads.append((int(page.evaluate("document.body.dataset.proofLoaded")) - saved) / 1000)
                pages = pages_settled(serial)
                serial = pages["serial"]
                prints.append(pages["seconds"])
                cpus.append(pages["cpu"])
                totals.append(pages["total"])
                peak = max(peak, _tree_pss(proc.pid))
            browser.close()
    finally:
        proc.terminate()
        proc.wait(15)
        shutil.rmtree(work, ignore_errors=True)
    return [
        (f"taidan serve: save to reloaded proof page (median of {runs})",
         statistics.median(reloads), None, "≤ 0.5 s", peak, None),
        ("taidan serve: warm print rebuild after a one-line change",
         statistics.median(prints), None, "≤ 1.0 s", None, None),
        ("taidan serve: the same, CPU time of the print worker",
         statistics.median(cpus), None, "wall ≈ CPU on an idle machine", None, None),
        ("taidan serve: the same, with the gallery's page images",
         statistics.median(totals), None, "", None, None),
    ]


def table(rows) -> str:
    head = "| measure | taidan | peer | taidan / peer | target | taidan peak MB | peer peak MB |"
    lines = [head, "|---|---:|---:|---:|---|---:|---:|"]
    for name, ours, peer, target, mem, mem_peer in rows:
        ratio = f"{ours / peer:.2f}" if ours and peer else ""
        lines.append("| " + " | ".join([
            name, f"{ours:.3f} s" if ours is not None else "", f"{peer:.3f} s" if peer else "",
            ratio, target, f"{mem / 1e6:.0f}" if mem else "", f"{mem_peer / 1e6:.0f}" if mem_peer else "",
        ]) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per measure (median)")
    parser.add_argument("--long-runs", type=int, default=2, help="runs for 100 pages and more")
    parser.add_argument("--pages", type=int, nargs="*", default=[10, 100, 300])
    parser.add_argument("--titles", type=int, default=50,
                        help="short manuscripts built with --jobs 1, 2 and in two shards (0: none)")
    parser.add_argument("--serve-runs", type=int, default=10, help="edits timed in taidan serve")
    parser.add_argument("--only", choices=["interview", "titles", "serve", "pieces", "vertical"],
                        help="only these rows (interview: the interview's and the long manuscripts'; "
                             "pieces: a long book in pieces against whole, --pages giving its length; "
                             "vertical: print-vertical a piece at a time against whole, at --pages)")
    parser.add_argument("--serve-only", action="store_const", const="serve", dest="only",
                        help="only the taidan serve rows (--only serve)")
    args = parser.parse_args()
    if args.only in ("pieces", "vertical"):
        work = Path(tempfile.mkdtemp(prefix="taidan-bench-"))
        if args.only == "pieces":
            rows = pieces_rows(work, max(args.pages), args.long_runs)
        else:
            rows = vertical_rows(work, *calibrate(work), args.pages, args.long_runs)
        shutil.rmtree(work, ignore_errors=True)
        print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
        print(table(rows))
        return
    if not shutil.which("pandoc") and args.only in (None, "interview"):
        raise SystemExit("pandoc is missing: apt-get install pandoc")
    start = time.perf_counter()
    rows = bench(args) if args.only in (None, "interview") else []
    if args.only in (None, "titles") and args.titles:
        rows += titles_rows(args.titles)
    if args.only in (None, "serve"):
        rows += serve_rows(args.serve_runs)
    took = int(time.perf_counter() - start)
    # the line the performance page (docs/internals/performance.md) gives above the table
    print(f"`.venv/bin/python tools/bench.py {' '.join(sys.argv[1:])}`".replace(" `", "`")
          + f" ({took // 60} min {took % 60} s), {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    print()
    print(table(rows))


if __name__ == "__main__":
    main()
