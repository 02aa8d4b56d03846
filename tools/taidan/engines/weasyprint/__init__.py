"""Everything taidan changes in WeasyPrint, pydyf and cffi, fenced in this package.

``install()`` installs every patch; each module holds one (see docs/internals/weasyprint.md):

- ``fast_import``: WeasyPrint imported without cffi's library search, and cffi's C type
  parser given only the type names a string uses;
- ``justify``: Japanese justification, punctuation spacing, exact glyph advances;
- ``linebreak``: no line broken after a text box's first word when only its trailing space
  overflows;
- ``footnotes``: no footnote sent to a later page by a rounding error;
- ``footnote_area``: a page's footnote area measured once for each set of notes;
- ``leaders``: a contents page's dot leaders drawn as one text box a line;
- ``speed``: no step whose cost grows with the square of the page count;
- ``images``: an image's PDF name from its bytes, not from its path;
- ``synthetic``: italic and bold drawn from the regular file when a face has no such file;
- ``pieces``: a long book's piece laid out as if with the others (installed by
  taidan.pipeline.pieces alone, when it lays a book out in pieces).

The patches reach into the internals of one version of each library, so ``require_pinned``
refuses any other: ``PINS`` must equal pyproject.toml's pins (tests/test_engines.py).
"""

from __future__ import annotations

from taidan.engines.weasyprint.patching import ALL, PINS, SHOWN, Patches, require_pinned  # noqa: F401 - the package's face


def install() -> None:
    """Imports WeasyPrint (quickly) and installs every patch (idempotent). Raises
    RuntimeError when WeasyPrint, pydyf or cffi is not the pinned version."""
    # deferred: importing the package (for PINS, the editions' module names) must not import WeasyPrint
    from taidan.engines.weasyprint import fast_import

    fast_import.install()  # the pin check, before the other patch modules import WeasyPrint
    # deferred: they import WeasyPrint, which fast_import imports the quick way first
    from taidan.engines.weasyprint import (footnote_area, footnotes, images, justify, leaders, linebreak, speed,
                                           synthetic)

    # footnote_area after footnotes, synthetic after justify: each wraps what the other left
    for module in (justify, linebreak, footnotes, footnote_area, leaders, speed, images, synthetic):
        module.install()
