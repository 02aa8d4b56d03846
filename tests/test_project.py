"""taidan.toml: found by walking up, read with tomllib, every fault on its own line."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from taidan.config import project, schema
from taidan.editions import EDITIONS
from taidan.errors import ProblemsFound

TAIDAN = [sys.executable, "-m", "taidan"]


def _problems(folder: Path, text: str) -> list[str]:
    (folder / "taidan.toml").write_text(text, encoding="utf-8")
    with pytest.raises(ProblemsFound) as err:
        project.read(folder / "taidan.toml")
    return [str(p).split(":", 1)[1] for p in err.value.problems]


# (taidan.toml, the exact lines it must give, after "taidan.toml:")
CASES = [
    ('[build]\npapr = "B6"\n', ["2: unknown key 'papr' in [build] (did you mean 'paper'?)"]),
    ('[build]\npaper = "B5"\n', ["2: 'B5' is not one of A5, B6, A4, Letter (did you mean 'B6'?)"]),
    ('# c\n[build]\n\njobs = 0\n', ["4: jobs must be a whole number of 1 or more"]),
    ('[build]\npress = "yes"\n', ['2: press must be true (pdf/x-4), false, or one of "pdf/x-4", "pdf/x-1a"']),
    ('[build]\neditions = ["epub", "prnt"]\n',
     [f"2: 'prnt' is not one of {', '.join(EDITIONS)} (did you mean 'print'?)"]),
    ('[sendd]\nhost = "x"\n', ["1: unknown table [sendd] (did you mean 'send'?)"]),
    ('[send]\nport = 70000\nsecurity = "tls"\n',
     ["2: port must be a whole number from 1 to 65535",
      "3: 'tls' is not one of starttls, ssl, none (did you mean 'starttls'?)"]),
    ('[style]\naccent = "red"\n',
     ['2: \'red\' is not a colour (write it as "#rrggbb", e.g. "#8a1c1c")']),
    ('[publisher]\nname = "X"\ncredits = [{role = "Photos"}]\n',
     ["3: credits: each credit is {role = \"...\", name = \"...\"}"]),
    ('[build]\npaper = "A4"\nx = [1,\n', ["3: not valid TOML: invalid value (see https://toml.io)"]),
    ('[build]\npaper = "A4"\npaper = "B6"\n',
     ["3: not valid TOML: cannot overwrite a value (see https://toml.io)"]),
]


@pytest.mark.parametrize("text,expected", CASES)
def test_taidan_toml_faults_are_reported_on_their_line(tmp_path, text, expected):
    assert _problems(tmp_path, text) == expected


def test_found_by_walking_up_and_the_command_line_beats_the_file(tmp_path):
    book = tmp_path / "book"
    (book / "manuscript").mkdir(parents=True)
    (book / "notes" / "deep").mkdir(parents=True)
    (book / "taidan.toml").write_text('[build]\neditions = ["html"]\nout = "out"\n')
    found = project.find(book / "notes" / "deep")
    assert found.root == book.resolve()
    assert found.build_dir == book.resolve() / "out"
    assert found.config["build"]["paper"] == "A5"  # a default filled in
    (book / "manuscript" / "a.md").write_text(
        "---\ntitle: T\ndate: 2025-01-02\nlang: en\nspeakers:\n  - {id: ann, name: Ann}\n---\n\nAnn: Hi.\n")
    run = subprocess.run(TAIDAN + ["build"], cwd=book / "notes", capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "wrote ../out/a.html" in run.stdout
    assert sorted(p.name for p in (book / "out").iterdir() if not p.name.startswith(".")) == ["a.html"]
    run = subprocess.run(TAIDAN + ["build", "--edition", "epub", "--out", "elsewhere"],
                         cwd=book, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert (book / "elsewhere" / "a.epub").is_file()
    (book / "taidan.toml").write_text('[build]\neditons = ["html"]\n')
    run = subprocess.run(TAIDAN + ["check"], cwd=book / "notes" / "deep", capture_output=True, text=True)
    assert run.returncode == 2
    assert run.stderr == "../../taidan.toml:2: unknown key 'editons' in [build] (did you mean 'editions'?)\n"


SMALL = "---\ntitle: {title}\ndate: 2025-01-02\nlang: {lang}\nspeakers:\n  - {{id: ann, name: Ann}}\n---\n\n{body}\n"


@pytest.mark.chromium
def test_a_batch_builds_every_good_manuscript_and_reports_each_bad_one(tmp_path):
    folder = tmp_path / "many"
    folder.mkdir()
    (tmp_path / "empty").mkdir()
    (folder / "a.md").write_text(SMALL.format(title="A", lang="en", body="Ann: Hello."))
    (folder / "b.md").write_text(SMALL.format(title="B", lang="en", body="Bob: Hello."))
    (folder / "c.md").write_text(SMALL.format(title="C", lang="ja", body="Ann：こんにちは。"))
    run = subprocess.run(TAIDAN + ["check", "many", "empty"], cwd=tmp_path, capture_output=True, text=True)
    assert run.returncode == 2
    assert run.stderr.splitlines() == [
        "empty:0: no manuscripts (*.md) in this folder",
        "many/b.md:9: 'Bob' is not a declared speaker (declare it under speakers: in the front "
        "matter, fix the label, or write \\: if this is not a speaker label)"]
    run = subprocess.run(TAIDAN + ["build", "many", "--edition", "html", "epub-vertical", "print-vertical"],
                         cwd=tmp_path, capture_output=True, text=True)
    assert run.returncode == 2
    assert run.stderr.count("many/b.md:9: 'Bob' is not a declared speaker") == 1
    out = run.stdout.splitlines()
    # skipped once each, for the English manuscript only; the Japanese one gets both
    assert [line for line in out if line.startswith("skipped")] == [
        "skipped epub-vertical of a.md: vertical editions are for lang ja and zh",
        "skipped print-vertical of a.md: vertical editions are for lang ja and zh"]
    assert not any(line.startswith("building") and "vertical of a.md" in line for line in out)
    built = sorted(p.name for p in (tmp_path / "build").iterdir() if not p.name.startswith("."))
    assert built == ["a.html", "c-vertical.epub", "c-vertical.pdf", "c.html"]
    assert "Hello." in (tmp_path / "build" / "a.html").read_text()
    # the next build remembers the skips without building anything
    again = subprocess.run(TAIDAN + ["build", "many/a.md", "--edition", "epub-vertical", "html"],
                           cwd=tmp_path, capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines() == [
        "skipped epub-vertical of a.md: vertical editions are for lang ja and zh",
        "up to date build/a.html"]


def test_taidan_new_makes_a_valid_project_and_never_overwrites_one(tmp_path):
    """(tests/test_package.py builds it with the installed wheel and reads the books back)"""
    run = subprocess.run(TAIDAN + ["new", "book"], cwd=tmp_path, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    book = tmp_path / "book"
    assert (book / ".gitignore").read_text().splitlines()[-1] == "build/"
    assert project.read(book / "taidan.toml") == project.defaults()  # every key commented out
    text = (book / "taidan.toml").read_text()
    assert text == schema.skeleton()  # written from the schema (tests/test_config_schema.py)
    for table, keys in schema.SCHEMA.items():  # every key shown
        assert f"[{table}]" in text and all(f"# {key} = " in text for key in keys), table
    again = subprocess.run(TAIDAN + ["new", "book"], cwd=tmp_path, capture_output=True, text=True)
    assert (again.returncode, again.stdout) == (2, "")
    assert again.stderr == ("taidan: book/taidan.toml already exists: taidan new does not "
                            "overwrite a book project (choose a new folder)\n")
    run = subprocess.run(TAIDAN + ["new", "--lang", "en", "English Book"], cwd=tmp_path, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    for folder in (book / "manuscript", tmp_path / "English Book" / "manuscript" / "images"):
        check = subprocess.run(TAIDAN + ["check"], cwd=folder, capture_output=True, text=True)
        assert (check.returncode, check.stderr) == (0, "")
    assert (tmp_path / "English Book" / "manuscript" / "english-book.md").read_text().count("lang: en") == 1


def test_taidan_new_lang_en_makes_an_english_project_that_builds_without_skipping(tmp_path):
    """Latin faces in its taidan.toml, only the editions for English (a build reports no
    vertical edition skipped), a sample without Japanese-only syntax, built for real."""
    run = subprocess.run(TAIDAN + ["new", "--lang", "en", "book"], cwd=tmp_path, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    book = tmp_path / "book"
    toml = (book / "taidan.toml").read_text(encoding="utf-8")
    assert toml == schema.skeleton("en")
    assert '# body_font = "Linux Libertine O"' in toml and "BIZ UD" not in toml
    config = project.read(book / "taidan.toml")
    assert config["build"]["editions"] == [name for name, e in EDITIONS.items() if e.langs is None]
    sample = (book / "manuscript" / "book.md").read_text(encoding="utf-8").split("---\n", 2)[2]
    for japanese_only in (r"\{[^}|]+\|", "《《", r"\^\d+\^", "──"):  # ruby, dots, tate-chu-yoko
        assert not re.search(japanese_only, sample), japanese_only
    assert not any("\u3040" <= c <= "\u9fff" for c in sample)  # no kana or kanji
    run = subprocess.run(TAIDAN + ["build"], cwd=book, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "skipped" not in run.stdout + run.stderr, run.stdout
    assert sorted(p.name for p in (book / "build").iterdir() if not p.name.startswith(".")) == [
        "book-handout.pdf", "book.epub", "book.html", "book.kepub.epub", "book.pdf"]
    html = (book / "build" / "book.html").read_text(encoding="utf-8")
    for mark in ('class="narration"', 'class="stage-direction"', "<figcaption>", 'class="scene-break"',
                 'class="noteref"', "In short: the reader’s eye", 'class="part-title"', "(laughs)",
                 "<em>One</em>", "<strong>That</strong>", "15 January 2026"):
        assert mark in html, mark
    for japanese in ("<ruby>", 'class="dots"', 'class="tcy"'):
        assert japanese not in html, japanese
    fonts = subprocess.run(["pdffonts", str(book / "build" / "book.pdf")], capture_output=True,
                           text=True, check=True).stdout
    assert "+Latin-Text " in fonts and "+Latin-Text-Italic " in fonts and "BIZ" not in fonts, fonts


def test_an_overriding_css_file_loads_a_font_beside_it_or_says_why_not(tmp_path):
    """One file of the project's templates/ overrides the built-in print.css; its relative
    url() resolves beside it (not beside the manuscript), and a font that cannot be loaded
    is an error naming the file and line, never a silent fallback."""
    from conftest import ROOT

    font = Path("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf")
    subprocess.run(TAIDAN + ["new", "--lang", "en", "book"], cwd=tmp_path, check=True, capture_output=True)
    book = tmp_path / "book"
    css = book / "templates" / "print" / "print.css"
    (css.parent / "fonts").mkdir(parents=True)
    (css.parent / "fonts" / font.name).write_bytes(font.read_bytes())
    css.write_text((ROOT / "templates" / "print" / "print.css").read_text(encoding="utf-8")
                   + '@font-face { font-family: "House Serif"; src: url("fonts/DejaVuSerif.ttf"); }\n'
                   + 'html { font-family: "House Serif"; }\n', encoding="utf-8")
    line = css.read_text(encoding="utf-8").count("\n") - 1  # the @font-face rule's line
    run = subprocess.run(TAIDAN + ["build", "--edition", "print", "html"], cwd=book, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    fonts = subprocess.run(["pdffonts", str(book / "build" / "book.pdf")], capture_output=True,
                           text=True, check=True).stdout
    assert "+House-Serif " in fonts and "Oblique" not in fonts.split("+House-Serif ")[1].split("\n")[0]
    # only the print edition is overridden: the html page keeps the built-in stylesheet
    assert "House Serif" not in (book / "build" / "book.html").read_text(encoding="utf-8")
    (css.parent / "fonts" / font.name).rename(css.parent / "fonts" / "elsewhere.ttf")
    run = subprocess.run(TAIDAN + ["build", "--edition", "print"], cwd=book, capture_output=True, text=True)
    assert run.returncode == 2
    assert run.stderr == (f"templates/print/print.css:{line}: the font {css.parent.resolve()}/fonts/"
                          "DejaVuSerif.ttf could not be loaded (check the file's name and that it "
                          "is a TrueType, OpenType or WOFF font)\n")


def test_fonts_named_in_taidan_toml_reach_the_pdf_from_anywhere_on_the_machine(tmp_path):
    subprocess.run(TAIDAN + ["new", "--lang", "en", "book"], cwd=tmp_path, check=True, capture_output=True)
    book = tmp_path / "book"
    toml = book / "taidan.toml"
    text = toml.read_text(encoding="utf-8")
    toml.write_text(text.replace('# label_font = "Linux Biolinum O"', 'label_font = "IPAexGothc"'), encoding="utf-8")
    run = subprocess.run(TAIDAN + ["check"], cwd=book, capture_output=True, text=True)
    line = next(n for n, t in enumerate(toml.read_text().splitlines(), 1) if t.startswith("label_font"))
    assert (run.returncode, run.stderr) == (
        2, f"taidan.toml:{line}: no installed font family 'IPAexGothc' (did you mean 'IPAexGothic'?)\n")
    toml.write_text(text.replace('# label_font = "Linux Biolinum O"', 'label_font = "IPAexGothic"')
                    .replace('# body_font = "Linux Libertine O"',
                             'body_font = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"')
                    .replace('# accent = "#8a1c1c"', 'accent = "#8a1c1c"'), encoding="utf-8")
    run = subprocess.run(TAIDAN + ["build", "--edition", "print", "handout"], cwd=book, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    for pdf in ("book.pdf", "book-handout.pdf"):
        fonts = subprocess.run(["pdffonts", str(book / "build" / pdf)], capture_output=True,
                               text=True, check=True).stdout
        assert "+taidan-house-body" in fonts and "+taidan-house-label" in fonts, fonts


def test_a_missing_font_names_the_package_to_install(monkeypatch, tmp_path):
    """A pip user has no `make setup`: the message names the Debian package of the face."""
    from taidan.engines import fonts

    gone = tmp_path / "bizud-gothic" / "BIZUDPGothic-Bold.ttf"
    monkeypatch.setitem(fonts.FONTS, "gothic-bold", gone)
    with pytest.raises(FileNotFoundError) as err:
        fonts.font("gothic-bold")
    assert str(err.value) == (f"the font {gone} is missing: sudo apt-get install fonts-morisawa-bizud-gothic "
                              "(in a checkout of taidan, `make setup` installs every font)")
    # every face taidan uses comes from a package the message can name
    assert {path.parent.name for path in fonts.FONTS.values()} <= set(fonts.PACKAGES)


def test_compiled_templates_are_never_stale(tmp_path):
    """Compiled templates are kept between builds (Jinja's bytecode cache): an edited
    template is compiled again, and a cache folder that went away is only slower."""
    import shutil

    from taidan.render import jinja
    from taidan.editions import Options

    folder = tmp_path / "templates" / "shared"
    folder.mkdir(parents=True)
    page = folder / "probe.html"
    jinja.configure(Options(templates=str(tmp_path / "templates")))
    try:
        for text in ("first {{ 1 + 1 }}", "second {{ 2 + 2 }}"):
            page.write_text(text, encoding="utf-8")
            jinja.environment.cache_clear()  # what taidan serve does when a template changes
            assert jinja.environment("html").get_template("probe.html").render() == text.split()[0] + (
                " 2" if text.startswith("first") else " 4")
        shutil.rmtree(jinja._bytecode_cache().directory, ignore_errors=True)
        page.write_text("third", encoding="utf-8")
        jinja.environment.cache_clear()
        assert jinja.environment("html").get_template("probe.html").render() == "third"
    finally:
        os.makedirs(jinja._bytecode_cache().directory, mode=0o700, exist_ok=True)
        jinja.configure(Options())
        jinja.environment.cache_clear()


@pytest.mark.parametrize("paper", ["A5", "Letter"])
def test_the_english_sample_has_no_scene_break_atop_a_page(tmp_path, paper):
    """The sample `taidan new --lang en` writes, in print and handout: its scene break
    (* * *) stays with the text before it (at Letter it opened page 8 on its own, above the
    next section's heading); the page that opens a part has no running head (it repeated
    the title of the part's first section, printed just below); the handout of a book
    with no source or publisher gives its date alone (it read "Source: (15 January 2026)")."""
    subprocess.run(TAIDAN + ["new", "--lang", "en", "book"], cwd=tmp_path, check=True, capture_output=True)
    book = tmp_path / "book"
    run = subprocess.run(TAIDAN + ["build", "--edition", "print", "handout", "--paper", paper],
                         cwd=book, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    mark = re.compile(r"^\*\s+\*\s+\*$")  # pdftotext gives the em spaces as spaces
    for pdf in ("book.pdf", "book-handout.pdf"):
        pages = pages_of_book(book / "build" / pdf)
        assert sum(bool(mark.match(line)) for page in pages for line in page) == 1, pdf
        for number, lines in enumerate(pages, 1):
            # the running head, then the page's text: never the break mark first
            assert not any(mark.match(line) for line in lines[:2]), (pdf, number, lines[:3])
    handout = [line for lines in pages_of_book(book / "build" / "book-handout.pdf") for line in lines]
    assert not any("Source" in line for line in handout)
    assert "15 January 2026 Interview and editing Hana Yamada" in handout, handout[-3:]
    opening = [lines for lines in pages_of_book(book / "build" / "book.pdf")
               if "CONTENTS" not in lines and any(line.startswith("Part ") for line in lines)]
    assert [lines[:2] for lines in opening] == [["Part one: in the studio", "A day for a single letter"],
                                                ["Part two: what comes next", "Whose letters are they?"]]


def pages_of_book(pdf: Path) -> list[list[str]]:
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return [[line.strip() for line in page.splitlines() if line.strip()] for page in text.split("\f")]
