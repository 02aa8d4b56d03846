"""taidan as a package: a wheel built from the repository, installed (not editable) into a
new virtual environment outside it, works from a book folder of its own; and what a broken
installation or a crashing edition says."""

from __future__ import annotations

import shutil
import sys
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from conftest import INTERVIEW, ROOT, SOURCE, clean_env, run
from pdfread import body_text, missing_in_order, pages, source_sentences

import taidan

pytestmark = [pytest.mark.slow]  # a wheel built and installed in a new venv

OPF = "{http://www.idpf.org/2007/opf}"
DC = "{http://purl.org/dc/elements/1.1/}"


def test_the_package_holds_the_code_and_every_template(installed_taidan, tmp_path):
    python = installed_taidan.parent / "python"
    listed = run(python, "-c", "import importlib.metadata as m; print(*m.files('taidan'), sep=chr(10))",
                 cwd=tmp_path)
    names = set(listed.stdout.split())  # as the wheel's RECORD lists them
    templates = {str(p.relative_to(ROOT)) for p in (ROOT / "templates").rglob("*") if p.is_file()}
    assert {f"taidan/{name}" for name in templates} <= names
    code = {str(p.relative_to(ROOT / "tools")) for p in (ROOT / "tools" / "taidan").rglob("*")
            if p.is_file() and "__pycache__" not in p.parts and "templates" not in p.parts}
    assert code <= names  # the modules and their data (serve's ui/ ...)
    assert "taidan/templates/shared/strings.yaml" in names
    assert not [n for n in names if n.startswith(("tests/", "templates/", "manuscript/"))]


def test_version_comes_from_the_installed_package(installed_taidan, tmp_path):
    done = run(installed_taidan, "--version", cwd=tmp_path)
    assert (done.returncode, done.stdout) == (0, f"taidan {taidan.__version__}\n")


def test_installed_taidan_builds_a_book_folder_of_its_own(installed_taidan, tmp_path):
    book = tmp_path / "book"
    shutil.copytree(ROOT / "manuscript", book / "manuscript")  # source/ holds the article: not a manuscript
    python = installed_taidan.parent / "python"
    where = run(python, "-c", "import taidan, taidan.render.jinja as r; print(taidan.__file__); print(r.TEMPLATES)", cwd=book)
    module, templates = where.stdout.split()
    assert Path(module).is_relative_to(installed_taidan.parents[1])  # not this checkout
    assert Path(templates).is_relative_to(installed_taidan.parents[1])

    done = run(installed_taidan, "build", "--edition", "epub", "print", "--jobs", "1", cwd=book)
    assert done.returncode == 0, done.stderr
    stem = INTERVIEW.stem
    wrote = sorted(line for line in done.stdout.splitlines() if not line.startswith("building "))
    assert wrote == [f"wrote build/{stem}.epub", f"wrote build/{stem}.pdf"]

    text = body_text(pages(book / "build" / f"{stem}.pdf"))
    sentences = source_sentences(SOURCE, ["サム", "真鍋", "草野"])
    assert len(sentences) > 50
    assert missing_in_order(sentences, text) == []

    with zipfile.ZipFile(book / "build" / f"{stem}.epub") as epub:
        container = ET.fromstring(epub.read("META-INF/container.xml"))
        opf_name = container.find(".//{*}rootfile").get("full-path")
        opf = ET.fromstring(epub.read(opf_name))
    titles = [t.text for t in opf.iter(f"{DC}title")]
    assert titles[0] == "「AIは親切なエイリアン」「デスノートが好き」"
    assert opf.find(f".//{DC}language").text == "ja"


def test_installed_taidan_new_then_build_inside_it(installed_taidan, tmp_path):
    """taidan new book, then taidan build with no arguments from a subfolder of it: every
    edition written to book/build/, and every syntax of the sample found in them."""
    done = run(installed_taidan, "new", "book", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    book = tmp_path / "book"
    done = run(installed_taidan, "build", cwd=book / "manuscript" / "images")
    assert done.returncode == 0, done.stderr
    out = book / "build"
    assert {p.name for p in out.iterdir()} >= {
        "book-handout.pdf", "book-vertical.epub", "book-vertical.pdf", "book.epub", "book.html", "book.pdf"}
    html = (out / "book.html").read_text(encoding="utf-8")
    for mark in ('class="narration"', 'class="stage-direction"', "<ruby>", 'class="dots"',
                 'class="tcy"', 'alt="二つの吹き出しが向かい合う図"', "<figcaption>話す人と聞く人",
                 'class="scene-break"', 'class="noteref"', "結論：見た目より", 'class="part-title"',
                 "（笑）"):
        assert mark in html, mark
    book_pages = pages(out / "book.pdf")
    assert len(book_pages) >= 5
    first = "".join(line.text for line in book_pages[0].lines)
    assert "一文字に一日かける仕事" in first and "森一郎" in first
    text = "".join(line.text for page in book_pages for line in page.lines)
    assert "第二部これから" in text.replace("　", "")
    assert "つまり線の通り道です" in text and "骨格を先に決めるやり方" in text  # a turn, its footnote
    with zipfile.ZipFile(out / "book.epub") as epub:
        sample = (book / "manuscript" / "images" / "sample.png").read_bytes()
        assert epub.read("EPUB/images/image-1.png") == sample
        nav = epub.read("EPUB/text/nav.xhtml").decode("utf-8")
        assert "縦に組むときのこと" in nav and "文字は誰のものか" in nav


# ---- a broken installation, a crashing edition: one line each, the truth about what was written

def taidan_here(*args, cwd: Path, **env):
    return run(sys.executable, "-m", "taidan", *args, cwd=cwd, env=clean_env(**env))


def test_a_missing_template_file_names_it_and_the_fix(tmp_path):
    shutil.copytree(ROOT / "templates", tmp_path / "t")
    (tmp_path / "t" / "print" / "book.html").unlink()
    shutil.copy(INTERVIEW, tmp_path)
    done = taidan_here("build", INTERVIEW.name, "--edition", "print", "--out", "out", cwd=tmp_path,
                       TAIDAN_TEMPLATES="t")
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "t/print/book.html:0: template missing (TAIDAN_TEMPLATES names a templates folder "
        "without it: copy it there or unset TAIDAN_TEMPLATES)"]
    assert not (tmp_path / "out" / f"{INTERVIEW.stem}.pdf").exists()


def test_an_unreadable_strings_file_names_it_and_the_fix(tmp_path):
    shutil.copytree(ROOT / "templates", tmp_path / "t")
    strings = tmp_path / "t" / "shared" / "strings.yaml"
    strings.unlink()
    strings.mkdir()  # there, but not a file
    shutil.copy(INTERVIEW, tmp_path)
    done = taidan_here("build", INTERVIEW.name, "--edition", "html", "--out", "out", cwd=tmp_path,
                       TAIDAN_TEMPLATES="t")
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "t/shared/strings.yaml:0: cannot read it: Is a directory (TAIDAN_TEMPLATES names a "
        "templates folder without it: copy it there or unset TAIDAN_TEMPLATES)"]


def broken_templates(folder: Path, *files: str) -> Path:
    """A copy of the templates where each of ``files`` crashes when rendered: Python's
    str.encode called from the template raises UnicodeEncodeError, not a template error."""
    copy = folder / "t"
    shutil.copytree(ROOT / "templates", copy)
    for name in files:
        page = copy / name
        page.write_text('{{ "対談".encode("ascii") }}\n' + page.read_text(encoding="utf-8"), encoding="utf-8")
    return copy


def test_a_crash_in_every_edition_says_nothing_was_written(tmp_path):
    broken_templates(tmp_path, "html/page.html", "print/book.html")
    shutil.copy(INTERVIEW, tmp_path)
    done = taidan_here("build", INTERVIEW.name, "--edition", "html", "print", "--out", "out",
                       cwd=tmp_path, TAIDAN_TEMPLATES="t")
    assert done.returncode == 1
    crash = "UnicodeEncodeError: 'ascii' codec can't encode characters in position 0-1: ordinal not in range(128)"
    assert sorted(done.stderr.splitlines()) == [
        f"taidan: the html edition of {INTERVIEW.name} failed: {crash}",
        f"taidan: the print edition of {INTERVIEW.name} failed: {crash}",
        "taidan: wrote nothing; the failed editions' earlier files are unchanged (TAIDAN_DEBUG=1 shows the traceback)",
    ]
    assert [p.name for p in (tmp_path / "out").iterdir() if not p.name.startswith(".")] == []


def test_a_crash_in_one_edition_counts_the_files_the_others_wrote(tmp_path):
    broken_templates(tmp_path, "print/book.html")
    shutil.copy(INTERVIEW, tmp_path)
    done = taidan_here("build", INTERVIEW.name, "--edition", "html", "print", "handout", "--out", "out",
                       cwd=tmp_path, TAIDAN_TEMPLATES="t")
    assert done.returncode == 1
    assert done.stderr.splitlines()[-1] == (
        "taidan: wrote 2 files of the other editions; the failed editions' earlier files are "
        "unchanged (TAIDAN_DEBUG=1 shows the traceback)")
    stem = INTERVIEW.stem
    assert sorted(p.name for p in (tmp_path / "out").iterdir() if not p.name.startswith(".")) == [
        f"{stem}-handout.pdf", f"{stem}.html"]
