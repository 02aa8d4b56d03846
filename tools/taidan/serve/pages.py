"""The page gallery: the print edition rebuilt in a warm worker process, its pages as PNGs.

The worker imports WeasyPrint once and keeps one FontConfiguration between builds
(``pdf.keep_fonts``), so a rebuild pays for layout and drawing only. It is a process of
its own, not a thread: layout holds Python's GIL for a second or more, which would stall
the proof page's rebuild and the HTTP server. Pages are drawn by ``pdftoppm``
(poppler-utils, already installed for the tests and the README's page images): WeasyPrint
cannot draw pixels, and PyMuPDF would add a large AGPL wheel for the same result.

Requests are coalesced: while a manuscript's print edition is being built, further
requests for it make one more build afterwards, not one per save.
"""

from __future__ import annotations

import gc
import multiprocessing
import shutil
import signal
import subprocess
import sys
import threading
import time
from multiprocessing import resource_tracker
from pathlib import Path

RESOLUTION = 60  # dots per inch of the page images: an A5 page is 350 x 496 pixels
KEEP = 3  # page folders kept per manuscript: a browser may still be loading older ones
# A print build starts this long after it is asked for: the proof page, built and reloaded
# in the meantime, has the processor to itself, and a burst of saves makes one build.
GRACE = 0.3
RETRY_SECONDS = 1  # a worker that could not be started (out of descriptors) is tried again


def _worker(conn) -> None:
    """The worker's loop: one job in, one result out, until told to stop."""
    # First of all: SIGTERM (the server's stop, when a build takes too long) unwinds like
    # the end of the loop, at any point, so temporary files and the fonts' folder go too.
    # (Whatever a harder end leaves is in the server's own TMPDIR, removed after this process.)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    # deferred: in the print worker, after its signal handler is set
    from taidan.pipeline import parallel

    parallel.init_worker()  # die with the server; Ctrl-C is the server's to handle
    pdf = None
    try:
        from taidan.engines.weasyprint import pdf  # deferred: WeasyPrint, once, in the print worker

        from taidan.engines.weasyprint import fast_import  # noqa: F401 - WeasyPrint, once, for every build to come

        pdf.keep_fonts()
        # Layout allocates millions of short-lived objects: with the default thresholds the
        # cycle collector runs hundreds of times a build, rescanning WeasyPrint's modules and
        # fonts each time. Those are frozen out of its sight, and it runs less often (a warm
        # rebuild of the interview: about 1.03 -> 0.84 s of CPU; the same bytes).
        gc.freeze()
        gc.set_threshold(*parallel.COLLECTOR_THRESHOLDS)
        while True:
            try:
                job = conn.recv()
            except EOFError:
                return
            if job is None:
                return
            try:
                result = _build(*job)
            except OSError as err:  # writing the PDF or starting pdftoppm (out of descriptors)
                result = "failed", f"{type(err).__name__}: {err}"
            conn.send(result)
    finally:
        if pdf is not None:  # its fonts' folder goes now, not at interpreter exit
            pdf.keep_fonts(False)


def _build(path: Path, options, folder: Path, serial: int, fresh: bool):
    """("ok", details), ("invalid", problem lines) or ("failed", what broke)."""
    # deferred: these run in the print worker, never in the server's own process
    from taidan.render import jinja
    from taidan.pipeline import load
    from taidan.pipeline.build import produce
    from taidan.engines.weasyprint import pdf
    from taidan.pipeline.output import write_atomic
    from taidan.errors import ProblemsFound

    if fresh:  # templates, fonts or taidan.toml changed: nothing cached may outlive them
        jinja.strings.cache_clear()
        jinja.environment.cache_clear()
        pdf.keep_fonts()
    start, cpu = time.perf_counter(), time.process_time()
    try:
        (filename, data), = produce("print", load(path, options), options).items()
    except ProblemsFound as err:
        return "invalid", [str(p) for p in err.problems]
    except Exception as err:  # noqa: BLE001 - shown in the gallery, the server goes on
        return "failed", f"{type(err).__name__}: {err}"
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    pdf = folder / filename
    write_atomic(pdf, data)
    pages = folder / f"pages-{serial}"
    pages.mkdir(parents=True, exist_ok=True)
    drawn = subprocess.run(["pdftoppm", "-r", str(RESOLUTION), "-png", str(pdf), str(pages / "page")],
                           capture_output=True, text=True)
    if drawn.returncode != 0:
        return "failed", f"pdftoppm: {drawn.stderr.strip()}"
    files = sorted(p.relative_to(folder).as_posix() for p in pages.glob("page-*.png"))
    return "ok", {"pdf": filename, "files": files, "seconds": round(seconds, 3),
                  "cpu": round(cpu, 3), "total": round(time.perf_counter() - start, 3)}


class Gallery:
    """Builds print editions in the warm worker, one at a time, newest request last.

    ``done(name, status, value)`` is called from the gallery's thread after each build
    (status: ok, invalid, failed; or retry: the worker could not be started, and the build
    is tried again a second later)."""

    def __init__(self, folder: Path, done):
        self.folder = folder
        self.done = done
        self._pending: dict[str, tuple] = {}  # name -> (path, options)
        self._fresh = False
        self._serial = 0
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = False
        self._process = None
        self._conn = None
        self._thread = threading.Thread(target=self._loop, name="taidan-gallery", daemon=True)

    def start(self) -> None:
        self._spawn()  # WeasyPrint's import starts now, while the proofs are built
        self._thread.start()

    def request(self, jobs: dict[str, tuple], fresh: bool = False) -> None:
        with self._lock:
            self._pending.update(jobs)
            self._fresh = self._fresh or fresh
        self._wake.set()

    def pending(self, name: str) -> bool:
        """True while another build of ``name`` is asked for: its pages stay stale."""
        with self._lock:
            return name in self._pending

    def stop(self) -> None:
        """Returns once the worker is gone: nothing writes in the server's folders after."""
        with self._lock:  # from now on no worker is started (see _spawn)
            self._stopping = True
            process, conn = self._process, self._conn
        self._wake.set()
        if process is not None:
            try:
                conn.send(None)
            except (OSError, ValueError):
                pass
            process.join(2)
            if process.is_alive():  # in a build: SIGTERM unwinds it
                process.terminate()
                process.join(2)
            if process.is_alive():  # not back to Python in time (a long C call)
                process.kill()
                process.join()
        self._thread.join(3)

    def _spawn(self) -> bool:
        """Starts a worker, unless the gallery is stopping (False then): a worker started by
        the gallery's thread after stop() would be waited for by no one, and killed mid-build
        when the server exits (WeasyPrint's fonts' folder left behind)."""
        # spawn, not fork: the server has threads by now, and a fork copies their locks
        context = multiprocessing.get_context("spawn")
        with self._lock:
            if self._stopping:
                return False
            self._conn, child = context.Pipe()
            self._process = context.Process(target=_worker, args=(child,), name="taidan-print",
                                            daemon=True)
            # SIGINT blocked while it starts, and so for its whole life (a signal mask is
            # inherited): a terminal's Ctrl-C reaches every process of the group, even one
            # still starting Python, and stopping is the server's to decide. multiprocessing
            # starts its resource tracker the same way, then unblocks SIGINT: it is started
            # first, so that the mask holds when the worker starts.
            try:
                resource_tracker.ensure_running()
                mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
                try:
                    self._process.start()
                finally:
                    signal.pthread_sigmask(signal.SIG_SETMASK, mask)
            except OSError:  # out of descriptors (or processes): no pipe left open
                self._conn.close()
                self._process = None
                raise
            finally:
                child.close()
            return True

    def _loop(self) -> None:
        while True:
            self._wake.wait()
            if self._stopping:
                return
            time.sleep(GRACE)
            with self._lock:
                self._wake.clear()
                if not self._pending:
                    continue
                name, (path, options) = next(iter(self._pending.items()))
                del self._pending[name]
                fresh, self._fresh = self._fresh, False
            status, value = self._call(name, path, options, fresh)
            if self._stopping:
                return
            if status == "retry":  # the job stays asked for (unless a newer one came)
                with self._lock:
                    self._pending.setdefault(name, (path, options))
                    self._fresh = self._fresh or fresh
                self.done(name, "retry", value)
                self._wake.wait(RETRY_SECONDS)  # stop() sets it: no wait then
                self._wake.set()
                continue
            self.done(name, status, value)
            with self._lock:
                if self._pending:
                    self._wake.set()

    def _call(self, name: str, path: Path, options, fresh: bool):
        self._serial += 1
        folder = self.folder / name
        try:
            if (self._process is None or not self._process.is_alive()) and not self._spawn():
                return "failed", "the preview is stopping"
        except OSError as err:  # out of file descriptors or processes: it passes
            self._process = None
            return "retry", f"cannot start the print worker ({err.strerror}); trying again"
        try:
            self._conn.send((path, options, folder, self._serial, fresh))
            status, value = self._conn.recv()
        except (EOFError, OSError):
            self._process = None
            return "failed", "the print worker stopped; the next change starts another"
        if status == "ok":
            try:
                self._prune(folder, value["files"][0].split("/")[0] if value["files"] else "")
            except OSError:  # out of descriptors: the next build prunes them
                pass
        return status, value

    @staticmethod
    def _prune(folder: Path, current: str) -> None:
        """Removes all but the newest few page folders of one manuscript."""
        folders = sorted(folder.glob("pages-*"), key=lambda p: int(p.name.split("-")[1]))
        for old in folders[:-KEEP]:
            if old.name != current:
                shutil.rmtree(old, ignore_errors=True)
