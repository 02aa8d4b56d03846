"""A name prints the same in every place: the text's typographic apostrophe (Zoe O’Neill)
in the cast list, the turns, the colophon, the cover, the EPUB's creators and the PDF's
Author, which names each person once. Read from the real outputs."""

from __future__ import annotations

import re
import subprocess
import zipfile

import pytest
from pypdf import PdfReader

from taidan.editions import cover
from taidan.load import load

MANUSCRIPT = """\
---
title: Salt on the Wire
date: 2025-11-03
lang: en
publisher: O'Brien & Daughters
credits:
  - {role: Interviewer, name: Ann Lee}
  - {role: Photos, name: Rory D'Arcy}
speakers:
  - {id: ann, name: Ann Lee, label: Ann, role: Editor}
  - {id: zoe, name: Zoe O'Neill, label: O'Neill, role: "Singer, 'The Wires'"}
---

## The tour

Ann: Zoe O'Neill, you toured with the band for a year.

O’Neill: I did. Rory D'Arcy took the pictures.

O'Neill: And I sang every night.
"""


@pytest.fixture(scope="module")
def manuscript(tmp_path_factory):
    path = tmp_path_factory.mktemp("names") / "salt.md"
    path.write_text(MANUSCRIPT, encoding="utf-8")
    return path


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_the_print_book_and_handout_print_each_name_as_the_text_does(build_once, manuscript):
    for edition, file in (("print", "salt.pdf"), ("handout", "salt-handout.pdf")):
        pdf = build_once(edition, manuscript)[file]
        text = flat(subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True,
                                   text=True).stdout)
        assert "'" not in text, (edition, re.findall(r".{20}'.{20}", text))
        assert text.count("Zoe O’Neill") >= (3 if edition == "print" else 2), (edition, text)
        assert "Rory D’Arcy" in text and "O’Brien & Daughters" in text and "‘The Wires’" in text
        if edition == "print":  # the cast list, the turns' introduction, the colophon
            pages = len(PdfReader(pdf).pages)
            colophon = subprocess.run(["pdftotext", "-f", str(pages), "-l", str(pages), str(pdf), "-"],
                                      check=True, capture_output=True, text=True).stdout
            assert "Zoe O’Neill" in colophon and "Rory D’Arcy" in colophon, colophon


def test_the_pdf_author_names_each_person_once(build_once, manuscript):
    for edition, file in (("print", "salt.pdf"), ("handout", "salt-handout.pdf")):
        author = PdfReader(build_once(edition, manuscript)[file]).metadata["/Author"]
        assert author.split(", ") == ["Ann Lee", "Zoe O’Neill", "Rory D’Arcy"], author


def test_the_epub_and_its_cover_name_them_as_the_text_does(build_once, manuscript):
    epub = build_once("epub", manuscript)["salt.epub"]
    with zipfile.ZipFile(epub) as z:
        opf = z.read(next(n for n in z.namelist() if n.endswith(".opf"))).decode("utf-8")
        pages = "".join(z.read(n).decode("utf-8") for n in z.namelist() if n.endswith(".xhtml"))
        png = z.read(next(n for n in z.namelist() if n.endswith("cover.png")))
    assert re.findall(r"<dc:creator[^>]*>([^<]*)<", opf) == ["Ann Lee", "Zoe O’Neill"]
    assert re.findall(r"<dc:contributor[^>]*>([^<]*)<", opf) == ["Rory D’Arcy"]
    assert "<dc:publisher>O’Brien &amp; Daughters</dc:publisher>" in opf
    assert "O'" not in pages and "D'" not in pages
    # the cover is drawn from the same names: the file in the EPUB is the one they make
    m = load(manuscript)
    assert [sp.name for sp in m.speakers] == ["Ann Lee", "Zoe O’Neill"]
    assert png == cover.generate(m)
