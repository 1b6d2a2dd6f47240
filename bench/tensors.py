"""How a tensor graph's key scales: a 3×3 convolution with padding 1, ReLU and 2×2 max-pooling on
N × N images (a fixed seed), forward pass and the kernel's and bias's gradients, solved by the CLI
to md + json in a fresh process. Prints, for each N, the elements and edges (an element reading
an element), the median wall time, CPU time and peak memory of that process, and the log-log
slope of time against edges (least squares), all measured in this run; the target is a slope
≤ 1.1 (linear in the size of the problem). The start-up floor (``python -m solver --version``)
is measured too and subtracted before the slope is taken.

    python bench/tensors.py              # N = 8, 16, 32; 3 runs each
    python bench/tensors.py --sizes 8 16 --runs 1
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from runner import checked, environment, progress, run, slope  # noqa: E402


def problem(n: int, seed: int = 13) -> dict:
    rnd = random.Random(seed)
    tenth = lambda: rnd.randint(-9, 9) / 10  # noqa: E731
    return {"title": f"A {n}x{n} convolution", "graph": {
        "inputs": {"X": [[[tenth() for _ in range(n)] for _ in range(n)]]},
        "parameters": {"K": [[[[tenth() for _ in range(3)] for _ in range(3)]]], "b": [0.1]},
        "nodes": {"Z": "conv2d(X, K, b, padding=1)", "H": "relu(Z)", "P": "maxpool2d(H, kernel=2)", "L": "mean(P)"},
        "output": "L"},
        "questions": [{"id": "q", "ask": ["forward", "gradients"], "gradients": ["K", "b"]}]}


def edges(n: int) -> int:
    """Elements read by the problem's elements: every conv cell its window's pixels and weights
    and the bias, every ReLU one, every pooling cell four, the mean every pooled cell."""
    inside = lambda i: sum(1 for d in (-1, 0, 1) if 0 <= i + d < n)  # noqa: E731
    conv = sum(2 * inside(i) * inside(j) + 1 for i in range(n) for j in range(n))
    return conv + n * n + 4 * (n // 2) ** 2 + (n // 2) ** 2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[8, 16, 32])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    env = environment()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        files = {}
        for n in args.sizes:
            files[n] = tmp / f"conv{n}.yaml"
            files[n].write_text(yaml.safe_dump(problem(n)), encoding="utf-8")
        floor_cmd = [sys.executable, "-m", "solver", "--version"]
        cmds = {n: [sys.executable, "-m", "solver", "solve", str(f), "-o", str(tmp / "out"), "-f", "md", "-f", "json"]
                for n, f in files.items()}
        for n, cmd in cmds.items():  # untimed: bytecode, caches
            checked(run(cmd, env), f"N = {n}")
        times: dict = {n: [] for n in cmds}
        floors = []
        for r in range(args.runs):  # interleaved, so that a slow patch of the machine affects all alike
            progress(f"round {r + 1} of {args.runs}")
            floors.append(checked(run(floor_cmd, env), "floor").seconds)
            for n, cmd in cmds.items():
                times[n].append(checked(run(cmd, env), f"N = {n}"))
    floor = statistics.median(floors)
    print("| N | elements | edges | time (s) | minus start-up (s) | CPU (s) | peak (MB) |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    xs, ys = [], []
    for n, rs in times.items():
        t = statistics.median(x.seconds for x in rs)
        cpu = statistics.median(x.cpu for x in rs if x.cpu is not None) if rs[0].cpu is not None else float("nan")
        peak = max((x.peak_mb for x in rs if x.peak_mb is not None), default=float("nan"))
        count = n * n + 9 + 1 + 2 * n * n + (n // 2) ** 2 + 1  # X, K, b, Z and H, P, L
        xs.append(edges(n))
        ys.append(max(t - floor, 1e-3))
        print(f"| {n} | {count:,} | {edges(n):,} | {t:.2f} | {t - floor:.2f} | {cpu:.2f} | {peak:.0f} |")
    s = slope(xs, ys)
    print(f"\nstart-up floor (`python -m solver --version`): {floor:.2f} s; "
          f"slope of (time − floor) against edges: {s:.2f} (target ≤ 1.1: {'met' if s <= 1.1 else 'missed'})"
          if s is not None else "")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
