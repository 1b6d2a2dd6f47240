"""HTML: the key or question paper as one self-contained page (nothing fetched to read
it): math as MathML (latex2mathml), the diagram and plots inline as SVG, a table of
contents, a print stylesheet. With ``--body-only`` a fragment (what Jupyter shows)."""

from __future__ import annotations

from ...key.model import Solution
from ..diagram import Diagram
from .base import Format


def escape(text: str) -> str:
    """Plain text (a title) for HTML: escaped, no math in it, as in the other formats."""
    from ..html_math import title

    return title(text)


def _context(solution: Solution, diagram: Diagram | None, sheet: str, documentclass: str) -> dict:
    """The drawings as inline SVG (``diagram``; ``plots`` by name, on the key), the table of
    contents, an id prefix unique to the key and sheet, and the functions that turn the
    key's strings into HTML: ``math(tex, display)``, ``inline(prose)``, ``paragraphs(prose)``."""
    import html  # here, not at start-up: a key without a diagram (drawing.py imports it too) never needs it

    from ..drawing import svg as diagram_svg
    from ..html_math import inline, mathml, paragraphs
    from ..html_page import anchor, contents, inline_svg
    from ..plots import svg as plot_svg

    prefix = anchor("nn", solution.stem + ("-questions" if sheet == "questions" else ""))
    drawn = inline_svg(diagram_svg(diagram), f"{prefix}-diagram") if diagram is not None else ""
    plots = {}
    if sheet == "key":
        plots = {p.name: inline_svg(plot_svg(p), f"{prefix}-{p.name}") for sec in solution.sections for p in sec.plots}
    return {"diagram": drawn, "plots": plots, "prefix": prefix, "toc": contents(prefix, solution.sections,
            bool(solution.given), sheet), "anchor": anchor, "math": mathml, "inline": inline,
            "paragraphs": paragraphs, "attr": lambda text: html.escape(str(text), quote=True)}


FORMAT = Format("html", "html", "one self-contained page: MathML math, the diagram inline as SVG, a table of "
                "contents, printable (--body-only: a fragment)", template="key.html.j2", escape=escape,
                context=_context, order=3)
