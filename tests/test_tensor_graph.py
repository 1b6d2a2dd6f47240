"""Tensor graph problems and convolutional networks (issue 13): the grammar, the shapes,
the key as written (exact strings), the answers JSON nested in each tensor's shape,
updates, training, and the two problem files of the issue checked against an
independent computation written here (fractions and mpmath, no solver code)."""

from __future__ import annotations

import json
import re
from fractions import Fraction as F
from pathlib import Path

import mpmath
import pytest
import sympy as sp

from solver.core.options import Options
from solver.graph.backprop import backward, forward
from solver.graph.spec import build_graph_spec
from solver.graph.tensor_spec import element_latex, tree_latex
from solver.key.solve import solve
from solver.problem.expressions import ExpressionError
from solver.problem.loader import load_problem
from solver.problem.tensor_expressions import parse_tensor_expression
from solver.problem.validation import validate
from solver.render.answers import answers
from solver.render.diagram import diagram

ROOT = Path(__file__).resolve().parent.parent
CONV = ROOT / "problems" / "conv-relu-maxpool.yaml"
CNN = ROOT / "problems" / "cnn-small.yaml"

NAMES = {k: k for k in ("X", "K", "b", "W", "x", "A", "B", "P", "T")}


@pytest.mark.parametrize("text, latex", [
    ("conv2d(X, K, b, stride=1, padding=1)", r"\operatorname{conv2d}(X, K, b)"),
    ("W @ x + b", "W x + b"),
    ("W @ (x + b)", r"W \left(x + b\right)"),
    ("sum(P * T)", r"\operatorname{sum}(P \odot T)"),
    ("mean(A, axis=0)", r"\operatorname{mean}_{\text{axis}=0}(A)"),
    ("relu(W @ x)", r"\operatorname{ReLU}(W x)"),
    ("transpose(A) @ B", r"A^{\top} B"),
    ("max(A, B)", r"\max(A, B)"),
    ("A ^ 2 - B", "A^{2} - B"),
    ("softmax(A, axis=1)", r"\operatorname{softmax}(A)"),
])
def test_expressions_print_as_written(text, latex):
    assert tree_latex(parse_tensor_expression(text, set(NAMES)), NAMES) == latex


@pytest.mark.parametrize("text, message", [
    ("conv2d(X)", "conv2d() takes 2 to 3 arguments"),
    ("conv2d(X, K, pad=1)", "conv2d() has no keyword 'pad' (it takes: stride, padding, dilation)"),
    ("conv2d(X, K, stride=0)", "conv2d(stride=…): must be a whole number from 1 to 64"),
    ("conv2d(X, K, stride=W)", "conv2d(stride=…): the value must be written as a number or a list of numbers"),
    ("reshape(A, shape=[2, 0])", "reshape(shape=…): a shape is a list of whole numbers (one may be -1)"),
    ("A % B", "the operator 'A % B' is not allowed (use + - * / @ ^)"),
    ("A.T", "'A.T' is not allowed"),
    ("frobnicate(A)", "unknown function 'frobnicate'"),
    ("A ^ B", "an exponent must be a whole number from 1 to 64"),
    ("leaky_relu(A)", "leaky_relu(x, slope) takes 2 arguments (got 1); slope is required, e.g. leaky_relu(x"
                      ", 0.01)"),
    ("elu(A, 1, 2)", "elu(x, alpha) takes 1 to 2 arguments (got 3)"),
    ("exp(A, 2)", "exp(x) takes 1 argument (got 2)"),
])
def test_expressions_outside_the_grammar_are_refused(text, message):
    with pytest.raises(ExpressionError) as err:
        parse_tensor_expression(text, set(NAMES))
    assert message in str(err.value)


def _graph(nodes: dict, inputs: dict, params: dict | None = None, output: str = "L", ask=("forward",), **q):
    problem = validate({"title": "t", "graph": {"inputs": inputs, "parameters": params or {}, "nodes": nodes,
                                                "output": output},
                        "questions": [{"id": "q", "ask": list(ask), **q}]})
    return problem, build_graph_spec(problem, problem.questions[0])


@pytest.mark.parametrize("expr, inputs, shape", [
    ("conv2d(X, K, stride=2, padding=1)", {"X": [[[1] * 5] * 5], "K": [[[[1] * 3] * 3]]}, (1, 3, 3)),
    ("conv2d(X, K, dilation=2)", {"X": [[[1] * 6] * 6], "K": [[[[1] * 3] * 3]] * 2}, (2, 2, 2)),
    ("maxpool2d(X, kernel=3, stride=2)", {"X": [[[1] * 7] * 7]}, (1, 3, 3)),
    ("avgpool2d(X, kernel=2, padding=1)", {"X": [[[1] * 3] * 3] * 2}, (2, 2, 2)),
    ("X @ K", {"X": [[1, 2, 3], [4, 5, 6]], "K": [[1], [2], [3]]}, (2, 1)),
    ("sum(X, axis=1)", {"X": [[1, 2, 3], [4, 5, 6]]}, (2,)),
    ("concat(X, X, axis=1)", {"X": [[1, 2], [4, 5]]}, (2, 4)),
    ("reshape(X, shape=[3, -1])", {"X": [[1, 2, 3], [4, 5, 6]]}, (3, 2)),
    ("X + K", {"X": [[1, 2, 3], [4, 5, 6]], "K": [10, 20, 30]}, (2, 3)),
])
def test_shapes_follow_pytorch(expr, inputs, shape):
    _, g = _graph({"Y": expr}, inputs, output="Y")
    assert next(t for t in g.tensors if t.key == "Y").shape == shape


@pytest.mark.parametrize("expr, inputs, message", [
    ("reshape(X, shape=[4, -1])", {"X": [[1, 2, 3], [4, 5, 6]]}, "reshape(): 6 elements do not fit the shape [4, -1]"),
    ("X + K", {"X": [[1, 2, 3]], "K": [1, 2]}, "'+': shapes 1×3 and 2 do not broadcast (axis -1: 3 against 2)"),
    ("maxpool2d(X, kernel=2, padding=2)", {"X": [[[1] * 4] * 4]},
     "maxpool2d(): the padding (2) may be at most half the kernel (2)"),
    ("conv2d(X, K)", {"X": [[[1] * 2] * 2], "K": [[[[1] * 3] * 3]]},
     "conv2d(): the window (3×3, dilation 1) is larger than the padded input (2×2)"),
    ("softmax(X, axis=2)", {"X": [[1, 2]]}, "softmax(): axis=2 but the argument has shape 1×2"),
])
def test_shapes_that_do_not_fit_are_named(expr, inputs, message):
    from solver.core.errors import ProblemError

    with pytest.raises(ProblemError) as err:
        _graph({"Y": expr}, inputs, output="Y")
    assert message in str(err.value) and err.value.field == "graph.nodes.Y"


def test_the_issue_conv_problem_values_and_gradients_against_a_direct_computation():
    problem = load_problem(str(CONV))
    g = build_graph_spec(problem, problem.questions[1])
    values = forward(g)
    grads = backward(g, values)
    X = [[1, 2, 0, 1], [0, 1, 3, 1], [2, 1, 0, 2], [1, 0, 1, 1]]
    K = [[F(2, 10), F(-1, 10), F(3, 10)], [0, F(5, 10), F(-4, 10)], [F(1, 10), F(2, 10), F(-3, 10)]]
    T = [[1, -1], [F(1, 2), 2]]
    pad = lambda i, j: X[i][j] if 0 <= i < 4 and 0 <= j < 4 else 0  # noqa: E731
    Z = [[sum(K[a][c] * pad(i + a - 1, j + c - 1) for a in range(3) for c in range(3)) + F(1, 10)
          for j in range(4)] for i in range(4)]
    H = [[max(z, 0) for z in row] for row in Z]
    # first maximum of each 2×2 window, in row-major order
    win = {(p, q): max(((H[2 * p + a][2 * q + c], -(2 * a + c), (2 * p + a, 2 * q + c))
                         for a in range(2) for c in range(2)))[2] for p in range(2) for q in range(2)}
    L = sum(H[win[(p, q)][0]][win[(p, q)][1]] * T[p][q] for p in range(2) for q in range(2))
    assert values["L"] == sp.Rational(L.numerator, L.denominator) == sp.Rational(17, 5)
    dZ = [[0] * 4 for _ in range(4)]
    for (p, q), (i, j) in win.items():
        dZ[i][j] = T[p][q] if Z[i][j] > 0 else 0
    dK = [[sum(dZ[i][j] * pad(i + a - 1, j + c - 1) for i in range(4) for j in range(4)) for c in range(3)]
          for a in range(3)]
    assert [[grads.adjoint[f"K[0,0,{a},{c}]"] for c in range(3)] for a in range(3)] == \
        [[sp.Rational(v.numerator, v.denominator) if isinstance(v, F) else v for v in row] for row in dK]
    assert grads.adjoint["b[0]"] == sp.Rational(5, 2)
    dX = [[sum(dZ[i][j] * K[a][c] for i in range(4) for j in range(4) for a in range(3) for c in range(3)
               if i + a - 1 == y and j + c - 1 == x) for x in range(4)] for y in range(4)]
    assert [[grads.adjoint[f"X[0,{y},{x}]"] for x in range(4)] for y in range(4)] == \
        [[sp.nsimplify(v) for v in row] for row in dX]


def test_the_issue_cnn_against_a_direct_computation():
    problem = load_problem(str(CNN))
    sol = solve(problem, "cnn-small", Options())
    got = {(a.kind, a.of): a for a in sol.sections[0].answers}
    X = [[F(1, 10), F(5, 10), F(-2, 10), F(3, 10)], [F(4, 10), F(-3, 10), F(2, 10), F(1, 10)],
         [F(-5, 10), F(2, 10), F(3, 10), F(-1, 10)], [F(2, 10), F(1, 10), F(-4, 10), F(6, 10)]]
    K = [[[F(2, 10), F(-1, 10), F(3, 10)], [F(1, 10), F(4, 10), F(-2, 10)], [F(-3, 10), F(2, 10), F(1, 10)]],
         [[F(-1, 10), F(3, 10), F(2, 10)], [F(2, 10), F(-2, 10), F(1, 10)], [F(4, 10), F(1, 10), F(-3, 10)]]]
    b = [F(1, 10), F(-1, 10)]
    A = [[[max(sum(K[o][a][c] * X[i + a][j + c] for a in range(3) for c in range(3)) + b[o], 0)
           for j in range(2)] for i in range(2)] for o in range(2)]
    flat = [max(max(r) for r in A[o]) for o in range(2)]
    W, c = [[F(1, 2), F(-2, 5)], [F(-3, 10), F(3, 5)]], [0, F(1, 10)]
    z = [sum(W[u][i] * flat[i] for i in range(2)) + c[u] for u in range(2)]
    with mpmath.workdps(40):
        e = [mpmath.exp(mpmath.mpf(v.numerator) / v.denominator) for v in z]
        p = [v / sum(e) for v in e]
        loss = -mpmath.log(p[1])
    assert abs(got[("value", "L")].value - float(loss)) < 1e-15
    assert got[("value", "L")].exact.startswith(mpmath.nstr(loss, 20)[:18])
    dz = [p[0], p[1] - 1]
    assert got[("gradient", "b4")].value == pytest.approx([float(v) for v in dz], abs=1e-15)
    assert [v for row in got[("gradient", "W4")].value for v in row] == pytest.approx(
        [float(dz[u] * flat[i]) for u in range(2) for i in range(2)], abs=1e-15)
    assert got[("gradient", "K1")].shape == [2, 1, 3, 3]


def test_tensor_answers_nest_value_exact_and_display_in_the_shape():
    data = answers(solve(load_problem(str(CONV)), "conv-relu-maxpool", Options()))
    fwd = {a["of"]: a for a in data["questions"][0]["answers"]}
    assert fwd["P"]["shape"] == [1, 2, 2]
    assert fwd["P"]["value"] == [[[0.4, 1.4], [1.2, 1.9]]]
    assert fwd["P"]["exact"] == [[["2/5", "7/5"], ["6/5", "19/10"]]]
    assert fwd["L"]["value"] == 3.4 and "shape" not in fwd["L"]
    grads = {a["of"]: a for a in data["questions"][1]["answers"] if not a.get("upstream")}
    assert grads["K"]["value"] == [[[[4.0, 2.0, -0.5], [0.0, 4.0, -0.5], [1.0, 3.5, 1.0]]]]
    assert grads["b"]["exact"] == ["5/2"]
    assert json.loads(json.dumps(data)) == data


def test_the_conv_key_as_written(tmp_path):
    from click.testing import CliRunner

    from solver.cli import main

    result = CliRunner().invoke(main, ["solve", str(CONV), "-o", str(tmp_path), "-f", "md"])
    assert result.exit_code == 0, result.output
    md = (tmp_path / "conv-relu-maxpool.md").read_text()
    assert (r"Z_{22} &= K_{11} X_{11} + K_{12} X_{12} + K_{13} X_{13} + K_{21} X_{21} + K_{22} X_{22} "
            r"+ K_{23} X_{23} + K_{31} X_{31}") in md
    assert r"P_{21} &= \max(H_{31}, H_{32}, H_{41}, H_{42}) = \max(1.2, 1.2, 0.7, 0) = 1.2" in md
    assert (r"M &= \left[\begin{array}{rrrr} 0 & 1 & 0 & 0 \\ 0 & 0 & 1 & 0 \\ 1 & 0 & 0 & 1 \\ "
            r"0 & 0 & 0 & 0 \end{array}\right]") in md
    assert ("The window of $P_{21}$ has a tie, $H_{31} = H_{32} = 1.2$: the gradient goes to the first "
            "maximal element in row-major order, $H_{31}$, as PyTorch does.") in md
    assert (r"\frac{\partial L}{\partial b} &= \delta^{Z}_{12} + \delta^{Z}_{23} + \delta^{Z}_{31} + "
            r"\delta^{Z}_{34} = 1 - 1 + 0.5 + 2 = 2.5") in md
    assert r"\left\lfloor \frac{4 + 2\cdot1 - 1\cdot(3-1) - 1}{1} \right\rfloor + 1 = 4" in md
    assert md.count("has a tie") == 2  # the note of question 1 and the routing of question 2, not again


def test_a_large_convolution_works_one_cell_and_marks_its_window():
    X = [[[(i * 7 + j * 3) % 5 for j in range(6)] for i in range(6)]]
    problem, _ = _graph({"Z": "conv2d(X, K, padding=1)", "L": "sum(Z)"}, {"X": X},
                        {"K": [[[[1, 0, -1], [2, 0, -2], [1, 0, -1]]]]})
    sol = solve(problem, "big", Options())
    eqs = [e for p in sol.sections[0].parts for b in p.blocks for e in b.equations]
    assert sum(1 for e in eqs if e.lhs.startswith("Z_{")) == 1  # one cell worked
    assert eqs[0].lhs == "X" and eqs[0].parts[0][1].count(r"\mathbf{") == 9
    assert eqs[1].lhs == "Z_{22}"


def test_update_and_training_of_a_tensor_graph():
    problem, _ = _graph({"z": "W @ x", "L": "sum(square(z - y))"}, {"x": [1, 2], "y": [1, 0]},
                        {"W": [[0.5, 0], [0, 0.5]]}, ask=("gradients", "update"), gradients=["W"], learning_rate=0.1)
    sec = solve(problem, "u", Options()).sections[0]
    up = next(a for a in sec.answers if a.kind == "update")
    # z = (0.5, 1), dL/dz = 2 (z - y) = (-1, 2), dL/dW = dz x^T = [[-1, -2], [2, 4]]
    assert up.exact == [["3/5", "1/5"], ["-1/5", "1/10"]] and up.shape == [2, 2]
    train = validate({"title": "t", "graph": {"inputs": {"x": [1, 2], "y": [1, 0]}, "parameters": {"W": [[0.5, 0], [0, 0.5]]},
                                              "nodes": {"z": "W @ x", "L": "sum(square(z - y))"}, "output": "L"},
                      "questions": [{"id": "q", "ask": ["train"], "learning_rate": 0.1, "steps": 3,
                                     "gradients": ["W"]}]})
    sec = solve(train, "t", Options()).sections[0]
    losses = [a for a in sec.answers if a.kind == "loss"]
    W = [[F(1, 2), F(0)], [F(0), F(1, 2)]]
    for step in range(4):
        z = [W[0][0] + 2 * W[0][1], W[1][0] + 2 * W[1][1]]
        loss = (z[0] - 1) ** 2 + z[1] ** 2
        assert next(a for a in losses if a.step == step).exact == str(loss)
        dz = [2 * (z[0] - 1), 2 * z[1]]
        W = [[W[r][c] - F(1, 10) * dz[r] * (1, 2)[c] for c in range(2)] for r in range(2)]


def test_report_lists_every_reported_node_in_a_scalar_graph():
    problem, _ = _graph({"a": "x * 2", "L": "a + 1"}, {"x": 3}, report=["a", "L"])
    assert solve(problem, "r", Options()).sections[0].final == ("a = 6", "L = 7")


def test_the_diagram_has_one_box_per_tensor_with_its_shape():
    sol = solve(load_problem(str(CONV)), "conv", Options())
    d = diagram(sol.figure, "key")
    assert sorted(n.id for n in d.nodes) == ["H", "K", "L", "P", "T", "X", "Z", "b"]
    notes = {n.id: n.note for n in d.nodes}
    assert notes["Z"] == r"1 \times 4 \times 4" and notes["L"] == r"\text{scalar}"


def test_element_names_drop_axes_of_size_one():
    assert element_latex("X", (1, 4, 4), (0, 1, 2)) == "X_{23}"
    assert element_latex("K", (2, 1, 3, 3), (1, 0, 0, 2)) == "K_{213}"
    assert element_latex("x_{0}", (12,), (10,)) == "x_{0,11}"  # one subscript, the name's and the index
    assert element_latex("b", (1,), (0,)) == "b"


BATCH = {
    "title": "A batch of two images",
    "network": {
        "inputs": {"X": [[[[0.1, 0.5, -0.2], [0.4, -0.3, 0.2], [-0.5, 0.2, 0.3]]],
                         [[[0.3, -0.1, 0.2], [0.0, 0.6, -0.4], [0.2, 0.1, -0.3]]]]},
        "layers": [
            {"type": "conv2d", "out_channels": 2, "kernel": 2, "activation": "relu",
             "weights": [[[[0.2, -0.1], [0.1, 0.4]]], [[[-0.3, 0.2], [0.5, 0.1]]]], "bias": [0.1, 0.0]},
            {"type": "maxpool2d", "kernel": 2},
            {"type": "flatten"},
            {"units": 2, "activation": "softmax", "weights": [[0.5, -0.4], [-0.3, 0.6]], "bias": [0, 0.1]}]},
    "loss": "cross_entropy",
    "target": [{"class": 2}, {"class": 1}],
    "questions": [{"id": "q1", "ask": ["forward", "loss", "gradients"]}],
}


def test_a_batch_of_images_is_the_mean_of_its_examples():
    """Each image alone through the same network, against the batch (mean of the losses,
    mean of the gradients), and against PyTorch where installed."""
    whole = {(a.kind, a.of): a for a in solve(validate(BATCH), "b", Options()).sections[0].answers}
    alone = []
    for n in range(2):
        single = json.loads(json.dumps(BATCH))
        single["network"]["inputs"]["X"] = BATCH["network"]["inputs"]["X"][n]
        single["target"] = BATCH["target"][n]
        alone.append({(a.kind, a.of): a for a in solve(validate(single), "s", Options()).sections[0].answers})
    assert whole[("value", "L")].value == pytest.approx((alone[0][("value", "L")].value
                                                        + alone[1][("value", "L")].value) / 2, abs=1e-15)
    for name in ("K1", "b1", "W4", "b4"):
        flat = lambda v: [x for r in v for x in flat(r)] if isinstance(v, list) else [v]  # noqa: E731
        mean = [(a + b) / 2 for a, b in zip(flat(alone[0][("gradient", name)].value),
                                            flat(alone[1][("gradient", name)].value))]
        assert flat(whole[("gradient", name)].value) == pytest.approx(mean, abs=1e-15)
    torch = pytest.importorskip("torch")
    t = lambda v: torch.tensor(v, dtype=torch.float64, requires_grad=True)  # noqa: E731
    X = torch.tensor(BATCH["network"]["inputs"]["X"], dtype=torch.float64)
    K, b = t(BATCH["network"]["layers"][0]["weights"]), t([0.1, 0.0])
    W, c = t([[0.5, -0.4], [-0.3, 0.6]]), t([0.0, 0.1])
    P = torch.nn.functional.max_pool2d(torch.relu(torch.nn.functional.conv2d(X, K, b)), 2)
    loss = torch.nn.functional.cross_entropy(P.flatten(1) @ W.T + c, torch.tensor([1, 0]))
    loss.backward()
    assert whole[("value", "L")].value == pytest.approx(loss.item(), abs=1e-14)
    assert torch.tensor(whole[("gradient", "K1")].value, dtype=torch.float64).flatten().tolist() == pytest.approx(
        K.grad.flatten().tolist(), abs=1e-14)


def _cnn_small_sgd(steps: int, rate) -> list:
    """cnn-small's network trained by plain SGD, written out by hand in mpmath at 50 digits:
    conv 3×3 (valid) + ReLU, 2×2 max-pooling with stride 1 (the first maximum routes), flatten,
    dense 2 + softmax, cross-entropy with class 2. Returns [(loss, K, b, W, c)] for steps 0…steps."""
    with mpmath.workdps(50):
        m = lambda x: mpmath.mpf(F(x).numerator) / F(x).denominator  # noqa: E731
        X = [[m(v) for v in row] for row in [["0.1", "0.5", "-0.2", "0.3"], ["0.4", "-0.3", "0.2", "0.1"],
                                             ["-0.5", "0.2", "0.3", "-0.1"], ["0.2", "0.1", "-0.4", "0.6"]]]
        K = [[[m(v) for v in r] for r in k] for k in (
            [["0.2", "-0.1", "0.3"], ["0.1", "0.4", "-0.2"], ["-0.3", "0.2", "0.1"]],
            [["-0.1", "0.3", "0.2"], ["0.2", "-0.2", "0.1"], ["0.4", "0.1", "-0.3"]])]
        b, W, c = [m("0.1"), m("-0.1")], [[m("0.5"), m("-0.4")], [m("-0.3"), m("0.6")]], [m(0), m("0.1")]
        out = []
        for step in range(steps + 1):
            Z = [[[sum(K[o][i][j] * X[p + i][q + j] for i in range(3) for j in range(3)) + b[o] for q in range(2)]
                  for p in range(2)] for o in range(2)]
            A = [[[max(v, 0) for v in row] for row in Z[o]] for o in range(2)]
            cells = [[(A[o][p][q], (p, q)) for p in range(2) for q in range(2)] for o in range(2)]
            arg = [next(pos for v, pos in cells[o] if v == max(v for v, _ in cells[o])) for o in range(2)]
            Fl = [A[o][arg[o][0]][arg[o][1]] for o in range(2)]
            z = [W[u][0] * Fl[0] + W[u][1] * Fl[1] + c[u] for u in range(2)]
            e = [mpmath.exp(v) for v in z]
            prob = [v / sum(e) for v in e]
            out.append((-mpmath.log(prob[1]), K, b, W, c))
            if step == steps:
                return out
            dz = [prob[0], prob[1] - 1]
            dF = [W[0][i] * dz[0] + W[1][i] * dz[1] for i in range(2)]
            dZ = [[[dF[o] if (p, q) == arg[o] and Z[o][p][q] > 0 else 0 for q in range(2)] for p in range(2)]
                  for o in range(2)]
            K = [[[K[o][i][j] - rate * sum(dZ[o][p][q] * X[p + i][q + j] for p in range(2) for q in range(2))
                   for j in range(3)] for i in range(3)] for o in range(2)]
            b = [b[o] - rate * sum(dZ[o][p][q] for p in range(2) for q in range(2)) for o in range(2)]
            W = [[W[u][i] - rate * dz[u] * Fl[i] for i in range(2)] for u in range(2)]
            c = [c[u] - rate * dz[u] for u in range(2)]


def test_cnn_training_against_a_run_written_out_by_hand():
    sol = answers(solve(load_problem(str(CNN)), "cnn-small", Options()))
    found = sol["questions"][1]["answers"]
    run = _cnn_small_sgd(20, F(1, 2))
    losses = {a["step"]: a for a in found if a["kind"] == "loss"}
    assert sorted(losses) == [0, 5, 10, 15, 20]
    close = lambda exact, value: abs(mpmath.mpf(exact) - value) < mpmath.mpf(10) ** -25  # noqa: E731
    with mpmath.workdps(50):
        assert all(close(a["exact"], run[step][0]) for step, a in losses.items())
    updates = {(a["of"], a["step"]): a for a in found if a["kind"] == "update"}
    assert sorted({s for _, s in updates}) == [1, 5, 10, 15, 20]
    for step in (1, 20):
        _, K, b, W, c = run[step]
        got = updates[("K1", step)]
        assert got["shape"] == [2, 1, 3, 3]
        with mpmath.workdps(50):
            assert all(close(got["exact"][o][0][i][j], K[o][i][j]) for o in range(2) for i in range(3) for j in range(3))
        assert [float(v) for v in W[0]] == pytest.approx(updates[("W4", step)]["value"][0], abs=1e-15)
        assert [float(v) for v in c] == pytest.approx(updates[("b4", step)]["value"], abs=1e-15)


@pytest.mark.parametrize("nodes, size, message, field", [
    ({"L": "sum(X)"}, 70, "a tensor of shape 1×70×70 has more than 4096 elements", "graph.inputs.X"),
    ({"Z": "conv2d(X, K, padding=1)", "Y": "conv2d(Z, K, padding=1)", "L": "sum(Y)"}, 60,
     "the tensors' elements read 130,336 elements in all", "graph.output"),
])
def test_tensor_limits_are_named(nodes, size, message, field):
    from solver.core.errors import ProblemError

    with pytest.raises(ProblemError) as err:
        _graph(nodes, {"X": [[[1] * size] * size]}, {"K": [[[[1, 0, 1]] * 3]]})
    assert message in str(err.value) and err.value.field == field


def test_training_work_of_a_tensor_graph_is_limited():
    from solver.core.errors import ProblemError

    with pytest.raises(ProblemError) as err:
        _graph({"Z": "conv2d(X, K, padding=1)", "L": "sum(Z)"}, {"X": [[[1] * 20] * 20]}, {"K": [[[[1, 0, 1]] * 3]]},
               ask=("train",), learning_rate=0.1, steps=1000, gradients=["K"])
    assert "at most 1,500,000: take fewer steps" in str(err.value) and err.value.field == "questions[0].steps"


def test_a_graph_batch_averages_the_examples_losses_as_a_network_does():
    problem = validate({"title": "t", "graph": {
        "inputs": {"x": [1, 2, 3], "y": [2, 4, 5]}, "parameters": {"w": 1.5, "b": 0.5},
        "nodes": {"yhat": "w * x + b", "l": "(yhat - y) ^ 2"}, "output": "l", "batch": "mean"},
        "questions": [{"id": "q", "ask": ["forward", "gradients", "update"], "learning_rate": 0.1}]})
    sec = solve(problem, "b", Options()).sections[0]
    got = {(a.kind, a.of): a.exact for a in sec.answers}
    # ŷ = (2, 3.5, 5), l = (0, 0.25, 0): L = 1/12; ∂L/∂w = mean(2(ŷ − y) x) = −2/3, ∂L/∂b = −1/3
    assert got[("value", "L")] == "1/12"
    assert got[("gradient", "w")] == "-2/3" and got[("gradient", "b")] == "-1/3"
    assert got[("update", "w")] == "47/30" and got[("update", "b")] == "8/15"
    forward = next(p for p in sec.parts if p.heading == "Forward pass")
    assert forward.blocks[-1].title == r"$L = \operatorname{mean}(l)$"
    assert forward.blocks[0].title == r"$\hat{y} = w x + b$"


NORM = {"title": "t", "graph": {
    "inputs": {"X": [[1, 2], [3, 0], [-1, 1]], "M": [[1, 0], [1, 1], [0, 1]]},
    "parameters": {"g": [1.5, 0.5], "b": [0.1, -0.2]},
    "nodes": {"B": "batchnorm(X, g, b, eps=1e-5)", "N": "layernorm(B, g, b, eps=0.001)",
              "D": "dropout(N, M, p=0.25)", "L": "sum(D * D)"}, "output": "L"},
    "questions": [{"id": "q", "ask": ["forward", "gradients"], "gradients": ["g", "b", "X"]}]}


def _norm_loss(X, g, b):
    """The loss of NORM written out in mpmath: batch norm over the rows (biased variance),
    layer norm over each row, dropout with the mask scaled by 1/(1 − p)."""
    M, p = [[1, 0], [1, 1], [0, 1]], mpmath.mpf(1) / 4

    def norm(xs, eps):
        mu = sum(xs) / len(xs)
        var = sum((x - mu) ** 2 for x in xs) / len(xs)
        return [(x - mu) / mpmath.sqrt(var + eps) for x in xs]
    cols = [norm([X[r][c] for r in range(3)], mpmath.mpf(10) ** -5) for c in range(2)]
    B = [[g[c] * cols[c][r] + b[c] for c in range(2)] for r in range(3)]
    N = [[g[c] * v + b[c] for c, v in enumerate(norm(B[r], mpmath.mpf(1) / 1000))] for r in range(3)]
    return sum((N[r][c] * M[r][c] / (1 - p)) ** 2 for r in range(3) for c in range(2))


def test_batchnorm_layernorm_dropout_against_finite_differences_and_torch():
    sol = solve(validate(NORM), "n", Options())
    got = {(a.kind, a.of): a for a in sol.sections[0].answers}
    with mpmath.workdps(60):
        X = [[mpmath.mpf(v) for v in row] for row in NORM["graph"]["inputs"]["X"]]
        g, b = [mpmath.mpf("1.5"), mpmath.mpf("0.5")], [mpmath.mpf("0.1"), mpmath.mpf("-0.2")]
        assert abs(mpmath.mpf(got[("value", "L")].exact) - _norm_loss(X, g, b)) < mpmath.mpf(10) ** -25
        h = mpmath.mpf(10) ** -20

        def diff(bump):
            return (_norm_loss(*bump(h)) - _norm_loss(*bump(-h))) / (2 * h)
        for c in range(2):
            dg = diff(lambda e: (X, [g[k] + (e if k == c else 0) for k in range(2)], b))
            db = diff(lambda e: (X, g, [b[k] + (e if k == c else 0) for k in range(2)]))
            assert abs(mpmath.mpf(got[("gradient", "g")].exact[c]) - dg) < mpmath.mpf(10) ** -15
            assert abs(mpmath.mpf(got[("gradient", "b")].exact[c]) - db) < mpmath.mpf(10) ** -15
        for r in range(3):
            for c in range(2):
                dx = diff(lambda e: ([[X[i][j] + (e if (i, j) == (r, c) else 0) for j in range(2)] for i in range(3)],
                                     g, b))
                assert abs(mpmath.mpf(got[("gradient", "X")].exact[r][c]) - dx) < mpmath.mpf(10) ** -15
    torch = pytest.importorskip("torch")
    t = lambda v: torch.tensor(v, dtype=torch.float64, requires_grad=True)  # noqa: E731
    Xt, gt, bt = t([[1., 2], [3, 0], [-1, 1]]), t([1.5, 0.5]), t([0.1, -0.2])
    B = torch.nn.functional.batch_norm(Xt, None, None, gt, bt, training=True, eps=1e-5)
    N = torch.nn.functional.layer_norm(B, (2,), gt, bt, eps=1e-3)
    loss = ((N * torch.tensor([[1., 0], [1, 1], [0, 1]], dtype=torch.float64) / 0.75) ** 2).sum()
    loss.backward()
    assert got[("value", "L")].value == pytest.approx(loss.item(), rel=1e-13)
    assert got[("gradient", "X")].value == [pytest.approx(row, abs=1e-12) for row in Xt.grad.tolist()]


@pytest.mark.parametrize("expr, message", [
    ("batchnorm(X, g, b, eps=e)", "batchnorm(eps=…): the value must be written as a number"),
    ("dropout(X, M, p=1)", "dropout(): p must be at least 0 and less than 1 (got 1)"),
    ("layernorm(X, b, b)", None),
])
def test_normalisation_arguments(expr, message):
    from solver.core.errors import ProblemError

    data = json.loads(json.dumps(NORM))
    data["graph"]["inputs"]["e"] = 1
    data["graph"]["nodes"] = {"Y": expr, "L": "sum(Y)"}
    if message is None:
        solve(validate(data), "n", Options())
        return
    with pytest.raises(ProblemError) as err:
        build_graph_spec(validate(data), validate(data).questions[0])
    assert message in str(err.value)


def test_update_biases_false_leaves_a_conv_networks_biases_and_a_graphs_parameters_are_all_updated():
    import yaml

    data = yaml.safe_load(CNN.read_text(encoding="utf-8"))
    data["questions"] = [{"id": "u", "ask": ["update"], "learning_rate": 0.1, "update_biases": False}]
    updated = {a.of for a in solve(validate(data), "c", Options()).sections[0].answers if a.kind == "update"}
    assert updated == {"K1", "W4"}  # b1 and b4 are biases
    data = yaml.safe_load(CONV.read_text(encoding="utf-8"))
    data["questions"] = [{"id": "u", "ask": ["update"], "learning_rate": 0.1, "update_biases": False}]
    updated = {a.of for a in solve(validate(data), "c", Options()).sections[0].answers if a.kind == "update"}
    assert updated == {"K", "b"}  # a graph's parameters are parameters, whatever their names


@pytest.mark.parametrize("name", sorted(__import__("solver.ops.tensor", fromlist=["NAMED"]).NAMED))
def test_operation_notes_escape_tex_specials_outside_math(name):
    # avgpool2d's note wrote PyTorch's count_include_pad=True in text mode: "Missing $ inserted",
    # so no key using avgpool2d built as a PDF
    from solver.ops.tensor import NAMED
    prose = re.sub(r"\$[^$]*\$", "", NAMED[name].note or "")
    assert not re.search(r"(?<!\\)[_%&#^]", prose), prose


@pytest.mark.parametrize("fmt", ["md", "tex", "html", "json"])
def test_a_constant_stage_is_a_box_of_its_own_in_every_format(fmt):
    """``c: "2"`` reads no tensor: its diagram box had the int 0 as its expression, and the
    Markdown key's diagram crashed on it (``'int' object has no attribute 'free_symbols'``).
    As in a scalar graph, the stage is worked out as a constant and feeds L."""
    from solver.render import render

    problem, _ = _graph({"c": "2", "L": "sum(X @ w) * c"}, {"X": [[1, 2], [3, 0]]}, {"w": [1, 0.5]},
                        ask=("forward", "gradients"), gradients=["w"])
    sol = solve(problem, "const", Options())
    d = diagram(sol.figure, "key")
    assert sorted(n.id for n in d.nodes) == ["L", "X", "c", "w"]
    assert {n.id: n.note for n in d.nodes}["c"] == r"\text{scalar}"
    text = render(sol, fmt)
    if fmt == "json":
        data = json.loads(text)["questions"][0]["answers"]
        # X w = (2, 3), L = 2 (2 + 3) = 10; ∂L/∂w = 2 Xᵀ 1 = 2 (4, 2)
        assert {a["of"]: a["exact"] for a in data if a["kind"] != "gradient" or not a.get("upstream")} \
            == {"c": "2", "L": "10", "w": ["8", "4"]}
    else:
        assert "10" in text and "8" in text
    if fmt == "md":
        assert re.search(r"^c &= 2( \\\\)?$", text, re.M) and "c &= 2 = 2" not in text  # the constant once
        assert (r"&= \left((1)(1) + (2)(0.5) + (3)(1) + (0)(0.5)\right)(2) = 10") in text
        assert r"\frac{\partial L}{\partial w} &= \left[\begin{array}{rr} 8 & 4 \end{array}\right]" in text


def test_a_constant_output_solves_with_zero_gradients():
    """``L: -0.0`` (a fuzzed batchnorm file): L is the constant 0, every gradient 0."""
    problem, _ = _graph({"Y": "batchnorm(X, gamma, beta, eps=0.00001)", "L": "-0.0"},
                        {"X": [[1, 2], [3, 0], [0, 1], [2, 5]]}, {"gamma": [1, 0.5], "beta": [0, 0.1]},
                        ask=("forward", "gradients"), gradients=["gamma", "beta", "X"])
    data = answers(solve(problem, "bn0", Options()))["questions"][0]["answers"]
    grads = {a["of"]: a["exact"] for a in data if a["kind"] == "gradient" and not a.get("upstream")}
    assert grads == {"gamma": ["0", "0"], "beta": ["0", "0"], "X": [["0", "0"]] * 4}
    assert diagram(solve(problem, "bn0", Options()).figure, "key") is not None
