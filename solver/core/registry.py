"""Registries filled by discovery: every module of a package (but its ``base``) that
defines a descriptor is one entry, so adding an activation, a loss, an optimizer or an
output format is adding one module."""

from __future__ import annotations

import importlib
import pkgutil
from typing import Callable


def discover(package: str, path, attribute: str, key: Callable) -> list:
    """The ``attribute`` of every module of ``package`` (found on ``path``, the package's
    ``__path__``), ``base`` excepted, sorted by ``key``."""
    found = [getattr(importlib.import_module(f"{package}.{info.name}"), attribute)
             for info in pkgutil.iter_modules(path) if info.name != "base"]
    return sorted(found, key=key)
