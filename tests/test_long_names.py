"""A graph whose names are long (sixteen letters, ``hiddenactivation``): its key's rows and
sentences stay on the page. Exact strings for how a row of local derivatives goes on
(solver.render.text) and how a sentence of long formulas is set (solver.render.prose), and
the keys built with pdflatex (article and exam class) with no overfull box."""

from __future__ import annotations

import pytest
from tex_build import needs_tex, overfull

from solver.core.options import Options
from solver.key.solve import solve
from solver.problem.validation import validate
from solver.render import render
from solver.render.prose import tex_prose, unbroken
from solver.render.text import break_long

A, B, C = (r"\mathit{weightedhiddentw}", r"\mathit{hiddenactivation}", r"\mathit{secondweightvalu}")
D_B = rf"\frac{{\partial {A}}}{{\partial {B}}} = {C} = -0.2"
D_C = rf"\frac{{\partial {A}}}{{\partial {C}}} = {B} = 0.4"


@pytest.mark.parametrize("tex, rows", [
    # two local derivatives too wide for a row: one a row, the first keeping its comma
    (rf"\qquad {D_B},\quad {D_C}", [rf"\qquad {D_B},", D_C]),
    # short ones stay side by side
    (r"\qquad \frac{\partial s}{\partial a} = 1,\quad \frac{\partial s}{\partial b} = 1", None),
    # three: as many on a row as fit
    (rf"\qquad {D_B},\quad b = 2,\quad {D_C}", [rf"\qquad {D_B},\quad b = 2,", D_C]),
])
def test_a_row_of_local_derivatives_goes_on_between_them(tex, rows):
    assert break_long(tex, 64) == (rows or [tex])


def test_a_derivative_is_not_cut_at_its_own_sign_when_the_row_is_a_list():
    second = r"\frac{\partial e}{\partial g} = - \operatorname{ELU}'(a - g) + \mathit{somethinglonger} \approx -0.1147"
    tex = r"\qquad \frac{\partial e}{\partial a} = \operatorname{ELU}'(a - g) \approx 0.1147,\quad " + second
    assert break_long(tex, 64) == [r"\qquad \frac{\partial e}{\partial a} = \operatorname{ELU}'(a - g) \approx 0.1147,",
                                   second]


STAGES = rf"${A} = {B}\,{C}$, $y = {A} + b$; the output is $y$."


def test_a_sentence_of_long_unbreakable_formulas_is_set_ragged_right():
    assert unbroken(STAGES) == 33  # "= hiddenactivation secondweightvalu"
    assert tex_prose(STAGES) == "{\\raggedright " + STAGES + "\\par}"
    short = r"$\mathit{xw}_{0} = x_{0}\,w_{0}$, $\mathit{xwb}_{0} = \mathit{xw}_{0} + b_{0}$; the output is $z$."
    assert tex_prose(short) == short
    assert tex_prose("no formula at all") == "no formula at all"


LONG = {"title": "A scalar graph with long plain node names", "precision": 4,
        "graph": {"inputs": {"inputfeaturexyz": 1},
                  "parameters": {"firstweightvalue": 0.3, "secondweightvalu": -0.2, "firstbiasvaluexy": 0.1,
                                 "secondbiasvaluex": -0.3},
                  "nodes": {"weightedinputone": "inputfeaturexyz * firstweightvalue",
                            "biasedsumfirstxy": "weightedinputone + firstbiasvaluexy",
                            "hiddenactivation": "relu(biasedsumfirstxy)",
                            "weightedhiddentw": "hiddenactivation * secondweightvalu",
                            "outputpreskipsum": "weightedhiddentw + secondbiasvaluex",
                            "outputwithskipxy": "outputpreskipsum + inputfeaturexyz",
                            "finaloutputvalue": "relu(outputwithskipxy)"},
                  "output": "finaloutputvalue"},
        "questions": [{"id": "q1", "title": "Question 1", "text": "Compute the gradients; give the paths.",
                       "ask": ["forward", "gradients"],
                       "gradients": ["firstweightvalue", "secondweightvalu", "firstbiasvaluexy", "secondbiasvaluex",
                                     "inputfeaturexyz"]}]}

@needs_tex
@pytest.mark.parametrize("documentclass", ["article", "exam"])
def test_long_names_build_without_an_overfull_box(documentclass, tmp_path):
    options = Options(documentclass=documentclass)
    tex = render(solve(validate(LONG, "long.yaml"), "long", options), "tex", options)
    assert overfull(tex, tmp_path) == []
