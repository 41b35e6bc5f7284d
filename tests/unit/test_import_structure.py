"""Data flows one way between the CLI modules, between the pool and its dask backend, and
between the modules the baseline, the gate and the configuration are split into.

Every ``import`` in mutgate's sources counts, at module level or inside a function: a circle
of function-level imports works only as long as nobody moves an import to the top.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import mutgate

SOURCES = Path(mutgate.__file__).parent
#: Modules that must be in no import circle.
ONE_WAY = ("mutgate.cli", "mutgate.cli_gate", "mutgate.cli_project",
           "mutgate.execution.pool", "mutgate.execution.cluster", "mutgate.execution.batch",
           "mutgate.execution.session_process")


def module_name(path: Path) -> str:
    parts = ("mutgate", *path.relative_to(SOURCES).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """``{module: the mutgate modules it imports}``, function-level imports included."""
    modules = {module_name(path): path for path in SOURCES.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module)
                found.update(f"{node.module}.{alias.name}" for alias in node.names)
        graph[name] = {m for m in found if m in modules and m not in (name, "mutgate")}
    return graph


def reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen: set[str] = set()
    todo = list(graph[start])
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(graph[name])
    return seen


def test_the_graph_sees_function_level_imports() -> None:
    graph = import_graph()
    assert "mutgate.runner" in graph["mutgate.cli"]  # imported inside `run`
    assert "mutgate.execution.cluster" in graph["mutgate.execution.pool"]  # inside `execute`


@pytest.mark.parametrize("module", ONE_WAY)
def test_no_import_circle_through(module: str) -> None:
    graph = import_graph()
    assert module not in reachable(graph, module), (
        f"{module} imports itself back through "
        f"{sorted(m for m in graph[module] if module in reachable(graph, m))}")


@pytest.mark.parametrize(("importer", "imported"), [
    ("mutgate.cli", "mutgate.cli_gate"),
    ("mutgate.execution.pool", "mutgate.execution.cluster"),
    ("mutgate.execution.session_process", "mutgate.execution.pool"),
    ("mutgate.ratchet", "mutgate.baseline"),
    ("mutgate.baseline", "mutgate.run_results"),
    ("mutgate.gate_report", "mutgate.gate"),
    ("mutgate.gate", "mutgate.assertion_free"),
    ("mutgate.config", "mutgate.config_keys"),
    ("mutgate.config", "mutgate.pytest_collection"),
    ("mutgate.pytest_collection", "mutgate.config_keys"),
])
def test_the_one_way_edges(importer: str, imported: str) -> None:
    graph = import_graph()
    assert imported in graph[importer]
    assert importer not in reachable(graph, imported)


def test_python_dash_m_mutgate_cli_has_every_command(tmp_path: Path) -> None:
    """With `cli_gate` importing `cli`, ``python -m mutgate.cli`` registered the gate
    commands on a second copy of the module, and its own group had none of them."""
    done = subprocess.run([sys.executable, "-m", "mutgate.cli", "--help"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    commands = [line.split()[0] for line in done.stdout.split("Commands:")[1].splitlines()
                if line.strip()]
    assert commands == ["apply", "baseline", "gate", "merge", "report", "results", "run", "show"]
