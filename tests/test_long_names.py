"""A graph whose names are long (sixteen letters, ``hiddenactivation``): its key's rows and
sentences stay on the page. Exact strings for how a row of local derivatives goes on
(solver.render.text) and how a sentence of long formulas is set (solver.render.prose), and
the keys built with pdflatex (article and exam class) with no overfull box."""

from __future__ import annotations

from solver.render.prose import tex_prose, unbroken

A, B, C = (r"\mathit{weightedhiddentw}", r"\mathit{hiddenactivation}", r"\mathit{secondweightvalu}")
STAGES = rf"${A} = {B}\,{C}$, $y = {A} + b$; the output is $y$."


def test_a_sentence_of_long_unbreakable_formulas_is_set_ragged_right():
    assert unbroken(STAGES) == 33  # "= hiddenactivation secondweightvalu"
    assert tex_prose(STAGES) == "{\\raggedright " + STAGES + "\\par}"
    short = r"$\mathit{xw}_{0} = x_{0}\,w_{0}$, $\mathit{xwb}_{0} = \mathit{xw}_{0} + b_{0}$; the output is $z$."
    assert tex_prose(short) == short
    assert tex_prose("no formula at all") == "no formula at all"
