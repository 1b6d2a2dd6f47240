"""A numeric parameter of an activation, a loss or an optimizer (a slope, a margin, a
learning rate): its name in problem files, its LaTeX symbol, its default and its range."""

from __future__ import annotations

import msgspec
import sympy as sp


class Param(msgspec.Struct, frozen=True):
    """One parameter.

    Attributes:
        name: the field name in problem files (``slope``).
        latex: its symbol in the key (``\\alpha``).
        default: its value when the file omits it (exact), or ``None`` when it must be given.
        example: a value to suggest in an error message (``0.01``).
        description: what it is, for the JSON Schema.
        low, high: the range of its values (``None``: unbounded on that side; every value
            is anyway at most 10^300 in size).
        low_open, high_open: whether ``low`` / ``high`` themselves are excluded (Adam's
            ``beta1`` is at least 0 and less than 1: ``low=0, high=1, high_open=True``).
    """

    name: str
    latex: str
    default: sp.Rational | None = None
    example: str = "1"
    description: str = ""
    low: sp.Rational | int | None = None
    high: sp.Rational | int | None = None
    low_open: bool = False
    high_open: bool = False

    def allows(self, value) -> bool:
        """Whether ``value`` is within the range."""
        below = self.low is not None and (value <= self.low if self.low_open else value < self.low)
        above = self.high is not None and (value >= self.high if self.high_open else value > self.high)
        return not (below or above)

    def range_text(self) -> str:
        """``must be at least 0 and less than 1``; ``""`` when unbounded."""
        parts = []
        if self.low is not None:
            parts.append(f"{'greater than' if self.low_open else 'at least'} {self.low}")
        if self.high is not None:
            parts.append(f"{'less than' if self.high_open else 'at most'} {self.high}")
        return "must be " + " and ".join(parts) if parts else ""

    def json_range(self) -> dict:
        """The range as JSON Schema keywords (for numbers written as numbers)."""
        out: dict = {}
        if self.low is not None:
            out["exclusiveMinimum" if self.low_open else "minimum"] = _json_number(self.low)
        if self.high is not None:
            out["exclusiveMaximum" if self.high_open else "maximum"] = _json_number(self.high)
        return out

    @property
    def required(self) -> bool:
        return self.default is None


def _json_number(value) -> int | float:
    value = sp.Rational(value)
    return int(value) if value.is_Integer else float(value)


def article(word: str) -> str:
    """``a slope``, ``an alpha``."""
    return ("an " if word[:1].lower() in "aeiou" else "a ") + word


def resolve(params: tuple[Param, ...], given: dict) -> dict:
    """Each parameter's value: the one given, else its default."""
    return {p.name: given.get(p.name) if given.get(p.name) is not None else p.default for p in params}
