"""Whether a student's number is the key's answer: the tolerance rules of grading
(``grading.tolerance`` of a problem file) and the default one, which accepts the key's own
displayed rounding. Pure functions on exact numbers (``fractions.Fraction``).

- ``{absolute: a}``: |x − v| ≤ a;
- ``{relative: r}``: |x − v| ≤ r·|v| (and x = 0 when v = 0);
- ``{sigfigs: n}``: STACK's rule: v rounded to n significant figures, and x within one unit
  of its last figure of that (right to the stated figures, one unit of slack in the last);
- the default: x rounds to what the key displays at its precision, i.e. |x − v| is at most
  half a unit of the displayed last digit (plus the exact value's own distance to that
  display, so that the display itself is always accepted).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction

import msgspec


class Tolerance(msgspec.Struct, frozen=True):
    """A tolerance rule: ``kind`` is ``absolute``, ``relative``, ``sigfigs`` or ``display``
    (the default: the key's displayed rounding), ``amount`` its number (``None`` for display)."""

    kind: str = "display"
    amount: Fraction | int | None = None

    def describe(self, digits: int | None = None) -> str:
        """``within 0.005``, ``within 1%``, ``to 3 significant figures``; the default rule
        ``to 4 significant figures, as the key rounds them`` for a key of ``digits`` figures
        (``as the key rounds it`` when they are not known)."""
        if self.kind == "absolute":
            return f"within {_plain(self.amount)}"
        if self.kind == "relative":
            return f"within {_plain(self.amount * 100)}%"
        if self.kind == "sigfigs":
            return f"to {self.amount} significant figures"
        return f"to {digits} significant figures, as the key rounds them" if digits else "as the key rounds it"


def _plain(x) -> str:
    d = Decimal(x.numerator) / Decimal(x.denominator) if isinstance(x, Fraction) else Decimal(x)
    return format(d.normalize(), "f")


def half_unit(display: str) -> Fraction:
    """Half a unit of the last digit of a displayed number (``0.2388`` → 0.00005; ``10^{-8}``
    style or integers: ``12`` → 1/2)."""
    text = display.replace(",", "").replace("{", "").replace("}", "").strip()
    if "e" in text.lower() or "\\times" in text:
        mantissa, _, exp = text.lower().replace("\\times 10^", "e").partition("e")
        decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
        return Fraction(1, 2) * Fraction(10) ** (int(exp) - decimals)
    decimals = len(text.split(".")[1]) if "." in text else 0
    return Fraction(1, 2 * 10 ** decimals)


def rounded(value: Fraction, sigfigs: int) -> Fraction:
    """``value`` rounded half up to ``sigfigs`` significant figures, exactly."""
    if value == 0:
        return Fraction(0)
    d = _decimal(value)
    with localcontext() as ctx:
        ctx.prec = 200
        return Fraction(d.quantize(Decimal(1).scaleb(d.adjusted() - sigfigs + 1), rounding=ROUND_HALF_UP))


def _decimal(value: Fraction) -> Decimal:
    """``value`` as a 200-digit Decimal (exact for every number a key shows)."""
    with localcontext() as ctx:
        ctx.prec = 200
        return Decimal(value.numerator) / Decimal(value.denominator)


def padded(value: Fraction, digits: int) -> str:
    """``value`` rounded to ``digits`` significant figures, trailing zeros kept (``0.5000``):
    the key's displayed rounding at its precision, around which the default tolerance accepts
    half a unit of the last figure (an exact 0.5 shown as ``0.5`` at 4 figures is 0.5000 ± 0.00005;
    12,347.67 at 4 figures is ``1.235E+4``, 12,350 ± 5)."""
    if value == 0:
        return "0." + "0" * digits
    d = _decimal(rounded(value, digits))
    with localcontext() as ctx:
        ctx.prec = 200
        q = d.quantize(Decimal(1).scaleb(d.adjusted() - digits + 1))
        # rounded to tens or more (12,347.67 at 4 figures), "12350" would read as exact to the
        # unit: "1.235E+4" keeps the figures, so half a unit of the last is 5, not 0.5
        return str(q) if q.as_tuple().exponent > 0 else format(q, "f")


def unit(value: Fraction, sigfigs: int) -> Fraction:
    """One unit of the ``sigfigs``-th significant figure of ``value`` (0.239, 3 → 0.001)."""
    if value == 0:
        return Fraction(0)
    return Fraction(Decimal(1).scaleb(_decimal(value).adjusted() - sigfigs + 1))


def centre(value: Fraction, tol: Tolerance, display: str | None = None) -> Fraction:
    """What a student's number is compared with: the value itself; for ``sigfigs`` the value
    rounded to that many figures; for the default, the key's displayed number."""
    if tol.kind == "sigfigs":
        return rounded(value, int(tol.amount))
    if tol.kind == "display" and display and _is_decimal(display):
        return Fraction(Decimal(display.replace(",", "")))
    return value


def bound(value: Fraction, tol: Tolerance, display: str | None = None) -> Fraction:
    """The largest |x − centre| that ``tol`` accepts (see :func:`centre`)."""
    if tol.kind == "absolute":
        return Fraction(tol.amount)
    if tol.kind == "relative":
        return Fraction(tol.amount) * abs(value)
    if tol.kind == "sigfigs":
        return unit(rounded(value, int(tol.amount)) or value, int(tol.amount))
    return half_unit(display) if display and _is_decimal(display) else Fraction(0)


def _is_decimal(text: str) -> bool:
    try:
        Decimal(text.replace(",", ""))
        return True
    except ArithmeticError:
        return False


def accepts(x: Fraction, value: Fraction, tol: Tolerance, display: str | None = None) -> bool:
    """Whether a student's ``x`` is the answer ``value`` (exact, or a 30-digit rational
    approximation) under ``tol``; ``display`` is the key's displayed text (for the default:
    every number that rounds to the display is accepted, both edges included)."""
    return abs(x - centre(value, tol, display)) <= bound(value, tol, display)
