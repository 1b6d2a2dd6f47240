"""sympy's ``evalf`` of a real number's formula, its steps taken on mpmath directly.

A softmax's value ``e^{o_1} / (e^{o_1} + e^{o_2})`` is worked out by ``evalf`` at 60 digits
(:func:`solver.core.numbers.normalize`); most of its time goes to dispatching, options and
assumption queries, not to mpmath. :func:`evalf_float` takes the same steps as
sympy.core.evalf (``evalf_add``'s precision increases and ``add_terms``, ``evalf_mul``'s
guard bits, ``evalf_pow``'s and ``evalf_log``'s working precisions), calling the same mpmath
functions with the same precisions and rounding, so its Float is the same bit for bit
(tests/test_floats.py compares them); anything it does not take (a zero, a cancellation, a
negative logarithm, other functions) it leaves to sympy.
"""

from __future__ import annotations

import math

import sympy as sp
from mpmath.libmp import (
    bitcount,
    dps_to_prec,
    fhalf,
    fnone,
    fone,
    from_int,
    from_rational,
    mpf_abs,
    mpf_add,
    mpf_e,
    mpf_exp,
    mpf_log,
    mpf_pi,
    mpf_pow,
    mpf_pow_int,
    mpf_sqrt,
    round_nearest,
)
from mpmath.libmp import normalize as mpf_normalize

_LG10 = math.log2(10)
_CONSTANTS = {type(sp.S.One): fone, type(sp.S.Half): fhalf, type(sp.S.NegativeOne): fnone}


#: A nonzero value below 2^-TINY_BITS (so below 10^-(10^20)) is refused: a value that small is
#: e^z for |z| > 2.3·10^20, and z, a 50-digit Float once it comes out of an exp, is then off by
#: more than 10^-30, the last of the 30 digits the answers JSON writes of e^z.
TINY_BITS = 332_192_809_488_736_234_788  # ⌈10^20 log2 10⌉


class _Sympys(Exception):
    """A value :func:`_ev` leaves to sympy's evalf (zero, negative, complex, other functions)."""


def evalf_float(value: sp.Expr, n: int, digits: int) -> sp.Float | None:
    """``Float(value.evalf(n), digits)``, the same Float bit for bit, for a nonzero real
    below 2^996 (and above 2^-TINY_BITS) made of numbers, ``exp``, ``log``, ``+``, ``×`` and powers; ``None`` for
    anything else (zero, a complex or larger value, other functions), left to sympy."""
    prec = dps_to_prec(n)
    try:  # Expr.evalf: 4 guard bits, maxprec from its maxn=100 digits
        re, acc = _ev(value, prec + 4, max(prec, int(100 * _LG10)))
    except _Sympys:
        return None
    if not -TINY_BITS < re[2] + re[3] <= 996:
        return None
    return sp.Float(sp.Float._new(re, max(min(prec, acc), 1)), digits)


def _ev(x, prec: int, maxprec: int):
    """sympy's ``evalf(x, prec, options)`` for a nonzero real: (mpf, accuracy in bits)."""
    t = type(x)
    if t is sp.Float:
        if not x._mpf_[1]:
            raise _Sympys  # zero, inf, nan
        return x._mpf_, prec
    if t is sp.Rational:
        return from_rational(x.p, x.q, prec), prec
    if t is sp.Integer:
        return from_int(x.p, prec), prec
    if t in _CONSTANTS:
        return _CONSTANTS[t], prec
    if x is sp.E:
        return mpf_e(prec), prec
    if x is sp.pi:
        return mpf_pi(prec), prec
    if t is sp.exp:  # evalf_exp: evalf_pow of E**arg
        return _power(sp.E, x.args[0], prec, maxprec)
    if t is sp.Pow:
        return _power(*x.args, prec, maxprec)
    if t is sp.Mul:  # evalf_mul, real factors
        wp = prec + len(x.args) + 5
        man, exp, bc, direction, acc = 1, 0, 1, 0, prec
        for arg in x.args:
            (s, m, e, b), arg_acc = _ev(arg, wp, maxprec)
            direction, man, exp, bc = direction + 2 * s, man * m, exp + e, bc + b
            while bc > 3 * wp:
                man, exp, bc = man >> wp, exp + wp, bc - wp
            acc = min(acc, arg_acc)
        return mpf_normalize((direction & 2) >> 1, man, exp, bitcount(man), prec, round_nearest), acc
    if t is sp.Add:
        return _sum(x.args, prec, maxprec)
    if t is sp.log and len(x.args) == 1:  # evalf_log of a positive number
        xre, _ = _ev(x.args[0], prec + 10, maxprec)
        if xre[0]:
            raise _Sympys
        re = mpf_log(xre, prec, round_nearest)
        if not re[1]:
            raise _Sympys
        if -(re[2] + re[3]) > 10:  # near 1: the log of 1 + (x - 1), x - 1 worked out as a sum
            xre, _ = _sum((sp.S.NegativeOne, x.args[0]), prec, maxprec)
            re = mpf_log(mpf_abs(mpf_add(xre, fone, prec + 10 - (xre[2] + xre[3]))), prec, round_nearest)
        return re, prec
    raise _Sympys


def _sum(args, prec: int, maxprec: int):
    """evalf_add of real terms: more precision until the sum is accurate."""
    target, i = prec, 0
    while True:
        inner = min(maxprec, 2 * prec)
        re, acc = _add_terms([_ev(a, prec + 10, inner) for a in args], prec, target)
        if acc >= target or prec - target > inner:
            return re, acc
        prec, i = prec + max(10 + 2 ** i, target - acc), i + 1


def _power(base, exponent, prec: int, maxprec: int):
    """evalf_pow of a real ``base**exponent``."""
    target = prec
    if exponent.is_Integer:
        if not exponent.p:
            raise _Sympys
        re, _ = _ev(base, prec + int(math.log2(abs(exponent.p))) + 5, maxprec)
        return mpf_pow_int(re, int(exponent.p), target), target
    if exponent is sp.S.Half:
        re, _ = _ev(base, prec + 5, maxprec)
        if re[0]:
            raise _Sympys
        return mpf_sqrt(re, prec), prec
    prec += 10
    y, _ = _ev(exponent, prec, maxprec)
    if y[2] + y[3] > 5:
        prec += y[2] + y[3]
        y, _ = _ev(exponent, prec, maxprec)
    if base is sp.E:
        return mpf_exp(y, target), target
    re, _ = _ev(base, prec + 5, maxprec)
    if re[0]:
        raise _Sympys
    return mpf_pow(re, y, target), target


def _add_terms(terms, prec: int, target: int):
    """sympy's add_terms of nonzero real terms (mpf, accuracy): their sum to ``target`` bits
    and its accuracy."""
    working_prec, sum_man, sum_exp, errors = 2 * prec, 0, 0, []
    for (sign, man, exp, bc), accuracy in terms:
        if sign:
            man = -man
        errors.append(bc + exp - accuracy)
        delta = exp - sum_exp
        if exp >= sum_exp:
            if delta > working_prec and (not sum_man or delta - bitcount(abs(sum_man)) > working_prec):
                sum_man, sum_exp = man, exp
            else:
                sum_man += man << delta
        elif -delta - bc > working_prec:
            if not sum_man:
                sum_man, sum_exp = man, exp
        else:
            sum_man, sum_exp = (sum_man << -delta) + man, exp
    if not sum_man:
        raise _Sympys  # cancelled to 0: sympy's scaled zero
    sign, sum_man = (1, -sum_man) if sum_man < 0 else (0, sum_man)
    bc = bitcount(sum_man)
    return mpf_normalize(sign, sum_man, sum_exp, bc, target, round_nearest), sum_exp + bc - max(errors)
