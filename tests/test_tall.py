"""Equations taller than a page (:mod:`solver.render.tall`): split into blocks of rows only
where a block's rows are the quantity's rows, a contracted column multiplied in blocks,
and every split equal to the whole when the blocks' numbers are multiplied out."""

from __future__ import annotations

import random
import re
from fractions import Fraction

import pytest

from solver.key.model import Equation
from solver.ops.latex import bmatrix
from solver.render.tall import BLOCK, TALLEST, row_blocks
from solver.render.text import aligned

WIDTH = 64


def _m(rows: int, cols: int, seed: int) -> list[list[Fraction]]:
    rng = random.Random(seed)
    return [[Fraction(rng.randint(-99, 99), 100) for _ in range(cols)] for _ in range(rows)]


def _tex(m) -> str:
    return bmatrix([[str(float(v)) if v.denominator != 1 else str(v.numerator) for v in row] for row in m])


def _mul(a, b):
    return [[sum(a[i][k] * b[k][j] for k in range(len(b))) for j in range(len(b[0]))] for i in range(len(a))]


def _add(a, b):
    return [[x + y for x, y in zip(r, s)] for r, s in zip(a, b)]


_ARRAY = re.compile(r"\\begin\{array\}\{r+\} (.*?) \\end\{array\}", re.S)


def _value(tex: str):
    """Multiply out a block's text: a sum (``+``) of products of juxtaposed matrices."""
    total = None
    for term in re.split(r"\s\+\s(?=\\)", tex):
        mats = [[[Fraction(c.replace("\\phantom{", "").strip("}").split("\\")[0] or "0")
                  for c in row.split(" & ")] for row in body.split(r" \\ ")] for body in _ARRAY.findall(term)]
        prod = mats[0]
        for m in mats[1:]:
            prod = _mul(prod, m)
        total = prod if total is None else _add(total, prod)
    return total


def test_a_short_equation_is_itself():
    eq = Equation("z", (("=", "W x + b"), ("=", _tex(_m(TALLEST, 3, 1)) + " " + _tex(_m(3, 1, 2)))))
    assert row_blocks(eq, WIDTH) == (eq,)


def test_w_x_plus_b_in_blocks_of_rows_equal_the_whole():
    w, x, b = _m(48, 6, 1), _m(6, 1, 2), _m(48, 1, 3)
    whole = _add(_mul(w, x), b)
    eq = Equation("z^{(1)}", (("=", "W^{(1)} x + b^{(1)}"), ("=", f"{_tex(w)} {_tex(x)} + {_tex(b)}"),
                              (r"\approx", _tex(whole))))
    out = row_blocks(eq, WIDTH)
    assert out[0] == Equation("z^{(1)}", (("=", "W^{(1)} x + b^{(1)}"),))
    assert [e.lhs for e in out[1:]] == [rf"z^{{(1)}},\ \text{{rows {a}–{b}}}" for a, b in ((1, 12), (13, 24), (25, 36), (37, 48))]
    rows = []
    for e in out[1:]:
        (_, worked), (_, result) = e.parts
        assert _value(worked) == _value(result)  # each block is true on its own
        assert worked.count(r"\\") // 1 and _value(worked)[0] and len(_value(result)) <= BLOCK
        rows += _value(result)
    assert rows == whole


def test_a_contracted_column_is_multiplied_in_blocks():
    w, a, b = _m(2, 48, 4), _m(48, 1, 5), _m(2, 1, 6)
    whole = _add(_mul(w, a), b)
    eq = Equation("z^{(2)}", (("=", f"{_tex(w)} {_tex(a)} + {_tex(b)}"), (r"\approx", _tex(whole))))
    (out,) = row_blocks(eq, WIDTH)
    worked = out.parts[0][1]
    assert r"\overset{\text{columns 1–" in worked and r"\overset{\text{rows 1–" in worked
    assert worked.count(r"\overset{\text{columns") >= 2
    assert _value(re.sub(r"\\overset\{\\text\{[^}]*\}\}\{(.*?\\right\])\}", r"\1", worked)) == whole


def test_a_tall_column_transposed_is_written_as_a_row():
    d, a = _m(2, 1, 7), _m(48, 1, 8)
    eq = Equation(r"\frac{\partial L}{\partial W}", (("=", f"{_tex(d)} {_tex(a)}^\\top"),))
    (out,) = row_blocks(eq, WIDTH)
    assert out.parts[0][1].endswith(r"\end{array}\right]") and "^\\top" not in out.parts[0][1]
    assert out.parts[0][1].count(" & ") == 47  # one row of 48


@pytest.mark.parametrize("tex", [
    "{a} \\odot {w} {a}",  # a tall column contracted inside an elementwise product
    "0.5 {w} {a}",          # after a coefficient, blocks of the product would need parentheses
])
def test_what_cannot_be_split_is_left_whole(tex):
    w, a = _m(48, 48, 9), _m(48, 1, 10)
    eq = Equation("s", (("=", tex.format(w=_tex(w), a=_tex(a))),))
    assert row_blocks(eq, WIDTH) == (eq,)


def test_a_square_matrix_times_a_tall_column_in_blocks_both_ways():
    """``W a`` with W 48 × 48: the contraction in blocks of columns, then each block of rows."""
    w, a = _m(48, 48, 13), _m(48, 1, 14)
    whole = _mul(w, a)
    eq = Equation("z", (("=", f"{_tex(w)} {_tex(a)}"), (r"\approx", _tex(whole))))
    out = row_blocks(eq, WIDTH)
    assert len(out) == 4
    rows = []
    for e in out:
        (_, worked), (_, result) = e.parts
        plain = re.sub(r"\\overset\{\\text\{[^}]*\}\}\{(.*?\\right\])\}", r"\1", worked)
        assert _value(plain) == _value(result)
        rows += _value(result)
    assert rows == whole


def test_a_page_may_break_between_blocks():
    w, x = _m(30, 2, 11), _m(2, 1, 12)
    eq = Equation("z", (("=", f"{_tex(w)} {_tex(x)}"),))
    body = aligned([eq], WIDTH, breaks=True)
    assert body.count("\\displaybreak[0]") == 2 and body.count(r"\text{rows") == 3
    assert r"\text{rows" not in aligned([eq], WIDTH)  # Markdown's aligned has no pages


def test_a_final_answer_taller_than_a_page_in_blocks_of_rows():
    from solver.render.prose import final_rows

    g = _m(48, 6, 15)
    final = r"\frac{\partial L}{\partial W^{(1)}} \approx " + _tex(g)
    body = final_rows([final, r"L \approx 0.5"], WIDTH, breaks=True)
    assert body.count(r"\text{rows") == 4 and body.endswith(r"L & \approx 0.5")
    rows = []
    for line in body.split(" \\\\\n")[:-1]:
        lhs, rhs = line.split(" &", 1)
        assert lhs.startswith(r"\frac{\partial L}{\partial W^{(1)}},\ \text{rows ")
        rows += _value(rhs)
    assert rows == g
    assert final_rows([final], WIDTH) == final_rows([final], WIDTH, breaks=False)  # Markdown, HTML: whole
    assert r"\text{rows" not in final_rows([final], WIDTH)
