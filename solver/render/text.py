"""Text helpers of the templates: how an equation breaks into aligned rows (Python
decides, the templates only place the strings). Escaping plain text belongs to each
format (:mod:`.formats`)."""

from __future__ import annotations

import re

from ..key.model import Equation

_WIDTH = 64


def _visual_length(tex: str) -> int:
    tex = re.sub(r"\\(left|right|operatorname|mathit|textstyle)", "", tex)
    tex = re.sub(r"\\frac\{([^{}]*)\}\{([^{}]*)\}", lambda m: max(m.group(1), m.group(2), key=len), tex)
    tex = re.sub(r"\\partial ", "d", tex)
    tex = re.sub(r"[{}^_]", "", tex)
    return len(tex)


def math_rows(eq: Equation, width: int = _WIDTH) -> list[tuple[str, str, str]]:
    """Break an equation into aligned rows ``(lhs, relation, rhs)``.

    Parts stay on the first row while it is shorter than ``width`` visible characters."""
    rows: list[tuple[str, str, str]] = []
    lhs, rel, cur = eq.lhs, None, ""
    length = _visual_length(eq.lhs)
    for r, tex in eq.parts:
        piece_len = _visual_length(tex) + 3
        if rel is None:
            rel, cur, length = r, tex, length + piece_len
            continue
        if length + piece_len > width or (r == "+" and rel == "+"):
            rows.append((lhs, rel, cur))
            lhs, rel, cur, length = "", r, tex, _visual_length(eq.lhs) + piece_len
        else:
            cur += f" {r} {tex}"
            length += piece_len
    rows.append((lhs, rel or "", cur))
    return rows


def aligned(equations, width: int = _WIDTH) -> str:
    """The body of an ``aligned``/``align*`` environment for several equations."""
    lines = []
    for eq in equations:
        for lhs, rel, rhs in math_rows(eq, width):
            lines.append(f"{lhs} &{rel} {rhs}".strip())
    return " \\\\\n".join(lines)
