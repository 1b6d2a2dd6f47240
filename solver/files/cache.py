"""The compiled-template cache: a third of a small key's time is compiling its
templates, so compiled templates are kept between runs in the user's cache folder.
Jinja writes each entry to a temporary file and renames it into place, so two
processes running at once never read a half-written entry; such a temporary file that a
run killed outright (SIGKILL) left behind is removed by a later run once it is a few
minutes old (writing an entry takes milliseconds)."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import jinja2

from ..core.version import __version__
from .writer import remove_own

#: Seconds after which a half-written entry (Jinja's ``<entry>.cache<random>.tmp``) is stale.
STALE_AFTER = 300
_STAGED_RE = re.compile(r"^__jinja2_[0-9a-f]+\.cache[A-Za-z0-9_]{8}\.tmp$")


def template_cache() -> jinja2.BytecodeCache | None:
    """The cache in ``$XDG_CACHE_HOME/nnsolve`` (default ``~/.cache/nnsolve``), one folder
    per version; ``None`` where that folder cannot be written."""
    folder = cache_folder(f"templates-{__version__}")
    if folder is None:
        return None
    clean_stale(folder)
    return jinja2.FileSystemBytecodeCache(str(folder))


def cache_folder(name: str) -> Path | None:
    """``$XDG_CACHE_HOME/nnsolve/<name>`` (default ``~/.cache/nnsolve/<name>``), made if
    missing; ``None`` where it cannot be made or written."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    folder = base / "nnsolve" / name
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if not os.access(folder, os.W_OK):
            return None
    except (OSError, RuntimeError):  # RuntimeError: no home folder to find
        return None
    return folder


def clean_stale(folder: Path, now: float | None = None) -> list[Path]:
    """Remove the half-written entries (regular files of this user, named as Jinja names
    its temporary files) older than :data:`STALE_AFTER` seconds. Returns those removed."""
    now = time.time() if now is None else now
    return remove_own(folder, _STAGED_RE, lambda m, age: age > STALE_AFTER, now)
