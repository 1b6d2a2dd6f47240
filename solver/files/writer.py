"""Writing outputs all-or-nothing: every output goes to a temporary file beside its
target, and the targets are replaced (renamed over) only once all are written, so a
failed or interrupted run never leaves a half-written file or a half-updated set."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from ..core.errors import BuildError


def write_all(outputs: list[tuple[Path, str | bytes]]) -> None:
    """Write every ``(path, content)`` (text as UTF-8, or bytes), or none: each goes to a
    temporary file beside its target first, and the targets are replaced only once all
    have been written.

    Raises:
        BuildError: a file cannot be written (nothing is replaced then).
    """
    staged: list[tuple[str, Path]] = []
    for target, _ in outputs:  # a target that cannot be renamed over fails before anything is replaced
        if target.is_dir():
            raise BuildError(f"{target}: cannot write the file (a folder of that name is in the way)")
    try:
        for target, text in outputs:
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
                staged.append((tmp, target))
                if isinstance(text, bytes):
                    with os.fdopen(fd, "wb") as fh:
                        fh.write(text)
                else:
                    with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
                        fh.write(text)
            except OSError as exc:
                raise BuildError(f"{target}: cannot write the file ({exc.strerror or exc})") from None
        mode = 0o666 & ~_umask()  # mkstemp makes files private (0600); outputs are ordinary files
        for tmp, target in staged:
            os.chmod(tmp, mode)
            os.replace(tmp, target)
    finally:
        for tmp, _ in staged:
            if os.path.exists(tmp):
                os.unlink(tmp)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
