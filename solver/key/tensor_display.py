"""Tensors as the key shows them: a scalar as a number, a vector as a row, a matrix as a
matrix, a tensor of more axes as one matrix per channel (``Z_{2,:,:}``), never as a long
list of scalars; and the answers of a tensor, its value nested in its shape."""

from __future__ import annotations

from typing import Callable

import sympy as sp

from ..core.numbers import display
from ..graph.model import TensorInfo
from ..ops.latex import bmatrix
from ..ops.tensor import indices, nest
from .model import Answer, Equation


def slices(shape: tuple[int, ...]) -> list[tuple[int, ...]]:
    """The leading indices of each matrix shown (one ``()`` for a matrix or less)."""
    return list(indices(shape[:-2])) if len(shape) > 2 else [()]


def slice_name(base: str, shape: tuple[int, ...], lead: tuple[int, ...]) -> str:
    """``Z_{2,:,:}`` for channel 2 (axes of size 1 left out: a one-channel image is ``X``)."""
    shown = [str(i + 1) for i, n in zip(lead, shape) if n > 1]
    if not shown:
        return base
    head = rf"\left({base}\right)" if base.startswith(r"\frac") else f"{{{base}}}" if "_" in base else base
    return f"{head}_{{{','.join(shown)},:,:}}"


def tensor_equations(name: str, info: TensorInfo, value_of: Callable[[str], sp.Expr], digits: int,
                     relation: str = "=", marked: frozenset = frozenset()) -> list[Equation]:
    """``name = [matrix]`` (one equation per channel for a tensor of more than two axes),
    with ``≈`` where a value is rounded; ``relation`` other than ``=`` (``\\leftarrow``) is kept;
    the elements whose keys are ``marked`` in bold."""
    shape = info.shape
    shown = [display(value_of(k), digits) for k in info.elements]
    if not shape:
        rel = shown[0].relation if relation == "=" else relation
        return [Equation(name, ((rel, shown[0].latex),))]
    cols = shape[-1]
    rows = shape[-2] if len(shape) >= 2 else 1
    per = rows * cols
    out = []
    for n, lead in enumerate(slices(shape)):
        cells = shown[n * per:(n + 1) * per]
        grid = [[c.latex for c in cells[r * cols:(r + 1) * cols]] for r in range(rows)]
        keys = info.elements[n * per:(n + 1) * per]
        bold = frozenset((i // cols, i % cols) for i, k in enumerate(keys) if k in marked)
        rel = ("=" if all(c.exact for c in cells) else r"\approx") if relation == "=" else relation
        out.append(Equation(slice_name(name, shape, lead), ((rel, bmatrix(grid, bold)),)))
    return out


def tensor_answer(kind: str, info: TensorInfo, value_of: Callable[[str], sp.Expr], digits: int,
                  latex: str, step: int | None = None) -> Answer:
    """One answer for a whole tensor: ``value`` nested in its shape (floats), ``exact``
    the same nesting of exact strings, ``display`` of rounded strings; ``shape`` its shape."""
    values = [value_of(k) for k in info.elements]
    exact = [str(v) if v.is_Rational else sp.Float(v, 30).__str__() for v in values]
    shown = [display(v, digits).text for v in values]
    return Answer(kind, info.key, latex, nest(info.shape, exact), nest(info.shape, [float(v) for v in values]),
                  nest(info.shape, shown), step=step, shape=list(info.shape))
