"""sympy's derivatives of the shapes of terms, kept between runs.

A tensor key differentiates its graph's terms with sympy, once per *shape* of term
(:mod:`solver.graph.shapes`): 26 shapes for ``dropout``, 33 for ``attention-masked``,
80–190 ms of a run that otherwise takes about as long again. The derivatives are kept, one
small JSON file each (:mod:`solver.graph.shape_codec`: the tree node for node), in
``$XDG_CACHE_HOME/nnsolve/derivatives-<fingerprint>``; a later run of the same shapes, the
same problem again or another with the same layers, decodes them instead of differentiating.

The fingerprint is a hash of sympy's version, nnsolve's, and the name, size and time of
change of every module that a derivative's form can depend on (the operations of
:mod:`solver.ops`, :mod:`solver.graph.shapes` and its codec): code that differentiates
differently never reads another's entries. An entry is found by the hash of the canonical
term and symbol, so an entry is never used for another term; one that cannot be read or
decoded is made again. New entries are written together when the run ends, all or nothing,
through :func:`.writer.write_all` (temporary files renamed into place, so a reader never
sees half an entry); a cache that cannot be written costs the time only. At most
:data:`KEEP_ENTRIES` entries are kept in a folder (the oldest written removed) and
:data:`KEEP_FOLDERS` folders. ``NNSOLVE_DERIVATIVE_CACHE=0`` turns the store off.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import stat
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import sympy

from ..core.errors import BuildError
from ..core.version import __version__
from ..graph import shapes
from .cache import cache_folder
from .writer import own_entries, write_all

#: Entries kept in a folder (a few kB each); beyond it, the oldest written are removed.
KEEP_ENTRIES = 20000
#: Folders kept (one per fingerprint), the least recently used removed.
KEEP_FOLDERS = 4
#: What the encoding of an entry is (:mod:`solver.graph.shape_codec`): part of the fingerprint.
CODEC = 2
#: The largest entry read (bytes): far beyond any derivative of a problem's formula.
LARGEST_ENTRY = 8_000_000
_ENTRY_RE = re.compile(r"^[0-9a-f]{64}\.json$")
_FOLDER_RE = re.compile(r"^derivatives-[0-9a-f]{16}$")
_PACKAGE = Path(__file__).resolve().parent.parent


class DerivativeStore:
    """Entries in one folder, made when first asked for (a run that differentiates nothing
    touches nothing): read when asked for, new ones written by :meth:`flush`."""

    def __init__(self, folder: Path | None = None) -> None:
        self._folder = folder
        self._opened = folder is not None
        self.new: dict[str, str] = {}

    @property
    def folder(self) -> Path | None:
        """The folder of this code's fingerprint (``None``: it cannot be made)."""
        if not self._opened:
            self._opened = True
            self._folder = _open_folder()
        return self._folder

    def get(self, key: str) -> str | None:
        """The entry kept under ``key``, or ``None`` (none, or it cannot be read: see
        :func:`_read_entry`)."""
        if key in self.new:
            return self.new[key]
        if self.folder is None:
            return None
        return _read_entry(self.folder / f"{key}.json")

    def put(self, key: str, text: str) -> None:
        """Keep ``text`` under ``key`` once the run ends (:meth:`flush`)."""
        self.new[key] = text

    def flush(self) -> None:
        """Write the new entries (a cache that cannot be written keeps nothing), then remove
        the oldest beyond :data:`KEEP_ENTRIES`."""
        if not self.new or self.folder is None:
            self.new = {}
            return
        try:
            write_all([(self.folder / f"{key}.json", text) for key, text in self.new.items()])
        except BuildError:
            return
        finally:
            self.new = {}
        try:
            if len(os.listdir(self.folder)) <= KEEP_ENTRIES:
                return
        except OSError:
            return
        entries = sorted(own_entries(self.folder, _ENTRY_RE), key=lambda e: e[2].st_mtime)
        for path, _, _ in entries[:max(0, len(entries) - KEEP_ENTRIES)]:
            try:
                path.unlink()
            except OSError:
                pass


def _read_entry(path: Path) -> str | None:
    """The text of an entry: a regular file of this user's, not a link, of at most
    :data:`LARGEST_ENTRY` bytes, in UTF-8; else ``None`` (never waits on a FIFO or reads a
    device)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > LARGEST_ENTRY \
                or (hasattr(os, "getuid") and st.st_uid != os.getuid()):
            return None
        with os.fdopen(fd, "rb", closefd=False) as fh:
            return fh.read(LARGEST_ENTRY + 1).decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    finally:
        os.close(fd)


@contextmanager
def derivative_store():
    """Keep the derivatives of shapes between runs for the duration of the block (installed
    in :mod:`solver.graph.shapes`, written when the block ends); nothing where the store is
    off or its folder cannot be made. The command line and :func:`solver.solve` run in one."""
    store = open_store()
    if store is None:
        yield None
        return
    before = shapes.use_store(store)
    try:
        yield store
    finally:
        if shapes.use_store(before) is not store:  # another block ended first (two threads):
            shapes.use_store(None)  # its store was written; put back none rather than it
        store.flush()


def open_store() -> DerivativeStore | None:
    """The store of this code's fingerprint (its folder made when first used), or ``None``
    (``NNSOLVE_DERIVATIVE_CACHE=0``)."""
    if os.environ.get("NNSOLVE_DERIVATIVE_CACHE", "1").strip().lower() in ("0", "off", "no", "false"):
        return None
    return DerivativeStore()


def _open_folder() -> Path | None:
    """``$XDG_CACHE_HOME/nnsolve/derivatives-<fingerprint>``, made and marked as just used,
    the least recently used others beyond :data:`KEEP_FOLDERS` removed; ``None`` where it
    cannot be made."""
    folder = cache_folder(f"derivatives-{fingerprint()}")
    if folder is None:
        return None
    try:
        os.utime(folder)  # the folder's time of change: when it was last used
    except OSError:
        pass
    _prune_folders(folder.parent, folder.name)
    return folder


@lru_cache(maxsize=1)
def fingerprint() -> str:
    """16 hex digits of the hash of sympy's and nnsolve's versions, :data:`CODEC`, and the
    path, size and time of change of every module of :mod:`solver.ops` and of
    :mod:`solver.graph.shapes` and its codec."""
    h = hashlib.sha256(f"{sympy.__version__}\0{__version__}\0{CODEC}".encode())
    files = sorted(_modules(_PACKAGE / "ops"))
    files += [_PACKAGE / "graph" / "shapes.py", _PACKAGE / "graph" / "shape_codec.py"]
    for path in files:
        try:
            st = path.stat()
        except OSError:
            continue
        h.update(f"\0{path.relative_to(_PACKAGE)}\0{st.st_size}\0{st.st_mtime_ns}".encode())
    return h.hexdigest()[:16]


def _modules(folder: Path) -> list[Path]:
    """The ``*.py`` files in ``folder`` and its subfolders (what ``folder.rglob("*.py")``
    finds, in half its time: a cold run asks once)."""
    return [Path(root, name) for root, _, names in os.walk(folder) for name in names if name.endswith(".py")]


def _prune_folders(base: Path, keep: str) -> None:
    """Remove the least recently used ``derivatives-*`` folders beyond :data:`KEEP_FOLDERS`."""
    folders = sorted(own_entries(base, _FOLDER_RE, directories=True), key=lambda e: -e[2].st_mtime)
    for path, _, _ in [f for f in folders if f[0].name != keep][KEEP_FOLDERS - 1:]:
        shutil.rmtree(path, ignore_errors=True)
