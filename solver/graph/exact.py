"""Exact numbers in a training run: a fraction that stays exact while its operands are
exact and small, and that mpmath takes as one of its own numbers (``_mpf_``) as soon as
it meets a rounded value or a transcendental function. Branches on exact values are
decided exactly (a pre-activation of exactly 0 stays 0, however many steps go by);
those on rounded values are decided by :func:`solver.ops.functions.positive`, which
refuses to guess within 1e-40 of a kink."""

from __future__ import annotations

import math
import operator
from fractions import Fraction
from functools import cached_property

import mpmath

from ..ops.functions import ARB, as_ball

#: Past this many bits in a numerator or denominator, a value is rounded to 50 digits
#: (exact fractions of a training run grow geometrically with the steps).
MAX_BITS = 1024


#: Roundings of the fractions met so far, by (numerator, denominator, precision): a
#: training run makes the same few exact values afresh at every step (-2(y - o) for a
#: target y of 0 or 1, a mean's 1/4 times them). A few thousand at most.
_ROUNDED: dict = {}


class Exact(Fraction):
    """A rational that keeps its type through exact arithmetic and hands itself to
    mpmath as a rounded number (at the working precision) otherwise."""

    @property
    def _mpf_(self):
        prec = mpmath.mp.prec  # a constant of a compiled run is rounded once per precision
        cached = self.__dict__.get("_rounded")
        if cached is None or cached[0] != prec:
            key = (self.numerator, self.denominator, prec)
            rounded = _ROUNDED.get(key)
            if rounded is None:
                if len(_ROUNDED) > 4096:
                    _ROUNDED.clear()
                rounded = _ROUNDED[key] = (mpmath.mpf(self.numerator) / self.denominator)._mpf_
            cached = self.__dict__["_rounded"] = (prec, rounded)
        return cached[1]

    @property
    def ball(self):
        """This number as an Arb ball: its rounding at the working precision, as ``_mpf_``'s
        (remembered for the run: a step makes the same few exact values afresh)."""
        key = (self.numerator, self.denominator)
        ball = _BALLS.get(key)
        if ball is None:
            if len(_BALLS) > 4096:
                _BALLS.clear()
            ball = _BALLS[key] = as_ball(self)
        return ball

    def __pow__(self, other):
        if isinstance(other, int):
            return Exact(Fraction.__pow__(self, other))
        return mpmath.mpf(self) ** other

    def __neg__(self):
        return Exact(-self.numerator, self.denominator)

    def __abs__(self):
        return Exact(abs(self.numerator), self.denominator)


class Fixed(Exact):
    """An :class:`Exact` that meets mpmath at one precision only (a training run's inputs,
    targets, hyper-parameters and constants, at the run's precision): its rounding, the
    same number as :class:`Exact`'s, is worked out the first time it is asked for and then
    kept as a plain attribute, which mpmath reads without a call (a 1,000-step XOR run
    converts such constants 130,000 times). Arithmetic on it gives an :class:`Exact`."""

    @cached_property
    def _mpf_(self):  # a non-data descriptor: once stored, the instance's own value is read
        return Exact._mpf_.fget(self)

    @cached_property
    def ball(self):
        return as_ball(self)


def fixed(value):
    """``value`` as a :class:`Fixed` rounded at the working precision (now), if it is an
    :class:`Exact`; anything else as it is."""
    if not isinstance(value, Exact):
        return value
    out = Fixed(value.numerator, value.denominator)
    out._mpf_  # noqa: B018 - rounded here, at the precision of the caller
    return out


def _keeping_exact(on_fractions, on_balls):
    """Fraction's operator ``on_fractions``, its Fraction result an :class:`Exact` again
    (Fraction's own operators make a plain Fraction; with an mpmath number they give way
    to mpmath); with an Arb ball, ``on_balls`` of this number's ball and the ball."""
    def op(self, other):
        kind = type(other)
        if kind is _MPF:  # Fraction's answer for an mpmath number, without asking it
            return NotImplemented
        if kind is ARB[0]:
            return on_balls(self.ball, other)
        value = on_fractions(self, other)
        return Exact(value) if isinstance(value, Fraction) else value
    return op


_MPF = type(mpmath.mpf(0))

#: Exact values as balls, by (numerator, denominator), at the precision of the run on balls
#: under way (emptied when one begins: :func:`forget_balls`).
_BALLS: dict = {}


def forget_balls() -> None:
    """Forget the exact values' balls (:attr:`Exact.ball`): a run on balls begins, maybe at
    another precision. A :class:`Fixed` keeps its own: it meets one precision only."""
    _BALLS.clear()


#: Each operator with the exact number's ball in place of the number (a reflected one reflected).
_BALL_OPERATORS = {"__add__": operator.add, "__radd__": lambda a, b: b + a, "__sub__": operator.sub,
                   "__rsub__": lambda a, b: b - a, "__mul__": operator.mul, "__rmul__": lambda a, b: b * a,
                   "__truediv__": operator.truediv, "__rtruediv__": lambda a, b: b / a}
for _name, _on_balls in _BALL_OPERATORS.items():
    setattr(Exact, _name, _keeping_exact(getattr(Fraction, _name), _on_balls))


def exact(value) -> Exact | mpmath.mpf:
    """A sympy Rational (or int) as :class:`Exact`; anything else as an mpmath number."""
    if isinstance(value, Exact):
        return value
    p, q = getattr(value, "p", None), getattr(value, "q", None)
    if p is not None and q is not None:
        return Exact(int(p), int(q))
    if isinstance(value, (int, Fraction)):
        return Exact(value)
    return value if isinstance(value, mpmath.mpf) else mpmath.mpf(value)


def bounded(value):
    """``value``, rounded to an mpmath number once it is an exact fraction too long to
    carry (more than :data:`MAX_BITS` bits); a :class:`Fixed` (an optimizer's line that is a
    hyper-parameter itself) as an :class:`Exact`, since what this keeps outlives the run
    and its precision."""
    if isinstance(value, Exact):
        if max(value.numerator.bit_length(), value.denominator.bit_length()) > MAX_BITS:
            return mpmath.mpf(value)
        if type(value) is Fixed:
            return Exact(value.numerator, value.denominator)
    return value


def exact_root(value) -> Exact | None:
    """The square root of an :class:`Exact` that is the square of a fraction (Adam's first
    step: √(g²) = |g|), else ``None``."""
    if isinstance(value, Exact) and value >= 0:
        n, d = math.isqrt(value.numerator), math.isqrt(value.denominator)
        if n * n == value.numerator and d * d == value.denominator:
            return Exact(n, d)
    return None


def sqrt(value):
    """The square root, exact for the square of a fraction (:func:`exact_root`)."""
    root = exact_root(value)
    return mpmath.sqrt(value) if root is None else root
