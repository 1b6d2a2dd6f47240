"""Writing outputs all-or-nothing: every output goes to a temporary file beside its
target, and the targets are replaced (renamed over) only once all are written, so a
failed or interrupted run never leaves a half-written file or a half-updated set.

The temporary files are named ``.<name>.<pid>.<random>.tmp``; one that a run killed
outright (SIGKILL) left behind is removed by the next write to that folder, once the
process named in it has ended (or once it is :data:`STALE_AFTER` seconds old)."""

from __future__ import annotations

import os
import re
import stat
import tempfile
import time
from pathlib import Path

from ..core.errors import BuildError

#: A staged file this old is left over whatever its process (a run takes seconds).
STALE_AFTER = 600
#: A staged file younger than this is never touched (its pid may be another host's).
_YOUNG = 5
#: ``.<name>.<pid>.<8 random characters of mkstemp>.tmp``
STAGED_RE = re.compile(r"^\.(?P<name>.+)\.(?P<pid>[0-9]+)\.[a-z0-9_]{8}\.tmp$")


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
    for folder in dict.fromkeys(target.parent for target, _ in outputs):
        clean_stale(folder)
    try:
        for target, text in outputs:
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.{os.getpid()}.", suffix=".tmp",
                                           dir=target.parent)
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
            try:
                os.chmod(tmp, mode)
                os.replace(tmp, target)
            except OSError as exc:
                raise BuildError(f"{target}: cannot write the file ({exc.strerror or exc})") from None
    finally:
        for tmp, _ in staged:
            if os.path.exists(tmp):
                os.unlink(tmp)


def clean_stale(folder: Path, now: float | None = None) -> list[Path]:
    """Remove the staged files (:data:`STAGED_RE`; regular files of this user) that a
    killed run left in ``folder``: those whose process has ended, or that are older than
    :data:`STALE_AFTER` seconds; never one younger than a few seconds. Returns those removed."""
    now = time.time() if now is None else now

    def stale(m: re.Match, age: float) -> bool:
        pid = int(m.group("pid"))
        return age > STALE_AFTER or (age > _YOUNG and pid != os.getpid() and not pid_alive(pid))
    return remove_own(folder, STAGED_RE, stale, now)


def remove_own(folder: Path, pattern: re.Pattern, stale, now: float) -> list[Path]:
    """Remove this user's regular files in ``folder`` named by ``pattern`` for which
    ``stale(match, age in seconds)`` holds (one another process removed first is skipped).
    Returns those removed."""
    removed: list[Path] = []
    for path, m, st in own_entries(folder, pattern):
        if stale(m, now - st.st_mtime):
            try:
                path.unlink()
                removed.append(path)
            except OSError:
                pass
    return removed


def own_entries(folder: Path, pattern: re.Pattern, directories: bool = False):
    """The entries of ``folder`` whose name matches ``pattern`` and that this user owns:
    regular files (or, with ``directories``, real folders), never a symbolic link. Yields
    (path, name match, ``lstat`` result); a folder that cannot be listed yields nothing.
    What a run's leftovers are looked for in, so that only the tool's own names are touched."""
    try:
        names = os.listdir(folder)
    except OSError:
        return
    uid = os.getuid() if hasattr(os, "getuid") else None
    kind = stat.S_ISDIR if directories else stat.S_ISREG
    for name in names:
        m = pattern.match(name)
        if not m:
            continue
        path = Path(folder) / name
        try:
            st = path.lstat()
        except OSError:
            continue
        if kind(st.st_mode) and (uid is None or st.st_uid == uid):
            yield path, m, st


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` (of this host) is running (another user's counts)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):
        return False
    except OSError:  # another user's process
        return True
    return True


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
