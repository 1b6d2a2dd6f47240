"""Exact numbers in, rounded numbers out.

Problem files hold decimals that mean what they say (``0.1`` is 1/10), so every
number is read as a sympy ``Rational``. Values stay exact while they can; once
``exp`` or ``log`` enters, they become sympy ``Float`` with :data:`DIGITS`
significant digits. Rounding happens only for display, in :func:`display`.
"""

from __future__ import annotations

import re
from decimal import MAX_EMAX, MIN_EMIN, ROUND_HALF_UP, Decimal, localcontext

import msgspec
import sympy as sp
from mpmath.libmp import dps_to_prec, prec_to_dps, to_str
from sympy.core.numbers import mpf_norm

from .floats import TINY_BITS, evalf_float

#: Working precision (significant decimal digits) once a value is not rational.
DIGITS = 50
_DIGITS_PREC = dps_to_prec(DIGITS)  # sympy's Float(x, DIGITS) precision in bits

_DECIMAL = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?", re.ASCII)
_FRACTION = re.compile(r" *([+-]?[0-9]+) */ *([0-9]+) *", re.ASCII)

#: Significant digits a written number may have (a decimal's mantissa; each part of a
#: fraction): reading a decimal takes time quadratic in its digits (900,000 took 151 s).
MAX_NUMBER_DIGITS = 300
#: Largest size of a decimal exponent (``1e400`` is refused).
MAX_EXPONENT = 300

_HOW = 'write a decimal such as 0.25 or 1e-3, an integer, or a fraction such as "1/3"'


def _quoted(text: str) -> str:
    """``text`` quoted for an error message: short, on one line, control characters escaped."""
    shown = text if len(text) <= 40 else text[:30] + "…" + text[-5:]
    return "'" + "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii")
                         for ch in shown) + "'"


def parse_number(text: str) -> sp.Rational:
    """Read a decimal (``-0.25``, ``1e-3``) or a fraction (``"1/3"``) exactly.

    Only ASCII digits are read (not ``٠.٢``), with no ``_``, ``0x`` or ``:``; a decimal
    has at most :data:`MAX_NUMBER_DIGITS` significant digits (each part of a fraction
    as many) and an exponent at most :data:`MAX_EXPONENT` in size.

    Args:
        text: the number as written in the problem file.

    Returns:
        A sympy ``Rational`` equal to the written number.

    Raises:
        ValueError: for anything else (``nan``, ``inf``, words, a zero denominator),
            for too many digits, or for a decimal whose exponent is absurd (more than
            300 in size).
    """
    s = str(text).strip(" ")
    m = _FRACTION.fullmatch(s)
    if m:
        if max(len(m.group(1).lstrip("+-").lstrip("0")), len(m.group(2).lstrip("0"))) > MAX_NUMBER_DIGITS:
            raise ValueError(f"{_quoted(s)} has more than {MAX_NUMBER_DIGITS} digits")
        num, den = int(m.group(1)), int(m.group(2))
        if den == 0:
            raise ValueError(f"{_quoted(s)} divides by zero")
        return sp.Rational(num, den)
    m = _DECIMAL.fullmatch(s)
    if not m:
        raise ValueError(f"{_quoted(s)} is not a finite number ({_HOW})")
    mantissa = s[:m.start(3)] if m.group(3) else s
    digits = mantissa.lstrip("+-").replace(".", "").lstrip("0")
    if len(digits) > MAX_NUMBER_DIGITS:
        raise ValueError(f"{_quoted(s)} has {len(digits):,} significant digits; at most {MAX_NUMBER_DIGITS}")
    if m.group(3) and len(m.group(3).lstrip("eE+-").lstrip("0")) > 4:
        raise ValueError(f"{_quoted(s)} is too large or too small")
    d = Decimal(s)
    if abs(d.adjusted()) > MAX_EXPONENT:
        raise ValueError(f"{_quoted(s)} is too large or too small")
    num, den = d.as_integer_ratio()
    return sp.Rational(num, den)


#: Largest magnitude a value may reach (beyond it, a float64 autograder would see inf).
MAX_MAGNITUDE = sp.Integer(10) ** 300
_MAX_MAGNITUDE_INT = 10 ** 300
#: An exact fraction whose numerator or denominator grows past this many bits is
#: carried as a ``DIGITS``-digit float instead (40 chained squarings would otherwise
#: need 2^40 digits).
MAX_EXACT_BITS = 2000


def normalize(value: sp.Expr) -> sp.Expr:
    """A computed value as an exact ``Rational`` when it is one (and not absurdly
    long), else a ``DIGITS``-digit ``Float``.

    Raises:
        ValueError: when the value is not a finite real number, or its magnitude
            exceeds 1e300 (or is nonzero and below 10^-(10^20): see ``TINY_BITS``).
    """
    if isinstance(value, sp.Rational):  # in integers: |p/q| > 10^300 exactly when |p| > 10^300 q
        p, q = value.p, value.q
        if abs(p) > _MAX_MAGNITUDE_INT * q:
            raise ValueError("a value is larger than 1e300 in magnitude")
        if max(p.bit_length(), q.bit_length()) <= MAX_EXACT_BITS:
            return value
    if isinstance(value, sp.Float):
        _, mantissa, exponent, bits = value._mpf_
        if mantissa and -TINY_BITS < exponent + bits <= 996:  # finite, nonzero, below 2^996 < 1e300
            # what evalf and Float(…, DIGITS) below give; a Float made at DIGITS digits is that
            # Float already (rounding it to its own precision changes no bit)
            return value if value._prec == _DIGITS_PREC else sp.Float(value, DIGITS)
    elif not isinstance(value, sp.Rational):
        fast = evalf_float(value, DIGITS + 10, DIGITS)
        if fast is not None:
            return fast
    value = sp.sympify(value)
    if value.is_Rational:
        if abs(value) > MAX_MAGNITUDE:
            raise ValueError("a value is larger than 1e300 in magnitude")
        if max(int(value.p).bit_length(), int(value.q).bit_length()) <= MAX_EXACT_BITS:
            return value
    try:
        approx = value.evalf(DIGITS + 10)  # (evalf_float's steps, for what it leaves to sympy)
    except OverflowError:  # mpmath's erfc(x) squares x as a float: GELU(1e160) stops there
        raise ValueError("a value cannot be worked out: a function's argument is too large in magnitude") from None
    if not approx.is_Number or approx.is_finite is False or approx.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
        what = ("infinite (a division by 0, or a logarithm of 0)" if approx.has(sp.zoo, sp.oo, -sp.oo)
                else "undefined" if approx.has(sp.nan) else "not real (a square root or logarithm of a negative number)")
        raise ValueError(f"a value is not a finite real number: it is {what}")
    if abs(approx) > MAX_MAGNITUDE:
        raise ValueError("a value is larger than 1e300 in magnitude")
    if approx and approx._mpf_[2] + approx._mpf_[3] <= -TINY_BITS:
        raise ValueError("a value is nonzero but smaller than 10^-(10^20) in magnitude, too small to work out")
    return sp.Float(approx, DIGITS)


def exact_text(value: sp.Expr) -> str:
    """``str(value)``: for an exact ``Rational`` ``p/q`` (``p`` when ``q`` is 1), as sympy's
    printer writes it, without the printer."""
    if isinstance(value, sp.Rational):
        return str(value.p) if value.q == 1 else f"{value.p}/{value.q}"
    return str(value)


def is_exact(value: sp.Expr) -> bool:
    """True when ``value`` is an exact rational (not a rounded float)."""
    return bool(sp.sympify(value).is_Rational)


def _to_decimal(value: sp.Expr) -> tuple[Decimal, int]:
    """``(d, shift)``, ``value = d × 10^shift``: ``shift`` is 0 but for a Float beyond a Decimal's
    ±10^18 exponent (``e^{-10^{20}}`` ≈ ``10^{-43429448190325182766}``; an mpf's has no bound)."""
    value = sp.sympify(value)
    with localcontext() as ctx:
        ctx.prec = DIGITS + 10
        ctx.Emax, ctx.Emin = MAX_EMAX, MIN_EMIN  # tiny values (0.75^(2^40)) still display
        if value.is_Rational:  # at most MAX_EXACT_BITS bits each side: well within Decimal's range
            return Decimal(int(value.p)) / Decimal(int(value.q)), 0
        if type(value) is sp.Float:  # sp.Float(value, DIGITS + 5): its _as_mpf_val, then _new
            return _split(_mpf_text(mpf_norm(mpf_norm(value._mpf_, _PREC_SHOWN), _PREC_SHOWN), _PREC_SHOWN))
        return _split(float_text(sp.Float(value, DIGITS + 5)))


def _split(text: str) -> tuple[Decimal, int]:
    """A float's text as ``(d, shift)``: its exponent kept apart beyond 10^15 in size."""
    mantissa, _, power = text.partition("e")
    if power and abs(int(power)) > 10 ** 15:
        return Decimal(mantissa), int(power)
    return Decimal(text), 0


_PREC_SHOWN = dps_to_prec(DIGITS + 5)


def float_text(value: sp.Float) -> str:
    """``str(value)`` of a Float: what sympy's ``StrPrinter._print_Float`` writes at the top
    level (every digit of its precision, zeros kept), without the printer."""
    if type(value) is not sp.Float:
        return str(value)
    return _mpf_text(value._mpf_, value._prec)


def _mpf_text(mpf: tuple, prec: int) -> str:
    text = to_str(mpf, 0 if prec < 5 else prec_to_dps(prec), strip_zeros=False)
    if text.startswith("-.0"):
        text = "-0." + text[3:]
    elif text.startswith(".0"):
        text = "0." + text[2:]
    return text.removeprefix("+")


class Shown(msgspec.Struct, frozen=True):
    """A value as the key prints it.

    Attributes:
        text: the rounded value as plain text (``-0.0443``, ``1.2e-07``).
        latex: the same for LaTeX (``-0.0443``, ``1.2 \\times 10^{-7}``).
        exact: True when ``text`` equals the value exactly (print ``=``, not ``≈``).
    """

    text: str
    latex: str
    exact: bool

    @property
    def relation(self) -> str:
        """``=`` when the shown value is exact, ``\\approx`` when it is rounded."""
        return "=" if self.exact else r"\approx"


#: Each value's display already worked out, by (p, q, digits) for a Rational and (mpf,
#: precision, digits) for a Float: a key shows the same numbers many times (an upstream
#: gradient in every term of its chain sums).
_SHOWN: dict = {}
_SHOWN_MAX = 1 << 17


def display(value: sp.Expr, digits: int) -> Shown:
    """Round ``value`` to ``digits`` significant figures for display (see :func:`_display`);
    each Rational or Float is worked out once."""
    if isinstance(value, sp.Rational):
        key = (value.p, value.q, digits)
    elif isinstance(value, sp.Float):
        key = (value._mpf_, value._prec, digits)
    else:
        return _display(value, digits)
    shown = _SHOWN.get(key)
    if shown is None:
        if len(_SHOWN) >= _SHOWN_MAX:
            _SHOWN.clear()
        shown = _SHOWN[key] = _display(value, digits)
    return shown


def _display(value: sp.Expr, digits: int) -> Shown:
    """Round ``value`` to ``digits`` significant figures for display.

    A rounded value shows exactly ``digits`` significant figures, trailing zeros kept
    (``1.490``, ``0.2510`` at 4), and relation ``≈``. An exact value with no more
    significant digits than ``digits`` is shown as it is (``0.5``, not ``0.5000``),
    with ``=``. Rounding is half away from zero, decided on the exact value. Outside
    1e-5 ≤ |x| < 1e7 the value is written ``a × 10^k`` (LaTeX ``10^{-8}`` when ``a``
    is exactly 1); in LaTeX, thousands are grouped (``12{,}350``), in text not.

    Args:
        value: an exact ``Rational`` or a high-precision ``Float``.
        digits: significant figures, at least 1.
    """
    d, shift = _to_decimal(value)
    if d == 0:
        return Shown("0", "0", True)
    with localcontext() as ctx:
        ctx.prec = DIGITS + 10
        ctx.Emax, ctx.Emin = MAX_EMAX, MIN_EMIN  # tiny values (0.75^(2^40)) still display
        exp = d.adjusted()
        r = d.quantize(Decimal(1).scaleb(exp - digits + 1), rounding=ROUND_HALF_UP)
        if r.adjusted() != exp:  # 9.99 -> 10.0 changed the magnitude
            exp = r.adjusted()
            r = d.quantize(Decimal(1).scaleb(exp - digits + 1), rounding=ROUND_HALF_UP)
        exact = r == d and is_exact(value)
        tidy = _strip if exact else (lambda t: t)
        if not shift and Decimal("1e-5") <= abs(r) < Decimal("1e7"):
            text = tidy(format(r, "f"))
            return Shown(text, _grouped(text), exact)
        mant = tidy(format(r.scaleb(-exp), "f"))
    exp += shift
    power = f"10^{{{exp}}}"
    latex = power if mant == "1" else "-" + power if mant == "-1" else rf"{mant} \times {power}"
    return Shown(f"{mant}e{exp:+03d}", latex, exact)


def _strip(text: str) -> str:
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _grouped(text: str) -> str:
    """``12350.5`` → ``12{,}350.5``: thousands grouped for LaTeX (from 1,000 up)."""
    sign, rest = ("-", text[1:]) if text.startswith("-") else ("", text)
    whole, point, frac = rest.partition(".")
    if len(whole) <= 3:
        return text
    return sign + f"{int(whole):,}".replace(",", "{,}") + point + frac


def written_latex(value: sp.Expr) -> str:
    """A value the problem gives, in LaTeX as it was written: a decimal when it has one
    of at most 15 significant digits (``0.1``, ``10^{-8}``, never ``\\frac{1}{10}``),
    else a fraction (``\\frac{1}{3}``); a value that is not rational, rounded to 15 digits."""
    value = sp.sympify(value)
    shown = display(value, 15)
    if shown.exact or not value.is_Rational:
        return shown.latex
    sign = "-" if value < 0 else ""
    return rf"{sign}\frac{{{abs(value.p)}}}{{{value.q}}}"
