"""Parameter counts, output shapes and derivations (issue 7), checked against an
independent count per layer type, PyTorch's numel when available, and sympy."""

import json
import math
from pathlib import Path

import pytest
import sympy as sp

from solver.core.options import Options
from solver.render.answers import answers
from solver.key.derivations import DERIVATIONS, Derivation, Step
from solver.problem.loader import load_problem
from solver.problem import validate
from solver.render import render
from solver.key.solve import solve

ROOT = Path(__file__).resolve().parent.parent


def _answers(path, kind):
    data = answers(solve(load_problem(path), path.stem))
    return {(q["id"], a["of"]): a for q in data["questions"] for a in q["answers"] if a["kind"] == kind}


def independent_count(input_shape, layers):
    """Learnable parameters per layer, from the textbook formulas, written apart from solver."""
    shape, out = list(input_shape), []
    for layer in layers:
        t = layer["type"]
        if t == "dense":
            out.append(shape[0] * layer["units"] + layer["units"])
            shape = [layer["units"]]
        elif t == "conv2d":
            k, s, p = layer["kernel"], layer.get("stride", 1), layer.get("padding", 0)
            out.append(shape[0] * layer["out_channels"] * k * k + layer["out_channels"])
            side = [(n + 2 * p - k) // s + 1 for n in shape[1:]]
            shape = [layer["out_channels"], *side]
        elif t == "maxpool2d":
            k = layer["kernel"]
            s = layer.get("stride", k)
            out.append(0)
            shape = [shape[0], *[(n - k) // s + 1 for n in shape[1:]]]
        elif t == "flatten":
            out.append(0)
            shape = [math.prod(shape)]
    return out, shape


def test_seed_004_t3_count_is_557057():
    counts = _answers(ROOT / "problems" / "parameter-count.yaml", "count")
    assert counts[("T3", "total")]["value"] == 557057.0
    assert counts[("T3", "total")]["exact"] == "557057"
    assert counts[("T3", "fc1")]["latex"] == r"30 \cdot 1024 + 1024"
    assert [counts[("T3", f"fc{i}")]["value"] for i in (1, 2, 3)] == [31744.0, 524800.0, 513.0]


def test_bundled_counts_and_shapes_match_an_independent_count():
    import yaml
    path = ROOT / "problems" / "parameter-count.yaml"
    raw = yaml.safe_load(path.read_text())
    counts = _answers(path, "count")
    shapes = _answers(path, "shape")
    for q in raw["questions"]:
        arch = q["architecture"]
        expected, final_shape = independent_count(arch["input"], arch["layers"])
        names = [layer["name"] for layer in arch["layers"]]
        for name, n in zip(names, expected):
            assert counts[(q["id"], name)]["value"] == n, (q["id"], name)
        assert counts[(q["id"], "total")]["value"] == sum(expected)
        if "shapes" in q["ask"]:
            assert shapes[(q["id"], names[-1])]["value"] == final_shape
    # the small CNN: conv1 3·16·3·3+16 = 448, conv2 16·32·5·5+32 = 12,832, fc 128·10+10 = 1,290
    assert counts[("cnn", "conv1")]["value"] == 448 and counts[("cnn", "conv2")]["value"] == 12832
    assert shapes[("cnn", "conv2")]["value"] == [32, 6, 6] and shapes[("cnn", "pool2")]["value"] == [32, 2, 2]


def test_uneven_windows_are_reported():
    md = render(solve(load_problem(ROOT / "problems" / "parameter-count.yaml"), "pc"), "md")
    assert "$H$: $11/2 + 1 = 6.5$ is not a whole number" in md
    assert "take the floor, 6." in md


def test_counts_match_pytorch_numel():
    torch = pytest.importorskip("torch")
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 16, 3, 1, 1), torch.nn.MaxPool2d(2), torch.nn.Conv2d(16, 32, 5, 2),
                              torch.nn.MaxPool2d(3, 2), torch.nn.Flatten(), torch.nn.Linear(128, 10))
    counts = _answers(ROOT / "problems" / "parameter-count.yaml", "count")
    assert counts[("cnn", "total")]["value"] == sum(p.numel() for p in net.parameters())
    assert net(torch.zeros(1, 3, 32, 32)).shape == (1, 10)


def test_batchnorm_and_embedding_and_no_bias():
    p = validate({"title": "t", "questions": [{"id": "q", "ask": ["count", "shapes"], "architecture": {
        "input": [3, 8, 8], "layers": [
            {"type": "conv2d", "out_channels": 4, "kernel": 3, "bias": False},
            {"type": "batchnorm2d"}, {"type": "flatten"}, {"type": "dense", "units": 2, "bias": False}]}}]})
    counts = {a.of: a.value for a in solve(p, "t").sections[0].answers if a.kind == "count"}
    assert counts == {"conv1": 108.0, "bn1": 8.0, "flatten1": 0.0, "fc1": 288.0, "total": 404.0}
    e = validate({"title": "t", "questions": [{"id": "q", "ask": ["count"], "architecture": {
        "input": [5], "layers": [{"type": "embedding", "num_embeddings": 1000, "dim": 64}]}}]})
    assert [a.value for a in solve(e, "t").sections[0].answers if a.of == "total"] == [64000.0]


@pytest.mark.parametrize("name", sorted(DERIVATIONS))
def test_every_derivation_is_verified_step_by_step(name):
    d = DERIVATIONS[name]()
    assert len(d.steps) >= 3
    assert all(d.check()), d.check()


def test_a_wrong_step_is_caught():
    z = sp.Symbol("z", real=True)
    s = 1 / (1 + sp.exp(-z))
    bad = Derivation("bad", "bad", "", "", (Step("a", sp.diff(s, z)), Step("b", s * (1 + s))), "z")
    assert bad.check() == [False] and not bad.verified


def test_derivation_answers_and_key():
    path = ROOT / "problems" / "softmax-ce-derivation.yaml"
    solution = solve(load_problem(path), path.stem)
    data = answers(solution)
    found = {a["of"]: a for q in data["questions"] for a in q["answers"]}
    assert found["softmax_ce"]["kind"] == "derivation" and found["softmax_ce"]["verified"] is True
    assert found["softmax_jacobian"]["verified"] is True
    md = render(solution, "md")
    assert r"&= P(y=i) - y_i && (6)\ \checkmark" in md  # the tags a column of their own
    assert "one-hot" in md
    sheet = render(solution, "md", Options(sheet="questions"))
    assert r"\checkmark" not in sheet and "Asked: a derivation, step by step." in sheet


def test_seed_004_whole_in_one_key():
    path = ROOT / "problems" / "seed-004.yaml"
    data = answers(solve(load_problem(path), path.stem))
    by = {(q["id"], a["kind"], a["of"]): a for q in data["questions"] for a in q["answers"] if not a.get("upstream")}
    assert by[("1", "value", "z")]["exact"] == "31/50"
    assert by[("1", "gradient", "x0")]["exact"] == "47/50"
    assert by[("T3", "count", "total")]["exact"] == "557057"
    assert by[("T4", "derivation", "softmax_ce")]["verified"] is True
    json.dumps(data, allow_nan=False)


def test_count_question_needs_an_architecture(tmp_path):
    from click.testing import CliRunner

    from solver.cli import main
    bad = tmp_path / "bad.yaml"
    bad.write_text("title: t\nquestions:\n  - {id: q, ask: [count]}\n")
    result = CliRunner().invoke(main, ["solve", str(bad), "-o", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "asks for counts or shapes but no architecture is given" in result.stderr
    assert not (tmp_path / "out").exists()
