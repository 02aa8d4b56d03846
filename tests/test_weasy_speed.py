"""WeasyPrint's steps whose cost grows with the square of a book's length, replaced
(taidan.engines.weasyprint.speed): the same PDF bytes, and each replacement really in use."""

from __future__ import annotations

import io

import pydyf
from pypdf import PdfReader

from taidan.pipeline.build import produce
from taidan.editions import Options
from taidan.engines.weasyprint import speed
from taidan.load import load

from conftest import INTERVIEW


def _print_pdf() -> bytes:
    m = load(INTERVIEW)
    return produce("print", m, Options())[f"{m.name}.pdf"]


def test_same_bytes_as_weasyprints_own_steps():
    speed.install()
    speed.PATCH.ran.clear()
    with speed.disabled():
        stock = _print_pdf()
    assert not speed.PATCH.ran
    ours = _print_pdf()
    # both replacements ran (margin boxes: heads, folios; the structure tree's references)
    assert speed.PATCH.ran == {"set_page_type_computed_styles", "page_references"}
    assert len(PdfReader(io.BytesIO(ours)).pages) >= 8
    assert ours == stock


def test_page_references_are_kept_until_a_page_is_added():
    speed.install()
    stock = speed.PATCH.originals["page_references"].fget
    pdf = pydyf.PDF()
    for _ in range(3):
        pdf.add_page(pydyf.Dictionary({"Type": "/Page"}))
    first = pdf.page_references
    assert first is pdf.page_references  # not rebuilt on each read
    assert first == stock(pdf) and len(first) == 3
    pdf.add_page(pydyf.Dictionary({"Type": "/Page"}))
    assert pdf.page_references == stock(pdf) and len(pdf.page_references) == 4
    with speed.disabled():
        assert pdf.page_references is not pdf.page_references
