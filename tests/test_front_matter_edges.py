"""Property-based: any value of any front-matter field, from YAML's edge values, gives a
manuscript that builds or FILE:LINE problems (exit status 2), never a traceback.

Hypothesis writes front matters whose fields (top level, a speaker's, a credit's, a
contact's, the series') hold huge and long numbers, nan and infinities, dates that exist
and dates that do not, nulls, booleans, lists and nested mappings, anchors and aliases,
YAML's own and unknown tags, very long strings, control characters, noncharacters and lone
surrogates (escaped, or raw in the file), and text that is not YAML at all. Each is loaded
in this process by the library's entry (``taidan.pipeline.load``) and, when it loads, made
into the html, epub and kepub editions (a field's text reaches their XML and the EPUB's
ZIP); a few fixed ones go through the real command line, the print edition too.

Without a pathological value the front matter is the one of a small valid interview, so
every example tests one or a few edge values against an otherwise good book. The default
run draws the same examples every time; TAIDAN_HYPOTHESIS_EXAMPLES=N draws N new ones.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from taidan.config.options import Options
from taidan.errors import ProblemsFound
from taidan.load.frontmatter import (CONTACT_FIELDS, CREDIT_FIELDS, OPTIONAL, REQUIRED,
                                     SERIES_FIELDS, SPEAKER_FIELDS)
from taidan.pipeline import load
from taidan.pipeline.build import produce

pytestmark = [pytest.mark.slow]  # hundreds of manuscripts loaded and made into editions

EXAMPLES = int(os.environ.get("TAIDAN_HYPOTHESIS_EXAMPLES", "150"))
EXPLORE = "TAIDAN_HYPOTHESIS_EXAMPLES" in os.environ
EDITIONS = ("html", "epub", "kepub")  # in this process; print goes through the CLI below
# A hang guard, not a speed figure: an example that loads and builds in a fraction of a
# second must not take this long (YAML aliases once ran for minutes, or forever).
BOUND = timedelta(seconds=30)

BASE = {  # a small valid interview: each example changes a few of its values
    "title": '"A Small Conversation"', "date": "2024-05-17", "lang": "en",
    "speakers": {0: {"id": "lee", "name": "Ann Lee", "label": "Lee", "role": "Editor"},
                 1: {"id": "ito", "name": "Ken Ito", "label": "Ito", "role": "Architect"}},
}
OPTIONAL_BASE = {
    "credits": {0: {"role": "Photos", "name": "Bo Chan"}},
    "contacts": {0: {"name": "Studio", "url": "https://example.com/"}},
    "series": {"name": "Talks", "number": "2"},
}
BODY = "Lee: Where did it start?\n\nIto: With a drawing, when I was 12.\n"

# YAML written as it is: what a value dumped from Python never is
RAW = [
    "", "~", "null", "Null", "true", "no", "on", "y", "0x1F", "0o17", "0b101", "017", "1_000",
    "+12", "1e400", "-1e400", "1e-400", ".nan", ".NaN", ".inf", "-.Inf", "0.", "1:20",
    "190:20:30", "2025-02-30", "2025-13-01", "2025-00-10", "2025-01-01 25:00:00",
    "2025-01-01T12:00:00+25:00", "2025-01-01T12:60:00Z", "0001-01-01", "9999-12-31",
    "1969-07-20", "1970-01-01T00:00:00Z", "1979-12-31", "2108-01-01", "2025-1-1",
    "1" * 5000, "-" + "9" * 200, "1." + "5" * 300, "0x" + "f" * 300,
    "!!binary aGVsbG8=", "!!binary ###", "!!python/object:os.system", "!!python/name:os.system",
    "!!python/object/apply:os.system [echo hi]", "!!set {a, b}", "!!omap [a: 1]",
    "!!pairs [a: 1, a: 2]", "!!str 12", "!!int '12'", "!!int abc", "!!float abc",
    "!!bool maybe", "!!null x", "!!timestamp 2025-02-30", "!!timestamp x", "!!map [1]",
    "!!seq {a: 1}", "!custom x", "!<tag:example.com,2000:x> y", "! x",
    "&a x", "*a", "&a [*a]", "&a [*a, *a]", "&a {b: *a}",
    "[]", "{}", "[[]]", "[1, [2, [3, [4]]]]", "{a: {b: {c: {d: 1}}}}", "[" * 300 + "]" * 300,
    "{a: 1, a: 2}", "[a, {b: c}, [d]]", "{? [a] : b}", "{null: x}", "{1: x}",
    '"\\x01"', '"\\ud800"', '"a\\udfffb"', '"\\uFFFE"', '"\\uFFFF"', '"\\U0010FFFF"',
    '"\\U0001FFFE"', '"\\0"', '"\\e"', '"\\N"', '"\\_"', '"\\L\\P"', '"\\x"',
    "'it''s'", '"unclosed', "'unclosed", "[unclosed", "{unclosed", "a, b", "a: b", "a: b: c",
    "- a", "? x", "x # a comment", "@reserved", "`reserved", "%directive", "|", ">-",
    "|\n  a block\n  of lines", ">\n  folded\n\n  text", "|-\n\tbad indent",
    "x" * 10000, "'" + "x" * 60000 + "'", "\u202etxt.exe", "\u0085", "\u2028", "\t tab",
    "\x01", "\x7f", "\ufeff", "\ufffe", "\U000E0001", "a\rb", "a\r\nb", "\x00", "---", "...",
    "tag:yaml.org,2002:str", "!!merge <<", "<<: {a: 1}", "{<<: {title: x}}", "=",
]
RAW_KEYS = ["titel", "Title", "TITLE", "title ", "null", "~", "1", "[a]", "{a: b}", "? x",
            "!!binary aGk=", '"\\x01"', '"\\ud800"', "&k title", "*k", "<<", "", "'speakers'"]


def flow(value, ascii_only: bool) -> str:
    """A Python value as one line of YAML flow (JSON is YAML; ``ascii_only``: escaped)."""
    return json.dumps(value, ensure_ascii=ascii_only)


TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=40) \
    | st.text(max_size=3000) | st.sampled_from(["", " ", "Ann Lee", "東京", "x" * 20000])
SCALARS = (st.none() | st.booleans() | TEXT
           | st.integers(min_value=-10**4000, max_value=10**4000)
           | st.floats(allow_nan=False, allow_infinity=False))
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(st.sampled_from(SPEAKER_FIELDS + ("x", "name", "number")),
                                        inner, max_size=4), max_leaves=8)
FRAGMENTS = st.sampled_from(RAW) | st.builds(flow, VALUES, st.booleans()) \
    | st.dates().map(str) | st.datetimes().map(lambda d: d.isoformat(" "))

PATHS = (st.sampled_from(REQUIRED + OPTIONAL).map(lambda k: (k,))
         | st.tuples(st.just("speakers"), st.integers(0, 1), st.sampled_from(SPEAKER_FIELDS + ("x",)))
         | st.tuples(st.just("credits"), st.just(0), st.sampled_from(CREDIT_FIELDS))
         | st.tuples(st.just("contacts"), st.just(0), st.sampled_from(CONTACT_FIELDS))
         | st.tuples(st.just("series"), st.sampled_from(SERIES_FIELDS)))
EDITS = st.lists(st.tuples(PATHS, FRAGMENTS), min_size=1, max_size=3)
EXTRA = st.lists(st.tuples(st.sampled_from(RAW_KEYS), FRAGMENTS), max_size=1)


def front_matter(edits, extra) -> str:
    """The front matter's YAML: BASE with each edited value replaced by its fragment."""
    fields = {key: value for key, value in BASE.items()}
    fields["speakers"] = {i: dict(s) for i, s in BASE["speakers"].items()}
    for (path, fragment) in edits:
        if len(path) == 1:
            fields[path[0]] = fragment  # the whole field, a list of speakers included
            continue
        key = path[0]
        if not isinstance(fields.get(key), dict):
            fields[key] = {i: dict(v) if isinstance(v, dict) else v
                           for i, v in {**BASE, **OPTIONAL_BASE}[key].items()}
        entry = fields[key] if key == "series" else fields[key].setdefault(path[1], {})
        entry[path[-1]] = fragment
    lines = []
    for key, value in fields.items():
        if key == "series" and isinstance(value, dict):
            lines.append("series: {" + ", ".join(f"{k}: {v}" for k, v in value.items()) + "}")
        elif isinstance(value, dict):  # a list of entries, each a flow mapping
            lines.append(f"{key}:")
            lines += ["  - {" + ", ".join(f"{k}: {v}" for k, v in entry.items()) + "}"
                      for entry in value.values()]
        else:
            lines.append(f"{key}: {value}")
    lines += [f"{key}: {value}" for key, value in extra]
    return "---\n" + "\n".join(lines) + "\n---\n\n"


def assert_clean(path: Path, lines: list[str], count: int) -> None:
    """Problems as FILE:LINE: message, each line inside the file."""
    assert lines
    for line in lines:
        found = re.match(rf"{re.escape(str(path))}:(\d+): \S", line)
        assert found and 0 <= int(found.group(1)) <= count, line


def outcome(path: Path) -> str:
    """"built" or "problems"; any other exception fails the test."""
    count = len(path.read_bytes().split(b"\n"))
    options = Options()
    try:
        manuscript = load(path, options)
        for edition in EDITIONS:
            assert produce(edition, manuscript, options)
    except ProblemsFound as err:
        assert_clean(path, [str(p) for p in err.problems], count)
        return "problems"
    return "built"


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("front-matter")


@settings(max_examples=EXAMPLES, derandomize=not EXPLORE, deadline=BOUND, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.function_scoped_fixture])
@given(edits=EDITS, extra=EXTRA)
def test_any_value_builds_or_is_a_problem_at_its_line(folder, edits, extra):
    path = folder / "talk.md"
    path.write_text(front_matter(edits, extra) + BODY, encoding="utf-8",
                    errors="surrogatepass")
    outcome(path)


def test_the_generator_reaches_both_outcomes(folder):
    """The property is not vacuous: edge values that build, and ones that are problems."""
    path = folder / "fixed.md"
    built = [[(("title",), '"1e400"')], [(("date",), "1969-07-20")], [(("date",), "2108-01-01")],
             [(("subtitle",), '"' + "1" * 4000 + '"')], [(("speakers", 0, "name"), '"Ann \\U0001F600"')],
             [(("series", "number"), ".5")], [(("title",), "!!str 12")]]
    problems = [[(("date",), "2025-02-30")], [(("title",), "&a x")], [(("subtitle",), "1" * 4000)],
                [(("title",), "!!python/object:os.system")], [(("title",), '"\\uFFFE"')],
                [(("speakers", 1, "role"), '"\\ud800"')], [(("title",), "[" * 300 + "]" * 300)],
                [(("series", "number"), ".inf")], [(("credits", 0, "name"), "{a: 1}")],
                [(("title",), "!!int abc")], [(("lang",), "!!float abc")], [(("title",), "!!bool x")],
                [(("speakers", 0, "name"), "!!timestamp x")], [(("date",), "!!timestamp 2025-1-1 x")],
                [(("subtitle",), "!!python/name:os.system")], [(("title",), "!!map [1]")]]
    for edits, expected in [(e, "built") for e in built] + [(e, "problems") for e in problems]:
        path.write_text(front_matter(edits, []) + BODY, encoding="utf-8")
        assert outcome(path) == expected, edits


CLI_CASES = {  # (field, value) -> the exit status and the first line the command prints
    ("date", "1969-07-20"): (0, None),
    ("title", "1e400"): (0, None),
    ("date", "2025-02-30"): (2, r"talk\.md:3: the date '2025-02-30' is not a date"),
    ("title", "&a [*a, *a]"): (2, r"talk\.md:2: the front matter uses a YAML anchor or alias"),
    ("title", "!!python/object/apply:os.system [echo hi]"): (2, r"talk\.md:2: "),
    ("title", '"\\uFFFF"'): (2, r"talk\.md:2: "),
}


@pytest.mark.parametrize("field", CLI_CASES, ids=lambda f: f"{f[0]}: {f[1]}")
def test_the_command_line(tmp_path, field):
    """`taidan check` and `taidan build` (print and epub) on a few edge values: exit 0 with
    the files, or exit 2 with FILE:LINE lines and nothing written; never a traceback."""
    text = front_matter([((field[0],), field[1])], []) + BODY
    (tmp_path / "talk.md").write_text(text, encoding="utf-8")
    status, pattern = CLI_CASES[field]
    out = tmp_path / "out"
    for command in (["check", "talk.md"],
                    ["build", "talk.md", "--edition", "print", "epub", "--out", str(out)]):
        done = subprocess.run([sys.executable, "-m", "taidan", *command], cwd=tmp_path,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == status, (command, done.stderr)
        assert "Traceback" not in done.stderr + done.stdout
        if status == 2:
            lines = done.stderr.splitlines()
            assert_clean(Path("talk.md"), lines, text.count("\n") + 1)
            assert re.match(pattern, lines[0]), lines
            assert not out.exists()
    if status == 0:  # the value as written, in the EPUB's package document
        assert sorted(p.name for p in out.glob("talk.*")) == ["talk.epub", "talk.pdf"]
        with zipfile.ZipFile(out / "talk.epub") as epub:
            package = next(n for n in epub.namelist() if n.endswith(".opf"))
            assert f">{field[1]}<" in epub.read(package).decode()
