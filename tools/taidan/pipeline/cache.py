"""Skipping work: an edition whose inputs have not changed since it was written is not rebuilt.

The inputs of one edition of one manuscript are hashed: the manuscript's bytes, the files it
refers to (images, cover, recording), the edition's and the shared templates, taidan's own code, the
fonts (by size and time) and the build options. The record lives in the output folder, so a
new output folder is a cold build. This module imports nothing heavy: a no-op build must not
pay for WeasyPrint, Jinja or Markdown.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

from taidan import __version__
from taidan.engines import fonts
from taidan.pipeline.output import write_atomic
from taidan.render.templates_folder import TEMPLATES

CACHE_FILE = ".taidan-cache.json"
PACKAGE = Path(__file__).resolve().parents[1]
# Files a manuscript refers to: Markdown images, the cover and the recording (audio:) fields.
_REFERENCES = re.compile(r"!\[[^\]]*\]\(\s*<?([^)\s>\"]+)|^(?:cover|audio):\s*[\"']?([^\"'\n]+)", re.M)


def _tree_digest(folder: Path, pattern: str) -> bytes:
    """One hash of every file under ``folder``."""
    digest = hashlib.sha256()
    for path in sorted(folder.rglob(pattern)):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return digest.digest()


def inputs_digest(manuscript: bytes, project: bytes, edition: str, options) -> str:
    """One edition's inputs, from manuscript_digest() and project_digest(): a build
    computes those once each, not once per edition."""
    digest = hashlib.sha256(f"{__version__}\0{edition}\0{options!r}\0".encode())
    digest.update(manuscript + project)
    return digest.hexdigest()


def manuscript_digest(manuscript: Path) -> bytes:
    """The manuscript's bytes and the files it names."""
    digest = hashlib.sha256()
    text = manuscript.read_bytes()
    digest.update(text)
    folder = manuscript.parent.resolve()
    for match in _REFERENCES.finditer(text.decode("utf-8", "replace")):
        ref = (manuscript.parent / (match.group(1) or match.group(2)).strip())
        try:
            # only what the loader would accept: a regular file inside the manuscript's
            # folder (never /dev/zero, a FIFO or a file elsewhere: the loader refuses those)
            real = ref.resolve()
            if not real.is_relative_to(folder) or not real.is_file():
                raise OSError
            digest.update(str(ref).encode() + real.read_bytes())
        except OSError:
            digest.update(b"missing:" + str(ref).encode())
    return digest.digest()


def project_digest(options=None) -> bytes:
    """taidan's code, all templates (an edition may draw on another's folder), the fonts;
    and the book project's: its templates folder and the fonts its taidan.toml names.
    (Everything else taidan.toml says is in the options, hashed by inputs_digest.)"""
    digest = hashlib.sha256(_tree_digest(PACKAGE, "*.py") + _tree_digest(TEMPLATES, "*"))
    if options is not None and options.templates:
        digest.update(b"project templates\0" + _tree_digest(Path(options.templates), "*"))
    for font in sorted(fonts.files(options.style if options is not None else None)):
        try:
            stat = font.stat()
            digest.update(f"{font}:{stat.st_size}:{stat.st_mtime_ns}".encode())
        except OSError:
            digest.update(f"{font}:missing".encode())
    return digest.digest()


def _stamp(path: Path) -> list[int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return [stat.st_size, stat.st_mtime_ns]


class BuildCache:
    """What each (manuscript, edition) was built from, and the files it wrote."""

    def __init__(self, out: Path):
        self.out = out
        self.path = out / CACHE_FILE
        try:
            self.saved = self.path.read_bytes()
            self.entries = json.loads(self.saved)
        except (OSError, ValueError):
            self.saved, self.entries = b"", {}

    @staticmethod
    def key(manuscript: Path, edition: str) -> str:
        return f"{Path(manuscript).resolve()}::{edition}"

    def fresh(self, manuscript: Path, edition: str, digest: str) -> list[Path] | None:
        """The files of an up-to-date edition, or None when it must be built."""
        entry = self.entries.get(self.key(manuscript, edition))
        if not entry or entry.get("inputs") != digest or not entry.get("files"):
            return None
        files = [self.out / name for name in entry["files"]]
        if any(_stamp(f) != entry["files"][f.name] for f in files):
            return None
        return files

    def skipped(self, manuscript: Path, edition: str, digest: str) -> str | None:
        """Why an edition does not apply to these inputs, if an earlier build found so."""
        entry = self.entries.get(self.key(manuscript, edition))
        return entry.get("skipped") if entry and entry.get("inputs") == digest else None

    def record_skip(self, manuscript: Path, edition: str, digest: str, reason: str) -> None:
        self.entries[self.key(manuscript, edition)] = {"inputs": digest, "skipped": reason}

    def record(self, manuscript: Path, edition: str, digest: str, files: list[Path]) -> None:
        self.entries[self.key(manuscript, edition)] = {
            "inputs": digest, "files": {f.name: _stamp(f) for f in files}}

    def forget(self, manuscript: Path, edition: str) -> None:
        self.entries.pop(self.key(manuscript, edition), None)

    def save(self) -> None:
        data = json.dumps(self.entries, indent=1, sort_keys=True).encode()
        if data != self.saved and self.out.is_dir():  # a failed build leaves it untouched
            write_atomic(self.path, data)
            self.saved = data


def enabled() -> bool:
    return os.environ.get("TAIDAN_NO_CACHE", "") in ("", "0")
