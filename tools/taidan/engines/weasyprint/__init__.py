"""Everything taidan changes in WeasyPrint, pydyf and cffi, fenced in this package.

``install()`` installs every patch; each module holds one (see docs/internals/weasyprint.md):

- ``fast_import``: WeasyPrint imported without cffi's library search, and cffi's C type
  parser given only the type names a string uses;
- ``justify``: Japanese justification, punctuation spacing, exact glyph advances;
- ``linebreak``: no line broken after a text box's first word when only its trailing space
  overflows;
- ``footnotes``: no footnote sent to a later page by a rounding error;
- ``leaders``: a contents page's dot leaders drawn as one text box a line;
- ``speed``: no step whose cost grows with the square of the page count;
- ``images``: an image's PDF name from its bytes, not from its path.

The patches reach into the internals of one version of each library, so ``require_pinned``
refuses any other: ``PINS`` must equal pyproject.toml's pins (tests/test_engines.py).
"""

from __future__ import annotations

import contextlib
import sys

# The versions whose source the patches were written against, pinned exactly in pyproject.toml.
PINS = {"weasyprint": "70.0", "pydyf": "0.13.0", "cffi": "2.1.1"}
SHOWN = {"weasyprint": "WeasyPrint", "pydyf": "pydyf", "cffi": "cffi"}


def require_pinned(*names: str) -> None:
    """Raises RuntimeError unless each of ``names`` (default: all of ``PINS``), imported,
    is the pinned version."""
    for name in names or PINS:
        __import__(name)
        found = sys.modules[name].__version__
        if found != PINS[name]:
            raise RuntimeError(
                f"taidan's WeasyPrint patches are written for {SHOWN[name]} {PINS[name]}, "
                f"found {found}: install the version pinned in pyproject.toml")


class Patches:
    """What one module of patches replaced, a switch back to the originals, and a record of
    which replacements ran (the test that every patch is active in a real build reads it)."""

    def __init__(self, name: str):
        self.name = name
        self.originals: dict = {}
        self.enabled = True
        self.ran: set[str] = set()
        ALL.append(self)

    @property
    def installed(self) -> bool:
        return bool(self.originals)

    def replace(self, owner, attribute: str, replacement) -> None:
        """Sets ``owner.attribute`` to ``replacement``, keeping the original."""
        self.originals[attribute] = getattr(owner, attribute)
        setattr(owner, attribute, replacement)

    @contextlib.contextmanager
    def disabled(self):
        """WeasyPrint's own behaviour inside the block (to compare with)."""
        self.enabled = False
        try:
            yield
        finally:
            self.enabled = True


ALL: list[Patches] = []  # every module's Patches, in the order the modules are imported


def install() -> None:
    """Imports WeasyPrint (quickly) and installs every patch (idempotent). Raises
    RuntimeError when WeasyPrint, pydyf or cffi is not the pinned version."""
    # deferred: importing the package (for PINS, the editions' module names) must not import WeasyPrint
    from taidan.engines.weasyprint import fast_import

    fast_import.install()  # the pin check, before the other patch modules import WeasyPrint
    # deferred: they import WeasyPrint, which fast_import imports the quick way first
    from taidan.engines.weasyprint import footnotes, images, justify, leaders, linebreak, speed

    for module in (justify, linebreak, footnotes, leaders, speed, images):
        module.install()
