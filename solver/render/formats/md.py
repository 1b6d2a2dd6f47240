"""Markdown (GitHub, Jupyter, pandoc math): the key or question paper, with its diagram
and training plots as SVG files beside it."""

from __future__ import annotations

import re

from ...key.model import Solution
from ..diagram import Diagram
from .base import Format


def escape(text: str) -> str:
    """Plain text for Markdown (a heading, a student's answer): shown as written, never as
    markup, HTML or math: ``$`` too (the key's Markdown has ``$…$`` math; a title is plain
    text, ``Costs $5 and $10`` no formula), ``~`` (strikethrough in GitHub's Markdown, a
    subscript in pandoc's) and braces (pandoc's attributes)."""
    return re.sub(r"([\\`*_{}\[\]<>#|$~])", r"\\\1", str(text))


def image_name(solution: Solution, sheet: str = "key") -> str:
    """The file name of the diagram a Markdown key or sheet embeds (written beside it)."""
    return f"{solution.stem}{'-questions' if sheet == 'questions' else ''}-diagram.svg"


def _context(solution: Solution, diagram: Diagram | None, sheet: str, documentclass: str) -> dict:
    return {"image": image_name(solution, sheet) if diagram is not None else ""}


def _companions(solution: Solution, diagram: Diagram | None, sheet: str) -> list[tuple[str, str]]:
    from ..drawing import svg as diagram_svg
    from ..plots import svg as plot_svg

    out = [(image_name(solution, sheet), diagram_svg(diagram))] if diagram is not None else []
    if sheet == "key":
        out += [(f"{solution.stem}-{p.name}.svg", plot_svg(p)) for sec in solution.sections for p in sec.plots]
    return out


FORMAT = Format("md", "md", "Markdown with $…$ math; the diagram and plots as SVG files beside it",
                template="key.md.j2", escape=escape, context=_context, companions=_companions, order=1)
