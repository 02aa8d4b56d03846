"""The kepub edition (Kobo): the EPUB books with koboSpans and the book-columns wrappers.

The books come from test_epub's session fixture (EPUBCheck checks them there, 0 errors and
0 warnings); here their XHTML is read with lxml and compared with the EPUB it was made from.
"""

from __future__ import annotations

import re

from lxml import etree

from taidan.editions import Options, kepub
from taidan.load import load

from conftest import INTERVIEW
from test_epub import SMALL_EN, SMALL_JA, books  # noqa: F401  (the session's books)

X = "{http://www.w3.org/1999/xhtml}"
KOBO_ID = re.compile(r"^kobo\.\d+\.\d+$")


def _kepubs(books):  # noqa: F811
    return {key: book for key, book in books.items() if key[1].startswith("kepub")}


def _is_kobo_span(element) -> bool:
    return element.tag == f"{X}span" and element.get("class") == "koboSpan"


def _characters(body):
    """(character, koboSpans around it, inside rt/rp?) for every character of the body's text."""
    def walk(element, spans, ruby_text):
        name = etree.QName(element).localname
        spans = spans + (1 if _is_kobo_span(element) else 0)
        ruby_text = ruby_text or name in ("rt", "rp")
        for ch in element.text or "":
            yield ch, spans, ruby_text
        for child in element:
            yield from walk(child, spans, ruby_text)
            for ch in child.tail or "":
                yield ch, spans, ruby_text

    yield from walk(body, 0, False)


def test_every_character_of_body_text_is_in_exactly_one_kobo_span(books):  # noqa: F811
    for key, book in _kepubs(books).items():
        for href in book.spine:
            page = etree.fromstring(book.read(href))
            body = page.find(f"{X}body")
            counted = 0
            for ch, spans, ruby_text in _characters(body):
                if ruby_text:  # readings are not positions: never wrapped
                    assert spans == 0, (key, href, ch)
                elif not ch.isspace():
                    assert spans == 1, (key, href, ch, spans)
                    counted += 1
            assert counted > 0 or href.endswith("cover.xhtml"), (key, href)


def test_kepub_keeps_the_epub_text_and_files(books):  # noqa: F811
    for key, book in _kepubs(books).items():
        source = books[(key[0], key[1].replace("kepub", "epub"))]
        assert book.zip.namelist() == source.zip.namelist(), key
        for name in book.zip.namelist():
            if not name.endswith(".xhtml"):  # OPF, NCX, CSS, images: as in the EPUB
                assert book.zip.read(name) == source.zip.read(name), (key, name)
        for href in book.spine:
            ours = etree.fromstring(book.read(href))
            theirs = etree.fromstring(source.read(href))
            text = lambda page: re.sub(r"\s+", "", "".join(page.find(f"{X}body").itertext()))  # noqa: E731
            assert text(ours) == text(theirs), (key, href)
            assert ours.find(f"{X}head/{X}title").text == theirs.find(f"{X}head/{X}title").text


def test_spans_are_sentences_with_unique_ids_and_images_are_wrapped(books):  # noqa: F811
    sentences_seen = 0
    for key, book in _kepubs(books).items():
        assert book.item_with("cover-image") is not None
        for href in book.spine:
            raw = book.read(href)
            assert raw.startswith(b'<?xml version="1.0" encoding="UTF-8"?>'), (key, href)
            page = etree.fromstring(raw)
            body = page.find(f"{X}body")
            # body > div#book-columns > div#book-inner, holding all the content
            (columns,) = list(body)
            assert (columns.tag, columns.get("id")) == (f"{X}div", "book-columns")
            (inner,) = list(columns)
            assert (inner.tag, inner.get("id")) == (f"{X}div", "book-inner")
            spans = [e for e in body.iter(f"{X}span") if _is_kobo_span(e)]
            ids = [s.get("id") for s in spans]
            assert len(ids) == len(set(ids)) and all(KOBO_ID.match(i) for i in ids), (key, href)
            for span in spans:
                assert not any(_is_kobo_span(a) for a in span.iterancestors()), (key, href)
                text = "".join(span.itertext()).rstrip()
                # a span is one sentence: 。！？ (and . ! ? before a space) only at its end
                inside = text.rstrip("」』）)”’\"'").rstrip("。！？.!?")
                assert not re.search(r"[。！？]|[.!?](?=\s)", inside), (key, href, text)
                sentences_seen += bool(re.search(r"[。！？.!?]", text))
            for img in body.iter(f"{X}img"):
                holder = img.getparent()
                assert _is_kobo_span(holder) and len(holder) == 1 and not (holder.text or "").strip()
    assert sentences_seen > 100


def test_the_japanese_interview_is_cut_at_full_stops(books):  # noqa: F811
    book = books[("interview-2025-10-06", "kepub")]
    page = etree.fromstring(book.read("text/s1.xhtml"))
    spans = ["".join(s.itertext()) for s in page.iter(f"{X}span") if _is_kobo_span(s)]
    assert "ただ、私が個人的に最もワクワクしているのは、日本が創造性の分野で成し遂げていることです。" in spans
    assert "日本はAIを初期から導入し、ビジネス面でも世界で2番目の巨大市場です。" in spans


def test_kepub_file_names_and_bytes_are_the_same_every_time(books, build_once):  # noqa: F811
    assert set(build_once("kepub", INTERVIEW)) == {"interview-2025-10-06.kepub.epub",
                                                  "interview-2025-10-06-vertical.kepub.epub"}
    assert set(build_once("kepub", SMALL_EN)) == {"small-en.kepub.epub"}  # no vertical English
    again = kepub.produce(load(SMALL_JA), Options())
    assert again["small-ja.kepub.epub"] == books[("small-ja", "kepub")].data
    assert again["small-ja-vertical.kepub.epub"] == books[("small-ja", "kepub-vertical")].data


def test_sentences():
    cut = kepub.sentences
    assert cut("市場です。ただ、私が！本当？「はい。」と言った") == \
        ["市場です。", "ただ、私が！", "本当？", "「はい。」", "と言った"]
    assert cut('It is 1.5 m. Really?! "Fine." U.S.A. rocks') == \
        ["It is 1.5 m. ", "Really?! ", '"Fine." ', "U.S.A. ", "rocks"]
    for text in ("", "  ", "no end", "。。。", "a. b", "ここにリポートいたします!"):
        assert "".join(cut(text)) == text
