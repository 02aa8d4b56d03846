"""Joins the PDFs of a long book's pieces (taidan.pipeline.pieces; print-vertical's, laid out
a piece at a time by Chromium) into the one PDF the whole book would have been, with
pikepdf: the pages in order, one structure tree, the bookmarks, the named destinations the
links point to, the document's metadata; and for print-vertical the folios and running
heads, printed apart, drawn on the pages as artifacts.

Each piece's last page may be a stub, the first page of the next piece laid out only to
make the blank page before it (if any) the way the whole book makes it; it is left out,
and so is what the structure tree, the bookmarks and the destinations say about it.

What pikepdf (QPDF) cannot do, so the joined file differs from the whole book's in bytes,
never in what it shows or says: it cannot merge the subsets of one font that each piece
embeds (a face appears once per piece: the file grows by the glyphs the pieces share), and
it numbers objects its own way. The ``/ID`` is computed from the content
(``deterministic_id``), and nothing else in the file depends on the time.
"""

from __future__ import annotations

import io

import pikepdf
from pikepdf import Array, Dictionary, Name, Pdf

# the catalog's entries each piece has, taken from the first (the title page's)
_CATALOG_KEEP = ("/Lang", "/MarkInfo", "/ViewerPreferences", "/Metadata", "/OutputIntents")


def join(pieces: list[tuple[bytes, bool, list[int]]], furniture: bytes | None = None,
         continued: frozenset[int] = frozenset()) -> bytes:
    """``pieces``: (PDF, whether its last page is a stub to leave out, the bookmark-level of
    each of its bookmarks in order), in the book's order. The levels place a piece's
    bookmarks under those of the pieces before it (a PDF keeps only each one's depth).
    ``furniture``: a PDF of as many pages as the book, drawn over its pages as artifacts
    (print-vertical's folios and running heads, which Chromium cannot number on across
    pieces). ``continued``: the pieces whose first top-level tag continues the one the
    piece before ended with (Chromium tags a whole <main>, which a piece holds a part of):
    its children join that one's."""
    sources = [(pikepdf.open(io.BytesIO(data)), stub) for data, stub, _ in pieces]
    out = Pdf.new()
    first = sources[0][0]
    out.docinfo = _copy(out, first, first.docinfo)
    for key in _CATALOG_KEEP:
        if key in first.Root:
            out.Root[key] = _copy(out, first, first.Root[key])

    document = out.make_indirect(Dictionary(Type=Name.StructElem, S=Name.Document, K=Array()))
    page_mcids, annotation_parents, outline, dests = [], [], [], {}
    for k, ((pdf, stub), (_, _, levels)) in enumerate(zip(sources, pieces)):
        kept = len(pdf.pages) - (1 if stub else 0)
        start = len(out.pages)
        for page in list(pdf.pages)[:kept]:
            out.pages.append(page)
        index = {pdf.pages[i].obj.objgen: start + i for i in range(kept)}  # piece's page -> out's
        _structure(out, pdf, index, document, page_mcids, annotation_parents, start, kept,
                   k in continued)
        marks = _outline(pdf.Root.get("/Outlines"), index)
        if len(marks) != len(levels):
            raise ValueError(f"{len(marks)} bookmarks in a piece, {len(levels)} levels")
        outline += list(zip(levels, marks))
        for name, dest in _destinations(pdf):
            if dest[0].objgen in index:  # a later piece's wins: where the target was laid out
                dests[name] = _copy(out, pdf, dest)

    if furniture is not None:
        _overlay(out, pikepdf.open(io.BytesIO(furniture)))
    _parent_tree(out, document, page_mcids, annotation_parents)
    if outline:
        out.Root.Outlines = _outline_tree(out, _nested(outline))
    if dests:
        names = Array()
        for name, dest in sorted(dests.items()):
            names.append(pikepdf.String(name))
            names.append(dest)
        out.Root.Names = Dictionary(Dests=Dictionary(Names=names))
    buffer = io.BytesIO()
    out.save(buffer, deterministic_id=True, min_version=max(p.pdf_version for p, _ in sources),
             object_stream_mode=pikepdf.ObjectStreamMode.generate, compress_streams=True)
    return buffer.getvalue()


def _destinations(pdf) -> list[tuple[bytes, object]]:
    """The named destinations: in the name tree (WeasyPrint's, flat) or the catalog's
    /Dests (Chromium's)."""
    names = pdf.Root.get("/Names", {}).get("/Dests", {}).get("/Names", [])
    found = [(bytes(name), dest) for name, dest in zip(names[::2], names[1::2])]
    for name, dest in pdf.Root.get("/Dests", {}).items():
        found.append((name[1:].encode(), dest))
    return found


def _overlay(out, furniture) -> None:
    """Each page of ``furniture`` drawn on the book's page of the same number, before the
    page's own content (where Chromium draws a page's margin boxes: text extraction reads
    them in the same order), marked as an artifact of pagination: no tag points to it, so
    the structure tree stays the pieces'."""
    if len(furniture.pages) != len(out.pages):
        raise ValueError(f"{len(furniture.pages)} pages of folios for a book of {len(out.pages)}")
    for page, over in zip(out.pages, furniture.pages):
        name = page.add_resource(out.copy_foreign(over.as_form_xobject()), Name.XObject,
                                 Name.TaidanFurniture, replace_existing=False)  # pikepdf's prefix= is random
        page.contents_add(pikepdf.Stream(out, b"/Artifact <</Type /Pagination>> BDC\nq "
                                         + str(name).encode() + b" Do Q\nEMC\n"), prepend=True)


def _copy(out, source, obj):
    """``obj`` of ``source`` copied into ``out`` (the objects it refers to with it, each once:
    QPDF maps what it copied from a file, so a page copied twice is one page)."""
    return out.copy_foreign(obj if obj.is_indirect else source.make_indirect(obj))


def _structure(out, pdf, index, document, page_mcids, annotation_parents, start, kept,
               continues: bool = False) -> None:
    """The piece's page fragments of the structure tree (WeasyPrint gives each page its own
    top-level elements) go under ``document`` (the first one's children under the last
    element there, if it ``continues`` it), and each page's and link's entry of the parent
    tree is kept to be numbered again."""
    root = pdf.Root.get("/StructTreeRoot")
    if root is None:
        return
    top = root.K if isinstance(root.K, Dictionary) else root.K[0]  # Chromium's / WeasyPrint's
    for element in _kids(top):
        page = element.get("/Pg")
        if page is not None and page.objgen not in index:
            continue  # on the stub page
        copied = _copy(out, pdf, element)
        if continues and len(document.K):
            last = document.K[-1]
            for kid in _kids(copied):
                if isinstance(kid, Dictionary) and "/S" in kid:
                    kid.P = last
            last.K = Array([*_kids(last), *_kids(copied)])
            continues = False
            continue
        copied.P = document
        document.K.append(copied)
    nums = root.ParentTree.Nums
    entries = dict(zip((int(k) for k in nums[::2]), nums[1::2]))
    for i in range(kept):  # WeasyPrint numbers a page's entry as the page, Chromium not
        key = pdf.pages[i].obj.get("/StructParents")
        page_mcids.append(_copy(out, pdf, entries[int(key)]) if key is not None else Array())
        out.pages[start + i].obj.StructParents = start + i
    for i in range(kept):
        for annotation in out.pages[start + i].obj.get("/Annots", []):
            if "/StructParent" in annotation:
                element = _copy(out, pdf, entries[int(annotation.StructParent)])
                annotation_parents.append((annotation, element))


def _kids(element) -> list:
    kids = element.get("/K")
    return [kids] if isinstance(kids, Dictionary) else list(kids) if kids is not None else []


def _parent_tree(out, document, page_mcids, annotation_parents) -> None:
    """One parent tree, numbered as WeasyPrint numbers it: the pages, then the links."""
    nums = Array()
    for i, mcids in enumerate(page_mcids):
        nums.append(i)
        nums.append(mcids)
    for i, (annotation, element) in enumerate(annotation_parents, start=len(page_mcids)):
        annotation.StructParent = i
        nums.append(i)
        nums.append(element)
    parent_tree = out.make_indirect(Dictionary(Nums=nums))
    root = out.make_indirect(Dictionary(Type=Name.StructTreeRoot, K=Array([document]),
                                        ParentTree=parent_tree, ParentTreeNextKey=len(nums) // 2))
    document.P = root
    out.Root.StructTreeRoot = root


def _outline(outlines, index) -> list:
    """The piece's bookmarks in order, each (title, page, rest of the destination, open);
    the ones on a stub page are None (their level is still counted)."""
    items = []
    item = outlines.get("/First") if outlines is not None else None
    while item is not None:
        dest = item.Dest
        page = index.get(dest[0].objgen)
        items.append(None if page is None else (item.Title, page, list(dest)[1:],
                                                   int(item.get("/Count", 0)) >= 0))
        items += _outline(item, index)
        item = item.get("/Next")
    return items


def _nested(marks: list) -> list:
    """The book's bookmarks, each (level, title, page, destination, open), as a tree of
    (title, page, destination, open, children): WeasyPrint's make_page_bookmark_tree
    (weasyprint/anchors.py), which skips missing levels the same way."""
    root, skipped, previous = [], [], 0
    last_by_depth = [root]
    for level, mark in marks:
        if level > previous:
            skipped.append(level - previous - 1)
        else:
            temp = level
            while temp < previous:
                temp += 1 + skipped.pop()
            if temp > previous:
                skipped.append(temp - previous - 1)
        previous = level
        depth = level - sum(skipped)
        children = []
        if mark is not None:
            last_by_depth[depth - 1].append((*mark, children))
        del last_by_depth[depth:]
        last_by_depth.append(children)
    return root


def _outline_tree(out, items, parent=None):
    """The bookmarks written back as WeasyPrint writes them (weasyprint/pdf/anchors.py)."""
    root = parent if parent is not None else out.make_indirect(Dictionary(Type=Name.Outlines))
    made, count = [], 0
    for title, page, rest, opened, children in items:
        entry = out.make_indirect(Dictionary(Title=title, Parent=root,
                                             Dest=Array([out.pages[page].obj, *rest])))
        shown = _outline_tree(out, children, entry) if children else 0
        if children:
            entry.Count = shown if opened else -shown
        else:
            entry.Count = 0
        count += 1 + (shown if opened else 0)
        if made:
            made[-1].Next, entry.Prev = entry, made[-1]
        made.append(entry)
    if made:
        root.First, root.Last = made[0], made[-1]
    root.Count = count
    return count if parent is not None else root
