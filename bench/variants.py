"""Per-student variants' speed (issue 16), as ratios measured in one run on one machine.

    python bench/variants.py            # 120 variants against 10 cold solves; warm keys/s at 120 and 1,000
    python bench/variants.py --quick    # CI: 12 variants against 1 cold solve, 1 round

1. ``nnsolve variants problems/relu-2-2-2-variants.yaml -n 120 -f md -f tex -f json`` in a fresh
   process, against 10 cold ``nnsolve solve`` runs of the same problem (md + tex + json),
   run one after the other (the target: the variants take at most as long: ratio ≤ 1).
2. Warm, in this process: the time per variant key (drawn until its requirements hold,
   solved, rendered to md + tex + json), and keys per second at 120 and 1,000 variants.

Targets are reported, never asserted; the exit code is 1 only when a command fails.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROBLEM = ROOT / "problems" / "relu-2-2-2-variants.yaml"
FORMATS = ["-f", "md", "-f", "tex", "-f", "json"]


def _run(args: list[str], out: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "solver", *args, "-o", out, *FORMATS], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "PYTHONPATH": str(ROOT)})
    return time.perf_counter() - start


def _warm(n: int) -> float:
    """Seconds per key of ``n`` variants solved and rendered in this process."""
    sys.path.insert(0, str(ROOT))
    from solver.core.options import Options
    from solver.key.variants import solve_variant, variant
    from solver.problem import parse_yaml, validate
    from solver.render import outputs

    data = parse_yaml(PROBLEM.read_text(encoding="utf-8"), str(PROBLEM))
    problem = validate(data)
    options = Options(formats=("md", "tex", "json"))
    start = time.perf_counter()
    for k in range(1, n + 1):
        outputs(solve_variant(variant(data, problem, 2026, k), f"v{k}", options), options)
    return (time.perf_counter() - start) / n


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    n, cold = (12, 1) if args.quick else (120, 10)
    with tempfile.TemporaryDirectory() as tmp:
        _run(["solve", str(PROBLEM)], tmp)  # bytecode and caches, untimed
        solves = sum(_run(["solve", str(PROBLEM)], tmp) for _ in range(cold))
        pool = _run(["variants", str(PROBLEM), "-n", str(n), "--seed", "2026", "--sheet", "key"], tmp)
    print("| measure | value |\n|---|---|")
    print(f"| {cold} cold solves (md + tex + json) | {solves:.2f} s |")
    print(f"| {n} variant keys in one process (md + tex + json) | {pool:.2f} s |")
    print(f"| ratio (target ≤ {n / 120 * 10 / cold:.0f}) | {pool / solves:.2f} |")
    for count in ((12,) if args.quick else (120, 1000)):
        per = _warm(count)
        print(f"| warm, {count:,} variants | {per * 1000:.1f} ms per key, {1 / per:.0f} keys/s |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
