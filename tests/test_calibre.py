"""What calibre, the library most readers use to put books on Kindles and Kobos, reads from
every EPUB edition: its own command-line tools, run for real (Debian's calibre package).

`ebook-meta FILE` shows one book; `calibredb add` into a temporary library and
`calibredb list --for-machine` shows what the library keeps; `ebook-convert` makes the AZW3
a Kindle reads and `calibre-debug --inspect-mobi` reads its header back.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageStat

from test_epub import NS, books  # noqa: F401  (the session's books)

pytestmark = [pytest.mark.skipif(shutil.which("ebook-meta") is None, reason="calibre is not installed"),
              pytest.mark.calibre]

# what calibre must show, per manuscript: authors (the speakers), series, identifiers
EXPECTED = {
    "interview-2025-10-06": {"authors": ["サム・アルトマン", "真鍋大度", "草野絵美"], "publisher": "Web LEON",
                             "language": "jpn", "date": "2025-10-06", "series": None, "isbn": None},
    "small-ja": {"authors": ["山田花子", "鈴木一郎"], "publisher": "試験出版", "language": "jpn",
                 "date": "2024-12-03", "series": ("taidan 対談叢書", 2.0), "isbn": "9784999000012"},
    "small-en": {"authors": ["Ann Lee", "Ken Ito"], "publisher": "Test Press", "language": "eng",
                 "date": "2024-05-17", "series": None, "isbn": None},
    "edge-zh": {"authors": None, "publisher": None, "language": "zho", "date": None, "series": None,
                "isbn": None},
}


def _run(command: list[str], cwd: Path | None = None) -> str:
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=cwd)
    assert done.returncode == 0, (command, done.stderr[-2000:])
    return done.stdout


def _fields(output: str) -> dict[str, str]:
    """ebook-meta's `Name : value` lines as a dict (a value may run over several lines)."""
    fields, name = {}, None
    for line in output.splitlines():
        match = re.match(r"^(\S[^:]*?)\s+: (.*)$", line)
        if match:
            name = match.group(1)
            fields[name] = match.group(2)
        elif name:
            fields[name] += "\n" + line
    return fields


def _epubs(books):  # noqa: F811
    return {key: book for key, book in books.items() if not key[1].endswith("+fonts")}


def test_ebook_meta_shows_speakers_as_authors_title_series_and_identifiers(books, interview):  # noqa: F811
    chosen = _epubs(books)
    with ThreadPoolExecutor(4) as pool:
        outputs = dict(zip(chosen, pool.map(lambda b: _run(["ebook-meta", str(b.path)]), chosen.values())))
    for key, output in outputs.items():
        fields, expected, book = _fields(output), EXPECTED[key[0]], chosen[key]
        title = book.dc("title")[0].text
        subtitles = [t.text for t in book.dc("title")[1:]]
        assert fields["Title"] == ": ".join([title, *subtitles]), key  # calibre joins them
        authors = expected["authors"] or [c.text for c in book.dc("creator")]
        assert fields["Author(s)"] == " & ".join(authors), key
        assert fields["Languages"] == expected["language"], key
        if expected["publisher"]:
            assert fields["Publisher"] == expected["publisher"], key
        if expected["date"]:
            assert fields["Published"].startswith(expected["date"]), key
        assert fields["Comments"].strip() == book.dc("description")[0].text.strip(), key
        assert book.dc("description")[0].text
        if expected["series"]:
            name, number = expected["series"]
            assert fields["Series"] == f"{name} #{number:g}", key
        else:
            assert "Series" not in fields, key
        if expected["isbn"]:
            assert fields["Identifiers"] == f"isbn:{expected['isbn']}", key
        else:  # calibre keeps no urn:uuid identifier: it gives the book its own uuid
            assert "Identifiers" not in fields, key
    # the interview has no description: the lead is the description
    got = _fields(outputs[(interview.name, "epub")])["Comments"]
    assert got.startswith("10月2日、OpenAIのCEOサム・アルトマン氏が来日。") and got.endswith("ここにリポートいたします!")


def test_a_calibre_library_keeps_authors_series_identifiers_and_the_cover(books, tmp_path):  # noqa: F811
    chosen = _epubs(books)
    library = tmp_path / "library"
    # --duplicates: the two editions of a book have the same title and authors
    _run(["calibredb", "add", "--duplicates", "--with-library", str(library),
          *[str(b.path) for b in chosen.values()]])
    listed = json.loads(_run(["calibredb", "list", "--with-library", str(library),
                              "--for-machine", "--fields", "all"]))
    assert len(listed) == len(chosen)
    for entry, (key, book) in zip(sorted(listed, key=lambda e: e["id"]), chosen.items()):
        assert entry["size"] == len(book.data), key  # the book added in this place
        expected = EXPECTED[key[0]]
        assert entry["authors"] == " & ".join(expected["authors"] or [c.text for c in book.dc("creator")])
        assert entry["languages"] == [expected["language"]]
        if expected["series"]:
            assert (entry["series"], entry["series_index"]) == expected["series"], key
        else:
            assert "series" not in entry, key
        assert entry["identifiers"] == ({"isbn": expected["isbn"]} if expected["isbn"] else {}), key
        # the cover calibre keeps is the book's cover image
        cover = Image.open(entry["cover"])
        item = book.item_with("cover-image")
        original = Image.open(io.BytesIO(book.read(item.get("href"))))
        # (calibre scales large covers down, to at most 1375 x 2200): the same picture
        assert abs(cover.width / cover.height - original.width / original.height) < 0.01, key
        small = original.convert("L").resize(cover.size)
        diff = ImageStat.Stat(ImageChops.difference(small, cover.convert("L"))).mean[0]
        assert diff < 8, key  # mean grey-level difference
        assert entry["comments"].strip() == book.dc("description")[0].text.strip(), key


def _azw3(book, folder: Path) -> str:
    """The book converted to AZW3 by ebook-convert, and the header calibre reads back."""
    target = folder / f"{book.path.stem}.azw3"
    _run(["ebook-convert", str(book.path), str(target)])
    _run(["calibre-debug", "--inspect-mobi", str(target)], cwd=folder)  # writes decompiled_<stem>/
    return (folder / f"decompiled_{target.stem}" / "header.txt").read_text(encoding="utf-8")


def test_ebook_convert_makes_an_azw3_that_keeps_vertical_writing_and_rtl(books, interview, tmp_path):  # noqa: F811
    keys = [(interview.name, "epub"), (interview.name, "epub-vertical")]
    folders = [tmp_path / key[1] for key in keys]
    for folder in folders:
        folder.mkdir()
    with ThreadPoolExecutor(2) as pool:
        horizontal, vertical = pool.map(_azw3, [books[k] for k in keys], folders)
    # the EXTH records a Kindle reads: writing mode and page direction
    assert "primary-writing-mode (525): b'vertical-rl'" in vertical
    assert "page-progression-direction (527): b'rtl'" in vertical
    assert "vertical-rl" not in horizontal and "(527): b'rtl'" not in horizontal
    flows = folders[1] / f"decompiled_{books[keys[1]].path.stem}" / "flows"
    css = "".join(p.read_text(encoding="utf-8", errors="replace") for p in flows.iterdir())
    assert re.search(r"(?<!-)writing-mode:\s*vertical-rl", css)
