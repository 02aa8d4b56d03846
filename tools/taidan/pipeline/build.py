"""The build: manuscripts loaded and validated first, then each edition produced and written.

Nothing is written until every manuscript is valid. Each edition is produced in memory and
checked (template errors, resources outside the project) before its files are written, so
an edition that fails leaves its earlier files, and every other edition's, as they were.
"""

from __future__ import annotations

import os
import posixpath
from pathlib import Path

from taidan.pipeline import cache, guard, load, parallel, pieces
from taidan.config.style import warnings as style_warnings
from taidan.editions import EDITIONS, Options, edition, skip_reason
from taidan.pipeline.output import clean_leftovers, locked, scratch, write_atomic
from taidan.pipeline.progress import Progress, notes as edition_notes
from taidan.render.templates_folder import TEMPLATES
from taidan.errors import EditionsFailed, Problem, ProblemsFound, WorkerFailure, shown

MARKUP = (".html", ".xhtml", ".htm", ".svg")


def build(paths: list[Path], editions: list[str], out: Path, options: Options,
          say=lambda line: None, workers: int | None = None,
          warn=lambda line: None) -> list[Path]:
    """Builds every edition of every manuscript and returns the files written.

    An edition whose inputs are unchanged since it was last written (see taidan.pipeline.cache) is
    not built again. The others are produced side by side, one worker per core.
    An invalid manuscript raises ProblemsFound before anything is written. A template
    at fault (ProblemsFound) or an edition that breaks (EditionsFailed) is raised after
    the other editions are written; the failed edition's earlier files stay as they were.
    ``workers``: editions built at once (default: one per core). ``say``: each line of
    progress; ``warn``: a warning (the house style's) or a note (the command line prints
    both; this module never prints)."""
    store = cache.BuildCache(out) if cache.enabled() else None
    project = cache.project_digest(options) if store else b""
    pending = []  # (path, edition, digest)
    for path in paths:
        source = _manuscript_digest(path) if store else None
        for name in editions:
            digest = cache.inputs_digest(source, project, name, options) if source else None
            fresh = store.fresh(path, name, digest) if digest else None
            skipped = store.skipped(path, name, digest) if digest else None
            if skipped:
                say(f"skipped {name} of {path.name}: {skipped}")
            elif fresh:
                for target in fresh:
                    say(f"up to date {target}")
            else:
                pending.append((path, name, digest))
    if not pending:
        return []
    # every temporary file of this build, its workers and its engines goes in one folder,
    # removed when the build ends however it ends (an error, Ctrl-C, SIGTERM)
    with scratch():
        # an engine that can start ahead of need starts now, while the manuscript is loaded
        early = _early_engines(pending, workers)
        try:
            for engine in early:
                engine.start_early()
            return _build_pending(pending, out, options, store, early, say, warn, workers)
        finally:
            for engine in early:
                engine.close_early()


def _build_pending(pending, out, options, store, early, say, warn, workers) -> list[Path]:
    """build() from the loading of the manuscripts on (see build)."""
    # like make -k: a bad manuscript is reported and writes nothing; the others are built
    for note in options.style.notes:  # the house faces' missing styles, once a build
        warn(note)
    manuscripts, problems = {}, []
    for path in dict.fromkeys(path for path, _, _ in pending):
        try:
            manuscripts[path] = load(path, options)
            for warning in manuscripts[path].warnings + style_warnings(manuscripts[path], options.style):
                warn(warning)
        except ProblemsFound as err:
            problems += err.problems
    jobs, digests, skips = [], {}, []
    for path, name, digest in pending:
        if path not in manuscripts:
            continue
        reason = skip_reason(name, manuscripts[path])
        if reason:  # said once per build; the cache remembers it (no load next time)
            say(f"skipped {name} of {path.name}: {reason}")
            skips.append((path, name, digest, reason))
            continue
        digests[(name, path)] = digest
        jobs.append((name, manuscripts[path], options))
    for engine in early - {EDITIONS[name].engine for name, _, _ in jobs}:
        engine.close_early()  # its edition skipped or the manuscript invalid: memory back now
    if not jobs and not (store and skips):
        if problems:
            raise ProblemsFound(list(dict.fromkeys(problems)))
        return []
    written, failures = [], []
    with locked(out, say=lambda s: warn(f"taidan: {s}")):
        clean_leftovers(out)
        store = cache.BuildCache(out) if store else None  # as the last build left it
        for path, name, digest, reason in skips if store else ():
            if digest:
                store.record_skip(path, name, digest, reason)
        progress = Progress(len(jobs), say=say)
        try:
            for (name, m, _), (status, value) in parallel.run(
                    jobs, _produce_safely, started=lambda job: progress.stage(
                        f"{job[0]} of {job[1].path.name}", "building"), workers=workers,
                    cost=pieces.estimate):
                lines = []
                if status == "invalid":
                    problems += value
                elif status == "failed":
                    failures.append((name, m.path, WorkerFailure(value)))
                else:
                    value, noted = value  # the files, and what the edition noted
                    lines += noted
                    if store:
                        store.forget(m.path, name)
                    targets = []
                    for filename, data in value.items():
                        target = out / filename
                        write_atomic(target, data)
                        targets.append(target)
                        lines.append(f"wrote {target}")
                    written += targets
                    if store and digests[(name, m.path)]:
                        store.record(m.path, name, digests[(name, m.path)], targets)
                progress.finished(f"{name} of {m.path.name}", lines)
        finally:
            progress.close()
            if store:
                store.save()
    if problems:
        raise ProblemsFound(list(dict.fromkeys(problems)))
    if failures:
        raise EditionsFailed(failures, written)
    return written


def _early_engines(pending: list, workers: int | None) -> set:
    """The engines of the pending editions that start early (registry: Engine.early), when
    the editions will be built in this process, not in forked workers (which start their
    own): the only job, or one job at a time."""
    if len(pending) > 1 and (workers or parallel.cores()) > 1:
        return set()
    engines = {EDITIONS[name].engine for _, name, _ in pending}
    return {engine for engine in engines if engine and engine.early}


def _manuscript_digest(path: Path) -> bytes | None:
    """The manuscript's part of the cache key, or None when the loader must look at it."""
    try:
        if not path.is_file():
            return None  # the loader says what it is
        if path.stat().st_size > 1024 * 1024:  # only then import the loader for its limit
            # deferred: the loader only for a manuscript of 1 MB or more
            from taidan.load.source import MAX_BYTES

            if path.stat().st_size > MAX_BYTES:
                return None  # refused by the loader: not worth hashing
        return cache.manuscript_digest(path)
    except OSError:
        return None  # unreadable: the loader will say why


def _produce_safely(name: str, m, options: Options):
    """produce() as a picklable result for a worker: ("ok", files), ("invalid", problems)
    or ("failed", what broke)."""
    try:
        files = produce(name, m, options)
        return "ok", (files, edition_notes())
    except ProblemsFound as err:
        return "invalid", err.problems
    except Exception as err:  # noqa: BLE001 - reported once the others are built
        guard.refusals()
        if os.environ.get("TAIDAN_DEBUG"):
            import traceback  # deferred: only TAIDAN_DEBUG prints a traceback

            traceback.print_exc()
        if isinstance(err, OSError) and err.filename:  # a file taidan needs is missing or unreadable
            return "failed", f"cannot read {shown(err.filename)}: {err.strerror}"
        if isinstance(err, FileNotFoundError):  # taidan's own message (a font: how to install it)
            return "failed", str(err)
        return "failed", f"{type(err).__name__}: {err}"


def produce(name: str, m, options: Options) -> dict[str, bytes]:
    """One edition's files, in memory; ProblemsFound for a template's fault."""
    import jinja2  # deferred: a no-op build never imports Jinja

    from taidan.render import jinja
    from taidan.engines.fonts import FontNotLoaded

    guard.refusals()
    edition_notes()  # none left from another edition (the preview produces in one process)
    jinja.configure(options)  # the project's templates and house style
    try:
        files = edition(name).produce(m, options)
    except jinja2.TemplateNotFound as err:
        raise ProblemsFound([_missing_template(name, err.name)]) from None
    except FileNotFoundError as err:
        if err.filename and _in_templates(err.filename):
            raise ProblemsFound([_missing_template(name, err.filename)]) from None
        raise
    except FontNotLoaded as err:  # named by a stylesheet: where it is named
        raise ProblemsFound([_font_problem(url, name) for url in dict.fromkeys(err.urls)]) from None
    except jinja2.TemplateSyntaxError as err:
        raise ProblemsFound([Problem(shown(err.filename or err.name or name), err.lineno or 0,
                                         f"template error: {err.message}")]) from None
    except jinja2.TemplateError as err:
        file, line = _template_frame(err.__traceback__, name)
        raise ProblemsFound([Problem(file, line, f"template error: {err}")]) from None
    refused = guard.refusals() + [url for url in _references(files) if url]
    if refused:
        raise ProblemsFound([_refusal(url, name) for url in dict.fromkeys(refused)])
    return files


def _references(files: dict[str, bytes]) -> list[str]:
    """Resources outside the package that an output's documents make a reader load."""
    import io  # deferred: only an edition's output is read back
    import zipfile

    found = []
    for filename, data in files.items():
        if filename.endswith(MARKUP + (".css",)):
            found += [u for u in guard.resources(data.decode("utf-8"), filename.endswith(".css"))
                      if guard.outside(u)]
        elif filename.endswith(".epub"):
            with zipfile.ZipFile(io.BytesIO(data)) as package:
                for entry in package.namelist():
                    if entry.endswith(MARKUP + (".css",)):
                        text = package.read(entry).decode("utf-8")
                        folder = posixpath.dirname(entry)
                        found += [u for u in guard.resources(text, entry.endswith(".css"))
                                  if guard.outside(u, folder)]
    return found


def _font_problem(url: str, name: str) -> Problem:
    from urllib.parse import unquote, urlsplit  # deferred: only a font at fault is named

    file, line = _find_in_templates(url, name)
    path = unquote(urlsplit(url).path) if url.startswith("file:") else url
    return Problem(file, line, f"the font {path} could not be loaded",
                   "check the file's name and that it is a TrueType, OpenType or WOFF font")


def _refusal(url: str, name: str) -> Problem:
    file, line = _find_in_templates(url, name)
    return Problem(file, line, f"refers to {url}, outside the project",
                   "a build reads only files beside the manuscript, the templates and the fonts")


def _find_in_templates(url: str, name: str) -> tuple[Path, int]:
    """Where a template names ``url`` (or its file name), for the problem's FILE:LINE."""
    # deferred: only a template at fault needs Jinja
    from taidan.render.jinja import project_templates

    needles = [url, posixpath.basename(url.split("?")[0].rstrip("/")) or url]
    folders = [f for f in (project_templates(), TEMPLATES) if f]
    files = [p for folder in folders for p in sorted(folder.rglob("*")) if p.is_file()]
    for needle in needles:
        for path in files:
            try:
                lines = path.read_text(encoding="utf-8").split("\n")
            except (UnicodeDecodeError, OSError):
                continue
            for number, text in enumerate(lines, 1):
                if needle in text:
                    return shown(path), number
    return shown(TEMPLATES / name), 0


def _in_templates(filename) -> bool:
    return Path(filename).is_relative_to(TEMPLATES)


def _missing_template(name: str, filename) -> Problem:
    """A built-in template file that is not there: a broken installation or templates folder."""
    # deferred: only a broken installation needs it
    from taidan.render.strings import missing_template_hint

    path = Path(filename) if _in_templates(filename) else TEMPLATES / name / filename
    return Problem(shown(path), 0, "template missing", missing_template_hint())


def _template_frame(tb, name: str) -> tuple[Path, int]:
    """The innermost template line in a Jinja traceback (Jinja maps frames to templates)."""
    # deferred: only a template at fault needs Jinja
    from taidan.render.jinja import project_templates

    found = (shown(TEMPLATES / name), 0)
    folders = [f for f in (project_templates(), TEMPLATES) if f]
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if any(Path(filename).is_relative_to(folder) for folder in folders):
            found = (shown(filename), tb.tb_lineno)
        tb = tb.tb_next
    return found

