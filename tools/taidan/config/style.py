"""The house style: label shapes, accent colour and fonts, from taidan.toml's [style].

Every edition's stylesheet ends with ``templates/shared/_house.css``, which writes these
rules, so a speaker's label has the same shape in the HTML page, both EPUBs and the three
PDFs. The shapes are drawn with solid borders only, in ``currentColor``: MuPDF draws no
dashed, dotted or double border and no background behind an inline box, and e-ink,
greyscale print and night modes have no colour to tell speakers apart by.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

# name -> CSS declarations for the label (widths in em of the label's own size). A bar
# on one side has padding as wide on the other, so the name stays centred in its column.
SHAPES = {
    "box": "border: .1em solid",
    "bar": "border-left: .45em solid; padding-right: .45em",
    "underline": "border-bottom: .16em solid",
    "sides": "border-left: .14em solid; border-right: .14em solid",
    "heavy-box": "border: .24em solid",
    "rules": "border-top: .12em solid; border-bottom: .12em solid",
    "corner": "border-left: .14em solid; border-bottom: .14em solid",
    "overline": "border-top: .16em solid",
    "bar-right": "border-right: .45em solid; padding-left: .45em",
    "corner-right": "border-top: .14em solid; border-right: .14em solid",
}
DEFAULT_SHAPES = ("box", "bar", "underline", "sides", "heavy-box", "rules", "corner", "overline")


@dataclass(frozen=True)
class Face:
    """A font from [style]: the role it plays, its family name and its files."""
    role: str  # body, heading, label, latin_body, latin_heading
    family: str  # the family name that CSS asks for
    regular: Path | None = None
    bold: Path | None = None  # None: the regular file serves bold too (never a faux bold)


@dataclass(frozen=True)
class Style:
    shapes: tuple[str, ...] = DEFAULT_SHAPES
    accent: str | None = None
    faces: tuple[Face, ...] = field(default_factory=tuple)

    def shape(self, number: int) -> str:
        """The CSS declarations of speaker ``number`` (1, 2, ...): the list starts again
        when there are more speakers than shapes."""
        return SHAPES[self.shapes[(number - 1) % len(self.shapes)]]

    def face(self, role: str) -> Face | None:
        return next((f for f in self.faces if f.role == role), None)

    def files(self) -> list[Path]:
        """Every font file named, for the fetch guard and the build cache."""
        return sorted({p for f in self.faces for p in (f.regular, f.bold) if p})


def warnings(m, style: Style) -> list:
    """Problems (warnings: the manuscript is valid) when speakers must share a shape."""
    # deferred: only a manuscript with more speakers than shapes warns
    from taidan.errors import Problem

    if len(m.speakers) <= len(style.shapes):
        return []
    lines = m.path.read_text(encoding="utf-8", errors="replace").split("\n")
    found = []
    for sp in m.speakers[len(style.shapes):]:
        line = next((n for n, text in enumerate(lines, 1)
                     if re.search(rf"\bid:\s*[\"']?{re.escape(sp.id)}\b", text)), 1)
        twin = m.speakers[(sp.number - 1) % len(style.shapes)]
        found.append(Problem(m.path, line, f"{len(m.speakers)} speakers and {len(style.shapes)} "
                             f"label shapes: {sp.label} has {twin.label}'s shape",
                             "add shapes to label_shapes in taidan.toml's [style]", warning=True))
    return found


# ---- fonts named in [style]: a file, or the family name of an installed font ----------

FONT_FILES = (".ttf", ".otf", ".ttc", ".woff", ".woff2")


class FontNotFound(ValueError):
    """(message, hint) for taidan.toml's line."""


def resolve_face(role: str, value: str, root: Path) -> Face:
    """A [style] font: a path (relative to the project) or an installed family name,
    looked up with fontconfig. Raises FontNotFound."""
    if value.lower().endswith(FONT_FILES) or "/" in value:
        path = Path(value).expanduser()
        path = (path if path.is_absolute() else root / path).resolve()
        if not path.is_file():
            raise FontNotFound(f"the font file {value} does not exist",
                               "a path relative to taidan.toml, or an installed family name: see fc-list")
        try:
            # deferred: fontTools only for a font file named in [style]
            from fontTools.ttLib import TTFont

            family = TTFont(str(path), fontNumber=0, lazy=True)["name"].getBestFamilyName()
        except Exception:  # noqa: BLE001 - any unreadable file is the same fault
            raise FontNotFound(f"{value} is not a font file taidan can read", "use a TrueType or OpenType file") from None
        return Face(role, re.sub(r"[\"\\<>;{}]", "", family or path.stem), path, None)
    if re.search(r"[\"\\<>;{}]", value):
        raise FontNotFound(f"'{value}' is not a font family name", "")
    regular = _fc_match(value)
    if regular is None:
        raise FontNotFound(f"no installed font family '{value}'", _family_hint(value))
    bold = _fc_match(value + ":bold", bold=True)
    return Face(role, value, regular, bold if bold != regular else None)


def _fc_match(pattern: str, bold: bool = False) -> Path | None:
    """The file fontconfig gives for ``pattern``, if it is of the family asked for (fc-match
    always answers with something)."""
    import subprocess  # deferred: only a font named by family asks fontconfig

    try:
        out = subprocess.run(["fc-match", "-f", "%{file}\n%{family}\n%{weight}\n", pattern],
                             capture_output=True, text=True, timeout=20).stdout.split("\n")
    except (OSError, subprocess.SubprocessError):
        return None
    if len(out) < 3 or not out[0]:
        return None
    asked = pattern.split(":")[0].casefold()
    families = {f.strip().casefold() for f in out[1].split(",")}
    weight = int(out[2]) if out[2].strip().isdigit() else 80
    if asked not in families or (bold and weight < 180):
        return None
    return Path(out[0])


def _family_hint(name: str) -> str:
    import difflib  # deferred: only a font name not found needs a suggestion
    import subprocess

    try:
        listed = subprocess.run(["fc-list", ":", "family"], capture_output=True, text=True,
                                timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        listed = ""
    families = sorted({f.strip() for line in listed.splitlines() for f in line.split(",") if f.strip()})
    by_case = {f.casefold(): f for f in families}
    close = difflib.get_close_matches(name.casefold(), list(by_case), n=1, cutoff=0.6)
    return f"did you mean '{by_case[close[0]]}'?" if close else "fc-list : family lists the installed ones"
