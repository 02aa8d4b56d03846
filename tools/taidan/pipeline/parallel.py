"""Running editions side by side: one forked worker per core, within a memory budget.

The parent imports the rendering engines before it forks the workers that need them
(WeasyPrint costs a few tenths of a second to import), so each of those starts with them
already loaded; the editions that need no engine are started first and run meanwhile.
Workers only compute bytes; the parent writes every file, so a worker that dies never leaves anything half-written, and
workers die with the parent (PR_SET_PDEATHSIG), so a killed build leaves no orphans.

Memory: each job's peak is estimated from its edition and the manuscript's size and lines
(``estimate``); jobs run side by side only while their estimates and the parent's own
memory add up to no more than the budget (``TAIDAN_MEMORY_MB``, default 400), and a job
over the budget runs alone.
A long book's print edition and handout (WeasyPrint holds every laid-out page until it
writes the PDF) then take turns, while a short interview's editions still run one per
core. Every job gets a fresh worker, so what one job held is given back when it ends.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import importlib
import os
import signal
import sys

from taidan.editions.registry import EDITIONS
from taidan.pipeline.output import LOCK_NAME

# Each edition's engine (which one the parent imports before forking), its estimated peak
# memory and its place in the order (slowest first, so the long jobs start at once) are
# declared in taidan.editions.registry.
BUDGET_MB = 400
# The parent's own memory while its workers run (WeasyPrint and the fonts imported before
# they fork, the book loaded): about 57 MB PSS with a 300-page book. Without it the sums
# let print and handout of that book (estimates 207 and 182 MB) run together and the build
# peaked at 538 MB.
PARENT_MB = 60
# Layout allocates millions of short-lived objects: with Python's default thresholds the
# cycle collector runs hundreds of times an edition, rescanning every module and font each
# time. Imported objects are frozen out of its sight before the workers fork (which also
# keeps their pages shared), and it runs less often (as in taidan serve's print worker).
COLLECTOR_THRESHOLDS = (50_000, 20, 100)
# The signals a build stops on; held while a worker is forked (``forking``)
STOPPING = {signal.SIGINT, signal.SIGTERM}

_jobs: list = []  # inherited by the forked workers


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def init_worker() -> None:
    try:  # die with the parent
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)
    except OSError:
        pass
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    signal.signal(signal.SIGTERM, _stopped)  # the parent ends the build
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOPPING)  # held since the fork (``forking``)
    for fd in os.listdir("/proc/self/fd"):  # the lock belongs to the parent alone
        try:
            if os.readlink(f"/proc/self/fd/{fd}").endswith(LOCK_NAME):
                os.close(int(fd))
        except OSError:
            pass


@contextlib.contextmanager
def forking():
    """Holds Ctrl-C and SIGTERM while a worker is forked, until ``init_worker`` has set the
    worker's own handlers (a signal mask is inherited). A terminal's Ctrl-C reaches every
    process of the group: landing in a new worker before that, it ran the parent's handler
    there, in the middle of multiprocessing's start-up, which printed a traceback and let
    the worker die without its result. The parent's own signal comes when the block ends,
    so whatever the block records of the worker is recorded before the build stops."""
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, STOPPING)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _stopped(signum, frame) -> None:
    """A worker asked to stop ends at once, and so does a browser it started, so that
    nothing writes in the build's scratch folder as the parent removes it."""
    chromium = sys.modules.get("taidan.engines.chromium")  # loaded only where a browser ran
    if chromium is not None:
        chromium.kill_all()
    os._exit(128 + signum)


def budget_mb() -> int:
    """Memory the editions built at once may take together (TAIDAN_MEMORY_MB)."""
    try:
        return max(1, int(os.environ.get("TAIDAN_MEMORY_MB", BUDGET_MB)))
    except ValueError:
        return BUDGET_MB


def estimate(job: tuple) -> float:
    """A job's likely peak memory in MB, from its edition, the manuscript's size and its
    lines of text (many short turns cost more than their bytes say)."""
    name, m = job[0], job[1]
    try:
        with open(m.path, "rb") as file:
            data = file.read()
    except (AttributeError, OSError):
        data = b""
    lines = data.count(b"\n") - data.count(b"\n\n") - data.count(b"\n\r\n")  # not blank
    return EDITIONS[name].estimate_mb(len(data) / 1024, max(lines, 0))


def _worker(index: int, send) -> None:
    init_worker()
    work, args = _jobs[index]
    send.send(work(*args))
    send.close()


def run(jobs: list[tuple], work, started=None, workers: int | None = None):
    """Yields (job, result) as each job finishes; ``work(*job)`` runs in a worker.
    ``workers``: at most this many at once (default: one per core), and fewer while
    their estimated memory would exceed the budget.

    ``work`` must return picklable values (bytes, problems), never raise."""
    jobs = sorted(jobs, key=lambda job: EDITIONS[job[0]].order)
    thresholds = gc.get_threshold()
    gc.set_threshold(*COLLECTOR_THRESHOLDS)
    try:
        yield from _run(jobs, work, started, workers)
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


def _load_engines(jobs: list[tuple]) -> None:
    """Imports the engines these jobs need, then freezes what is loaded (see above)."""
    for module in {_preload(job) for job in jobs} - {""}:
        importlib.import_module(module)
    gc.freeze()


def _preload(job: tuple) -> str:
    """The module of the job's engine that the parent imports before forking ("": none)."""
    engine = EDITIONS[job[0]].engine
    return engine.preload if engine else ""


def _run(jobs: list[tuple], work, started, workers: int | None):
    global _jobs
    workers = min(workers or cores(), len(jobs))
    if workers <= 1:
        _load_engines(jobs)
        for job in jobs:
            if started:
                started(job)
            yield job, work(*job)
        return
    import multiprocessing  # here: a no-op build never gets this far
    from multiprocessing.connection import wait

    _jobs = [(work, job) for job in jobs]
    costs = [estimate(job) for job in jobs]
    budget = budget_mb()
    context = multiprocessing.get_context("fork")
    waiting, running = list(range(len(jobs))), {}  # running: connection -> (index, process)

    def start(indexes) -> None:
        """Starts, in order, whichever of ``indexes`` fit (workers, memory)."""
        for index in indexes:
            if len(running) >= workers:
                break
            if running and PARENT_MB + sum(costs[i] for i, _ in running.values()) + costs[index] > budget:
                continue
            waiting.remove(index)
            if started:
                started(jobs[index])
            receive, send = context.Pipe(duplex=False)
            # a fresh worker per job: what a job held is given back when it ends
            process = context.Process(target=_worker, args=(index, send), daemon=True)
            with forking():
                process.start()
                running[receive] = (index, process)
            send.close()

    try:
        # the jobs that need no engine first, so they run while the engine is imported
        start([i for i in waiting if not _preload(jobs[i])])
        _load_engines(jobs)
        while waiting or running:
            start(list(waiting))  # slowest first, whatever fits
            for connection in wait(list(running)):
                index, process = running.pop(connection)
                try:
                    result = connection.recv()
                except EOFError:
                    raise RuntimeError(f"the worker building {jobs[index][0]} died") from None
                finally:
                    connection.close()
                    process.join()
                yield jobs[index], result
    finally:
        for _, process in running.values():  # what a worker leaves goes with the build's
            process.terminate()                 # scratch folder (pipeline.output.scratch)
        for connection, (_, process) in running.items():
            process.join(timeout=5)
            if process.is_alive():
                process.kill()
            connection.close()
        _jobs = []
