"""The architecture, checked: layers, no import cycles, no private names across subpackages.

``docs/explanation/design.md`` draws the layers; this module holds the code to them, by
reading the source (``ast``), so a change that breaks the design fails here with the
module and the name to look at.

What counts as an import: every ``import``/``from … import`` in a module, also those
inside functions (a lazy import still ties two modules together), except those under
``if TYPE_CHECKING:`` (annotations only, never run).
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src" / "migrantcare"

#: The layers, lowest first. A module may import from its own subpackage and from any
#: lower layer, never from a higher one nor from a different subpackage of its own layer.
#: "" is the foundation: the root's private modules and ``exceptions``.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("",),
    ("calendar",),
    ("messages",),
    ("records",),
    ("offices", "sla"),
    ("cases",),
    ("definitions",),
    ("reports",),
    ("demo",),
    ("sql",),
    ("cli",),
    ("__init__",),
)
RANK = {package: rank for rank, names in enumerate(LAYERS) for package in names}


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def package_of(module: str) -> str:
    """The subpackage a module belongs to ("" for the foundation, "__init__" for the root)."""
    parts = module.split(".")
    if len(parts) == 1:
        return "__init__"
    if len(parts) == 2 and not (SRC / parts[1]).is_dir():
        return "" if parts[1] != "__main__" else "cli"
    return parts[1]


@functools.cache
def modules() -> dict[str, ast.Module]:
    """Every module of the package, parsed, by dotted name (migrations excluded: Alembic's)."""
    found = {}
    for path in sorted(SRC.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        found[_module_name(path)] = ast.parse(path.read_text(encoding="utf-8"))
    return found


def _type_checking_only(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def _walk(node: ast.AST) -> Iterator[ast.AST]:
    """``ast.walk`` that does not enter ``if TYPE_CHECKING:`` blocks."""
    yield node
    for child in ast.iter_child_nodes(node):
        if not _type_checking_only(child):
            yield from _walk(child)


def _imported(module: str, node: ast.ImportFrom) -> list[str]:
    if node.level:
        base = module.split(".")
        is_package = (SRC.parent / Path(*base) / "__init__.py").exists()
        base = base[: len(base) - node.level + (1 if is_package else 0)]
        target = ".".join([*base, node.module] if node.module else base)
    else:
        target = node.module or ""
    names = modules()
    found = [target] if target in names else []
    found += [f"{target}.{a.name}" for a in node.names if f"{target}.{a.name}" in names]
    return found


@functools.cache
def import_graph() -> dict[str, frozenset[tuple[str, int]]]:
    """module -> {(imported module, line)} over the package's own modules."""
    names = modules()
    graph: dict[str, frozenset[tuple[str, int]]] = {}
    for module, tree in names.items():
        edges = set()
        for node in _walk(tree):
            if isinstance(node, ast.ImportFrom):
                edges |= {(t, node.lineno) for t in _imported(module, node) if t != module}
            elif isinstance(node, ast.Import):
                edges |= {(a.name, node.lineno) for a in node.names if a.name in names}
        graph[module] = frozenset(edges)
    return graph


def _cycles(graph: dict[str, frozenset[tuple[str, int]]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for start, edges in graph.items():
        if start in index:
            continue
        work = [(start, iter(sorted(t for t, _ in edges)))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(t for t, _ in graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_every_subpackage_has_a_layer() -> None:
    packages = {package_of(m) for m in modules()}
    assert packages <= set(RANK), f"place these in LAYERS: {sorted(packages - set(RANK))}"


def test_no_import_cycles() -> None:
    assert _cycles(import_graph()) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    # the check above must be able to fail
    graph = {"a": frozenset({("b", 1)}), "b": frozenset({("c", 1)}), "c": frozenset({("a", 1)})}
    assert _cycles(graph) == [["a", "b", "c"]]


def layer_violations() -> list[str]:
    """Every import that runs up a layer or sideways into a peer subpackage."""
    problems = []
    for module, edges in import_graph().items():
        here = package_of(module)
        for target, line in sorted(edges):
            there = package_of(target)
            if here == there or here == "__init__":
                continue
            if there == "__init__" or RANK[there] >= RANK[here]:
                problems.append(
                    f"{module}:{line} imports {target} ({here or 'foundation'} -> {there})"
                )
    return problems


def test_imports_run_down_the_layers() -> None:
    assert layer_violations() == []


def _defined_private_names(tree: ast.Module) -> set[str]:
    """Private names a module defines: functions, classes, attributes, slots, fields."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            names.add(node.attr)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and node.value.isidentifier()
        ):
            # __slots__ entries and object.__setattr__(self, "_x", ...) name attributes too
            names.add(node.value)
    return {n for n in names if n.startswith("_") and not n.startswith("__")}


@functools.cache
def private_names_by_package() -> dict[str, frozenset[str]]:
    by_package: dict[str, set[str]] = {}
    for module, tree in modules().items():
        by_package.setdefault(package_of(module), set()).update(_defined_private_names(tree))
    return {package: frozenset(names) for package, names in by_package.items()}


def private_name_violations() -> list[str]:
    """Private names of one subpackage that a module of another subpackage uses."""
    defined = private_names_by_package()
    everywhere = frozenset().union(*defined.values())
    problems = []
    for module, tree in modules().items():
        here = package_of(module)
        own = defined.get(here, frozenset())
        for node in _walk(tree):
            if isinstance(node, ast.ImportFrom):
                for target in _imported(module, node):
                    if package_of(target) == here:
                        continue
                    for alias in node.names:
                        private = alias.name.startswith("_") and not alias.name.startswith("__")
                        if private and f"{target}.{alias.name}" not in modules():
                            problems.append(f"{module}:{node.lineno} imports {target}.{alias.name}")
            elif isinstance(node, ast.Attribute):
                name = node.attr
                if not name.startswith("_") or name.startswith("__"):
                    continue
                if isinstance(node.value, ast.Name) and node.value.id in {"self", "cls"}:
                    continue
                # a name no module of ours defines belongs to another library (argparse, sys…)
                if name in everywhere and name not in own:
                    problems.append(f"{module}:{node.lineno} uses .{name}")
    return problems


def test_no_private_name_crosses_a_subpackage() -> None:
    assert private_name_violations() == []


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            "from migrantcare.sla._sla import _whole_days\n",
            "imports migrantcare.sla._sla._whole_days",
        ),
        ("def f(workflow):\n    return workflow._fire\n", "uses ._fire"),
    ],
)
def test_the_private_name_check_can_fail(
    source: str, expected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    tree = ast.parse(source)
    found = {**modules(), "migrantcare.reports._probe": tree}
    monkeypatch.setattr(
        __import__(__name__, fromlist=["modules"]), "modules", lambda: found, raising=True
    )
    private_names_by_package.cache_clear()
    try:
        problems = private_name_violations()
    finally:
        private_names_by_package.cache_clear()
    assert any(p.startswith("migrantcare.reports._probe:") and expected in p for p in problems)
