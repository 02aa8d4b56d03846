"""The HTTP side of the preview: the standard library's ThreadingHTTPServer.

Why the standard library: a preview serves one person (and a reader or two on the same
network); a thread per connection is plenty, long-polls included, and it adds no dependency.
What it lacks, a single byte Range and confinement to the published folders, is in files.py.

Bounded: at most WORKERS connections are answered at once, each by a thread of its own,
so a flood of sockets starts no more threads and holds no more descriptors than that. When
all are busy, accepting waits for one to be free (a burst of requests is answered, just
later), up to WAIT_SECONDS; a connection that waited that long gets 503, and so does every
next one at once, until a worker is free again (a flood of idle sockets is answered fast).
When the process runs out of file descriptors anyway (a low `ulimit -n`), accepting pauses
a moment and tries again, and a request that cannot open its file gets 503: the server
answers again once descriptors are free.

Only to its own names: a request whose Host is another name gets 421, so a web page whose
domain is made to point at this machine (DNS rebinding) cannot read the preview. Accepted:
localhost, 127.0.0.1, ::1 and the address given to --host; listening on every address
(0.0.0.0), also any IP address and this machine's name (and name.local), which is what
another device on the network types. A connection idle for IDLE_SECONDS is closed.

Published, and nothing else:
    /                         the index of the manuscripts
    /<name>/                  a manuscript's preview: problems, the proof, the page gallery
    /<name>/proof.html        the proof page itself (the html edition)
    /<name>/<name>.pdf        the print edition; /<name>/pages-N/page-K.png its pages
    /_taidan/<file>           the preview's own script and style sheet (ui/)
    /_taidan/state            the preview's state as JSON; ?since=V&epoch=E waits for a change
    /catalog/...              build/catalog/ (taidan catalog), when it exists

ROUTES are these first segments; a manuscript of one of these names is served under
another (preview.py): /_taidan-2/ for _taidan.md.
"""

from __future__ import annotations

import errno
import ipaddress
import json
import os
import socket
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, quote

import jinja2

from taidan.serve import files

UI = (Path(__file__).resolve().parent / "ui").resolve()
POLL_SECONDS = 25  # a long-poll is answered at the latest after this long
IDLE_SECONDS = 15  # a connection that sends nothing for this long is closed
WORKERS = 64  # connections answered at once: a browser opens 6 per server, a tab keeps one polling
WAIT_SECONDS = 2  # how long a connection waits for a worker before 503
ROUTES = ("_taidan", "catalog")  # the server's own first segments, never a manuscript's
EVERY_ADDRESS = ("", "0.0.0.0", "::")
NO_STORE = "no-store"
# what a process out of descriptors (or of kernel memory for sockets) gets: it passes
OUT_OF_DESCRIPTORS = (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM)
PAUSE_SECONDS = 0.1  # accepting pauses this long when it ran out of descriptors


def out_of_descriptors() -> bool:
    """Whether this process cannot open a file now: a failure is then no fault of the
    manuscript, and what failed is tried again (preview.py)."""
    try:
        os.close(os.open(os.devnull, os.O_RDONLY))
    except OSError as err:
        return err.errno in OUT_OF_DESCRIPTORS
    return False


BUSY_TEXT = b"Busy: try again in a moment\n"
BUSY = (b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n"
        b"Content-Length: %d\r\nRetry-After: 1\r\nConnection: close\r\n\r\n%s"
        % (len(BUSY_TEXT), BUSY_TEXT))


class Server(ThreadingHTTPServer):
    daemon_threads = True  # open long-polls never hold up the end
    request_queue_size = 256  # a burst of connections waits in the backlog, not refused

    def __init__(self, address, preview, catalog: Path | None):
        """``catalog``: the real path the catalog is published from (resolved at start)."""
        self.preview = preview
        # the preview's folder, resolved once (serve sets it when it makes the folder)
        self.preview_root: Path | None = Path(preview.folder).resolve() if preview is not None else None
        self.catalog = catalog
        self.names = _names(address[0])
        self.ui = jinja2.Environment(loader=jinja2.FileSystemLoader(str(UI)), autoescape=True)
        self._workers = threading.BoundedSemaphore(WORKERS)
        self._saturated = False  # a connection waited WAIT_SECONDS for a worker in vain
        super().__init__(address, Handler)

    def get_request(self):
        """accept(); out of descriptors, it pauses before the next try: the listening socket
        stays readable meanwhile, and serve_forever would otherwise spin on it. The
        connection waits in the backlog until a descriptor is free."""
        try:
            return super().get_request()
        except OSError as err:
            if err.errno in OUT_OF_DESCRIPTORS:
                time.sleep(PAUSE_SECONDS)
            raise  # serve_forever drops it and goes on

    def process_request(self, request, client_address):
        """A worker thread for the connection, or 503 (see the module's text)."""
        if not self._workers.acquire(timeout=0 if self._saturated else WAIT_SECONDS):
            self._saturated = True
            return self._busy(request)
        self._saturated = False
        try:
            threading.Thread(target=self._work, args=(request, client_address),
                             name="taidan-request", daemon=True).start()
        except RuntimeError:  # the system would start no more threads
            self._workers.release()
            self._busy(request)

    def _work(self, request, client_address) -> None:
        try:
            self.process_request_thread(request, client_address)  # closes the connection
        finally:
            self._workers.release()

    def _busy(self, request) -> None:
        """503 and close, from the accepting thread, which never waits on the client: the
        answer fits an empty socket buffer, and what the client sent is read first (closing
        a socket with unread bytes resets it, and the client would never see the 503)."""
        try:
            request.setblocking(False)
            try:
                request.recv(65536)
            except BlockingIOError:
                pass
            request.send(BUSY)
        except OSError:
            pass
        self.shutdown_request(request)

    def answers_to(self, host: str | None) -> bool:
        """Whether a request's Host header names this server (see the module's text)."""
        if host is None:  # HTTP/1.0 allows none; a browser always sends one
            return True
        name = host.strip().lower()
        if name.startswith("["):  # [::1]:8000
            name = name[1:].partition("]")[0]
        elif name.count(":") == 1:  # name:port (any port: a forwarded one too)
            name = name.partition(":")[0]
        name = name.rstrip(".")
        if name in self.names:
            return True
        if self.server_address[0] not in EVERY_ADDRESS:
            return False
        try:
            ipaddress.ip_address(name)
            return True
        except ValueError:
            return False

    def handle_error(self, request, client_address):
        """One line on the terminal, not a traceback (the preview goes on)."""
        import sys  # deferred: only an error reads it

        error = sys.exc_info()[1]
        print(f"taidan: a request from {client_address[0]} failed: {type(error).__name__}: {error}",
              file=sys.stderr, flush=True)


def _names(host: str) -> set[str]:
    names = {"localhost", "127.0.0.1", "::1", host.lower().rstrip(".")}
    if host in EVERY_ADDRESS:
        machine = socket.gethostname().lower()
        names |= {machine, f"{machine}.local"}
    return names - {""}


class Handler(BaseHTTPRequestHandler):
    server: Server
    protocol_version = "HTTP/1.1"
    timeout = IDLE_SECONDS  # the socket's: waiting for a request, or for the reader to take bytes
    server_version = "taidan-serve"
    sys_version = ""

    def log_message(self, format, *args):  # noqa: A002 - the terminal is for the writer
        pass

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        if not self.server.answers_to(self.headers.get("Host")):
            return self._bytes(b"Misdirected request: this preview answers to localhost and the "
                               b"address it listens on\n", "text/plain; charset=utf-8",
                               HTTPStatus.MISDIRECTED_REQUEST)
        names = files.segments(self.path)
        if names is None:
            return self._not_found()
        try:
            self._route(names)
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            self.close_connection = True  # the browser went away, or stopped reading
        except FileNotFoundError:  # gone since it was found (an old page image, pruned)
            self._not_found()
        except OSError as err:
            if err.errno not in OUT_OF_DESCRIPTORS:
                raise
            self.close_connection = True
            self._bytes(BUSY_TEXT, "text/plain; charset=utf-8",
                        HTTPStatus.SERVICE_UNAVAILABLE)

    def _route(self, names: list[str]) -> None:
        preview = self.server.preview
        if not names:
            state = preview.state()
            return self._page("index.html", manuscripts=state["manuscripts"],
                              problems=state["problems"], catalog=self._catalog_index() is not None)
        head, rest = names[0], names[1:]
        if head == "_taidan":
            if rest == ["state"]:
                return self._state()
            path = files.inside(UI, rest) if rest and not rest[-1].endswith(".html") else None
            return files.send(self, path, NO_STORE) if path else self._not_found()
        if head == "catalog" and self.server.catalog is not None:
            return self._catalog(rest)
        entry = preview.entries.get(head)
        if entry is None:
            return self._not_found()
        if not rest:
            if not self.path.split("?")[0].endswith("/"):
                return self._redirect(f"/{quote(head)}/")
            state = preview.state()
            return self._page("preview.html", entry=entry.state(), epoch=state["epoch"])
        path = files.inside(self.server.preview_root, [head, *rest]) if self.server.preview_root else None
        return files.send(self, path, NO_STORE) if path else self._not_found()

    def _catalog_index(self) -> Path | None:
        catalog = self.server.catalog
        return files.inside(catalog, ["index.html"]) if catalog else None

    def _catalog(self, rest: list[str]) -> None:
        if not rest and not self.path.split("?")[0].endswith("/"):
            return self._redirect("/catalog/")
        path = files.inside(self.server.catalog, rest or ["index.html"])
        if path is None and rest:  # a folder: its index.html
            path = files.inside(self.server.catalog, [*rest, "index.html"])
        return files.send(self, path) if path else self._not_found()

    def _state(self) -> None:
        query = parse_qs(self.path.partition("?")[2])
        preview = self.server.preview
        try:
            since = int(query.get("since", ["0"])[0])
        except ValueError:
            since = 0
        epoch = query.get("epoch", [preview.epoch])[0]
        state = preview.wait(since, epoch, POLL_SECONDS) if "since" in query else preview.state()
        self._bytes(json.dumps(state, ensure_ascii=False).encode("utf-8"), "application/json")

    def _page(self, template: str, **context) -> None:
        text = self.server.ui.get_template(template).render(**context)
        self._bytes(text.encode("utf-8"), "text/html; charset=utf-8")

    def _bytes(self, data: bytes, kind: str, status: int = 200) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", NO_STORE)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _redirect(self, where: str) -> None:
        self.send_response(HTTPStatus.MOVED_PERMANENTLY)
        self.send_header("Location", where)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _not_found(self) -> None:
        self._bytes(b"Not found\n", "text/plain; charset=utf-8", 404)
