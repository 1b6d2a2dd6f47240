"""The catalogue of misconceptions that ``nnsolve grade`` recognises: one module each in
this package, found by discovery. To add one, write a module here defining
``MISCONCEPTION = Misconception(...)`` (see :mod:`.base`)."""

from __future__ import annotations

from ...core.registry import discover
from .base import Context, Misconception

#: Every misconception by its name, in the order they are tried.
MISCONCEPTIONS: dict[str, Misconception] = {
    m.key: m for m in discover(__name__, __path__, "MISCONCEPTION", lambda m: (m.order, m.key))}

__all__ = ["MISCONCEPTIONS", "Context", "Misconception"]
