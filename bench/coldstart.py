"""Cold start: ``python -m solver solve P -f md -f tex -f json`` of bundled problems, each a fresh
process, against the floor ``python -c "import sympy, jinja2, click"``; the target depends on what
the problem asks (issue 19: keys ≤ 1.3× the floor, training and derivation problems ≤ 2×)."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from pathlib import Path

import yaml
from runner import (
    FLOOR,
    Run,
    checked,
    highest_peak,
    median_cpu,
    median_seconds,
    progress,
    run,
    solve_cmd,
)

KEY_TARGET = 1.3  # × the floor
SLOW_TARGET = 2.0  # × the floor, for training and derivation problems

TRAINING_ASKS = ("train", "perceptron", "delta_rule")  # steps or epochs of updates
DERIVATION_ASKS = ("derive",)


@dataclass(frozen=True)
class Kind:
    """What a problem asks, as far as its cold-start target goes."""

    name: str  # "key", "training" or "derivation"
    why: str  # the asks that decide it, e.g. "train (3 and 1,000 steps)"

    @property
    def target(self) -> float:
        return KEY_TARGET if self.name == "key" else SLOW_TARGET


def classify(path: Path) -> Kind:
    """A problem is a training problem when a question asks ``train`` (``steps`` of an
    optimizer) or a learning rule (``perceptron``, ``delta_rule``: ``epochs`` of updates), a
    derivation problem when a question asks ``derive``, a key otherwise (read from the file's
    ``questions``, as the problem format defines them)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    questions = data.get("questions") or []
    steps = [f"{q.get('steps') or 0:,}" for q in questions if "train" in q.get("ask", [])]
    rules = sorted({a for q in questions for a in q.get("ask", []) if a in TRAINING_ASKS[1:]})
    derived = [q.get("derivation") for q in questions if "derive" in q.get("ask", [])]
    if steps or rules:
        why = ([f"train ({' and '.join(steps)} step{'s' * (steps != ['1'])})"] if steps else []) + rules
        return Kind("training", ", ".join(why))
    if derived:
        return Kind("derivation", f"derive ({', '.join(map(str, derived))})")
    return Kind("key", "")


def cold_start(problems: list[Path], runs: int, warm: bool, env: dict, tmp: Path) -> dict:
    """Medians of ``runs`` interleaved rounds (the floor, then every problem), after one untimed
    run of each command when ``warm``. Each key is also run with the derivative store off
    (``NNSOLVE_DERIVATIVE_CACHE=0``: every shape differentiated, as in a run of shapes the
    store does not hold yet), right after its run with the store, for information."""
    def cmd(p: Path) -> list[str]:
        return solve_cmd(p, tmp / "cold")

    if warm:
        progress("cold start: warm-up (untimed)")
        checked(run(FLOOR, env), "the floor")
        for p in problems:
            checked(run(cmd(p), env), f"solving {p.name}")
    floor: list[Run] = []
    times: dict[str, list[Run]] = {p.stem: [] for p in problems}
    keys = [p for p in problems if classify(p).name == "key"]
    new_shapes: dict[str, list[Run]] = {p.stem: [] for p in keys}
    off = dict(env, NNSOLVE_DERIVATIVE_CACHE="0")
    for r in range(runs):
        progress(f"cold start: round {r + 1}/{runs}")
        floor.append(checked(run(FLOOR, env), "the floor"))
        for p in problems:
            times[p.stem].append(checked(run(cmd(p), env), f"solving {p.name}"))
            if p.stem in new_shapes:
                new_shapes[p.stem].append(checked(run(cmd(p), off), f"solving {p.name} (derivative store off)"))
    floor_s, floor_cpu = median_seconds(floor), median_cpu(floor)
    rows = []
    for p in problems:
        rs = times[p.stem]
        med, cpu = median_seconds(rs), median_cpu(rs)
        rows.append({"problem": p.stem, "kind": classify(p), "seconds": med, "ratio": med / floor_s, "cpu": cpu,
                     "cpu_ratio": cpu / floor_cpu if cpu and floor_cpu else None, "peak_mb": highest_peak(rs)})
        if p.stem in new_shapes:
            rows[-1]["store_off_seconds"] = median_seconds(new_shapes[p.stem])
    return {"floor": floor_s, "floor_cpu": floor_cpu, "floor_peak_mb": highest_peak(floor), "rows": rows,
            "runs": runs}


def worst(rows: list[dict], kinds: tuple[str, ...]) -> dict | None:
    """The rows of these kinds: the worst ratio, how many are within their target, how many."""
    mine = [r for r in rows if r["kind"].name in kinds]
    if not mine:
        return None
    top = max(mine, key=lambda r: r["ratio"])
    return {"row": top, "within": sum(r["ratio"] <= r["kind"].target for r in mine), "count": len(mine),
            "median": statistics.median(r["ratio"] for r in mine)}
