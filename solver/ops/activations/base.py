"""The descriptor of an activation: everything the other stages read about it.

An activation is added by one module in this package defining ``ACTIVATION`` (an
:class:`Activation`); the package finds it by itself (:mod:`solver.ops.activations`).
Its sympy functions (subclasses of :class:`~solver.ops.functions.OpFunctionBase`) carry
their LaTeX, their numeric twins and their kink conventions.
"""

from __future__ import annotations

from typing import Callable

import msgspec
import sympy as sp
from msgspec import field

from ..params import Param

#: Where an activation may appear: a hidden layer, the output layer, a graph expression.
EVERYWHERE = frozenset({"hidden", "output", "graph"})


class Activation(msgspec.Struct, frozen=True):
    """An activation function.

    Attributes:
        key: its name in problem files (``relu``); ``aliases`` are other accepted names.
        title: its name in the key's prose (``ReLU``).
        build: ``(z, **params) -> sympy expression`` of the activation of one
            pre-activation; ``None`` for the identity (no node is added) and for softmax
            (it acts on a whole layer).
        latex: its name in matrix formulas (``\\operatorname{ReLU}``); ``prime`` its
            derivative's (``\\operatorname{ReLU}'``).
        definition: the LaTeX line defining it, printed once before its first use
            (``""``: none); ``define`` gives the line with the parameters' values
            (LaTeX strings by parameter name) where it depends on them.
        params: its parameters (a leaky ReLU's slope), with defaults.
        where: where it may appear (``hidden``, ``output``, ``graph``).
        elementwise: False for softmax, which acts on a vector.
        source: where its formula and conventions come from.
        order: where it stands in lists (the schema, the README); then by name.
    """

    key: str
    title: str
    build: Callable[..., sp.Expr] | None
    latex: str
    prime: str = ""
    definition: str = ""
    define: Callable[[dict], str] | None = None
    params: tuple[Param, ...] = ()
    aliases: tuple[str, ...] = ()
    where: frozenset = EVERYWHERE
    elementwise: bool = True
    source: str = ""
    graph_build: Callable[..., sp.Expr] | None = field(default=None)
    order: int = 100

    @property
    def identity(self) -> bool:
        """True for the identity (a linear layer adds no activation node)."""
        return self.build is None and self.elementwise

    def definition_for(self, values: dict) -> str:
        """The definition line with the parameters' values (LaTeX strings by name)."""
        return self.define(values) if self.define is not None else self.definition

    def in_graph(self) -> Callable[..., sp.Expr] | None:
        """The builder used in graph expressions (``None`` where it may not appear)."""
        if "graph" not in self.where:
            return None
        return self.graph_build or self.build
