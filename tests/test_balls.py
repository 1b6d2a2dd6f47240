"""Training runs on Arb balls (:mod:`solver.graph.balls`) against the same runs with mpmath.

A run through smooth functions only computes on python-flint's balls; one through a
function with a kink (ReLU, |x|, max) keeps mpmath. Checked here:

- each function's twin on balls holds the function's value, computed by mpmath at 80
  digits from the sympy function itself, inside its ball;
- exact numbers meet balls by their own rounding, and stay exact among themselves;
- the bundled XOR key is computed on balls and its answers JSON is the mpmath run's, to
  the character; a ReLU network keeps mpmath;
- hypothesis networks (every activation, every optimizer, 4 steps) give the same
  snapshots on balls as with mpmath: the same exact values where a value is exact, and
  rounded ones within 1e-44 of each other.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import mpmath
import pytest
import sympy as sp
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

pytest.importorskip("flint")
from flint import arb  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import test_oracle as TO  # noqa: E402
import test_training as TT  # noqa: E402
import test_training_fast_paths as TF  # noqa: E402

import solver  # noqa: E402
from solver.graph import balls, training  # noqa: E402
from solver.graph.backprop import backward, forward  # noqa: E402
from solver.graph.exact import Exact, fixed  # noqa: E402
from solver.graph.network import build_network  # noqa: E402
from solver.key.training import optimizer_of  # noqa: E402
from solver.ops.functions import OpFunctionBase, ball_functions  # noqa: E402
from solver.problem import validate  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
POINTS = [Fraction(0), Fraction(1, 3), Fraction(-7, 2), Fraction(5, 4), Fraction(-1, 100000), Fraction(23, 2)]


def _inside(ball, value: mpmath.mpf) -> bool:
    """Whether ``value`` (good to far more digits than the ball) lies in ``ball``, give or
    take 1e-70."""
    return ball.overlaps(arb(mpmath.mpf(value), mpmath.mpf(10) ** -70))


@pytest.mark.parametrize("name", sorted(ball_functions()))
@pytest.mark.parametrize("x", POINTS)
def test_each_twin_on_balls_holds_the_function_s_value(name, x):
    cls = OpFunctionBase.registry[name]
    args = (0, x, Fraction(1, 2), Fraction(-3)) if name == "Softmax" else (x,)
    with mpmath.workdps(80):  # the oracle: sympy's own function of the exact arguments, evaluated
        want = sp.N(cls(*(sp.Rational(a.numerator, a.denominator) for a in map(Fraction, args))), 80)
        want = mpmath.mpf(str(want))
    with mpmath.workdps(50), balls.precision():
        for kind in (Exact, lambda v: arb(v.numerator) / v.denominator):  # an exact number, a ball
            got = cls.on_balls(*(kind(Fraction(a)) if i or name != "Softmax" else a for i, a in enumerate(args)))
            assert type(got) is arb and _inside(got, want), (name, x, got, want)
            assert got.rad() < mpmath.mpf(10) ** -45
            assert abs(mpmath.mpf(got.mid()) - cls.numeric(*map(_mp, args))) < mpmath.mpf(10) ** -46


def _mp(value):
    return mpmath.mpf(value.numerator) / value.denominator if isinstance(value, Fraction) else value


@pytest.mark.parametrize("value", [Fraction(1, 3), Fraction(-7, 10), Fraction(0), Fraction(5, 2)])
def test_an_exact_number_meets_a_ball_by_its_own_rounding(value):
    with mpmath.workdps(50), balls.precision():
        e, f, b = Exact(value), fixed(Exact(value)), arb(2) / 3
        rounded = arb(mpmath.mpf(value.numerator) / value.denominator)
        for op in (lambda p, q: p * q, lambda p, q: p + q, lambda p, q: p - q, lambda p, q: p / q):
            for number in (e, f):
                assert op(number, b).mid() == op(rounded, b).mid()
                if value:
                    assert op(b, number).mid() == op(b, rounded).mid()
        assert type(f * Exact(3)) is Exact and f * Exact(3) == value * 3  # exact among themselves
        assert balls.sqrt(Exact(9, 4)) == Exact(3, 2) and type(balls.sqrt(Exact(9, 4))) is Exact
        assert _inside(balls.sqrt(Exact(2)), mpmath.sqrt(2))


def _answers(tmp_path: Path, name: str, sub: str) -> dict:
    from click.testing import CliRunner

    from solver.cli import main
    out = tmp_path / sub
    result = CliRunner().invoke(main, ["solve", str(ROOT / "problems" / f"{name}.yaml"), "-o", str(out), "-f", "json"])
    assert result.exit_code == 0, result.output
    return json.loads((out / f"{name}.json").read_text())


def test_the_xor_key_is_computed_on_balls_and_is_the_mpmath_key(tmp_path, monkeypatch):
    monkeypatch.setattr(training, "_LAST", [])
    on_balls = _answers(tmp_path, "xor-2-2-1-training", "balls")
    assert training._LAST[0][2].balls
    monkeypatch.setattr(training.balls, "available", lambda: False)
    monkeypatch.setattr(training, "_LAST", [])
    on_mpmath = _answers(tmp_path, "xor-2-2-1-training", "mpmath")
    assert not training._LAST[0][2].balls
    assert on_balls == on_mpmath
    losses = [float(a["exact"]) for s in on_balls["questions"] if s["id"] == "long-run"
              for a in s["answers"] if a["of"] == "L"]
    assert len(losses) == 12 and losses[0] > 0.25 and losses[-1] < 0.01  # the plateau, then XOR found


def test_a_relu_network_keeps_mpmath(monkeypatch):
    problem = TT._problem("relu-2-2-2-adam")
    q = next(q for q in problem.questions if "train" in q.ask)
    graph = build_network(problem, q)
    grads = backward(graph, forward(graph))
    with pytest.raises(balls.Unsupported, match="ReLU"):
        training._Compiled(graph, grads, on_balls=True)
    monkeypatch.setattr(training, "_LAST", [])
    training.train(graph, grads, TT.trained_names(problem, q), optimizer_of(q), 2, lambda t: True)
    assert not training._LAST[0][2].balls


@pytest.mark.parametrize(("name", "imported"), [("relu-2-2-2-adam", False), ("xor-2-2-1-training", True)])
def test_flint_is_imported_by_a_run_on_balls_only(name, imported):
    """A fresh process: sympy is not handed python-flint's integers, and a run through a kink
    (ReLU) does not import flint (about 40 ms); XOR's run on balls does."""
    code = ("import sys, solver; key = solver.solve(sys.argv[1]); key.answers(); "
            "from sympy.external.gmpy import GROUND_TYPES; print(GROUND_TYPES, 'flint' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code, str(ROOT / "problems" / f"{name}.yaml")], cwd=ROOT,
                         capture_output=True, text=True, check=True,
                         env={k: v for k, v in os.environ.items() if k != "SYMPY_GROUND_TYPES"})  # as a user has it
    assert out.stdout.split() == [solver.sympy_ground_types(), str(imported)] and not out.stderr


def test_a_linear_network_stays_exact_on_balls(monkeypatch):
    problem = validate({"title": "linear", "network": {"inputs": {"x1": "1", "x2": "-2"}, "layers": [
        {"units": 1, "activation": "linear", "weights": [["0.5", "0.25"]], "bias": ["0.1"]}]},
        "loss": "mse", "target": ["1"],
        "questions": [{"id": "t", "ask": ["train"], "steps": 3, "learning_rate": "0.1"}]})
    q = problem.questions[0]
    graph = build_network(problem, q)
    grads = backward(graph, forward(graph))
    monkeypatch.setattr(training, "_LAST", [])
    run = training.train(graph, grads, TT.trained_names(problem, q), optimizer_of(q), 3, lambda t: True)
    assert training._LAST[0][2].balls
    assert all(type(v) is Exact for s in run for v in (s.loss, *s.params.values(), *s.grads.values()))
    assert run[-1].params["w1"] == Fraction(407, 625)  # 0.5 → 0.68 → 0.644 → 0.6512: w₁ ← w₁ − 0.1 · 2(o − 1) x₁


def test_a_ball_that_is_no_number_sends_the_run_back_to_mpmath(monkeypatch):
    """A ball that is not a finite number (python-flint's x**2 or √x of a ball holding 0, its
    1/0) makes the whole run start again with mpmath: the result is the mpmath run's, bit for bit."""
    problem = TT._problem("xor-2-2-1-training")
    q = next(q for q in problem.questions if "train" in q.ask)
    graph = build_network(problem, q)
    grads = backward(graph, forward(graph))
    params, opt = TT.trained_names(problem, q), optimizer_of(q)
    with monkeypatch.context() as m:
        m.setattr(training, "_LAST", [])
        m.setattr(training.balls, "available", lambda: False)
        plain = training.train(graph, grads, params, opt, 3, lambda t: True)
    calls = []

    def failing(value):
        calls.append(value)
        if len(calls) == 12:  # during step 2, as a parameter is kept
            raise balls.Undefined
        return value

    monkeypatch.setattr(training, "_LAST", [])
    monkeypatch.setattr(training, "_ON_BALLS", training._ON_BALLS._replace(defined=failing))
    again = training.train(graph, grads, params, opt, 3, lambda t: True)
    assert len(calls) == 12 and not training._LAST[0][2].balls
    for a, b in zip(again, plain, strict=True):
        assert TF._same(a.loss, b.loss) and all(TF._same(a.params[k], b.params[k]) for k in params)


def test_a_value_within_its_rounding_of_0_is_left_to_mpmath(monkeypatch):
    """A softmax over one output is 1 exactly; on balls it is 1 within its radius, and the
    squared error a ball around 0: whether the loss and the gradients are 0 is rounding's.
    The run goes back to mpmath, where they are exactly 0 and the parameters stay exact,
    as they were before balls (found by hypothesis: on balls they moved by 1e-52)."""
    problem = validate({"title": "t", "network": {"inputs": {"x1": "0", "x2": "0"}, "layers": [
        {"units": 2, "activation": "sigmoid", "weights": [["0", "0"], ["0", "0"]]},
        {"units": 1, "activation": "sigmoid", "weights": [["0", "0"]]}]},
        "questions": [{"id": "q", "ask": ["train"], "steps": 3, "learning_rate": "0.1", "output_head": "softmax",
                       "loss": "sse", "target": {"class": 1}}]})
    q = problem.questions[0]
    graph = build_network(problem, q)
    grads = backward(graph, forward(graph))
    params, opt = TT.trained_names(problem, q), optimizer_of(q)
    refused = []

    def defined(value):
        try:
            return balls.defined(value)
        except balls.Undefined:
            refused.append(value)
            raise

    monkeypatch.setattr(training, "_LAST", [])
    monkeypatch.setattr(training, "_ON_BALLS", training._ON_BALLS._replace(defined=defined))
    run = training.train(graph, grads, params, opt, 3, lambda t: True)
    assert len(refused) == 1 and refused[0].contains(0) and not training._LAST[0][2].balls
    assert all(type(v) is Exact and v == 0 for s in run for v in s.params.values())
    assert all(s.loss == 0 for s in run)


def _close(a, b) -> bool:
    """The same exact number, or rounded numbers within 1e-44 (relative to the larger, or
    absolute below 1)."""
    assert not isinstance(a, float) and not isinstance(b, float)
    if isinstance(a, Fraction) or isinstance(b, Fraction):
        return isinstance(a, Fraction) and isinstance(b, Fraction) and a == b
    return abs(a - b) <= mpmath.mpf(10) ** -44 * max(1, abs(a), abs(b))


SMOOTH = ["sigmoid", "tanh", "gelu", "silu", "softplus"]


@st.composite
def smooth_problems(draw):
    """:func:`test_oracle.random_problems` with every ReLU, leaky ReLU and ELU layer made one
    of :data:`SMOOTH`, and a smooth loss (no L1, Huber or hinge loss, no L1 penalty): networks
    that train on balls."""
    data, weights = draw(TO.random_problems())
    for layer in data["network"]["layers"]:
        if layer["activation"] in ("relu", "leaky_relu", "elu"):
            layer["activation"] = draw(st.sampled_from(SMOOTH))
            layer.pop("slope", None)
    loss = data.get("loss") or data["questions"][0]["loss"]
    kind, penalty = (loss, {}) if isinstance(loss, str) else (loss["type"], loss.get("regularization", {}))
    assume(kind not in ("l1", "huber", "multiclass_hinge") and "l1" not in penalty)
    return data, weights


def _compare(case, opt) -> None:
    """Trains the case 4 steps on balls and with mpmath: the same snapshots (:func:`_close`)."""
    question, graph, grads, params = TF.training_case(case[0], opt)

    def run(on_balls: bool):
        with pytest.MonkeyPatch.context() as m:
            m.setattr(training, "_LAST", [])
            m.setattr(training.balls, "available", lambda: on_balls)
            try:
                return training.train(graph, grads, params, optimizer_of(question), 4, lambda t: True)
            except ValueError as exc:
                return str(exc)

    with_balls, with_mpmath = run(True), run(False)
    if isinstance(with_balls, str) or isinstance(with_mpmath, str):  # a ball that is no number: mpmath's run
        assert with_balls == with_mpmath
        return
    for a, b in zip(with_balls, with_mpmath, strict=True):
        assert a.step == b.step and _close(a.loss, b.loss)
        assert all(_close(a.params[k], b.params[k]) for k in params)
        assert a.grads.keys() == b.grads.keys() and all(_close(a.grads[k], b.grads[k]) for k in a.grads)
        for k in a.state:
            assert a.state[k].keys() == b.state[k].keys()
            assert all(_close(a.state[k][n], b.state[k][n]) for n in a.state[k])


@settings(max_examples=TO.EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TO.random_problems(), st.sampled_from(TF._OPTIMIZERS))
def test_generated_networks_train_the_same_on_balls_as_with_mpmath(case, opt):
    _compare(case, opt)


@settings(max_examples=TO.EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(smooth_problems(), st.sampled_from(TF._OPTIMIZERS))
def test_generated_smooth_networks_train_the_same_on_balls_as_with_mpmath(case, opt):
    """Every one of these networks compiles on balls (so the comparison is not vacuous); a
    rare run meets a ball that is no number (AdamW's g² of a gradient within its rounding
    of 0) and goes back to mpmath."""
    problem = validate(case[0])
    graph = build_network(problem, problem.questions[0])
    with mpmath.workdps(50):
        assert training._Compiled(graph, backward(graph, forward(graph)), on_balls=True).balls
    _compare(case, opt)
