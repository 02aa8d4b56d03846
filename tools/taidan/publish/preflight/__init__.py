"""``taidan preflight``: what a print shop (or a screen reader) would find wrong with a PDF,
any PDF, ours or not. It only reads the file.

Each rule comes from the standard it belongs to (ISO 15930-4 PDF/X-1a, ISO 15930-7 PDF/X-4,
ISO 14289-1 PDF/UA-1) or from the Japanese shops' guides (3 mm bleed, 300 % total ink,
0.25 pt lines, 300 ppi pictures, text 5 mm inside the trim). No open validator for PDF/X
exists, so the rules are written here, each citing its source.

This package's root stays light (the command line reads STANDARDS to build its parser);
taidan.publish.preflight.check opens the file with pikepdf and runs the rules in order of
value: the page boxes, the fonts, the colours, the version keys and output intent, the ink,
the pictures, the lines, the safe zone (pdf/x-*); the tags, the title, the language
(pdf/ua-1).
"""

from __future__ import annotations

from dataclasses import dataclass

STANDARDS = ("pdf/x-4", "pdf/x-1a", "pdf/ua-1")
DEFAULT_STANDARD = "pdf/x-4"  # what preflight is for first: a file a shop accepts
PRINT = ("pdf/x-4", "pdf/x-1a")
MM = 72 / 25.4  # points in a millimetre


@dataclass(frozen=True)
class Finding:
    """One thing wrong on one page (0: the document as a whole)."""

    page: int
    message: str
    hint: str = ""
    warning: bool = False


def mm(points: float) -> str:
    """A length for a message, in millimetres as shops write them: 2.1 mm."""
    return f"{points / MM:.1f} mm"
