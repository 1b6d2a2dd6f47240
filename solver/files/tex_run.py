"""Running one TeX program (pdflatex, latexmk) safely: in a process group of its own, its
files and CPU time capped, until a deadline.

TeX runs in a new session: at the time limit, or when nnsolve is interrupted, the whole
group is killed (latexmk and its pdflatex). Each file TeX writes (log, terminal output,
PDF, format) is capped at ``max_output`` bytes (``RLIMIT_FSIZE``), all together at twice
that, and each TeX process's CPU time at the time limit (``RLIMIT_CPU``: a TeX left
running by a killed nnsolve ends by itself). Used by :mod:`.pdf` and :mod:`.tex_format`.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

from ..core.errors import BuildError

try:  # POSIX only: elsewhere there is no output limit and the time limit kills latexmk alone
    import resource
except ImportError:  # pragma: no cover - Windows
    resource = None  # type: ignore[assignment]

#: Where TeX's terminal output goes (a dot file, in the build folder, capped like the rest).
OUTPUT_FILE = ".nnsolve-output"
_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def tex_environment(tmp: str) -> dict[str, str]:
    """TeX's environment: paranoid file access, no shell escape, and fixed dates (a set
    ``SOURCE_DATE_EPOCH`` is kept), so that the PDF's dates and ID, and its bytes, are fixed."""
    env = dict(os.environ, openin_any="p", openout_any="p", shell_escape="f", TEXMFOUTPUT=tmp)
    if not env.get("SOURCE_DATE_EPOCH", "").isdigit():
        env["SOURCE_DATE_EPOCH"] = "0"
    env.pop("FORCE_SOURCE_DATE", None)  # \today in a statement stays today's date
    return env


def run(cmd: list[str], label: str, tmp: str, timeout: float, max_output: int, deadline: float) -> int:
    """Run ``cmd`` in the build folder ``tmp`` until ``deadline`` (``time.monotonic``; the
    document's ``timeout`` seconds from its start), its files capped; TeX's exit code.

    Raises:
        BuildError: past the deadline, or a file (or all together) over the cap; TeX's group
            is killed first (one line, naming ``label``, the document's file).
    """
    output = Path(tmp) / OUTPUT_FILE
    with open(output, "wb") as out:
        proc = _start(cmd, tmp, tex_environment(tmp), out, timeout, max_output)
        try:
            returncode = _wait(proc, Path(tmp), deadline - time.monotonic(), 2 * max_output)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            raise BuildError(f"{label}: LaTeX took longer than {timeout:g} s; stopped") from None
        except BaseException:  # an interrupt (or anything else): TeX does not outlive the build
            _kill_group(proc)
            raise
    for path in sorted(Path(tmp).iterdir()):
        if path.is_file() and path.stat().st_size >= max_output:
            raise BuildError(f"{label}: LaTeX wrote more than {max_output / 2**20:g} MB "
                             f"({'its terminal output' if path == output else path.name}); stopped")
    if returncode is None:
        raise BuildError(f"{label}: LaTeX wrote more than {2 * max_output / 2**20:g} MB in all; stopped")
    return returncode


def _wait(proc: subprocess.Popen, folder: Path, timeout: float, most: int) -> int | None:
    """latexmk's exit code; ``None`` once TeX's files together pass ``most`` bytes (many
    files, each under the cap), TeX's group then killed. Raises TimeoutExpired at the limit.
    The files are counted every quarter second; the exit is seen as it happens (a pidfd),
    where ``Popen.wait``'s sleeps would see it up to 50 ms late."""
    deadline = time.monotonic() + timeout
    with _exit_watch(proc) as exited:
        while True:
            returncode = exited(max(0.0, min(0.25, deadline - time.monotonic())))
            if returncode is not None:
                return returncode
            if time.monotonic() >= deadline:
                raise subprocess.TimeoutExpired(proc.args, timeout)
            try:
                total = sum(e.stat(follow_symlinks=False).st_size for e in os.scandir(folder))
            except OSError:  # a file removed while counting: counted at the next look
                total = 0
            if total > most:
                _kill_group(proc)
                return None


@contextmanager
def _exit_watch(proc: subprocess.Popen):
    """A function (seconds → exit code, or ``None`` if still running after them) that waits
    on a pidfd (Linux 5.3+), which becomes readable the moment the process ends; elsewhere
    ``Popen.wait``."""
    try:
        fd = os.pidfd_open(proc.pid)
    except (AttributeError, OSError):  # not Linux, an old kernel: Popen.wait's polling
        def exited(seconds: float) -> int | None:
            try:
                return proc.wait(timeout=seconds)
            except subprocess.TimeoutExpired:
                return None
        yield exited
        return
    try:
        yield lambda seconds: (select.select([fd], [], [], seconds), proc.poll())[1]
    finally:
        os.close(fd)


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


