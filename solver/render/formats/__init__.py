"""Output formats: one module each in this package, found by discovery.

To add one, write a module here defining ``FORMAT = Format(...)`` (see :mod:`.md`) and,
for a templated format, its template in ``templates/``. The command line's ``-f``
choices, the renderer and the README's table read :data:`FORMATS`.
"""

from __future__ import annotations

from ...core.registry import discover
from .base import SYNTAXES, Format

#: Every output format by its ``-f`` name.
FORMATS: dict[str, Format] = {f.name: f for f in discover(__name__, __path__, "FORMAT", lambda f: (f.order, f.name))}

__all__ = ["FORMATS", "Format", "SYNTAXES"]
