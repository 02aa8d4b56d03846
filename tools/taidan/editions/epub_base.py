"""What the two EPUB 3 editions share: the documents of the book, its metadata, packaging.

``epub`` and ``epub-vertical`` are each one small module holding an ``EpubEdition``
(like Sphinx's EPUB builder: one class per format sharing a base). The XHTML, the
navigation page and the stylesheet come from Jinja templates; EbookLib writes the
package (OPF, NCX, container); ``epub_zip`` makes the archive byte-for-byte reproducible.

Templates are looked up in the edition's folder, then ``templates/epub/``, then
``templates/shared/``: the vertical edition overrides only what differs.
"""

from __future__ import annotations

import io
import mimetypes
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from functools import lru_cache

import jinja2
from ebooklib import epub

from taidan.editions import cover, epub_zip
from taidan.editions.registry import EDITIONS
from taidan.engines.fonts import font
from taidan.model import inline_nodes, plain_text
from taidan.render.jinja import Loader, environment, house, project_templates, search_path, words

XHTML = "application/xhtml+xml"
# EPUB 2 guide types of the nav's landmarks (older reading systems read the guide)
GUIDE_TYPES = {"cover": "cover", "titlepage": "title-page", "toc": "toc", "bodymatter": "text",
               "colophon": "colophon"}
# MARC relator codes for the credit roles commonly written in manuscripts
RELATORS = {"写真": "pht", "撮影": "pht", "文": "aut", "構成": "aut", "編集": "edt",
            "取材": "ivr", "聞き手": "ivr", "翻訳": "trl", "通訳": "trl",
            "photo": "pht", "photos": "pht", "photography": "pht", "text": "aut",
            "writer": "aut", "author": "aut", "editor": "edt", "editing": "edt",
            "interviewer": "ivr", "translation": "trl", "translator": "trl"}


@dataclass
class Document:
    """One XHTML file of the book: where it goes, what the contents call it, how it's made."""
    uid: str
    title: str
    template: str
    context: dict = field(default_factory=dict)
    landmark: str = ""  # epub:type of the nav landmark pointing here, if any

    @property
    def href(self) -> str:
        return f"text/{self.uid}.xhtml"

    @property
    def blocks(self) -> list:
        """The manuscript's blocks this document shows (the lead's, a part's, a section's)."""
        blocks = list(self.context.get("blocks", []))
        if self.context.get("part"):
            blocks += self.context["part"].blocks
        if self.context.get("section"):
            blocks += self.context["section"].blocks
        return blocks


def relator_codes(role: str) -> list[str]:
    """写真・文・編集 -> [pht, aut, edt]: MARC codes for the parts of a credit we know."""
    codes = []
    for piece in role.replace("／", "・").replace("/", "・").replace("、", "・").split("・"):
        code = RELATORS.get(piece.strip().lower())
        if code and code not in codes:
            codes.append(code)
    return codes


class EpubEdition:
    """An EPUB 3 edition: its name, its template folder, its direction and its fonts."""

    def __init__(self, name: str, *, vertical: bool, fonts: list[tuple[str, str, str]],
                 latin_fonts: list[tuple[str, str, str]] = ()):
        self.name = name  # in the registry: the files it writes, the languages it is for
        self.vertical = vertical  # the writing direction
        # with --embed-fonts: (CSS family, weight, font role in taidan.engines.fonts); a role ending
        # in "italic" is an italic face. Japanese and Chinese books embed ``fonts``, books
        # in other languages ``latin_fonts``.
        self.fonts = fonts
        self.latin_fonts = list(latin_fonts)

    # ---- the edition interface ---------------------------------------------------------

    def applies(self, m) -> bool:
        return EDITIONS[self.name].applies(m)

    def outputs(self, m) -> list[str]:
        return EDITIONS[self.name].files(m)

    def produce(self, m, options) -> dict[str, bytes]:
        if not self.applies(m):
            return {}  # e.g. vertical writing, for the languages the registry names
        return {self.outputs(m)[0]: self.package(m, options.embed_fonts, options.certified_by,
                                                 readalong=True, audio_bitrate=options.audio_bitrate)}

    # ---- rendering ---------------------------------------------------------------------

    def environment(self) -> jinja2.Environment:
        return self._environment(project_templates())

    @lru_cache(maxsize=None)
    def _environment(self, project) -> jinja2.Environment:
        env = environment(self.name).overlay(loader=Loader(search_path(self.name, "epub")),
                                             cache_size=400)
        env.filters = dict(env.filters)  # the overlay shares the base's dict: copy first
        env.filters.update(self.filters())
        return env

    def filters(self) -> dict:
        """Extra Jinja filters for this edition's templates."""
        return {}

    def render(self, template: str, m, **context) -> str:
        return self.environment().get_template(template).render(
            m=m, w=words(m.meta.lang), vertical=self.vertical, **context)

    # ---- the book ----------------------------------------------------------------------

    def identifier(self, m) -> str:
        """The manuscript's own identifier, else a UUID derived from it (stable across builds)."""
        if m.meta.identifier:
            return m.meta.identifier
        key = f"taidan:{self.name}:{m.meta.title}:{m.meta.date}"
        return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, key)}"

    def documents(self, m) -> list[Document]:
        w = words(m.meta.lang)
        docs = [Document("cover", w["cover"], "cover.xhtml", landmark="cover"),
                Document("titlepage", w["title_page"], "titlepage.xhtml", landmark="titlepage"),
                Document("nav", w["contents"], "nav.xhtml", landmark="toc")]
        body = []
        if m.lead:
            body.append(Document("lead", w["lead"], "lead.xhtml", {"blocks": m.lead}))
        titled_parts = any(p.title for p in m.parts)
        for part in m.parts:
            heading = part if (part.title or part.blocks) else None
            if not part.sections:
                body.append(Document(part.anchor, part.title_text, "section.xhtml",
                                     {"part": heading, "section": None}))
            for i, section in enumerate(part.sections):
                body.append(Document(section.anchor, section.title_text, "section.xhtml",
                                     {"part": heading if i == 0 else None, "section": section,
                                      "section_tag": "h2" if titled_parts else "h1"}))
        if body:
            body[0].landmark = "bodymatter"
        for doc in body:
            numbers = {n.number for n in inline_nodes(doc.blocks) if n.kind == "noteref"}
            doc.context["notes"] = [n for n in m.notes if n.number in numbers]
        placed = {n.number for doc in body for n in doc.context["notes"]}
        if body:  # a note referred to from a heading: at the end of the last document
            body[-1].context["notes"] += [n for n in m.notes if n.number not in placed]
        docs += body
        docs.append(Document("colophon", w["colophon"], "colophon.xhtml", landmark="colophon"))
        return docs

    def contents(self, m, docs: list[Document]) -> list:
        """The table of contents as nested entries (title, href from text/, children)."""
        by_uid = {d.uid: d for d in docs}
        entries = []
        if "lead" in by_uid:
            entries.append((by_uid["lead"].title, "lead.xhtml", []))
        for part in m.parts:
            sections = [(s.title_text, f"{s.anchor}.xhtml", []) for s in part.sections]
            if part.title:
                # the part's heading opens the document of its first section
                first = part.sections[0].anchor if part.sections else part.anchor
                entries.append((part.title_text, f"{first}.xhtml", sections))
            else:
                entries += sections
        entries.append((by_uid["colophon"].title, "colophon.xhtml", []))
        return entries

    def package(self, m, embed_fonts: bool, certified_by: str = "", readalong: bool = False,
                audio_bitrate: int | None = None) -> bytes:
        """The EPUB file of manuscript ``m``; with ``readalong``, and a recording in its front
        matter, with the recording and its Media Overlays (taidan.editions.readalong)."""
        heard = None
        if readalong and m.audio_path is not None:
            from taidan.editions import readalong as overlays  # deferred: a recording's book alone

            heard = overlays.recording(m, audio_bitrate, self.name)
            clips = overlays.clips(m, heard.length)
            if not clips:  # a recording without time codes: nothing to play along with
                overlays.untimed(m, self.name)
                heard = None
        images = {}  # source path -> path in the package: one file per distinct image
        for image in m.images:
            images.setdefault(image.path, f"images/image-{len(images) + 1}{image.path.suffix.lower()}")
        if m.cover_path:
            cover_file, cover_data = f"images/cover{m.cover_path.suffix.lower()}", m.cover_path.read_bytes()
        else:
            cover_file, cover_data = "images/cover.png", cover.generate(m)
        faces = self.fonts if m.cjk or not self.latin_fonts else self.latin_fonts
        embedded = [{"family": family, "weight": weight, "role": role, "file": f"fonts/{role}.woff",
                     "style": "italic" if role.endswith("italic") else "normal", "path": font(role), "covered": None}
                    for family, weight, role in faces] + house_faces() if embed_fonts else []

        docs = self.documents(m)
        entries = self.contents(m, docs)
        context = dict(docs=docs, entries=entries, cover_href=f"../{cover_file}",
                       image_href=lambda image: f"../{images[image.path]}",
                       identifier=self.identifier(m), embedded=embedded,
                       has_images=bool(m.images), readalong={"times": {}} if heard else None)
        rendered = {d.uid: self.render(d.template, m, doc=d, **d.context, **context).encode("utf-8")
                    for d in docs}
        css = self.render("book.css", m, **context).encode("utf-8")

        book = epub.EpubBook()
        book.FOLDER_NAME = "EPUB"
        book.metadata = {}  # drop EbookLib's generator line and random identifier
        self.metadata(book, m, certified_by)
        book.add_item(_item("css", "style/book.css", css))
        book.add_item(_item("cover-image", cover_file, cover_data, "cover-image"))
        book.add_metadata(None, "meta", "", {"name": "cover", "content": "cover-image"})
        for number, (path, name) in enumerate(images.items(), 1):
            book.add_item(_item(f"image-{number}", name, path.read_bytes()))
        if embedded:
            # deferred: fontTools' subsetter only with --embed-fonts
            from taidan.editions.epub_fonts import subset_woff

            text = "".join(_text_of(data) for data in rendered.values()) + css.decode("utf-8")
            for face in {face["file"]: face for face in embedded}.values():  # one file may serve two weights
                book.add_item(_item(f"font-{face['role']}", face["file"], subset_woff(face["path"], text)))
        items = [_item(d.uid, d.href, rendered[d.uid], "nav" if d.uid == "nav" else "")
                 for d in docs]
        for item in items:
            book.add_item(item)
        if heard:
            self.overlays(book, docs, items, heard, clips)
        book.add_item(epub.EpubNcx())
        book.spine = items
        book.toc = [_toc_entry(e, str(n)) for n, e in enumerate(entries, 1)]
        book.guide = [{"href": d.href, "title": d.title, "type": GUIDE_TYPES[d.landmark]}
                      for d in docs if d.landmark]
        if self.vertical:
            book.set_direction("rtl")

        raw = io.BytesIO()
        # dcterms:modified: the manuscript's date, in UTC, never the clock
        writer = _Writer(raw, book, {"mtime": m.meta.moment, "epub3_landmark": False,
                                             "epub3_pages": False, "raise_exceptions": True})
        writer.process()
        writer.write()
        data = epub_zip.reproducible(raw.getvalue())
        if heard:
            overlays.warn_size(m, len(data), self.name)
        return data

    def overlays(self, book: epub.EpubBook, docs: list[Document], items: list, heard, clips) -> None:
        """The recording, one Media Overlay (SMIL) per document with timed passages, and
        the durations: each overlay's, and the book's, their sum."""
        from taidan.editions import readalong as overlays  # deferred: as in package

        audio = f"{overlays.AUDIO_FILE}{heard.suffix}"
        book.add_item(_item("recording", audio, heard.data, media_type=heard.media_type))
        total = 0
        for doc, item in zip(docs, items, strict=True):
            passages = [clips[n.id] for n in overlays.timed_in(doc.blocks) if n.id in clips]
            if not passages:
                continue
            uid = f"smil-{doc.uid}"
            book.add_item(_item(uid, f"smil/{doc.uid}.smil",
                                overlays.smil(f"../{doc.href}", passages, f"../{audio}"),
                                media_type="application/smil+xml"))
            item.media_overlay = uid
            length = sum(clip.end - clip.begin for clip in passages)
            total += length
            book.add_metadata(None, "meta", overlays.clock(length),
                              {"property": "media:duration", "refines": f"#{uid}"})
        book.add_metadata(None, "meta", overlays.clock(total), {"property": "media:duration"})
        book.add_metadata(None, "meta", overlays.ACTIVE_CLASS, {"property": "media:active-class"})
        for prop, value in (("accessMode", "auditory"), ("accessibilityFeature", "synchronizedAudioText")):
            book.add_metadata(None, "meta", value, {"property": f"schema:{prop}"})

    def metadata(self, book: epub.EpubBook, m, certified_by: str = "") -> None:
        meta = m.meta
        book.IDENTIFIER_ID = "pub-id"
        book.uid = self.identifier(m)  # the NCX repeats it as dtb:uid
        book.add_metadata("DC", "identifier", book.uid, {"id": "pub-id"})
        book.title = meta.title
        book.add_metadata("DC", "title", meta.title, {"id": "title"})
        book.add_metadata(None, "meta", "main", {"refines": "#title", "property": "title-type"})
        if meta.subtitle:
            book.add_metadata("DC", "title", meta.subtitle, {"id": "subtitle"})
            book.add_metadata(None, "meta", "subtitle",
                              {"refines": "#subtitle", "property": "title-type"})
        book.language = meta.lang
        book.add_metadata("DC", "language", meta.lang)
        credited = {}  # name -> MARC codes of their credits
        for credit in meta.credits:
            credited.setdefault(credit.name, []).extend(relator_codes(credit.role))
        for sp in m.speakers:  # the speakers are the book's creators: authors (aut, so that
            # library software such as calibre lists them as authors), and interviewees (ive)
            # unless the credits name them as the interviewer (or anything else)
            uid = f"creator-{sp.number}"
            book.add_metadata("DC", "creator", sp.name, {"id": uid})
            for code in dict.fromkeys(["aut", *(credited.get(sp.name) or ["ive"])]):
                book.add_metadata(None, "meta", code, {"refines": f"#{uid}", "property": "role",
                                                       "scheme": "marc:relators"})
            book.add_metadata(None, "meta", str(sp.number), {"refines": f"#{uid}",
                                                             "property": "display-seq"})
        speakers = {sp.name for sp in m.speakers}
        for number, credit in enumerate(meta.credits, 1):
            if credit.name in speakers:
                continue  # already a creator
            book.add_metadata("DC", "contributor", credit.name, {"id": f"contributor-{number}"})
            for code in relator_codes(credit.role):
                book.add_metadata(None, "meta", code, {"refines": f"#contributor-{number}",
                                                       "property": "role", "scheme": "marc:relators"})
        book.add_metadata("DC", "date", meta.date)
        for name, value in (("publisher", meta.publisher), ("source", meta.source),
                            ("rights", meta.rights), ("description", description(m))):
            if value:
                book.add_metadata("DC", name, value)
        if meta.isbn:
            book.add_metadata("DC", "identifier", f"urn:isbn:{meta.isbn}", {"id": "isbn"})
        if meta.series:
            number = f"{meta.series.number:g}"
            book.add_metadata(None, "meta", meta.series.name,
                              {"property": "belongs-to-collection", "id": "series"})
            book.add_metadata(None, "meta", "series", {"refines": "#series",
                                                       "property": "collection-type"})
            book.add_metadata(None, "meta", number, {"refines": "#series",
                                                     "property": "group-position"})
            # what calibre and older reading systems read
            book.add_metadata(None, "meta", "", {"name": "calibre:series",
                                                 "content": meta.series.name})
            book.add_metadata(None, "meta", "", {"name": "calibre:series_index",
                                                 "content": number})
        self.accessibility(book, m, certified_by)
        if self.vertical:  # Kindle reads this, not the CSS
            book.add_metadata(None, "meta", "", {"name": "primary-writing-mode",
                                                 "content": "vertical-rl"})

    def accessibility(self, book: epub.EpubBook, m, certifier: str) -> None:
        """EPUB Accessibility 1.1 (schema.org) metadata: what the book offers to whom."""
        def schema(prop, value):
            book.add_metadata(None, "meta", value, {"property": f"schema:{prop}"})

        schema("accessMode", "textual")
        schema("accessMode", "visual")  # the cover, and images if any
        schema("accessModeSufficient", "textual")
        features = ["structuralNavigation", "tableOfContents", "readingOrder",
                    "displayTransformability", "alternativeText"]
        if _has_ruby(m):
            features.append("rubyAnnotations")
        features.append("verticalWriting" if self.vertical else "horizontalWriting")
        for feature in features:
            schema("accessibilityFeature", feature)
        schema("accessibilityHazard", "none")
        summary = self.render("accessibility-summary.txt", m, has_images=bool(m.images)).strip()
        schema("accessibilitySummary", summary)
        # A conformance claim needs someone who evaluated the book and answers for it: made
        # only when taidan.toml names them ([accessibility] certified_by, in the Options).
        # The features above are what the tests check (EPUBCheck, DAISY Ace, the XHTML).
        if certifier:
            book.add_metadata(None, "meta", "EPUB Accessibility 1.1 - WCAG 2.1 Level AA",
                              {"property": "dcterms:conformsTo", "id": "conformance"})
            book.add_metadata(None, "meta", certifier,
                              {"property": "a11y:certifiedBy", "refines": "#conformance"})


def house_faces() -> list[dict]:
    """The fonts of taidan.toml's [style], to embed like the built-in ones, each style of
    each face: the stylesheet (_house.css) asks for ``taidan-house-<role>``."""
    from taidan.config.style import CSS  # deferred: as the module's other imports of config

    return [{"family": f"taidan-house-{face.role}", "weight": "bold" if CSS[style][0] == 700 else "normal",
             "style": CSS[style][1], "role": f"house-{face.role}-{style.replace('_', '-')}",
             "file": f"fonts/house-{face.role}-{style.replace('_', '-')}.woff", "path": path, "house": True,
             "covered": covered}
            for face in house().faces for style, path, covered in face.font_faces()]


def description(m) -> str:
    """The front matter's description, else the lead as plain text (what a library shows)."""
    if m.meta.description:
        return m.meta.description
    paragraphs = []
    for block in m.lead:
        if block.kind == "turn":
            paragraphs += [plain_text(p) for p in block.paragraphs]
        elif block.kind in ("prose", "narration"):
            paragraphs.append(plain_text(block.inlines))
    return "\n".join(paragraphs)


def _has_ruby(m) -> bool:
    blocks = m.lead + [b for p in m.parts for b in p.blocks] + [b for s in m.sections for b in s.blocks]
    titles = [n for s in m.sections for n in s.title] + [n for p in m.parts for n in p.title or []]
    notes = [n for note in m.notes for n in note.inlines]
    return any(n.kind == "ruby" for n in [*inline_nodes(blocks), *titles, *notes])


class _Writer(epub.EpubWriter):
    def _write_opf_file(self, root):
        # the package's language, which EbookLib leaves out (DAISY Ace: a serious violation)
        root.set("{http://www.w3.org/XML/1998/namespace}lang", self.book.language)
        super()._write_opf_file(root)


def _item(uid: str, name: str, content: bytes, properties: str = "",
          media_type: str = "") -> epub.EpubItem:
    """A file of the package, added as it is (EbookLib's EpubHtml would rebuild XHTML)."""
    if not media_type:
        media_type = XHTML if name.endswith(".xhtml") else \
            "font/woff" if name.endswith(".woff") else mimetypes.guess_type(name)[0]
    item = epub.EpubItem(uid=uid, file_name=name, media_type=media_type, content=content)
    if properties:
        item.properties = [properties]
    return item


def _toc_entry(entry, uid: str):
    title, href, children = entry
    href = f"text/{href}"
    if not children:
        return epub.Link(href, title, f"nav-{uid}")
    return (epub.Section(title, href),
            [_toc_entry(child, f"{uid}-{n}") for n, child in enumerate(children, 1)])


def _text_of(xhtml: bytes) -> str:
    """The characters a document shows, for font subsetting."""
    return "".join(ET.fromstring(xhtml).itertext())
