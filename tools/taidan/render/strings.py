"""The words of each language (templates/shared/strings.yaml): what the templates print, and
the few words the loader reads as markup (一同, All). Kept apart from Jinja so that
``taidan check`` does not load it."""

from __future__ import annotations

import os
from functools import lru_cache

from taidan.errors import Problem, ProblemsFound, shown
from taidan.render.templates_folder import TEMPLATES


@lru_cache(maxsize=1)
def strings() -> dict:
    """Words the templates print (contents, colophon ...), by language."""
    import yaml  # deferred: a no-op build reads no words, and YAML is slow to import

    path = TEMPLATES / "shared" / "strings.yaml"
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as err:  # one FILE:LINE line with the fix, not a crash
        raise ProblemsFound([Problem(shown(path), 0, f"cannot read it: {err.strerror}",
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
