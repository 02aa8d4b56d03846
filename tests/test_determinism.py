"""Determinism: the same manuscript gives byte-identical files whatever the time zone, the
locale, PYTHONHASHSEED, SOURCE_DATE_EPOCH and the working directory.

The reference is the session's in-process build (build_once); the others are real
`taidan build` processes in other folders with other environments.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from taidan.editions import EDITIONS

from conftest import INTERVIEW

pytestmark = [pytest.mark.chromium, pytest.mark.slow]  # every edition, in subprocesses

CORPUS = Path(__file__).resolve().parent / "corpus"

# Far-apart zones and hash seeds; an ASCII-only C locale with UTF-8 mode off (any
# open() without an encoding would break or change bytes); a SOURCE_DATE_EPOCH of 1970
# (the manuscript's own date must win); Chromium sees another language.
ENVIRONMENTS = {
    "ascii-kiritimati": ({"TZ": "Pacific/Kiritimati", "LC_ALL": "C", "LANG": "C", "PYTHONUTF8": "0",
                          "PYTHONCOERCECLOCALE": "0", "PYTHONHASHSEED": "4242",
                          "SOURCE_DATE_EPOCH": "1"}, list(EDITIONS)),
    "french-newfoundland": ({"TZ": "America/St_Johns", "LC_ALL": "fr_FR.UTF-8", "LANG": "fr_FR.UTF-8",
                             "LANGUAGE": "fr", "PYTHONHASHSEED": "1"},
                            [e for e in EDITIONS if e not in ("print", "handout")]),
}


def build_elsewhere(manuscript: Path, editions: list[str], env: dict, folder: Path) -> dict[str, bytes]:
    """A real build run from ``folder`` (not the repository), the manuscript by absolute path."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "PYTHONHASHSEED"))}
    result = subprocess.run([sys.executable, "-m", "taidan", "build", str(manuscript),
                             "--edition", *editions, "--out", "out"],
                            cwd=folder, env={**clean, **env}, capture_output=True, timeout=900)
    assert result.returncode == 0, result.stderr.decode("utf-8", "replace")
    return {p.name: p.read_bytes() for p in (folder / "out").iterdir() if not p.name.startswith(".")}


@pytest.mark.parametrize("manuscript", [INTERVIEW, CORPUS / "ok-image.md"], ids=lambda p: p.stem)
@pytest.mark.parametrize("name", ENVIRONMENTS)
def test_outputs_are_byte_identical_in_any_environment(name, manuscript, build_once, tmp_path):
    env, editions = ENVIRONMENTS[name]
    if manuscript != INTERVIEW:
        editions = [e for e in editions if e in ("html", "epub")]  # English: no vertical books
    reference = {}
    for edition in editions:
        reference.update({n: p.read_bytes() for n, p in build_once(edition, manuscript).items()})
    assert reference
    elsewhere = build_elsewhere(manuscript, editions, env, tmp_path)
    assert elsewhere.keys() == reference.keys()
    different = [n for n in reference if elsewhere[n] != reference[n]]
    assert different == [], different
