"""LaTeX: a whole document (article, or the exam class's questions/parts/solution), or
with ``--body-only`` a fragment to ``\\input``; the diagram drawn with TikZ."""

from __future__ import annotations

from ...key.model import Solution
from ..diagram import Diagram
from .base import Format

_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
            "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


def escape(text: str) -> str:
    """Escape plain text (a title) for LaTeX."""
    return "".join(_SPECIAL.get(c, c) for c in str(text))


def _context(solution: Solution, diagram: Diagram | None, sheet: str) -> dict:
    from ..drawing import tikz

    return {"diagram": tikz(diagram) if diagram is not None else ""}


FORMAT = Format("tex", "tex", "LaTeX (pdflatex; --documentclass exam, --body-only)", template="key.tex.j2",
                exam_template="key.exam.tex.j2", syntax="tex", escape=escape, context=_context, order=2)
