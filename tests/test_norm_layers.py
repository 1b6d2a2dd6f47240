"""Batch normalisation, layer normalisation and dropout (issue 14 §3): the key's worked
forward (μ, σ², x̂, y) and closed-form backward, and the network layer types.

Oracles: PyTorch float64 (``nn.BatchNorm1d``/``BatchNorm2d`` in training mode,
``nn.LayerNorm``, the inverted-dropout formula, autograd) and central finite differences of
an independent mpmath reference at 60 digits, on the bundled problems and on
hypothesis-drawn sizes and values; the closed form the key prints is checked by the key
itself against the graph's adjoints, and a test makes that check fail on purpose.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mpmath import mp, mpf

from solver.cli import main
from solver.core.errors import NNSolveError, ProblemError
from solver.key.question import QuestionWork
from solver.key.tensor_backward import users
from solver.key.tensor_norm import norm_backward
from solver.problem import validate
from solver.problem.loader import load_problem

try:
    import torch
except ImportError:  # the mpmath reference still runs
    torch = None

ROOT = Path(__file__).resolve().parent.parent
needs_torch = pytest.mark.skipif(torch is None, reason="torch not installed")


def work(problem, file="p.yaml") -> QuestionWork:
    return QuestionWork(problem, problem.questions[0], 0, 4, set(), file, "graph")


def tensor(w: QuestionWork, key: str, grad: bool = False) -> list[float]:
    t = next(t for t in w.graph.tensors if t.key == key)
    src = w.grads.adjoint if grad else w.values
    return [float(src.get(k, 0)) for k in t.elements]


# An independent reference in mpmath (from the definitions), differentiated by central
# finite differences at 60 digits.

def ref_norm(op: str, x: list, shape: tuple, gamma: list, beta: list, eps) -> list:
    """batchnorm over axis 1's channels (all other axes), or layernorm over the last axis."""
    flat_idx = list(_indices(shape))
    if op == "batchnorm":
        groups = [[i for i, ix in enumerate(flat_idx) if ix[1] == c] for c in range(shape[1])]
        pidx = {i: ix[1] for i, ix in enumerate(flat_idx)}
    else:
        d = shape[-1]
        groups = [list(range(r * d, (r + 1) * d)) for r in range(len(x) // d)]
        pidx = {i: i % d for i in range(len(x))}
    out = [mpf(0)] * len(x)
    for grp in groups:
        mu = sum(x[i] for i in grp) / len(grp)
        var = sum((x[i] - mu) ** 2 for i in grp) / len(grp)
        for i in grp:
            out[i] = gamma[pidx[i]] * (x[i] - mu) / mp.sqrt(var + eps) + beta[pidx[i]]
    return out


def _indices(shape):
    if not shape:
        yield ()
        return
    for i in range(shape[0]):
        for rest in _indices(shape[1:]):
            yield (i, *rest)


def fd_grads(fn, args: list[list]) -> list[list]:
    """Central differences of the scalar ``fn(*args)`` with respect to every element, 60 digits."""
    mp.dps = 60
    h = mpf(10) ** -25
    out = []
    for a in range(len(args)):
        g = []
        for i in range(len(args[a])):
            up = [list(v) for v in args]
            dn = [list(v) for v in args]
            up[a][i] += h
            dn[a][i] -= h
            g.append((fn(*up) - fn(*dn)) / (2 * h))
        out.append(g)
    return out


def graph_problem(op: str, x, t, gamma, beta, eps="0.00001") -> dict:
    return {"title": "t", "graph": {
        "inputs": {"X": x, "T": t}, "parameters": {"gamma": gamma, "beta": beta},
        "nodes": {"Y": f"{op}(X, gamma, beta, eps={eps})", "L": "sum(Y * T)"}, "output": "L"},
        "questions": [{"id": "q1", "ask": ["forward", "gradients"], "report": ["Y"],
                       "gradients": ["gamma", "beta", "X"]}]}


def _flat(v):
    return [y for item in v for y in _flat(item)] if isinstance(v, list) else [v]


def check_against_references(op: str, spec: dict) -> None:
    """The solver's Y and gradients against the mpmath reference (FD) and torch, and the
    key's closed form (built without an internal error)."""
    p = validate(spec, "p.yaml")
    w = work(p)
    g = spec["graph"]
    shape = next(t.shape for t in w.graph.tensors if t.key == "X")
    x = [mpf(sp.Rational(str(v)).p) / sp.Rational(str(v)).q for v in _flat(g["inputs"]["X"])]
    tt = [mpf(str(v)) for v in _flat(g["inputs"]["T"])]
    gam = [mpf(str(v)) for v in g["parameters"]["gamma"]]
    bet = [mpf(str(v)) for v in g["parameters"]["beta"]]
    eps = mpf(1) / 100000
    mp.dps = 60
    y = ref_norm(op, x, shape, gam, bet, eps)
    assert tensor(w, "Y") == pytest.approx([float(v) for v in y], rel=1e-12, abs=1e-12)
    loss = lambda xx, gg, bb: sum(a * b for a, b in zip(ref_norm(op, xx, shape, gg, bb, eps), tt))
    dx, dg, db = fd_grads(loss, [x, gam, bet])
    for key, ref in (("X", dx), ("gamma", dg), ("beta", db)):
        assert tensor(w, key, grad=True) == pytest.approx([float(v) for v in ref], rel=1e-9, abs=1e-9), key
    if torch is not None:
        tx = torch.tensor([float(v) for v in x], dtype=torch.float64).reshape(shape).requires_grad_()
        if op == "batchnorm":
            mod = (torch.nn.BatchNorm1d if len(shape) == 2 else torch.nn.BatchNorm2d)(shape[1], eps=1e-5).double()
        else:
            mod = torch.nn.LayerNorm(shape[-1], eps=1e-5).double()
        mod.train()
        with torch.no_grad():
            mod.weight.copy_(torch.tensor([float(v) for v in gam], dtype=torch.float64))
            mod.bias.copy_(torch.tensor([float(v) for v in bet], dtype=torch.float64))
        out = mod(tx)
        (out * torch.tensor([float(v) for v in tt], dtype=torch.float64).reshape(shape)).sum().backward()
        assert tensor(w, "Y") == pytest.approx(out.detach().flatten().tolist(), rel=1e-10, abs=1e-10)
        assert tensor(w, "X", grad=True) == pytest.approx(tx.grad.flatten().tolist(), rel=1e-8, abs=1e-10)
        assert tensor(w, "gamma", grad=True) == pytest.approx(mod.weight.grad.tolist(), rel=1e-8, abs=1e-10)
        assert tensor(w, "beta", grad=True) == pytest.approx(mod.bias.grad.tolist(), rel=1e-8, abs=1e-10)
    x_info = next(t for t in w.graph.tensors if t.key == "X")
    rules, eqs = norm_backward(w, x_info, users(w, x_info), lambda k: k)  # checked against the adjoints
    assert "agrees with the chain rule through the graph" in rules[0]
    assert eqs[-1].lhs == x_info.elements[0]  # the first element of channel (row) 1, worked


# The bundled problems.

def test_batchnorm_problem_against_torch_and_finite_differences():
    spec = json.loads(json.dumps({"graph": {"inputs": {"X": [[1, 2], [3, 0], [0, 1], [2, 5]],
                                                       "T": [[1, 0], [0, 1], [1, 1], [0, -1]]},
                                            "parameters": {"gamma": [1, "0.5"], "beta": [0, "0.1"]}}}))
    full = graph_problem("batchnorm", x=spec["graph"]["inputs"]["X"], t=spec["graph"]["inputs"]["T"], gamma=[1, "0.5"], beta=[0, "0.1"])
    check_against_references("batchnorm", full)
    p = load_problem(ROOT / "problems" / "batchnorm.yaml")
    w = work(p)
    assert tensor(w, "X", grad=True)[:2] == pytest.approx([0.2683285150601, -0.0668152150279], abs=1e-12)
    assert tensor(w, "gamma", grad=True) == pytest.approx([-1.78884, -3.20713], abs=1e-5)
    assert tensor(w, "beta", grad=True) == [2.0, 1.0]


def test_layernorm_problem_against_torch_and_finite_differences():
    check_against_references("layernorm", graph_problem(
        "layernorm", [[1, 2, 4], [3, -1, 0]], [[1, 0, -1], ["0.5", 1, 0]], [1, 2, "0.5"], [0, "-0.5", "0.1"]))
    p = load_problem(ROOT / "problems" / "layernorm.yaml")
    assert tensor(work(p), "Y")[0] == pytest.approx(-(4 / 3) / (14 / 9 + 1e-5) ** 0.5, rel=1e-14)


@needs_torch
def test_dense_network_with_batchnorm_and_dropout_against_torch():
    p = load_problem(ROOT / "problems" / "dropout.yaml")
    w = QuestionWork(p, p.questions[0], 0, 4, set(), "dropout.yaml", "matrix")
    d = lambda v: torch.tensor(v, dtype=torch.float64)
    x = d([[1, 0.5], [2, -1], [0, 2], [-1, 1]])
    lin1, lin2 = torch.nn.Linear(2, 2).double(), torch.nn.Linear(2, 1).double()
    bn = torch.nn.BatchNorm1d(2, eps=1e-5).double().train()
    with torch.no_grad():
        lin1.weight.copy_(d([[0.5, -0.3], [0.2, 0.4]]))
        lin1.bias.copy_(d([0, 0.1]))
        bn.weight.copy_(d([1, 0.5]))
        bn.bias.copy_(d([0, 0.2]))
        lin2.weight.copy_(d([[1, -1]]))
        lin2.bias.copy_(d([0]))
    mask = d([[1, 0], [1, 1], [0, 1], [1, 1]])
    out = lin2(bn(lin1(x)) * mask / (1 - 0.5))
    loss = ((out - d([[1], [0], [0], [1]])) ** 2).mean()
    loss.backward()
    assert float(w.values["L"]) == pytest.approx(loss.item(), rel=1e-12)
    assert tensor(w, "W1", grad=True) == pytest.approx(lin1.weight.grad.flatten().tolist(), rel=1e-10)
    assert tensor(w, "b1", grad=True) == pytest.approx(lin1.bias.grad.tolist(), rel=1e-10)
    assert tensor(w, "gamma2", grad=True) == pytest.approx(bn.weight.grad.tolist(), rel=1e-10)
    assert tensor(w, "beta2", grad=True) == pytest.approx(bn.bias.grad.tolist(), rel=1e-10)
    assert tensor(w, "W4", grad=True) == pytest.approx(lin2.weight.grad.flatten().tolist(), rel=1e-10)


def test_the_key_shows_the_course_forward_and_closed_form(tmp_path):
    from click.testing import CliRunner
    out = tmp_path / "out"
    for name in ("batchnorm", "layernorm", "dropout"):
        result = CliRunner().invoke(main, ["solve", str(ROOT / "problems" / f"{name}.yaml"), "-o", str(out), "-f", "md"])
        assert result.exit_code == 0, result.output
    bn = (out / "batchnorm.md").read_text()
    assert r"\mu_{1} &= \frac{1}{4} \left(X_{11} + X_{21} + X_{31} + X_{41}\right) = \frac{1}{4} \left(1 + 3 + 0 + 2\right) = 1.5" in bn
    assert r"= \frac{1}{4} \left((1 - 1.5)^2 + (3 - 1.5)^2 + (0 - 1.5)^2 + (2 - 1.5)^2\right) = 1.25" in bn
    assert r"\hat{X}_{11} &= \frac{X_{11} - \mu_{1}}{\sqrt{\sigma^2_{1} + \varepsilon}} = \frac{1 - 1.5}{\sqrt{1.25 + 0.00001}} \approx -0.4472" in bn
    assert r"\sigma^2 &= \left[\begin{array}{rr} 1.25 & 3.5 \end{array}\right]" in bn
    assert r"\frac{\partial L}{\partial \beta_{1}} &= \delta^{Y}_{11} + \delta^{Y}_{21} + \delta^{Y}_{31} + \delta^{Y}_{41} = 1 + 0 + 1 + 0 = 2" in bn
    assert r"\approx \frac{4 (1) - 2 - (-0.4472)(-1.789)}{4 \cdot 1.118} \approx 0.2683" in bn
    assert "(agrees with the chain rule through the graph)" in bn
    assert r"\operatorname{BN}_{\gamma, \beta}(X)" in bn and "X_{11} - \\frac{1}{4}" not in bn  # no giant expression
    ln = (out / "layernorm.md").read_text()
    assert r"\mu_{1} &= \frac{1}{3} \left(X_{11} + X_{12} + X_{13}\right) = \frac{1}{3} \left(1 + 2 + 4\right) \approx 2.333" in ln
    assert "Worked for row 1" in ln
    dr = (out / "dropout.md").read_text()
    assert r"D^{(3)}_{11} &= \frac{N^{(2)}_{11}\, M^{(3)}_{11}}{1 - p} = \frac{(0.3438)(1)}{1 - 0.5} \approx 0.6876" in dr
    assert r"\hat{z}^{(1)}_{11}" in dr and r"\mu &= \left[\begin{array}{rr} 0.0625 & 0.45 \end{array}\right]" in dr
    assert r"\delta^{N^{(2)}} = \delta^{D^{(3)}} \odot M^{(3)} / (1 - p)" in dr


def test_a_closed_form_that_disagrees_with_the_graph_is_an_internal_error():
    p = load_problem(ROOT / "problems" / "batchnorm.yaml")
    w = work(p)
    x = next(t for t in w.graph.tensors if t.key == "X")
    w.grads.adjoint[x.elements[3]] += sp.Rational(1, 10 ** 30)
    with pytest.raises(NNSolveError, match="internal error: the closed form of X gives"):
        norm_backward(w, x, users(w, x), lambda k: k)


# Hypothesis: random small sizes and values.

_vals = st.integers(-20, 20).map(lambda n: str(sp.Rational(n, 4)))


@st.composite
def norm_cases(draw):
    op = draw(st.sampled_from(["batchnorm", "layernorm"]))
    if op == "batchnorm" and draw(st.booleans()):
        shape = (draw(st.integers(1, 2)), draw(st.integers(1, 2)), draw(st.integers(1, 2)), draw(st.integers(1, 2)))
        if shape[0] * shape[2] * shape[3] < 2:
            shape = (2, *shape[1:])
        channels = shape[1]
    else:
        shape = (draw(st.integers(2, 4)), draw(st.integers(1, 3)))
        channels = shape[1]
    size = 1
    for n in shape:
        size *= n

    def nested(flat):
        for n in reversed(shape[1:]):
            flat = [flat[i:i + n] for i in range(0, len(flat), n)]
        return flat
    x = nested(draw(st.lists(_vals, min_size=size, max_size=size)))
    t = nested(draw(st.lists(_vals, min_size=size, max_size=size)))
    per = channels if op == "batchnorm" else shape[-1]
    gamma = draw(st.lists(_vals, min_size=per, max_size=per))
    beta = draw(st.lists(_vals, min_size=per, max_size=per))
    return op, graph_problem(op, x, t, gamma, beta)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(norm_cases())
def test_random_norms_against_torch_and_finite_differences(case):
    op, spec = case
    check_against_references(op, spec)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(1, 3), st.integers(1, 3), st.sampled_from(["0", "0.25", "0.5", "0.8"]), st.data())
def test_random_dropout_against_the_formula_and_torch(n, f, p, data):
    x = [[data.draw(_vals) for _ in range(f)] for _ in range(n)]
    m = [[data.draw(st.sampled_from([0, 1])) for _ in range(f)] for _ in range(n)]
    t = [[data.draw(_vals) for _ in range(f)] for _ in range(n)]
    spec = {"title": "d", "graph": {"inputs": {"X": x, "M": m, "T": t},
                                    "nodes": {"Y": f"dropout(X, M, p={p})", "L": "sum(Y * T)"}, "output": "L"},
            "questions": [{"id": "q1", "ask": ["forward", "gradients"], "gradients": ["X"]}]}
    w = work(validate(spec, "d.yaml"))
    scale = 1 / (1 - sp.Rational(p))
    flat = lambda v: [sp.Rational(str(a)) for r in v for a in r]
    assert [w.values[k] for k in next(t for t in w.graph.tensors if t.key == "Y").elements] == \
        [a * b * scale for a, b in zip(flat(x), flat(m))]
    assert tensor(w, "X", grad=True) == [float(a * b * scale) for a, b in zip(flat(t), flat(m))]
    if torch is not None:
        tx = torch.tensor([[float(sp.Rational(str(a))) for a in r] for r in x], dtype=torch.float64, requires_grad=True)
        y = tx * torch.tensor(m, dtype=torch.float64) / (1 - float(p))
        (y * torch.tensor([[float(sp.Rational(str(a))) for a in r] for r in t], dtype=torch.float64)).sum().backward()
        assert tensor(w, "Y") == pytest.approx(y.detach().flatten().tolist(), rel=1e-14)
        assert tensor(w, "X", grad=True) == pytest.approx(tx.grad.flatten().tolist(), rel=1e-14)


# Network layers: defaults and bad input.

def _net(*mid, inputs=None, target=None) -> dict:
    return {"title": "n", "network": {
        "inputs": inputs or {"x1": [1, 2, 0], "x2": [0, 1, 3]},
        "layers": [{"units": 2, "weights": [[1, 0], [0.5, -1]], "bias": [0, 0]}, *mid,
                   {"units": 1, "weights": [[1, 1]], "bias": 0}]},
        "loss": "mse", "target": target or [1, 0, 1],
        "questions": [{"id": "q1", "ask": ["forward", "loss", "gradients"], "gradients": "all"}]}


@needs_torch
def test_layernorm_layer_defaults_are_pytorchs():
    p = validate(_net({"type": "layernorm"}), "n.yaml")
    w = QuestionWork(p, p.questions[0], 0, 4, set(), "n.yaml", "matrix")
    assert tensor(w, "gamma2") == [1.0, 1.0] and tensor(w, "beta2") == [0.0, 0.0]
    x = torch.tensor([[1.0, 0], [2, 1], [0, 3]], dtype=torch.float64)
    ln = torch.nn.LayerNorm(2).double()
    z = x @ torch.tensor([[1, 0], [0.5, -1]], dtype=torch.float64).T
    out = ln(z) @ torch.tensor([[1.0], [1.0]], dtype=torch.float64)
    loss = ((out - torch.tensor([[1.0], [0], [1]], dtype=torch.float64)) ** 2).mean()
    assert float(w.values["L"]) == pytest.approx(loss.item(), rel=1e-12)


@pytest.mark.parametrize("mid, inputs, field, fragment", [
    ({"type": "batchnorm"}, {"x1": 1, "x2": 2}, "network.layers[1]", "a batchnorm layer normalises each feature"),
    ({"type": "batchnorm"}, {"x1": [1], "x2": [2]}, "network.layers[1]", "batch of at least two examples"),
    ({"type": "batchnorm", "gamma": [1, 2, 3]}, None, "network.layers[1].gamma", "gamma has 3 values but"),
    ({"type": "layernorm", "beta": [1]}, None, "network.layers[1].beta", "beta has 1 value but the layer's input has 2"),
    ({"type": "dropout", "mask": [[1, 0], [1, 1]]}, None, "network.layers[1].mask", "the mask is 2×2 but must be 3×2"),
    ({"type": "dropout", "mask": [[1, 0], [1, 2], [0, 1]]}, None, "network.layers[1].mask", "only 0s and 1s (got 2)"),
    ({"type": "dropout", "p": 1, "mask": [[1, 0], [1, 1], [0, 1]]}, None, "network.layers[1].p", "less than 1 (got 1)"),
    ({"type": "dropout"}, None, "network.layers[1].mask", "a dropout layer needs its 'mask'"),
    ({"type": "batchnorm", "p": "0.5"}, None, "network.layers[1].p", "a batchnorm layer has no 'p'"),
    ({"type": "batchnorm", "activation": "relu"}, None, "network.layers[1].activation", "has no 'activation'"),
    ({"type": "layernorm", "eps": 0}, None, "network.layers[1].eps", "ε must be positive"),
])
def test_bad_norm_layers_name_the_field(mid, inputs, field, fragment):
    with pytest.raises(ProblemError) as err:
        p = validate(_net(mid, inputs=inputs, target=[1] if inputs and not isinstance(inputs["x1"], list) else
                          ([1] if inputs else None)), "n.yaml")
        QuestionWork(p, p.questions[0], 0, 4, set(), "n.yaml", "matrix")
    assert err.value.field == field
    assert fragment in err.value.message
    assert "\n" not in str(err.value)


def test_a_rounded_value_agrees_with_its_closed_form_to_1e40_of_itself_and_no_further():
    from solver.key.tensor_dropout import agree

    root = sp.sqrt(2) / 3  # an irrational closed form, and the engine's 50-digit rounding of it
    for scale in (sp.Integer(1), sp.Integer(10) ** 6, sp.Rational(1, 10 ** 6)):
        exact = root * scale
        agree(exact, sp.N(exact, 50), "x")
        agree(exact, sp.N(exact, 60) * (1 + sp.Float("1e-45", 60)), "x")
        with pytest.raises(NNSolveError, match="closed form of x gives"):
            agree(exact, sp.N(exact, 60) * (1 + sp.Float("1e-38", 60)) + (sp.Float("1e-38", 60) if scale < 1 else 0), "x")
    agree(sp.sqrt(2) - sp.sqrt(2), sp.Float("1e-45", 60), "x")  # below 1: absolutely
    with pytest.raises(NNSolveError):
        agree(sp.Integer(0), sp.Float("1e-39", 60), "x")
