"""nnsolve's benchmark: ratios measured in one run, on one machine (no stored numbers).

    python bench/bench.py                           # the full benchmark; prints the tables
    python bench/bench.py --runs 7                  # more runs per median
    python bench/bench.py --write docs/performance.md   # also write the tables and the machine
    python bench/bench.py --quick                   # CI: smallest network only, 1 run each

1. Cold start: ``python -m solver solve P -f md -f tex -f json`` of each bundled problem, in a
   fresh process, against the floor ``python -c "import sympy, jinja2, click"``: medians of
   ``--runs`` runs, the ratio per problem; target ≤ 1.3× the floor.
2. Scaling: all gradients of dense ReLU networks of about 100, 1,000 and 10,000 parameters
   (generated with a fixed seed), solved to md + tex + json by the CLI: wall time, CPU time and
   peak memory of that process alone (``os.wait4``'s rusage of the child), and the log-log slope
   of time against parameters (least squares). Targets: slope ≤ 1.1; the 10,000-parameter key
   in ≤ 10 s and ≤ 500 MB.
3. The naive sympy baseline (``bench/naive.py``: the loss as one expression of all weights,
   ``diff`` per parameter, then ``subs`` the values, and the quicker ``xreplace``) at each
   size, capped at ``--naive-timeout`` seconds (60; 2 with ``--quick``); a capped run's total
   is extrapolated from its progress, and where it finishes, its gradients are checked
   against nnsolve's answers JSON.

Targets are reported, never asserted: the exit code is 0 whether they are met or missed
(it is 1 only when a command the benchmark runs fails). Progress goes to stderr; the tables
to stdout. Runs are interleaved (floor, then every problem, round after round) so that a
slow patch of a shared machine affects all of them alike, and each command is run once
untimed first (Python bytecode, nnsolve's compiled-template cache and matplotlib's font
cache in the user's cache folder, the OS file cache); ``--quick`` skips that warm-up, so
its numbers are not measurements. The measured commands run with ``PYTHONDONTWRITEBYTECODE``
unset, as a user's do. ``--write FILE`` replaces only the part of FILE between its
``<!-- bench:begin`` and ``<!-- bench:end -->`` markers (text around them is kept).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import math
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NAIVE = Path(__file__).resolve().parent / "naive.py"
FORMATS = ["-f", "md", "-f", "tex", "-f", "json"]
FLOOR = [sys.executable, "-c", "import sympy, jinja2, click"]

COLD_TARGET = 1.3  # × the floor
SLOPE_TARGET = 1.1
BIG_PARAMS = 10_000  # the "10,000-parameter key": the size nearest this
BIG_SECONDS = 10.0
BIG_MB = 500.0

# (inputs, hidden..., outputs): about 100, 1,000 and 10,000 parameters, layers ≤ 64 units.
SIZES = [(10, 8, 4), (20, 30, 12, 4), (30, 64, 64, 64, 10)]
SEED = 20240601
NAIVE_MODES = ("subs", "xreplace")  # see bench/naive.py
QUICK_NAIVE_CAP = 2.0  # seconds: --quick only checks that the baseline runs

BEGIN = "<!-- bench:begin (written by bench/bench.py --write; edit outside these markers) -->"
END = "<!-- bench:end -->"


# --- running one child process --------------------------------------------------------------

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


def run(cmd: list[str], env: dict[str, str], timeout: float | None = None) -> Run:
    """Run ``cmd`` in ROOT; its wall time and, where ``os.wait4`` exists, the peak memory
    of that child alone (its own rusage, not the sum or maximum over all children)."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=err)
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


# --- problems of growing size --------------------------------------------------------------

def parameter_count(shape: tuple[int, ...]) -> int:
    return sum(n_in * n_out + n_out for n_in, n_out in zip(shape, shape[1:]))


def network_yaml(shape: tuple[int, ...], seed: int = SEED) -> str:
    """A dense network problem: ReLU hidden layers, a linear output layer, half_sse loss,
    one bias per neuron, random two-decimal inputs, weights, biases and targets in [-1, 1]."""
    rng = random.Random(seed)

    def num() -> str:
        return f"{rng.randint(-100, 100) / 100:.2f}"

    name = "-".join(map(str, shape))
    lines = [f'title: "A {name} ReLU network ({parameter_count(shape)} parameters)"',
             "precision: 4",
             "network:",
             "  inputs: {" + ", ".join(f"x{i + 1}: {num()}" for i in range(shape[0])) + "}",
             "  orientation: Wx",
             "  naming: sequential",
             "  layers:"]
    for li, (n_in, n_out) in enumerate(zip(shape, shape[1:])):
        last = li == len(shape) - 2
        lines += [f"    - units: {n_out}",
                  f"      activation: {'linear' if last else 'relu'}",
                  "      weights:"]
        lines += ["        - [" + ", ".join(num() for _ in range(n_in)) + "]" for _ in range(n_out)]
        lines.append("      bias: [" + ", ".join(num() for _ in range(n_out)) + "]")
    lines += ["loss: half_sse",
              "target: [" + ", ".join(num() for _ in range(shape[-1])) + "]",
              "questions:",
              "  - id: all",
              '    title: "All gradients"',
              "    ask: [forward, loss, gradients]",
              "    gradients: all",
              ""]
    return "\n".join(lines)


def slope(xs: list[float], ys: list[float]) -> float | None:
    """Least-squares slope of log y against log x."""
    if len(xs) < 2:
        return None
    lx, ly = [math.log(x) for x in xs], [math.log(y) for y in ys]
    mx, my = statistics.fmean(lx), statistics.fmean(ly)
    return sum((a - mx) * (b - my) for a, b in zip(lx, ly)) / sum((a - mx) ** 2 for a in lx)


# --- the benchmark ---------------------------------------------------------------------------

def environment() -> dict[str, str]:
    """The user's environment: nnsolve's template cache and matplotlib's font cache are the
    user's own (warmed by the untimed first runs), as they are when a user runs nnsolve;
    ``PYTHONDONTWRITEBYTECODE`` is unset."""
    env = dict(os.environ)
    env.pop("NNSOLVE_DEBUG", None)
    # Python's default bytecode caching, as a user has it (pip compiles installed packages;
    # a checkout gets solver/__pycache__): without it every run would compile solver/ again.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def cold_start(problems: list[Path], runs: int, warm: bool, env: dict, tmp: Path) -> dict:
    def solve_cmd(p: Path) -> list[str]:
        return [sys.executable, "-m", "solver", "solve", str(p), "-o", str(tmp / "cold"), *FORMATS]

    if warm:
        progress("cold start: warm-up (untimed)")
        checked(run(FLOOR, env), "the floor")
        for p in problems:
            checked(run(solve_cmd(p), env), f"solving {p.name}")
    floor: list[Run] = []
    times: dict[str, list[Run]] = {p.stem: [] for p in problems}
    for r in range(runs):
        progress(f"cold start: round {r + 1}/{runs}")
        floor.append(checked(run(FLOOR, env), "the floor"))
        for p in problems:
            times[p.stem].append(checked(run(solve_cmd(p), env), f"solving {p.name}"))
    floor_s, floor_cpu = statistics.median(x.seconds for x in floor), _cpu(floor)
    rows = []
    for p in problems:
        med, cpu = statistics.median(x.seconds for x in times[p.stem]), _cpu(times[p.stem])
        rows.append({"problem": p.stem, "seconds": med, "ratio": med / floor_s, "cpu": cpu,
                     "cpu_ratio": cpu / floor_cpu if cpu and floor_cpu else None,
                     "peak_mb": _peak(times[p.stem])})
    return {"floor": floor_s, "floor_cpu": floor_cpu, "floor_peak_mb": _peak(floor), "rows": rows}


def _extrapolate(progress_text: str, params: int) -> tuple[float, int] | None:
    """A capped naive run's total time, extrapolated from its progress (``built P t`` and
    ``gradient k t`` lines): the build, then every gradient at the mean pace of the k it
    finished (each differentiates the same whole expression). None before one finished."""
    built, last = None, None
    for line in progress_text.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] == "built":
            built = float(parts[2])
        elif len(parts) == 3 and parts[0] == "gradient":
            last = (int(parts[1]), float(parts[2]))
    if built is None or last is None:
        return None
    k, t = last
    return built + (t - built) * params / k, k


def _cpu(rs: list[Run]) -> float | None:
    """The median CPU time (user + system) of runs, where measured."""
    xs = [x.cpu for x in rs if x.cpu is not None]
    return statistics.median(xs) if xs else None


def _peak(rs: list[Run]) -> float | None:
    """The highest peak memory over runs, where measured."""
    return max((x.peak_mb for x in rs if x.peak_mb is not None), default=None)


def scaling(shapes, runs: int, warm: bool, naive_cap: float, env: dict, tmp: Path) -> dict:
    rows = []
    for shape in shapes:
        name = "-".join(map(str, shape))
        params = parameter_count(shape)
        problem = tmp / f"dense-{name}.yaml"
        problem.write_text(network_yaml(shape), encoding="utf-8")
        out = tmp / f"out-{name}"
        cmd = [sys.executable, "-m", "solver", "solve", str(problem), "-o", str(out), *FORMATS]
        if warm:
            progress(f"scaling {name}: warm-up (untimed)")
            checked(run(cmd, env), f"solving {problem.name}")
        rs = []
        for r in range(runs):
            progress(f"scaling {name} ({params} parameters): nnsolve run {r + 1}/{runs}")
            rs.append(checked(run(cmd, env), f"solving {problem.name}"))
        answers = json.loads((out / f"{problem.stem}.json").read_text(encoding="utf-8"))
        grads = {a["of"]: a["exact"] for q in answers["questions"] for a in q["answers"]
                 if a["kind"] == "gradient" and not a.get("upstream")}
        if len(grads) != params:
            sys.stderr.write(f"bench: {problem.name}: {len(grads)} gradients in the answers, "
                             f"expected {params}\n")
            raise SystemExit(1)

        row = {"network": name, "parameters": params,
               "seconds": statistics.median(x.seconds for x in rs), "cpu": _cpu(rs), "peak_mb": _peak(rs)}
        for mode in NAIVE_MODES:
            progress(f"scaling {name}: naive sympy baseline, {mode} (cap {naive_cap:g} s)")
            naive_out = tmp / f"naive-{mode}-{name}.json"
            nr = run([sys.executable, str(NAIVE), str(problem), str(naive_out), mode], env, timeout=naive_cap)
            agree = None
            if not nr.timed_out:
                checked(nr, f"the naive baseline ({mode}) on {problem.name}")
                theirs = json.loads(naive_out.read_text(encoding="utf-8"))
                agree = sum(theirs.get(k) == v for k, v in grads.items())
            row[f"naive_{mode}"] = None if nr.timed_out else nr.seconds
            row[f"naive_{mode}_agree"] = agree
            row[f"naive_{mode}_estimate"] = _extrapolate(nr.stderr, params) if nr.timed_out else None
        rows.append(row)
    s = slope([r["parameters"] for r in rows], [r["seconds"] for r in rows])
    return {"rows": rows, "slope": s, "naive_cap": naive_cap}


# --- the report ------------------------------------------------------------------------------

def _verdict(value: float, target: float, unit: str, fmt: str = "{:.2f}") -> str:
    if value <= target:
        return "met"
    return f"missed by {fmt.format(value - target)}{unit}"


def _mb(v: float | None) -> str:
    return "–" if v is None else f"{v:.0f}"


def _approx(v: float) -> str:
    return f"{v:.1f}" if v < 10 else f"{v:,.0f}"


def _sec(v: float | None) -> str:
    return "–" if v is None else f"{v:.3f}"


def tables(cold: dict, scale: dict, quick: bool, runs: int) -> str:
    out = []
    n = "1 run (--quick)" if quick else f"median of {runs} runs"
    out.append(f"### Cold start: `python -m solver solve PROBLEM -f md -f tex -f json` ({n})\n")
    out.append(f"| problem | time (s) | floor (s) | ratio | target ≤ {COLD_TARGET}× | CPU (s) | CPU ratio "
               "| peak (MB) |")
    out.append("|---|---:|---:|---:|---|---:|---:|---:|")
    out.append(f"| floor: `python -c \"import sympy, jinja2, click\"` | {cold['floor']:.3f} | "
               f"{cold['floor']:.3f} | 1.00× | | {_sec(cold['floor_cpu'])} | 1.00× | {_mb(cold['floor_peak_mb'])} |")
    for r in cold["rows"]:
        cpu_ratio = "–" if r["cpu_ratio"] is None else f"{r['cpu_ratio']:.2f}×"
        out.append(f"| `{r['problem']}` | {r['seconds']:.3f} | {cold['floor']:.3f} | {r['ratio']:.2f}× | "
                   f"{_verdict(r['ratio'], COLD_TARGET, '×')} | {_sec(r['cpu'])} | {cpu_ratio} | "
                   f"{_mb(r['peak_mb'])} |")
    ratios = [r["ratio"] for r in cold["rows"]]
    met = sum(x <= COLD_TARGET for x in ratios)
    out.append("")
    out.append(f"Cold start: {met} of {len(ratios)} problems within {COLD_TARGET}× the floor; "
               f"ratios {min(ratios):.2f}×–{max(ratios):.2f}× (median {statistics.median(ratios):.2f}×).")
    out.append("")

    cap = scale["naive_cap"]
    out.append(f"### All gradients of dense ReLU networks (md + tex + json; nnsolve: {n}; "
               f"naive sympy baselines: 1 run each, capped at {cap:g} s)\n")
    out.append("| network | parameters | nnsolve (s) | CPU (s) | peak (MB) | naive, subs (s) | subs / nnsolve "
               "| naive, xreplace (s) | xreplace / nnsolve |")
    out.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in scale["rows"]:
        cells = [r["network"], f"{r['parameters']:,}", f"{r['seconds']:.2f}",
                 "–" if r["cpu"] is None else f"{r['cpu']:.2f}", _mb(r["peak_mb"])]
        for mode in NAIVE_MODES:
            t, est = r[f"naive_{mode}"], r[f"naive_{mode}_estimate"]
            if t is None and est is not None:
                cells += [f"> {cap:g} (≈ {_approx(est[0])} est.)", f"≈ {_approx(est[0] / r['seconds'])}×"]
            elif t is None:
                cells += [f"> {cap:g}", f"> {cap / r['seconds']:.1f}×"]
            else:
                cells += [f"{t:.2f}", f"{t / r['seconds']:.1f}×"]
        out.append("| " + " | ".join(cells) + " |")
    out.append("")
    for r in scale["rows"]:
        for mode in NAIVE_MODES:
            if r[f"naive_{mode}_agree"] is not None:
                out.append(f"- {r['network']}: the naive baseline ({mode}) agrees with nnsolve on "
                           f"{r[f'naive_{mode}_agree']:,} of {r['parameters']:,} gradients (exact values).")
    for r in scale["rows"]:
        for mode in NAIVE_MODES:
            if r[f"naive_{mode}_estimate"] is not None:
                est, k = r[f"naive_{mode}_estimate"]
                out.append(f"- {r['network']}: the naive baseline ({mode}) finished {k:,} of {r['parameters']:,} "
                           f"gradients in {cap:g} s; ≈ {_approx(est)} s in all at that pace (an estimate).")
    s = scale["slope"]
    if s is None:
        out.append(f"- Log-log slope of time against parameters: n/a (one size) — target ≤ {SLOPE_TARGET}.")
    else:
        out.append(f"- Log-log slope of time against parameters (least squares over "
                   f"{len(scale['rows'])} sizes): {s:.2f} — target ≤ {SLOPE_TARGET}: "
                   f"{_verdict(s, SLOPE_TARGET, '')}.")
    rows, floor = scale["rows"], cold["floor"]
    if len(rows) >= 2 and all(r["seconds"] > floor for r in rows):
        ps, ex = [r["parameters"] for r in rows], [r["seconds"] - floor for r in rows]
        out.append(f"- The same for the time above the floor (time − {floor:.3f} s, the start-up every run pays): "
                   f"{slope(ps, ex):.2f}; between the two largest sizes alone: {slope(ps[-2:], ex[-2:]):.2f}.")
        fc = cold["floor_cpu"]
        if fc is not None and all(r["cpu"] is not None and r["cpu"] > fc for r in rows):
            cpu, cex = [r["cpu"] for r in rows], [r["cpu"] - fc for r in rows]
            out.append(f"- In CPU time (less sensitive to other processes sharing the machine): slope {slope(ps, cpu):.2f}; "
                       f"above the floor's {fc:.3f} s: {slope(ps, cex):.2f}, between the two largest sizes alone: "
                       f"{slope(ps[-2:], cex[-2:]):.2f}.")
    big = [r for r in scale["rows"] if r["parameters"] >= BIG_PARAMS]
    if big:
        b = big[0]
        cpu = "" if b["cpu"] is None else f" (CPU time {b['cpu']:.2f} s)"
        out.append(f"- {b['parameters']:,}-parameter key: {b['seconds']:.2f} s — target ≤ {BIG_SECONDS:g} s: "
                   f"{_verdict(b['seconds'], BIG_SECONDS, ' s')}{cpu}; peak {_mb(b['peak_mb'])} MB — target ≤ "
                   f"{BIG_MB:g} MB: "
                   + ("not measured" if b["peak_mb"] is None else _verdict(b["peak_mb"], BIG_MB, " MB", "{:.0f}"))
                   + ".")
    else:
        out.append(f"- 10,000-parameter key: not run (--quick) — targets ≤ {BIG_SECONDS:g} s, ≤ {BIG_MB:g} MB.")
    return "\n".join(out) + "\n"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith(("model name", "hardware", "cpu model")):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine(load: list[float]) -> str:
    from importlib.metadata import PackageNotFoundError, version

    def ver(pkg: str) -> str:
        try:
            return version(pkg)
        except PackageNotFoundError:
            return "not installed"

    commit = "unknown"
    if shutil.which("git"):
        p = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
        if p.returncode == 0:
            commit = f"`{p.stdout.strip()}`"
            dirty = subprocess.run(["git", "status", "--porcelain", "--", "solver", "templates"], cwd=ROOT,
                                   capture_output=True, text=True).stdout.strip()
            if dirty:
                commit += " with uncommitted changes to solver/ or templates/"
    now = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return "\n".join([
        f"- Date: {now}; nnsolve commit {commit}",
        f"- Platform: {platform.platform()}",
        f"- CPU: {cpu_model()}; {os.cpu_count()} logical cores",
        f"- Python {platform.python_version()} ({platform.python_implementation()}); sympy {ver('sympy')}, "
        f"pydantic {ver('pydantic')}, jinja2 {ver('jinja2')}, click {ver('click')}, PyYAML {ver('pyyaml')}, "
        f"mpmath {ver('mpmath')}",
        "- Load average (1 min) at start / end: " + " / ".join(f"{x:.2f}" for x in load)
        + f" on {os.cpu_count()} cores (other processes share the machine when this exceeds 0)",
        "- Measured commands run with Python's default bytecode caching (`PYTHONDONTWRITEBYTECODE` unset)",
    ])


def write_markdown(path: Path, body: str) -> None:
    """Replace the generated block of ``path`` (between the bench markers), keeping the
    hand-written text around it; a new file is the block alone under a title."""
    block = f"{BEGIN}\n{body.rstrip()}\n{END}\n"
    if path.exists():
        text = path.read_text(encoding="utf-8")
        if BEGIN in text and END in text:
            head, rest = text.split(BEGIN, 1)
            tail = rest.split(END, 1)[1].lstrip("\n")
            path.write_text(head + block + ("\n" + tail if tail else ""), encoding="utf-8")
            return
        text = text.rstrip() + "\n\n" + block
    else:
        text = "# Performance\n\n" + block
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true",
                    help="CI: the smallest network only, 1 run each, no warm-up")
    ap.add_argument("--runs", type=int, default=5, help="runs per median (default 5; 1 with --quick)")
    ap.add_argument("--naive-timeout", type=float, default=None,
                    help=f"seconds allowed to each naive sympy baseline per size "
                         f"(default 60; {QUICK_NAIVE_CAP:g} with --quick)")
    ap.add_argument("--write", type=Path, metavar="FILE",
                    help="also write the tables and the machine to FILE (markdown)")
    args = ap.parse_args(argv)
    runs = 1 if args.quick else max(1, args.runs)
    shapes = SIZES[:1] if args.quick else SIZES
    problems = sorted((ROOT / "problems").glob("*.yaml"))

    load = [os.getloadavg()[0]] if hasattr(os, "getloadavg") else []
    with tempfile.TemporaryDirectory(prefix="nnsolve-bench-") as d:
        tmp = Path(d)
        env = environment()
        cold = cold_start(problems, runs, not args.quick, env, tmp)
        cap = args.naive_timeout or (QUICK_NAIVE_CAP if args.quick else 60.0)
        scale = scaling(shapes, runs, not args.quick, cap, env, tmp)

    if load:
        load.append(os.getloadavg()[0])
    body = tables(cold, scale, args.quick, runs)
    print(body)
    if args.write:
        write_markdown(args.write, f"{body}\n### Machine\n\n{machine(load)}\n")
        progress(f"wrote {args.write}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
