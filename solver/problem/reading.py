"""Reading a problem file's text: a regular file, at most :data:`MAX_BYTES` bytes, UTF-8."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from ..core.errors import ProblemError

MAX_BYTES = 1_000_000


def read_text(path: str | Path) -> str:
    """The text of a problem file: a regular file (a FIFO is opened without blocking, then
    refused) of at most :data:`MAX_BYTES` bytes, whatever its size claims; UTF-8, not empty.

    Raises:
        ProblemError: otherwise.
    """
    file = str(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        raise ProblemError(f"cannot read the file ({exc.strerror or exc})", file=file) from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = ("a folder" if stat.S_ISDIR(mode) else "a FIFO (named pipe)" if stat.S_ISFIFO(mode)
                    else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
                    else "a socket" if stat.S_ISSOCK(mode) else "not a regular file")
            raise ProblemError(f"cannot read the file: it is {kind}, not a regular file", file=file)
        chunks, size = [], 0
        while size <= MAX_BYTES:
            chunk = os.read(fd, MAX_BYTES + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise ProblemError(f"cannot read the file ({exc.strerror or exc})", file=file) from None
    finally:
        os.close(fd)
    if size > MAX_BYTES:  # read, not trusted to stat: /proc files claim 0 bytes
        raise ProblemError(f"the file is larger than {MAX_BYTES // 1000} kB", file=file)
    try:
        text = b"".join(chunks).decode("utf-8")
    except UnicodeDecodeError:
        raise ProblemError("the file is not UTF-8 text", file=file) from None
    if not text.strip():
        raise ProblemError("the file is empty", file=file)
    return text
