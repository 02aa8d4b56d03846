"""The read-along: the recording (front matter ``audio:``) heard in step with the text.

Every timed passage of the manuscript (a model.Timed: a line with a time code) is a clip
of the recording, from its start to its end; a passage without an end ends where the next
timed passage starts, and the last one at the recording's end. Untimed passages (the lead,
an editor's narration) are in no clip.

The EPUB editions make EPUB 3 Media Overlays from the clips (one SMIL document per content
document, ``smil``); the html edition gives each passage its times (data-start, data-end)
for its player. Times are whole milliseconds, so that the durations the package states add
up exactly (EPUBCheck compares the total with the sum of the documents').
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from xml.sax.saxutils import quoteattr

from taidan.model import inline_nodes
from taidan.pipeline.progress import note

ACTIVE_CLASS = "readalong-active"  # media:active-class: the passage being heard
AUDIO_FILE = "audio/recording"  # in the package, + .mp3 or .m4a
LARGE = 100 * 1024 * 1024  # an EPUB larger than this is slow to send and to open


@dataclass(frozen=True)
class Clip:
    id: str  # the passage's element id
    begin: int  # milliseconds
    end: int

    @property
    def seconds(self) -> tuple[float, float]:
        return self.begin / 1000, self.end / 1000


def timed_in(blocks):
    """The timed passages of ``blocks``, in reading order."""
    return [node for node in inline_nodes(blocks) if node.kind == "timed"]


def reading_order(m) -> list:
    """Every block of the manuscript, lead first, as the book reads."""
    blocks = list(m.lead)
    for part in m.parts:
        blocks += part.blocks
        for section in part.sections:
            blocks += section.blocks
    return blocks


def clips(m, length: float) -> dict[str, Clip]:
    """Each timed passage's clip, by element id; ``length``: the recording's, in seconds.
    A passage of no length (its end at or before its start) is left out."""
    passages = list(timed_in(reading_order(m)))
    end_of_recording = round(length * 1000)
    found = {}
    for number, passage in enumerate(passages):
        following = passages[number + 1].start if number + 1 < len(passages) else length
        end = passage.end if passage.end is not None else following
        begin, end = round(passage.start * 1000), min(round(end * 1000), end_of_recording)
        if end > begin:
            found[passage.id] = Clip(passage.id, begin, end)
    return found


def clock(millis: int) -> str:
    """A SMIL clock value, h:mm:ss.fff."""
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours}:{minutes:02d}:{rest // 1000:02d}.{rest % 1000:03d}"


def smil(document: str, passages: list[Clip], audio: str) -> bytes:
    """The Media Overlay of one content document (its href from the SMIL's folder): one
    par per passage, its text the passage's element, its audio the clip."""
    pars = "".join(
        f'<par id="par-{clip.id}">\n'
        f'<text src={quoteattr(f"{document}#{clip.id}")}/>\n'
        f'<audio src={quoteattr(audio)} clipBegin="{clock(clip.begin)}" clipEnd="{clock(clip.end)}"/>\n'
        '</par>\n' for clip in passages)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<smil xmlns="http://www.w3.org/ns/SMIL" xmlns:epub="http://www.idpf.org/2007/ops" '
            'version="3.0">\n<body>\n'
            f'<seq id="seq-1" epub:textref={quoteattr(document)}>\n{pars}</seq>\n'
            '</body>\n</smil>\n').encode("utf-8")


@dataclass(frozen=True)
class Recording:
    """The recording as an edition carries it."""
    data: bytes
    media_type: str
    length: float  # seconds
    suffix: str  # .mp3, .m4a


def recording(m, bitrate: int | None, edition: str) -> Recording | None:
    """The manuscript's recording, as MP3 or AAC (converted with ffmpeg when it is neither,
    or when ``bitrate`` asks for it: said in the build output); None without audio:."""
    if m.audio_path is None:
        return None
    stat = m.audio_path.stat()
    found, done = _prepared(m.audio_path, stat.st_mtime_ns, stat.st_size, bitrate)
    if done:
        note(f"{edition} of {m.path.name}: {done}")
    return found


@lru_cache(maxsize=2)  # the epub and epub-vertical editions of one build share it
def _prepared(path: Path, _mtime: int, _size: int, bitrate: int | None) -> tuple[Recording, str]:
    from taidan.engines import audio  # deferred: ffprobe and ffmpeg, for a recording alone

    probed = audio.probe(path)
    data, media_type, done = audio.for_epub(probed, bitrate)
    return Recording(data, media_type, probed.duration, audio.SUFFIX[media_type]), done


def without_audio(m, edition: str) -> None:
    """The line saying that an edition leaves the recording out (Kobo's, Kindle's)."""
    if m.audio_path is not None:
        note(f"{edition} of {m.path.name}: without the recording (Kobo and Kindle do not play "
             "read-along audio; the epub editions carry it)")


def untimed(m, edition: str) -> None:
    note(f"{edition} of {m.path.name}: without the recording: no passage has a time code "
         "({t=00:01:02.500} at the start of its line)")


def warn_size(m, size: int, edition: str) -> None:
    if size > LARGE:
        note(f"{edition} of {m.path.name}: the recording makes the book {size / 1048576:.0f} MB, "
             f"more than {LARGE // 1048576} MB: --audio-bitrate 32 (kbit/s) makes it smaller")

