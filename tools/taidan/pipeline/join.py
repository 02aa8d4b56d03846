"""Joins the PDFs of a long book's pieces (taidan.pipeline.pieces) into the one PDF the whole
book would have been, with pikepdf: the pages in order, one structure tree, the bookmarks,
the named destinations the links point to, the document's metadata.

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


def join(pieces: list[tuple[bytes, bool, list[int]]]) -> bytes:
    """``pieces``: (PDF, whether its last page is a stub to leave out, the bookmark-level of
    each of its bookmarks in order), in the book's order. The levels place a piece's
    bookmarks under those of the pieces before it (a PDF keeps only each one's depth)."""
    sources = [(pikepdf.open(io.BytesIO(data)), stub) for data, stub, _ in pieces]
    out = Pdf.new()
    first = sources[0][0]
    out.docinfo = _copy(out, first, first.docinfo)
    for key in _CATALOG_KEEP:
        if key in first.Root:
            out.Root[key] = _copy(out, first, first.Root[key])

    document = out.make_indirect(Dictionary(Type=Name.StructElem, S=Name.Document, K=Array()))
    page_mcids, annotation_parents, outline, dests = [], [], [], []
    for (pdf, stub), (_, _, levels) in zip(sources, pieces):
        kept = len(pdf.pages) - (1 if stub else 0)
        start = len(out.pages)
        for page in list(pdf.pages)[:kept]:
            out.pages.append(page)
        index = {pdf.pages[i].obj.objgen: start + i for i in range(kept)}  # piece's page -> out's
        _structure(out, pdf, index, document, page_mcids, annotation_parents, start, kept)
        marks = _outline(pdf.Root.get("/Outlines"), index)
        if len(marks) != len(levels):
            raise ValueError(f"{len(marks)} bookmarks in a piece, {len(levels)} levels")
        outline += list(zip(levels, marks))
        names = pdf.Root.get("/Names", {}).get("/Dests", {}).get("/Names", [])
        for name, dest in zip(names[::2], names[1::2]):
            if dest[0].objgen in index:
                dests.append((bytes(name), _copy(out, pdf, dest)))

    _parent_tree(out, document, page_mcids, annotation_parents)
    if outline:
        out.Root.Outlines = _outline_tree(out, _nested(outline))
    if dests:
        names = Array()
        for name, dest in sorted(dests, key=lambda item: item[0]):
            names.append(pikepdf.String(name))
            names.append(dest)
        out.Root.Names = Dictionary(Dests=Dictionary(Names=names))
    buffer = io.BytesIO()
    out.save(buffer, deterministic_id=True, min_version=max(p.pdf_version for p, _ in sources),
             object_stream_mode=pikepdf.ObjectStreamMode.generate, compress_streams=True)
    return buffer.getvalue()


def _copy(out, source, obj):
    """``obj`` of ``source`` copied into ``out`` (the objects it refers to with it, each once:
    QPDF maps what it copied from a file, so a page copied twice is one page)."""
    return out.copy_foreign(obj if obj.is_indirect else source.make_indirect(obj))


def _structure(out, pdf, index, document, page_mcids, annotation_parents, start, kept) -> None:
    """The piece's page fragments of the structure tree (WeasyPrint gives each page its own
    top-level elements) go under ``document``, and each page's and link's entry of the
    parent tree is kept to be numbered again."""
    root = pdf.Root.get("/StructTreeRoot")
    if root is None:
        return
    for element in root.K[0].K:
        page = element.get("/Pg")
        if page is not None and page.objgen not in index:
            continue  # on the stub page
        copied = _copy(out, pdf, element)
        copied.P = document
        document.K.append(copied)
    nums = root.ParentTree.Nums
    entries = dict(zip((int(k) for k in nums[::2]), nums[1::2]))
    for i in range(kept):
        page_mcids.append(_copy(out, pdf, entries[i]))
        out.pages[start + i].obj.StructParents = start + i
    for i in range(kept):
        for annotation in out.pages[start + i].obj.get("/Annots", []):
            if "/StructParent" in annotation:
                element = _copy(out, pdf, entries[int(annotation.StructParent)])
                annotation_parents.append((annotation, element))


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
