"""Compile a LaTeX key or sheet to PDF with latexmk (pdflatex), safely.

The build runs in a temporary folder, with shell escape off, no latexmkrc read
(``-norc``), TeX's file access paranoid (``openin_any=p``, ``openout_any=p``: no
reading or writing outside the build folder, no dot files), non-interactive,
halting on the first error, under a time limit and an output limit. Only a finished
PDF leaves the folder; on an error, the log does (for the user to read) and the PDF
does not.

TeX runs in a process group of its own (a new session): at the time limit, or when
nnsolve is interrupted (SIGINT, SIGTERM) during a build, the whole group is killed
(latexmk and its pdflatex), the folder is removed, and the signal then takes its usual
effect. Each file TeX writes (log, terminal output, PDF) is capped at :data:`MAX_OUTPUT`
bytes (``RLIMIT_FSIZE``), all together at twice that, and each TeX process's CPU time
at the time limit (``RLIMIT_CPU``: a TeX left running by a killed nnsolve ends by
itself). The folders a killed run (SIGKILL) left are removed by the next build. PDFs are
reproducible: ``SOURCE_DATE_EPOCH`` fixes their dates and document ID. One pdflatex pass
builds a document that one pass settles (:mod:`.tex_passes`), latexmk the others, alike.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ..core.errors import BuildError
from .tex_passes import LATEX_FLAGS, ONE_PASS_FLAGS, needs_passes, rerun_asked
from .writer import own_entries, pid_alive

try:  # POSIX only: elsewhere there is no output limit and the time limit kills latexmk alone
    import resource
except ImportError:  # pragma: no cover - Windows
    resource = None  # type: ignore[assignment]

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
#: Where TeX's terminal output goes (a dot file, in the build folder, capped like the rest).
_OUTPUT_FILE = ".nnsolve-output"
#: A build folder with no readable pid file is stale once this much older than the time limit.
_GRACE = 60
_FOLDER_RE = re.compile(re.escape(PREFIX) + r"[A-Za-z0-9_]+$")
_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@dataclass(frozen=True)
class PdfResult:
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


def tex_environment(tmp: str) -> dict[str, str]:
    """TeX's environment: paranoid file access, no shell escape, and fixed dates (a set
    ``SOURCE_DATE_EPOCH`` is kept), so that the PDF's dates and ID, and its bytes, are fixed."""
    env = dict(os.environ, openin_any="p", openout_any="p", shell_escape="f", TEXMFOUTPUT=tmp)
    if not env.get("SOURCE_DATE_EPOCH", "").isdigit():
        env["SOURCE_DATE_EPOCH"] = "0"
    env.pop("FORCE_SOURCE_DATE", None)  # \today in a statement stays today's date
    return env


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
    src = Path(tmp) / f"{stem}.tex"
    src.write_text(tex, encoding="utf-8")
    deadline = time.monotonic() + timeout
    if not needs_passes(tex):
        result = _run_tex(["pdflatex", *ONE_PASS_FLAGS, src.name], stem, tmp, timeout, max_output, deadline)
        if result.pdf is None or not rerun_asked(result.log):
            return result
    return _run_tex(["latexmk", "-norc", "-pdf", *LATEX_FLAGS, "-quiet", src.name], stem, tmp, timeout,
                    max_output, deadline)


def _run_tex(cmd: list[str], stem: str, tmp: str, timeout: float, max_output: int, deadline: float) -> PdfResult:
    """Run pdflatex or latexmk in ``tmp`` until ``deadline`` (the document's ``timeout``), files capped."""
    output = Path(tmp) / _OUTPUT_FILE
    with open(output, "wb") as out:
        proc = _start(cmd, tmp, tex_environment(tmp), out, timeout, max_output)
        try:
            returncode = _wait(proc, Path(tmp), deadline - time.monotonic(), 2 * max_output)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            raise BuildError(f"{stem}.tex: LaTeX took longer than {timeout:g} s; stopped") from None
        except BaseException:  # an interrupt (or anything else): TeX does not outlive the build
            _kill_group(proc)
            raise
    for path in sorted(Path(tmp).iterdir()):
        if path.is_file() and path.stat().st_size >= max_output:
            raise BuildError(f"{stem}.tex: LaTeX wrote more than {max_output / 2**20:g} MB "
                             f"({'its terminal output' if path == output else path.name}); stopped")
    if returncode is None:
        raise BuildError(f"{stem}.tex: LaTeX wrote more than {2 * max_output / 2**20:g} MB in all; stopped")
    log_path = Path(tmp) / f"{stem}.log"
    log = (log_path if log_path.exists() else output).read_text(encoding="utf-8", errors="replace")
    pdf_path = Path(tmp) / f"{stem}.pdf"
    if returncode != 0 or not pdf_path.exists():
        return PdfResult(None, log, first_error(log))
    return PdfResult(pdf_path.read_bytes(), log)


def _wait(proc: subprocess.Popen, folder: Path, timeout: float, most: int) -> int | None:
    """latexmk's exit code; ``None`` once TeX's files together pass ``most`` bytes (many
    files, each under the cap), TeX's group then killed. Raises TimeoutExpired at the limit."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return proc.wait(timeout=max(0.0, min(0.25, deadline - time.monotonic())))
        except subprocess.TimeoutExpired:
            if time.monotonic() >= deadline:
                raise
        try:
            total = sum(e.stat(follow_symlinks=False).st_size for e in os.scandir(folder))
        except OSError:  # a file removed while counting: counted at the next look
            total = 0
        if total > most:
            _kill_group(proc)
            return None


def _start(cmd: list[str], cwd: str, env: dict[str, str], out, timeout: float,
           max_output: int) -> subprocess.Popen:
    """Start TeX in a new session (its own process group), its files capped at
    ``max_output`` bytes and each process's CPU time at the time limit (so that TeX ends
    even if nnsolve is killed outright); SIGINT and SIGTERM are held while it starts, so
    that the process is known before an interrupt is handled (the child unblocks them)."""
    cpu = int(timeout) + 2  # CPU seconds of each process: bounds TeX even if nnsolve is killed outright

    def child() -> None:  # runs in the child, between fork and exec
        if resource is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (max_output, max_output))
            soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
            if (soft == resource.RLIM_INFINITY or soft > cpu) and (hard == resource.RLIM_INFINITY or hard > cpu):
                resource.setrlimit(resource.RLIMIT_CPU, (cpu, hard))
        if hasattr(signal, "pthread_sigmask"):
            signal.pthread_sigmask(signal.SIG_UNBLOCK, _SIGNALS)

    posix = os.name == "posix"
    blocked = posix and hasattr(signal, "pthread_sigmask")
    if blocked:
        signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)
    try:
        return subprocess.Popen(cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=posix,
                                preexec_fn=child if posix else None)
    finally:
        if blocked:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, _SIGNALS)


def _kill_group(proc: subprocess.Popen) -> None:
    """Kill TeX's whole group (latexmk, its pdflatex), then reap latexmk (so the id was still ours)."""
    try:
        if hasattr(os, "killpg"):
            os.killpg(proc.pid, signal.SIGKILL)
        else:  # pragma: no cover - Windows
            proc.kill()
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()


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
