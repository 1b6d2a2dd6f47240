"""One run writes an output folder at a time: an exclusive ``flock`` on the folder itself
(no lock file is left behind) is held while a run replaces its outputs, so two runs
writing the same folder at once write one after the other, each problem's files from
one run. Where ``fcntl`` does not exist (Windows) the runs are not serialised."""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None


@contextmanager
def output_lock(folder: Path):
    """Hold the folder's lock (making the folder first) for the duration of the block;
    where the folder cannot be made or locked, go on unlocked (the writer then reports
    what it cannot write). Also the TeX format cache's lock (:mod:`.tex_format`)."""
    fd = None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if fcntl is not None:
            fd = os.open(folder, os.O_RDONLY)
            fcntl.flock(fd, fcntl.LOCK_EX)
    except OSError:
        if fd is not None:  # opened, not locked
            os.close(fd)
        fd = None
    try:
        yield
    finally:
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
