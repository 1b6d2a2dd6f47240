"""The dense network's fast paths (issue 19) give what the general code gives: a product
w x differentiated by reading its factors is sympy's derivative; numbers converted to
floats in integers are sympy's floats."""

import random

import sympy as sp

from solver.graph.backprop import _product_rule
from solver.graph.model import sym


def test_a_product_of_two_symbols_is_differentiated_as_sympy_does():
    w, x, w2 = sym("w1"), sym("x1"), sym("w2")
    plain = sp.Symbol("x1")  # the same name, other assumptions: another symbol
    cases = [(sp.Mul(w, x, evaluate=False), w), (sp.Mul(w, x, evaluate=False), x),
             (sp.Mul(x, w, evaluate=False), w), (sp.Mul(w, x, evaluate=False), w2),
             (sp.Mul(w, w, evaluate=False), w), (sp.Mul(w, plain, evaluate=False), x),
             (sp.Mul(w, plain, evaluate=False), plain), (sp.Mul(w, x, evaluate=False), plain)]
    for term, s in cases:
        mine, theirs = _product_rule(term, s), sp.diff(term, s)
        assert mine == theirs and type(mine) is type(theirs), (term, s, mine, theirs)


def test_a_rationals_float_is_sympys():
    from solver.key.model import as_float

    rng = random.Random(19)
    values = [sp.Rational(rng.randint(-10**k, 10**k), rng.randint(1, 10**j)) for k in (1, 5, 17, 40, 300)
              for j in (1, 3, 17, 40, 300) for _ in range(300)]
    values += [sp.Rational(1, 3), sp.Rational(-2, 3), sp.Integer(0), sp.Integer(2**60 + 1),
               sp.Rational(2**53 + 1, 2**53), sp.Rational(1, 10**310), sp.Rational(-3, 10**320),
               sp.Rational(1, 2**1022), sp.Rational(1, 2**1023), sp.Float("0.1", 50)]
    values += [sp.Rational(2 * m + 1, 2**54) + 1 for m in range(50)]  # ties to even at 53 bits
    for v in values:
        mine, theirs = as_float(v), float(v)
        assert mine == theirs and (mine != 0 or str(mine) == str(theirs)), v


def test_a_floats_exact_text_is_strs():
    from solver.key.model import _float_text

    rng = random.Random(5)
    values = [sp.Float(rng.uniform(-10, 10) * 10 ** rng.randint(-40, 40), rng.choice((15, 30, 31, 50, 60)))
              for _ in range(3000)]
    values += [sp.Float(0), sp.Float("1e-320", 50), sp.Float("-0.5", 50), sp.Float("123456789.123456789", 50),
               sp.Float(1, 50) / 3, sp.Float("1e299", 50), sp.Rational(1, 3), sp.Integer(2)]
    for v in values:
        assert _float_text(v) == sp.Float(v, 30).__str__(), v


def test_one_product_is_accumulated_as_sympys_sum_of_it():
    from solver.graph.backprop import _accumulated

    rng = random.Random(3)
    numbers = [sp.Float(rng.uniform(-3, 3), rng.choice((15, 50, 60))) for _ in range(200)]
    numbers += [sp.Rational(rng.randint(-99, 99), rng.choice((1, 10, 100, 7))) for _ in range(100)]
    numbers += [sp.Integer(0), sp.Float(0), sp.Float("1e-300", 50), sp.Float("-0.0", 50)]
    for _ in range(3000):
        a, b = rng.choice(numbers), rng.choice(numbers)
        mine, theirs = _accumulated([(a, b)]), sp.Integer(0) + a * b
        assert mine == theirs and type(mine) is type(theirs), (a, b)
        if isinstance(mine, sp.Float):
            assert mine._mpf_ == theirs._mpf_ and mine._prec == theirs._prec, (a, b)


def test_unevaluated_products_and_sums_are_sympys():
    from solver.graph.network import _unevaluated

    w, x, b = sym("w1"), sym("x1"), sym("b1")
    m = _unevaluated(sp.Mul, (w, x))
    assert m == sp.Mul(w, x, evaluate=False) and m.args == (w, x)
    s = _unevaluated(sp.Add, (m, b))
    assert s == sp.Add(m, b, evaluate=False) and s.args == (m, b) and hash(s) == hash(sp.Add(m, b, evaluate=False))
    A = sp.MatrixSymbol("A", 2, 2)  # a type with constructor postprocessors: they still run
    assert type(_unevaluated(sp.Mul, (A, A))) is type(sp.Mul(A, A, evaluate=False))


def test_a_neurons_parents_are_its_free_symbols():
    from solver.graph.model import _symbol_names

    w, x, b, y = sym("w1"), sym("x1"), sym("b1"), sym("y")
    cases = [sp.Add(sp.Mul(w, x, evaluate=False), b, evaluate=False), sp.Add(w, x, evaluate=False),
             sp.Add(sp.Mul(w, x, evaluate=False), sp.Mul(w, y, evaluate=False), evaluate=False),
             sp.Add(sp.Mul(2, x, evaluate=False), b, evaluate=False), sp.Mul(w, x, evaluate=False),
             sp.Add(sp.Pow(x, 2, evaluate=False), b, evaluate=False), sp.exp(w) + x]
    for expr in cases:
        assert _symbol_names(expr) == {s.name for s in expr.free_symbols}, expr
