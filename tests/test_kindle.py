"""Send to Kindle: every known cause for Amazon to reject an EPUB, checked on every book.

Amazon publishes no list; these are the causes known from rejected books (EPUBCheck passes
them all): an XHTML file without an XML declaration naming its encoding, a link to a body's
id, no dc:language, `--` inside an XML comment, CSS custom properties, an empty alt, an img
without src, and a spine whose order differs from the NCX's.
"""

from __future__ import annotations

import re
from posixpath import dirname, join, normpath
from urllib.parse import unquote, urldefrag

from test_epub import NS, books  # noqa: F401  (the session's books)

X = "{http://www.w3.org/1999/xhtml}"
DECLARATION = re.compile(rb"""^<\?xml version=["']1\.[01]["'] encoding=["'](?i:utf-8)["']\s*\?>""")


def _documents(book):
    return [i.get("href") for i in book.manifest.values() if i.get("media-type") == "application/xhtml+xml"]


def _ncx(book):
    ncx = next(i for i in book.manifest.values() if i.get("media-type") == "application/x-dtbncx+xml")
    return ncx.get("href"), book.xml(ncx.get("href"))


def test_every_xhtml_file_starts_with_an_xml_declaration_naming_its_encoding(books):  # noqa: F811
    for key, book in books.items():
        for href in _documents(book):
            assert DECLARATION.match(book.read(href)), (key, href)


def test_no_link_points_at_a_body_id(books):  # noqa: F811
    for key, book in books.items():
        bodies, ids = {}, {}
        for href in _documents(book):
            page = book.xml(href)
            bodies[href] = page.find(f"{X}body").get("id")
            ids[href] = {e.get("id") for e in page.iter() if e.get("id")}
        links = []  # (from, href) for every a in the documents and every NCX entry
        for href in _documents(book):
            links += [(href, a.get("href")) for a in book.xml(href).iter(f"{X}a") if a.get("href")]
        ncx_href, ncx = _ncx(book)
        links += [(ncx_href, c.get("src")) for c in ncx.iter(f"{{{NS['ncx']}}}content")]
        internal = 0
        for source, target in links:
            if re.match(r"^[a-z]+:", target):
                continue  # https:, mailto:
            path, fragment = urldefrag(target)
            path = normpath(join(dirname(source), unquote(path))) if path else source
            assert path in ids, (key, source, target)  # the target is in the book
            internal += 1
            if fragment:
                assert fragment in ids[path], (key, source, target)
                assert fragment != bodies[path], (key, source, target)
        assert internal >= 5, key


def test_the_package_names_its_language(books):  # noqa: F811
    for key, book in books.items():
        languages = [e.text for e in book.dc("language")]
        assert languages and all(l and l.strip() for l in languages), key


def test_no_comment_holds_two_hyphens(books):  # noqa: F811
    for key, book in books.items():
        for name in book.zip.namelist():
            if name.endswith((".xhtml", ".opf", ".ncx", ".xml", ".css")):
                data = book.zip.read(name)
                for comment in re.findall(rb"<!--(.*?)-->", data, re.S):
                    assert b"--" not in comment and not comment.endswith(b"-"), (key, name)


def test_no_css_custom_properties(books):  # noqa: F811
    for key, book in books.items():
        sheets = [book.zip.read(n).decode("utf-8") for n in book.zip.namelist() if n.endswith(".css")]
        for href in _documents(book):
            page = book.xml(href)
            sheets += [e.text or "" for e in page.iter(f"{X}style")]
            sheets += [e.get("style") for e in page.iter() if e.get("style")]
        assert sheets, key
        for css in sheets:
            assert not re.search(r"(?<![\w-])--[A-Za-z_-]", css), key
            assert "var(" not in css, key


def test_every_img_has_a_src_in_the_book_and_a_real_alt(books):  # noqa: F811
    for key, book in books.items():
        images = 0
        for href in _documents(book):
            for img in book.xml(href).iter(f"{X}img"):
                images += 1
                src = img.get("src")
                assert src, (key, href)
                assert normpath(join(dirname(href), src)) in {i.get("href") for i in book.manifest.values()}
                assert img.get("alt") and img.get("alt").strip(), (key, href, src)
        assert images >= 1, key  # the cover at least


def test_the_spine_and_the_ncx_list_the_documents_in_the_same_order(books):  # noqa: F811
    for key, book in books.items():
        ncx_href, ncx = _ncx(book)
        order = []
        for point in ncx.iter(f"{{{NS['ncx']}}}navPoint"):  # document order: depth first
            src = point.find(f"{{{NS['ncx']}}}content").get("src")
            path = normpath(join(dirname(ncx_href), urldefrag(src)[0]))
            if path not in order:
                order.append(path)
        positions = [book.spine.index(path) for path in order]
        assert positions == sorted(positions) and len(positions) >= 2, (key, order)
