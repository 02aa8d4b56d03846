"""Running editions side by side: a pool of forked workers, one per core, within a memory budget.

Each worker takes job after job (a catalog's hundreds of short editions would otherwise pay
for a fresh process, its imports, templates and fonts each time: 1.84 s of CPU a title
against 1.05 s in one process). The parent imports the rendering engines before it forks
the workers that need them (WeasyPrint costs a few tenths of a second to import), so each
of those starts with them already loaded; the editions that need no engine are started
first, in workers forked meanwhile, which give way to ones with the engine when only
editions needing it are left.
Workers only compute bytes; the parent writes every file, so a worker that dies never leaves anything half-written, and
workers die with the parent (PR_SET_PDEATHSIG), so a killed build leaves no orphans.

Memory: each job's peak is estimated from its edition and the manuscript's size and lines
(``estimate``); jobs run side by side only while their estimates and the parent's own
memory add up to no more than the budget (``TAIDAN_MEMORY_MB``, default 400), and a job
over the budget runs alone.
A worker keeps memory between jobs (caches, the heap it grew to): measured after each job,
it counts in the budget as long as the worker lives, and an idle worker is ended when a job
would not fit beside it, or at once past RETIRE_MB.
A long book's print edition and handout (WeasyPrint holds every laid-out page until it
writes the PDF) then take turns, while a short interview's editions still run one per
core.
"""

from __future__ import annotations

import ctypes
import gc
import importlib
import os
import signal

from taidan.editions.registry import EDITIONS
from taidan.pipeline.output import LOCK_NAME, kill_browsers
from taidan.stopping import STOPPING, held

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
# A worker takes job after job. What it keeps between them (caches, the heap it grew to) is
# measured after each job and counted in the budget until it ends; past this much it ends
# at once, and a fresh worker is forked when one is needed.
RETIRE_MB = 100

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
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOPPING)  # held since the fork (stopping.held)
    for fd in os.listdir("/proc/self/fd"):  # the lock belongs to the parent alone
        try:
            if os.readlink(f"/proc/self/fd/{fd}").endswith(LOCK_NAME):
                os.close(int(fd))
        except OSError:
            pass


def _stopped(signum, frame) -> None:
    """A worker asked to stop ends at once, and so does a browser it started, so that
    nothing writes in the build's scratch folder as the parent removes it."""
    kill_browsers()
    os._exit(128 + signum)


def budget_mb() -> int:
    """Memory the editions built at once may take together (TAIDAN_MEMORY_MB)."""
    try:
        return max(1, int(os.environ.get("TAIDAN_MEMORY_MB", BUDGET_MB)))
    except ValueError:
        return BUDGET_MB


def estimate(job: tuple) -> float:
    """A job's likely peak memory in MB, from its edition, the manuscript's size and its
    lines of text (many short turns cost more than their bytes say), its book laid out in
    one piece (taidan.pipeline.pieces.estimate counts the pieces of a long book)."""
    name, m = job[0], job[1]
    try:
        with open(m.path, "rb") as file:
            data = file.read()
    except (AttributeError, OSError):
        data = b""
    lines = data.count(b"\n") - data.count(b"\n\n") - data.count(b"\n\r\n")  # not blank
    return EDITIONS[name].estimate_mb(len(data) / 1024, max(lines, 0))


def _serve(connection, parent_ends: list) -> None:
    """A worker's loop: a job's index in; its result out, then the memory the worker keeps
    (measured once the result is on its way, not on the build's critical path); until the
    parent says stop (None) or is gone."""
    init_worker()
    for end in parent_ends:  # so that this worker's end of the pipe is the only one it has
        end.close()
    try:
        while True:
            index = connection.recv()
            if index is None:
                return
            work, args = _jobs[index]
            connection.send(work(*args))
            connection.send(_kept_mb())
    except (EOFError, BrokenPipeError):  # the parent is done with this worker
        return


def _kept_mb() -> float:
    """The memory this worker keeps between jobs, in MB: its own pages (not those it still
    shares with the parent), garbage included (counted, it errs on the safe side). Past
    RETIRE_MB the garbage is collected and the heap trimmed, and measured again: a full
    collection after every job cost 12-28 ms of CPU, more than an html edition (and 2 % of
    the interview's five editions), and reading smaps_rollup 3 ms."""
    kept = _private_mb()
    if kept > RETIRE_MB:
        gc.collect()
        try:
            ctypes.CDLL("libc.so.6").malloc_trim(0)  # freed heap back to the system
        except (OSError, AttributeError):
            pass
        kept = _private_mb()
    return kept


def _private_mb() -> float:
    kept = 0
    try:
        with open("/proc/self/smaps_rollup") as rollup:
            for line in rollup:
                if line.startswith(("Private_Clean:", "Private_Dirty:", "Swap:")):
                    kept += int(line.split()[1])
    except OSError:
        return 0.0
    return kept / 1024


def run(jobs: list[tuple], work, started=None, workers: int | None = None, cost=estimate):
    """Yields (job, result) as each job finishes; ``work(*job)`` runs in a worker.
    ``workers``: at most this many at once (default: one per core), and fewer while
    their memory (``cost(job)``, in MB) would exceed the budget.

    ``work`` must return picklable values (bytes, problems), never raise."""
    jobs = sorted(jobs, key=lambda job: EDITIONS[job[0]].order)
    thresholds = gc.get_threshold()
    gc.set_threshold(*COLLECTOR_THRESHOLDS)
    try:
        yield from _run(jobs, work, started, workers, cost)
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


def _load_engines(jobs: list[tuple]) -> None:
    """Imports the engines these jobs need, then freezes what is loaded (see above)."""
    for module in {_preload(job) for job in jobs} - {""}:
        importlib.import_module(module)
    # an edition built for several manuscripts is imported once here, not in each worker that
    # takes one of its jobs (print-vertical's alone takes 0.13 s, and each of its jobs fills
    # the budget, so gets a fresh worker); one built once is imported by its worker, in
    # parallel with the others
    names = [job[0] for job in jobs]
    for name in dict.fromkeys(names):
        if names.count(name) > 1:
            EDITIONS[name].implementation()
    gc.freeze()


def _preload(job: tuple) -> str:
    """The module of the job's engine that the parent imports before forking ("": none)."""
    engine = EDITIONS[job[0]].engine
    return engine.preload if engine else ""


class _Worker:
    """A forked worker and the parent's end of its pipe (see _serve)."""

    def __init__(self, context, loaded: frozenset, pool: list):
        self.connection, child = context.Pipe()
        self.process = context.Process(target=_serve, daemon=True,
                                       args=(child, [self.connection, *(w.connection for w in pool)]))
        self.loaded = loaded  # the engines it was forked with
        self.index: int | None = None  # the job it is running
        self.settling: int | None = None  # the job it has just finished, until it says its kept memory
        self.edition = ""  # its last job's edition
        self.kept = 0.0  # MB it keeps between jobs (_kept_mb)
        with held():
            self.process.start()
            pool.append(self)  # recorded before a held signal stops the build
        child.close()

    @property
    def busy(self) -> bool:
        """Running a job, or yet to say what it keeps after one."""
        return self.index is not None or self.settling is not None

    def release(self) -> None:
        """Tells an idle worker to end (see _serve)."""
        try:
            self.connection.send(None)
        except OSError:  # gone already
            pass
        self.connection.close()

    def end(self, pool: list) -> None:
        """Lets an idle worker go, and the memory it kept."""
        pool.remove(self)
        self.release()
        self.process.join()


def _run(jobs: list[tuple], work, started, workers: int | None, cost):
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
    costs = [cost(job) for job in jobs]
    budget = budget_mb()
    context = multiprocessing.get_context("fork")
    waiting, pool, loaded = list(range(len(jobs))), [], frozenset()

    def taken() -> float:
        """What the budget holds now: the parent, each worker's kept memory, each running job."""
        return PARENT_MB + sum(w.kept + sum(costs[i] for i in (w.index, w.settling) if i is not None)
                               for w in pool)

    def start(indexes) -> None:
        """Starts, in order, whichever of ``indexes`` fit (workers, memory)."""
        for index in indexes:
            busy = [w for w in pool if w.busy]
            if len(busy) >= workers:
                break
            idle = sorted((w for w in pool if w not in busy), key=lambda w: -w.kept)
            if taken() + costs[index] > budget:
                if busy and taken() - sum(w.kept for w in idle) + costs[index] > budget:
                    continue  # over the budget even without the idle workers: it waits
                for spare in idle:  # idle workers go, the largest first, until it fits
                    if taken() + costs[index] <= budget:
                        break
                    spare.end(pool)
                idle = [w for w in idle if w in pool]
            need = _preload(jobs[index])
            fit = [w for w in idle if not need or need in w.loaded]
            # the worker that last built the same edition has its templates and fonts warm
            worker = next((w for w in fit if w.edition == jobs[index][0]), fit[0] if fit else None)
            if worker is None:
                if len(pool) >= workers:  # an idle worker forked before the engine: a new one
                    idle[0].end(pool)
                worker = _Worker(context, loaded, pool)
            waiting.remove(index)
            if started:
                started(jobs[index])
            worker.index, worker.edition = index, jobs[index][0]
            worker.connection.send(index)

    try:
        # the jobs that need no engine first, so they run while the engine is imported
        start([i for i in waiting if not _preload(jobs[i])])
        _load_engines(jobs)
        loaded = frozenset(_preload(job) for job in jobs) - {""}
        while waiting or any(w.index is not None for w in pool):
            start(list(waiting))  # slowest first, whatever fits
            busy = {w.connection: w for w in pool if w.busy}
            for connection in wait(list(busy)):
                worker = busy[connection]
                index = worker.index if worker.index is not None else worker.settling
                try:
                    message = connection.recv()
                except EOFError:
                    raise RuntimeError(f"the worker building {jobs[index][0]} died") from None
                if worker.index is None:  # what it keeps, now that the job's result is in
                    worker.settling, worker.kept = None, message
                    if worker.kept > RETIRE_MB:
                        worker.end(pool)
                    continue
                worker.index, worker.settling = None, index
                yield jobs[index], message
    finally:
        for worker in pool:  # what a worker leaves goes with the build's scratch folder
            if worker.index is not None:  # (pipeline.output.scratch)
                worker.process.terminate()
                worker.connection.close()
            else:
                worker.release()
        for worker in pool:
            worker.process.join(timeout=5)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join()
        _jobs = []
