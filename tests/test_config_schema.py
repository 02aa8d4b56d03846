"""The config schema: each taidan.toml key declared once, and what is made from it (the
skeleton taidan new writes, the options of the command line, their merge, the reference page)."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader

from taidan.cli import _parser
from taidan.config import project, reference, schema
from taidan.config.paper import PAPERS
from taidan.editions import EDITIONS
from taidan.errors import ProblemsFound

from conftest import ROOT

TAIDAN = [sys.executable, "-m", "taidan"]
SMALL_JA = "---\ntitle: 紙\ndate: 2025-01-02\nlang: ja\nspeakers:\n  - {id: ann, name: 杏}\n---\n\n杏：こんにちは。\n"


def test_the_reference_page_is_the_one_the_schema_writes():
    page = (ROOT / "docs" / "reference" / "config.md").read_text(encoding="utf-8")
    assert page == reference.page(), (
        "write it again: python -m taidan.config.reference > docs/reference/config.md")
    for table, keys in schema.SCHEMA.items():
        assert f"## [{table}]" in page and all(f"### {key}\n" in page for key in keys)
    assert "`taidan build --paper {A5,B6,A4,Letter}`" in page and "`taidan catalog --out OUT`" in page


def test_every_example_in_the_skeleton_is_valid_and_means_what_it_says(tmp_path):
    """Each commented line of the skeleton, uncommented, passes the checks and gives the
    value it shows; left commented, the file is the defaults."""
    text = schema.skeleton()
    (tmp_path / "taidan.toml").write_text(text, encoding="utf-8")
    assert project.read(tmp_path / "taidan.toml") == project.defaults()
    keys = [s.key for s in schema.SETTINGS if s.key not in schema.FONT_KEYS]
    live = "\n".join(line[2:] if any(line.startswith(f"# {key} = ") for key in keys) else line
                     for line in text.splitlines())
    (tmp_path / "taidan.toml").write_text(live, encoding="utf-8")
    config = project.read(tmp_path / "taidan.toml")  # fonts stay commented: the machine may lack them
    for setting in schema.SETTINGS:
        if setting.key in keys:
            assert config[setting.table][setting.key] == setting.sample, setting.key


def test_the_command_line_options_come_from_the_schema(capsys):
    parser = _parser()
    build = parser.parse_args(["build", "--edition", "html", "print", "--paper", "B6", "--press",
                               "--out", "x", "--jobs", "3", "--no-embed-fonts"])
    assert schema.given(build) == {"editions": ["html", "print"], "paper": "B6", "press": True,
                                   "out": Path("x"), "jobs": 3, "embed_fonts": False}
    assert schema.given(parser.parse_args(["build"])) == {}
    assert schema.given(parser.parse_args(["catalog", "--out", "y"])) == {"out": Path("y")}
    for argv, message in ((["build", "--jobs", "0"], "argument --jobs: '0' is not a whole number of 1 or more"),
                          (["build", "--paper", "B5"], "argument --paper: invalid choice: 'B5' "
                                                       "(choose from 'A5', 'B6', 'A4', 'Letter')"),
                          (["build", "--edition", "prnt"], "argument --edition: invalid choice: 'prnt'")):
        with pytest.raises(SystemExit):
            parser.parse_args(argv)
        assert message in capsys.readouterr().err.replace('"', "'")
    with pytest.raises(SystemExit):
        parser.parse_args(["build", "--help"])
    shown = " ".join(capsys.readouterr().out.split())
    for setting in schema.options_of("build"):
        assert setting.help in shown and f"[{setting.table}] {setting.key})" in shown
    assert "one or more of " + ", ".join(EDITIONS) + " (default: all;" in shown


def test_the_command_line_beats_taidan_toml_which_beats_the_default(tmp_path):
    (tmp_path / "taidan.toml").write_text('[build]\npaper = "B6"\nout = "books"\njobs = 3\n'
                                          'editions = ["epub"]\n', encoding="utf-8")
    book = project.find(tmp_path)
    from_file = book.settings()
    assert from_file == {"editions": ["epub"], "paper": "B6", "press": False, "press_marks": True,
                         "out": project.shown(tmp_path / "books"), "embed_fonts": False, "jobs": 3,
                         "audio_bitrate": None}
    args = _parser().parse_args(["build", "--paper", "A4", "--out", "here", "--press"])
    assert book.settings(args) == {**from_file, "paper": "A4", "out": Path("here"), "press": True}
    options = book.options(args)
    assert (options.paper, options.press, options.embed_fonts) == ("A4", "pdf/x-4", False)
    # --press=pdf/x-1a names the standard, --no-press beats press = true in taidan.toml
    assert book.options(_parser().parse_args(["build", "--press=pdf/x-1a"])).press == "pdf/x-1a"
    assert book.options(_parser().parse_args(["build", "--no-press"])).press == ""
    assert (options.press_marks, options.colours) == (True, 1)
    assert book.options(paper="Letter").paper == "Letter"  # keywords, as the library's callers pass them
    assert book.options().paper == "B6"
    plain = project.Project(root=tmp_path / "plain").settings({"jobs": None})  # no taidan.toml
    assert (plain["editions"], plain["paper"], plain["jobs"]) == (list(EDITIONS), "A5", None)


def test_a_key_and_its_option_are_checked_alike(tmp_path):
    """The same kind checks taidan.toml and the command line: a bad value is refused by both."""
    (tmp_path / "taidan.toml").write_text('[build]\njobs = 0\n', encoding="utf-8")
    with pytest.raises(ProblemsFound) as err:
        project.read(tmp_path / "taidan.toml")
    assert [str(p).split(":", 1)[1] for p in err.value.problems] == ["2: jobs must be a whole number of 1 or more"]
    with pytest.raises(argparse.ArgumentTypeError, match="'0' is not a whole number of 1 or more"):
        schema.SCHEMA["build"]["jobs"].kind.parse("0")


@pytest.mark.parametrize("paper", ["B6", "Letter"])
def test_both_print_editions_have_the_declared_paper_size(tmp_path, paper):
    (tmp_path / "manuscript").mkdir()
    (tmp_path / "manuscript" / "kami.md").write_text(SMALL_JA, encoding="utf-8")
    run = subprocess.run(TAIDAN + ["build", "--edition", "print", "print-vertical", "--paper", paper],
                         cwd=tmp_path, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    size = PAPERS[paper]
    for pdf in ("kami.pdf", "kami-vertical.pdf"):
        box = PdfReader(tmp_path / "build" / pdf).pages[0].mediabox
        points = [float(box.width) * 25.4 / 72, float(box.height) * 25.4 / 72]
        # Chromium makes a page a whole number of CSS pixels (0.26 mm)
        assert points == pytest.approx([size.width_mm, size.height_mm], abs=0.27), pdf
