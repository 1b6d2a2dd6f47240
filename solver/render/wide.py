"""Rows too wide for the page. A matrix too wide for its row, shown in blocks of its columns, one block a row, each
headed by the columns it holds (``columns 1–6``), as a printed table too wide for the page
goes on below itself: a matrix cannot break across rows of an equation, and the gradient of
a 12 × 12 weight matrix at four significant digits is twice as wide as a page.

Works on the LaTeX of a row as :mod:`.text` breaks it, on the matrices
:func:`solver.ops.latex.bmatrix` writes (``\\left[\\begin{array}{rr…} … \\end{array}\\right]``,
each column already right-aligned on its decimal point, so that a block keeps its columns'
alignment). A fraction whose numerator is a long sum, written as its factor
(:func:`fraction_of_sum`): a numerator cannot break across rows, a factor's parentheses can."""

from __future__ import annotations

import re
from functools import lru_cache

from ..ops.latex import bmatrix
from .measure import formula_width

#: A matrix as :func:`solver.ops.latex.bmatrix` writes it: its column spec and its body.
MATRIX = re.compile(r"\\left\[\\begin\{array\}\{(r+)\} (.*?) \\end\{array\}\\right\]", re.S)
#: A cell that is a number as :mod:`solver.core.numbers` writes it (``-12{,}350.25``,
#: ``1.2 \\times 10^{-7}``), padded (``0.5\\phantom{00}``), perhaps in bold.
_NUMBER = re.compile(r"(\\mathbf\{)?-?[0-9][0-9.{},]*(\\phantom\{[.0]*\})?( \\times 10\^\{-?[0-9]+\})?\}?")
PHANTOM = re.compile(r"\\phantom\{[.0]*\}")
#: What may end the text before a matrix split into blocks (else only nothing may stand there):
#: a relation, or the opening of parentheses that span rows (their blocks all stand inside them).
_RELATIONS = ("=", r"\approx", r"\leftarrow", r"\Bigl(")
#: A transpose written after a matrix.
_TRANSPOSED = (r"^\top", r"^{\top}", "^T", "^{T}")
_LEFT = re.compile(r"\\left(?![A-Za-z])")
_RIGHT = re.compile(r"\\right(?![A-Za-z])")
#: The room a column takes beyond its widest cell (the array's column separation), and the
#: brackets', in digits.
_GAP, _BRACKETS = 2, 2
#: Digits in a row of one character of :func:`.formula_width`: that measure counts each
#: character of a formula as wide as the widest (an operator with its spaces, a letter), so a
#: row of 64 holds any formula; a matrix's cells are mostly digits, 5.5 pt each at 11 pt, and
#: the 489 pt line of a letter page with 2.2 cm margins holds 89 of them.
DIGITS = 89 / 64


def _balanced(tex: str) -> bool:
    """Whether a row may end (or begin) with ``tex``: no brace and no ``\\left`` left open."""
    return tex.count("{") == tex.count("}") and len(_LEFT.findall(tex)) == len(_RIGHT.findall(tex))


def matrix_text(cells, label: str = "") -> str:
    """Cells already written (rows of LaTeX, each column aligned as :func:`bmatrix` aligns it)
    as the matrix :data:`MATRIX` finds, headed by ``label`` (``columns 1–6``) where given."""
    body = r" \\ ".join(" & ".join(row) for row in cells)
    matrix = rf"\left[\begin{{array}}{{{'r' * len(cells[0])}}} {body} \end{{array}}\right]"
    return rf"\overset{{\text{{{label}}}}}{{{matrix}}}" if label else matrix


def _block(cells: tuple[tuple[str, ...], ...], first: int, last: int) -> str:
    """Columns ``first``…``last`` (from 0, inclusive) of ``cells`` as a matrix, headed by the
    columns it holds (counted from 1)."""
    cols = f"column {first + 1}" if first == last else f"columns {first + 1}–{last + 1}"
    return matrix_text([row[first:last + 1] for row in cells], cols)


def holds_block(row: str) -> bool:
    """Whether an equation's row holds a block of columns (:func:`column_blocks`): a page may
    break before it."""
    return r"\overset{\text{column" in row


@lru_cache(maxsize=1 << 10)
def _matrix(text: str) -> tuple[tuple[tuple[str, ...], ...], tuple[float, ...]] | None:
    """A matrix as :data:`MATRIX` finds it: its cells by row and each column's width in
    digits, with its share of the space between columns; ``None`` unless every cell is a
    number (a formula's width in digits is not known here: :func:`.formula_width` counts its
    characters as the widest). Once per matrix: a row is measured several times as it is
    broken, and a 64 × 64 matrix has 4,096 cells."""
    m = MATRIX.fullmatch(text)
    spec, body = m.group(1), m.group(2)
    cells = tuple(tuple(row.split(" & ")) for row in body.split(r" \\ "))
    if not all(len(row) == len(spec) and all(_NUMBER.fullmatch(c) for c in row) for row in cells):
        return None
    return cells, tuple(max(formula_width(row[j]) for row in cells) + _GAP for j in range(len(spec)))


def _blocks(columns: tuple[float, ...], room: float) -> list[tuple[int, int]]:
    """Blocks of consecutive columns (first, last), each as wide as ``room`` at most (or one
    column): as few as fit, of as near equal numbers of columns as fit (12 columns in two
    blocks of 6, not 11 and 1)."""
    blocks, start, used = [], 0, 0.0
    for j, w in enumerate(columns):
        if j > start and used + w > room:
            blocks.append((start, j - 1))
            start, used = j, 0.0
        used += w
    blocks.append((start, len(columns) - 1))
    size = -(-len(columns) // len(blocks))
    even = [(a, min(a + size, len(columns)) - 1) for a in range(0, len(columns), size)]
    if len(even) == len(blocks) and all(sum(columns[a:b + 1]) <= room for a, b in even):
        return even
    return blocks


def column_ranges(text: str, room: float) -> list[tuple[int, int]] | None:
    """The blocks of columns (first, last; from 0) that :func:`column_blocks` would cut the
    matrix ``text`` into for a row of ``room`` digits; ``None`` for a matrix of formulas."""
    found = _matrix(text)
    return None if found is None else _blocks(found[1], room)


def digits(tex: str) -> float | None:
    """How many digits wide ``tex`` prints: each matrix of numbers that
    :func:`solver.ops.latex.bmatrix` writes as its columns, the rest as :func:`.formula_width`
    counts it (:data:`DIGITS` a character); ``None`` when ``tex`` holds no matrix of numbers."""
    total, rest, last = None, [], 0
    for m in MATRIX.finditer(tex):
        found = _matrix(m.group(0))
        if found is not None:
            total = (total or 0.0) + sum(found[1]) + _BRACKETS
            rest.append(tex[last:m.start()])
            last = m.end()
    rest.append(tex[last:])
    return None if total is None else total + formula_width(" ".join(rest)) * DIGITS


def too_wide(tex: str, width: int) -> bool:
    """Whether ``tex`` holds a matrix of numbers and is too wide for a row of ``width``
    characters of :func:`.formula_width` (its matrices measured in digits, :func:`digits`)."""
    if "\\begin{array}" not in tex:
        return False
    wide = digits(tex)
    return wide is not None and wide > width * DIGITS


def column_blocks(tex: str, width: int) -> list[str] | None:
    """``tex``, one row's right-hand side holding one matrix, as rows that each fit ``width``
    characters (:func:`too_wide`): the matrix's columns in blocks, each headed by its
    columns, the text before the matrix on the first row. A block holds one column at least,
    however narrow ``width``.

    A transposed matrix (``[W]^\top``) too wide is shown as its transpose, in blocks if that is
    too wide still. ``None`` where the row fits, holds no matrix or more than one, a matrix of
    formulas, or anything else after its matrix (a power; a factor; the ``\\right`` of a
    ``\\left`` before it, which cannot span rows)."""
    if not too_wide(tex, width):
        return None
    found = list(MATRIX.finditer(tex))
    if len(found) != 1 or (matrix := _matrix(found[0].group(0))) is None:
        return None
    (cells, columns), before, after = matrix, tex[:found[0].start()], tex[found[0].end():]
    if not _balanced(before) or before.strip() and not before.rstrip().endswith(_RELATIONS):
        return None  # a factor or a sign before it would stand before its first block only
    if after.strip() in _TRANSPOSED:
        flipped = before + bmatrix([[PHANTOM.sub("", c) for c in column] for column in zip(*cells)])
        return column_blocks(flipped, width) or [flipped]
    if after.strip():
        return None
    blocks = _blocks(columns, (width - formula_width(before)) * DIGITS - _BRACKETS)
    rows = [_block(cells, a, b) for a, b in blocks]
    rows[0] = before + rows[0]
    return rows if len(rows) > 1 else None


def _braced(tex: str, start: int) -> tuple[str, int] | None:
    """The text of the brace group opening at ``tex[start]`` and the index after it."""
    if tex[start:start + 1] != "{":
        return None
    depth = 0
    for i in range(start, len(tex)):
        depth += {"{": 1, "}": -1}.get(tex[i], 0)
        if depth == 0:
            return tex[start + 1:i], i + 1
    return None


def fraction_of_sum(tex: str) -> tuple[str, str, str] | None:
    """``tex``, a fraction and nothing else (``\\frac{a + b + …}{\\sqrt{6}}``), as the factor
    before its numerator, the numerator, and what follows: (``\\frac{1}{\\sqrt{6}} ``,
    ``a + b + …``, ``""``), for the numerator to go on in rows in parentheses (an attention
    score's gradient over 8 tokens ran 463 pt past the margin). ``None`` for anything else."""
    num = _braced(tex, 5) if tex.startswith("\\frac{") else None
    den = _braced(tex, num[1]) if num else None
    if den is None or den[1] != len(tex):
        return None
    return f"\\frac{{1}}{{{den[0]}}} ", num[0], ""
