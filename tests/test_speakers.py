"""Who said what: narration (── and —), the end of a turn (:::), joint turns (・ と & ,)
and everyone (一同, All), read back from the model, the HTML page, the EPUBs' XHTML and the
PDFs' text, on an English and a Japanese sample (tests/manuscripts/speakers-*.md)."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest

from taidan.load import check, load
from taidan.model import plain_text

from conftest import ROOT

SAMPLES = ROOT / "tests" / "manuscripts"
EN, JA = SAMPLES / "speakers-en.md", SAMPLES / "speakers-ja.md"
XHTML = "{http://www.w3.org/1999/xhtml}"

# (kind, who speaks, text of the first paragraph) of every block, in order
EN_BLOCKS = [
    ("prose", "", "We met the archivist and the printer at the bindery on a wet Tuesday."),
    ("turn", "ann", "Let’s start with the obvious question. Why paper?"),  # typographic quotes
    ("turn", "bob", "Because it lasts."),
    ("narration", "", "Behind him, the guillotine came down with a thud."),
    ("turn", "ann bob", "We both heard it."),
    ("turn", "ann bob cy", "And so did the printer."),
    ("turn", "ann bob cy", "(laughs)"),
    ("turn", "ann bob cy", "Thank you for coming."),
    ("turn", "cy", "One last thing: keep the offcuts."),
    ("prose", "", "The bindery closes at six. Its archive is open to visitors on Thursdays."),
    ("prose", "", "— this paragraph opens with a dash that is not narration."),
    ("turn", "bob", "A second section starts a new turn."),
]
JA_BLOCKS = [
    ("prose", "", "雨の火曜日、製本所で二人に話を聞いた。"),
    ("turn", "kishi", "まず、なぜ紙なのでしょう。"),
    ("turn", "oka", "長持ちするからです。"),
    ("narration", "", "背後で断裁機の刃が下りた。"),
    ("narration", "", "英語式のダッシュで始まる段落も地の文です。"),
    ("turn", "kishi oka", "二人とも聞きました。"),
    ("turn", "oka mori", "印刷所にも聞こえました。"),
    ("turn", "kishi oka mori", "(笑い)"),
    ("turn", "kishi oka mori", "ありがとうございました。"),
    ("turn", "mori", "最後に一つ、端紙は取っておいてください。"),
    ("prose", "", "製本所は六時に閉まる。資料室は木曜日に公開されている。"),
    ("prose", "", "── この段落はダッシュで始まるが、地の文ではない。"),
]
# the label each turn prints: a joint turn's names joined the language's way; everyone once
EN_LABELS = ["Ann", "Bob", "Ann & Bob", "Ann, Bob & Cy", "All", "All", "Cy", "Bob"]
JA_LABELS = ["岸本", "岡部", "岸本・岡部", "岡部・森", "一同", "一同", "森"]


def model_blocks(m) -> list[tuple[str, str, str]]:
    out = []
    for b in m.lead + [b for s in m.sections for b in s.blocks]:
        if b.kind == "turn":
            out.append(("turn", " ".join(s.id for s in b.speakers), plain_text(b.paragraphs[0])))
        else:
            out.append((b.kind, "", plain_text(b.inlines)))
    return out


@pytest.mark.parametrize("path, expected", [(EN, EN_BLOCKS), (JA, JA_BLOCKS)])
def test_the_model_knows_who_said_what(path, expected):
    m = load(path)
    assert model_blocks(m) == expected
    assert check(path) == []  # no problem, no warning
    everyone = [b for s in m.sections for b in s.blocks if b.kind == "turn" and b.everyone]
    assert len(everyone) == 2 and all(b.speaker is None and b.introduced == () for b in everyone)


def test_first_appearance_in_a_joint_turn_gives_the_full_name_there():
    """Cy first speaks in a joint turn: the full name and role come there, not at Cy's own
    turn later; 一同 and All name nobody, so they introduce nobody."""
    m = load(EN)
    turns = [b for s in m.sections for b in s.blocks if b.kind == "turn"]
    assert [[s.id for s in t.introduced] for t in turns] == [["ann"], ["bob"], [], ["cy"], [], [], [], []]
    assert [t.first for t in turns] == [True, True, False, True, False, False, False, False]


def elements(root: ET.Element, ns: str = ""):
    return [e for e in root.iter() if (e.get("class") or "").split()[:1] in (["turn"], ["narration"], ["prose"])
            and e.tag == ns + ("div" if "turn" in e.get("class") else "p")]


def read_back(root: ET.Element, ns: str = "") -> tuple[list, list[str], list[str]]:
    """(kind, data-speakers, first paragraph's text without the label) of each block; the
    labels of the turns; the names of each turn's intro lines."""
    blocks, labels, intros = [], [], []
    for el in elements(root, ns):
        kind = el.get("class").split()[0]
        if kind == "turn":
            says = next(p for p in el.iter(ns + "p") if "says" in (p.get("class") or ""))
            label = next(s for s in says.iter(ns + "span") if s.get("class") == "label")
            labels.append("".join(label.itertext()))
            text = "".join(says.itertext())[len(labels[-1]):]
            intros.append(["".join(n.itertext()) for p in el.iter(ns + "p") if p.get("class") == "intro"
                           for n in p.iter(ns + "span") if n.get("class") == "name"])
            blocks.append(("turn", el.get("data-speakers"), text))
        else:
            mark = next((s for s in el.iter(ns + "span") if s.get("class") == "mark"), None)
            text = "".join(el.itertext())
            blocks.append((kind, "", text[len("".join(mark.itertext())):] if mark is not None else text))
    return blocks, labels, intros


def stage_as_model(blocks, lang):
    """The templates print (laughs) as （笑い） in Japanese: back to the model's brackets."""
    return [(k, w, t.replace("（", "(").replace("）", ")")) for k, w, t in blocks]


@pytest.mark.parametrize("path, expected, labels", [(EN, EN_BLOCKS, EN_LABELS), (JA, JA_BLOCKS, JA_LABELS)])
def test_the_html_page_says_who_speaks(build_once, path, expected, labels):
    page = build_once("html", path)[path.stem + ".html"]
    root = ET.fromstring(page.read_text(encoding="utf-8"))
    blocks, got_labels, intros = read_back(root)
    assert stage_as_model(blocks, path) == expected
    assert got_labels == labels
    joint = [e for e in root.iter("div") if "joint" in (e.get("class") or "").split()]
    assert len(joint) == 4
    assert all(not any(c.startswith("sp-") for c in e.get("class").split()) for e in joint)
    assert all(e.get("data-speaker") is None for e in joint)  # only ordinary turns have one
    cast = [e for e in root.iter("ul") if e.get("class") == "speakers"][0]
    assert "一同" not in "".join(cast.itertext()) and "All" not in "".join(cast.itertext())
    if path == EN:
        assert intros == [["Ann Lee"], ["Bob Raman"], [], ["Cy Okafor"], [], [], [], []]


@pytest.mark.parametrize("edition, path, expected, labels", [
    ("epub", EN, EN_BLOCKS, EN_LABELS), ("epub", JA, JA_BLOCKS, JA_LABELS),
    ("epub-vertical", JA, JA_BLOCKS, JA_LABELS)])
def test_the_epub_documents_say_who_speaks(build_once, edition, path, expected, labels):
    name = path.stem + ("-vertical.epub" if edition == "epub-vertical" else ".epub")
    book = build_once(edition, path)[name]
    with zipfile.ZipFile(book) as z:
        docs = [n for n in sorted(z.namelist()) if n.endswith(".xhtml")]
        blocks, got_labels, everything = [], [], ""
        for n in sorted(docs, key=lambda n: ("lead" not in n, n)):  # the lead, then s1, s2 ...
            root = ET.fromstring(z.read(n))
            b, lab, _ = read_back(root, XHTML)
            if "colophon" in n or "titlepage" in n:
                everything += "".join(root.itertext())
                continue
            blocks += b
            got_labels += lab
    assert stage_as_model(blocks, path) == expected, docs
    assert got_labels == labels
    assert "一同" not in everything and "All" not in everything.replace("Allow", "")


def pdf_text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-raw", str(pdf), "-"], check=True, capture_output=True,
                          text=True).stdout


@pytest.mark.chromium
def test_the_print_editions_print_joint_labels_once(build_once):
    en = pdf_text(build_once("print", EN)["speakers-en.pdf"])
    for label in ("Ann & Bob We both heard it.", "Ann, Bob & Cy And so did the printer.",
                  "All (laughs)", "All Thank you for coming."):
        assert label in en, label
    ja = "".join(pdf_text(build_once("print", JA)["speakers-ja.pdf"]).split())
    for label in ("岸本・岡部二人とも", "岡部・森印刷所にも", "一同（笑い）", "一同ありがとう"):
        assert label in ja, label
    assert ja.count("一同") == 2  # the two turns: not in the cast, not as 一同 / 一同
    vertical = "".join(pdf_text(build_once("print-vertical", JA)["speakers-ja-vertical.pdf"]).split())
    assert vertical.count("一同") == 2 and "岸本・岡部" in vertical


def test_check_warns_where_a_continuation_follows_two_blank_lines(tmp_path):
    """A paragraph after two or more blank lines that would continue the turn: a warning
    (exit 0), since a writer who leaves a gap often means someone else is speaking."""
    text = EN.read_text(encoding="utf-8").replace(
        "Bob: Because it lasts.\n\nIt outlives", "Bob: Because it lasts.\n\n\n\nIt outlives")
    path = tmp_path / "gap.md"
    path.write_text(text, encoding="utf-8")
    lines = text.split("\n")
    line, turn = (lines.index(t) + 1 for t in ("It outlives every format we have tried.",
                                                "Bob: Because it lasts."))
    result = subprocess.run([sys.executable, "-m", "taidan", "check", path.name], cwd=tmp_path,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and result.stdout == ""
    assert result.stderr.splitlines() == [
        f"gap.md:{line}: warning: this paragraph follows 3 blank lines but continues the turn of "
        f"'Bob' (line {turn}) (give it a label, put ::: above it to end the turn, or *** for a scene break)"]
    assert [b for b in model_blocks(load(path))] == EN_BLOCKS  # still a continuation


def test_the_interview_has_no_warning():
    assert check(ROOT / "manuscript" / "interview-2025-10-06.md") == []


def test_check_warns_that_everyone_need_not_be_declared(tmp_path):
    """一同 declared as a speaker still works as before (a speaker of its own, in the cast
    list), with a warning on its entry's line saying it need not be declared."""
    text = JA.read_text(encoding="utf-8").replace(
        "  - {id: mori, name: 森三郎, label: 森, role: 印刷所}\n",
        "  - {id: mori, name: 森三郎, label: 森, role: 印刷所}\n  - {id: all, name: 一同}\n")
    path = tmp_path / "declared.md"
    path.write_text(text, encoding="utf-8")
    assert [str(p) for p in check(path)] == [
        f"{path}:9: warning: '一同' need not be declared: '一同：' is everyone speaking at once "
        "(delete this speaker, so that it stays out of the cast list and the colophon)"]
    turns = [b for s in load(path).sections for b in s.blocks if b.kind == "turn"]
    assert [t.speaker.id for t in turns if t.speaker and t.speaker.label == "一同"] == ["all"]
