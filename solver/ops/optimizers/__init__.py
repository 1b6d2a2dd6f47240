"""Optimizers: one module each in this package, found by discovery.

To add one, write a module here defining ``OPTIMIZER = Optimizer(...)`` (see :mod:`.adam`).
The problem schema, the training key, training runs and the README's table read
:data:`OPTIMIZERS`.
"""

from __future__ import annotations

from ...core.registry import discover
from .base import LEARNING_RATE, Flag, Optimizer

#: Every optimizer by its name in problem files.
OPTIMIZERS: dict[str, Optimizer] = {
    o.key: o for o in discover(__name__, __path__, "OPTIMIZER", lambda o: (o.order, o.key))}



__all__ = ["LEARNING_RATE", "OPTIMIZERS", "Flag", "Optimizer"]
