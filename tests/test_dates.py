"""Dates printed as readers of the book's language write them (Babel's CLDR data), read
back from the real outputs: the print title page and colophon, the handout, the EPUB's
title page and colophon. The machine-readable dates (dc:date, the PDF's metadata) stay ISO.
"""

from __future__ import annotations

import re
import subprocess
import zipfile
from pathlib import Path

import pytest
from pypdf import PdfReader

from taidan.config.options import Publisher
from taidan.config.schema import SCHEMA

MANUSCRIPT = """\
---
title: {title}
date: 2025-11-03
lang: {lang}
speakers:
  - {{id: a, name: Ann Lee, label: Ann}}
  - {{id: b, name: Bob Raman, label: Bob}}
---

## {title}

Ann: {line}

Bob: {line}
"""
LANGUAGES = {  # lang: (the date as its readers write it, a line of text in it)
    "en-GB": ("3 November 2025", "We met at the bindery."),
    "en-US": ("November 3, 2025", "We met at the bindery."),
    "en": ("3 November 2025", "We met at the bindery."),  # plain en: day first
    "ja": ("2025年11月3日", "製本所で会いました。"),
    "de": ("3. November 2025", "Wir trafen uns in der Buchbinderei."),
    "fr": ("3 novembre 2025", "Nous nous sommes vus à l’atelier."),
}


def manuscript(folder: Path, lang: str) -> Path:
    path = folder / f"dates-{lang}.md"
    path.write_text(MANUSCRIPT.format(title=f"Dates {lang}", lang=lang, line=LANGUAGES[lang][1]),
                    encoding="utf-8")
    return path


def pdf_text(pdf: Path, page: int | None = None) -> str:
    """pdftotext of one page (1-based) or all, lines joined by spaces."""
    pages = ["-f", str(page), "-l", str(page)] if page else []
    text = subprocess.run(["pdftotext", *pages, str(pdf), "-"], check=True,
                          capture_output=True, text=True).stdout
    return re.sub(r"\s+", " ", text)


def epub_page(epub: Path, name: str) -> str:
    with zipfile.ZipFile(epub) as z:
        found = [n for n in z.namelist() if n.endswith(name)]
        assert found, f"no {name} in {epub.name}: {z.namelist()}"
        return z.read(found[0]).decode("utf-8")


@pytest.fixture(scope="module")
def built(build_once, tmp_path_factory):
    folder = tmp_path_factory.mktemp("dates")
    paths = {lang: manuscript(folder, lang) for lang in LANGUAGES}
    return lambda edition, lang, **options: build_once(edition, paths[lang], **options)


@pytest.mark.parametrize("lang", ["en-GB", "en-US", "ja", "de", "fr", "en"])
def test_the_print_title_page_colophon_and_handout_write_the_date_in_the_language(built, lang):
    written = LANGUAGES[lang][0]
    pdf = built("print", lang)[f"dates-{lang}.pdf"]
    pages = len(PdfReader(pdf).pages)
    assert written in pdf_text(pdf, 1), f"title page: {pdf_text(pdf, 1)!r}"
    assert written in pdf_text(pdf, pages), f"colophon: {pdf_text(pdf, pages)!r}"
    assert "2025-11-03" not in pdf_text(pdf)
    handout = built("handout", lang)[f"dates-{lang}-handout.pdf"]
    assert pdf_text(handout).count(written) >= 2  # the top line and the source line
    assert "2025-11-03" not in pdf_text(handout)
    # the PDF's own metadata stays machine-readable
    assert PdfReader(pdf).metadata["/CreationDate"].startswith("D:20251103")


@pytest.mark.parametrize("lang", ["en-GB", "en-US", "ja", "de"])
def test_the_epub_writes_the_date_in_the_language_and_keeps_dc_date_iso(built, lang):
    written = LANGUAGES[lang][0]
    epub = built("epub", lang)[f"dates-{lang}.epub"]
    for page in ("titlepage.xhtml", "colophon.xhtml"):
        assert f'<time datetime="2025-11-03">{written}</time>' in epub_page(epub, page)
    assert "<dc:date>2025-11-03</dc:date>" in epub_page(epub, ".opf")


def test_date_format_in_taidan_toml_gives_a_form_of_its_own(built):
    """[publisher] date_format: a CLDR pattern, written in the book's language."""
    publisher = Publisher(date_format="EEEE d MMMM y")
    de = built("handout", "de", publisher=publisher)["dates-de-handout.pdf"]
    assert "Montag 3. November 2025" not in pdf_text(de)  # the pattern, not the long form
    assert "Montag 3 November 2025" in pdf_text(de)
    en = built("print", "en-US", publisher=Publisher(date_format="medium"))["dates-en-US.pdf"]
    assert "Nov 3, 2025" in pdf_text(en, 1)


@pytest.mark.parametrize("value, fault", [
    ("%d %B %Y", "strftime"),
    ("d MMMM y HH:mm", "not a field of a date"),
    ("QQQQQQQ", "not a date pattern"),
])
def test_a_date_format_that_is_not_a_date_pattern_is_refused(value, fault):
    checked, (message, hint) = SCHEMA["publisher"]["date_format"].kind.check(value)
    assert checked is None and fault in message and "d MMMM y" in hint
