"""Warm keys per second: seed 000's network (``problems/relu-2-2-2.yaml``) solved and rendered to
md + tex + json again and again in one process, the path that variants and grading take (the
problem read and validated once; then, per key, ``solver.key.solve.solve`` and
``solver.render.outputs``, nothing written). For information, the variant keys of
``problems/relu-2-2-2-variants.yaml`` the same way (``variants.py``'s warm loop: each variant
drawn until its requirements hold, validated, solved, rendered).

    python bench/warmkeys.py --keys 100 --rounds 3    # prints one JSON object

The benchmark runs it as a fresh child process: a few keys untimed first (imports, the
compiled templates, sympy's caches), then ``rounds`` rounds of ``keys`` keys; each round's
keys per second is its keys over its wall time, and the result the median over the rounds.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROBLEM = ROOT / "problems" / "relu-2-2-2.yaml"
TARGET = 100.0  # keys per second
UNTIMED = 5


def _seconds_per_key(keys: int, rounds: int) -> tuple[list[float], list[float]]:
    """Per round: wall seconds per key, and this process's CPU seconds per key."""
    sys.path.insert(0, str(ROOT))
    from solver.core.options import Options
    from solver.key.solve import solve
    from solver.problem import parse_yaml, validate
    from solver.render import outputs

    data = parse_yaml(PROBLEM.read_text(encoding="utf-8"), str(PROBLEM))
    problem = validate(data)
    options = Options(formats=("md", "tex", "json"))
    for _ in range(UNTIMED):
        outputs(solve(problem, PROBLEM.stem, options), options)
    wall, cpu = [], []
    for _ in range(rounds):
        start, start_cpu = time.perf_counter(), time.process_time()
        for _ in range(keys):
            outputs(solve(problem, PROBLEM.stem, options), options)
        wall.append((time.perf_counter() - start) / keys)
        cpu.append((time.process_time() - start_cpu) / keys)
    return wall, cpu


def child(keys: int, rounds: int, variants: int) -> dict:
    wall, cpu = _seconds_per_key(keys, rounds)
    result = {"keys": keys, "rounds": rounds, "seconds_per_key": wall, "cpu_seconds_per_key": cpu}
    if variants:
        from variants import _warm
        result["variants"] = variants
        result["variant_seconds_per_key"] = _warm(variants)
    return result


def summary(result: dict) -> dict:
    """Median seconds per key over the rounds, and keys per second."""
    med = statistics.median(result["seconds_per_key"])
    out = {"keys": result["keys"], "rounds": result["rounds"], "ms_per_key": med * 1000, "keys_per_s": 1 / med,
           "cpu_ms_per_key": statistics.median(result["cpu_seconds_per_key"]) * 1000}
    if "variants" in result:
        v = result["variant_seconds_per_key"]
        out.update(variants=result["variants"], variant_ms_per_key=v * 1000, variant_keys_per_s=1 / v)
    return out


def measure(env: dict, keys: int, rounds: int, variants: int) -> dict:
    """Run this module as a fresh child process and summarise what it prints."""
    cmd = [sys.executable, __file__, "--keys", str(keys), "--rounds", str(rounds), "--variants", str(variants)]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.stderr.write(f"bench: the warm keys failed (exit {proc.returncode}):\n{proc.stderr}\n")
        raise SystemExit(1)
    return summary(json.loads(proc.stdout))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--keys", type=int, default=100, help="keys per round (default 100)")
    ap.add_argument("--rounds", type=int, default=3, help="timed rounds (default 3)")
    ap.add_argument("--variants", type=int, default=0, help="also this many variant keys (information)")
    args = ap.parse_args(argv)
    print(json.dumps(child(max(1, args.keys), max(1, args.rounds), max(0, args.variants))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
