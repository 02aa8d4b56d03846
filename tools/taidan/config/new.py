"""``taidan new DIR``: a new book project, ready to build (like ``mkdocs new``).

DIR gets taidan.toml (every key, commented: written from taidan.config.schema for the
project's language), manuscript/<DIR's name>.md (a short interview that uses every part of
the format its language uses), manuscript/images/ with the sample's picture, and a
.gitignore for build/. An existing project is never overwritten.
"""

from __future__ import annotations

import re
from pathlib import Path

from taidan.config.schema import skeleton
from taidan.pipeline.output import write_atomic

SKELETON = Path(__file__).resolve().parents[1] / "skeleton"
LANGUAGES = ("ja", "en")


class Refused(Exception):
    """The folder already holds a project: nothing was written."""


def manuscript_name(folder: Path) -> str:
    """The sample's file name: the folder's name as a plain ASCII slug."""
    slug = re.sub(r"[^a-z0-9]+", "-", folder.resolve().name.lower()).strip("-")
    return slug or "interview"


def create(folder: Path, lang: str = "ja") -> list[Path]:
    """Makes the project in ``folder`` and returns the files written."""
    for existing in ("taidan.toml", "manuscript"):
        if (folder / existing).exists():
            raise Refused(f"{folder / existing} already exists: taidan new does not "
                          "overwrite a book project (choose a new folder)")
    files = {
        folder / "taidan.toml": skeleton(lang).encode("utf-8"),
        folder / ".gitignore": (SKELETON / "gitignore").read_bytes(),
        folder / "manuscript" / f"{manuscript_name(folder)}.md": (SKELETON / f"{lang}.md").read_bytes(),
        folder / "manuscript" / "images" / "sample.png": (SKELETON / "images" / "sample.png").read_bytes(),
    }
    for path, data in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, data)
    return list(files)
