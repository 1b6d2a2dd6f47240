"""Exact zeros where a float sum cancels: a gradient that is exactly 0, computed in
50-digit floats, comes out as a rounding residue (≈ 10⁻⁵¹) instead.

A bias before batch normalisation is the common case: normalising removes any shift of
its input, so ∂L/∂b = Σₙ ∂L/∂zₙ = 0 exactly, while the terms are irrational (the batch's
1/√(σ² + ε)) and their float sum is not 0. Reverse accumulation asks :class:`Recheck` for
the adjoint of a sum that cancelled to within its rounding error, worked out again
exactly where every value below it is algebraic (sympy, each sum expanded), and

- an exact 0 is 0: shown first in rational arithmetic where every value is a sum of products
  of square roots of rationals (:mod:`.surds`), else by sympy (both exact: this is a proof);
- any other exact value is rounded from itself by sympy's evalf;
- where a value is not algebraic (an ``exp``: sympy cannot always tell such a sum from 0)
  or its exact form grows large, the sum is made again in 200-digit floats, and taken as 0
  when it is below 10⁻¹⁹⁰ of its largest term, else rounded from those digits.

A training run takes a gradient within the rounding of its cancelling terms as 0
(:func:`rounding_only`).
"""

from __future__ import annotations

from collections.abc import Callable

import mpmath
import sympy as sp
from sympy.core.evalf import PrecisionExhausted

from ..core.numbers import DIGITS, normalize
from ..ops.functions import ARB
from . import balls
from .exact_sums import exact_product, exact_sum
from .model import Graph
from .recheck_walk import RecheckWalk
from .surds import SurdEvaluation, Unsupported

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
    if not isinstance(total, sp.Float) or not total or len(products) < 2 or not _small(total._mpf_):
        return False
    largest = max(abs(a * b) for a, b in products)
    return bool(abs(total) < largest * CANCELLED)


class Recheck:
    """The adjoints of one graph worked out again where a float sum cancelled: exactly
    where every value is algebraic, else in 200-digit floats (each value once).

    Args:
        graph: the graph.
        local: the local derivatives found so far (those of the edges below a node are found
            before its adjoint is summed).
    """

    def __init__(self, graph: Graph, local: dict):
        self.graph = graph
        self.surds = SurdEvaluation(graph, local)
        self.exact = _Evaluation(graph, local, None)
        self.precise = _Evaluation(graph, local, PRECISE)

    def adjoint(self, key: str, rounded: sp.Expr) -> sp.Expr:
        """∂L/∂key: 0 when its exact value is 0; else that value's rounding to the digits
        carried (sympy's evalf). Where a value is not algebraic (an ``exp``) or its exact
        form grows past :data:`MOST_TERMS` terms, the sum is made again in
        :data:`PRECISE`-digit floats: under 10^-(PRECISE - 10) times its largest term it is
        taken as 0 (it cannot be told from 0), else rounded from those digits. ``rounded``
        (the float sum) stands beyond :data:`MOST_NODES` nodes."""
        if len(self.graph.nodes) > MOST_NODES:
            return rounded
        try:  # a proof of 0 in rational arithmetic first (:mod:`.surds`); anything else as below
            if self.surds.is_zero(key):
                return sp.Integer(0)
        except (Unsupported, TypeError, ValueError, ArithmeticError, StopIteration):
            pass  # (TypeError: a condition that is not a comparison, as the exact path below)
        try:
            exact = _expanded(sp.Add(*self.exact.terms(key)))
            return sp.Integer(0) if exact == 0 else normalize(exact.evalf(DIGITS + 10, strict=True))
        except (_Beyond, PrecisionExhausted, TypeError, ValueError, ArithmeticError, StopIteration):
            pass  # not algebraic, too large, or a comparison sympy could not decide exactly
        try:
            terms = self.precise.terms(key)
            total = sp.Add(*terms)
            largest = max((abs(t) for t in terms), default=sp.Integer(0))
            return sp.Integer(0) if bool(abs(total) <= largest * _INDISTINCT) else normalize(total)
        except (TypeError, ValueError, ArithmeticError, StopIteration):  # a value with no number
            return rounded


#: The digits of the recheck's floats, and below what fraction of its largest term a sum of
#: them cannot be told from 0.
PRECISE = 4 * DIGITS
_INDISTINCT = sp.Float(10, PRECISE) ** (10 - PRECISE)
#: The most terms an exact value's expanded form may have (beyond it, floats decide).
MOST_TERMS = 64


def _expanded(value: sp.Expr) -> sp.Expr:
    """``value`` with its products distributed over its sums and its integer powers of sums
    multiplied out: what sympy's ``expand`` gives (a test checks it on sums of roots), done
    directly for the sums, products and positive integer powers of sums that the recheck's
    values are made of (a product of sums term by term, collected after each factor: 0.3×
    the time of ``expand``'s walk through its hints); any other node (a power of a sum with
    another exponent, a product holding a factor that is not :func:`_plain`, a function) by
    sympy's ``expand`` itself, with the hints that apply to these values (not powers of
    products, exponents or logarithms, which would only walk the tree again to find nothing)."""
    if value.is_Atom or (value.is_Pow and value.base.is_Rational):  # a number, or a root of one
        return value
    if value.is_Add:
        terms = [_expanded(t) for t in value.args]
        return value if all(a is b for a, b in zip(terms, value.args)) else sp.Add(*terms)
    if value.is_Mul and all(_plain(f) for f in value.args):
        factors = [_expanded(f) for f in value.args]
        if any(f.is_Add for f in factors):
            return _distributed(factors)
        return sp.Mul(*factors)  # made again: a power's product (√2·2^{3/4}) is combined only so
    if _power_of_sum(value):
        return _distributed([_expanded(value.base)] * int(value.exp))
    return sp.expand(value, power_base=False, power_exp=False, log=False)


def _power_of_sum(value: sp.Expr) -> bool:
    """A sum to a positive integer power up to :data:`_LARGEST_POWER`."""
    return value.is_Pow and value.base.is_Add and value.exp.is_Integer and 1 < value.exp <= _LARGEST_POWER


def _plain(factor: sp.Expr) -> bool:
    """A factor :func:`_expanded` multiplies out itself: a number or its square root, a sum,
    a sum's power (:func:`_power_of_sum`). Any other (a denominator that is not a number, whose
    numerator and denominator sympy expands apart; a root of a sum; a higher root, whose
    product with others sympy writes in a form that depends on the order they are combined
    in; a function) leaves the whole product to sympy."""
    return factor.is_Atom or factor.is_Add or _power_of_sum(factor) or (
        factor.is_Pow and factor.base.is_Rational and getattr(factor.exp, "q", None) == 2)


#: The largest power of a sum multiplied out factor by factor (beyond it, sympy's expand).
_LARGEST_POWER = 8


def _distributed(factors: list[sp.Expr]) -> sp.Expr:
    """The product of ``factors`` (each expanded) as one sum of products: term by term, the
    like terms collected after each factor."""
    terms: tuple = (sp.Integer(1),)
    for f in factors:
        terms = sp.Add.make_args(sp.Add(*[t * u for t in terms for u in sp.Add.make_args(f)]))
    return sp.Add(*terms)


class _Beyond(Exception):
    """A value the exact recheck does not take: not algebraic, or too large."""


class _Evaluation(RecheckWalk):
    """Values and adjoints at the graph's exact leaf values: exact and expanded (``digits``
    ``None``: only sums, products, rational powers, ``Abs``, ``Max``, ``Min`` and pieces),
    or in ``digits``-digit floats."""

    def __init__(self, graph: Graph, local: dict, digits: int | None):
        self.digits = digits
        super().__init__(graph, local)

    def _one(self) -> sp.Expr:
        return sp.Integer(1)

    def _number(self, x: sp.Expr) -> sp.Expr:
        return x

    def _times(self, adjoint: sp.Expr, local: sp.Expr) -> sp.Expr:
        return adjoint * local

    def _total(self, terms: list) -> sp.Expr:
        return self._sum(sp.Add(*terms))

    def _comparable(self, expr: sp.Expr) -> sp.Expr:
        return self._at(expr)

    def _made(self, expr: sp.Expr) -> sp.Expr:
        if self.digits is None:
            if not (expr.is_Add or expr.is_Mul or isinstance(expr, (sp.Abs, sp.Max, sp.Min))
                    or (expr.is_Pow and expr.exp.is_Rational)):
                raise _Beyond
            args = [self._at(a) for a in expr.args]
            if (expr.is_Add or expr.is_Mul) and all(isinstance(a, sp.Rational) for a in args):
                return exact_sum(args) if expr.is_Add else exact_product(args)  # no expand to do
            return self._sum(expr.func(*args))
        out = expr.func(*[self._at(a) for a in expr.args])
        return out if out.is_Number else out.evalf(self.digits)

    def _sum(self, value: sp.Expr) -> sp.Expr:
        """An exact value expanded (a canonical sum of products of roots), within
        :data:`MOST_TERMS`; a float as it is."""
        if self.digits is not None or value.is_Rational:
            return value
        value = _expanded(value)
        if value.is_Add and len(value.args) > MOST_TERMS:
            raise _Beyond
        return value


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
        return _small(value._mpf_)
    arb = ARB[0]
    if arb is not None and type(value) is arb:
        if not _TINY_BALL:
            _TINY_BALL.append(arb(2) ** TINY_BITS)
        return bool(abs(value) < _TINY_BALL[0]) or value.is_zero()
    return False


_TINY_BALL: list = []  # 2^TINY_BITS as a ball, made by the first run on balls


def _small(mpf: tuple) -> bool:
    """Whether a number given as mpmath's ``_mpf_`` (sympy's Float has one too) is 0 or under
    2^TINY_BITS: its exponent, no arithmetic."""
    _, mantissa, exponent, bits = mpf
    return not mantissa or exponent + bits <= TINY_BITS
