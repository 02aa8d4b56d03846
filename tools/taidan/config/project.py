"""The book project: a folder with ``taidan.toml`` (optional), ``manuscript/`` and ``build/``.

``find()`` walks up from a folder to the first ``taidan.toml``, as git looks for ``.git``;
without one, the starting folder is the project (its ``manuscript/*.md``, its ``build/``).
The file is read with tomllib and checked key by key: every problem is one line,
``taidan.toml:LINE: message (did you mean ...?)``. tomllib gives no line numbers, so the
line of a key is found in the text (``_Lines``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from taidan.config import schema
from taidan.config.schema import CONFIG_FILE, FONT_KEYS, SCHEMA
from taidan.config.options import Options, Publisher
from taidan.errors import Problem, ProblemsFound, shown


def defaults() -> dict:
    """Every table and key with its default: what a project without taidan.toml gets.
    [style] also gets "faces": its fonts resolved to files (taidan.config.style.Face)."""
    config = schema.defaults()
    config["style"]["faces"] = ()
    config["style"]["notes"] = ()
    return config


class _Lines:
    """Where each table and key of a TOML text is written (tomllib keeps no positions)."""

    _HEADER = re.compile(r"^\s*\[\s*([A-Za-z0-9_.\"' -]+?)\s*\]\s*(#.*)?$")
    _KEY = re.compile(r"^\s*([A-Za-z0-9_\"'-]+)\s*=")

    def __init__(self, text: str):
        self.tables: dict[str, int] = {}
        self.keys: dict[tuple[str, str], int] = {}
        table = ""
        in_string = False
        for number, line in enumerate(text.splitlines(), 1):
            if in_string:  # inside a multi-line string: no keys here
                in_string = line.count('"""') % 2 == 0 and line.count("'''") % 2 == 0
                continue
            header = self._HEADER.match(line)
            if header:
                table = header.group(1).strip("\"'")
                self.tables.setdefault(table, number)
                continue
            key = self._KEY.match(line)
            if key:
                self.keys.setdefault((table, key.group(1).strip("\"'")), number)
            if line.count('"""') % 2 or line.count("'''") % 2:
                in_string = True

    def of(self, table: str, key: str | None = None) -> int:
        if key is not None and (table, key) in self.keys:
            return self.keys[(table, key)]
        return self.tables.get(table, 1)


@dataclass
class Project:
    root: Path
    config: dict = field(default_factory=defaults)
    file: Path | None = None  # the taidan.toml read, if any

    @property
    def build_dir(self) -> Path:
        out = Path(self.config["build"]["out"]).expanduser()
        return out if out.is_absolute() else self.root / out

    @property
    def templates(self) -> Path | None:
        """The project's own templates folder (overriding the built-in files one by one)."""
        folder = self.root / "templates"
        if not folder.is_dir():
            return None
        # deferred: only a project with its own templates/ asks
        from taidan.render.templates_folder import TEMPLATES

        return None if folder.resolve() == Path(TEMPLATES).resolve() else folder.resolve()

    def manuscripts(self) -> list[Path]:
        return sorted((self.root / "manuscript").glob("*.md"))

    def settings(self, given=None) -> dict:
        """The [build] settings in effect, the one place where the command line beats
        taidan.toml: a value in ``given`` (argparse's namespace, or a dict by key; None is
        not given) beats the file's, which beats the default. ``out`` is the folder to write
        to as people would type it (the command line's as given, relative to the working
        folder; the file's relative to the project, see build_dir); no ``editions`` is all."""
        chosen = schema.given(given or {})
        settings = {**self.config["build"], **chosen}
        settings["out"] = Path(chosen["out"]) if "out" in chosen else shown(self.build_dir)
        settings["editions"] = list(settings["editions"] or schema.edition_names())
        return settings

    def options(self, given=None, **values):
        """taidan.editions.Options for this project: ``given`` or ``values`` (the command
        line's, see settings) beat the [build] table."""
        settings = self.settings(values if given is None else given)
        chosen = {key: settings[key] for key in ("paper", "press", "press_marks", "embed_fonts", "audio_bitrate")}
        publisher = self.config["publisher"]
        templates = self.templates
        return Options(**chosen, colours=self.config["print"]["colours"], templates=str(templates) if templates else "",
                       style=self.style(),
                       publisher=Publisher(publisher["name"], publisher["rights"],
                                           tuple((c["role"], c["name"]) for c in publisher["credits"]),
                                           publisher["date_format"]),
                       certified_by=self.config["accessibility"]["certified_by"])

    def style(self):
        # deferred: only when the options are asked for
        from taidan.config.style import DEFAULT_SHAPES, Style

        style = self.config["style"]
        return Style(shapes=tuple(style["label_shapes"] or DEFAULT_SHAPES), accent=style["accent"],
                     faces=tuple(style["faces"]), notes=tuple(style["notes"]))

    def path(self, value: str) -> Path:
        """A path named in taidan.toml: relative to the project's folder."""
        path = Path(value).expanduser()
        return path if path.is_absolute() else self.root / path


def read(file: Path) -> dict:
    """The validated configuration of one taidan.toml, defaults filled in.
    Raises ProblemsFound with one Problem per fault."""
    name = shown(file)
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ProblemsFound([Problem(name, 1, "is not UTF-8 text", "save it as UTF-8")]) from None
    import tomllib  # here: a folder without taidan.toml never needs it

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        match = re.search(r"^(.*?) \(at (?:line (\d+), column \d+|end of document)\)$", str(err))
        message = match.group(1) if match else str(err)
        line = int(match.group(2)) if match and match.group(2) else max(1, len(text.splitlines()))
        raise ProblemsFound([Problem(name, line, f"not valid TOML: {message[:1].lower()}{message[1:]}",
                                         "see https://toml.io")]) from None
    lines = _Lines(text)
    config = defaults()
    problems = []
    for table, value in data.items():
        if table not in SCHEMA:
            problems.append(Problem(name, lines.of(table), f"unknown table [{table}]",
                                    schema.hint(table, SCHEMA) or "tables: " + ", ".join(f"[{t}]" for t in SCHEMA)))
            continue
        if not isinstance(value, dict):
            problems.append(Problem(name, lines.of("", table), f"'{table}' must be a table: [{table}]"))
            continue
        for key, item in value.items():
            if key not in SCHEMA[table]:
                problems.append(Problem(name, lines.of(table, key), f"unknown key '{key}' in [{table}]",
                                        schema.hint(key, SCHEMA[table]) or "keys: " + ", ".join(SCHEMA[table])))
                continue
            checked, fault = SCHEMA[table][key].kind.check(item)
            if fault:
                message, hint = fault
                problems.append(Problem(name, lines.of(table, key), f"{key} {message}"
                                        if message.startswith("must") else message, hint))
            else:
                config[table][key] = checked
    faces, notes = [], []
    for key in FONT_KEYS:
        if config["style"][key]:
            # deferred: only a taidan.toml that names a font resolves one
            from taidan.config.style import FontNotFound, resolve_face

            try:
                face = resolve_face(key.removesuffix("_font"), config["style"][key], file.parent)
            except FontNotFound as err:
                problems.append(Problem(name, lines.of("style", key), *err.args))
                continue
            faces.append(face)
            if face.missing:
                missing = " and ".join(s.replace("_", " ") for s in face.missing)
                why = "".join(f" with all its characters (its {style.replace('_', ' ')} file "
                              f"{file.name} covers only {covered}, which the EPUB editions set in it)"
                              for style, file, covered in face.incomplete[:1])
                notes.append(Problem(name, lines.of("style", key),
                                     f"{key}: '{face.family}' has no {missing} file{why}; the "
                                     "PDF editions slant or thicken the regular one instead",
                                     "install the family's other files, or name each file: "
                                     f'{key} = {{regular = "...", italic = "...", bold = "...", '
                                     'bold_italic = "..."}', warning=True))
    config["style"]["faces"] = tuple(faces)  # resolved: taidan.config.style.Face, file by file
    config["style"]["notes"] = tuple(notes)  # warnings: the faces' missing styles
    if problems:
        raise ProblemsFound(sorted(problems, key=lambda p: p.line))
    return config


def gather(paths: list[Path]) -> tuple[list[Path], list[Problem]]:
    """Manuscripts named on the command line: files as given, folders by their *.md (a
    project's folder by its manuscript/*.md). A folder with none is a problem."""
    found, problems = [], []
    for path in paths:
        if not path.is_dir() or path.suffix == ".md":
            found.append(path)  # the loader says what is wrong with it, if anything
            continue
        inside = sorted(path.glob("*.md"))
        if not inside and (path / CONFIG_FILE).is_file():
            inside = find(path).manuscripts()
        if not inside:
            problems.append(Problem(path, 0, "no manuscripts (*.md) in this folder"))
        found += inside
    return list(dict.fromkeys(found)), problems


def around(paths: list[Path]) -> Project:
    """The project a command works in: the one holding the first path named (so a
    manuscript or folder of another book builds into that book's build/), else the one
    around the working folder."""
    for path in paths[:1]:
        start = path if path.is_dir() else path.parent
        for folder in (start.resolve(), *start.resolve().parents):
            if (folder / CONFIG_FILE).is_file():
                return find(folder)
    return find()


def find(start: Path | None = None) -> Project:
    """The project around ``start`` (default: the working folder): the nearest folder at or
    above it holding taidan.toml, else ``start`` itself with the defaults."""
    start = Path(start or Path.cwd()).resolve()
    if start.is_file():
        start = start.parent
    for folder in (start, *start.parents):
        file = folder / CONFIG_FILE
        if file.is_file():
            return Project(root=folder, config=read(file), file=file)
    return Project(root=start)

