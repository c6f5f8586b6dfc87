"""The house rules, checked on the source: `twin` is the bottom layer, `optimizer` sits on it,
the app on both, and no two files import each other (directly or round a longer loop).

The import graph is read from the source with `ast` (every import, also those inside
functions), not from `sys.modules`, so a lazy import cannot hide a cycle."""
from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("twin", "optimizer", "factory_app", "service")
# A package may import the packages listed for it, and nothing of the others.
ALLOWED = {
    "twin": {"twin"},
    "optimizer": {"twin", "optimizer"},
    "factory_app": {"twin", "optimizer", "factory_app"},
    "service": {"twin", "optimizer", "service"},
}
# The one upward import: `factory-twin serve` starts the HTTP service, importing it inside
# its run() only, so no other command loads it (checked below).
UPWARD = {("optimizer.cli.serve", "service.server"), ("optimizer.cli.serve", "service.settings")}


def _module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules(root: Path, packages: tuple[str, ...]) -> dict[str, Path]:
    found = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            found[_module_name(root, path)] = path
    return found


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The project module that an imported dotted name lives in (its longest known prefix)."""
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in modules:
            return candidate
    return None


def _imports(module: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """Project modules that `module` imports. `from pkg import name` counts as importing
    `pkg.name` when that is a module, else `pkg` itself."""
    is_package = path.name == "__init__.py"
    targets: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")
                anchor = anchor if is_package else anchor[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            names = [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            target = _resolve(name, modules)
            if target and target != module:
                targets.add(target)
    return targets


def build_import_graph(root: Path, packages: tuple[str, ...]) -> nx.DiGraph:
    modules = _modules(root, packages)
    graph = nx.DiGraph()
    for module, path in modules.items():
        graph.add_node(module)
        for target in _imports(module, path, modules):
            graph.add_edge(module, target)
    return graph


def import_cycles(graph: nx.DiGraph) -> list[list[str]]:
    return sorted(sorted(c) for c in nx.strongly_connected_components(graph) if len(c) > 1)


@pytest.fixture(scope="module")
def import_graph() -> nx.DiGraph:
    return build_import_graph(ROOT, PACKAGES)


def test_the_graph_sees_known_imports(import_graph):
    # Guards the reader itself: if these vanish, the checks below would pass on an empty graph.
    assert import_graph.number_of_nodes() > 40
    assert any(a.startswith("optimizer") and b.startswith("twin") for a, b in import_graph.edges)
    assert any(a.startswith("factory_app") and b.startswith("optimizer") for a, b in import_graph.edges)


def test_each_layer_imports_only_the_layers_below(import_graph):
    wrong = sorted(
        f"{a} imports {b}" for a, b in import_graph.edges
        if b.split(".")[0] not in ALLOWED[a.split(".")[0]] and (a, b) not in UPWARD
    )
    assert wrong == []


def test_the_serve_command_imports_the_service_only_when_it_runs():
    tree = ast.parse((ROOT / "optimizer" / "cli" / "serve.py").read_text())
    top_level = [node for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))]
    names = [alias.name for node in top_level for alias in node.names] + [
        node.module for node in top_level if isinstance(node, ast.ImportFrom) and node.module]
    assert names and not any(name.split(".")[0] == "service" for name in names)


def test_no_import_cycles_between_files(import_graph):
    assert import_cycles(import_graph) == []


def test_a_lazy_relative_import_cycle_is_caught(tmp_path):
    """The reader on a small tree: a loop closed by an import inside a function, written as a
    relative import, is still a cycle; a package importing its own submodule is not."""
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("from pkg.a import f\n")
    (package / "a.py").write_text("from .sub import b\n\ndef f():\n    return b\n")
    (package / "sub" / "__init__.py").write_text("")
    (package / "sub" / "b.py").write_text("def g():\n    from ..a import f\n    return f\n")
    (package / "c.py").write_text("import pkg.sub.b\n")
    graph = build_import_graph(tmp_path, ("pkg",))
    assert import_cycles(graph) == [["pkg.a", "pkg.sub.b"]]
    assert graph.has_edge("pkg.c", "pkg.sub.b") and graph.has_edge("pkg", "pkg.a")
