"""The activations and losses added through one module each under ``solver/ops/``: each
works in the neuron, matrix and graph styles, in graph expressions, in training runs,
states its kink where one is hit, and agrees with the independent oracles (mpmath
finite differences over ``tests/reference_ops.py``; PyTorch where installed)."""

from __future__ import annotations

import sys
from fractions import Fraction
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import oracle as O  # noqa: E402
from test_oracle import check_against_torch, check_graph_solution, check_solution  # noqa: E402
from test_training import check_structure, oracle_run, rel_close, training_answers  # noqa: E402

from solver.core.options import Options  # noqa: E402
from solver.key.solve import solve  # noqa: E402
from solver.problem import validate  # noqa: E402
from solver.render import render  # noqa: E402
from solver.render.answers import answers  # noqa: E402

#: Activations added as one module each, with a parameter value to try (or none).
ACTIVATIONS = {"gelu": {}, "silu": {}, "swish": {}, "elu": {"alpha": "0.5"}, "softplus": {}}
STYLES = ["neuron", "matrix", "graph"]


def network(activation: str, params: dict, questions: list, loss="sse", target=("0.5", "-0.25"),
            output="linear") -> dict:
    """A 2-3-2 network whose hidden layer uses ``activation``; its pre-activations are
    0.54, −0.99 and 0.3 (on both sides of 0, none at a kink)."""
    return {
        "title": f"a {activation} network",
        "network": {"inputs": {"x1": "0.5", "x2": "-1.5"}, "layers": [
            {"units": 3, "activation": activation, **params,
             "weights": [["0.4", "-0.2"], ["-0.6", "0.5"], ["1.2", "0.3"]], "bias": ["0.04", "0.06", "0.15"]},
            {"units": 2, "activation": output, "weights": [["0.7", "-0.3", "0.5"], ["-0.4", "0.8", "0.2"]],
             "bias": "0.1"}]},
        "loss": loss, "target": target if isinstance(target, dict) else list(target), "questions": questions}


GRADIENTS = [{"id": "q", "ask": ["forward", "loss", "gradients", "update"], "learning_rate": "0.1"}]


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_in_every_style_matches_the_oracle(name, style):
    problem = validate(network(name, ACTIVATIONS[name], GRADIENTS))
    counts = check_solution(problem, name, style=style)
    assert counts["gradient"] == 16 and counts["update"] == 16 and not counts["kinked"]
    tex = render(solve(problem, name, Options(style=style)), "tex")
    assert ACTIVATIONS_LATEX[name] in tex


#: How each activation is named in the key.
ACTIVATIONS_LATEX = {"gelu": r"\operatorname{GELU}", "silu": r"\operatorname{SiLU}", "swish": r"\operatorname{SiLU}",
                     "elu": r"\operatorname{ELU}", "softplus": r"\operatorname{softplus}"}


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_styles_give_the_same_answers(name):
    problem = validate(network(name, ACTIVATIONS[name], GRADIENTS))
    results = []
    for style in STYLES:
        got = {(a["kind"], a["of"]): a["exact"] for sec in answers(solve(problem, name, Options(style=style)))["questions"]
               for a in sec["answers"] if a["kind"] in ("gradient", "update", "loss") and not a.get("upstream")}
        results.append(got)
    assert results[0] == results[1] == results[2]


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_in_a_graph_expression(name):
    args = "".join(f", {v}" for v in ACTIVATIONS[name].values())
    data = {"title": "graph", "graph": {
        "inputs": {"x": "1.5", "t": "0.25"}, "parameters": {"w": "-0.4", "b": "0.2", "v": "0.9"},
        "nodes": {"a": "w * x + b", "h": f"{name}(a{args})", "g": f"{name}(v * x{args})", "L": "square(h + g - t)"},
        "output": "L"},
        "questions": [{"id": "q", "ask": ["forward", "gradients"], "gradients": ["w", "b", "v", "x"]}]}
    counts = check_graph_solution(validate(data), name)
    assert counts["gradient"] == 4 and not counts["kinked"]


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
@pytest.mark.parametrize("optimizer", [{"type": "adam", "learning_rate": "0.05"},
                                       {"type": "momentum", "learning_rate": "0.2"}])
def test_training_run_matches_the_oracle(name, optimizer):
    q = {"id": "run", "ask": ["train"], "steps": 6, "optimizer": optimizer}
    problem = validate(network(name, ACTIVATIONS[name], [q]))
    sol = answers(solve(problem, name))
    (question,) = problem.questions
    found = training_answers(sol, "run")
    loss_steps, update_steps = check_structure(problem, question, found)
    run = oracle_run(problem, question, loss_steps | update_steps)
    for a in found:
        loss, params = run[a["step"]]
        want = loss if a["kind"] == "loss" else params[a["of"]]
        assert rel_close(O.read_exact(a["exact"]), want), (name, a)
    assert len(found) > 16


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_network_and_graph_match_torch(name):
    torch = pytest.importorskip("torch")
    assert check_against_torch(torch, validate(network(name, ACTIVATIONS[name], GRADIENTS)), name) == 16
    args = "".join(f", {v}" for v in ACTIVATIONS[name].values())
    graph = {"title": "graph", "graph": {
        "inputs": {"x": "1.5"}, "parameters": {"w": "-0.4", "b": "0.2"},
        "nodes": {"a": "w * x + b", "h": f"{name}(a{args})", "L": "square(h - 0.25)"}, "output": "L"},
        "questions": [{"id": "q", "ask": ["gradients"], "gradients": ["w", "b", "x"]}]}
    assert check_against_torch(torch, validate(graph), name) == 3


#: Activations with a kink at 0, and the convention the key must state there.
KINKS = {"elu": (r"\operatorname{ELU}'(0) = \alpha", "0.5")}


@pytest.mark.parametrize("name", sorted(KINKS))
def test_kink_at_zero_is_stated_and_taken(name):
    """Neuron h2's pre-activation is exactly 0 (−0.3 − 0.75 + 1.05): the key says which
    derivative it takes there, and takes it: ∂L/∂z = f'(0) · ∂L/∂h, decided exactly."""
    convention, slope = KINKS[name]
    data = network(name, ACTIVATIONS[name], GRADIENTS)
    data["network"]["layers"][0]["bias"] = ["0.04", "1.05", "0.15"]
    problem = validate(data)
    solution = solve(problem, name)
    assert convention in render(solution, "md")
    up = {a.of: Fraction(a.exact) for a in solution.sections[0].answers if a.kind == "gradient"}
    assert up["z_h2"] == Fraction(slope) * up["h2"] != 0


@pytest.mark.parametrize("name, z", [("softplus", "-4000"), ("gelu", "-300"), ("silu", "-4000"), ("elu", "-1e-30")])
def test_extreme_pre_activations_keep_their_digits(name, z):
    """Far out on a tail the value is tiny but not 0: computed without cancellation."""
    import mpmath
    import sympy as sp
    import reference_ops as ref

    from solver.graph.backprop import evaluate
    from solver.ops.activations import ACTIVATIONS as REGISTRY

    x = sp.Symbol("x", real=True)
    params = {k: sp.Rational(v) for k, v in ACTIVATIONS[name].items()}
    got = evaluate(REGISTRY[name].build(x, **params), {"x": sp.Rational(z)})
    with mpmath.workdps(60):
        want = ref.ACTIVATIONS[name].value(mpmath.mpf(z), **{k: mpmath.mpf(v) for k, v in ACTIVATIONS[name].items()})
        assert want != 0 and abs(mpmath.mpf(sp.Float(got, 60)) / want - 1) < mpmath.mpf("1e-40")


# --- losses ----------------------------------------------------------------------------------

#: Losses added as one module each: the loss field, and a target fit for it.
LOSSES = {"huber": ({"type": "huber", "delta": "0.05"}, ["0.5", "-0.25"]),
          "huber-sum": ({"type": "huber", "delta": "0.05", "reduction": "sum"}, ["0.5", "-0.25"]),
          "multiclass_hinge": ({"type": "multiclass_hinge"}, {"class": 2}),
          "multiclass_hinge-margin": ({"type": "multiclass_hinge", "margin": "0.25"}, {"class": 1})}


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("case", sorted(LOSSES))
def test_loss_in_every_style_matches_the_oracle(case, style):
    loss, target = LOSSES[case]
    problem = validate(network("tanh", {}, GRADIENTS, loss=loss, target=target))
    counts = check_solution(problem, case, style=style)
    assert counts["gradient"] == 16 and counts["update"] == 16 and counts["loss"] >= 1 and not counts["kinked"]


@pytest.mark.parametrize("case", sorted(LOSSES))
def test_loss_in_training_and_against_torch(case):
    loss, target = LOSSES[case]
    q = {"id": "run", "ask": ["train"], "steps": 5, "optimizer": {"type": "adam", "learning_rate": "0.05"}}
    problem = validate(network("tanh", {}, [q], loss=loss, target=target))
    sol = answers(solve(problem, case))
    (question,) = problem.questions
    found = training_answers(sol, "run")
    run = oracle_run(problem, question, set.union(*check_structure(problem, question, found)))
    for a in found:
        loss_value, params = run[a["step"]]
        assert rel_close(O.read_exact(a["exact"]), loss_value if a["kind"] == "loss" else params[a["of"]]), a
    try:
        import torch
    except ImportError:
        return
    assert check_against_torch(torch, validate(network("tanh", {}, GRADIENTS, loss=loss, target=target)), case) == 16


def _exact_outputs(data: dict) -> dict:
    solution = solve(validate(data), "probe")
    return {a.of: Fraction(a.exact) for a in solution.sections[0].answers if a.kind == "value"}


def test_huber_at_its_kink_is_stated_and_continuous():
    """A residual of exactly δ: the key says so, and ∂L/∂o = δ/n from either side."""
    data = network("relu", {}, GRADIENTS, loss={"type": "huber"}, target=["0.5", "-0.25"])
    o1 = _exact_outputs(data)["o1"]
    delta = abs(o1 - Fraction("0.5"))
    data["loss"] = {"type": "huber", "delta": f"{delta.numerator}/{delta.denominator}"}
    solution = solve(validate(data), "kink")
    assert r"the residual is exactly $\pm\delta$" in render(solution, "md")
    grads = {a.of: Fraction(a.exact) for a in solution.sections[0].answers if a.kind == "gradient"}
    assert grads["o1"] == (delta if o1 > Fraction("0.5") else -delta) / 2


def test_hinge_at_its_kink_is_stated_and_takes_zero():
    """A margin term of exactly 0: the key says hinge'(0) = 0, and nothing flows back."""
    data = network("relu", {}, GRADIENTS, loss={"type": "multiclass_hinge"}, target={"class": 1})
    out = _exact_outputs(data)
    margin = out["o1"] - out["o2"]  # s_2 - s_1 + Δ = 0
    assert margin > 0
    data["loss"] = {"type": "multiclass_hinge", "margin": f"{margin.numerator}/{margin.denominator}"}
    solution = solve(validate(data), "kink")
    assert r"this key uses $\operatorname{hinge}'(0) = 0$" in render(solution, "md")
    grads = {a.of: Fraction(a.exact) for a in solution.sections[0].answers if a.kind == "gradient"}
    assert grads["o1"] == grads["o2"] == 0


def test_hinge_needs_a_class():
    from solver.core.errors import ProblemError

    data = network("relu", {}, GRADIENTS, loss={"type": "multiclass_hinge"}, target=["0.5", "0.5"])
    with pytest.raises(ProblemError, match="needs a class"):
        solve(validate(data), "bad")


@pytest.mark.parametrize("name, value, definition", [
    ("elu", "1", r"\operatorname{ELU}(z) = \begin{cases} z & z > 0 \\ \alpha\,(e^{z} - 1) & z \le 0 \end{cases},\quad "
                 r"\operatorname{ELU}'(z) = \begin{cases} 1 & z > 0 \\ \alpha\, e^{z} & z \le 0 \end{cases},\quad \alpha = 1"),
    ("leaky_relu", "0.01", r"\operatorname{LeakyReLU}(z) = \begin{cases} z & z > 0 \\ \alpha z & z \le 0 \end{cases},\quad "
                           r"\operatorname{LeakyReLU}'(z) = \begin{cases} 1 & z > 0 \\ \alpha & z \le 0 \end{cases},\quad "
                           r"\alpha = 0.01"),
])
def test_a_parameter_s_definition_names_alpha_and_gives_its_value(name, value, definition):
    """The kink notes say ELU'(0) = α and LeakyReLU'(0) = α: the definition, printed before
    them, defines the derivative and α's value."""
    from solver.ops.activations import ACTIVATIONS as DESCRIPTORS
    act = DESCRIPTORS[name]
    assert act.definition_for({act.params[0].name: value}) == definition
