"""The house style: eight speakers, eight label shapes, the same list in every edition.

Read back from the real outputs: computed styles and boxes in Chromium (html), the border
paths WeasyPrint drew (print PDF, through `mutool trace`) and the paths MuPDF draws for
the EPUB.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from taidan.config.style import DEFAULT_SHAPES, SHAPES, Style
from taidan.engines.chromium import find as find_chromium

from conftest import ROOT
from pdfread import filled_sides, rules_around

EIGHT = ROOT / "tests" / "manuscripts" / "eight-speakers.md"
LABELS = ["Ann", "Bob", "Cai", "Dee", "Eve", "Fay", "Gus", "Hal"]
SURNAMES = ["Abe", "Baker", "Chen", "Dutta", "Ekwueme", "Fischer", "Garcia", "Hansen"]


def test_the_default_list_has_eight_shapes_none_by_colour_or_unsupported_borders():
    assert len(DEFAULT_SHAPES) >= 8 and set(DEFAULT_SHAPES) <= set(SHAPES)
    for css in SHAPES.values():
        # MuPDF draws no double, dashed or dotted border and no background behind a label
        assert not re.search(r"double|dashed|dotted|background|color|radius", css), css
    assert len(set(SHAPES.values())) == len(SHAPES)


def test_more_speakers_than_shapes_start_the_list_again():
    style = Style(shapes=("box", "bar"))
    assert [style.shape(n) for n in (1, 2, 3, 4)] == [SHAPES["box"], SHAPES["bar"]] * 2


@pytest.fixture(scope="module")
def eight(build_once):
    return {**build_once("html", EIGHT), **build_once("print", EIGHT), **build_once("epub", EIGHT)}


@pytest.mark.chromium
def test_eight_speakers_have_eight_shapes_in_chromium_and_stay_in_their_column(eight, artefacts):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=find_chromium(), args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 900, "height": 1400})
        page.goto(eight["eight-speakers.html"].as_uri())
        got = page.evaluate("""() => {
          const box = e => e.getBoundingClientRect();
          const sides = ['Top', 'Right', 'Bottom', 'Left'];
          const shape = e => { const s = getComputedStyle(e);
            return sides.map(d => s['border' + d + 'Style'] + ' ' + s['border' + d + 'Width']).join(','); };
          const column = box(document.querySelector('.interview'));
          const turns = [...document.querySelectorAll('.turn')].map(t => {
            const label = t.querySelector('.label'), s = getComputedStyle(t);
            const textLeft = box(t).left + parseFloat(s.paddingLeft);
            return {speaker: t.className, shape: shape(label), colour: getComputedStyle(label).color,
                    left: box(label).left, right: box(label).right, textLeft};
          });
          const cast = [...document.querySelectorAll('.speakers li')].map(li => ({
            shape: shape(li.querySelector('.label')), right: box(li.querySelector('.label')).right,
            left: box(li.querySelector('.label')).left, nameLeft: box(li.querySelector('.name')).left}));
          return {turns, cast, columnLeft: column.left, columnRight: column.right};
        }""")
        page.screenshot(path=str(artefacts / "eight-speakers-html.png"), full_page=True)
        browser.close()
    shapes = {}
    for turn in got["turns"]:
        shapes.setdefault(turn["speaker"].split()[1], set()).add(turn["shape"])
        assert got["columnLeft"] <= turn["left"] and turn["right"] <= turn["textLeft"], turn
    assert len(shapes) == 8 and all(len(s) == 1 for s in shapes.values())
    assert len({next(iter(s)) for s in shapes.values()}) == 8  # eight distinct shapes
    assert len({t["colour"] for t in got["turns"]}) == 1  # never told apart by colour
    styles = lambda shape: re.sub(r" [\d.]+px", "", shape)  # the cast list is set smaller
    assert [styles(c["shape"]) for c in got["cast"]] == [styles(next(iter(shapes[f"sp-{n}"])))
                                                         for n in range(1, 9)]
    for c in got["cast"]:  # the cast list: labels inside the column, before the names
        assert got["columnLeft"] <= c["left"] and c["right"] <= c["nameLeft"], c


def _words(pdf: Path, page: int) -> list[tuple[str, float, float, float, float]]:
    html = subprocess.run(["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(pdf), "-"],
                          capture_output=True, text=True, check=True).stdout
    return [(m.group(5), *map(float, m.group(1, 2, 3, 4))) for m in re.finditer(
        r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', html)]


def _signatures(words, sides) -> dict[str, frozenset]:
    """Per speaker label of a turn (the name followed by what they say): its rules."""
    signatures = {}
    words = words + [("", 0.0, -1e9, 0.0, -1e9)]  # a label may end a page
    for index, (text, x0, y0, x1, y1) in enumerate(words[:-1]):
        if text not in LABELS or text in signatures or words[index + 1][0].startswith(tuple(SURNAMES)):
            continue  # not a label, already seen, or the full name above the first turn
        em = y1 - y0
        after = words[index + 1]  # what they say: beside the label, or (MuPDF) below it
        end = after[1] if abs(after[2] - y0) < em / 2 and after[1] > x1 else x1 + 2 * em
        signatures[text] = rules_around((x0, y0, x1, y1), sides, (x0 - 2 * em, y0 - .8 * em, end, y1 + .8 * em))
    return signatures


def _page_with(pdf: Path, needle: str) -> int:
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return next(n for n, page in enumerate(text.split("\f"), 1) if needle in page)


@pytest.mark.mupdf
def test_eight_speakers_have_eight_shapes_in_the_print_pdf(eight, artefacts):
    pdf = eight["eight-speakers.pdf"]
    page = _page_with(pdf, "Let us go round")
    signatures = _signatures(_words(pdf, page), filled_sides(pdf, page))
    assert sorted(signatures) == sorted(LABELS)
    assert all(signatures.values()) and len(set(signatures.values())) == 8, signatures
    # the shapes are the list's: box on four sides, bar on the left, underline below ...
    assert {side for side, _ in signatures["Ann"]} == {"top", "right", "bottom", "left"}
    assert {side for side, _ in signatures["Bob"]} == {"left"}
    assert {side for side, _ in signatures["Cai"]} == {"bottom"}
    assert {side for side, _ in signatures["Hal"]} == {"top"}
    subprocess.run(["pdftoppm", "-r", "70", "-png", "-f", str(page), "-l", str(page), str(pdf),
                    str(artefacts / "eight-speakers-print")], check=True)


@pytest.mark.mupdf
def test_mupdf_draws_every_shape_of_the_epub(eight, tmp_path):
    """MuPDF lays the EPUB out (mutool convert, as its readers do): each of the eight labels
    gets its own rules drawn (it would drop a double, dashed or dotted border)."""
    pdf = tmp_path / "mupdf.pdf"
    subprocess.run(["mutool", "convert", "-o", str(pdf), str(eight["eight-speakers.epub"])],
                   capture_output=True, check=True)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    signatures = {}
    for page in range(_page_with(pdf, "Let us go round"), text.count("\f") + 1):
        for label, signature in _signatures(_words(pdf, page), filled_sides(pdf, page)).items():
            signatures.setdefault(label, signature)
    assert sorted(signatures) == sorted(LABELS)
    assert all(signatures.values()) and len(set(signatures.values())) == 8, signatures
