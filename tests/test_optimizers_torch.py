"""Adadelta, Adamax and NAdam: the training key's exact answers against torch.optim itself.

A small dense network (tests/test_optimizers.py's, with the hidden and output activations
drawn from tanh, sigmoid, ReLU and the identity, so that the run goes on Arb balls, on
mpmath numbers and on exact fractions) is trained by nnsolve and, scalar by scalar, by
``torch.optim.Adadelta`` / ``Adamax`` / ``NAdam`` at float64; every parameter at every
step and the optimizer's state that torch keeps (``square_avg``, ``acc_delta``,
``exp_avg``, ``exp_inf``, ``exp_avg_sq``, ``mu_product``) must agree to 1e-11, relative
(absolute near 0), torch's own rounding being all that separates them. The same rules
against the reference loop are in test_optimizers.py and test_reference_ops.py.

Run: ``python -m pytest tests/test_optimizers_torch.py -q``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import sympy as sp

sys.path.insert(0, str(Path(__file__).resolve().parent))
import oracle as O  # noqa: E402

from solver.key.solve import solve  # noqa: E402
from solver.problem import validate  # noqa: E402
from solver.render.answers import answers  # noqa: E402

torch = pytest.importorskip("torch")

TOL = 1e-11
STEPS = 5

#: nnsolve's state variable → torch's name of it, by optimizer.
TORCH_STATE = {"adadelta": {"v": "square_avg", "u": "acc_delta"},
               "adamax": {"m": "exp_avg", "u": "exp_inf"},
               "nadam": {"m": "exp_avg", "v": "exp_avg_sq", "prod": "mu_product"}}

#: (optimizer as a problem file writes it, torch's optimizer for a list of tensors).
CASES = [
    ({"type": "adadelta", "learning_rate": "1"}, lambda ps: torch.optim.Adadelta(ps)),
    ({"type": "adadelta", "learning_rate": "0.5", "rho": "0.8", "epsilon": "1e-4", "weight_decay": "0.1"},
     lambda ps: torch.optim.Adadelta(ps, lr=0.5, rho=0.8, eps=1e-4, weight_decay=0.1)),
    ({"type": "adamax", "learning_rate": "0.002"}, lambda ps: torch.optim.Adamax(ps)),
    ({"type": "adamax", "learning_rate": "0.3", "beta1": "0.8", "beta2": "0.6", "epsilon": "1e-6",
      "weight_decay": "0.05"},
     lambda ps: torch.optim.Adamax(ps, lr=0.3, betas=(0.8, 0.6), eps=1e-6, weight_decay=0.05)),
    ({"type": "nadam", "learning_rate": "0.002"}, lambda ps: torch.optim.NAdam(ps)),
    ({"type": "nadam", "learning_rate": "0.1", "beta1": "0.8", "beta2": "0.99", "epsilon": "1e-6",
      "weight_decay": "0.1", "momentum_decay": "0.05"},
     lambda ps: torch.optim.NAdam(ps, lr=0.1, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1, momentum_decay=0.05)),
    ({"type": "nadam", "learning_rate": "0.1", "weight_decay": "0.2", "decoupled_weight_decay": True},
     lambda ps: torch.optim.NAdam(ps, lr=0.1, weight_decay=0.2, decoupled_weight_decay=True)),
]
IDS = ["-".join(f"{k}={v}" for k, v in o.items() if k != "type") for o, _ in CASES]
#: (hidden, output) activations: the run on balls, on mpmath numbers (a kink), on fractions.
ACTS = [("tanh", "sigmoid"), ("relu", "sigmoid"), ("linear", "linear")]
ACT_TORCH = {"tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": torch.relu, "linear": lambda z: z}

W1, W2 = [["0.3", "-0.4"], ["0.2", "-0.6"]], [["0.5", "-0.7"], ["0.1", "0.4"]]  # no ReLU unit dead


def network(optimizer: dict, acts=("tanh", "sigmoid"), target=("1", "0"), steps: int = STEPS,
            weights=(W1, ["0.1", "-0.1"], W2, ["0.2", "0.2"])) -> dict:
    w1, b1, w2, b2 = weights
    return {"title": "torch check", "network": {"inputs": {"x1": "0.5", "x2": "-1"}, "layers": [
        {"units": 2, "activation": acts[0], "weights": w1, "bias": b1},
        {"units": 2, "activation": acts[1], "weights": w2, "bias": b2}]},
        "loss": "sse", "target": list(target),
        "questions": [{"id": "run", "ask": ["train"], "steps": steps, "table_every": 1,
                       "optimizer": optimizer}]}


def torch_run(problem, acts, make, steps: int = STEPS):
    """Every parameter (name → float) and torch's state of it after each step, 0 to ``steps``;
    torch's default dtype float64 meanwhile, which is what keeps NAdam's mu_product (a
    "scalar" of torch.optim) in float64 rather than float32."""
    before = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        return _torch_run(problem, acts, make, steps)
    finally:
        torch.set_default_dtype(before)


def _torch_run(problem, acts, make, steps: int):
    net = problem.network
    names = O.parameter_names(problem)
    p = {k: torch.tensor(float(sp.Rational(str(_start(net, pid)))), dtype=torch.float64, requires_grad=True)
         for k, pid in names.items()}
    by_pid = {pid: p[k] for k, pid in names.items()}
    opt = make(list(p.values()))
    x = [float(sp.Rational(str(v))) for v in net.inputs.values()]
    target = [float(sp.Rational(str(v))) for v in problem.target]
    values, states = [{k: t.item() for k, t in p.items()}], [{}]
    for _ in range(steps):
        opt.zero_grad()
        h = x
        for l, act in enumerate(acts, start=1):
            h = [ACT_TORCH[act](sum(by_pid["W", l, r, c] * h[c] for c in range(len(h))) + by_pid["b", l, r])
                 for r in range(2)]
        sum((o - y) ** 2 for o, y in zip(h, target)).backward()
        opt.step()
        values.append({k: t.item() for k, t in p.items()})
        states.append({k: {n: float(v) for n, v in opt.state[t].items() if n != "step"} for k, t in p.items()})
    return values, states


def _start(net, pid):
    kind, l, *at = pid
    layer = net.layers[l - 1]
    return layer.weights[at[0]][at[1]] if kind == "W" else layer.bias[at[0]]


def key_answers(problem) -> list[dict]:
    return [a for a in answers(solve(problem, "torch"))["questions"][0]["answers"] if "step" in a]


def compare(problem, optimizer: dict, acts, make) -> float:
    """The largest |key − torch| (relative where the value exceeds 1) over every parameter and
    state answer; asserts each is within TOL."""
    values, states = torch_run(problem, acts, make)
    worst, n = 0.0, 0
    for a in key_answers(problem):
        s = a["step"]
        if a["kind"] == "update":
            want = values[s][a["of"]]
        elif a["kind"] == "state":
            var, param = a["of"].split("_", 1)
            name = TORCH_STATE[optimizer["type"]].get(var)
            if name is None:
                continue
            want = states[s][param][name]
        else:
            continue
        got = float(O.read_exact(a["exact"]))
        err = abs(got - want) / max(1.0, abs(want))
        assert err <= TOL, (optimizer, acts, a["kind"], a["of"], s, got, want)
        worst, n = max(worst, err), n + 1
    assert n > 0
    return worst


@pytest.mark.parametrize("acts", ACTS, ids=lambda a: "-".join(a))
@pytest.mark.parametrize("optimizer, make", CASES, ids=IDS)
def test_key_matches_torch(optimizer, make, acts):
    compare(validate(network(optimizer, acts)), optimizer, acts, make)


def test_adamax_maximum_takes_each_side():
    """With β₂ = 0.6 the running maximum u keeps β₂u at some steps and takes |g| + ε at others
    (after step 1, where it is always |g| + ε); the key agrees with torch throughout."""
    optimizer, make = CASES[3]
    problem = validate(network(optimizer, ("linear", "linear")))
    compare(problem, optimizer, ("linear", "linear"), make)
    u = {(a["of"][2:], a["step"]): sp.Rational(a["exact"]) for a in key_answers(problem)
         if a["kind"] == "state" and a["of"].startswith("u_")}  # exact: a linear network's run is
    kept = {u[k, s] == sp.Rational("0.6") * u[k, s - 1] for k, s in u if s > 1 and (k, s - 1) in u}
    assert kept == {True, False}


def test_adamax_tie_is_torchs():
    """β₂u = |g| + ε exactly at step 2 (β₂ = 0.5, ε = 0.01, g = 4 then −1.995): the value is
    the same either side; the step agrees with torch.optim.Adamax given the same gradients."""
    from solver.ops.optimizers import OPTIMIZERS

    opt = OPTIMIZERS["adamax"]
    hp = {"learning_rate": sp.Rational(1, 10), "beta1": sp.Rational(9, 10), "beta2": sp.Rational(1, 2),
          "epsilon": sp.Rational(1, 100), "weight_decay": sp.Integer(0)}
    w, state, mine = sp.Rational(1), {}, []
    for t, g in enumerate((sp.Integer(4), sp.Rational(-1995, 1000)), start=1):
        w, state = opt.step(w, g, state, t, hp, sp.sqrt)
        mine.append((w, state["u"]))
    assert mine[1][1] == sp.Rational(1, 2) * mine[0][1] == sp.Rational(2005, 1000)
    p = torch.tensor(1.0, dtype=torch.float64, requires_grad=True)
    topt = torch.optim.Adamax([p], lr=0.1, betas=(0.9, 0.5), eps=0.01)
    for (w, u), g in zip(mine, (4.0, -1.995)):
        p.grad = torch.tensor(g, dtype=torch.float64)
        topt.step()
        assert abs(p.item() - float(w)) <= TOL and abs(float(topt.state[p]["exp_inf"]) - float(u)) <= TOL


#: A linear network in binary fractions, output 1 exactly on its target (torch's gradient of
#: its weights is then exactly 0 at step 1, as nnsolve's).
ON_TARGET = dict(acts=("linear", "linear"), target=("0.4375", "0"),
                 weights=([["0.25", "-0.5"], ["0.5", "-0.75"]], ["0.125", "-0.25"],
                          [["0.5", "-0.25"], ["0.25", "0.5"]], ["0.25", "0.25"]))


@pytest.mark.parametrize("case", [CASES[2], CASES[4]], ids=["adamax", "nadam"])
def test_parameter_without_gradient_at_step_1(case):
    """Output 1 is exactly on its target at step 0, so its weights get a zero gradient at step
    1 and a nonzero one once the hidden layer has moved. torch runs step 1 on them all the
    same: Adamax's u is ε after it (the key said 0), NAdam's mu_product is μ₁ (the key's run
    started it at step 2, from 0, and w5 went astray): neither rule rests (Optimizer.rests)."""
    optimizer, make = case
    problem = validate(network(optimizer, **ON_TARGET))
    compare(problem, optimizer, ON_TARGET["acts"], make)
