"""The YAML front matter: fields, their types, and the declared speakers."""

from __future__ import annotations

import datetime
import difflib
import re
from pathlib import Path

import yaml

from taidan.load import isbn, limits
from taidan.load.inline import web_url
from taidan.model import Contact, Credit, Meta, Series, Speaker
from taidan.errors import Problem

REQUIRED = ("title", "date", "lang", "speakers")
OPTIONAL = ("subtitle", "kicker", "publisher", "credits", "contacts", "source", "identifier",
            "rights", "cover", "description", "isbn", "series", "audio")
SPEAKER_FIELDS = ("id", "name", "label", "role")
CREDIT_FIELDS = ("role", "name")
CONTACT_FIELDS = ("name", "url")
SERIES_FIELDS = ("name", "number")
# YAML's types, as PyYAML tags the values it reads
INT, FLOAT, TIMESTAMP = (f"tag:yaml.org,2002:{kind}" for kind in ("int", "float", "timestamp"))
TYPES = {"int": "a whole number", "float": "a number", "bool": "true or false"}
_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")
_LANG = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


UNCLOSED = (("quoted scalar", "a quoted value"), ("flow mapping", "a { } mapping"),
            ("flow sequence", "a [ ] list"))


# Unicode's noncharacters: no XML document (EPUB, XHTML) may hold them
NONCHARACTERS = frozenset({chr(c) for c in range(0xFDD0, 0xFDF0)} | {
    chr(plane << 16 | low) for plane in range(17) for low in (0xFFFE, 0xFFFF)})


def not_text(value: str) -> tuple[str, str] | None:
    """(message, hint) when a string holds a lone surrogate, a control character or a
    noncharacter: typed in the file, or written as a YAML escape such as "\\uFFFE"."""
    for ch in value:
        code = ord(ch)
        if 0xD800 <= code <= 0xDFFF:
            return (f"U+{code:04X} is a lone surrogate, not a character",
                    "write the character itself, or one escape for the whole code point, such as \\U0001F600")
        if (code < 32 and ch not in "\n\t") or 0x7F <= code <= 0x9F:
            return f"the control character U+{code:04X} is not text", "delete it"
        if ch in NONCHARACTERS:
            return f"U+{code:04X} is a Unicode noncharacter, not text", "delete it"
    return None


def _is_text(value) -> bool:
    """A value a field of text may hold: text, a number YAML read, or nothing (not a
    mapping, a list or true/false, which would print as Python's own text)."""
    return value is None or (isinstance(value, (str, int, float)) and not isinstance(value, bool))


def _as_written(value, node) -> str:
    """A text field's text; a number as it is written, not as YAML reads it (title: 1e400
    is not "inf", label: 017 is not "15", 1.50 is not "1.5")."""
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool) \
            and isinstance(node, yaml.ScalarNode):
        return node.value.strip()
    return str(value).strip()


# fields other tools have, and the field that holds the same thing here (pandoc's author,
# Hugo's authors, a German or Spanish editor's autor: the people credited are credits)
ELSEWHERE = {"author": "credits", "authors": "credits", "autor": "credits", "creator": "credits",
             "language": "lang", "image": "cover", "abstract": "description", "summary": "description"}


def _did_you_mean(word: str, choices) -> str:
    if ELSEWHERE.get(word.casefold()) in choices:
        return f"did you mean '{ELSEWHERE[word.casefold()]}'?"
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else "known fields: " + ", ".join(choices)


def _field(mapping, name: str, key: bool = False):
    """The node of one field of a YAML mapping (its value, or its key), else the mapping."""
    for k, v in getattr(mapping, "value", []):
        if isinstance(k, yaml.ScalarNode) and k.value == name:
            return k if key else v
    return mapping


class FrontMatter:
    """Parses the YAML and records every problem with the file's own line numbers."""

    def __init__(self, path: Path, text: str, first_line: int, publisher=None):
        self.publisher = publisher  # taidan.config.options.Publisher: taidan.toml's defaults
        self.path = path
        self.text = text
        self.first_line = first_line
        self.problems: list[Problem] = []
        # the words of speaker entries that have an error: the body's turns that use them
        # are follow-ons of that error, not problems of their own
        self.broken_labels: set[str] = set()
        self.lines: dict[str, int] = {}  # each field -> the line of its value
        self.speaker_lines: dict[str, int] = {}  # each speaker's id -> the line of its entry

    def _problem(self, node_or_line, message: str, hint: str = "") -> None:
        line = node_or_line if isinstance(node_or_line, int) else \
            node_or_line.start_mark.line + self.first_line
        self.problems.append(Problem(self.path, line, message, hint))

    def _unknown(self, mapping, name, where: str, fields) -> None:
        """An unknown field in an entry: most often a comma in an unquoted value of a
        { } mapping (role: Editor, Fieldnotes), which YAML reads as the next field."""
        keys = [k for k, _ in mapping.value]
        node = _field(mapping, str(name), key=True)
        value = _field(mapping, str(name))
        index = keys.index(node) if node in keys else 0
        if mapping.flow_style and index > 0 and value.tag.endswith(":null") and not value.value:
            first = index
            while first > 1 and mapping.value[first - 1][1].tag.endswith(":null") \
                    and not mapping.value[first - 1][1].value:
                first -= 1
            field, start = mapping.value[first - 1]
            typed = self.text[start.start_mark.index:node.end_mark.index]
            self._problem(node, f"the {where} field '{field.value}' has a comma in its value, "
                                "which ends the value inside { }",
                          f"put the value in quotes: {field.value}: \"{typed}\"")
            return
        self._problem(node, f"unknown {where} field '{name}'" if where == "speaker"
                      else f"unknown field '{name}' in {where}", _did_you_mean(str(name), fields))

    def parse(self) -> tuple[Meta | None, list[Speaker]]:
        try:
            if self._unbounded():  # before composing: aliases can expand without bound
                return None, []
            root = yaml.compose(self.text, Loader=yaml.SafeLoader)
            if root is not None and self._unreadable_scalars(root):
                return None, []
            data = yaml.safe_load(self.text)
        except yaml.MarkedYAMLError as err:
            self._yaml_problem(err)
            return None, []
        except yaml.YAMLError as err:
            self._problem(self.first_line, "the front matter is not valid YAML: "
                          + " ".join(str(err).split()))
            return None, []
        except RecursionError:  # PyYAML reads nested lists and mappings recursively
            self._problem(self.first_line, "the front matter is nested too deeply to read",
                          "a field holds text or a short list, such as speakers")
            return None, []
        if not isinstance(data, dict) or not isinstance(root, yaml.MappingNode):
            self._problem(self.first_line, "the front matter must be YAML fields (key: value)")
            return None, []
        if self._check_nodes(root):
            return None, []
        nodes = {k.value: v for k, v in root.value}
        keys = {k.value: k for k, v in root.value}
        self.lines = {k: v.start_mark.line + self.first_line for k, v in nodes.items()}
        for key in data:
            if key not in REQUIRED + OPTIONAL:
                self._problem(keys.get(str(key), self.first_line), f"unknown field '{key}'",
                              _did_you_mean(str(key), REQUIRED + OPTIONAL))
        for key in REQUIRED:
            if data.get(key) in (None, "", []):
                self._problem(self.first_line - 1, f"the required field '{key}' is missing",
                              "add it to the front matter")
        strings = {}
        for key in ("title", "lang") + OPTIONAL:
            value = data.get(key)
            if key in ("credits", "contacts", "series"):
                continue
            if value is None:
                strings[key] = ""
            elif isinstance(value, (str, int, float)) and not isinstance(value, bool):
                strings[key] = _as_written(value, nodes[key])
            else:
                self._problem(nodes[key], f"the field '{key}' must be text")
                strings[key] = ""
        date = data.get("date")
        if isinstance(date, datetime.datetime):
            date = date.date()
        if isinstance(date, datetime.date):
            date_text = date.isoformat()
        elif date is None:
            date_text = ""
        else:
            date_text = ""
            self._problem(nodes["date"], f"the date '{date}' is not a date",
                          "write it as YYYY-MM-DD, e.g. 2025-10-06")
        if strings["lang"] and not _LANG.match(strings["lang"]):
            self._problem(nodes["lang"], f"'{strings['lang']}' is not a language tag",
                          "use a BCP 47 tag such as ja or en")
        speakers = self._speakers(data.get("speakers"), nodes.get("speakers"))
        credits = [Credit(**c) for c in self._records("credits", CREDIT_FIELDS, data, nodes)]
        contacts = [Contact(c["name"], web_url(c["url"]) or c["url"])
                    for c in self._records("contacts", CONTACT_FIELDS, data, nodes)]
        for contact, node in zip(contacts, getattr(nodes.get("contacts"), "value", [])):
            if not re.match(r"^(https?://|mailto:)", contact.url):
                self._problem(_field(node, "url"), f"the contact URL '{contact.url}' must start with "
                                    "https://, http:// or mailto:")
        if self.publisher:  # the front matter wins; taidan.toml fills what it leaves out
            strings["publisher"] = strings["publisher"] or self.publisher.name
            strings["rights"] = strings["rights"] or self.publisher.rights
            if "credits" not in data:
                credits = [Credit(role, name) for role, name in self.publisher.credits]
        isbn_digits = self._isbn(nodes.get("isbn")) if strings["isbn"] else ""
        series = self._series(data.get("series"), nodes.get("series"))
        meta = Meta(title=strings["title"], subtitle=strings["subtitle"],
                    kicker=strings["kicker"], date=date_text, lang=strings["lang"],
                    publisher=strings["publisher"], credits=credits, contacts=contacts,
                    source=strings["source"], identifier=strings["identifier"],
                    rights=strings["rights"], cover=strings["cover"], audio=strings["audio"],
                    description=strings["description"], isbn=isbn_digits, series=series,
                    date_format=self.publisher.date_format if self.publisher else "")
        return meta, speakers

    def _isbn(self, node) -> str:
        # the YAML text as written: read as a number, 0306406152 would lose its first 0
        digits, why = isbn.parse(node.value)
        if why:
            self._problem(node, f"'{node.value}' is not a valid ISBN", why)
        return digits

    def _series(self, value, node) -> Series | None:
        """series: {name: Interviews, number: 2}"""
        if value is None:
            return None
        hint = "write it as series: {name: The series' name, number: 2}"
        if not isinstance(value, dict):
            self._problem(node, "'series' must have the fields name and number", hint)
            return None
        for name in value:
            if name not in SERIES_FIELDS:
                self._problem(_field(node, str(name), key=True), f"unknown field '{name}' in series",
                              _did_you_mean(str(name), SERIES_FIELDS))
        name, number = value.get("name"), value.get("number")
        if not isinstance(name, (str, int, float)) or isinstance(name, bool) or not str(name).strip():
            self._problem(node, "the series has no name", hint)
            return None
        if number is None:
            number = 1
        if isinstance(number, bool) or not isinstance(number, (int, float)) or not 0 <= number < 10000:
            self._problem(_field(node, "number"),
                          f"the series number '{number}' is not a number from 0 to 9999",
                          "the book's place in the series, such as 2, or 2.5 between 2 and 3")
            return None
        return Series(str(name).strip(), float(number))

    def _yaml_problem(self, err) -> None:
        mark = err.problem_mark or err.context_mark
        message = err.problem or err.context
        hint = "check the indentation and quote values that contain ': ' or '#'"
        if "\\t" in str(message):
            hint = "indent with spaces, not tabs"
        opened = next((what for words, what in UNCLOSED if words in str(err.context)), None)
        if err.context_mark and opened and "end" in str(message):
            # the end of the front matter came first: point at what was left open
            mark, message = err.context_mark, f"{opened} opened here is never closed"
            if opened == "a quoted value":
                written = self.text.split("\n")[mark.line]
                field = re.match(r"\s*(?:-\s*)?([\w-]+)\s*:\s*(.*)$", written)
                key, value = (field.group(1), field.group(2).strip()) if field else ("title", "")
                quote = value[:1] if value[:1] in "'\"" else "'"
                other = '"' if quote == "'" else "'"
                hint = (f"end the value with {quote}, or, for text that starts with {quote}, put "
                        f"the whole value in {other}: {key}: {other}{value[:40]}{other}")
        self._problem((mark.line if mark else 0) + self.first_line,
                      f"the front matter is not valid YAML: {message}", hint)

    def _unbounded(self) -> bool:
        """What would cost without bound to read or expand, refused as the YAML is read:
        anchors and aliases (&a, *a), since a few hundred bytes of them expand to gigabytes
        and a front matter never needs them; and nesting past limits.FRONT_MATTER_DEPTH,
        since PyYAML's cost is the square of the depth (it is not read any further)."""
        depth = 0
        for event in yaml.parse(self.text, Loader=yaml.SafeLoader):
            if isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
                depth += 1
                if depth > limits.FRONT_MATTER_DEPTH:
                    self._problem(event.start_mark.line + self.first_line,
                                  f"the front matter is nested more than {limits.FRONT_MATTER_DEPTH} "
                                  "levels deep", "a field holds text or a short list, such as speakers")
                    return True
            elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
                depth -= 1
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                what = f"*{event.anchor}" if isinstance(event, yaml.AliasEvent) else f"&{event.anchor}"
                self._problem(event.start_mark.line + self.first_line,
                              f"the front matter uses a YAML anchor or alias ({what})",
                              "write each value out in full")
                return True
        return False

    def _unreadable_scalars(self, root) -> bool:
        """Values YAML reads as a date, a number or another of its types that Python cannot
        construct: a day that does not exist (2025-02-30), a number of thousands of digits,
        a value tagged with a type it is not (!!int abc, !!bool maybe)."""
        before = len(self.problems)
        loader = yaml.SafeLoader("")  # its constructors, one scalar at a time
        stack = [root]
        while stack:
            node = stack.pop()
            if isinstance(node, yaml.MappingNode):
                stack += [item for pair in node.value for item in pair]
            elif isinstance(node, yaml.SequenceNode):
                stack += node.value
            elif node.tag in (INT, FLOAT) and len(node.value) > 100:
                self._problem(node, f"the number {node.value[:20]}… is {len(node.value)} digits long",
                              "write it in quotes if it is text")
            else:
                try:
                    loader.construct_object(node)
                except yaml.YAMLError:  # an unknown tag: safe_load reports it, at its line
                    pass
                except Exception:  # noqa: BLE001 - a constructor given a value not of its type
                    # fails as it happens to (ValueError, KeyError, AttributeError...)
                    self._problem(node, *self._not_its_type(node))
        return len(self.problems) > before

    @staticmethod
    def _not_its_type(node) -> tuple[str, str]:
        value = node.value if len(node.value) <= 40 else node.value[:40] + "…"
        if node.tag == TIMESTAMP:
            return f"the date '{value}' is not a date", "write it as YYYY-MM-DD, e.g. 2025-10-06"
        kind = node.tag.rpartition(":")[2]
        return (f"'{value}' is not {TYPES.get(kind, 'a ' + kind)}, which its tag !!{kind} says",
                f"leave out the tag !!{kind}, or write it in quotes if it is text")

    def _check_nodes(self, root) -> bool:
        """Duplicate keys, and text no output can hold (YAML escapes such as "\\ud800" or "\\a")."""
        before = len(self.problems)
        stack = [root]
        while stack:
            node = stack.pop()
            if isinstance(node, yaml.MappingNode):
                seen = set()
                for key, value in node.value:
                    if isinstance(key, yaml.ScalarNode) and key.value in seen:
                        self._problem(key, f"the field '{key.value}' is given twice",
                                      "keep one of them")
                    seen.add(getattr(key, "value", None))
                    stack += [key, value]
            elif isinstance(node, yaml.SequenceNode):
                stack += node.value
            elif isinstance(node, yaml.ScalarNode):
                problem = not_text(node.value)
                if problem:
                    self._problem(node, *problem)
        self.problems[before:] = sorted(self.problems[before:], key=lambda p: p.line)
        return len(self.problems) > before

    def _records(self, key, fields, data, nodes) -> list[dict]:
        """A list of small mappings, such as credits: [{role: 写真, name: 平井}]."""
        value = data.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self._problem(nodes[key], f"'{key}' must be a list",
                          f"write each entry as - {{{', '.join(f + ': ...' for f in fields)}}}")
            return []
        records = []
        for item, node in zip(value, nodes[key].value):
            if not isinstance(item, dict):
                self._problem(node, f"each entry of '{key}' must have the fields "
                                    + ", ".join(fields))
                continue
            for name in item:
                if name not in fields:
                    self._unknown(node, name, key, fields)
            shaped = [f for f in fields if not _is_text(item.get(f))]
            if shaped:
                self._problem(_field(node, shaped[0]),
                              f"the field '{shaped[0]}' of an entry of '{key}' must be text")
                continue
            record = {f: _as_written(item.get(f), _field(node, f)) for f in fields}
            missing = [f for f in fields if not record[f]]
            if missing:
                self._problem(node, f"an entry of '{key}' has no {missing[0]}")
                continue
            records.append(record)
        return records

    def _speakers(self, value, node) -> list[Speaker]:
        if value is None:
            return []
        if not isinstance(value, list):
            self._problem(node, "'speakers' must be a list",
                          "write each speaker as - {id: sam, name: Sam Altman, label: Sam, role: CEO}")
            return []
        speakers: list[Speaker] = []
        seen: dict[str, tuple[str, str]] = {}  # a name, label or id -> (field, speaker id)
        if len(value) > limits.SPEAKERS:
            self._problem(node.value[limits.SPEAKERS], f"more than {limits.SPEAKERS:,} speakers",
                          "split the book into several manuscripts")
            return []  # the entries are not read: the manuscript is refused here
        for item, item_node in zip(value, node.value):
            before = len(self.problems)
            self._speaker(item, item_node, speakers, seen)
            if len(self.problems) > before and isinstance(item, dict):
                self.broken_labels.update(str(v).strip() for v in item.values()
                                          if isinstance(v, (str, int)) and str(v).strip())
        return speakers

    def _speaker(self, item, item_node, speakers: list[Speaker], seen: dict) -> None:
        """One entry of speakers:, appended to ``speakers`` when it is right."""
        if not isinstance(item, dict):
            self._problem(item_node, "each speaker needs the fields id, name, label and role")
            return
        for name in item:
            if name not in SPEAKER_FIELDS:
                self._unknown(item_node, name, "speaker", SPEAKER_FIELDS)
        shaped = [f for f in SPEAKER_FIELDS if not _is_text(item.get(f))]
        if shaped:
            self._problem(_field(item_node, shaped[0]),
                          f"the speaker field '{shaped[0]}' must be text")
            return
        fields = {f: _as_written(item.get(f), _field(item_node, f)) for f in SPEAKER_FIELDS}
        if not fields["id"] or not fields["name"]:
            self._problem(item_node, "a speaker needs at least an id and a name")
            return
        if not _ID.match(fields["id"]):
            self._problem(_field(item_node, "id"), f"the speaker id '{fields['id']}' must be ASCII "
                                     "letters, digits, - or _, starting with a letter")
            return
        fields["label"] = fields["label"] or fields["name"]
        for what in ("label", "name", "id"):
            if any(ch in fields[what] for ch in ":：\n"):
                self._problem(_field(item_node, what),
                              f"the speaker {what} '{fields[what]}' contains a colon")
        if fields["id"] in self.speaker_lines:  # the ids of the speakers appended so far
            self._problem(_field(item_node, "id"),
                          f"the speaker id '{fields['id']}' is declared twice",
                          "give each speaker its own id")
            return
        clash = next(((w, seen[fields[w]]) for w in ("label", "name")
                      if fields[w] in seen and seen[fields[w]][1] != fields["id"]), None)
        if clash:
            what, (other_field, other_id) = clash
            self._problem(_field(item_node, what),
                          f"the speaker {what} '{fields[what]}' is already the "
                                     f"{other_field} of '{other_id}'",
                          "labels must tell the speakers apart")
            return
        for what in ("label", "name", "id"):
            seen.setdefault(fields[what], (what, fields["id"]))
        speakers.append(Speaker(number=len(speakers) + 1, **fields))
        self.speaker_lines[fields["id"]] = item_node.start_mark.line + self.first_line
