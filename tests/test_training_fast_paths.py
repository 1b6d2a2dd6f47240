"""The training run's shortcuts give the same numbers, bit for bit, as the run without them:

- only the edges whose parent's gradient a trained parameter needs are followed
  (:meth:`solver.graph.training._Compiled.plan_for`);
- constants of the run (inputs, targets, untrained parameters, hyper-parameters, the
  compiled formulas' fractions) are :class:`~solver.graph.exact.Fixed`, their rounding
  made once;
- an :class:`~solver.graph.exact.Exact` meeting an mpmath number hands over to mpmath at
  once, and roundings of fractions are remembered by precision.

On the bundled and hand-made training cases and on hypothesis networks trained by every
optimizer; every value a run keeps is exact or 50-digit, never a Python float (which is how
the generated networks found Huber's δ/2 computed as a float for an integer δ).
"""

from __future__ import annotations

import sys
from fractions import Fraction
from pathlib import Path

import mpmath
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent))
import test_oracle as TO  # noqa: E402
import test_training as TT  # noqa: E402

from solver.graph import training  # noqa: E402
from solver.graph.backprop import backward, forward  # noqa: E402
from solver.graph.exact import Exact, Fixed, exact, fixed  # noqa: E402
from solver.graph.network import build_network  # noqa: E402
from solver.key.training import optimizer_of  # noqa: E402
from solver.problem import validate  # noqa: E402

_EXACT = (int, Fraction)


def _same(a, b) -> bool:
    """The same number of the same kind: exact (an int or a fraction) and equal, or mpmath's
    same bits; never a Python float (53 bits in a run that keeps 50 digits)."""
    assert not isinstance(a, float) and not isinstance(b, float), (a, b)
    if isinstance(a, _EXACT) or isinstance(b, _EXACT):
        return isinstance(a, _EXACT) and isinstance(b, _EXACT) and a == b
    return a._mpf_ == b._mpf_


def _runs(name: str, steps: int, monkeypatch) -> list[tuple]:
    problem = TT._problem(name)
    out = []
    for q in problem.questions:
        if "train" not in q.ask:
            continue
        graph = build_network(problem, q)
        grads = backward(graph, forward(graph))
        params = TT.trained_names(problem, q)
        fast = training.train(graph, grads, params, optimizer_of(q), steps, lambda t: True)
        with monkeypatch.context() as m:  # every edge, as before the shortcut
            m.setattr(training._Compiled, "plan_for", lambda self, params: self.plan)
            m.setattr(training, "_LAST", [])
            full = training.train(graph, grads, params, optimizer_of(q), steps, lambda t: True)
        out.append((q.id, params, fast, full))
    return out


@pytest.mark.parametrize("name", TT.CASES)
def test_following_only_the_needed_edges_changes_no_bit(name, monkeypatch):
    runs = _runs(name, 25, monkeypatch)
    assert runs
    for qid, params, fast, full in runs:
        assert [s.step for s in fast] == [s.step for s in full]
        for a, b in zip(fast, full):
            assert _same(a.loss, b.loss), (name, qid, a.step)
            for k in params:
                assert _same(a.params[k], b.params[k]), (name, qid, a.step, k)
            assert a.grads.keys() == b.grads.keys()
            for k in a.grads:
                assert _same(a.grads[k], b.grads[k]), (name, qid, a.step, k)
                assert a.state[k].keys() == b.state[k].keys()
                assert all(_same(a.state[k][n], b.state[k][n]) for n in a.state[k])
            kept = [a.loss, *a.params.values(), *a.grads.values(), *(v for st in a.state.values() for v in st.values())]
            assert not any(isinstance(v, Fixed) for v in kept), (name, qid, a.step)  # rounded for the run only


def test_the_xor_run_skips_the_edges_into_inputs_and_targets():
    from solver.problem.loader import load_problem
    problem = load_problem(Path(__file__).resolve().parent.parent / "problems" / "xor-2-2-1-training.yaml")
    q = [q for q in problem.questions if "train" in q.ask][0]
    graph = build_network(problem, q)
    grads = backward(graph, forward(graph))
    with mpmath.workdps(50):
        compiled = training._Compiled(graph, grads)
    params = TT.trained_names(problem, q)
    plan = compiled.plan_for(params)
    leaves = {n.key for n in graph.nodes if n.is_leaf}
    skipped = [(c, p) for c, p, *_ in compiled.plan if (c, p) not in {(c2, p2) for c2, p2, *_ in plan}]
    assert (len(compiled.plan), len(plan)) == (84, 64)
    assert all(p in leaves and p not in params for _, p in skipped)  # the 8 inputs' and 4 targets' edges
    assert {p for _, p in skipped} == leaves - set(params)


@pytest.mark.parametrize("value", [Fraction(1, 3), Fraction(-7, 10), Fraction(0), Fraction(5, 2), Fraction(1, 100000)])
@pytest.mark.parametrize("dps", [15, 50])
def test_a_fixed_constant_is_rounded_as_an_exact_one(value, dps):
    with mpmath.workdps(dps):
        e, f = exact(value), fixed(exact(value))
        assert type(f) is Fixed and f == e
        assert f._mpf_ == e._mpf_ == (mpmath.mpf(value.numerator) / value.denominator)._mpf_
        x = mpmath.mpf(2) / 3
        for op in (lambda a, b: a * b, lambda a, b: a + b, lambda a, b: a - b, lambda a, b: b - a, lambda a, b: b * a):
            assert op(f, x)._mpf_ == op(e, x)._mpf_ == op(mpmath.mpf(e), x)._mpf_
        assert type(f * Exact(3)) is Exact and f * Exact(3) == value * 3  # exact arithmetic stays exact
        assert type(-f) is Exact and type(f + 1) is Exact
        assert fixed(x) is x  # an mpmath number is left as it is
        assert Fixed(value.numerator, value.denominator)._mpf_ == e._mpf_  # made directly: rounded when asked


def test_the_rounding_of_a_fraction_follows_the_precision():
    third = Exact(1, 3)
    with mpmath.workdps(15):
        low = third._mpf_
        assert low == (mpmath.mpf(1) / 3)._mpf_
    with mpmath.workdps(50):
        assert third._mpf_ == Exact(1, 3)._mpf_ == (mpmath.mpf(1) / 3)._mpf_ != low  # the same object, a new one
    with mpmath.workdps(15):
        assert third._mpf_ == Exact(1, 3)._mpf_ == low


def test_what_a_run_keeps_is_never_a_fixed_constant():
    """A value kept past the run (an optimizer's line that were a hyper-parameter itself) goes
    through ``bounded``, which gives a plain Exact: a Fixed's rounding holds at one precision."""
    from solver.graph.exact import bounded
    with mpmath.workdps(50):
        momentum = fixed(exact(Fraction(9, 10)))
    kept = bounded(momentum)
    assert type(kept) is Exact and kept == Fraction(9, 10)
    with mpmath.workdps(80):
        assert kept._mpf_ == (mpmath.mpf(9) / 10)._mpf_ != momentum._mpf_
    assert bounded(Exact(1, 3)) == Fraction(1, 3) and type(bounded(Exact(1, 3))) is Exact


# --- generated networks --------------------------------------------------------------------

_OPTIMIZERS = [{"learning_rate": "0.1"}, {"optimizer": {"type": "sgd", "learning_rate": "1/3"}},
               {"optimizer": {"type": "momentum", "learning_rate": "0.2", "momentum": "0.5"}},
               {"optimizer": {"type": "adam", "learning_rate": "0.05"}},
               {"optimizer": {"type": "adamw", "learning_rate": "0.05", "weight_decay": "0.1"}},
               {"optimizer": {"type": "rmsprop", "learning_rate": "0.01"}},
               {"optimizer": {"type": "adagrad", "learning_rate": "0.1"}}]


def training_case(data: dict, opt: dict, **question) -> tuple:
    """A generated problem's question made a 4-step training question with the optimizer
    ``opt`` (and the fields ``question``): (question, graph, gradients, trained parameters)."""
    q = data["questions"][0]
    for k in ("learning_rate", "update_biases", "ask"):
        q.pop(k, None)
    q.update(ask=["train"], steps=4, **question, **opt)
    problem = validate(data)
    question = problem.questions[0]
    graph = build_network(problem, question)
    return question, graph, backward(graph, forward(graph)), TT.trained_names(problem, question)


@settings(max_examples=TO.EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TO.random_problems(), st.sampled_from(_OPTIMIZERS), st.booleans())
def test_generated_networks_train_the_same_on_the_needed_edges(case, opt, update_biases):
    """Hypothesis networks (1–3 layers, every hidden activation, batches, both orientations,
    weight penalties), trained 4 steps by each optimizer: the same snapshots, bit for bit, or
    the same error, with the needed edges only and with every edge."""
    question, graph, grads, params = training_case(case[0], opt, update_biases=update_biases)

    def run(full: bool):
        with pytest.MonkeyPatch.context() as m:
            m.setattr(training, "_LAST", [])
            if full:
                m.setattr(training._Compiled, "plan_for", lambda self, params: self.plan)
            try:
                return training.train(graph, grads, params, optimizer_of(question), 4, lambda t: True)
            except ValueError as exc:
                return str(exc)

    fast, full = run(False), run(True)
    if isinstance(fast, str) or isinstance(full, str):
        assert fast == full
        return
    for a, b in zip(fast, full, strict=True):
        assert _same(a.loss, b.loss) and a.step == b.step
        assert all(_same(a.params[k], b.params[k]) for k in params)
        assert a.grads.keys() == b.grads.keys() and all(_same(a.grads[k], b.grads[k]) for k in a.grads)


def test_a_huber_loss_with_an_integer_delta_stays_exact_in_a_run():
    """Huber's linear side δ(|r| − δ/2), δ = 1 written as an integer: the run's δ is a Python
    int, and ``1 / 2`` a float, which made step 0's loss 2.20000000000000017763568394003
    in the answers instead of 11/5. Now δ/2 is taken exactly."""
    problem = validate({"title": "huber", "network": {"inputs": {"x1": "1"}, "layers": [
        {"units": 1, "activation": "relu", "weights": [["2.7"]], "bias": ["0"]}]},
        "loss": {"type": "huber"}, "target": ["0"],
        "questions": [{"id": "t", "ask": ["train"], "steps": 2, "learning_rate": "0.1"}]})
    question = problem.questions[0]
    graph = build_network(problem, question)
    snaps = training.train(graph, backward(graph, forward(graph)), TT.trained_names(problem, question),
                           optimizer_of(question), 2, lambda t: True)
    assert [s.loss for s in snaps] == [Fraction(11, 5), 2, Fraction(9, 5)]
    assert all(isinstance(s.loss, Fraction) for s in snaps)


# --- formulas compiled once per shape ----------------------------------------------------

def _compiled_graph(name: str, q_index: int = 0):
    problem = TT._problem(name)
    q = [q for q in problem.questions if "train" in q.ask][q_index]
    graph = build_network(problem, q)
    values = forward(graph)
    return graph, values, backward(graph, values)


def test_the_xor_batch_compiles_eight_shapes(monkeypatch):
    """The XOR batch's 29 node formulas and 20 local derivatives that are not a symbol or a
    number are compiled as 8 functions, one per shape: a pre-activation (twice: a hidden
    unit's parents are listed b, w, w, x, x and the output's b, h, h, w, w), σ, a squared
    error, the batch mean, ∂L⁽ⁿ⁾/∂y and ∂L⁽ⁿ⁾/∂o, and σ' read from σ."""
    from solver.graph import run_code
    graph, _, grads = _compiled_graph("xor-2-2-1-training")
    monkeypatch.setattr(run_code, "_SHAPES", {})
    with mpmath.workdps(50):
        compiled = training._Compiled(graph, grads)
    assert len(compiled.forward_plan) == 29 and sum(1 for *_, a in compiled.plan if callable(a)) == 20
    assert len(run_code._SHAPES) == 8


@pytest.mark.parametrize("name", TT.CASES)
def test_a_formula_compiled_by_its_shape_computes_the_graph_s_values(name):
    """Each node's compiled formula, at its parents' values, gives the value the key's exact
    forward pass gives (within 1e-45); each local derivative's, the key's value of it."""
    from solver.graph.run_code import compiled_formula
    graph, values, grads = _compiled_graph(name)

    def number(v):
        return exact(v) if v.is_Rational else mpmath.mpf(v)

    with mpmath.workdps(50):
        checks = [(n.expr, graph.parents[n.key], values[n.key]) for n in graph.nodes if not n.is_leaf]
        checks += [(loc.formula, sorted({s.name for s in loc.formula.free_symbols}), loc.value)
                   for loc in grads.local.values()]
        for expr, args, want in checks:
            fn, _ = compiled_formula(expr, list(args))
            got = fn(*(number(values[a]) for a in args))
            assert abs(mpmath.mpf(got) - number(want)) <= mpmath.mpf(10) ** -45 * max(1, abs(number(want))), (name, expr)
            if want.is_Rational and isinstance(got, (int, Fraction)):
                assert got == want  # an exact value stays exact


def test_a_plot_s_snapshot_keeps_the_loss_alone():
    """``full``: a kept snapshot that only a plot reads holds the loss (the same number as a
    full one's) and no parameters; step 0 and the last step are full."""
    problem = TT._problem("xor-2-2-1-training")
    q = next(q for q in problem.questions if "train" in q.ask)
    graph = build_network(problem, q)
    grads = backward(graph, forward(graph))
    params, opt = TT.trained_names(problem, q), optimizer_of(q)
    every = training.train(graph, grads, params, opt, 6, lambda t: True)
    light = training.train(graph, grads, params, opt, 6, lambda t: True, full=lambda t: t == 3)
    assert [s.step for s in light] == [s.step for s in every] == list(range(7))
    assert [bool(s.params) for s in light] == [True, False, False, True, False, False, True]
    assert all(_same(a.loss, b.loss) for a, b in zip(light, every))
    assert all(_same(light[t].params[k], every[t].params[k]) for t in (0, 3, 6) for k in params)
