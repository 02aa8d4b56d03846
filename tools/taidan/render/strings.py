"""The words of each language (templates/shared/strings.yaml): what the templates print, and
the few words the loader reads as markup (一同, All). Kept apart from Jinja so that
``taidan check`` does not load it."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

# The built-in templates travel inside the package (taidan/templates; in a checkout, a
# symbolic link to the repository's templates/). TAIDAN_TEMPLATES: another templates folder
# (a copy of this one, edited), e.g. for a series.
TEMPLATES = Path(os.environ.get("TAIDAN_TEMPLATES")
                 or Path(__file__).resolve().parents[1] / "templates").resolve()


@lru_cache(maxsize=1)
def strings() -> dict:
    """Words the templates print (contents, colophon ...), by language."""
    import yaml  # here: a no-op build reads TEMPLATES only

    path = TEMPLATES / "shared" / "strings.yaml"
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as err:  # one FILE:LINE line with the fix, not a crash
        from taidan.errors import ProblemsFound, Problem

        shown = path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path
        raise ProblemsFound([Problem(shown, 0, f"cannot read it: {err.strerror}",
                                         missing_template_hint())]) from None


def missing_template_hint() -> str:
    """What to do about a built-in template file that is missing or unreadable."""
    if os.environ.get("TAIDAN_TEMPLATES"):
        return "TAIDAN_TEMPLATES names a templates folder without it: copy it there or unset TAIDAN_TEMPLATES"
    return "taidan's installation is incomplete: reinstall it (pip install --force-reinstall taidan)"


def words(lang: str) -> dict:
    table = strings()
    base = lang.split("-")[0]
    return {**table["en"], **table.get(base, {})}
