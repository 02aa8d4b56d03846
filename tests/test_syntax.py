"""Each piece of manuscript syntax on its own, through the real loader."""

from __future__ import annotations

from pathlib import Path

import pytest

from taidan.load import load
from taidan.load.inline import parse_inline
from taidan.model import plain_text

FRONT = """---
title: Test
date: 2025-01-02
lang: ja
speakers:
  - {id: sam, name: サム・アルトマン, label: サム, role: CEO}
  - {id: emi, name: 草野絵美, label: 草野, role: アーティスト}
---
"""


def manuscript(tmp_path: Path, body: str, front: str = FRONT):
    path = tmp_path / "m.md"
    path.write_text(front + body, encoding="utf-8")
    return load(path)


def blocks(m):
    return m.lead + [b for s in m.sections for b in s.blocks]


def test_label_by_label_name_or_id_with_either_colon(tmp_path):
    m = manuscript(tmp_path, "サム：一。\n\n草野絵美: 二。\n\nsam：三。\n\n草野 ： 四。\n")
    turns = blocks(m)
    assert [t.speaker.id for t in turns] == ["sam", "emi", "sam", "emi"]
    assert [plain_text(t.paragraphs[0]) for t in turns] == ["一。", "二。", "三。", "四。"]
    assert [t.first for t in turns] == [True, True, False, False]


def test_continuation_until_label_narration_heading_or_break(tmp_path):
    body = ("サム：一。\n\n続き。\n\nさらに。\n\n── 地の文。\n\n後の段落。\n\n"
            "草野：二。\n\n続き。\n\n## 節\n\n節の段落。\n\nサム：三。\n\n***\n\n後。\n")
    m = manuscript(tmp_path, body)
    kinds = [(b.kind, len(getattr(b, "paragraphs", []))) for b in blocks(m)]
    assert kinds == [("turn", 3), ("narration", 0), ("prose", 0), ("turn", 2),
                     ("prose", 0), ("turn", 1), ("break", 0), ("prose", 0)]


def test_narration_marks(tmp_path):
    m = manuscript(tmp_path, "── 一。\n\n——二。\n")
    assert [plain_text(b.inlines) for b in blocks(m)] == ["一。", "二。"]


def test_parts_and_sections(tmp_path):
    m = manuscript(tmp_path, "リード。\n\n## 一\n\n# 部\n\n部の前書き。\n\n## 二\n\n## 三\n")
    assert [p.title_text for p in m.parts] == ["", "部"]
    assert [[s.title_text for s in p.sections] for p in m.parts] == [["一"], ["二", "三"]]
    assert [s.anchor for s in m.sections] == ["s1", "s2", "s3"]
    assert plain_text(m.parts[1].blocks[0].inlines) == "部の前書き。"
    assert plain_text(m.lead[0].inlines) == "リード。"


@pytest.mark.parametrize("text, base, readings", [
    ("{機械学習|きかいがくしゅう}", "機械学習", ("きかいがくしゅう",)),
    ("{漢字|かん|じ}", "漢字", ("かん", "じ")),
])
def test_ruby(text, base, readings):
    nodes = parse_inline(f"前{text}後", {})
    assert [n.kind for n in nodes] == ["text", "ruby", "text"]
    assert (nodes[1].base, nodes[1].readings) == (base, readings)
    assert plain_text(nodes) == f"前{base}後"


def test_tcy_stage_dots_and_emphasis():
    nodes = parse_inline("^12^月((笑))《《大事》》*em* **strong**", {})
    assert [n.kind for n in nodes] == ["tcy", "text", "stage", "styled", "styled", "text", "styled"]
    assert nodes[0].text == "12" and nodes[2].text == "笑"
    assert [n.style for n in nodes if n.kind == "styled"] == ["dots", "em", "strong"]


def test_footnotes_numbered_by_first_reference(tmp_path):
    body = "サム：一[^b]。二[^a]。三[^b]。\n\n[^a]: 注A\n[^b]: 注B\n  続く行\n"
    m = manuscript(tmp_path, body)
    refs = [n for n in blocks(m)[0].paragraphs[0] if n.kind == "noteref"]
    assert [(r.note_id, r.number) for r in refs] == [("b", 1), ("a", 2), ("b", 1)]
    assert [(n.number, plain_text(n.inlines)) for n in m.notes] == [(1, "注B 続く行"), (2, "注A")]


def test_image_block(tmp_path):
    (tmp_path / "images").mkdir()
    png = Path(__file__).parent / "bad" / "images" / "ok.png"  # a real 1x1 PNG
    (tmp_path / "images" / "a.png").write_bytes(png.read_bytes())
    m = manuscript(tmp_path, '![写真の説明](images/a.png "キャプション")\n')
    image = blocks(m)[0]
    assert (image.kind, image.alt, image.caption, image.path.name) == ("image", "写真の説明", "キャプション", "a.png")


def test_raw_html_is_text_and_javascript_links_are_dropped():
    nodes = parse_inline('<script>alert(1)</script> [x](javascript:alert(1)) [y](https://e.org)', {})
    assert nodes[0].kind == "text" and "<script>" in nodes[0].text
    assert [n.kind for n in nodes if n.kind == "link"] == ["link"]
    assert [n.href for n in nodes if n.kind == "link"] == ["https://e.org"]


def test_japanese_soft_line_breaks_join_without_space(tmp_path):
    m = manuscript(tmp_path, "サム：日本語の\n文です。English\nwords.\n")
    assert plain_text(blocks(m)[0].paragraphs[0]) == "日本語の文です。English words."


def test_escaped_colon_is_not_a_label(tmp_path):
    m = manuscript(tmp_path, "結論\\：これは地の文。\n")
    assert blocks(m)[0].kind == "prose"
    assert plain_text(blocks(m)[0].inlines) == "結論：これは地の文。"


def test_crlf_and_bom(tmp_path):
    path = tmp_path / "m.md"
    path.write_bytes(b"\xef\xbb\xbf" + (FRONT + "サム：一。\n\n続き。\n").replace("\n", "\r\n").encode())
    m = load(path)
    assert blocks(m)[0].paragraphs and len(blocks(m)[0].paragraphs) == 2
