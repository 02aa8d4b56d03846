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


STYLES = ("regular", "italic", "bold", "bold_italic")
# (CSS font-weight, font-style) of each style
CSS = {"regular": (400, "normal"), "italic": (400, "italic"), "bold": (700, "normal"),
       "bold_italic": (700, "italic")}


@dataclass(frozen=True)
class Face:
    """A font from [style]: the role it plays, its family name and its file for each style."""
    role: str  # body, heading, label, latin_body, latin_heading
    family: str  # the family name that CSS asks for
    regular: Path | None = None
    italic: Path | None = None  # None: the family has no such file (a warning says so)
    bold: Path | None = None
    bold_italic: Path | None = None
    # files of the family with too few characters to set text in alone (Debian's EB Garamond
    # Bold has 127, none of them curly quotes or accented letters): (style, file, the CSS
    # unicode-range it covers). Reading systems set what they have in them and the rest in
    # the regular file; WeasyPrint never picks them (fontconfig ranks a font's languages above
    # its weight), so the PDF editions draw the style from the regular file instead.
    incomplete: tuple[tuple[str, Path, str], ...] = ()

    def styles(self) -> list[tuple[str, Path]]:
        """(style, file) of each style the face has, in STYLES order."""
        return [(style, getattr(self, style)) for style in STYLES if getattr(self, style)]

    def font_faces(self) -> list[tuple[str, Path, str | None]]:
        """(style, file, unicode-range or None) of each @font-face rule the face needs: its
        whole styles, and its incomplete ones limited to the characters they have."""
        return ([(style, path, None) for style, path in self.styles()]
                + [(style, path, covered) for style, path, covered in self.incomplete])

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(style for style in STYLES if getattr(self, style) is None)


@dataclass(frozen=True)
class Style:
    shapes: tuple[str, ...] = DEFAULT_SHAPES
    accent: str | None = None
    faces: tuple[Face, ...] = field(default_factory=tuple)
    notes: tuple = ()  # warnings about the faces (taidan.errors.Problem), said once a run

    def shape(self, number: int) -> str:
        """The CSS declarations of speaker ``number`` (1, 2, ...): the list starts again
        when there are more speakers than shapes."""
        return SHAPES[self.shapes[(number - 1) % len(self.shapes)]]

    def face(self, role: str) -> Face | None:
        return next((f for f in self.faces if f.role == role), None)

    def files(self) -> list[Path]:
        """Every font file named, for the fetch guard and the build cache."""
        return sorted({p for f in self.faces for _, p, _ in f.font_faces()})

    def family_names(self, cjk: bool) -> str:
        """The text and sans faces a book is set in, as its colophon names them."""
        text = self.face("body") if cjk else self.face("latin_body") or self.face("body")
        sans = self.face("heading") if cjk else self.face("latin_heading") or self.face("heading")
        default = ("BIZ UD Mincho", "BIZ UD Gothic") if cjk else ("Linux Libertine", "Linux Biolinum")
        names = [text.family if text else default[0], sans.family if sans else default[1]]
        return " / ".join(dict.fromkeys(names))


def warnings(m, style: Style) -> list:
    """Problems (warnings: the manuscript is valid) when speakers must share a shape."""
    # deferred: only a manuscript with more speakers than shapes warns
    from taidan.errors import Problem

    if len(m.speakers) <= len(style.shapes):
        return []
    lines = _id_lines(m.path.read_text(encoding="utf-8", errors="replace"))
    found = []
    for sp in m.speakers[len(style.shapes):]:
        line = lines.get(sp.id, 1)
        twin = m.speakers[(sp.number - 1) % len(style.shapes)]
        found.append(Problem(m.path, line, f"{len(m.speakers)} speakers and {len(style.shapes)} "
                             f"label shapes: {sp.label} has {twin.label}'s shape",
                             "add shapes to label_shapes in taidan.toml's [style]", warning=True))
    return found


_ID_LINE = re.compile(r"\bid:\s*[\"']?([A-Za-z][A-Za-z0-9_-]*)")


def _id_lines(text: str) -> dict[str, int]:
    """Each speaker id -> the first line that says ``id: <it>``, the file read once (a line
    saying ``id: ann-b`` also says ``id: ann``, as a word ends before the hyphen)."""
    lines: dict[str, int] = {}
    for number, line in enumerate(text.split("\n"), 1):
        for m in _ID_LINE.finditer(line):
            word = m.group(1)
            for end in [i for i, ch in enumerate(word) if ch == "-" and word[i - 1] != "-"] + [len(word)]:
                lines.setdefault(word[:end], number)
    return lines


# ---- fonts named in [style]: a file, or the family name of an installed font ----------

FONT_FILES = (".ttf", ".otf", ".ttc", ".woff", ".woff2")


class FontNotFound(ValueError):
    """(message, hint) for taidan.toml's line."""


def resolve_face(role: str, value, root: Path) -> Face:
    """A [style] font: a family name looked up with fontconfig (all four styles), a file
    (relative to the project), or a table of files by style. Raises FontNotFound."""
    if isinstance(value, dict):
        files = {style: _font_file(path, root) for style, path in value.items()}
        return Face(role, _family(files["regular"], value["regular"]), **files)
    if value.lower().endswith(FONT_FILES) or "/" in value:
        path = _font_file(value, root)
        return Face(role, _family(path, value), path)
    if re.search(r"[\"\\<>;{}]", value):
        raise FontNotFound(f"'{value}' is not a font family name", "")
    files, incomplete = _family_files(value)
    if not files.get("regular"):
        raise FontNotFound(f"no installed font family '{value}'", _family_hint(value))
    return Face(role, value, **files, incomplete=tuple((style, path, unicode_range(path))
                                                        for style, path in incomplete.items()))


def unicode_range(path: Path) -> str:
    """The characters a font file has, as a CSS unicode-range (U+20-7E, U+A0-BF)."""
    from fontTools.ttLib import TTFont  # deferred: only an incomplete style needs it

    codes = sorted(TTFont(str(path), fontNumber=0, lazy=True).getBestCmap())
    runs: list[list[int]] = []
    for code in codes:
        if runs and code == runs[-1][1] + 1:
            runs[-1][1] = code
        else:
            runs.append([code, code])
    return ", ".join(f"U+{a:X}" if a == b else f"U+{a:X}-{b:X}" for a, b in runs)


def _font_file(value: str, root: Path) -> Path:
    path = Path(value).expanduser()
    path = (path if path.is_absolute() else root / path).resolve()
    if not path.is_file():
        raise FontNotFound(f"the font file {value} does not exist",
                           "a path relative to taidan.toml, or an installed family name: see fc-list")
    return path


def _family(path: Path, value: str) -> str:
    try:
        from fontTools.ttLib import TTFont  # deferred: only a font given as a file needs it

        family = TTFont(str(path), fontNumber=0, lazy=True)["name"].getBestFamilyName()
    except Exception:  # noqa: BLE001 - any unreadable file is the same fault
        raise FontNotFound(f"{value} is not a font file taidan can read", "use a TrueType or OpenType file") from None
    return re.sub(r"[\"\\<>;{}]", "", family or path.stem)


def _family_files(family: str) -> tuple[dict[str, Path], dict[str, Path]]:
    """The regular, italic, bold and bold italic files of an installed family, by
    fontconfig's weight and slant. fc-match alone will not do: asked for "EB Garamond:bold"
    it answers with a regular file of another optical size. Where a family comes in several
    sub-families (EB Garamond 08 and 12), the one with the most styles is preferred. A style
    whose file supports fewer than half the languages of the regular one is returned apart,
    as incomplete."""
    import subprocess  # deferred: only a family name needs fontconfig

    try:
        listed = subprocess.run(["fc-list", "-f", "%{file}\t%{weight}\t%{slant}\t%{family}\t%{lang}\n",
                                 family], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        return {}, {}
    asked = family.casefold()
    candidates = []  # (style, sub-family, weight distance, file)
    languages: dict[Path, int] = {}  # file -> how many languages fontconfig says it covers
    for line in listed.splitlines():
        parts = line.split("\t")
        if len(parts) != 5 or not parts[1].isdigit() or not parts[2].isdigit():
            continue
        families = [f.strip() for f in parts[3].split(",")]
        if asked not in {f.casefold() for f in families}:
            continue
        weight, italic = int(parts[1]), int(parts[2]) > 0
        bold = weight >= 180  # fontconfig: 180 demibold, 200 bold
        style = ("bold_" if bold else "") + ("italic" if italic else "")
        style = style.rstrip("_") or "regular"
        sub = next((f for f in families if f.casefold() != asked), family)
        languages[Path(parts[0])] = len(parts[4].split("|"))
        candidates.append((style, sub, abs(weight - (200 if bold else 80)), Path(parts[0])))
    by_sub: dict[str, set[str]] = {}
    for style, sub, _, _ in candidates:
        by_sub.setdefault(sub, set()).add(style)
    rank = {sub: (-len(styles), sub) for sub, styles in by_sub.items()}
    files, incomplete = {}, {}
    for style in STYLES:
        found = sorted((c for c in candidates if c[0] == style),
                       key=lambda c: (rank[c[1]], c[2], str(c[3])))
        if found:
            files[style] = found[0][3]
    regular = files.get("regular")
    for style in STYLES[1:]:
        if regular and style in files and languages[files[style]] * 2 < languages[regular]:
            incomplete[style] = files.pop(style)
    return files, incomplete


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
