"""The house's layers hold (``[tool.importlinter]`` in pyproject.toml), and no module of the
product imports itself back through others (issue #14): a newcomer can read the packages
bottom-up, and a change low down never needs a change above it to compile."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import tomllib

import grimp

ROOT = Path(__file__).resolve().parents[2]


def test_the_layer_contracts_hold() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    out = subprocess.run([str(lint)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
    assert "Product layers KEPT" in out.stdout
    assert "Product and dev tools apart KEPT" in out.stdout


def test_the_dev_tools_contract_names_every_product_module() -> None:
    # A new top-level module of the product must be added to the contract's sources, or it
    # could import the dev tools unseen.
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    contract = next(c for c in config["contracts"] if c["name"] == "Product and dev tools apart")
    package = ROOT / "sync_engine"
    product = {
        f"sync_engine.{p.stem}" for p in package.iterdir()
        if (p.suffix == ".py" and p.stem != "__init__") or (p / "__init__.py").is_file()
    } - {"sync_engine.sandbox", "sync_engine.devtools"}
    assert set(contract["source_modules"]) == product | {"workers", "schedules"}


def test_the_cli_loads_the_dev_tools_only_inside_the_dev_commands() -> None:
    # Module-level imports would load the simulators into every production command (and
    # fail in the image, which leaves them out); function-level ones load them on demand.
    import ast

    tree = ast.parse((ROOT / "sync_engine" / "cli" / "dev.py").read_text(encoding="utf-8"))
    top_level = [
        node.module for node in tree.body
        if isinstance(node, ast.ImportFrom) and node.module
    ] + [alias.name for node in tree.body if isinstance(node, ast.Import) for alias in node.names]
    assert not [m for m in top_level if m.startswith(("sync_engine.sandbox", "sync_engine.devtools"))]
    inside = [node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module]
    assert any(m.startswith("sync_engine.devtools") for m in inside)


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.find_modules_directly_imported_by(child)))))
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


def test_no_import_circle() -> None:
    sys.path.insert(0, str(ROOT))
    graph = grimp.build_graph("sync_engine", "workers", "schedules")
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = grimp.ImportGraph()
    for name in ("a", "a.x", "a.y", "a.z"):
        graph.add_module(name)
    graph.add_import(importer="a.x", imported="a.y")
    graph.add_import(importer="a.y", imported="a.x")
    graph.add_import(importer="a.z", imported="a.x")
    assert _cycles(graph) == [["a.x", "a.y"]]
