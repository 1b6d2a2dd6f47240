"""Losses: one module each in this package, found by discovery.

To add one, write a module here defining ``LOSS = Loss(...)`` (see :mod:`.sse`). The
problem schema, the network builder, the key and the README's table read :data:`LOSSES`.
"""

from __future__ import annotations

from ...core.registry import discover
from .base import Loss, LossForm

#: Every loss by its name in problem files.
LOSSES: dict[str, Loss] = {loss.key: loss for loss in discover(__name__, __path__, "LOSS", lambda l: (l.order, l.key))}

__all__ = ["LOSSES", "Loss", "LossForm"]
