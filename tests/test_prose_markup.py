"""A problem's LaTeX prose outside math: its specials refused when the file is read where
LaTeX would stop or drop text, and its prose commands, quotes and dashes shown in the
Markdown and HTML keys as the PDF prints them (exact strings)."""

from __future__ import annotations

import re

import pytest

from solver.problem.text import loose_special
from solver.render.html_math import inline, paragraphs
from solver.render.prose_markup import md_prose

MD = [
    (r"Every neuron uses \emph{ReLU}.", "Every neuron uses *ReLU*."),
    (r"\textbf{Note} \textit{well}", "**Note** *well*"),
    (r"\textbf{all \emph{of} it}", "**all *of* it**"),
    (r"the field \texttt{attn\_mask}", "the field `attn_mask`"),
    (r"\textrm{plain} and \textsf{sans}", "plain and sans"),
    ("``quoted'' -- a range --- a dash, a~tie", "\u201cquoted\u201d \u2013 a range \u2014 a dash, a\u00a0tie"),
    # math is left as it is, delimiters and all
    (r"$x_1 -- y$ and $$\emph{a}--b$$ then --", r"$x_1 -- y$ and $$\emph{a}--b$$ then " + "\u2013"),
    (r"costs \$5 -- or \$6", "costs \\$5 \u2013 or \\$6"),
    ("", ""),
]


@pytest.mark.parametrize("tex, md", MD)
def test_markdown_prose(tex, md):
    assert md_prose(tex) == md


HTML = [
    (r"Every neuron uses \emph{ReLU}.", "Every neuron uses <em>ReLU</em>."),
    (r"\textbf{all \emph{of} it}", "<strong>all <em>of</em> it</strong>"),
    (r"the field \texttt{attn\_mask}", "the field <code>attn_mask</code>"),
    ("``a < b'' -- c", "\u201ca &lt; b\u201d \u2013 c"),
    (r"\emph{<script>}", "<em>&lt;script&gt;</em>"),
]


@pytest.mark.parametrize("tex, html", HTML)
def test_html_prose(tex, html):
    assert inline(tex) == html


def test_html_display_math_in_a_statement():
    """``$$…$$`` is one displayed formula (it was read as ``$`` twice, a ``$`` left in the text)."""
    out = paragraphs(r"Then $$a + b$$ and $c$.")
    assert out.count("<math ") == 2 and 'display="block"' in out and 'display="inline"' in out
    assert "$" not in out.replace('alttext="a + b"', "")


LOOSE = [
    ("costs 50% of it", "the character % in 'costs 50% of it' starts a LaTeX comment, which hides the rest of the "
                        "line in the PDF: write \\% for a percent sign"),
    ("A & B", "the character & in 'A & B' stops the PDF (it separates the columns of an array): write \\& for an ampersand"),
    ("item #3", "the character # in 'item #3' stops the PDF (it is a macro's parameter): write \\# for a number sign"),
    ("where x_1 is 1", "the character _ in 'where x_1 is 1' outside $…$ stops the PDF: put the formula between $…$ "
                       "($x_1$), or write \\_ for an underscore"),
    ("the value x^2", "the character ^ in 'the value x^2' outside $…$ stops the PDF: put the formula between $…$ ($x^2$)"),
]


@pytest.mark.parametrize("text, why", LOOSE)
def test_a_loose_special_is_refused(text, why):
    assert loose_special(text) == why


@pytest.mark.parametrize("text", [
    r"50\% and A \& B, \#3, a\_b, \$5", "$x_1^2 \\% 3$ and $$a & b$$", r"\(x_1\) and \[y^2\]",
    r"$\begin{pmatrix} 1 & 2 \end{pmatrix}$", r"\given{network.inputs.x_1} is drawn", "plain words",
    r"\texttt{attn\_mask}",
])
def test_specials_escaped_or_in_math_are_allowed(text):
    assert loose_special(text) is None


def test_an_escaped_backslash_does_not_escape_the_special():
    """``\\\\%`` is a row break, then a comment."""
    assert loose_special(r"a \\% b").startswith("the character % in ")


def test_punctuation_after_a_formula_stays_on_its_line():
    """A browser may break a line between a formula and the ``;`` after it (``(h₂ → o₂)`` at a
    line's end, ``; bias`` at the next one's start): the two are one unbreakable span."""
    out = inline("weight $w_8 = 0.3$ ($h_2 \\to o_2$); bias $b$. Then $$c$$.")
    assert out.count('<span class="nobr">') == 2
    assert re.search(r'<span class="nobr"><math [^>]*alttext="h_2 \\to o_2".*?</math>\);</span> bias', out)
    assert re.search(r'<span class="nobr"><math [^>]*alttext="b".*?</math>\.</span> Then', out)
    assert 'display="block"' in out and out.endswith("</math>.")  # a displayed formula is not glued
