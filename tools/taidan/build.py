"""The build: manuscripts loaded and validated first, then each edition produced and written.

Nothing is written until every manuscript is valid. Each edition is produced in memory and
checked (template errors, resources outside the project) before its files are written, so
an edition that fails leaves its earlier files, and every other edition's, as they were.
"""

from __future__ import annotations

import io
import posixpath
import sys
import zipfile
from pathlib import Path

from taidan import fetch
from taidan.editions import Options, edition
from taidan.load import load
from taidan.output import clean_leftovers, locked, write_atomic
from taidan.problems import ManuscriptInvalid, Problem

MARKUP = (".html", ".xhtml", ".htm", ".svg")


class EditionFailed(Exception):
    """An edition broke on a valid manuscript: a bug or a missing tool, not the input."""

    def __init__(self, failures: list[tuple[str, Path, BaseException]]):
        super().__init__("; ".join(f"{name} ({path.name}): {err!r}" for name, path, err in failures))
        self.failures = failures


def build(paths: list[Path], editions: list[str], out: Path, options: Options,
          say=print) -> list[Path]:
    """Builds every edition of every manuscript and returns the files written.

    An invalid manuscript raises ManuscriptInvalid before anything is written. A template
    at fault (ManuscriptInvalid) or an edition that breaks (EditionFailed) is raised after
    the other editions are written; the failed edition's earlier files stay as they were."""
    manuscripts, problems = [], []
    for path in paths:
        try:
            manuscripts.append(load(path))
        except ManuscriptInvalid as err:
            problems += err.problems
    if problems:
        raise ManuscriptInvalid(problems)
    written, failures = [], []
    with locked(out, say=lambda s: print(f"taidan: {s}", file=sys.stderr)):
        clean_leftovers(out)
        for m in manuscripts:
            for name in editions:
                try:
                    files = produce(name, m, options)
                except ManuscriptInvalid as err:
                    problems += err.problems
                    continue
                except Exception as err:  # noqa: BLE001 - reported once the others are built
                    fetch.refusals()
                    failures.append((name, m.path, err))
                    continue
                for filename, data in files.items():
                    target = out / filename
                    write_atomic(target, data)
                    written.append(target)
                    say(f"wrote {target}")
    if problems:
        raise ManuscriptInvalid(list(dict.fromkeys(problems)))
    if failures:
        raise EditionFailed(failures)
    return written


def produce(name: str, m, options: Options) -> dict[str, bytes]:
    """One edition's files, in memory; ManuscriptInvalid for a template's fault."""
    import jinja2

    fetch.refusals()
    try:
        files = edition(name).produce(m, options)
    except jinja2.TemplateSyntaxError as err:
        raise ManuscriptInvalid([Problem(_shown(err.filename or err.name or name), err.lineno or 0,
                                         f"template error: {err.message}")]) from None
    except jinja2.TemplateError as err:
        file, line = _template_frame(err.__traceback__, name)
        raise ManuscriptInvalid([Problem(file, line, f"template error: {err}")]) from None
    refused = fetch.refusals() + [url for url in _references(files) if url]
    if refused:
        raise ManuscriptInvalid([_refusal(url, name) for url in dict.fromkeys(refused)])
    return files


def _references(files: dict[str, bytes]) -> list[str]:
    """Resources outside the package that an output's documents make a reader load."""
    found = []
    for filename, data in files.items():
        if filename.endswith(MARKUP + (".css",)):
            found += [u for u in fetch.resources(data.decode("utf-8"), filename.endswith(".css"))
                      if fetch.outside(u)]
        elif filename.endswith(".epub"):
            with zipfile.ZipFile(io.BytesIO(data)) as package:
                for entry in package.namelist():
                    if entry.endswith(MARKUP + (".css",)):
                        text = package.read(entry).decode("utf-8")
                        folder = posixpath.dirname(entry)
                        found += [u for u in fetch.resources(text, entry.endswith(".css"))
                                  if fetch.outside(u, folder)]
    return found


def _refusal(url: str, name: str) -> Problem:
    file, line = _find_in_templates(url, name)
    return Problem(file, line, f"refers to {url}, outside the project",
                   "a build reads only files beside the manuscript, the templates and the fonts")


def _find_in_templates(url: str, name: str) -> tuple[Path, int]:
    """Where a template names ``url`` (or its file name), for the problem's FILE:LINE."""
    from taidan.render import TEMPLATES

    needles = [url, posixpath.basename(url.split("?")[0].rstrip("/")) or url]
    files = sorted(p for p in TEMPLATES.rglob("*") if p.is_file())
    for needle in needles:
        for path in files:
            try:
                lines = path.read_text(encoding="utf-8").split("\n")
            except (UnicodeDecodeError, OSError):
                continue
            for number, text in enumerate(lines, 1):
                if needle in text:
                    return _shown(path), number
    return _shown(TEMPLATES / name), 0


def _template_frame(tb, name: str) -> tuple[Path, int]:
    """The innermost template line in a Jinja traceback (Jinja maps frames to templates)."""
    from taidan.render import TEMPLATES

    found = (_shown(TEMPLATES / name), 0)
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if Path(filename).is_relative_to(TEMPLATES):
            found = (_shown(filename), tb.tb_lineno)
        tb = tb.tb_next
    return found


def _shown(filename) -> Path:
    """A path as people type it: relative to the working folder when inside it."""
    path = Path(filename)
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path
