"""Exact-string tests of the LaTeX printers and of display rounding."""

import pytest
import sympy as sp

from solver.ops.activations.leaky_relu import LeakyReLU, LeakyReLUPrime
from solver.ops.activations.relu import ReLU, ReLUPrime
from solver.ops.activations.sigmoid import Sigmoid
from solver.ops.activations.softmax import Softmax
from solver.graph.model import sym
from solver.core.names import latex_name
from solver.core.numbers import display, normalize, parse_number
from solver.ops.latex import NNLatexPrinter, SubstitutingPrinter

w1, x1, w2, x2, b1, o1, o2, y1, h1, z = (sym(k) for k in "w1 x1 w2 x2 b1 o1 o2 y1 h1 z".split())
NAMES = {k: latex_name(k) for k in "w1 x1 w2 x2 b1 o1 o2 y1 h1 z".split()}
VALUES = {k: display(parse_number(v), 4) for k, v in
          dict(w1="0.2", x1="1", w2="-0.1", x2="2", b1="0.1", o1="0.41", o2="0.64", y1="0",
               h1="0.5", z="-0.5").items()}
NEURON = sp.Add(sp.Mul(w1, x1, evaluate=False), sp.Mul(w2, x2, evaluate=False), b1, evaluate=False)


@pytest.mark.parametrize("expr, symbolic, substituted", [
    (NEURON, "w_{1} x_{1} + w_{2} x_{2} + b_{1}", "(0.2)(1) + (-0.1)(2) + 0.1"),
    (ReLU(z), r"\operatorname{ReLU}(z)", r"\operatorname{ReLU}(-0.5)"),
    (ReLUPrime(o1), r"\operatorname{ReLU}'(o_{1})", r"\operatorname{ReLU}'(0.41)"),
    (LeakyReLU(z, sp.Rational(1, 100)), r"\operatorname{LeakyReLU}(z)",
     r"\operatorname{LeakyReLU}(-0.5)"),
    (LeakyReLUPrime(z, sp.Rational(1, 100)), r"\operatorname{LeakyReLU}'(z)",
     r"\operatorname{LeakyReLU}'(-0.5)"),
    (Sigmoid(z), r"\sigma(z)", r"\sigma(-0.5)"),
    # tanh as the activations print: once \tanh{\left((-0.5) \right)}, brackets twice
    (sp.tanh(z), r"\tanh(z)", r"\tanh(-0.5)"),
    (1 - sp.tanh(h1) ** 2, r"1 - \tanh(h_{1})^{2}", r"1 - \tanh(0.5)^{2}"),
    (h1 * (1 - h1), r"h_{1} \left(1 - h_{1}\right)", r"(0.5)\left(1 - 0.5\right)"),
    (Softmax(sp.Integer(0), o1, o2), r"\frac{e^{o_{1}}}{e^{o_{1}} + e^{o_{2}}}",
     r"\frac{e^{0.41}}{e^{0.41} + e^{0.64}}"),
    (sp.factor_terms(sp.diff((o1 - y1) ** 2, o1)), r"2 \left(o_{1} - y_{1}\right)", r"2\left(0.41 - 0\right)"),
    (-o1 * o2, r"- o_{1} o_{2}", "-(0.41)(0.64)"),
    (sp.Mul(sp.Rational(1, 2), sp.Pow(sp.Add(o1, -y1, evaluate=False), 2, evaluate=False), evaluate=False),
     r"\frac{1}{2} \left(o_{1} - y_{1}\right)^{2}", r"\frac{1}{2} \left(0.41 - 0\right)^{2}"),
    (sp.diff(sp.Abs(o1 - y1), o1), r"\operatorname{sgn}(o_{1} - y_{1})",
     r"\operatorname{sgn}(0.41 - 0)"),
    # sympy keeps a sum's number first; a negative one is written last, as one would
    (sp.sign(o1 - 2), r"\operatorname{sgn}(o_{1} - 2)", r"\operatorname{sgn}(0.41 - 2)"),
    (sp.exp(o1) - 1, r"e^{o_{1}} - 1", r"e^{0.41} - 1"),
    (1 - o1, r"1 - o_{1}", r"1 - 0.41"),
])
def test_printers(expr, symbolic, substituted):
    assert NNLatexPrinter(NAMES).doprint(expr) == symbolic
    assert SubstitutingPrinter(NAMES, VALUES).doprint(expr) == substituted


def test_substitution_reports_rounding():
    values = {"x1": display(sp.Rational(1, 3), 4)}
    p = SubstitutingPrinter({"x1": "x_{1}"}, values)
    assert p.doprint(2 * x1) == "2(0.3333)"
    assert p.exact is False


@pytest.mark.parametrize("key, latex", [
    ("w3", "w_{3}"), ("z_h1", "z_{h_{1}}"), ("W2[1,3]", "W^{(2)}_{13}"), ("W2[1,12]", "W^{(2)}_{1,12}"),
    ("b1[2]", "b^{(1)}_{2}"), ("xwb0", r"\mathit{xwb}_{0}"), ("alpha", r"\alpha"), ("yhat[1]", r"\hat{y}_{1}"),
    ("L", "L"),
])
def test_latex_names(key, latex):
    assert latex_name(key) == latex


@pytest.mark.parametrize("value, digits, text, exact", [
    ("0.5", 4, "0.5", True),
    ("0.2977", 4, "0.2977", True),
    ("-0.0442752", 4, "-0.04428", False),
    ("1/3", 4, "0.3333", False),
    ("0.000588704", 4, "0.0005887", False),
    ("9.99996", 4, "10.00", False),  # rounded: four significant figures, zeros kept
    ("-0.2215", 3, "-0.222", False),  # half away from zero
    ("0", 4, "0", True),
    ("1e-9", 4, "1e-09", True),
])
def test_display(value, digits, text, exact):
    shown = display(parse_number(value), digits)
    assert (shown.text, shown.exact) == (text, exact)


def test_display_of_transcendental_is_rounding_of_exact_value():
    v = normalize(sp.exp(sp.Rational(41, 100)))  # 1.50681779...
    assert display(v, 4).text == "1.507" and display(v, 4).exact is False
    assert display(v, 8).text == "1.5068178"


@pytest.mark.parametrize("text, value", [
    ("0.1", sp.Rational(1, 10)), ("-3", sp.Integer(-3)), ("1/3", sp.Rational(1, 3)), ("2.5e-3", sp.Rational(1, 400)),
])
def test_parse_number_is_exact(text, value):
    assert parse_number(text) == value


@pytest.mark.parametrize("text", ["nan", "inf", "abc", "1/0", "1e400", ""])
def test_parse_number_rejects(text):
    with pytest.raises(ValueError):
        parse_number(text)
