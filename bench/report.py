"""The benchmark's detail tables, one per measure, in Markdown."""

from __future__ import annotations

import statistics

from runner import plural, slope
from scaling import NAIVE_MODES
from summary import PDF_TARGET, SIGMOID_TARGET, WARM_TARGET, slope_rows, verdict


def _mb(v: float | None) -> str:
    return "–" if v is None else f"{v:.0f}"


def _approx(v: float) -> str:
    return f"{v:.1f}" if v < 10 else f"{v:,.0f}"


def _sec(v: float | None) -> str:
    return "–" if v is None else f"{v:.3f}"


def _slope(xs: list[float], ys: list[float]) -> str:
    s = slope(xs, ys)
    return "n/a" if s is None else f"{s:.2f}"


def cold_table(cold: dict, quick: bool) -> str:
    n = "1 run; --quick: one problem of each kind" if quick else \
        f"{cold['runs']} runs, each right after a run of the floor: medians, and the median of the paired ratios"
    out = [f"### Cold start: `python -m solver solve PROBLEM -f md -f tex -f json` ({n})\n",
           "| problem | asks | target | time (s) | floor (s) | ratio | verdict | CPU (s) | CPU ratio | peak (MB) |",
           "|---|---|---|---:|---:|---:|---|---:|---:|---:|",
           f"| floor: `python -c \"import sympy, jinja2, click\"` | | | {cold['floor']:.3f} | {cold['floor']:.3f} | "
           f"1.00× | | {_sec(cold['floor_cpu'])} | 1.00× | {_mb(cold['floor_peak_mb'])} |"]
    for r in cold["rows"]:
        kind = r["kind"]
        asks = kind.name + (f": {kind.why}" if kind.why else "")
        cpu_ratio = "–" if r["cpu_ratio"] is None else f"{r['cpu_ratio']:.2f}×"
        out.append(f"| `{r['problem']}` | {asks} | ≤ {kind.target:g}× | {r['seconds']:.3f} | {r['floor']:.3f} | "
                   f"{r['ratio']:.2f}× | {verdict(r['ratio'], kind.target, '×')} | {_sec(r['cpu'])} | {cpu_ratio} | "
                   f"{_mb(r['peak_mb'])} |")
    ratios = [r["ratio"] for r in cold["rows"]]
    met = sum(r["ratio"] <= r["kind"].target for r in cold["rows"])
    out += ["", f"Cold start: {met} of {len(ratios)} problems within their target; ratios "
            f"{min(ratios):.2f}×–{max(ratios):.2f}× (median {statistics.median(ratios):.2f}×). A problem is a "
            "training problem when a question asks `train`, `perceptron` or `delta_rule`, a derivation problem "
            "when one asks `derive` (target ≤ 2×), a key otherwise (≤ 1.3×).", ""]
    off = [r for r in cold["rows"] if "store_off_seconds" in r]
    if off:
        out += ["Keys whose shapes are new (for information): each key run again right after its run above with "
                "the derivative store off (`NNSOLVE_DERIVATIVE_CACHE=0`), so every shape of its graph is "
                "differentiated by sympy, as in the first run of a problem whose shapes the store does not "
                "hold yet (`solver/files/derivative_store.py`); "
                + ("with --quick there is no untimed run before them, so the store holds what earlier runs left."
                   if quick else "the timed runs above follow an untimed one, which has left them in the store."), "",
                "| problem | with the store (s) | ratio | store off (s) | ratio | off / with |",
                "|---|---:|---:|---:|---:|---:|"]
        for r in sorted(off, key=lambda r: -r["store_off_ratio"] / r["ratio"]):
            o = r["store_off_seconds"]
            out.append(f"| `{r['problem']}` | {r['seconds']:.3f} | {r['ratio']:.2f}× | {o:.3f} | "
                       f"{r['store_off_ratio']:.2f}× | {o / r['seconds']:.2f} |")
        out.append("")
    return "\n".join(out)


def _naive_cells(r: dict, cap: float) -> list[str]:
    cells = []
    for mode in NAIVE_MODES:
        if f"naive_{mode}" not in r:
            cells += ["not run", ""]
            continue
        t, est = r[f"naive_{mode}"], r[f"naive_{mode}_estimate"]
        if t is None and est is not None:
            cells += [f"> {cap:g} (≈ {_approx(est[0])} est.)", f"≈ {_approx(est[0] / r['seconds'])}×"]
        elif t is None:
            cells += [f"> {cap:g}", f"> {cap / r['seconds']:.1f}×"]
        else:
            cells += [f"{t:.2f}", f"{t / r['seconds']:.1f}×"]
    return cells


def scaling_table(scale: dict, quick: bool) -> str:
    cap, rows = scale["naive_cap"], scale["rows"]
    out = [f"### All gradients of dense ReLU networks (md + tex + json; nnsolve: median of the runs shown; "
           f"naive sympy baselines: 1 run each, capped at {cap:g} s)\n",
           "| network | parameters | runs | nnsolve (s) | above the floor (s) | CPU (s) | peak (MB) | naive, subs (s) "
           "| subs / nnsolve | naive, xreplace (s) | xreplace / nnsolve |",
           "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        cells = [r["network"], f"{r['parameters']:,}", str(r["runs"]), f"{r['seconds']:.2f}", f"{r['above_floor']:.2f}",
                 "–" if r["cpu"] is None else f"{r['cpu']:.2f}", _mb(r["peak_mb"]), *_naive_cells(r, cap)]
        out.append("| " + " | ".join(cells) + " |")
    out.append("")
    for r in rows:
        for mode in NAIVE_MODES:
            if r.get(f"naive_{mode}_agree") is not None:
                out.append(f"- {r['network']}: the naive baseline ({mode}) agrees with nnsolve on "
                           f"{r[f'naive_{mode}_agree']:,} of {r['parameters']:,} gradients (exact values).")
            if r.get(f"naive_{mode}_estimate") is not None:
                est, k = r[f"naive_{mode}_estimate"]
                out.append(f"- {r['network']}: the naive baseline ({mode}) finished {k:,} of {r['parameters']:,} "
                           f"gradients in {cap:g} s; ≈ {_approx(est)} s in all at that pace (an estimate).")
    if any("naive_subs" not in r for r in rows):
        out.append("- The naive baselines are not run at the larger sizes (`--naive all` runs them): "
                   "capped, they only cost time there.")
    sr = slope_rows(rows, quick)
    if len(sr) >= 2:
        ps = [r["parameters"] for r in sr]
        out.append(f"- Log-log slope of time against parameters, least squares over {ps[0]:,}–{ps[-1]:,} "
                   f"({len(sr)} sizes), of the time above the floor (each run's time less the floor's "
                   f"`python -c \"import sympy, jinja2, click\"` in the same round; the target's measure): "
                   f"{_slope(ps, [r['above_floor'] for r in sr])}; between the two largest sizes alone: "
                   f"{_slope(ps[-2:], [r['above_floor'] for r in sr[-2:]])}.")
        every = ""
        if len(rows) > len(sr):
            every = (f"; over every size measured, from {rows[0]['parameters']:,}: "
                     f"{_slope([r['parameters'] for r in rows], [r['seconds'] for r in rows])}")
        out.append(f"- The same of the whole wall time (start-up included, which flattens it): "
                   f"{_slope(ps, [r['seconds'] for r in sr])}{every}.")
        if all(r["cpu"] is not None for r in sr):
            cpu = [r["cpu"] for r in sr]
            out.append(f"- In CPU time (less sensitive to other processes sharing the machine): slope "
                       f"{_slope(ps, cpu)}; between the two largest sizes alone: {_slope(ps[-2:], cpu[-2:])}.")
    out.append("")
    return "\n".join(out)


def twins_table(twins: dict, quick: bool) -> str:
    relu = twins["relu"]
    n = "1 round (--quick)" if quick else f"{relu['runs']} rounds"
    out = [f"### The {relu['network']} network ({relu['parameters']:,} parameters) in three forms "
           f"(md + tex + json; {n}, each round ReLU, matrix style, sigmoid back to back)\n",
           "| network | time (s) | CPU (s) | peak (MB) | paired ratio to the ReLU network |",
           "|---|---:|---:|---:|---:|"]
    for key in ("relu", "matrix", "sigmoid"):
        r = twins[key]
        ratio = "1.00×" if key == "relu" else f"{r['paired']:.2f}×"
        out.append(f"| {r['network']} | {r['seconds']:.2f} | {_sec(r['cpu'])} | {_mb(r['peak_mb'])} | {ratio} |")
    sg = twins["sigmoid"]["paired"]
    out += ["", f"Paired ratio: the median over the rounds of (time of the twin) / (time of the ReLU network in the "
            f"same round). Sigmoid twin: {sg:.2f}× — target ≤ {SIGMOID_TARGET:g}×: {verdict(sg, SIGMOID_TARGET, '×')}.",
            ""]
    return "\n".join(out)


def warm_table(warm: dict) -> str:
    out = ["### Warm keys in one process (md + tex + json, nothing written)\n",
           "| keys | ms per key | keys/s | CPU ms per key | target |", "|---|---:|---:|---:|---|",
           f"| `relu-2-2-2` (seed 000), {plural(warm['rounds'], 'round')} of {warm['keys']} keys, median | "
           f"{warm['ms_per_key']:.1f} | {warm['keys_per_s']:.1f} | {warm['cpu_ms_per_key']:.1f} | "
           f"≥ {WARM_TARGET:g} keys/s: "
           f"{verdict(warm['keys_per_s'], WARM_TARGET, ' keys/s', '{:.1f}', at_least=True)} |"]
    if "variants" in warm:
        out.append(f"| `relu-2-2-2-variants`: {warm['variants']} variant keys, each drawn, validated, solved and "
                   f"rendered (information) | {warm['variant_ms_per_key']:.1f} | "
                   f"{warm['variant_keys_per_s']:.1f} | | |")
    return "\n".join(out) + "\n"


def pdf_table(pdf: dict) -> str:
    if "skipped" in pdf:
        return f"### `-f pdf`\n\nNot measured: {pdf['skipped']} (nnsolve needs latexmk and pdflatex to build PDFs).\n"
    return "\n".join([
        f"### `-f pdf`: `{pdf['problem']}`, md + tex + json with and without pdf ({plural(pdf['runs'], 'pair')})\n",
        "| run | time (s), median |", "|---|---:|",
        f"| without `-f pdf` | {pdf['without']:.3f} |", f"| with `-f pdf` | {pdf['with']:.3f} |", "",
        f"Median of the paired ratios (with / without, run back to back): {pdf['paired']:.2f}× — target ≤ "
        f"{PDF_TARGET:g}×: {verdict(pdf['paired'], PDF_TARGET, '×')}.", "",
        *([f"A user's first build, which makes the TeX format of the preamble (once per document class), took "
           f"{pdf['first']:.3f} s (one run, for information).", ""] if "first" in pdf else [])])
