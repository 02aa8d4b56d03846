"""The recording of a read-along edition, through ffprobe and ffmpeg: its length, and its
bytes in a media type every EPUB reading system plays (MP3; AAC in MP4 passes as it is).

The converted audio is the same bytes for the same input: ffmpeg writes no encoder tag,
no metadata and no chapters (-fflags +bitexact, -map_metadata -1), and LAME itself is
deterministic.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from taidan.errors import CannotRun

# the core media types of EPUB 3 for audio, by the codec ffprobe names
CORE = {"mp3": "audio/mpeg", "aac": "audio/mp4"}
# what each core type's file ends in, in the EPUB
SUFFIX = {"audio/mpeg": ".mp3", "audio/mp4": ".m4a"}
DEFAULT_BITRATE = 64  # kbit/s: speech in mono stays clear at 64, a 1-hour interview is 29 MB


@dataclass(frozen=True)
class Recording:
    path: Path
    duration: float  # seconds
    codec: str  # as ffprobe names it: mp3, aac, pcm_s16le, opus ...
    container: str  # ffprobe's format_name: mp3, mov,mp4,m4a,3gp,3g2,mj2, wav ...

    @property
    def media_type(self) -> str | None:
        """audio/mpeg or audio/mp4 when the file plays in an EPUB as it is, else None."""
        if self.codec == "mp3" and self.container == "mp3":
            return CORE["mp3"]
        if self.codec == "aac" and "mp4" in self.container.split(","):
            return CORE["aac"]
        return None


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise CannotRun(f"{name} is not installed: the read-along editions need it for the "
                        "recording (Debian: apt install ffmpeg; or tools/setup.sh)")
    return found


def probe(path: Path) -> Recording:
    """The recording's length and codec; CannotRun when ffprobe is missing, ValueError
    (one line) when the file is not audio ffprobe can read."""
    result = subprocess.run(
        [_tool("ffprobe"), "-v", "error", "-select_streams", "a:0", "-show_entries",
         "format=duration,format_name:stream=codec_name", "-of", "json", str(path)],
        capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        raise ValueError(result.stderr.strip().splitlines()[-1] if result.stderr.strip()
                         else "ffprobe cannot read it")
    found = json.loads(result.stdout or "{}")
    streams = found.get("streams") or []
    if not streams:
        raise ValueError("it holds no audio")
    duration = float((found.get("format") or {}).get("duration") or 0)
    if duration <= 0:
        raise ValueError("its length is unknown (a cut or broken file?)")
    return Recording(path, duration, streams[0].get("codec_name", ""),
                     (found.get("format") or {}).get("format_name", ""))


def for_epub(recording: Recording, bitrate: int | None) -> tuple[bytes, str, str]:
    """The recording's bytes as the EPUB carries them, their media type, and what was done
    ("" when the file goes in as it is; else a line for the build output)."""
    if recording.media_type and bitrate is None:
        return recording.path.read_bytes(), recording.media_type, ""
    kbits = bitrate or DEFAULT_BITRATE
    with tempfile.TemporaryDirectory(prefix="taidan-audio-") as folder:
        target = Path(folder) / "audio.mp3"
        result = subprocess.run(
            [_tool("ffmpeg"), "-nostdin", "-v", "error", "-i", str(recording.path),
             "-map", "0:a:0", "-map_metadata", "-1", "-map_chapters", "-1",
             "-fflags", "+bitexact", "-flags:a", "+bitexact", "-id3v2_version", "0",
             "-write_xing", "0", "-c:a", "libmp3lame", "-b:a", f"{kbits}k", "-ac", "1",
             "-f", "mp3", str(target)],
            capture_output=True, text=True, timeout=3600)
        if result.returncode != 0:
            raise CannotRun(f"ffmpeg cannot convert {recording.path}: "
                            + (result.stderr.strip().splitlines() or ["no reason given"])[-1])
        data = target.read_bytes()
    why = f"at {kbits} kbit/s (--audio-bitrate)" if bitrate else f"({recording.codec} is not MP3 or AAC)"
    return data, CORE["mp3"], f"converted {recording.path.name} to MP3 {why} with ffmpeg"
