"""The html edition of the interview, read back as XML and rendered in headless Chromium."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from taidan.engines.chromium import find as find_chromium


CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="session")
def page_path(build_once):
    return build_once("html")["interview-2025-10-06.html"]


@pytest.fixture(scope="session")
def doc(page_path):
    return ET.fromstring(page_path.read_text(encoding="utf-8"))


def by_class(doc, name):
    return [e for e in doc.iter() if name in (e.get("class") or "").split()]


def text(el):
    return "".join(el.itertext())


def test_every_turn_is_labelled_and_keyed_to_its_speaker(doc, interview):
    model_turns = [b for s in interview.sections for b in s.blocks if b.kind == "turn"]
    turns = by_class(doc, "turn")
    assert len(turns) == len(model_turns) == 13
    for el, turn in zip(turns, model_turns):
        assert f"sp-{turn.speaker.number}" in el.get("class")
        assert el.get("data-speaker") == turn.speaker.id
        labels = by_class(el, "label")
        assert [text(l) for l in labels] == [turn.speaker.label]
        intro = by_class(el, "intro")
        if turn.first:  # full name and role at the first turn only
            assert text(intro[0]) == f"{turn.speaker.name} {turn.speaker.role}"  # a real space between
        else:
            assert intro == []
        assert len(el.findall("p")) == len(turn.paragraphs) + (1 if turn.first else 0)


def test_sections_narration_stage_and_footnote(doc, interview):
    titles = [text(e) for e in by_class(doc, "section-title")]
    assert titles == [s.title_text for s in interview.sections]
    narration = by_class(doc, "narration")
    assert len(narration) == 1 and "過去に何度も訪日しているサム氏は" in text(narration[0])
    assert [text(e) for e in by_class(doc, "stage")] == ["（一同笑い）"]
    ref = by_class(doc, "noteref")[0].find("a")
    assert ref.get("href") == "#note-1"
    note = next(e for e in doc.iter("li") if e.get("id") == "note-1")
    assert "ショートフィルムの音声より" in text(note)
    assert [text(e) for e in by_class(doc, "scene-break")] == [""]
    contacts = by_class(doc, "contacts")[0]
    assert "https://openai.com/ja-JP/" in text(contacts)


def test_self_contained_and_without_script(doc):
    assert doc.get("lang") == "ja"
    assert not list(doc.iter("script")) and not list(doc.iter("link"))
    for el in doc.iter():
        for name, value in el.attrib.items():
            assert not name.startswith("on")
            if name in ("src", "href"):
                assert value.startswith(("#", "data:", "https://", "http://", "mailto:"))


def test_manuscript_text_cannot_inject_markup(tmp_path, build_once):
    path = tmp_path / "hostile.md"
    path.write_text("""---
title: "<b>Bold</b> & <script>alert(1)</script>"
date: 2025-01-01
lang: en
speakers:
  - {id: a, name: "Ann <i>", label: Ann, role: "<img src=x onerror=alert(1)>"}
---

Ann: <script>alert(2)</script> [click](javascript:alert(3)) <a href="x" onclick="y">z</a>
""", encoding="utf-8")
    out = build_once("html", manuscript=path)["hostile.html"]
    doc = ET.fromstring(out.read_text(encoding="utf-8"))  # still well-formed
    assert not list(doc.iter("script")) and not list(doc.iter("img")) and not list(doc.iter("b"))
    assert all(not k.startswith("on") for el in doc.iter() for k in el.attrib)
    assert "javascript:" not in " ".join(el.get("href", "") for el in doc.iter("a"))
    body = text(by_class(doc, "turn")[0])
    assert "<script>alert(2)</script>" in body and "click" in body


@pytest.mark.chromium
def test_speakers_differ_without_colour(page_path, artefacts):
    """In the rendered page the labels of the three speakers differ in shape, not only hue."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=find_chromium(), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 900, "height": 1400})
        page.goto(page_path.as_uri())
        styles = page.evaluate("""() => [1, 2, 3].map(n => {
            const s = getComputedStyle(document.querySelector(`.turn.sp-${n} .label`));
            return [s.borderTopStyle, s.borderBottomStyle, s.borderLeftStyle,
                    s.backgroundColor !== 'rgba(0, 0, 0, 0)', s.fontWeight];
        })""")
        label_left = page.evaluate("""() => [...document.querySelectorAll('.turn .label')]
            .map(e => Math.round(e.getBoundingClientRect().left))""")
        text_left = page.evaluate("""() => [...document.querySelectorAll('.turn .says')]
            .map(e => Math.round(e.getBoundingClientRect().left))""")
        page.screenshot(path=str(artefacts / "html-screenshot.png"))
        browser.close()
    assert len({tuple(s[:4]) for s in styles}) == 3, styles  # three distinct shapes
    assert all(int(s[4]) >= 600 for s in styles)  # labels are bold
    assert len(set(label_left)) == 1  # the names form one column
    assert min(text_left) > label_left[0] + 40  # hanging indent: text clears the names
