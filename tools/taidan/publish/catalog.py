"""``taidan catalog``: the books, and a catalog of them for browsers and reading apps.

The editions a reader downloads (epub, epub-vertical, kepub, print) are built through
build(), so the cache and the atomic writes apply. Then ``<out>/catalog/`` gets a copy of
each book (``books/``), its cover and a thumbnail (``covers/``), ``index.html`` for a
browser, ``opds.xml`` (OPDS 1.2) and ``opds.json`` (OPDS 2.0) for reading apps. Every link
is relative, so the folder works wherever it is served and from file://. Nothing reads the
clock: the feeds are as new as the newest manuscript.

``taidan catalog --from BUILD_DIR...`` takes the books from folders already built (each
machine's share of a CI matrix, ``taidan build --shard K/N``) and builds nothing. What the
catalog says of a book (title, speakers, dates, description, identifier, which files it has)
still comes from the manuscript, loaded as every command loads it: the catalog job has the
project checked out (its taidan.toml and templates shape the catalog too), loading costs
no typesetting, and one Manuscript feeding one write() is what makes the catalog the same,
byte for byte, as the one a single machine writes. Reading it back from each EPUB's OPF
would be a second, lossy description of the book to keep in step with the first.

The catalog folder is taidan's alone: a list of the files it wrote there (``WRITTEN``) says
which it may replace or remove, and it refuses to write through a symbolic link or into a
folder holding anything else, so a folder of the user's is never emptied.
"""

from __future__ import annotations

import io
import json
import os
import posixpath
import re
import uuid
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote

from taidan.editions.epub_zip import package_document
from taidan.editions.registry import EDITIONS
from taidan.publish import size_text
from taidan.errors import EditionsFailed, Problem, ProblemsFound, Refused, shown
from taidan.pipeline import load
from taidan.pipeline.build import build
from taidan.pipeline.output import LOCK_NAME, TEMP_PREFIX, clean_leftovers, locked, write_atomic

FOLDER = "catalog"
SUBFOLDERS = ("books", "covers")
WRITTEN = ".taidan-written"  # the files the catalog wrote in its folder: the only ones it removes
FEEDS = ("index.html", "opds.xml", "opds.json")
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
        return self.m.meta.timestamp


def editions() -> list[str]:
    return list(DOWNLOADS)


def download_files(m) -> list[tuple[str, str, str]]:
    """(file name, media type, words naming it) of each file of ``m`` a reader can download."""
    return [(output.file(m), output.media_type, label)
            for name, labels in DOWNLOADS.items() if EDITIONS[name].applies(m)
            for output, label in zip(EDITIONS[name].outputs, labels, strict=True)
            if output.applies(m)]


def make(paths: list[Path], out: Path, options, title: str = "", workers: int | None = None,
         say=lambda line: None, warn=lambda line: None, built: list[Path] | None = None) -> list[Path]:
    """Builds the editions, then writes the catalog; returns the catalog's files written.
    ``built``: folders of editions already built (``taidan build --out``, one per shard of a
    CI matrix) to take the books from instead: nothing is built, the manuscripts are only
    loaded, for what the catalog says of each book. Raises what build() raises
    (ProblemsFound, EditionsFailed), Refused (a catalog folder that is not taidan's, a
    ``built`` folder that is not there) and OSError."""
    for folder in built or ():
        if not folder.is_dir():
            raise Refused(f"--from {shown(folder)}: no such folder (the output folder of a taidan build)")
    _refuse_links(out / FOLDER)  # before the books are built: a refusal costs nothing
    _written_before(out / FOLDER)
    if built is None:
        build(paths, editions(), out, options, say=say, workers=workers, warn=warn)
    books = []
    for path in paths:
        m = load(path, options)
        missing = [name for name in _expected(m) if not (out / name).is_file()] if built is None else []
        if missing:
            raise EditionsFailed([("catalog", path, FileNotFoundError(
                f"{out / missing[0]} was not written"))])
        books.append(m)
    written = write(books, out, title, options, say=say, warn=warn, built=built)
    say(f"catalog of {_count(len(books), 'book')}: {out / FOLDER / 'index.html'}, opds.xml, "
        f"opds.json ({_count(len(written), 'file')} written)")
    return written


def sources(loaded: list, folders: list[Path]) -> dict[str, Path]:
    """Where each file the catalog copies is, among ``folders`` of built editions (a file
    in several must have the same bytes in each). Raises ProblemsFound, one line per
    manuscript whose file is in none or differs."""
    found, problems = {}, []
    for m in loaded:
        for name in _expected(m):
            places = [folder / name for folder in folders if (folder / name).is_file()]
            if not places:
                problems.append(Problem(shown(m.path), 0, f"{name} is in none of "
                                        + ", ".join(str(shown(f)) for f in folders),
                                        "build it first (taidan build, or taidan build --shard "
                                        "K/N on each machine) and name each output folder"))
            elif any(place.read_bytes() != places[0].read_bytes() for place in places[1:]):
                problems.append(Problem(shown(m.path), 0, f"{name} differs between "
                                        + " and ".join(str(shown(p.parent)) for p in places),
                                        "two builds of different versions: name one of them"))
            else:
                found[name] = places[0]
    if problems:
        raise ProblemsFound(problems)
    return found


def _count(n: int, thing: str) -> str:
    return f"{n} {thing}{'' if n == 1 else 's'}"


def _expected(m) -> list[str]:
    return [name for name, _, _ in download_files(m)]


def write(loaded: list, out: Path, title: str = "", options=None, say=lambda line: None,
          warn=lambda line: None, built: list[Path] | None = None) -> list[Path]:
    """The catalog of books already built in ``out`` (or in the ``built`` folders), in
    ``out``: copies, covers, page and feeds. Returns the files written (those whose bytes
    changed). ``options``: the project's (its templates may override templates/catalog/)."""
    # deferred: Jinja only when the catalog is written
    from taidan.render.jinja import configure, words

    if options is not None:
        configure(options)

    folder = out / FOLDER
    found = sources(loaded, built or [out])
    files: dict[str, bytes] = {}
    books = []
    newest_first = sorted(sorted(loaded, key=lambda m: m.name), key=lambda m: m.meta.date, reverse=True)
    for m in newest_first:
        w = words(m.meta.lang)
        downloads = []
        for name, kind, label in download_files(m):
            data = found[name].read_bytes()
            files[f"books/{name}"] = data
            downloads.append(Link(_href("books", name), kind, w[label], len(data)))
        image, kind = _cover_of(found[EDITIONS["epub"].outputs[0].file(m)])  # its cover
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
    _refuse_links(folder)  # before the lock: its file would be written through the link
    with locked(folder, say=lambda s: warn(f"taidan: {s}")):
        before = _written_before(folder)
        for sub in (folder, *(folder / name for name in SUBFOLDERS)):
            clean_leftovers(sub)
        # listed before they are written: a run killed halfway leaves no file unaccounted for
        _list_written(folder, before, before | set(files))
        for name, data in files.items():
            target = folder / name
            if not _same(target, data):
                write_atomic(target, data)
                written.append(target)
        for name in sorted(before - set(files)):  # books no longer in the catalog leave it
            old = folder / name
            if name.partition("/")[0] in SUBFOLDERS and old.is_file() and not old.is_symlink():
                old.unlink()
                say(f"removed {old}")
        _list_written(folder, before | set(files), set(files))
    return written


def _refuse_links(folder: Path) -> None:
    """Refuses a catalog folder (or its books/, covers/) that is a symbolic link: what is
    written or removed there would land in a folder taidan did not make."""
    for path in (folder, *(folder / name for name in SUBFOLDERS)):
        if path.is_symlink():
            raise Refused(f"{shown(path.parent) / path.name} is a symbolic link (to {os.readlink(path)}): taidan "
                          "catalog writes only into a folder of its own (remove the link, or "
                          "choose another --out)")


def _written_before(folder: Path) -> set[str]:
    """The files (``books/x.epub``) the catalog wrote in ``folder`` and may replace or
    remove; refuses a folder that holds anything else."""
    if not folder.is_dir():
        return set()
    ours = _listed(folder)
    foreign = []
    for top, folders, names in os.walk(folder):
        here = Path(top).relative_to(folder).as_posix()
        for name in sorted(folders):  # a link to a folder is listed here, and not entered
            rel = name if here == "." else f"{here}/{name}"
            if here != "." or name not in SUBFOLDERS or (Path(top) / name).is_symlink():
                foreign.append(rel + "/")
                folders.remove(name)
        for name in sorted(names):
            rel = name if here == "." else f"{here}/{name}"
            if rel not in ours and rel != WRITTEN and not name.startswith(TEMP_PREFIX) \
                    and not (here == "." and name == LOCK_NAME):
                foreign.append(rel)
    if foreign:
        foreign.sort()
        more = f" and {len(foreign) - 3} more" if len(foreign) > 3 else ""
        raise Refused(f"{shown(folder)} holds files taidan catalog did not write "
                      f"({', '.join(foreign[:3])}{more}): it never replaces or removes them "
                      "(move them away, or choose another --out)")
    return ours


def _listed(folder: Path) -> set[str]:
    """The catalog's list of its files; for a catalog written before there was one, the
    files its opds.json names."""
    try:
        lines = (folder / WRITTEN).read_text(encoding="utf-8").splitlines()
        return {line for line in lines if line and not line.startswith("#")}
    except FileNotFoundError:
        pass
    except (OSError, UnicodeDecodeError):
        return set()
    try:
        feed = json.loads((folder / "opds.json").read_bytes())
        hrefs = [link["href"] for book in feed["publications"]
                 for link in book["links"] + book["images"]]
    except (OSError, ValueError, KeyError, TypeError):
        return set()
    return set(FEEDS) | {unquote(h) for h in hrefs if isinstance(h, str)}


def _list_written(folder: Path, old: set[str], new: set[str]) -> None:
    if new != old or not (folder / WRITTEN).is_file():
        text = "# the files taidan catalog wrote in this folder: the only ones it replaces or removes\n"
        write_atomic(folder / WRITTEN, (text + "".join(f"{name}\n" for name in sorted(new))).encode())


def _same(path: Path, data: bytes) -> bool:
    """Unchanged files are not rewritten (their times stay, a reading app's cache holds)."""
    try:
        return path.stat().st_size == len(data) and path.read_bytes() == data
    except OSError:
        return False


def _href(sub: str, name: str) -> str:
    return f"{sub}/{quote(name)}"


def _render(template: str, context: dict) -> bytes:
    from taidan.render.jinja import environment  # deferred: Jinja only when the catalog is written

    env = environment(FOLDER)
    return env.get_template(template).render(**context).encode("utf-8")


# ---- what the catalog says about a book ------------------------------------------------

def _identifier(m) -> str:
    """The EPUB edition's identifier; one that is not a URI (an atom:id must be) becomes a
    UUID derived from it."""
    # deferred: EbookLib and Jinja only when the catalog is written
    from taidan.editions.epub import EDITION

    identifier = EDITION.identifier(m)
    if re.match(r"[A-Za-z][A-Za-z0-9+.-]*:\S+$", identifier):
        return identifier
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, identifier)}"


def description(m) -> list[str]:
    """What the EPUB says the book is about (its description, else the lead), as paragraphs."""
    # deferred: EbookLib and Jinja only when the catalog is written
    from taidan.editions.epub_base import description as text

    return [line.strip() for line in text(m).split("\n") if line.strip()]


def _common_publisher(loaded) -> str:
    publishers = {m.meta.publisher for m in loaded}
    return publishers.pop() if len(publishers) == 1 else ""


def _cover_of(epub: Path) -> tuple[bytes, str]:
    """The cover image inside an EPUB edition (the manuscript's, or the generated one), as an
    image type OPDS allows (JPEG, PNG or GIF; anything else becomes PNG)."""
    with zipfile.ZipFile(epub) as package:
        opf_path = package_document(package)
        opf = ET.fromstring(package.read(opf_path))
        item = next(i for i in opf.iter("{http://www.idpf.org/2007/opf}item")
                    if "cover-image" in (i.get("properties") or "").split())
        data = package.read(posixpath.normpath(posixpath.join(posixpath.dirname(opf_path),
                                                              item.get("href"))))
    from PIL import Image  # deferred: Pillow only for the covers

    with Image.open(io.BytesIO(data)) as image:
        if image.format in IMAGE_TYPES:
            return data, IMAGE_TYPES[image.format]
        converted = io.BytesIO()
        image.save(converted, "PNG")
        return converted.getvalue(), "image/png"


def _thumbnail(data: bytes) -> bytes:
    """A small JPEG of the cover; the same cover gives the same bytes."""
    from PIL import Image  # deferred: Pillow only for the covers

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
    from PIL import Image  # deferred: Pillow only for the covers

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

