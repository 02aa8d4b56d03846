"""taidan serve's proof page is the page `taidan build --edition html` writes, byte for byte,
for a project whose taidan.toml sets every table: serve finds the project, loads the
manuscript and produces the edition as build does."""

from __future__ import annotations

import http.client
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from conftest import ROOT
from taidan.engines.fonts import FONTS

SKELETON = ROOT / "tools" / "taidan" / "skeleton"
FONT = FONTS["ipaex-gothic"]  # a font file of the project's own, for [style]

TOML = """\
[build]
editions = ["html", "epub"]
paper = "B6"
press = true
out = "made"
embed_fonts = true
jobs = 1

[publisher]
name = "Kaisha Press"
rights = "© 2026 Kaisha Press"
credits = [{role = "装丁", name = "Aoi Sato"}]

[accessibility]
certified_by = "Kaisha Press"

[style]
heading_font = "fonts/heading.ttf"
accent = "#1c5a8a"
label_shapes = ["sides", "corner"]

[send]
host = "smtp.example.com"
port = 2525
security = "none"
user = "me@example.com"
from = "me@example.com"
password_file = "secret.txt"
"""


@pytest.fixture()
def project(tmp_path):
    root = tmp_path / "book"
    (root / "manuscript").mkdir(parents=True)
    # the sample names no publisher nor rights: [publisher] fills them in
    shutil.copy(SKELETON / "ja.md", root / "manuscript" / "book.md")
    shutil.copytree(SKELETON / "images", root / "manuscript" / "images")
    (root / "fonts").mkdir()
    shutil.copy(FONT, root / "fonts" / "heading.ttf")
    (root / "taidan.toml").write_text(TOML, encoding="utf-8")
    return root


def built(project: Path, tmp_path: Path) -> bytes:
    env = {k: v for k, v in os.environ.items() if k not in ("TAIDAN_TEMPLATES", "PYTHONPATH")}
    env.update(XDG_CACHE_HOME=str(tmp_path / "cache"), TAIDAN_NO_CACHE="1")
    done = subprocess.run([sys.executable, "-m", "taidan", "build", "--edition", "html"],
                          cwd=project, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return (project / "made" / "book.html").read_bytes()


def served(project: Path, tmp_path: Path, monkeypatch) -> bytes:
    """The proof page as the preview's HTTP server serves it, the project found as
    `taidan serve` finds it (from the working folder)."""
    from taidan.serve import finder
    from taidan.serve.preview import Preview
    from taidan.serve.server import Server

    monkeypatch.chdir(project)
    warnings = []
    preview = Preview(finder([]), tmp_path / "preview", ignored=[], gallery=False,
                      say=lambda line: None, warn=warnings.append)
    server = Server(("127.0.0.1", 0), preview=preview, catalog=None)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                              daemon=True)
    thread.start()
    try:
        preview.start()
        assert warnings == []
        conn = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=60)
        conn.request("GET", "/book/proof.html")
        response = conn.getresponse()
        body = response.read()
        conn.close()
        assert response.status == 200
        return body
    finally:
        preview.stop()
        server.shutdown()
        server.server_close()


def test_the_proof_page_is_the_html_edition_byte_for_byte(project, tmp_path, monkeypatch):
    page = built(project, tmp_path)
    text = page.decode("utf-8")
    # taidan.toml reached the page: [publisher] and [style] are in it
    assert "Kaisha Press" in text and "#1c5a8a" in text
    assert served(project, tmp_path, monkeypatch) == page
