"""Raw blocks to the document model: parts, sections, speaker turns, narration and notes.

Block-level syntax is decided here rather than in Python-Markdown's block parser, because
that parser does not keep line numbers and every problem must name its line.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import re
import unicodedata
from pathlib import Path
from urllib.parse import unquote

from taidan import model
from taidan.load import images, limits, smart, timecode
from taidan.load.blocks import RawBlock
from taidan.load.inline import (MAX_DEPTH, NOTEREF_RE, TooDeep, lone_image, parse_inline,
                                unclosed_ruby, unclosed_stage)
from taidan.errors import Problem

# The editor's voice: ── or —— (Japanese), or one em dash and a space (English), in any
# language; --- and a space is how the README teaches an em dash to be typed.
NARRATION = re.compile(r"^(?:(?:──|——|―――?|－－)[ \t\u3000]*|(?:—|---)[ \t\u3000]+)")
ESCAPED_NARRATION = re.compile(r"^\\(?=[─—―－])")  # \— : a dash that opens ordinary text
# What joins the speakers of a joint turn: 岸本・岡部：, 岸本と岡部：, Ann & Bob:, Ann, Bob & Cy:
JOINERS = re.compile(r"[ \t]*(?:・|&|＆|と|,|、)[ \t]*")
HEAD = re.compile(r"^([^:：\n]{1,80}?)[ \t]*(?:：|:(?!//))[ \t\u3000]*")
# The bold label of transcripts and word processors: **Ruth:** or **Ruth**:
BOLD_HEAD = re.compile(r"^\*\*([^:：\n*]{1,80}?)[ \t]*(?:(：|:(?!//))\*\*|\*\*[ \t]*(：|:(?!//)))[ \t\u3000]*")
# Joint labels in English: Zoë and Tom
AND = re.compile(r"[ \t]+(?:and|&|＆)[ \t]+|[ \t]*(?:・|&|＆|,|、)[ \t]*", re.IGNORECASE)
# A label of several words is a name: each word capitalised, but for joiners and particles.
PARTICLES = {"and", "&", "＆", "van", "von", "de", "da", "del", "der", "di", "du", "la", "le",
             "bin", "al", "of"}
APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "′": "'", "`": "'", "＇": "'"})
LONE_STAGE = re.compile(r"^\(\(([^()\n]+)\)\)$")
# A word ahead of a colon at the start of a paragraph reads as a speaker label.
LABEL_LIKE = re.compile(r"^([^\s\d:：「『（(【\[*_`\\#>《{][^\s:：「『（(【\[\\]{0,15})[ \t]*(：|:(?!//))")
IMAGE_INLINE = re.compile(r"!\[[^\]]*\]\(")


def _case_insensitive(folder: Path, relative: Path) -> tuple[str, ...] | None:
    """The names on disk of a file whose path matches ``relative`` ignoring case, if one does."""
    names: list[str] = []
    for part in relative.parts:
        if part in (".", ""):
            continue
        try:
            entries = os.listdir(folder)
        except OSError:
            return None
        match = part if part in entries else \
            next((e for e in sorted(entries) if e.lower() == part.lower()), None)
        if match is None:
            return None
        names.append(match)
        folder = folder / match
    return tuple(names) if folder.is_file() else None


def fold(text: str) -> str:
    """A label as it is compared: case, accents, apostrophe style and spacing ignored.
    Only Latin combining accents go, so that カ and ガ stay two letters."""
    decomposed = unicodedata.normalize("NFKD", text.translate(APOSTROPHES))
    bare = "".join(c for c in decomposed if not "\u0300" <= c <= "\u036f")
    return " ".join(unicodedata.normalize("NFC", bare).casefold().split())


class Builder:
    def __init__(self, path: Path, speakers: list[model.Speaker], lang: str = "ja",
                 everyone_labels=(), known: set[str] | None = None, both_labels=()):
        self.path = path
        self.lang = lang  # typographic punctuation for Latin-script languages (load.smart)
        self.folder = path.parent
        self.speakers = speakers
        self.problems: list[Problem] = []
        self.by_label: dict[str, model.Speaker] = {}
        for speaker in speakers:  # labels win over names, names over ids
            for key in (speaker.id, speaker.name, speaker.label):
                self.by_label[key] = speaker
        # every way a turn may name a speaker, folded (see fold); None: two speakers share it
        self.by_fold: dict[str, model.Speaker | None] = {}
        for speaker in speakers:
            for key in {fold(k) for k in (speaker.id, speaker.name, speaker.label)}:
                other = self.by_fold.get(key, speaker)
                self.by_fold[key] = speaker if other is speaker else None
        self.folded_keys = sorted(self.by_fold, key=len, reverse=True)
        self.everyone_labels = {fold(label) for label in everyone_labels}
        self.both_labels = {fold(label) for label in both_labels}
        # labels written in the front matter that did not make a speaker (an entry with an
        # error): turns that use them are not reported again; the entry's error is the cause.
        self.known = {fold(k) for k in known or ()}
        self.unknown: dict[str, list[tuple[int, str]]] = {}  # undeclared label -> (line, colon)
        self.notes: dict[str, int] = {}
        self.note_lines: dict[str, int] = {}  # first reference
        self.seen_speakers: set[str] = set()
        self.lead: list = []
        self.parts: list[model.Part] = []
        self.section_count = 0
        self.turn: model.Turn | None = None
        self.images: list[model.Image] = []
        # each time code: (line, start, end or None), in seconds (taidan.load.timecode)
        self.times: list[tuple[int, float, float | None]] = []
        # the time codes of the paragraph being read, for its inline nodes: the first line's
        # (or None), then one per later line that has one (see _timed)
        self.cue_count = 0
        self._cues: list[tuple[int, float, float | None] | None] | None = None

    def problem(self, line: int, message: str, hint: str = "", warning: bool = False) -> None:
        self.problems.append(Problem(self.path, line, message, hint, warning))

    # ---- where blocks go --------------------------------------------------------------

    def _container(self) -> list:
        if not self.parts:
            return self.lead
        part = self.parts[-1]
        return part.sections[-1].blocks if part.sections else part.blocks

    def _add(self, block) -> None:
        self._container().append(block)

    # ---- inline text with its checks --------------------------------------------------

    def inline(self, text: str, line: int) -> list:
        offset = unclosed_ruby(text)
        if offset is not None:
            self.problem(line + text.count("\n", 0, offset), "ruby is opened with '{' but never "
                         "closed", "write {親字|るび} with the closing brace on the same line")
        offset = unclosed_stage(text)
        if offset is not None:
            self.problem(line + text.count("\n", 0, offset), "a stage direction is opened with "
                         "'((' but never closed", "write ((laughs)) with both pairs of brackets "
                         "on one line, or \\(( for brackets that are text")
        if IMAGE_INLINE.search(text):
            m = IMAGE_INLINE.search(text)
            self.problem(line + text.count("\n", 0, m.start()),
                         "an image must stand alone in its own paragraph",
                         "put a blank line before and after it")
        if len(text) > limits.LINE_CHARS:  # lines within the limit, joined
            self.problem(line, f"the paragraph is {len(text):,} characters long; the limit is "
                         f"{limits.LINE_CHARS:,}", "break it into paragraphs, a blank line between them")
            return [model.Text(text)]
        text = text.replace("\\：", "：").replace("\\:", ":")
        for m in re.finditer(NOTEREF_RE, text):
            self.note_lines.setdefault(m.group(1), line + text.count("\n", 0, m.start()))
        try:
            nodes = parse_inline(text, self.notes)
        except TooDeep:
            self.problem(line, f"the markup is nested more than {MAX_DEPTH} levels deep",
                         "use at most a few levels of [ ], ( ), { } or * * inside each other")
            return [model.Text(text)]
        self._check_nodes(nodes, text, line)
        nodes = smart.inlines(nodes, self.lang)
        return self._timed(nodes) if self._cues is not None else nodes

    def _timed(self, nodes: list) -> list:
        """The paragraph's nodes with each timed passage wrapped in a model.Timed: the text
        between one time code's SPLIT and the next. A SPLIT inside markup (a line that
        starts within *emphasis*) cannot cut it: that passage joins the one before."""
        cues, self._cues = self._cues, None
        groups: list[tuple[tuple | None, list]] = [(cues[0], [])]
        index = 0

        def strip(node):  # SPLITs inside markup: counted, and taken out
            nonlocal index
            if node.kind == "text" and timecode.SPLIT in node.text:
                index += node.text.count(timecode.SPLIT)
                return model.Text(node.text.replace(timecode.SPLIT, ""))
            if node.kind in model.NESTING:
                return dataclasses.replace(node, children=tuple(strip(n) for n in node.children))
            return node

        for node in nodes:
            if node.kind != "text" or timecode.SPLIT not in node.text:
                groups[-1][1].append(strip(node))
                continue
            for number, piece in enumerate(node.text.split(timecode.SPLIT)):
                if number:
                    index += 1
                    groups.append((cues[index] if index < len(cues) else None, []))
                if piece:
                    groups[-1][1].append(model.Text(piece))
        out = []
        for cue, group in groups:
            if cue is None:
                out.extend(group)
                continue
            # the spaces around a passage are between passages, not in one
            before = group[0].text[:len(group[0].text) - len(group[0].text.lstrip())] \
                if group and group[0].kind == "text" else ""
            if before:
                group[0] = model.Text(group[0].text[len(before):])
                out.append(model.Text(before))
            if group and not any(n.kind != "text" or n.text for n in group):
                continue
            self.cue_count += 1
            out.append(model.Timed(f"t{self.cue_count}", cue[1], cue[2], tuple(group), cue[0]))
        return out

    def _check_nodes(self, nodes, text: str, line: int) -> None:
        for node in nodes:
            if node.kind == "ruby" and len(node.readings) > 1 and len(node.readings) != len(node.base):
                self.problem(line, f"mono ruby {{{node.base}|{'|'.join(node.readings)}}} has "
                             f"{len(node.readings)} readings for {len(node.base)} characters",
                             "give one reading per character, or one reading for the group")
            elif node.kind == "styled" and node.style == "dots" and \
                    sum(len(n.text) for n in node.children if n.kind == "text") > limits.DOTS_CHARS:
                where = text.find("《《")
                self.problem(line + text.count("\n", 0, max(where, 0)),
                             f"emphasis dots (《《…》》) over more than {limits.DOTS_CHARS} characters",
                             "mark a word or a phrase; a 《《 inside 《《…》》 is not a nesting")
            if node.kind in ("styled", "link"):
                self._check_nodes(node.children, text, line)

    # ---- blocks -----------------------------------------------------------------------

    def heading(self, raw: RawBlock) -> None:
        self.turn = None
        if raw.level > 2:
            self.problem(raw.line, f"a level-{raw.level} heading is not part of the format",
                         "use # for a part and ## for a section")
            return
        title = self.inline(raw.text, raw.line)
        if raw.level == 1 and len(self.parts) == limits.PARTS:
            self.problem(raw.line, f"more than {limits.PARTS:,} parts (#) in one manuscript",
                         "split the book into several manuscripts")
        if raw.level == 2 and self.section_count == limits.SECTIONS:
            self.problem(raw.line, f"more than {limits.SECTIONS:,} sections (##) in one manuscript",
                         "split the book into several manuscripts")
        if raw.level == 1:
            self.parts.append(model.Part(title, f"p{len(self.parts) + 1}", [], [], raw.line))
            return
        if not self.parts:
            self.parts.append(model.Part(None, f"p{len(self.parts) + 1}", [], [], raw.line))
        self.section_count += 1
        number = self.section_count
        self.parts[-1].sections.append(model.Section(title, f"s{number}", number, [], raw.line))

    def _head(self, text: str) -> tuple[str, str, int] | None:
        """The words ahead of a paragraph's first colon, that colon, and where the text
        starts after it; the bold form **Ruth:** included. None: no colon up front."""
        bold = BOLD_HEAD.match(text)
        if bold:
            return bold.group(1), bold.group(2) or bold.group(3), bold.end()
        head = HEAD.match(text)
        if head and not head.group(1).startswith("**"):
            return head.group(1), text[head.end(1):head.end()].strip(), head.end()
        return None

    def _speaker(self, name: str) -> model.Speaker | None:
        if name in self.by_label:
            return self.by_label[name]
        return self.by_fold.get(fold(name))

    def _joint(self, head: str) -> list[model.Speaker] | None:
        """The speakers of a label such as 岸本・岡部, Ann & Bob or Zoë and Tom, or None."""
        def split(rest: str) -> list[str] | None:
            for key in self.folded_keys:
                if rest.startswith(key):
                    after = rest[len(key):]
                    if not after:
                        return [key]
                    joiner = AND.match(after) or JOINERS.match(after)
                    if joiner and joiner.end() < len(after):
                        tail = split(after[joiner.end():])
                        if tail:
                            return [key] + tail
            return None
        folded = fold(head)
        keys = split(folded) if AND.search(folded) or JOINERS.search(folded) else None
        if not keys or any(self.by_fold[k] is None for k in keys):
            return None
        speakers = list(dict.fromkeys(self.by_fold[k] for k in keys))
        return speakers if len(speakers) > 1 else None

    def _label_like(self, text: str, head: str) -> list[str]:
        """The names in words ahead of a colon that read as a speaker label but name
        nobody declared ([] when they read as text)."""
        if "\\" in head or "`" in head:
            return []  # escaped, or code
        parts = [p for p in AND.split(head) if p] if AND.search(head) else [head]
        if len(parts) == 1 and JOINERS.search(head):  # 岸本と岡部: と only when nothing else joins
            parts = [p for p in JOINERS.split(head) if p]
        unknown = [p for p in parts if self._speaker(p) is None]
        if len(parts) > 1 and len(unknown) < len(parts):  # Ann & Carl: with Carl unknown
            return unknown if all(len(p) <= 40 for p in unknown) else []
        if " " not in head.strip():
            like = LABEL_LIKE.match(head + ":")
            return [head] if like else []
        words = head.split()
        if len(words) <= 4 and len(head) <= 40 and words[0][:1].isupper() \
                and all(w[:1].isupper() or w.lower() in PARTICLES for w in words):
            return unknown  # Tom Barkr, Zoë O'Neil
        close = difflib.get_close_matches(fold(head), self.folded_keys, n=1, cutoff=0.8)
        return [head] if close else []

    def _turn(self, speakers: list[model.Speaker], everyone: bool, head: str, body: str,
              line: int) -> None:
        introduced = () if everyone else tuple(s for s in speakers if s.id not in self.seen_speakers)
        if not everyone:
            self.seen_speakers.update(s.id for s in speakers)
        if not body.strip():
            self.problem(line, f"the turn of '{head}' has no text",
                         "write what the speaker says after the colon")
        self.turn = model.Turn(tuple(speakers), [self.inline(body, line)], introduced, line,
                               everyone=everyone)
        self._add(self.turn)

    def _labelled(self, text: str, line: int) -> bool:
        """A paragraph that opens with a label: a turn, or a problem at its line. False: no
        label here (the paragraph is text)."""
        found = self._head(text) if self.speakers else None
        if not found:
            return False
        head, colon, end = found
        body = text[end:]
        speaker = self._speaker(head)
        if speaker is not None:
            self._turn([speaker], False, head, body, line)
            return True
        folded = fold(head)
        if folded in self.everyone_labels:
            self._turn(list(self.speakers), True, head, body, line)
            return True
        if folded in self.by_fold:  # None: two speakers answer to it
            who = [s for s in self.speakers if folded in {fold(s.id), fold(s.name), fold(s.label)}]
            self.problem(line, f"'{head}' could be " + " or ".join(f"'{s.label}' ({s.id})" for s in who),
                         "write the label exactly as the front matter declares it")
            self.turn = None
            return True
        if folded in self.both_labels:
            if len(self.speakers) == 2:
                self._turn(list(self.speakers), False, head, body, line)
            else:
                self.problem(line, f"'{head}' means the two speakers of a two-person conversation, "
                             f"and this one has {len(self.speakers)}",
                             "join the labels of those who speak, e.g. '"
                             + " & ".join(s.label for s in self.speakers[:2]) + colon + "'")
                self.turn = None
            return True
        joint = self._joint(head)
        if joint:
            self._turn(joint, False, head, body, line)
            return True
        names = self._label_like(text, head)
        for name in names:
            if fold(name) not in self.known:
                self.unknown.setdefault(name, []).append((line, colon))
        if names:
            self.turn = None  # its words are nobody's until the label is fixed
        return bool(names)

    def _time_codes(self, raw: RawBlock) -> str:
        """The paragraph's text without its time codes, each one recorded and checked:
        a time never goes back before the one above it."""
        lines = raw.text.split("\n")
        cues: list = [None]
        for offset, text in enumerate(lines):
            number = raw.line + offset
            found = timecode.MARK.match(text)
            if found:
                lines[offset] = text[found.end():]
                times = timecode.parse_mark(found.group(1))
                if times is None:
                    self.problem(number, f"'{found.group(0).strip()}' is not a time code",
                                 "write " + timecode.EXAMPLE)
                else:
                    self._time(number, *times)
                    if offset == 0:
                        cues[0] = (number, *times)
                    else:  # where the passage starts, kept through the inline parse
                        lines[offset - 1] += timecode.SPLIT
                        cues.append((number, *times))
            stray = timecode.STRAY.search(lines[offset])
            if stray:
                self.problem(number, f"the time code '{stray.group(0)}' is not at the start of a line",
                             "move it to the start of the line it times, or write \\{t= for the text")
        self._cues = cues if any(cues) else None
        return "\n".join(lines).strip("\n")

    def _time(self, line: int, start: float, end: float | None) -> None:
        if end is not None and end < start:
            self.problem(line, f"the time code ends ({timecode.format_time(end)}) before it "
                         f"starts ({timecode.format_time(start)})", "swap the two times")
        if self.times and start < self.times[-1][1]:
            before, earlier = self.times[-1][0], self.times[-1][1]
            self.problem(line, f"the time {timecode.format_time(start)} goes back before "
                         f"{timecode.format_time(earlier)} (line {before})",
                         "fix the time, or delete the time code of a paragraph moved out of order")
        self.times.append((line, start, end))

    def paragraph(self, raw: RawBlock) -> None:
        try:
            self._paragraph(raw)
        finally:  # its time codes are its own: a paragraph read without inline text (a lone
            self._cues = None  # stage direction) must not pass them to a note read later

    def _paragraph(self, raw: RawBlock) -> None:
        text, line = raw.text, raw.line
        if "{t=" in text:
            text = self._time_codes(raw)
            if not text.strip():
                self.problem(line, "a time code with no text after it",
                             "write the paragraph after it, or delete it")
                return
        if ESCAPED_NARRATION.match(text):  # \— : not narration, not a label
            self._text(text[1:], raw)
            return
        narration = NARRATION.match(text)
        if narration:
            self.turn = None
            self._add(model.Narration(self.inline(text[narration.end():], line), line))
            return
        if self._labelled(text, line):
            return
        stage = LONE_STAGE.match(text.strip())
        if stage:
            self.turn = None
            self._add(model.StageDirection(stage.group(1).strip(), line))
            return
        image = lone_image(text) if "![" in text else None
        if image is not None:
            self.turn = None
            self._image(image.get("src") or "", image.get("alt") or "", image.get("title") or "", line)
            return
        self._text(text, raw)

    def _report_undeclared(self, name: str, uses: list[tuple[int, str]]) -> None:
        """One problem for one undeclared label, however many turns use it."""
        labels = {fold(s.label): (s.label, f"the label of '{s.id}'") for s in self.speakers}
        names = {fold(s.name): (s.name, f"the name of '{s.id}'") for s in self.speakers}
        # a one-word label is most likely a mistyped label, a longer one a mistyped name
        order = (names, labels) if " " in name.strip() else (labels, names)
        close, table = [], {}
        for table in order:
            close = difflib.get_close_matches(fold(name), list(table), n=1, cutoff=0.5)
            if close:
                break
        if close:
            suggestion, whose = table[close[0]]
            hint = f"did you mean '{suggestion}', {whose}? fix the label here or in the front matter"
        else:
            hint = ("declare it under speakers: in the front matter, fix the label, or write \\"
                    + uses[0][1] + " if this is not a speaker label")
        if len(uses) > 1:
            hint = f"{len(uses)} paragraphs open with it, the first here; " + hint
        self.problem(uses[0][0], f"'{name}' is not a declared speaker", hint)

    def _text(self, text: str, raw: RawBlock) -> None:
        """A paragraph of text: it continues the current turn, or is the editor's prose."""
        if self.turn is not None:
            if raw.blank_before >= 2:
                who = " & ".join(s.label for s in self.turn.speakers) if not self.turn.everyone \
                    else "everyone"
                self.problem(raw.line, f"this paragraph follows {raw.blank_before} blank lines "
                             f"but continues the turn of '{who}' (line {self.turn.line})",
                             "give it a label, put ::: above it to end the turn, or *** for a "
                             "scene break", warning=True)
            self.turn.paragraphs.append(self.inline(text, raw.line))
        else:
            self._add(model.Prose(self.inline(text, raw.line), raw.line))

    def _image(self, src: str, alt: str, caption: str, line: int) -> None:
        path = self.resolve_file(src, line, "image")
        if not alt.strip():
            self.problem(line, f"the image '{src}' has no alt text",
                         "describe it for readers who cannot see it: ![description](" + src + ")")
        if path is not None:
            image = model.Image(src, path, alt.strip(), smart.text(caption.strip(), self.lang), line)
            self.images.append(image)
            self._add(image)

    def resolve_file(self, src: str, line: int, what: str, image: bool = True) -> Path | None:
        """A file the manuscript names: it must exist inside the manuscript's folder."""
        if not src:
            self.problem(line, f"the {what} has no file name")
            return None
        if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", src) or src.startswith("//"):
            self.problem(line, f"the {what} '{src}' is remote",
                         "download it next to the manuscript and use a relative path")
            return None
        if src.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:[\\/]", src):
            self.problem(line, f"the {what} '{src}' is an absolute path",
                         "use a path relative to the manuscript, such as images/photo.jpg")
            return None
        folder = self.folder.resolve()
        path = (folder / unquote(src)).resolve()
        if not path.is_relative_to(folder):
            linked = os.path.normpath(folder / unquote(src)).startswith(str(folder) + os.sep)
            where = "is a link to a file outside" if linked else "is outside"
            self.problem(line, f"the {what} '{src}' {where} the manuscript's folder",
                         f"copy it into {self.folder}/")
            return None
        typed = Path(unquote(src))
        on_disk = _case_insensitive(folder, typed)
        if on_disk is not None and on_disk != typed.parts:
            # the file under another case: a Mac finds it, a Linux server or an EPUB reader not
            self.problem(line, f"the {what} '{src}' does not exist",
                         f"did you mean '{'/'.join(on_disk)}'? the case of the letters differs")
            return None
        if not path.is_file():
            self.problem(line, f"the {what} '{src}' does not exist",
                         f"expected at {self.folder / src}")
            return None
        problem = images.inspect(path, src) if image else None
        if problem:
            self.problem(line, *problem)
            return None
        return path

    def build(self, raws: list[RawBlock]) -> list[model.Note]:
        definitions: dict[str, RawBlock] = {}
        for raw in raws:
            if raw.kind == "heading":
                self.heading(raw)
            elif raw.kind == "rule":
                self.turn = None
                self._add(model.SceneBreak(raw.line))
            elif raw.kind == "end":
                self.turn = None
            elif raw.kind == "note":
                if raw.note_id in definitions:
                    self.problem(raw.line, f"the footnote [^{raw.note_id}] is defined twice",
                                 f"the first definition is on line {definitions[raw.note_id].line}")
                elif len(definitions) == limits.FOOTNOTES:
                    self.problem(raw.line, f"more than {limits.FOOTNOTES:,} footnotes in one manuscript",
                                 "split the book into several manuscripts")
                definitions.setdefault(raw.note_id, raw)
            else:
                self.paragraph(raw)
        for name, lines in self.unknown.items():
            self._report_undeclared(name, lines)
        notes = []
        for note_id, number in list(self.notes.items()):
            raw = definitions.get(note_id)
            if raw is None:
                self.problem(self.note_lines.get(note_id, 0),
                             f"the footnote [^{note_id}] has no definition",
                             f"add a line '[^{note_id}]: the note' below the paragraph")
                continue
            if any(ref.group(1) == note_id for ref in re.finditer(NOTEREF_RE, raw.text)):
                self.problem(raw.line, f"the footnote [^{note_id}] refers to itself",
                             f"delete [^{note_id}] from its own text")
                continue  # its text would hold itself: no edition could end it
            before = len(self.notes)  # a reference in a note adds one
            inlines = self.inline(raw.text, raw.line)
            if len(self.notes) != before:
                self.problem(raw.line, "a footnote cannot refer to another footnote")
            notes.append(model.Note(note_id, number, inlines, raw.line))
        for note_id, raw in definitions.items():
            if note_id not in self.notes:
                self.problem(raw.line, f"the footnote [^{note_id}] is never referred to",
                             f"put [^{note_id}] in the text where the note belongs, or delete it")
        return notes
