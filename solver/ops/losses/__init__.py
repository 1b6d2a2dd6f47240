"""Losses: one module each in this package, found by :func:`_discover`.

To add one, write a module here defining ``LOSS = Loss(...)`` (see :mod:`.sse`). The
problem schema, the network builder, the key and the README's table read :data:`LOSSES`.
"""

from __future__ import annotations

import importlib
import pkgutil

from .base import Loss, LossForm


def _discover() -> dict[str, Loss]:
    losses = [importlib.import_module(f"{__name__}.{info.name}").LOSS
              for info in pkgutil.iter_modules(__path__) if info.name != "base"]
    return {loss.key: loss for loss in sorted(losses, key=lambda l: (l.order, l.key))}


#: Every loss by its name in problem files.
LOSSES: dict[str, Loss] = _discover()

__all__ = ["LOSSES", "Loss", "LossForm"]
