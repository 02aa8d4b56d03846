"""`taidan check` on the small corpus of bad manuscripts in tests/bad/: the exact line and
message for each, exit status 2, no traceback; and nothing at all for the interview."""

from __future__ import annotations

import subprocess
import sys

import pytest
import yaml

from taidan.load import check

from conftest import INTERVIEW, ROOT

BAD = ROOT / "tests" / "bad"
EXPECTED = yaml.safe_load((BAD / "expected.yaml").read_text(encoding="utf-8"))


def taidan(*args, cwd=BAD):
    return subprocess.run([sys.executable, "-m", "taidan", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_problem_line_and_message(name):
    line, message = EXPECTED[name]
    problems = check(BAD / name)
    assert len(problems) == 1, problems
    assert problems[0].line == line
    assert message in str(problems[0])


def test_every_bad_manuscript_is_in_the_table():
    assert sorted(p.name for p in BAD.glob("*.md")) == sorted(EXPECTED)


def test_cli_prints_file_line_message_and_exits_2():
    result = taidan("check", *sorted(EXPECTED))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == len(EXPECTED)
    for name, (line, message) in EXPECTED.items():
        assert any(out.startswith(f"{name}:{line}: ") and message in out for out in lines), name


def test_build_refuses_a_bad_manuscript_and_writes_nothing(tmp_path):
    result = taidan("build", "unknown_label.md", "--edition", "html", "--out", str(tmp_path))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "unknown_label.md:11: " in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_the_interview_checks_clean():
    result = taidan("check", str(INTERVIEW))
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
