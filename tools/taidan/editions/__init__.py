"""The editions: each is a module with NAME and ``produce(m, options)``, declared in
``registry`` (its files, languages, engine, memory and build order).

``produce`` returns {file name: bytes}; writing the files is the builder's job, so every
edition gets the same atomic writes. Modules are imported only when their edition is built.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from taidan.config.paper import DEFAULT_PAPER
from taidan.config.project import Publisher
from taidan.config.style import Style
from taidan.editions.registry import EDITIONS

__all__ = ["EDITIONS", "Options", "edition", "skip_reason"]


@dataclass(frozen=True)
class Options:
    paper: str = DEFAULT_PAPER  # print edition: a name of taidan.config.paper.PAPERS
    press: bool = False  # print edition: 3 mm bleed and crop marks
    embed_fonts: bool = False  # EPUB editions: embed subset fonts
    # from the book project (taidan.config.project): its templates folder overriding the built-in
    # files one by one, its house style, publisher defaults and accessibility certifier
    templates: str = ""
    style: Style = field(default_factory=Style)
    publisher: Publisher = field(default_factory=Publisher)
    certified_by: str = ""


def skip_reason(name: str, m) -> str | None:
    """Why edition ``name`` does not apply to manuscript ``m`` (None: it does)."""
    return EDITIONS[name].skip_reason(m)


def edition(name: str):
    """The module of edition ``name`` (imported now if it was not)."""
    return EDITIONS[name].implementation()
