"""Recurrent layers (issue 14 §1): RNN, LSTM and GRU networks unrolled over time, their
values and every parameter's gradient (BPTT) against

* an independent reference written here from PyTorch's documented equations in mpmath at
  50 digits, its gradients by central finite differences (to 1e-20);
* PyTorch's own ``nn.RNN``, ``nn.LSTM``, ``nn.GRU`` (float64, autograd) where installed
  (to 1e-12);

on the bundled problems and on hypothesis-drawn networks (1–3 units, 1–3 features, 1–4
steps, the three layer types, ``return: last | sequence``, ``loss_at: last | every``, an
optional dense layer after, values in tenths). ``RECURRENT_EXAMPLES=100`` for a longer hunt.
"""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path

import pytest
import sympy as sp
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mpmath import mp, mpf

from solver.core.numbers import display
from solver.graph.backprop import backward, forward
from solver.graph.network import build_network
from solver.problem import validate

try:
    import torch
except ImportError:  # the mpmath reference still runs
    torch = None

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = int(os.environ.get("RECURRENT_EXAMPLES", "12"))
GATES = {"rnn": ("h",), "lstm": ("i", "f", "g", "o"), "gru": ("r", "z", "n")}


# -- the solver's numbers -------------------------------------------------------------------

def solve(data: dict) -> tuple[dict, dict]:
    """(values, gradients) by tensor name, as flat lists of exact sympy numbers."""
    problem = validate(data, "test.yaml")
    graph = build_network(problem, problem.questions[0], "test.yaml")
    values = forward(graph)
    grads = backward(graph, values)
    vals = {t.key: [values[k] for k in t.elements] for t in graph.tensors}
    dl = {t.key: [grads.adjoint.get(k, 0) for k in t.elements] for t in graph.tensors}
    return vals, dl


# -- the independent reference: PyTorch's equations in mpmath ------------------------------

def _num(v):
    return mpf(Fraction(str(v)).numerator) / Fraction(str(v)).denominator


def _mv(w, v):
    return [sum((wi * vi for wi, vi in zip(row, v)), mpf(0)) for row in w]


def _sig(x):
    return 1 / (1 + mp.exp(-x))


def _params(layer: dict) -> dict:
    """name → nested mpf values (W_x?, W_h?, b_?/b_x?, b_h?), as the solver names them."""
    out = {}
    for g in GATES[layer["type"]]:
        spec = layer if layer["type"] == "rnn" else layer["gates"][g]
        units = layer["units"]
        out[f"W_x{g}"] = [[_num(v) for v in r] for r in spec["weights"]]
        out[f"W_h{g}"] = [[_num(v) for v in r] for r in spec["recurrent_weights"]]
        two = spec.get("recurrent_bias") is not None
        for key, field in ((f"b_x{g}" if two else f"b_{g}", "bias"), (f"b_h{g}", "recurrent_bias")):
            if spec.get(field) is not None:
                b = spec[field] if isinstance(spec[field], list) else [spec[field]] * units
                out[key] = [_num(v) for v in b]
    return out


def reference_loss(data: dict, params: dict) -> mpf:
    """The loss of ``data``'s network with ``params`` (by solver name), from PyTorch's
    equations (nn.RNN, nn.LSTM, nn.GRU documentation)."""
    net = data["network"]
    layer, dense = net["layers"][0], net["layers"][1:]
    (xs,) = net["inputs"].values()
    units, kind = layer["units"], layer["type"]
    zero = [mpf(0)] * units
    state = layer.get("initial_state")
    h = [_num(v) for v in (state["h"] if isinstance(state, dict) else state or zero)]
    c = [_num(v) for v in (state.get("c") or zero)] if isinstance(state, dict) else zero

    def lin(g, x, hh):
        bx = params.get(f"b_x{g}", params.get(f"b_{g}", zero))
        return [a + b + p + q for a, b, p, q in zip(_mv(params[f"W_x{g}"], x), bx, _mv(params[f"W_h{g}"], hh),
                                                    params.get(f"b_h{g}", zero))]
    states = []
    for row in xs:
        x = [_num(v) for v in row]
        if kind == "rnn":
            act = mp.tanh if layer.get("activation", "tanh") == "tanh" else (lambda v: max(v, mpf(0)))
            h = [act(v) for v in lin("h", x, h)]
        elif kind == "lstm":
            i, f, o = ([_sig(v) for v in lin(g, x, h)] for g in "ifo")
            g = [mp.tanh(v) for v in lin("g", x, h)]
            c = [fv * cv + iv * gv for fv, cv, iv, gv in zip(f, c, i, g)]
            h = [ov * mp.tanh(cv) for ov, cv in zip(o, c)]
        else:
            r, z = ([_sig(v) for v in lin(g, x, h)] for g in "rz")
            bx = params.get("b_xn", params.get("b_n", zero))
            hn = [a + b for a, b in zip(_mv(params["W_hn"], h), params.get("b_hn", zero))]
            n = [mp.tanh(a + b + rv * hv) for a, b, rv, hv in zip(_mv(params["W_xn"], x), bx, r, hn)]
            h = [(1 - zv) * nv + zv * hv for zv, nv, hv in zip(z, n, h)]
        states.append(h)
    outs = states if layer.get("return", "last") == "sequence" else states[-1:]
    for li, d in enumerate(dense, start=2):
        b = params.get(f"b{li}", [mpf(0)] * d["units"])
        outs = [[v + bv for v, bv in zip(_mv(params[f"W{li}"], o), b)] for o in outs]
    every = layer.get("loss_at", "every" if layer.get("return") == "sequence" else "last") == "every"
    targets = data["target"] if every else [data["target"]]
    outs = outs if every else outs[-1:]
    kind = data["loss"]
    total = mpf(0)
    for o, y in zip(outs, targets):
        err = [(ov - _num(yv)) ** 2 for ov, yv in zip(o, y)]
        total += sum(err) / (len(err) if kind == "mse" else 1)
    return total


def all_params(data: dict) -> dict:
    net = data["network"]
    out = _params(net["layers"][0])
    for li, d in enumerate(net["layers"][1:], start=2):
        out[f"W{li}"] = [[_num(v) for v in r] for r in d["weights"]]
        if d.get("bias") is not None:
            out[f"b{li}"] = [_num(v) for v in (d["bias"] if isinstance(d["bias"], list) else [d["bias"]] * d["units"])]
    return out


def finite_differences(data: dict) -> dict:
    """∂L/∂p for every parameter element, by central differences at 50 digits."""
    step = mpf("1e-15")
    params = all_params(data)
    out = {}
    for name, value in params.items():
        flat = []
        for idx in ([(i, j) for i in range(len(value)) for j in range(len(value[0]))]
                    if isinstance(value[0], list) else [(i,) for i in range(len(value))]):
            def shifted(d, idx=idx):
                p = {k: [list(r) if isinstance(r, list) else r for r in v] for k, v in params.items()}
                if len(idx) == 2:
                    p[name][idx[0]][idx[1]] += d
                else:
                    p[name][idx[0]] += d
                return reference_loss(data, p)
            flat.append((shifted(step) - shifted(-step)) / (2 * step))
        out[name] = flat
    return out


def check_against_reference(data: dict) -> None:
    with mp.workdps(50):
        want = finite_differences(data)
        loss = reference_loss(data, all_params(data))
        values, grads = solve(data)
        assert abs(mpf(str(values["L"][0].evalf(50))) - loss) < mpf("1e-40")
        for name, fd in want.items():
            got = [mpf(str(sp_value.evalf(50))) if hasattr(sp_value, "evalf") else mpf(sp_value)
                   for sp_value in grads[name]]
            assert len(got) == len(fd), name
            for g, w in zip(got, fd):
                assert abs(g - w) < mpf("1e-20") * max(1, abs(w)), f"{name}: solver {g}, differences {w}"


# -- PyTorch ---------------------------------------------------------------------------------

def _t(nested):
    return torch.tensor([[float(Fraction(str(v))) for v in r] for r in nested] if isinstance(nested[0], list)
                        else [float(Fraction(str(v))) for v in nested], dtype=torch.float64)


def torch_loss_and_grads(data: dict) -> tuple[float, dict]:
    """nn.RNN / nn.LSTM / nn.GRU with the layer's weights, the dense layers, the loss; the
    gradient of each solver-named parameter, from the module's stacked ones."""
    net = data["network"]
    layer, dense = net["layers"][0], net["layers"][1:]
    (xs,) = net["inputs"].values()
    kind, units = layer["type"], layer["units"]
    gates = GATES[kind]
    module = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[kind]
    kw = {"nonlinearity": layer.get("activation", "tanh")} if kind == "rnn" else {}
    m = module(len(xs[0]), units, dtype=torch.float64, **kw)
    specs = [layer] if kind == "rnn" else [layer["gates"][g] for g in gates]

    def vec(v, n=units):
        return [v] * n if v is not None and not isinstance(v, list) else v or [0] * n
    with torch.no_grad():
        m.weight_ih_l0.copy_(torch.cat([_t(s["weights"]) for s in specs]))
        m.weight_hh_l0.copy_(torch.cat([_t(s["recurrent_weights"]) for s in specs]))
        m.bias_ih_l0.copy_(torch.cat([_t(vec(s.get("bias"))) for s in specs]))
        m.bias_hh_l0.copy_(torch.cat([_t(vec(s.get("recurrent_bias"))) for s in specs]))
    state = layer.get("initial_state")
    zero = [0] * units
    h0 = _t(state["h"] if isinstance(state, dict) else state or zero).reshape(1, units)
    c0 = _t(state.get("c") or zero if isinstance(state, dict) else zero).reshape(1, units)
    seq, _ = m(_t(xs), (h0, c0) if kind == "lstm" else h0)
    outs = seq if layer.get("return", "last") == "sequence" else seq[-1:]
    dense_params = []
    for d in dense:
        w = _t(d["weights"]).requires_grad_()
        b = _t(vec(d.get("bias"), d["units"])).requires_grad_()
        dense_params.append((w, b))
        outs = outs @ w.T + b
    every = layer.get("loss_at", "every" if layer.get("return") == "sequence" else "last") == "every"
    target = _t(data["target"] if every else [data["target"]])
    outs = outs if every else outs[-1:]
    sq = (outs - target) ** 2
    loss = sq.sum() if data["loss"] == "sse" else sq.mean(dim=1).sum()
    loss.backward()
    grads = {}
    for which, stacked in (("W_x", m.weight_ih_l0.grad), ("W_h", m.weight_hh_l0.grad)):
        for k, g in enumerate(gates):
            grads[f"{which}{g}"] = stacked[k * units:(k + 1) * units].reshape(-1).tolist()
    for k, (g, s) in enumerate(zip(gates, specs)):
        two = s.get("recurrent_bias") is not None
        if s.get("bias") is not None:
            grads[f"b_x{g}" if two else f"b_{g}"] = m.bias_ih_l0.grad[k * units:(k + 1) * units].tolist()
        if two:
            grads[f"b_h{g}"] = m.bias_hh_l0.grad[k * units:(k + 1) * units].tolist()
    for li, (w, b) in enumerate(dense_params, start=2):
        grads[f"W{li}"] = w.grad.reshape(-1).tolist()
        if dense[li - 2].get("bias") is not None:
            grads[f"b{li}"] = b.grad.tolist()
    return loss.item(), grads


def check_against_torch(data: dict) -> None:
    loss, want = torch_loss_and_grads(data)
    values, grads = solve(data)
    assert float(values["L"][0]) == pytest.approx(loss, rel=1e-12, abs=1e-14)
    for name, w in want.items():
        got = [float(v) for v in grads[name]]
        assert got == pytest.approx(w, rel=1e-12, abs=1e-14), name


# -- the bundled problems ----------------------------------------------------------------------

BUNDLED = ["rnn-elman.yaml", "lstm-two-steps.yaml", "gru-sequence.yaml"]


def _bundled(name: str) -> dict:
    return yaml.safe_load((ROOT / "problems" / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", BUNDLED)
def test_bundled_problem_against_the_mpmath_reference(name):
    check_against_reference(_bundled(name))


@pytest.mark.parametrize("name", BUNDLED)
def test_bundled_problem_against_torch(name):
    pytest.importorskip("torch")
    check_against_torch(_bundled(name))


def test_elman_rnn_values_as_computed_by_hand():
    """h_1 = tanh(W_xh x_1 + b) = tanh([0.1, 0.4]) for the issue's RNN (h_0 = 0), exactly."""
    values, _ = solve(_bundled("rnn-elman.yaml"))
    assert values["z_1"] == [sp.Rational(1, 10), sp.Rational(2, 5)]
    want = [sp.tanh(sp.Rational(1, 10)).evalf(50), sp.tanh(sp.Rational(2, 5)).evalf(50)]
    assert all(abs(g - w) < sp.Float("1e-45") for g, w in zip(values["h_1"], want))


# -- hypothesis-drawn networks -------------------------------------------------------------------

tenths = st.integers(-9, 9).map(lambda n: n / 10)


@st.composite
def networks(draw):
    kind = draw(st.sampled_from(["rnn", "lstm", "gru"]))
    units, features, steps = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 4))

    def mat(r, c):
        return [[draw(tenths) for _ in range(c)] for _ in range(r)]

    def vec(n):
        return [draw(tenths) for _ in range(n)]

    def weights():
        spec = {"weights": mat(units, features), "recurrent_weights": mat(units, units)}
        if draw(st.booleans()):
            spec["bias"] = vec(units)
        if draw(st.booleans()):
            spec["recurrent_bias"] = vec(units)
        return spec
    layer = {"type": kind, "units": units}
    if kind == "rnn":
        layer.update(weights())
        layer["activation"] = draw(st.sampled_from(["tanh", "relu"]))
    else:
        layer["gates"] = {g: weights() for g in GATES[kind]}
    if draw(st.booleans()):
        layer["initial_state"] = {"h": vec(units), "c": vec(units)} if kind == "lstm" else vec(units)
    returns = draw(st.sampled_from(["last", "sequence"]))
    layer["return"] = returns
    every = returns == "sequence" and draw(st.booleans())
    if returns == "sequence":
        layer["loss_at"] = "every" if every else "last"
    layers = [layer]
    out = units
    if draw(st.booleans()):
        out = draw(st.integers(1, 2))
        layers.append({"units": out, "activation": "linear", "weights": mat(out, units), "bias": vec(out)})
    target = [vec(out) for _ in range(steps)] if every else vec(out)
    return {"title": "drawn", "network": {"inputs": {"x": mat(steps, features)}, "layers": layers},
            "loss": draw(st.sampled_from(["sse", "mse"])), "target": target,
            "questions": [{"id": "q1", "ask": ["gradients"], "gradients": "all"}]}


def _relu_kink(data: dict) -> bool:
    """Whether a ReLU RNN's pre-activation lands on 0, where finite differences do not apply."""
    layer = data["network"]["layers"][0]
    if layer["type"] != "rnn" or layer.get("activation") != "relu":
        return False
    values, _ = solve(data)
    return any(v == 0 for k, vs in values.items() if k.startswith("z_") for v in vs)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks())
def test_drawn_networks_against_the_mpmath_reference(data):
    if _relu_kink(data):
        return
    check_against_reference(data)


@pytest.mark.skipif(torch is None, reason="PyTorch is not installed")
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks())
def test_drawn_networks_against_torch(data):
    check_against_torch(data)


# -- what the key shows ----------------------------------------------------------------------------

def _key(name: str, tmp_path) -> str:
    from click.testing import CliRunner

    from solver.cli import main
    result = CliRunner().invoke(main, ["solve", str(ROOT / "problems" / name), "-o", str(tmp_path), "-f", "md"])
    assert result.exit_code == 0, result.output
    return (tmp_path / name.replace(".yaml", ".md")).read_text(encoding="utf-8")


def test_the_key_sums_each_shared_weight_over_the_steps(tmp_path):
    text = _key("rnn-elman.yaml", tmp_path)
    assert (r"\frac{\partial L}{\partial W_{xh}} &= \delta^{z_{1}}\, x_{1}^\top + \delta^{z_{2}}\, x_{2}^\top "
            r"+ \delta^{z_{3}}\, x_{3}^\top \\") in text
    # h_0 = 0: step 1 sends nothing back to W_hh, and the key says so
    assert r"\frac{\partial L}{\partial W_{hh}} &= \delta^{z_{2}}\, h_{1}^\top + \delta^{z_{3}}\, h_{2}^\top \\" in text
    assert "(terms that are 0 left out)" in text
    assert r"here $\delta^{h_{2}} = W_{hh}^\top \delta^{z_{3}}$" in text
    # BPTT from the last step to the first
    order = [text.index(f"**Upstream gradient $\\delta^{{h_{{{t}}}}}$.**") for t in (3, 2, 1)]
    assert order == sorted(order)


def test_a_shared_weights_sum_is_worked_for_one_element_with_its_factors(tmp_path):
    """The sum of matrices δ^{z_t} x_t^⊤ is followed by one element's terms, each a δ times
    the factor it multiplies, so that the matrices' numbers can be traced; its value is the
    final matrix's entry (the terms with x_{3,1} = 0 and h_{0,1} = 0 left out)."""
    text = _key("rnn-elman.yaml", tmp_path)
    assert (r"\frac{\partial L}{\partial W_{xh,11}} &= \delta^{z_{1}}_{1}\, x_{11} + \delta^{z_{2}}_{1}\, x_{21} "
            r"\approx (0.05696)(1) + (0.1513)(0.5) \\" + "\n" + r"&\approx 0.1326 \\") in text
    assert (r"\frac{\partial L}{\partial W_{hh,11}} &= \delta^{z_{2}}_{1}\, h_{1,1} + \delta^{z_{3}}_{1}\, h_{2,1} \\"
            + "\n" + r"&\approx (0.1513)(0.09967) + (0.4586)(-0.1373) \approx -0.04788 \\") in text
    assert (r"\frac{\partial L}{\partial b_{h,1}} &= \delta^{z_{1}}_{1} + \delta^{z_{2}}_{1} + \delta^{z_{3}}_{1} "
            r"\approx 0.05696 + 0.1513 + 0.4586 \approx 0.6668 \\") in text
    # each worked element is the (1, 1) entry of its gradient's matrix
    for name, entry in ((r"W_{xh}", "0.1326"), (r"W_{hh}", "-0.04788"), (r"b_{h}", "0.6668")):
        final = text.index(rf"\frac{{\partial L}}{{\partial {name}}} &\approx \left[\begin{{array}}")
        assert text[final:].split(r"\begin{array}")[1].split("}", 1)[1].lstrip().startswith(entry)


def test_the_key_adds_what_comes_from_the_output_and_from_the_next_step(tmp_path):
    text = _key("lstm-two-steps.yaml", tmp_path)
    assert (r"\delta^{c_{1}} &= \delta^{h_{1}} \odot o_{1} \odot \tanh'(c_{1}) + \delta^{c_{2}} \odot f_{2} "
            r"\approx 0.0009153 - 0.06445 \approx -0.06354") in text
    gru = _key("gru-sequence.yaml", tmp_path)
    assert (r"\delta^{h_{2}} &= W_{hr}^\top \delta^{a^{r}_{3}} + W_{hz}^\top \delta^{a^{z}_{3}} + W_{hn}^\top "
            r"\left(\delta^{a^{n}_{3}} \odot r_{3}\right) + \delta^{h_{3}} \odot z_{3} + {W^{(2)}}^\top "
            r"\delta^{\hat{y}_{2}} \\") in gru
    assert r"\delta^{z_{3}}_{1} &= \delta^{h_{3}}_{1} \left(h_{2,1} - n_{3,1}\right)" in gru


def test_gradient_norm_table_against_torch(tmp_path):
    """The key's ‖∂L/∂h_t‖ column, against the norms of h_t's gradients in a torch unroll."""
    pytest.importorskip("torch")
    data = _bundled("rnn-elman.yaml")
    layer, dense = data["network"]["layers"]
    w, u, b = (_t(layer[k]).requires_grad_() for k in ("weights", "recurrent_weights", "bias"))
    h, states = torch.zeros(2, dtype=torch.float64), []
    for x in _t(data["network"]["inputs"]["x"]):
        h = torch.tanh(w @ x + u @ h + b)
        h.retain_grad()
        states.append(h)
    ((_t(dense["weights"]) @ h - _t(data["target"])) ** 2).sum().backward()
    text = _key("rnn-elman.yaml", tmp_path)
    last = states[-1].grad.norm().item()
    for t in (3, 2, 1):
        norm = states[t - 1].grad.norm().item()
        shown = [display(sp.Float(v, 15), 4).latex for v in (norm, norm / last)]  # the key's 4 figures
        assert f"| ${t}$ | ${shown[0]}$ | ${shown[1]}$ |" in text


def test_the_diagram_has_one_column_per_time_step():
    from solver.key.model import Figure
    from solver.render.diagram import diagram
    problem = validate(_bundled("rnn-elman.yaml"), "rnn.yaml")
    graph = build_network(problem, problem.questions[0], "rnn.yaml")
    from solver.graph.tensor_spec import tensor_level
    d = diagram(Figure("tensors", tensor_level(graph), {t.key: "" for t in graph.tensors}), "key")
    at = {n.id: (n.x, n.y) for n in d.nodes}
    xs = [at[f"x-step{t}"][0] for t in (1, 2, 3)]
    assert xs == sorted(xs) and len(set(xs)) == 3
    assert [at[f"h_{t}"][0] for t in (1, 2, 3)] == pytest.approx(xs)  # h_t over x_t
    assert at["h_0"][0] < xs[0] < xs[-1] < at["L"][0]
    edges = {(e.src, e.dst) for e in d.edges}
    assert {("h_0", "h_1"), ("h_1", "h_2"), ("h_2", "h_3"), ("x-step2", "h_2"), ("h_3", "yhat")} <= edges
    assert "W_xh" not in at  # shared weights in the caption, not as boxes
    assert any("W_{xh}" in text for _, _, text in d.captions)
