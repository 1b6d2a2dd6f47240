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
    """``runs`` rounds, each running every problem right after a run of the floor (a pair):
    a problem's ratio is the median of its pairs' ratios (issue 19: "each figure a median of
    paired runs against" the floor), so the machine's drift between a problem and a floor
    run far apart in a round cannot move it; its seconds are medians. One untimed run of each
    command first when ``warm``. Each key is also run with the derivative store off
    (``NNSOLVE_DERIVATIVE_CACHE=0``: every shape differentiated, as in a run of shapes the
    store does not hold yet), right after its run with the store, for information."""
    def cmd(p: Path) -> list[str]:
        return solve_cmd(p, tmp / "cold")

    if warm:
        progress("cold start: warm-up (untimed)")
        checked(run(FLOOR, env), "the floor")
        for p in problems:
            checked(run(cmd(p), env), f"solving {p.name}")
    floors: dict[str, list[Run]] = {p.stem: [] for p in problems}
    times: dict[str, list[Run]] = {p.stem: [] for p in problems}
    keys = [p for p in problems if classify(p).name == "key"]
    new_shapes: dict[str, list[Run]] = {p.stem: [] for p in keys}
    off = dict(env, NNSOLVE_DERIVATIVE_CACHE="0")
    for r in range(runs):
        progress(f"cold start: round {r + 1}/{runs}")
        for p in problems:
            floors[p.stem].append(checked(run(FLOOR, env), "the floor"))
            times[p.stem].append(checked(run(cmd(p), env), f"solving {p.name}"))
            if p.stem in new_shapes:
                new_shapes[p.stem].append(checked(run(cmd(p), off), f"solving {p.name} (derivative store off)"))
    floor = [f for fs in floors.values() for f in fs]
    floor_s, floor_cpu = median_seconds(floor), median_cpu(floor)
    rows = []
    for p in problems:
        rs, fs = times[p.stem], floors[p.stem]
        cpu = median_cpu(rs)
        cpu_ratio = _paired([(a.cpu, b.cpu) for a, b in zip(rs, fs)]) if cpu is not None else None
        rows.append({"problem": p.stem, "kind": classify(p), "seconds": median_seconds(rs),
                     "floor": median_seconds(fs), "ratio": _paired([(a.seconds, b.seconds) for a, b in zip(rs, fs)]),
                     "cpu": cpu, "cpu_ratio": cpu_ratio, "peak_mb": highest_peak(rs)})
        if p.stem in new_shapes:
            ns = new_shapes[p.stem]
            rows[-1]["store_off_seconds"] = median_seconds(ns)
            rows[-1]["store_off_ratio"] = _paired([(a.seconds, b.seconds) for a, b in zip(ns, fs)])
    times_s = [f.seconds for f in floor if f.seconds]
    return {"floor": floor_s, "floor_cpu": floor_cpu, "floor_peak_mb": highest_peak(floor), "rows": rows,
            "runs": runs, "floor_range": (min(times_s), max(times_s)) if times_s else None}


def _paired(pairs: list[tuple]) -> float | None:
    """The median of a / b over the pairs (``None`` where a figure is missing)."""
    ratios = [a / b for a, b in pairs if a is not None and b]
    return statistics.median(ratios) if ratios else None


def worst(rows: list[dict], kinds: tuple[str, ...]) -> dict | None:
    """The rows of these kinds: the worst ratio, how many are within their target, how many."""
    mine = [r for r in rows if r["kind"].name in kinds]
    if not mine:
        return None
    top = max(mine, key=lambda r: r["ratio"])
    return {"row": top, "within": sum(r["ratio"] <= r["kind"].target for r in mine), "count": len(mine),
            "median": statistics.median(r["ratio"] for r in mine)}
