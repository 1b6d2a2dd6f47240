"""Sums and products of numbers as sympy's ``Add`` and ``Mul`` give them, without the rest
of their flattening: exact rationals in integers, floats folded in order."""

from __future__ import annotations

from functools import reduce
from math import gcd

import sympy as sp

#: What a value is: an exact ``Rational`` or a ``Float`` (finite:
#: :func:`~solver.core.numbers.normalize` saw to it). sympy's ``Add`` and ``Mul`` of numbers
#: only add (multiply) them one by one in order, from 0 (1), with the numbers' own ``+``
#: (``*``): so does :func:`~solver.graph.backprop.evaluate`, without the rest of their
#: flattening (its assumption queries cost a sigmoid network's forward pass most of its time).
NUMBERS = (sp.Rational, sp.Float)


def in_order(numbers, op, identity):
    """``Add(*numbers)`` (``op`` +, ``identity`` 0) or ``Mul(*numbers)`` (*, 1) as sympy
    builds it: the identity itself dropped, one number left as it is, else folded in order."""
    numbers = [a for a in numbers if a is not identity]
    if len(numbers) <= 1:
        return numbers[0] if numbers else identity
    return reduce(op, numbers, identity)


def exact_sum(values) -> sp.Rational:
    """The sum of exact rationals, as sympy's ``Add`` gives it (the same reduced ``Rational``),
    in integers: without ``Add``'s general machinery, a neuron's sum is 10x cheaper."""
    p, q = 0, 1
    for v in values:
        vp, vq = v.p, v.q
        if vq == q:
            p += vp
        else:
            common = q // gcd(q, vq) * vq
            p, q = p * (common // q) + vp * (common // vq), common
    return rational(p, q)


def rational(p: int, q: int) -> sp.Rational:
    """``Rational(p, q)`` for ``q > 0``: reduced here, built from the coprime pair."""
    g = gcd(p, q)
    return sp.Rational.from_coprime_ints(p // g, q // g) if g != 1 else sp.Rational.from_coprime_ints(p, q)


def exact_product(values) -> sp.Rational:
    """The product of exact rationals, as sympy's ``Mul`` gives it (see :func:`exact_sum`)."""
    p, q = 1, 1
    for v in values:
        p, q = p * v.p, q * v.q
    return rational(p, q)
