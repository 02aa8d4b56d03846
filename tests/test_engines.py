"""The engines fenced in taidan.engines: WeasyPrint's patches installed by one install() and
active in a real build, their libraries pinned once (pyproject.toml = the code's check), every
imported library declared, Chromium found one way, fonts listed in one place."""

from __future__ import annotations

import ast
import io
import json
import os
import re
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from pypdf import PdfReader

from taidan.config.style import Face, Style
from taidan.editions import Options
from taidan.engines import chromium, fonts
from taidan.engines.weasyprint import PINS
from taidan.pipeline import cache

from conftest import INTERVIEW, ROOT, clean_env

PACKAGE = ROOT / "tools" / "taidan"


def _dependencies() -> list[str]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


# ---- pins --------------------------------------------------------------------------------

def test_pyproject_pins_exactly_what_the_code_checks():
    pinned = {_normal(m["name"]): m["version"] for d in _dependencies()
              if (m := re.fullmatch(r"(?P<name>[\w.-]+)==(?P<version>[\w.]+)", d))}
    for name, version in PINS.items():
        assert pinned.get(name) == version, f"pyproject.toml pins {name} {pinned.get(name)}, the code {version}"
        assert metadata.version(name) == version  # and this environment has it


def _python(script: str, **env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=600, env=clean_env(PYTHONPATH=str(ROOT / "tools"), **env))


@pytest.mark.parametrize("name, shown", [("weasyprint", "WeasyPrint"), ("pydyf", "pydyf"), ("cffi", "cffi")])
def test_another_version_is_refused_before_any_patch(name, shown):
    # The library's own version attribute says another version: what an unpinned pip resolve gives.
    done = _python(f"import {name}; {name}.__version__ = '0.0'\n"
                   # as the build does before its workers start: no error there, the
                   # PDF editions fail when they install the patches
                   "from taidan.engines.weasyprint import fast_import\n"
                   "from taidan.engines import weasyprint\n"
                   "try:\n    weasyprint.install()\nexcept RuntimeError as e:\n    print(e)\n"
                   "print(sorted(p.name for p in weasyprint.ALL if p.installed))\n")
    assert done.returncode == 0, done.stderr
    message, installed = done.stdout.splitlines()
    assert message == (f"taidan's WeasyPrint patches are written for {shown} {PINS[name]}, found 0.0: "
                       "install the version pinned in pyproject.toml")
    assert installed == "[]"  # nothing patched on a version the patches were not written for


# ---- every patch active in a real build ---------------------------------------------------

ACTIVE = """
import io, json, sys
from pathlib import Path
from taidan.editions import Options
from taidan.engines import weasyprint
from taidan.load import load
from taidan.pipeline.build import produce

m = load(Path(sys.argv[1]))
pdf = produce("print", m, Options())[m.name + ".pdf"]
Path(sys.argv[2]).write_bytes(pdf)
json.dump({p.name: {"replaced": sorted(p.originals), "ran": sorted(p.ran)} for p in weasyprint.ALL},
          sys.stdout)
"""


def test_every_patch_is_installed_and_runs_in_a_print_build(tmp_path):
    """A fresh interpreter builds the interview's print edition (footnotes, a contents page
    with dot leaders, justified Japanese): each patch replaced what it was written to replace,
    and each replacement ran."""
    out = tmp_path / "book.pdf"
    done = subprocess.run([sys.executable, "-c", ACTIVE, str(INTERVIEW), str(out)],
                          capture_output=True, text=True, timeout=600,
                          env=clean_env(PYTHONPATH=str(ROOT / "tools")))
    assert done.returncode == 0, done.stderr
    patches = json.loads(done.stdout)
    assert patches == {
        "fast_import": {"replaced": ["_parse", "find_library"], "ran": ["_parse", "find_library"]},
        "justify": {"replaced": ["draw_first_line", "justify_line", "set_text"],
                    "ran": ["draw_first_line", "justify_line", "set_text"]},
        "linebreak": {"replaced": ["split_first_line"], "ran": ["split_first_line"]},
        "footnotes": {"replaced": ["_linebox_layout", "_update_footnote_area", "columns_layout"],
                      "ran": ["_linebox_layout", "_update_footnote_area"]},
        # the interview's one note is measured once; the print edition has no columns: see below
        "footnote_area": {"replaced": ["_update_footnote_area", "block_level_layout", "remove_placeholders"],
                          "ran": []},
        "figures": {"replaced": ["block_container_layout"], "ran": []},  # no picture: test_figures.py
        "leaders": {"replaced": ["handle_leader"], "ran": ["handle_leader"]},
        "speed": {"replaced": ["page_references", "set_page_type_computed_styles"],
                  "ran": ["page_references", "set_page_type_computed_styles"]},
        "images": {"replaced": ["__init__"], "ran": []},  # the interview has no picture: see below
        # the interview's faces have every style it uses: see tests/test_house_faces.py
        "synthetic": {"replaced": ["draw_first_line", "draw_text"], "ran": []},
        # margin boxes drawn as artifacts (no background in them: no artifact nested), the note a Note
        "tagging": {"replaced": ["_build_box_tree", "artifact", "draw_stacking_context", "marked"],
                    "ran": ["_build_box_tree", "draw_stacking_context", "marked"]},
    }
    # the book itself: its footnote is printed
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(out.read_bytes())).pages)
    assert "ショートフィルムの音声より" in text.replace(" ", "")


SAME_BOOK_ELSEWHERE = """
import shutil, sys
from pathlib import Path
from taidan.editions import Options
from taidan.engines.weasyprint import images, install
from taidan.load import load
from taidan.pipeline.build import produce

install()
source, work = Path(sys.argv[1]), Path(sys.argv[2])
pdfs = []
for folder in ("here", "elsewhere/deeper"):
    copy = work / folder
    shutil.copytree(source.parent / "images", copy / "images")
    shutil.copy(source, copy / source.name)
    m = load(copy / source.name)
    pdfs.append(produce("print", m, Options())[m.name + ".pdf"])
    with images.disabled():
        pdfs.append(produce("print", m, Options())[m.name + ".pdf"])
print(pdfs[0] == pdfs[2], pdfs[1] == pdfs[3], sorted(images.PATCH.ran))
"""


def test_the_same_book_in_another_folder_gives_the_same_pdf(tmp_path):
    """A book with a picture, built in two folders: the same bytes. WeasyPrint's own names
    (the images patch switched off) differ, so the test can fail."""
    done = subprocess.run([sys.executable, "-c", SAME_BOOK_ELSEWHERE,
                           str(ROOT / "tests" / "corpus" / "ok-image.md"), str(tmp_path)],
                          capture_output=True, text=True, timeout=600,
                          env=clean_env(PYTHONPATH=str(ROOT / "tools")))
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "False", "['__init__']"]


NOTES_IN_COLUMNS = """
import sys
from pathlib import Path
from taidan.editions import Options
from taidan.engines.weasyprint import footnote_area, install
from taidan.load import load
from taidan.pipeline.build import produce

install()
m = load(Path(sys.argv[1]))
for edition in ("handout", "print"):
    with footnote_area.disabled():
        stock = produce(edition, m, Options())
    print(stock == produce(edition, m, Options()), sorted(footnote_area.PATCH.ran))
    footnote_area.PATCH.ran.clear()
"""


def notes_manuscript(folder: Path, notes: int) -> Path:
    """An interview with one footnote a turn (the handout's costliest case)."""
    turns = "".join(f"{'Ann' if i % 2 else 'Bob'}: Turn {i} of the interview, with words enough "
                    f"for a line or two of text.[^{i}]\n\n[^{i}]: Note {i}, explaining it briefly.\n\n"
                    for i in range(notes))
    path = folder / "notes.md"
    path.write_text("---\ntitle: Notes\ndate: 2025-10-06\nlang: en\nspeakers:\n"
                    "  - {id: a, name: Ann, label: Ann}\n  - {id: b, name: Bob, label: Bob}\n"
                    f"---\n\n# Part\n\n{turns}", encoding="utf-8")
    return path


@pytest.mark.slow
def test_the_footnote_area_patch_draws_the_same_pdfs(tmp_path):
    """60 notes in the handout's two columns and in print: the same PDFs with or without
    footnote_area, and its replacements ran (a cached measure and a note measured alone
    after the notes before it in both, and in columns the notes taken off together)."""
    done = subprocess.run([sys.executable, "-c", NOTES_IN_COLUMNS, str(notes_manuscript(tmp_path, 60))],
                          capture_output=True, text=True, timeout=600,
                          env=clean_env(PYTHONPATH=str(ROOT / "tools")))
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["True ['_update_footnote_area', 'block_level_layout', 'remove_placeholders']",
                                        "True ['_update_footnote_area', 'block_level_layout']"]


# ---- dependencies declared ----------------------------------------------------------------

def test_every_library_the_package_imports_is_declared():
    imported = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.split(".")[0])
    third_party = imported - set(sys.stdlib_module_names) - {"taidan"}
    distributions = metadata.packages_distributions()
    declared = {_normal(re.split(r"[=<>!~ ;\[]", d)[0]) for d in _dependencies()}
    missing = {module for module in third_party
               if not {_normal(d) for d in distributions.get(module, [module])} & declared}
    assert not missing, f"imported but not in pyproject.toml's dependencies: {sorted(missing)}"
    assert {"lxml", "tinycss2", "markupsafe", "pydyf"} <= third_party


# ---- Chromium found one way ---------------------------------------------------------------

def test_chromium_from_the_environment_variable_or_path(monkeypatch, tmp_path):
    found = chromium.find()
    assert found.is_file() and os.access(found, os.X_OK)
    # Debian's chromium on PATH is a shell script: the binary underneath it runs, not the script
    assert not found.read_bytes()[:2] == b"#!"
    monkeypatch.setenv("TAIDAN_CHROMIUM", str(found))
    assert chromium.find() == found
    monkeypatch.setenv("TAIDAN_CHROMIUM", str(tmp_path / "nothing"))
    with pytest.raises(chromium.ChromiumMissing, match="TAIDAN_CHROMIUM=.*nothing is not an executable"):
        chromium.find()
    monkeypatch.delenv("TAIDAN_CHROMIUM")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(chromium.ChromiumMissing, match="apt-get install chromium.*TAIDAN_CHROMIUM"):
        chromium.find()


def test_no_chromium_path_written_anywhere_else():
    places = [*(ROOT / "tests").glob("*.py"), ROOT / "tools" / "bench.py", *PACKAGE.rglob("*.py")]
    for path in places:
        if path in (PACKAGE / "engines" / "chromium.py", Path(__file__)):
            continue
        assert not re.search(r"/usr/(lib|bin)/chromium", path.read_text(encoding="utf-8")), path


# ---- fonts listed in one place ------------------------------------------------------------

def test_a_house_style_font_is_readable_and_invalidates_the_cache(tmp_path):
    own = tmp_path / "Own-Regular.ttf"
    own.write_bytes(fonts.font("gothic").read_bytes())
    style = Style(faces=(Face("heading", "Own", own),))
    assert fonts.files(style) == [*fonts.FONTS.values(), own]
    assert fonts.readable(style) == [*fonts.folders(), own.resolve()]
    assert fonts.folders() == sorted({p.resolve().parent for p in fonts.FONTS.values()})
    options = Options(style=style)
    before = cache.project_digest(options)
    assert cache.project_digest(options) == before
    own.write_bytes(own.read_bytes() + b"\0")  # another size: another key
    assert cache.project_digest(options) != before


def test_a_parallel_build_leaves_no_folder_of_fonts(tmp_path):
    """WeasyPrint keeps each document's @font-face files in a folder that only its
    FontConfiguration's __del__ removes; forked workers never run it. After a build of two
    PDF editions side by side, TMPDIR is as empty as before."""
    temp = tmp_path / "tmp"
    temp.mkdir()
    done = subprocess.run([sys.executable, "-m", "taidan", "build", str(INTERVIEW), "--edition",
                           "print", "handout", "--jobs", "2", "--out", str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=600,
                          env=clean_env(PYTHONPATH=str(ROOT / "tools"), TMPDIR=str(temp),
                                        TAIDAN_NO_CACHE="1"))
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir() if p.suffix == ".pdf") == [
        INTERVIEW.stem + "-handout.pdf", INTERVIEW.stem + ".pdf"]
    assert list(temp.iterdir()) == []
