"""The package's shape: the one-way flow of the stages (import-linter, imports inside
functions included, no ignored imports), modules under 300 lines and classes under
200, and every list the user sees derived from the registries."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

import readme_tables

ROOT = Path(__file__).resolve().parent.parent
SOLVER = ROOT / "solver"


def test_import_contracts_are_kept():
    pytest.importorskip("importlinter")
    from importlinter.cli import lint_imports

    assert lint_imports(config_filename=str(ROOT / "pyproject.toml")) == 0


def test_the_contracts_ignore_no_import():
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert "ignore_imports" not in text
    stages = re.search(r"layers = \[(.*?)\]", text, re.S).group(1)
    assert re.findall(r'"solver\.(\w+)"', stages) == [
        "cli", "pipeline", "files", "render", "key", "graph", "problem", "ops", "core"]


def test_the_layout_shows_the_stages():
    packages = {p.name for p in SOLVER.iterdir() if (p / "__init__.py").exists()}
    assert packages == {"core", "ops", "problem", "graph", "key", "render", "files"}
    assert {p.name for p in SOLVER.glob("*.py")} == {"__init__.py", "__main__.py", "cli.py", "pipeline.py"}


def test_modules_and_classes_are_small():
    too_long = []
    for path in sorted(SOLVER.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        if source.count("\n") > 300:
            too_long.append(f"{path.relative_to(ROOT)}: {source.count(chr(10))} lines")
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.ClassDef) and node.end_lineno - node.lineno + 1 > 200:
                too_long.append(f"{path.relative_to(ROOT)}: class {node.name}")
    assert not too_long, too_long


def test_readme_tables_are_the_registries():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    found = readme_tables.readme_tables(text)
    assert set(found) == set(readme_tables.TABLES)
    for name, make in readme_tables.TABLES.items():
        assert found[name] == make(), f"README's table of {name} is stale: python tests/readme_tables.py --write"


def test_cli_schema_and_grammar_read_the_registries():
    from solver.cli import solve
    from solver.ops.activations import ACTIVATIONS
    from solver.ops.losses import LOSSES
    from solver.ops.optimizers import OPTIMIZERS
    from solver.problem.expressions import FUNCTIONS
    from solver.render.formats import FORMATS

    fmt = next(p for p in solve.params if p.name == "formats")
    assert list(fmt.type.choices) == list(FORMATS)
    schema = json.loads((ROOT / "schema" / "problem.schema.json").read_text(encoding="utf-8"))
    defs = schema["$defs"]
    assert defs["Layer"]["properties"]["activation"]["enum"] == list(ACTIVATIONS)
    assert defs["Optimizer"]["properties"]["type"]["enum"] == list(OPTIMIZERS)
    assert defs["Loss"]["anyOf"][0]["enum"] == list(LOSSES)
    params = {p.name for a in ACTIVATIONS.values() for p in a.params}
    assert params <= set(defs["Layer"]["properties"])
    graph = {k for k, a in ACTIVATIONS.items() if "graph" in a.where}
    assert graph <= FUNCTIONS


def test_a_format_that_is_not_registered_is_refused():
    from solver.key.solve import solve
    from solver.problem.loader import load_problem
    from solver.render import render

    solution = solve(load_problem(ROOT / "problems" / "sigmoid-2-2-1.yaml"), "s")
    with pytest.raises(ValueError, match="not a format"):
        render(solution, "rtf")  # not a format (html is one since issue 18)
    with pytest.raises(ValueError, match="not a format"):
        render(solution, "pdf")
