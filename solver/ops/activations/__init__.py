"""Activations: one module each in this package, found by discovery.

To add one, write a module here defining ``ACTIVATION = Activation(...)`` and its sympy
functions (see :mod:`.relu` for the pattern). The problem schema, the expression
grammar, the printer, the matrix style, training runs and the README's table all read
:data:`ACTIVATIONS`.
"""

from __future__ import annotations

from ...core.registry import discover
from .base import EVERYWHERE, Activation

#: Every activation by its names in problem files (aliases included).
ACTIVATIONS: dict[str, Activation] = {
    name: act for act in discover(__name__, __path__, "ACTIVATION", lambda a: (a.order, a.key))
    for name in (act.key, *act.aliases)}


def names() -> list[str]:
    """Every accepted name, in the order the schema lists them."""
    return list(ACTIVATIONS)


__all__ = ["ACTIVATIONS", "Activation", "EVERYWHERE", "names"]
