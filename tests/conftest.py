"""Shared fixtures: each sample is built once per test session, into a temporary folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from taidan.build import build
from taidan.editions import Options
from taidan.load import load

ROOT = Path(__file__).resolve().parents[1]
INTERVIEW = ROOT / "manuscript" / "interview-2025-10-06.md"
# the article the manuscript was made from (see manuscript/source/README)
SOURCE = ROOT / "manuscript" / "source" / "interview-2025-10-06.txt"
BUILD = ROOT / "build"  # page images and screenshots for people to look at


@pytest.fixture(scope="session")
def interview():
    return load(INTERVIEW)


@pytest.fixture(scope="session")
def build_once(tmp_path_factory):
    """build_once(edition, manuscript=INTERVIEW, **options) -> {file name: Path}, cached."""
    cache: dict = {}

    def run(edition: str, manuscript: Path = INTERVIEW, **options) -> dict[str, Path]:
        key = (edition, Path(manuscript), tuple(sorted(options.items())))
        if key not in cache:
            out = tmp_path_factory.mktemp(edition)
            paths = build([Path(manuscript)], [edition], out, Options(**options), say=lambda s: None)
            cache[key] = {p.name: p for p in paths}
        return cache[key]

    return run
