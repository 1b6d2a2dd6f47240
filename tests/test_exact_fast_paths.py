"""The fast paths of the exact arithmetic and printing give what sympy's general
machinery gives: the same objects (type and value), the same LaTeX."""

import random

import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from solver.core.numbers import MAX_EXACT_BITS, display, normalize
from solver.graph.backprop import _accumulated
from solver.graph.exact_sums import exact_product, exact_sum
from solver.graph.model import sym
from solver.ops.latex import NNLatexPrinter, SubstitutingPrinter


def _rationals(rng, n):
    dens = [1, 2, 4, 5, 10, 100, 1000, 3, 7, 10**8]
    return [sp.Rational(rng.randint(-10**6, 10**6), rng.choice(dens)) for _ in range(n)]


def test_exact_sum_and_product_are_sympys():
    rng = random.Random(19)
    for _ in range(400):
        args = _rationals(rng, rng.randint(1, 12))
        for mine, theirs in ((exact_sum(args), sp.Add(*args)), (exact_product(args), sp.Mul(*args))):
            assert mine == theirs and type(mine) is type(theirs)
    for args in ([sp.Integer(0)], [sp.Rational(1, 4), sp.Rational(1, 4)], [sp.Integer(3), sp.Rational(-3)],
                 [sp.Rational(1, 2), sp.Integer(2)], [sp.Integer(-1)]):
        assert exact_sum(args) is sp.Add(*args) or exact_sum(args) == sp.Add(*args)
        assert type(exact_sum(args)) is type(sp.Add(*args))
        assert type(exact_product(args)) is type(sp.Mul(*args))


def test_accumulated_is_the_sum_of_products_in_order():
    rng = random.Random(7)
    pairs = list(zip(_rationals(rng, 20), _rationals(rng, 20)))
    total = sp.Integer(0)
    for a, b in pairs:
        total += a * b
    assert _accumulated(pairs) == total
    floats = [(sp.Float("0.1", 50), sp.Rational(1, 3)), (sp.Rational(2, 7), sp.Float("1.3", 50))]
    assert _accumulated(floats) == floats[0][0] * floats[0][1] + floats[1][0] * floats[1][1]
    assert _accumulated([]) == 0


def test_normalize_rational_limits():
    big = sp.Integer(10) ** 300
    assert normalize(big) == big
    assert normalize(-big) == -big
    for too_big in (big + 1, -big - sp.Rational(1, 10**5)):
        try:
            normalize(too_big)
        except ValueError:
            pass
        else:
            raise AssertionError("accepted a value above 1e300")
    long = sp.Rational(3 ** 1300, 2 ** 2001)  # more than MAX_EXACT_BITS: a float
    assert max(long.p.bit_length(), long.q.bit_length()) > MAX_EXACT_BITS
    assert isinstance(normalize(long), sp.Float)


def test_display_cache_keeps_types_apart():
    assert display(sp.Rational(1, 3), 4).exact is False
    assert display(sp.Float("0.5", 50), 4).latex == "0.5000"
    assert display(sp.Rational(1, 2), 4).latex == "0.5"
    assert display(sp.Rational(1, 2), 4).exact and not display(sp.Float("0.5", 50), 4).exact


def test_products_and_sums_of_symbols_print_as_sympy_does():
    names = {"w1": "w_{1}", "x1": "x_{1}", "b": "b", "n2": "2", "n3": "3", "e": ""}
    printer = NNLatexPrinter(names)
    from sympy.printing.latex import LatexPrinter

    plain = LatexPrinter({"order": "none", "ln_notation": True})
    plain._print_Symbol = printer._print_Symbol
    cases = [("w1", "x1"), ("n2", "n3"), ("x1", "n2"), ("e", "w1"), ("w1", "x1", "b")]
    for keys in cases:
        m = sp.Mul(*[sym(k) for k in keys], evaluate=False)
        assert printer.doprint(m) == LatexPrinter._print_Mul(printer, m)
        s = sp.Add(m, sym("b"), evaluate=False)
        assert printer.doprint(s) == LatexPrinter._print_Add(printer, s)
    shown = {"w1": display(sp.Rational(-3, 10), 4), "x1": display(sp.Rational(2), 4)}
    sub = SubstitutingPrinter(names, shown)
    assert sub.doprint(sp.Add(sp.Mul(sym("w1"), sym("x1"), evaluate=False), sym("b"), evaluate=False)) \
        == "(-0.3)(2) + b"


def test_exact_text_is_str():
    from solver.core.numbers import exact_text

    for v in (sp.Integer(0), sp.Integer(1), sp.Integer(-1), sp.Rational(1, 2), sp.Rational(-7, 3),
              sp.Integer(10) ** 40, sp.Rational(3, 10**12), sp.Float("0.25", 50), 0):
        assert exact_text(v) == str(v)


def test_normalize_float_is_the_evalf_route():
    from solver.core.numbers import DIGITS, MAX_MAGNITUDE

    def generic(value):  # normalize's general route for a value that is not rational
        approx = value.evalf(DIGITS + 10)
        assert approx.is_Number and approx.is_finite is not False and abs(approx) <= MAX_MAGNITUDE
        return sp.Float(approx, DIGITS)

    rng = random.Random(11)
    for _ in range(2000):
        x = sp.Float(f"{rng.choice('-+')}{rng.randint(1, 10**40)}e{rng.randint(-320, 255)}",
                     rng.choice([15, 30, 50, 60, 100]))
        y = sp.Float(rng.random(), 50)
        for v in (x, x * y, x + y, 1 / (1 + sp.exp(-y))):
            mine, theirs = normalize(v), generic(v)
            assert mine._mpf_ == theirs._mpf_ and mine._prec == theirs._prec
    for v in (sp.Float("1e301", 50), sp.Float("-2e300", 50)):
        try:
            normalize(v)
        except ValueError:
            pass
        else:
            raise AssertionError("accepted a value above 1e300")


def test_add_and_mul_of_numbers_in_order_are_sympys():
    import operator

    from solver.graph.exact_sums import in_order

    rng = random.Random(23)

    def number():
        kind = rng.random()
        if kind < 0.4:
            return sp.Float(rng.uniform(-3, 3), rng.choice([50, 15, 60]))
        if kind < 0.5:
            return rng.choice([sp.S.Zero, sp.S.One, sp.S.NegativeOne, sp.S.Half, sp.Float(0, 50)])
        return sp.Rational(rng.randint(-999, 999), rng.choice([1, 10, 100, 7]))

    for _ in range(3000):
        args = [number() for _ in range(rng.randint(1, 6))]
        for op, start, cls in ((operator.add, sp.S.Zero, sp.Add), (operator.mul, sp.S.One, sp.Mul)):
            mine, theirs = in_order(args, op, start), cls(*args)
            assert type(mine) is type(theirs) and mine == theirs, (args, mine, theirs)
            if isinstance(theirs, sp.Float):
                assert mine._mpf_ == theirs._mpf_ and mine._prec == theirs._prec


def test_a_neurons_sum_is_split_as_by_free_symbols():
    from solver.graph.backprop import _powers_evaluated, _split, _terms_by_symbol

    w, x, v, b = (sym(k) for k in ("w1", "x1", "w2", "b1"))
    for expr in (sp.Add(sp.Mul(w, x, evaluate=False), sp.Mul(v, x, evaluate=False), b, evaluate=False),
                 sp.Add(sp.Mul(w, w, evaluate=False), x, evaluate=False),
                 sp.Add(sp.Mul(w, x, evaluate=False), sp.Pow(x, 2, evaluate=False), evaluate=False)):
        assert _split(expr) == _terms_by_symbol(_powers_evaluated(expr))


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=1, max_value=10**60), st.integers(min_value=-700, max_value=700),
       st.sampled_from([30, 50, 60, 100]), st.booleans())
def test_normalize_keeps_a_float_of_its_precision_and_rounds_any_other(mantissa, exponent, dps, negative):
    # at most 10^60 · 2^700 ≈ 5e270: within the 1e300 beyond which normalize refuses a value
    # (tested above), which 2^900 was not
    value = sp.Float(sp.Integer(-mantissa if negative else mantissa) * sp.Integer(2) ** exponent, dps)
    expected = sp.Float(value, 50)
    got = normalize(value)
    assert (got._mpf_, got._prec) == (expected._mpf_, expected._prec)
    if dps == 50:
        assert got is value  # the shortcut: no new Float
