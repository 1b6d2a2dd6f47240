"""Every optimizer of the training key against the independent reference loop.

The keys' answers of training questions (the loss, every parameter and every state
variable of the optimizer at each tabled step: ``buf``, ``d``, ``m``, ``v``, ``mhat``,
``vhat``, ``sum``, ``u``, ``delta``, ``mu``, ``munext``, ``prod``) are checked to 1e-20
relative against ``tests/reference_ops.py``'s
optimizer loop (mpmath, written from torch.optim's algorithms and checked against
torch.optim itself in test_reference_ops.py) driven by ``tests/oracle.py``'s network
gradients (its own reverse mode, penalty included): on the bundled problems, on
hand-made networks with each optimizer with and without weight decay, and on
hypothesis-drawn small networks. Also: the exactness of step 1, the rules the key
prints, the weight decay of a parameter with no gradient, and the structure of the
state answers.

Run: ``cd /work/main && python -m pytest tests/test_optimizers.py -q``.
"""

from __future__ import annotations

import sys
from fractions import Fraction
from pathlib import Path

import mpmath
import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mpmath import mp, mpf

sys.path.insert(0, str(Path(__file__).resolve().parent))
import oracle as O  # noqa: E402
import reference_ops as R  # noqa: E402

from solver.key.solve import solve  # noqa: E402
from solver.ops.optimizers import OPTIMIZERS  # noqa: E402
from solver.problem import validate  # noqa: E402
from solver.problem.loader import load_problem  # noqa: E402
from solver.render.answers import answers  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
REL = mpf("1e-20")

#: Each optimizer with and without its options (weight decay among them).
OPTIONS = [
    {"type": "sgd", "learning_rate": "0.1"},
    {"type": "sgd", "learning_rate": "0.1", "weight_decay": "0.05"},
    {"type": "sgd", "learning_rate": "0.1", "momentum": "0.9"},
    {"type": "sgd", "learning_rate": "0.1", "momentum": "0.8", "dampening": "0.3", "weight_decay": "0.01"},
    {"type": "sgd", "learning_rate": "0.1", "momentum": "0.9", "nesterov": True},
    {"type": "sgd", "learning_rate": "0.05", "momentum": "0.5", "nesterov": True, "weight_decay": "0.1"},
    {"type": "momentum", "learning_rate": "0.1"},
    {"type": "adam", "learning_rate": "0.01"},
    {"type": "adam", "learning_rate": "0.05", "beta1": "0.8", "weight_decay": "0.1"},
    {"type": "adamw", "learning_rate": "0.01"},
    {"type": "adamw", "learning_rate": "0.05", "weight_decay": "0"},
    {"type": "adamw", "learning_rate": "0.05", "weight_decay": "0.2", "epsilon": "1e-6"},
    {"type": "rmsprop", "learning_rate": "0.01"},
    {"type": "rmsprop", "learning_rate": "0.01", "alpha": "0.9", "momentum": "0.5", "weight_decay": "0.1"},
    {"type": "adagrad", "learning_rate": "0.1"},
    {"type": "adagrad", "learning_rate": "0.1", "epsilon": "1e-6", "weight_decay": "0.05"},
    {"type": "adadelta", "learning_rate": "1"},
    {"type": "adadelta", "learning_rate": "0.5", "rho": "0.8", "epsilon": "1e-4", "weight_decay": "0.1"},
    {"type": "adamax", "learning_rate": "0.01"},
    {"type": "adamax", "learning_rate": "0.3", "beta1": "0.8", "beta2": "0.6", "epsilon": "1e-6",
     "weight_decay": "0.05"},
    {"type": "nadam", "learning_rate": "0.01"},
    {"type": "nadam", "learning_rate": "0.1", "beta1": "0.8", "epsilon": "1e-6", "weight_decay": "0.1",
     "momentum_decay": "0.05"},
    {"type": "nadam", "learning_rate": "0.1", "weight_decay": "0.2", "decoupled_weight_decay": True},
]
OPTION_IDS = ["-".join(f"{k}={v}" for k, v in o.items() if k != "learning_rate") for o in OPTIONS]


def network(optimizer: dict, steps: int = 4, act: str = "tanh", weights=None, update_biases: bool = True) -> dict:
    w1, w2 = weights or ([["0.3", "-0.4"], ["0.2", "0.6"]], [["0.5", "-0.7"], ["0.1", "0.4"]])
    return {"title": "optimizer check", "network": {"inputs": {"x1": "0.5", "x2": "-1"}, "layers": [
        {"units": 2, "activation": act, "weights": w1, "bias": ["0.1", "-0.1"]},
        {"units": 2, "activation": "sigmoid", "weights": w2, "bias": "0.2"}]},
        "loss": "sse", "target": ["1", "0"],
        "questions": [{"id": "run", "ask": ["train"], "steps": steps, "table_every": 1,
                       "update_biases": update_biases, "optimizer": optimizer}]}


def reference_settings(q) -> tuple[str, dict]:
    """The question's optimizer as the reference loop's name and keyword arguments."""
    o = q.optimizer
    if o is None:
        return "sgd", {"learning_rate": str(q.learning_rate)}
    rule = OPTIMIZERS[o.type]  # the settings it takes, as the problem gives them (the loop binds them by name)
    kw = {p.name: str(getattr(o, p.name)) for p in rule.params if getattr(o, p.name, None) is not None}
    kw.update({f.name: getattr(o, f.name) for f in rule.flags if getattr(o, f.name, None) is not None})
    return o.type, kw


def reference_run(problem, q):
    """(losses, parameters, states) by step from the reference loop on the oracle's gradients."""
    orc = O.Oracle.from_problem(problem, q)
    names = O.parameter_names(problem)
    trained = [k for k, pid in names.items() if q.update_biases or pid[0] != "b"]
    kind, kw = reference_settings(q)
    with mp.workdps(R.DPS):
        fixed = {pid: O.to_mpf(v) for pid, v in orc.params.items()}

        def full(ws):
            return {**fixed, **{names[k]: v for k, v in ws.items()}}

        def grad_fn(ws):
            _, grad = orc.backprop(full(ws))
            return {k: grad[names[k]] for k in trained}

        states: list = []
        snaps = R.run(kind, {k: fixed[names[k]] for k in trained}, grad_fn, q.steps, states=states, **kw)
        losses = [orc.backprop(full(s))[0] for s in snaps]
    return losses, snaps, [{}] + states


def check_against_reference(problem, name: str) -> int:
    sol = answers(solve(problem, name))
    n = 0
    for q in problem.questions:
        if "train" not in q.ask:
            continue
        (sec,) = [s for s in sol["questions"] if s["id"] == q.id]
        losses, snaps, states = reference_run(problem, q)
        for a in (a for a in sec["answers"] if "step" in a):
            s = a["step"]
            if a["kind"] == "loss":
                want = losses[s]
            elif a["kind"] == "update":
                want = snaps[s][a["of"]]
            else:
                assert a["kind"] == "state", a
                var, param = a["of"].split("_", 1)
                want = states[s][param].get(var, mpf(0))
            got = O.read_exact(a["exact"])
            with mp.workdps(R.DPS):
                assert abs(got - want) <= REL * abs(want) + mpf("1e-40"), (name, q.id, a, O.show(want))
            n += 1
    return n


# --- the bundled problems ---------------------------------------------------------------------

BUNDLED = ["relu-2-2-2-adam", "nesterov-adamw", "xor-2-2-1-training"]


@pytest.mark.parametrize("name", BUNDLED)
def test_bundled_training_keys_match_the_reference_loop(name):
    problem = load_problem(ROOT / "problems" / f"{name}.yaml")
    assert check_against_reference(problem, name) > 0


def test_nesterov_adamw_state_answers_at_every_step():
    """The issue's file: Nesterov's buffer and look-ahead, AdamW's m, v, m̂, v̂, for every
    parameter at steps 1 to 3, and the first step exact."""
    problem = load_problem(ROOT / "problems" / "nesterov-adamw.yaml")
    sol = answers(solve(problem, "nesterov-adamw"))
    by = {s["id"]: [a for a in s["answers"] if a["kind"] == "state"] for s in sol["questions"]}
    params = sorted(O.parameter_names(problem))
    for qid, variables in (("nesterov", ("buf", "d")), ("adamw", ("m", "v", "mhat", "vhat"))):
        got = sorted((a["of"], a["step"]) for a in by[qid])
        assert got == sorted((f"{v}_{k}", s) for v in variables for k in params for s in (1, 2, 3)), qid
    # step 1 of Nesterov from the exact gradients: buf = g, d = (1 + μ) g, all exact fractions
    one = {a["of"]: a["exact"] for a in by["nesterov"] if a["step"] == 1}
    assert all("/" in v or v.lstrip("-").replace(".", "").isdigit() for v in one.values()), one
    assert Fraction(one["d_w1"]) == Fraction(19, 10) * Fraction(one["buf_w1"])


# --- every optimizer, with and without its options ---------------------------------------------

@pytest.mark.parametrize("optimizer", OPTIONS, ids=OPTION_IDS)
def test_every_optimizer_matches_the_reference_loop(optimizer):
    problem = validate(network(optimizer))
    assert check_against_reference(problem, "opt") > 0


@pytest.mark.parametrize("optimizer", [o for o in OPTIONS  # adamw decays by 0.01 unless told otherwise
                                       if o.get("weight_decay", "0.01" if o["type"] == "adamw" else "0") != "0"],
                         ids=lambda o: o["type"])
def test_weight_decay_moves_a_parameter_without_gradient(optimizer):
    """A ReLU unit at its kink (pre-activation exactly 0) gets no gradient; without weight
    decay its weights stay exactly (tests/test_training_kinks.py), with it they decay, as
    torch.optim moves every parameter with a gradient, a zero one included."""
    problem = validate(network(optimizer, 3, act="relu",
                               weights=([["0.2", "0.2"], ["0.2", "0.6"]], [["0.5", "-0.7"], ["0.1", "0.4"]])))
    sol = answers(solve(problem, "kink"))
    w1 = {a["step"]: O.read_exact(a["exact"]) for a in sol["questions"][0]["answers"]
          if a["kind"] == "update" and a["of"] == "w1"}
    assert w1[1] != mpf("0.2")
    assert check_against_reference(problem, "kink") > 0


def test_frozen_biases_have_no_state():
    problem = validate(network({"type": "adam", "learning_rate": "0.01"}, 2, update_biases=False))
    sol = answers(solve(problem, "frozen"))
    states = {a["of"].split("_", 1)[1] for a in sol["questions"][0]["answers"] if a["kind"] == "state"}
    assert states == {"w1", "w2", "w3", "w4", "w5", "w6", "w7", "w8"}
    assert check_against_reference(problem, "frozen") > 0


# --- hypothesis-drawn networks ----------------------------------------------------------------

small = st.fractions(min_value=-1, max_value=1, max_denominator=20)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(w=st.lists(small, min_size=8, max_size=8), which=st.sampled_from(range(len(OPTIONS))),
       act=st.sampled_from(["tanh", "sigmoid"]))
def test_drawn_networks_match_the_reference_loop(w, which, act):
    text = [f"{v.numerator}/{v.denominator}" for v in w]
    data = network(OPTIONS[which], 3, act=act,
                   weights=([text[0:2], text[2:4]], [text[4:6], text[6:8]]))
    problem = validate(data)
    assert check_against_reference(problem, "drawn") > 0


# --- the key's text ------------------------------------------------------------------------------

@pytest.mark.parametrize("optimizer, rule", [
    ({"type": "sgd", "learning_rate": "0.1", "momentum": "0.9", "nesterov": True, "weight_decay": "0.01"},
     r"g \leftarrow g + \lambda w,\quad \mathrm{buf} \leftarrow \mu \mathrm{buf} + g,\quad "
     r"d = g + \mu \mathrm{buf},\quad w \leftarrow w - \eta d"),
    ({"type": "sgd", "learning_rate": "0.1", "momentum": "0.9", "dampening": "0.5"},
     r"\mathrm{buf} \leftarrow \mu \mathrm{buf} + (1 - \tau) g,\quad w \leftarrow w - \eta \mathrm{buf}"),
    ({"type": "adamw", "learning_rate": "0.01"},
     r"w \leftarrow w - \eta \lambda w,\quad m \leftarrow \beta_1 m + (1 - \beta_1) g,\quad "
     r"v \leftarrow \beta_2 v + (1 - \beta_2) g^{2},\quad \hat{m} = \frac{m}{1 - \beta_1^{t}},\quad "
     r"\hat{v} = \frac{v}{1 - \beta_2^{t}},\quad w \leftarrow w - \eta\, \frac{\hat{m}}{\sqrt{\hat{v}} + \epsilon}"),
    ({"type": "rmsprop", "learning_rate": "0.01", "momentum": "0.9"},
     r"v \leftarrow \alpha v + (1 - \alpha) g^{2},\quad \mathrm{buf} \leftarrow \mu \mathrm{buf} + "
     r"\frac{g}{\sqrt{v} + \epsilon},\quad w \leftarrow w - \eta \mathrm{buf}"),
    ({"type": "adagrad", "learning_rate": "0.1"},
     r"s \leftarrow s + g^{2},\quad w \leftarrow w - \eta\, \frac{g}{\sqrt{s} + \epsilon}"),
    ({"type": "adadelta", "learning_rate": "1"},
     r"v \leftarrow \rho v + (1 - \rho) g^{2},\quad \Delta = \frac{\sqrt{u + \epsilon}}{\sqrt{v + \epsilon}} g,\quad "
     r"u \leftarrow \rho u + (1 - \rho) \Delta^{2},\quad w \leftarrow w - \eta \Delta"),
    ({"type": "adamax", "learning_rate": "0.002", "weight_decay": "0.1"},
     r"g \leftarrow g + \lambda w,\quad m \leftarrow \beta_1 m + (1 - \beta_1) g,\quad "
     r"u \leftarrow \max(\beta_2 u, \left|g\right| + \epsilon),\quad "
     r"w \leftarrow w - \frac{\eta}{1 - \beta_1^{t}}\, \frac{m}{u}"),
    ({"type": "nadam", "learning_rate": "0.002"},
     r"\mu = \beta_1 (1 - \tfrac{1}{2} \cdot 0.96^{t \psi}),\quad "
     r"\mu_{\text{next}} = \beta_1 (1 - \tfrac{1}{2} \cdot 0.96^{(t + 1) \psi}),\quad "
     r"\Pi \leftarrow \Pi \mu,\quad m \leftarrow \beta_1 m + (1 - \beta_1) g,\quad "
     r"v \leftarrow \beta_2 v + (1 - \beta_2) g^{2},\quad "
     r"\hat{m} = \frac{\mu_{\text{next}} m}{1 - \Pi \mu_{\text{next}}} + \frac{(1 - \mu) g}{1 - \Pi},\quad "
     r"\hat{v} = \frac{v}{1 - \beta_2^{t}},\quad w \leftarrow w - \eta\, \frac{\hat{m}}{\sqrt{\hat{v}} + \epsilon}"),
])
def test_rule_is_printed_from_the_same_lines(optimizer, rule):
    from solver.key.training import optimizer_of
    problem = validate(network(optimizer))
    opt = optimizer_of(problem.questions[0])
    assert opt.optimizer.rule(opt.hp) == rule


def test_step_lines_substitute_the_numbers():
    """Step 2 of Nesterov for w1 from the state after step 1, each line symbolic, with its
    numbers, then its value; the values are the run's."""
    import sympy as sp

    from solver.key.optimizer_steps import line_values
    from solver.key.training import optimizer_of
    problem = validate(network({"type": "sgd", "learning_rate": "0.1", "momentum": "0.9", "nesterov": True}))
    opt = optimizer_of(problem.questions[0])
    rows = line_values(opt, 2, sp.Rational(1, 2), sp.Rational(-1, 5), {"buf": sp.Rational(3, 10)})
    assert [(line.name, value) for line, _, value in rows] == [
        ("buf", sp.Rational(7, 100)), ("d", sp.Rational(-137, 1000)), ("w", sp.Rational(5137, 10000))]
    line, reads, _ = rows[1]
    assert line.latex({"g": "-0.2", "momentum": "0.9", "buf": "0.07"}) == r"-0.2 + (0.9)(0.07)"
    assert reads == {"g": sp.Rational(-1, 5), "buf": sp.Rational(7, 100)}


def test_first_step_of_sgd_momentum_is_stated():
    from solver.key.optimizer_steps import first_note
    from solver.key.training import optimizer_of
    problem = validate(network({"type": "sgd", "learning_rate": "0.1", "momentum": "0.9"}))
    assert r"$\mathrm{buf} \leftarrow g$" in first_note(optimizer_of(problem.questions[0]))


def test_plain_sgd_has_no_state_answers_and_adam_has_all():
    plain = answers(solve(validate(network({"type": "sgd", "learning_rate": "0.1"}, 3)), "p"))
    assert not [a for a in plain["questions"][0]["answers"] if a["kind"] == "state"]
    adam = answers(solve(validate(network({"type": "adam", "learning_rate": "0.1"}, 3)), "a"))
    found = {(a["of"], a["step"]) for a in adam["questions"][0]["answers"] if a["kind"] == "state"}
    assert len(found) == 4 * 11 * 3  # m, v, m̂, v̂ × 11 parameters (w1-w8, b1-b3) × steps 1-3


def test_the_step_counter_is_renamed_where_the_problem_has_its_own_t():
    """A graph whose target is t: Adam's step counter is written k, so that β₁^t cannot read as
    a power of the target; a problem without its own t keeps t."""
    from solver import load, solve
    from solver.graph.training import Settings
    from solver.key.optimizer_steps import step_names
    from solver.ops.optimizers import OPTIMIZERS

    adam = Settings(OPTIMIZERS["adam"], {"learning_rate": 0.1, "weight_decay": 0})
    assert step_names({"x": "x", "L": "L"}, adam) == {}
    assert step_names({"t": "t"}, adam) == {"t": "k"}
    assert step_names({"t": "t", "k": "k"}, adam) == {"t": r"t_{\text{step}}"}  # τ is SGD's dampening: never a spare
    graph = {"inputs": {"x": "1.5", "t": "0.2"}, "parameters": {"w": "0.5", "b": "-0.1"},
             "nodes": {"z": "w * x + b", "h": "tanh(z)", "L": "(h - t)^2"}, "output": "L"}
    question = {"id": "run", "ask": ["train"], "steps": 3, "optimizer": {"type": "adam", "learning_rate": "0.1"}}
    md = solve(load({"title": "t", "graph": graph, "questions": [question]}))._repr_markdown_()
    assert "$k$ the step" in md and r"\frac{m}{1 - \beta_1^{k}}" in md and "At $k = 1$ the bias corrections" in md
    assert "$t$ the step" not in md and r"\beta_1^{t}" not in md
    graph["inputs"]["y"] = graph["inputs"].pop("t")
    graph["nodes"]["L"] = "(h - y)^2"
    other = solve(load({"title": "t", "graph": graph, "questions": [question]}))._repr_markdown_()
    assert "$t$ the step" in other and r"\beta_1^{t}" in other


@pytest.mark.parametrize("key", sorted(OPTIMIZERS))
def test_a_zero_gradient_on_a_zero_state_moves_no_parameter(key):
    """What the training run relies on to keep a parameter exact where its gradient is 0 and its
    state still 0 (solver/graph/training.py): no rule moves it then (without weight decay), for
    a few steps, whether or not its state moves (Adamax's u, NAdam's product of μ's)."""
    rule = OPTIMIZERS[key]
    hp = {p.name: (p.default if p.default is not None else sp.Rational(1, 10)) for p in rule.params}
    hp.update({f.name: f.default for f in rule.flags})
    hp["weight_decay"] = sp.Integer(0) if "weight_decay" in hp else None
    hp = {k: v for k, v in hp.items() if v is not None}
    w, state = mpmath.mpf("0.5"), {}
    for t in (1, 2, 3):
        w2, state = rule.step(w, mpmath.mpf(0), state, t, hp, mpmath.sqrt)
        assert w2 == w, (key, t)
    assert any(v != 0 for v in state.values()) == (not rule.rests), key
