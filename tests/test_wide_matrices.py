"""A matrix too wide for the page goes on in blocks of its columns (solver.render.wide):
exact strings for the blocks, generated matrices whose blocks give back every column in
order, and generated wide networks whose keys (article and exam class, neuron and matrix
style) build with no overfull box."""

from __future__ import annotations

import random
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tex_build import needs_tex, overfull

from solver.core.options import Options
from solver.key.model import Equation
from solver.key.solve import solve
from solver.ops.latex import bmatrix
from solver.problem.validation import validate
from solver.render import render
from solver.render.prose import final_rows
from solver.render.text import aligned, break_long
from solver.render.wide import column_blocks, fraction_of_sum, too_wide

ROW = [["-0.0007347", "0.0003674", "0.003306", "0.001837", "0.002204", "-0.002572"]]


def _head(first: int, last: int) -> str:
    return rf"\overset{{\text{{columns {first}–{last}}}}}"


@pytest.mark.parametrize("tex, width, rows", [
    # fits: unchanged
    (r"\approx " + bmatrix(ROW), 64, None),
    # six columns of about 12 digits in a row of 40 characters (55 digits): two blocks of three
    (r"\approx " + bmatrix(ROW), 40,
     [r"\approx " + _head(1, 3) + r"{\left[\begin{array}{rrr} -0.0007347 & 0.0003674 & 0.003306 \end{array}\right]}",
      _head(4, 6) + r"{\left[\begin{array}{rrr} 0.001837 & 0.002204 & -0.002572 \end{array}\right]}"]),
    # narrower than any column: a column a block, headed "column j"
    (bmatrix([["-0.25", "0.5"]]), 1,
     [r"\overset{\text{column 1}}{\left[\begin{array}{r} -0.25 \end{array}\right]}",
      r"\overset{\text{column 2}}{\left[\begin{array}{r} 0.5 \end{array}\right]}"]),
    # transposed and too wide: its transpose (decimal points aligned anew), not "[…]^T"
    (bmatrix(ROW) + r"^\top", 40, [bmatrix([[c] for c in ROW[0]])]),
    (r"\approx " + bmatrix([["0.5", "-2"]]) + r"^\top", 40, None),
    # a factor after it, two matrices, a formula in a cell, inside \left( … \right)
    (bmatrix(ROW) + r" x", 40, None),
    (bmatrix(ROW) + " " + bmatrix(ROW), 40, None),
    (bmatrix([["x_{1}"] * 12]), 20, None),
    (r"\sigma\left(" + bmatrix(ROW) + r"\right)", 40, None),
    # a sign or a factor before it would stand before the first block only: -[1–3] [4–6]
    ("-" + bmatrix(ROW), 40, None),
    ("0.1 " + bmatrix(ROW), 40, None),
])
def test_column_blocks(tex, width, rows):
    assert column_blocks(tex, width) == rows


def test_twelve_columns_are_two_blocks_of_six_not_eleven_and_one():
    cells = [[f"0.{k:02d}" for k in range(1, 13)], [f"-0.{k:02d}" for k in range(1, 13)]]
    rows = column_blocks(r"\approx " + bmatrix(cells), 50)
    assert [re.search(r"columns? ([0-9–]+)", r).group(1) for r in rows] == ["1–6", "7–12"]


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 6), st.integers(1, 30), st.integers(4, 80), st.randoms(use_true_random=False))
def test_blocks_hold_every_column_in_order_and_fit(n_rows, n_cols, width, rnd):
    cells = [[f"{rnd.choice(['', '-'])}{rnd.randint(0, 999)}.{rnd.randint(0, 10 ** rnd.randint(1, 6))}"
              for _ in range(n_cols)] for _ in range(n_rows)]
    tex = bmatrix(cells)
    rows = column_blocks(tex, width)
    if rows is None:  # it fits, or one column: nothing to split
        assert not too_wide(tex, width) or n_cols == 1
        return
    pieces = [re.search(r"\\begin\{array\}\{r+\} (.*?) \\end\{array\}", r).group(1) for r in rows]
    got = [[c for p in pieces for c in p.split(r" \\ ")[i].split(" & ")] for i in range(n_rows)]
    assert got == [r.split(" & ") for r in re.search(r"\{r+\} (.*?) \\end", tex).group(1).split(r" \\ ")]
    heads = [tuple(map(int, re.search(r"columns? (\d+)(?:–(\d+))?", r).groups(default="0"))) for r in rows]
    assert heads[0][0] == 1 and max(heads[-1]) == n_cols
    shown = [re.sub(r"^\\overset\{\\text\{[^}]*\}\}\{(.*)\}$", r"\1", r) for r in rows]  # the heading sits above
    assert all(not too_wide(r, width) or r"\begin{array}{r} " in r for r in shown)  # fits, or one column


def test_an_equation_breaks_pages_only_before_a_block_in_latex():
    eq = Equation(lhs=r"\frac{\partial L}{\partial W^{(1)}}",
                  parts=((r"\approx", bmatrix([[f"-0.00{k}1234" for k in range(1, 10)]] * 3)),))
    latex, markdown = aligned([eq], 64, breaks=True), aligned([eq], 64)
    assert latex.count(r"\displaybreak[0]") == latex.count(r"\overset") - 1 >= 1
    assert r"\displaybreak" not in markdown and markdown.count(r"\overset") == latex.count(r"\overset")


def test_final_answers_go_on_in_blocks():
    body = final_rows([r"\frac{\partial L}{\partial W} \approx " + bmatrix([[f"-0.00{k}1234" for k in range(1, 10)]])])
    first, *more = body.split(" \\\\\n")
    assert first.startswith(r"\frac{\partial L}{\partial W} & \approx \overset{\text{columns 1–")
    assert more and all(r.startswith(r"&\qquad {} \overset{\text{column") for r in more)


def _network(n_in: int, hidden: int, seed: int) -> dict:
    rnd = random.Random(seed)

    def weights(rows, cols):
        return [[round(rnd.uniform(-0.5, 0.5), 2) for _ in range(cols)] for _ in range(rows)]
    return {"title": f"A {n_in}-{hidden}-2 network", "precision": 4,
            "network": {"inputs": {f"x{i + 1}": round(rnd.uniform(-1, 1), 1) for i in range(n_in)},
                        "layers": [{"units": hidden, "activation": "relu", "weights": weights(hidden, n_in), "bias": 0.1},
                                   {"units": 2, "activation": "sigmoid", "weights": weights(2, hidden), "bias": 0.2}]},
            "questions": [{"id": "q1", "points": 4, "title": "All of it", "text": "Forward, loss, every gradient.",
                           "ask": ["forward", "loss", "gradients"], "loss": "mse", "target": [0, 1],
                           "gradients": "all"}]}


@needs_tex
@pytest.mark.parametrize("n_in, hidden, style, exam", [
    (12, 12, "matrix", False), (12, 12, "neuron", True), (16, 6, "matrix", True), (10, 4, "neuron", False)])
def test_wide_networks_build_without_an_overfull_box(n_in, hidden, style, exam, tmp_path):
    problem = validate(_network(n_in, hidden, n_in * hidden), "wide.yaml")
    options = Options(style=style, documentclass="exam" if exam else "article")
    tex = render(solve(problem, "wide", options), "tex", options)
    assert r"\overset{\text{columns 1–" in tex
    assert overfull(tex, tmp_path) == []


@pytest.mark.parametrize("tex, rows", [
    # a fraction of a long sum: its numerator cannot break, a factor's parentheses can
    (r"\frac{(-0.138044)(0.96) + (-0.171783)(0.94) + (-0.0390521)(0.65) + (0.0547529)(-0.48)}{\sqrt{6}}",
     [r"\frac{1}{\sqrt{6}} \Bigl((-0.138044)(0.96) + (-0.171783)(0.94)",
      r"+ (-0.0390521)(0.65) + (0.0547529)(-0.48)\Bigr)"]),
    # one term over the line: nothing to break; a fraction with more after it: not this rule
    (r"\frac{" + "x" * 60 + "}{2}", [r"\frac{" + "x" * 60 + "}{2}"]),
    (r"\frac{a + b}{2} + " + " + ".join(["c"] * 30), None),
])
def test_a_fraction_of_a_long_sum_goes_on_as_its_factor(tex, rows):
    assert fraction_of_sum(r"\frac{a + b}{\sqrt{6}}") == (r"\frac{1}{\sqrt{6}} ", "a + b", "")
    got = break_long(tex, 50)
    assert got == rows if rows is not None else got[0].startswith(r"\frac{a + b}{2}")


def test_the_other_rows_note_stands_in_the_values_column():
    # as a left-hand side it widened the column of left-hand sides, and every row of the
    # block began further right: a 6-column gradient ran 123 pt past the margin
    import sympy as sp

    from solver.key.tensor_softmax import LANES, jvp_rows
    shape = (LANES + 1, 2)
    eqs, _ = jvp_rows((r"\delta^{S}", "A", r"\delta^{A}"), shape, 1, lambda i: sp.Rational(1, 2),
                      lambda i: sp.Rational(1, 4), lambda base, i: f"{base}_{{{i[0] + 1}{i[1] + 1}}}", 4)
    assert aligned(eqs[-1:], 64) == r"& \text{(the other rows likewise)}"


def test_a_matrix_is_fitted_beside_the_widest_left_hand_side_of_its_block():
    # every row's right side begins after the block's widest left-hand side: a layer norm's
    # 12-column gradient fitted beside its own ∂L/∂X ran 12 pt past the margin beside a sum
    cells = [[f"-0.{k}234567" for k in range(1, 7)]] * 2
    grad = Equation(r"\frac{\partial L}{\partial X}", ((r"\approx", bmatrix(cells)),))
    wide_lhs = Equation(r"\sum_{\text{row 1}} \delta^{\hat{X}} \odot \hat{X}", (("=", "1"),))
    assert r"\overset" not in aligned([grad], 64)
    assert aligned([wide_lhs, grad], 64).count(r"\overset") == 2


def test_a_given_matrix_too_wide_goes_on_in_blocks_in_an_aligned_display():
    from solver.render.prose import given_display
    narrow = Equation("T", (("=", bmatrix([["0.5", "-1"]])),))
    wide = Equation("T", (("=", bmatrix([[f"-0.{k}2345" for k in range(1, 13)]] * 3)),))
    assert given_display(narrow) == narrow.inline
    shown = given_display(wide)
    assert shown.startswith(r"\begin{aligned}T & = \overset{\text{columns 1–") and shown.endswith(r"\end{aligned}")


def test_a_page_breaks_between_the_rows_of_an_equation_taller_than_a_page():
    terms = " + ".join(f"Y_{{{i}}} T_{{{i}}}" for i in range(1, 201))
    eq = Equation("L", (("=", terms),))
    latex, short = aligned([eq], 64, breaks=True), aligned([Equation("L", (("=", "Y_{1} T_{1} + Y_{2} T_{2}"),))], 64, True)
    rows = latex.split("\\\\\n")
    assert len(rows) > 24 and all(r.endswith(r"\displaybreak[0]") for r in rows[:-1])
    assert r"\displaybreak" not in short and r"\displaybreak" not in aligned([eq], 64)


@pytest.mark.parametrize("title, label", [
    ("Warm-up: forward pass", "Warm-up"),
    (r"Loss $L: x \to y$", "Question 3"),  # its colon is the math's: once "Loss $L", an open $
    ("Question 2: gradients", "Question 2"),
    ("Plain", "Question 3"),
])
def test_a_later_question_names_this_one_by_its_title_up_to_a_colon_outside_math(title, label):
    from solver.key.recap import question_label
    assert question_label(title, 2) == label


ROW8 = [["-0.7294", "-0.5244", "-0.2336", "-0.4776", "-1.213", "-0.6372", "1.384", "-0.3413"]]
A8 = [["0.1289", "0.1528", "0.07884", "0.1442", "0.1428", "0.1082", "0.09306", "0.1512"]]


def test_a_matrix_inside_parentheses_goes_on_in_rows_inside_them():
    # δ^S_r = A_r ⊙ (δ^A_r − s_r) over 8 tokens: the parentheses' matrix and number ran past the
    # margin (10 pt in article, 53 pt in exam); \left( … \right) cannot span rows, \Bigl( … \Bigr) can
    eq = Equation(r"\delta^{S}_{3,:}", (("=", r"A_{3,:} \odot \left(\delta^{A}_{3,:} - s_{3}\right)"),
                                        (r"\approx", bmatrix(A8) + r" \odot \left(" + bmatrix(ROW8) + r" + 0.4264\right)")))
    rows = aligned([eq], 64).split(" \\\\\n")
    assert rows[2] == r"&\qquad {} \odot \Bigl(" + bmatrix(ROW8)
    assert rows[3] == r"&\qquad {} + 0.4264\Bigr)"
    narrow = aligned([eq], 40).split(" \\\\\n")  # narrower still: the matrix in blocks, inside them
    opened = next(k for k, r in enumerate(narrow) if r"\odot \Bigl(" in r)
    assert narrow[opened].startswith(r"&\qquad {} \odot \Bigl(\overset{\text{columns 1–")
    assert narrow[opened + 1].startswith(r"&\qquad {} \overset{\text{columns ")
    assert narrow[-1] == r"&\qquad {} + 0.4264\Bigr)"


def _attention(tokens: int, seed: int) -> dict:
    rnd = random.Random(seed)

    def m(cols):
        return [[round(rnd.uniform(-1, 1), 2) for _ in range(cols)] for _ in range(tokens)]
    return {"title": f"Attention over {tokens} tokens",
            "graph": {"inputs": {"Q": m(6), "K": m(6), "V": m(4), "T": m(4)},
                      "nodes": {"O": "attention(Q, K, V)", "L": "sum(O * T)"}, "output": "L"},
            "questions": [{"id": "q1", "ask": ["forward", "gradients"], "gradients": ["Q", "K", "V"]}]}


@needs_tex
@pytest.mark.parametrize("exam", [False, True])
def test_attention_over_eight_tokens_builds_without_an_overfull_box(exam, tmp_path):
    options = Options(documentclass="exam" if exam else "article")
    tex = render(solve(validate(_attention(8, 8), "attention.yaml"), "attention", options), "tex", options)
    assert r"\odot \Bigl(" in tex
    assert overfull(tex, tmp_path) == []


def _gru(units: int, steps: int, seed: int) -> dict:
    rnd = random.Random(seed)

    def m(rows, cols):
        return [[round(rnd.uniform(-0.5, 0.5), 2) for _ in range(cols)] for _ in range(rows)]

    def v(n):
        return [round(rnd.uniform(-0.3, 0.3), 2) for _ in range(n)]
    gates = {g: {"weights": m(units, 4), "recurrent_weights": m(units, units), "bias": v(units)} for g in "rzn"}
    gates["r"]["recurrent_bias"], gates["n"]["recurrent_bias"] = v(units), v(units)
    return {"title": "A wider GRU", "network": {"inputs": {"x": m(steps, 4)}, "layers": [
        {"type": "gru", "units": units, "gates": gates, "initial_state": v(units), "return": "sequence"},
        {"units": 2, "activation": "linear", "weights": m(2, units), "bias": 0.1}]},
        "loss": "mse", "target": m(steps, 2), "questions": [{"id": "q1", "ask": ["forward", "loss", "gradients"]}]}


@needs_tex
@pytest.mark.parametrize("exam", [False, True])
def test_a_wider_gru_builds_without_an_overfull_box(exam, tmp_path):
    # its candidate's a^n = W x + b + r ⊙ (W h + b) over 5 units: the term r (…) alone ran 79 pt
    # (article) and 121 pt (exam) past the margin, its sum unbroken
    options = Options(documentclass="exam" if exam else "article")
    tex = render(solve(validate(_gru(5, 4, 5), "gru.yaml"), "gru", options), "tex", options)
    assert r"+ r_{2,1} \Bigl(W_{hn,11} h_{1,1}" in tex
    assert overfull(tex, tmp_path) == []
