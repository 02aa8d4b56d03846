"""``--embed-fonts``: a font cut down to the characters the book uses, as WOFF.

fontTools' default layout features stay (they include the vertical alternates and the
proportional metrics vert, vrt2, vpal, palt); alternates such as jp78 or aalt, which would
pull in thousands of glyphs, go, and so does the hinting. No time stamp is renewed, so
the same book gives the same bytes.
"""

from __future__ import annotations

import io
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont


def subset_woff(path: Path, text: str) -> bytes:
    options = subset.Options()
    options.layout_features += ["ruby"]
    options.drop_tables += ["meta", "FFTM"]  # tables fontTools cannot subset: the font's metadata, FontForge's time stamps
    options.name_IDs = ["*"]  # keep the copyright and licence (OFL) records
    options.hinting = False
    options.flavor = "woff"
    face = TTFont(str(path), recalcTimestamp=False, fontNumber=0)  # a collection (.ttc): its first font
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=text)
    subsetter.subset(face)
    out = io.BytesIO()
    face.flavor = "woff"
    face.save(out)
    return out.getvalue()
