"""Text helpers of the templates: how an equation breaks into aligned rows (Python
decides, the templates only place the strings). Escaping plain text belongs to each
format (:mod:`.formats`)."""

from __future__ import annotations

import re

from ..key.model import Equation

_WIDTH = 64


_ARRAY = re.compile(r"\\begin\{array\}\{[a-z]*\}(.*?)\\end\{array\}", re.S)
_TEXT = re.compile(r"\\(?:text|mathrm|operatorname|mathit)\{([^{}]*)\}")
_FRACTION = re.compile(r"\\[dt]?frac\{([^{}]*)\}\{([^{}]*)\}")
_SPACE = re.compile(r"\\(?:left|right|textstyle|displaystyle|[Bb]igg?[lr]?|mathopen|mathclose)\b|\\[,;:!]|\{\}")
_COMMAND = re.compile(r"\\[A-Za-z]+")


def _visual_length(tex: str) -> int:
    """Roughly how many characters wide ``tex`` prints: a command counts as one character,
    a matrix as its widest row, a fraction as its longer part, sub- and superscripts in full
    (an over-estimate: rows are broken a little early rather than late)."""
    tex = _ARRAY.sub(lambda m: "x" * max(_visual_length(r) for r in m.group(1).split("\\\\")), tex)
    tex = tex.replace("\\qquad", "xxxx").replace("\\quad", "xx").replace("&", " ")
    tex = _TEXT.sub(lambda m: m.group(1), tex)
    for _ in range(3):  # nested fractions, innermost first
        tex = _FRACTION.sub(lambda m: max(m.group(1), m.group(2), key=len), tex)
    tex = _SPACE.sub("", tex)
    tex = _COMMAND.sub("x", tex)
    return len(re.sub(r"[{}^_\s]", "", tex)) + tex.count(" ") // 2


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
        tagged = "&&" in tex or "&&" in cur  # a step with its tag column stands on a row of its own
        if length + piece_len > width or (r == "+" and rel == "+") or tagged:
            rows.append((lhs, rel, cur))
            lhs, rel, cur, length = "", r, tex, _visual_length(eq.lhs) + piece_len
        else:
            cur += f" {r} {tex}"
            length += piece_len
    rows.append((lhs, rel or "", cur))
    return rows


def _delimiter(tex: str, i: int) -> int:
    """+1 at an opening ``{``, ``(`` or ``\\left``, -1 at a closing one, else 0 (the
    delimiter after ``\\left``/``\\right`` counts with it, not again)."""
    for word, step in (("\\left", 1), ("\\right", -1)):
        if tex.startswith(word, i) and not tex[i + len(word):i + len(word) + 1].isalpha():
            return step
    if tex[i] in "()" and tex[max(0, i - 6):i].endswith(("\\left", "\\right")):
        return 0
    return {"{": 1, "}": -1, "(": 1, ")": -1}.get(tex[i], 0)


_SUM = (" + ", " - ")
#: Where a long product of matrices may go on in the next row: before ⊙ or a matrix factor
#: (never inside a product of scalars, nor after a product sign).
_PRODUCT = (" \\odot ", " \\left[")
_OPERATORS = ("\\odot", "\\cdot", "\\times")


def _top_terms(tex: str, at: tuple[str, ...] = _SUM) -> list[str]:
    """``tex`` cut before each of ``at`` (a sum's ``+``/``-``) that stands outside every brace
    and ``\\left…\\right`` pair (each piece after the first begins with its sign)."""
    depth, cuts = 0, []
    for i in range(len(tex)):
        depth += _delimiter(tex, i)
        if depth == 0 and i > 0 and tex.startswith(at, i) and not tex[:i].endswith(_OPERATORS):
            cuts.append(i)
    return [tex[a:b].strip() for a, b in zip([0] + cuts, cuts + [len(tex)])]


def _outer_group(tex: str) -> tuple[str, str, str] | None:
    """The longest top-level ``\\left( … \\right)`` of ``tex`` whose content is a sum, as
    (before, content, after); ``None`` if there is none."""
    best, depth, start = None, 0, None
    for i in range(len(tex)):
        step = _delimiter(tex, i)
        if step == 1 and depth == 0 and tex.startswith("\\left(", i):
            start = i
        depth += step
        if step == -1 and depth == 0 and start is not None and tex.startswith("\\right)", i):
            inner = tex[start + 6:i]
            if len(_top_terms(inner)) > 1 and (best is None or len(inner) > len(best[1])):
                best = (tex[:start], inner, tex[i + 7:])
            start = None
    return best


def _pack(terms: list[str], width: int) -> list[str]:
    rows = [terms[0]]
    for t in terms[1:]:
        if _visual_length(rows[-1]) + _visual_length(t) + 1 > width:
            rows.append(t)
        else:
            rows[-1] += " " + t
    return rows


def break_long(tex: str, width: int) -> list[str]:
    """A right-hand side too long for one row, cut into rows at the signs of its sum, or of
    the sum inside its outermost parentheses (which become ``\\Bigl( … \\Bigr)``, since
    ``\\left``/``\\right`` cannot span rows). Unchanged when it fits or has no such sum."""
    if _visual_length(tex) <= width:
        return [tex]
    for at in (_SUM, _PRODUCT):
        terms = _top_terms(tex, at)
        if len(terms) > 1:
            return _pack(terms, width)
    group = _outer_group(tex)
    if group is None:
        return [tex]
    before, inner, after = group
    rows = _pack(_top_terms(inner), width)
    if len(rows) == 1:
        return [tex]
    rows[0] = f"{before}\\Bigl({rows[0]}"
    rows[-1] = f"{rows[-1]}\\Bigr){after}"
    return rows


def aligned(equations, width: int = _WIDTH, breaks: bool = False) -> str:
    """The body of an ``aligned``/``align*`` environment for several equations; a row too
    long for ``width`` goes on in indented rows (:func:`break_long`). With ``breaks`` (LaTeX's
    ``align*``, not Markdown's ``aligned``) a page may break between two equations, never
    inside one (``\\displaybreak[0]``)."""
    equations_rows = []
    for eq in equations:
        lines = []
        for lhs, rel, rhs in math_rows(eq, width):
            first, *more = break_long(rhs, width - min(_visual_length(eq.lhs), width // 2))
            lines.append(f"{lhs} &{rel} {first}".strip())
            lines += [f"&\\qquad {{}} {piece}" for piece in more]
        equations_rows.append(" \\\\\n".join(lines))
    return (" \\displaybreak[0]\\\\\n" if breaks else " \\\\\n").join(equations_rows)


def run_in(title: str, text: str = "") -> str:
    """A run-in heading's title ending in punctuation when the text after it is a new
    sentence, one that begins with a capital or a formula (``"Neuron $h_1$"``, ``"Inputs…"``
    → ``"Neuron $h_1$."``); unchanged when the text goes on the title's sentence
    (``"Loss"``, ``"with targets…"``) or the title already ends in punctuation."""
    stripped = title.rstrip()
    first = text.lstrip()[:1]
    starts_sentence = first.isupper() or first == "$"  # a capital, or a formula: "Layer 2. $W \\in …$"
    return stripped + "." if starts_sentence and stripped[-1:] not in ".:;?!" else stripped


_TOP_RELATION = re.compile(r"\s(=|\\approx|\\leftarrow)\s")


def final_rows(finals) -> str:
    """The final answers as the body of an ``align*``/``aligned`` block, aligned at the first
    relation of each (display size: full fractions, matrices at their own height)."""
    rows = []
    for f in finals:
        depth, cut = 0, None
        for i, ch in enumerate(f):
            depth += (ch == "{") - (ch == "}")
            if depth == 0 and cut is None and _TOP_RELATION.match(f, i):
                cut = i
        rows.append(f if cut is None else f[:cut] + " &" + f[cut:])
    return " \\\\\n".join(rows)


def display_rows(tex: str, width: int = _WIDTH) -> str:
    """A display (a definition line) too long for one row, as rows one under another:
    cut at its top-level ``,\\quad`` separators into a ``gathered`` block, as many pieces
    on a row as fit ``width``."""
    if _visual_length(tex) <= width or "gathered" in tex:
        return tex
    pieces = _top_terms(tex.replace(r",\quad ", " ,\\quad "), (" ,\\quad ",))
    if len(pieces) < 2:
        return tex
    rows: list[str] = []
    for piece in [pieces[0]] + [p.removeprefix(",\\quad ").strip() for p in pieces[1:]]:
        if rows and _visual_length(rows[-1]) + _visual_length(piece) + 2 <= width:
            rows[-1] += r",\quad " + piece
        else:
            rows.append(piece)
    return r"\begin{gathered} " + r", \\ ".join(rows) + r" \end{gathered}"
