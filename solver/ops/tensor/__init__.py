"""Tensor operations of graph problems: one :class:`~.base.TensorOp` descriptor each, which
the expression grammar, the graph builder and the key all read.

* :mod:`.elementwise`: ``+ - * /`` with broadcasting, elementwise functions, ``max``/``min``
  of several tensors;
* :mod:`.linalg`: ``@``, ``transpose``, ``reshape``, ``flatten``, ``concat``;
* :mod:`.reduce`: ``sum``, ``mean``, ``var``, ``max``/``min`` along an axis, ``softmax``;
* :mod:`.conv`: ``conv2d``, ``maxpool2d``, ``avgpool2d``.

Each module lists the operations it adds to the grammar in ``OPS``; this package finds them.
"""

from __future__ import annotations

import sympy as sp

from ...core.registry import discover
from ..activations import ACTIVATIONS
from ..extremum import MaxOf, MinOf
from .base import (
    CELLS,
    Keyword,
    STensor,
    TensorError,
    TensorOp,
    from_nested,
    indices,
    nest,
    shape_text,
)
from .conv import out_size, settings_text
from .elementwise import ADD, DIV, MUL, NEG, SUB, extremum_op, function_op
from .linalg import MATMUL
from .reduce import extremum_reduction

#: Operations called by name in expressions, from every module's ``OPS`` (``max``/``min`` of
#: one tensor reduce it, of several compare them elementwise: see :data:`EXTREMA`). A new
#: operation is a descriptor in a module of this package, listed in its ``OPS``.
NAMED: dict[str, TensorOp] = {op.name: op for ops in discover(__name__, __path__, "OPS", lambda ops: 0)
                              for op in ops}
#: The operators of expressions.
OPERATORS: dict[str, TensorOp] = {"+": ADD, "-": SUB, "*": MUL, "/": DIV, "@": MATMUL, "neg": NEG}
#: ``max``/``min``: (reduction of one tensor, elementwise extremum of several).
EXTREMA: dict[str, tuple[TensorOp, TensorOp]] = {
    "max": (extremum_reduction("max", MaxOf), extremum_op("max", MaxOf)),
    "min": (extremum_reduction("min", MinOf), extremum_op("min", MinOf)),
}

_ELEMENTWISE = {
    "exp": (lambda x: sp.exp(x, evaluate=False), r"\exp"),
    "log": (lambda x: sp.log(x, evaluate=False), r"\log"),
    "abs": (lambda x: sp.Abs(x, evaluate=False), r"\operatorname{abs}"),
    "square": (lambda x: sp.Pow(x, 2, evaluate=False), r"\operatorname{square}"),
    "sqrt": (lambda x: sp.Pow(x, sp.Rational(1, 2), evaluate=False), r"\operatorname{sqrt}"),
}


def elementwise_function(name: str, params: dict | None = None) -> TensorOp | None:
    """The elementwise op of a function name (``exp``, or an activation with its
    parameters' values), or ``None`` for a name that is not one."""
    if name in _ELEMENTWISE:
        fn, tex = _ELEMENTWISE[name]
        return function_op(name, fn, tex)
    act = ACTIVATIONS.get(name)
    if act is None or act.in_graph() is None:
        return None
    build = act.in_graph()
    return function_op(act.key, lambda x: build(x, **(params or {})), act.latex)


def function_names() -> frozenset[str]:
    """Every function name of tensor expressions."""
    acts = {n for n, a in ACTIVATIONS.items() if a.in_graph() is not None}
    return frozenset(NAMED) | frozenset(EXTREMA) | frozenset(_ELEMENTWISE) | acts


__all__ = ["CELLS", "EXTREMA", "Keyword", "NAMED", "OPERATORS", "STensor", "TensorError", "TensorOp",
           "elementwise_function", "from_nested", "function_names", "indices", "nest", "out_size",
           "settings_text", "shape_text"]
