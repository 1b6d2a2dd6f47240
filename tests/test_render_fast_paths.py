"""The render stage's fast paths give what the plain ways give.

- Formulas are measured with their digits as ``0`` (so that formulas differing only in numbers
  share a cache entry): each measure equals the measure of the formula as written.
- An answer's fields are read at once: those set, in order, as reading them one by one gives.
"""

from __future__ import annotations

import json
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from solver.render import answers as answers_module
from solver.render import measure

FORMULAS = [
    r"\frac{\partial L}{\partial h_{5}} \frac{\partial h_{5}}{\partial z_{h_{5}}} \frac{\partial z_{h_{5}}}{\partial w_{138}}",
    r"(0.5)(-0.7) + (0.76)(0.16) + (0.41)(0.07) + (-0.81)(0.21) + (0.67)(1) + (0.66)(-0.34)",
    r"-0.35 + 0.1216 + 0.0287 - 0.1701 + 0.67 - 0.2244 - 0.0294 + 0.136 - 0.0712",
    r"\operatorname{ReLU}(1.124)",
    r"\left[\begin{array}{cc} 0.25 & -1.5 \\ 12 & 3.75 \end{array}\right] \left[\begin{array}{c} 1 \\ 2 \end{array}\right]",
    r"\frac{\frac{1}{3}}{1 + e^{-0.25}} \cdot 10^{-5}",
    r"\left2 \right9 \bigl8 \Bigr( x_1 \right) 3{,}075",
    r"\text{step 12} \quad w_{3} \leftarrow 0.5 - 0.1 \cdot 2",
    r"\sigma(z_{o_{1}}) = \frac{1}{1 + e^{-z_{o_{1}}}} = 0.6225 &&\text{(12)}",
]


def _variants(tex: str, rng: random.Random, n: int = 20) -> list[str]:
    """``tex`` with its digits replaced at random (other digits, or none changed)."""
    out = [tex]
    for _ in range(n):
        out.append("".join(rng.choice("0123456789") if c.isdigit() else c for c in tex))
    return out


@pytest.mark.parametrize("tex", FORMULAS)
@pytest.mark.parametrize("cap", [8, 20, 64, 90])
def test_formula_extent_is_the_measure_of_the_formula_as_written(tex, cap):
    rng = random.Random(hash((tex, cap)) & 0xFFFF)
    for t in _variants(tex, rng):
        written = measure._extent.__wrapped__(t, cap)  # measured without turning digits into 0
        assert measure.formula_extent(t, cap) == written


@pytest.mark.parametrize("tex", FORMULAS)
def test_formula_width_is_the_width_of_the_formula_as_written(tex):
    rng = random.Random(len(tex))
    for t in _variants(tex, rng):
        chars, spaces, _ = measure._measured.__wrapped__(t)
        assert measure.formula_width(t) == chars + spaces // 2


def test_digits_only_share_a_measure_where_their_lengths_agree():
    # a fraction is measured as its longer part: lengths decide, digits' values never do
    assert measure.formula_width(r"\frac{12}{3}") == measure.formula_width(r"\frac{99}{9}") == 2
    assert measure.formula_width(r"\frac{1}{234}") == 3


def test_digits_beyond_ascii_are_kept_and_other_characters_too():
    tex = "x_{12} ∂ σ_{٣} \ud800 é9"
    assert measure._zeros(tex) == "x_{00} ∂ σ_{٣} \ud800 é0"


def test_an_answers_fields_are_those_set_in_order():
    import msgspec
    from msgspec.structs import fields

    from solver.key.model import Answer

    a = Answer("gradient", "w1", "w_{1}", "1/2", 0.5, "0.5", step=None, upstream=True, shape=None)
    expected = {f.name: getattr(a, f.name) for f in fields(a) if getattr(a, f.name) is not None}
    assert answers_module._fields(a) == expected
    assert list(answers_module._fields(a)) == ["kind", "of", "latex", "exact", "value", "display", "upstream"]

    class One(msgspec.Struct):
        x: object = 3

    assert answers_module._fields(One()) == {"x": 3} and answers_module._fields(One(None)) == {}


_JSON_LEAVES = (st.none() | st.booleans() | st.integers(min_value=-10**40, max_value=10**40)
                | st.floats(allow_nan=False, allow_infinity=False) | st.text())
_JSON = st.recursive(_JSON_LEAVES, lambda inner: st.lists(inner, max_size=4)
                     | st.dictionaries(st.text(max_size=6), inner, max_size=4), max_leaves=25)


@settings(max_examples=400, deadline=None)
@given(_JSON)
def test_the_answers_indent_is_json_dumps_indent(value):
    compact = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    assert answers_module.indented(compact) == json.dumps(value, indent=2, ensure_ascii=False)


@pytest.mark.parametrize("value", [
    {"value": 1e-05, "big": 10**30, "tiny": 5e-324, "neg": -0.0, "empty": [], "none": {}, "nested": [[[]], [{}]]},
    {"display": "σ(z) = \u2028 \"q\" \\ \n \t é ∂", "exact": "1/3"},
    [], {}, 0.1, "x",
])
def test_the_answers_indent_on_the_edges(value):
    compact = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    assert answers_module.indented(compact) == json.dumps(value, indent=2, ensure_ascii=False)
