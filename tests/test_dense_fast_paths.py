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
