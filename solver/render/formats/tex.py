"""LaTeX: a whole document (article, or the exam class's questions/parts/solution), or
with ``--body-only`` a fragment to ``\\input``; the diagram drawn with TikZ."""

from __future__ import annotations

from ...core.latex_text import text_latex
from ...key.model import Solution
from ..diagram import Diagram
from .base import Format


def escape(text: str) -> str:
    """Plain text (a title) as LaTeX, by :mod:`solver.core.latex_text`'s table: LaTeX's
    special characters escaped, accented letters and text symbols left to the T1/TS1 fonts,
    Greek letters and math symbols as math (``σ`` → ``\\ensuremath{\\sigma}``). Validation
    refuses a title with a character that cannot be typeset; should one get here all the
    same, a white space character becomes a space and any other is shown as ``[U+XXXX]``."""
    return text_latex(text, lambda c: " " if c.isspace() else f"[U+{ord(c):04X}]")


def _context(solution: Solution, diagram: Diagram | None, sheet: str, documentclass: str) -> dict:
    """The TikZ drawings: ``diagram`` (the sheet's own) and, for the exam class,
    ``question_diagram`` (names only, safe outside a solution) and ``answer_diagram`` (a
    key's drawing that shows answers: a graph's values and gradients); ``""`` where none.
    Each drawing is laid out and drawn once, and only where the template shows it."""
    from ..diagram import diagram as layout
    from ..drawing import tikz

    drawn = tikz(diagram) if diagram is not None else ""
    question = answers = ""
    figure = solution.figure
    if documentclass == "exam" and figure is not None:
        question = drawn if sheet == "questions" else tikz(layout(figure, "questions"))
        answers = drawn if figure.kind == "graph" and sheet == "key" else ""
    return {"diagram": drawn, "question_diagram": question, "answer_diagram": answers}


FORMAT = Format("tex", "tex", "LaTeX (pdflatex; --documentclass exam, --body-only)", template="key.tex.j2",
                exam_template="key.exam.tex.j2", syntax="tex", escape=escape, context=_context, order=2)
