"""Issue 19's targets, one row each: what was measured, on what, and the verdict (met, or missed
by how much), from the results of one run."""

from __future__ import annotations

from coldstart import KEY_TARGET, SLOW_TARGET, worst
from networks import BIG, LARGER, Network
from runner import plural, slope

BIG_SECONDS = 3.0  # the 10,954-parameter key, default and matrix style
BIG_MB = 300.0
LARGER_SECONDS = 6.0  # the 19,914-parameter key
SLOPE_TARGET = 1.05
SLOPE_FROM = 1_000  # parameters: the slope is taken over the sizes from here
SIGMOID_TARGET = 2.0  # × the ReLU twin
WARM_TARGET = 100.0  # keys per second
PDF_TARGET = 1.6  # × the same run without PDF

#: The floor when issue 19 set its limits in seconds and keys per second (0.28–0.30 s).
ISSUE_FLOOR = 0.29

HEADER = ["target", "measured on", "limit", "measured", "verdict"]


def verdict(value: float, target: float, unit: str, fmt: str = "{:.2f}", at_least: bool = False) -> str:
    if (value >= target) if at_least else (value <= target):
        return "met"
    return f"missed by {fmt.format(abs(value - target))}{unit}"


def _mb(v: float | None) -> str:
    return "–" if v is None else f"{v:.0f}"


def slope_rows(rows: list[dict], quick: bool) -> list[dict]:
    """The sizes the slope target is taken over: from SLOPE_FROM parameters (every size measured,
    when --quick's stand-ins leave fewer than two there)."""
    mine = [r for r in rows if r["parameters"] >= SLOPE_FROM]
    return rows if quick and len(mine) < 2 else mine


def _net(shape, quick: bool, stands_for, extra: str = "") -> str:
    n = Network(shape)
    text = f"{n.label}{extra} ({n.parameters:,} parameters)"
    if quick and shape != stands_for:
        text += f"; --quick stand-in for {Network(stands_for).label} ({Network(stands_for).parameters:,})"
    return text


def _cold_rows(cold: dict | None) -> list[list[str]]:
    out = []
    for kinds, label, target in ((("key",), "cold start: keys", KEY_TARGET),
                                 (("training", "derivation"), "cold start: training and derivation", SLOW_TARGET)):
        limit = f"≤ {target:g}× the floor"
        w = worst(cold["rows"], kinds) if cold else None
        if w is None:
            out.append([label, "–", limit, "–", "not run" if cold is None else "no such problem"])
            continue
        r = w["row"]
        out.append([label, f"{plural(w['count'], 'bundled problem')}, median of {plural(cold['runs'], 'paired ratio')}",
                    limit, f"{r['ratio']:.2f}× worst (`{r['problem']}`); {w['within']} of {w['count']} within, "
                    f"median {w['median']:.2f}×", verdict(r["ratio"], target, "×")])
    return out


def _scale_rows(scale: dict | None, big, larger, quick: bool) -> list[list[str]]:
    rows = {r["shape"]: r for r in scale["rows"]} if scale else {}
    twins = scale["twins"] if scale else {}
    out = []
    b = twins.get("relu") or rows.get(big)
    if b:
        on = _net(big, quick, BIG)
        cpu = "" if b["cpu"] is None else f"; CPU {b['cpu']:.2f} s"
        out.append(["dense ReLU key: time", on, f"≤ {BIG_SECONDS:g} s",
                    f"{b['seconds']:.2f} s (median of {plural(b['runs'], 'run')}{cpu})",
                    verdict(b["seconds"], BIG_SECONDS, " s")])
        out.append(["dense ReLU key: peak memory", on, f"≤ {BIG_MB:g} MB",
                    "–" if b["peak_mb"] is None else f"{b['peak_mb']:.0f} MB",
                    "not measured" if b["peak_mb"] is None else verdict(b["peak_mb"], BIG_MB, " MB", "{:.0f}")])
    else:
        out += [["dense ReLU key: time", "–", f"≤ {BIG_SECONDS:g} s", "–", "not run"],
                ["dense ReLU key: peak memory", "–", f"≤ {BIG_MB:g} MB", "–", "not run"]]
    m = twins.get("matrix")
    out.append(["matrix style: time", _net(big, quick, BIG, ", matrix style") if m else "–", f"≤ {BIG_SECONDS:g} s",
                f"{m['seconds']:.2f} s (median of {plural(m['runs'], 'run')}; {m['paired']:.2f}× the default style, "
                "median of paired ratios)" if m else "–",
                verdict(m["seconds"], BIG_SECONDS, " s") if m else "not run"])
    g = rows.get(larger)
    out.append(["larger dense ReLU key: time", _net(larger, quick, LARGER) if g else "–", f"≤ {LARGER_SECONDS:g} s",
                f"{g['seconds']:.2f} s (median of {plural(g['runs'], 'run')}; peak {_mb(g['peak_mb'])} MB)"
                if g else "–",
                verdict(g["seconds"], LARGER_SECONDS, " s") if g else "not run"])
    sr = slope_rows(scale["rows"], quick) if scale else []
    ps = [r["parameters"] for r in sr]
    s, top = slope(ps, [r["above_floor"] for r in sr]), slope(ps[-2:], [r["above_floor"] for r in sr[-2:]])
    on = (f"{ps[0]:,}–{ps[-1]:,} parameters, {len(sr)} sizes" + ("; --quick stand-in" if quick else "")) if sr else "–"
    measured = "–" if s is None else (f"{s:.2f} (log-log least squares of the time above the floor; between "
                                      f"{ps[-2]:,} and {ps[-1]:,} alone: {top:.2f})")
    out.append(["slope of time against parameters", on, f"≤ {SLOPE_TARGET:g}", measured,
                verdict(s, SLOPE_TARGET, "") if s is not None else "not run" if len(sr) < 2 else
                "not measured: a time not above the floor"])
    sg = twins.get("sigmoid")
    out.append(["sigmoid twin / ReLU", _net(big, quick, BIG, ", sigmoid") if sg else "–", f"≤ {SIGMOID_TARGET:g}×",
                f"{sg['paired']:.2f}× (median of {plural(sg['runs'], 'paired ratio')}; medians {sg['seconds']:.2f} s / "
                f"{twins['relu']['seconds']:.2f} s)" if sg else "–",
                verdict(sg["paired"], SIGMOID_TARGET, "×") if sg else "not run"])
    return out


def _warm_row(warm: dict | None) -> list[str]:
    if warm is None:
        return ["warm keys per second", "–", f"≥ {WARM_TARGET:g} keys/s", "–", "not run"]
    return ["warm keys per second", "`relu-2-2-2` (seed 000), md + tex + json, one process",
            f"≥ {WARM_TARGET:g} keys/s", f"{warm['keys_per_s']:.1f} keys/s ({warm['ms_per_key']:.1f} ms per key; "
            f"median of {plural(warm['rounds'], 'round')} of {warm['keys']} keys)",
            verdict(warm["keys_per_s"], WARM_TARGET, " keys/s", "{:.1f}", at_least=True)]


def _pdf_row(pdf: dict | None) -> list[str]:
    label, limit = "`-f pdf` / without", f"≤ {PDF_TARGET:g}×"
    if pdf is None:
        return [label, "–", limit, "–", "not run"]
    if "skipped" in pdf:
        return [label, "`relu-2-2-2`", limit, "–", f"not measured: {pdf['skipped']}"]
    return [label, f"`{pdf['problem']}`, md + tex + json with and without pdf", limit,
            f"{pdf['paired']:.2f}× (median of {plural(pdf['runs'], 'paired ratio')}; medians {pdf['with']:.2f} s / "
            f"{pdf['without']:.2f} s)", verdict(pdf["paired"], PDF_TARGET, "×")]


def targets_table(res: dict, big, larger, quick: bool) -> str:
    rows = [*_cold_rows(res.get("cold")), *_scale_rows(res.get("scale"), big, larger, quick),
            _warm_row(res.get("warm")), _pdf_row(res.get("pdf"))]
    lines = ["| " + " | ".join(HEADER) + " |", "|---|---|---|---|---|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    met = sum(r[4] == "met" for r in rows)
    missed = sum(r[4].startswith("missed") for r in rows)
    notes = [n for n in (load_note(res), at_issue_speed(res)) if n]
    return ("\n".join(lines) + f"\n\nTargets: {met} met, {missed} missed, {len(rows) - met - missed} not measured.\n"
            + "".join(f"\n{n}\n" for n in notes))


#: A floor this many times the issue's, or floors this far apart within one run, say the machine
#: was loaded (docs/performance.md, round 8: quiet, the floor took 0.28 s and moved a few per cent).
LOADED = 1.25


def load_note(res: dict) -> str | None:
    """A warning where this run's floor says the machine was loaded: its median over
    :data:`LOADED` × ``ISSUE_FLOOR``, or its slowest run over :data:`LOADED` × its fastest.
    On a loaded machine the ratios to the floor have come out lower than on a quiet one (the
    floor's imports slowed more than nnsolve did: round 8), so its verdicts on them are not a
    record; ``python bench/instructions.py`` counts instructions, which load does not move.
    ``None`` for a quiet run, or one with no floor measured."""
    cold = res.get("cold") or {}
    floor, span = cold.get("floor"), cold.get("floor_range")
    if not floor:
        return None
    why = []
    if floor > LOADED * ISSUE_FLOOR:
        why.append(f"its median {floor:.3f} s is {floor / ISSUE_FLOOR:.2f}× the {ISSUE_FLOOR:g} s of a quiet machine")
    if span and span[0] and span[1] > LOADED * span[0]:
        why.append(f"its runs took {span[0]:.3f}–{span[1]:.3f} s")
    if not why:
        return None
    return (f"**The machine was loaded during this run** (the floor: {'; '.join(why)}). Ratios to the floor "
            "have come out lower on a loaded machine than on a quiet one, so this run's verdicts on them are "
            "not a record; `python bench/instructions.py` counts instructions, which load does not move.")


def at_issue_speed(res: dict) -> str | None:
    """The limits in seconds and keys per second were set on a machine whose floor took
    ``ISSUE_FLOOR`` s; where this run's floor took longer or shorter, the same measures scaled by
    the ratio of the floors (a first-order correction for the machine's speed, for information:
    the verdicts stay on this run's own figures). ``None`` without a floor or a measure to scale."""
    floor = (res.get("cold") or {}).get("floor")
    if not floor:
        return None
    k = ISSUE_FLOOR / floor
    scale = res.get("scale") or {}
    twins = scale.get("twins", {})
    parts = [f"{name} {r['seconds'] * k:.2f} s" for name, r in
             (("the 10,954-parameter key", twins.get("relu")), ("in matrix style", twins.get("matrix"))) if r]
    parts += [f"{r['parameters']:,} parameters {r['seconds'] * k:.2f} s" for r in scale.get("rows", [])
              if r["parameters"] > 15_000]
    warm = res.get("warm")
    if warm:
        parts.append(f"warm {warm['keys_per_s'] / k:.0f} keys/s")
    if not parts:
        return None
    return (f"This run's floor took {floor:.3f} s, {floor / ISSUE_FLOOR:.2f}× the {ISSUE_FLOOR:g} s of the machine "
            f"on which issue 19 set its limits in seconds and keys per second. Scaled by that ratio (for "
            f"information; the verdicts above are on this run's own figures): {'; '.join(parts)}.")
