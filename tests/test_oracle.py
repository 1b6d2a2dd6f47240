"""Oracle tests: the solver's answers against an independent mpmath oracle
(``tests/oracle.py``: 60-digit forward pass, central finite differences), against
the seed reference values in ../shared/reference/seed_answers.json, and
(optionally) against PyTorch autograd.

Mini-batches (inputs written as lists) are checked example by example (``h1#n``,
``L#n``) and as a batch (``L``, the gradients), in the bundled XOR problem, a
hand-made batch and the hypothesis networks (batches of 1 to 4, mean or sum); a
batch problem's answers must not depend on the style, and its matrix-style key must
compile. Training answers (those with a ``step``) are checked in tests/test_training.py.

Run: ``cd /work/main && python -m pytest tests/test_oracle.py -q``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st
from mpmath import mp, mpf

sys.path.insert(0, str(Path(__file__).resolve().parent))
import oracle as O  # noqa: E402

from solver.core.options import Options
from solver.render.answers import answers  # noqa: E402
from solver.graph.backprop import backward, forward  # noqa: E402
from solver.problem.loader import load_problem  # noqa: E402
from solver.graph.network import build_network  # noqa: E402
from solver.problem import validate  # noqa: E402
from solver.key.solve import solve  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
ALL_PROBLEMS = sorted((ROOT / "problems").glob("*.yaml"))


def _tensors(path: Path) -> bool:
    """A tensor problem: a graph value given as a list, or a network's conv/pool/flatten layer."""
    import yaml

    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    graph = data.get("graph") or {}
    values = [*graph.get("inputs", {}).values(), *graph.get("parameters", {}).values()]
    layers = (data.get("network") or {}).get("layers", [])
    return any(isinstance(v, list) for v in values) or any(layer.get("type", "dense") != "dense" for layer in layers)


#: The problems of this file's oracle (dense networks and scalar graphs); tensor problems have
#: theirs in test_tensor_oracle.py and test_tensor_graph.py.
PROBLEMS = [p for p in ALL_PROBLEMS if not _tensors(p)]
#: the seeds' reference answers: beside the checkout (shared/ next to the repository, as CI
#: lays it out), or where NNSOLVE_SEED_REFERENCE points
REFERENCE = Path(os.environ.get("NNSOLVE_SEED_REFERENCE")
                 or ROOT.parent / "shared" / "reference" / "seed_answers.json")
TOL = "1e-25"
#: examples per hypothesis test (raise it for a longer hunt: ORACLE_EXAMPLES=2000)
EXAMPLES = int(os.environ.get("ORACLE_EXAMPLES", "40"))


# --- comparing a solution with the oracle ------------------------------------------

def sym_to_mpf(v) -> mpf:
    """A solver value (sympy Rational or Float) as an mpf, read from its digits."""
    with mp.workdps(O.DPS):
        if hasattr(v, "p") and hasattr(v, "q"):
            return mpf(int(v.p)) / int(v.q)
        return mpf(str(v))


def _param_sort_key(pid: tuple) -> tuple:
    """Matrix order: layer by layer, weights row by row as written, then biases."""
    if pid[0] == "W":
        return (pid[1], 0, pid[2], pid[3])
    return (pid[1], 1, pid[2] if len(pid) > 2 else 0, 0)


#: The kinds of answer a question's paper asks for, by ask (stated here apart from the key's
#: own table): every other answer of the question is shown on the way, marked ``upstream``.
PAPER_ASKS = {"forward": {"value"}, "loss": {"loss", "penalty"}, "gradients": {"gradient"}, "update": {"update"},
              "loss_after": {"loss_after"}, "forward_after": {"value_after"}, "train": {"update", "loss"}}


def _partition(answers_: list[dict], q=None, params=()) -> tuple[list, list, list]:
    """(answers of the question proper and what it computes on the way to them: the loss and
    the gradients of ``params`` (its parameters and the names it asks about) before an
    update, checked alike; the other intermediate ∂L/∂n, marked ``upstream``; training
    answers carrying a ``step``).
    With the question ``q``: an answer of a kind its paper does not ask for is marked
    ``upstream``, and one of a kind it asks for is not, but for an intermediate ∂L/∂n."""
    plain, upstream, training = [], [], []
    asked = set().union(*(PAPER_ASKS.get(x, set()) for x in q.ask)) if q is not None else None
    for a in answers_:
        if asked is not None and "step" not in a:
            assert bool(a.get("upstream")) == (a["kind"] not in asked) or (a["kind"] == "gradient" and a.get("upstream")), \
                (q.id, q.ask, a["kind"], a["of"])
        on_the_way = a.get("upstream") and a["kind"] == "gradient" and a["of"] not in params
        (training if "step" in a else upstream if on_the_way else plain).append(a)
    return plain, upstream, training


#: what the oracle can check: a question asking any of these has numeric answers
NUMERIC_ASKS = ("forward", "loss", "gradients", "update", "train")
NUMERIC_KINDS = {"value", "loss", "gradient", "update", "penalty", "value_after", "loss_after"}
#: answers the oracle has nothing to say about (issue 7): parameter counts, output shapes
#: and sympy-checked derivations (tests/test_structure.py checks them), by the ask item
#: that calls for each
STRUCTURAL_KINDS = {"count": "count", "shape": "shapes", "derivation": "derive",
                    "state": "train"}  # an optimizer's state: tests/test_optimizers.py checks it


def has_network(problem) -> bool:
    """Whether the problem has a ``network`` or a ``graph`` (count/shapes/derive-only
    problems have neither, and nothing numeric to compare)."""
    return problem.network is not None or problem.graph is not None


def is_numeric(question) -> bool:
    return any(a in question.ask for a in NUMERIC_ASKS)


#: the learning rules of a single unit: tests/test_learning_rules.py checks them against a plain loop
RULE_ASKS = ("perceptron", "delta_rule")


def _structural(where: str, question, answers_: list[dict]) -> tuple[list[dict], int]:
    """Split off the answers the oracle ignores (count, shape, derivation; a learning rule's),
    checking that each is of a kind the question asks for and that a question with no numeric
    ask has no numeric answers; returns (the numeric answers, how many were ignored)."""
    if any(a in question.ask for a in RULE_ASKS):
        assert not is_numeric(question), f"{where}: a learning rule beside {list(question.ask)}"
        return [], len(answers_)
    numeric = [a for a in answers_ if a["kind"] not in STRUCTURAL_KINDS]
    ignored = [a for a in answers_ if a["kind"] in STRUCTURAL_KINDS]
    unknown = sorted({a["kind"] for a in numeric} - NUMERIC_KINDS)
    assert not unknown, f"{where}: unknown answer kinds {unknown}"
    for a in ignored:
        assert STRUCTURAL_KINDS[a["kind"]] in question.ask, \
            f"{where}: a {a['kind']} answer ({a['of']}) but ask is {list(question.ask)}"
    if not is_numeric(question):
        assert not numeric, f"{where}: numeric answers {[(a['kind'], a['of']) for a in numeric]} " \
                            f"to a question asking {list(question.ask)}"
    return numeric, len(ignored)


def _loss_names(orc: O.Oracle) -> list[str]:
    """The loss answers a question must give: ``L``; for a batch, ``L#1``… then ``L``."""
    return ([f"L#{n}" for n in range(1, orc.size + 1)] if orc.size > 1 else []) + ["L"]


def check_solution(problem, stem: str = "problem", tol: str = TOL, style: str | None = None) -> dict:
    """Compare every answer of ``solve(problem)`` with the oracle; return counts per
    kind (and the questions whose gradients were not checked because of a kink).

    Checks: value answers = oracle forward values (each example's, in a batch); the
    loss (and each example's loss ``L#n`` in a batch); every gradient answer = the
    oracle's finite difference, the intermediate ones marked ``upstream`` included;
    every update = w − η·gradient; the set of gradient/update answers is what the
    question asks for; gradient answers of ``all`` come in matrix order; the graph's
    parameter metadata (layer, position, value) agrees with the oracle's parameter
    named alike. Training answers (those with a ``step``) are only counted here
    (``counts["training"]``); tests/test_training.py checks them. Count, shape and
    derivation answers are not numeric: they are set aside (``counts["structural"]``)
    after checking that their question asks for them, and a question that asks only for
    them is not given to the oracle.
    """
    assert has_network(problem), "the oracle needs a network or a graph"
    if O.is_graph_problem(problem):
        return check_graph_solution(problem, stem, tol, style)
    sol = answers(solve(problem, stem, Options(style=style)))
    names = O.parameter_names(problem)
    counts = {"value": 0, "loss": 0, "gradient": 0, "upstream": 0, "update": 0, "training": 0, "structural": 0,
              "kinked": []}
    assert [q["id"] for q in sol["questions"]] == [q.id for q in problem.questions]
    for q, sec in zip(problem.questions, sol["questions"]):
        numeric, ignored = _structural(f"{stem}/{q.id}", q, sec["answers"])
        counts["structural"] += ignored
        if not is_numeric(q):
            continue
        orc = O.Oracle.from_problem(problem, q)
        graph = build_network(problem, q)
        fwd = orc.forward()
        kinks = orc.kinks()
        where = f"{stem}/{q.id}"
        plain, upstream, training = _partition(numeric, q, set(names) | set(q.gradients if q.gradients != "all" else ()))
        assert not training or "train" in q.ask, f"{where}: training answers without 'train'"
        counts["training"] += len(training)
        by_kind: dict[str, list] = {}
        for a in plain:
            by_kind.setdefault(a["kind"], []).append(a)
        assert set(by_kind) <= {"value", "loss", "gradient", "update", "penalty", "value_after", "loss_after"}, where
        for a in by_kind.get("penalty", []):  # loss.regularization's R
            assert O.close(O.read_exact(a["exact"]), fwd.penalty, tol), (where, a)
            counts["penalty"] = counts.get("penalty", 0) + 1

        for a in by_kind.get("value", []):
            nid = O.node_id(graph, a["of"], problem)
            want = orc.node_value(fwd, nid)
            got = O.read_exact(a["exact"])
            assert O.close(got, want, tol), \
                f"{where}: value of {a['of']} {nid}: solver {O.show(got)}, oracle {O.show(want)}"
            assert abs(a["value"] - float(want)) <= 1e-12 * max(1.0, abs(float(want))), (where, a)
            counts["value"] += 1

        wants_loss = any(x in q.ask for x in ("loss", "gradients", "update", "train"))
        losses = by_kind.get("loss", [])
        assert [a["of"] for a in losses] == (_loss_names(orc) if wants_loss else []), \
            f"{where}: loss answers {[a['of'] for a in losses]}"
        for a in losses:
            want = fwd.loss if a["of"] == "L" else fwd.examples[int(a["of"].split("#")[1]) - 1].loss
            got = O.read_exact(a["exact"])
            assert O.close(got, want, tol), f"{where}: loss {a['of']}: solver {O.show(got)}, oracle {O.show(want)}"
            assert abs(a["value"] - float(want)) <= 1e-12 * max(1.0, abs(float(want)))
            counts["loss"] += 1

        grads = by_kind.get("gradient", [])
        asks_grads = any(x in q.ask for x in ("gradients", "update", "train"))
        if not asks_grads:
            assert not grads and not upstream and not by_kind.get("update"), where
            continue
        expected = list(names) if q.gradients == "all" else list(q.gradients)
        assert sorted(a["of"] for a in grads) == sorted(expected), \
            f"{where}: gradient answers {[a['of'] for a in grads]} but asked {expected}"
        if q.gradients == "all":
            order = [names[a["of"]] for a in grads]
            assert order == sorted(order, key=_param_sort_key), f"{where}: not in matrix order: {order}"
        assert all(a["kind"] == "gradient" and a["of"] not in expected for a in upstream), \
            f"{where}: upstream answers {[(a['kind'], a['of']) for a in upstream]}"
        if kinks:
            counts["kinked"].append((where, kinks))
            continue

        oracle_grad: dict[str, mpf] = {}
        for a in grads + upstream:
            key = a["of"]
            nid = O.node_id(graph, key, problem)
            node = graph.by_key[key]
            if node.kind in ("weight", "bias"):
                # the solver's node is the parameter the oracle calls by that name
                assert node.layer == nid[1], (where, key, node.layer, nid)
                assert O.fraction(node.value) == orc.params[nid], (where, key)
                if node.kind == "weight":
                    assert nid[0] == "W" and node.position == nid[2:], (where, key, node.position, nid)
                else:
                    assert nid[0] == "b", (where, key, nid)
            want = orc.gradient(nid)
            oracle_grad[key] = want
            got = O.read_exact(a["exact"])
            assert O.close(got, want, tol), f"{where}: dL/d{key} {nid}: solver {O.show(got)}, oracle {O.show(want)}"
            assert abs(a["value"] - float(want)) <= 1e-12 * max(1.0, abs(float(want))), (where, a)
            counts["upstream" if any(a is u for u in upstream) else "gradient"] += 1

        updates = by_kind.get("update", [])
        if "update" not in q.ask:
            assert not updates, where
            continue
        want_updates = [k for k in expected if k in names
                        and (q.update_biases or names[k][0] != "b")]
        assert sorted(a["of"] for a in updates) == sorted(want_updates), \
            f"{where}: update answers {[a['of'] for a in updates]}, expected {want_updates}"
        with mp.workdps(O.DPS):
            eta = O.to_mpf(q.learning_rate)
            for a in updates:
                key = a["of"]
                want = O.to_mpf(orc.params[names[key]]) - eta * oracle_grad[key]
                got = O.read_exact(a["exact"])
                assert O.close(got, want, tol), f"{where}: update of {key}: solver {O.show(got)}, oracle {O.show(want)}"
                counts["update"] += 1
            after = orc.forward(override={names[k]: O.to_mpf(orc.params[names[k]]) - eta * oracle_grad[k]
                                          for k in want_updates})
        _check_after(where, q, graph, problem, orc, after, by_kind, tol, counts)
    return counts


def _check_after(where, q, graph, problem, orc, after, by_kind, tol, counts) -> None:
    """``loss_after`` (each example's loss, the penalty, the batch's loss) and ``value_after``
    answers against the oracle's forward pass at the updated parameters."""
    wanted = [a for a in ("loss_after", "forward_after") if a in q.ask]
    assert bool(by_kind.get("loss_after")) == ("loss_after" in q.ask), where
    assert bool(by_kind.get("value_after")) == bool(wanted), where
    for a in by_kind.get("loss_after", []):
        nid = ("L",) if a["of"] == "L" else O.node_id(graph, a["of"], problem)
        want = after.loss if nid == ("L",) else orc.node_value(after, nid)
        assert O.close(O.read_exact(a["exact"]), want, tol), (where, a, O.show(want))
        counts["loss_after"] = counts.get("loss_after", 0) + 1
    for a in by_kind.get("value_after", []):
        want = orc.node_value(after, O.node_id(graph, a["of"], problem))
        assert O.close(O.read_exact(a["exact"]), want, tol), (where, a, O.show(want))
        counts["value_after"] = counts.get("value_after", 0) + 1


def check_graph_solution(problem, stem: str, tol: str = TOL, style: str | None = None) -> dict:
    """:func:`check_solution` for a ``graph:`` problem: names are the graph's own."""
    sol = answers(solve(problem, stem, Options(style=style)))
    counts = {"value": 0, "loss": 0, "gradient": 0, "upstream": 0, "update": 0, "training": 0, "structural": 0,
              "kinked": []}
    orc = O.GraphOracle.from_problem(problem)
    values = orc.forward()
    kinks = orc.kinks()
    assert [sec["id"] for sec in sol["questions"]] == [q.id for q in problem.questions]
    for q, sec in zip(problem.questions, sol["questions"]):
        where = f"{stem}/{q.id}"
        numeric, ignored = _structural(where, q, sec["answers"])
        counts["structural"] += ignored
        if not is_numeric(q):
            continue
        grads: dict[str, mpf] = {}
        plain, upstream, training = _partition(numeric, q, set(orc.leaves) | set(q.gradients if q.gradients != "all" else ()))
        assert not training or "train" in q.ask, f"{where}: training answers without 'train'"
        counts["training"] += len(training)
        asked = [a["of"] for a in plain if a["kind"] == "gradient"]
        if not any(x in q.ask for x in ("gradients", "update", "train")):
            assert not asked and not upstream, f"{where}: gradients not asked for: {asked}"
        elif q.gradients != "all":
            assert sorted(asked) == sorted(q.gradients), f"{where}: gradient answers {asked}, asked {q.gradients}"
        assert all(a["kind"] == "gradient" and a["of"] not in asked for a in upstream), where
        for a in plain + upstream:
            got, of, kind = O.read_exact(a["exact"]), a["of"], a["kind"]
            if kind == "value":
                assert of in values, f"{where}: value of unknown name {of!r}"
                want = values[of]
            elif kind == "loss":
                want = values["__loss__"]
            elif kind == "gradient":
                if kinks:
                    counts["kinked"].append((where, kinks))
                    continue
                assert of in values, f"{where}: gradient of unknown name {of!r}"
                want = grads[of] = orc.gradient(of)
            elif kind == "update":
                if kinks:
                    continue
                assert of in orc.leaves, f"{where}: update of {of!r}, not an input or parameter"
                g = grads[of] if of in grads else orc.gradient(of)
                with mp.workdps(O.DPS):
                    want = O.to_mpf(orc.leaves[of]) - O.to_mpf(q.learning_rate) * g
            else:
                raise AssertionError(f"{where}: unknown answer kind {kind!r}")
            assert O.close(got, want, tol), f"{where}: {kind} {of}: solver {O.show(got)}, oracle {O.show(want)}"
            counts["upstream" if any(a is u for u in upstream) else kind] += 1
    return counts


def _graph_of(problem, question):
    if O.is_graph_problem(problem):
        from solver.graph.spec import build_graph_spec
        return build_graph_spec(problem, question)
    return build_network(problem, question)


def check_adjoints(problem, tol: str = TOL) -> int:
    """Every adjoint of :func:`solver.backprop.backward` (inputs, parameters,
    pre-activations, activations, outputs) against the oracle's ∂L/∂node."""
    n = 0
    graph_problem = O.is_graph_problem(problem)
    for q in problem.questions:
        if not is_numeric(q):  # a count, shapes or derive question: no loss to differentiate
            continue
        graph = _graph_of(problem, q)
        if graph.loss is None:
            continue
        orc = (O.GraphOracle if graph_problem else O.Oracle).from_problem(problem, q)
        if orc.kinks():
            continue
        values = forward(graph)
        grads = backward(graph, values)
        for key, adj in grads.adjoint.items():
            kind = graph.by_key[key].kind
            if kind in ("target", "loss"):
                continue
            nid = key if graph_problem else O.node_id(graph, key, problem)
            want = orc.gradient(nid)
            got = sym_to_mpf(adj)
            assert O.close(got, want, tol), \
                f"{q.id}: adjoint of {key} ({kind}, {nid}): solver {O.show(got)}, oracle {O.show(want)}"
            n += 1
    return n


# --- (0) the oracle itself -------------------------------------------------------------

def _one_neuron(activation: str, loss, target, w="0.7", b="-0.3", x="1.5", **extra) -> dict:
    layer = {"units": 1, "activation": activation, "weights": [[w]], "bias": b, **extra}
    return {"title": "t", "network": {"inputs": {"x1": x}, "layers": [layer]},
            "loss": loss, "target": target,
            "questions": [{"id": "q", "ask": ["loss", "gradients"]}]}


def test_oracle_against_hand_derivatives():
    """The oracle's finite differences equal closed-form derivatives."""
    with mp.workdps(O.DPS):
        w, b, x, y = mpf("0.7"), mpf("-0.3"), mpf("1.5"), mpf("0.25")
        z = w * x + b
        # sigmoid + bce (one output): dL/dz = p - y
        p = 1 / (1 + mp.exp(-z))
        orc = O.Oracle.from_problem(validate(_one_neuron("sigmoid", "bce", ["0.25"])))
        assert O.close(orc.loss(), -(y * mp.log(p) + (1 - y) * mp.log(1 - p)), "1e-55")
        assert O.close(orc.gradient(("W", 1, 0, 0)), (p - y) * x, "1e-35")
        assert O.close(orc.gradient(("b", 1)), p - y, "1e-35")
        assert O.close(orc.gradient(("x", 0)), (p - y) * w, "1e-35")
        # tanh + half_sse: dL/dw = (t - y)(1 - t²) x
        t = mp.tanh(z)
        orc = O.Oracle.from_problem(validate(_one_neuron("tanh", "half_sse", ["0.25"])))
        assert O.close(orc.loss(), (t - y) ** 2 / 2, "1e-55")
        assert O.close(orc.gradient(("W", 1, 0, 0)), (t - y) * (1 - t ** 2) * x, "1e-35")
        assert O.close(orc.gradient(("z", 1, 0)), (t - y) * (1 - t ** 2), "1e-35")
        assert O.close(orc.gradient(("a", 1, 0)), t - y, "1e-35")
        # leaky ReLU below 0, l1 loss: dL/dw = sign(o - y) α x
        orc = O.Oracle.from_problem(validate(_one_neuron("leaky_relu", "l1", ["0.25"], b="-2", slope="0.1")))
        o = mpf("0.1") * (w * x - 2)
        assert O.close(orc.loss(), abs(o - y), "1e-55")
        assert O.close(orc.gradient(("W", 1, 0, 0)), -mpf("0.1") * x, "1e-35")
        # mse over a 2-unit linear layer (xW): dL/dW[i,j] = (2/n)(o_j - y_j) x_i
        d = {"title": "t", "network": {"inputs": {"x1": "0.5", "x2": "-2"}, "orientation": "xW",
                                       "layers": [{"units": 2, "weights": [["0.1", "0.2"], ["0.3", "-0.4"]],
                                                   "bias": ["0.5", "0.6"]}]},
             "loss": "mse", "target": ["1", "-1"], "questions": [{"id": "q", "ask": ["gradients"]}]}
        orc = O.Oracle.from_problem(validate(d))
        xs, ys = [mpf("0.5"), mpf("-2")], [mpf(1), mpf(-1)]
        W = [[mpf("0.1"), mpf("0.2")], [mpf("0.3"), mpf("-0.4")]]
        o = [xs[0] * W[0][j] + xs[1] * W[1][j] + mpf("0.5") + mpf("0.1") * j for j in range(2)]
        for i in range(2):
            for j in range(2):
                assert O.close(orc.gradient(("W", 1, i, j)), (o[j] - ys[j]) * xs[i], "1e-35")
        assert O.close(orc.gradient(("b", 1, 1)), o[1] - ys[1], "1e-35")


def test_graph_oracle_against_hand_derivatives():
    """The expression walker of ``graph:`` problems, against closed forms."""
    orc = O.GraphOracle({"x": "1.5"}, {"w": "0.3", "b": "-0.2"},
                        {"z": "w*x + b", "a": "sigmoid(z)",
                         "L": "square(a - 1)/2 + 0.1*abs(w)^2 - log(max(a, 0.25)) + leaky_relu(-z, 0.1)"}, "L")
    with mp.workdps(O.DPS):
        x, w, b = mpf("1.5"), mpf("0.3"), mpf("-0.2")
        z = w * x + b
        a = 1 / (1 + mp.exp(-z))
        L = (a - 1) ** 2 / 2 + mpf("0.1") * w ** 2 - mp.log(a) - mpf("0.1") * z
        dL_da = (a - 1) - 1 / a
        dL_dz = dL_da * a * (1 - a) - mpf("0.1")
        assert O.close(orc.loss(), L, "1e-55")
        assert O.close(orc.gradient("w"), dL_dz * x + mpf("0.2") * w, "1e-35")
        assert O.close(orc.gradient("b"), dL_dz, "1e-35")
        assert O.close(orc.gradient("z"), dL_dz, "1e-35")
        assert O.close(orc.gradient("a"), dL_da, "1e-35")
        assert not orc.kinks()
    assert O.GraphOracle({"x": "0"}, {}, {"L": "relu(x)"}, "L").kinks()


def test_oracle_step_independent():
    """Two different steps give the same derivative (the step is in the smooth regime)."""
    problem = load_problem(ROOT / "problems" / "leaky-relu-4-3-2-bce.yaml")
    orc = O.Oracle.from_problem(problem, problem.questions[1])
    for pid in [("W", 1, 0, 1), ("W", 2, 2, 0), ("W", 1, 3, 2)]:
        assert O.close(orc.gradient(pid, "1e-20"), orc.gradient(pid, "1e-24"), "1e-30")
    assert abs(orc.gradient(("W", 2, 2, 0))) > mpf("0.1")


def test_oracle_sees_a_wrong_answer():
    """The comparison is sharp: a gradient off by 1e-20 is rejected."""
    problem = load_problem(ROOT / "problems" / "relu-2-2-2.yaml")
    orc = O.Oracle.from_problem(problem, problem.questions[2])
    g = orc.gradient(("W", 1, 1, 0))  # w3
    with mp.workdps(O.DPS):
        assert O.close(g, mpf(-13) / 250, TOL)
        assert not O.close(g + mpf("1e-20"), mpf(-13) / 250, TOL)


def test_parameter_names_follow_the_schemes():
    seq = load_problem(ROOT / "problems" / "relu-2-2-2.yaml")
    assert O.parameter_names(seq) == {
        "b1": ("b", 1), "w1": ("W", 1, 0, 0), "w2": ("W", 1, 0, 1), "w3": ("W", 1, 1, 0),
        "w4": ("W", 1, 1, 1), "b2": ("b", 2), "w5": ("W", 2, 0, 0), "w6": ("W", 2, 0, 1),
        "w7": ("W", 2, 1, 0), "w8": ("W", 2, 1, 1)}
    idx = load_problem(ROOT / "problems" / "leaky-relu-4-3-2-bce.yaml")
    names = O.parameter_names(idx)
    assert names["W1[4,3]"] == ("W", 1, 3, 2) and names["W2[3,1]"] == ("W", 2, 2, 0)
    assert len(names) == 12 + 6


# --- (a) every bundled problem -------------------------------------------------------

@pytest.mark.parametrize("path", PROBLEMS, ids=[p.stem for p in PROBLEMS])
def test_bundled_problem_matches_oracle(path):
    problem = load_problem(path)
    if not has_network(problem):
        assert not any(is_numeric(q) for q in problem.questions)  # the validator requires one otherwise
        pytest.skip("no network or graph: only counts, shapes or derivations (tests/test_structure.py)")
    counts = check_solution(problem, path.stem)
    asks = {a for q in problem.questions for a in q.ask}
    if asks & {"count", "shapes", "derive"}:
        assert counts["structural"] > 0  # set aside, not compared
    if counts["kinked"] and not counts["gradient"]:
        pytest.skip(f"every gradient question has a kink: {counts['kinked']}")
    if "forward" in asks:
        assert counts["value"] > 0
    if asks & {"loss", "gradients", "update", "train"} and not O.is_graph_problem(problem):
        assert counts["loss"] > 0
    if asks & {"gradients", "update", "train"}:
        assert counts["gradient"] > 0
    if "update" in asks:
        assert counts["update"] > 0
    assert (counts["training"] > 0) == ("train" in asks)  # checked in tests/test_training.py


@pytest.mark.parametrize("path", PROBLEMS, ids=[p.stem for p in PROBLEMS])
def test_bundled_backward_adjoints_match_oracle(path):
    problem = load_problem(path)
    if not has_network(problem):
        pytest.skip("no network or graph: only counts, shapes or derivations")
    if not any(a in q.ask for q in problem.questions for a in ("loss", "gradients", "update")):
        pytest.skip("no loss in this problem")
    assert check_adjoints(problem) > 0


# --- (b) random networks -----------------------------------------------------------------

HIDDEN = ["relu", "leaky_relu", "sigmoid", "tanh", "linear", "identity", "gelu", "silu", "elu", "softplus"]


def _decimal_text(k: int, places: int = 2) -> str:
    return str(Decimal(k).scaleb(-places))


@st.composite
def numbers(draw, lo: int, hi: int, places: int = 2):
    """A decimal with up to ``places`` decimals in [lo, hi]·10^-places, written as a
    decimal string, a float or a fraction string; with its exact value."""
    k = draw(st.integers(lo, hi))
    exact = Fraction(k, 10 ** places)
    form = draw(st.sampled_from(["str", "str", "float", "fraction"]))
    if form == "str":
        text = _decimal_text(k, places)
    elif form == "float":
        text = float(_decimal_text(k, places))
    else:
        text = f"{exact.numerator}/{exact.denominator}"
    return text, exact


@st.composite
def random_problems(draw):
    """A random valid problem dict, and the exact weights it was written with."""
    n_in = draw(st.integers(1, 4))
    n_layers = draw(st.integers(1, 3))
    orientation = draw(st.sampled_from(["Wx", "xW"]))
    naming = draw(st.sampled_from(["sequential", "indexed"]))
    exact = {}
    layers = []
    prev = n_in
    for l in range(1, n_layers + 1):
        last = l == n_layers
        units = draw(st.integers(1, 4))
        act = draw(st.sampled_from(HIDDEN + (["softmax", "sigmoid"] if last else [])))
        rows, cols = (units, prev) if orientation == "Wx" else (prev, units)
        weights = []
        for r in range(rows):
            row = []
            for c in range(cols):
                text, v = draw(numbers(-100, 100))
                row.append(text)
                exact[("W", l, r, c)] = v
            weights.append(row)
        layer = {"units": units, "activation": act, "weights": weights}
        if act == "leaky_relu":
            layer["slope"] = draw(st.sampled_from(["0.01", "0.1", "0.2", 0.05, "1/3"]))
        style = draw(st.sampled_from(["none", "shared", "neuron"]))
        if style == "shared":
            text, v = draw(numbers(-100, 100))
            layer["bias"] = text
            exact[("b", l)] = v
        elif style == "neuron":
            layer["bias"] = []
            for j in range(units):
                text, v = draw(numbers(-100, 100))
                layer["bias"].append(text)
                exact[("b", l, j)] = v
        names = {}
        if draw(st.integers(0, 5)) == 0:  # custom parameter names now and then
            names["weights"] = [[f"u{l}r{r + 1}c{c + 1}" for c in range(cols)] for r in range(rows)]
            if style == "shared":
                names["bias"] = f"beta{l}"
            elif style == "neuron":
                names["bias"] = [f"c{l}n{j + 1}" for j in range(units)]
        pick = draw(st.integers(0, 7))
        if pick == 0:  # custom neuron names (and pre-activation names for a non-linear layer)
            names["neurons"] = [f"n{l}u{j + 1}" for j in range(units)]
            if act not in ("linear", "identity"):
                names["preactivations"] = [f"s{l}u{j + 1}" for j in range(units)]
        elif pick == 1:
            names["symbol"] = "g"
        elif pick == 2:  # pre-activation names alone (a linear layer's one node takes them)
            names["preactivations"] = [f"s{l}u{j + 1}" for j in range(units)]
        if names:
            layer["names"] = names
        layers.append(layer)
        prev = units
    out_act = layers[-1]["activation"]
    n_out = prev
    # A batch (inputs written as lists) of 1 to 4 examples, about half the time. A batch
    # of one with several outputs is left to test_batch_of_one_takes_one_target_per_example:
    # the solver reads its target as one example's vector, not as a list of one.
    batch = draw(st.sampled_from([None, None, None, 1, 2, 3, 4] if n_out == 1 else [None, None, 2, 3, 4]))
    inputs = {}
    for i in range(n_in):
        if batch is None:
            text, v = draw(numbers(-200, 200))
            inputs[f"x{i + 1}"] = text
            exact[("x", i)] = v
        else:
            inputs[f"x{i + 1}"] = []
            for n in range(1, batch + 1):
                text, v = draw(numbers(-200, 200))
                inputs[f"x{i + 1}"].append(text)
                exact[("x", i, n)] = v
    head = out_act != "softmax" and draw(st.integers(0, 3)) == 0  # a second softmax is refused
    probs = out_act == "softmax" or head
    choices = ["sse", "half_sse", "mse", "l1", "huber"]
    if n_out > 1 and batch is None:
        choices += ["multiclass_hinge"]
    if probs:
        choices += ["cross_entropy", "cross_entropy"]
    # bce needs p strictly inside (0, 1): a softmax over one output is exactly 1
    if (probs and n_out > 1) or (out_act == "sigmoid" and not head):
        choices += ["bce", "bce"]
    loss_type = draw(st.sampled_from(choices))
    loss = loss_type
    if loss_type in ("bce", "l1", "huber"):  # every reduction each loss takes, and its default
        red = draw(st.sampled_from([None, "mean", "sum"]))
        loss = {"type": loss_type} if red is None else {"type": loss_type, "reduction": red}
        if loss_type == "huber" and draw(st.booleans()):
            loss["delta"] = draw(st.sampled_from(["0.05", "0.5", "2"]))
    elif loss_type == "multiclass_hinge" and draw(st.booleans()):
        loss = {"type": loss_type, "margin": draw(st.sampled_from(["0.25", "1", "3"]))}
    elif draw(st.booleans()):
        loss = {"type": loss_type}
    if batch is not None:
        how = draw(st.sampled_from([None, "mean", "sum"]))  # None: the default, mean
        if how is not None:
            loss = {**loss, "batch": how} if isinstance(loss, dict) else {"type": loss, "batch": how}

    def one_target():
        if loss_type == "multiclass_hinge":
            return {"class": draw(st.integers(1, n_out))}
        if loss_type == "bce" or (loss_type == "cross_entropy" and draw(st.booleans())):
            vector = [draw(numbers(0, 100))[0] for _ in range(n_out)]
        elif draw(st.integers(0, 2)) == 0 and batch != 1:
            return {"class": draw(st.integers(1, n_out))}
        else:
            vector = [draw(numbers(-100, 100))[0] for _ in range(n_out)]
        # in a batch, one output's target may be written as a bare number
        if batch == 1:  # see above: only a bare number reads the same either way
            return vector[0] if len(vector) == 1 else vector
        return vector[0] if batch is not None and n_out == 1 and draw(st.booleans()) else vector

    if draw(st.integers(0, 3)) == 0:  # a weight penalty (loss.regularization)
        reg = {k: draw(st.sampled_from(["0.01", "0.1", "1/4"])) for k in draw(st.sampled_from(
            [["l2"], ["l1"], ["l2", "l1"]]))}
        if draw(st.booleans()):
            reg["include_biases"] = True
        loss = {**loss, "regularization": reg} if isinstance(loss, dict) else {"type": loss, "regularization": reg}
    target = one_target() if batch is None else [one_target() for _ in range(batch)]
    question = {"id": "q", "ask": draw(st.sampled_from([["loss", "gradients"], ["gradients"],
                                                        ["forward", "loss", "gradients", "update"],
                                                        ["update"], ["gradients", "update", "loss_after"],
                                                        ["update", "loss_after", "forward_after"]]))}
    if "update" in question["ask"]:
        question["learning_rate"] = draw(st.sampled_from(["0.1", "0.05", "1/3", 1]))
        question["update_biases"] = draw(st.booleans())
    if head:
        question["output_head"] = "softmax"
    data = {"title": "random", "network": {"inputs": inputs, "orientation": orientation, "naming": naming,
                                           "layers": layers}, "questions": [question]}
    if draw(st.booleans()):
        data["loss"], data["target"] = loss, target
    else:
        question["loss"], question["target"] = loss, target
    return data, exact


def _random_case(data, exact):
    problem = validate(data)
    # the validated numbers are exactly the generated ones
    orc = O.Oracle.from_problem(problem)
    for key, v in exact.items():
        assert (orc.leaf_value(key) if key[0] == "x" else orc.params[key]) == v, key
    assert len(orc.params) + orc.size * len(orc.examples[0]) == len(exact)
    assume(not orc.kinks())
    net = problem.network
    event(f"layers={len(net.layers)}, orientation={net.orientation}, naming={net.naming}")
    event(f"loss={orc.loss_type}, output={orc.layers[-1].activation}, head={orc.head}")
    event(f"batch={orc.size if orc.batched else None}, {orc.batch}")
    return problem, orc


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_problems())
def test_random_networks_answers_match_oracle(case):
    data, exact = case
    problem, orc = _random_case(data, exact)
    counts = check_solution(problem, "random")
    assert not counts["kinked"]
    assert counts["loss"] == len(_loss_names(orc))
    assert counts["gradient"] == len(O.parameter_names(problem))
    if "update" in problem.questions[0].ask:
        assert counts["update"] > 0 or not problem.questions[0].update_biases and all(
            pid[0] == "b" for pid in O.parameter_names(problem).values())


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_problems(), st.data())
def test_random_networks_named_gradients_and_adjoints(case, data):
    """∂L/∂node for every node (inputs, neurons, parameters) from backward(); and the
    answers when the question names a subset of quantities."""
    raw, exact = case
    problem, _ = _random_case(raw, exact)
    assert check_adjoints(problem) > 0
    graph = build_network(problem, problem.questions[0])
    # a batch's per-example nodes (h1#2) cannot be named in a problem file (names have no '#')
    keys = [n.key for n in graph.nodes if n.kind not in ("target", "loss", "penalty") and "#" not in n.key]
    chosen = data.draw(st.lists(st.sampled_from(keys), min_size=1, max_size=5, unique=True))
    raw["questions"][0]["gradients"] = chosen
    counts = check_solution(validate(raw), "random-named")
    assert counts["gradient"] == len(chosen)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_problems())
def test_oracle_backprop_matches_its_finite_differences(case):
    """The oracle's hand-written reverse mode (used by the training oracle) against its
    finite differences, batches included."""
    data, exact = case
    problem, orc = _random_case(data, exact)
    loss, grads = orc.backprop()
    assert O.close(loss, orc.loss(), "1e-50")
    assert set(grads) == set(orc.params)
    for pid, g in grads.items():
        fd = orc.gradient(pid)
        assert O.close(g, fd, "1e-30"), f"{pid}: backprop {O.show(g)}, finite differences {O.show(fd)}"


# --- known trouble spots, checked against the oracle --------------------------------------

def test_linear_layer_with_preactivation_names():
    """A linear layer that names its pre-activations (``names.preactivations``, no
    ``neurons``) is still an ordinary network: the answers must match the oracle."""
    data = {"title": "t", "network": {"inputs": {"x1": "0.5", "x2": "-1"}, "layers": [
        {"units": 2, "activation": "linear", "weights": [["0.1", "0.2"], ["0.3", "0.4"]],
         "names": {"preactivations": ["u1", "u2"]}},
        {"units": 1, "weights": [["0.5", "0.6"]]}]},
        "loss": "sse", "target": [1],
        "questions": [{"id": "q", "ask": ["forward", "loss", "gradients"]}]}
    counts = check_solution(validate(data), "linear-names")
    assert counts["gradient"] == 6 and counts["loss"] == 1


def test_infinite_loss_is_a_problem_error():
    """Binary cross-entropy on a one-output softmax: p = 1 exactly, so ln(1 − p) = −∞
    (the oracle agrees). ``solve`` documents a ProblemError for a network that cannot
    be evaluated, not a crash."""
    from solver.core.errors import ProblemError
    data = {"title": "t", "network": {"inputs": {"x1": "0.5"}, "layers": [
        {"units": 1, "activation": "softmax", "weights": [["0.3"]]}]},
        "loss": "bce", "target": [0], "questions": [{"id": "q", "ask": ["loss", "gradients"]}]}
    problem = validate(data)
    assert mp.isinf(O.Oracle.from_problem(problem).loss())
    with pytest.raises(ProblemError):
        solve(problem, "infinite")


# --- mini-batches ------------------------------------------------------------------------

XOR = ROOT / "problems" / "xor-2-2-1-training.yaml"

#: A batch of three with z = x W, indexed names, a tanh layer, a softmax head per
#: question, cross-entropy summed over the batch and targets of every form.
BATCH_XW = {
    "title": "A batch of three, z = x W",
    "network": {
        "inputs": {"a": ["0.5", "-1", "2"], "b": ["1", "0.25", "-0.5"]},
        "orientation": "xW", "naming": "indexed",
        "layers": [
            {"units": 3, "activation": "tanh", "weights": [["0.1", "-0.2", "0.3"], ["0.4", "0.05", "-0.6"]],
             "bias": ["0.1", "-0.2", "0.05"]},
            {"units": 2, "activation": "linear", "weights": [["0.2", "-0.1"], ["0.3", "0.4"], ["-0.5", "0.25"]],
             "bias": "0.1"}]},
    "loss": {"type": "cross_entropy", "batch": "sum"},
    "target": [{"class": 1}, {"class": 2}, ["0.25", "0.75"]],
    "questions": [
        {"id": "f", "ask": ["forward", "loss", "gradients"], "output_head": "softmax"},
        {"id": "u", "ask": ["update"], "learning_rate": "0.5", "update_biases": False, "output_head": "softmax"},
        {"id": "mse", "ask": ["loss", "gradients"], "loss": {"type": "mse"},
         "target": [["1", "0"], ["0", "1"], ["0.5", "0.5"]]}],
}


def _batch_problems():
    return [("xor", load_problem(XOR)), ("xw", validate(BATCH_XW))]


def test_batch_problem_xw_matches_oracle():
    counts = check_solution(validate(BATCH_XW), "batch-xw")
    assert not counts["kinked"]
    assert counts["value"] == 3 * (2 * 3 + 2 + 2)  # z, a of layer 1; the linear outputs; the head
    assert counts["loss"] == 3 * 4 and counts["update"] == 12 and counts["upstream"] > 0


@pytest.mark.parametrize("how", ["mean", "sum"])
def test_batch_loss_is_the_mean_or_sum_of_the_examples(how):
    """L = (1/N) Σ L#n or Σ L#n, and ∂L/∂θ the same combination of the examples' gradients."""
    data = json.loads(json.dumps(BATCH_XW))
    data["loss"]["batch"] = how
    problem = validate(data)
    q = problem.questions[0]
    orc = O.Oracle.from_problem(problem, q)
    sec = answers(solve(problem, "b"))["questions"][0]
    got = {(a["kind"], a["of"]): O.read_exact(a["exact"]) for a in sec["answers"] if not a.get("upstream")}
    with mp.workdps(O.DPS):
        per = [got[("loss", f"L#{n}")] for n in (1, 2, 3)]
        assert O.close(got[("loss", "L")], sum(per) / (3 if how == "mean" else 1), "1e-28")
    # each example alone, as a single-example problem: its gradient
    singles = [answers(solve(validate(_single(data, n)), "s"))["questions"][0] for n in range(3)]
    for name in O.parameter_names(problem):
        parts = [O.read_exact(next(a["exact"] for a in s["answers"] if a["kind"] == "gradient" and a["of"] == name))
                 for s in singles]
        with mp.workdps(O.DPS):
            want = sum(parts) / (3 if how == "mean" else 1)
        assert O.close(got[("gradient", name)], want, "1e-28"), name
        assert O.close(got[("gradient", name)], orc.gradient(O.parameter_names(problem)[name]), TOL), name


def _single(data: dict, n: int) -> dict:
    """Example ``n`` (0-based) of a batch problem as a problem of its own (loss and
    target of the problem, not of its questions; first question only)."""
    out = json.loads(json.dumps(data))
    out["network"]["inputs"] = {k: v[n] for k, v in data["network"]["inputs"].items()}
    loss = dict(out["loss"]) if isinstance(out["loss"], dict) else {"type": out["loss"]}
    loss.pop("batch", None)
    out["loss"] = loss
    t = data["target"][n]
    out["target"] = t if isinstance(t, (list, dict)) else [t]
    q = dict(data["questions"][0])
    q["ask"] = ["forward", "loss", "gradients"]
    out["questions"] = [q]
    return out


@pytest.mark.parametrize("name", ["xor", "xw"])
def test_batch_examples_match_single_problems(name):
    """Example n of a batch is the network on example n alone: every ``k#n`` value of
    the batch equals ``k`` of the single-example problem, and ``L#n`` its ``L``."""
    if name == "xor":
        import yaml
        data = yaml.safe_load(XOR.read_text(encoding="utf-8"))
    else:
        data = BATCH_XW
    batch = answers(solve(validate(data), "b"))["questions"][0]["answers"]
    size = len(next(iter(data["network"]["inputs"].values())))
    n_checked = 0
    for n in range(size):
        single = answers(solve(validate(_single(data, n)), "s"))["questions"][0]["answers"]
        alone = {(a["kind"], a["of"]): a["exact"] for a in single if a["kind"] in ("value", "loss")}
        mine = {(a["kind"], a["of"].removesuffix(f"#{n + 1}")): a["exact"] for a in batch
                if a["kind"] in ("value", "loss") and a["of"].endswith(f"#{n + 1}")}
        assert mine.keys() == alone.keys(), (n, sorted(mine), sorted(alone))
        for k, text in mine.items():
            assert O.close(O.read_exact(text), O.read_exact(alone[k]), "1e-28"), (n, k, text, alone[k])
            n_checked += 1
    assert n_checked > 0


def test_batch_of_one_takes_one_target_per_example():
    """Inputs written as lists make a batch, even of one example, and the target is then
    a list with one entry per example (a number for one output, a vector, or a class):
    ``[0.7]`` or ``[[0.7]]`` for one output, ``[[0.7, 0.2]]`` for two, ``[{class: 2}]``.
    The loss is that example's (the mean of one). Every form is tried; the failures are
    reported together."""
    from solver.core.errors import ProblemError

    def problem(inputs, units, activation, loss, target):
        weights = [["0.3", "-0.2"], ["0.1", "0.4"]][:units]
        return {"title": "t", "network": {"inputs": inputs, "layers": [
            {"units": units, "activation": activation, "weights": weights, "bias": "0.1"}]},
            "loss": loss, "target": target, "questions": [{"id": "q", "ask": ["loss", "gradients"]}]}

    batch_in, single_in = {"x1": ["0.5"], "x2": ["-1"]}, {"x1": "0.5", "x2": "-1"}
    cases = [(1, "sigmoid", "sse", ["0.7"], ["0.7"]),
             (1, "sigmoid", "sse", [["0.7"]], ["0.7"]),
             (2, "sigmoid", "sse", [["0.7", "0.2"]], ["0.7", "0.2"]),
             (2, "softmax", "cross_entropy", [{"class": 2}], {"class": 2})]
    failures = []
    for units, act, loss, target, alone in cases:
        want = O.Oracle.from_problem(validate(problem(single_in, units, act, loss, alone))).loss()
        p = validate(problem(batch_in, units, act, loss, target))
        assert O.close(O.Oracle.from_problem(p).loss(), want, "1e-50")
        try:
            sol = answers(solve(p, "one"))["questions"][0]["answers"]
        except ProblemError as exc:
            failures.append(f"target {target} ({units} output(s)): ProblemError: {exc}")
            continue
        (got,) = [a for a in sol if a["kind"] == "loss"]
        if not O.close(O.read_exact(got["exact"]), want, TOL):
            failures.append(f"target {target}: L = {got['exact']}, expected {O.show(want, 30)}")
    assert not failures, "a batch of one example:\n" + "\n".join(failures)


def _style_answers(problem, style: str) -> tuple[dict, dict]:
    sol = answers(solve(problem, "s", Options(style=style)))
    plain, upstream = {}, {}
    for q in sol["questions"]:
        for a in q["answers"]:
            key = (q["id"], a["kind"], a["of"], a.get("step"))
            target = upstream if a.get("upstream") else plain
            assert key not in target, f"{style}: {key} answered twice"
            target[key] = a["exact"]
    return plain, upstream


@pytest.mark.parametrize("name", ["xor", "xw"])
def test_batch_styles_give_identical_answers(name):
    """Neuron, matrix and graph keys of a batch problem give the same answers with the
    same exact strings: every loss, gradient, update and training answer, and the values
    of each question that asks for the forward pass. (The graph style lists the stages
    again, with their values, in a later question whose loss differs, so it may answer
    extra values; they must agree too. The intermediate ∂L/∂n each style shows agree
    where shared.)"""
    problem = dict(_batch_problems())[name]
    asks_forward = {q.id for q in problem.questions if "forward" in q.ask}
    results = {style: _style_answers(problem, style) for style in ("neuron", "matrix", "graph")}

    def asked(plain):
        return {k: v for k, v in plain.items() if k[1] != "value" or k[0] in asks_forward}

    ref = asked(results["neuron"][0])
    assert ref
    for style in ("matrix", "graph"):
        other = asked(results[style][0])
        assert other.keys() == ref.keys(), (style, sorted(set(other) ^ set(ref)))
        diff = {k: (ref[k], other[k]) for k in ref if ref[k] != other[k]}
        assert not diff, f"{style}: {diff}"
    values: dict[str, str] = {}
    for style, (plain, _) in results.items():
        for (qid, kind, of, _step), text in plain.items():
            if kind == "value":
                assert values.setdefault(of, text) == text, (style, qid, of, text, values[of])
    shared = set(results["neuron"][1]) & set(results["matrix"][1]) & set(results["graph"][1])
    assert shared
    for k in shared:
        assert results["neuron"][1][k] == results["matrix"][1][k] == results["graph"][1][k], k


HAVE_PDFLATEX = bool(shutil.which("pdflatex"))


@pytest.mark.skipif(not HAVE_PDFLATEX and os.environ.get("NNSOLVE_REQUIRE_TEX") != "1",
                    reason="pdflatex is not installed (Debian: apt-get install texlive-latex-base "
                           "texlive-latex-recommended texlive-pictures)")
@pytest.mark.parametrize("name", ["xor", "xw"])
def test_batch_matrix_keys_compile(name, tmp_path):
    """The matrix-style LaTeX key of a batch problem (one column or row per example)
    compiles with pdflatex."""
    from solver.render import render
    problem = dict(_batch_problems())[name]
    tex = render(solve(problem, name, Options(style="matrix")), "tex")
    assert r"\begin{document}" in tex
    (tmp_path / "key.tex").write_text(tex, encoding="utf-8")
    env = dict(os.environ, openin_any="p", openout_any="p")
    for _ in range(2):
        run = subprocess.run(["pdflatex", "-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error",
                              "key.tex"], cwd=tmp_path, capture_output=True, text=True, timeout=180, env=env)
        assert run.returncode == 0, run.stdout[-3000:]
    assert (tmp_path / "key.pdf").stat().st_size > 1000
    assert "Overfull \\hbox" not in (tmp_path / "key.log").read_text(errors="replace"), \
        "an equation runs past the margin"


# --- (c) the seed reference values ----------------------------------------------------

def _reference() -> dict:
    if not REFERENCE.is_file():
        pytest.skip(f"{REFERENCE} is not there (the shared reference directory is absent)")
    return {p["id"]: p for p in json.loads(REFERENCE.read_text())["problems"]}


def _answer_map(problem, stem) -> dict[str, dict[tuple[str, str], mpf]]:
    sol = answers(solve(problem, stem))
    return {sec["id"]: {(a["kind"], a["of"]): O.read_exact(a["exact"]) for a in sec["answers"]}
            for sec in sol["questions"]}


def _ref(entry) -> mpf:
    return O.read_exact(entry["value_30sig"] if isinstance(entry, dict) else entry)


REF_TOL = "1e-28"  # both sides carry 30 significant digits


def _agree(got: mpf, ref_text: str, what: str, oracle_value: mpf | None = None) -> None:
    want = O.read_exact(ref_text)
    assert O.close(got, want, REF_TOL), f"{what}: solver {O.show(got)}, reference {O.show(want)}"
    if oracle_value is not None:
        assert O.close(oracle_value, want, REF_TOL), f"{what}: oracle {O.show(oracle_value)}, reference {O.show(want)}"


def test_seed_000_reading_a():
    ref = _reference()["000"]
    problem = load_problem(ROOT / "problems" / "relu-2-2-2.yaml")
    st_ = ref["statement"]
    names = O.parameter_names(problem)
    orc = O.Oracle.from_problem(problem)
    # the problem file is the seed's network, with the seed's names (w3: x1 -> h2, …)
    for name, v in {**st_["weights"], **st_["biases"]}.items():
        assert orc.params[names[name]] == Fraction(v), name
    assert [orc.inputs[0], orc.inputs[1]] == [st_["inputs"]["x1"], st_["inputs"]["x2"]]
    A = ref["readings"]["A"]
    assert A["bias_assignment"] == {"h1": "b1", "h2": "b1", "o1": "b2", "o2": "b2"}
    ans = _answer_map(problem, "relu-2-2-2")
    qs = {q.id: q for q in problem.questions}
    n = 0
    for key, of in [("zh1 (pre-activation)", "z_h1"), ("zh2 (pre-activation)", "z_h2"),
                    ("h1", "h1"), ("h2", "h2"), ("o1", "o1"), ("o2", "o2")]:
        _agree(ans["q1"][("value", of)], A["Q1_forward"][key]["value_30sig"], f"q1 {of}")
        n += 1
    for qid, section in [("q2", "Q2_sum_of_squares"), ("q2-all", "Q2_sum_of_squares"),
                         ("q3", "Q3_softmax_cross_entropy")]:
        sec = A[section]
        orc = O.Oracle.from_problem(problem, qs[qid])
        lkey = "L" if "L" in sec else "L = -ln p2"
        _agree(ans[qid][("loss", "L")], sec[lkey]["value_30sig"], f"{qid} L", orc.loss())
        grads = sec["asked"] if qid == "q2" else sec["full_gradient"]
        assert len(grads) == (2 if qid == "q2" else 10)
        for k, entry in grads.items():
            of = k.removeprefix("dL/d")
            _agree(ans[qid][("gradient", of)], entry["value_30sig"], f"{qid} dL/d{of}",
                   orc.gradient(names[of]))
            n += 1
    for k, of in [("p1 = softmax_1", "p1"), ("p2 = softmax_2", "p2")]:
        _agree(ans["q3"][("value", of)], A["Q3_softmax_cross_entropy"][k]["value_30sig"], f"q3 {of}")
    assert n == 6 + 2 + 10 + 10


def _matrix_checks(ans: dict, kind: str, layer: int, matrix: list, what: str, oracle_of=None) -> int:
    n = 0
    for i, row in enumerate(matrix):
        for j, text in enumerate(row):
            of = f"W{layer}[{i + 1},{j + 1}]"
            _agree(ans[(kind, of)], text, f"{what} {of}",
                   oracle_of(("W", layer, i, j)) if oracle_of else None)
            n += 1
    return n


def test_seed_001_reading_r1():
    ref = _reference()["001"]
    problem = load_problem(ROOT / "problems" / "leaky-relu-4-3-2-bce.yaml")
    st_ = ref["statement"]
    orc = O.Oracle.from_problem(problem, problem.questions[1])
    assert orc.inputs == [Fraction(str(v)) for v in st_["x"]]
    assert orc.target == [Fraction(str(v)) for v in st_["y"]]
    for layer, key in ((1, "W1"), (2, "W2")):
        for i, row in enumerate(st_[key]):
            for j, v in enumerate(row):
                assert orc.params[("W", layer, i, j)] == Fraction(str(v)), (key, i, j)
    assert ref["primary_reading"] == "R1"
    R = ref["readings"]["R1"]
    ans = _answer_map(problem, "leaky-relu-4-3-2-bce")
    fwd = ans["a"]
    for j in range(3):
        _agree(fwd[("value", f"z1[{j + 1}]")], R["net_h (pre-activation)"]["value_30sig"][j], f"z1[{j + 1}]")
        _agree(fwd[("value", f"a1[{j + 1}]")], R["a = leakyReLU(net_h)"]["value_30sig"][j], f"a1[{j + 1}]")
    for j in range(2):
        _agree(fwd[("value", f"o{j + 1}")], R["o (output pre-activation)"]["value_30sig"][j], f"o{j + 1}")
        _agree(fwd[("value", f"p{j + 1}")], R["p = softmax(o)"]["value_30sig"][j], f"p{j + 1}")
    n = 0
    for qid in ("b", "c"):
        _agree(ans[qid][("loss", "L")], R["L"]["value_30sig"], f"{qid} L", orc.loss())
        n += _matrix_checks(ans[qid], "gradient", 2, R["dL/dW2 (3x2)"]["value_30sig"], f"{qid} dL/d", orc.gradient)
        n += _matrix_checks(ans[qid], "gradient", 1, R["dL/dW1 (4x3)"]["value_30sig"], f"{qid} dL/d", orc.gradient)
    n += _matrix_checks(ans["c"], "update", 1, R["W1 after one SGD step (lr 0.1)"]["value_30sig"], "update")
    n += _matrix_checks(ans["c"], "update", 2, R["W2 after one SGD step (lr 0.1)"]["value_30sig"], "update")
    assert n == 2 * 18 + 18


def test_seed_003_primary():
    ref = _reference()["003"]
    problem = load_problem(ROOT / "problems" / "relu-3-4-3-softmax-ce.yaml")
    primary = ref["primary_reading"]
    assert primary == "W2a+class1"
    st_ = ref["statement"]
    R = ref["readings"][primary]
    orc = O.Oracle.from_problem(problem, problem.questions[1])
    assert orc.inputs == [Fraction(v) for v in st_["x"]]
    assert orc.target == [Fraction(str(v)) for v in R["y"]]
    for layer, matrix in ((1, st_["W1"]), (2, st_["W2_variants"]["W2a"])):
        for i, row in enumerate(matrix):
            for j, v in enumerate(row):
                assert orc.params[("W", layer, i, j)] == Fraction(v), (layer, i, j)
    ans = _answer_map(problem, "relu-3-4-3-softmax-ce")
    fwd = ans["a"]
    for j in range(4):
        _agree(fwd[("value", f"z1[{j + 1}]")], R["z1 = W1 x"]["value_30sig"][j], f"z1[{j + 1}]")
        _agree(fwd[("value", f"h1[{j + 1}]")], R["h = ReLU(z1)"]["value_30sig"][j], f"h1[{j + 1}]")
    for j in range(3):
        _agree(fwd[("value", f"z2[{j + 1}]")], R["z2 = W2 h"]["value_30sig"][j], f"z2[{j + 1}]")
        _agree(fwd[("value", f"yhat[{j + 1}]")], R["y_hat = softmax(z2)"]["value_30sig"][j], f"yhat[{j + 1}]")
    _agree(ans["b"][("loss", "L")], R["L = -sum y ln y_hat"]["value_30sig"], "L", orc.loss())
    n = _matrix_checks(ans["b"], "gradient", 2, R["dL/dW2 (3x4)"]["value_30sig"], "dL/d", orc.gradient)
    n += _matrix_checks(ans["b"], "gradient", 1, R["dL/dW1 (4x3)"]["value_30sig"], "dL/d", orc.gradient)
    assert n == 12 + 12


def test_seed_002_reading_r1():
    ref = _reference()["002"]
    problem = load_problem(ROOT / "problems" / "sigmoid-2-2-1.yaml")
    assert ref["primary_reading"] == "R1"
    R = ref["readings"]["R1"]
    orc = O.Oracle.from_problem(problem)
    assert orc.inputs == [Fraction(str(v)) for v in ref["statement"]["x"]]
    inputs, hidden = ["x1", "x2"], ["h1", "h2"]
    for edge, v in R["weights_used"].items():
        src, dest = edge.split("->")
        pid = (orc.weight_id(1, hidden.index(dest), inputs.index(src)) if src in inputs
               else orc.weight_id(2, 0, hidden.index(src)))
        assert orc.params[pid] == Fraction(v), edge
    fwd = orc.forward()
    ans = _answer_map(problem, "sigmoid-2-2-1")["output"]
    for j in range(2):
        _agree(ans[("value", f"z_h{j + 1}")], R["z_hidden (pre-activation)"]["value_30sig"][j], f"z_h{j + 1}",
               fwd.z[(1, j)])
        _agree(ans[("value", f"h{j + 1}")], R["h = sigmoid(z_hidden)"]["value_30sig"][j], f"h{j + 1}",
               fwd.a[(1, j)])
    _agree(ans[("value", "y")], R["output y = v.h + 0.1"]["value_30sig"], "y", fwd.a[(2, 0)])


def test_seed_004_question_1():
    ref = _reference()["004"]
    problem = load_problem(ROOT / "problems" / "scalar-graph-skip.yaml")
    orc = O.GraphOracle.from_problem(problem)
    for k, v in ref["statement"]["values"].items():
        assert orc.leaves[k] == Fraction(v), k
    values = orc.forward()
    ans = _answer_map(problem, "scalar-graph-skip")["q1"]
    for key, entry in ref["forward"].items():
        of = key.split(" ")[0]
        _agree(ans[("value", of)], entry["value_30sig"], of, values[of])
    n = 0
    for key, entry in ref["gradients"].items():
        of = key.split(" ")[0].removeprefix("dz/d")
        if "path only" in key:
            continue
        _agree(ans[("gradient", of)], entry["value_30sig"], f"dz/d{of}", orc.gradient(of))
        n += 1
    assert n == 5


# --- (d) PyTorch autograd, when torch is installed ---------------------------------------

def _torch_network_loss(torch, orc: O.Oracle, leaf: dict):
    """The loss of a layered network in torch, from the oracle's data; ``leaf`` maps
    parameter ids and inputs ("x", i, n) (or ("x", i) for a single example) to scalar
    tensors. A batch's loss is the mean or sum of its examples' losses."""
    F = torch.nn.functional

    def x(i, n):
        return leaf[("x", i, n)] if ("x", i, n) in leaf else leaf[("x", i)]

    losses = []
    for n in range(1, orc.size + 1):
        prev = torch.stack([x(i, n) for i in range(len(orc.examples[0]))])
        for l, layer in enumerate(orc.layers, start=1):
            W = torch.stack([torch.stack([leaf[orc.weight_id(l, j, i)] for i in range(layer.n_in)])
                             for j in range(layer.units)])  # destination × source
            z = W @ prev
            if layer.bias == "shared":
                z = z + leaf[("b", l)]
            elif layer.bias == "neuron":
                z = z + torch.stack([leaf[("b", l, j)] for j in range(layer.units)])
            prev = {"relu": torch.relu, "sigmoid": torch.sigmoid, "tanh": torch.tanh,
                    "softmax": lambda v: torch.softmax(v, dim=0), "linear": lambda v: v,
                    "leaky_relu": lambda v: F.leaky_relu(v, float(layer.slope)),
                    "gelu": F.gelu, "silu": F.silu, "swish": F.silu,
                    "elu": lambda v: F.elu(v, float(layer.alpha) if layer.alpha is not None else 1.0),
                    "softplus": F.softplus}[layer.activation](z)
        if orc.head:
            prev = torch.softmax(prev, dim=0)
        y = torch.tensor([float(v) for v in orc.targets[n - 1]], dtype=torch.float64)
        assert prev.shape[0] == y.shape[0]
        kind = orc.loss_type
        if kind == "sse":
            loss = ((prev - y) ** 2).sum()
        elif kind == "half_sse":
            loss = ((prev - y) ** 2).sum() / 2
        elif kind == "mse":
            loss = F.mse_loss(prev, y, reduction="mean")
        elif kind == "cross_entropy":
            loss = -(y * torch.log(prev)).sum()
        elif kind == "bce":
            loss = F.binary_cross_entropy(prev, y, reduction=orc.reduction or "mean")
        elif kind == "multiclass_hinge":  # PyTorch divides by the number of classes; CS231n does not
            c = [k for k, v in enumerate(orc.targets[n - 1]) if v == 1][0]
            loss = F.multi_margin_loss(prev.unsqueeze(0), torch.tensor([c]),
                                       margin=float(orc.loss_params.get("margin", 1))) * prev.shape[0]
        elif kind == "huber":
            loss = F.huber_loss(prev, y, delta=float(orc.loss_params.get("delta", 1)),
                                reduction=orc.reduction or "mean")
        else:
            assert kind == "l1", kind
            loss = F.l1_loss(prev, y, reduction=orc.reduction or "sum")
        losses.append(loss)
    total = torch.stack(losses).sum()
    total = total / orc.size if orc.batch == "mean" else total
    penalised = [v for k, v in leaf.items() if k[0] == "W" or (k[0] == "b" and orc.penalise_biases)]
    if orc.l2:  # loss.regularization: (λ/2) Σ θ²
        total = total + float(orc.l2) / 2 * torch.stack([v ** 2 for v in penalised]).sum()
    if orc.l1:  # λ Σ |θ| (torch.abs's gradient at 0 is 0)
        total = total + float(orc.l1) * torch.stack([v.abs() for v in penalised]).sum()
    return total


def _torch_graph_output(torch, orc: O.GraphOracle, leaf: dict):
    """The output of a ``graph:`` problem in torch (its own walk of the expressions)."""
    import ast
    F = torch.nn.functional
    values = dict(leaf)

    def ev(node, src):
        if isinstance(node, ast.Constant):
            return torch.tensor(float(Fraction(ast.get_source_segment(src, node))), dtype=torch.float64)
        if isinstance(node, ast.Name):
            return get(node.id)
        if isinstance(node, ast.UnaryOp):
            v = ev(node.operand, src)
            return -v if isinstance(node.op, ast.USub) else v
        if isinstance(node, ast.BinOp):
            a, b = ev(node.left, src), ev(node.right, src)
            return {ast.Add: a.__add__, ast.Sub: a.__sub__, ast.Mult: a.__mul__,
                    ast.Div: a.__truediv__, ast.Pow: a.__pow__}[type(node.op)](b)
        f, args = node.func.id, [ev(a, src) for a in node.args]
        if f == "leaky_relu":
            return F.leaky_relu(args[0], float(args[1]))
        if f == "elu":
            return F.elu(args[0], float(args[1]) if len(args) > 1 else 1.0)
        if f in ("max", "min"):
            return (torch.maximum if f == "max" else torch.minimum)(*args)
        return {"relu": torch.relu, "sigmoid": torch.sigmoid, "tanh": torch.tanh, "exp": torch.exp,
                "log": torch.log, "abs": torch.abs, "square": torch.square, "sqrt": torch.sqrt,
                "gelu": F.gelu, "silu": F.silu, "swish": F.silu,
                "softplus": lambda v: torch.log1p(torch.exp(v))}[f](args[0])

    def get(name):
        if name not in values:
            values[name] = ev(orc.trees[name], orc.sources[name])
        return values[name]

    return get(orc.output)


def check_against_torch(torch, problem, stem: str) -> int:
    """Every gradient answer with respect to a parameter or an input against torch
    autograd (float64) on the oracle's data; the number of answers checked."""
    sol = answers(solve(problem, stem))
    graph_problem = O.is_graph_problem(problem)
    n = 0
    for q, sec in zip(problem.questions, sol["questions"]):
        if not is_numeric(q):  # count, shapes, derive: nothing for autograd
            continue
        grads = [a for a in sec["answers"] if a["kind"] == "gradient"]
        if not grads:
            continue
        if graph_problem:
            orc = O.GraphOracle.from_problem(problem, q)
            ids = {k: k for k in orc.leaves}
            leaf = {k: torch.tensor(float(v), dtype=torch.float64, requires_grad=True)
                    for k, v in orc.leaves.items()}
            L = _torch_graph_output(torch, orc, leaf)
        else:
            orc = O.Oracle.from_problem(problem, q)  # data only: exact numbers, shapes, loss
            graph = build_network(problem, q)
            ids = {**O.parameter_names(problem),
                   **{n.key: O.canonical(O.node_id(graph, n.key, problem)) for n in graph.nodes if n.kind == "input"}}
            exact = {**orc.params, **{("x", i, n): v for n, xs in enumerate(orc.examples, start=1)
                                      for i, v in enumerate(xs)}}
            leaf = {k: torch.tensor(float(v), dtype=torch.float64, requires_grad=True) for k, v in exact.items()}
            L = _torch_network_loss(torch, orc, leaf)
        L.backward()
        for a in grads:
            if a["of"] not in ids:  # a neuron: torch keeps no gradient for it
                continue
            g = leaf[ids[a["of"]]].grad
            want = 0.0 if g is None else float(g)
            assert abs(a["value"] - want) <= 1e-12 + 1e-10 * abs(want), (stem, q.id, a["of"], a["value"], want)
            n += 1
    return n


@pytest.mark.parametrize("path", PROBLEMS, ids=[p.stem for p in PROBLEMS])
def test_bundled_gradients_match_torch(path):
    """Gradients with respect to parameters and inputs against torch autograd (float64)."""
    torch = pytest.importorskip("torch")
    problem = load_problem(path)
    if not has_network(problem):
        pytest.skip("no network or graph: only counts, shapes or derivations")
    if not check_against_torch(torch, problem, path.stem):
        pytest.skip("no gradient of a parameter or input is asked")
