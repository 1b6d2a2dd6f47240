"""Text helpers of the templates: how an equation breaks into aligned rows (Python
decides, the templates only place the strings). Escaping plain text belongs to each
format (:mod:`.formats`)."""

from __future__ import annotations

import re
from functools import lru_cache

from ..key.model import Equation
from .measure import formula_extent, formula_width
from .tall import row_blocks
from .wide import column_blocks, fraction_of_sum, holds_block, too_wide

_WIDTH = 64


def _cap(width: int) -> int:
    """How far :func:`.formula_extent` must measure to compare with ``width`` (always as far as
    ``_WIDTH``, so that rows of every width share the measures)."""
    return width if width > _WIDTH else _WIDTH


def _width(extent: tuple[int, int, bool]) -> int:
    return extent[0] + extent[1] // 2


def _join(a: tuple[int, int, bool] | None, b: tuple[int, int, bool]) -> tuple[int, int, bool] | None:
    """The extent of two texts with a space between them (``None`` if not known from theirs)."""
    return (a[0] + b[0], a[1] + b[1] + 1, b[2]) if a is not None and a[2] else None


def math_rows(eq: Equation, width: int = _WIDTH) -> list[tuple[str, str, str]]:
    """Break an equation into aligned rows ``(lhs, relation, rhs)``.

    Parts stay on the first row while it is shorter than ``width`` visible characters."""
    return [row[:3] for row in _math_rows(eq, width)]


@lru_cache(maxsize=1 << 16)
def _math_rows(eq: Equation, width: int) -> tuple[tuple[str, str, str, tuple | None], ...]:
    """:func:`math_rows`, each row with its right-hand side's extent (if known)."""
    rows: list[tuple[str, str, str, tuple | None]] = []
    lhs, rel, cur, cur_extent, cap = eq.lhs, None, "", None, _cap(width)
    length = lhs_length = _width(formula_extent(eq.lhs, cap))
    for r, tex in eq.parts:
        extent = formula_extent(tex, cap)
        piece_len = _width(extent) + 3
        if rel is None:
            rel, cur, cur_extent, length = r, tex, extent, length + piece_len
            continue
        tagged = "&&" in tex or "&&" in cur  # a step with its tag column stands on a row of its own
        if length + piece_len > width or (r == "+" and rel == "+") or tagged:
            rows.append((lhs, rel, cur, cur_extent))
            lhs, rel, cur, cur_extent, length = "", r, tex, extent, lhs_length + piece_len
        else:
            cur += f" {r} {tex}"
            cur_extent = _join(_join(cur_extent, formula_extent(r, cap)), extent)
            length += piece_len
    rows.append((lhs, rel or "", cur, cur_extent))
    return tuple(rows)


_LEFT_RIGHT = re.compile(r"\\(?:left|right)")


def _depth_change(tex: str, start: int = 0, end: int | None = None, braces_only: bool = False) -> int:
    """How much deeper ``tex[start:end]``'s end is than its start: +1 at an opening ``{``,
    ``(`` or ``\\left`` (not ``\\leftarrow``), -1 at a closing one (the delimiter after
    ``\\left``/``\\right`` counts with it, not again). Braces and parentheses are counted in
    place; the part is cut out only where it holds a ``\\left`` or ``\\right`` (``braces_only``:
    the caller knows that no part of ``tex`` does)."""
    end = len(tex) if end is None else end
    change = tex.count("{", start, end) - tex.count("}", start, end) + tex.count("(", start, end) \
        - tex.count(")", start, end)
    if not braces_only and (tex.find("\\left", start, end) >= 0 or tex.find("\\right", start, end) >= 0):
        part = tex[start:end]
        change += part.count("\\left)") + part.count("\\right)") - part.count("\\left(") - part.count("\\right(")
        for m in _LEFT_RIGHT.finditer(part):
            if not part[m.end():m.end() + 1].isalpha():
                change += 1 if m.end() - m.start() == 5 else -1
    return change


def _delimiters(tex: str) -> list[tuple[int, int]]:
    """Where the depth of ``tex`` changes, in order: (index, ±1), as :func:`_depth_change` counts."""
    steps = []
    for m in _DELIMITER.finditer(tex):
        i, end, c = m.start(), m.end(), m.group()[0]
        if c == "\\" and not tex[end:end + 1].isalpha():
            steps.append((i, 1 if end - i == 5 else -1))
        elif c in "()" and not tex.endswith(("\\left", "\\right"), 0, i) or c in "{}":
            steps.append((i, 1 if c in "({" else -1))
    return steps


_DELIMITER = re.compile(r"\\left|\\right|[{}()]")
_SUM = (" + ", " - ")
#: Where a long product of matrices may go on in the next row: before ⊙ or a matrix factor
#: (never inside a product of scalars, nor after a product sign).
_PRODUCT = (" \\odot ", " \\left[")
_OPERATORS = ("\\odot", "\\cdot", "\\times")


@lru_cache(maxsize=8)
def _finder(at: tuple[str, ...]) -> re.Pattern:
    """Every index where one of ``at`` begins (overlapping ones too)."""
    assert all(a.startswith(" ") for a in at)  # a cut never falls inside a delimiter
    return re.compile("(?=" + "|".join(map(re.escape, at)) + ")")


def _top_terms(tex: str, at: tuple[str, ...] = _SUM) -> list[str]:
    """``tex`` cut before each of ``at`` (a sum's ``+``/``-``) that stands outside every brace
    and ``\\left…\\right`` pair (each piece after the first begins with its sign)."""
    depth, last, cuts = 0, 0, []
    braces_only = "\\left" not in tex and "\\right" not in tex
    for m in _finder(at).finditer(tex, 1):
        i = m.start()
        depth += _depth_change(tex, last, i, braces_only)
        last = i
        if depth == 0 and not tex.endswith(_OPERATORS, 0, i):
            cuts.append(i)
    return [tex[a:b].strip() for a, b in zip([0] + cuts, cuts + [len(tex)])]


def _outer_group(tex: str) -> tuple[str, str, str] | None:
    """The longest top-level ``\\left( … \\right)`` of ``tex`` whose content is a sum, as
    (before, content, after); ``None`` if there is none."""
    best, depth, start = None, 0, None
    for i, step in _delimiters(tex):
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
    """Terms on rows, as many on a row as fit ``width``; a row's length is its terms' and
    the spaces' (:func:`.formula_extent`) while its terms are closed."""
    cap = _cap(width)
    rows, (chars, spaces, closed) = [[terms[0]]], formula_extent(terms[0], cap)
    for t in terms[1:]:
        n, s, t_closed = formula_extent(t, cap)
        if chars + spaces // 2 + n + s // 2 + 1 > width:
            rows.append([t])
            chars, spaces, closed = n, s, t_closed
        else:
            rows[-1].append(t)
            chars, spaces, closed = (chars + n, spaces + s + 1, t_closed) if closed else formula_extent(" ".join(rows[-1]), cap)
    return [" ".join(row) for row in rows]


_LIST = ",\\quad "


def _list_rows(tex: str, width: int) -> list[str]:
    """Formulas side by side (``a,\\quad b,\\quad c``: a stage's local derivatives) on rows,
    as many on a row as fit ``width``, each row but the last ending in its comma."""
    items = _top_terms(tex.replace(_LIST, " " + _LIST), (" " + _LIST,))
    rows = [[items[0]]]
    for item in (i.removeprefix(_LIST) for i in items[1:]):
        if formula_width(_LIST.join(rows[-1] + [item])) > width:
            rows.append([item])
        else:
            rows[-1].append(item)
    return [_LIST.join(r) + ("," if k < len(rows) - 1 else "") for k, r in enumerate(rows)]


def break_long(tex: str, width: int) -> list[str]:
    """A right-hand side too long for one row, cut into rows between its formulas side by side
    (:func:`_list_rows`), else at the signs of its sum, or of the sum inside its outermost
    parentheses (which become ``\\Bigl( … \\Bigr)``, since ``\\left``/``\\right`` cannot span
    rows), or of a fraction's numerator (:func:`.fraction_of_sum`). Unchanged when it fits or
    has no such sum."""
    return _break(tex, width, formula_extent(tex, _cap(width)))


def _break(tex: str, width: int, extent: tuple[int, int, bool]) -> list[str]:
    """:func:`break_long`, given the extent of ``tex`` (for ``width``)."""
    if _width(extent) <= width:
        return [tex]
    if _LIST in tex and len(rows := _list_rows(tex, width)) > 1:
        return rows
    for at in (_SUM, _PRODUCT):
        terms = _top_terms(tex, at)
        if len(terms) > 1:
            rows, alone = [], set(terms)
            for row in _pack(terms, width):  # a term too wide alone (r (W h + b) in a GRU's candidate)
                too_long = row in alone and _width(formula_extent(row, _cap(width))) > width
                rows += (_opened_sum(row, width) if too_long else None) or [row]
            return rows
    return _opened_sum(tex, width) or [tex]


def _opened_sum(tex: str, width: int) -> list[str] | None:
    """``tex`` cut at the signs of the sum in its outermost parentheses (``\\Bigl( … \\Bigr)``) or
    of a fraction's numerator (:func:`.fraction_of_sum`); ``None`` without one, or if it fits a row."""
    group = _outer_group(tex) or fraction_of_sum(tex)
    rows = _pack(_top_terms(group[1]), width) if group else []
    if len(rows) < 2:
        return None
    return [f"{group[0]}\\Bigl({rows[0]}", *rows[1:-1], f"{rows[-1]}\\Bigr){group[2]}"]


def _wide(rows: list[str], width: int) -> list[str]:
    """``rows`` with a row that a matrix makes too wide for ``width`` (:func:`.too_wide`) cut
    before its matrix factors, as many on a row as fit, and a matrix still too wide in blocks
    of its columns (:func:`.column_blocks`)."""
    wide = [too_wide(r, width) for r in rows]
    if not any(wide):
        return rows
    out = []
    for r, w in zip(rows, wide):
        for p in _pack_wide(_top_terms(r, _PRODUCT) if w else [r], width):
            out += column_blocks(p, width) or _opened(p, width) or [p]
    return out


def _pack_wide(pieces: list[str], width: int) -> list[str]:
    """``pieces`` on rows, as many on a row as :func:`.too_wide` lets fit ``width``."""
    rows = [pieces[0]]
    for p in pieces[1:]:
        joined = f"{rows[-1]} {p}"
        if too_wide(joined, width):
            rows.append(p)
        else:
            rows[-1] = joined
    return rows


def _opened(tex: str, width: int) -> list[str] | None:
    """``tex`` too wide for ``width`` with a matrix inside parentheses (``⊙ ([δ^A_r] − s_r)``
    over 8 tokens) as rows: its parentheses' sum cut before its terms (``\\Bigl( … \\Bigr)``,
    which can span rows), as many on a row as fit, and a matrix still too wide in blocks of
    its columns. ``None`` where it fits or has no such parentheses."""
    group = _outer_group(tex) if too_wide(tex, width) else None
    if group is None:
        return None
    before, inner, after = group
    first, *more = _top_terms(inner)
    rows = _pack_wide([f"{before}\\Bigl({first}", *more], width)
    rows[-1] = f"{rows[-1]}\\Bigr){after}"
    return [b for r in rows for b in column_blocks(r, width) or [r]] if len(rows) > 1 else None


@lru_cache(maxsize=1 << 16)
def _lhs(eq: Equation, width: int) -> int:
    """How much of a row of ``width`` an equation's left-hand side takes (half at most)."""
    return min(_width(formula_extent(eq.lhs, _cap(width))), width // 2)


@lru_cache(maxsize=1 << 16)
def _equation_rows(eq: Equation, width: int, block: int) -> tuple[str, ...]:
    """An equation's rows. A matrix is fitted beside the widest left-hand side of its
    ``align`` block (``block``), after which every row's right side begins: a layer norm's
    gradient, fitted beside its own short ∂L/∂X, ran past the margin beside the block's
    sum of products. Sums are broken as before, beside their own left-hand side."""
    rows = []
    cap = _cap(width)
    room = width - _lhs(eq, width)
    for lhs, rel, rhs, extent in _math_rows(eq, width):
        first, *more = _wide(_break(rhs, room, extent or formula_extent(rhs, cap)), width - block)
        rows.append(f"{lhs} &{rel} {first}".strip())
        rows += [_GOES_ON + piece for piece in more]
    return tuple(rows)


_GOES_ON = "&\\qquad {} "


#: Rows of an equation beyond which a page may break between any two of them (a sum of 60
#: products written out three times over is taller than a page).
_LONG = 24


def _equation_lines(eq: Equation, width: int, breaks: bool, block: int) -> str:
    """An equation's rows; with ``breaks``, a page may break before a block of a matrix's
    columns (:func:`.column_blocks`), since a matrix's blocks may fill more than a page, and
    between any two rows of an equation of more than :data:`_LONG` rows."""
    first, *more = _equation_rows(eq, width, block)
    long = len(more) >= _LONG
    return first + "".join((" \\displaybreak[0]\\\\\n" if breaks and (long or holds_block(r)) else " \\\\\n") + r
                           for r in more)


def aligned(equations, width: int = _WIDTH, breaks: bool = False) -> str:
    """The body of an ``aligned``/``align*`` environment for several equations; a row too
    long for ``width`` goes on in indented rows (:func:`break_long`). With ``breaks`` (LaTeX's
    ``align*``, not Markdown's ``aligned``) an equation taller than a page is in blocks of its rows
    (:func:`.row_blocks`), a page may break between two equations, and inside one only where
    :func:`_equation_lines` allows (``\\displaybreak[0]``). Rows are worked out once per equation."""
    equations = [b for eq in equations for b in row_blocks(eq, width)] if breaks else equations
    block = max((_lhs(eq, width) for eq in equations), default=0)
    return (" \\displaybreak[0]\\\\\n" if breaks else " \\\\\n").join(_equation_lines(eq, width, breaks, block)
                                                            for eq in equations)
