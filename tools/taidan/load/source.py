"""Reading a manuscript file: bytes to text, and the text split into front matter and body."""

from __future__ import annotations

import shlex
import stat
from dataclasses import dataclass
from pathlib import Path

from taidan.errors import ProblemsFound, Problem
from taidan.load import limits

MAX_BYTES = limits.MANUSCRIPT_BYTES  # the name pipeline.build reads

# Encodings a Japanese manuscript is likely to arrive in, most specific first.
_LEGACY = (("iso2022_jp", "ISO-2022-JP"), ("euc_jp", "EUC-JP"), ("cp932", "Shift_JIS"),
           ("utf_16", "UTF-16"))
# iconv's names; CP932 is Shift_JIS with the Windows characters (①, ～) that Python's cp932 reads
ICONV = {"ISO-2022-JP": "ISO-2022-JP", "EUC-JP": "EUC-JP", "Shift_JIS": "CP932", "UTF-16": "UTF-16",
         "UTF-16LE": "UTF-16LE", "UTF-16BE": "UTF-16BE", "UTF-32": "UTF-32",
         "Windows-1252": "CP1252"}


@dataclass
class Source:
    path: Path
    data: bytes
    front: str  # the YAML between the --- lines
    front_line: int  # line number of the first YAML line
    body: list[str]  # lines of the body
    body_line: int  # line number of the first body line


def _wide(data: bytes) -> str | None:
    """UTF-32 or UTF-16, by a byte order mark or, without one, by where the zero bytes of
    mostly ASCII text fall; None for anything else."""
    if data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        return "UTF-32"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "UTF-16"
    sample = data[:8192]
    if len(sample) >= 8:
        even, odd = sample[0::2].count(0), sample[1::2].count(0)
        quads = [sample[i::4].count(0) for i in range(4)]
        if quads[1] + quads[2] + quads[3] > 0.9 * 3 * len(sample) / 4:
            return "UTF-32"  # little-endian: three zero bytes of four
        if odd > 0.3 * len(sample) / 2 and even < odd / 10:
            return "UTF-16LE"
        if even > 0.3 * len(sample) / 2 and odd < even / 10:
            return "UTF-16BE"
    return None


def guess_encoding(data: bytes) -> str | None:
    wide = _wide(data)
    if wide:
        return wide
    if b"\x1b$B" in data:
        return "ISO-2022-JP"
    for codec, name in _LEGACY[1:3]:
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        if any("\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff" for ch in text):
            return name
    try:  # Western European text saved by Windows or an older Mac editor: é, ©, “ ”
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        return None
    latin = sum(ch.isalpha() or ch in "“”‘’–—…©®°€£" for ch in text if ord(ch) > 127)
    return "Windows-1252" if latin and latin >= 0.8 * sum(ord(ch) > 127 for ch in text) else None


def _mostly_utf8(data: bytes) -> bool:
    """True when most non-ASCII text decodes as UTF-8: a damaged UTF-8 file, not a legacy one."""
    text = data.decode("utf-8", errors="replace")
    return sum(ord(ch) > 127 and ch != "\ufffd" for ch in text) > text.count("\ufffd")


def decode(path: Path, data: bytes) -> str:
    while data.startswith(b"\xef\xbb\xbf"):  # one byte order mark, or two from a careless save
        data = data[3:]
    if b"\x00" in data[:8192] and not _wide(data):
        raise ProblemsFound([Problem(path, 1, "this is a binary file, not a Markdown manuscript")])
    if b"\x00" in data[:8192]:
        raise ProblemsFound([_legacy(path, 1, _wide(data))])
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        bad = data[err.start:err.start + 3]
        surrogate = len(bad) == 3 and bad[0] == 0xED and 0xA0 <= bad[1] <= 0xBF
        guess = None if surrogate or _mostly_utf8(data) else guess_encoding(data)
        if surrogate:
            # CESU-8, or a Python surrogate escape written out: half of a UTF-16 pair.
            code = 0xD000 | (bad[1] & 0x3F) << 6 | (bad[2] & 0x3F)
            msg = f"the bytes {bad.hex(' ').upper()} encode a lone surrogate U+{code:04X}, not a character"
            hint = "save the file as UTF-8 from an editor, or delete the character"
        elif guess:
            raise ProblemsFound([_legacy(path, line, guess)]) from None
        else:
            msg = f"the file is not valid UTF-8 (byte 0x{data[err.start]:02x})"
            hint = "save it as UTF-8"
        raise ProblemsFound([Problem(path, line, msg, hint)]) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _legacy(path: Path, line: int, guess: str) -> Problem:
    """The file is in another encoding: which, and the iconv command that converts it."""
    name = shlex.quote(str(path))
    converted = shlex.quote(str(path.with_name(path.stem + ".utf8" + path.suffix)))
    return Problem(path, line, f"the file is not UTF-8; it looks like {guess}",
                   f"convert it: iconv -f {ICONV[guess]} -t UTF-8 < {name} > {converted} "
                   f"&& mv {converted} {name}")


def read_source(path: Path) -> Source:
    try:
        # a device or a FIFO reports size 0 and never ends (or blocks): only regular files
        kind = path.stat().st_mode
        if stat.S_ISDIR(kind):
            raise IsADirectoryError
        if not stat.S_ISREG(kind):
            raise ProblemsFound([Problem(path, 0, "is not a regular file (a device, a pipe or a "
                                             "socket)", "a manuscript is a text file")])
        with path.open("rb") as file:
            data = file.read(MAX_BYTES + 1)  # bounded: the file may grow after stat()
        if len(data) > MAX_BYTES:
            size = max(path.stat().st_size, len(data))
            raise ProblemsFound([Problem(path, 1, f"the file is {size // 1048576} MB; "
                                             f"the limit is {MAX_BYTES // 1048576} MB",
                                             "split the book into several manuscripts")])
    except IsADirectoryError:
        raise ProblemsFound([Problem(path, 0, "is a folder, not a manuscript file")]) from None
    except FileNotFoundError:
        raise ProblemsFound([Problem(path, 0, "no such file")]) from None
    except OSError as err:
        raise ProblemsFound([Problem(path, 0, f"cannot read the file: {err.strerror}")]) from None
    text = decode(path, data)
    if not text.strip():
        raise ProblemsFound([Problem(path, 1, "the file is empty",
                                         "start with a front matter block between --- lines")])
    lines = text.split("\n")
    long = [Problem(path, number, f"the line is {len(line):,} characters long; the limit is "
                    f"{limits.LINE_CHARS:,}", "break it into paragraphs, a blank line between them")
            for number, line in enumerate(lines, 1) if len(line) > limits.LINE_CHARS]
    if long:  # before anything reads them: a long line is costly to parse
        raise ProblemsFound(long)
    if lines[0].strip() != "---":
        raise ProblemsFound([Problem(path, 1, "the manuscript has no front matter",
                                         "start the file with a line '---', the YAML fields "
                                         "(title, date, lang, speakers), and another '---'")])
    for index in range(1, len(lines)):
        if lines[index].strip() in ("---", "..."):
            return Source(path, data, "\n".join(lines[1:index]), 2, lines[index + 1:], index + 2)
    raise ProblemsFound([Problem(path, 1, "the front matter is never closed",
                                     "end the YAML fields with a line '---'")])
