"""taidan serve publishes only what it means to, to whom it means to: raw HTTP requests
against the real server (port 0) in a project whose build/catalog is a link to /etc and
whose manuscripts have names that mean something in a URL."""

from __future__ import annotations

import json
import shutil
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from conftest import ROOT
from test_serve import Served

pytestmark = [pytest.mark.slow]  # a server and its print worker

SAMPLE = ROOT / "tests" / "epub_samples" / "small-en.md"
NAMES = {"#hash?q=1": "/%23hash%3Fq%3D1/", "%2e%2e": "/%252e%252e/"}  # name -> its URL


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


def started(project: Path, *args: str):
    served = Served(project, *args)
    yield served
    if served.proc.poll() is None:
        served.proc.terminate()
        served.proc.wait(30)


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


def test_manuscripts_with_any_name_are_reachable(server):
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
        assert status == 200 and f'data-name="{name}"' in page.decode()
        status, _, proof = ask(server, url + "proof.html")
        assert status == 200 and b"<html" in proof
        status, headers, _ = ask(server, url.rstrip("/"))
        assert (status, headers["Location"]) == (301, url)


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
