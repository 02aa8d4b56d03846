"""Transcripts to manuscripts (`taidan import`), and the time codes a manuscript keeps.

Every transcript here is written by the test from known turns, in each format's own
syntax; the written manuscript is read back through the real loader (taidan.load.load),
checked with a real `taidan check`, and built into the real html edition."""

from __future__ import annotations

import datetime
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import docx
import pytest
import yaml

from taidan.config.options import Options
from taidan.editions import html
from taidan.load import load
from taidan.model import inline_nodes, plain_text

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


def test_each_timed_line_is_a_passage_of_the_model(tmp_path):
    """A line with a time code is a model.Timed (the read-along's passage); Japanese lines
    still join without a space, and a line that starts inside *emphasis* cannot be cut
    there: its passage joins the one before."""
    path = tmp_path / "m.md"
    path.write_text(EN_FRONT.replace("lang: en", "lang: ja")
                    + "{t=00:00:01} Ann: はい。\n{t=00:00:02-00:00:03} そうです。\n\n"
                    "Bo: Untimed *and\n{t=00:00:04} still* one.\n{t=00:00:05} Two.\n\n"
                    "{t=00:00:06} ((laughs))\n\n{t=00:00:07} Ann: Note[^1].\n\n[^1]: A note.\n",
                    encoding="utf-8")
    m = load(path)
    turns = [b for b in blocks(m) if b.kind == "turn"]
    assert [plain_text(p) for t in turns for p in t.paragraphs] == \
        ["はい。そうです。", "Untimed and still one. Two.", "Note."]
    timed = [(n.id, n.start, n.end, plain_text(n.children)) for n in inline_nodes(turns)
             if n.kind == "timed"]
    assert timed == [("t1", 1.0, None, "はい。"), ("t2", 2.0, 3.0, "そうです。"), ("t3", 5.0, None, "Two."),
                     ("t4", 7.0, None, "Note.")]
    assert turns[1].paragraphs[0][0].kind != "timed"  # the untimed start, with the lost cut
    assert [n.kind for n in m.notes[0].inlines] == ["text"]  # the stage's time is not the note's


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


# ---- transcripts, each format written here from the same known turns ----------------------

# (the transcript's voice, [(start, end, words)]): a pause of 3 s inside the second turn
# starts a paragraph; [laughter] is a sound, not words.
TURNS = [
    ("Ruth Calloway", [(0.0, 2.0, "Thank you for coming to Kyoto."), (2.1, 4.0, "Shall we begin?")]),
    ("SPEAKER_01", [(4.2, 6.0, "はい、よろしくお願いします。"), (9.0, 11.5, "京都は三度目です。")]),
    ("Ruth Calloway", [(11.6, 13.0, "What brought you back? [laughter]")]),
    ("SPEAKER_01", [(13.2, 15.0, "Old friends, and the food."), (15.1, 16.0, "美味しいものです。")]),
]
NAMES = {"Ruth Calloway": "Ruth Calloway", "SPEAKER_01": "山田 太郎"}
PARAGRAPHS = [1, 2, 1, 1]


def vtt(cue_ids=True) -> str:
    out = ["WEBVTT", "Kind: captions", "", "NOTE written by the test,", "over two lines", "",
           "STYLE", "::cue { color: yellow }", ""]
    number = 0
    for voice, cues in TURNS:
        for start, end, words in cues:
            number += 1
            head = [str(number)] if cue_ids else []
            tag = "<v.loud SPEAKER_01>" if voice == "SPEAKER_01" and number % 2 else f"<v {voice}>"
            half = words.find(" ", len(words) // 2) if " " in words else len(words) // 2
            half = half if half > 0 else len(words)  # lines break between words (or kana)
            out += head + [f"{fmt(start)} --> {fmt(end)} align:start",
                           f"{tag}{words[:half]}", f"{words[half:]}</v>", ""]
    return "\n".join(out)


def zoom_vtt() -> str:
    out, number = ["WEBVTT", ""], 0
    for voice, cues in TURNS:
        for start, end, words in cues:
            number += 1
            out += [str(number), f"{fmt(start)} --> {fmt(end)}", f"{voice}: {words}", ""]
    return "\n".join(out)


def srt() -> str:
    out, number = [], 0
    styles = [lambda v, w: f"{v}: {w}", lambda v, w: f"[{v}] {w}",
              lambda v, w: f">> {v}: {w}", lambda v, w: f"{v.upper()}: {w}"]
    for voice, cues in TURNS:
        for start, end, words in cues:
            number += 1
            out += [str(number), f"{fmt(start).replace('.', ',')} --> {fmt(end).replace('.', ',')}",
                    styles[number % 4](voice, words), ""]
    return "\n".join(out)


def whisperx() -> str:
    segments = [{"start": s, "end": e, "text": " " + w, "speaker": v,
                 "words": [{"word": x, "start": s, "end": e, "speaker": v} for x in w.split()]}
                for v, cues in TURNS for s, e, w in cues]
    return json.dumps({"segments": segments, "language": "en"}, ensure_ascii=False, indent=2)


def plain() -> str:
    out = []
    for voice, cues in TURNS:
        out.append(f"{voice}: " + cues[0][2])
        for previous, cue in zip(cues, cues[1:]):
            out.append(("\n" if cue[0] - previous[1] > 2.5 else "") + cue[2])
    return "\n".join(out) + "\n"


def otter() -> str:
    out = ["Kyoto conversation", "Mon, 5/6 · 3:02PM · 16s", "2024-05-06", ""]
    for voice, cues in TURNS:
        voice = "Speaker 2" if voice == "SPEAKER_01" else voice
        out.append(f"{voice}  {int(cues[0][0]) // 60}:{int(cues[0][0]) % 60:02d}")
        for previous, cue in zip([None] + cues, cues):
            if previous and cue[0] - previous[1] > 2.5:
                out.append("")
            out.append(cue[2])
        out.append("")
    return "\n".join(out)


def fmt(seconds: float) -> str:
    millis = round(seconds * 1000)
    return f"{millis // 3600000:02d}:{millis // 60000 % 60:02d}:{millis // 1000 % 60:02d}.{millis % 1000:03d}"


def word() -> bytes:
    """A Word transcript: headings, names in bold or before a colon, a paragraph each."""
    document = docx.Document()
    document.core_properties.created = datetime.datetime(2024, 5, 6, 15, 2)
    document.add_heading("Kyoto", level=2)
    for number, (voice, cues) in enumerate(TURNS):
        for index, (_, _, spoken) in enumerate(cues):
            paragraph = document.add_paragraph()
            if index == 0 and number % 2:
                paragraph.add_run(voice).bold = True
                paragraph.add_run(" " + spoken)
            elif index == 0:
                paragraph.add_run(f"{voice}: {spoken}")
            else:
                paragraph.add_run(spoken)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


FORMATS = {  # file name, text, the speaker option, the kind import reports
    "webvtt": ("talk.vtt", vtt, "SPEAKER_01", "WebVTT"),
    "webvtt-no-ids": ("talk.vtt", lambda: vtt(cue_ids=False), "SPEAKER_01", "WebVTT"),
    "zoom": ("zoom.vtt", zoom_vtt, "SPEAKER_01", "WebVTT"),
    "srt": ("talk.srt", srt, "SPEAKER_01", "SRT"),
    "srt-as-txt": ("talk.txt", srt, "SPEAKER_01", "SRT"),
    "whisperx": ("talk.json", whisperx, "SPEAKER_01", "Whisper JSON"),
    "text": ("talk.txt", plain, "SPEAKER_01", "text"),
    "otter": ("otter.txt", otter, "Speaker 2", "Otter text"),
    "word": ("talk.docx", word, "SPEAKER_01", "Word"),
}


def words(text: str) -> list[str]:
    return [w for w in re.findall(r"\w+", text) if w != "laughter"]


@pytest.mark.parametrize("name", FORMATS)
def test_every_word_arrives_in_order_under_its_speaker(tmp_path, name):
    file, make, voice, kind = FORMATS[name]
    made = make()
    (tmp_path / file).write_bytes(made if isinstance(made, bytes) else made.encode("utf-8"))
    date = [] if name in ("otter", "word") else ["--date", "2024-05-06"]
    result = taidan("import", file, "--speaker", f"{voice}=山田 太郎", *date, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    written = tmp_path / "manuscript" / (Path(file).stem + ".md")
    assert result.stdout.splitlines()[0] == \
        f"wrote manuscript/{written.name} from {file} ({kind}): 4 turns, 2 voices"
    m = load(written)
    assert [(s.id, s.name, s.label) for s in m.speakers] == \
        [("ruth", "Ruth Calloway", "Ruth"), ("speaker_2", "山田 太郎", "山田")]
    assert m.meta.date == "2024-05-06"
    turns = [b for b in blocks(m) if b.kind == "turn"]
    assert [t.speaker.name for t in turns] == [NAMES[v] for v, _ in TURNS]
    for turn, (_, cues) in zip(turns, TURNS):
        assert words(" ".join(plain_text(p) for p in turn.paragraphs)) == \
            words(" ".join(c[2] for c in cues))
    # a Word file has no times: each of its paragraphs is one
    assert [len(t.paragraphs) for t in turns] == \
        ([len(cues) for _, cues in TURNS] if name == "word" else PARAGRAPHS)
    laugh = [n for n in inline_nodes([turns[2]]) if n.kind == "stage"]  # inside its timed passage
    assert [n.text for n in laugh] == ["laughter"]
    check = taidan("check", str(written.relative_to(tmp_path)), cwd=tmp_path)
    assert check.returncode == 0, check.stderr
    assert not [line for line in check.stderr.splitlines() if "warning" not in line]
    assert "the title is still the placeholder" in check.stderr
    page = html_text(m)
    for _, cues in TURNS:
        for _, _, spoken in cues:
            assert words(spoken)[0] in page
    assert "Ruth Calloway" in page and "{t=" not in page


def test_time_codes_keep_each_cue(tmp_path):
    (tmp_path / "talk.vtt").write_text(vtt(), encoding="utf-8")
    result = taidan("import", "talk.vtt", "--date", "2024-05-06", "-o", "m.md", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    text = (tmp_path / "m.md").read_text(encoding="utf-8")
    codes = re.findall(r"^\{t=([\d:.]+)-([\d:.]+)\}", text, re.MULTILINE)
    assert codes == [(fmt(s), fmt(e)) for _, cues in TURNS for s, e, _ in cues]
    assert "speaker_01: " in text  # unnamed: the body names it by id, the front matter by TODO
    check = taidan("check", "m.md", cwd=tmp_path)
    assert check.returncode == 0
    assert "m.md:7: warning: the name of the speaker 'speaker_01' is still the placeholder 'TODO'" \
        in check.stderr


def test_paragraph_pause(tmp_path):
    (tmp_path / "talk.vtt").write_text(vtt(), encoding="utf-8")
    result = taidan("import", "talk.vtt", "--date", "2024-05-06", "-o", "m.md",
                    "--paragraph-pause", "0.05", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    turns = [b for b in blocks(load(tmp_path / "m.md")) if b.kind == "turn"]
    assert [len(t.paragraphs) for t in turns] == [2, 2, 1, 2]


def test_language_and_markup_in_words(tmp_path):
    path = tmp_path / "ja.srt"
    path.write_text("1\n00:00:01,000 --> 00:00:02,000\n岸本：こんにちは(笑)。\n\n"
                    "2\n00:00:02,500 --> 00:00:04,000\n岡部：*星* と [inaudible 00:12:03] と # と ((拍手))\n\n"
                    "3\n00:00:08,000 --> 00:00:09,000\n── Note: 続き。\n", encoding="utf-8")
    result = taidan("import", "ja.srt", "--date", "2024-05-06", "-o", "ja.md", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    m = load(tmp_path / "ja.md")
    assert m.meta.lang == "ja"
    turns = [b for b in blocks(m) if b.kind == "turn"]
    assert [t.speaker.label for t in turns] == ["岸本", "岡部"]
    assert [plain_text(p) for p in turns[1].paragraphs][1] == "── Note: 続き。"
    stages = [n.text for n in inline_nodes(turns) if n.kind == "stage"]
    assert stages == ["笑", "inaudible 00:12:03", "拍手"]
    assert "*星* と" in plain_text(turns[1].paragraphs[0])


# ---- transcripts taidan import refuses: tests/transcripts/cases.yaml ----------------------

BAD = Path(__file__).resolve().parent / "transcripts"
CASES = {case["file"]: case for case in
         yaml.safe_load((BAD / "cases.yaml").read_text(encoding="utf-8"))["bad"]}


@pytest.mark.parametrize("file", CASES)
def test_bad_transcripts_name_their_lines_and_nothing_is_written(tmp_path, file):
    folder = tmp_path / "transcripts"
    folder.mkdir()
    (folder / file).write_bytes((BAD / file).read_bytes())
    result = taidan("import", file, "--date", "2025-01-01", cwd=folder)
    assert result.returncode == 2
    assert result.stderr.splitlines() == CASES[file]["expect"]
    assert result.stdout == ""
    assert sorted(p.name for p in folder.iterdir()) == [file]


def test_every_bad_transcript_is_a_case():
    assert sorted(CASES) == sorted(p.name for p in BAD.iterdir() if p.name != "cases.yaml")


def test_one_bad_transcript_stops_them_all(tmp_path):
    (tmp_path / "good.vtt").write_text(zoom_vtt(), encoding="utf-8")
    (tmp_path / "overlap.srt").write_bytes((BAD / "overlap.srt").read_bytes())
    result = taidan("import", "good.vtt", "overlap.srt", "--date", "2025-01-01", cwd=tmp_path)
    assert result.returncode == 2
    assert not (tmp_path / "manuscript").exists()


def test_an_existing_manuscript_is_kept_without_force(tmp_path):
    (tmp_path / "talk.vtt").write_text(zoom_vtt(), encoding="utf-8")
    target = tmp_path / "manuscript" / "talk.md"
    target.parent.mkdir()
    target.write_text("the editor's work\n", encoding="utf-8")
    result = taidan("import", "talk.vtt", "--date", "2025-01-01", cwd=tmp_path)
    assert (result.returncode, result.stderr) == \
        (2, "taidan: manuscript/talk.md exists; give --force to replace it\n")
    assert target.read_text(encoding="utf-8") == "the editor's work\n"
    result = taidan("import", "talk.vtt", "--date", "2025-01-01", "--force", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert load(target).speakers[0].name == "Ruth Calloway"
    assert [p.name for p in target.parent.iterdir()] == ["talk.md"]  # no temporary file left


@pytest.mark.parametrize("args, message", [
    (["--speaker", "SPEAKER_09=Nobody"], "taidan: --speaker SPEAKER_09=...: no transcript has the "
     "voice 'SPEAKER_09' (its voices: Ruth Calloway, SPEAKER_01)"),
    (["--speaker", "SPEAKER_01"], "taidan: --speaker SPEAKER_01: write it as VOICE=\"Full Name\", "
     "e.g. --speaker SPEAKER_00=\"Ruth Calloway\""),
    (["--date", "6 May 2024"], "taidan: --date 6 May 2024: write the day as YYYY-MM-DD"),
    ([], "taidan: talk.vtt does not say when the interview took place: give --date YYYY-MM-DD"),
    (["talk.vtt", "-o", "a.md"], "taidan: -o names one manuscript: import one transcript at a "
     "time, or leave -o out to write manuscript/NAME.md for each"),
])
def test_what_the_command_refuses(tmp_path, args, message):
    (tmp_path / "talk.vtt").write_text(zoom_vtt(), encoding="utf-8")
    date = [] if "--date" in args or not args else ["--date", "2024-05-06"]
    result = taidan("import", "talk.vtt", *args, *date, cwd=tmp_path)
    assert (result.returncode, result.stderr.strip()) == (2, message)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["talk.vtt"]
