"""The compiled-template cache: a third of a small key's time is compiling its
templates, so compiled templates are kept between runs in the user's cache folder.
Jinja writes each entry to a temporary file and renames it into place, so two
processes running at once never read a half-written entry."""

from __future__ import annotations

import os
from pathlib import Path

import jinja2

from ..core.version import __version__


def template_cache() -> jinja2.BytecodeCache | None:
    """The cache in ``$XDG_CACHE_HOME/nnsolve`` (default ``~/.cache/nnsolve``), one folder
    per version; ``None`` where that folder cannot be written."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    folder = base / "nnsolve" / f"templates-{__version__}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if not os.access(folder, os.W_OK):
            return None
    except OSError:
        return None
    return jinja2.FileSystemBytecodeCache(str(folder))
