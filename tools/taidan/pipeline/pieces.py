"""A long book's print edition laid out on every core: in pieces, side by side, then joined.

A piece is a run of parts (every part after the first opens on a right-hand page, so the book's
pages break there whatever came before) or the front of the book (title page, contents).
The pieces of the text paginate at once, each in a forked worker, and stop before their
running heads and folios (taidan.engines.weasyprint.pieces); meanwhile this process lays
out the front with provisional page numbers, to learn its length. From the pieces' lengths
come each one's first page number and the contents' numbers; the front is laid out again
with them (the contents is laid out last, after the pieces, because only then are its
numbers known; its length does not depend on them, which is checked), the pieces finish
their pages with their numbers and the running heads carried over, and
taidan.pipeline.join makes one PDF of them.

Only books long enough to gain are split (``MIN_KB``): a short book is laid out whole, in
one process, and keeps its exact bytes. ``TAIDAN_PIECES`` caps the pieces of the text
(1: never split; default: one per core, fewer when their memory would exceed the budget).
"""

from __future__ import annotations

import os
import signal
from dataclasses import dataclass, field

from taidan.editions.registry import EDITIONS
from taidan.pipeline import parallel
from taidan.stopping import held

# Below this much manuscript (about 65 pages of the print edition) a book is laid out whole.
# Splitting costs CPU of its own (the contents laid out twice, each piece loading its fonts,
# the join): a quarter more than the whole book's layout, measured on the benchmark's book
# of parts at 21-164 KB (0.1 s at 21 KB, 0.7 s at 82 KB, 1.1 s at 164 KB). Two cores repay
# it from a few KB on, but a build lays its other editions out on the second core meanwhile,
# and below about 100 KB they take as long as the print edition: the split would only
# make them wait.
MIN_KB = 100
# What each piece after the first adds to the book's peak memory laid out whole (a piece's
# own fonts, styles and interpreter pages; its share of the book's boxes is the book's):
# measured 84, 51 and 54 MB for the print edition at 102, 204 and 469 KB in two pieces
# (203, 222 and 316 MB against 119, 171 and 262 whole), 45 MB for the handout at 469 KB.
PIECE_MB = 55
PIECES_VARIABLE = "TAIDAN_PIECES"


class _Stop(Exception):
    """Ends the front's provisional layout once it is paginated (its length is all we need)."""

    def __init__(self, report):
        self.report = report


def asked(m) -> tuple[int, float]:
    """(the pieces TAIDAN_PIECES asks for, 0 when it does not say; the manuscript's size in
    KB): what every edition laid out in pieces decides by."""
    try:
        wanted = int(os.environ.get(PIECES_VARIABLE, "0"))
    except ValueError:
        wanted = 0
    try:
        kb = m.path.stat().st_size / 1024
    except (AttributeError, OSError):
        kb = 0
    return wanted, kb


def plan(m, edition: str) -> list[list]:
    """The runs of parts to lay out apart (one run: the whole book, laid out at once)."""
    wanted, kb = asked(m)
    if wanted == 1 or kb < MIN_KB or len(m.sections) < 2:
        return [m.parts]
    # a run starts at a part with a title after the first such (it opens on a right-hand
    # page, templates/print/print.css); the parts before belong to the first run
    runs, titled = [[]], False
    for part in m.parts:
        if part.title and titled:
            runs.append([])
        titled = titled or bool(part.title)
        runs[-1].append(part)
    count = min(len(runs), wanted or parallel.cores())
    # each piece holds its share of the book's pages, and loads its fonts and styles again
    whole = parallel.estimate((edition, m))
    while count > 1 and whole + PIECE_MB * (count - 1) > parallel.budget_mb():
        count -= 1
    if count < 2:
        return [m.parts]
    return _balanced(runs, count)


def estimate(job: tuple) -> float:
    """A job's likely peak memory in MB (parallel.estimate), its book laid out in the pieces
    ``plan`` gives: each piece loads its fonts and styles again."""
    name, m = job[0], job[1]
    whole = parallel.estimate(job)
    if EDITIONS[name].in_pieces:
        whole += PIECE_MB * (len(plan(m, name)) - 1)
    return whole


def _weight(part) -> int:
    return len(part.blocks) + sum(len(s.blocks) for s in part.sections)


def _balanced(runs: list[list], count: int) -> list[list]:
    """``runs`` grouped into ``count`` consecutive groups of about equal text."""
    weights = [sum(_weight(p) for p in run) for run in runs]
    total, groups, acc = sum(weights), [[]], 0
    for run, weight in zip(runs, weights):
        if groups[-1] and acc >= total * len(groups) / count and len(groups) < count:
            groups.append([])
        groups[-1] += run
        acc += weight
    return groups


def lay_out(m, groups: list[list], render, write_pdf, front: bool = True) -> bytes:
    """The book's PDF from its pieces. ``render(piece)`` gives a piece's HTML (None: the
    whole book's), ``write_pdf(html)`` lays it out; ``front``: the book opens with a title
    page and contents laid out apart (the print edition), else with the first run of parts."""
    # deferred: WeasyPrint's internals and pikepdf, only for a long book
    from taidan.engines.weasyprint import pieces as engine
    from taidan.pipeline.join import join

    anchors = frozenset(a for part in m.parts for a in [part.anchor, *(s.anchor for s in part.sections)])
    bodies, notes = [], 0
    for k, group in enumerate(groups):
        html = render(_Piece(parts=group, first=k == 0, last=k == len(groups) - 1, notes_before=notes))
        bodies.append(html)
        notes += html.count('<span class="footnote"')
    workers = []
    try:
        for k, html in enumerate(bodies):  # each one stopped below, however this ends
            workers.append(_Worker(html, write_pdf, engine.Piece(first=not front and k == 0,
                                                                 wanted=anchors if front else frozenset())))
        if front:  # its length, with provisional numbers, while the text paginates
            provisional = _front(engine, render(_Piece(front=True, pages={a: "000" for a in anchors})),
                                 write_pdf, anchors, None)
            page, strings = provisional.pages, dict(provisional.strings)  # its stub: the text's first
        else:
            page, strings = 1, {}
        reports = [w.paginated() for w in workers]
        first_pages = []
        for k, report in enumerate(reports):
            first_pages.append(page)
            page += report.pages - (0 if k == len(reports) - 1 else 1)  # less the stub
        total = page - 1
        for worker, first, report in zip(workers, first_pages, reports):
            worker.carry_on(engine.Answer(first, total, dict(strings)))
            strings.update(report.strings)
        joined = []
        if front:
            numbers = {a: str(first + local) for first, report in zip(first_pages, reports)
                       for a, local in report.anchors.items()}
            final = {}
            data = _front(engine, render(_Piece(front=True, pages=numbers)), write_pdf, anchors,
                          engine.Answer(1, total, {}), final)
            if final["report"].pages != provisional.pages:
                raise _Again
            joined.append((data, True, final["report"].levels))
        joined += [(w.result(), k < len(workers) - 1, report.levels)
                   for k, (w, report) in enumerate(zip(workers, reports))]
    except _Again:
        for worker in workers:
            worker.stop()
        return write_pdf(render(None))
    finally:
        for worker in workers:
            worker.stop()
    return join(joined)


class _Again(Exception):
    """The contents came out longer with its numbers than without: lay the book out whole."""


@dataclass(frozen=True)
class _Piece:
    """What book.html and handout.html are told about the piece they lay out."""
    front: bool = False  # the title page and contents
    parts: list | None = None  # the run of parts
    first: bool = False  # the first run: the lead
    last: bool = False  # the last run: the contacts, the colophon
    notes_before: int = 0  # footnotes in the runs before
    pages: dict = field(default_factory=dict)  # the contents' page numbers: {anchor: "12"}


def _front(engine, html, write_pdf, anchors, answer, final=None):
    """Lays out the front in this process: with ``answer`` None, only until it is paginated
    (returns its report); else to the end (returns the PDF, its report in ``final``)."""
    def paginated(report):
        if answer is None:
            raise _Stop(report)
        final["report"] = report
        return answer

    engine.begin(engine.Piece(first=True, elsewhere=frozenset(anchors), paginated=paginated))
    try:
        return write_pdf(html)
    except _Stop as stop:
        return stop.report
    finally:
        engine.end()


_parent_ends: list = []  # this process's ends of its workers' pipes


class _Worker:
    """A forked process laying out one piece of the text: it paginates, reports, waits for
    its numbers, then sends its PDF. Forked by hand: the edition may itself run in one of
    the build's workers, which multiprocessing does not let start processes."""

    def __init__(self, html, write_pdf, piece):
        import multiprocessing  # deferred: only a long book forks

        self.connection, child = multiprocessing.Pipe()
        self.pid = 0
        try:
            with held():
                self.pid = os.fork()
                if self.pid == 0:  # the worker
                    try:
                        # the parent's ends of the pipes: so that a worker that dies is seen to die
                        for connection in [self.connection, *_parent_ends]:
                            connection.close()
                        _work(child, html, write_pdf, piece)
                    finally:
                        os._exit(0)
                _parent_ends.append(self.connection)
                child.close()
        except BaseException:  # stopped as it forked (the held signal lands here): it goes too
            self.stop()
            raise

    def _receive(self):
        try:
            kind, value = self.connection.recv()
        except EOFError:
            raise RuntimeError("a worker laying out a piece of the book died") from None
        if kind == "failed":
            raise value
        return value

    def paginated(self):
        return self._receive()

    def carry_on(self, answer) -> None:
        self.connection.send(answer)

    def result(self) -> bytes:
        return self._receive()

    def stop(self) -> None:
        if self.pid:
            try:
                os.kill(self.pid, signal.SIGTERM)  # gone already if it sent its PDF
            except ProcessLookupError:
                pass
            os.waitpid(self.pid, 0)
            self.pid = 0
            _parent_ends.remove(self.connection)
            self.connection.close()


def _work(connection, html, write_pdf, piece) -> None:
    parallel.init_worker()
    from taidan.engines.weasyprint import pieces as engine  # deferred: as in lay_out

    def paginated(report):
        connection.send(("paginated", report))
        return connection.recv()

    piece.paginated = paginated
    engine.begin(piece)
    try:
        connection.send(("done", write_pdf(html)))
    except BaseException as error:  # noqa: BLE001 - handed to the parent, which raises it
        connection.send(("failed", error))
    connection.close()
