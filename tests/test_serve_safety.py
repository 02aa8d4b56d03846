"""taidan serve publishes only what it means to, to whom it means to: raw HTTP requests
against the real server (port 0) in a project whose build/catalog is a link to /etc and
whose manuscripts have names that mean something in a URL."""

from __future__ import annotations

import json
import os
import resource
import select
import shutil
import signal
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from html import escape
from pathlib import Path
from urllib.parse import unquote

import pytest

from taidan.serve.server import WAIT_SECONDS, WORKERS

from conftest import ROOT
from test_serve import Served, started

pytestmark = [pytest.mark.slow]  # a server and its print worker

SAMPLE = ROOT / "tests" / "epub_samples" / "small-en.md"
# a manuscript's name -> its URL; _taidan and catalog are the server's own routes
NAMES = {"#hash?q=1": "/%23hash%3Fq%3D1/", "%2e%2e": "/%252e%252e/", "_taidan": "/_taidan-2/",
         "catalog": "/catalog-2/"}


def new_project(root: Path) -> Path:
    (root / "manuscript").mkdir()
    for name in NAMES:
        shutil.copy(SAMPLE, root / "manuscript" / f"{name}.md")
    shutil.copytree(SAMPLE.parent / "images", root / "manuscript" / "images")
    (root / "house-templates").symlink_to(ROOT / "templates")  # Served's TAIDAN_TEMPLATES
    (root / "build").mkdir()
    (root / "build" / "catalog").symlink_to("/etc")
    return root


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return new_project(tmp_path_factory.mktemp("serve-safety"))


@pytest.fixture(scope="module")
def server(project):
    yield from started(project)


def ask(served: Served, path: str, host: str | None = "localhost", headers=None):
    """(status, headers, body); ``host``: the Host header sent, None for none."""
    return served.request("GET", path, headers, host=host)


def test_a_linked_catalog_folder_is_never_served(server, project):
    assert any("build/catalog is a symbolic link: not served" in line for line in server.err)
    for path in ("/catalog/passwd", "/catalog/hostname", "/catalog/", "/catalog/index.html"):
        status, _, body = ask(server, path)
        assert status == 404 and b"root:" not in body, path
    assert 'href="/catalog/"' not in ask(server, "/")[2].decode()
    # a real folder in its place is served; a link put back later is not (checked per request)
    catalog = project / "build" / "catalog"
    catalog.unlink()
    catalog.mkdir()
    (catalog / "empty.txt").write_bytes(b"")
    (catalog / "index.html").write_bytes(b"<p>books</p>")
    assert ask(server, "/catalog/")[:3:2] == (200, b"<p>books</p>")
    status, headers, body = ask(server, "/catalog/empty.txt", headers={"Range": "bytes=-5"})
    assert (status, headers["Content-Range"], body) == (416, "bytes */0", b"")
    status, headers, body = ask(server, "/catalog/empty.txt")
    assert (status, headers["Content-Length"], body) == (200, "0", b"")
    shutil.rmtree(catalog)
    catalog.symlink_to("/etc")
    assert ask(server, "/catalog/passwd")[0] == 404


def test_only_its_own_names_in_host(server):
    port = server.port
    for host in ("localhost", f"localhost:{port}", "127.0.0.1", f"127.0.0.1:{port}", f"[::1]:{port}",
                 "LOCALHOST.", None):
        assert ask(server, "/", host)[0] == 200, host
    for host in ("evil.example", f"evil.example:{port}", "localhost.evil.example",
                 "127.0.0.1.nip.io", "192.168.1.23", ""):
        status, _, body = ask(server, "/", host)
        assert status == 421 and b"Misdirected request" in body, host
        assert ask(server, "/_taidan/state", host)[0] == 421


def test_on_every_address_any_ip_and_the_machines_name(tmp_path):
    for served in started(new_project(tmp_path), "--host", "0.0.0.0"):
        for host in (f"192.168.1.23:{served.port}", "10.0.0.7", "[fe80::1]", socket.gethostname(),
                     f"{socket.gethostname()}.local", "localhost"):
            assert ask(served, "/", host)[0] == 200, host
        for host in ("evil.example", f"evil.example:{served.port}", "192.168.1.23.evil.example"):
            assert ask(served, "/", host)[0] == 421, host


def test_manuscripts_with_any_name_are_reachable(server, project):
    """Each at its URL, even one named as a route of the server's own, which stays the
    server's (_taidan.md is at /_taidan-2/, catalog.md at /catalog-2/)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # every proof built once
        state = json.loads(ask(server, "/_taidan/state")[2])
        if len(state["manuscripts"]) == len(NAMES) and all(e["proof"] for e in state["manuscripts"]):
            break
        time.sleep(0.2)
    index = ask(server, "/")[2].decode()
    for name, url in NAMES.items():
        assert f'href="{url}"' in index
        status, _, page = ask(server, url)
        assert status == 200 and f'data-name="{unquote(url.strip("/"))}"' in page.decode()
        assert f"manuscript/{escape(name)}.md" in page.decode()
        status, _, proof = ask(server, url + "proof.html")
        assert status == 200 and b"<html" in proof
        status, headers, _ = ask(server, url.rstrip("/"))
        assert (status, headers["Location"]) == (301, url)
    # the routes are still the server's
    assert ask(server, "/_taidan/preview.css")[0] == 200
    catalog = project / "build" / "catalog"
    catalog.unlink()
    catalog.mkdir()
    try:
        (catalog / "index.html").write_bytes(b"<p>books</p>")
        assert ask(server, "/catalog/")[:3:2] == (200, b"<p>books</p>")
    finally:
        shutil.rmtree(catalog)
        catalog.symlink_to("/etc")


def test_an_idle_connection_is_closed(server):
    """A client that connects and sends nothing, or half a request, is let go; the server
    answers others meanwhile."""

    def idle(first: bytes) -> bytes:
        with socket.create_connection((server.host, int(server.port)), timeout=120) as sock:
            sock.sendall(first)
            return sock.recv(1024)  # b"" once the server closes it

    with ThreadPoolExecutor(2) as pool:
        waiting = [pool.submit(idle, first) for first in (b"", b"GET / HTTP/1.1\r\nHost: local")]
        assert ask(server, "/")[0] == 200
        assert [w.result() for w in waiting] == [b"", b""]


# ---- a flood of connections, and a process out of file descriptors -----------------------

def descriptors(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def threads(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/task"))


def print_worker(pid: int) -> int:
    """The pid of the server's print worker (multiprocessing's spawn, not its tracker)."""
    for entry in os.listdir("/proc"):
        try:
            parent = int(Path(f"/proc/{entry}/stat").read_text().rpartition(")")[2].split()[1])
            if parent == pid and b"spawn_main" in Path(f"/proc/{entry}/cmdline").read_bytes():
                return int(entry)
        except (ValueError, OSError):  # not a process, or one that has just ended
            continue
    raise AssertionError(f"{pid} has no print worker")


def connect(served: Served, count: int) -> list[socket.socket]:
    """``count`` connections that send nothing (they wait in the backlog if not accepted)."""
    return [socket.create_connection((served.host, int(served.port)), timeout=10)
            for _ in range(count)]


def answered_soon(served: Served, path: str = "/", within: float = 10):
    """The first answer other than 503 to ``path`` within ``within`` seconds."""
    deadline = time.monotonic() + within
    while True:
        answer = ask(served, path)
        if answer[0] != 503 or time.monotonic() > deadline:
            return answer
        time.sleep(0.2)


def test_a_flood_of_sockets_starts_a_bounded_number_of_threads(tmp_path):
    """More idle connections than workers: no more threads than workers, the rest answered
    503 (the first after waiting WAIT_SECONDS for a worker, the others at once); once they
    go, a request is answered. (A burst of real requests waits for workers instead:
    test_serve.py's 200 concurrent requests all get 200.)"""
    for served in started(new_project(tmp_path)):
        pid = served.proc.pid
        assert ask(served, "/")[0] == 200
        time.sleep(0.5)  # the request's own thread has ended
        before = threads(pid)
        flood = connect(served, 200)
        try:
            poller = select.poll()
            for sock in flood:
                poller.register(sock, select.POLLIN)
            time.sleep(WAIT_SECONDS)  # the first excess connection waits, the rest do not
            deadline = time.monotonic() + 30  # a generous bound on a busy machine
            readable = set()
            while len(readable) < 200 - WORKERS and time.monotonic() < deadline:
                readable = {fd for fd, _ in poller.poll(1000)}
            busy = [s.recv(4096) for s in flood if s.fileno() in readable]
            assert threads(pid) <= before + WORKERS
            assert len(busy) >= 200 - WORKERS
            assert all(b.startswith(b"HTTP/1.1 503 Service Unavailable\r\n") for b in busy)
            assert busy[0].endswith(b"\r\n\r\nBusy: try again in a moment\n")
        finally:
            for sock in flood:
                sock.close()
        assert answered_soon(served)[0] == 200
        assert threads(pid) <= before + WORKERS


def test_out_of_file_descriptors_the_server_recovers(tmp_path):
    """The server's descriptors limited to a few more than it uses, its print worker killed,
    a flood of sockets and an edit: it cannot open the manuscript nor start a worker (EMFILE),
    and says so; once the flood goes, it answers, and the proof and the pages catch up."""
    project = new_project(tmp_path)
    for served in started(project, str(project / "manuscript" / "#hash?q=1.md")):
        pid = served.proc.pid
        first = quiet(served)
        worker = print_worker(pid)
        limit = descriptors(pid) + 8
        resource.prlimit(pid, resource.RLIMIT_NOFILE, (limit, resource.prlimit(pid, resource.RLIMIT_NOFILE)[1]))
        os.kill(worker, signal.SIGKILL)
        flood = connect(served, 60)
        try:
            time.sleep(1)
            assert descriptors(pid) == limit  # every one taken
            manuscript = project / "manuscript" / "#hash?q=1.md"
            manuscript.write_text(manuscript.read_text(encoding="utf-8") + "\nA line added in the flood.\n",
                                  encoding="utf-8")
            # the proof cannot read the manuscript, the gallery cannot start its worker
            served.wait_for(r"#hash\?q=1.md:0: cannot read the file: Too many open files",
                            served.err, 30)
            served.wait_for(r"the print edition failed: cannot start the print worker \(Too many "
                            r"open files\); trying again", served.err, 30)
            time.sleep(3)  # both are tried again every second meanwhile: each is said once
            assert sum("cannot read the file: Too many open files" in line for line in served.err) == 1, served.err
            assert sum("cannot start the print worker" in line for line in served.err) == 1, served.err
        finally:
            for sock in flood:
                sock.close()
        assert answered_soon(served)[0] == 200
        state = quiet(served, first["manuscripts"][0]["pages"]["serial"])
        entry, = state["manuscripts"]
        assert entry["problems"] == [] and entry["pages"]["problems"] == []
        assert entry["proof"] > first["manuscripts"][0]["proof"]
        assert b"A line added in the flood." in ask(served, "/%23hash%3Fq%3D1/proof.html")[2]
        assert print_worker(pid) != worker  # started again
        assert descriptors(pid) < limit


def quiet(served: Served, serial: int = 0, timeout: float = 120) -> dict:
    """The state once the proof and the pages of the one manuscript are built (the pages
    past ``serial``) and nothing is building."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = json.loads(answered_soon(served, "/_taidan/state")[2])
        entry = state["manuscripts"][0]
        if entry["proof"] and entry["pages"]["serial"] > serial and not entry["pages"]["building"]:
            return state
        time.sleep(0.2)
    raise AssertionError(f"never built: {state}")
