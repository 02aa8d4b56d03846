"""Shared fixtures: each sample is built once per test session, into a temporary folder.

A test run leaves the user's files alone:
- what is worth a look (page images, screenshots, summaries) goes to the ``artefacts``
  folder: $TAIDAN_TEST_ARTEFACTS, else one under pytest's basetemp, named at the end of the run;
- the repository's build/ must be as it was at the start, or the run fails (untouched.py;
  the folders are listed in pyproject.toml's [tool.pytest.ini_options]);
- taidan's cache (XDG_CACHE_HOME) is a folder of this run's, removed at its end.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

# Before taidan is imported, so that nothing it caches lands in the user's ~/.cache/taidan;
# the commands the tests start inherit it.
CACHE = Path(tempfile.mkdtemp(prefix="taidan-tests-cache-"))
os.environ["XDG_CACHE_HOME"] = str(CACHE)

from taidan.pipeline.build import build  # noqa: E402
from taidan.editions import Options  # noqa: E402
from taidan.load import load  # noqa: E402

pytest_plugins = ["untouched"]

ROOT = Path(__file__).resolve().parents[1]
INTERVIEW = ROOT / "manuscript" / "interview-2025-10-06.md"
# the article the manuscript was made from (see manuscript/source/README)
SOURCE = ROOT / "manuscript" / "source" / "interview-2025-10-06.txt"
ARTEFACTS_VARIABLE = "TAIDAN_TEST_ARTEFACTS"
_artefacts = pytest.StashKey[Path]()


def pytest_configure(config):
    chosen = os.environ.get(ARTEFACTS_VARIABLE)
    for untouched in config.getini("untouched") if chosen else []:
        if Path(chosen).resolve().is_relative_to(untouched.resolve()):
            raise pytest.UsageError(f"${ARTEFACTS_VARIABLE} ({chosen}) is inside {untouched}, "
                                    "which the tests must leave alone: choose another folder")


@pytest.fixture(scope="session")
def artefacts(tmp_path_factory, pytestconfig) -> Path:
    """The folder for page images, screenshots and summaries for people to look at."""
    chosen = os.environ.get(ARTEFACTS_VARIABLE)
    folder = Path(chosen).resolve() if chosen else tmp_path_factory.getbasetemp() / "artefacts"
    folder.mkdir(parents=True, exist_ok=True)
    pytestconfig.stash[_artefacts] = folder
    return folder


def pytest_terminal_summary(terminalreporter, config):
    folder = config.stash.get(_artefacts, None)
    if folder is not None and any(folder.iterdir()):
        terminalreporter.write_line(f"page images and screenshots to look at: {folder} "
                                    f"(${ARTEFACTS_VARIABLE} chooses another folder)")


def pytest_unconfigure(config):
    shutil.rmtree(CACHE, ignore_errors=True)


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


def clean_env(**extra) -> dict:
    """This process's environment without what would point an installed taidan back here."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "VIRTUAL_ENV", "TAIDAN_TEMPLATES", "PYTHONHOME")}
    return {**env, **extra}


def run(*command, cwd: Path, env: dict | None = None, timeout: int = 600):
    """A command's CompletedProcess (text), in ``cwd``, with clean_env() by default."""
    return subprocess.run([str(c) for c in command], cwd=cwd, env=env or clean_env(),
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="session")
def installed_taidan(tmp_path_factory) -> Path:
    """The ``taidan`` command of a new virtual environment outside the repository, where a
    wheel built from the repository is installed (not editable), its dependencies resolved
    by pip from the package index or pip's cache, as a user's ``pip install`` would."""
    work = tmp_path_factory.mktemp("package")
    # the wheel is built from a copy: setuptools' build/ folder must not land in the
    # repository's build/ (the editions' output); this venv's setuptools, a test dependency,
    # builds it (build isolation would fetch setuptools again)
    source = work / "source"
    shutil.copytree(ROOT / "tools" / "taidan", source / "tools" / "taidan", symlinks=True,
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "templates", source / "templates")
    shutil.copy(ROOT / "pyproject.toml", source)
    done = run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
               "-w", work / "dist", source, cwd=work)
    assert done.returncode == 0, done.stderr
    [wheel] = (work / "dist").glob("taidan-*.whl")
    venv = work / "venv"
    done = run(sys.executable, "-m", "venv", venv, cwd=work)
    assert done.returncode == 0, done.stderr
    done = run(venv / "bin" / "python", "-m", "pip", "install", "-q", wheel, cwd=work, timeout=1200)
    assert done.returncode == 0, done.stderr
    return venv / "bin" / "taidan"

