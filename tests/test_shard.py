"""Catalogs built on several machines: ``taidan build --shard K/N`` on each, then ``taidan
catalog --from`` their output folders. The real commands on short manuscripts made from the
interview (tools/bench.py's, as the throughput benchmark builds them): the two shards build
each manuscript exactly once, and the catalog from their outputs is the one-machine
catalog, byte for byte, its opds.xml valid for jing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import opds_validate
from conftest import ROOT
from taidan.publish import catalog
from taidan.pipeline.shard import select

sys.path.insert(0, str(ROOT / "tools"))
from bench import short_manuscripts  # noqa: E402 - the benchmark's own manuscripts (tools/bench.py)

sys.path.remove(str(ROOT / "tools"))

def taidan(cwd: Path, *args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "taidan", *map(str, args)], cwd=cwd,
                          env=os.environ, capture_output=True, text=True, timeout=900)


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (the catalog's list of its files too), by relative path."""
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """A book project of four short manuscripts."""
    root = tmp_path_factory.mktemp("shards")
    (root / "taidan.toml").write_text('[publisher]\nname = "Shard Press"\n', encoding="utf-8")
    (root / "manuscript").mkdir()
    for name, text in short_manuscripts(4).items():
        (root / "manuscript" / f"{name}.md").write_text(text, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def built(project) -> dict:
    """Two shards built into shard-1/ and shard-2/ (the catalog's editions only), the
    catalog from both into from/, and the catalog a single machine writes into one/."""
    results = {}
    for k in (1, 2):
        results[k] = taidan(project, "build", "--shard", f"{k}/2", "--edition", *catalog.editions(),
                            "--out", f"shard-{k}")
        assert results[k].returncode == 0, results[k].stderr
    results["from"] = taidan(project, "catalog", "--from", "shard-1", "shard-2", "--out", "from")
    assert results["from"].returncode == 0, results["from"].stderr
    results["one"] = taidan(project, "catalog", "--out", "one")
    assert results["one"].returncode == 0, results["one"].stderr
    return results


def test_slices_are_stable_even_and_cover_every_name_once():
    names = [Path(f"manuscript/talk-{k:02d}.md") for k in range(1, 51)]
    for n in (1, 2, 3, 7, 60):
        slices = [select(names, k, n) for k in range(1, n + 1)]
        assert sorted(p for s in slices for p in s) == sorted(names)  # each once, none lost
        assert max(map(len, slices)) - min(map(len, slices)) <= 1
        assert all(s == sorted(s) for s in slices)  # in the order given
    # dealt in the order of SHA-256 of the name, not of Python's hash(): the same slices on
    # every machine and in every run, whatever the folder or the order given
    assert [p.stem for p in select(names[:8], 1, 2)] == ["talk-02", "talk-04", "talk-05", "talk-08"]
    assert select(names[::-1], 1, 2) == select(names, 1, 2)[::-1]
    code = ("from pathlib import Path; from taidan.pipeline.shard import select; "
            "print([p.stem for p in select([Path(f'talk-{k:02d}.md') for k in range(1, 51)], 3, 7)])")
    other_run = subprocess.run([sys.executable, "-c", code], env={**os.environ, "PYTHONHASHSEED": "1"},
                               capture_output=True, text=True, check=True).stdout.strip()
    assert other_run == str([p.stem for p in select(names, 3, 7)])


@pytest.mark.slow  # the built fixture: four books' catalog editions, twice
def test_two_shards_build_each_manuscript_exactly_once(project, built):
    names = {f"{name}.md" for name in short_manuscripts(4)}
    shares = []
    for k in (1, 2):
        stems = {p.name.split(".")[0].removesuffix("-vertical") for p in (project / f"shard-{k}").iterdir()
                 if not p.name.startswith(".")}
        shares.append({f"{stem}.md" for stem in stems})
        assert built[k].stdout.splitlines()[0] == f"shard {k}/2: {len(shares[-1])} of 4 manuscripts"
    assert all(shares) and not shares[0] & shares[1] and shares[0] | shares[1] == names


@pytest.mark.slow  # the built fixture: four books' catalog editions, twice
def test_the_catalog_from_both_shards_is_the_one_machine_catalog(project, built):
    one, sharded = tree(project / "one" / "catalog"), tree(project / "from" / "catalog")
    assert catalog.WRITTEN in sharded and "books/talk-01.pdf" in sharded
    assert sharded == one
    assert "building" not in built["from"].stdout and "wrote" not in built["from"].stdout
    assert built["from"].stdout.splitlines()[-1].startswith("catalog of 4 books:")
    assert sorted(p.name for p in (project / "from").iterdir()) == ["catalog"]  # nothing built


@pytest.mark.slow
@pytest.mark.jing
def test_the_sharded_catalogs_opds_xml_is_valid_for_jing(project, built):
    assert opds_validate.jing(project / "from" / "catalog" / "opds.xml") == (0, [])


@pytest.mark.slow  # the built fixture: four books' catalog editions, twice
def test_a_book_in_no_folder_is_one_line_and_nothing_is_written(project, built):
    result = taidan(project, "catalog", "--from", "shard-1", "--out", "half")
    missing = sorted({f"manuscript/{n}.md" for n in short_manuscripts(4)}
                     - {f"manuscript/{p.name.removesuffix('.epub')}.md"
                        for p in (project / "shard-1").glob("*.epub") if "-vertical" not in p.name})
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert sorted({line.split(":")[0] for line in lines}) == missing
    assert lines[0].endswith("is in none of shard-1 (build it first (taidan build, or taidan build "
                             "--shard K/N on each machine) and name each output folder)")
    assert not (project / "half").exists()


def test_bad_options_are_one_line_exit_2(project):
    for bad in ("0/2", "3/2", "2", "a/b", "1/0"):
        result = taidan(project, "build", "--shard", bad, "--out", "never")
        assert result.returncode == 2
        assert result.stderr.splitlines()[-1] == (f"taidan build: error: argument --shard: '{bad}' is not "
                                                  "K/N with 1 ≤ K ≤ N (e.g. --shard 1/2 and --shard 2/2 "
                                                  "on two machines)")
    result = taidan(project, "catalog", "--from", "nowhere", "--out", "never")
    assert (result.returncode, result.stderr) == (
        2, "taidan: --from nowhere: no such folder (the output folder of a taidan build)\n")
    assert not (project / "never").exists()
