"""Exact zeros where a float sum cancels: a gradient that is exactly 0, computed in
50-digit floats, comes out as a rounding residue (≈ 10⁻⁵¹) instead.

A bias before batch normalisation is the common case: normalising removes any shift of
its input, so ∂L/∂b = Σₙ ∂L/∂zₙ = 0 exactly, while the terms are irrational (the batch's
1/√(σ² + ε)) and their float sum is not 0. Reverse accumulation asks :class:`Recheck` for
the adjoint of a sum that cancelled to within its rounding error, worked out again
exactly (sympy's algebraic and transcendental numbers, every value and local derivative
below the node evaluated without rounding, each sum expanded), and

- an exact 0 is 0 (sympy's arithmetic is exact: this is a proof);
- any other value is rounded from its exact value by sympy's evalf, which raises its
  precision until the digits are right;
- a value evalf cannot tell from 0 at its highest precision (some 200 digits: an ``exp``
  sympy does not simplify, such as Σ softmax − 1) is taken as 0.
"""

from __future__ import annotations

from collections.abc import Callable

import mpmath
import sympy as sp
from sympy.core.evalf import PrecisionExhausted

from ..core.numbers import DIGITS, normalize
from ..ops.functions import ARB
from . import balls
from .model import Graph

#: A float sum whose magnitude is below this fraction of its largest term lost all its digits
#: (50 significant digits are carried; 10⁻⁴⁵ leaves five for the rounding of each term).
CANCELLED = sp.Float(10, DIGITS) ** -45
#: The most nodes whose exact values a recheck works out (beyond it, the float sum stands).
MOST_NODES = 2000
#: A sum under 2^TINY_BITS (about 8e-31) is looked at again (:func:`cancelled`,
#: :func:`rounding_only`): the residue of terms up to 1e19 in magnitude.
TINY_BITS = -100


def cancelled(total: sp.Expr, products: list) -> bool:
    """Whether ``total`` (a float Σ a·b over ``products``) is no more than rounding: not 0,
    under 2^TINY_BITS (the test of an exponent that keeps this off every other sum's
    path), and under :data:`CANCELLED` times the largest term. (A float sum that cancels
    to 0 exactly is sympy's exact 0 and stands: a value that small that is not 0 does not
    arise from a problem's own numbers, and rechecking the many such sums of softmax
    outputs would cost more than a whole key.)"""
    if not isinstance(total, sp.Float) or len(products) < 2:
        return False
    _, mantissa, exponent, bits = total._mpf_
    if not mantissa or exponent + bits > TINY_BITS:
        return False
    largest = max(abs(a * b) for a, b in products)
    return bool(abs(total) < largest * CANCELLED)


class Recheck:
    """The exact values and adjoints of one graph, worked out on demand (each once).

    Args:
        graph: the graph.
        local: the local derivatives found so far (those of the edges below a node are found
            before its adjoint is summed).
    """

    def __init__(self, graph: Graph, local: dict):
        self.graph, self.local = graph, local
        self.values: dict[str, sp.Expr] = {}
        self.adjoints: dict[str, sp.Expr] = {graph.loss: sp.Integer(1)}
        self.memo: dict = {}

    def adjoint(self, key: str, rounded: sp.Expr) -> sp.Expr:
        """∂L/∂key from its exact value: 0 when that is 0, else its rounding to the digits
        carried (sympy's evalf, which raises its precision until the digits are right);
        0 too when evalf cannot tell it from 0 at its highest precision (an ``exp`` that
        sympy does not simplify); ``rounded`` (the float sum) where the recheck cannot be
        made (a comparison sympy cannot decide, a graph of more than :data:`MOST_NODES`)."""
        if len(self.graph.nodes) > MOST_NODES:
            return rounded
        try:
            exact = self._adjoint(key)
        except TypeError:  # a comparison sympy could not decide exactly: the float sum stands
            return rounded
        if exact == 0:
            return sp.Integer(0)
        try:
            return normalize(exact.evalf(DIGITS + 10, strict=True))
        except PrecisionExhausted:  # equal to 0 to some 200 digits
            return sp.Integer(0)

    def _adjoint(self, key: str) -> sp.Expr:
        out = self.adjoints.get(key)
        if out is None:
            terms = [self._adjoint(c) * self._exact(self.local[(c, key)].formula)
                     for c in self.graph.children[key] if c in self.graph.relevant]
            out = self.adjoints[key] = sp.expand(sp.Add(*terms))
        return out

    def _value(self, key: str) -> sp.Expr:
        out = self.values.get(key)
        if out is None:
            node = self.graph.by_key[key]
            out = self.values[key] = node.value if node.is_leaf else self._exact(node.expr)
        return out

    def _exact(self, expr: sp.Expr) -> sp.Expr:
        """``expr`` at the exact values, expanded (a canonical sum of products of roots)."""
        if expr.is_Symbol:
            return self._value(expr.name)
        if expr.is_Number:
            return expr
        out = self.memo.get(expr)
        if out is None:
            if isinstance(expr, sp.Piecewise):
                out = next(self._exact(piece) for piece, cond in expr.args if self._holds(cond))
            else:
                out = sp.expand(expr.func(*[self._exact(a) for a in expr.args]))
            self.memo[expr] = out
        return out

    def _holds(self, condition) -> bool:
        if condition in (sp.true, sp.false):
            return bool(condition)
        if isinstance(condition, sp.core.relational.Relational):
            return bool(condition.func(self._exact(condition.lhs), self._exact(condition.rhs)))
        return bool(condition.func(*[sp.true if self._holds(c) else sp.false for c in condition.args]))


def rounding_only(gradient, terms: Callable[[], list]) -> bool:
    """Whether a training run's rounded ``gradient`` (an mpmath number or an Arb ball, the
    sum of two or more ``terms()``) is within the rounding of terms that cancel: under
    :data:`CANCELLED` times the largest term, a rounded 0 included. The run then takes it
    as an exact 0. Its parameters are rounded numbers, at which the exact gradient is not
    worked out (a recheck at every step would cost more than the run); a value under its
    own rounding error has no significant digit, and 0 is the value that error admits
    which the exact run carries where the terms cancel by structure (a bias before batch
    normalisation, a bias shared by a softmax's logits). Balls and mpmath, whose residues
    differ (a ball of 1e-52 where mpmath's sum is 0.0), so agree. An exact gradient is
    never looked at."""
    if not _tiny(gradient):
        return False
    parts = terms()
    if len(parts) < 2:
        return False
    value = abs(mpmath.mpf(balls.plain(gradient)))
    return not value or bool(value < max(abs(mpmath.mpf(balls.plain(t))) for t in parts) * mpmath.mpf(CANCELLED))


def _tiny(value) -> bool:
    """Whether ``value`` is a rounded number (mpmath's, or a ball) under 2^TINY_BITS, 0
    included: a test of its exponent, at every step for every parameter (no arithmetic)."""
    if type(value) is mpmath.mpf:
        _, mantissa, exponent, bits = value._mpf_
        return not mantissa or exponent + bits <= TINY_BITS
    arb = ARB[0]
    if arb is not None and type(value) is arb:
        if not _TINY_BALL:
            _TINY_BALL.append(arb(2) ** TINY_BITS)
        return bool(abs(value) < _TINY_BALL[0]) or value.is_zero()
    return False


_TINY_BALL: list = []  # 2^TINY_BITS as a ball, made by the first run on balls
