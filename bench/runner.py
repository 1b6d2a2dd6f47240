"""Running the benchmark's child processes: wall time, CPU time and peak memory of each child
alone, progress on stderr, and the small statistics the tables use (medians, paired ratios,
log-log slopes)."""

from __future__ import annotations

import math
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FORMATS = ["-f", "md", "-f", "tex", "-f", "json"]
FLOOR = [sys.executable, "-c", "import sympy, jinja2, click"]


@dataclass
class Run:
    seconds: float
    peak_mb: float | None  # the child's own peak resident memory
    returncode: int | None  # None: killed at the time cap
    stderr: str = ""
    cpu: float | None = None  # the child's own user + system CPU seconds

    @property
    def timed_out(self) -> bool:
        return self.returncode is None


def _rss_mb(ru_maxrss: int) -> float:
    # Linux reports kilobytes, macOS bytes.
    return ru_maxrss / (1024 * 1024) if sys.platform == "darwin" else ru_maxrss / 1024


def run(cmd: list[str], env: dict[str, str], timeout: float | None = None, stdout=subprocess.DEVNULL) -> Run:
    """Run ``cmd`` in ROOT; its wall time and, where ``os.wait4`` exists, the peak memory
    of that child alone (its own rusage, not the sum or maximum over all children)."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=stdout, stderr=err)
        killed = threading.Event()

        def kill() -> None:
            killed.set()
            proc.kill()

        timer = threading.Timer(timeout, kill) if timeout else None
        if timer:
            timer.start()
        try:
            if hasattr(os, "wait4"):
                _, status, usage = os.wait4(proc.pid, 0)
                seconds = time.perf_counter() - start
                proc.returncode = os.waitstatus_to_exitcode(status)
                peak = _rss_mb(usage.ru_maxrss)
                cpu = usage.ru_utime + usage.ru_stime
            else:  # pragma: no cover - Windows: time only
                proc.wait()
                seconds = time.perf_counter() - start
                peak = cpu = None
        finally:
            if timer:
                timer.cancel()
        err.seek(0)
        text = err.read().decode("utf-8", "replace")
    return Run(seconds, peak, None if killed.is_set() else proc.returncode, text, cpu)


def checked(r: Run, what: str) -> Run:
    if r.returncode != 0:
        sys.stderr.write(f"bench: {what} failed (exit {r.returncode}):\n{r.stderr}\n")
        raise SystemExit(1)
    return r


def progress(msg: str) -> None:
    print(f"bench: {msg}", file=sys.stderr, flush=True)


def environment() -> dict[str, str]:
    """The user's environment: nnsolve's template cache is the user's own (warmed by the
    untimed first runs), as it is when a user runs nnsolve;
    ``PYTHONDONTWRITEBYTECODE`` is unset; sympy's integers are those nnsolve gives it
    (``SYMPY_GROUND_TYPES``: :func:`solver.sympy_ground_types`), in the floor's child too,
    which otherwise would import python-flint with sympy where nnsolve does not."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from solver import sympy_ground_types

    env = dict(os.environ)
    env.setdefault("SYMPY_GROUND_TYPES", sympy_ground_types())
    env.pop("NNSOLVE_DEBUG", None)
    # Python's default bytecode caching, as a user has it (pip compiles installed packages;
    # a checkout gets solver/__pycache__): without it every run would compile solver/ again.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def solve_cmd(problem: Path, out: Path, *extra: str) -> list[str]:
    """``python -m solver solve PROBLEM -o OUT -f md -f tex -f json`` (and ``extra``)."""
    return [sys.executable, "-m", "solver", "solve", str(problem), "-o", str(out), *FORMATS, *extra]


def median_seconds(rs: list[Run]) -> float:
    return statistics.median(x.seconds for x in rs)


def median_cpu(rs: list[Run]) -> float | None:
    """The median CPU time (user + system) of runs, where measured."""
    xs = [x.cpu for x in rs if x.cpu is not None]
    return statistics.median(xs) if xs else None


def highest_peak(rs: list[Run]) -> float | None:
    """The highest peak memory over runs, where measured."""
    return max((x.peak_mb for x in rs if x.peak_mb is not None), default=None)


def plural(n: int, word: str) -> str:
    """``1 run``, ``3 runs``."""
    return f"{n:,} {word}{'s' * (n != 1)}"


def paired_ratio(tops: list[Run], bottoms: list[Run]) -> float:
    """The median of the paired ratios top_i / bottom_i (runs i of both, made back to back)."""
    return statistics.median(t.seconds / b.seconds for t, b in zip(tops, bottoms, strict=True))


def slope(xs: list[float], ys: list[float]) -> float | None:
    """Least-squares slope of log y against log x (None for fewer than two points, or a y ≤ 0)."""
    if len(xs) < 2 or min(ys) <= 0:
        return None
    lx, ly = [math.log(x) for x in xs], [math.log(y) for y in ys]
    mx, my = statistics.fmean(lx), statistics.fmean(ly)
    return sum((a - mx) * (b - my) for a, b in zip(lx, ly)) / sum((a - mx) ** 2 for a in lx)
