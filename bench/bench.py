"""nnsolve's benchmark: issue 19's targets as ratios and verdicts measured in one run, on one
machine (no stored numbers).

    python bench/bench.py                           # everything (about 10 minutes on 2 cores)
    python bench/bench.py --only cold --only pdf    # some measures again (cold, scaling, twins, warm, pdf)
    python bench/bench.py --runs 7 --big-runs 5     # more runs per median
    python bench/bench.py --write docs/performance.md   # also write the tables and the machine
    python bench/bench.py --quick                   # CI: small stand-ins, 1 run each: not measurements

1. Cold start (``coldstart.py``): ``python -m solver solve P -f md -f tex -f json`` of every
   bundled problem, in a fresh process, against the floor ``python -c "import sympy, jinja2,
   click"``: ``--runs`` rounds, each problem right after a floor run; the median of the paired
   ratios per problem (and the medians of the seconds). Targets: keys
   ≤ 1.3× the floor; problems asking ``train``, ``perceptron``, ``delta_rule`` (training) or
   ``derive`` (a derivation) ≤ 2×.
2. Scaling (``scaling.py``, ``networks.py``): all gradients of dense ReLU networks of 124,
   1,054, 4,394, 10,954 and 19,914 parameters (fixed seed, layers ≤ 64 units) solved to md +
   tex + json by the CLI: wall time, CPU time and the peak memory of that child alone
   (``os.wait4``), medians of ``--runs`` runs (``--big-runs`` from 5,000 parameters). Targets:
   the 10,954-parameter key ≤ 3 s and ≤ 300 MB; 19,914 parameters ≤ 6 s; the log-log slope of
   time against parameters ≤ 1.05 (least squares over the sizes from 1,054; 124 is shown for
   information). The naive sympy baseline (``naive.py``), capped at ``--naive-timeout``
   seconds, at the sizes ``--naive`` picks (default up to 1,054 parameters); a capped run's
   total is extrapolated from its progress, and a finished one's gradients are checked
   against nnsolve's answers JSON.
3. Twins: the 10,954-parameter network in matrix style (``style: matrix``; ≤ 3 s) and with
   sigmoid hidden layers (≤ 2× the ReLU network), run round by round with the ReLU network;
   the ratio is the median of the paired ratios.
4. Warm (``warmkeys.py``): keys per second of seed 000's network (``relu-2-2-2``) solved and
   rendered to md + tex + json in one process, the path variants and grading take; ≥ 100.
5. ``-f pdf`` (``pdfratio.py``): relu-2-2-2 with and without ``-f pdf``, paired runs, the
   median of the paired ratios ≤ 1.6× (skipped, with a note, without latexmk and pdflatex).

Targets are reported, never asserted: the exit code is 0 whether they are met or missed
(it is 1 only when a command the benchmark runs fails). Progress goes to stderr; the tables
to stdout. Each command is run once untimed first (Python bytecode, nnsolve's
compiled-template cache in the user's cache folder, the OS file cache); ``--quick`` skips
that warm-up and measures small stand-ins once, so its numbers are not measurements. The
measured commands run with ``PYTHONDONTWRITEBYTECODE`` unset, as a user's do. ``--write
FILE`` replaces only the part of FILE between its ``<!-- bench:begin`` and
``<!-- bench:end -->`` markers (text around them is kept).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from coldstart import cold_start
from networks import BIG, FOUR_K, LARGER, ONE_K, SMALL
from pdfratio import pdf_ratio
from report import cold_table, pdf_table, scaling_table, twins_table, warm_table
from runner import ROOT, environment, progress
from scaling import scaling
from summary import targets_table
from warmkeys import measure as warm_keys

SECTIONS = ("cold", "scaling", "twins", "warm", "pdf")
SIZES = [SMALL, ONE_K, FOUR_K, BIG, LARGER]
QUICK_SIZES = [SMALL, ONE_K]  # SMALL stands in for BIG, ONE_K for LARGER
QUICK_PROBLEMS = ["relu-2-2-2", "relu-2-2-2-adam", "softmax-ce-derivation"]  # a key, a training, a derivation
NAIVE_UP_TO = 1_054  # parameters: --naive small runs the baseline up to here
QUICK_NAIVE_CAP = 2.0  # seconds: --quick only checks that the baseline runs
NAIVE_CAP = 20.0

BEGIN = "<!-- bench:begin (written by bench/bench.py --write; edit outside these markers) -->"
END = "<!-- bench:end -->"


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
        f"msgspec {ver('msgspec')}, jinja2 {ver('jinja2')}, click {ver('click')}, PyYAML {ver('pyyaml')}, "
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


def _args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true",
                    help="CI: small stand-ins and one problem of each kind, 1 run each, no warm-up")
    ap.add_argument("--only", action="append", metavar="MEASURE",
                    help=f"run only these measures (repeat or separate by commas): {', '.join(SECTIONS)}")
    ap.add_argument("--runs", type=int, default=5, help="runs per median (default 5; 1 with --quick)")
    ap.add_argument("--big-runs", type=int, default=3,
                    help="runs per median from 5,000 parameters (default 3; 1 with --quick)")
    ap.add_argument("--naive", choices=["small", "all", "none"], default="small",
                    help="where to run the naive sympy baseline: up to 1,054 parameters (default), at every "
                         "size, or nowhere (--quick: the smallest size)")
    ap.add_argument("--naive-timeout", type=float, default=None,
                    help=f"seconds allowed to each naive sympy baseline per size "
                         f"(default {NAIVE_CAP:g}; {QUICK_NAIVE_CAP:g} with --quick)")
    ap.add_argument("--write", type=Path, metavar="FILE",
                    help="also write the tables and the machine to FILE (markdown)")
    args = ap.parse_args(argv)
    only = {s.strip() for o in (args.only or []) for s in o.split(",") if s.strip()}
    if only - set(SECTIONS):
        ap.error(f"--only: unknown measure {', '.join(sorted(only - set(SECTIONS)))} "
                 f"(choose from {', '.join(SECTIONS)})")
    args.sections = only or set(SECTIONS)
    return args


def main(argv: list[str] | None = None) -> int:
    args = _args(argv)
    quick, todo = args.quick, args.sections
    runs, big_runs = (1, 1) if quick else (max(1, args.runs), max(1, args.big_runs))
    shapes, big, larger = (QUICK_SIZES, SMALL, ONE_K) if quick else (SIZES, BIG, LARGER)
    if args.naive == "none" or "scaling" not in todo:
        naive_shapes = []
    elif quick:
        naive_shapes = [SMALL]
    else:
        naive_shapes = [s for s in shapes if args.naive == "all" or sum(
            a * b + b for a, b in zip(s, s[1:])) <= NAIVE_UP_TO]
    problems = sorted((ROOT / "problems").glob("*.yaml"))
    if quick:
        problems = [p for p in problems if p.stem in QUICK_PROBLEMS]

    load = [os.getloadavg()[0]] if hasattr(os, "getloadavg") else []
    res: dict = {}
    with tempfile.TemporaryDirectory(prefix="nnsolve-bench-") as d:
        tmp, env = Path(d), environment()
        if "cold" in todo:
            res["cold"] = cold_start(problems, runs, not quick, env, tmp)
        if "pdf" in todo:
            res["pdf"] = pdf_ratio(runs, not quick, env, tmp)
        if "warm" in todo:
            progress("warm keys: one process" + ("" if quick else " (about 20 s)"))
            res["warm"] = warm_keys(env, 10 if quick else 100, 1 if quick else 3, 3 if quick else 30)
        if "scaling" in todo or "twins" in todo:
            cap = args.naive_timeout or (QUICK_NAIVE_CAP if quick else NAIVE_CAP)
            res["scale"] = scaling(shapes if "scaling" in todo else [], big if "twins" in todo else None,
                                   runs, big_runs, not quick, naive_shapes, cap, env, tmp)
    if load:
        load.append(os.getloadavg()[0])

    parts = ["### Issue 19's targets" + (" (--quick: small stand-ins, 1 run each, no warm-up: not measurements)"
                                        if quick else "") + "\n", targets_table(res, big, larger, quick)]
    if "cold" in res:
        parts.append(cold_table(res["cold"], quick))
    if res.get("scale", {}).get("rows"):
        parts.append(scaling_table(res["scale"], quick))
    if res.get("scale", {}).get("twins"):
        parts.append(twins_table(res["scale"]["twins"], quick))
    if "warm" in res:
        parts.append(warm_table(res["warm"]))
    if "pdf" in res:
        parts.append(pdf_table(res["pdf"]))
    body = "\n".join(parts)
    print(body)
    if args.write:
        write_markdown(args.write, f"{body}\n### Machine\n\n{machine(load)}\n")
        progress(f"wrote {args.write}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
