"""Weight penalties (``loss.regularization``) and the loss after an update
(``ask: [update, loss_after]``): exact values and the key's text.

The answers of bundled and random problems with penalties are checked against the
independent oracle in tests/test_oracle.py (``check_solution``: the penalty ``R``, every
gradient by finite differences, the update, and the loss after it); here the values of
seed 000's network under an L2 penalty are checked exactly, by hand, and the step
against ``torch.optim.SGD(weight_decay=λ)`` where PyTorch is installed.
"""

from __future__ import annotations

from fractions import Fraction

import pytest

from solver.core.options import Options
from solver.key.solve import solve
from solver.problem import validate
from solver.render import render
from solver.render.answers import answers


def _seed(reg: dict, ask=("loss", "gradients", "update", "loss_after"), **question) -> dict:
    return {"title": "seed 000 with a penalty",
            "network": {"inputs": {"x1": 1, "x2": 2}, "naming": "sequential", "layers": [
                {"units": 2, "activation": "relu", "weights": [[0.2, 0.1], [0.3, 0.2]], "bias": 0.1},
                {"units": 2, "activation": "relu", "weights": [[0.1, 0.2], [0.4, 0.3]], "bias": 0.2}]},
            "loss": {"type": "sse", "regularization": reg}, "target": [0, 1],
            "questions": [{"id": "q", "ask": list(ask), "learning_rate": 0.1, **question}]}


def _answers(data: dict, style: str | None = None) -> dict:
    out = {}
    for a in answers(solve(validate(data), "p", Options(style=style)))["questions"][0]["answers"]:
        out.setdefault((a["kind"], a["of"]), Fraction(a["exact"]))
    return out


def _markdown(data: dict, style: str | None = None) -> str:
    return render(solve(validate(data), "p", Options(style=style)), "md")


# Seed 000 (outputs 0.41, 0.64; targets 0, 1): the data gradients are known from the seed.
DATA_GRADIENTS = {"w1": Fraction("-0.206"), "w2": Fraction("-0.412"), "w3": Fraction("-0.052"),
                  "w4": Fraction("-0.104"), "w5": Fraction("0.41"), "w6": Fraction("0.656"),
                  "w7": Fraction("-0.36"), "w8": Fraction("-0.576"), "b1": Fraction("-0.258"),
                  "b2": Fraction("0.1")}
WEIGHTS = {"w1": "0.2", "w2": "0.1", "w3": "0.3", "w4": "0.2", "w5": "0.1", "w6": "0.2", "w7": "0.4",
           "w8": "0.3", "b1": "0.1", "b2": "0.2"}


@pytest.mark.parametrize("style", [None, "matrix", "graph"])
def test_l2_penalty_adds_lambda_w_to_each_weight_gradient(style):
    got = _answers(_seed({"l2": 0.01}), style)
    assert got[("penalty", "R")] == Fraction("0.0024")  # 0.005 · (0.04 + 0.01 + 0.09 + 0.04 + 0.01 + 0.04 + 0.16 + 0.09)
    assert got[("loss", "L")] == Fraction("0.1681") + Fraction("0.1296") + Fraction("0.0024")
    for k, data in DATA_GRADIENTS.items():
        penalty = Fraction("0.01") * Fraction(WEIGHTS[k]) if k.startswith("w") else 0
        assert got[("gradient", k)] == data + penalty, k
        assert got[("update", k)] == Fraction(WEIGHTS[k]) - Fraction("0.1") * (data + penalty), k


def test_l1_penalty_with_biases_and_sgn_zero():
    data = _seed({"l1": 0.05, "include_biases": True})
    data["network"]["layers"][1]["weights"][0][0] = 0  # w5 = 0: sgn(0) = 0, so no penalty gradient
    got = _answers(data)
    weights = dict(WEIGHTS, w5="0")
    assert got[("penalty", "R")] == Fraction("0.05") * sum(abs(Fraction(v)) for v in weights.values())
    # w5 = 0 changes o1 to 0.36 (z = 0·0.5 + 0.2·0.8 + 0.2): ∂L/∂w5 = 2 · 0.36 · 0.5 + 0.05 · sgn(0)
    assert got[("gradient", "w5")] == Fraction("0.36")
    # ∂L/∂b2 = 2 · 0.36 + 2 · (0.64 − 1) + 0.05 · sgn(0.2)
    assert got[("gradient", "b2")] == 2 * Fraction("0.36") + 2 * Fraction("-0.36") + Fraction("0.05")
    text = _markdown(data)
    assert r"\operatorname{sgn}(0) = 0" in text
    assert r"0.05 \operatorname{sgn}(w_{5})" in text


def test_the_key_writes_the_data_gradient_plus_the_penalty_gradient():
    text = _markdown(_seed({"l2": 0.01}))
    assert r"L_{\text{data}} = \sum_k (o_k - y_k)^2,\quad L = L_{\text{data}} + R,\quad R = \frac{0.01}{2} \sum w^2" in text
    assert "The penalty $R$ covers the 8 weights; the biases are not penalised." in text
    assert (r"\frac{\partial L}{\partial w_{1}} &= \frac{\partial L}{\partial z_{h_{1}}} \frac{\partial z_{h_{1}}}"
            r"{\partial w_{1}} + \frac{\partial R}{\partial w_{1}} = \frac{\partial L}{\partial z_{h_{1}}} x_{1}"
            r" + 0.01 w_{1}") in text
    assert r"&= (-0.206)(1) + 0.01 (0.2) = (-0.206)(1) + 0.002 = -0.204" in text
    assert "Upstream gradient at $R$" not in text  # ∂L/∂R = 1 goes without saying
    assert r"\frac{\partial L}{\partial b_{1}} &= \frac{\partial L}{\partial z_{h_{1}}}" in text
    assert r"\frac{\partial R}{\partial b_{1}}" not in text


def test_matrix_style_shows_the_data_and_penalty_matrices():
    text = _markdown(_seed({"l2": 0.01}), "matrix")
    assert r"\frac{\partial L}{\partial W^{(2)}} &= \delta^{(2)} {a^{(1)}}^\top + 0.01 W^{(2)}" in text
    data = r"\left[\begin{array}{rr} 0.41 & 0.656 \\ -0.36 & -0.576 \end{array}\right]"
    penalty = r"\left[\begin{array}{rr} 0.001 & 0.002 \\ 0.004 & 0.003 \end{array}\right]"
    total = r"\left[\begin{array}{rr} 0.411 & 0.658 \\ -0.356 & -0.573 \end{array}\right]"
    assert f"{data} + {penalty} = {total}" in text


def test_loss_after_the_update_for_each_example_and_the_batch():
    data = {"title": "batch", "network": {"inputs": {"x1": [1, 2], "x2": [0, -1]}, "layers": [
        {"units": 1, "activation": "linear", "weights": [[0.5, -0.5]], "bias": 0}]},
        "loss": {"type": "half_sse", "batch": "mean", "regularization": {"l2": 1}},
        "target": [1, 2], "questions": [{"id": "q", "ask": ["update", "loss_after", "forward_after"],
                                         "learning_rate": 0.5}]}
    got = _answers(data)
    # before: o = 0.5, 1.5; ∂L/∂w1 = ½[(−0.5)(1) + (−0.5)(2)] + 0.5 = −0.25, ∂L/∂w2 = ½(−0.5)(−1) − 0.5 = −0.25,
    # ∂L/∂b = ½(−0.5 − 0.5) = −0.5; after: w = (0.625, −0.375), b = 0.25
    assert (got[("update", "w1")], got[("update", "w2")], got[("update", "b1")]) == (
        Fraction("0.625"), Fraction("-0.375"), Fraction("0.25"))
    assert got[("value_after", "o1#1")] == Fraction("0.875")   # 0.625 + 0.25
    assert got[("value_after", "o1#2")] == Fraction("1.875")   # 1.25 + 0.375 + 0.25
    assert got[("loss_after", "L#1")] == Fraction(1, 2) * Fraction("0.125") ** 2
    assert got[("loss_after", "L#2")] == Fraction(1, 2) * Fraction("0.125") ** 2
    assert got[("loss_after", "R")] == Fraction(1, 2) * (Fraction("0.625") ** 2 + Fraction("0.375") ** 2)
    assert got[("loss_after", "L")] == (got[("loss_after", "L#1")] + got[("loss_after", "L#2")]) / 2 + \
        got[("loss_after", "R")]
    text = _markdown(data)
    assert "### After the update" in text
    assert "The loss falls from $0.375$ to $0.2734$" in text  # 0.125 + 0.25 → 0.0078125 + 0.265625


def test_penalty_step_equals_torch_sgd_weight_decay():
    """(λ/2)‖w‖² on the weights with SGD is torch.optim.SGD(weight_decay=λ) on the weights
    (biases in a group without decay), one step, float64."""
    torch = pytest.importorskip("torch")
    got = _answers(_seed({"l2": 0.01}))
    W1 = torch.tensor([[0.2, 0.1], [0.3, 0.2]], dtype=torch.float64, requires_grad=True)
    W2 = torch.tensor([[0.1, 0.2], [0.4, 0.3]], dtype=torch.float64, requires_grad=True)
    b1 = torch.tensor(0.1, dtype=torch.float64, requires_grad=True)
    b2 = torch.tensor(0.2, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([{"params": [W1, W2], "weight_decay": 0.01}, {"params": [b1, b2]}], lr=0.1)
    x = torch.tensor([1.0, 2.0], dtype=torch.float64)
    o = torch.relu(W2 @ torch.relu(W1 @ x + b1) + b2)
    ((o - torch.tensor([0.0, 1.0], dtype=torch.float64)) ** 2).sum().backward()
    opt.step()
    names = [("w1", W1, 0, 0), ("w2", W1, 0, 1), ("w3", W1, 1, 0), ("w4", W1, 1, 1),
             ("w5", W2, 0, 0), ("w6", W2, 0, 1), ("w7", W2, 1, 0), ("w8", W2, 1, 1)]
    for k, t, r, c in names:
        assert abs(float(got[("update", k)]) - t[r, c].item()) < 1e-15, k
    assert abs(float(got[("update", "b1")]) - b1.item()) < 1e-15
    assert abs(float(got[("update", "b2")]) - b2.item()) < 1e-15
