"""Output formats: one module each in this package, found by :func:`_discover`.

To add one, write a module here defining ``FORMAT = Format(...)`` (see :mod:`.md`) and,
for a templated format, its template in ``templates/``. The command line's ``-f``
choices, the renderer and the README's table read :data:`FORMATS`.
"""

from __future__ import annotations

import importlib
import pkgutil

from .base import SYNTAXES, Format


def _discover() -> dict[str, Format]:
    found = [importlib.import_module(f"{__name__}.{info.name}").FORMAT
             for info in pkgutil.iter_modules(__path__) if info.name != "base"]
    return {f.name: f for f in sorted(found, key=lambda f: (f.order, f.name))}


#: Every output format by its ``-f`` name.
FORMATS: dict[str, Format] = _discover()

__all__ = ["FORMATS", "Format", "SYNTAXES"]
