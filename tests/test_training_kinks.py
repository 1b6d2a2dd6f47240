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


# --- random networks that start exactly at a kink ----------------------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


def _exact_run(W1, b1, W2, b2, x, y, act, slope, eta, mu, steps):
    """Plain exact SGD (mu = 0) or PyTorch momentum on a 2-2-1 network with squared error."""
    def f(v):
        return v if v > 0 else (slope * v if act == "leaky_relu" else Fraction(0))

    def df(v):
        return Fraction(1) if v > 0 else (slope if act == "leaky_relu" else Fraction(0))

    params = {"W1": [row[:] for row in W1], "b1": b1[:], "W2": W2[:], "b2": b2}
    vel = {"W1": [[Fraction(0)] * 2 for _ in range(2)], "b1": [Fraction(0)] * 2, "W2": [Fraction(0)] * 2,
           "b2": Fraction(0)}
    out = []
    for _ in range(steps + 1):
        P = params
        z = [P["W1"][j][0] * x[0] + P["W1"][j][1] * x[1] + P["b1"][j] for j in range(2)]
        h = [f(v) for v in z]
        o = P["W2"][0] * h[0] + P["W2"][1] * h[1] + P["b2"]
        out.append(((o - y) ** 2, [P["W1"][0][0], P["W1"][0][1], P["W1"][1][0], P["W1"][1][1], P["b1"][0],
                                   P["b1"][1], P["W2"][0], P["W2"][1], P["b2"]]))
        d_o = 2 * (o - y)
        g = {"W2": [d_o * h[j] for j in range(2)], "b2": d_o}
        d_z = [d_o * P["W2"][j] * df(z[j]) for j in range(2)]
        g["W1"] = [[d_z[j] * x[i] for i in range(2)] for j in range(2)]
        g["b1"] = d_z
        vel = {"W1": [[mu * vel["W1"][j][i] + g["W1"][j][i] for i in range(2)] for j in range(2)],
               "b1": [mu * vel["b1"][j] + g["b1"][j] for j in range(2)],
               "W2": [mu * vel["W2"][j] + g["W2"][j] for j in range(2)], "b2": mu * vel["b2"] + g["b2"]}
        params = {"W1": [[P["W1"][j][i] - eta * vel["W1"][j][i] for i in range(2)] for j in range(2)],
                  "b1": [P["b1"][j] - eta * vel["b1"][j] for j in range(2)],
                  "W2": [P["W2"][j] - eta * vel["W2"][j] for j in range(2)], "b2": P["b2"] - eta * vel["b2"]}
    return out


tenths = st.integers(-9, 9).map(lambda k: Fraction(k, 10))


@settings(max_examples=25, deadline=None)
@given(w=st.lists(tenths, min_size=6, max_size=6), x=st.lists(st.integers(-3, 3), min_size=2, max_size=2),
       act=st.sampled_from(["relu", "leaky_relu"]), momentum=st.booleans(), y=tenths)
def test_random_runs_that_start_at_a_kink_follow_the_exact_run(w, x, act, momentum, y):
    """Unit h1's bias is chosen so that its pre-activation is exactly 0 at the start; the
    run's table equals a hand-written exact run at every step."""
    W1 = [[w[0], w[1]], [w[2], w[3]]]
    x = [Fraction(v) for v in x]
    b1 = [-(W1[0][0] * x[0] + W1[0][1] * x[1]), Fraction(1, 10)]
    W2, b2, slope, eta = [w[4], w[5]], Fraction(1, 5), Fraction(1, 10), Fraction(1, 10)
    mu = Fraction(9, 10) if momentum else Fraction(0)
    text = lambda v: f"{v.numerator}/{v.denominator}"  # noqa: E731
    layer = {"units": 2, "activation": act, "weights": [[text(v) for v in row] for row in W1],
             "bias": [text(v) for v in b1]}
    if act == "leaky_relu":
        layer["slope"] = "0.1"
    optimizer = {"type": "momentum", "learning_rate": "0.1", "momentum": "0.9"} if momentum else \
        {"type": "sgd", "learning_rate": "0.1"}
    problem = validate({"title": "random kink", "network": {"inputs": {"x1": text(x[0]), "x2": text(x[1])},
                                                            "layers": [layer, {"units": 1, "activation": "linear",
                                                                               "weights": [[text(v) for v in W2]],
                                                                               "bias": "0.2"}]},
                        "loss": "sse", "target": [text(y)],
                        "questions": [{"id": "run", "ask": ["train"], "steps": 4, "table_every": 1,
                                       "optimizer": optimizer}]})
    want = _exact_run(W1, b1, W2, b2, x, y, act, slope, eta, mu, 4)
    names = ["w1", "w2", "w3", "w4", "b1", "b2", "w5", "w6", "b3"]
    for a in answers(solve(problem, "kink"))["questions"][0]["answers"]:
        if "step" not in a or a["kind"] == "state":  # the optimizer's state: tests/test_optimizers.py
            continue
        loss, params = want[a["step"]]
        exact = loss if a["kind"] == "loss" else params[names.index(a["of"])]
        with mpmath.workdps(40):
            got, ref = mpmath.mpf(a["exact"]), mpmath.mpf(exact.numerator) / exact.denominator
            assert abs(got - ref) <= mpmath.mpf("1e-26") * max(1, abs(ref)), (a, exact)
