"""Gradients whose float sum cancels (:mod:`solver.graph.residues`): an exact 0 is 0, not a
rounding residue of 10⁻⁵¹ (a bias before batch normalisation; a bias shared by the logits
of a softmax); a value that nearly cancels gets its true digits (checked against mpmath at
120 digits), with a square root or an ``exp`` in it. In a training run (rounded numbers),
such a gradient is 0 and the bias stays exactly where it was, on balls and with mpmath."""

from __future__ import annotations

from pathlib import Path

import mpmath
import pytest
import sympy as sp
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from solver.graph import residues, training
from solver.graph.backprop import backward, forward
from solver.graph.exact import Exact
from solver.graph.network import build_network
from solver.graph.residues import cancelled
from solver.graph.spec import build_graph_spec
from solver.key.training import optimizer_of
from solver.problem import validate

ROOT = Path(__file__).resolve().parent.parent
#: sqrt(2) to 50 decimals (rounded): sqrt(2) - SQRT2 is about -1.1e-51, below the 50-digit floats' rounding
SQRT2 = "1.41421356237309504880168872420969807856967187537695"
#: e to 49 decimals (truncated): e - E49 is about 7e-50, within the float sum's rounding of its terms
E49 = "2.7182818284590452353602874713526624977572470936999"


def _gradients(data: dict, network: bool) -> tuple:
    problem = validate(data)
    graph = (build_network if network else build_graph_spec)(problem, problem.questions[0])
    return graph, backward(graph, forward(graph)).adjoint


def _scalar_graph(root_of: str, constant: str) -> dict:
    """∂L/∂w = f(x) − c, as two paths into w (u = f(x)·w, v = c·w, L = u − v + 1)."""
    return {"title": "near cancellation",
            "graph": {"inputs": {"x": 2 if root_of == "sqrt" else 1}, "parameters": {"w": 1},
                      "nodes": {"u": f"{root_of}(x) * w", "v": f"{constant} * w", "L": "u - v + 1"},
                      "output": "L"},
            "questions": [{"id": "q", "ask": ["gradients"], "gradients": ["w"]}]}


@pytest.mark.parametrize("total, products, expected", [
    (sp.Float("2.67e-51", 50), [(sp.Float(1, 50), sp.Float("1.387", 50)), (1, sp.Float("-1.387", 50))], True),
    (sp.Float("2.67e-40", 50), [(1, sp.Float("1.387", 50)), (1, sp.Float("-1.387", 50))], False),
    (sp.Float("2.67e-51", 50), [(1, sp.Float("2.67e-51", 50))], False),  # one term: nothing cancelled
    (sp.Rational(1, 10**60), [(1, sp.Rational(1, 3)), (1, sp.Rational(-1, 3))], False),  # exact already
    (sp.Float(0), [(1, sp.Float(1, 50)), (1, sp.Float(-1, 50))], False),
])
def test_a_sum_cancelled_to_its_rounding(total, products, expected):
    assert cancelled(total, products) is expected


def test_the_bias_before_batch_normalisation_has_gradient_exactly_zero():
    data = yaml.safe_load((ROOT / "problems" / "dropout.yaml").read_text(encoding="utf-8"))
    graph, adjoint = _gradients(data, network=True)
    b1 = next(t for t in graph.tensors if t.key == "b1")
    assert [adjoint[e] for e in b1.elements] == [0, 0]
    assert all(adjoint[e] is sp.S.Zero for e in b1.elements)  # exact, not a float 0.0


def _batchnorm_problem(x1, x2, w, b, question: dict | None = None) -> dict:
    return {"title": "bias before batch normalisation",
            "network": {"inputs": {"x1": x1, "x2": x2},
                        "layers": [{"units": 2, "activation": "linear", "weights": w, "bias": b},
                                   {"type": "batchnorm", "gamma": [1, 0.5], "beta": [0, 0.2]},
                                   {"units": 1, "activation": "linear", "weights": [[1, -1]], "bias": 0}]},
            "loss": "mse", "target": [1, 0, 0, 1],
            "questions": [question or {"id": "q", "ask": ["gradients"], "gradients": "all"}]}


small = st.integers(-20, 20).map(lambda k: k / 10)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(x1=st.lists(small, min_size=4, max_size=4, unique=True), x2=st.lists(small, min_size=4, max_size=4, unique=True),
       w=st.lists(st.lists(small.filter(bool), min_size=2, max_size=2), min_size=2, max_size=2),
       b=st.lists(small, min_size=2, max_size=2))
def test_any_bias_before_batch_normalisation_has_gradient_exactly_zero(x1, x2, w, b):
    graph, adjoint = _gradients(_batchnorm_problem(x1, x2, w, b), network=True)
    b1 = next(t for t in graph.tensors if t.key == "b1")
    assert [adjoint.get(e, 0) for e in b1.elements] == [0, 0], [adjoint.get(e) for e in b1.elements]


def test_the_exact_recheck_itself_proves_the_bias_gradient_zero(monkeypatch):
    """The 0 comes from the exact, expanded sum: with the 200-digit floats' "cannot be told
    from 0" taken away, a float residue would be left if the exact sum were not 0."""
    monkeypatch.setattr(residues, "_INDISTINCT", sp.Integer(0))
    data = yaml.safe_load((ROOT / "problems" / "dropout.yaml").read_text(encoding="utf-8"))
    graph, adjoint = _gradients(data, network=True)
    b1 = next(t for t in graph.tensors if t.key == "b1")
    assert all(adjoint[e] is sp.S.Zero for e in b1.elements)
    x1, x2, w, b = [1, 2, 0, -1], [0.5, -1, 2, 1.5], [[0.3, -0.7], [1.1, 0.2]], [0.4, -0.9]
    graph, adjoint = _gradients(_batchnorm_problem(x1, x2, w, b), network=True)
    assert [adjoint.get(e) for e in next(t for t in graph.tensors if t.key == "b1").elements] == [0, 0]


_radicands = st.sampled_from([1, 2, 3, 5, 6, 15, 23115, 87510])
_terms = st.lists(st.tuples(st.integers(-50, 50), st.integers(1, 40), _radicands), min_size=1, max_size=4)


@settings(max_examples=60, deadline=None)
@given(a=_terms, b=_terms, c=_terms, k=st.integers(2, 3))
def test_the_recheck_expands_as_sympy_does(a, b, c, k):
    """The recheck's expansion (only the hints that apply to its values) gives sympy's full
    ``expand`` of sums, products, integer powers and square roots of sums of roots, a product
    holding a power of a sum among them (``c (1 + √2)²``: expanding only a value's top level,
    tried for speed, left it so); nested powers and products of sums; the nodes it leaves to
    sympy (another power of a sum, a function of one)."""
    x, y, z = (sp.Add(*[sp.Rational(p, q) * sp.sqrt(d) for p, q, d in t]) for t in (a, b, c))
    for value in (x * y, x * y * z, x + y * z, x ** k, x * y - y * z, (x * y) ** k * z, -(x ** k),
                  sp.sqrt(sp.Rational(a[0][1], 7)) * (x + z), x / sp.sqrt(b[0][1] + 3),
                  # nested: a power of a sum of products, a sum of powers times a sum
                  (x * y + z) ** k * x, ((x + y) ** 2 + z) ** k, sp.Rational(3, 2) * x * y + z ** k * (x - y),
                  # what sympy expands itself: other powers of sums, a function of a sum
                  x ** 9, (x * y) ** sp.Rational(3, 2), sp.sqrt(x) * y * (x + z), sp.Abs(x) * (y + z),
                  sp.Max(x, y) * z):
        assert residues._expanded(value) == sp.expand(value), value
    # and as sympy's expand with the recheck's hints, which it replaces, where the two differ
    for value in (x ** -k * y, (x + y) / (x * z + 1), y / sp.sqrt(x * x + 7), (x * y) ** sp.Rational(-1, 2) * z):
        assert residues._expanded(value) == sp.expand(value, power_base=False, power_exp=False, log=False), value


@pytest.mark.parametrize("function, constant, exact", [
    ("sqrt", SQRT2, lambda: mpmath.sqrt(2)), ("exp", E49, lambda: mpmath.e)])
def test_a_near_cancellation_gets_its_true_digits(function, constant, exact):
    _, adjoint = _gradients(_scalar_graph(function, constant), network=False)
    with mpmath.workdps(120):
        want = exact() - mpmath.mpf(constant)
        got = mpmath.mpf(str(adjoint["w"]))
        assert want != 0 and abs(got - want) < abs(want) * mpmath.mpf("1e-45"), (got, want)


def test_a_bias_shared_by_the_logits_of_a_softmax_has_gradient_zero():
    """∂L/∂b = Σᵢ (pᵢ − yᵢ) = 0; these weights leave a float residue of −6.7e-52 (one layer)
    and 3.3e-51 (sigmoid and tanh layers below). The values hold ``exp``: the sum is made
    again in 200-digit floats, under 1e-190 of its terms, and taken as 0 (the deeper
    network's exact form, expanded, took 8 s before floats decided)."""
    for layers, bias in (([{"units": 3, "activation": "linear", "weights": [[-0.7, 0.7], [0.5, -0.5], [0, -0.1]],
                            "bias": 0.2}], "b1"), (DEEP, "b3")):
        data = {"title": "shared bias", "network": {"inputs": {"x1": 1, "x2": 2, "x3": -1}, "layers": layers},
                "questions": [{"id": "q", "ask": ["gradients"], "gradients": "all", "output_head": "softmax",
                               "loss": "cross_entropy", "target": {"class": 2}}]}
        if bias == "b1":
            data["network"]["inputs"] = {"x1": 1, "x2": 2}
        problem = validate(data)
        graph = build_network(problem, problem.questions[0])
        grads = backward(graph, forward(graph))
        products = [(grads.adjoint[c], grads.local[(c, bias)].value) for c in graph.children[bias]]
        total = sum((a * b for a, b in products), sp.Integer(0))
        assert cancelled(total, products) and total != 0  # the residue the float sum leaves
        assert grads.adjoint[bias] is sp.S.Zero


#: A 3-4-4-3 network whose shared output bias's float sum leaves a residue.
DEEP = [{"units": 4, "activation": "sigmoid", "bias": 0.1,
         "weights": [[0.9, -0.1, 0.3], [-0.4, 0, -0.2], [-0.3, 0.2, 0.2], [0.8, 0.4, 0.9]]},
        {"units": 4, "activation": "tanh", "bias": -0.2,
         "weights": [[0.7, 1, 0.3, -0.7], [0.7, 0.9, 0.8, 0.1], [0.4, -0.6, 0.7, 0.1], [-0.4, -0.9, 0.7, 1]]},
        {"units": 3, "activation": "linear", "bias": 0.2,
         "weights": [[-0.8, 0.6, -0.2, -0.7], [-0.4, 0.5, 0.7, -0.9], [0.2, -0.9, 0.4, -0.3]]}]


@pytest.mark.parametrize("on_balls", [True, False])
@pytest.mark.parametrize("optimizer", [{"type": "sgd", "learning_rate": 0.1},
                                       {"type": "adam", "learning_rate": 0.01}])
def test_training_keeps_the_bias_before_batch_normalisation_where_it_was(on_balls, optimizer, monkeypatch):
    """Without the rule, its gradient is a float residue (about 1e-52) at every step, the
    bias moves off 0 by the optimizer's step for that residue, and the key prints it."""
    q = {"id": "q", "ask": ["train"], "steps": 6, "optimizer": optimizer}
    problem = validate(_batchnorm_problem([1, 2, 0, -1], [0.5, -1, 2, 1], [[0.5, -0.3], [0.2, 0.4]], [0, 0.1], q))
    question = problem.questions[0]
    graph = build_network(problem, question)
    grads = backward(graph, forward(graph))
    monkeypatch.setattr(training, "_LAST", [])
    if not on_balls:
        real = training._compiled
        monkeypatch.setattr(training, "_compiled", lambda g, gr, on_balls=True: real(g, gr, on_balls=False))
    snapshots = training.train(graph, grads, graph.parameters(), optimizer_of(question), 6, lambda t: True)
    b1 = next(t for t in graph.tensors if t.key == "b1").elements
    for snap in snapshots:
        assert [snap.params[e] for e in b1] == [0, Exact(1, 10)], snap.step
        assert all(type(snap.params[e]) is not mpmath.mpf for e in b1)  # exact, never rounded
        assert all(snap.grads[e] == 0 for e in b1 if e in snap.grads)
    assert snapshots[-1].loss < snapshots[0].loss  # the run trained
