"""Headless Chromium as a PDF engine: Debian's own binary, driven from Python over the
DevTools protocol on a pipe (``--remote-debugging-pipe``: Chromium reads commands on fd 3
and writes answers on fd 4, JSON messages ended by a NUL byte). No Node, no browser download.

The build stays offline: every request that is not a file inside the allowed folders is
aborted (the Fetch domain pauses each one and ``guard.allowed`` decides), host names resolve
to nothing, and Chromium's background services (updates, sync, safe browsing) are off.
Chromium runs in a process group of its own and is closed, or killed, whatever happens
(an error, Ctrl-C); its profile and the documents live in a temporary folder that goes too.
Chromium's home is in that folder as well: its config, crash reports and dconf cache never
land in the user's home.
"""

from __future__ import annotations

import atexit
import base64
import json
import os
import select
import shutil
import signal
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path

from taidan.stopping import held

ENVIRONMENT = "TAIDAN_CHROMIUM"  # names the Chromium binary to run, overriding PATH
# looked for on PATH, in this order. Chromium's headless shell (Debian's
# chromium-headless-shell: the same engine without the browser around it) prints the same
# pages as chromium in half the memory and CPU time: no browser profile of 140 files made
# and removed, no print compositor process (the interview's print-vertical: peak 455 ->
# 250 MB, 1.4 -> 0.8 s of CPU time). chromium is the fallback.
NAMES = ("chromium-headless-shell", "chromium", "chromium-browser")
TIMEOUT = 300  # seconds without a word from Chromium before the build gives up on it

ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-extensions",
    "--disable-domain-reliability",
    "--disable-breakpad",
    # no window of its own: with one, the new headless mode closed our page's renderer
    # (SIGTERM, "Render process gone") in most runs
    "--no-startup-window",
    # Chromium still asks update hosts now and then: no name resolves during a build.
    "--host-resolver-rules=MAP * ~NOTFOUND",
    # A document opened from a file may read the fonts beside it (file:// @font-face).
    "--allow-file-access-from-files",
    # Less memory for a one-shot print (peak PSS of the interview's build, 785 -> 460 MB):
    # no omnibox pages preloaded for a window nobody sees (a renderer of ~75 MB), no spare
    # renderer kept warm, no GPU (Chromium paints in software for the PDF anyway).
    "--disable-features=PreloadTopChromeWebUI,WebUIOmniboxPopup,WebUIOmniboxFullPopup,"
    "WebUIOmniboxAimPopup,SpareRendererForSitePerProcess",
    "--disable-gpu",
    "--disable-software-rasterizer",
    # The GPU process (25 MB) and the network service (35 MB: every request is a file, or
    # refused) run in the browser process instead, which grows by less than they took:
    # a 318-page book's print-vertical peaked 20-30 MB lower, the same bytes.
    "--in-process-gpu",
    "--enable-features=NetworkServiceInProcess2",
    # Glyphs hinted as chromium hints them (fontconfig's hintslight, Debian's default): the
    # headless shell hints fully by default, which moves text by fractions of a point and
    # breaks some lines elsewhere. With it the shell draws chromium's pages to the byte
    # (every page's content stream; chromium takes its hinting from fontconfig and ignores
    # the switch). The files differ only in the /Creator of Chromium's own Info.
    "--font-render-hinting=slight",
]


class ChromiumMissing(RuntimeError):
    """No Chromium to run: the message says what to install or set."""


def find() -> Path:
    """The Chromium binary taidan, its tests and tools/bench.py run: ``$TAIDAN_CHROMIUM``,
    else ``chromium-headless-shell``, ``chromium`` or ``chromium-browser`` on PATH. Raises
    ChromiumMissing.

    Debian's ``chromium`` on PATH is a shell script that adds the flags of /etc/chromium.d
    (GPU rasterization among them) and runs /usr/lib/chromium/chromium, and its
    ``chromium-headless-shell`` one that runs /usr/lib/chromium/chromium-headless-shell
    (without exec: a shell would stay between taidan and Chromium): where the script
    names that binary, the binary itself is run, so only taidan's own flags apply."""
    named = os.environ.get(ENVIRONMENT)
    if named:
        path = Path(named)
        if path.is_file() and os.access(path, os.X_OK):
            return path
        raise ChromiumMissing(f"{ENVIRONMENT}={named} is not an executable file: set it to "
                              "Chromium's binary, or unset it to use chromium on PATH")
    for name in NAMES:
        found = shutil.which(name)
        if found:
            return _beneath_wrapper(Path(found), name)
    raise ChromiumMissing("Chromium is missing: install it (Debian: sudo apt-get install chromium-headless-shell, or chromium; "
                          "in a checkout of taidan, `make setup` does), or set "
                          f"{ENVIRONMENT} to its binary")


def _beneath_wrapper(path: Path, name: str) -> Path:
    """The binary a Debian-style wrapper script runs (LIBDIR=/usr/lib/$APPNAME, or the
    binary's path written out), else ``path``."""
    try:
        with open(path, "rb") as file:
            head = file.read(8192)
    except OSError:
        return path
    if not head.startswith(b"#!"):
        return path
    for binary in (Path("/usr/lib") / name / name, Path("/usr/lib/chromium") / name):
        named = b"LIBDIR=/usr/lib/" in head or str(binary).encode() in head
        if named and binary.is_file():
            return binary
    return path


class ChromiumFailed(RuntimeError):
    """Chromium ended, crashed, timed out or refused a command."""


# The process groups of the browsers this process started and has not yet killed.
RUNNING: set[int] = set()


def kill_all() -> None:
    """Kills every browser this process started, at once (a build's worker being stopped:
    no time to ask them to quit)."""
    for group in list(RUNNING):
        try:
            os.killpg(group, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        RUNNING.discard(group)


SOCKET_FOLDER_MAX = 48  # TMPDIR's length that leaves room for Chromium's socket's own path


def _environment(folder: Path) -> dict[str, str]:
    """Chromium's environment: a home inside its temporary folder, so that what it writes
    beside the profile (~/.config/chromium/Crash Reports, ~/.cache/dconf) goes with it. The
    user's fonts stay visible: XDG_DATA_HOME (fontconfig's fonts folder) is the user's."""
    home = folder / "home"
    data = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    # Chromium makes its singleton socket in a folder under TMPDIR and aborts (status -6)
    # when the socket's path passes the 107 bytes a Unix socket's name may have: a deep
    # TMPDIR (a build's own scratch folder inside pytest's, say) gives it /tmp instead
    temp = os.environ.get("TMPDIR") or "/tmp"
    if len(temp) > SOCKET_FOLDER_MAX:
        temp = "/tmp"
    return {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"),
            "XDG_CACHE_HOME": str(home / ".cache"), "XDG_DATA_HOME": data, "TMPDIR": temp}


class Browser:
    """One Chromium process and one page in it, spoken to over the DevTools pipe."""

    def __init__(self, folder: Path, on_request, binary: Path):
        self.on_request = on_request  # url -> bool: let it load?
        self.log = folder / "chromium.log"
        commands_read, self.commands = os.pipe()  # not inherited (PEP 446) ...
        self.answers, answers_write = os.pipe()
        # ... but for Chromium's: sh puts them on fds 3 and 4 and becomes Chromium (exec).
        # No preexec_fn, which is unsafe in a process with threads.
        with open(self.log, "wb") as log, held():  # started and in RUNNING, or not started
            self.process = subprocess.Popen(
                ["/bin/sh", "-c", 'exec "$@" 3<&0 4>&1 </dev/null >&2', "sh", str(binary),
                 *ARGS, "--remote-debugging-pipe", f"--user-data-dir={folder / 'profile'}"],
                stdin=commands_read, stdout=answers_write, stderr=log, env=_environment(folder),
                start_new_session=True)  # its own group: killed as one, Ctrl-C stays with us
            RUNNING.add(self.process.pid)
        os.close(commands_read)
        os.close(answers_write)
        self.buffer = b""
        self.next_id = 0
        self.session: str | None = None
        self.target: str | None = None
        self.events: list[dict] = []
        self.quitting = False

    # ---- the protocol ------------------------------------------------------------------

    def send(self, method: str, params: dict | None = None, session: bool = True) -> int:
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session and self.session:
            message["sessionId"] = self.session
        data = json.dumps(message).encode() + b"\0"
        try:
            while data:
                data = data[os.write(self.commands, data):]
        except BrokenPipeError:
            raise ChromiumFailed(self._ended()) from None
        return self.next_id

    def call(self, method: str, params: dict | None = None, session: bool = True) -> dict:
        """Sends a command and answers paused requests until its result comes."""
        wanted = self.send(method, params, session)
        while True:
            message = self._receive()
            if message.get("id") == wanted:
                if "error" in message:
                    raise ChromiumFailed(f"{method}: {message['error'].get('message')}")
                return message.get("result", {})
            self._event(message)

    def wait_for(self, event: str) -> dict:
        """Reads messages (answering paused requests) until ``event`` comes."""
        while True:
            for i, seen in enumerate(self.events):
                if seen["method"] == event:
                    return self.events.pop(i)
            self._event(self._receive())

    def _event(self, message: dict) -> None:
        method = message.get("method")
        params = message.get("params", {})
        if method == "Fetch.requestPaused":
            if self.on_request(params["request"]["url"]):
                self.send("Fetch.continueRequest", {"requestId": params["requestId"]})
            else:
                self.send("Fetch.failRequest", {"requestId": params["requestId"],
                                                "errorReason": "BlockedByClient"})
        elif method in ("Inspector.targetCrashed", "Target.targetCrashed"):
            raise ChromiumFailed("Chromium's page crashed (out of memory?)")
        elif method:
            self.events.append(message)

    def _receive(self) -> dict:
        while b"\0" not in self.buffer:
            ready, _, _ = select.select([self.answers], [], [], TIMEOUT)
            if not ready:
                raise ChromiumFailed(f"Chromium said nothing for {TIMEOUT} seconds")
            chunk = os.read(self.answers, 1 << 20)
            if not chunk:
                raise ChromiumFailed(self._ended())
            self.buffer += chunk
        message, _, self.buffer = self.buffer.partition(b"\0")
        return json.loads(message)

    def _ended(self) -> str:
        try:
            self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            pass
        tail = self.log.read_text(errors="replace").strip().splitlines()[-3:]
        return (f"Chromium ended (status {self.process.returncode})"
                + (": " + " / ".join(tail) if tail else ""))

    # ---- the page ----------------------------------------------------------------------

    def open_page(self) -> None:
        self.target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call("Target.attachToTarget",
                                 {"targetId": self.target, "flatten": True})["sessionId"]
        self.call("Page.enable")
        self.call("Inspector.enable")
        self.call("Fetch.enable", {"patterns": [{"urlPattern": "*"}]})

    def close_page(self) -> None:
        """Closes the page: its renderer and its layout go with it (a long book laid out a
        piece at a time holds one piece at once). The next ``load`` opens a new one."""
        if self.session is not None:
            self.session = None
            self.call("Target.closeTarget", {"targetId": self.target}, session=False)

    def load(self, url: str) -> None:
        """Opens ``url`` and returns once it has loaded and its fonts are ready."""
        if self.session is None:
            self.open_page()
        self.events.clear()
        answer = self.call("Page.navigate", {"url": url})
        if answer.get("errorText"):
            raise ChromiumFailed(f"Chromium could not open {url}: {answer['errorText']}")
        self.wait_for("Page.loadEventFired")
        self.evaluate("document.fonts.ready.then(() => true)")

    def evaluate(self, expression: str):
        answer = self.call("Runtime.evaluate", {"expression": expression, "awaitPromise": True,
                                                "returnByValue": True})
        if "exceptionDetails" in answer:
            raise ChromiumFailed(f"script failed: {answer['exceptionDetails'].get('text')}")
        return answer["result"].get("value")

    def pdf(self, tagged: bool = True) -> bytes:
        """The page printed: page size and margins from its @page rules, backgrounds,
        an outline (bookmarks and named destinations) and tags (``tagged`` False: neither
        outline nor tags, for a document drawn over another as artifacts)."""
        answer = self.call("Page.printToPDF", {
            "preferCSSPageSize": True, "printBackground": True,
            "generateDocumentOutline": tagged, "generateTaggedPDF": tagged,
            "displayHeaderFooter": False, "landscape": False, "scale": 1,
            # what the document's @page does not say: US Letter without margins
            "paperWidth": 8.5, "paperHeight": 11,
            "marginTop": 0, "marginBottom": 0, "marginLeft": 0, "marginRight": 0,
        })
        return base64.b64decode(answer["data"])

    def quit(self) -> None:
        """Asks Chromium to quit and returns at once: the caller works while it shuts down
        (``close`` waits for it)."""
        if not self.quitting and self.process.poll() is None:
            self.quitting = True
            self.send("Browser.close", session=False)

    def close(self, polite: bool = True) -> None:
        """Asks Chromium to quit (Browser.close, or SIGTERM after an error or Ctrl-C) and
        waits: it reaps its own children. Killed, they would be left as zombies where no
        init reaps orphans (containers). What is still there after 5 s is killed."""
        try:
            if self.process.poll() is None:
                if polite:
                    self.quit()
                else:
                    self.process.terminate()
                self.process.wait(timeout=5)
        except (ChromiumFailed, OSError, subprocess.TimeoutExpired):
            pass
        finally:
            self.kill()

    def kill(self) -> None:
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.process.wait()
        RUNNING.discard(self.process.pid)
        for fd in (self.commands, self.answers):
            try:
                os.close(fd)
            except OSError:
                pass


# A browser started ahead of need (start_early): (the process that started it, its
# temporary folder, the Browser). Only that process takes it or closes it: a forked worker
# starts its own.
_early: tuple[int, tempfile.TemporaryDirectory, "Browser"] | None = None


def start_early() -> None:
    """Starts Chromium now, for this process's next ``browser()`` to take: its half second
    of start-up then runs beside taidan's own (loading the manuscript, rendering the HTML).
    Not taken (the edition skipped, the build failed), it is closed at exit."""
    global _early
    if _early is not None:
        return
    try:
        binary = find()
    except ChromiumMissing:
        return  # browser() says so, if print-vertical is built at all
    folder = tempfile.TemporaryDirectory(prefix="taidan-chromium-")
    _early = (os.getpid(), folder, Browser(Path(folder.name), lambda url: False, binary))
    atexit.register(close_early)


def close_early() -> None:
    """Closes a browser from start_early() that nobody took (in the process that started it)."""
    global _early
    if _early is not None and _early[0] == os.getpid():
        _, folder, b = _early
        _early = None
        b.close(polite=False)
        folder.cleanup()


def _take_early():
    global _early
    if _early is not None and _early[0] == os.getpid():
        taken, _early = _early, None
        return taken[1], taken[2]
    return tempfile.TemporaryDirectory(prefix="taidan-chromium-"), None


@contextmanager
def browser(allowed: list[Path]):
    """Yields a ``Browser`` starting up (or the one start_early() started): file:// URLs
    inside ``allowed`` (and the temporary folder the documents are written to) load, every
    other request is aborted."""
    binary = find()
    from taidan.pipeline import guard  # one guard for every engine: refusals become build problems

    folder, b = _take_early()
    with folder as tmp:
        folders = [p.resolve() for p in [*allowed, Path(tmp)]]

        def on_request(url: str) -> bool:
            return guard.allowed(url, folders)

        if b is None:
            b = Browser(Path(tmp), on_request, binary)
        else:
            b.on_request = on_request  # no request came before: the page opens at the first load
        try:  # the page opens at the first load: Chromium starts while the caller works
            yield b
        except BaseException:
            b.close(polite=False)  # an error or Ctrl-C: the pipe may be mid-message
            raise
        else:
            b.close()


def write_document(b: Browser, html: str, name: str = "document.html") -> str:
    """Writes ``html`` beside Chromium's profile and returns its file:// URL."""
    folder = Path(b.log).parent
    doc = folder / name
    doc.write_text(html, encoding="utf-8")
    return doc.as_uri()


@contextmanager
def printer(allowed: list[Path]):
    """Yields ``print_pdf(html) -> bytes``: one browser and one page, reused for every
    document; the PDF takes its page size and margins from the document's @page rules."""
    with browser(allowed) as b:
        count = 0

        def print_pdf(html: str) -> bytes:
            nonlocal count
            count += 1  # a new file name each time: nothing stale comes from a cache
            b.load(write_document(b, html, f"document-{count}.html"))
            return b.pdf()

        yield print_pdf
