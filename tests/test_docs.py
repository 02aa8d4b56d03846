"""The documentation: the MkDocs site builds without a warning, the generated command-line
reference matches the parser, the README stays short and its links lead somewhere, and no
user page names a commit or an issue (history belongs in CHANGELOG.md)."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
USER_PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def _cli_reference():
    spec = importlib.util.spec_from_file_location("cli_reference", ROOT / "tools" / "cli_reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_cli_reference_matches_the_parser():
    module = _cli_reference()
    committed = (ROOT / "docs" / "reference" / "cli.md").read_text(encoding="utf-8")
    assert committed == module.render(), (
        "docs/reference/cli.md is out of date: run .venv/bin/python tools/cli_reference.py")


def test_cli_reference_names_every_command_and_option():
    from taidan.cli import _parser

    page = _cli_reference().render()
    parser = _parser()
    commands = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    for name, sub in commands.choices.items():
        assert f"## taidan {name}\n" in page
        for action in sub._actions:
            for option in action.option_strings:
                if option not in ("-h", "--help"):
                    assert f"`{option}" in page or f", {option}" in page, option


def test_mkdocs_build_strict(tmp_path):
    site = tmp_path / "site"
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    run = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict",
                          "-f", str(ROOT / "mkdocs.yml"), "-d", str(site)],
                         capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    assert "WARNING" not in output, output
    # the pages are really there, with their content and the generated reference
    troubleshooting = (site / "troubleshooting" / "index.html").read_text(encoding="utf-8")
    assert "is not a declared speaker" in troubleshooting
    cli = (site / "reference" / "cli" / "index.html").read_text(encoding="utf-8")
    assert 'id="taidan-build"' in cli and "--embed-fonts" in cli
    architecture = (site / "internals" / "architecture" / "index.html").read_text(encoding="utf-8")
    assert "A new edition." in architecture and "A new command." in architecture
    assert (site / "images" / "print-title.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_readme_is_short_and_its_links_lead_somewhere():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 150
    targets = re.findall(r"\]\(([^)#\s]+)", text) + re.findall(r'src="([^"]+)"', text)
    local = [t for t in targets if not re.match(r"[a-z]+:", t)]
    assert local, "the README links into docs/"
    missing = [t for t in local if not (ROOT / t).exists()]
    assert not missing, missing


def test_user_pages_name_no_commit_or_issue():
    found = []
    for page in USER_PAGES:
        for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1):
            # a commit: 7 to 40 lowercase hex digits with at least one letter and one digit
            for word in re.findall(r"(?<![#\w])[0-9a-f]{7,40}(?!\w)", line):
                if re.search(r"[a-f]", word) and re.search(r"\d", word):
                    found.append(f"{page.relative_to(ROOT)}:{number}: {word}")
            if re.search(r"\bissues? #?\d+|(?<![\w&])#\d+\b", line, re.IGNORECASE):
                found.append(f"{page.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not found, "\n".join(found)


def test_the_limits_page_states_the_limits_the_code_enforces():
    """docs/safety.md's table of limits gives each value of taidan.load.limits."""
    from taidan.load import limits  # deferred: only this test reads the loader's limits

    page = (ROOT / "docs" / "safety.md").read_text(encoding="utf-8").split("## Limits", 1)[1].split("\n## ", 1)[0]
    rows = {row.split("|")[1].strip(): row.split("|")[2].strip() for row in page.splitlines() if row.startswith("| ")}
    shown = {"the manuscript file": f"{limits.MANUSCRIPT_BYTES // 1048576} MB",
             "a line, and a paragraph (its lines joined)": f"{limits.LINE_CHARS:,} characters",
             "lists and mappings inside each other in the front matter": f"{limits.FRONT_MATTER_DEPTH} levels",
             "markup inside markup (`[ ]`, `( )`, `{ }`, `* *`)": f"{limits.INLINE_DEPTH} levels",
             "emphasis dots `《《…》》`": f"{limits.DOTS_CHARS} characters a run",
             "speakers": f"{limits.SPEAKERS:,}", "parts (`#`)": f"{limits.PARTS:,}",
             "sections (`##`)": f"{limits.SECTIONS:,}", "footnotes": f"{limits.FOOTNOTES:,}"}
    assert {what: rows.get(what) for what in shown} == shown
