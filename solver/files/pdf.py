"""Compile a LaTeX key or sheet to PDF with latexmk (pdflatex), safely.

The build runs in a temporary folder, with shell escape off, no latexmkrc read
(``-norc``), TeX's file access paranoid (``openin_any=p``, ``openout_any=p``: no
reading or writing outside the build folder, no dot files), non-interactive,
halting on the first error, under a time limit and an output limit. Only a finished
PDF leaves the folder; on an error, the log does (for the user to read) and the PDF
does not.

TeX runs as :mod:`.tex_run` runs it: in a process group of its own, killed whole at the
time limit or when nnsolve is interrupted (SIGINT, SIGTERM) during a build (the folder is
then removed, and the signal takes its usual effect), its files capped at
:data:`MAX_OUTPUT` bytes each, and its CPU time limited. The folders a killed run
(SIGKILL) left are removed by the next build. PDFs are reproducible: ``SOURCE_DATE_EPOCH``
fixes their dates and document ID. One pdflatex pass builds a document that one pass
settles (:mod:`.tex_passes`), latexmk the others, alike; both start from a cached format
of the document's package loading where one can be made (:mod:`.tex_format`).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import msgspec

from ..core.errors import BuildError
from . import tex_format, tex_run
from .tex_passes import LATEX_FLAGS, ONE_PASS_FLAGS, needs_passes, rerun_asked
from .tex_run import tex_environment  # noqa: F401 - part of this module's interface
from .writer import own_entries, pid_alive

#: What to install where TeX is missing (the project's CI installs the Debian ones).
INSTALL_HINT = ("install TeX to build PDFs: Debian/Ubuntu 'apt-get install latexmk texlive-latex-base "
                "texlive-latex-recommended texlive-pictures' (add texlive-latex-extra for --documentclass exam); "
                "macOS 'brew install --cask mactex-no-gui'; Windows: MiKTeX from miktex.org")
#: Seconds one document may take (latexmk's passes together).
TIME_LIMIT = 180
#: Bytes TeX may write to any one file (log, terminal output, PDF): 50 MB.
MAX_OUTPUT = 50 * 1024 * 1024
#: The prefix of the build folders in the temporary folder (and only those are ever cleaned).
PREFIX = "nnsolve-tex-"
#: The file in a build folder naming its process (a dot file: TeX may not read it).
PID_FILE = ".nnsolve-pid"
#: A build folder with no readable pid file is stale once this much older than the time limit.
_GRACE = 60
_FOLDER_RE = re.compile(re.escape(PREFIX) + r"[A-Za-z0-9_]+$")
_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class PdfResult(msgspec.Struct, frozen=True):
    """A build's outcome: the PDF (``None`` on an error), the log, and the first error."""

    pdf: bytes | None
    log: str
    error: str = ""


def tex_available() -> bool:
    """Whether latexmk and pdflatex are on the PATH."""
    return bool(shutil.which("latexmk") and shutil.which("pdflatex"))


def first_error(log: str) -> str:
    """The first LaTeX error of a log, with its line, in one or two lines."""
    lines = log.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("!") or re.match(r"^[^:\s]+\.tex:\d+: ", line):
            where = next((m.group(0) for m in (re.match(r"^l\.(\d+)", l) for l in lines[i:i + 12]) if m), "")
            msg = line.lstrip("! ").strip()
            return f"{msg} (at {where.replace('l.', 'line ')} of the .tex)" if where else msg
    return "LaTeX stopped without a readable error (see the log)"


def build_pdf(tex: str, stem: str, timeout: float = TIME_LIMIT, max_output: int = MAX_OUTPUT) -> PdfResult:
    """Compile ``tex`` (a whole document) to PDF, in at most ``timeout`` seconds, TeX
    writing at most ``max_output`` bytes to any one file.

    Raises:
        BuildError: TeX is not installed, the build took longer than ``timeout``
            seconds, or TeX wrote more than ``max_output`` bytes to a file (one line
            each; no PDF then).
    """
    if not tex_available():
        raise BuildError(f"cannot build a PDF: latexmk or pdflatex is not installed; {INSTALL_HINT}")
    clean_stale_builds()
    try:
        with _interruptible(), tempfile.TemporaryDirectory(prefix=PREFIX) as tmp:
            _write_pid_file(Path(tmp), timeout)
            return _build(tex, stem, tmp, timeout, max_output)
    except _Interrupted as exc:  # the group is killed and the folder removed: now the signal's turn
        signum = exc.args[0]
    _redeliver(signum)
    raise KeyboardInterrupt  # pragma: no cover - only if the signal's handler returned


def _build(tex: str, stem: str, tmp: str, timeout: float, max_output: int) -> PdfResult:
    deadline = time.monotonic() + timeout

    def run(cmd: list[str], folder: str) -> int:
        return tex_run.run(cmd, f"{stem}.tex", folder, timeout, max_output, deadline)

    prepared = tex_format.prepare(tex, tmp, run)
    if prepared is not None:
        result = _compile(prepared.text, prepared.flags, stem, tmp, run)
        if result.pdf is not None:
            return result
        _empty(Path(tmp))  # the document's own error, from a build as it is
    result = _compile(tex, (), stem, tmp, run)
    if prepared is not None and result.pdf is not None:
        prepared.discard()  # it builds without the format, not with it: the format is at fault
    return result


def _compile(tex: str, flags: tuple[str, ...], stem: str, tmp: str, run) -> PdfResult:
    """One pdflatex pass where one settles the document, else latexmk's passes."""
    (Path(tmp) / f"{stem}.tex").write_text(tex, encoding="utf-8")
    if not needs_passes(tex):
        result = _result(run(["pdflatex", *flags, *ONE_PASS_FLAGS, f"{stem}.tex"], tmp), stem, tmp)
        if result.pdf is None or not rerun_asked(result.log):
            return result
    engine = [f"-pdflatex=pdflatex {' '.join(flags)} %O %S"] if flags else []
    return _result(run(["latexmk", "-norc", "-pdf", *engine, *LATEX_FLAGS, "-quiet", f"{stem}.tex"], tmp), stem, tmp)


def _result(returncode: int, stem: str, tmp: str) -> PdfResult:
    """The PDF and log of a finished run (the log: TeX's own, else its terminal output)."""
    log_path = Path(tmp) / f"{stem}.log"
    log = (log_path if log_path.exists() else Path(tmp) / tex_run.OUTPUT_FILE).read_text(
        encoding="utf-8", errors="replace")
    pdf_path = Path(tmp) / f"{stem}.pdf"
    if returncode != 0 or not pdf_path.exists():
        return PdfResult(None, log, first_error(log))
    return PdfResult(pdf_path.read_bytes(), log)


def _empty(folder: Path) -> None:
    """Remove what a build wrote in its folder (all but the pid file)."""
    for path in folder.iterdir():
        if path.name != PID_FILE:
            shutil.rmtree(path) if path.is_dir() and not path.is_symlink() else path.unlink()


# -- interrupts ---------------------------------------------------------------------------------

class _Interrupted(BaseException):
    """SIGINT or SIGTERM (its number the argument) arrived during a build (raised by the
    handler, caught by build_pdf)."""


def _raise_interrupted(signum, frame) -> None:
    raise _Interrupted(signum)


@contextmanager
def _interruptible():
    """Handle SIGINT and SIGTERM (as :class:`_Interrupted`) during a build, then restore the
    handlers; an ignored signal stays ignored; outside the main thread nothing changes."""
    previous = {}
    try:
        for signum in _SIGNALS:
            old = signal.getsignal(signum)
            if old is not signal.SIG_IGN:
                previous[signum] = old
                signal.signal(signum, _raise_interrupted)
    except ValueError:  # not the main thread
        pass
    try:
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old if old is not None else signal.SIG_DFL)


def _redeliver(signum: int) -> None:
    """Give the signal its usual effect, the handlers restored: Python's handler (SIGINT's
    KeyboardInterrupt) is called; the default action (SIGTERM's) ends the process."""
    handler = signal.getsignal(signum)
    if callable(handler):
        handler(signum, None)
    elif handler == signal.SIG_DFL:
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
        time.sleep(1)  # the default action ends the process before this returns


# -- stale folders ------------------------------------------------------------------------------

def _write_pid_file(folder: Path, timeout: float) -> None:
    deadline = int(time.time() + timeout) + 1
    (folder / PID_FILE).write_text(f"{os.getpid()} {deadline} {socket.gethostname()}\n", encoding="utf-8")


def stale(folder: Path, now: float | None = None) -> bool:
    """Whether a build folder is left over: its pid file names a process of this host that
    has ended, or its deadline (the time limit) passed a minute ago; a folder with no pid
    file (being created, or an older version's) once older than the time limit plus a minute."""
    now = time.time() if now is None else now
    try:
        pid_s, deadline_s, host = (folder / PID_FILE).read_text(encoding="utf-8").split()
        pid, deadline = int(pid_s), int(deadline_s)
    except (OSError, ValueError):
        try:
            return now - folder.lstat().st_mtime > TIME_LIMIT + _GRACE
        except OSError:
            return False
    if host == socket.gethostname() and pid != os.getpid() and not pid_alive(pid):
        return True
    return now > deadline + _GRACE


def clean_stale_builds(parent: str | None = None, now: float | None = None) -> list[Path]:
    """Remove the build folders (``nnsolve-tex-*``, real folders of this user) that a run
    killed outright (SIGKILL, a power cut) left in the temporary folder; folders in use
    are kept (see :func:`stale`). Returns the folders removed."""
    base = Path(parent or tempfile.gettempdir())
    removed = []
    for folder, _, _ in own_entries(base, _FOLDER_RE, directories=True):  # a symbolic link is not followed
        if stale(folder, now):
            shutil.rmtree(folder, ignore_errors=True)
            if not folder.exists():
                removed.append(folder)
    return removed
