"""The layout shows the architecture: every module under crbot/ imports, no two modules import each other
(directly or round a longer circle), and the layers point one way: the paper engine never imports its HTTP
face (crbot.localexchange), the Binance wire format (crbot.binance) imports neither.

The graph is read from the source (ast), lazy imports inside functions and TYPE_CHECKING blocks included:
a circle hidden behind either is still a circle a reader has to untangle.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "crbot"

# (importer prefix, imported prefix): no module under the first may import one under the second
FORBIDDEN = [
    ("crbot.paper", "crbot.localexchange"),
    ("crbot.binance", "crbot.paper"),
    ("crbot.binance", "crbot.localexchange"),
]


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _targets(node: ast.AST) -> list[str]:
    """The crbot modules one import statement loads (``from pkg import mod`` names the module ``pkg.mod``)."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
        names = [f"{node.module}.{alias.name}" for alias in node.names]
        names = [n if n in MODULES else node.module for n in names]
    else:
        return []
    found = []
    for name in names:
        while name and name not in MODULES:  # `import crbot.x.y` where y is an attribute: the module is crbot.x
            name = name.rpartition(".")[0]
        if name.startswith("crbot"):
            found.append(name)
    return found


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for name, path in MODULES.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        graph[name] = {t for node in ast.walk(tree) for t in _targets(node) if t != name}
    return graph


def _within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


# __main__ runs the CLI; the migrations' env.py runs inside Alembic only (it is executed by schema.py and
# `python -m crbot db`, which tests/journal test on SQLite and PostgreSQL)
@pytest.mark.parametrize("name", sorted(set(MODULES) - {"crbot.__main__", "crbot.journal.migrations.env"}))
def test_every_module_imports(name: str) -> None:
    importlib.import_module(name)


def _find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle (as a path that ends where it starts), or None: a depth-first walk."""
    done: set[str] = set()
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        if node in path:
            return [*path[path.index(node) :], node]
        if node in done:
            return None
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if found := visit(nxt):
                return found
        path.pop()
        done.add(node)
        return None

    for start in sorted(graph):
        if found := visit(start):
            return found
    return None


def test_no_import_cycle() -> None:
    circle = _find_cycle(_graph())
    assert circle is None, "import cycle: " + " -> ".join(circle or [])


def test_the_cycle_walk_finds_one() -> None:
    assert _find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


@pytest.mark.parametrize(("importer", "imported"), FORBIDDEN)
def test_layers_point_one_way(importer: str, imported: str) -> None:
    wrong = [
        f"{src} imports {dst}"
        for src, dsts in _graph().items()
        if _within(src, importer)
        for dst in sorted(dsts)
        if _within(dst, imported)
    ]
    assert not wrong, wrong


def test_the_graph_sees_imports() -> None:
    """Guards the walk itself: a known edge is found, so an empty graph cannot pass the tests above."""
    assert "crbot.paper.engine" in _graph()["crbot.paper.factory"]
