"""The package's import graph: no cycle anywhere, and every import made inside a function
says why it is there (start-up time, a tool that may be missing ...) on its line or the one
above, so that nobody moves it to the top, or leaves it, by accident."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "tools" / "taidan"


def modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if "templates" in parts or "skeleton" in parts:
            continue
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _imported(node: ast.AST, module: str, is_package: bool, known: set[str]) -> list[str]:
    """The package's modules that an import statement imports (a package's __init__ too)."""
    names = []
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    elif isinstance(node, ast.ImportFrom):
        base = node.module or ""
        if node.level:
            parent = module.split(".")
            parent = parent[:len(parent) - node.level + (1 if is_package else 0)]
            base = ".".join(parent + ([base] if base else []))
        # `from taidan.x import y`: y is a module of its own, or a name in taidan.x
        names = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
    found = []
    for name in names:
        while name and name not in known:  # taidan.a.b.c -> the nearest module that exists
            name = name.rpartition(".")[0]
        if name:
            found.append(name)
    return found


def graph() -> tuple[dict[str, set[str]], list[tuple[str, int, ast.AST]]]:
    """module -> the package's modules it imports; and every import inside a function."""
    known = modules()
    edges: dict[str, set[str]] = {name: set() for name in known}
    local = []
    for name, path in known.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        functions = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
        inside = {id(n) for f in functions for n in ast.walk(f)}
        for node in ast.walk(tree):
            if not isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            if isinstance(node, ast.ImportFrom) and node.module == "__future__":
                continue
            edges[name] |= {m for m in _imported(node, name, path.name == "__init__.py", set(known))
                            if m != name}
            if id(node) in inside:
                local.append((name, node.lineno, node))
    # importing taidan.a.b runs taidan.a's __init__ first
    for name in known:
        for target in list(edges[name]):
            parts = target.split(".")
            for n in range(1, len(parts)):
                parent = ".".join(parts[:n])
                if parent in known and parent != name and not name.startswith(parent + "."):
                    edges[name].add(parent)
    return edges, local


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan), as sorted names."""
    index, low, stack, on, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def test_the_walk_sees_function_local_imports_and_packages():
    edges, local = graph()
    assert "taidan.errors" in edges["taidan.cli"]
    assert "taidan.pipeline.build" in edges["taidan.cli"]  # imported inside _build()
    assert "taidan.pipeline" in edges["taidan.cli"]  # its __init__ runs first
    assert len(local) > 20
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_cycle():
    edges, _ = graph()
    assert cycles(edges) == []


def test_every_function_local_import_says_why():
    """A comment on the import, or on the line above it; the imports right below an
    explained one (blank lines aside) share its reason."""
    _, local = graph()
    paths = modules()
    unexplained = []
    for module, line, node in local:
        lines = paths[module].read_text(encoding="utf-8").splitlines()
        starts = {n.lineno: n for m, _, n in local if m == module}
        number, explained = line, False
        while not explained:
            if any("#" in text for text in lines[number - 1: starts[number].end_lineno]):
                explained = True
                break
            above = number - 1
            while above >= 1 and not lines[above - 1].strip():
                above -= 1
            if above >= 1 and lines[above - 1].strip().startswith("#"):
                explained = True
            elif above in starts:
                number = above
                continue
            break
        if not explained:
            unexplained.append(f"{paths[module].relative_to(PACKAGE.parent)}:{line}: "
                               + lines[line - 1].strip())
    assert unexplained == [], "\n".join(unexplained)


HEAVY = ("jinja2", "weasyprint", "yaml", "PIL", "lxml")
MODULES_AFTER = """\
import sys
from taidan.cli import main
code = main(sys.argv[1:])
print(code, *sorted({m.split(".")[0] for m in sys.modules} & {%s}))
""" % ", ".join(repr(m) for m in HEAVY)


def _heavy_imports(args: list[str], cwd: Path, env: dict) -> list[str]:
    done = subprocess.run([sys.executable, "-c", MODULES_AFTER, *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()[-1].split()  # the line printed after the command


def test_a_no_op_build_and_check_leave_the_heavy_libraries_alone(tmp_path):
    shutil.copytree(PACKAGE / "skeleton" / "images", tmp_path / "manuscript" / "images")
    shutil.copy(PACKAGE / "skeleton" / "en.md", tmp_path / "manuscript" / "book.md")
    env = {k: v for k, v in os.environ.items() if k != "TAIDAN_NO_CACHE"}
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    first = _heavy_imports(["build", "--edition", "html"], tmp_path, env)
    assert first[0] == "0" and "jinja2" in first  # it can see an import
    assert _heavy_imports(["build", "--edition", "html"], tmp_path, env) == ["0"]
    # check reads the words (YAML) and the image's size (Pillow), and renders nothing
    assert _heavy_imports(["check"], tmp_path, env) == ["0", "PIL", "yaml"]
