"""Where one cold run's time goes: the phases of ``nnsolve solve P -f md -f tex -f json``.

    python bench/phases.py                  # every bundled problem, median of 3 runs each
    python bench/phases.py P.yaml ... --runs 5

Each run is a fresh process that times, in order: the floor's imports (sympy, jinja2,
click), nnsolve's own imports (msgspec, PyYAML, the solver modules, defining the problem
schema's models), reading and validating the file, solving (values, gradients, the key's
steps), rendering Markdown and LaTeX, the answers JSON, and the SVG diagram and plots
(leather, for training questions). "rest" is the run's wall time outside those phases
(interpreter start-up and exit). Milliseconds, medians over the runs. It calls the same
functions ``solver/pipeline.py`` calls, and writes nothing.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

from runner import environment  # noqa: E402 - bench/ is this script's directory

ROOT = Path(__file__).resolve().parent.parent
PHASES = ["floor imports", "nnsolve imports", "load", "solve", "md", "tex", "json", "svg"]


def one(path: str) -> dict[str, float]:
    """Time the phases of one run in this (fresh) process."""
    marks = [time.perf_counter()]
    import click  # noqa: F401
    import jinja2  # noqa: F401
    import sympy  # noqa: F401
    marks.append(time.perf_counter())
    sys.path.insert(0, str(ROOT))
    from solver import cli  # noqa: F401
    from solver.key.solve import solve
    from solver.problem.loader import load_problem
    from solver.render import render
    from solver.render.answers import answers_json
    from solver.render.diagram import diagram
    from solver.render.drawing import svg as diagram_svg
    from solver.render.plots import svg as plot_svg
    marks.append(time.perf_counter())
    p = Path(path)
    problem = load_problem(p)
    marks.append(time.perf_counter())
    solution = solve(problem, p.stem, file=str(p))
    marks.append(time.perf_counter())
    render(solution, "md")
    marks.append(time.perf_counter())
    render(solution, "tex")
    marks.append(time.perf_counter())
    answers_json(solution)
    marks.append(time.perf_counter())
    drawing = diagram(solution.figure, "key")
    if drawing is not None:
        diagram_svg(drawing)
    for sec in solution.sections:
        for plot in sec.plots:
            plot_svg(plot)
    marks.append(time.perf_counter())
    return {name: b - a for name, a, b in zip(PHASES, marks, marks[1:])}


def _child(cmd: list[str], env: dict) -> subprocess.CompletedProcess:
    """Run one timed child; on failure, exit with its error output (not a bare exit status)."""
    proc = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.stderr.write(f"phases: {cmd[-1]} failed (exit {proc.returncode}):\n{proc.stderr}")
        raise SystemExit(1)
    return proc


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("problems", nargs="*", help="problem files (default: problems/*.yaml)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        print(json.dumps(one(args.child)))
        return 0
    env = environment()  # as bench.py measures
    problems = args.problems or sorted(str(p) for p in (ROOT / "problems").glob("*.yaml"))
    print("| problem | " + " | ".join(PHASES) + " | rest | total (ms) |")
    print("|---|" + "---:|" * (len(PHASES) + 2))
    for path in problems:
        cmd = [sys.executable, __file__, "--child", path]
        _child(cmd, env)  # warm-up
        runs = []
        for _ in range(max(1, args.runs)):
            start = time.perf_counter()
            proc = _child(cmd, env)
            wall = time.perf_counter() - start
            phases = json.loads(proc.stdout)
            phases["rest"] = wall - sum(phases.values())
            phases["total"] = wall
            runs.append(phases)
        med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        cells = [f"{med[k] * 1000:.0f}" for k in [*PHASES, "rest", "total"]]
        print(f"| `{Path(path).stem}` | " + " | ".join(cells) + " |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
