"""What the preview shows, kept up to date: each manuscript's proof page (the html edition),
its problems, and its page gallery (the print edition, see pages.py).

A watcher thread (watchfiles) notes what changed; a builder thread rebuilds the proofs of
the manuscripts concerned, one pass at a time, so edits that arrive during a build are
coalesced into one more pass. Every change of state bumps ``version``; the pages in the
browser wait for it by long-polling (``wait``), as MkDocs' live reload does.

The proofs are built with the project's own pipeline (taidan.load.load and
taidan.pipeline.build.produce), into a temporary folder: the user's build/ is never touched.
"""

from __future__ import annotations

import os
import secrets
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import watchfiles

from taidan.errors import ProblemsFound
from taidan.pipeline.output import TEMP_PREFIX
from taidan.serve.pages import Gallery
from taidan.serve.server import ROUTES, out_of_descriptors

RETRY_SECONDS = 1  # a proof that failed for want of file descriptors is built again after this


def _replace(path: Path, data: bytes) -> None:
    """Writes one of the preview's own files whole (a reader sees the old or the new one).
    No fsync, unlike taidan.pipeline.output.write_atomic: these files die with the server, and on
    this machine's disk the two fsyncs cost 20 ms of every save-to-reload."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f"{TEMP_PREFIX}{path.name}")
    temp.write_bytes(data)
    os.replace(temp, path)


@dataclass
class Entry:
    """One manuscript as the preview knows it."""

    name: str  # its folder in the preview: /<name>/
    path: Path
    title: str = ""
    proof: int = 0  # how many good proofs were built (0: none yet)
    seconds: float | None = None  # the last proof's build time
    problems: list[str] = field(default_factory=list)
    pages: dict = field(default_factory=lambda: {
        "serial": 0, "files": [], "pdf": None, "building": False, "problems": [],
        "seconds": None, "cpu": None})

    def state(self) -> dict:
        return {"name": self.name, "path": str(self.path), "title": self.title,
                "proof": self.proof, "seconds": self.seconds, "problems": list(self.problems),
                "pages": dict(self.pages)}  # copies: the JSON is written outside the lock


class _Filter(watchfiles.DefaultFilter):
    """Editors' swap files and backups (DefaultFilter), our own temporary files, build/."""

    def __init__(self, ignored: list[Path], only: str | None = None):
        super().__init__()
        self.ignored = [p.resolve() for p in ignored]
        self.only = only

    def __call__(self, change, path: str) -> bool:
        if Path(path).name.startswith(TEMP_PREFIX):
            return False
        if self.only and Path(path).name != self.only:
            return False
        if any(Path(path).is_relative_to(folder) for folder in self.ignored):
            return False
        return super().__call__(change, path)


class Preview:
    """``find()`` returns (manuscript paths, options, folders to watch recursively,
    files to watch on their own); it is called again when taidan.toml changes or a new
    manuscript appears."""

    def __init__(self, find, folder: Path, ignored: list[Path], gallery: bool = True,
                 say=lambda line: None, warn=lambda line: None):
        self.find = find
        self.folder = folder
        self.ignored = ignored
        self.say = say
        self.warn = warn
        self.epoch = secrets.token_hex(4)  # a restarted server makes open pages reload
        self.version = 1
        self.entries: dict[str, Entry] = {}
        self.paths, self.options, self.trees, self.files = [], None, [], []
        self.problems: list[str] = []  # the project's own (taidan.toml), shown on every page
        self._changed = threading.Condition()
        self._dirty: set[str] = set()
        self._fresh = False
        self._rescan = False
        self._again: set[str] = set()  # proofs that failed for want of descriptors
        self._proofs_retrying: set[str] = set()  # proofs failing for want of descriptors
        self._pages_retrying: set[str] = set()  # pages whose print worker could not be started
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.gallery = Gallery(folder, self._pages_built) if gallery else None

    # ---- state, as the pages in the browser see it ---------------------------------------

    def state(self) -> dict:
        with self._changed:
            return {"epoch": self.epoch, "version": self.version, "problems": list(self.problems),
                    "manuscripts": [e.state() for e in self.entries.values()]}

    def wait(self, since: int, epoch: str, timeout: float) -> dict:
        """The state once it differs from version ``since`` of ``epoch``, or after
        ``timeout`` seconds."""
        with self._changed:
            self._changed.wait_for(lambda: self.version != since or epoch != self.epoch
                                   or self._stop.is_set(), timeout)
        return self.state()

    def _bump(self) -> None:  # call holding self._changed
        self.version += 1
        self._changed.notify_all()

    # ---- running ------------------------------------------------------------------------

    def start(self) -> None:
        self._scan()
        self._build(set(self.entries), fresh=False)
        if self.gallery:
            self.gallery.start()
            self._request_pages(set(self.entries), fresh=False)
        for target, args in ((self._watch, (self.trees, True)), (self._watch, (self.files, False)),
                             (self._loop, ())):
            if target is self._watch and not args[0]:
                continue
            thread = threading.Thread(target=target, args=args, daemon=True, name="taidan-preview")
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        with self._changed:
            self._changed.notify_all()
        if self.gallery:
            self.gallery.stop()
        for thread in self._threads:
            thread.join(3)

    def _scan(self) -> None:
        """Reads the project again: its manuscripts, options and the folders to watch.
        While taidan.toml has problems, they are shown and the last good reading stays."""
        try:
            self.paths, self.options, self.trees, self.files = self.find()
        except ProblemsFound as err:
            self.problems = [str(p) for p in err.problems]
            for line in self.problems:
                self.warn(line)
            with self._changed:
                self._bump()
            return
        if self.problems:
            self.say("taidan.toml: fixed")
        self.problems = []
        names = {}
        for path in self.paths:
            name, n = path.stem, 1
            # two manuscripts of one name in different folders, or one named as a route of
            # the server's own (_taidan.md, catalog.md): the next is /name-2/
            while name in names or name in ROUTES:
                n += 1
                name = f"{path.stem}-{n}"
            names[name] = path
        with self._changed:
            for name in list(self.entries):
                if names.get(name) != self.entries[name].path:
                    del self.entries[name]
            for name, path in names.items():
                if name not in self.entries:
                    self.entries[name] = Entry(name, path)
            self._bump()

    def _watch(self, paths: list[Path], recursive: bool) -> None:
        folders = [p for p in paths if p.exists()]
        if not folders:
            return
        # the flat watch is on the project's folder, for taidan.toml alone (not a log
        # file the server's output is redirected to, which would rebuild forever)
        only = None if recursive else "taidan.toml"
        for changes in watchfiles.watch(*folders, watch_filter=_Filter(self.ignored, only),
                                        recursive=recursive, stop_event=self._stop,
                                        debounce=400, step=20, rust_timeout=500):
            self._note({Path(path) for _, path in changes})

    def _note(self, changed: set[Path]) -> None:
        """Decides what a set of changed files makes stale, and wakes the builder."""
        by_path = {e.path.resolve(): e.name for e in self.entries.values()}
        folders = {p.resolve().parent for p in self.paths}
        with self._changed:
            for path in changed:
                real = path.resolve()
                if real in by_path:
                    self._dirty.add(by_path[real])
                elif path.suffix == ".md" and real.parent in folders:
                    self._rescan = True  # a manuscript appeared or went away
                elif path.name == "taidan.toml":
                    self._rescan = self._fresh = True
                    self._dirty.update(self.entries)
                else:  # an image, a template, a font: any manuscript may use it
                    self._fresh = True
                    self._dirty.update(self.entries)
        self._wake.set()

    def _loop(self) -> None:
        while True:
            self._wake.wait()
            if self._stop.is_set():
                return
            with self._changed:
                self._wake.clear()
                dirty, self._dirty = self._dirty, set()
                fresh, self._fresh = self._fresh, False
                rescan, self._rescan = self._rescan, False
            if rescan:
                before = set(self.entries)
                self._scan()
                dirty |= set(self.entries) - before
            dirty &= set(self.entries)
            if dirty:
                if self.gallery:
                    self._request_pages(dirty, fresh)
                self._build(dirty, fresh)
            if self._again:  # out of descriptors: the same proofs, once some may be free
                with self._changed:
                    self._dirty |= self._again
                    self._again = set()
                self._stop.wait(RETRY_SECONDS)
                self._wake.set()

    # ---- building -----------------------------------------------------------------------

    def _build(self, names: set[str], fresh: bool) -> None:
        """Rebuilds the proofs of ``names`` (the html edition) with the project's pipeline."""
        # deferred: Jinja and the loader are imported once the server listens
        from taidan.render import jinja
        from taidan.pipeline import load
        from taidan.pipeline.build import produce

        if fresh:  # templates or taidan.toml changed: no cached template may outlive them
            jinja.strings.cache_clear()
            jinja.environment.cache_clear()
        for name in sorted(names):
            entry = self.entries[name]
            start = time.perf_counter()
            try:
                m = load(entry.path, self.options)
                (_, data), = produce("html", m, self.options).items()
            except ProblemsFound as err:
                self._problems(entry, [str(p) for p in err.problems])
                self._retry_if_out_of_descriptors(name)
                continue
            except Exception as err:  # noqa: BLE001 - shown on the page; the server goes on
                self._problems(entry, [f"{entry.path}: the html edition failed: "
                                       f"{type(err).__name__}: {err}"])
                self._retry_if_out_of_descriptors(name)
                continue
            try:
                _replace(self.folder / name / "proof.html", data)
            except OSError as err:
                self._problems(entry, [f"{entry.path}: cannot write the proof: {err.strerror}"])
                self._retry_if_out_of_descriptors(name)
                continue
            seconds = time.perf_counter() - start
            with self._changed:
                had_problems = bool(entry.problems)
                entry.title, entry.proof, entry.problems = m.meta.title, entry.proof + 1, []
                entry.seconds = round(seconds, 3)
                self._bump()
            self._proofs_retrying.discard(name)
            if had_problems:
                self.say(f"{entry.path}: fixed")
            self.say(f"proof of {entry.path} rebuilt in {seconds:.2f} s")

    def _retry_if_out_of_descriptors(self, name: str) -> None:
        """A failure for want of file descriptors (a flood of connections, a low ulimit -n)
        says nothing of the manuscript: its proof is built again in a moment (_loop)."""
        if out_of_descriptors():
            self._again.add(name)
            self._proofs_retrying.add(name)

    def _problems(self, entry: Entry, lines: list[str]) -> None:
        # tried again every second while descriptors are short: said once, until it changes
        if not (lines == entry.problems and entry.name in self._proofs_retrying):
            for line in lines:
                self.warn(line)
        with self._changed:
            entry.problems = lines
            self._bump()

    def _request_pages(self, names: set[str], fresh: bool) -> None:
        self.gallery.request({name: (self.entries[name].path, self.options) for name in names},
                             fresh)
        with self._changed:
            for name in names:  # the pages shown are stale, and so are their problems
                self.entries[name].pages.update(building=True, problems=[])
            self._bump()

    def _pages_built(self, name: str, status: str, value) -> None:
        with self._changed:
            entry = self.entries.get(name)
            if entry is None:
                return
            pages = entry.pages
            pages["building"] = self.gallery.pending(name)  # stale until the newest is in
            if status == "ok":
                pages.update(value, serial=pages["serial"] + 1, problems=[])
            elif status == "invalid":
                pages["problems"] = value
            else:
                pages["problems"] = [f"{entry.path}: the print edition failed: {value}"]
            self._bump()
        if status == "ok":
            self.say(f"pages of {entry.path}: {len(value['files'])} in {value['seconds']:.2f} s"
                     f" (PDF), {value['total']:.2f} s with the images")
        elif status == "failed" or (status == "retry" and name not in self._pages_retrying):
            self.warn(pages["problems"][0])  # a retry every second: said once, until it ends
        if status == "retry":
            self._pages_retrying.add(name)
        else:
            self._pages_retrying.discard(name)
