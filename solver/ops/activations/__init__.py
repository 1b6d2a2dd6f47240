"""Activations: one module each in this package, found by :func:`_discover`.

To add one, write a module here defining ``ACTIVATION = Activation(...)`` and its sympy
functions (see :mod:`.relu` for the pattern). The problem schema, the expression
grammar, the printer, the matrix style, training runs and the README's table all read
:data:`ACTIVATIONS`.
"""

from __future__ import annotations

import importlib
import pkgutil

from .base import EVERYWHERE, Activation


def _discover() -> dict[str, Activation]:
    acts = [importlib.import_module(f"{__name__}.{info.name}").ACTIVATION
            for info in pkgutil.iter_modules(__path__) if info.name != "base"]
    found: dict[str, Activation] = {}
    for act in sorted(acts, key=lambda a: (a.order, a.key)):
        for name in (act.key, *act.aliases):
            found[name] = act
    return found


#: Every activation by its names in problem files (aliases included).
ACTIVATIONS: dict[str, Activation] = _discover()


def names() -> list[str]:
    """Every accepted name, in the order the schema lists them."""
    return list(ACTIVATIONS)


__all__ = ["ACTIVATIONS", "Activation", "EVERYWHERE", "names"]
