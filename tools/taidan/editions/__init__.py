"""The editions: each is a module with NAME and ``produce(m, options)``, declared in
``registry`` (its files, languages, engine, memory and build order).

``produce`` returns {file name: bytes}; writing the files is the builder's job, so every
edition gets the same atomic writes. Modules are imported only when their edition is built.
"""

from __future__ import annotations

from taidan.config.options import Options  # noqa: F401 - what every edition is produced under
from taidan.editions.registry import EDITIONS

__all__ = ["EDITIONS", "Options", "edition", "skip_reason"]


def skip_reason(name: str, m) -> str | None:
    """Why edition ``name`` does not apply to manuscript ``m`` (None: it does)."""
    return EDITIONS[name].skip_reason(m)


def edition(name: str):
    """The module of edition ``name`` (imported now if it was not)."""
    return EDITIONS[name].implementation()
