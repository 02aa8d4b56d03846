"""``taidan serve``: a live preview of a book project while it is written.

    files.py    URL paths to files, never outside the published folders; Range
    server.py   the HTTP server (standard library) and what it publishes
    preview.py  watching the files and rebuilding the proof pages (the html edition)
    pages.py    the page gallery: the print edition in a warm worker process
    ui/         the preview's own page, script and style sheet
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import tempfile
import threading
from pathlib import Path

from taidan.config import project
from taidan.engines import fonts
from taidan.errors import CannotRun, Refused, shown
from taidan.publish.catalog import FOLDER
from taidan.render.templates_folder import TEMPLATES


def finder(args: list[Path]):
    """What to serve, found again whenever taidan.toml changes or a manuscript appears:
    (manuscripts, options, folders to watch recursively, files' folders watched flat).
    The project, its manuscripts and its options are found as `taidan build` finds them."""

    def find():
        book = project.around(args)  # raises ProblemsFound for a taidan.toml at fault
        # a folder without manuscripts yet is watched: one may appear in it
        paths = project.gather(args)[0] if args else book.manuscripts()
        paths = [shown(p) for p in paths]
        trees = {p.resolve().parent for p in paths} | {p for p in args if p.is_dir()}
        trees |= {TEMPLATES} | set(fonts.folders())
        if book.templates:  # the project's own templates, overriding the built-in ones
            trees.add(Path(book.templates))
        flat = {book.root}  # for taidan.toml
        return paths, book.options(), sorted(p.resolve() for p in trees), sorted(flat)

    return find


def lan_address() -> str:
    """This machine's address on its network (no packet is sent: UDP only picks a route)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1: never routed anywhere real
            return probe.getsockname()[0]
        except OSError:
            return socket.gethostbyname(socket.gethostname())


def run(args: list[Path], host: str, port: int, open_browser: bool, say=lambda line: None,
        warn=lambda line: None) -> None:
    """Serves the preview until Ctrl-C or SIGTERM; ``say``: what it does, ``warn``: the
    manuscripts' problems. Raises ProblemsFound (taidan.toml), Refused (nothing to serve)
    or CannotRun (the port)."""
    # Ctrl-C and SIGTERM only ask to stop, from the start: the server then stops at the
    # next moment it can, cleanly, whatever it was doing
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    # deferred until the signals are ours: these import watchfiles and Jinja
    from taidan.serve.preview import Preview
    from taidan.serve.server import Server

    for arg in args:
        if not arg.exists():
            raise Refused(f"{arg}: no such file or folder")
    find = finder(args)
    if not find()[0]:
        raise Refused("no manuscripts to serve (give a MANUSCRIPT or a folder, or run it "
                      "where manuscript/*.md or taidan.toml is)")
    build_dir = project.around(args).build_dir
    catalog = build_dir / FOLDER  # served from /catalog/ once `taidan catalog` has written it
    if catalog.is_symlink():  # never taidan's: `taidan catalog` refuses to write through one
        warn(f"taidan: {shown(build_dir) / FOLDER} is a symbolic link: not served")
    try:
        # bind first: a busy port is reported before any work starts; the catalog's real
        # path is its folder's, not where a link in its place points
        server = Server((host, port), preview=None, catalog=build_dir.resolve() / FOLDER)
    except OSError as err:
        raise CannotRun(f"cannot listen on {host}:{port}: {err.strerror} (try another --port)") from None
    if stop.is_set():
        server.server_close()
        return
    # One folder holds everything the preview writes, and is removed at the end: the pages it
    # serves (preview/) and, as TMPDIR, every temporary file of this process and of the print
    # worker, which inherits it. WeasyPrint keeps @font-face files in a folder of its own that
    # only its FontConfiguration's __del__ removes, which a worker killed mid-build never
    # reaches; inside this folder, it goes with the server's however the worker ended.
    own = Path(tempfile.mkdtemp(prefix="taidan-serve-"))
    folder, temp = own / "preview", own / "tmp"
    folder.mkdir()
    temp.mkdir()
    server.preview_root = folder.resolve()
    before = os.environ.get("TMPDIR"), tempfile.tempdir
    os.environ["TMPDIR"] = tempfile.tempdir = str(temp)
    thread = None
    try:
        preview = Preview(find, folder, ignored=[build_dir, own], say=say, warn=warn)
        server.preview = preview
        preview.start()
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2},
                                  name="taidan-http", daemon=True)
        thread.start()
        _announce(server, host, catalog, open_browser, say)
        while not stop.wait(0.25):
            pass
    finally:
        say("taidan: stopping")
        if server.preview is not None:
            server.preview.stop()  # the print worker is gone once it returns
        if thread is not None:  # shutdown() waits for serve_forever(), so only once it runs
            server.shutdown()
        server.server_close()
        shutil.rmtree(own, ignore_errors=True)  # the preview's own files, never build/
        if before[0] is None:
            os.environ.pop("TMPDIR", None)
        else:
            os.environ["TMPDIR"] = before[0]
        tempfile.tempdir = before[1]


def _announce(server, host: str, catalog: Path, open_browser: bool, say) -> None:
    port = server.server_address[1]
    local = f"http://{'127.0.0.1' if host in ('0.0.0.0', '') else host}:{port}/"
    say(f"taidan: serving {local} (Ctrl-C stops)")
    if host in ("0.0.0.0", ""):
        where = f"http://{lan_address()}:{port}/"
        say(f"taidan: on this network: {where}")
        if (catalog / "opds.xml").is_file():
            say(f"taidan: in a reading app (KOReader, Thorium, Foliate), add the catalog "
                  f"{where}catalog/opds.xml")
        else:
            say("taidan: no catalog yet: `taidan catalog` writes one, served at "
                  f"{where}catalog/")
    if open_browser:
        import webbrowser  # deferred: only --open needs it

        webbrowser.open(local)
