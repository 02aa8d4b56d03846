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
import sys
import tempfile
import threading
from pathlib import Path

from taidan.editions import Options
from taidan.engines.fonts import FONTS

EXIT_PROBLEMS = 2
EXIT_FAILED = 1


def _project():
    """The book project around the working folder (raises ProblemsFound for a
    taidan.toml at fault)."""
    from taidan.config import project

    return project.find()


def finder(args: list[Path]):
    """What to serve, found again whenever taidan.toml changes or a manuscript appears:
    (manuscripts, options, folders to watch recursively, files' folders watched flat)."""
    from taidan.render.jinja import TEMPLATES

    def find():
        project = _project()
        paths = []
        for arg in args:
            paths += sorted(arg.glob("*.md")) if arg.is_dir() else [arg]
        if not args:
            paths = project.manuscripts()
        paths = [_shown(p) for p in paths]
        trees = {p.resolve().parent for p in paths} | {p for p in args if p.is_dir()}
        trees |= {TEMPLATES} | {font.parent for font in FONTS.values()}
        if project.templates:  # the project's own templates, overriding the built-in ones
            trees.add(Path(project.templates))
        flat = {project.root}  # for taidan.toml
        return paths, _options(project), sorted(p.resolve() for p in trees), sorted(flat)

    return find


def _options(project) -> Options:
    """The options `taidan build` would use (taidan.toml's [build])."""
    return project.options()  # [build], the house style, the templates, publisher defaults


def _shown(path: Path) -> Path:
    """A path as `taidan check` shows it: relative to the working folder when inside it."""
    try:
        return path.resolve().relative_to(Path.cwd())
    except ValueError:
        return path


def lan_address() -> str:
    """This machine's address on its network (no packet is sent: UDP only picks a route)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1: never routed anywhere real
            return probe.getsockname()[0]
        except OSError:
            return socket.gethostbyname(socket.gethostname())


def run(args: list[Path], host: str, port: int, open_browser: bool) -> int:
    # Ctrl-C and SIGTERM only ask to stop, from the start: the server then stops at the
    # next moment it can, cleanly, whatever it was doing
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    from taidan.serve.preview import Preview
    from taidan.serve.server import Server

    from taidan.publish.catalog import FOLDER
    from taidan.errors import ProblemsFound

    for arg in args:
        if not arg.exists():
            print(f"taidan: {arg}: no such file or folder", file=sys.stderr)
            return EXIT_PROBLEMS
    find = finder(args)
    try:
        project = _project()
        if not find()[0]:
            print("taidan: no manuscripts to serve (give a MANUSCRIPT or a folder, or run it "
                  "where manuscript/*.md or taidan.toml is)", file=sys.stderr)
            return EXIT_PROBLEMS
    except ProblemsFound as err:  # taidan.toml at fault
        for problem in err.problems:
            print(problem, file=sys.stderr)
        return EXIT_PROBLEMS
    build_dir = project.build_dir
    catalog = build_dir / FOLDER  # served from /catalog/ once `taidan catalog` has written it
    try:
        # bind first: a busy port is reported before any work starts
        server = Server((host, port), preview=None, catalog=catalog)
    except OSError as err:
        print(f"taidan: cannot listen on {host}:{port}: {err.strerror} (try another --port)",
              file=sys.stderr)
        return EXIT_FAILED
    if stop.is_set():
        server.server_close()
        return 0
    # One folder holds everything the preview writes, and is removed at the end: the pages it
    # serves (preview/) and, as TMPDIR, every temporary file of this process and of the print
    # worker, which inherits it. WeasyPrint keeps @font-face files in a folder of its own that
    # only its FontConfiguration's __del__ removes, which a worker killed mid-build never
    # reaches; inside this folder, it goes with the server's however the worker ended.
    own = Path(tempfile.mkdtemp(prefix="taidan-serve-"))
    folder, temp = own / "preview", own / "tmp"
    folder.mkdir()
    temp.mkdir()
    before = os.environ.get("TMPDIR"), tempfile.tempdir
    os.environ["TMPDIR"] = tempfile.tempdir = str(temp)
    thread = None
    try:
        preview = Preview(find, folder, ignored=[build_dir, own])
        server.preview = preview
        preview.start()
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2},
                                  name="taidan-http", daemon=True)
        thread.start()
        _announce(server, host, catalog, open_browser)
        while not stop.wait(0.25):
            pass
    finally:
        print("taidan: stopping", flush=True)
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
    return 0


def _announce(server, host: str, catalog: Path, open_browser: bool) -> None:
    port = server.server_address[1]
    local = f"http://{'127.0.0.1' if host in ('0.0.0.0', '') else host}:{port}/"
    print(f"taidan: serving {local} (Ctrl-C stops)", flush=True)
    if host in ("0.0.0.0", ""):
        where = f"http://{lan_address()}:{port}/"
        print(f"taidan: on this network: {where}", flush=True)
        if (catalog / "opds.xml").is_file():
            print(f"taidan: in a reading app (KOReader, Thorium, Foliate), add the catalog "
                  f"{where}catalog/opds.xml", flush=True)
        else:
            print("taidan: no catalog yet: `taidan catalog` writes one, served at "
                  f"{where}catalog/", flush=True)
    if open_browser:
        import webbrowser

        webbrowser.open(local)
