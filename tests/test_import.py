"""Transcripts to manuscripts (`taidan import`), and the time codes a manuscript keeps.

Every transcript here is written by the test from known turns, in each format's own
syntax; the written manuscript is read back through the real loader (taidan.load.load),
checked with a real `taidan check`, and built into the real html edition."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from taidan.config.options import Options
from taidan.editions import html
from taidan.load import load
from taidan.model import plain_text

EN_FRONT = """---
title: A Conversation
date: 2025-03-01
lang: en
speakers:
  - {id: ann, name: Ann Lee, label: Ann, role: Host}
  - {id: bo, name: Bo Chen, label: Bo, role: Guest}
---

"""


def taidan(*args, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "taidan", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=600)


def blocks(m):
    return m.lead + [b for p in m.parts for b in p.blocks] + [b for s in m.sections for b in s.blocks]


def html_text(m) -> str:
    page = next(iter(html.produce(m, Options()).values())).decode("utf-8")
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.split("<body", 1)[1]))


# ---- time codes in a manuscript ---------------------------------------------------------

def test_time_codes_are_dropped_and_the_turns_stay_the_same(tmp_path):
    timed = tmp_path / "timed.md"
    timed.write_text(EN_FRONT + "{t=00:00:01.000} Ann: Hello there.\n"
                     "{t=0:03.5-0:05} How are you?\n\n"
                     "{t=00:00:06.250} Bo: Fine, thanks.\n\n"
                     "{t=1:00:07} Still me.\n\n{t=1:00:09.000} ((laughs))\n", encoding="utf-8")
    plain = tmp_path / "plain.md"
    plain.write_text(re.sub(r"\{t=[^}]*\} ", "", timed.read_text(encoding="utf-8")), encoding="utf-8")
    a, b = load(timed), load(plain)
    shape = [(blk.kind, getattr(blk, "speaker", None) and blk.speaker.id,
              [plain_text(p) for p in getattr(blk, "paragraphs", [])]) for blk in blocks(a)]
    assert shape == [("turn", "ann", ["Hello there. How are you?"]),
                     ("turn", "bo", ["Fine, thanks.", "Still me."]), ("stage", None, [])]
    assert shape == [(blk.kind, getattr(blk, "speaker", None) and blk.speaker.id,
                      [plain_text(p) for p in getattr(blk, "paragraphs", [])]) for blk in blocks(b)]
    assert a.warnings == []
    page = html_text(a)
    assert "Hello there." in page and "laughs" in page and "t=" not in page and "00:00" not in page


def test_time_code_problems_name_their_lines(tmp_path):
    path = tmp_path / "m.md"
    path.write_text(EN_FRONT + "{t=00:00:05} Ann: One.\n\n{t=00:00:04} Bo: Two.\n\n"
                    "{t=7:99} Ann: Three.\n\n{t=00:00:09}\n\nBo: Four {t=00:00:10} and \\{t=x}.\n",
                    encoding="utf-8")
    result = taidan("check", path.name, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "m.md:12: the time 00:00:04.000 goes back before 00:00:05.000 (line 10) (fix the time, "
        "or delete the time code of a paragraph moved out of order)",
        "m.md:14: '{t=7:99}' is not a time code (write {t=00:01:02.500} or "
        "{t=00:01:02.500-00:01:05.000})",
        "m.md:16: a time code with no text after it (write the paragraph after it, or delete it)",
        "m.md:18: the time code '{t=00:00:10}' is not at the start of a line (move it to the "
        "start of the line it times, or write \\{t= for the text)"]


def test_placeholders_warn_until_written(tmp_path):
    path = tmp_path / "m.md"
    path.write_text(EN_FRONT.replace("A Conversation", "TODO title (from interview.vtt)").replace(
        "{id: bo, name: Bo Chen, label: Bo, role: Guest}",
        "{id: speaker_01, name: TODO SPEAKER_01, label: TODO SPEAKER_01, role: TODO}")
        + "Ann: Hi.\n\nspeaker_01: Hello.\n", encoding="utf-8")
    result = taidan("check", path.name, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == [
        "m.md:2: warning: the title is still the placeholder 'TODO' (write the book's title)",
        "m.md:7: warning: the name of the speaker 'speaker_01' is still the placeholder 'TODO' "
        "(write the speaker's full name, and the label (the first name) the turns are printed with)",
        "m.md:7: warning: the role of the speaker 'speaker_01' is still the placeholder 'TODO' "
        "(write it (an author, a photographer...), or leave it empty)"]
