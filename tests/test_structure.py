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


def independent_count(input_shape, layers, layout="chw"):
    """Learnable parameters per layer, from the textbook formulas, written apart from solver;
    the final shape in the file's layout (``hwc``: height, width, channels)."""
    shape, out = list(input_shape), []
    if layout == "hwc":
        shape = [shape[2], shape[0], shape[1]]
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
    if layout == "hwc" and len(shape) == 3:
        shape = [shape[1], shape[2], shape[0]]
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
        expected, final_shape = independent_count(arch["input"], arch["layers"], arch.get("layout", "chw"))
        names = [layer["name"] for layer in arch["layers"]]
        for name, n in zip(names, expected):
            assert counts[(q["id"], name)]["value"] == n, (q["id"], name)
        assert counts[(q["id"], "total")]["value"] == sum(expected)
        if "shapes" in q["ask"]:
            assert shapes[(q["id"], names[-1])]["value"] == final_shape
    # the small CNN: conv1 3·16·3·3+16 = 448, conv2 16·32·5·5+32 = 12,832, fc 128·10+10 = 1,290
    assert counts[("cnn", "conv1")]["value"] == 448 and counts[("cnn", "conv2")]["value"] == 12832
    assert shapes[("cnn", "conv2")]["value"] == [32, 6, 6] and shapes[("cnn", "pool2")]["value"] == [32, 2, 2]
    # CS231n's example, height × width × channels: 5·5·3·10 + 10 = 760, 32×32×10, then 16×16×10
    assert counts[("cs231n", "conv")]["value"] == 760 and counts[("cs231n", "total")]["value"] == 760
    assert shapes[("cs231n", "conv")]["value"] == [32, 32, 10] and shapes[("cs231n", "pool")]["value"] == [16, 16, 10]


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
    key = solve(p, "t")
    counts = {a.of: a.value for a in key.sections[0].answers if a.kind == "count"}
    assert counts == {"conv1": 108.0, "bn1": 8.0, "flatten1": 0.0, "fc1": 288.0, "total": 404.0}
    # without biases, batch norm keeps its scale γ (PyTorch's weight) and drops its shift β (its bias):
    # it dropped both (404 → 396, not 400)
    assert any(r"\text{total} = 404\ \text{parameters}\ (400\text{ without biases})" == f for f in key.sections[0].final)
    e = validate({"title": "t", "questions": [{"id": "q", "ask": ["count"], "architecture": {
        "input": [5], "layers": [{"type": "embedding", "num_embeddings": 1000, "dim": 64}]}}]})
    assert [a.value for a in solve(e, "t").sections[0].answers if a.of == "total"] == [64000.0]


#: A recurrent layer's gates, and PyTorch's class for it.
RECURRENT = {"rnn": (1, "RNN"), "lstm": (4, "LSTM"), "gru": (3, "GRU")}


@pytest.mark.parametrize("kind", sorted(RECURRENT))
@pytest.mark.parametrize("features, units, bias, steps", [(10, 20, True, None), (3, 7, False, 5), (1, 1, True, 2)])
def test_recurrent_layers_count_as_pytorch_does(kind, features, units, bias, steps):
    """G gates, each with input weights F×H, recurrent weights H×H and two bias vectors
    (bias_ih, bias_hh): counted apart from solver here, and by PyTorch's numel when installed;
    the output of a sequence is every step's hidden state."""
    gates, cls = RECURRENT[kind]
    expected = gates * (features * units + units * units + (2 * units if bias else 0))
    shape = [features] if steps is None else [steps, features]
    p = validate({"title": "t", "questions": [{"id": "q", "ask": ["count", "shapes"], "architecture": {
        "input": shape, "layers": [{"type": kind, "units": units, "bias": bias, "name": "r"}]}}]})
    got = {(a.kind, a.of): a.value for a in solve(p, "t").sections[0].answers}
    assert got[("count", "r")] == got[("count", "total")] == float(expected)
    assert got[("shape", "r")] == ([units] if steps is None else [steps, units])
    try:
        import torch
    except ImportError:
        return
    layer = getattr(torch.nn, cls)(features, units, bias=bias)
    assert sum(t.numel() for t in layer.parameters()) == expected
    out, _ = layer(torch.zeros(steps or 1, features))
    assert list(out.shape) == [steps or 1, units]


def test_recurrent_counts_are_written_out_and_explained():
    p = validate({"title": "t", "questions": [{"id": "q", "ask": ["count"], "architecture": {
        "input": [10], "layers": [{"type": "lstm", "units": 20}]}}]})
    md = render(solve(p, "t"), "md")
    assert r"\text{lstm1} &= 4 \cdot (10 \cdot 20 + 20 \cdot 20 + 2 \cdot 20) = 2{,}560" in md
    assert "two bias vectors of $H$ (PyTorch's $b_{ih}$ and $b_{hh}$" in md
    with pytest.raises(Exception, match=r"an LSTM layer takes \[features\] or \[time steps, features\]"):
        solve(validate({"title": "t", "questions": [{"id": "q", "ask": ["count"], "architecture": {
            "input": [3, 8, 8], "layers": [{"type": "lstm", "units": 2}]}}]}), "t")


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


# --- layout: hwc, CS231n's (W − F + 2P)/S + 1 (issue 13) --------------------------------

def _hwc_problem(input_shape, layers, ask=("shapes", "count"), layout="hwc"):
    return validate({"title": "t", "questions": [{"id": "q", "ask": list(ask), "architecture": {
        "layout": layout, "input": list(input_shape), "layers": list(layers)}}]})


# (case, input H×W×C, one layer, its output H×W×C, the derivation lines exactly, the uneven note exactly)
HWC_CASES = [
    ("cs231n-conv", [32, 32, 3], {"type": "conv2d", "out_channels": 10, "kernel": 5, "stride": 1, "padding": 2},
     [32, 32, 10], [r"F = 5,\ S = 1,\ P = 2",
                    r"H_{\text{out}} = \frac{32 - 5 + 2\cdot2}{1} + 1 = 31 + 1 = 32"], ""),
    ("cs231n-pool", [32, 32, 10], {"type": "maxpool2d", "kernel": 2},
     [16, 16, 10], [r"F = 2,\ S = 2,\ P = 0",
                    r"H_{\text{out}} = \frac{32 - 2 + 2\cdot0}{2} + 1 = 15 + 1 = 16"], ""),
    # CS231n's own "invalid" setting: W = 10, F = 3, S = 2, P = 0 gives 4.5
    ("stride-does-not-divide", [10, 10, 3], {"type": "conv2d", "out_channels": 2, "kernel": 3, "stride": 2},
     [4, 4, 2], [r"F = 3,\ S = 2,\ P = 0",
                 (r"H_{\text{out}} = \left\lfloor \frac{10 - 3 + 2\cdot0}{2} \right\rfloor + 1 = "
                  r"\left\lfloor \frac{7}{2} \right\rfloor + 1 = 4")],
     ("$H$: $7/2 + 1 = 4.5$ is not a whole number, so the window does not divide the input evenly; "
      "PyTorch and TensorFlow take the floor, 4.")),
    ("dilation", [7, 7, 1], {"type": "conv2d", "out_channels": 2, "kernel": 3, "dilation": 2},
     [3, 3, 2], [r"F = 3,\ S = 1,\ P = 0,\ D = 2", r"F' = D(F-1)+1 = 2\cdot(3-1)+1 = 5",
                 r"H_{\text{out}} = \frac{7 - 5 + 2\cdot0}{1} + 1 = 2 + 1 = 3"], ""),
    ("dilation-stride-padding", [8, 8, 4],
     {"type": "conv2d", "out_channels": 4, "kernel": 3, "dilation": 2, "stride": 2, "padding": 1},
     [3, 3, 4], [r"F = 3,\ S = 2,\ P = 1,\ D = 2", r"F' = D(F-1)+1 = 2\cdot(3-1)+1 = 5",
                 (r"H_{\text{out}} = \left\lfloor \frac{8 - 5 + 2\cdot1}{2} \right\rfloor + 1 = "
                  r"\left\lfloor \frac{5}{2} \right\rfloor + 1 = 3")],
     ("$H$: $5/2 + 1 = 3.5$ is not a whole number, so the window does not divide the input evenly; "
      "PyTorch and TensorFlow take the floor, 3.")),
    ("non-square", [9, 6, 2], {"type": "avgpool2d", "kernel": 3, "padding": 1},
     [3, 2, 2], [r"F = 3,\ S = 3,\ P = 1",
                 (r"H_{\text{out}} = \left\lfloor \frac{9 - 3 + 2\cdot1}{3} \right\rfloor + 1 = "
                  r"\left\lfloor \frac{8}{3} \right\rfloor + 1 = 3"),
                 (r"W_{\text{out}} = \left\lfloor \frac{6 - 3 + 2\cdot1}{3} \right\rfloor + 1 = "
                  r"\left\lfloor \frac{5}{3} \right\rfloor + 1 = 2")],
     ("$H$: $8/3 + 1 = 3.66667$ is not a whole number, so the window does not divide the input evenly; "
      "PyTorch and TensorFlow take the floor, 3. $W$: $5/3 + 1 = 2.66667$ is not a whole number, so the "
      "window does not divide the input evenly; PyTorch and TensorFlow take the floor, 2.")),
]


@pytest.mark.parametrize("case, shape, layer, out, lines, note", HWC_CASES, ids=[c[0] for c in HWC_CASES])
def test_hwc_derivation_lines_and_answers(case, shape, layer, out, lines, note):
    from solver.graph.structure import evaluate_architecture
    p = _hwc_problem(shape, [layer])
    (r,) = evaluate_architecture(p.questions[0].architecture)
    assert (list(r.shape), list(r.shape_steps), r.uneven) == (out, lines, note)
    (a,) = [a for a in answers(solve(p, "t"))["questions"][0]["answers"] if a["kind"] == "shape"]
    assert (a["value"], a["exact"], a["display"]) == (out, str(out), r" \times ".join(map(str, out)))


@pytest.mark.parametrize("case, shape, layer, out, lines, note", HWC_CASES, ids=[c[0] for c in HWC_CASES])
def test_hwc_shapes_match_pytorch_on_channels_last(case, shape, layer, out, lines, note):
    torch = pytest.importorskip("torch")
    h, w, c = shape
    settings = {"stride": layer.get("stride"), "padding": layer.get("padding", 0)}
    if layer["type"] == "conv2d":
        net = torch.nn.Conv2d(c, layer["out_channels"], layer["kernel"], dilation=layer.get("dilation", 1),
                              **{**settings, "stride": settings["stride"] or 1})
    else:
        net = torch.nn.AvgPool2d(layer["kernel"], **settings) if layer["type"] == "avgpool2d" else \
            torch.nn.MaxPool2d(layer["kernel"], **settings)
    y = net(torch.zeros(1, h, w, c).permute(0, 3, 1, 2))  # channels last, as CS231n writes it
    assert list(y.permute(0, 2, 3, 1).shape[1:]) == out


def test_hwc_key_states_cs231n_formula_and_counts_do_not_change():
    layers = [{"type": "conv2d", "out_channels": 10, "kernel": 5, "padding": 2, "name": "conv"},
              {"type": "maxpool2d", "kernel": 2, "name": "pool"}, {"type": "flatten", "name": "flat"},
              {"type": "dense", "units": 10, "name": "fc"}]
    hwc = solve(_hwc_problem([32, 32, 3], layers), "t")
    chw = solve(_hwc_problem([3, 32, 32], layers, layout="chw"), "t")
    note = hwc.sections[0].parts[0].blocks[0]
    assert note.text == (r"Shapes are height $\times$ width $\times$ channels (CS231n's convention). Output size "
                         r"of a convolution or pooling window along an axis: $(W - F + 2P)/S + 1$ (input size "
                         r"$W$, filter size $F$, stride $S$, padding $P$); when $S$ does not divide $W - F + 2P$, "
                         r"the frameworks take the floor.")
    assert note.display == r"\text{input}: 32 \times 32 \times 3"
    shapes = {a.of: a.value for a in hwc.sections[0].answers if a.kind == "shape"}
    assert shapes == {"conv": [32, 32, 10], "pool": [16, 16, 10], "flat": [2560], "fc": [10]}
    flat = hwc.sections[0].parts[0].blocks[3]
    assert [e.inline for e in flat.equations] == [r"16 \cdot 16 \cdot 10 = 2560"]
    counts = [(a.of, a.value, a.latex) for a in hwc.sections[0].answers if a.kind == "count"]
    assert counts == [(a.of, a.value, a.latex) for a in chw.sections[0].answers if a.kind == "count"]
    assert {o: v for o, v, _ in counts} == {"conv": 760.0, "pool": 0.0, "flat": 0.0, "fc": 25610.0,
                                                  "total": 26370.0}
    md = render(hwc, "md")
    assert r"\text{conv}: 32 \times 32 \times 10" in md and "D(K-1)" not in md and "F' =" not in md


def test_hwc_note_names_the_effective_filter_size_when_dilated():
    p = _hwc_problem([7, 7, 1], [{"type": "conv2d", "out_channels": 2, "kernel": 3, "dilation": 2}], ask=("shapes",))
    note = solve(p, "t").sections[0].parts[0].blocks[0].text
    assert note.endswith(r" A filter with dilation $D$ spans $F' = D(F-1)+1$ inputs, its effective size, which "
                         r"takes the place of $F$.")


def test_hwc_conv_after_flatten_names_the_hwc_axes():
    from solver.graph.structure import evaluate_architecture
    p = _hwc_problem([4, 4, 1], [{"type": "flatten"}, {"type": "conv2d", "out_channels": 1, "kernel": 1}])
    with pytest.raises(ValueError, match=r"layers\[1\] \(conv1\): conv2d needs a \(height, width, channels\) input"):
        evaluate_architecture(p.questions[0].architecture)


def test_unknown_layout_exits_2_with_one_line_naming_the_field(tmp_path):
    from click.testing import CliRunner

    from solver.cli import main
    bad = tmp_path / "bad.yaml"
    bad.write_text("title: t\nquestions:\n  - id: q\n    ask: [shapes]\n    architecture:\n"
                   "      layout: nhwc\n      input: [32, 32, 3]\n      layers: [{type: flatten}]\n")
    result = CliRunner().invoke(main, ["solve", str(bad), "-o", str(tmp_path / "out")])
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert result.stderr.splitlines() == [(f"nnsolve: error: {bad}: questions[0].architecture.layout: "
                                           "'nhwc' is not allowed; input should be 'chw' or 'hwc'")]
    assert not (tmp_path / "out").exists()
