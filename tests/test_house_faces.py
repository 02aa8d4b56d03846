"""A house face carries its whole family: with [style] fonts set, the print book and the
handout embed the family's italic and bold files (read back from the PDFs' font programs),
no built-in Latin face is left anywhere, a missing style is a warning naming it, and the
colophon names the face used."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pypdf
import pytest
from fontTools.ttLib import TTFont

from conftest import ROOT, clean_env

GARAMOND = Path("/usr/share/fonts/opentype/ebgaramond")
MANUSCRIPT = """---
title: Salt on the Wire
date: 2025-11-03
lang: en
speakers:
  - {id: ruth, name: Ruth Abara, label: Ruth, role: interviewer}
  - {id: tom, name: Tom Barker, label: Tom, role: engineer}
---

## The basement

Ruth: We listened to *Salt on the Wire* and the *Evening News*.[^1]

Tom: It was **about me**, and ***all of it***.

— The basement was cold.

[^1]: Both on *tape*.
"""


def taidan(*args, cwd: Path):
    return subprocess.run([sys.executable, "-m", "taidan", *args], cwd=cwd, capture_output=True,
                          text=True, env=clean_env(PYTHONPATH=str(ROOT / "tools")), timeout=600)


def embedded(pdf: Path) -> dict[str, tuple[str, str]]:
    """The PDF's fonts: its name -> (the font program's full name, its weight)."""
    found = {}
    for page in pypdf.PdfReader(pdf).pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            font = font.get_object()
            for part in [d.get_object() for d in font.get("/DescendantFonts", [])] or [font]:
                descriptor = part["/FontDescriptor"].get_object()
                program = TTFont(io.BytesIO(descriptor["/FontFile3"].get_object().get_data()))
                cff = program["CFF "].cff
                top = cff[cff.fontNames[0]]
                found[str(part["/BaseFont"]).split("+")[-1]] = (top.FullName, getattr(top, "Weight", ""))
    return found


@pytest.fixture(scope="module")
def book(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    folder = tmp_path_factory.mktemp("house-faces")
    (folder / "manuscript").mkdir()
    (folder / "manuscript" / "salt.md").write_text(MANUSCRIPT, encoding="utf-8")
    (folder / "taidan.toml").write_text('[style]\nbody_font = "EB Garamond"\n'
                                        'heading_font = "EB Garamond"\nlabel_font = "EB Garamond"\n')
    done = taidan("build", "-v", "--edition", "print", "handout", cwd=folder)
    assert done.returncode == 0, done.stderr
    return folder, done


@pytest.mark.parametrize("name", ["salt.pdf", "salt-handout.pdf"])
def test_italic_and_bold_are_the_familys_own_files(book, name):
    fonts = embedded(book[0] / "build" / name)
    # italic text is set in the italic file; bold is the regular one thickened (Debian's EB
    # Garamond 12 Bold has 127 characters and fontconfig never picks it), never Libertine
    assert fonts["taidan-house-body-Italic"][0] == "EB Garamond 12 Italic", fonts
    assert fonts["taidan-house-body"][0] == "EB Garamond 12 Regular", fonts
    assert all(full.startswith("EB Garamond") for full, _ in fonts.values()), fonts
    listed = subprocess.run(["pdffonts", str(book[0] / "build" / name)], capture_output=True,
                            text=True, check=True).stdout
    assert "Libertine" not in listed and "Biolinum" not in listed


def test_the_missing_style_is_a_warning_and_verbose_names_each_file(book):
    _, done = book
    assert ("taidan.toml:2: warning: body_font: 'EB Garamond' has no bold and bold italic file "
            "with all its characters (its bold file EBGaramond12-Bold.otf covers only U+20-7E, "
            "U+A0-BF, which the EPUB editions set in it); the PDF editions slant or thicken the "
            "regular one instead" in done.stderr)
    for style, file in (("regular", "EBGaramond12-Regular.otf"), ("italic", "EBGaramond12-Italic.otf")):
        assert f"body font 'EB Garamond', {style}: {GARAMOND / file}\n" in done.stdout
    assert (f"body font 'EB Garamond', bold: {GARAMOND / 'EBGaramond12-Bold.otf'} (U+20-7E, U+A0-BF only)"
            in done.stdout)


def test_a_family_with_all_four_styles_embeds_all_four(tmp_path):
    (tmp_path / "salt.md").write_text(MANUSCRIPT, encoding="utf-8")
    (tmp_path / "taidan.toml").write_text('[style]\nlatin_body_font = "Linux Libertine O"\n')
    done = taidan("build", "salt.md", "--edition", "print", cwd=tmp_path)
    assert done.returncode == 0 and "warning" not in done.stderr, done.stderr
    fonts = embedded(tmp_path / "build" / "salt.pdf")
    assert fonts["taidan-house-latin_body-Italic"][0] == "Linux Libertine O Italic", fonts
    assert fonts["taidan-house-latin_body-Bold"][0] == "Linux Libertine O Bold", fonts
    assert fonts["taidan-house-latin_body-Bold-Italic"][0] == "Linux Libertine O Bold Italic", fonts


def test_the_colophon_names_the_house_face(book):
    text = subprocess.run(["pdftotext", str(book[0] / "build" / "salt.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout
    assert "EB Garamond · taidan" in text and "Libertine" not in text


def test_a_face_given_style_by_style(tmp_path):
    (tmp_path / "salt.md").write_text(MANUSCRIPT, encoding="utf-8")
    libertine = Path("/usr/share/fonts/opentype/linux-libertine")
    (tmp_path / "taidan.toml").write_text(
        f'[style]\nbody_font = {{regular = "{libertine / "LinLibertine_R.otf"}", '
        f'italic = "{GARAMOND / "EBGaramond12-Italic.otf"}"}}\n')
    done = taidan("build", "salt.md", "--edition", "print", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "has no bold and bold italic file" in done.stderr
    fonts = embedded(tmp_path / "build" / "salt.pdf")
    assert fonts["taidan-house-body-Italic"][0] == "EB Garamond 12 Italic", fonts
    (tmp_path / "taidan.toml").write_text('[style]\nbody_font = {regular = "a.otf", slanted = "b.otf"}\n')
    done = taidan("check", "salt.md", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith("taidan.toml:2: 'slanted' is not a style (styles: regular, italic, bold, bold_italic)")


def test_the_generated_cover_is_set_in_the_house_face(tmp_path):
    """The EPUB's generated cover draws its title in the house face, as the pages do: the
    same book gives another cover with EB Garamond than with the built-in faces, and the
    cover's faces are the house files."""
    import zipfile

    from taidan.config import project
    from taidan.editions import cover
    from taidan.pipeline import load
    from taidan.render import jinja

    (tmp_path / "salt.md").write_text(MANUSCRIPT, encoding="utf-8")
    covers = {}
    for name, style in (("built-in", ""), ("house", 'body_font = "EB Garamond"\nheading_font = "EB Garamond"\n')):
        (tmp_path / "taidan.toml").write_text("[style]\n" + style)
        done = taidan("build", "salt.md", "--edition", "epub", "--out", f"out-{name}", cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        with zipfile.ZipFile(tmp_path / f"out-{name}" / "salt.epub") as book:
            covers[name] = book.read("EPUB/images/cover.png")
        options = project.find(tmp_path).options()
        before = dict(jinja._project)
        jinja.configure(options)
        try:
            files = {part: cover._file(role) for part, role in cover.roles(load(tmp_path / "salt.md", options)).items()}
        finally:
            jinja._project.update(before)  # the render state as the other tests left it
        if name == "house":
            assert files["title"].parent == GARAMOND and files["subtitle"].name == "EBGaramond12-Italic.otf", files
        else:
            assert all("linux-libertine" in str(f) for f in files.values()), files
    assert covers["built-in"] != covers["house"]


def _text_drawing(pdf: Path) -> list[tuple[str, bool, float]]:
    """Each run of text on the first text page: (its font's name, stroked as well as filled,
    the slant of its text matrix)."""
    import pikepdf

    runs, stroked, slant, font = [], False, 0.0, ""
    with pikepdf.open(pdf) as doc:
        for page in doc.pages:
            names = {str(k): str(v.get("/BaseFont", "")).split("+")[-1]
                     for k, v in (page.Resources.get("/Font") or {}).items()}
            for operands, operator in pikepdf.parse_content_stream(page):
                op = str(operator)
                if op == "Tr":
                    stroked = int(operands[0]) == 2
                elif op == "Tm":
                    slant = float(operands[2])
                elif op == "Tf":
                    font = names.get(str(operands[0]), "")
                elif op in ("TJ", "Tj"):
                    runs.append((font, stroked, slant))
                elif op == "Q":
                    stroked = False
    return runs


def test_a_face_without_italic_and_bold_files_slants_and_thickens_the_regular(tmp_path):
    """A face given as one file has no italic or bold: the PDF slants its italic text and
    strokes its bold text, as browsers do (before, both were drawn upright and regular, and
    the emphasis was gone). Text in the built-in faces, which have the styles, is drawn as is."""
    (tmp_path / "salt.md").write_text(MANUSCRIPT, encoding="utf-8")
    libertine = Path("/usr/share/fonts/opentype/linux-libertine/LinLibertine_R.otf")
    (tmp_path / "taidan.toml").write_text(f'[style]\nbody_font = "{libertine}"\n')
    done = taidan("build", "salt.md", "--edition", "print", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    runs = _text_drawing(tmp_path / "build" / "salt.pdf")
    house = [r for r in runs if r[0].startswith("taidan-house-body")]
    # (Pango names the style it asked for and did not find "Oblique")
    assert ("taidan-house-body-Oblique", False, pytest.approx(0.2126, abs=1e-3)) in house, house
    assert ("taidan-house-body-Bold", True, 0.0) in house, house
    assert ("taidan-house-body-Bold-Oblique", True, pytest.approx(0.2126, abs=1e-3)) in house, house
    assert all(not stroked and slant == 0 for font, stroked, slant in house if font == "taidan-house-body")
    # the built-in faces (headings, running heads) have their styles: nothing is synthesised
    assert all(not stroked and slant == 0 for font, stroked, slant in runs if font.startswith("Latin-Sans"))
