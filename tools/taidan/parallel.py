"""Running editions side by side: one forked worker per core.

The parent imports the rendering engines first (WeasyPrint costs most of a second to
import), so every worker starts with them already loaded. Workers only compute bytes; the
parent writes every file, so a worker that dies never leaves anything half-written, and
workers die with the parent (PR_SET_PDEATHSIG), so a killed build leaves no orphans.
"""

from __future__ import annotations

import ctypes
import importlib
import os
import signal

from taidan.output import LOCK_NAME

# Editions whose engine is worth importing once before forking.
ENGINES = {"print": "weasyprint", "handout": "weasyprint"}
# Slowest first, so the long jobs start at once.
ORDER = ["print-vertical", "print", "handout", "epub-vertical", "epub", "html"]

_jobs: list = []  # inherited by the forked workers


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def _init_worker() -> None:
    try:  # die with the parent
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)
    except OSError:
        pass
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for fd in os.listdir("/proc/self/fd"):  # the lock belongs to the parent alone
        try:
            if os.readlink(f"/proc/self/fd/{fd}").endswith(LOCK_NAME):
                os.close(int(fd))
        except OSError:
            pass


def _run(index: int):
    work, args = _jobs[index]
    return index, work(*args)


def run(jobs: list[tuple], work, started=None, workers: int | None = None):
    """Yields (job, result) as each job finishes; ``work(*job)`` runs in a worker.
    ``workers``: at most this many at once (default: one per core).

    ``work`` must return picklable values (bytes, problems), never raise."""
    global _jobs
    jobs = sorted(jobs, key=lambda job: ORDER.index(job[0]) if job[0] in ORDER else len(ORDER))
    for engine in {ENGINES[job[0]] for job in jobs if job[0] in ENGINES}:
        importlib.import_module(engine)
    workers = min(workers or cores(), len(jobs))
    if workers <= 1:
        for job in jobs:
            if started:
                started(job)
            yield job, work(*job)
        return
    import multiprocessing  # here: a no-op build never gets this far

    _jobs = [(work, job) for job in jobs]
    context = multiprocessing.get_context("fork")
    with context.Pool(workers, initializer=_init_worker) as pool:
        if started:
            for job in jobs:
                started(job)
        for index, result in pool.imap_unordered(_run, range(len(jobs))):
            yield jobs[index], result
    _jobs = []
