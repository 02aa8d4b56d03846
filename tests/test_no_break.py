"""A number and its unit, an abbreviation and its number, a title and its name: never
parted by a line break in a Latin-script book (load/smart.py puts a no-break space between
them), read from the real PDF; Japanese text is never changed."""

from __future__ import annotations

import re
import subprocess

import pytest

from taidan.load import smart

PAIRS = ("300 km", "6 a.m.", "p. 12", "Mr. Okafor", "20 °C", "No. 7")
# words of every length before the pairs, so that across the turns each pair falls at
# every place of a line, its end included
FILLER = "a bc def ghij klmno pqrstu vwxyzab cdefghij klmnopqrs".split()


def manuscript(folder, lang: str = "en"):
    turns = []
    for i in range(60):
        lead = " ".join(FILLER[(i + k) % len(FILLER)] for k in range(i % 9 + 1))
        turns.append(f"Ann: {lead} it was {PAIRS[0]} to the farm of {PAIRS[3]} at {PAIRS[1]}, "
                     f"{lead} see {PAIRS[2]} of {PAIRS[5]}, when it was {PAIRS[4]} outside {lead}.")
    path = folder / f"units-{lang}.md"
    path.write_text(f"---\ntitle: Units\ndate: 2025-11-03\nlang: {lang}\nspeakers:\n"
                    "  - {id: ann, name: Ann Lee, label: Ann}\n---\n\n## Units\n\n"
                    + "\n\n".join(turns) + "\n", encoding="utf-8")
    return path, len(turns)


def lines_of(pdf) -> str:
    text = subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True,
                          text=True).stdout
    return text.replace("\u00a0", " ")


@pytest.mark.parametrize("edition, file", [("handout", "units-en-handout.pdf"), ("print", "units-en.pdf")])
def test_a_number_and_its_unit_are_never_parted_by_a_line_break(build_once, tmp_path_factory, edition, file):
    path, turns = manuscript(tmp_path_factory.mktemp("units"))
    text = lines_of(build_once(edition, path)[file])
    for pair in PAIRS:
        first, rest = pair.split(" ", 1)
        parted = re.findall(re.escape(first) + r"[ \t]*\n+[ \t]*" + re.escape(rest), text)
        assert parted == [], f"{pair!r} parted {len(parted)} times in the {edition}"
        assert text.count(pair) == turns, pair


def test_japanese_text_is_never_changed():
    assert smart.text("300 km、午前6 a.m.", "ja") == "300 km、午前6 a.m."
    assert smart.text("300 km at 6 a.m.", "en") == "300\u00a0km at 6\u00a0a.m."


@pytest.mark.parametrize("typed", ["In 1990 in Tokyo", "the 1990s", "12 kgs of it", "Ask Mr. then"])
def test_words_that_only_look_like_units_or_titles_keep_their_space(typed):
    assert smart.text(typed, "en") == typed
