"""``taidan catalog``: the real command on three manuscripts, its feeds validated against the
official schemas (jing, jsonschema), its page read in Chromium without JavaScript, over HTTP
under /catalog/ and from file://. Leaves catalog-page.png in the artefacts folder to look at."""

from __future__ import annotations

import functools
import http.server
import json
import os
import shutil
import subprocess
import sys
import threading
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path
from urllib.parse import unquote

import pytest
from PIL import Image

from conftest import INTERVIEW, ROOT

import opds_validate
from taidan.publish import catalog
from taidan.editions import EDITIONS
from taidan.engines.chromium import find as find_chromium
from taidan.load import load

pytestmark = [pytest.mark.slow]  # the catalog command builds three books' editions

SAMPLES = [INTERVIEW, ROOT / "tests" / "epub_samples" / "small-ja.md",
           ROOT / "tests" / "epub_samples" / "small-en.md"]
ATOM = "{http://www.w3.org/2005/Atom}"
DC = "{http://purl.org/dc/terms/}"
ACQUISITION = "http://opds-spec.org/acquisition/open-access"
KEPUB = "kepub" in EDITIONS


def run_catalog(cwd: Path, *args, **env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "taidan", "catalog", *map(str, args)], cwd=cwd,
                          env={**os.environ, **env}, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """The catalog of the three samples: (output folder, the command's result)."""
    work = tmp_path_factory.mktemp("catalog")
    result = run_catalog(work, *SAMPLES, "--out", "out")
    assert result.returncode == 0, result.stderr
    return work / "out", result


@pytest.fixture(scope="session")
def folder(built):
    return built[0] / "catalog"


@pytest.fixture(scope="session")
def feed(folder):
    return ET.parse(folder / "opds.xml").getroot()


@pytest.fixture(scope="session")
def manuscripts():
    return {m.name: m for m in map(load, SAMPLES)}


def opf_identifier(epub: Path) -> str:
    with zipfile.ZipFile(epub) as package:
        container = ET.fromstring(package.read("META-INF/container.xml"))
        opf = ET.fromstring(package.read(container.find(".//{*}rootfile").get("full-path")))
    uid = opf.get("unique-identifier")
    return next(e.text for e in opf.iter("{http://purl.org/dc/elements/1.1/}identifier")
                if e.get("id") == uid)


def expected_files(m) -> dict[str, str]:
    """The downloads a manuscript must have: file name -> media type."""
    files = {f"{m.name}.epub": "application/epub+zip", f"{m.name}.pdf": "application/pdf"}
    vertical = m.meta.lang.split("-")[0] in ("ja", "zh")  # vertical writing's languages
    if vertical:
        files[f"{m.name}-vertical.epub"] = "application/epub+zip"
    if KEPUB:
        files[f"{m.name}.kepub.epub"] = "application/kepub+zip"
        if vertical:
            files[f"{m.name}-vertical.kepub.epub"] = "application/kepub+zip"
    return files


# ---- the feeds against the official schemas ------------------------------------------------

@pytest.mark.jing
def test_opds_xml_is_valid_opds_1_2_for_jing(folder, tmp_path):
    assert opds_validate.jing(folder / "opds.xml") == (0, [])
    # and jing does find faults: an HTML summary and an acquisition link without a type
    text = (folder / "opds.xml").read_text(encoding="utf-8")
    broken = text.replace('<summary type="text">', '<summary type="html">', 1)
    broken = broken.replace(' type="application/pdf"', "", 1)
    (tmp_path / "broken.xml").write_text(broken, encoding="utf-8")
    status, lines = opds_validate.jing(tmp_path / "broken.xml")
    assert status == 1 and len(lines) >= 1 and any("summary" in line or "type" in line for line in lines)


def test_opds_json_is_valid_opds_2_0_for_jsonschema(folder):
    feed = json.loads((folder / "opds.json").read_text(encoding="utf-8"))
    assert opds_validate.json_errors(feed) == []
    feed["publications"][0]["metadata"]["modified"] = "6 October 2025"
    feed["publications"][0]["metadata"]["language"] = "Japanese!"
    del feed["links"][0]  # the self link
    errors = opds_validate.json_errors(feed)
    assert len(errors) == 3 and any("date-time" in e for e in errors), errors


# ---- what the feeds say ---------------------------------------------------------------------

def test_the_atom_feed_describes_every_book(feed, folder, built, manuscripts):
    out = built[0]
    links = {link.get("rel"): link for link in feed.findall(f"{ATOM}link")}
    kind = "application/atom+xml;profile=opds-catalog;kind=acquisition"
    assert links["self"].get("href") == links["start"].get("href") == "opds.xml"
    assert links["self"].get("type") == kind
    assert feed.findtext(f"{ATOM}updated") == "2025-10-06T00:00:00Z"  # the newest manuscript
    entries = feed.findall(f"{ATOM}entry")
    # newest first
    assert [e.findtext(f"{ATOM}title") for e in entries] == [
        manuscripts[n].meta.title for n in ("interview-2025-10-06", "small-ja", "small-en")]
    for entry in entries:
        m = next(m for m in manuscripts.values() if m.meta.title == entry.findtext(f"{ATOM}title"))
        assert entry.findtext(f"{ATOM}id") == opf_identifier(out / f"{m.name}.epub")
        assert entry.findtext(f"{ATOM}updated") == f"{m.meta.date}T00:00:00Z"
        assert [a.findtext(f"{ATOM}name") for a in entry.findall(f"{ATOM}author")] == \
            [s.name for s in m.speakers]
        assert entry.findtext(f"{DC}language") == m.meta.lang
        assert entry.findtext(f"{DC}identifier") == (f"urn:isbn:{m.meta.isbn}" if m.meta.isbn else None)
        assert [c.findtext(f"{ATOM}name") for c in entry.findall(f"{ATOM}contributor")] == \
            [c.name for c in m.meta.credits]
        summary = entry.find(f"{ATOM}summary")
        assert summary.get("type") == "text" and summary.text == catalog.description(m)[0]
        acquisitions = {}
        for link in entry.findall(f"{ATOM}link[@rel='{ACQUISITION}']"):
            path = folder / unquote(link.get("href"))
            assert path.read_bytes() == (out / path.name).read_bytes()
            assert int(link.get("length")) == path.stat().st_size
            acquisitions[path.name] = link.get("type")
        assert acquisitions == expected_files(m)
        for rel, largest in (("http://opds-spec.org/image", (1600, 2560)),
                             ("http://opds-spec.org/image/thumbnail", catalog.THUMBNAIL)):
            [link] = entry.findall(f"{ATOM}link[@rel='{rel}']")
            with Image.open(folder / unquote(link.get("href"))) as image:
                assert link.get("type") == {"PNG": "image/png", "JPEG": "image/jpeg"}[image.format]
                assert image.width <= largest[0] and image.height <= largest[1]
                assert image.width >= 100


def test_the_json_feed_has_the_same_books(feed, folder):
    data = json.loads((folder / "opds.json").read_text(encoding="utf-8"))
    assert data["metadata"]["title"] == feed.findtext(f"{ATOM}title")
    assert {"rel": "self", "href": "opds.json", "type": "application/opds+json"} in data["links"]
    entries = feed.findall(f"{ATOM}entry")
    assert [p["metadata"]["identifier"] for p in data["publications"]] == \
        [e.findtext(f"{ATOM}id") for e in entries]
    for publication, entry in zip(data["publications"], entries):
        assert [(l["href"], l["type"], l["size"]) for l in publication["links"]] == [
            (l.get("href"), l.get("type"), int(l.get("length")))
            for l in entry.findall(f"{ATOM}link[@rel='{ACQUISITION}']")]
        assert all(l["rel"] == ACQUISITION for l in publication["links"])
        metadata = publication["metadata"]
        if metadata["title"] == "小さな対談":  # the sample with an ISBN and a series
            assert metadata["altIdentifier"] == ["urn:isbn:9784999000012"]
            assert metadata["belongsTo"] == {"series": [{"name": "taidan 対談叢書", "position": 2}]}
        else:
            assert "altIdentifier" not in metadata and "belongsTo" not in metadata
        images = [(i["href"], i["type"]) for i in publication["images"]]
        assert images == [(l.get("href"), l.get("type")) for l in entry.findall(f"{ATOM}link")
                          if l.get("rel").startswith("http://opds-spec.org/image")]
        for image in publication["images"]:
            with Image.open(folder / unquote(image["href"])) as picture:
                assert (picture.width, picture.height) == (image["width"], image["height"])


def test_a_manuscript_cover_is_used_and_the_others_are_generated(folder, built):
    with Image.open(folder / "covers" / "small-ja-cover.jpg") as image:
        assert image.format == "JPEG"
    own = (ROOT / "tests" / "epub_samples" / "images" / "cover.jpg").read_bytes()
    assert (folder / "covers" / "small-ja-cover.jpg").read_bytes() == own
    with zipfile.ZipFile(built[0] / "interview-2025-10-06.epub") as package:
        generated = package.read("EPUB/images/cover.png")
    assert (folder / "covers" / "interview-2025-10-06-cover.png").read_bytes() == generated


# ---- same manuscripts, same bytes -----------------------------------------------------------

def catalog_bytes(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and not p.name.startswith(".taidan")}


def test_a_second_run_changes_nothing_whatever_the_clock(built, folder):
    before = catalog_bytes(folder)
    times = {p: p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()}
    out = built[0]
    result = run_catalog(out.parent, *SAMPLES, "--out", "out", TZ="Pacific/Kiritimati",
                         SOURCE_DATE_EPOCH="0", LC_ALL="C")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].endswith("(0 files written)")
    assert catalog_bytes(folder) == before
    assert {p: p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()} == times


def test_written_again_elsewhere_the_catalog_has_the_same_bytes(built, folder, manuscripts, tmp_path):
    for path in built[0].glob("*.*"):
        shutil.copy(path, tmp_path / path.name)
    written = catalog.write(list(manuscripts.values()), tmp_path, say=lambda s: None)
    assert len(written) == len(catalog_bytes(folder))
    assert catalog_bytes(tmp_path / "catalog") == catalog_bytes(folder)
    # a book left out leaves the catalog folder too, as do an interrupted run's leftovers
    leftover = tmp_path / "catalog" / "books" / ".taidan-tmp-small-ja.epub.x1"
    leftover.write_bytes(b"half")
    lines = []
    catalog.write([manuscripts["small-en"]], tmp_path, say=lines.append)
    assert sorted(p.name for p in (tmp_path / "catalog" / "books").iterdir()) == \
        sorted(expected_files(manuscripts["small-en"]))
    assert any(line.startswith("removed ") and "small-ja.epub" in line for line in lines)
    assert not leftover.exists()


def users_folder(folder: Path) -> dict[str, bytes]:
    """A folder of the user's that happens to look like a catalog's; what it holds."""
    (folder / "books").mkdir(parents=True)
    (folder / "covers").mkdir()
    (folder / "books" / "my-thesis.docx").write_bytes(b"PK\x03\x04 four years of work")
    (folder / "covers" / "family-photo.jpg").write_bytes(b"\xff\xd8\xff the only copy")
    return catalog_bytes(folder)


def test_a_symlinked_catalog_folder_is_refused_and_its_files_survive(tmp_path):
    mine = tmp_path / "mine"
    kept = users_folder(mine)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "catalog").symlink_to(mine)
    result = run_catalog(tmp_path, SAMPLES[2], "--out", "out")
    assert (result.returncode, result.stderr) == (2, (
        f"taidan: out/catalog is a symbolic link (to {mine}): taidan catalog writes only into "
        "a folder of its own (remove the link, or choose another --out)\n"))
    assert catalog_bytes(mine) == kept and sorted(p.name for p in mine.iterdir()) == ["books", "covers"]
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["catalog"]  # refused before building


def test_an_out_folder_holding_the_users_files_is_refused(tmp_path):
    kept = users_folder(tmp_path / "documents" / "catalog")
    result = run_catalog(tmp_path, SAMPLES[2], "--out", "documents")
    assert (result.returncode, result.stderr) == (2, (
        "taidan: documents/catalog holds files taidan catalog did not write (books/my-thesis.docx, "
        "covers/family-photo.jpg): it never replaces or removes them (move them away, or "
        "choose another --out)\n"))
    assert catalog_bytes(tmp_path / "documents" / "catalog") == kept


def test_only_what_the_catalog_wrote_is_ever_removed(built, folder, manuscripts, tmp_path):
    for path in built[0].glob("*.*"):
        shutil.copy(path, tmp_path / path.name)
    every = list(manuscripts.values())
    catalog.write(every, tmp_path)
    books = tmp_path / "catalog" / "books"
    listed = (tmp_path / "catalog" / catalog.WRITTEN).read_text(encoding="utf-8").splitlines()[1:]
    assert listed == sorted(catalog_bytes(tmp_path / "catalog"))
    # a file dropped in among the books: the next run refuses, and leaves it
    (books / "my-thesis.docx").write_bytes(b"mine")
    with pytest.raises(catalog.Refused, match=r"holds files taidan catalog did not write \(books/my-thesis.docx\)"):
        catalog.write([manuscripts["small-en"]], tmp_path)
    assert (books / "my-thesis.docx").read_bytes() == b"mine" and (books / "small-ja.epub").is_file()
    (books / "my-thesis.docx").unlink()
    # a catalog an older taidan wrote has no list: what its opds.json names is the catalog's
    (tmp_path / "catalog" / catalog.WRITTEN).unlink()
    lines = []
    catalog.write([manuscripts["small-en"]], tmp_path, say=lines.append)
    assert sorted(p.name for p in books.iterdir()) == sorted(expected_files(manuscripts["small-en"]))
    assert any(line.startswith("removed ") and "small-ja.epub" in line for line in lines)


def test_a_bad_manuscript_is_one_line_and_leaves_the_catalog_alone(built, folder, tmp_path):
    bad = tmp_path / "bad.md"
    bad.write_text("---\ntitle: x\n---\n", encoding="utf-8")
    before = catalog_bytes(folder)
    result = run_catalog(built[0].parent, SAMPLES[2], bad, "--out", "out")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.splitlines()[0].startswith(f"{bad}:")
    assert catalog_bytes(folder) == before


# ---- the page, in Chromium without JavaScript ----------------------------------------------

@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=find_chromium(),
                                              args=["--no-sandbox", "--disable-gpu"])
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def served(built):
    """The output folder over HTTP on 127.0.0.1: the catalog is at /catalog/."""
    handler = functools.partial(_QuietHandler, directory=str(built[0]))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/catalog/"
    server.shutdown()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.mark.chromium
def test_the_page_served_under_catalog_without_javascript(browser, served, folder, manuscripts,
                                                          artefacts):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 800, "height": 900})
    page = context.new_page()
    assert page.goto(served).ok
    assert page.evaluate("[...document.scripts].length") == 0
    books = page.locator("article.book")
    assert books.count() == 3
    for name, date in (("interview-2025-10-06", "2025年10月6日"), ("small-ja", "2024年12月3日"),
                       ("small-en", "17 May 2024")):
        m = manuscripts[name]
        book = page.locator(f"article#{name}")
        assert book.get_attribute("lang") == m.meta.lang
        assert book.locator("h2").inner_text() == m.meta.title
        assert book.locator("time").inner_text() == date
        series = book.locator(".series")
        assert (series.inner_text() if series.count() else None) == \
            ("taidan 対談叢書　第2巻" if name == "small-ja" else None)
        speakers = book.locator(".speakers").inner_text()
        assert all(s.name in speakers and s.role in speakers for s in m.speakers)
        assert catalog.description(m)[0] in book.locator(".description").first.inner_text()
        image = book.locator("img")
        assert image.evaluate("i => i.complete && i.naturalWidth") == 240
        assert image.bounding_box()["width"] == 122  # 120 px and its border
        downloads = book.locator(".downloads a")
        names = []
        for i in range(downloads.count()):
            link = downloads.nth(i)
            response = page.request.get(served + link.get_attribute("href"))
            assert response.ok
            names.append(link.get_attribute("href").split("/")[-1])
            assert response.body() == (folder / "books" / names[-1]).read_bytes()
            size = link.locator("xpath=following-sibling::span[1]").inner_text()
            assert size == catalog.size_text(len(response.body()))
        assert sorted(names) == sorted(expected_files(m))
    # the feeds are a link away for a reading app's browser
    for href in ("opds.xml", "opds.json"):
        assert page.request.get(served + href).ok
    page.screenshot(path=str(artefacts / "catalog-page.png"), full_page=True)
    context.close()


@pytest.mark.chromium
def test_the_page_from_a_file_on_a_narrow_screen(browser, folder):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 360, "height": 700})
    page = context.new_page()
    page.goto((folder / "index.html").as_uri())
    assert page.evaluate("[...document.images].map(i => i.naturalWidth)") == [240, 240, 240]
    # nothing wider than the screen
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    context.close()


def test_a_folder_without_manuscripts_is_one_line(tmp_path):
    (tmp_path / "empty").mkdir()
    result = run_catalog(tmp_path, "empty")
    assert (result.returncode, result.stderr) == (2, "empty:0: no manuscripts (*.md) in this folder\n")
    assert not (tmp_path / "build").exists()
