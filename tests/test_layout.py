"""The package's shape holds: no import cycles, no module reaching into another's private names."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "journey_compiler"


def _modules() -> dict[str, ast.Module]:
    return {path.stem: ast.parse(path.read_text(encoding="utf-8")) for path in sorted(PACKAGE.glob("*.py"))}


def _imports(tree: ast.Module) -> list[tuple[str, list[str]]]:
    """(sibling module, names taken from it) for every import of the package, lazy ones included."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "journey_compiler":
            found += [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("journey_compiler."):
            found.append((node.module.split(".", 1)[1], [alias.name for alias in node.names]))
        elif isinstance(node, ast.Import):
            found += [(a.name.split(".", 1)[1], []) for a in node.names if a.name.startswith("journey_compiler.")]
    return found


def _private_attributes(tree: ast.Module, siblings: set[str]) -> list[str]:
    """`ingest._batches`-style uses: a sibling module's private name read through the module."""
    return [
        f"{node.value.id}.{node.attr}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
        and node.value.id in siblings and node.attr.startswith("_") and not node.attr.startswith("__")
    ]


def test_no_module_imports_another_modules_private_names() -> None:
    modules = _modules()
    offences = [
        f"{name} takes {taken} from {source}"
        for name, tree in modules.items()
        for source, names in _imports(tree)
        for taken in names
        if taken.startswith("_")
    ]
    offences += [f"{name} reads {use}" for name, tree in modules.items() for use in _private_attributes(tree, set(modules))]
    assert offences == []


def test_no_import_cycles() -> None:
    graph = {name: {source for source, _ in _imports(tree)} for name, tree in _modules().items()}
    cycles = []

    def visit(node: str, path: list[str]) -> None:
        for nxt in sorted(graph.get(node, ())):
            if nxt in path:
                cycles.append(" -> ".join([*path[path.index(nxt):], nxt]))
            elif nxt not in done:
                visit(nxt, [*path, nxt])
        done.add(node)

    done: set[str] = set()
    for start in sorted(graph):
        if start not in done:
            visit(start, [start])
    assert cycles == []
