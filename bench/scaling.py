"""Scaling: all gradients of generated dense networks (``networks.py``) solved to md + tex + json
by the CLI, each a fresh process: wall time, CPU time and peak memory of that child alone; the
10,954-parameter network also in the matrix style and with sigmoid hidden layers (its twins),
run round by round with it (ReLU, matrix, sigmoid back to back) so that the ratios are paired;
and the naive sympy baseline (``naive.py``), capped, where asked."""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path

from networks import SMALL, Network
from runner import (
    FLOOR,
    Run,
    checked,
    highest_peak,
    median_cpu,
    median_seconds,
    paired_ratio,
    progress,
    run,
    solve_cmd,
)

NAIVE = Path(__file__).resolve().parent / "naive.py"
NAIVE_MODES = ("subs", "xreplace")  # see naive.py
BIG_RUNS_FROM = 5_000  # parameters: networks this large get ``big_runs`` runs


def _gradients(net: Network, out: Path) -> dict[str, str]:
    """The exact gradients in the answers JSON; exits when one is missing."""
    answers = json.loads((out / f"{net.stem}.json").read_text(encoding="utf-8"))
    grads = {a["of"]: a["exact"] for q in answers["questions"] for a in q["answers"]
             if a["kind"] == "gradient" and not a.get("upstream")}
    if len(grads) != net.parameters:
        sys.stderr.write(f"bench: {net.stem}: {len(grads)} gradients in the answers, expected {net.parameters}\n")
        raise SystemExit(1)
    return grads


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


def _naive(net: Network, problem: Path, grads: dict[str, str], cap: float, env: dict, tmp: Path) -> dict:
    row = {}
    for mode in NAIVE_MODES:
        progress(f"scaling {net.label}: naive sympy baseline, {mode} (cap {cap:g} s)")
        naive_out = tmp / f"naive-{mode}-{net.stem}.json"
        nr = run([sys.executable, str(NAIVE), str(problem), str(naive_out), mode], env, timeout=cap)
        agree = None
        if not nr.timed_out:
            checked(nr, f"the naive baseline ({mode}) on {problem.name}")
            theirs = json.loads(naive_out.read_text(encoding="utf-8"))
            agree = sum(theirs.get(k) == v for k, v in grads.items())
        row[f"naive_{mode}"] = None if nr.timed_out else nr.seconds
        row[f"naive_{mode}_agree"] = agree
        row[f"naive_{mode}_estimate"] = _extrapolate(nr.stderr, net.parameters) if nr.timed_out else None
    return row


def _rounds(nets: list[Network], n: int, env: dict, tmp: Path) -> tuple[dict[Network, list[Run]], list[Run]]:
    """``n`` rounds, each running the floor, then every network once, one after the other."""
    files = {net: net.write(tmp) for net in nets}
    times: dict[Network, list[Run]] = {net: [] for net in nets}
    floors = []
    for r in range(n):
        floors.append(checked(run(FLOOR, env), "the floor"))
        for net in nets:
            progress(f"scaling {net.label} ({net.parameters:,} parameters): run {r + 1}/{n}")
            times[net].append(checked(run(solve_cmd(files[net], tmp / f"out-{net.stem}"), env),
                                      f"solving {files[net].name}"))
    return times, floors


def _summary(net: Network, rs: list[Run], floors: list[Run]) -> dict:
    """Medians; ``above_floor``: the median over the rounds of the run's time less the floor's
    in the same round (the start-up any Python program importing sympy, jinja2 and click pays)."""
    return {"network": net.label, "shape": net.shape, "parameters": net.parameters, "runs": len(rs),
            "seconds": median_seconds(rs), "cpu": median_cpu(rs), "peak_mb": highest_peak(rs),
            "above_floor": statistics.median(r.seconds - f.seconds for r, f in zip(rs, floors, strict=True))}


def scaling(shapes: list[tuple[int, ...]], big: tuple[int, ...] | None, runs: int, big_runs: int, warm: bool,
            naive_shapes: list[tuple[int, ...]], naive_cap: float, env: dict, tmp: Path) -> dict:
    """ReLU networks of ``shapes``; the twins of ``big`` (None: none) with its ReLU network,
    run in the same rounds (``big`` need not be in ``shapes``); the naive baselines of
    ``naive_shapes``. Each network gets ``runs`` runs, ``big_runs`` from BIG_RUNS_FROM parameters."""
    twins = [Network(big, style="matrix"), Network(big, activation="sigmoid")] if big else []
    if warm:  # bytecode, the compiled-template cache (the matrix style's templates too), OS caches
        warmups = [Network(SMALL)] + [Network(SMALL, t.activation, t.style) for t in twins]
        progress("scaling: warm-up (untimed)")
        _rounds(warmups, 1, env, tmp)
    rows, twin_rows = [], {}
    for shape in sorted({*shapes, *([big] if big else [])}, key=lambda s: Network(s).parameters):
        net = Network(shape)
        group = [net, *twins] if shape == big else [net]
        times, floors = _rounds(group, runs if net.parameters < BIG_RUNS_FROM else big_runs, env, tmp)
        grads = _gradients(net, tmp / f"out-{net.stem}")
        for twin in group[1:]:
            _gradients(twin, tmp / f"out-{twin.stem}")
        if shape in shapes:
            row = _summary(net, times[net], floors)
            if shape in naive_shapes:
                row.update(_naive(net, tmp / f"{net.stem}.yaml", grads, naive_cap, env, tmp))
            rows.append(row)
        if shape == big:
            twin_rows = {"relu": _summary(net, times[net], floors)}
            for twin in twins:
                key = twin.style or twin.activation
                twin_rows[key] = _summary(twin, times[twin], floors)
                twin_rows[key]["paired"] = paired_ratio(times[twin], times[net])
    return {"rows": rows, "twins": twin_rows, "naive_cap": naive_cap,
            "naive": [Network(s).parameters for s in naive_shapes]}
