"""The edition registry (taidan.editions.registry), read against real builds: the files it
names are the files each edition writes, for a Japanese and an English book; the languages
it declares are the ones the build follows; a build with nothing to do imports no edition."""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile
from types import SimpleNamespace

import pytest

from taidan.editions import EDITIONS, Options, skip_reason
from taidan.editions.epub_vertical import vertical_runs
from taidan.editions.print_vertical import text_runs
from taidan.load import load
from taidan.pipeline.build import build

from conftest import ROOT, clean_env

SAMPLES = ROOT / "tests" / "epub_samples"
SMALL_JA, SMALL_EN = SAMPLES / "small-ja.md", SAMPLES / "small-en.md"


def test_the_editions_keep_their_names_and_order():
    """The order of --edition's help and of taidan.toml's error message."""
    assert list(EDITIONS) == ["html", "epub", "epub-vertical", "kepub", "print-vertical",
                              "print", "handout"]
    assert all(edition.name == name for name, edition in EDITIONS.items())


def _is_a(media_type: str, data: bytes, m) -> bool:
    """Whether ``data`` is a file of ``media_type`` made of manuscript ``m``."""
    if media_type == "application/pdf":
        return data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    if media_type in ("application/epub+zip", "application/kepub+zip"):
        with zipfile.ZipFile(io.BytesIO(data)) as package:  # both are EPUB packages inside
            return (package.namelist()[0] == "mimetype"
                    and package.read("mimetype") == b"application/epub+zip")
    if media_type == "text/html":
        return data.startswith(b"<!DOCTYPE html>\n<html lang=\"" + m.meta.lang.encode() + b"\"")
    raise AssertionError(f"no check for {media_type}")


# The file names people and scripts rely on: a Japanese book's, an English book's.
FILES = {
    "html": (["small-ja.html"], ["small-en.html"]),
    "epub": (["small-ja.epub"], ["small-en.epub"]),
    "epub-vertical": (["small-ja-vertical.epub"], []),
    "kepub": (["small-ja.kepub.epub", "small-ja-vertical.kepub.epub"], ["small-en.kepub.epub"]),
    "print-vertical": (["small-ja-vertical.pdf"], []),
    "print": (["small-ja.pdf"], ["small-en.pdf"]),
    "handout": (["small-ja-handout.pdf"], ["small-en-handout.pdf"]),
}


@pytest.mark.parametrize("manuscript", [SMALL_JA, SMALL_EN], ids=["ja", "en"])
@pytest.mark.parametrize("name", list(EDITIONS))
def test_the_registry_names_the_files_a_build_writes(build_once, name, manuscript):
    m = load(manuscript)
    edition = EDITIONS[name]
    written = build_once(name, manuscript)
    assert list(written) == edition.files(m) == FILES[name][manuscript == SMALL_EN]
    assert bool(written) == edition.applies(m)  # English: no vertical edition, no file
    for output in edition.outputs:
        if output.file(m) in written:
            assert _is_a(output.media_type, written[output.file(m)].read_bytes(), m), output


def test_vertical_editions_are_for_japanese_and_chinese():
    """By the language's primary subtag: ja-JP and zh-Hant are, jam (Jamaican Creole) is not."""
    for lang, vertical in [("ja", True), ("ja-JP", True), ("zh", True), ("zh-Hant-TW", True),
                           ("en", False), ("en-GB", False), ("jam", False), ("zha", False)]:
        m = SimpleNamespace(name="book", meta=SimpleNamespace(lang=lang))
        for name, edition in EDITIONS.items():
            is_vertical = name in ("epub-vertical", "print-vertical")
            assert edition.applies(m) == (vertical or not is_vertical), (lang, name)
            assert skip_reason(name, m) == (
                "vertical editions are for lang ja and zh" if is_vertical and not vertical else None)
        kobo = EDITIONS["kepub"].files(m)
        assert kobo == ["book.kepub.epub"] + (["book-vertical.kepub.epub"] if vertical else [])


def test_an_english_book_is_told_why_it_has_no_vertical_edition(tmp_path):
    said = []
    written = build([SMALL_EN], ["epub-vertical", "print-vertical"], tmp_path, Options(),
                    say=said.append)
    assert written == []
    assert said == [f"skipped {name} of small-en.md: vertical editions are for lang ja and zh"
                    for name in ("epub-vertical", "print-vertical")]


NOTHING_TO_DO = """
import sys
from pathlib import Path
from taidan.editions import Options
from taidan.pipeline.build import build

said = []
build([Path(sys.argv[1])], ["html", "print"], Path(sys.argv[2]), Options(), say=said.append)
print(said)
print(sorted(m for m in ("jinja2", "weasyprint", "taidan.load", "taidan.editions.html",
                         "taidan.editions.print_pdf", "taidan.engines.chromium")
             if m in sys.modules))
"""


def test_a_build_with_nothing_to_do_imports_no_edition(tmp_path):
    """The registry is all a build reads of the editions until one has to be built."""
    env = clean_env(XDG_CACHE_HOME=str(tmp_path / "cache"))
    env.pop("TAIDAN_NO_CACHE", None)
    out = tmp_path / "out"
    runs = [subprocess.run([sys.executable, "-c", NOTHING_TO_DO, str(SMALL_EN), str(out)], env=env,
                           capture_output=True, text=True, check=True).stdout.splitlines()
            for _ in range(2)]
    assert "'taidan.load'" in runs[0][1]  # it built (the editions in forked workers)
    assert runs[1] == [repr([f"up to date {out / 'small-en.html'}", f"up to date {out / 'small-en.pdf'}"]),
                       "[]"]


def test_the_two_vertical_rule_sets_agree_where_they_share_a_rule():
    """epub-vertical and print-vertical mark up runs of Latin text with two rule sets (their
    docstrings say where and why they differ); where they share a rule, they agree."""
    for text, marked in [("AIの話", [("tcy", "AI")]), ("CEOに聞く", [("upright", "CEO")]),
                         ("12月", [("tcy", "12")]), ("本当!?", [("tcy", "!?")]),
                         ("GHOST IN THE SHELLを観た", []), ("GPT-2で", [])]:
        assert [run for run in vertical_runs(text) if run[0]] == marked, text
        assert [run for run in text_runs(text) if run[0] != "text"] == marked, text
