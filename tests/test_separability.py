"""A perceptron that did not converge: the key says whether the examples are linearly
separable, with a certificate either way (:mod:`solver.graph.separability`).

The oracle is independent of the elimination: a weight vector is checked by classifying
every example with the activation's own definition (step or sign, its value at 0), and a
proof by checking that its multipliers cancel exactly and agree in sign with what each
example's target needs, one of them strictly (Motzkin's transposition theorem: exactly one
of the two exists). A separable verdict with a margin is also checked against the perceptron
itself: started from zero weights it converges within Novikoff's bound (R ‖u‖ / γ)² mistakes.
"""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from solver import solve as key_of
from solver.graph.learning_rules import run_rule, unit_of
from solver.graph.separability import separability
from solver.key.solve import solve
from solver.problem import validate
from solver.render.answers import answers


def _problem(xs, targets, activation="step", at_zero=None, bias=0, weights=None, epochs=10):
    inputs = {f"x{i + 1}": [x[i] for x in xs] for i in range(len(xs[0]))}
    layer = {"units": 1, "activation": activation, "weights": [weights or [0] * len(xs[0])]}
    if bias is not None:
        layer["bias"] = bias
    if at_zero is not None:
        layer[f"{activation}_at_zero"] = at_zero
    return validate({"title": "p", "network": {"inputs": inputs, "layers": [layer]}, "target": targets,
                     "questions": [{"id": "q", "ask": ["perceptron"], "learning_rate": 1, "epochs": epochs}]})


def _unit(*args, **kw):
    p = _problem(*args, **kw)
    return unit_of(p, p.questions[0], 0, "perceptron", None)


def _md(problem) -> str:
    return key_of(problem)._repr_markdown_()


XOR = ([(0, 0), (0, 1), (1, 0), (1, 1)], [0, 1, 1, 0])


def test_xor_is_proved_not_separable_in_the_key():
    md = _md(_problem(*XOR, weights=[0.2, -0.1], bias=-0.1))
    assert ("**Not linearly separable.** No weights classify every example. With $z^{(n)} = \\mathbf{w} \\cdot "
            "\\mathbf{x}^{(n)} + b$ for example $n$, the targets need $z^{(1)} = b < 0$, $z^{(2)} = w_{2} + b \\ge 0$, "
            "$z^{(3)} = w_{1} + b \\ge 0$ and $z^{(4)} = w_{1} + w_{2} + b < 0$. Yet $z^{(2)} + z^{(3)} - z^{(1)} - "
            "z^{(4)} = 0$ whatever $\\mathbf{w}$ and $b$ (the terms cancel), while these conditions make each of its "
            "terms $\\ge 0$, and $-z^{(1)} > 0$. So the examples are not linearly separable, and the perceptron "
            "cannot converge however many epochs it runs") in md
    assert "Linearly separable" not in md


def test_or_stopped_early_is_separable_with_a_margin():
    md = _md(_problem([(0, 0), (0, 1), (1, 0), (1, 1)], [0, 1, 1, 1], weights=[0.2, -0.1],
                                             bias=-0.1, epochs=1))
    assert ("**Linearly separable.** The examples are linearly separable: $\\mathbf{w} = (2, 2)$, $b = -1$ classify "
            "every one of them ($z^{(n)} = -1, 1, 1, 3$ for $n = 1$ to $4$). None lies on $z = 0$, so by the "
            "perceptron convergence theorem (Novikoff, 1962)") in md


def test_a_converged_run_says_nothing_more():
    md = _md(_problem([(0, 0), (0, 1), (1, 0), (1, 1)], [0, 1, 1, 1]))
    assert "Converged: epoch" in md and "separable" not in md


def test_without_bias_a_point_at_the_origin_of_the_wrong_class_is_the_whole_proof():
    # z = w·0 = 0 always, and step(0) = 1 by default, but the target is 0
    v = separability(_unit([(0, 0), (1, 2)], [0, 1], bias=None))
    assert v.multipliers == (-1, 0) and v.relations == ("<", r"\ge")


def test_sign_unit_and_points_on_the_boundary():
    # targets ±1 with sign(0) = -1: the class -1 may sit on z = 0
    v = separability(_unit([(1,), (2,), (3,)], [-1, 1, 1], activation="sign", at_zero=-1))
    assert v.separable and v.margin
    # no bias: (1) and (2) need w > 0 and w ≤ 0
    v = separability(_unit([(1,), (2,)], [1, -1], activation="sign", at_zero=-1, bias=None))
    assert v.multipliers is not None


def _value(activation, at_zero, z):
    if z == 0:
        return at_zero
    return 1 if z > 0 else (0 if activation == "step" else -1)


def _check(xs, targets, activation, at_zero, bias):
    """The verdict's certificate, checked from the definitions alone."""
    v = separability(_unit(xs, targets, activation=activation, at_zero=at_zero, bias=bias))
    rows = [tuple(Fraction(c) for c in x) + ((Fraction(1),) if bias is not None else ()) for x in xs]
    if v.separable:
        theta = list(v.weights) + ([v.bias] if bias is not None else [])
        z = [sum(Fraction(int(t)) * c for t, c in zip(theta, row)) for row in rows]
        assert all(_value(activation, at_zero, zi) == y for zi, y in zip(z, targets))
        assert v.margin == all(zi != 0 for zi in z)
        return v, rows, theta
    k = v.multipliers
    assert any(k) and all(sum(m * row[j] for m, row in zip(k, rows)) == 0 for j in range(len(rows[0])))
    strict = False
    for m, y in zip(k, targets):
        if m == 0:
            continue
        positive = {1: y == 1, 0: y == at_zero, -1: y == (0 if activation == "step" else -1)}  # z's sign → right?
        need = {s for s in (1, 0, -1) if positive[s]}
        assert need and need <= ({1, 0} if m > 0 else {-1, 0})  # the term m z is then ≥ 0
        strict |= 0 not in need
    assert strict
    return v, rows, None


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(1, 3).flatmap(lambda d: st.tuples(
    st.lists(st.tuples(*[st.integers(-3, 3)] * d), min_size=1, max_size=7),
    st.sampled_from(["step", "sign"]), st.booleans(), st.booleans(), st.randoms(use_true_random=False))))
def test_every_verdict_carries_a_valid_certificate(case):
    xs, activation, use_bias, at_one, rnd = case
    low = 0 if activation == "step" else -1
    targets = [rnd.choice([low, 1]) for _ in xs]
    at_zero = 1 if at_one else low
    v, rows, theta = _check(xs, targets, activation, at_zero, 0 if use_bias else None)
    if theta is not None and v.margin:
        # Novikoff: from zero weights, at most (R ‖u‖ / γ)² mistakes, each non-final epoch making one
        r2 = max(sum(c * c for c in row) for row in rows)
        gamma = min(abs(sum(Fraction(int(t)) * c for t, c in zip(theta, row))) for row in rows)
        bound = int(r2 * sum(Fraction(int(t)) ** 2 for t in theta) / gamma ** 2) + 2
        unit = _unit(xs, targets, activation=activation, at_zero=at_zero, bias=0 if use_bias else None)
        assert run_rule(unit, "perceptron", Fraction(1), bound).converged is not None


def test_the_verdict_is_not_an_answer_and_costs_nothing_when_converged():
    """The answers JSON of a converged run is as before; the note is prose for the reader."""
    out = answers(solve(_problem([(0, 0), (0, 1), (1, 0), (1, 1)], [0, 1, 1, 1]), "p"))
    assert {a["kind"] for a in out["questions"][0]["answers"]} == {"update", "mistakes", "converged"}


@pytest.mark.parametrize("size", [40, 200])
def test_many_examples_are_decided_or_left_alone(size):
    xs = [((i * 7) % 11 - 5, (i * 5) % 13 - 6) for i in range(size)]
    targets = [1 if x + 2 * y > 0 else 0 for x, y in xs]
    v = separability(_unit(xs, targets))
    assert v is None or v.separable


def test_a_combination_of_negative_terms_keeps_its_first_sign():
    """No bias, two examples both of class 0 at x = 1 and x = −1: w < 0 and −w < 0; the
    printed sum must be −z⁽¹⁾ − z⁽²⁾ (= 0), not z⁽¹⁾ − z⁽²⁾ (= 2w)."""
    md = _md(_problem([(1,), (-1,)], [0, 0], bias=None, weights=[0.5], epochs=2))
    assert ("the targets need $z^{(1)} = w_{1} < 0$ and $z^{(2)} = -w_{1} < 0$. Yet $-z^{(1)} - z^{(2)} = 0$ "
            "whatever $\\mathbf{w}$ (the terms cancel), while these conditions make each of its terms $\\ge 0$, "
            "and $-z^{(1)} > 0$.") in md


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(-2, 2), st.integers(-2, 2)), min_size=2, max_size=6), st.booleans(),
       st.randoms(use_true_random=False))
def test_the_printed_proof_is_the_certificate(xs, use_bias, rnd):
    """The key's sum Σ kₙ z⁽ⁿ⁾, read back term by term from its text, cancels: each printed
    coefficient times its example's (x, 1) sums to 0 (the sign of every term included)."""
    import re

    from solver.key.separable import separability_block
    targets = [rnd.choice([0, 1]) for _ in xs]
    unit = _unit(xs, targets, bias=0 if use_bias else None)
    run = run_rule(unit, "perceptron", Fraction(1), 1)
    block = separability_block(run)
    if run.converged is not None:
        assert block is None
        return
    text = block.text
    if "Yet $" not in text:
        return  # separable, or a single example at x = 0
    combination = text.split("Yet $", 1)[1].split(" = 0$", 1)[0]
    total = [Fraction(0)] * (len(xs[0]) + use_bias)
    for sign, count, n in re.findall(r"(-?)\s*(\d*)\s*z\^\{\((\d+)\)\}", combination.replace(" - ", " -")):
        row = [Fraction(c) for c in xs[int(n) - 1]] + ([Fraction(1)] if use_bias else [])
        m = (-1 if sign else 1) * int(count or 1)
        total = [t + m * c for t, c in zip(total, row)]
    assert all(t == 0 for t in total), combination
