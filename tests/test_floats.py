"""solver.core.floats.evalf_float takes sympy's evalf steps on mpmath directly: its Float must
be the one ``Float(value.evalf(n), digits)`` gives, bit for bit (mantissa, exponent and
precision), for every formula it takes, and it must leave to sympy what it does not take.

The oracle is sympy's own evalf (the code the fast path replaces), on fixed formulas (the
softmax, sigmoid and cross-entropy values of the keys; sums that cancel and make evalf raise
its precision), on seeded random formulas and on hypothesis-drawn ones.
"""

from __future__ import annotations

import random

import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from solver.core.floats import evalf_float
from solver.core.numbers import DIGITS, normalize

R = sp.Rational


def sympy_float(value, n=DIGITS + 10, digits=DIGITS):
    """What normalize computed before the fast path: sympy's evalf, then the Float of ``digits``."""
    return sp.Float(value.evalf(n), digits)


def assert_same(value, n=DIGITS + 10, digits=DIGITS, taken=True):
    fast = evalf_float(value, n, digits)
    if fast is None:
        assert not taken, f"{value} was left to sympy"
        return
    slow = sympy_float(value, n, digits)
    assert (fast._mpf_, fast._prec) == (slow._mpf_, slow._prec), value
    assert str(fast) == str(slow)


def softmax(k, *logits):
    return sp.exp(logits[k]) / sp.Add(*[sp.exp(o) for o in logits])


FORMULAS = [
    softmax(0, R(41, 100), R(16, 25)),
    softmax(1, R(41, 100), R(16, 25)),
    softmax(2, R(-3, 10), R(7, 5), R(0), R(-12)),
    softmax(0, R(250), R(-250)),
    softmax(1, sp.Float("0.123456789012345678901234567890123456789", 50), R(1, 3)),
    1 / (1 + sp.exp(-R(3, 10))),            # sigmoid
    1 / (1 + sp.exp(R(57, 7))),
    1 / (1 + sp.exp(-sp.Float(0.5, 60))),
    -sp.log(softmax(0, R(1, 10), R(2, 10))),  # cross-entropy
    sp.log(R(10 ** 20 + 1, 10 ** 20)), -sp.log(softmax(0, R(8), R(0))), sp.log(1 + sp.exp(R(-30))),
    sp.log(sp.Float("0.99999999", 20)),  # near 1: log(1 + (x - 1))
    sp.log(R(1, 3)), sp.log(R(7, 2)), sp.log(sp.Float("2.5", 80)), sp.log(R(10) ** 200),
    sp.exp(R(1, 2)), sp.exp(2), sp.exp(-7), sp.exp(R(-600)), sp.exp(R(680)),
    sp.exp(sp.Float("1e-30", 50)), sp.exp(sp.Float("-3.25", 15)),
    sp.sqrt(R(2)), sp.sqrt(sp.exp(R(1, 3))), R(2) ** R(1, 3), sp.exp(R(1, 5)) ** R(-3, 2),
    sp.pi * R(1, 3), sp.sqrt(2 / sp.pi) * sp.exp(-R(9, 50)),
    sp.Add(sp.exp(R(1, 10 ** 30)), -1, evaluate=False),  # cancels: evalf raises its precision
    sp.Add(sp.exp(R(1, 10 ** 8)), sp.Float(-1, 30), evaluate=False),
    sp.Add(sp.exp(R(3)), sp.Float("-20.08553692318766774", 60), evaluate=False),
    sp.Add(R(10) ** 40, sp.exp(R(-40)), evaluate=False),  # terms far apart
    sp.Add(sp.exp(R(-300)), R(1), sp.exp(R(-900)), evaluate=False),
    sp.Mul(-2, sp.exp(R(1, 7)), sp.log(R(3)), sp.exp(-R(2)), evaluate=False),
    sp.Mul(*[sp.exp(R(k, 3)) for k in range(1, 40)], evaluate=False),  # a long product
    sp.Pow(sp.exp(R(1, 4)) + sp.exp(R(1, 5)), 37, evaluate=False),
    sp.Pow(sp.exp(R(-1, 4)) - 2, -3, evaluate=False),
]


@pytest.mark.parametrize("value", FORMULAS, ids=range(len(FORMULAS)))
def test_same_float_as_evalf(value):
    assert_same(value)


@pytest.mark.parametrize("n,digits", [(15, 15), (25, 20), (60, 50), (110, 100)])
def test_other_precisions(n, digits):
    for value in FORMULAS:
        assert_same(value, n, digits, taken=False)  # a cancellation beyond maxprec: sympy


LEFT_TO_SYMPY = [
    sp.log(R(-2)), sp.log(sp.Float(1, 30) + sp.exp(R(-400))),  # complex; log of 1 (a zero)
    sp.Add(sp.Float(1, 30), sp.Float(-1, 30), evaluate=False),  # cancels to 0
    sp.Pow(R(-2), R(1, 2), evaluate=False), sp.Pow(-sp.exp(R(1, 3)), R(1, 3), evaluate=False),
    sp.Mul(sp.Float(0), sp.exp(2), evaluate=False), sp.tanh(R(1, 3)), sp.erfc(R(1, 2)),
    sp.exp(R(700)),  # beyond 2^996
    sp.Symbol("x") + 1,
]


@pytest.mark.parametrize("value", LEFT_TO_SYMPY, ids=range(len(LEFT_TO_SYMPY)))
def test_left_to_sympy(value):
    assert evalf_float(value, DIGITS + 10, DIGITS) is None


def test_normalize_unchanged():
    for value in FORMULAS[:12]:
        assert normalize(value)._mpf_ == sympy_float(value)._mpf_
    with pytest.raises(ValueError, match="not a finite real"):
        normalize(sp.log(R(-2)))
    with pytest.raises(ValueError, match="1e300"):
        normalize(sp.exp(R(700)))


def _number(rng):
    k = rng.random()
    if k < 0.45:
        return R(rng.randint(-600, 600), rng.choice([1, 3, 7, 100, 101, 1000]))
    if k < 0.85:
        return sp.Float(rng.uniform(-6, 6), rng.choice([15, 30, 50, 60, 80]))
    return sp.Integer(rng.randint(-6, 6))


def _formula(rng, depth):
    if depth == 0:
        return _number(rng)
    k = rng.random()
    if k < 0.25:
        return sp.exp(_formula(rng, min(depth - 1, 1)))
    if k < 0.35:
        return sp.log(_formula(rng, depth - 1))
    if k < 0.6:
        return sp.Add(*[_formula(rng, depth - 1) for _ in range(rng.randint(2, 3))])
    if k < 0.85:
        return sp.Mul(*[_formula(rng, depth - 1) for _ in range(rng.randint(2, 3))])
    exponent = rng.choice([-1, 2, -2, 3, R(1, 2), R(-1, 2), R(3, 2), sp.Float(0.75, 20)])
    return sp.Pow(_formula(rng, depth - 1), exponent)


def test_random_formulas():
    rng, taken = random.Random(19), 0
    for _ in range(1500):
        value = _formula(rng, rng.randint(1, 4))
        if isinstance(value, (sp.Rational, sp.Float)):
            continue
        fast = evalf_float(value, DIGITS + 10, DIGITS)
        if fast is not None:
            taken += 1
            slow = sympy_float(value)
            assert (fast._mpf_, fast._prec) == (slow._mpf_, slow._prec), value
    assert taken > 400


_logit = st.one_of(
    st.fractions(min_value=-50, max_value=50, max_denominator=10 ** 6).map(lambda f: R(f.numerator, f.denominator)),
    st.floats(min_value=-50, max_value=50, allow_nan=False).map(lambda x: sp.Float(x, 50)),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_logit, min_size=2, max_size=5), st.integers(0, 4))
def test_softmax_drawn(logits, k):
    value = softmax(k % len(logits), *logits)
    if not isinstance(value, (sp.Rational, sp.Float)):
        assert_same(value)
        assert_same(-sp.log(value))


@settings(max_examples=300, deadline=None)
@given(_logit, _logit, st.sampled_from([-1, 2, -3, R(1, 2), R(-3, 2)]))
def test_sigmoid_and_powers_drawn(x, y, exponent):
    for value in (1 / (1 + sp.exp(-x)), sp.Pow(sp.exp(x) + sp.exp(y), exponent),
                  sp.Add(sp.exp(x), -sp.exp(y), evaluate=False), sp.exp(x) * sp.log(1 + sp.exp(y))):
        if not isinstance(value, (sp.Rational, sp.Float)):
            assert_same(value, taken=False)


@settings(max_examples=500, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False), st.integers(-330, 330),
       st.sampled_from([1, 2, 4, 5, 15, 50, 55, 60]))
def test_float_text_is_str(x, exponent, dps):
    """display reads a Float's digits as str() writes them, without sympy's printer."""
    from solver.core.numbers import float_text
    for value in (sp.Float(x, dps), sp.Float(x, dps) * sp.Float(10, dps) ** exponent):
        assert float_text(value) == str(value)


@settings(max_examples=500, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False), st.integers(-330, 330),
       st.sampled_from([1, 15, 50, 55, 60, 80]))
def test_shown_digits_as_before(x, exponent, dps):
    """display's Decimal of a Float: the digits of str(Float(value, DIGITS + 5)), as before."""
    from decimal import Decimal

    from solver.core.numbers import _to_decimal
    for value in (sp.Float(x, dps), sp.Float(x, dps) * sp.Float(10, dps) ** exponent):
        if isinstance(value, sp.Float):  # (0.0 * 10.0**0 is an exact 0)
            d, shift = _to_decimal(value)  # (a shift only beyond 10^±(10^15))
            assert (str(d), shift) == (str(Decimal(str(sp.Float(value, DIGITS + 5)))), 0)
