"""A numeric parameter of an activation, a loss or an optimizer (a slope, a margin, a
learning rate): its name in problem files, its LaTeX symbol and its default."""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp


@dataclass(frozen=True)
class Param:
    """One parameter.

    Attributes:
        name: the field name in problem files (``slope``).
        latex: its symbol in the key (``\\alpha``).
        default: its value when the file omits it (exact), or ``None`` when it must be given.
        example: a value to suggest in an error message (``0.01``).
        description: what it is, for the JSON Schema.
    """

    name: str
    latex: str
    default: sp.Rational | None = None
    example: str = "1"
    description: str = ""

    @property
    def required(self) -> bool:
        return self.default is None


def article(word: str) -> str:
    """``a slope``, ``an alpha``."""
    return ("an " if word[:1].lower() in "aeiou" else "a ") + word


def resolve(params: tuple[Param, ...], given: dict) -> dict:
    """Each parameter's value: the one given, else its default."""
    return {p.name: given.get(p.name) if given.get(p.name) is not None else p.default for p in params}
