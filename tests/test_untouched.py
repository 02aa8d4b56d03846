"""A test run leaves the user's files alone: the repository's build/ is watched
(untouched.py), and taidan's cache is a folder of the run's own (conftest.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import CACHE, ROOT, clean_env

TESTS = Path(__file__).resolve().parent

WRITES = '''
from pathlib import Path

BOOKS = Path(__file__).parent / "books" / "build"

def test_reads():
    assert (BOOKS / "book.pdf").read_bytes() == b"%PDF- the user's"

def test_writes_a_screenshot():
    (BOOKS / "screenshot.png").write_bytes(b"not the user's")

def test_deletes_a_book():
    (BOOKS / "old.epub").unlink()
'''


def pytest_run(folder: Path, *args: str) -> subprocess.CompletedProcess:
    """pytest with the untouched plugin alone, in ``folder`` (its own pytest.ini)."""
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "untouched", "-p", "no:cacheprovider",
                           *args], cwd=folder, capture_output=True, text=True, timeout=300,
                          env=clean_env(PYTHONPATH=str(TESTS)))


def test_this_run_watches_the_repository_build_folder(pytestconfig):
    assert pytestconfig.getini("untouched") == [ROOT / "build"]


def test_a_run_that_writes_or_deletes_in_a_watched_folder_fails_and_says_what(tmp_path):
    books = tmp_path / "books" / "build"
    books.mkdir(parents=True)
    (books / "book.pdf").write_bytes(b"%PDF- the user's")
    (books / "old.epub").write_bytes(b"PK")
    (tmp_path / "pytest.ini").write_text("[pytest]\nuntouched = books/build\n", encoding="utf-8")
    (tmp_path / "test_writes.py").write_text(WRITES, encoding="utf-8")
    only_reads = pytest_run(tmp_path, "-k", "reads")
    assert only_reads.returncode == 0, only_reads.stdout
    assert "leave alone" not in only_reads.stdout
    done = pytest_run(tmp_path)
    assert done.returncode == 1, done.stdout
    assert "3 passed" in done.stdout  # every test passed: the run fails all the same
    assert f"{books}/screenshot.png: new" in done.stdout
    assert f"{books}/old.epub: gone" in done.stdout
    assert f"{books}/book.pdf" not in done.stdout


def test_a_run_that_makes_a_watched_folder_fails(tmp_path):
    (tmp_path / "pytest.ini").write_text("[pytest]\nuntouched = build\n", encoding="utf-8")
    (tmp_path / "test_makes.py").write_text(
        "from pathlib import Path\n\ndef test_makes():\n"
        "    (Path(__file__).parent / 'build').mkdir()\n", encoding="utf-8")
    done = pytest_run(tmp_path)
    assert done.returncode == 1 and f"{tmp_path / 'build'}: made" in done.stdout, done.stdout


def test_taidan_caches_in_the_run_s_own_folder(tmp_path):
    """A real build's compiled templates land in this run's XDG_CACHE_HOME, never ~/.cache."""
    assert os.environ["XDG_CACHE_HOME"] == str(CACHE)
    assert not CACHE.is_relative_to(Path.home() / ".cache")
    manuscript = ROOT / "tests" / "epub_samples" / "small-en.md"
    home = tmp_path / "home"  # where the cache would go without XDG_CACHE_HOME
    home.mkdir()
    done = subprocess.run([sys.executable, "-m", "taidan", "build", str(manuscript), "--edition",
                           "html", "--out", str(tmp_path / "out")], capture_output=True, text=True,
                          cwd=tmp_path, env=clean_env(HOME=str(home)))
    assert done.returncode == 0, done.stderr
    assert "<html" in (tmp_path / "out" / "small-en.html").read_text(encoding="utf-8")
    assert list((CACHE / "taidan" / "templates").iterdir())
    assert list(home.iterdir()) == []
