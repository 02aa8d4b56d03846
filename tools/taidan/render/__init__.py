"""Jinja rendering: one template folder per edition, shared partials beside them.

A template is looked up in ``templates/<edition>/`` first, then ``templates/shared/``, so
an edition overrides a shared partial by giving a file of the same name.
"""

from __future__ import annotations

import base64
import mimetypes
from functools import lru_cache
from pathlib import Path

import jinja2

from taidan.words import TEMPLATES, strings, words  # noqa: F401  (the templates' words)


def url_runs(text: str) -> list[tuple[str, str]]:
    """``text`` as (kind, piece) runs, kind "url" for a web address typed as text (never
    hyphenated by the PDF editions), "" for the rest."""
    from taidan.load.smart import URL

    runs, at = [], 0
    for m in URL.finditer(text):
        runs += [("", text[at:m.start()]), ("url", m.group(0))]
        at = m.end()
    return [run for run in runs + [("", text[at:])] if run[1]]


def url_breaks(url: str) -> list[str]:
    """A web address in the pieces a line may break between: after a slash, before a dot."""
    import re

    return [piece for piece in re.split(r"(?<=/)(?=[^/])|(?<=[^/])(?=\.)", url) if piece]


def data_uri(path: Path) -> str:
    kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"data:{kind};base64," + base64.b64encode(path.read_bytes()).decode("ascii")


@lru_cache(maxsize=None)
def environment(edition: str) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(TEMPLATES / edition), str(TEMPLATES / "shared")]),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.globals["data_uri"] = data_uri
    env.filters["url_runs"] = url_runs
    env.filters["url_breaks"] = url_breaks
    return env


def render(edition: str, template: str, m, **context) -> str:
    """Renders one template of an edition for manuscript ``m``."""
    env = environment(edition)
    return env.get_template(template).render(m=m, w=words(m.meta.lang), **context)
