"""The words of each language (templates/shared/strings.yaml): what the templates print, and
the few words the loader reads as markup (一同, All). Kept apart from Jinja so that
``taidan check`` does not load it."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import yaml

# The built-in templates travel inside the package (taidan/templates; in a checkout, a
# symbolic link to the repository's templates/). TAIDAN_TEMPLATES: another templates folder
# (a copy of this one, edited), e.g. for a series.
TEMPLATES = Path(os.environ.get("TAIDAN_TEMPLATES")
                 or Path(__file__).resolve().parent / "templates").resolve()


@lru_cache(maxsize=1)
def strings() -> dict:
    """Words the templates print (contents, colophon ...), by language."""
    return yaml.safe_load((TEMPLATES / "shared" / "strings.yaml").read_text(encoding="utf-8"))


def words(lang: str) -> dict:
    table = strings()
    base = lang.split("-")[0]
    return {**table["en"], **table.get(base, {})}
