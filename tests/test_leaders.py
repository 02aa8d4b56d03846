"""Dot leaders joined into one text box a line (taidan.engines.weasyprint.leaders): the dots land
where WeasyPrint's own leaders put them, read back from the PDF by MuPDF, and the page
draws far fewer text objects."""

from __future__ import annotations

import re
import subprocess

import pytest

from taidan.engines.fonts import font
from taidan.engines.weasyprint import leaders

pytestmark = [pytest.mark.mupdf]  # mutool draw

ENTRIES = ["短い", "もう少し長い見出し", "Latin title", "「括弧」で始まる見出しの、かなり長いもの"]


def _pdf(tmp_path, name):
    from weasyprint import HTML

    items = "".join(f'<li><a href="#s{i}">{t}</a></li>' for i, t in enumerate(ENTRIES))
    targets = "".join(f'<h2 id="s{i}">{t}</h2>' for i, t in enumerate(ENTRIES))
    html = (f'<html lang="ja"><style>@font-face {{ font-family: M; src: url("{font("mincho").as_uri()}") }}'
            "@page { size: A5 } body { font: 9pt M } ul { list-style: none } h2 { break-before: page }"
            "li a::after { content: leader(dotted) target-counter(attr(href url), page) }"
            f"</style><ul>{items}</ul>{targets}</html>")
    pdf = tmp_path / f"{name}.pdf"
    HTML(string=html).write_pdf(pdf)
    return pdf


def _dots(pdf):
    stext = subprocess.run(["mutool", "draw", "-F", "stext", "-o", "-", str(pdf), "1"],
                           check=True, capture_output=True, text=True).stdout
    found = re.findall(r'<char quad="[^"]*" x="([\d.]+)" y="([\d.]+)"[^>]*c="\."', stext)
    return sorted((round(float(y), 2), float(x)) for x, y in found)


def _text_objects(pdf):
    from pypdf import PdfReader

    return PdfReader(pdf).pages[0].get_contents().get_data().count(b"BT")


def test_joined_dots_land_where_weasyprints_own_do(tmp_path):
    leaders.install()
    with leaders.disabled():
        stock = _pdf(tmp_path, "stock")
    joined = _pdf(tmp_path, "joined")
    before, after = _dots(stock), _dots(joined)
    assert len(before) > 4 * 40  # every entry has a row of dots
    assert len(after) == len(before)
    assert [y for y, _ in after] == [y for y, _ in before]
    assert max(abs(a - b) for (_, a), (_, b) in zip(after, before)) < 0.01  # pt
    # one text object per entry's title, dots and page number, instead of one per dot
    assert _text_objects(joined) <= 3 * len(ENTRIES) < _text_objects(stock) / 10
