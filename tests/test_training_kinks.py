"""A training run follows from the exact values (issue 11, item 13): a run that starts,
or stays, exactly at a kink takes the branch the exact value gives at every step, and
the tabulated step 1 is the derived step 1; a rounded value too close to a kink to be
decided stops the run with one line rather than a guess."""

from __future__ import annotations

from fractions import Fraction

import mpmath
import pytest

from solver.key.solve import solve
from solver.ops.functions import AmbiguousBranch, positive
from solver.problem import validate
from solver.render.answers import answers


def at_kink(activation: str, optimizer: dict, steps: int = 6) -> dict:
    """Hidden unit h1's pre-activation is 0.1·3 − 0.3 = 0 exactly (binary floats make it
    6.7e-52); h2 is an ordinary unit, so the loss and the other weights do move."""
    layer = {"units": 2, "activation": activation, "weights": [["0.1", "0.2"], ["0.4", "-0.3"]],
             "bias": ["-0.3", "0.1"]}
    if activation == "leaky_relu":
        layer["slope"] = "0.1"
    return {"title": "a unit at its kink", "network": {"inputs": {"x1": "3", "x2": "0"}, "layers": [
        layer, {"units": 1, "activation": "linear", "weights": [["0.5", "-0.7"]], "bias": "0.2"}]},
        "loss": "sse", "target": ["1"],
        "questions": [{"id": "run", "ask": ["train"], "steps": steps, "table_every": 1, "optimizer": optimizer}]}


OPTIMIZERS = [{"type": "sgd", "learning_rate": "0.1"}, {"type": "momentum", "learning_rate": "0.1"},
              {"type": "adam", "learning_rate": "0.05"}]


@pytest.mark.parametrize("optimizer", OPTIMIZERS, ids=lambda o: o["type"])
def test_a_relu_unit_at_its_kink_never_moves(optimizer):
    """ReLU'(0) = 0: no gradient reaches w1, w2 or b1 at any step, so they keep their exact
    values through the whole run, while the others move."""
    problem = validate(at_kink("relu", optimizer))
    found = [a for a in answers(solve(problem, "kink"))["questions"][0]["answers"] if a["kind"] == "update"]
    by: dict = {}
    for a in found:
        by.setdefault(a["of"], {})[a["step"]] = Fraction(a["exact"])  # "a/b" or 30 decimal digits
    for name, start in (("w1", "0.1"), ("w2", "0.2"), ("b1", "-0.3")):
        assert set(by[name]) == set(range(1, 7))
        assert set(by[name].values()) == {Fraction(start)}, (name, by[name])
    assert len(set(by["b3"].values())) > 1  # the output bias moves


def _plain_sgd(steps: int, eta=Fraction(1, 10), slope=Fraction(1, 10)):
    """The same network and SGD written out by hand in exact fractions: x = (3, 0),
    h_j = LeakyReLU(W1 x + b1) with LeakyReLU'(0) = slope, o = W2 h + b2, L = (o − 1)²."""
    W1 = [[Fraction(1, 10), Fraction(2, 10)], [Fraction(4, 10), Fraction(-3, 10)]]
    b1 = [Fraction(-3, 10), Fraction(1, 10)]
    W2, b2 = [Fraction(5, 10), Fraction(-7, 10)], Fraction(2, 10)
    x, y = [Fraction(3), Fraction(0)], Fraction(1)
    out = []
    for _ in range(steps + 1):
        z = [W1[j][0] * x[0] + W1[j][1] * x[1] + b1[j] for j in range(2)]
        h = [v if v > 0 else slope * v for v in z]
        o = W2[0] * h[0] + W2[1] * h[1] + b2
        out.append(((o - y) ** 2, [W1[0][0], W1[0][1], W1[1][0], W1[1][1], b1[0], b1[1], W2[0], W2[1], b2]))
        d_o = 2 * (o - y)
        d_z = [d_o * W2[j] * (1 if z[j] > 0 else slope) for j in range(2)]
        W2 = [W2[j] - eta * d_o * h[j] for j in range(2)]
        b2 = b2 - eta * d_o
        W1 = [[W1[j][i] - eta * d_z[j] * x[i] for i in range(2)] for j in range(2)]
        b1 = [b1[j] - eta * d_z[j] for j in range(2)]
    return out


def test_leaky_relu_at_its_kink_follows_the_exact_run():
    """LeakyReLU'(0) = α at every step where the exact pre-activation is 0: every loss and
    parameter of the table equals the hand-written exact run (w1..w4, b1, b2, w5, w6, b3)."""
    problem = validate(at_kink("leaky_relu", {"type": "sgd", "learning_rate": "0.1"}))
    found = answers(solve(problem, "kink"))["questions"][0]["answers"]
    want = _plain_sgd(6)
    names = ["w1", "w2", "w3", "w4", "b1", "b2", "w5", "w6", "b3"]
    checked = 0
    for a in found:
        if "step" not in a:
            continue
        loss, params = want[a["step"]]
        exact = loss if a["kind"] == "loss" else params[names.index(a["of"])]
        with mpmath.workdps(40):
            assert abs(mpmath.mpf(a["exact"]) - mpmath.mpf(exact.numerator) / exact.denominator) < mpmath.mpf("1e-28")
        checked += 1
    assert checked == 7 + 9 * 6


def test_the_run_and_the_derived_step_agree_at_a_kink():
    """The run's step 1 (compiled) against the derived step 1 (exact sympy), parameter by
    parameter, at an exact kink: equal exactly."""
    from solver.graph.backprop import backward, forward
    from solver.graph.network import build_network
    from solver.graph.training import train
    from solver.key.training import optimizer_of

    for activation in ("relu", "leaky_relu"):
        problem = validate(at_kink(activation, {"type": "sgd", "learning_rate": "0.1"}))
        q = problem.questions[0]
        graph = build_network(problem, q)
        values = forward(graph)
        grads = backward(graph, values)
        params = graph.parameters()
        snaps = {s.step: s for s in train(graph, grads, params, optimizer_of(q), 1, lambda t: True)}
        for k in params:
            derived = values[k] - q.optimizer.learning_rate * grads.adjoint.get(k, 0)
            got = snaps[1].params[k]
            assert Fraction(int(derived.p), int(derived.q)) == got, (activation, k, derived, got)


def test_a_rounded_value_too_close_to_a_kink_is_refused():
    with mpmath.workdps(50):
        assert positive(mpmath.mpf("1e-30")) and not positive(mpmath.mpf("-1e-30"))
        assert not positive(mpmath.mpf(0)) and not positive(Fraction(0)) and positive(Fraction(1, 10**60))
        with pytest.raises(AmbiguousBranch, match="within 1e-40 of a kink"):
            positive(mpmath.mpf("6.7e-52"))
