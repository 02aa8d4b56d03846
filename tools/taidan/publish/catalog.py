"""``taidan catalog``: the books, and a catalog of them for browsers and reading apps.

The editions a reader downloads (epub, epub-vertical, kepub, print) are built through
build(), so the cache and the atomic writes apply. Then ``<out>/catalog/`` gets a copy of
each book (``books/``), its cover and a thumbnail (``covers/``), ``index.html`` for a
browser, ``opds.xml`` (OPDS 1.2) and ``opds.json`` (OPDS 2.0) for reading apps. Every link
is relative, so the folder works wherever it is served and from file://. Nothing reads the
clock: the feeds are as new as the newest manuscript.
"""

from __future__ import annotations

import io
import json
import posixpath
import re
import sys
import uuid
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from taidan.editions.registry import EDITIONS
from taidan.pipeline.output import clean_leftovers, locked, write_atomic

FOLDER = "catalog"
# What a reader can download, in the order shown: these editions' files (their names and
# media types are in the registry), with the words naming each file, one per output.
DOWNLOADS = {
    "epub": ("catalog_epub",),
    "epub-vertical": ("catalog_epub_vertical",),
    "kepub": ("catalog_kepub", "catalog_kepub_vertical"),
    "print": ("catalog_pdf",),
}
OPDS_ACQUISITION = "application/atom+xml;profile=opds-catalog;kind=acquisition"
THUMBNAIL = (240, 384)  # twice the size index.html shows it at, the cover's 1:1.6
IMAGE_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif"}  # what OPDS allows


@dataclass
class Link:
    href: str  # relative to the catalog folder, percent-encoded
    type: str
    title: str = ""
    size: int = 0  # bytes
    width: int = 0  # images: pixels
    height: int = 0


@dataclass
class Book:
    m: object  # the manuscript
    identifier: str
    description: list[str]  # paragraphs
    downloads: list[Link]
    cover: Link
    thumbnail: Link

    @property
    def updated(self) -> str:
        return f"{self.m.meta.date}T00:00:00Z"


def editions() -> list[str]:
    return list(DOWNLOADS)


def download_files(m) -> list[tuple[str, str, str]]:
    """(file name, media type, words naming it) of each file of ``m`` a reader can download."""
    return [(output.file(m), output.media_type, label)
            for name, labels in DOWNLOADS.items() if EDITIONS[name].applies(m)
            for output, label in zip(EDITIONS[name].outputs, labels, strict=True)
            if output.applies(m)]


def make(paths: list[Path], out: Path, options, title: str = "", workers: int | None = None,
         say=print) -> list[Path]:
    """Builds the editions, then writes the catalog; returns the catalog's files written.
    Raises what build() raises (ProblemsFound, EditionsFailed) and OSError."""
    from taidan.pipeline.build import EditionsFailed, build
    from taidan.load import load

    build(paths, editions(), out, options, say=say, workers=workers)
    books = []
    for path in paths:
        m = load(path, options.publisher)
        missing = [name for name in _expected(m) if not (out / name).is_file()]
        if missing:
            raise EditionsFailed([("catalog", path, FileNotFoundError(
                f"{out / missing[0]} was not written"))])
        books.append(m)
    written = write(books, out, title, options, say=say)
    say(f"catalog of {_count(len(books), 'book')}: {out / FOLDER / 'index.html'}, opds.xml, "
        f"opds.json ({_count(len(written), 'file')} written)")
    return written


def _count(n: int, thing: str) -> str:
    return f"{n} {thing}{'' if n == 1 else 's'}"


def _expected(m) -> list[str]:
    return [name for name, _, _ in download_files(m)]


def write(loaded: list, out: Path, title: str = "", options=None, say=print) -> list[Path]:
    """The catalog of books already built in ``out``: copies, covers, page and feeds.
    Returns the files written (those whose bytes changed). ``options``: the project's
    (its templates may override templates/catalog/)."""
    from taidan.render.jinja import configure, words

    if options is not None:
        configure(options)

    folder = out / FOLDER
    files: dict[str, bytes] = {}
    books = []
    newest_first = sorted(sorted(loaded, key=lambda m: m.name), key=lambda m: m.meta.date, reverse=True)
    for m in newest_first:
        w = words(m.meta.lang)
        downloads = []
        for name, kind, label in download_files(m):
            data = (out / name).read_bytes()
            files[f"books/{name}"] = data
            downloads.append(Link(_href("books", name), kind, w[label], len(data)))
        image, kind = _cover_of(out / EDITIONS["epub"].outputs[0].file(m))  # its cover
        cover_name = f"{m.name}-cover.{kind.split('/')[1].replace('jpeg', 'jpg')}"
        thumb = _thumbnail(image)
        files[f"covers/{cover_name}"] = image
        files[f"covers/{m.name}-thumbnail.jpg"] = thumb
        books.append(Book(m, _identifier(m), description(m), downloads,
                          Link(_href("covers", cover_name), kind, size=len(image), **_dimensions(image)),
                          Link(_href("covers", f"{m.name}-thumbnail.jpg"), "image/jpeg",
                               size=len(thumb), **_dimensions(thumb))))
    langs = {m.meta.lang.split("-")[0] for m in loaded}
    lang = langs.pop() if len(langs) == 1 else "en"
    title = title or _common_publisher(loaded) or words(lang)["catalog_title"]
    updated = max((b.updated for b in books), default="1970-01-01T00:00:00Z")
    feed_id = f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'taidan:catalog:' + title)}"
    context = dict(books=books, title=title, lang=lang, updated=updated, feed_id=feed_id,
                   w=words(lang), words=words, OPDS_ACQUISITION=OPDS_ACQUISITION,
                   size_text=size_text)
    files["index.html"] = _render("index.html", context)
    files["opds.xml"] = _render("opds.xml", context)
    files["opds.json"] = opds_json(books, title, updated)
    written = []
    with locked(folder, say=lambda s: print(f"taidan: {s}", file=sys.stderr)):
        for sub in (folder, folder / "books", folder / "covers"):
            clean_leftovers(sub)
        for name, data in files.items():
            target = folder / name
            if not _same(target, data):
                write_atomic(target, data)
                written.append(target)
        for sub in ("books", "covers"):  # books no longer in the catalog leave it
            for old in sorted((folder / sub).glob("*")):
                if old.is_file() and f"{sub}/{old.name}" not in files:
                    old.unlink()
                    say(f"removed {old}")
    return written


def size_text(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB" if size >= 1_000_000 else f"{max(1, round(size / 1000))} KB"


def _same(path: Path, data: bytes) -> bool:
    """Unchanged files are not rewritten (their times stay, a reading app's cache holds)."""
    try:
        return path.stat().st_size == len(data) and path.read_bytes() == data
    except OSError:
        return False


def _href(sub: str, name: str) -> str:
    return f"{sub}/{quote(name)}"


def _render(template: str, context: dict) -> bytes:
    from taidan.render.jinja import environment

    env = environment(FOLDER)
    return env.get_template(template).render(**context).encode("utf-8")


# ---- what the catalog says about a book ------------------------------------------------

def _identifier(m) -> str:
    """The EPUB edition's identifier; one that is not a URI (an atom:id must be) becomes a
    UUID derived from it."""
    from taidan.editions.epub import EDITION

    identifier = EDITION.identifier(m)
    if re.match(r"[A-Za-z][A-Za-z0-9+.-]*:\S+$", identifier):
        return identifier
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, identifier)}"


def description(m) -> list[str]:
    """What the EPUB says the book is about (its description, else the lead), as paragraphs."""
    from taidan.editions.epub_base import description as text

    return [line.strip() for line in text(m).split("\n") if line.strip()]


def _common_publisher(loaded) -> str:
    publishers = {m.meta.publisher for m in loaded}
    return publishers.pop() if len(publishers) == 1 else ""


def _cover_of(epub: Path) -> tuple[bytes, str]:
    """The cover image inside an EPUB edition (the manuscript's, or the generated one), as an
    image type OPDS allows (JPEG, PNG or GIF; anything else becomes PNG)."""
    with zipfile.ZipFile(epub) as package:
        container = ET.fromstring(package.read("META-INF/container.xml"))
        opf_path = container.find(".//{*}rootfile").get("full-path")
        opf = ET.fromstring(package.read(opf_path))
        item = next(i for i in opf.iter("{http://www.idpf.org/2007/opf}item")
                    if "cover-image" in (i.get("properties") or "").split())
        data = package.read(posixpath.normpath(posixpath.join(posixpath.dirname(opf_path),
                                                              item.get("href"))))
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        if image.format in IMAGE_TYPES:
            return data, IMAGE_TYPES[image.format]
        converted = io.BytesIO()
        image.save(converted, "PNG")
        return converted.getvalue(), "image/png"


def _thumbnail(data: bytes) -> bytes:
    """A small JPEG of the cover; the same cover gives the same bytes."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        image = image.convert("L" if image.mode in ("1", "L", "LA") else "RGBA")
        if image.mode == "RGBA":  # transparency onto white paper
            paper = Image.new("RGB", image.size, "white")
            paper.paste(image, mask=image.getchannel("A"))
            image = paper
        image.thumbnail(THUMBNAIL, Image.Resampling.LANCZOS)
        out = io.BytesIO()
        image.save(out, "JPEG", quality=85)
        return out.getvalue()


def _dimensions(data: bytes) -> dict:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        return {"width": image.width, "height": image.height}


def opds_json(books: list[Book], title: str, updated: str) -> bytes:
    """The OPDS 2.0 feed: the same books as opds.xml."""
    feed = {
        "metadata": {"title": title, "modified": updated, "numberOfItems": len(books)},
        "links": [
            {"rel": "self", "href": "opds.json", "type": "application/opds+json"},
            {"rel": "alternate", "href": "opds.xml", "type": OPDS_ACQUISITION},
            {"rel": "alternate", "href": "index.html", "type": "text/html"},
        ],
        "publications": [_publication(b) for b in books],
    }
    return (json.dumps(feed, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def _publication(b: Book) -> dict:
    meta = b.m.meta
    metadata = {"@type": "http://schema.org/Book", "identifier": b.identifier, "title": meta.title}
    if meta.subtitle:
        metadata["subtitle"] = meta.subtitle
    metadata["author"] = [{"name": s.name} for s in b.m.speakers]
    if meta.credits:  # the interviewer, photographer, editors ... with their roles as written
        metadata["contributor"] = [{"name": c.name, "role": c.role} for c in meta.credits]
    if meta.publisher:
        metadata["publisher"] = meta.publisher
    if meta.isbn:
        metadata["altIdentifier"] = [f"urn:isbn:{meta.isbn}"]
    metadata.update(language=meta.lang, published=meta.date, modified=b.updated)
    if meta.series:
        metadata["belongsTo"] = {"series": [{"name": meta.series.name,
                                             "position": meta.series.number}]}
    if b.description:
        metadata["description"] = "\n\n".join(b.description)
    return {
        "metadata": metadata,
        "links": [{"rel": "http://opds-spec.org/acquisition/open-access", "href": d.href,
                   "type": d.type, "title": d.title, "size": d.size} for d in b.downloads],
        "images": [{"href": i.href, "type": i.type, "width": i.width, "height": i.height}
                   for i in (b.cover, b.thumbnail)],
    }


# ---- the command ---------------------------------------------------------------------------

def main(inputs: list[Path], out: Path | None) -> int:
    from taidan.config import project
    from taidan.cli import EXIT_PROBLEMS, _report, building
    from taidan.errors import ProblemsFound

    try:
        book = project.around(inputs)  # a manuscript of another book: that book's build/
    except ProblemsFound as err:  # taidan.toml at fault
        return _report(err.problems)
    paths, missing = project.gather(inputs) if inputs else (book.manuscripts(), [])
    if missing:  # a folder without manuscripts: nothing is built, the catalog is unchanged
        return _report(missing)
    if not paths:
        print(f"taidan: no manuscripts given and none in {project.shown(book.root / 'manuscript')}/*.md",
              file=sys.stderr)
        return EXIT_PROBLEMS
    settings = book.settings({"out": out})  # the command line beats taidan.toml
    out = settings["out"]
    options = book.options(settings)  # the same files `taidan build` makes, with the house style
    return building(lambda: make(paths, out, options, title=book.config["publisher"]["name"],
                                 workers=settings["jobs"]), out)
