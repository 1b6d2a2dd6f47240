"""Whether any weights classify every example of a perceptron's unit, decided exactly, with a
certificate either way.

A unit ŷ = f(z), z = w·x + b (f a step or sign, f(0) its own convention) classifies example
n correctly when z⁽ⁿ⁾ has a sign that f sends to its target: z > 0, z ≥ 0, z < 0, z ≤ 0 or
z = 0 (the *condition* of the example). The conditions are linear in θ = (w, b) and
homogeneous; written sₙ z⁽ⁿ⁾ ≥ 0 or > 0 (sₙ = ±1), Fourier–Motzkin elimination (Motzkin,
1936; Schrijver, *Theory of Linear and Integer Programming*, 1986, §12.2) removes one
weight after another, each new inequality a positive combination of two others, strict when
either is, and each carrying its multipliers of the examples' conditions. With every weight
gone, what is left compares 0 with 0:

* ``0 > 0`` somewhere: its multipliers kₙ give Σ kₙ z⁽ⁿ⁾ = 0 for every w and b while the
  conditions make each term kₙ z⁽ⁿ⁾ ≥ 0 and one of them > 0 (Motzkin's transposition
  theorem): no weights classify every example, and a reader can check why by hand.
* otherwise the conditions hold together, and back-substitution through the eliminations
  (each weight chosen between the bounds the later ones leave it) gives weights that
  classify every example, scaled to the smallest integers (the conditions are homogeneous).

Both results are checked here in exact rational arithmetic before they are returned. The
elimination can square the number of inequalities at each step; past :data:`MAX_ROWS` it
stops and the verdict is ``None`` (the key then says nothing about separability): the
perceptron problems of a course (a handful of inputs and examples) stay far below it. An
exact linear program would be the library's way; sympy's simplex (1.14) returns points that
violate its constraints on this very problem (sympy issue 28089), and exact LP libraries
(pycddlib) need GMP and cddlib built from source.
"""

from __future__ import annotations

from fractions import Fraction
from functools import reduce
from math import gcd, lcm

import msgspec
import sympy as sp

#: A condition on z, by the signs f sends to the target: the relation z bears to 0.
RELATIONS = {frozenset({1}): ">", frozenset({1, 0}): r"\ge", frozenset({-1}): "<", frozenset({-1, 0}): r"\le",
             frozenset({0}): "="}
#: Inequalities at most in any step of the elimination.
MAX_ROWS = 4096


class Separability(msgspec.Struct, frozen=True):
    """The verdict on a unit's examples.

    Attributes:
        relations: per example, the relation z⁽ⁿ⁾ must bear to 0 (``">"``, ``"\\ge"``, ``"<"``,
            ``"\\le"``, ``"="``), or ``None`` where f never gives the target.
        rows: per example, the coefficients of z⁽ⁿ⁾ = w·x⁽ⁿ⁾ + b in (w₁ … wₖ, b) (no b
            column for a unit without bias), exact.
        weights, bias: integer weights that classify every example (``None`` when none do).
        margin: those weights leave no example on z = 0.
        multipliers: when no weights do, integers kₙ with Σ kₙ z⁽ⁿ⁾ ≡ 0 whose terms the
            conditions make ≥ 0, one > 0 (``None`` when some weights do).
    """

    relations: tuple
    rows: tuple
    weights: tuple | None = None
    bias: sp.Integer | None = None
    margin: bool = False
    multipliers: tuple | None = None

    @property
    def separable(self) -> bool:
        return self.weights is not None


def separability(unit) -> Separability | None:
    """The exact verdict on ``unit``'s examples (:class:`~.learning_rules.Unit`, a step or
    sign): integer weights that classify them all, or the multipliers that prove none do;
    ``None`` when the elimination would pass :data:`MAX_ROWS` inequalities."""
    has_bias = unit.bias is not None
    rows = tuple(tuple(Fraction(str(v)) for v in x) + ((Fraction(1),) if has_bias else ()) for x in unit.examples)
    relations = tuple(RELATIONS.get(frozenset(s for s in (1, 0, -1) if unit.f(sp.Integer(s)) == y))
                      for y in unit.targets)
    exact = tuple(tuple(sp.Rational(c.numerator, c.denominator) for c in row) for row in rows)
    if None in relations:  # a target f never gives: that example alone is the proof
        return Separability(relations, exact, multipliers=tuple(int(r is None) for r in relations))
    for margin in (True, False):  # weights that leave no example on z = 0, where there are any
        if margin and "=" in relations:
            continue
        found = _solve(rows, relations, margin)
        if found is None:
            return None
        kind, values = found
        if kind == "weights":
            z = [sum(c * t for c, t in zip(row, values)) for row in rows]
            if not all(_holds(v, r) for v, r in zip(z, relations)):
                raise ArithmeticError("separability: the weights found do not classify every example")  # a bug
            w = tuple(sp.Integer(t) for t in values)
            return Separability(relations, exact, w[:-1] if has_bias else w, w[-1] if has_bias else None,
                                margin=all(v != 0 for v in z))
        if not margin or all(r in (">", "<") for r in relations):
            if any(sum(m * row[j] for m, row in zip(values, rows)) for j in range(len(rows[0]))):
                raise ArithmeticError("separability: the multipliers do not cancel")  # a bug, never the input
            return Separability(relations, exact, multipliers=values)
    raise AssertionError("unreachable: the conditions without a margin give weights or a proof")


def _solve(rows, relations, margin: bool) -> tuple | None:
    """Fourier–Motzkin on the examples' conditions (every one strict but ``=`` with
    ``margin``): ``("weights", θ)`` in integers, ``("proof", k)`` the integer multipliers of
    a contradiction, or ``None`` past :data:`MAX_ROWS`. The weight eliminated next is the one
    that makes the fewest new rows; each row is kept as its smallest integer multiple, and
    a row met twice once (strict where either is)."""
    start = []  # (coefficients, strict, multipliers): coefficients·θ ≥ 0 (> 0 when strict)
    for n, (row, r) in enumerate(zip(rows, relations)):
        for sign in {">": (1,), r"\ge": (1,), "<": (-1,), r"\le": (-1,), "=": (1, -1)}[r]:
            k = [Fraction(0)] * len(rows)
            k[n] = Fraction(sign)
            start.append((tuple(sign * c for c in row), r in (">", "<") or (margin and r != "="), tuple(k)))
    system, levels, left = _tidy(start), [], list(range(len(rows[0])))
    while True:
        if isinstance(system, tuple):  # 0 > 0: a contradiction
            return "proof", _integers(system)
        if not left:
            return "weights", _integers(_back_substitute(levels, len(rows[0])))
        j = min(left, key=lambda i: sum(r[0][i] > 0 for r in system) * sum(r[0][i] < 0 for r in system))
        left.remove(j)
        levels.append((j, system))
        system = _eliminate(system, j, last=not left)
        if system is None:
            return None


def _tidy(system: list) -> list | tuple:
    """``system`` with each row its smallest integer multiple, each row once (strict where any
    copy is), rows 0 ≥ 0 dropped; the multipliers of a row 0 > 0 instead, when there is one."""
    out: dict = {}
    for coeffs, strict, k in system:
        if not any(coeffs):
            if strict:
                return k
            continue
        scale = reduce(lcm, (c.denominator for c in coeffs), 1)
        ints = [int(c * scale) for c in coeffs]
        common = reduce(gcd, ints, 0)
        key = tuple(Fraction(v // common) for v in ints)
        factor = Fraction(scale, common)
        if key not in out or (strict and not out[key][1]):
            out[key] = (key, strict, tuple(factor * m for m in k))
    return list(out.values())


def _eliminate(system: list, j: int, last: bool) -> list | tuple | None:
    """The system without θⱼ: rows without it kept, and each row with θⱼ > 0 added to each
    with θⱼ < 0, scaled so θⱼ cancels (``None`` past :data:`MAX_ROWS`). For the ``last``
    weight only whether some such sum is 0 > 0 matters: one pair with a strict row."""
    pos = [r for r in system if r[0][j] > 0]
    neg = [r for r in system if r[0][j] < 0]
    out = [r for r in system if r[0][j] == 0]
    if last:
        pairs = [(a, b) for a in pos[:1] + [r for r in pos if r[1]][:1] for b in neg[:1] + [r for r in neg if r[1]][:1]]
    elif len(out) + len(pos) * len(neg) > MAX_ROWS:
        return None
    else:
        pairs = [(a, b) for a in pos for b in neg]
    for (a, sa, ka), (b, sb, kb) in pairs:
        p, q = -b[j], a[j]  # p·a + q·b has 0 at j
        out.append((tuple(p * x + q * y for x, y in zip(a, b)), sa or sb, tuple(p * x + q * y for x, y in zip(ka, kb))))
    return _tidy(out)


def _back_substitute(levels: list, size: int) -> list:
    """θ chosen in the reverse order of the elimination: each θⱼ between the lower and upper
    bounds that the rows of its level (where the weights eliminated before it are gone) leave
    it, given the values of those eliminated after it: the integer nearest 0 in that
    interval where there is one, else its midpoint."""
    theta = [Fraction(0)] * size
    for j, system in reversed(levels):
        low, high = (None, False), (None, False)  # (bound, strict)
        for coeffs, strict, _ in system:
            if coeffs[j] == 0:
                continue
            rest = sum(c * t for i, (c, t) in enumerate(zip(coeffs, theta)) if i != j)
            bound = -rest / coeffs[j]
            if coeffs[j] > 0 and (low[0] is None or bound > low[0] or (bound == low[0] and strict)):
                low = (bound, strict)
            if coeffs[j] < 0 and (high[0] is None or bound < high[0] or (bound == high[0] and strict)):
                high = (bound, strict)
        theta[j] = _between(low, high)
    return theta


def _between(low: tuple, high: tuple) -> Fraction:
    """A number within (or on, where not strict) the bounds: the integer nearest 0 there, or
    the midpoint of an interval without one."""
    def ok(v):
        return ((low[0] is None or v > low[0] or (v == low[0] and not low[1]))
                and (high[0] is None or v < high[0] or (v == high[0] and not high[1])))
    anchor = 0 if ok(Fraction(0)) else low[0] if low[0] is not None and low[0] >= 0 else high[0]
    for v in sorted({Fraction(int(anchor) + d) for d in (-1, 0, 1, 2)}, key=abs):
        if ok(v):
            return v
    return (low[0] + high[0]) / 2


def _integers(values) -> tuple:
    """Rationals scaled by one positive factor to the smallest integers of the same ratios."""
    fr = [Fraction(v) for v in values]
    scale = reduce(lcm, (v.denominator for v in fr), 1)
    ints = [int(v * scale) for v in fr]
    common = reduce(gcd, ints, 0) or 1
    return tuple(v // common for v in ints)


def _holds(z, relation: str) -> bool:
    return {">": z > 0, r"\ge": z >= 0, "<": z < 0, r"\le": z <= 0, "=": z == 0}[relation]
