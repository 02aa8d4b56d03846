"""The PDF/UA-1 rules: what ISO 14289-1 asks that a program can check. Each rule names its
clause of ISO 14289-1 and the failure condition of the PDF Association's Matterhorn Protocol
1.1 (the list of what fails PDF/UA, numbered checkpoint-condition: 01-005, 13-004 ...).

What only a person can judge (is the alt text right, is the reading order the order of the
meaning) is not here: the tests look at taidan's own structure trees for that.

The structure tree is read once (``Tree``): which marked content it claims on which page,
its headings in reading order, its pictures and notes. The pages are then read, content
stream and Form XObjects, operator by operator, for content that is neither tagged nor an
artifact.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pikepdf

from taidan.publish.preflight import Finding
from taidan.publish.preflight.document import _xmp
from taidan.publish.preflight.pages import _fonts

DEPTH = 64  # deeper structure trees and nested forms are broken files, not books
# Operators that put marks on the page (ISO 32000-1, 8.2 Table 51): text showing,
# path painting (not n, which only ends a clipping path), shadings, XObjects, inline images.
PAINTING = {"Tj", "TJ", "'", '"', "S", "s", "f", "F", "f*", "B", "B*", "b", "b*", "sh", "Do",
            "INLINE IMAGE"}
# The character collections whose predefined CMaps let a reader find Unicode without a
# ToUnicode map (ISO 14289-1, 7.21.7)
COLLECTIONS = {"GB1", "CNS1", "Japan1", "Korea1"}
SIMPLE_ENCODINGS = {"/MacRomanEncoding", "/MacExpertEncoding", "/WinAnsiEncoding"}


@dataclass
class Tree:
    """What the structure tree says: (page, MCID) pairs it holds, headings, pictures, notes."""

    claimed: set = field(default_factory=set)  # (page objgen, MCID)
    headings: list = field(default_factory=list)  # (page number, level), in reading order
    figures_without_alt: list = field(default_factory=list)  # page numbers
    notes: list = field(default_factory=list)  # (page number, ID or '')


def findings(pdf: pikepdf.Pdf) -> Iterator[Finding]:
    """Every PDF/UA-1 rule, the document's first (page 0), then page by page."""
    yield from _document(pdf, _xmp(pdf))
    root = pdf.Root.get("/StructTreeRoot")
    numbers = {page.objgen: n for n, page in enumerate(pdf.pages, 1)}
    # no tree: _document said so, and every page's content is untagged (found below)
    tree = _read(root, numbers) if isinstance(root, pikepdf.Dictionary) else Tree()
    yield from _headings(tree.headings)
    # 13-004 (ISO 14289-1, 7.3): a Figure has alternate text
    for number in tree.figures_without_alt:
        yield Finding(number, "a picture (Figure) has no alternate text (Alt)",
                      "give every picture a description for readers who cannot see it")
    yield from _notes(tree.notes)
    fonts_seen: set = set()
    for number, page in enumerate(pdf.pages, 1):
        yield from _content(number, page, tree.claimed)
        yield from _annotations(number, page)
        yield from _unicode(number, page, fonts_seen)


def _document(pdf: pikepdf.Pdf, xmp: dict[str, str]) -> Iterator[Finding]:
    root = pdf.Root
    if "/Metadata" not in root:  # 06-001 (ISO 14289-1, 5 and 7.1)
        yield Finding(0, "the file has no XMP metadata", "export it as PDF/UA-1")
    elif xmp["pdfuaid:part"] != "1":  # 06-002 (ISO 14289-1, 5): the identification schema
        yield Finding(0, "the file does not say it is PDF/UA-1: no pdfuaid:part in its XMP",
                      "export it as PDF/UA-1 from the program that made it")
    if "/StructTreeRoot" not in root:  # ISO 14289-1, 7.1: the file is tagged
        yield Finding(0, "the file is not tagged (no structure tree)",
                      "make it with tags: screen readers read the tags, not the page")
    mark_info = root.get("/MarkInfo")  # ISO 14289-1, 7.1 (ISO 32000-1, 14.7.1)
    if not (isinstance(mark_info, pikepdf.Dictionary) and mark_info.get("/Marked") is True):
        yield Finding(0, "MarkInfo does not say Marked true", "make the PDF as a tagged PDF")
    elif mark_info.get("/Suspects") is True:  # 01-007 (ISO 14289-1, 7.1)
        yield Finding(0, "MarkInfo says Suspects true: the tags may not match the content",
                      "tag the file again, or check its tags and set Suspects false")
    if not xmp["dc:title"]:  # 06-003 (ISO 14289-1, 7.1): dc:title in the XMP
        yield Finding(0, "the document has no title (dc:title)",
                      "give the document a title")
    preferences = root.get("/ViewerPreferences")  # 07-001, 07-002 (ISO 14289-1, 7.1)
    if not (isinstance(preferences, pikepdf.Dictionary) and preferences.get("/DisplayDocTitle") is True):
        yield Finding(0, "DisplayDocTitle is not true: readers show the file name, not the title",
                      "set ViewerPreferences DisplayDocTitle true")
    lang = root.get("/Lang")  # 11-001..006 (ISO 14289-1, 7.2): the natural language
    if not (isinstance(lang, pikepdf.String) and str(lang).strip()):
        yield Finding(0, "the document has no language (Lang)",
                      "set the document's language, e.g. ja or en")


def _kids(element: pikepdf.Dictionary) -> list:
    kids = element.get("/K")
    if kids is None:
        return []
    return list(kids) if isinstance(kids, pikepdf.Array) else [kids]


def _read(root: pikepdf.Dictionary, numbers: dict) -> Tree:
    """Walks the structure tree depth first, which is its reading order (ISO 32000-1, 14.7.2)."""
    tree, seen = Tree(), set()
    roles = root.get("/RoleMap")
    roles = roles if isinstance(roles, pikepdf.Dictionary) else pikepdf.Dictionary()

    def standard(name) -> str:
        for _ in range(8):  # a role map's chain ends in a standard type (02-001, 02-003)
            if name not in roles or not isinstance(roles[name], pikepdf.Name):
                break
            name = roles[name]
        return str(name)

    def walk(element, page, depth: int) -> None:
        if depth > DEPTH:
            return
        if isinstance(element, int):  # a marked-content sequence on the element's page
            tree.claimed.add((page, element))
            return
        if not isinstance(element, pikepdf.Dictionary):
            return
        if element.objgen != (0, 0):
            if element.objgen in seen:
                return
            seen.add(element.objgen)
        if "/Pg" in element and isinstance(element.Pg, pikepdf.Dictionary):
            page = element.Pg.objgen
        kind = element.get("/Type")
        if kind == pikepdf.Name.MCR:  # a marked-content reference (ISO 32000-1, 14.7.4.2)
            if isinstance(element.get("/MCID"), int):
                tree.claimed.add((page, int(element.MCID)))
            return
        if kind == pikepdf.Name.OBJR:  # an annotation: not page content
            return
        role, number = standard(element.get("/S")), numbers.get(page, 0)
        if role in {f"/H{level}" for level in range(1, 7)}:
            tree.headings.append((number, int(role[2])))
        elif role == "/Figure" and not (_said(element.get("/Alt")) or _said(element.get("/ActualText"))):
            tree.figures_without_alt.append(number)
        elif role == "/Note":
            tree.notes.append((number, str(element.get("/ID", "")).strip()))
        for kid in _kids(element):
            walk(kid, page, depth + 1)

    for top in _kids(root):
        walk(top, None, 0)
    return tree


def _said(value) -> bool:
    return isinstance(value, pikepdf.String) and bool(str(value).strip())


def _headings(headings: list) -> Iterator[Finding]:
    """Numbered headings begin with H1 (14-002) and go down one level at a time (14-003);
    ISO 14289-1, 7.4.2 (numbered headings nested in order)."""
    if headings and headings[0][1] != 1:
        number, level = headings[0]
        yield Finding(number, f"the first heading is H{level}, not H1",
                      "begin the document's headings with one H1")
    previous = 1
    for number, level in headings:
        if level > previous + 1:
            yield Finding(number, f"heading H{level} follows H{previous}: a level is skipped",
                          f"make it H{previous + 1}, or add the heading between")
        previous = level


def _notes(notes: list) -> Iterator[Finding]:
    """Every Note has an ID (19-003), each its own (19-004): ISO 14289-1, 7.9."""
    ids: set = set()
    for number, note in notes:
        if not note:
            yield Finding(number, "a footnote (Note) has no ID", "give every Note tag a unique ID")
        elif note in ids:
            yield Finding(number, f"two footnotes (Note) share the ID '{note}'",
                          "give every Note tag a unique ID")
        ids.add(note)


@dataclass
class _Marks:
    """What one page's content has that is not as PDF/UA wants it."""

    untagged: bool = False  # 01-005
    unclaimed: bool = False  # in a marked sequence whose MCID the tree does not hold (01-005)
    artifact_in_tagged: bool = False  # 01-003
    tagged_in_artifact: bool = False  # 01-004


def _mcid(operands, resources) -> int | None:
    """The MCID of a BDC's property list, given inline or by name in /Properties."""
    properties = operands[1] if len(operands) > 1 else None
    if isinstance(properties, pikepdf.Name) and isinstance(resources, pikepdf.Dictionary):
        named = resources.get("/Properties")
        properties = named.get(properties) if isinstance(named, pikepdf.Dictionary) else None
    if isinstance(properties, pikepdf.Dictionary) and isinstance(properties.get("/MCID"), int):
        return int(properties.MCID)
    return None


def _read_content(stream, resources, page, stack: list, marks: _Marks, claimed: set,
                  seen: set, depth: int = 0) -> None:
    """Reads one content stream; ``stack`` is the marked content open around it: 'artifact',
    an MCID, or None for other marks (a Span with no MCID, a /Tx BMC)."""
    try:
        instructions = pikepdf.parse_content_stream(stream)
    except pikepdf.PdfError:
        return  # a broken stream: the fonts and boxes rules still run; a viewer will complain
    for instruction in instructions:
        operands, op = instruction.operands, str(instruction.operator)
        if op in ("BMC", "BDC") and operands[0] == pikepdf.Name.Artifact:
            if any(isinstance(mark, int) for mark in stack):
                marks.artifact_in_tagged = True
            stack.append("artifact")
        elif op == "BMC":
            stack.append(None)
        elif op == "BDC":
            mcid = _mcid(operands, resources)
            if mcid is not None and "artifact" in stack:
                marks.tagged_in_artifact = True
            stack.append(mcid)
        elif op == "EMC":
            if stack:
                stack.pop()
        elif op in PAINTING:
            if op in ("Tj", "'", '"') and not bytes(operands[-1]):
                continue  # an empty string shows nothing
            marked = [mark for mark in stack if mark is not None]
            if op == "Do" and not marked:
                form = _form(resources, operands[0])
                if form is not None and form.objgen not in seen and depth < DEPTH:
                    seen.add(form.objgen)  # a form drawn twice is read once
                    _read_content(form, form.get("/Resources", resources), page, stack,
                                  marks, claimed, seen, depth + 1)
                    continue
            if not marked:
                marks.untagged = True
            elif "artifact" not in marked and (page, marked[-1]) not in claimed:
                marks.unclaimed = True


def _form(resources, name):
    xobjects = resources.get("/XObject") if isinstance(resources, pikepdf.Dictionary) else None
    form = xobjects.get(name) if isinstance(xobjects, pikepdf.Dictionary) else None
    if isinstance(form, pikepdf.Stream) and form.get("/Subtype") == pikepdf.Name.Form:
        return form
    return None


def _content(number: int, page: pikepdf.Page, claimed: set) -> Iterator[Finding]:
    """Every mark on the page is tagged (in a marked-content sequence the structure tree holds)
    or an artifact, and the two are not nested in each other: ISO 14289-1, 7.1;
    Matterhorn 01-003, 01-004, 01-005."""
    marks = _Marks()
    resources = page.obj.get("/Resources", pikepdf.Dictionary())
    if "/Contents" in page.obj:
        _read_content(page.obj, resources, page.objgen, [], marks, claimed, set())
    if marks.untagged:
        yield Finding(number, "content neither tagged nor marked as an artifact",
                      "tag the text and pictures; mark running heads, folios and rules as artifacts")
    if marks.unclaimed:
        yield Finding(number, "marked content that no element of the structure tree holds",
                      "put it in the structure tree, or mark it as an artifact")
    if marks.artifact_in_tagged:
        yield Finding(number, "an artifact inside tagged content",
                      "close the tagged sequence before the artifact begins")
    if marks.tagged_in_artifact:
        yield Finding(number, "tagged content inside an artifact",
                      "close the artifact before the tagged sequence begins")


def _annotations(number: int, page: pikepdf.Page) -> Iterator[Finding]:
    """A page with annotations orders them by structure (Tabs S: 28-008, 28-009), and a link
    says where it goes (Contents: 28-012); ISO 14289-1, 7.18.3 and 7.18.5."""
    annotations = page.obj.get("/Annots")
    if not isinstance(annotations, pikepdf.Array) or not len(annotations):
        return
    if page.obj.get("/Tabs") != pikepdf.Name.S:
        yield Finding(number, "the page has links but no Tabs S: they are not in reading order",
                      "set the page's Tabs to S")
    if any(isinstance(a, pikepdf.Dictionary) and a.get("/Subtype") == pikepdf.Name.Link
           and not _said(a.get("/Contents")) for a in annotations):
        yield Finding(number, "a link with no description (Contents)",
                      "give every link a Contents text saying where it goes")


def _unicode(number: int, page: pikepdf.Page, seen: set) -> Iterator[Finding]:
    """Every font maps its characters to Unicode (31-027; ISO 14289-1, 7.21.7): a ToUnicode
    CMap, or an encoding or character collection a reader knows. (Embedding, 31-009 and
    ISO 14289-1, 7.21.4.1, is the fonts rule every standard runs.)"""
    for key, font in _fonts(page.obj.get("/Resources"), seen):
        if "/ToUnicode" in font:
            continue
        subtype, encoding = font.get("/Subtype"), font.get("/Encoding")
        if subtype == pikepdf.Name.Type0:
            descendants = font.get("/DescendantFonts")
            info = (descendants[0].get("/CIDSystemInfo") if isinstance(descendants, pikepdf.Array)
                    and len(descendants) else None)
            if (isinstance(info, pikepdf.Dictionary) and str(info.get("/Registry", "")) == "Adobe"
                    and str(info.get("/Ordering", "")) in COLLECTIONS):
                continue
        elif subtype != pikepdf.Name.Type3 and isinstance(encoding, pikepdf.Name) and str(encoding) in SIMPLE_ENCODINGS:
            continue
        name = str(font.get("/BaseFont", font.get("/Name", key))).lstrip("/")
        yield Finding(number, f"the font {name} has no ToUnicode map: its text cannot be read aloud "
                      "or copied", "make the PDF with a program that writes ToUnicode maps")
