"""Exports of a problem's questions to learning-management systems: one module each in
this package (``moodle``, ``canvas``, ``qti21``, ``prairielearn``), found by discovery;
:mod:`.base` holds what they share. To add a target, write a module defining
``EXPORT = Export(...)`` (see :mod:`.base`)."""

from __future__ import annotations

from ...core.registry import discover
from .base import Export, Item, item

#: Every export target by its ``--to`` name.
EXPORTS: dict[str, Export] = {e.name: e for e in discover(__name__, __path__, "EXPORT", lambda e: (e.order, e.name))}

__all__ = ["EXPORTS", "Export", "Item", "item"]
