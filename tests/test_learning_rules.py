"""The perceptron and delta rules (``ask: [perceptron]``, ``ask: [delta_rule]``) and the step
and sign activations in networks.

The oracle is a plain loop over :class:`fractions.Fraction` written from the rules'
definitions (Rosenblatt's perceptron rule; Widrow and Hoff's LMS rule, online and batch with
the summed update), never from the tool's code; the tool's run, its tables and its answers
JSON are checked against it on the bundled problems and on hypothesis-drawn units (weights,
biases and inputs on a 0.1 grid, both step conventions, sign with ±1 targets)."""

from __future__ import annotations

import re
from fractions import Fraction
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from solver.core.errors import ProblemError
from solver.core.numbers import display
from solver.core.options import Options
from solver.graph.learning_rules import run_rule, unit_of
from solver.key.solve import solve
from solver.problem import validate
from solver.problem.loader import load_problem, parse_yaml
from solver.render import render
from solver.render.answers import answers

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --- the oracle ----------------------------------------------------------------------------

def f_of(activation: str, at_zero: Fraction):
    if activation == "step":
        return lambda z: Fraction(1) if z > 0 else (at_zero if z == 0 else Fraction(0))
    if activation == "sign":
        return lambda z: Fraction(1) if z > 0 else (at_zero if z == 0 else Fraction(-1))
    return None


def oracle(rule, w, b, xs, ys, eta, epochs, activation="linear", at_zero=Fraction(1), mode="online"):
    """Rows (epoch, n, z, ŷ or None, error, w after, b after) and epochs (mistakes, E, w, b);
    the perceptron stops after an epoch without mistakes."""
    f = f_of(activation, at_zero)
    rows, ends, converged = [], [], None
    w = list(w)
    for e in range(1, epochs + 1):
        start_w, start_b = list(w), b
        sum_w, sum_b = [Fraction(0)] * len(w), Fraction(0)
        mistakes, sse = 0, Fraction(0)
        for n, (x, y) in enumerate(zip(xs, ys), start=1):
            uw, ub = (start_w, start_b) if mode == "batch" else (w, b)
            z = sum(a * c for a, c in zip(uw, x)) + (ub or 0)
            out = f(z) if f else None
            err = y - (out if rule == "perceptron" else z)
            mistakes += out is not None and out != y
            sse += (y - z) ** 2 / 2
            if mode == "batch":
                sum_w = [s + eta * err * c for s, c in zip(sum_w, x)]
                sum_b += eta * err
            else:
                w = [a + eta * err * c for a, c in zip(w, x)]
                b = None if b is None else b + eta * err
            rows.append((e, n, z, out, err, tuple(w), b))
        if mode == "batch":
            w = [a + s for a, s in zip(start_w, sum_w)]
            b = None if b is None else start_b + sum_b
        ends.append((mistakes if f else None, sse, tuple(w), b))
        if rule == "perceptron" and mistakes == 0:
            converged = e
            break
    return rows, ends, converged


# --- helpers -------------------------------------------------------------------------------

def problem_text(w, b, xs, ys, rule, activation, eta, epochs, extra="", mode=None) -> str:
    names = [f"x{i + 1}" for i in range(len(w))]
    inputs = ", ".join(f"{k}: [{', '.join(str(x[i]) for x in xs)}]" for i, k in enumerate(names))
    q = f"{{id: q, ask: [{rule}], learning_rate: {eta}, epochs: {epochs}" + (f", mode: {mode}" if mode else "") + "}"
    bias = f", bias: {b}" if b is not None else ""
    return (f"title: t\nnetwork:\n  inputs: {{{inputs}}}\n  layers:\n"
            f"    - {{units: 1, activation: {activation}{extra}, weights: [[{', '.join(map(str, w))}]]{bias}}}\n"
            f"target: [{', '.join(map(str, ys))}]\nquestions:\n  - {q}\n")


def load(text: str):
    return validate(parse_yaml(text))


def frac(v) -> Fraction:
    return Fraction(int(v.p), int(v.q))


def cell(tex: str) -> str:
    return re.sub(r"\\phantom\{[^}]*\}", "", tex)


def check_run(problem, rule, mode="online"):
    """The tool's run, its tables and answers against the oracle; returns the oracle's result."""
    net = problem.network
    layer = net.layers[0]
    q = problem.questions[0]
    activation = layer.activation
    given_at_zero = getattr(layer, f"{activation}_at_zero", None)
    at_zero = Fraction(1) if given_at_zero is None else Fraction(str(given_at_zero))
    xs = list(zip(*[[Fraction(str(v)) for v in vals] for vals in net.inputs.values()]))
    w0 = [Fraction(str(v)) for v in layer.weights[0]]
    b0 = None if layer.bias is None else Fraction(str(layer.bias))
    ys = [Fraction(str(t)) for t in problem.target]
    eta = Fraction(str(q.learning_rate))
    rows, ends, converged = oracle(rule, w0, b0, xs, ys, eta, q.epochs, activation, at_zero, mode)
    run = run_rule(unit_of(problem, q, 0, rule, None), rule, q.learning_rate, q.epochs, mode)
    assert len(run.presentations) == len(rows)
    for p, (e, n, z, out, err, w, b) in zip(run.presentations, rows):
        assert (p.epoch, p.example, frac(p.z), frac(p.error)) == (e, n, z, err)
        assert (None if p.out is None else frac(p.out)) == out
        assert tuple(map(frac, p.w_after)) == w and (None if b is None else frac(p.b_after)) == b
    assert run.converged == converged
    for got, (mistakes, sse, w, b) in zip(run.epochs, ends):
        assert got.mistakes == mistakes and frac(got.error) == sse and tuple(map(frac, got.w)) == w
    # the key: its presentation table, row by row; its answers
    sol = solve(problem, "t")
    table = sol.sections[0].tables[0]
    assert len(table.rows) == len(rows)
    zcol = table.header.index("z")
    ecol = table.header.index(r"y - \hat{y}" if rule == "perceptron" else "y - z")
    for row, (e, n, z, out, err, w, b) in zip(table.rows, rows):
        assert (row[0], row[1]) == (str(e), str(n))
        assert cell(row[zcol]) == display(sympy_of(z), 4).latex
        assert cell(row[ecol]) == display(sympy_of(err), 4).latex
    got = answers(sol)["questions"][0]["answers"]
    last = len(ends)
    finals = {a["of"]: Fraction(a["exact"]) for a in got if a["kind"] == "update" and a["step"] == last}
    assert [finals[f"w{i + 1}"] for i in range(len(w0))] == list(ends[-1][2])
    if b0 is not None:
        assert finals["b1"] == ends[-1][3]
    mistakes = [int(a["exact"]) for a in got if a["kind"] == "mistakes"]
    assert mistakes == [m for m, *_ in ends if m is not None]
    if rule == "perceptron":
        conv = [a for a in got if a["kind"] == "converged"]
        assert conv and conv[0]["value"] == (converged or 0)
    else:
        assert [Fraction(a["exact"]) for a in got if a["kind"] == "loss"] == [s for _, s, *_ in ends]
    return rows, ends, converged


def sympy_of(v: Fraction):
    import sympy as sp

    return sp.Rational(v.numerator, v.denominator)


# --- the bundled problems ------------------------------------------------------------------

def test_perceptron_on_or_as_the_issue_writes_it():
    problem = load_problem(ROOT / "problems" / "perceptron-or.yaml")
    rows, ends, converged = check_run(problem, "perceptron")
    assert converged == 4 and [m for m, *_ in ends] == [1, 2, 1, 0]
    assert ends[-1][2:] == ((Fraction(1, 5), Fraction(1, 10)), Fraction(-1, 10))
    md = render(solve(problem, "perceptron-or"), "md")
    assert ("Converged: epoch 4 makes no mistakes; the final weights $\\mathbf{w} = (0.2, 0.1)$, $b = -0.1$ "
            "classify every example correctly.") in md
    # epoch 2's first example: z = 0 exactly, and step(0) = 1 makes it a mistake
    assert "$z = 0$ exactly at epoch 2 example 1" in md and r"\operatorname{step}(0) = 1" in md
    assert r"z &= \mathbf{w} \cdot \mathbf{x} + b = (0.2)(0) + (-0.1)(1) + (-0.1) = 0 - 0.1 - 0.1 = -0.2" in md
    assert r"\mathbf{w} &\leftarrow \mathbf{w} + \eta\,(y - \hat{y})\,\mathbf{x} = (0.2, -0.1) + (0.1)(1)(0, 1) = (0.2, 0)" in md


def test_delta_rule_bundled_problem():
    problem = load_problem(ROOT / "problems" / "delta-rule.yaml")
    rows, ends, _ = check_run(problem, "delta_rule")
    assert len(rows) == 6 and ends[0][1] == Fraction("0.405") + Fraction("0.39605") + Fraction("0.178802")


def test_question_sheet_shows_the_data_and_no_answer():
    problem = load_problem(ROOT / "problems" / "perceptron-or.yaml")
    sheet = render(solve(problem, "perceptron-or"), "md", Options(sheet="questions"))
    assert "Converged" not in sheet and r"\Delta" not in sheet and "(0.2, 0.1)" not in sheet
    assert ("$(0, 0) \\to 0$; $(0, 1) \\to 1$; $(1, 0) \\to 1$; $(1, 1) \\to 1$" in sheet
            and r"\mathbf{w} = (w_{1}, w_{2}) = (0.2, -0.1)" in sheet and "at most 10 epochs" in sheet)


# --- drawn problems ------------------------------------------------------------------------

grid = st.integers(-9, 9).map(lambda k: Fraction(k, 10))
inputs = st.integers(-10, 10).map(lambda k: Fraction(k, 10))


def _written(v: Fraction) -> str:
    return str(float(v)) if v.denominator in (1, 2, 5, 10) else f'"{v}"'


@st.composite
def units(draw):
    """Weights, a bias (or none), the examples' inputs and a label 0–3 per example."""
    n_in = draw(st.integers(1, 3))
    n_ex = draw(st.integers(1, 5))
    w = [draw(grid) for _ in range(n_in)]
    b = draw(st.one_of(st.none(), grid))
    xs = [[draw(inputs) for _ in range(n_in)] for _ in range(n_ex)]
    labels = [draw(st.integers(0, 3)) for _ in range(n_ex)]
    return w, b, xs, labels


@pytest.mark.parametrize("activation,extra,targets", [
    ("step", "", (0, 1)), ("step", ", step_at_zero: 0", (0, 1)),
    ("sign", "", (-1, 1)), ("sign", ", sign_at_zero: -1", (-1, 1))])
@SETTINGS
@given(data=units(), eta=st.sampled_from(["0.1", "0.5", "1"]), epochs=st.integers(1, 8))
def test_perceptron_on_drawn_units(activation, extra, targets, data, eta, epochs):
    w, b, xs, labels = data
    ys = [targets[k % 2] for k in labels]
    text = problem_text([_written(v) for v in w], None if b is None else _written(b),
                        [[_written(v) for v in x] for x in xs], ys, "perceptron", activation, eta, epochs, extra)
    check_run(load(text), "perceptron")


@pytest.mark.parametrize("activation,extra,mode", [
    ("linear", "", "online"), ("linear", "", "batch"), ("step", "", "online"), ("sign", ", sign_at_zero: 0", "batch")])
@SETTINGS
@given(data=units(), eta=st.sampled_from(["0.1", "0.25"]), epochs=st.integers(1, 3))
def test_delta_rule_on_drawn_units(activation, extra, mode, data, eta, epochs):
    w, b, xs, labels = data
    ys = [(-1, 0, 1, 0.5)[k] for k in labels]
    text = problem_text([_written(v) for v in w], None if b is None else _written(b),
                        [[_written(v) for v in x] for x in xs], ys, "delta_rule", activation, eta, epochs, extra, mode)
    check_run(load(text), "delta_rule", mode)


def test_a_step_convention_decides_a_mistake():
    """z = 0 exactly at the first example: step(0) = 1 makes a mistake on target 0, step(0) = 0 none."""
    base = problem_text(["0.3", "-0.1"], "-0.3", [["1", "0"], ["0", "1"]], [0, 0], "perceptron", "step", "0.1", 5)
    one = check_run(load(base), "perceptron")
    zero = check_run(load(base.replace("activation: step", "activation: step, step_at_zero: 0")), "perceptron")
    assert one[0][0][3] == 1 and zero[0][0][3] == 0 and zero[2] == 1 and one[2] == 2


def test_not_converged_is_said():
    text = problem_text(["0", "0"], "0", [["0", "0"], ["0", "1"], ["1", "0"], ["1", "1"]], [0, 1, 1, 0],
                        "perceptron", "step", "1", 6)  # XOR: never separable
    problem = load(text)
    check_run(problem, "perceptron")
    md = render(solve(problem, "t"), "md")
    assert "Not converged after 6 epochs: epoch 6 still makes" in md
    assert r"\text{(not converged)}" in md


# --- step and sign in an ordinary network --------------------------------------------------

def test_step_and_sign_in_a_forward_pass_decide_zero_exactly():
    text = yaml.safe_dump({
        "title": "t", "network": {"inputs": {"x1": "0.1", "x2": "0.2"}, "layers": [
            {"units": 2, "activation": "step", "step_at_zero": "0", "weights": [["3", "0"], ["1", "1"]],
             "bias": ["-0.3", "-0.3"]},
            {"units": 1, "activation": "sign", "weights": [["1", "-1"]], "bias": "1"}]},
        "questions": [{"id": "f", "ask": ["forward"]}]})
    sol = solve(load(text), "t")
    got = {a["of"]: a["exact"] for a in answers(sol)["questions"][0]["answers"]}
    # z_h1 = 0.3 - 0.3 = 0 exactly (0.1 * 3 in floats is 0.30000000000000004): step(0) = 0 here
    assert got["o1"] == "1"
    md = render(sol, "md")
    assert r"h_{1} &= \operatorname{step}(z_{h_{1}}) = \operatorname{step}(0) = 0" in md
    assert r"h_{2} &= \operatorname{step}(z_{h_{2}}) = \operatorname{step}(0) = 0" in md
    assert r"o_{1} &= \operatorname{sign}(z_{o_{1}}) = \operatorname{sign}(1) = 1" in md
    assert r"$\operatorname{step}(0) = 0$ (step\_at\_zero)" in md


def test_gradients_through_a_step_are_zero():
    text = yaml.safe_dump({
        "title": "t", "network": {"inputs": {"x1": "1"}, "layers": [
            {"units": 1, "activation": "step", "weights": [["0.5"]], "bias": "0"},
            {"units": 1, "activation": "linear", "weights": [["2"]]}]},
        "loss": "sse", "target": ["1"], "questions": [{"id": "g", "ask": ["gradients"]}]})
    got = {a["of"]: Fraction(a["exact"]) for a in answers(solve(load(text), "t"))["questions"][0]["answers"]
           if a["kind"] == "gradient" and not a.get("upstream")}
    assert got == {"w1": 0, "b1": 0, "w2": 2}  # ∂L/∂w2 = 2(2·1 − 1)·1


# --- refusals (the bad files cover the command line) -----------------------------------------

@pytest.mark.parametrize("change,field,fragment", [
    (("activation: step", "activation: sigmoid"), "network.layers[0].activation", "needs activation step"),
    (("target: [0, 1]", "target: [0, 2]"), "target", "needs targets 0 or 1 (got 2)"),
    (("target: [0, 1]", "target: [0, 1, 1]"), "target", "3 targets for 2 examples"),
    (("units: 1", "units: 2"), "network.layers[0].units", "trains a single unit"),
    (("epochs: 3", "epochs: 600"), "questions[0].epochs", "at most 1,000"),
    (("epochs: 3", "epochs: 3, mode: batch"), "questions[0].mode", "online"),
])
def test_refusals_name_the_field(change, field, fragment):
    text = problem_text(["0.1", "0.2"], "0", [["1", "0"], ["0", "1"]], [0, 1], "perceptron", "step", "0.1", 3)
    text = text.replace(*change)
    if "units: 2" in text:
        text = text.replace("weights: [[0.1, 0.2]]", "weights: [[0.1, 0.2], [0, 0]]")
    with pytest.raises(ProblemError) as err:
        solve(load(text), "t")
    assert err.value.field == field and fragment in err.value.message, (err.value.field, err.value.message)


def test_the_delta_rule_refuses_a_sigmoid_and_two_layers():
    text = problem_text(["0.1"], "0", [["1"]], [1], "delta_rule", "sigmoid", "0.1", 1)
    with pytest.raises(ProblemError, match="trains a linear unit") as err:
        solve(load(text), "t")
    assert err.value.field == "network.layers[0].activation"
    two = text.replace("activation: sigmoid", "activation: linear").replace(
        "layers:\n", "layers:\n    - {units: 1, activation: relu, weights: [[1]]}\n")
    with pytest.raises(ProblemError, match="single dense layer of one unit") as err:
        solve(load(two), "t")
    assert err.value.field == "network.layers"
