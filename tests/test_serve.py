"""taidan serve: the real server process in a temporary project, driven by HTTP and Chromium.

One server serves the interview for the whole module (its warm print worker is part of
what is tested). The tests pass in any order: each puts back the files it edits and waits
for the server to be quiet before it relies on what it shows; the tests that stop a server
start their own, in a project of their own.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest

from taidan.engines.chromium import find as find_chromium

from conftest import INTERVIEW, ROOT

pytestmark = [pytest.mark.chromium, pytest.mark.slow]  # servers started and driven in Chromium

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
NAME = "talk"
LAST_LINE = "その答えは私たち自身が考え続けなければならないのかもしれません。"


class Served:
    """A `taidan serve` process; its output lines are collected as they come."""

    def __init__(self, project: Path, *args: str):
        env = {**os.environ, "TMPDIR": str(project / "tmp"), "PYTHONUNBUFFERED": "1",
               "TAIDAN_TEMPLATES": str(project / "house-templates")}
        (project / "tmp").mkdir(exist_ok=True)
        # a process group of its own, as in a terminal: Ctrl-C (SIGINT) reaches all of it
        self.proc = subprocess.Popen([sys.executable, "-m", "taidan", "serve", "--port", "0", *args],
                                     cwd=project, env=env, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, start_new_session=True)
        self.out: list[str] = []
        self.err: list[str] = []
        for stream, lines in ((self.proc.stdout, self.out), (self.proc.stderr, self.err)):
            threading.Thread(target=lambda s=stream, l=lines: [l.append(x.rstrip("\n")) for x in s],
                             daemon=True).start()
        self.url = self.wait_for(r"serving (http://\S+/)", self.out, 60).group(1)
        self.host, self.port = re.match(r"http://([^:]+):(\d+)/", self.url).groups()

    def wait_for(self, pattern: str, lines: list[str], timeout: float):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(lines):
                found = re.search(pattern, line)
                if found:
                    return found
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError(f"no {pattern!r} in {lines}; stderr: {self.err}")

    def request(self, method: str, path: str, headers=None, host=...):
        """(status, headers, body) for a raw request path (sent as it is, unnormalised).
        ``host``: the Host header sent (left out: http.client's own; None: none at all)."""
        conn = http.client.HTTPConnection(self.host, int(self.port), timeout=30)
        conn.putrequest(method, path, skip_host=host is not ..., skip_accept_encoding=True)
        if host is not ... and host is not None:
            conn.putheader("Host", host)
        for key, value in (headers or {}).items():
            conn.putheader(key, value)
        conn.endheaders()
        response = conn.getresponse()
        body = response.read()
        conn.close()
        return response.status, dict(response.getheaders()), body

    def state(self) -> dict:
        return json.loads(self.request("GET", "/_taidan/state")[2])

    def quiet(self, timeout: float = 120) -> dict:
        """The state once the proof and the pages are built and nothing changed for a
        second (longer than the watcher's debounce: an edit just made has been seen)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = self.state()
            pages = state["manuscripts"][0]["pages"]
            if not pages["building"] and pages["serial"] > 0:
                time.sleep(1)
                if self.state()["version"] == state["version"]:
                    return state
            else:
                time.sleep(0.1)
        raise AssertionError(f"the server never settled: {self.state()}")

    def stop(self, signum: int) -> int:
        """Sends ``signum`` (to the whole group for SIGINT, as a terminal's Ctrl-C does);
        the exit status, once every process of the group has ended."""
        if signum == signal.SIGINT:
            os.killpg(self.proc.pid, signum)
        else:
            self.proc.send_signal(signum)
        status = self.proc.wait(30)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # the print worker, multiprocessing's tracker
            try:
                os.killpg(self.proc.pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
        else:
            raise AssertionError("processes of the server's group are still running")
        time.sleep(0.2)  # the output readers finish
        return status


def new_project(root: Path) -> Path:
    """The interview as manuscript/talk.md, its own copy of the templates, and a build/
    with an earlier output and a catalog that must never change."""
    (root / "manuscript").mkdir()
    shutil.copy(INTERVIEW, root / "manuscript" / f"{NAME}.md")
    shutil.copytree(ROOT / "templates", root / "house-templates")  # TAIDAN_TEMPLATES
    (root / "build").mkdir()
    (root / "build" / "keep.pdf").write_bytes(b"%PDF- an earlier build's output")
    catalog = root / "build" / "catalog"  # laid out as `taidan catalog` writes it
    for name in CATALOG:
        (catalog / name).parent.mkdir(parents=True, exist_ok=True)
        (catalog / name).write_bytes(f"{name}: stands in for the real file".encode() * 50)
    (catalog / "books" / "hostname.epub").symlink_to("/etc/hostname")
    return root


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return new_project(tmp_path_factory.mktemp("serve"))


@pytest.fixture(autouse=True)
def put_back(project):
    """The files a test edits, as they were before it (written only if they changed)."""
    edited = [manuscript(project), project / "house-templates" / "html" / "html.css",
              project / "taidan.toml"]
    before = {path: path.read_bytes() if path.exists() else None for path in edited}
    yield
    for path, data in before.items():
        if (path.read_bytes() if path.exists() else None) == data:
            continue
        if data is None:
            path.unlink()
        else:
            path.write_bytes(data)


def outputs(project) -> dict[str, bytes]:
    return {str(p.relative_to(project / "build")): p.read_bytes()
            for p in sorted((project / "build").rglob("*")) if p.is_file()}


def started(project: Path, *args: str):
    """A server, stopped however the test ends (a failed assertion too: the generator is then
    closed at its yield, and only a finally runs)."""
    served = Served(project, *args)
    try:
        yield served
    finally:
        if served.proc.poll() is None:
            served.proc.terminate()
            try:
                served.proc.wait(30)
            except subprocess.TimeoutExpired:
                served.proc.kill()
                served.proc.wait(30)


@pytest.fixture(scope="module")
def server(project):
    yield from started(project)


@pytest.fixture(scope="module")
def page(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=find_chromium(), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.goto(server.url + f"{NAME}/")
        page.frame_locator("#proof").get_by_text(LAST_LINE).wait_for(timeout=10000)
        yield page
        browser.close()


def manuscript(project) -> Path:
    return project / "manuscript" / f"{NAME}.md"


def edit(project, old: str, new: str) -> float:
    path = manuscript(project)
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return time.monotonic()


def proof_has(page, text: str, timeout: float) -> None:
    page.wait_for_function("t => document.getElementById('proof').contentDocument.body"
                           " && document.getElementById('proof').contentDocument.body.innerText.includes(t)",
                           arg=text, timeout=timeout * 1000, polling=20)


def test_the_index_lists_the_manuscript(server):
    status, headers, body = server.request("GET", "/")
    assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
    assert f'href="/{NAME}/"' in body.decode() and "「AIは親切なエイリアン」" in body.decode()


def test_an_edit_appears_without_reload_and_keeps_the_scroll(server, project, page, artefacts):
    server.quiet()
    proof_has(page, LAST_LINE, 5)
    frame = "document.getElementById('proof').contentWindow"
    page.evaluate(f"{frame}.scrollTo(0, 1500)")
    page.wait_for_timeout(200)  # the page notes the position as it scrolls
    page.evaluate("window.sameDocument = true")
    started = edit(project, LAST_LINE, "その答えは、編集部が書き足したこの一文にあるのかもしれません。")
    proof_has(page, "編集部が書き足したこの一文", 2)
    assert time.monotonic() - started < 2
    assert page.evaluate("window.sameDocument") is True  # the page itself never reloaded
    page.wait_for_function(f"{frame}.scrollY > 0", timeout=2000)
    assert abs(page.evaluate(f"{frame}.scrollY") - 1500) <= 2
    # the proof's links to the web open in a new tab, never inside the frame
    assert page.evaluate(f"{frame}.document.querySelector('a[href^=\"https://\"]').target") == "_blank"
    page.screenshot(path=str(artefacts / "serve-preview.png"))


def test_a_broken_manuscript_shows_its_problems_and_recovers(server, project, page, artefacts):
    server.quiet()
    proof_has(page, LAST_LINE, 5)
    edit(project, "サム：日本はAIを", "ボブ：日本はAIを")
    page.locator("#problems li").first.wait_for(timeout=5000)
    checked = subprocess.run([sys.executable, "-m", "taidan", "check", f"manuscript/{NAME}.md"],
                             cwd=project, capture_output=True, text=True)
    expected = checked.stderr.splitlines()
    assert checked.returncode == 2 and expected and expected[0].startswith(f"manuscript/{NAME}.md:")
    assert page.locator("#problems li").all_inner_texts() == expected  # the same lines as check
    assert page.locator("#problems").is_visible()
    proof_has(page, LAST_LINE, 1)  # the last good version, below them
    server.wait_for(re.escape(expected[0]), server.err, 5)  # and in the terminal
    page.screenshot(path=str(artefacts / "serve-problems.png"))
    edit(project, "ボブ：日本はAIを", "サム：日本はAIを")
    page.locator("#problems").wait_for(state="hidden", timeout=5000)
    server.wait_for(rf"manuscript/{NAME}\.md: fixed", server.out, 5)


def test_a_template_change_rebuilds_the_proof(server, project, page):
    css = project / "house-templates" / "html" / "html.css"
    css.write_text(css.read_text(encoding="utf-8") + "\n.title { color: rgb(1, 2, 3); }\n",
                   encoding="utf-8")
    page.wait_for_function("""() => { const d = document.getElementById('proof').contentDocument;
        const t = d && d.querySelector('.title');
        return t && getComputedStyle(t).color === 'rgb(1, 2, 3)'; }""", timeout=5000, polling=20)


def test_taidan_toml_problems_show_and_recover(server, project, page):
    toml = project / "taidan.toml"
    toml.write_text('[build]\npaper = "A5"\npapr = "B6"\n', encoding="utf-8")
    page.locator("#problems li").first.wait_for(timeout=5000)
    assert page.locator("#problems li").all_inner_texts() == [
        "taidan.toml:3: unknown key 'papr' in [build] (did you mean 'paper'?)"]
    toml.write_text('[build]\npaper = "A5"\n', encoding="utf-8")
    page.locator("#problems").wait_for(state="hidden", timeout=5000)
    server.wait_for(r"taidan\.toml: fixed", server.out, 5)


def test_saves_during_a_build_are_coalesced(server, project, page):
    proofs = lambda: server.state()["manuscripts"][0]["proof"]
    server.quiet()
    before = proofs()
    for n in range(1, 9):  # eight saves 30 ms apart: a proof takes longer than that to build
        edit(project, "期待しています" + "。" * n, "期待しています" + "。" * (n + 1))
        time.sleep(0.03)
    proof_has(page, "期待しています。。。。。。。。。", 5)  # the last save wins
    time.sleep(1)
    # not one build per save (how many depends on the machine's load: a build that ends
    # between two saves lets the next one start a build of its own)
    assert 1 <= proofs() - before < 8


def test_other_files_in_the_project_folder_change_nothing(server, project):
    """Only taidan.toml is watched in the project's folder (a log of the server's own
    output written there once made it rebuild for ever)."""
    version = server.quiet()["version"]
    (project / "serve.log").write_text("taidan: serving ...\n", encoding="utf-8")
    time.sleep(1)
    assert server.state()["version"] == version


def test_the_page_gallery_follows_the_print_edition(server, project, page, artefacts):
    server.quiet()
    gallery = page.locator("#pages")
    page.wait_for_function("document.getElementById('pages').dataset.serial > 0", timeout=60000)
    page.wait_for_function("!document.getElementById('pages').classList.contains('stale')",
                           timeout=60000)
    before = int(gallery.get_attribute("data-serial"))
    edit(project, LAST_LINE, LAST_LINE.replace("。", "（Rev2）。"))
    # stale while the print edition is rebuilt, then the new pages
    page.wait_for_function("document.getElementById('pages').classList.contains('stale')",
                           timeout=5000, polling=10)
    page.screenshot(path=str(artefacts / "serve-gallery-updating.png"))
    page.wait_for_function(f"document.getElementById('pages').dataset.serial > {before}"
                           " && !document.getElementById('pages').classList.contains('stale')",
                           timeout=60000)
    images = gallery.locator("img")
    assert images.count() >= 8  # the interview is a book of about ten pages
    page.wait_for_function("[...document.querySelectorAll('#pages img')].every(i => i.naturalWidth > 300)")
    src = images.first.get_attribute("src")
    status, headers, body = server.request("GET", f"/{NAME}/{src}")
    assert status == 200 and headers["Content-Type"] == "image/png" and body[:4] == b"\x89PNG"
    status, headers, pdf = server.request("GET", f"/{NAME}/{NAME}.pdf")
    assert status == 200 and headers["Content-Type"] == "application/pdf"
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True).stdout.decode()
    assert "（Rev2）" in text
    page.screenshot(path=str(artefacts / "serve-gallery.png"))


CATALOG = {
    "index.html": "text/html; charset=utf-8",
    "opds.xml": "application/atom+xml;profile=opds-catalog;kind=acquisition",
    "opds.json": "application/opds+json",
    f"books/{NAME}.epub": "application/epub+zip",
    f"books/{NAME}-vertical.epub": "application/epub+zip",
    f"books/{NAME}.kepub.epub": "application/kepub+zip",
    f"books/{NAME}.pdf": "application/pdf",
    f"covers/{NAME}-cover.png": "image/png",
    f"covers/{NAME}-thumbnail.jpg": "image/jpeg",
}


def test_the_catalog_for_reading_apps(server, project):
    for name, kind in CATALOG.items():
        status, headers, body = server.request("GET", f"/catalog/{name}")
        assert status == 200 and headers["Content-Type"] == kind, name
        assert body == (project / "build" / "catalog" / name).read_bytes()
    assert server.request("GET", "/catalog/")[2] == server.request("GET", "/catalog/index.html")[2]
    assert server.request("GET", "/catalog/books/hostname.epub")[0] == 404  # a link pointing out
    assert server.request("GET", "/catalog/../keep.pdf")[0] == 404
    assert 'href="/catalog/"' in server.request("GET", "/")[2].decode()


TRAVERSALS = ["/../../../../etc/passwd", "/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
              f"/{NAME}/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd", f"/{NAME}/..%2f..%2f..%2fetc%2fpasswd",
              "/_taidan/../../../../etc/passwd", "/_taidan/%2E%2E/%2E%2E/serve/__init__.py",
              "//etc/passwd", "/%2fetc%2fpasswd", "http://localhost/../../etc/passwd",
              f"/{NAME}/%252e%252e/%252e%252e/etc/passwd", f"/{NAME}/..\\..\\..\\etc\\passwd",
              "/_taidan/preview.html", f"/{NAME}/out.txt", f"/{NAME}/etc/passwd", "/catalog/../../etc/passwd"]


def test_nothing_outside_what_it_publishes(server, project):
    own, = (project / "tmp").glob("taidan-serve-*")  # the preview's own folder (TMPDIR)
    folder = own / "preview" / NAME
    for name, target in (("out.txt", Path("/etc/hostname")), ("etc", Path("/etc")),
                         ("in.html", folder / "proof.html")):
        (folder / name).unlink(missing_ok=True)
        (folder / name).symlink_to(target)
    for path in TRAVERSALS:
        status, _, body = server.request("GET", path)
        assert status == 404, path
        assert b"root:" not in body
    assert server.request("GET", f"/{NAME}/in.html")[0] == 200  # a link that stays inside


def test_the_gallery_pdf_is_the_print_edition(server, project, tmp_path):
    """The warm worker (one FontConfiguration kept between builds) writes the same bytes
    as `taidan build`."""
    server.quiet()
    subprocess.run([sys.executable, "-m", "taidan", "build", f"manuscript/{NAME}.md", "--edition",
                    "print", "--out", str(tmp_path)], cwd=project, check=True, capture_output=True,
                   env={**os.environ, "TAIDAN_TEMPLATES": str(project / "house-templates")})
    assert server.request("GET", f"/{NAME}/{NAME}.pdf")[2] == (tmp_path / f"{NAME}.pdf").read_bytes()


def test_head_range_and_headers(server):
    server.quiet()
    status, headers, body = server.request("GET", f"/{NAME}/{NAME}.pdf")
    size = len(body)
    assert status == 200 and int(headers["Content-Length"]) == size > 10000
    status, head, nothing = server.request("HEAD", f"/{NAME}/{NAME}.pdf")
    assert status == 200 and nothing == b"" and head["Content-Length"] == str(size)
    assert head["Content-Type"] == "application/pdf" and head["Accept-Ranges"] == "bytes"
    assert parsedate_to_datetime(head["Last-Modified"]).timestamp() <= time.time()
    status, part, chunk = server.request("GET", f"/{NAME}/{NAME}.pdf", {"Range": "bytes=100-1099"})
    assert status == 206 and chunk == body[100:1100]
    assert part["Content-Range"] == f"bytes 100-1099/{size}" and part["Content-Length"] == "1000"
    assert server.request("GET", f"/{NAME}/{NAME}.pdf", {"Range": "bytes=-64"})[2] == body[-64:]
    assert server.request("GET", f"/{NAME}/{NAME}.pdf", {"Range": f"bytes={size - 5}-"})[2] == body[-5:]
    status, bad, _ = server.request("GET", f"/{NAME}/{NAME}.pdf", {"Range": f"bytes={size}-"})
    assert status == 416 and bad["Content-Range"] == f"bytes */{size}"
    status, proof, _ = server.request("HEAD", f"/{NAME}/proof.html")
    assert status == 200 and proof["Cache-Control"] == "no-store"
    assert proof["Content-Type"] == "text/html; charset=utf-8"
    status, js, _ = server.request("GET", "/_taidan/preview.js")
    assert status == 200 and js["Content-Type"] == "text/javascript; charset=utf-8"


def test_200_concurrent_requests(server):
    paths = [f"/{NAME}/proof.html", f"/{NAME}/{NAME}.pdf", "/_taidan/state", "/", f"/{NAME}/"]
    server.quiet()
    expected = {p: server.request("GET", p)[2] for p in paths[:2]}
    start = threading.Barrier(200)

    def one(i):
        start.wait()
        path = paths[i % len(paths)]
        status, _, body = server.request("GET", path)
        return path, status, body

    with ThreadPoolExecutor(200) as pool:
        results = list(pool.map(one, range(200)))
    assert [status for _, status, _ in results] == [200] * 200
    for path, _, body in results:
        if path in expected:
            assert body == expected[path]


def test_sigterm_stops_cleanly_and_keeps_every_output(tmp_path):
    """SIGTERM once the print worker has built (WeasyPrint's fonts' folder exists): every
    output stays, and every folder the server made in TMPDIR goes."""
    project = new_project(tmp_path)
    served = Served(project)
    try:
        served.wait_for(rf"pages of manuscript/{NAME}\.md", served.out, 120)
        written = manuscript(project).read_bytes()
        before = outputs(project)
        # the print worker's temporary files are inside the server's own folder
        own, = (project / "tmp").iterdir()
        assert own.name.startswith("taidan-serve-")
        assert any(p.name.startswith("weasyprint-") for p in (own / "tmp").iterdir())
        assert served.stop(signal.SIGTERM) == 0
        assert not any("Traceback" in line for line in served.err + served.out), served.err
        assert manuscript(project).read_bytes() == written
        assert outputs(project) == before and b"%PDF- an earlier build's output" in before.values()
        assert list((project / "tmp").iterdir()) == []  # its own folder, and only that, is gone
    finally:
        if served.proc.poll() is None:
            served.proc.kill()


def test_ctrl_c_and_the_network_address(tmp_path):
    """--host 0.0.0.0 prints the address to type on another device; Ctrl-C stops it."""
    project = new_project(tmp_path)
    served = Served(project, "--host", "0.0.0.0")
    try:
        lan = served.wait_for(r"on this network: http://([\d.]+):(\d+)/", served.out, 10)
        assert lan.group(2) == served.port and lan.group(1) != "127.0.0.1"
        conn = http.client.HTTPConnection(lan.group(1), int(lan.group(2)), timeout=10)
        conn.request("GET", "/")
        assert conn.getresponse().status == 200
        assert served.stop(signal.SIGINT) == 0
        assert not any("Traceback" in line for line in served.err), served.err
        assert list((project / "tmp").iterdir()) == []  # its temporary folders are gone
    finally:
        if served.proc.poll() is None:
            served.proc.kill()


def test_stopped_while_starting(tmp_path):
    """Ctrl-C while the first proof is built and the print worker imports WeasyPrint."""
    project = new_project(tmp_path)
    (project / "tmp").mkdir()
    env = {**os.environ, "TMPDIR": str(project / "tmp"), "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "taidan", "serve", "--port", "0"], cwd=project,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    first = proc.stdout.readline()  # printed before the server listens
    assert first.startswith("proof of manuscript/"), first
    os.killpg(proc.pid, signal.SIGINT)  # the server, and its print worker as it starts
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0 and "Traceback" not in err + out, err
    assert list((project / "tmp").iterdir()) == []
