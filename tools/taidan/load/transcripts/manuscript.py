"""Cues to a manuscript: the voices declared in the front matter, turns and paragraphs,
sounds as stage directions, and each cue's time code (taidan.load.timecode).

What only the editor knows (the title, an unnamed voice's name, every role) is written as
a placeholder reading TODO, which `taidan check` warns about until it is written."""

from __future__ import annotations

import dataclasses
import json
import re
import tempfile
import tomllib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from taidan.errors import Problem, ProblemsFound, Refused, shown
from taidan.load import check, timecode
from taidan.load.structure import HEAD
from taidan.load.transcripts.cues import NON_SPEECH, Transcript

# what a diarizer calls a voice it cannot name
UNNAMED = re.compile(r"^(?:SPEAKER[ _]?\d+|Speaker[ _]?\d+|spk[ _]?\d+|Unknown(?: Speaker)?(?: \d+)?|\d+)$",
                     re.IGNORECASE)
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
LANG = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")
KANA = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")
SQUARE = re.compile(r"\[([^\[\]\n]{1,80})\]")
ROUND = re.compile(r"(?<!\()[(（]([^()（）\n]{1,40})[)）](?!\))")
DOUBLE = re.compile(r"\(\(([^()\n]{1,80})\)\)")  # already a stage direction
PLACEHOLDER = "TODO"
HEADING = object()  # the voice of a heading's paragraph: nobody's
STAGE = re.compile(r"(?:\{t=[^{}]*\} )?\(\([^()]*\)\)")


@dataclass(eq=False)  # one voice answers to several spellings (ANN, Ann): kept by identity
class Voice:
    key: str  # as the transcript names it; "" for a transcript that names none
    id: str
    name: str
    label: str
    named: bool
    turns: int = 0
    fillers: int = 0  # filler words dropped from its turns (--drop-fillers)


@dataclass
class Imported:
    transcript: Transcript
    text: str
    voices: list[Voice] = field(default_factory=list)
    turns: int = 0
    date: str = ""  # the transcript's own date, when it gave the manuscript's
    audio: str = ""  # the recording, relative to the manuscript (--audio)

    @property
    def unnamed(self) -> list[Voice]:
        return [v for v in self.voices if not v.named]


def _ascii(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return re.sub(r"[^a-z0-9]+", "_", decomposed.encode("ascii", "ignore").decode().lower()).strip("_")


def voices(transcript: Transcript, names: dict[str, str]) -> dict[str, Voice]:
    """Every distinct voice, in order of first appearance, named by ``names`` (the
    transcript's name -> a full name) where given."""
    keys = list(dict.fromkeys(c.speaker for c in transcript.cues if c.speaker))
    if not keys:
        keys = [""]
    folded = {k.casefold(): k for k in reversed(keys)}  # ANN: and Ann: are one voice
    given = {folded[key.casefold()]: name.strip() for key, name in names.items()
             if key.casefold() in folded}
    found, ids = {}, set()
    for number, key in enumerate(keys):
        if folded[key.casefold()] != key:
            found[key] = found[folded[key.casefold()]]
            continue
        name = given.get(key) or (key.title() if key.isupper() and not UNNAMED.match(key) else key)
        named = bool(name) and not UNNAMED.match(name)
        if named:
            first = name.split()[0] if name.split() else name
            label = name if any(first == (given.get(k) or k).split()[0] for k in keys
                                if k != key and (given.get(k) or k)) else first
            ident = _ascii(first) or _ascii(name)
        else:
            label = name = f"{PLACEHOLDER} {key or 'SPEAKER'}"
            ident = _ascii(key) or "speaker"
        if not ident or not ident[0].isalpha():
            ident = f"speaker_{ident}" if ident else f"speaker_{number + 1}"
        while ident in ids:
            ident += f"_{number + 1}"
        ids.add(ident)
        found[key] = Voice(key, ident, name, label, named)
    return found


def language(transcript: Transcript) -> str:
    if transcript.lang and LANG.match(transcript.lang):
        return transcript.lang.lower()
    text = "".join(c.text for c in transcript.cues)
    letters = sum(ch.isalpha() for ch in text)
    return "ja" if letters and len(KANA.findall(text)) * 5 >= letters else "en"


def _escape(text: str) -> str:
    """A cue's words as manuscript text that reads back as the same words: markup
    characters escaped, and the transcript's sounds ([laughter], (笑)) as stage directions."""
    pieces, last = [], 0
    spans = sorted([(m.start(), m.end(), m.group(1)) for m in SQUARE.finditer(text)]
                   + [(m.start(), m.end(), m.group(1)) for m in DOUBLE.finditer(text)]
                   + [(m.start(), m.end(), m.group(1)) for m in ROUND.finditer(text)
                      if NON_SPEECH.match(m.group(1).strip())])
    for start, end, inner in spans:
        if start < last:
            continue
        pieces.append(_markup(text[last:start]))
        inner = re.sub(r"[()]", "", inner).strip()
        pieces.append(f"(({inner}))" if inner else "")
        last = end
    pieces.append(_markup(text[last:]))
    return "".join(pieces)


def _markup(text: str) -> str:
    text = re.sub(r"([\\*_`\[\]{}])", r"\\\1", text)
    return text.replace("((", "\\((")


def _line_start(text: str, first: bool) -> str:
    """What must not open a line (a heading, :::) or a paragraph (narration, a rule, a
    label) kept as text."""
    if text.startswith(("#", ":::", "：：：")):
        return "\\" + text
    if first:
        if re.match(r"^(?:[─—―－]|---)", text):
            return "\\" + text
        head = HEAD.match(text)
        if head:
            colon = head.end(1) + len(re.match(r"[ \t]*", text[head.end(1):]).group())
            return text[:colon] + "\\" + text[colon:]
    return text


# Filler words by language (--drop-fillers): hesitations that carry no word of their own.
# Only the unambiguous ones: "like", "well", "so", "err", Japanese あの (that) or まあ are
# words too. Each pattern matches its own script alone, so a bilingual interview's lines
# are all read with all of them.
FILLERS = {
    "en": re.compile(r"(?<![\w'’-])(?:u+m+|u+h+|erm+|er|h+m+)(?![\w'’-])[,.…]*[ \t]*",
                     re.IGNORECASE),
    "ja": re.compile(r"(?:えっ?ーっ?と|えっと|え[ー〜]+|あの[ー〜]+|その[ー〜]+|う[ー〜]+ん|ん[ー〜]+)[、，,…]*"),
}


def drop_fillers(text: str) -> tuple[str, int]:
    """``text`` without filler words (FILLERS), and how many there were."""
    kept, count = text, 0
    for pattern in FILLERS.values():
        kept, found = pattern.subn("", kept)
        count += found
    if count and text[:1].isupper() and kept[:1].islower():  # "Um, so ..." -> "So ..."
        kept = kept[0].upper() + kept[1:]
    kept = re.sub(r"[ \t]{2,}", " ", kept).strip()
    return ("" if not re.search(r"\w", kept) else kept), count


def make(transcript: Transcript, names: dict[str, str], lang: str | None, date: str | None,
         pause: float, fillers: bool = False, audio: str = "") -> Imported:
    """The manuscript of one transcript, as text; ``fillers``: drop the language's filler
    words (counted on each voice); ``audio``: the recording, as the front matter names it."""
    own = "" if date else transcript.date
    date = date or transcript.date
    if not date:
        raise Refused(f"{transcript.path} does not say when the interview took place: "
                      "give --date YYYY-MM-DD")
    if not DATE.match(date):
        raise Refused(f"--date {date}: write the day as YYYY-MM-DD")
    if lang and not LANG.match(lang):
        raise Refused(f"--lang {lang}: not a language tag (ja, en ...)")
    found = voices(transcript, names)
    lang = lang or language(transcript)
    sole = found.get("")
    paragraphs: list[tuple[Voice | None, list[str]]] = []  # each paragraph: its voice, its lines
    voice, previous = None, None  # the voice of the turn being written, the cue before
    for cue in transcript.cues:
        if not cue.text.strip():
            continue
        if cue.heading:  # a part or a section: the turn ends with it
            paragraphs.append((HEADING, ["#" * cue.heading + " " + _escape(cue.text.strip())]))
            voice, previous = None, None
            continue
        who = found[cue.speaker] if cue.speaker else (voice or sole)
        text = cue.text.strip()
        if fillers:
            text, dropped = drop_fillers(text)
            who.fillers += dropped
            if not text:
                continue
        text = _escape(text)
        code = timecode.mark(cue.start, cue.end) + " " if cue.start is not None else ""
        gap = (cue.start - previous.end if previous is not None and cue.start is not None
               and previous.end is not None else 0)
        if who is not voice or cue.paragraph or gap > pause or not paragraphs:
            paragraphs.append((who, [code + text]))
        else:
            paragraphs[-1][1].append(code + _line_start(text, False))
        voice, previous = who, cue
    lines, before, turns = [], None, 0
    for index, (who, body) in enumerate(paragraphs):
        # a stage direction alone in its paragraph ends the turn: the next one names its voice
        after_stage = index and len(paragraphs[index - 1][1]) == 1 and \
            STAGE.fullmatch(paragraphs[index - 1][1][0])
        code, _, text = body[0].partition(" ") if body[0].startswith("{t=") else ("", "", body[0])
        code = code + " " if code else ""
        if who not in (None, HEADING) and (who is not before or after_stage):
            body[0] = f"{code}{who.label if who.named else who.id}: {text}"
            if who is not before:
                turns += 1
                who.turns += 1
        elif who is not HEADING:
            body[0] = code + _line_start(text, True)
        lines.append("\n".join(body))
        before = who
    front = ["---", f"title: {json.dumps(f'{PLACEHOLDER}: a title (from {transcript.path.name})', ensure_ascii=False)}",
             f"date: {date}", f"lang: {lang}"]
    if audio:
        front.append(f"audio: {json.dumps(audio, ensure_ascii=False)}")
    front.append("speakers:")
    for v in dict.fromkeys(found.values()):
        front.append(f"  - {{id: {v.id}, name: {json.dumps(v.name, ensure_ascii=False)}, "
                     f"label: {json.dumps(v.label, ensure_ascii=False)}, role: {PLACEHOLDER}}}")
    front.append("---")
    body = "\n\n".join(lines)
    return Imported(transcript, "\n".join(front) + "\n\n" + body + "\n",
                    list(dict.fromkeys(found.values())), turns, own, audio)


def speaker_names(pairs: list[str]) -> dict[str, str]:
    """--speaker SPEAKER_00="Ruth Calloway", each as VOICE=NAME."""
    names = {}
    for pair in pairs:
        key, equals, name = pair.partition("=")
        if not equals or not key.strip() or not name.strip():
            raise Refused(f"--speaker {pair}: write it as VOICE=\"Full Name\", "
                          "e.g. --speaker SPEAKER_00=\"Ruth Calloway\"")
        names[key.strip()] = name.strip().strip("\"'")
    return names


def speaker_map(path: Path) -> dict[str, str]:
    """--speakers map.toml: each voice as the transcript names it, and its full name:

        SPEAKER_00 = "Ruth Calloway"
        SPEAKER_01 = "山田 太郎"
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ProblemsFound([Problem(path, 0, "no such file", "--speakers names a TOML file "
                                     'of VOICE = "Full Name" lines')]) from None
    except (OSError, UnicodeDecodeError) as err:
        raise ProblemsFound([Problem(path, 0, f"cannot read it: {err}")]) from None
    try:
        table = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        where = re.search(r"at line (\d+)", str(err))
        raise ProblemsFound([Problem(path, int(where.group(1)) if where else 1,
                                     str(err).split(" (at line")[0],
                                     'write each voice as SPEAKER_00 = "Full Name"')]) from None
    names, problems = {}, []
    for key, name in table.items():
        if not isinstance(name, str) or not name.strip():
            line = next((n for n, row in enumerate(text.split("\n"), 1)
                         if row.strip().startswith((key, f'"{key}"'))), 1)
            problems.append(Problem(path, line, f"'{key}' is not given a name",
                                    f'write it as {key} = "Full Name"'))
        else:
            names[key.strip()] = name.strip()
    if problems:
        raise ProblemsFound(problems)
    return names


def outputs(transcripts: list[Path], output: Path | None) -> list[Path]:
    """Where each transcript's manuscript goes: -o for one, else manuscript/NAME.md."""
    if output is not None and len(transcripts) > 1:
        raise Refused("-o names one manuscript: import one transcript at a time, or leave "
                      "-o out to write manuscript/NAME.md for each")
    if output is not None:
        return [output]
    return [Path("manuscript") / f"{path.stem}.md" for path in transcripts]


def verify(imported: Imported, target: Path) -> list:
    """The problems `taidan check` finds in the manuscript (none, unless this module has a
    bug or the recording is shorter than the transcript's times), read from a copy: the
    target is written only when it loads. With a recording, the copy is a hidden file beside
    the target, so that the recording's path means the same from there."""
    if imported.audio:
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=target.parent,
                                         prefix=".taidan-import-", suffix=".md") as copy:
            copy.write(imported.text)
            copy.flush()
            found = check(Path(copy.name))
        return [dataclasses.replace(p, file=target) for p in found if not p.warning]
    with tempfile.TemporaryDirectory(prefix="taidan-import-") as folder:
        copy = Path(folder) / target.name
        copy.write_text(imported.text, encoding="utf-8")
        return [p for p in check(copy) if not p.warning]


def recording(audio: Path, target: Path) -> str:
    """--audio FILE as the manuscript names it: relative to the manuscript's folder, which
    must hold it (the book carries only what is in its folder)."""
    if not audio.is_file():
        raise Refused(f"--audio {audio}: no such file")
    folder = target.parent.resolve()
    if not audio.resolve().is_relative_to(folder):
        raise Refused(f"--audio {audio}: the recording must be in the manuscript's folder "
                      f"({shown(target.parent)}/): copy it there")
    return audio.resolve().relative_to(folder).as_posix()
