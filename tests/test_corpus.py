"""The bad-input corpus (tests/corpus/cases.yaml): every case through real `taidan check` and
`taidan build` processes. A bad case exits 2 and prints exactly its expected
`FILE:LINE: message` lines, nothing else (no traceback), and the earlier outputs in the
build folder keep their bytes and their modification times. A good case (BOM, CRLF, CR ...)
checks clean and builds.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

from taidan.load import load
from taidan.pipeline.output import TEMP_PREFIX
from taidan.model import Text

pytestmark = [pytest.mark.chromium, pytest.mark.slow]  # every edition of the corpus, in subprocesses

ROOT = Path(__file__).resolve().parents[1]
CORPUS = Path(__file__).resolve().parent / "corpus"
CASES = yaml.safe_load((CORPUS / "cases.yaml").read_text(encoding="utf-8"))
BAD = {case["file"]: case for case in CASES["bad"]}
GENERATED = {case["name"]: case for case in CASES["generated"]}
TEMPLATE_CASES = {case["name"]: case for case in CASES["templates"]}
GOOD = [case["file"] for case in CASES["good"]]


def taidan(*args, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "taidan", *args], cwd=cwd, capture_output=True,
                          text=True, env={**os.environ, **(env or {})}, timeout=600)


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file in ``folder``: its bytes and its modification time in nanoseconds. The
    build's own bookkeeping (its lock, its cache) is left out; temporary files are not."""
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.iterdir())
            if not p.name.startswith(".taidan") or p.name.startswith(TEMP_PREFIX)}


def five_megabytes(path: Path) -> int:
    """A valid 5 MB Japanese manuscript, then one undeclared speaker; returns that line."""
    head = (CORPUS / "ok-bom.md").read_bytes().decode("utf-8-sig").split("## はじめに\n")[0]
    turns = ("佐藤：" + "今日は{対談|たいだん}の記録を^12^月に作ります。" * 12 + "\n\n"
             + "金田：" + "AIと創造性について、これまで何度も考えてきました。" * 10 + "\n\n") * 20
    parts, size, number = [head], 0, 0
    while size < 5 * 1024 * 1024:
        parts.append(f"## 第{number}節\n\n" + turns)
        size += len(parts[-1].encode("utf-8"))
        number += 1
    parts.append("誰か：最後の行です。\n")
    text = "".join(parts)
    path.write_text(text, encoding="utf-8")
    return text.count("\n")


def past_the_limits(folder: Path) -> None:
    """A manuscript past each limit of taidan.load.limits that a committed file would make
    large: speakers, parts, sections, footnotes, a line and a paragraph."""
    head = (CORPUS / "brackets-nested-deep.md").read_text(encoding="utf-8").split("Ann: ")[0]
    speakers = "".join(f"  - {{id: s{i}, name: Speaker {i}, label: S{i}}}\n" for i in range(501))
    cases = {
        "too-many-speakers.md": head.replace("speakers:\n", "speakers:\n" + speakers),
        "too-many-parts.md": head + "".join(f"# Part {i}\n\nAnn: Words.\n\n" for i in range(501)),
        "too-many-sections.md": head + "".join(f"## Section {i}\n\nAnn: Words.\n\n" for i in range(1, 5001)),
        "too-many-footnotes.md": head + "".join(f"Ann: Words.[^{i}]\n\n[^{i}]: A note.\n\n" for i in range(5001)),
        "long-line.md": head + "Ann: " + "` " * 1_000_000 + "\n",
        "long-paragraph.md": head + "Ann: " + "\n".join(["` " * 500] * 100) + "\n",
    }
    for name, text in cases.items():
        (folder / name).write_text(text, encoding="utf-8")


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """The corpus copied as a project folder (symbolic links kept), the generated cases,
    and a build/ folder holding earlier outputs: a real build plus a file of the user's."""
    folder = tmp_path_factory.mktemp("corpus") / "project"
    shutil.copytree(CORPUS, folder, symlinks=True)
    GENERATED["five-megabytes.md"]["last"] = five_megabytes(folder / "five-megabytes.md")
    past_the_limits(folder)
    os.mkfifo(folder / "manuscript-fifo.md")  # git cannot hold a named pipe
    with open(folder / "too-big.md", "wb") as big:
        big.truncate(25 * 1024 * 1024)  # sparse: the size alone must refuse it
    earlier = taidan("build", "ok-image.md", "--edition", "html", "--out", "build", cwd=folder)
    assert earlier.returncode == 0, earlier.stderr
    (folder / "build" / "notes-of-the-editor.txt").write_text("not ours to touch\n")
    return folder


def expected(case: dict, **values) -> list[str]:
    return [line.replace("{last}", str(values.get("last", ""))).replace("{line}", str(values.get("line", "")))
            for line in case["expect"]]


@pytest.fixture(scope="module")
def runs(project) -> dict:
    """One `taidan check` of every bad case at once (its lines grouped by file), then one
    `taidan build` per case, two at a time; the build folder is snapshot before and after."""
    before = snapshot(project / "build")
    names = [*BAD, *GENERATED]
    checked = taidan("check", *names, cwd=project)
    lines: dict[str, list[str]] = {name: [] for name in names}
    for line in checked.stderr.splitlines():
        lines.setdefault(line.split(":", 1)[0], []).append(line)
    with ThreadPoolExecutor(max_workers=2) as pool:
        built = dict(zip(names, pool.map(
            lambda name: taidan("build", name, "--out", "build", cwd=project), names)))
    return {"before": before, "after": snapshot(project / "build"), "check": checked,
            "check_lines": lines, "build": built}


def test_the_corpus_is_large_enough():
    assert len(BAD) + len(GENERATED) + len(TEMPLATE_CASES) >= 30
    for case in [*BAD.values(), *GENERATED.values(), *TEMPLATE_CASES.values()]:
        assert case["expect"] and case["why"], case


def test_check_exits_2_with_nothing_but_the_problems(runs):
    assert runs["check"].returncode == 2
    assert runs["check"].stdout == ""
    assert set(runs["check_lines"]) == {*BAD, *GENERATED}  # no line without FILE: (traceback)


@pytest.mark.parametrize("name", [*BAD, *GENERATED])
def test_bad_input_is_reported_line_by_line(name, runs):
    case = BAD.get(name) or GENERATED[name]
    want = expected(case, last=case.get("last"))
    assert runs["check_lines"][name] == want
    built = runs["build"][name]
    assert built.returncode == 2, built.stderr
    assert built.stderr.splitlines() == want
    assert built.stdout == ""


def test_earlier_outputs_are_untouched(runs):
    before, after = runs["before"], runs["after"]
    assert all(result.returncode == 2 for result in runs["build"].values())
    assert set(before) >= {"ok-image.html", "notes-of-the-editor.txt"}
    assert after.keys() == before.keys()  # nothing added (no temporary files), nothing removed
    for name, (data, mtime) in before.items():
        assert after[name][0] == data, name
        assert after[name][1] == mtime, name


@pytest.mark.parametrize("name", TEMPLATE_CASES)
def test_template_errors_name_the_template_line(name, project, tmp_path):
    case = TEMPLATE_CASES[name]
    shutil.copytree(ROOT / "templates", tmp_path / "templates")
    shutil.copy(project / "ok-bom.md", tmp_path)
    template = tmp_path / "templates" / case["file"]
    lines = template.read_text(encoding="utf-8").split("\n")
    line = next(i for i, text in enumerate(lines) if case["before"] in text) + 1
    lines.insert(line - 1, case["insert"])
    template.write_text("\n".join(lines), encoding="utf-8")
    shutil.copytree(project / "build", tmp_path / "build")  # copytree keeps mtimes
    before = snapshot(tmp_path / "build")
    result = taidan("build", "ok-bom.md", "--edition", case["edition"], "--out", "build",
                    cwd=tmp_path, env={"TAIDAN_TEMPLATES": "templates"})
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines() == expected(case, line=line)
    assert snapshot(tmp_path / "build") == before


def test_good_inputs_check_clean_and_build(project, tmp_path):
    for name in GOOD:
        result = taidan("check", name, cwd=project)
        assert (result.returncode, result.stdout, result.stderr) == (0, "", ""), name
    result = taidan("build", *GOOD, "--edition", "html", "epub", "--out", str(tmp_path), cwd=project)
    assert result.returncode == 0, result.stderr
    for name in GOOD:
        stem = name.removesuffix(".md")
        assert (tmp_path / f"{stem}.epub").stat().st_size > 1000
        page = (tmp_path / f"{stem}.html").read_text(encoding="utf-8")
        if name.startswith(("ok-bom", "ok-cr")):
            assert "今日はよろしくお願いします。" in page and "こちらこそ、" in page


@pytest.mark.parametrize("name", ["ok-bom.md", "ok-crlf.md", "ok-cr.md", "ok-bom-crlf.md"])
def test_line_endings_and_bom_give_the_same_manuscript(name):
    m, plain = load(CORPUS / name), load(CORPUS / "ok-bom.md")
    assert m.meta == plain.meta and m.speakers == plain.speakers
    assert [b.kind for b in m.sections[0].blocks] == ["turn", "turn"]
    assert m.sections[0].blocks == plain.sections[0].blocks


def test_deep_text_is_text():
    m = load(CORPUS / "ok-quotes-deep.md")
    first, second = m.sections[0].blocks
    assert first.paragraphs[0][0].text == ">" * 20000 + " quoted."
    assert second.paragraphs[0] == [Text("[" * 20 + "twenty" + "]" * 20)]
