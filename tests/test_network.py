"""Nothing leaves the project: a real HTTP server on 127.0.0.1 counts every connection while
manuscripts and templates point at it, and every build of every edition runs.

- a manuscript's links and contact URLs to the server are links, never fetched;
- a manuscript's image on the server is a check error;
- templates that make an engine or a reader load from the server (an <img> in a shared
  partial, a CSS background in every edition's stylesheet) are refused at build time, and
  no edition writes a file.
The server must see 0 connections.
"""

from __future__ import annotations

import http.server
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

pytestmark = [pytest.mark.chromium]  # every edition of a Japanese book, print-vertical too


ROOT = Path(__file__).resolve().parents[1]
CSS = ["html/html.css", "epub/book.css", "epub-vertical/book.css", "print/print.css",
       "handout/handout.css", "print-vertical/book.css"]


class CountingServer(http.server.ThreadingHTTPServer):
    connections = 0

    def verify_request(self, request, client_address):
        CountingServer.connections += 1  # before any HTTP is read: a bare connect counts too
        return True


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"<html><body>tracking pixel</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    httpd = CountingServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def manuscript(folder: Path, url: str, image: str = "") -> Path:
    text = f"""---
title: 外への扉
date: 2025-10-06
lang: ja
speakers:
  - {{id: sato, name: 佐藤花子, label: 佐藤, role: 聞き手}}
  - {{id: kim, name: 金田一郎, label: 金田, role: 作家}}
contacts:
  - {{name: 見本, url: "{url}/contact"}}
---

## 扉

佐藤：[このページ]({url}/page)を見てください。<{url}/auto>

── 二人は画面をのぞき込む。

金田：見ました。[^1]

[^1]: 注の中のリンク：[注]({url}/note)。
{image}"""
    path = folder / "door.md"
    path.write_text(text, encoding="utf-8")
    return path


def taidan(*args, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "taidan", *args], cwd=cwd, capture_output=True,
                          text=True, env={**os.environ, **(env or {})}, timeout=600)


def test_links_to_the_server_are_never_fetched(server, tmp_path):
    manuscript(tmp_path, server)
    result = taidan("build", "door.md", "--out", "out", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    written = sorted(p.name for p in (tmp_path / "out").iterdir() if not p.name.startswith("."))
    assert written == ["door-handout.pdf", "door-vertical.epub", "door-vertical.kepub.epub",
                       "door-vertical.pdf", "door.epub", "door.html", "door.kepub.epub",
                       "door.pdf"]  # every edition, the vertical ones too (lang ja)
    page = (tmp_path / "out" / "door.html").read_text(encoding="utf-8")
    assert f'href="{server}/page"' in page  # the link is there, as a link
    assert CountingServer.connections == 0


def test_an_image_on_the_server_is_a_check_error(server, tmp_path):
    manuscript(tmp_path, server, image=f"\n![見本の画像]({server}/image.png)\n")
    for command in ("check", "build"):
        result = taidan(command, "door.md", cwd=tmp_path)
        assert result.returncode == 2
        assert result.stderr.splitlines() == [
            f"door.md:22: the image '{server}/image.png' is remote "
            "(download it next to the manuscript and use a relative path)"]
    assert not (tmp_path / "build").exists()
    assert CountingServer.connections == 0


def test_templates_reaching_the_server_are_refused(server, tmp_path):
    manuscript(tmp_path, server)
    templates = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", templates)
    blocks = templates / "shared" / "_blocks.html"
    text = blocks.read_text(encoding="utf-8")
    pixel = f'<img src="{server}/pixel.png" alt=""/>'
    assert '<span class="mark">' in text
    blocks.write_text(text.replace('<span class="mark">', pixel + '<span class="mark">', 1),
                      encoding="utf-8")
    for css in CSS:
        with open(templates / css, "a", encoding="utf-8") as sheet:
            sheet.write(f'\nbody {{ background-image: url("{server}/background.png"); }}\n')
    result = taidan("build", "door.md", "--out", "out", cwd=tmp_path,
                    env={"TAIDAN_TEMPLATES": "templates"})
    assert result.returncode == 2, result.stderr
    lines = result.stderr.splitlines()
    assert lines and all(" refers to http://127.0.0.1:" in line and ", outside the project" in line
                         for line in lines), lines
    assert any(line.startswith("templates/shared/_blocks.html:") for line in lines)
    assert any("/background.png" in line for line in lines)
    # every edition refused: not one wrote a file
    assert [p.name for p in (tmp_path / "out").iterdir() if not p.name.startswith(".")] == []
    assert CountingServer.connections == 0


def test_the_server_counts(server):
    """The counter works: a real request is seen (then reset), so the zeros above mean something."""
    import urllib.request

    before = CountingServer.connections
    with urllib.request.urlopen(server + "/probe", timeout=10) as response:
        assert b"tracking pixel" in response.read()
    assert CountingServer.connections == before + 1
    CountingServer.connections = before
