"""Multi-quadratic surds (:mod:`solver.graph.surds`): the recheck's proof that a sum of
products of square roots is exactly 0. Checked against sympy on generated expressions: the
arithmetic's values to 80 digits; the evaluation of graph formulas (powers, roots, ``Abs``,
``Max``, ``Min``, ``Piecewise``), each value's digits and each 0 it finds against sympy's value
at 120 digits, what it refuses refused; a near cancellation is not taken for 0; and the bundled
bias before batch normalisation is proved 0 here, with sympy's exact path taken away."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import mpmath
import pytest
import sympy as sp
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from solver.graph import residues, surds
from solver.graph.backprop import backward, forward
from solver.graph.network import build_network
from solver.problem import validate

ROOT = Path(__file__).resolve().parent.parent
F = Fraction


def _numeric(a: surds.Surd) -> mpmath.mpf:
    with mpmath.workdps(80):
        return mpmath.fsum(mpmath.mpf(c.numerator) / c.denominator * mpmath.fprod(mpmath.sqrt(n) for n in m)
                           for m, c in a.items())


@pytest.mark.parametrize("q, expected", [
    (F(8), {frozenset({2}): F(2)}),                   # √8 = 2√2
    (F(1, 2), {frozenset({2}): F(1, 2)}),             # √(1/2) = √2 / 2
    (F(4, 9), {frozenset(): F(2, 3)}),                # a square
    (F(0), {}),
    (F(12, 5), {frozenset({15}): F(2, 5)}),           # √(12/5) = √60 / 5 = 2√15 / 5
    (F(1009 ** 2), {frozenset(): F(1009)}),           # a square beyond the trial bound: isqrt
    (F(1009 ** 2 * 3), {frozenset({1009 ** 2 * 3}): F(1)}),  # a square factor beyond it stays in:
])                                                       # the value is right, only less reduced
def test_root_takes_square_factors_out(q, expected):
    assert surds.root(q) == expected


def test_arithmetic_of_roots():
    r2, r3 = surds.root(F(2)), surds.root(F(3))
    assert surds.mul(r2, r2) == {frozenset(): F(2)}
    assert surds.mul(r2, r3) == {frozenset({2, 3}): F(1)}                       # √6, as √2·√3
    assert surds.mul(surds.mul(r2, r3), r3) == {frozenset({2}): F(3)}          # √2·√3·√3 = 3√2
    assert surds.add(r2, surds.mul(surds.rational(F(-1)), r2)) == {}
    assert surds.power(surds.mul(surds.rational(F(3)), r2), -1) == {frozenset({2}): F(1, 6)}  # 1/(3√2)
    assert surds.power(surds.add(r2, surds.rational(F(1))), 2) == {frozenset(): F(3), frozenset({2}): F(2)}
    with pytest.raises(surds.Unsupported):
        surds.power(surds.add(r2, surds.rational(F(1))), -1)  # the inverse of a sum
    with pytest.raises(surds.Unsupported):
        surds.root(F(-2))


# Expressions of rationals and square roots of rationals, + and ×, small integer powers: each
# built in sympy and in surds side by side.
rationals = st.builds(F, st.integers(-30, 30), st.integers(1, 12))
# roots of (base · a² / b²) with a base of 2, 3 and 5 (6 too: a root of its own, not √2·√3), so
# that a value has few monomials
radicands = st.builds(lambda base, a, b: F(base * a * a, b * b), st.sampled_from([1, 2, 3, 5, 6]),
                      st.integers(0, 7), st.integers(1, 7))
roots = radicands.map(lambda q: (sp.sqrt(sp.Rational(q.numerator, q.denominator)), surds.root(q)))
leaves = rationals.map(lambda q: (sp.Rational(q.numerator, q.denominator), surds.rational(q))) | roots


def _combine(children):
    def both(op_name, a, b):
        (ea, sa), (eb, sb) = a, b
        return (ea + eb, surds.add(sa, sb)) if op_name == "+" else (ea * eb, surds.mul(sa, sb))
    return st.one_of(
        st.builds(both, st.sampled_from("+*"), children, children),
        st.builds(lambda a, k: (a[0] ** k, surds.power(a[1], k)), children, st.integers(0, 3)))


trees = st.recursive(leaves, _combine, max_leaves=10)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tree=trees)
def test_values_agree_with_sympy(tree):
    expr, value = tree
    with mpmath.workdps(80):
        exact = sp.N(expr, 80)
        assert abs(_numeric(value) - mpmath.mpf(str(exact))) <= mpmath.mpf(10) ** -60 * max(1, abs(mpmath.mpf(str(exact))))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(a=trees, b=trees)
def test_the_ring_identities_hold(a, b):
    """(a + b)² − a² − 2ab − b² comes out 0 (a commutative ring; the zeros of real formulas are
    checked against sympy in :func:`test_formulas_agree_with_sympy`)."""
    (ea, sa), (eb, sb) = a, b
    minus = surds.rational(F(-1))
    total = surds.add(surds.power(surds.add(sa, sb), 2),
                      surds.mul(minus, surds.add(surds.add(surds.power(sa, 2), surds.power(sb, 2)),
                                                 surds.mul(surds.rational(F(2)), surds.mul(sa, sb)))))
    assert total == {}
    assert sp.expand((ea + eb) ** 2 - ea ** 2 - 2 * ea * eb - eb ** 2) == 0


def test_the_bias_before_batch_normalisation_is_proved_zero_in_surds(monkeypatch):
    """With sympy's exact path and the 200-digit floats' "cannot be told from 0" both taken
    away, the bundled dropout problem's b1 still has gradient exactly 0: surds proved it."""
    def no_sympy(value):
        raise AssertionError("the exact recheck reached sympy")
    monkeypatch.setattr(residues, "_expanded", no_sympy)
    monkeypatch.setattr(residues, "_INDISTINCT", sp.Integer(0))
    problem = validate(yaml.safe_load((ROOT / "problems" / "dropout.yaml").read_text(encoding="utf-8")))
    graph = build_network(problem, problem.questions[0])
    adjoint = backward(graph, forward(graph)).adjoint
    b1 = next(t for t in graph.tensors if t.key == "b1")
    assert all(adjoint[e] is sp.S.Zero for e in b1.elements)


def test_values_outside_the_arithmetic_are_refused():
    e = surds.SurdEvaluation.__new__(surds.SurdEvaluation)
    e.memo, e.values = {}, {}
    with pytest.raises(surds.Unsupported):
        e._at(sp.exp(sp.Integer(1)))
    with pytest.raises(surds.Unsupported):
        e._at(sp.Float("0.5"))
    with pytest.raises(surds.Unsupported):
        e._at(sp.sqrt(1 + sp.sqrt(2), evaluate=False))  # a root of a sum
    assert e._at(sp.Pow(sp.Rational(8), sp.Rational(-3, 2), evaluate=False)) == {frozenset({2}): F(1, 32)}  # 8^(-3/2)


# Formulas of a graph, over five symbols with rational values: sums, products, integer and
# half-integer powers, roots, Abs, Max, Min and Piecewise. Half of them minus their own value
# (as sympy evaluates it), so that zeros come up often.
_SYMBOLS = sp.symbols("a b c d e", real=True)
_LEAF_VALUES = st.sampled_from([sp.Integer(k) for k in range(-4, 10)]
                               + [sp.Rational(p, q) for p in (-7, -3, 1, 5, 8, 12, 18, 50) for q in (2, 3, 4, 9)])


def _built(make, *args):
    """``make(*args)``, or ``None`` where sympy refuses it or it is not finite (1/0 as a
    constant, then a Max of it): such a formula is not one of a graph's."""
    try:
        made = make(*args)
    except (ValueError, TypeError, ZeroDivisionError):
        return None
    return None if made.has(sp.zoo, sp.nan, sp.oo, -sp.oo) else made


def _formulas(children):
    def node(make, *parts):
        return st.builds(lambda *args: _built(make, *args), *parts)
    return st.one_of(
        node(lambda x, y: x + y, children, children),
        node(lambda x, y: x - y, children, children),
        node(lambda x, y: x * y, children, children),
        node(lambda x, k: x ** k, children, st.sampled_from([-3, -2, -1, 2, 3])),
        node(lambda x, k: x ** sp.Rational(k, 2), children, st.sampled_from([-5, -3, -1, 1, 3, 5])),
        node(sp.Abs, children),
        node(sp.Max, children, children),
        node(sp.Min, children, children),
        node(lambda x, y, z, s: sp.Piecewise((x, y < s), (z, True)), children, children, children,
             st.sampled_from(_SYMBOLS))).filter(lambda made: made is not None)


formulas = st.recursive(st.sampled_from(_SYMBOLS) | st.builds(sp.sqrt, st.sampled_from([sp.Integer(2), sp.Integer(6),
                                                                                      sp.Rational(8, 3)])),
                        _formulas, max_leaves=8)


def _evaluation(values: dict) -> surds.SurdEvaluation:
    leaves = {s.name: type("Leaf", (), {"is_leaf": True, "value": v}) for s, v in values.items()}
    return surds.SurdEvaluation(type("G", (), {"loss": "L", "by_key": leaves})(), {})


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(formula=formulas, values=st.tuples(*[_LEAF_VALUES] * 5), minus_own_value=st.booleans())
def test_formulas_agree_with_sympy(formula, values, minus_own_value):
    values = dict(zip(_SYMBOLS, values))
    try:
        if minus_own_value:
            formula = formula - formula.xreplace(values)
        true = sp.N(formula.xreplace(values), 120)
    except (ZeroDivisionError, ValueError, TypeError):
        return
    try:
        value = _evaluation(values)._at(formula)
    except (surds.Unsupported, ArithmeticError):
        return  # refused (a root of a sum or of a negative number, 1/0): sympy's path decides
    assert true.is_real, (formula, values, value)
    with mpmath.workdps(120):
        exact = mpmath.mpf(str(true))
        got = mpmath.fsum(mpmath.mpf(c.numerator) / c.denominator * mpmath.fprod(mpmath.sqrt(n) for n in m)
                          for m, c in value.items())
        assert abs(got - exact) <= mpmath.mpf(10) ** -90 * max(1, abs(exact)), (formula, values, value)
        if value == {}:  # a zero found is a true zero
            assert abs(exact) <= mpmath.mpf(10) ** -100, (formula, values)


def test_a_near_cancellation_is_not_taken_for_zero():
    """√2 minus its 50-digit rounding (a residue of about 1e-51) is not 0."""
    sqrt2 = sp.Rational(141421356237309504880168872420969807856967187537695, 10 ** 50)
    e = _evaluation({})
    assert e._at(sp.sqrt(2) - sqrt2) == {frozenset({2}): F(1), frozenset(): -F(sqrt2.p, sqrt2.q)}
    with pytest.raises(surds.Unsupported):
        e._at(sp.Pow(sp.Integer(8), sp.Rational(1, 3), evaluate=False))  # a cube root is not a surd here
