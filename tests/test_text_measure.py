"""How wide a formula prints (solver.render.measure.formula_width) and how long rows break
(solver.render.text), as tables of exact values: formulas whose rewritings reach across
spaces (``\\text{a b}``, ``\\frac{a b}{c}``, matrices), where measuring word by word must
give what measuring the whole gives. The expected values were taken from the measuring
before it went word by word (one pass of each rewriting over the whole formula)."""

from __future__ import annotations

import pytest

from solver.key.model import Equation
from solver.render.measure import formula_extent, formula_width
from solver.render.text import _top_terms, aligned, break_long, math_rows

WIDTHS = [
    (r"\frac{\partial L}{\partial z_{h_{1}}} \frac{\partial z_{h_{1}}}{\partial w_{12}}", 18),
    (r"\text{a b} + \mathrm{c d}", 7),
    (r"\text{a + b} c", 5),
    (r"\frac{a b}{c d e} + x", 7),
    (r"\dfrac{1}{2} \tfrac{1 2}{3}", 4),
    (r"\left[\begin{array}{rr} 1 & 2 \\ 3 & 4 \end{array}\right] \odot x", 9),
    (r"\begin{array}{r} 1 \end{array} \begin{array}{r} 22 \\ 333 \end{array}", 6),
    (r"a \qquad b \quad c \, d \; e \! f {} g", 19),
    (r"\leftarrow x \left( y \right) \rightarrow", 8),
    (r"\{ a + b \} + c", 10),
    ("x_{1}^{2}  y", 5),
    ("a\tb\nc", 3),
    (r"\frac{\frac{a}{bb}}{c}", 2),
    (r"\text{ab", 3),
    ("}{ x", 1),
]


@pytest.mark.parametrize("tex, width", WIDTHS)
def test_formula_width(tex, width):
    assert formula_width(tex) == width


@pytest.mark.parametrize("tex, width", WIDTHS)
@pytest.mark.parametrize("cap", [0, 3, 8, 64])
def test_formula_extent_is_the_width_up_to_its_cap(tex, width, cap):
    chars, spaces, _ = formula_extent(tex, cap)
    assert chars + spaces // 2 == width if width <= cap else chars + spaces // 2 > cap


def test_a_long_sum_is_measured_only_as_far_as_it_matters():
    total = " + ".join(f"w_{{{i}}} x_{{{i}}}" for i in range(1, 2000))
    assert formula_extent(total, 64) == (65, 0, False)
    assert formula_width(total) == 22771


@pytest.mark.parametrize("tex, width, rows", [
    ("w_{1} x_{1} + w_{2} x_{2} + w_{3} x_{3} + w_{4} x_{4} + b", 20,
     ["w_{1} x_{1} + w_{2} x_{2} + w_{3} x_{3}", "+ w_{4} x_{4} + b"]),
    (r"\text{a + b + c} + \text{d + e} + f", 6, [r"\text{a + b + c}", r"+ \text{d + e}", "+ f"]),
    (r"\frac{a + b}{c} + \frac{d}{e + f} + g + h", 8, [r"\frac{a + b}{c}", r"+ \frac{d}{e + f} + g", "+ h"]),
    (r"a \leftarrow b + c + d + e", 5, [r"a \leftarrow b", "+ c + d", "+ e"]),
    (r"a \cdot b + c \cdot d + e \odot f + g", 6, [r"a \cdot b", r"+ c \cdot d", r"+ e \odot f", "+ g"]),
    (r"\left(a + b\right) + \left(c + d\right) + \left(e + f\right)", 12,
     [r"\left(a + b\right)", r"+ \left(c + d\right)", r"+ \left(e + f\right)"]),
    (r"\{ a + b \} + c + d", 4, [r"\{ a + b \}", "+ c", "+ d"]),  # \{ counts as a brace
    ("a) + b + c + (d + e", 4, ["a) + b + c + (d", "+ e"]),  # below depth 0: no cut
    (r"x + \left[\begin{array}{rr} 1 & 2 \\ 3 & 4 \end{array}\right] + y + z", 6,
     ["x", r"+ \left[\begin{array}{rr} 1 & 2 \\ 3 & 4 \end{array}\right]", "+ y + z"]),
    ("- 0.35 + 0.1216 - 0.0287 + 0.67 - 0.2244", 12, ["- 0.35", "+ 0.1216", "- 0.0287", "+ 0.67", "- 0.2244"]),
])
def test_break_long_exact(tex, width, rows):
    assert break_long(tex, width) == rows


@pytest.mark.parametrize("tex, at, terms", [
    (r"a + \leftarrow + b", (" + ",), ["a", r"+ \leftarrow", "+ b"]),  # \leftarrow opens nothing
    (r"\left( a + b \right) + c", (" + ",), [r"\left( a + b \right)", "+ c"]),
    (r"\left. a + b \right| + c", (" + ",), [r"\left. a + b \right|", "+ c"]),
    (r"a \odot b + c", (" + ",), [r"a \odot b", "+ c"]),
    (r"a \odot + b", (" + ",), [r"a \odot + b"]),  # never after a product sign
    (r"A \odot B \left[C\right]", (r" \odot ", r" \left["), ["A", r"\odot B", r"\left[C\right]"]),
])
def test_top_terms(tex, at, terms):
    assert _top_terms(tex, at) == terms


def test_rows_of_an_equation():
    eq = Equation(r"\frac{\partial L}{\partial w_{1}}", (("=", r"\frac{\partial L}{\partial z_{1}} x_{1}"),
                                                        ("=", "(0.5)(-0.7)"), ("=", "-0.35")))
    assert aligned([eq], 30) == (r"\frac{\partial L}{\partial w_{1}} &= \frac{\partial L}{\partial z_{1}} x_{1} \\"
                                 "\n" r"&= (0.5)(-0.7) = -0.35")
    assert math_rows(eq, 30) == [(r"\frac{\partial L}{\partial w_{1}}", "=", r"\frac{\partial L}{\partial z_{1}} x_{1}"),
                                 ("", "=", "(0.5)(-0.7) = -0.35")]
    text = Equation("y", (("=", r"\text{a b c d e f g h}"), ("\\approx", "1"), ("+", "2"), ("+", "3")))
    assert aligned([text], 30) == r"y &= \text{a b c d e f g h} \approx 1 + 2 + 3"


def test_a_long_sum_goes_on_in_rows():
    eq = Equation("z", (("=", " + ".join(f"w_{{{i}}} x_{{{i}}}" for i in range(1, 30))), ("=", "0.1")))
    lines = aligned([eq], 30).splitlines()
    assert lines[:3] == [r"z &= w_{1} x_{1} + w_{2} x_{2} + w_{3} x_{3} + w_{4} x_{4} \\",
                         r"&\qquad {} + w_{5} x_{5} + w_{6} x_{6} + w_{7} x_{7} + w_{8} x_{8} \\",
                         r"&\qquad {} + w_{9} x_{9} + w_{10} x_{10} + w_{11} x_{11} \\"]
    assert lines[-2:] == [r"&\qquad {} + w_{27} x_{27} + w_{28} x_{28} + w_{29} x_{29} \\", "&= 0.1"]
    assert len(lines) == 10
