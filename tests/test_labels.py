"""Who said what, however the label is typed: each form editors and transcripts use is a
turn of the right speakers, read back from the model and the HTML page; a label that names
nobody is an error at its line (tests/corpus/cases.yaml has the exact lines)."""

from __future__ import annotations

import re
import subprocess
import sys

from taidan.load import load
from taidan.model import Narration, Prose, Turn, plain_text

from conftest import ROOT, clean_env

FORMS = ROOT / "tests" / "corpus" / "ok-label-forms.md"

# (kind, speakers, first words) of every block of ok-label-forms.md, in order
EXPECTED = [
    ("turn", "ruth", "Where were you?"),  # RUTH:
    ("turn", "zoe tom", "No."),  # Zoë and Tom:
    ("turn", "tom", "It was about me."),  # the full name
    ("turn", "zoe", "Badly"),  # Zoë O’Neill: with the front matter's Zoe O'Neill
    ("turn", "ruth", "Which line?"),  # **Ruth:**
    ("turn", "tom", "The first."),  # **Tom**:
    ("narration", "", "The basement was cold."),  # --- and a space
    ("turn", "zoe ruth", "Together."),  # the ids, in lower case, joined with &
]


def _blocks(m):
    for part in m.parts:
        for section in part.sections:
            yield from section.blocks


def test_every_form_of_a_label_is_a_turn_of_the_right_speakers():
    m = load(FORMS)
    found = []
    for block in _blocks(m):
        if isinstance(block, Turn):
            found.append(("turn", " ".join(s.id for s in block.speakers),
                          plain_text(block.paragraphs[0])))
        elif isinstance(block, Narration):
            found.append(("narration", "", plain_text(block.inlines)))
        elif isinstance(block, Prose):
            found.append(("prose", "", plain_text(block.inlines)))
    assert [(k, who) for k, who, _ in found] == [(k, who) for k, who, _ in EXPECTED]
    for (_, _, text), (_, _, start) in zip(found, EXPECTED):
        assert text.startswith(start), (text, start)
    last = [b for b in _blocks(m) if isinstance(b, Turn)][-1]
    # a colon inside ordinary words is not a label: the sentence continues the last turn
    assert plain_text(last.paragraphs[-1]).startswith("The reason was simple: money.")
    assert m.warnings == []


def test_the_proof_page_credits_each_paragraph(tmp_path):
    done = subprocess.run([sys.executable, "-m", "taidan", "build", str(FORMS), "--edition", "html",
                           "--out", str(tmp_path)], capture_output=True, text=True,
                          env=clean_env(PYTHONPATH=str(ROOT / "tools")), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    page = (tmp_path / "ok-label-forms.html").read_text(encoding="utf-8")
    turns = re.findall(r'<div class="turn[^"]*"(?: data-speaker="[^"]*")? data-speakers="([^"]*)"', page)
    assert turns == [who for kind, who, _ in EXPECTED if kind == "turn"]
    assert page.count('<p class="narration">') == 1
    # the only continuation is the last paragraph, whose colon is inside a sentence
    assert page.count('<p class="cont">') == 1
    assert '<p class="cont">The reason was simple' in page


def test_build_prints_the_warnings_check_prints(tmp_path):
    """A continuation after two blank lines is worth a look: `taidan build` says so too."""
    text = FORMS.read_text(encoding="utf-8").replace("\n\nThe reason", "\n\n\n\nThe reason")
    manuscript = tmp_path / "warned.md"
    manuscript.write_text(text, encoding="utf-8")
    for command in (["check"], ["build", "--edition", "html", "--out", str(tmp_path / "out")]):
        done = subprocess.run([sys.executable, "-m", "taidan", *command, manuscript.name],
                              capture_output=True, text=True, cwd=tmp_path,
                              env=clean_env(PYTHONPATH=str(ROOT / "tools")))
        assert done.returncode == 0, done.stderr
        assert "warned.md:31: warning: this paragraph follows 3 blank lines" in done.stderr, command
