"""Reductions (``sum``, ``mean``, ``var``, ``max``, ``min``) over every element or along one
axis, and ``softmax`` along an axis, as PyTorch defines them: ``var`` is the biased
(population) variance, ``torch.var(A, unbiased=False)``, dividing by n; ``max`` along an
axis routes its gradient to the first maximal element, as ``torch.max(A, dim)`` does.
"""

from __future__ import annotations

from typing import Callable

import sympy as sp

from ..activations.softmax import Softmax
from ..functions import applied
from .base import (
    Keyword,
    STensor,
    TensorError,
    TensorOp,
    indices,
    shape_text,
    unevaluated_sum,
)


def _axis(t: STensor, axis, op: str) -> int | None:
    if axis is None:
        return None
    if t.ndim == 0 or not -t.ndim <= axis < t.ndim:
        raise TensorError(f"{op}(): axis={axis} but the argument has shape {shape_text(t.shape)}")
    return axis % t.ndim


def lanes(t: STensor, axis: int | None) -> tuple[tuple[int, ...], list[list[sp.Expr]]]:
    """The shape left after reducing ``axis`` (every axis for ``None``), and the elements
    of each lane reduced, row-major."""
    if axis is None:
        return (), [list(t.data)]
    rest = t.shape[:axis] + t.shape[axis + 1:]
    return rest, [[t[idx[:axis] + (k,) + idx[axis:]] for k in range(t.shape[axis])] for idx in indices(rest)]


def _mean(xs: list[sp.Expr]) -> sp.Expr:
    total = unevaluated_sum(xs)
    return total if len(xs) == 1 else sp.Mul(sp.Rational(1, len(xs)), total, evaluate=False)


def _var(xs: list[sp.Expr]) -> sp.Expr:
    mu = _mean(xs)
    squares = [sp.Pow(sp.Add(x, sp.Mul(-1, mu, evaluate=False), evaluate=False), 2, evaluate=False) for x in xs]
    return _mean(squares)


def reduction(name: str, combine: Callable[[list[sp.Expr]], sp.Expr], latex: str, note: str = "") -> TensorOp:
    def apply(args, kw) -> STensor:
        (t,) = args
        shape, groups = lanes(t, _axis(t, kw["axis"], name))
        return STensor(shape, tuple(combine(g) for g in groups))

    def tex(a, kw) -> str:
        sub = "" if kw["axis"] is None else f"_{{\\text{{axis}}={kw['axis']}}}"
        return applied(latex + sub, a[0])
    return TensorOp(name, (1, 1), apply, tex, keywords=(Keyword("axis", None, "axis", in_latex=True),), note=note,
                    source=f"torch.{name}")


def extremum_reduction(name: str, fn: Callable[..., sp.Expr]) -> TensorOp:
    def combine(xs):
        return xs[0] if len(xs) == 1 else fn(*xs)
    return reduction(name, combine, rf"\{name}",
                     note=f"At a tie the gradient of the {name}imum goes to the first element that attains it "
                          f"(row-major), as PyTorch's {name}(A, dim) does (torch.{name}(A) without dim, and "
                          f"torch.a{name}, share it equally among the tied elements instead).")


def _softmax(args, kw) -> STensor:
    (t,) = args
    axis = _axis(t, kw["axis"], "softmax")
    if axis is None:
        raise TensorError("softmax() needs a tensor with at least one axis")
    data = [None] * t.size
    rest = t.shape[:axis] + t.shape[axis + 1:]
    for idx in indices(rest):
        lane = [idx[:axis] + (k,) + idx[axis:] for k in range(t.shape[axis])]
        logits = [t[i] for i in lane]
        for j, i in enumerate(lane):
            data[sum(a * s for a, s in zip(i, t.strides()))] = Softmax(sp.Integer(j), *logits)
    return STensor(t.shape, tuple(data))


SUM = reduction("sum", unevaluated_sum, r"\operatorname{sum}")
MEAN = reduction("mean", _mean, r"\operatorname{mean}")
VAR = reduction("var", _var, r"\operatorname{var}",
                note=r"The variance is the biased one, dividing by $n$ (PyTorch's var with unbiased=False).")
SOFTMAX = TensorOp("softmax", (1, 1), _softmax,
                   lambda a, kw: applied(r"\operatorname{softmax}", a[0]),
                   keywords=(Keyword("axis", -1, "axis"),), source="torch.softmax",
                   note=(r"$\operatorname{softmax}(o)_k = e^{o_k} / \sum_j e^{o_j}$ along the axis, "
                         r"$\partial p_k / \partial o_j = p_k(\delta_{kj} - p_j)$."))

#: The operations of this module called by name in expressions (found by :mod:`solver.ops.tensor`).
OPS: tuple[TensorOp, ...] = (SUM, MEAN, VAR, SOFTMAX,)
