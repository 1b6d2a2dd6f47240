"""Multi-quadratic surds (:mod:`solver.graph.surds`): the recheck's proof that a sum of
products of square roots is exactly 0. Checked against sympy: each value's digits (mpmath,
80 digits) on generated expressions, every 0 it finds is sympy's 0 too, and the bundled
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
# roots of (base · a² / b²) with base 1, 2, 3 or 5, so that a value has at most 2³ monomials
radicands = st.builds(lambda base, a, b: F(base * a * a, b * b), st.sampled_from([1, 2, 3, 5]),
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
def test_a_zero_found_is_sympys_zero(a, b):
    """(a + b)² − a² − 2ab − b²: always 0 here, and sympy agrees that it is."""
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
