"""Optimizers: one module each in this package, found by :func:`_discover`.

To add one, write a module here defining ``OPTIMIZER = Optimizer(...)`` (see :mod:`.adam`).
The problem schema, the training key, training runs and the README's table read
:data:`OPTIMIZERS`.
"""

from __future__ import annotations

import importlib
import pkgutil

from .base import LEARNING_RATE, Optimizer


def _discover() -> dict[str, Optimizer]:
    found = [importlib.import_module(f"{__name__}.{info.name}").OPTIMIZER
             for info in pkgutil.iter_modules(__path__) if info.name != "base"]
    return {o.key: o for o in sorted(found, key=lambda o: (o.order, o.key))}


#: Every optimizer by its name in problem files.
OPTIMIZERS: dict[str, Optimizer] = _discover()

__all__ = ["LEARNING_RATE", "OPTIMIZERS", "Optimizer"]
