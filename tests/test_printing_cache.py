"""NNLatexPrinter remembers each formula's LaTeX per table of names: a second printer of the same
names gives the text sympy's printer gives, another table of names its own text, and the
substituting printer (whose text depends on the values) is never served from it."""

from __future__ import annotations

import sympy as sp
from sympy.printing.latex import LatexPrinter

from solver.core.numbers import display
from solver.ops.latex import NNLatexPrinter, SubstitutingPrinter

w, x, b = sp.symbols("w x b")
FORMULAS = [w * x + b, sp.exp(w) / (sp.exp(w) + sp.exp(x)), sp.log(w * x), (w - x) ** 2 / 2,
            sp.Add(sp.Mul(w, x, evaluate=False), b, evaluate=False), sp.Mul(x, w, evaluate=False)]


def test_same_text_as_printed_afresh():
    names = {"w": "w_{1}", "x": "x_{1}", "b": "b_{1}"}
    for expr in FORMULAS:
        first = NNLatexPrinter(dict(names)).doprint(expr)
        again = NNLatexPrinter(dict(names)).doprint(expr)  # from the table's memory
        assert first == again == LatexPrinter.doprint(NNLatexPrinter(names), expr)


def test_names_kept_apart():
    expr = FORMULAS[0]
    assert NNLatexPrinter({"w": "w_{1}", "x": "x_{1}", "b": "b_{1}"}).doprint(expr) == "b_{1} + w_{1} x_{1}"
    assert NNLatexPrinter({"w": "W", "x": "X", "b": "B"}).doprint(expr) == "B + W X"


def test_argument_order_kept():
    names = {"w": "w", "x": "x", "b": "b"}
    p = NNLatexPrinter(names)
    assert p.doprint(sp.Mul(w, x, evaluate=False)) != p.doprint(sp.Mul(x, w, evaluate=False))


def test_substituting_printer_prints_values_each_time():
    names = {"w": "w", "x": "x", "b": "b"}
    expr = FORMULAS[0]
    for values in ({"w": 2, "x": 3, "b": 1}, {"w": -2, "x": 5, "b": 7}):
        shown = {k: display(sp.Integer(v), 4) for k, v in values.items()}
        tex = SubstitutingPrinter(names, shown).doprint(expr)
        assert tex == f"{shown['b'].latex} + ({shown['w'].latex})({shown['x'].latex})"
