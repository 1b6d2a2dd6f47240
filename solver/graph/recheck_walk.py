"""The walk that the exact recheck's evaluations share (:mod:`.residues`, :mod:`.surds`): a
graph's values and adjoints at its leaf values worked out again, in some arithmetic, each
once. Reverse accumulation over the children that reach the loss; each formula's value kept
by expression; a ``Piecewise`` takes its first piece whose condition holds."""

from __future__ import annotations

import sympy as sp

from .model import Graph


class RecheckWalk:
    """Values and adjoints of ``graph`` in the arithmetic a subclass gives: :meth:`_one` (the
    loss's adjoint), :meth:`_number` (a leaf's or a formula's number), :meth:`_times` and
    :meth:`_total` (a term ∂L/∂c · ∂c/∂key, and ∂L/∂key from its terms), :meth:`_made` (any
    other node of a formula, from its arguments' values) and :meth:`_comparable` (a value that
    a condition compares).

    Args:
        graph: the graph; local: its local derivatives found so far (``(child, parent)`` →
            an object with a ``formula``; those of the edges below a node are found before
            its adjoint is summed).
    """

    def __init__(self, graph: Graph, local: dict):
        self.graph, self.local = graph, local
        self.values: dict = {}
        self.adjoints: dict = {graph.loss: self._one()}
        self.memo: dict = {}

    def terms(self, key: str) -> list:
        """The terms ∂L/∂c · ∂c/∂key of ∂L/∂key."""
        return [self._times(self._adjoint(c), self._at(self.local[(c, key)].formula))
                for c in self.graph.children[key] if c in self.graph.relevant]

    def _adjoint(self, key: str):
        out = self.adjoints.get(key)
        if out is None:
            out = self.adjoints[key] = self._total(self.terms(key))
        return out

    def _value(self, key: str):
        out = self.values.get(key)
        if out is None:
            node = self.graph.by_key[key]
            out = self.values[key] = self._number(node.value) if node.is_leaf else self._at(node.expr)
        return out

    def _at(self, expr: sp.Expr):
        """``expr`` at the values (memoised by expression)."""
        if expr.is_Symbol:
            return self._value(expr.name)
        if expr.is_Number:
            return self._number(expr)
        out = self.memo.get(expr)
        if out is None:
            if isinstance(expr, sp.Piecewise):
                out = next(self._at(piece) for piece, cond in expr.args if self._holds(cond))
            else:
                out = self._made(expr)
            self.memo[expr] = out
        return out

    def _holds(self, condition) -> bool:
        if condition in (sp.true, sp.false):
            return bool(condition)
        if isinstance(condition, sp.core.relational.Relational):
            return bool(condition.func(self._comparable(condition.lhs), self._comparable(condition.rhs)))
        return bool(condition.func(*[sp.true if self._holds(c) else sp.false for c in condition.args]))
