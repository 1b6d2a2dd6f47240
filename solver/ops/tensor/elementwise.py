"""Elementwise operations: ``+ - * /`` with broadcasting, and functions applied to every
element (activations, ``exp``, ``log``, ``sqrt``, ``abs``, ``square``; ``max``/``min`` of
several tensors).

Broadcasting follows NumPy and PyTorch: shapes are aligned from the last axis, and an
axis of size 1 (or a missing one) is repeated to match (a scalar goes everywhere; a
bias of shape ``(n,)`` is added to every row of an ``m × n`` matrix).
"""

from __future__ import annotations

from typing import Callable

import sympy as sp

from ..functions import applied
from .base import STensor, TensorError, TensorOp, indices, shape_text


def broadcast_shape(a: tuple[int, ...], b: tuple[int, ...], op: str) -> tuple[int, ...]:
    """The shape of ``a op b`` under broadcasting.

    Raises:
        TensorError: when an axis differs and neither size is 1.
    """
    out = []
    for i in range(1, max(len(a), len(b)) + 1):
        x = a[-i] if i <= len(a) else 1
        y = b[-i] if i <= len(b) else 1
        if x != y and 1 not in (x, y):
            raise TensorError(f"'{op}': shapes {shape_text(a)} and {shape_text(b)} do not broadcast "
                              f"(axis {-i}: {x} against {y})")
        out.append(max(x, y))
    return tuple(reversed(out))


def broadcast_to(t: STensor, shape: tuple[int, ...]) -> STensor:
    """``t`` repeated along its size-1 and missing axes to ``shape``."""
    if t.shape == shape:
        return t
    lead = len(shape) - t.ndim
    data = []
    for idx in indices(shape):
        own = tuple(0 if n == 1 else i for i, n in zip(idx[lead:], t.shape))
        data.append(t[own])
    return STensor(shape, tuple(data))


def _binary(symbol: str, combine: Callable[[sp.Expr, sp.Expr], sp.Expr]) -> Callable[..., STensor]:
    def apply(args, kw) -> STensor:
        a, b = args
        shape = broadcast_shape(a.shape, b.shape, symbol)
        a, b = broadcast_to(a, shape), broadcast_to(b, shape)
        return STensor(shape, tuple(combine(x, y) for x, y in zip(a.data, b.data)))
    return apply


def _negated(x: sp.Expr) -> sp.Expr:
    return -x if x.is_Number else sp.Mul(-1, x, evaluate=False)


def _divide(x: sp.Expr, y: sp.Expr) -> sp.Expr:
    if y.is_Number and y == 0:
        raise TensorError("division by zero")
    return sp.Mul(x, sp.Pow(y, -1, evaluate=False), evaluate=False)


ADD = TensorOp("add", (2, 2), _binary("+", lambda x, y: sp.Add(x, y, evaluate=False)),
               lambda a, kw: f"{a[0]} + {a[1]}")
SUB = TensorOp("sub", (2, 2), _binary("-", lambda x, y: sp.Add(x, _negated(y), evaluate=False)),
               lambda a, kw: f"{a[0]} - {a[1]}")
MUL = TensorOp("mul", (2, 2), _binary("*", lambda x, y: sp.Mul(x, y, evaluate=False)),
               lambda a, kw: rf"{a[0]} \odot {a[1]}", note=r"$\odot$ is the elementwise product.")
DIV = TensorOp("div", (2, 2), _binary("/", _divide), lambda a, kw: rf"{a[0]} \oslash {a[1]}",
               note=r"$\oslash$ is the elementwise quotient.")
NEG = TensorOp("neg", (1, 1), lambda args, kw: args[0].map(_negated), lambda a, kw: f"-{a[0]}")


def function_op(name: str, fn: Callable[[sp.Expr], sp.Expr], latex_name: str) -> TensorOp:
    """An elementwise function (``relu``, ``exp``): ``fn`` builds one element's expression."""
    def apply(args, kw) -> STensor:
        return args[0].map(fn)
    return TensorOp(name, (1, 1), apply, lambda a, kw: applied(latex_name, a[0]),
                    note="" if name in ("exp", "log", "sqrt", "abs", "square") else
                    f"${latex_name}$ acts on every element.")


def extremum_op(name: str, fn: Callable[..., sp.Expr]) -> TensorOp:
    """``max(A, B, …)`` / ``min``: elementwise over tensors of one (broadcast) shape; ties
    go to the first argument that attains the extremum."""
    def apply(args, kw) -> STensor:
        shape = args[0].shape
        for t in args[1:]:
            shape = broadcast_shape(shape, t.shape, name)
        ts = [broadcast_to(t, shape) for t in args]
        return STensor(shape, tuple(fn(*xs) for xs in zip(*(t.data for t in ts))))
    return TensorOp(name, (2, None), apply, lambda a, kw: applied(rf"\{name}", ", ".join(a)),
                    note=f"Elementwise {name}imum; at a tie the gradient goes to the first argument that "
                         f"attains it (PyTorch's torch.{name}imum shares it equally between them instead).")

#: The operations of this module called by name in expressions (found by :mod:`solver.ops.tensor`).
OPS: tuple[TensorOp, ...] = ()
