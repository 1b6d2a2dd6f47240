"""The shipped JSON Schema: generated from the models, and true of the bundled problems.

Regenerate after changing :mod:`solver.problem`::

    python -m solver schema > schema/problem.schema.json
"""

import json
from pathlib import Path

import jsonschema
import pytest

from solver.cli import main
from solver.loader import parse_yaml
from solver.problem import json_schema

ROOT = Path(__file__).resolve().parent.parent

SCHEMA_FILE = ROOT / "schema" / "problem.schema.json"
PROBLEMS = sorted((ROOT / "problems").glob("*.yaml"))
BAD = ROOT / "tests" / "bad"


@pytest.fixture(scope="module")
def validator():
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_schema_file_is_up_to_date():
    expected = json.dumps(json_schema(), indent=2) + "\n"
    assert SCHEMA_FILE.read_text(encoding="utf-8") == expected, (
        "schema/problem.schema.json is stale: python -m solver schema > schema/problem.schema.json")


def test_schema_command_prints_the_file(runner):
    result = runner.invoke(main, ["schema"])
    assert result.exit_code == 0
    assert result.stdout == SCHEMA_FILE.read_text(encoding="utf-8")


def test_schema_header():
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["title"] == "nnsolve problem file"
    assert set(schema["required"]) == {"title", "questions"}
    assert schema["not"] == {"required": ["network", "graph"]}
    assert schema["additionalProperties"] is False


@pytest.mark.parametrize("path", PROBLEMS, ids=[p.stem for p in PROBLEMS])
def test_bundled_problem_validates(validator, path):
    data = parse_yaml(path.read_text(encoding="utf-8"), str(path))
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(data)]
    assert errors == []


def test_loss_shorthand_and_mapping_both_validate(validator):
    data = parse_yaml((ROOT / "problems" / "relu-2-2-2.yaml").read_text(encoding="utf-8"))
    for loss in ("sse", {"type": "bce", "reduction": "sum"}):
        assert list(validator.iter_errors({**data, "loss": loss})) == []
    assert list(validator.iter_errors({**data, "loss": "squared"}))
    assert list(validator.iter_errors({**data, "loss": {"type": "sse", "reduce": "sum"}}))


@pytest.mark.parametrize("name, path", [
    ("misspelt-field.yaml", ["network", "layers", 0]),
    ("unknown-top-level.yaml", []),
    ("unknown-activation.yaml", ["network", "layers", 0, "activation"]),
    ("unknown-loss.yaml", ["loss"]),
    ("zero-units.yaml", ["network", "layers", 0, "units"]),
    ("bad-input-name.yaml", ["network", "inputs"]),
    ("units-not-integer.yaml", ["network", "layers", 0, "units"]),
    ("missing-network.yaml", []),
])
def test_schema_rejects_bad_files_too(validator, name, path):
    """Editors see the same mistakes that nnsolve reports (for what a schema can express)."""
    data = parse_yaml((BAD / name).read_text(encoding="utf-8"))
    errors = list(validator.iter_errors(data))
    assert errors
    assert path in [list(e.absolute_path) for e in errors]
