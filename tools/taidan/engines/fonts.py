"""The fonts editions use, found by file path so output never depends on fontconfig's guesses."""

from __future__ import annotations

from pathlib import Path

DEBIAN = Path("/usr/share/fonts")
LIBERTINE = DEBIAN / "opentype/linux-libertine"

# role -> file. Mincho for body text, Gothic for headings and speaker labels.
FONTS = {
    "mincho": DEBIAN / "truetype/bizud-mincho/BIZUDPMincho-Regular.ttf",
    "mincho-mono": DEBIAN / "truetype/bizud-mincho/BIZUDMincho-Regular.ttf",
    "gothic": DEBIAN / "truetype/bizud-gothic/BIZUDPGothic-Regular.ttf",
    "gothic-bold": DEBIAN / "truetype/bizud-gothic/BIZUDPGothic-Bold.ttf",
    "gothic-mono": DEBIAN / "truetype/bizud-gothic/BIZUDGothic-Regular.ttf",
    "gothic-mono-bold": DEBIAN / "truetype/bizud-gothic/BIZUDGothic-Bold.ttf",
    "ipaex-mincho": DEBIAN / "opentype/ipaexfont-mincho/ipaexm.ttf",
    "ipaex-gothic": DEBIAN / "opentype/ipaexfont-gothic/ipaexg.ttf",
    # Latin-script languages (lang other than ja, zh): Linux Libertine for the text, with a
    # true italic, bold and bold italic; Linux Biolinum, its sans companion, for headings,
    # labels and the handout; Libertine Mono for code (Debian fonts-linuxlibertine).
    "serif": LIBERTINE / "LinLibertine_R.otf",
    "serif-italic": LIBERTINE / "LinLibertine_RI.otf",
    "serif-bold": LIBERTINE / "LinLibertine_RB.otf",
    "serif-bold-italic": LIBERTINE / "LinLibertine_RBI.otf",
    "sans": LIBERTINE / "LinBiolinum_R.otf",
    "sans-italic": LIBERTINE / "LinBiolinum_RI.otf",
    "sans-bold": LIBERTINE / "LinBiolinum_RB.otf",
    "mono": LIBERTINE / "LinLibertine_M.otf",
}


# The Debian package of each font folder: what to install when a file is missing.
PACKAGES = {
    "bizud-mincho": "fonts-morisawa-bizud-mincho",
    "bizud-gothic": "fonts-morisawa-bizud-gothic",
    "ipaexfont-mincho": "fonts-ipaexfont",
    "ipaexfont-gothic": "fonts-ipaexfont",
    "linux-libertine": "fonts-linuxlibertine",
}


# ---- which font files an edition may use: the one answer for the fetch guard, the build
# cache and taidan serve's watcher -----------------------------------------------------

def files(style=None) -> list[Path]:
    """Every font file an edition may use: taidan's own (``FONTS``) and those the house style
    ``style`` (taidan.config.style.Style: taidan.toml's [style]) names."""
    return list(FONTS.values()) + (style.files() if style is not None else [])


def folders() -> list[Path]:
    """The folders of taidan's own fonts (symbolic links resolved), sorted."""
    return sorted({path.resolve().parent for path in FONTS.values()})


def readable(style=None) -> list[Path]:
    """What an engine may read for fonts: taidan's font folders, and exactly the files the
    house style names (they may be anywhere on the disk, so not their folders)."""
    return folders() + [path.resolve() for path in (style.files() if style is not None else [])]


def font(role: str) -> Path:
    path = FONTS[role]
    if not path.is_file():
        package = PACKAGES.get(path.parent.name, "")
        how = f"sudo apt-get install {package}" if package else "install it"
        raise FileNotFoundError(f"the font {path} is missing: {how} "
                                "(in a checkout of taidan, `make setup` installs every font)")
    return path


class FontNotLoaded(Exception):
    """A font a stylesheet names by url() could not be loaded: an error, never a silent
    fallback to another face. ``urls``: the URLs that failed."""

    def __init__(self, urls: list[str]):
        super().__init__(", ".join(urls))
        self.urls = urls
