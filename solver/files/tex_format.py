"""A precompiled TeX format of a document's package loading, kept between builds.

pdflatex spends a third of a small key's single pass (0.1 of 0.3 s) reading the same
class, packages and fonts. The document's leading ``\\documentclass`` and ``\\usepackage``
lines are dumped once into a format with mylatexformat (TeX Live's
``texlive-latex-extra``; ``pdflatex -ini "&pdflatex" mylatexformat.ltx``), kept in
``$XDG_CACHE_HOME/nnsolve/tex-formats`` by the hash of those lines, of pdflatex and of
TeX's environment variables, and each later build of a document that begins with the same
lines starts from it: the compiled copy carries ``\\endofdump`` after them, the rest of its
preamble is read as before. The pages are the same (only the PDF's internal font
numbers differ); a build is reproducible, for a given TeX installation, as before.

A format is used only while every file TeX read to make it (the base format, classes,
packages, fonts: the ``-recorder`` list) has the size and time it had then; a TeX Live
update makes a new one. Where no format can be made (mylatexformat missing), that is
remembered for a day and documents build as before. ``NNSOLVE_TEX_FORMAT=0`` turns the
cache off; at most :data:`KEEP` formats (19 MB each) are kept, the least recently used
removed. A build that fails with a format is built again without one, so that its error
is the document's own.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import re
import shutil
import time
import zlib
from collections.abc import Callable
from pathlib import Path

import msgspec

from ..core.errors import BuildError
from .cache import cache_folder
from .lock import output_lock
from .writer import write_all

#: Formats kept (19 MB each: the article and the exam class, key and question paper, and more).
KEEP = 6
#: The largest format kept uncompressed (bytes); a larger one is kept as pdflatex dumped it.
LARGEST_PLAIN = 200_000_000
#: Seconds for which a failed attempt to make a format is not tried again.
RETRY_AFTER = 86400
#: The format's name in the build folder (``-fmt=`` of pdflatex).
NAME = "nnsolve-preamble"
#: A line that loads a class or packages, or sets pgfplots' compatibility, and nothing else.
_LOADING = (r"\\(?:documentclass|usepackage|RequirePackage)(?:\[[^\]\n]*\])?\{[^{}\n]*\}(?:\[[^\]\n]*\])?"
            r"|\\pgfplotsset\{[^{}\n]*\}")
_DUMPED = re.compile(rf"(?:(?:{_LOADING})[ \t]*\n)+")


class Prepared(msgspec.Struct, frozen=True):
    """A document ready to build from a format: its text with ``\\endofdump`` after the
    dumped lines, pdflatex's flags, and the cached format."""

    text: str
    flags: tuple[str, ...]
    path: Path

    def discard(self) -> None:
        """Forget the format (a document that built without it failed with it)."""
        for p in (self.path, self.path.with_suffix(".json")):
            p.unlink(missing_ok=True)


def split(tex: str) -> tuple[str, str] | None:
    """(the leading ``\\documentclass``, ``\\usepackage``, ``\\RequirePackage`` and
    ``\\pgfplotsset`` lines, the rest), or ``None`` when the document does not begin with
    ``\\documentclass``."""
    m = _DUMPED.match(tex)
    if m is None or not tex.startswith("\\documentclass"):
        return None
    return m.group(0), tex[m.end():]


def prepare(tex: str, tmp: str, run: Callable[[list[str], str], int]) -> Prepared | None:
    """``tex`` made ready to build from a cached format, made here if need be (in a folder
    of ``tmp``, TeX run by ``run(cmd, folder)``, which returns its exit code and raises
    ``BuildError`` at the time or output limit); ``None`` to build it as it is."""
    parts = split(tex)
    if parts is None or os.environ.get("NNSOLVE_TEX_FORMAT", "1").strip().lower() in ("0", "off", "no", "false"):
        return None
    folder = cache_folder("tex-formats")
    pdflatex = shutil.which("pdflatex")
    if folder is None or pdflatex is None:
        return None
    prefix, rest = parts
    key = _key(prefix, pdflatex)
    path = folder / f"{key}.fmt"
    try:
        with output_lock(folder):  # one process checks or makes a format; another waits for it
            state = _state(folder, key)
            if state == "failed":
                return None
            if state == "missing" and not _dump(prefix, folder, key, Path(tmp) / "format", run):
                return None
            _link(path, Path(tmp) / f"{NAME}.fmt")
            os.utime(path)  # the least recently used goes first
    except OSError:  # the cache cannot be written or read (a full disk): build as before
        return None
    return Prepared(prefix + "\\endofdump\n" + rest, (f"-fmt={NAME}",), path)


def _key(prefix: str, pdflatex: str) -> str:
    exe = Path(pdflatex).resolve()
    st = exe.stat()
    env = sorted((k, v) for k, v in os.environ.items() if k.upper().startswith("TEX") and k != "TEXMFOUTPUT")
    blob = json.dumps([2, prefix, str(exe), st.st_mtime_ns, st.st_size, env])
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:32]


def _state(folder: Path, key: str) -> str:
    """"ready" (the format and every file it was made of unchanged), "failed" (it could not
    be made, less than a day ago, with these files) or "missing"."""
    try:
        record = json.loads((folder / f"{key}.json").read_text(encoding="utf-8"))
        inputs = record["inputs"]
        if any(_stamp(p) != stamp for p, stamp in inputs.items()):
            return "missing"
        if record.get("failed"):
            return "failed" if time.time() - record["when"] < RETRY_AFTER else "missing"
        made = _stamp(str(folder / f"{key}.fmt"))
        return "ready" if made is not None and made[1] == record["size"] else "missing"
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return "missing"


def _stamp(path: str) -> list[int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_mtime_ns, st.st_size]


def _dump(prefix: str, folder: Path, key: str, work: Path, run) -> bool:
    """Make the format of ``prefix`` in ``work`` and keep it as ``<key>.fmt`` (with the
    files it was made of in ``<key>.json``); a failure is recorded. Whether it was made."""
    work.mkdir()
    (work / f"{NAME}.tex").write_text(prefix + "\\begin{document}\n\\end{document}\n", encoding="utf-8")
    code = run(["pdflatex", "-ini", "-recorder", f"-jobname={NAME}", "-no-shell-escape", "-interaction=batchmode",
                "-halt-on-error", "&pdflatex", "mylatexformat.ltx", f"{NAME}.tex"], str(work))
    made = work / f"{NAME}.fmt"
    ok = code == 0 and made.is_file()
    data = _plain(made.read_bytes()) if ok else b""
    record = {"inputs": _inputs(work / f"{NAME}.fls"), "failed": not ok, "when": time.time(), "size": len(data)}
    entries = [(folder / f"{key}.fmt", data)] if ok else []
    try:  # the writer's all-or-nothing staged files: the format and its record together
        write_all([*entries, (folder / f"{key}.json", json.dumps(record, indent=0))])
    except BuildError:  # the cache cannot be written (a full disk): no format this time
        ok = False
    shutil.rmtree(work, ignore_errors=True)
    _prune(folder)
    return ok


def _plain(data: bytes) -> bytes:
    """A format as TeX reads it fastest: uncompressed (see the module's docstring), unless
    it is not gzip data, does not inflate, or is larger than :data:`LARGEST_PLAIN`; then as
    it is (pdflatex reads either)."""
    if not data.startswith(b"\x1f\x8b"):
        return data
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as compressed:
            plain = compressed.read(LARGEST_PLAIN + 1)
    except (OSError, EOFError, zlib.error):  # not gzip (BadGzipFile is an OSError), cut short, damaged
        return data
    return data if len(plain) > LARGEST_PLAIN else plain


def _inputs(fls: Path) -> dict[str, list[int] | None]:
    """Every file (an absolute path) that TeX's ``-recorder`` list says was read, with its
    size and time."""
    try:
        lines = fls.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return {}
    paths = dict.fromkeys(line[6:] for line in lines if line.startswith("INPUT ") and os.path.isabs(line[6:]))
    return {p: _stamp(p) for p in paths}


def _prune(folder: Path) -> None:
    """Keep the :data:`KEEP` most recently used formats (a killed run's half-written
    entries the writer removes, as it removes them beside any output)."""
    formats = sorted(folder.glob("*.fmt"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in formats[KEEP:]:
        for p in (old, old.with_suffix(".json")):
            p.unlink(missing_ok=True)


def _link(path: Path, where: Path) -> None:
    """The format in the build folder, where TeX looks for it (a link, else a copy)."""
    try:
        where.symlink_to(path)
    except OSError:  # pragma: no cover - no symbolic links (Windows without the privilege)
        shutil.copyfile(path, where)
