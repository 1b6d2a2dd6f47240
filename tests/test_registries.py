"""Every activation, loss and optimizer of the registries against the independent
references of ``tests/reference_ops.py`` (mpmath, written from PyTorch's definitions),
at kinks and at hypothesis-drawn points; and the registries' numeric twins (used by
training runs) against their exact sympy forms.

A registry entry without a reference fails here: a new activation, loss or optimizer
needs its oracle in ``tests/reference_ops.py`` first."""

from __future__ import annotations

import mpmath as mp
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import reference_ops as ref
from solver.graph.backprop import evaluate
from solver.ops.activations import ACTIVATIONS
from solver.ops.functions import OpFunctionBase
from solver.ops.losses import LOSSES
from solver.ops.optimizers import OPTIMIZERS

DPS = 60
TOL = mp.mpf("1e-40")
ELEMENTWISE = sorted(k for k, a in ACTIVATIONS.items() if a.elementwise)
#: A value for every parameter without a default, to exercise it.
EXAMPLE = {"slope": sp.Rational(1, 20)}
#: Points on both sides of every kink, and the kinks themselves.
POINTS = ["-40", "-3.5", "-1", "-0.25", "0", "0.25", "1", "2.75", "21", "40"]


def close(a, b, tol=TOL) -> bool:
    a, b = mp.mpf(a), mp.mpf(b)
    return abs(a - b) <= tol * max(1, abs(b))


def to_mpf(v) -> mp.mpf:
    return mp.mpf(sp.Float(v, DPS + 5)) if not isinstance(v, mp.mpf) else v


def params_of(descriptor) -> dict:
    return {p.name: (p.default if p.default is not None else EXAMPLE[p.name]) for p in descriptor.params}


# --- coverage --------------------------------------------------------------------------------

def test_every_registry_entry_has_an_independent_reference():
    assert set(ACTIVATIONS) <= set(ref.ACTIVATIONS), set(ACTIVATIONS) - set(ref.ACTIVATIONS)
    assert set(LOSSES) <= set(ref.LOSSES), set(LOSSES) - set(ref.LOSSES)
    assert set(OPTIMIZERS) <= set(ref.OPTIMIZERS), set(OPTIMIZERS) - set(ref.OPTIMIZERS)


def test_every_parameter_has_an_example_or_a_default():
    for d in [*ACTIVATIONS.values(), *LOSSES.values()]:
        assert all(p.default is not None or p.name in EXAMPLE for p in d.params), d.key


# --- activations -----------------------------------------------------------------------------

def activation_at(name: str, z: sp.Rational) -> tuple[mp.mpf, mp.mpf]:
    """The tool's value and derivative of activation ``name`` at ``z``: its sympy form
    built as a layer builds it, differentiated by sympy, evaluated exactly."""
    act = ACTIVATIONS[name]
    x = sp.Symbol("x", real=True)
    params = params_of(act)
    expr = x if act.identity else act.build(x, **params)
    with mp.workdps(DPS):
        value = evaluate(expr, {"x": z})
        slope = evaluate(sp.diff(expr, x), {"x": z})
        return to_mpf(value), to_mpf(slope)


def reference_at(name: str, z) -> tuple[mp.mpf, mp.mpf]:
    act = ACTIVATIONS[name]
    with mp.workdps(DPS):
        params = {k: to_mpf(v) for k, v in params_of(act).items()}
        r = ref.ACTIVATIONS[name]
        return r.value(to_mpf(z), **params), r.derivative(to_mpf(z), **params)


@pytest.mark.parametrize("name", ELEMENTWISE)
@pytest.mark.parametrize("point", POINTS)
def test_activation_value_and_derivative_at_kinks_and_around(name, point):
    z = sp.Rational(point)
    got, want = activation_at(name, z), reference_at(name, z)
    assert close(got[0], want[0]), (name, point, got[0], want[0])
    assert close(got[1], want[1]), (name, point, got[1], want[1])


@pytest.mark.parametrize("name", ELEMENTWISE)
@settings(max_examples=15, deadline=None)
@given(num=st.integers(-4000, 4000), den=st.integers(1, 1000))
def test_activation_matches_the_reference_anywhere(name, num, den):
    z = sp.Rational(num, den)
    got, want = activation_at(name, z), reference_at(name, z)
    assert close(got[0], want[0]) and close(got[1], want[1]), (name, z)


def test_softmax_jacobian_matches_the_reference():
    from solver.ops.activations.softmax import Softmax

    zs = [sp.Rational(3, 10), sp.Rational(-1, 2), sp.Rational(6, 5)]
    xs = sp.symbols("o1:4", real=True)
    with mp.workdps(DPS):
        want = ref.softmax_jacobian([to_mpf(z) for z in zs])
        for k in range(3):
            expr = Softmax(sp.Integer(k), *xs)
            for j in range(3):
                got = evaluate(sp.diff(expr, xs[j]), {f"o{i + 1}": zs[i] for i in range(3)})
                assert close(to_mpf(got), want[k][j])


def test_numeric_twins_agree_with_the_exact_functions():
    """Training runs compute with each function's ``numeric``; at every point its value is
    the exact function's (the branch taken on the same side of every kink)."""
    for name, cls in OpFunctionBase.registry.items():
        if cls.numeric is None or name == "Softmax":
            continue
        least = getattr(cls, "least_arguments", None) or (cls.nargs.args[0] if getattr(cls.nargs, "args", ()) else 1)
        extra = [sp.Rational(1, 20)] * (least - 1)
        for point in POINTS:
            z = sp.Rational(point)
            exact = to_mpf(sp.N(cls(z, *extra), DPS + 5))
            with mp.workdps(DPS):
                numeric = cls.numeric(mp.mpf(point), *[to_mpf(e) for e in extra])
            assert close(numeric, exact), (name, point)


# --- losses ----------------------------------------------------------------------------------

def loss_case(name: str, n: int, seed: int):
    """Outputs and targets fit for the loss: probabilities for those that need them,
    a one-hot target where a class is asked for (cross-entropy, hinge)."""
    import random

    rnd = random.Random(seed)
    loss = LOSSES[name]
    if loss.needs_probabilities:
        o = [sp.Rational(rnd.randint(1, 99), 100) for _ in range(n)]
    else:
        o = [sp.Rational(rnd.randint(-300, 300), 100) for _ in range(n)]
    if name in ("cross_entropy", "multiclass_hinge"):
        c = rnd.randrange(n)
        y = [sp.Integer(int(k == c)) for k in range(n)]
    elif name == "bce":
        y = [sp.Rational(rnd.randint(0, 10), 10) for _ in range(n)]
    else:
        y = [sp.Rational(rnd.randint(-300, 300), 100) for _ in range(n)]
    return o, y


@pytest.mark.parametrize("name", sorted(LOSSES))
@pytest.mark.parametrize("n", [1, 3])
@pytest.mark.parametrize("seed", range(6))
def test_loss_value_and_gradient_match_the_reference(name, n, seed):
    loss = LOSSES[name]
    o, y = loss_case(name, n, seed)
    os_ = sp.symbols(f"o1:{n + 1}", real=True)
    ys = sp.symbols(f"y1:{n + 1}", real=True)
    values = {**{s.name: v for s, v in zip(os_, o)}, **{s.name: v for s, v in zip(ys, y)}}
    params = params_of(loss)
    for reduction in loss.reductions:
        form = loss.build(list(os_), list(ys), y, reduction, params)
        with mp.workdps(DPS):
            got = to_mpf(evaluate(form.expr, values))
            grads = [to_mpf(evaluate(sp.diff(form.expr, s), values)) for s in os_]
            r = ref.LOSSES[name]
            kw = {k: to_mpf(v) for k, v in params.items()}
            red = reduction if r.reductions else None
            want = r.value([to_mpf(v) for v in o], [to_mpf(v) for v in y], red, **kw)
            want_g = r.gradient([to_mpf(v) for v in o], [to_mpf(v) for v in y], red, **kw)
        assert close(got, want), (name, reduction, got, want)
        assert all(close(a, b) for a, b in zip(grads, want_g)), (name, reduction, grads, want_g)


# --- optimizers ------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_optimizer_rule_matches_the_reference_over_several_steps(name):
    """Five steps on L = Σ (w_i − c_i)² · k_i with the registry's rule (run on mpmath
    numbers, as a training run does) against the reference loop."""
    opt = OPTIMIZERS[name]
    hp = {p.name: p.default for p in opt.params}
    hp["learning_rate"] = sp.Rational(1, 10)
    start = {"a": mp.mpf("0.5"), "b": mp.mpf("-1.25")}
    c, k = {"a": mp.mpf("2"), "b": mp.mpf("0.5")}, {"a": mp.mpf("1"), "b": mp.mpf("3")}

    def grad(ws):
        return {n: 2 * k[n] * (ws[n] - c[n]) for n in ws}

    with mp.workdps(DPS):
        mp_hp = {n: to_mpf(v) for n, v in hp.items()}
        ws, state, got = dict(start), {n: {} for n in start}, []
        for t in range(1, 6):
            g = grad(ws)
            for n in ws:
                ws[n], state[n] = opt.step(ws[n], g[n], state[n], t, mp_hp, mp.sqrt)
            got.append(dict(ws))
        want = ref.run(name, dict(start), grad, 5, **{n: str(v) for n, v in hp.items()})
    for mine, theirs in zip(got, want[1:]):
        assert all(close(mine[n], theirs[n]) for n in mine), (name, mine, theirs)


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_exact_first_step_equals_the_numeric_one(name):
    """The key derives step 1 with the same rule on exact numbers: it agrees with the run,
    and it is a fraction, except where the rule itself is irrational at step 1 (Adadelta's
    √ε / √(v + ε), NAdam's 0.96^ψ)."""
    opt = OPTIMIZERS[name]
    hp = {p.name: p.default for p in opt.params}
    hp["learning_rate"] = sp.Rational(1, 100)
    w, g = sp.Rational(3, 10), sp.Rational(-7, 20)
    exact = opt.step(w, g, {}, 1, hp, sp.sqrt)[0]
    with mp.workdps(DPS):
        numeric = opt.step(to_mpf(w), to_mpf(g), {}, 1, {n: to_mpf(v) for n, v in hp.items()}, mp.sqrt)[0]
    assert sp.sympify(exact).is_Rational is (name not in ("adadelta", "nadam"))
    assert close(numeric, to_mpf(exact) if exact.is_Rational else mp.mpf(str(sp.N(exact, DPS + 10))))
