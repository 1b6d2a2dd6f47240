"""Exact zeros of sums of products of square roots, decided in rational arithmetic.

A bias before batch normalisation has ∂L/∂b = 0 exactly, while the terms of its float sum
are products of the batch's 1/√(σ² + ε) (:mod:`.residues`). Worked out again here, every
value is a *multi-quadratic surd* Σ_m c_m ∏_{n∈m} √n: rational coefficients ``c_m`` and
monomials ``m``, sets of integers ``n`` > 1 from which no square factor was found. Two
monomials multiply by the symmetric difference of their sets, the roots they share giving
their integers (√n·√n = n): the ring Q[x_n]/(x_n² − n), without sympy's re-examination of
every root's base at every product (two thirds of a recheck's time). Unlike sympy it does not
merge roots (√2·√3 stays the monomial {2, 3}, not √6), so its form is not a normal form.

Each √n is a symbol to this arithmetic, only √n² = n known about it: an identity worked out
so holds for any square roots of those integers, the true ones included (evaluating x_n at √n
is a ring homomorphism). A sum that comes out 0 is therefore exactly 0 (a proof); one that does
not is left to sympy, since different monomials can denote related numbers (√6 and √2·√3; a
square factor left unfound), so a non-zero result here proves nothing.
Values outside this arithmetic (a float, a root of a sum, a function, a comparison of roots)
raise :class:`Unsupported`.
"""

from __future__ import annotations

from fractions import Fraction
from math import isqrt

import sympy as sp

from .recheck_walk import RecheckWalk

#: The most monomials a value may have (beyond it, :class:`Unsupported`).
MOST_TERMS = 64
#: The largest integer power multiplied out.
LARGEST_POWER = 8
#: Square factors p² are looked for up to this p (then the rest tested for being a square).
_TRIAL = 1000

Surd = dict  # {frozenset of integers: Fraction}, no zero coefficient; {} is 0
_ONE = frozenset()


class Unsupported(Exception):
    """A value this arithmetic does not represent (see the module)."""


def rational(q: Fraction) -> Surd:
    return {_ONE: q} if q else {}


def add(a: Surd, b: Surd) -> Surd:
    out = dict(a)
    for m, c in b.items():
        _collect(out, m, c)
    return _capped(out)


def mul(a: Surd, b: Surd) -> Surd:
    out: Surd = {}
    for m1, c1 in a.items():
        for m2, c2 in b.items():
            c = c1 * c2
            for n in m1 & m2:
                c *= n
            _collect(out, m1 ^ m2, c)
    return _capped(out)


def _collect(out: Surd, m: frozenset, c: Fraction) -> None:
    """Add ``c`` to the coefficient of ``m`` in ``out``, dropping it where the sum is 0."""
    s = out.get(m, 0) + c
    if s:
        out[m] = s
    else:
        out.pop(m, None)


def power(a: Surd, k: int) -> Surd:
    """``a``^k for an integer k (a negative one only of a single monomial)."""
    v = value_of(a)
    if v is not None:
        if not v and k < 0:
            raise Unsupported("a negative power of 0")
        return rational(v ** k)
    if k < 0:
        if len(a) != 1:
            raise Unsupported("the inverse of a sum")
        (m, c), = a.items()
        root = 1
        for n in m:
            root *= n
        a, k = {m: 1 / (c * root)}, -k  # (c √r)⁻¹ = √r / (c r)
    if k > LARGEST_POWER:
        raise Unsupported("a power beyond LARGEST_POWER")
    out = rational(Fraction(1))
    for _ in range(k):
        out = mul(out, a)
    return out


def root(q: Fraction) -> Surd:
    """√q for a rational q ≥ 0: √(a/b) = √(ab)/b, square factors of ab taken out."""
    if q < 0:
        raise Unsupported("the root of a negative number")
    if not q:
        return {}
    n, coefficient = q.numerator * q.denominator, Fraction(1, q.denominator)
    p = 2
    while p <= _TRIAL and p * p <= n:
        while n % (p * p) == 0:
            n //= p * p
            coefficient *= p
        p += 1
    r = isqrt(n)
    if r * r == n:
        return rational(coefficient * r)
    return {frozenset((n,)): coefficient}


def value_of(a: Surd) -> Fraction | None:
    """``a`` as a rational, or ``None`` where it holds a root."""
    if not a:
        return Fraction(0)
    if len(a) == 1 and _ONE in a:
        return a[_ONE]
    return None


def _capped(a: Surd) -> Surd:
    if len(a) > MOST_TERMS:
        raise Unsupported("more than MOST_TERMS monomials")
    return a


class SurdEvaluation(RecheckWalk):
    """The values and adjoints of a graph at its exact leaf values, as surds (the walk of
    :class:`.recheck_walk.RecheckWalk`, in this arithmetic).

    Args:
        graph: the graph; local: its local derivatives found so far (``(child, parent)`` →
            an object with a ``formula``).
    """

    def is_zero(self, key: str) -> bool:
        """Whether ∂L/∂key is exactly 0 (``False``: not shown to be).

        Raises:
            Unsupported: a value outside this arithmetic.
        """
        return not self._adjoint(key)

    def _one(self) -> Surd:
        return rational(Fraction(1))

    def _number(self, x) -> Surd:
        if isinstance(x, sp.Rational):
            return rational(Fraction(int(x.p), int(x.q)))
        raise Unsupported(f"not an exact rational: {type(x).__name__}")

    def _times(self, adjoint: Surd, local: Surd) -> Surd:
        return mul(adjoint, local)

    def _total(self, terms: list) -> Surd:
        out: Surd = {}
        for t in terms:
            out = add(out, t)
        return out

    def _made(self, expr: sp.Expr) -> Surd:
        if expr.is_Add or expr.is_Mul:
            op = add if expr.is_Add else mul
            out = self._at(expr.args[0])
            for a in expr.args[1:]:
                out = op(out, self._at(a))
            return out
        if expr.is_Pow and expr.exp.is_Rational:
            base, (p, q) = self._at(expr.base), (int(expr.exp.p), int(expr.exp.q))
            if q == 1:
                return power(base, p)
            rq = value_of(base)
            if q != 2 or rq is None:
                raise Unsupported("a root of a sum, or not a square root")
            if not rq:
                if p < 0:
                    raise Unsupported("a negative power of 0")
                return {}
            return mul(rational(rq ** ((p - 1) // 2)), root(rq))  # q^{p/2} = q^{(p-1)/2} √q
        if isinstance(expr, (sp.Abs, sp.Max, sp.Min)):
            vals = [self._rational(a) for a in expr.args]
            return rational(abs(vals[0]) if isinstance(expr, sp.Abs) else max(vals) if isinstance(expr, sp.Max)
                            else min(vals))
        raise Unsupported(f"an expression of type {type(expr).__name__}")

    def _comparable(self, expr: sp.Expr) -> sp.Rational:
        v = self._rational(expr)
        return sp.Rational(v.numerator, v.denominator)

    def _rational(self, expr: sp.Expr) -> Fraction:
        v = value_of(self._at(expr))
        if v is None:
            raise Unsupported("a comparison of roots")
        return v
