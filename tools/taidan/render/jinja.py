"""Jinja rendering: one template folder per edition, shared partials beside them.

A template is looked up in ``templates/<edition>/`` first, then ``templates/shared/``, so
an edition overrides a shared partial by giving a file of the same name.
"""

from __future__ import annotations

import base64
import mimetypes
import re
from functools import lru_cache
from pathlib import Path

import jinja2

from taidan.config.style import CSS as FACE_CSS
from taidan.render.strings import strings, words  # noqa: F401  (the templates' words)
from taidan.render.templates_folder import TEMPLATES


# A hyphen the manuscript writes inside a word (eight-track, 2-inch). A PDF's text readers
# (pdftotext, and the copy and search of viewers built on poppler) take a hyphen at the end
# of a line for a break the typesetter made, and drop it: the PDF editions print these as
# U+2010 HYPHEN, which they keep, and keep U+002D for the hyphens hyphenation adds.
WORD_HYPHEN = re.compile(r"(?<=\w)-(?=\w)")


def hard_hyphens(text: str) -> str:
    return WORD_HYPHEN.sub("\u2010", text)


def url_runs(text: str) -> list[tuple[str, str]]:
    """``text`` as (kind, piece) runs, kind "url" for a web address typed as text (never
    hyphenated by the PDF editions), "" for the rest."""
    from taidan.load.smart import URL  # deferred: the loader's pattern only when a template asks

    runs, at = [], 0
    for m in URL.finditer(text):
        runs += [("", text[at:m.start()]), ("url", m.group(0))]
        at = m.end()
    return [run for run in runs + [("", text[at:])] if run[1]]


def url_breaks(url: str) -> list[str]:
    """A web address in the pieces a line may break between: after a slash, before a dot."""
    import re  # deferred: only a URL in the text is split

    return [piece for piece in re.split(r"(?<=/)(?=[^/])|(?<=[^/])(?=\.)", url) if piece]


def data_uri(path: Path) -> str:
    kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"data:{kind};base64," + base64.b64encode(path.read_bytes()).decode("ascii")


# What the builder set for the edition being rendered: the project's own templates folder
# (or None) and its house style (taidan.config.style). See configure().
_project: dict = {"templates": None, "style": None}


def configure(options) -> None:
    """Renders what follows with ``options``' project templates and house style."""
    # deferred: the house style, when an edition is configured
    from taidan.config.style import Style

    _project["templates"] = Path(options.templates).resolve() if getattr(options, "templates", "") else None
    _project["style"] = getattr(options, "style", None) or Style()


def project_templates() -> Path | None:
    return _project["templates"]


def search_path(*editions: str) -> list[Path]:
    """Where a template of ``editions[0]`` is looked for, first to last: the project's
    folder for the edition, the project's shared/, the built-in folder for the edition,
    then any editions it falls back on (project before built-in), then built-in shared/.
    A project's epub/ does not reach epub-vertical past the built-in epub-vertical/."""
    project = _project["templates"]
    first, rest = editions[0], editions[1:]
    folders = [project / first, project / "shared"] if project else []
    folders.append(TEMPLATES / first)
    for name in rest:
        folders += ([project / name] if project else []) + [TEMPLATES / name]
    folders.append(TEMPLATES / "shared")
    return list(dict.fromkeys(folders))


_URL = re.compile(r"""(?<![\w-])url\(\s*(["']?)([^"')\s{}]+)\1\s*\)""")


class Loader(jinja2.FileSystemLoader):
    """Templates from the search path. A relative url() in a project's CSS file points
    beside that file (the CSS ends up inside an HTML document whose base is elsewhere)."""

    def __init__(self, folders: list[Path]):
        super().__init__([str(f) for f in folders])
        self.project = _project["templates"]

    def get_source(self, environment, template):
        source, filename, uptodate = super().get_source(environment, template)
        if self.project and filename.endswith(".css") and Path(filename).is_relative_to(self.project):
            folder = Path(filename).parent
            source = _URL.sub(lambda match: _absolute(match, folder), source)
        return source, filename, uptodate


def _absolute(match, folder: Path) -> str:
    url = match.group(2)
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:|^[/#]", url):
        return match.group(0)  # data:, file:, http:, /absolute, #fragment: as written
    return f'url("{(folder / url).resolve().as_uri()}")'


def environment(edition: str) -> jinja2.Environment:
    return _environment(edition, _project["templates"])


class _BytecodeCache(jinja2.FileSystemBytecodeCache):
    """Compiled templates kept between builds, in the user's cache folder
    (``$XDG_CACHE_HOME/taidan/templates``, else ``~/.cache/taidan/templates``), each entry
    checked against its template's source: compiling an edition's templates takes longer
    than rendering them. A cache that cannot be written (disk full, folder removed) is only
    slower, never an error."""

    def dump_bytecode(self, bucket) -> None:
        try:
            super().dump_bytecode(bucket)
        except OSError:
            pass


@lru_cache(maxsize=None)
def _bytecode_cache() -> jinja2.BytecodeCache | None:
    import os  # deferred: the cache's folder, read once

    try:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
        folder = base / "taidan" / "templates"
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        return _BytecodeCache(str(folder))
    except (OSError, RuntimeError):  # no home, or read-only: compile every time
        return None


@lru_cache(maxsize=None)
def _environment(edition: str, project: Path | None) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=Loader(search_path(edition)),
        bytecode_cache=_bytecode_cache(),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.globals["data_uri"] = data_uri
    env.globals["house"] = house
    # the read-along (taidan.editions.readalong): given by the EPUB and html editions for a
    # manuscript with a recording, {"times": element id -> (start, end) seconds, ...}
    env.globals["readalong"] = None
    env.globals["css"] = FACE_CSS  # a house face's style -> (font-weight, font-style)
    env.filters["url_runs"] = url_runs
    env.filters["hard_hyphens"] = hard_hyphens
    env.filters["url_breaks"] = url_breaks
    return env


def house():
    """The house style (taidan.config.style.Style) the templates render with."""
    # deferred: the house style, when an edition is configured
    from taidan.config.style import Style

    return _project["style"] or Style()


def render(edition: str, template: str, m, **context) -> str:
    """Renders one template of an edition for manuscript ``m``."""
    env = environment(edition)
    return env.get_template(template).render(m=m, w=words(m.meta.lang), **context)


# taidan serve empties the template caches when templates change: one call for every project
environment.cache_clear = _environment.cache_clear  # type: ignore[attr-defined]
