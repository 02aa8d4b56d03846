"""The taidan.toml reference page, written from the schema (taidan.config.schema).

    python -m taidan.config.reference > docs/reference/config.md

tests/test_config_schema.py checks that the committed page is what this writes.
"""

from __future__ import annotations

import sys

from taidan.config.schema import SCHEMA, TABLES, Setting, skeleton, toml

HEAD = """\
<!-- Written by `python -m taidan.config.reference` from tools/taidan/config/schema.py:
     change the schema and run it again, not this page. -->

# taidan.toml

A book project's settings live in `taidan.toml`, at the top of the project's folder.
taidan looks for it in the working folder and the folders above it, as git looks for
`.git`; without one, every key has its default. Every key is optional.

A mistake is reported with the file and line, `taidan.toml:LINE: message`, and the
closest valid name where there is one. Options given on the command line beat the file
for that run; a folder named in the file is relative to the file's folder, one given on
the command line to the working folder.

`taidan new` writes a `taidan.toml` with every key commented out (it is at the end of
this page).
"""


def _row(setting: Setting) -> list[str]:
    rows = [f"| Value | {setting.kind.words} |",
            f"| Default | {setting.shown_default} |"]
    if setting.example is not None and toml(setting.sample) != setting.shown_default:
        rows.append(f"| Example | `{setting.key} = {toml(setting.sample)}` |")
    for command in setting.commands:
        rows.append(f"| Command line | {_usage(command, setting)} |")
    return ["| | |", "|---|---|", *rows]


def _usage(command: str, setting: Setting) -> str:
    """The option as ``taidan COMMAND --help`` shows it."""
    argument = setting.kind.argument()
    if "action" in argument:  # --press, --no-press
        return f"`taidan {command} {setting.option}`, `--no-{setting.option[2:]}`"
    metavar = argument.get("metavar") or (
        "{" + ",".join(argument["choices"]) + "}" if "choices" in argument else setting.dest.upper())
    if argument.get("nargs") == "+":
        metavar += f" [{metavar} ...]"
    return f"`taidan {command} {setting.option} {metavar}`"


def page() -> str:
    lines = HEAD.splitlines()
    for table, keys in SCHEMA.items():
        lines += ["", f"## [{table}]", "", TABLES[table]]
        for key, setting in keys.items():
            text = setting.help[:1].upper() + setting.help[1:]
            lines += ["", f"### {key}", "", text.rstrip(".") + "." + (f" {setting.doc}" if setting.doc else ""),
                      "", *_row(setting)]
    lines += ["", "## The file `taidan new` writes", "", "```toml", *skeleton().splitlines(), "```"]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(page())
