"""Instructions, not seconds: where a cold run's cost goes, counted by valgrind's callgrind.

    python bench/instructions.py                        # the imports, and relu-2-2-2, dropout, XOR
    python bench/instructions.py problems/P.yaml ...     # the imports, and these problems' keys

On a machine shared with other work, wall times move by a third from one minute to the next
and a cold start's ratio to the floor moves with them (docs/performance.md, round 8). The
instructions a process executes do not: callgrind counts the same for the same interpreter,
input and environment whatever else the machine runs. This prints, for the floor (``import
sympy, jinja2, click``), for each import nnsolve adds to it, and for each problem's ``nnsolve
solve P -f md -f tex -f json``, the instructions of the whole process, what it adds to the
floor's, and its ratio to the floor's.

An instruction is not a fixed time (reading files and missing caches cost more per instruction
than arithmetic), so issue 19's targets stay bench.py's wall-clock ratios; this says where the
instructions go and whether a change removed some. Each problem runs once first, uncounted, so
that its derivatives are in the store as in bench.py's timed runs. Needs valgrind (Debian's
package); a run takes about 50 times its usual time; two run at a time.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from runner import (  # bench/ is this script's directory
    FLOOR,
    ROOT,
    environment,
    solve_cmd,
)

FLOOR_IMPORTS = "import sympy, jinja2, click"
#: What nnsolve imports beyond the floor, each alone after the floor's imports: the module
#: sympy's first evaluated sum imports (``Add.flatten`` imports ``sympy.tensor.tensor``, and
#: with it ``sympy.combinatorics``), PyYAML, msgspec, then all of them with nnsolve's own modules.
IMPORTS = {
    "`sympy.tensor.tensor` (sympy's first evaluated sum)": "import sympy.tensor.tensor",
    "PyYAML": "import yaml",
    "msgspec": "import msgspec",
    "all of these and nnsolve's modules": "import sympy.tensor.tensor, yaml, msgspec; "
                                         "import solver.cli, solver.pipeline, solver.key.solve, solver.render",
}
DEFAULT_PROBLEMS = ["relu-2-2-2", "dropout", "xor-2-2-1-training"]


def instructions(cmd: list[str], env: dict[str, str]) -> int:
    """The instructions callgrind counts for ``cmd`` and every process it starts."""
    proc = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
                           "--trace-children=yes", *cmd], cwd=ROOT, env=env,
                          stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                          check=False)
    counts = re.findall(r"Collected : (\d+)", proc.stderr)
    if proc.returncode != 0 or not counts:
        sys.exit(f"instructions: {' '.join(cmd)} failed (exit {proc.returncode}):\n{proc.stderr[-2000:]}")
    return sum(int(c) for c in counts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("problems", nargs="*", help="problem files (default: relu-2-2-2, dropout, XOR)")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        sys.exit("instructions: valgrind is not installed (Debian: apt-get install valgrind)")
    problems = [Path(p) for p in args.problems] or [ROOT / "problems" / f"{n}.yaml" for n in DEFAULT_PROBLEMS]
    env = environment()
    env["PYTHONPATH"] = str(ROOT)
    with tempfile.TemporaryDirectory() as out:
        for p in problems:  # untimed: the derivative store and the template cache, as bench.py has them
            subprocess.run(solve_cmd(p.resolve(), Path(out)), cwd=ROOT, env=env, check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        rows = {"floor: `" + FLOOR_IMPORTS + "`": FLOOR}
        rows.update({f"+ {name}": [sys.executable, "-c", f"{FLOOR_IMPORTS}; {code}"] for name, code in IMPORTS.items()})
        rows.update({f"`{p.stem}` key": solve_cmd(p.resolve(), Path(out)) for p in problems})
        with ThreadPoolExecutor(max_workers=2) as pool:
            counts = dict(zip(rows, pool.map(lambda cmd: instructions(cmd, env), rows.values())))
    floor = next(iter(counts.values()))
    print("| process | instructions (millions) | beyond the floor (millions) | ratio to the floor |")
    print("|---|---:|---:|---:|")
    for name, n in counts.items():
        print(f"| {name} | {n / 1e6:,.0f} | {(n - floor) / 1e6:,.0f} | {n / floor:.2f}× |")


if __name__ == "__main__":
    main()
