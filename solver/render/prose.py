"""The lines of the key around its equations: a run-in heading's punctuation (:func:`run_in`),
how LaTeX is to set a sentence of long formulas (:func:`tex_prose`), a definition line
too long for a row (:func:`display_rows`), the final answers aligned at their relations
(:func:`final_rows`) and a Given equation (:func:`given_display`). The sentences themselves
are the key's (:mod:`solver.key`); equations' rows are :mod:`.text`'s."""

from __future__ import annotations

import re

from ..key.model import Equation
from .measure import formula_width
from .tall import row_blocks
from .text import _WIDTH, _top_terms
from .wide import column_blocks

_MATH = re.compile(r"\$([^$]*)\$")
#: Where TeX may break a line inside an inline formula: after a relation or a binary sign at
#: its top level.
_BREAKS = (" = ", " \\approx ", " + ", " - ", " \\to ")


def run_in(title: str, text: str = "") -> str:
    """A run-in heading's title ending in punctuation when the text after it is a new
    sentence, one that begins with a capital or a formula (``"Neuron $h_1$"``, ``"Inputs…"``
    → ``"Neuron $h_1$."``); unchanged when the text goes on the title's sentence
    (``"Loss"``, ``"with targets…"``) or the title already ends in punctuation."""
    stripped = title.rstrip()
    first = text.lstrip()[:1]
    starts_sentence = first.isupper() or first == "$"  # a capital, or a formula: "Layer 2. $W \\in …$"
    return stripped + "." if starts_sentence and stripped[-1:] not in ".:;?!" else stripped


def unbroken(text: str) -> int:
    """The widest piece (:func:`.formula_width`) of ``text``'s inline formulas that TeX cannot
    break: between two places where it may (:data:`_BREAKS`); 0 without a formula."""
    return max((formula_width(p) for m in _MATH.finditer(text) for p in _top_terms(m.group(1), _BREAKS)),
               default=0)


def tex_prose(text: str, width: int = _WIDTH) -> str:
    """``text`` as LaTeX sets it in a paragraph of its own (an item of the Given list). TeX
    justifies a line by stretching its spaces, and a formula it cannot break wider than
    three eighths of a line (``a = \\mathit{hiddenactivation}\\,\\mathit{secondweight}``, a
    product of long names) may leave a line of too few spaces to stretch: TeX then lets the
    line run into the margin (by 92 pt). Such a paragraph is set ragged right, as a browser
    sets it; any other is left as it is."""
    if unbroken(text) * 8 <= width * 3:
        return text
    return "{\\raggedright " + text + "\\par}"


def display_rows(tex: str, width: int = _WIDTH) -> str:
    """A display (a definition line) too long for one row, as rows one under another:
    cut at its top-level ``,\\quad`` separators into a ``gathered`` block, as many pieces
    on a row as fit ``width``."""
    if formula_width(tex) <= width or "gathered" in tex:
        return tex
    pieces = _top_terms(tex.replace(r",\quad ", " ,\\quad "), (" ,\\quad ",))
    if len(pieces) < 2:
        return tex
    rows: list[str] = []
    for piece in [pieces[0]] + [p.removeprefix(",\\quad ").strip() for p in pieces[1:]]:
        if rows and formula_width(rows[-1]) + formula_width(piece) + 2 <= width:
            rows[-1] += r",\quad " + piece
        else:
            rows.append(piece)
    return r"\begin{gathered} " + r", \\ ".join(rows) + r" \end{gathered}"


def given_display(eq, width: int = _WIDTH) -> str:
    """A Given equation (``T = [matrix]``) as display math: as it is, or, where its matrix is
    too wide for the page, as aligned rows of blocks of its columns (:func:`final_rows`;
    a layer norm's 3 × 12 input ran 13 pt past the margin)."""
    rows = final_rows([eq.inline], width)
    return eq.inline if "\\\\\n" not in rows else "\\begin{aligned}" + rows + "\\end{aligned}"


#: Every place where a relation (between spaces) begins.
_TOP_RELATION = re.compile(r"(?=\s(?:=|\\approx|\\leftarrow)\s)")


def _first_relation(tex: str) -> int | None:
    """Where the first relation of ``tex`` outside every brace begins (``None`` if none)."""
    depth, last = 0, 0
    for m in _TOP_RELATION.finditer(tex):
        depth += tex.count("{", last, m.start()) - tex.count("}", last, m.start())
        if depth == 0:
            return m.start()
        last = m.start()
    return None


def final_rows(finals, width: int = _WIDTH, breaks: bool = False) -> str:
    """The final answers as the body of an ``align*``/``aligned`` block, aligned at the first
    relation of each (display size: full fractions, matrices at their own height); a matrix
    too wide for ``width`` in blocks of its columns (:func:`.column_blocks`), one a row; with
    ``breaks`` (a page), one taller than a page in blocks of its rows (:func:`.row_blocks`)."""
    rows = []
    for f in finals:
        cut = _first_relation(f)
        if cut is None:
            rows.append(f)
            continue
        for lhs, rhs in _row_blocks(f[:cut], f[cut:], width) if breaks else [(f[:cut], f[cut:])]:
            first, *more = column_blocks(rhs, width - min(formula_width(lhs), width // 2)) or [rhs]
            rows.append(lhs + " &" + first)
            rows += [f"&\\qquad {{}} {block}" for block in more]
    return " \\\\\n".join(rows)


def _row_blocks(lhs: str, rhs: str, width: int) -> list[tuple[str, str]]:
    """A final answer (its left side, and its relation and right side) as :func:`.row_blocks`
    writes it, each equation a pair; itself where it is not too tall."""
    rel, _, tex = rhs.strip().partition(" ")
    eq = Equation(lhs.strip(), ((rel, tex),))
    out = row_blocks(eq, width)
    if out == (eq,):
        return [(lhs, rhs)]
    return [(e.lhs + " ", "".join(f" {r} {t}" for r, t in e.parts)) for e in out]
