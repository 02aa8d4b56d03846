"""Validates a catalog's feeds against the official schemas in tests/schemas/, offline.

    python tests/opds_validate.py build/catalog

OPDS 1.2 (opds.xml) with jing and the RELAX NG grammar; OPDS 2.0 (opds.json) with
jsonschema, a local registry of the JSON Schemas, and format checks (uri, date-time ...).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

SCHEMAS = Path(__file__).resolve().parent / "schemas"
FEED_SCHEMA = "https://specs.opds.io/schema/feed.schema.json"
# link.schema.json names the OPDS properties schema by an older address
ALIASES = {"https://drafts.opds.io/schema/properties.schema.json": "opds-2.0/properties.schema.json"}


def jing(feed: Path) -> tuple[int, list[str]]:
    """jing's status and its findings (its warnings about optional jars left out)."""
    result = subprocess.run(["jing", "-c", str(SCHEMAS / "opds-1.2" / "opds.rnc"), str(feed)],
                            capture_output=True, text=True)
    lines = [line for line in (result.stdout + result.stderr).splitlines()
             if line.strip() and not line.startswith("[warning]")]
    return result.returncode, lines


def _ecmascript_groups(schema):
    """(?<name>...) as Python's re writes it, (?P<name>...), in every pattern."""
    if isinstance(schema, dict):
        return {k: (re.sub(r"\(\?<(?=[A-Za-z])", "(?P<", v) if k == "pattern" and isinstance(v, str)
                    else _ecmascript_groups(v)) for k, v in schema.items()}
    if isinstance(schema, list):
        return [_ecmascript_groups(v) for v in schema]
    return schema


@lru_cache(maxsize=1)
def registry():
    from referencing import Registry, Resource

    resources = []
    for path in sorted(SCHEMAS.rglob("*.schema.json")):
        schema = _ecmascript_groups(json.loads(path.read_text(encoding="utf-8")))
        resources.append((schema["$id"], Resource.from_contents(schema)))
    by_id = dict(resources)
    for alias, file in ALIASES.items():
        schema = json.loads((SCHEMAS / file).read_text(encoding="utf-8"))
        by_id[alias] = by_id[schema["$id"]]
    return Registry().with_resources(by_id.items())


def json_errors(feed: dict) -> list[str]:
    """Every way ``feed`` breaks the OPDS 2.0 feed schema, as 'path: message' lines."""
    from jsonschema import Draft7Validator

    schema = registry().contents(FEED_SCHEMA)
    validator = Draft7Validator(schema, registry=registry(),
                                format_checker=Draft7Validator.FORMAT_CHECKER)
    return [f"{'/'.join(map(str, e.absolute_path)) or '(feed)'}: {e.message}"
            for e in sorted(validator.iter_errors(feed), key=lambda e: list(map(str, e.path)))]


def main(folder: str) -> int:
    status, lines = jing(Path(folder) / "opds.xml")
    print(f"jing opds.xml: exit {status}, {len(lines)} errors")
    for line in lines:
        print("  " + line)
    errors = json_errors(json.loads((Path(folder) / "opds.json").read_text(encoding="utf-8")))
    print(f"jsonschema opds.json: {len(errors)} errors")
    for line in errors:
        print("  " + line)
    return 1 if status or lines or errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "build/catalog"))
