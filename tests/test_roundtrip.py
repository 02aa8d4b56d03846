"""The interview's round trip: every sentence of the source is in the model, in order, with
the right speaker; the metadata lines are in the front matter."""

from __future__ import annotations

import re
import unicodedata

import pytest

from taidan.model import plain_text

from conftest import SOURCE

# How the source marks a speaker; the first section has no label but is Sam speaking.
SOURCE_LABELS = [
    (r"^真鍋大度\(以下、真鍋。 ※ショートフィルムの音声より\) ", "manabe"),
    (r"^草野絵美\(以下、草野\) ", "kusano"),
    (r"^サム ", "altman"),
    (r"^真鍋 ", "manabe"),
    (r"^草野 ", "kusano"),
]
METADATA_LINES = 7  # date, kicker, title line, lead, credit heading, credit, part heading


def norm(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[。！？!?])", norm(text)) if s]


def source_units() -> list[tuple[str | None, str]]:
    """(speaker id or None, sentence) for the body of the source, in order."""
    lines = SOURCE.read_text(encoding="utf-8").splitlines()
    body = lines[METADATA_LINES:lines.index("■ お問い合わせ")]
    units, speaker = [], None
    for number, line in enumerate(body):
        if not line.strip():
            continue
        heading = number + 1 < len(body) and not body[number + 1].strip()
        for pattern, who in SOURCE_LABELS:
            if re.match(pattern, line):
                line, speaker = re.sub(pattern, "", line), who
                break
        else:
            if line.startswith("──") or heading:  # narration; a heading (a line before a blank)
                line, speaker = line.lstrip("─"), None
        units += [(speaker, s) for s in sentences(line)]
    return units


def model_units(m) -> list[tuple[str | None, str]]:
    """(speaker id or None, text) of every heading and paragraph of the model, in order."""
    units = []

    def blocks(items):
        for b in items:
            if b.kind == "turn":
                units.extend((b.speaker.id, norm(plain_text(p))) for p in b.paragraphs)
            elif b.kind in ("narration", "prose"):
                units.append((None, norm(plain_text(b.inlines))))
            elif b.kind == "stage":
                units.append((None, norm(f"({b.text})")))

    blocks(m.lead)
    for part in m.parts:
        if part.title:
            units.append((None, norm(part.title_text)))
        blocks(part.blocks)
        for s in part.sections:
            units.append((None, norm(s.title_text)))
            blocks(s.blocks)
    return units


def test_every_sentence_in_order_with_its_speaker(interview):
    model = model_units(interview)
    position = 0
    first_section_is_sam = True
    for speaker, sentence in source_units():
        for index in range(position, len(model)):
            if sentence in model[index][1]:
                break
        else:
            pytest.fail(f"not found in order: {sentence}")
        position = index
        found_speaker = model[index][0]
        if speaker is None and first_section_is_sam and found_speaker == "altman":
            continue  # the unlabelled first section: the manuscript labels it Sam
        if found_speaker is not None or speaker is not None:
            assert found_speaker == speaker, sentence
        if speaker is not None:
            first_section_is_sam = False


def test_no_sentence_invented(interview):
    source = norm(SOURCE.read_text(encoding="utf-8"))
    for _, text in model_units(interview):
        for sentence in sentences(text):
            assert sentence in source, f"not in the source: {sentence}"


def test_first_section_is_sam(interview):
    first = interview.sections[0]
    assert first.blocks[0].kind == "turn" and first.blocks[0].speaker.id == "altman"


def test_metadata_from_the_source(interview):
    meta = interview.meta
    source = SOURCE.read_text(encoding="utf-8")
    assert meta.date == "2025-10-06" and "2025.10.06" in source
    assert f"■ {meta.kicker}" in source
    assert f"{meta.title} ──{meta.subtitle}" in source
    assert meta.lang == "ja" and meta.publisher == "Web LEON"
    credit = meta.credits[0]
    assert f"{credit.role}/{credit.name}({meta.publisher})" in source
    contact = meta.contacts[0]
    assert f"{contact.name} {contact.url}" in source
    assert [s.label for s in interview.speakers] == ["サム", "真鍋", "草野"]
    assert [s.name for s in interview.speakers] == ["サム・アルトマン", "真鍋大度", "草野絵美"]


def test_sections_headings_and_aside(interview):
    source = SOURCE.read_text(encoding="utf-8").splitlines()
    titles = [s.title_text for s in interview.sections]
    assert len(titles) == 7
    for title in titles:
        assert title in source  # each heading is a whole line of the source
    assert interview.parts[0].title_text == "サム・アルトマン氏が語るAIと創造性"
    # the ※ aside is the footnote of Manabe's first turn
    assert [plain_text(n.inlines) for n in interview.notes] == ["ショートフィルムの音声より"]
    manabe_first = interview.sections[1].blocks[0]
    assert manabe_first.speaker.id == "manabe" and manabe_first.first
    assert manabe_first.paragraphs[0][0].kind == "noteref"
    # (一同笑い) is a stage direction inside Sam's turn
    stages = [n for s in interview.sections for b in s.blocks if b.kind == "turn"
              for p in b.paragraphs for n in p if n.kind == "stage"]
    assert [s.text for s in stages] == ["一同笑い"]
