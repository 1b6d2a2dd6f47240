"""The shipped JSON Schema: generated from the models, and true of the bundled problems.

Regenerate after changing :mod:`solver.problem`::

    python -m solver schema > schema/problem.schema.json
"""

import json
from pathlib import Path

import jsonschema
import pytest

from solver.cli import main
from solver.core.errors import ProblemError
from solver.problem.loader import parse_yaml
from solver.problem import json_schema, validate

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


def test_a_parameter_several_optimizers_take_is_described_as_each_uses_it():
    """Adam's ε is added to the root, Adamax's to |g|, Adadelta's inside both roots; AdamW's
    weight decay is decoupled: the schema says each, with the optimizers that use it, and keeps
    one wording where all agree (β₁)."""
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    fields = next(d["properties"] for d in schema["$defs"].values() if "epsilon" in d.get("properties", {}))
    assert fields["epsilon"]["description"] == (
        "ε added to the root in the denominator (adam, adamw, rmsprop, adagrad, nadam); "
        "ε added inside both roots (adadelta); ε added to |g| in the running maximum (adamax)")
    assert fields["weight_decay"]["description"].endswith("; decoupled weight decay λ, w ← w − η λ w (adamw)")
    assert fields["beta1"]["description"] == "decay of the first moment β₁"
    assert fields["epsilon"]["exclusiveMinimum"] == 0  # the same range for all: kept


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
])
def test_schema_rejects_bad_files_too(validator, name, path):
    """Editors see the same mistakes that nnsolve reports (for what a schema can express)."""
    data = parse_yaml((BAD / name).read_text(encoding="utf-8"))
    errors = list(validator.iter_errors(data))
    assert errors
    assert path in [list(e.absolute_path) for e in errors]


def test_missing_network_is_for_nnsolve_to_report():
    """Issue 7: a problem may have no network or graph (count, shapes and derive questions),
    so the schema, which cannot tell a numeric question from those, accepts the file; nnsolve
    still rejects a numeric question (here ``forward``) with neither."""
    data = parse_yaml((BAD / "missing-network.yaml").read_text(encoding="utf-8"))
    assert "network" not in data and "graph" not in data
    assert data["questions"][0]["ask"] == ["forward"]
    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA_FILE.read_text(encoding="utf-8")))
    assert list(validator.iter_errors(data)) == []
    with pytest.raises(ProblemError, match=r"missing required field 'network' \(or 'graph'\)"):
        validate(data)


COUNT_ONLY = {
    "title": "Parameters of a 30-1024-512-1 network",
    "questions": [{"id": "T3", "ask": ["count"], "architecture": {
        "input": [30], "layers": [{"type": "dense", "units": 1024}, {"type": "dense", "units": 512},
                                  {"type": "dense", "units": 1, "name": "out"}]}}],
}


def test_count_only_problem_validates(validator):
    """No network or graph: counts, shapes and derivations over an architecture (issue 7),
    valid under the schema and under nnsolve's own validation alike."""
    assert list(validator.iter_errors(COUNT_ONLY)) == []
    assert validate(COUNT_ONLY).questions[0].architecture.layers[2].name == "out"
    # the architecture on the problem, shared by its questions; and a derivation
    shared = {"title": "t", "architecture": COUNT_ONLY["questions"][0]["architecture"],
              "questions": [{"id": "a", "ask": ["count", "shapes"]},
                            {"id": "b", "ask": ["derive"], "derivation": "softmax_ce"}]}
    assert list(validator.iter_errors(shared)) == []
    validate(shared)


def _paths(errors) -> list[list]:
    """The paths of errors and of the errors beneath them (an optional field's schema is
    ``anyOf: [its model, null]``, under which jsonschema nests the precise error)."""
    out = []
    for e in errors:
        out.append(list(e.absolute_path))
        out += _paths(e.context or [])
    return out


@pytest.mark.parametrize("change, path", [
    ({"type": "conv3d"}, ["questions", 0, "architecture", "layers", 0, "type"]),
    ({"units": 0}, ["questions", 0, "architecture", "layers", 0, "units"]),
    ({"unit": 4}, ["questions", 0, "architecture", "layers", 0]),
], ids=["unknown-layer-type", "zero-units", "misspelt-field"])
def test_schema_rejects_bad_architectures(validator, change, path):
    layers = [{**COUNT_ONLY["questions"][0]["architecture"]["layers"][0], **change}]
    data = {**COUNT_ONLY, "questions": [{**COUNT_ONLY["questions"][0], "architecture": {"input": [30], "layers": layers}}]}
    errors = list(validator.iter_errors(data))
    assert path in _paths(errors), [(list(e.absolute_path), e.message) for e in errors]
    with pytest.raises(ProblemError):
        validate(data)


def test_schema_rejects_an_unknown_derivation(validator):
    data = {"title": "t", "questions": [{"id": "q", "ask": ["derive"], "derivation": "relu"}]}
    assert ["questions", 0, "derivation"] in _paths(validator.iter_errors(data))
    with pytest.raises(ProblemError):
        validate(data)


def test_the_schema_builder_is_imported_only_when_asked_for():
    import subprocess
    import sys

    code = ("import sys, solver.cli, solver.pipeline; print('solver.problem.json_schema' in sys.modules); "
            "from solver.problem import json_schema as a; from solver.problem import json_schema as b; "
            "import solver.problem as p; print(callable(a), a is b is p.json_schema)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parent.parent).stdout.split()
    assert out == ["False", "True", "True"]


def _models(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _models(sub)


def test_model_annotations_are_evaluated_not_text():
    """Kept as objects (no ``from __future__ import annotations`` in the model modules):
    msgspec would otherwise compile and ``eval`` each from its text at every cold run's
    first ``convert``."""
    from solver.problem.fields import Model
    from solver.problem.schema import Problem

    models = list(_models(Model))
    assert Problem in models and len(models) >= 15
    text = [f"{m.__qualname__}.{name}" for m in models
            for name, kind in m.__annotations__.items() if isinstance(kind, str)]
    assert text == []
