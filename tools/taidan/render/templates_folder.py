"""Where the templates are: the built-in folder, or the one TAIDAN_TEMPLATES names.

A module of its own, with no Jinja and no YAML, so that a no-op build, the cache's digest
and taidan.toml's reading can ask where the templates are without loading either."""

from __future__ import annotations

import os
from pathlib import Path

# The built-in templates travel inside the package (taidan/templates; in a checkout, a
# symbolic link to the repository's templates/). TAIDAN_TEMPLATES: another templates folder
# (a copy of this one, edited), e.g. for a series.
TEMPLATES = Path(os.environ.get("TAIDAN_TEMPLATES")
                 or Path(__file__).resolve().parents[1] / "templates").resolve()
