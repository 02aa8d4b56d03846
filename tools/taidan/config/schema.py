"""Every taidan.toml key, declared once: its table, kind (type and check), default, help,
documentation and, where it has one, the command-line option that beats it.

From ``SETTINGS`` come the checks of ``taidan.config.project.read`` (one ``taidan.toml:LINE``
message per fault), the merge of the command line over the file (``given`` and
``Project.settings``), the argparse options (``add_options``), the commented taidan.toml
that ``taidan new`` writes (``skeleton``) and the reference page (``taidan.config.reference``).
A new key is one more ``Setting`` below.
"""

from __future__ import annotations

import argparse
import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from taidan.config.options import PRESS
from taidan.config.paper import DEFAULT_PAPER, PAPERS
from taidan.config.style import DEFAULT_SHAPES, SHAPES

CONFIG_FILE = "taidan.toml"
PORTS = {"starttls": 587, "ssl": 465, "none": 25}  # [send] security -> port, when port is not set
SECURITY = tuple(PORTS)
FONT_KEYS = ("body_font", "heading_font", "label_font", "latin_body_font", "latin_heading_font")


def edition_names(lang: str = "") -> tuple[str, ...]:
    """The editions, all of them or (``lang``) those for a book in that language."""
    # deferred: taidan.editions imports taidan.config (its Options hold a Publisher and a Style)
    from taidan.editions import EDITIONS

    return tuple(name for name, e in EDITIONS.items() if not lang or e.langs is None or lang in e.langs)


def hint(word: str, choices) -> str:
    """``did you mean '...'?`` for the choice closest to ``word``, or nothing."""
    import difflib  # deferred: only a fault needs it, not every start

    by_case = {c.lower(): c for c in choices}
    close = difflib.get_close_matches(word.lower(), list(by_case), n=1, cutoff=0.5)
    return f"did you mean '{by_case[close[0]]}'?" if close else ""


def toml(value) -> str:
    """A value as TOML text, as the skeleton and the reference page show it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(toml(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key} = {toml(item)}" for key, item in value.items()) + "}"
    return str(value)


# ---- kinds: what a value may be. check() returns (value, None) or (None, (message, hint));
# a message starting with "must" is said of the key ("jobs must be ...").

class Kind:
    words = ""  # what the value is, for the reference page

    def check(self, value):
        raise NotImplementedError

    def argument(self) -> dict:
        """argparse's keywords for an option taking this kind."""
        return {}


class Text(Kind):
    words = "text"

    def check(self, value):
        if isinstance(value, str) and value.strip():
            return value.strip(), None
        return None, ("must be text in quotes", "")


class Folder(Text):
    """A folder: in taidan.toml relative to the file's folder, on the command line to the
    working folder."""
    words = "a folder, relative to taidan.toml's folder"

    def argument(self) -> dict:
        return {"type": Path}


class Flag(Kind):
    words = "true or false"

    def check(self, value):
        if isinstance(value, bool):
            return value, None
        return None, ("must be true or false", "")

    def argument(self) -> dict:
        return {"action": argparse.BooleanOptionalAction}


class _PressOption(argparse.Action):
    """``--press`` (the default standard), ``--press=pdf/x-1a``, or ``--no-press``."""

    def __init__(self, option_strings, dest, **keywords):
        no = ["--no-" + name[2:] for name in option_strings if name.startswith("--")]
        super().__init__([*option_strings, *no], dest, nargs="?", **keywords)

    def __call__(self, parser, namespace, value, option=None):
        if option and option.startswith("--no-"):
            if value is not None:
                parser.error(f"{option} takes no value")
            value = False
        setattr(namespace, self.dest, True if value is None else value)


class Press(Kind):
    """What --press makes: true is the default standard, false none (a screen PDF)."""
    words = "true (" + PRESS[0] + "), false, or one of " + ", ".join(f'"{p}"' for p in PRESS)

    def check(self, value):
        # true and false stay as they are (Options reads true as the default standard)
        if isinstance(value, bool):
            return value, None
        if isinstance(value, str) and value.lower() in PRESS:
            return value.lower(), None
        return None, ("must be " + self.words, hint(str(value), PRESS))

    def parse(self, text: str) -> str:
        value, fault = self.check(text)
        if fault:
            raise argparse.ArgumentTypeError(fault[0])
        return value

    def argument(self) -> dict:
        return {"action": _PressOption, "type": self.parse, "metavar": "STANDARD"}


class Either(Kind):
    """One of a few numbers."""

    def __init__(self, *numbers: int):
        self.numbers = numbers
        self.words = " or ".join(map(str, numbers))

    def check(self, value):
        if isinstance(value, int) and not isinstance(value, bool) and value in self.numbers:
            return value, None
        return None, (f"must be {self.words}", "")


class Whole(Kind):
    def __init__(self, low: int, high: int | None = None):
        self.low, self.high = low, high
        self.span = f"from {low} to {high}" if high else f"of {low} or more"
        self.words = f"a whole number {self.span}"

    def _fits(self, value) -> bool:
        return self.low <= value and (self.high is None or value <= self.high)

    def check(self, value):
        if isinstance(value, int) and not isinstance(value, bool) and self._fits(value):
            return value, None
        return None, (f"must be {self.words}", "")

    def parse(self, text: str) -> int:
        if not text.isdigit() or not self._fits(int(text)):
            raise argparse.ArgumentTypeError(f"'{text}' is not {self.words}")
        return int(text)

    def argument(self) -> dict:
        return {"type": self.parse, "metavar": "N"}


class OneOf(Kind):
    def __init__(self, choices: Callable[[], tuple[str, ...]]):
        self.choices = choices  # called when needed: the editions are known late

    @property
    def words(self) -> str:
        return "one of " + ", ".join(f'"{c}"' for c in self.choices())

    def check(self, value):
        choices = self.choices()
        if isinstance(value, str) and value in choices:
            return value, None
        return None, (f"'{value}' is not one of " + ", ".join(choices), hint(str(value), choices))

    def argument(self) -> dict:
        return {"choices": list(self.choices())}


class ListOf(OneOf):
    @property
    def words(self) -> str:
        return "a list of " + ", ".join(f'"{c}"' for c in self.choices()) + ", each at most once"

    def check(self, value):
        options = self.choices()
        if not isinstance(value, list) or not value:
            return None, ("must be a list such as [" + ", ".join(f'"{c}"' for c in options[:2]) + "]", "")
        for item in value:
            if not isinstance(item, str) or item not in options:
                return None, (f"'{item}' is not one of " + ", ".join(options), hint(str(item), options))
        if len(set(value)) != len(value):
            return None, ("names an entry twice", "")
        return list(value), None

    def argument(self) -> dict:
        return {"nargs": "+", "choices": list(self.choices()), "metavar": "NAME"}


class Font(Kind):
    words = ('a family name or a file; or a table of files by style: {regular = "...", '
             'italic = "...", bold = "...", bold_italic = "..."}')
    STYLES = ("regular", "italic", "bold", "bold_italic")

    def check(self, value):
        if isinstance(value, dict):
            unknown = [k for k in value if k not in self.STYLES]
            if unknown:
                return None, (f"'{unknown[0]}' is not a style", "styles: " + ", ".join(self.STYLES))
            if not all(isinstance(v, str) and v.strip() for v in value.values()) \
                    or "regular" not in value:
                return None, ("must give at least regular = \"file\", each style a file in quotes", "")
            return {k: value[k].strip() for k in self.STYLES if k in value}, None
        return Text().check(value)


class DatePattern(Text):
    words = ('one of "short", "medium", "long", "full" (the language\'s own forms), or a CLDR '
             'date pattern such as "d MMMM y"')

    def check(self, value):
        text, fault = super().check(value)
        if fault:
            return None, fault
        # deferred: Babel is read only when taidan.toml sets a date format
        from taidan.render.dates import pattern_fault

        why = pattern_fault(text)
        if why:
            return None, (f"'{text}' {why}", "e.g. \"d MMMM y\" (3 November 2025) or \"MMMM d, y\" "
                          "(November 3, 2025); see https://babel.pocoo.org/en/latest/dates.html")
        return text, None


class Colour(Kind):
    words = 'a colour, "#rrggbb" or "#rgb"'

    def check(self, value):
        if isinstance(value, str) and re.fullmatch(r"#[0-9A-Fa-f]{6}|#[0-9A-Fa-f]{3}", value):
            return value.lower(), None
        return None, (f"'{value}' is not a colour", 'write it as "#rrggbb", e.g. "#8a1c1c"')


class Credits(Kind):
    words = 'a list of {role = "...", name = "..."}'

    def check(self, value):
        if not isinstance(value, list):
            return None, ("must be a list such as [{role = \"Photos\", name = \"Ann Lee\"}]", "")
        found = []
        for item in value:
            if not isinstance(item, dict) or set(item) != {"role", "name"} \
                    or not all(isinstance(v, str) and v.strip() for v in item.values()):
                return None, ("credits: each credit is {role = \"...\", name = \"...\"}", "")
            found.append({"role": item["role"].strip(), "name": item["name"].strip()})
        return found, None


# ---- the settings -------------------------------------------------------------------------

@dataclass(frozen=True)
class Setting:
    table: str
    key: str
    kind: Kind
    default: object
    help: str  # one line: the option's --help and the skeleton's comment
    doc: str = ""  # more for the reference page, where one line does not say it all
    example: object = None  # shown in the skeleton instead of a default that is empty (or a
    # function giving it, called when needed: the editions are known late)
    default_text: str = ""  # the default in words, where its value does not say it
    latin_example: object = None  # shown instead of example in the skeleton of a project in
    # a Latin-script language (taidan new --lang en): its faces are Latin ones
    option: str = ""  # the command-line option that beats the key, e.g. "--paper"
    commands: tuple[str, ...] = ()  # the commands taking the option

    @property
    def dest(self) -> str:
        """The option's attribute in argparse's namespace."""
        return self.option.removeprefix("--").replace("-", "_")

    @property
    def shown_default(self) -> str:
        """The default as the reference page says it."""
        if self.default_text:
            return self.default_text
        return "none" if self.default in (None, "", []) else toml(self.default)

    @property
    def sample(self):
        """The value the skeleton shows, commented out."""
        if self.example is None:
            return self.default
        return list(self.example()) if callable(self.example) else self.example

    def sample_for(self, latin: bool):
        """The value the skeleton of a Japanese or (``latin``) a Latin-script project shows."""
        return self.latin_example if latin and self.latin_example is not None else self.sample


# The tables, in the order of the skeleton and the reference page, with what each is for.
TABLES = {
    "build": "What `taidan build` makes and where it writes (`taidan catalog` too). Each key "
             "has a command-line option that beats it for one run.",
    "print": "The print editions' ink, when they are made for a print shop (`--press`).",
    "publisher": "Used when a manuscript's front matter does not say (the front matter wins).",
    "accessibility": "The EPUB editions' accessibility metadata.",
    "style": "The house style, used by every edition. A font is a file (relative to this folder, "
             "or anywhere on the machine) or the family name of an installed font (see `fc-list`).",
    "send": "taidan send: the mail server that delivers books to readers' devices. The password "
            "comes from the TAIDAN_SMTP_PASSWORD environment variable or password_file.",
}

_FONTS = {  # key: (the Japanese built-in face, the Latin one, help)
    "body_font": ("BIZ UDPMincho", "Linux Libertine O", "the body text's font"),
    "heading_font": ("BIZ UDPGothic", "Linux Biolinum O", "the headings' font"),
    "label_font": ("BIZ UDPGothic", "Linux Biolinum O", "the speaker labels' font"),
    "latin_body_font": ("EB Garamond", "EB Garamond", "set ahead of body_font for Latin letters"),
    "latin_heading_font": ("Linux Biolinum O", "Linux Biolinum O",
                           "set ahead of heading_font for Latin letters"),
}

SETTINGS = (
    Setting("build", "editions", ListOf(edition_names), None, "the editions to build",
            doc="Each edition that does not apply to a manuscript is skipped with a line "
                "saying why (the vertical editions are for Japanese and Chinese).",
            example=edition_names, default_text="all",
            option="--edition", commands=("build",)),
    Setting("build", "paper", OneOf(lambda: tuple(PAPERS)), DEFAULT_PAPER,
            "page size of the print editions; the handout is A4, or Letter for Letter",
            doc="The sizes: " + ", ".join(f"{p.name} ({p.width:g} x {p.height:g} {p.unit})"
                                          for p in PAPERS.values()) + "; B6 is the Japanese (JIS) B6.",
            option="--paper", commands=("build",)),
    Setting("build", "press", Press(), False,
            "the print editions as PDF/X files for a print shop: 3 mm bleed, trim marks, ink "
            "through a CMYK profile",
            doc="`true` or `--press` makes PDF/X-4; `\"pdf/x-1a\"` or `--press=pdf/x-1a` makes "
                "PDF/X-1a (PDF 1.4, no transparency), for shops that ask for it. See "
                "[Sending a book to a print shop](../press.md).",
            option="--press", commands=("build",)),
    Setting("build", "press_marks", Flag(), True,
            "--press: trim marks (トンボ) outside the bleed, the media box grown to hold them",
            doc="`false` leaves them out: the media box is then the bleed box, for shops that "
                "add their own marks."),
    Setting("build", "out", Folder(), "build", "the output folder",
            doc="In taidan.toml relative to the file's folder; on the command line relative "
                "to the working folder.", default_text="the project's build/",
            option="--out", commands=("build", "catalog")),
    Setting("build", "embed_fonts", Flag(), False, "embed subset fonts in the EPUB editions",
            option="--embed-fonts", commands=("build",)),
    Setting("build", "audio_bitrate", Whole(16, 320), None,
            "read-along editions: re-encode the recording as MP3 at this many kbit/s",
            doc="The EPUB editions carry the recording named by a manuscript's audio: as it is "
                "when it is MP3 or AAC, else converted to MP3 at 64 kbit/s (ffmpeg). A lower "
                "rate makes a smaller book: the build warns when the audio makes an EPUB "
                "larger than 100 MB.",
            example=48, option="--audio-bitrate", commands=("build",)),
    Setting("build", "jobs", Whole(1), None, "editions built at once; 1 uses least memory",
            example=2, default_text="one per core", option="--jobs", commands=("build",)),
    Setting("print", "colours", Either(1, 4), 1,
            "--press: 1 prints everything in black ink (K); 4 prints pictures and the accent "
            "colour in CMYK",
            doc="Text is black ink alone either way, never a four-colour black. With 1, pictures "
                "and colours become tones of K through the press profile; with 4 they are "
                "converted to CMYK through it, at most 300 % total ink."),
    Setting("publisher", "name", Text(), "", "the publisher, when the front matter names none",
            example="Your Press"),
    Setting("publisher", "rights", Text(), "", "the rights statement", example="© 2026 Your Press"),
    Setting("publisher", "date_format", DatePattern(), "",
            "how dates are printed, in the manuscript's language", example="long",
            doc="The title page, colophon, handout, cover and EPUB print the date as readers "
                "of the manuscript's language write it (Babel's \"long\" form: 3 November 2025, "
                "November 3, 2025 for en-US, 2025年11月3日, 3. November 2025, 3 novembre 2025; "
                "plain en is written day first). A CLDR pattern (d day, M month, y year, E "
                "weekday, text in 'quotes') gives a form of its own in that language. "
                "Machine-readable dates (the EPUB's and PDF's metadata) stay YYYY-MM-DD.",
            default_text='"long"'),
    Setting("publisher", "credits", Credits(), [], "who did what, besides the interviewees",
            example=[{"role": "Editing", "name": "Your Name"}]),
    Setting("accessibility", "certified_by", Text(), "",
            "who vouches for the EPUB's accessibility (a11y:certifiedBy)", example="Your Press"),
    *(Setting("style", key, Font(), None, help, example=example, latin_example=latin,
              doc="Without it, each edition uses its built-in font. A family name brings its "
                  "italic, bold and bold italic files (fontconfig finds them); a style it lacks "
                  "is a warning, and the PDF engine slants or thickens the regular file.")
      for key, (example, latin, help) in _FONTS.items()),
    Setting("style", "accent", Colour(), None, "the colour of rules and headings' lines",
            example="#8a1c1c",
            doc="Never the one thing that tells speakers apart: their labels' shapes do that, "
                "in greyscale and on e-ink too. Without it, rules keep the colour of the text."),
    Setting("style", "label_shapes", ListOf(lambda: tuple(SHAPES)), None,
            "one shape per speaker, in order of the front matter's speakers; more speakers than "
            "shapes start the list again (with a warning). Shapes: " + ", ".join(SHAPES) + ".",
            example=list(DEFAULT_SHAPES), default_text=toml(list(DEFAULT_SHAPES))),
    Setting("send", "host", Text(), "", "the mail (SMTP) server", example="smtp.example.com"),
    Setting("send", "port", Whole(1, 65535), None, "the port", example=587,
            default_text=", ".join(f"{port} for {security}" for security, port in PORTS.items())),
    Setting("send", "security", OneOf(lambda: SECURITY), "starttls",
            "how the connection is encrypted"),
    Setting("send", "user", Text(), "", "the login name", example="you@example.com"),
    Setting("send", "from", Text(), "", "the sender's address", example="you@example.com"),
    Setting("send", "password_file", Text(), "", "the password, alone in a file",
            doc="Relative to taidan.toml's folder; `~` is the home folder. "
                "TAIDAN_SMTP_PASSWORD, when set, is used instead.",
            example="~/.config/taidan/smtp-password"),
)

# ---- options of the command line alone: they say what one run does, not what the book is,
# so they have no taidan.toml key

class Shard(Kind):
    """K/N: the K-th of N slices of the manuscripts (taidan.pipeline.shard)."""

    def parse(self, text: str) -> tuple[int, int]:
        found = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
        k, n = (int(found[1]), int(found[2])) if found else (0, 0)
        if not 1 <= k <= n:
            raise argparse.ArgumentTypeError(
                f"'{text}' is not K/N with 1 ≤ K ≤ N (e.g. --shard 1/2 and --shard 2/2 on two machines)")
        return k, n

    def argument(self) -> dict:
        return {"type": self.parse, "metavar": "K/N"}


class Folders(Kind):
    """One or more folders, relative to the working folder."""

    def argument(self) -> dict:
        return {"type": Path, "nargs": "+", "metavar": "BUILD_DIR"}


@dataclass(frozen=True)
class Option:
    option: str  # e.g. "--shard"
    kind: Kind
    help: str
    commands: tuple[str, ...]
    dest: str  # its attribute in argparse's namespace


OPTIONS = (
    Option("--shard", Shard(), "build only the K-th of N slices of the manuscripts, dealt out "
           "in the order of a hash of their names (the same slices on every machine), so the N "
           "machines of a CI matrix build each once; then taidan catalog --from their outputs",
           ("build",), "shard"),
    Option("--from", Folders(), "write the catalog from these folders of built editions (taidan "
           "build's outputs, e.g. each shard's) without building anything; the manuscripts give "
           "the books' details", ("catalog",), "built"),
)

# table -> key -> Setting
SCHEMA: dict[str, dict[str, Setting]] = {table: {} for table in TABLES}
for _setting in SETTINGS:
    SCHEMA[_setting.table][_setting.key] = _setting
del _setting


def defaults() -> dict:
    """Every table and key with its default."""
    return {table: {key: (list(s.default) if isinstance(s.default, list) else s.default)
                    for key, s in keys.items()} for table, keys in SCHEMA.items()}


# ---- the command line ---------------------------------------------------------------------

def options_of(command: str) -> list[Setting]:
    return [s for s in SETTINGS if command in s.commands]


def add_options(parser: argparse.ArgumentParser, command: str) -> None:
    """Adds ``command``'s options: those that stand for taidan.toml keys (not given, such an
    option is None, so the file's value or its default applies: see ``given``), then those of
    the command line alone (``OPTIONS``)."""
    for setting in options_of(command):
        keywords = setting.kind.argument()
        help = setting.help
        if "nargs" in keywords:  # the choices are hidden behind the metavar: name them
            help += ": one or more of " + ", ".join(keywords["choices"])
        default = setting.default_text or (toml(setting.default) if isinstance(setting.default, bool)
                                           else setting.default)  # false, A5
        parser.add_argument(setting.option, **keywords,
                            help=f"{help} (default: {default}; taidan.toml [{setting.table}] {setting.key})")
    for option in OPTIONS:
        if command in option.commands:
            parser.add_argument(option.option, dest=option.dest, help=option.help, **option.kind.argument())


def given(values) -> dict:
    """The command line's values by key, those given only: ``values`` is argparse's
    namespace or a dict by key (None: not given)."""
    if isinstance(values, dict):
        return {key: value for key, value in values.items() if value is not None}
    found = {}
    for setting in SETTINGS:
        value = getattr(values, setting.dest, None) if setting.option else None
        if value is not None:
            found[setting.key] = value
    return found


# ---- the skeleton -------------------------------------------------------------------------

WIDTH = 96  # the longest comment line of the skeleton
COMMENT_AT = 26  # where a key's comment starts, when the key is short enough

SKELETON_HEAD = """\
# taidan.toml: this book project's settings. Every key is optional; a commented line shows
# the default, or an example where the default is empty. Uncomment a line to change it.
# Options given on the command line (taidan build --paper B6 ...) beat what is written here.
"""


def _comment(text: str) -> list[str]:
    return textwrap.wrap(text, 90, initial_indent="# ", subsequent_indent="# ",
                         break_on_hyphens=False)


def skeleton(lang: str = "ja") -> str:
    """The taidan.toml that ``taidan new`` writes: every table and key, commented out. For a
    project in ``lang``, the faces shown are its script's, and the editions (set, not
    commented) are those for its language when some are not (a vertical edition would only
    be reported skipped at each build)."""
    latin = lang.split("-")[0].lower() not in ("ja", "zh")  # as Manuscript.cjk
    lines = SKELETON_HEAD.splitlines()
    for table, keys in SCHEMA.items():
        lines += ["", f"[{table}]"]
        lines += _comment(TABLES[table])
        for setting in keys.values():
            line = f"# {setting.key} = {toml(setting.sample_for(latin))}"
            note = setting.help
            if setting.key == "editions" and edition_names(lang) != edition_names():
                line = f"{setting.key} = {toml(list(edition_names(lang)))}"
                note += f" (default: {setting.default_text}; the vertical ones are for Japanese and Chinese)"
            elif setting.example is not None and setting.default_text \
                    and setting.default_text != toml(setting.sample):
                note += f" (default: {setting.default_text})"
            if isinstance(setting.kind, OneOf) and not isinstance(setting.kind, ListOf):
                note += ": " + ", ".join(f'"{c}"' for c in setting.kind.choices())
            if isinstance(setting.kind, Folder):
                note += ", relative to this file"
            padded = line.ljust(COMMENT_AT) if len(line) <= COMMENT_AT - 3 else line + "   "
            if note and len(padded) + 2 + len(note) <= WIDTH:
                line = padded + "# " + note
            elif note:
                lines += _comment(note[:1].upper() + note[1:])
            lines.append(line)
    return "\n".join(lines) + "\n"
