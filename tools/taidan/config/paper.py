"""The paper sizes the print editions know: their names and dimensions, declared once.

taidan.toml's ``[build] paper`` and ``taidan build --paper`` take the names; the print
and print-vertical stylesheets get the dimensions (``paper_size``) and keep only their
typesetting per size (type size, margins, characters per line). The handout is printed on
the office paper that goes with the book's size: A4, or Letter for a Letter book.
"""

from __future__ import annotations

from dataclasses import dataclass

MM_PER_INCH = 25.4


@dataclass(frozen=True)
class Paper:
    name: str
    width: float
    height: float
    unit: str  # "mm" or "in": as the paper is defined (US Letter is 8.5 x 11 inches)
    handout: str  # the handout's sheet for a book on this paper: the office paper of its region

    @property
    def css(self) -> str:
        """The CSS page size in the paper's own unit: ``148mm 210mm``, ``8.5in 11in``."""
        return f"{self.width:g}{self.unit} {self.height:g}{self.unit}"

    @property
    def width_mm(self) -> float:
        return self._mm(self.width)

    @property
    def height_mm(self) -> float:
        return self._mm(self.height)

    def _mm(self, length: float) -> float:
        # a tenth of a millimetre is exact for every size here (8.5in = 215.9mm)
        return length if self.unit == "mm" else round(length * MM_PER_INCH, 1)


PAPERS = {paper.name: paper for paper in (
    Paper("A5", 148, 210, "mm", handout="A4"),
    Paper("B6", 128, 182, "mm", handout="A4"),  # JIS B6, the Japanese B6 (ISO B6 is 125 x 176 mm)
    Paper("A4", 210, 297, "mm", handout="A4"),
    Paper("Letter", 8.5, 11, "in", handout="Letter"),
)}
DEFAULT_PAPER = "A5"
