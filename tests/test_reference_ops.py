"""Tests of the reference activations, losses and optimizers (``tests/reference_ops.py``).

(a) Without torch: every elementwise derivative against ``mpmath.diff`` (high-precision
finite differences) at hypothesis-drawn and fixed points away from the kinks; every
loss gradient against finite differences of its value; values against closed forms and
hand-worked examples (CS231n's SVM scores among them); the conventions at the kinks;
the optimizers against hand-computed steps.

(b) Where torch is importable (float64): every activation's value and autograd
derivative and every loss's value and gradient at random points and at the kinks
(0 for relu / leaky_relu / elu, |r| = δ for huber, r = 0 for l1, a hinge exactly at
0), and each optimizer's run (with and without weight decay, momentum, Nesterov) against
``torch.optim`` over 8 steps on a quadratic.

This file and ``reference_ops`` never import ``solver``: run it on its own with
``python -m pytest tests/test_reference_ops.py`` in any venv (torch tests skip
without torch).
"""

from __future__ import annotations

import random
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from mpmath import mp, mpf

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import reference_ops as R  # noqa: E402

DPS = R.DPS
FD_TOL = mpf("1e-40")       # reference derivative against mpmath.diff at 60 digits
TORCH_REL = 1e-12           # reference (exact) against torch float64
AWAY = mpf("0.001")         # how far from a kink a finite difference is trusted

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(autouse=True)
def _precision():
    """Every test works at the references' 60 digits (literals like mpf("0.1") too)."""
    with mp.workdps(DPS):
        yield


def close(got, want, tol=FD_TOL) -> bool:
    with mp.workdps(DPS):
        return abs(mpf(got) - mpf(want)) <= tol * max(mpf(1), abs(mpf(want)))


def fclose(got: float, want, rel: float = TORCH_REL) -> bool:
    """A torch float64 against the reference: relative, absolute near 0."""
    w = float(want)
    return abs(got - w) <= rel * max(1.0, abs(w))


# Every elementwise activation, with its parameters where it has some.
ACT_CASES = [
    ("relu", {}), ("leaky_relu", {"slope": "0.01"}), ("leaky_relu", {"slope": "0.2"}),
    ("sigmoid", {}), ("tanh", {}), ("linear", {}), ("identity", {}), ("gelu", {}),
    ("silu", {}), ("swish", {}), ("elu", {}), ("elu", {"alpha": "0.5"}), ("elu", {"alpha": 2}),
    ("softplus", {}), ("step", {}), ("step", {"step_at_zero": 0}), ("step", {"step_at_zero": "0.5"}),
    ("sign", {}), ("sign", {"sign_at_zero": 0}), ("sign", {"sign_at_zero": -1}),
]
#: The ones torch cannot differentiate by autograd (torch.heaviside has no derivative):
#: checked by their own tests below.
NO_AUTOGRAD = {"step", "sign"}
ACT_IDS = [f"{n}-{'-'.join(str(v) for v in p.values())}" if p else n for n, p in ACT_CASES]

points = st.fractions(min_value=-12, max_value=12, max_denominator=10_000)


def away_from_kinks(name: str, z) -> bool:
    return all(abs(R.num(z) - k) > AWAY for k in R.KINKS.get(name, ()))


# --- (a) activations without torch -------------------------------------------------------

def test_the_tables_name_every_function():
    assert set(R.ACTIVATIONS) == {"relu", "leaky_relu", "sigmoid", "tanh", "linear", "identity", "gelu",
                                  "silu", "swish", "elu", "softplus", "step", "sign", "softmax"}
    assert [n for n, a in R.ACTIVATIONS.items() if not a.elementwise] == ["softmax"]
    assert R.ACTIVATIONS["identity"] is R.ACTIVATIONS["linear"]
    assert R.ACTIVATIONS["swish"] is R.ACTIVATIONS["silu"]
    assert set(R.LOSSES) == {"sse", "half_sse", "mse", "cross_entropy", "bce", "l1", "huber",
                             "multiclass_hinge"}
    assert set(R.OPTIMIZERS) == {"sgd", "momentum", "adam", "adamw", "rmsprop", "adagrad", "adadelta", "adamax",
                                 "nadam"}


@pytest.mark.parametrize("name,params", ACT_CASES, ids=ACT_IDS)
@SETTINGS
@given(z=points)
def test_derivative_matches_finite_differences(name, params, z):
    assume(away_from_kinks(name, z))
    act = R.ACTIVATIONS[name]
    with mp.workdps(DPS):
        x = R.num(z)
        fd = mp.diff(lambda t: act.value(t, **params), x)
        assert close(act.derivative(x, **params), fd), (name, z)


@pytest.mark.parametrize("name,params", ACT_CASES, ids=ACT_IDS)
@pytest.mark.parametrize("z", ["-30", "-7.5", "-2", "-0.3", "-0.001", "0.001", "0.5", "1", "3.25", "30"])
def test_derivative_matches_finite_differences_fixed_points(name, params, z):
    act = R.ACTIVATIONS[name]
    with mp.workdps(DPS):
        fd = mp.diff(lambda t: act.value(t, **params), mpf(z))
        assert close(act.derivative(z, **params), fd), (name, z)


def test_values_against_closed_forms():
    A = R.ACTIVATIONS
    with mp.workdps(DPS):
        assert A["relu"].value("-2") == 0 and A["relu"].value("3/2") == mpf(3) / 2
        assert close(A["leaky_relu"].value(-2, slope="0.1"), mpf("-0.2"), mpf("1e-59"))
        assert A["sigmoid"].value(0) == mpf(1) / 2
        assert A["linear"].value("0.1") == mpf(1) / 10
        # GELU is z·Φ(z) with the exact normal CDF (mpmath's ncdf), not the tanh form
        for z in ["1", "-1", "2.5", "-0.7"]:
            assert close(A["gelu"].value(z), mpf(z) * mp.ncdf(mpf(z)), mpf("1e-55"))
        assert close(A["gelu"].value(1), mpf("0.841344746068542948585232545632037922477"), mpf("1e-38"))
        tanh_form = lambda z: z / 2 * (1 + mp.tanh(mp.sqrt(2 / mp.pi) * (z + mpf("0.044715") * z ** 3)))
        assert abs(A["gelu"].value(1) - tanh_form(mpf(1))) > mpf("1e-5")
        assert close(A["silu"].value(1), 1 / (1 + mp.e ** -1), mpf("1e-55"))
        assert close(A["elu"].value(-1), mp.e ** -1 - 1, mpf("1e-55"))
        assert close(A["elu"].value(-1, alpha="0.5"), (mp.e ** -1 - 1) / 2, mpf("1e-55"))
        assert A["elu"].value("2.5", alpha="0.5") == mpf("2.5")
        assert close(A["softplus"].value(0), mp.log(2), mpf("1e-58"))
        # no threshold: softplus(25) = 25 + ln(1 + e^-25), not 25 (PyTorch's threshold 20)
        assert close(A["softplus"].value(25) - 25, mp.log1p(mp.e ** -25), mpf("1e-55"))
        assert A["softplus"].value(25) - 25 > mpf("1e-11")
        assert close(A["softplus"].value(-100), mp.log1p(mp.e ** -100), mpf("1e-55"))
        assert close(A["softplus"].derivative(3), A["sigmoid"].value(3), mpf("1e-58"))


def test_kink_conventions():
    """PyTorch's autograd values at the kinks (checked against torch below)."""
    A = R.ACTIVATIONS
    assert A["relu"].derivative(0) == 0
    assert A["relu"].derivative("1e-30") == 1
    assert A["leaky_relu"].derivative(0, slope="0.1") == mpf("0.1")
    assert A["leaky_relu"].derivative("1e-30", slope="0.1") == 1
    assert A["elu"].derivative(0, alpha="0.5") == mpf("0.5")   # the z ≤ 0 branch α·e⁰
    assert A["elu"].derivative(0) == 1
    assert A["elu"].derivative("1e-30", alpha="0.5") == 1
    assert A["elu"].value(0, alpha=3) == 0


def test_step_and_sign_conventions():
    """step(0) and sign(0) are their parameters (1 by default); both derivatives are 0, at the
    jump too; off 0 the value does not depend on the parameter."""
    A = R.ACTIVATIONS
    assert A["step"].value(0) == 1 and A["step"].value(0, step_at_zero=0) == 0
    assert A["step"].value(0, step_at_zero="0.5") == mpf("0.5")
    assert A["step"].value("1e-30", step_at_zero=0) == 1 and A["step"].value("-1e-30") == 0
    assert A["sign"].value(0) == 1 and A["sign"].value(0, sign_at_zero=-1) == -1
    assert A["sign"].value(0, sign_at_zero=0) == 0
    assert A["sign"].value("1e-30", sign_at_zero=-1) == 1 and A["sign"].value("-1e-30") == -1
    for name in ("step", "sign"):
        assert all(A[name].derivative(z) == 0 for z in ("-2", "0", "1e-30", "3"))
    with pytest.raises(TypeError, match="sign_at_zero"):
        A["step"].value(0, sign_at_zero=0)


def test_parameters_are_checked():
    A = R.ACTIVATIONS
    with pytest.raises(TypeError, match="slope"):
        A["leaky_relu"].value(1)
    with pytest.raises(TypeError, match="slope"):
        A["leaky_relu"].derivative(1, slope=None)
    with pytest.raises(TypeError, match="slope"):
        A["relu"].value(1, slope="0.1")
    with pytest.raises(TypeError, match="alpha"):
        A["gelu"].value(1, alpha=1)
    assert A["elu"].value(-1, alpha=None) == A["elu"].value(-1)  # None: the default
    assert R.activate("elu", [-1, 2], alpha="0.5") == [A["elu"].value(-1, alpha="0.5"), 2]


def test_softmax():
    with mp.workdps(DPS):
        zs = [mpf("0.3"), mpf("-1.2"), mpf("2")]
        p = R.softmax(zs)
        assert close(sum(p), 1, mpf("1e-58"))
        e = [mp.exp(z) for z in zs]
        assert all(close(a, b / sum(e), mpf("1e-55")) for a, b in zip(p, e))
        assert all(close(a, b, mpf("1e-55")) for a, b in zip(R.softmax([z + 1000 for z in zs]), p))
        J = R.softmax_jacobian(zs)
        for k in range(3):
            for j in range(3):
                fd = mp.diff(lambda t: R.softmax([t if i == j else z for i, z in enumerate(zs)])[k], zs[j])
                assert close(J[k][j], fd), (k, j)
        g = [mpf("0.5"), mpf("-2"), mpf("1.25")]
        vjp = R.softmax_vjp(p, g)
        for j in range(3):
            assert close(vjp[j], sum(J[k][j] * g[k] for k in range(3)), mpf("1e-55"))
        assert R.ACTIVATIONS["softmax"].vjp is R.softmax_vjp
        assert R.activation_vjp("softmax", zs, g) == vjp


def test_reference_ops_does_not_import_solver():
    code = ("import sys; sys.path.insert(0, '.'); import reference_ops; "
            "bad = [m for m in sys.modules if m == 'solver' or m.startswith('solver.') or m == 'sympy']; "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], cwd=HERE, check=True)


# --- (a) losses without torch ---------------------------------------------------------

# (name, reduction, params, kind of data)
LOSS_CASES = [
    ("sse", None, {}, "real"), ("half_sse", None, {}, "real"), ("mse", None, {}, "real"),
    ("cross_entropy", None, {}, "prob-onehot"), ("cross_entropy", None, {}, "prob-soft"),
    ("bce", None, {}, "prob"), ("bce", "mean", {}, "prob"), ("bce", "sum", {}, "prob"),
    ("l1", None, {}, "real"), ("l1", "sum", {}, "real"), ("l1", "mean", {}, "real"),
    ("huber", None, {}, "real"), ("huber", "sum", {"delta": "0.5"}, "real"),
    ("huber", "mean", {"delta": 2}, "real"),
    ("multiclass_hinge", None, {}, "onehot"), ("multiclass_hinge", None, {"margin": "0.5"}, "onehot"),
]
LOSS_IDS = [f"{n}-{r}-{'-'.join(str(v) for v in p.values())}-{d}" for n, r, p, d in LOSS_CASES]


def draw_example(draw, kind: str, n: int):
    real = st.fractions(min_value=-5, max_value=5, max_denominator=1000)
    prob = st.fractions(min_value=Fraction(1, 50), max_value=Fraction(49, 50), max_denominator=1000)
    if kind == "real":
        return [draw(real) for _ in range(n)], [draw(real) for _ in range(n)]
    c = draw(st.integers(0, n - 1))
    onehot = [1 if k == c else 0 for k in range(n)]
    if kind == "prob-onehot":
        return [draw(prob) for _ in range(n)], onehot
    if kind == "prob-soft":
        w = [draw(st.integers(0, 5)) for _ in range(n)]
        assume(sum(w) > 0)
        return [draw(prob) for _ in range(n)], [Fraction(v, sum(w)) for v in w]
    if kind == "prob":
        return [draw(prob) for _ in range(n)], [draw(st.fractions(0, 1, max_denominator=100)) for _ in range(n)]
    assert kind == "onehot"
    return [draw(real) for _ in range(n)], onehot


@pytest.mark.parametrize("name,reduction,params,kind", LOSS_CASES, ids=LOSS_IDS)
@SETTINGS
@given(data=st.data())
def test_loss_gradient_matches_finite_differences(name, reduction, params, kind, data):
    n = data.draw(st.integers(1 if kind != "onehot" else 2, 4))
    o, y = draw_example(data.draw, kind, n)
    assume(all(m > AWAY for m in R.loss_kink_margins(name, o, y, **params)))
    loss = R.LOSSES[name]
    with mp.workdps(DPS):
        o = [R.num(v) for v in o]
        grad = loss.gradient(o, y, reduction, **params)
        assert len(grad) == n
        for k in range(n):
            f = lambda t: loss.value([t if i == k else v for i, v in enumerate(o)], y, reduction, **params)
            assert close(grad[k], mp.diff(f, o[k])), (name, k, o, y)


def test_loss_values_by_hand():
    L = R.LOSSES
    with mp.workdps(DPS):
        o, y = ["0.5", "-1", "2"], ["1", "0", "2"]
        assert L["sse"].value(o, y) == mpf("1.25")
        assert L["half_sse"].value(o, y) == mpf("0.625")
        assert close(L["mse"].value(o, y), mpf("1.25") / 3, mpf("1e-59"))
        assert L["sse"].value(o, y, "sum") == L["sse"].value(o, y)  # reduction is not sse's
        assert L["l1"].value(o, y) == mpf("1.5") == L["l1"].value(o, y, "sum")
        assert L["l1"].value(o, y, "mean") == mpf("0.5")
        assert L["l1"].gradient(o, y) == [-1, -1, 0]                # sgn(0) = 0
        assert close(L["l1"].gradient(o, y, "mean")[0], mpf(-1) / 3, mpf("1e-59"))
        # huber, δ = 1: r = (0.5, 3) → ½·0.25 and 1·(3 − ½); mean over the 2 elements
        assert L["huber"].value(["1.5", "3"], ["1", "0"]) == mpf("1.3125")
        assert L["huber"].value(["1.5", "3"], ["1", "0"], "sum") == mpf("2.625")
        assert L["huber"].gradient(["1.5", "3"], ["1", "0"], "sum") == [mpf("0.5"), 1]
        # at |r| = δ both branches meet, value and slope
        assert L["huber"].value(["0.5"], ["0"], delta="0.5") == mpf("0.125")
        assert L["huber"].gradient(["-0.5"], ["0"], delta="0.5") == [mpf("-0.5")]
        for eps in ["1e-30", "-1e-30"]:
            assert close(L["huber"].gradient([mpf("0.5") + mpf(eps)], ["0"], delta="0.5")[0], mpf("0.5"), mpf("1e-29"))
        p, t = ["0.7", "0.2", "0.1"], [0, 1, 0]
        assert close(L["cross_entropy"].value(p, t), -mp.log(mpf("0.2")), mpf("1e-58"))
        assert close(L["cross_entropy"].gradient(p, t)[1], -5, mpf("1e-58"))
        b = L["bce"].value(["0.8", "0.4"], ["1", "0"], "sum")
        assert close(b, -mp.log(mpf("0.8")) - mp.log(mpf("0.6")), mpf("1e-58"))
        assert close(L["bce"].value(["0.8", "0.4"], ["1", "0"]), b / 2, mpf("1e-58"))


def test_multiclass_hinge_cs231n_examples():
    """CS231n's three images (cat, car, frog): losses 2.9, 0 and 12.9 with Δ = 1."""
    H = R.LOSSES["multiclass_hinge"]
    assert close(H.value(["3.2", "5.1", "-1.7"], [1, 0, 0]), mpf("2.9"), mpf("1e-55"))
    assert H.value(["1.3", "4.9", "2.0"], [0, 1, 0]) == 0
    assert close(H.value(["2.2", "2.5", "-3.1"], [0, 0, 1]), mpf("12.9"), mpf("1e-55"))
    assert H.gradient(["3.2", "5.1", "-1.7"], [1, 0, 0]) == [-1, 1, 0]
    assert H.gradient(["2.2", "2.5", "-3.1"], [0, 0, 1]) == [1, 1, -2]
    # not divided by C; the margin is a parameter
    assert close(H.value(["3.2", "5.1", "-1.7"], [1, 0, 0], margin="0.5"), mpf("2.4"), mpf("1e-55"))
    # a hinge exactly at 0 (1 − 2 + 1) is flat
    assert H.value(["2", "1", "0"], [1, 0, 0]) == 0
    assert H.gradient(["2", "1", "0"], [1, 0, 0]) == [0, 0, 0]
    with pytest.raises(ValueError, match="one-hot"):
        H.value(["1", "2"], ["0.5", "0.5"])
    with pytest.raises(ValueError, match="one-hot"):
        H.value(["1", "2"], [1, 1])


def test_loss_arguments_are_checked():
    with pytest.raises(ValueError, match="reduction"):
        R.LOSSES["bce"].value(["0.5"], ["1"], "none")
    with pytest.raises(TypeError, match="delta"):
        R.LOSSES["l1"].value(["0.5"], ["1"], delta=1)
    with pytest.raises(ValueError, match="targets"):
        R.LOSSES["mse"].value(["0.5", "1"], ["1"])
    assert R.LOSSES["huber"].value(["3"], ["0"], delta=None) == mpf("2.5")  # None: the default


# --- (a) optimizers without torch -----------------------------------------------------

def quad_grad(w):
    """∇ of f(w) = (w − 3)²."""
    return {"w": 2 * (w["w"] - 3)}


def test_sgd_closed_form():
    snaps = R.run("sgd", {"w": 0}, quad_grad, 5, learning_rate="0.1")
    assert len(snaps) == 6 and snaps[0] == {"w": 0}
    for t, s in enumerate(snaps):   # w_t = 3 − 3·0.8^t
        assert close(s["w"], 3 - 3 * mpf("0.8") ** t, mpf("1e-55")), t


def test_momentum_by_hand():
    # v1 = −6, w1 = 0.6; g1 = −4.8, v2 = 0.9·(−6) − 4.8 = −10.2, w2 = 0.6 + 1.02 = 1.62
    snaps = R.run("momentum", {"w": 0}, quad_grad, 2, learning_rate="0.1")  # μ = 0.9 by default
    assert close(snaps[1]["w"], mpf("0.6"), mpf("1e-55"))
    assert close(snaps[2]["w"], mpf("1.62"), mpf("1e-55"))
    half = R.run("momentum", {"w": 0}, quad_grad, 2, learning_rate="0.1", momentum="0.5")
    assert close(half[2]["w"], mpf("0.6") + mpf("0.1") * (3 + mpf("4.8")), mpf("1e-55"))


def test_adam_by_hand():
    # first step: m̂ = g, v̂ = g², so w1 = w0 − η g / (|g| + ε)
    grads = {"a": mpf("0.001"), "b": mpf(-50)}
    snaps = R.run("adam", {"a": 1, "b": 2}, lambda w: dict(grads), 1, learning_rate="0.1")
    with mp.workdps(DPS):
        eps = mpf("1e-8")
        assert close(snaps[1]["a"], 1 - mpf("0.1") * grads["a"] / (abs(grads["a"]) + eps), mpf("1e-55"))
        assert close(snaps[1]["b"], 2 + mpf("0.1") * 50 / (50 + eps), mpf("1e-55"))
    # β1 = β2 = 0, ε = 0: sign descent
    sign = R.run("adam", {"w": 0}, quad_grad, 4, learning_rate="0.5", beta1=0, beta2=0, epsilon=0)
    assert [s["w"] for s in sign] == [0, mpf("0.5"), 1, mpf("1.5"), 2]
    # t-th step's bias correction: a constant gradient g gives steps of exactly η g/(|g| + ε)
    const = R.run("adam", {"w": 0}, lambda w: {"w": mpf(2)}, 3, learning_rate=1, epsilon=0)
    assert all(close(s["w"], -t, mpf("1e-55")) for t, s in enumerate(const))


def test_optimizer_loop_details():
    start = {"a": 1, "b": 2}
    snaps = R.run("momentum", start, lambda w: {"a": mpf(1)}, 3, learning_rate=1)
    assert start == {"a": 1, "b": 2}
    assert [s["b"] for s in snaps] == [2, 2, 2, 2]      # no gradient: left alone
    # v = 1, 1.9, 2.71: a = 1, 0, −1.9, −4.61
    assert all(close(s["a"], w, mpf("1e-55")) for s, w in zip(snaps, [1, 0, mpf("-1.9"), mpf("-4.61")]))
    with pytest.raises(TypeError, match="learning_rate"):
        R.run("sgd", start, lambda w: {}, 1)
    with pytest.raises(ValueError, match="unknown optimizer"):
        R.run("lion", start, lambda w: {}, 1, learning_rate=1)
    with pytest.raises(KeyError):
        R.run("sgd", start, lambda w: {"c": 1}, 1, learning_rate=1)
    assert R.OPTIMIZERS["sgd"](start, lambda w: {"a": 1}, 1, learning_rate=1)[1]["a"] == 0


def test_sgd_options_by_hand():
    # f = (w − 3)², w0 = 0, η = 0.1, μ = 0.9: g1 = −6, b1 = g1 (no dampening on step 1)
    states: list = []
    damp = R.run("sgd", {"w": 0}, quad_grad, 2, learning_rate="0.1", momentum="0.9", dampening="0.5",
                 states=states)
    assert close(damp[1]["w"], mpf("0.6"), mpf("1e-55")) and states[0]["w"]["buf"] == -6
    # g2 = 2(0.6 − 3) = −4.8, b2 = 0.9(−6) + 0.5(−4.8) = −7.8, w2 = 0.6 + 0.78
    assert close(states[1]["w"]["buf"], mpf("-7.8"), mpf("1e-55"))
    assert close(damp[2]["w"], mpf("1.38"), mpf("1e-55"))
    # Nesterov: d1 = g1 + μ b1 = −11.4, w1 = 1.14
    nes = R.run("sgd", {"w": 0}, quad_grad, 1, learning_rate="0.1", momentum="0.9", nesterov=True)
    assert close(nes[1]["w"], mpf("1.14"), mpf("1e-55"))
    # weight decay λ = 0.5 at w = 2 with no loss gradient: g = λ w = 1, w1 = 2 − 0.1
    dec = R.run("sgd", {"w": 2}, lambda w: {"w": 0}, 1, learning_rate="0.1", weight_decay="0.5")
    assert close(dec[1]["w"], mpf("1.9"), mpf("1e-55"))
    with pytest.raises(ValueError, match="Nesterov"):
        R.run("sgd", {"w": 0}, quad_grad, 1, learning_rate="0.1", nesterov=True)
    with pytest.raises(ValueError, match="Nesterov"):
        R.run("sgd", {"w": 0}, quad_grad, 1, learning_rate="0.1", momentum="0.9", dampening="0.1", nesterov=True)
    with pytest.raises(TypeError, match="boolean"):
        R.run("sgd", {"w": 0}, quad_grad, 1, learning_rate="0.1", momentum="0.9", nesterov=1)


def test_adaptive_optimizers_by_hand():
    # Adagrad: sum1 = g² = 36, w1 = 0 + 0.1·6/(6 + 1e-10)
    ada = R.run("adagrad", {"w": 0}, quad_grad, 1, learning_rate="0.1", epsilon=0)
    assert close(ada[1]["w"], mpf("0.1"), mpf("1e-55"))
    # RMSprop α = 0.5, ε = 0: v1 = 18, w1 = 0.1·6/√18; with momentum the same at step 1
    rms = R.run("rmsprop", {"w": 0}, quad_grad, 1, learning_rate="0.1", alpha="0.5", epsilon=0)
    assert close(rms[1]["w"], mpf("0.6") / mp.sqrt(18), mpf("1e-55"))
    rmsm = R.run("rmsprop", {"w": 0}, quad_grad, 1, learning_rate="0.1", alpha="0.5", epsilon=0, momentum="0.9")
    assert close(rmsm[1]["w"], rms[1]["w"], mpf("1e-55"))
    # AdamW with a zero gradient: only the decay moves w (w(1 − ηλ)); Adam's coupled decay
    # turns λ w into a gradient whose first step is sign descent: w − η
    aw = R.run("adamw", {"w": 2}, lambda w: {"w": 0}, 1, learning_rate="0.1", weight_decay="0.5")
    assert close(aw[1]["w"], mpf("1.9"), mpf("1e-55"))
    ad = R.run("adam", {"w": 2}, lambda w: {"w": 0}, 1, learning_rate="0.1", weight_decay="0.5", epsilon=0)
    assert close(ad[1]["w"], mpf("1.9"), mpf("1e-55"))


def test_adadelta_adamax_nadam_by_hand():
    # Adadelta ρ = 0.5, ε = 0.01: v1 = 18, Δ1 = √0.01/√18.01 · (−6), u1 = 0.5 Δ1², w1 = −Δ1
    states: list = []
    ad = R.run("adadelta", {"w": 0}, quad_grad, 1, learning_rate=1, rho="0.5", epsilon="0.01", states=states)
    with mp.workdps(DPS):
        delta = mpf("0.1") / mp.sqrt(mpf("18.01")) * -6
        assert close(ad[1]["w"], -delta, mpf("1e-55")) and close(states[0]["w"]["u"], delta ** 2 / 2, mpf("1e-55"))
    # Adamax, ε = 0, gradients 4, 1, 8: u = 4, then β₂ u = 3.996 (the running maximum kept),
    # then 8 (the new |g|); step 1 is η sign(g) (the bias correction cancels 1 − β₁)
    grads = iter([mpf(4), mpf(1), mpf(8)])
    states = []
    mx = R.run("adamax", {"w": 0}, lambda w: {"w": next(grads)}, 3, learning_rate="0.1", epsilon=0, states=states)
    assert [s["w"]["u"] for s in states] == [4, mpf("3.996"), 8]
    assert close(mx[1]["w"], mpf("-0.1"), mpf("1e-55"))
    # NAdam with ψ = 0, β₁ = 0.5, ε = 0: μ = μ_next = 1/4 at every step; at step 1 prod = 1/4,
    # m̂ = (1/4)(g/2)/(1 − 1/16) + (3/4) g/(3/4) = 17 g/15, v̂ = g²: w1 = η · 17/15 for g = −6
    states = []
    na = R.run("nadam", {"w": 0}, quad_grad, 1, learning_rate="0.15", beta1="0.5", epsilon=0, momentum_decay=0,
               states=states)
    assert close(na[1]["w"], mpf("0.17"), mpf("1e-55")) and states[0]["w"]["prod"] == mpf("0.25")


# --- (b) against torch -----------------------------------------------------------------

@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


def T(torch, values, grad: bool = False):
    """A float64 tensor (never torch's default float32)."""
    return torch.tensor(values, dtype=torch.float64, requires_grad=grad)


def torch_activation(torch, name: str, params: dict):
    F = torch.nn.functional
    p = {k: float(Fraction(str(v))) for k, v in params.items()}
    return {
        "relu": F.relu, "sigmoid": torch.sigmoid, "tanh": torch.tanh,
        "linear": lambda z: F.linear(z.reshape(1, 1), T(torch, [[1.0]])).reshape(()),  # nn.Identity has no op
        "identity": lambda z: F.linear(z.reshape(1, 1), T(torch, [[1.0]])).reshape(()),
        "leaky_relu": lambda z: F.leaky_relu(z, p["slope"]),
        "gelu": lambda z: F.gelu(z),                           # approximate='none' by default
        "silu": F.silu, "swish": F.silu,
        "elu": lambda z: F.elu(z, p.get("alpha", 1.0)),
        "softplus": lambda z: F.softplus(z),                   # beta 1, threshold 20
    }[name]


def torch_value_and_grad(torch, f, z: float) -> tuple[float, float]:
    x = T(torch, z, grad=True)
    y = f(x)
    y.backward()
    return y.item(), x.grad.item()


RANDOM_ZS = [random.Random(s).uniform(-8, 8) for s in range(40)] + [-19.5, -0.5, 0.25, 1.0, 19.5]


@pytest.mark.parametrize("name,params", ACT_CASES, ids=ACT_IDS)
def test_activations_match_torch(torch, name, params):
    if name in NO_AUTOGRAD:
        pytest.skip("checked by test_step_and_sign_match_torch")
    f = torch_activation(torch, name, params)
    act = R.ACTIVATIONS[name]
    for z in RANDOM_ZS + [0.0]:
        v, d = torch_value_and_grad(torch, f, z)
        assert fclose(v, act.value(z, **params)), (name, z, v)
        assert fclose(d, act.derivative(z, **params)), (name, z, d)


@pytest.mark.parametrize("name,params,want", [
    ("relu", {}, 0.0), ("leaky_relu", {"slope": "0.01"}, 0.01), ("leaky_relu", {"slope": "0.2"}, 0.2),
    ("elu", {}, 1.0), ("elu", {"alpha": "0.5"}, 0.5), ("elu", {"alpha": 2}, 2.0),
])
def test_kinks_match_torch(torch, name, params, want):
    """The derivative at z = 0 exactly, as torch's autograd gives it."""
    v, d = torch_value_and_grad(torch, torch_activation(torch, name, params), 0.0)
    assert v == 0.0 and d == want
    assert float(R.ACTIVATIONS[name].derivative(0, **params)) == d
    # and just above 0, the ordinary branch
    assert torch_value_and_grad(torch, torch_activation(torch, name, params), 1e-300)[1] == 1.0


@pytest.mark.parametrize("name,params", [c for c in ACT_CASES if c[0] in NO_AUTOGRAD],
                         ids=[i for c, i in zip(ACT_CASES, ACT_IDS) if c[0] in NO_AUTOGRAD])
def test_step_and_sign_match_torch(torch, name, params):
    """torch.heaviside(z, values) with values = step_at_zero; torch.sign, which gives 0 at 0 (the
    reference's sign_at_zero: 0), its gradient 0 everywhere; heaviside has no autograd at all."""
    act = R.ACTIVATIONS[name]
    zs = RANDOM_ZS + [0.0, 1e-300, -1e-300]
    if name == "step":
        at0 = float(Fraction(str(params.get("step_at_zero", 1))))
        got = torch.heaviside(T(torch, zs), T(torch, at0)).tolist()
        assert got == [float(act.value(z, **params)) for z in zs]
        x = T(torch, zs, grad=True)
        with pytest.raises(RuntimeError, match="not implemented"):
            torch.heaviside(x, T(torch, at0)).sum().backward()
        return
    x = T(torch, zs, grad=True)
    y = torch.sign(x)
    y.sum().backward()
    assert x.grad.tolist() == [float(act.derivative(z, **params)) for z in zs] == [0.0] * len(zs)
    want = [float(act.value(z, **params)) for z in zs]
    if params.get("sign_at_zero") == 0:
        assert y.tolist() == want
    else:  # off 0 the same; at 0 the parameter instead of torch's 0
        assert [v for v, z in zip(y.tolist(), zs) if z != 0] == [v for v, z in zip(want, zs) if z != 0]
        assert y.tolist()[zs.index(0.0)] == 0.0 != want[zs.index(0.0)]


def test_softplus_threshold_differs_from_torch(torch):
    """Above z = 20 torch returns z itself (and slope 1); the reference stays exact."""
    F = torch.nn.functional
    for z in [20.5, 25.0, 40.0]:
        v, d = torch_value_and_grad(torch, F.softplus, z)
        assert v == z and d == 1.0
        with mp.workdps(DPS):
            gap = R.ACTIVATIONS["softplus"].value(z) - mpf(z)
            assert close(gap, mp.log1p(mp.exp(-mpf(z))), mpf("1e-50")) and gap > 0
    v, d = torch_value_and_grad(torch, F.softplus, 20.0)   # 20 itself is below the threshold
    assert fclose(v, R.ACTIVATIONS["softplus"].value(20)) and v != 20.0


def test_softmax_matches_torch(torch):
    rng = random.Random(3)
    for n in [1, 2, 3, 5]:
        zs = [rng.uniform(-4, 4) for _ in range(n)]
        g = [rng.uniform(-2, 2) for _ in range(n)]
        z = T(torch, zs, grad=True)
        p = torch.softmax(z, dim=0)
        (p * T(torch, g)).sum().backward()
        ref = R.softmax(zs)
        assert all(fclose(a, b) for a, b in zip(p.tolist(), ref))
        assert all(fclose(a, b) for a, b in zip(z.grad.tolist(), R.softmax_vjp(ref, g)))


def torch_loss(torch, name: str, o, y: list, reduction, params: dict):
    F = torch.nn.functional
    t = T(torch, y)
    p = {k: float(Fraction(str(v))) for k, v in params.items()}
    if name == "sse":
        return F.mse_loss(o, t, reduction="sum")
    if name == "half_sse":
        return F.mse_loss(o, t, reduction="sum") / 2
    if name == "mse":
        return F.mse_loss(o, t, reduction="mean")
    if name == "cross_entropy":
        if sorted(y) == [0] * (len(y) - 1) + [1]:  # one-hot: torch's nll_loss on ln p
            return F.nll_loss(torch.log(o).unsqueeze(0), torch.tensor([y.index(1)]), reduction="sum")
        return -(t * torch.log(o)).sum()
    if name == "bce":
        return F.binary_cross_entropy(o, t, reduction=reduction or "mean")
    if name == "l1":
        return F.l1_loss(o, t, reduction=reduction or "sum")
    if name == "huber":
        return F.huber_loss(o, t, reduction=reduction or "mean", delta=p.get("delta", 1.0))
    assert name == "multiclass_hinge"
    # torch's MultiMarginLoss divides by the number of classes C; the reference does not
    return len(y) * F.multi_margin_loss(o.unsqueeze(0), torch.tensor([y.index(1)]), margin=p.get("margin", 1.0))


def check_loss_against_torch(torch, name, reduction, params, o: list, y: list):
    x = T(torch, o, grad=True)
    L = torch_loss(torch, name, x, y, reduction, params)
    L.backward()
    loss = R.LOSSES[name]
    ref_v = loss.value(o, y, reduction, **params)
    ref_g = loss.gradient(o, y, reduction, **params)
    assert fclose(L.item(), ref_v), (name, o, y, L.item(), ref_v)
    assert all(fclose(a, b) for a, b in zip(x.grad.tolist(), ref_g)), (name, o, y, x.grad.tolist(), ref_g)
    return L.item(), x.grad.tolist()


def random_example(rng: random.Random, kind: str, n: int):
    if kind == "real":
        return [rng.uniform(-4, 4) for _ in range(n)], [rng.uniform(-4, 4) for _ in range(n)]
    c = rng.randrange(n)
    onehot = [1.0 if k == c else 0.0 for k in range(n)]
    if kind == "prob-onehot":
        return [rng.uniform(0.02, 0.98) for _ in range(n)], onehot
    if kind == "prob-soft":
        w = [rng.uniform(0, 1) for _ in range(n)]
        return [rng.uniform(0.02, 0.98) for _ in range(n)], [v / sum(w) for v in w]
    if kind == "prob":
        return [rng.uniform(0.02, 0.98) for _ in range(n)], [rng.choice([0.0, 1.0, rng.uniform(0, 1)]) for _ in range(n)]
    return [rng.uniform(-2, 2) for _ in range(n)], onehot


@pytest.mark.parametrize("name,reduction,params,kind", LOSS_CASES, ids=LOSS_IDS)
def test_losses_match_torch(torch, name, reduction, params, kind):
    rng = random.Random(11)
    for _ in range(30):
        n = rng.randint(2, 5)
        o, y = random_example(rng, kind, n)
        check_loss_against_torch(torch, name, reduction, params, o, y)


@pytest.mark.parametrize("reduction", [None, "sum", "mean"])
def test_l1_kink_matches_torch(torch, reduction):
    """sgn(0) = 0: a zero residual contributes no gradient."""
    _, g = check_loss_against_torch(torch, "l1", reduction, {}, [0.25, 1.0, -2.0], [0.25, 0.5, -1.0])
    assert g[0] == 0.0


@pytest.mark.parametrize("reduction", [None, "sum"])
@pytest.mark.parametrize("delta", ["0.5", 1, 2])
def test_huber_kink_matches_torch(torch, reduction, delta):
    """|r| = δ exactly (both signs) and r = 0: value and slope agree with torch."""
    d = float(Fraction(str(delta)))
    o, y = [0.25 + d, 0.25 - d, 0.25, 3.0 + d], [0.25, 0.25, 0.25, 3.0]
    _, g = check_loss_against_torch(torch, "huber", reduction, {"delta": delta}, o, y)
    scale = 1.0 if reduction == "sum" else 1 / 4
    assert g == [d * scale, -d * scale, 0.0, d * scale]


@pytest.mark.parametrize("margin", ["0.5", 1, 2])
def test_hinge_kink_matches_torch(torch, margin):
    """A hinge exactly at 0 (s_j − s_c + Δ = 0) contributes no gradient, as in torch."""
    m = float(Fraction(str(margin)))
    s, y = [1.0, 1.0 - m, 1.5 - m, -5.0], [1.0, 0.0, 0.0, 0.0]
    v, g = check_loss_against_torch(torch, "multiclass_hinge", None, {"margin": margin}, s, y)
    assert v == 0.5 and g == [-1.0, 0.0, 1.0, 0.0]


# f(a, b) = (a − 1)² + 3(b + ½)² + a b − 0.7 c  (c is linear: a constant gradient)
def quad2(torch, a, b, c):
    return (a - 1) ** 2 + 3 * (b + 0.5) ** 2 + a * b - 0.7 * c


def quad2_grad(w):
    a, b = w["a"], w["b"]
    return {"a": 2 * (a - 1) + b, "b": 6 * (b + mpf("0.5")) + a, "c": mpf("-0.7")}


OPT_CASES = [
    ("sgd", {"learning_rate": 0.1}, lambda t, ps: t.optim.SGD(ps, lr=0.1)),
    ("momentum", {"learning_rate": 0.05}, lambda t, ps: t.optim.SGD(ps, lr=0.05, momentum=0.9)),
    ("momentum", {"learning_rate": 0.1, "momentum": 0.5}, lambda t, ps: t.optim.SGD(ps, lr=0.1, momentum=0.5)),
    ("adam", {"learning_rate": 0.1}, lambda t, ps: t.optim.Adam(ps, lr=0.1)),
    ("adam", {"learning_rate": 0.05, "beta1": 0.8, "beta2": 0.99, "epsilon": 1e-6},
     lambda t, ps: t.optim.Adam(ps, lr=0.05, betas=(0.8, 0.99), eps=1e-6)),
    ("sgd", {"learning_rate": 0.05, "momentum": 0.9}, lambda t, ps: t.optim.SGD(ps, lr=0.05, momentum=0.9)),
    ("sgd", {"learning_rate": 0.05, "momentum": 0.8, "dampening": 0.3},
     lambda t, ps: t.optim.SGD(ps, lr=0.05, momentum=0.8, dampening=0.3)),
    ("sgd", {"learning_rate": 0.05, "momentum": 0.9, "nesterov": True},
     lambda t, ps: t.optim.SGD(ps, lr=0.05, momentum=0.9, nesterov=True)),
    ("sgd", {"learning_rate": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.1},
     lambda t, ps: t.optim.SGD(ps, lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.1)),
    ("sgd", {"learning_rate": 0.1, "weight_decay": 0.2}, lambda t, ps: t.optim.SGD(ps, lr=0.1, weight_decay=0.2)),
    ("adam", {"learning_rate": 0.05, "weight_decay": 0.1}, lambda t, ps: t.optim.Adam(ps, lr=0.05, weight_decay=0.1)),
    ("adamw", {"learning_rate": 0.05}, lambda t, ps: t.optim.AdamW(ps, lr=0.05)),
    ("adamw", {"learning_rate": 0.05, "weight_decay": 0.3, "beta1": 0.8, "epsilon": 1e-6},
     lambda t, ps: t.optim.AdamW(ps, lr=0.05, weight_decay=0.3, betas=(0.8, 0.999), eps=1e-6)),
    ("adamw", {"learning_rate": 0.05, "weight_decay": 0}, lambda t, ps: t.optim.AdamW(ps, lr=0.05, weight_decay=0)),
    ("rmsprop", {"learning_rate": 0.01}, lambda t, ps: t.optim.RMSprop(ps, lr=0.01)),
    ("rmsprop", {"learning_rate": 0.01, "alpha": 0.9, "epsilon": 1e-6, "momentum": 0.5, "weight_decay": 0.1},
     lambda t, ps: t.optim.RMSprop(ps, lr=0.01, alpha=0.9, eps=1e-6, momentum=0.5, weight_decay=0.1)),
    ("adagrad", {"learning_rate": 0.1}, lambda t, ps: t.optim.Adagrad(ps, lr=0.1)),
    ("adagrad", {"learning_rate": 0.1, "epsilon": 1e-6, "weight_decay": 0.2},
     lambda t, ps: t.optim.Adagrad(ps, lr=0.1, eps=1e-6, weight_decay=0.2)),
    ("adadelta", {"learning_rate": 1}, lambda t, ps: t.optim.Adadelta(ps)),
    ("adadelta", {"learning_rate": 0.5, "rho": 0.8, "epsilon": 1e-4, "weight_decay": 0.1},
     lambda t, ps: t.optim.Adadelta(ps, lr=0.5, rho=0.8, eps=1e-4, weight_decay=0.1)),
    ("adamax", {"learning_rate": 0.002}, lambda t, ps: t.optim.Adamax(ps)),
    ("adamax", {"learning_rate": 0.3, "beta1": 0.8, "beta2": 0.6, "epsilon": 1e-6, "weight_decay": 0.05},
     lambda t, ps: t.optim.Adamax(ps, lr=0.3, betas=(0.8, 0.6), eps=1e-6, weight_decay=0.05)),
    ("nadam", {"learning_rate": 0.002}, lambda t, ps: t.optim.NAdam(ps)),
    ("nadam", {"learning_rate": 0.1, "beta1": 0.8, "beta2": 0.99, "epsilon": 1e-6, "weight_decay": 0.1,
               "momentum_decay": 0.05},
     lambda t, ps: t.optim.NAdam(ps, lr=0.1, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1, momentum_decay=0.05)),
]


@pytest.fixture
def float64_scalars(torch):
    """torch's default dtype float64 for the test: torch.optim keeps its "scalars" (NAdam's
    mu_product, the step) in the default dtype, float32 otherwise."""
    before = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(before)


def test_adamax_maximum_both_sides_match_torch(torch, float64_scalars):
    """Gradients set by hand so that u = max(β₂ u, |g| + ε) takes |g| + ε, keeps β₂ u, takes
    |g| + ε again, and ties (β₂ u = |g| + ε exactly, in binary fractions, ε = 0): torch's
    values and the reference's agree at every step."""
    grads = [4.0, 1.0, 8.0, -4.0, 0.5, 0.0]   # β₂ = 0.5: u = 4, 2, 8, 4 (a tie: 0.5·8 = |−4|), 2, 1
    p = T(torch, 1.0, grad=True)
    opt = torch.optim.Adamax([p], lr=0.1, betas=(0.9, 0.5), eps=0.0)
    got = []
    for g in grads:
        p.grad = T(torch, g)
        opt.step()
        got.append((p.item(), float(opt.state[p]["exp_inf"])))
    seq, states = iter(grads), []
    want = R.run("adamax", {"w": 1}, lambda w: {"w": mpf(next(seq))}, len(grads), learning_rate="0.1",
                 beta2="0.5", epsilon=0, states=states)
    assert [u for _, u in got] == [4, 2, 8, 4, 2, 1] == [s["w"]["u"] for s in states]
    for (w, _), ref in zip(got, want[1:]):
        assert fclose(w, ref["w"], 1e-11), (w, float(ref["w"]))


@pytest.mark.parametrize("kind,hyper,make", OPT_CASES, ids=[f"{k}-{i}" for i, (k, _, _) in enumerate(OPT_CASES)])
def test_optimizers_match_torch(torch, kind, hyper, make, float64_scalars):
    start = {"a": 0.3, "b": -1.2, "c": 2.0}
    ps = {k: T(torch, v, grad=True) for k, v in start.items()}
    opt = make(torch, list(ps.values()))
    got = [{k: p.item() for k, p in ps.items()}]
    for _ in range(8):
        opt.zero_grad()
        quad2(torch, ps["a"], ps["b"], ps["c"]).backward()
        opt.step()
        got.append({k: p.item() for k, p in ps.items()})
    want = R.run(kind, start, quad2_grad, 8, **hyper)
    assert len(want) == 9
    for t, (g, w) in enumerate(zip(got, want)):
        for k in start:
            assert fclose(g[k], w[k], 1e-11), (kind, t, k, g[k], float(w[k]))
    assert got[5]["a"] != start["a"]


# --- (c) the suite's oracles delegate the new names to these references -----------------
# tests/oracle.py and tests/graph_oracle.py read no solver code either; a problem model
# is imitated with SimpleNamespace (a layer carries ``alpha``, a loss ``delta`` / ``margin``).

from types import SimpleNamespace  # noqa: E402

import graph_oracle as GO  # noqa: E402
import oracle as O  # noqa: E402


def fake_problem(layers: list, loss: dict, target, inputs=None):
    net = SimpleNamespace(inputs=inputs or {"x1": "0.5", "x2": "-1"}, orientation="Wx", layers=[
        SimpleNamespace(**{"bias": None, "slope": None, **layer}) for layer in layers])
    loss = SimpleNamespace(**{"reduction": None, "batch": None, **loss})
    q = SimpleNamespace(loss=None, target=None, output_head=None)
    return SimpleNamespace(network=net, loss=loss, target=target, questions=[q])


NETS = {
    "elu-huber": ([{"units": 2, "activation": "elu", "alpha": "0.5", "weights": [["0.3", "0.8"], ["-0.4", "0.2"]],
                    "bias": ["0.1", "-0.2"]},
                   {"units": 2, "activation": "gelu", "weights": [["0.7", "-0.5"], ["0.25", "0.9"]], "bias": "0.05"}],
                  {"type": "huber", "delta": "0.5", "reduction": "sum"}, ["1", "-0.2"]),
    "silu-hinge": ([{"units": 3, "activation": "silu", "weights": [["0.3", "0.8"], ["-0.4", "0.2"], ["1", "0.5"]]},
                    {"units": 3, "activation": "softplus", "weights": [["0.7", "-0.5", "0.1"], ["0.25", "0.9", "-1"],
                                                                       ["0.5", "0.5", "0.5"]]}],
                   {"type": "multiclass_hinge", "margin": 2}, ["0", "1", "0"]),
    "swish-elu-l1-mean": ([{"units": 2, "activation": "swish", "weights": [["0.3", "0.8"], ["-0.4", "0.2"]]},
                           {"units": 2, "activation": "elu", "weights": [["-0.7", "-0.5"], ["0.25", "0.9"]]}],
                          {"type": "l1", "reduction": "mean"}, ["1", "-0.2"]),
}


def hand_forward(layers, loss, target, xs):
    """The same network written out with the references directly."""
    prev = [mpf(x) for x in xs]
    for layer in layers:
        params = {"alpha": layer["alpha"]} if "alpha" in layer else {}
        bias = layer.get("bias")
        zs = [sum(mpf(w) * h for w, h in zip(row, prev)) +
              (mpf(bias[j]) if isinstance(bias, list) else mpf(bias) if bias else 0)
              for j, row in enumerate(layer["weights"])]
        prev = [R.ACTIVATIONS[layer["activation"]].value(z, **params) for z in zs]
    extra = {k: v for k, v in loss.items() if k in ("delta", "margin")}
    return R.LOSSES[loss["type"]].value(prev, target, loss.get("reduction"), **extra)


@pytest.mark.parametrize("name", list(NETS))
def test_network_oracle_uses_the_references(name):
    layers, loss, target = NETS[name]
    orc = O.Oracle.from_problem(fake_problem(layers, loss, target))
    assert not orc.kinks()
    assert close(orc.loss(), hand_forward(layers, loss, target, ["0.5", "-1"]), mpf("1e-55"))
    value, grads = orc.backprop()
    assert close(value, orc.loss(), mpf("1e-55"))
    for pid, g in grads.items():                 # reverse mode against finite differences
        assert close(g, orc.gradient(pid), mpf("1e-30")), (pid, g)
    assert any(abs(g) > mpf("0.01") for g in grads.values())


def test_network_oracle_kinks_of_the_new_losses():
    layers = [{"units": 2, "activation": "linear", "weights": [["1", "0"], ["0", "1"]]}]
    at_delta = O.Oracle.from_problem(fake_problem(layers, {"type": "huber", "delta": "0.5"}, ["0", "-1.5"]))
    assert [k for k in at_delta.kinks() if "huber" in k]          # r1 = 0.5 = δ
    at_hinge = O.Oracle.from_problem(fake_problem(layers, {"type": "multiclass_hinge"}, ["1", "0"],
                                                  {"x1": "2", "x2": "1"}))
    assert [k for k in at_hinge.kinks() if "hinge" in k]          # 1 − 2 + 1 = 0
    elu = [{"units": 1, "activation": "elu", "weights": [["1", "1"]]}]
    assert O.Oracle.from_problem(fake_problem(elu, {"type": "sse"}, ["1"], {"x1": "1", "x2": "-1"})).kinks()


GRAPH = {"inputs": {"x": "0.7"}, "parameters": {"w": "-1.3", "b": "0.4"},
         "nodes": {"z": "w * x + b", "g": "gelu(z)", "s": "silu(x) + swish(b)", "p": "softplus(z)",
                   "e": "elu(z) + elu(z, 0.5) + elu(x, 2)", "L": "g * s + p - e"},
         "output": "L"}


def graph_by_hand(x, w, b):
    A = R.ACTIVATIONS
    z = w * x + b
    e = A["elu"].value(z) + A["elu"].value(z, alpha="0.5") + A["elu"].value(x, alpha=2)
    return A["gelu"].value(z) * (A["silu"].value(x) + A["silu"].value(b)) + A["softplus"].value(z) - e


@pytest.mark.parametrize("which", ["graph_oracle", "oracle"])
def test_graph_oracles_know_the_new_functions(which):
    x, w, b = mpf("0.7"), mpf("-1.3"), mpf("0.4")
    if which == "graph_oracle":
        orc = GO.GraphOracle(GRAPH)
        value, grad = orc.values()["L"], orc.gradient
        assert orc.min_kink_margin() > mpf("0.1")
    else:
        orc = O.GraphOracle(GRAPH["inputs"], GRAPH["parameters"], GRAPH["nodes"], GRAPH["output"])
        value, grad = orc.loss(), orc.gradient
        assert not orc.kinks()
    assert close(value, graph_by_hand(x, w, b), mpf("1e-55"))
    for name, point in [("x", x), ("w", w), ("b", b)]:
        args = {"x": x, "w": w, "b": b}
        fd = mp.diff(lambda t: graph_by_hand(**{**args, name: t}), point)
        assert close(grad(name), fd, mpf("1e-30")), name


def test_graph_oracle_elu_kinks_and_exactness():
    g = {"inputs": {"x": "0"}, "parameters": {}, "nodes": {"L": "elu(x, 0.5)"}, "output": "L"}
    assert GO.GraphOracle(g).min_kink_margin() == 0
    assert O.GraphOracle({"x": "0"}, {}, {"L": "elu(x)"}, "L").kinks()
    pos = GO.GraphOracle({"inputs": {"x": "0.75"}, "parameters": {"w": "2"},
                          "nodes": {"a": "elu(w * x, 0.5)", "n": "elu(-x)", "q": "gelu(x)", "L": "a * w"},
                          "output": "L"})
    exact = pos.exact_values()
    assert exact["a"] == Fraction(3, 2) and exact["L"] == 3
    assert exact["n"] is None and exact["q"] is None                   # exp branch, Φ
    assert pos.exact_gradient("w") == 3                                 # d(w²x)/dw = 2wx = 3
    assert close(pos.values()["n"], (mp.exp(mpf("-0.75")) - 1), mpf("1e-55"))


def test_network_oracle_matches_torch(torch):
    """One of the networks above through torch autograd (float64), end to end."""
    F = torch.nn.functional
    layers, loss, target = NETS["elu-huber"]
    orc = O.Oracle.from_problem(fake_problem(layers, loss, target))
    value, grads = orc.backprop()
    W1 = T(torch, [[0.3, 0.8], [-0.4, 0.2]], grad=True)
    W2 = T(torch, [[0.7, -0.5], [0.25, 0.9]], grad=True)
    h = F.elu(W1 @ T(torch, [0.5, -1.0]) + T(torch, [0.1, -0.2]), alpha=0.5)
    o = F.gelu(W2 @ h + 0.05)
    L = F.huber_loss(o, T(torch, [1.0, -0.2]), delta=0.5, reduction="sum")
    L.backward()
    assert fclose(L.item(), value)
    for r in range(2):
        for c in range(2):
            assert fclose(W1.grad[r, c].item(), grads[("W", 1, r, c)])
            assert fclose(W2.grad[r, c].item(), grads[("W", 2, r, c)])
