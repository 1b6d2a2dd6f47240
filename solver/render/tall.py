r"""Equations too tall for a page. In the matrix style a layer of 48 units writes its
pre-activations, activations, deltas and gradients as matrices of 48 rows; a row of an
``align*`` cannot break across pages, and ``z = W x + b`` with a 48 × 6 weight matrix ran
653 pt off the page. Such an equation is written as its symbolic parts, then in blocks of
its rows (``z^{(1)}, rows 1–16 ≈ …``), each block an equation of its own after which a
page may break, as a TA writes a long column down the next page.

A block takes the same rows of every matrix that is its quantity's rows: the first matrix
of each product (``W`` of ``W x``), each term of a sum, each factor of an elementwise
product ``⊙``, the result. A matrix that a product contracts (``x`` of ``W x``) is shown
whole in every block. A column that tall which a product contracts (``a^{(1)}`` of
``W^{(2)} a^{(1)}``) is multiplied in blocks, ``W a = W_{:,1:10}\, a_{1:10} + …``, each pair
headed by the columns and rows it holds. Where the text does not tell which matrices are
the quantity's rows, the equation is left as it is.

Works on the matrices :func:`solver.ops.latex.bmatrix` writes, as :mod:`.wide` does."""

from __future__ import annotations

import re
from functools import lru_cache

from ..key.model import Equation
from ..ops.latex import bmatrix
from .wide import DIGITS, MATRIX, PHANTOM, column_ranges, matrix_text

#: A matrix taller than this many rows is split, into blocks of as many at most: an equation
#: whose part ``W x + b`` the breaker sets on three rows (``W x``, ``+ b``, ``≈ z``) takes 36
#: rows of matrices, 490 pt of a letter page's 670 pt at 11 pt (24 rows each ran 61 pt over).
TALLEST = BLOCK = 12
#: A matrix and what may follow it: a transpose.
_ATOM = re.compile(MATRIX.pattern + r"(\^\{?\\top\}?)?", re.S)
#: What, between two matrices, ends one product and begins another: the second matrix is then
#: the first of its product (``[a] \odot [b]``, ``[W] [x] + [b]``), not a factor it contracts.
_NEW_PRODUCT = re.compile(r"[-+=(),]|\\odot|\\oslash|\\approx|\\leftarrow|\\left|\\right|\\Bigl|\\Bigr|\\quad")


def _cells(m: re.Match) -> list[list[str]]:
    return [row.split(" & ") for row in m.group(2).split(r" \\ ")]


def _upright(m: re.Match) -> str:
    """A transposed matrix (``[M]^\\top``) as the matrix it equals, where one of its sides is
    taller than :data:`TALLEST` (a column ``[a]^\\top`` as a row, a wide ``[W]^\\top`` as a tall
    matrix to be split); any other matrix as it is."""
    cells = _cells(m)
    if not m.group(3) or max(len(cells), len(cells[0])) <= TALLEST:
        return m.group(0)
    return bmatrix([[PHANTOM.sub("", c) for c in column] for column in zip(*cells)])


def _height(tex: str) -> int:
    return max((m.group(2).count(r" \\ ") + 1 for m in _ATOM.finditer(tex)), default=0)


def _sliced(tex: str, tall: int, first: int, last: int) -> str | None:
    """``tex`` with rows ``first``…``last`` (from 0) of each matrix of ``tall`` rows that is its
    quantity's rows; ``None`` where a matrix of ``tall`` rows is contracted or transposed."""
    out, end, product = [], 0, False
    for m in _ATOM.finditer(tex):
        between = tex[end:m.start()]
        product = product and not _NEW_PRODUCT.search(between)  # after a matrix, in its product
        cells = _cells(m)
        if len(cells) == tall:
            if product or m.group(3):
                return None
            out.append(between + matrix_text(cells[first:last + 1]))
        else:
            out.append(between + m.group(0))
        end, product = m.end(), True
    return "".join(out) + tex[end:]


#: What may stand before a product multiplied in blocks, and after it: the product is a term of
#: a sum (else its blocks' sum would need parentheses).
_TERM_BEFORE = ("+", "=", r"\approx", r"\leftarrow")
_TERM_AFTER = re.compile(r"\s*(?:$|[-+=]|\\approx)")


def _contracted(tex: str, width: int) -> str:
    """``tex`` with each product ``[A] [v]`` that is a term of a sum and contracts a matrix ``v``
    taller than :data:`TALLEST` written as a sum of products of blocks: columns of ``A``
    times the same rows of ``v``, as :func:`.column_ranges` cuts ``A`` for half a row."""
    atoms = list(_ATOM.finditer(tex))
    out, end = [], 0
    for a, v in zip(atoms, atoms[1:]):
        if a.start() < end or tex[a.end():v.start()].strip() or a.group(3) or v.group(3):
            continue
        left, right = _cells(a), _cells(v)
        before = tex[end:a.start()].rstrip()
        if (len(right) <= TALLEST or len(left[0]) != len(right) or before and not before.endswith(_TERM_BEFORE)
                or not _TERM_AFTER.match(tex, v.end())):
            continue
        ranges = column_ranges(a.group(0), width * DIGITS / 2)
        if ranges is None or len(ranges) < 2:
            continue
        out.append(tex[end:a.start()] + " + ".join(
            matrix_text([row[i:j + 1] for row in left], f"columns {i + 1}–{j + 1}") + " "
            + matrix_text(right[i:j + 1], f"rows {i + 1}–{j + 1}") for i, j in ranges))
        end = v.end()
    return "".join(out) + tex[end:]


def _blocks(tall: int) -> list[tuple[int, int]]:
    """Rows 0…tall−1 in as few blocks of at most :data:`BLOCK` as hold them, near equal (48 in
    four of 12, 13 in 7 and 6)."""
    count = -(-tall // BLOCK)
    size = -(-tall // count)
    return [(a, min(a + size, tall) - 1) for a in range(0, tall, size)]


@lru_cache(maxsize=1 << 12)
def row_blocks(eq: Equation, width: int) -> tuple[Equation, ...]:
    """``eq`` itself, or, where it holds a matrix taller than :data:`TALLEST`, its parts
    without such a matrix (``= W^{(1)} x + b^{(1)}``) followed by one equation for each
    block of rows (a transposed column that tall is written as the row it is; a column that
    tall which a product contracts, in blocks: :func:`_contracted`, for rows of ``width``)."""
    text = eq.inline
    if "\\begin{array}" not in text or (text.count(r" \\ ") < TALLEST and text.count(" & ") < TALLEST):
        return (eq,)  # no matrix has more rows, or more columns, than TALLEST
    parts = [(rel, _contracted(_ATOM.sub(_upright, tex), width)) for rel, tex in eq.parts]
    tall = max(_height(tex) for _, tex in parts)
    lead = next((i for i, (_, tex) in enumerate(parts) if _height(tex) == tall), len(parts))
    if tall <= TALLEST:
        return (eq,) if tuple(parts) == eq.parts else (Equation(eq.lhs, tuple(parts)),)
    if any(_height(tex) != tall for _, tex in parts[lead:]):
        return (eq,)
    out = [Equation(eq.lhs, tuple(parts[:lead]))] if lead else []
    for first, last in _blocks(tall):
        block = [(rel, _sliced(tex, tall, first, last)) for rel, tex in parts[lead:]]
        if any(tex is None for _, tex in block):
            return (eq,)
        out.append(Equation(rf"{eq.lhs},\ \text{{rows {first + 1}–{last + 1}}}", tuple(block)))
    return tuple(out)
