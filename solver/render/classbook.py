"""The class's answers of ``nnsolve variants``: every variant's answers JSON in one file
(``answers.json``) and one row per answer (``answers.csv``: student, variant, question,
kind, of, step, display, value)."""

from __future__ import annotations

import csv
import io
import json

from ..key.model import Solution
from .answers import answers

CSV_COLUMNS = ("student", "name", "variant", "question", "kind", "of", "step", "display", "value")


def class_answers(problem: str, seed: int, entries: list[tuple[dict, Solution]]) -> dict:
    """``{"problem", "seed", "variants": [{"student", "name", "variant", "given", "questions"}]}``
    from (student, solution) pairs in the class's order."""
    out = []
    for student, sol in entries:
        a = answers(sol)
        out.append({"student": student["student"], "name": student.get("name", ""), "variant": sol.variant,
                    "given": a["given"], "questions": a["questions"]})
    return {"problem": problem, "seed": seed, "variants": out}


def class_answers_json(data: dict) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def class_answers_csv(data: dict) -> str:
    """One row per answer of every variant (a tensor's answer as its nested lists in JSON)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for v in data["variants"]:
        for q in v["questions"]:
            for a in q["answers"]:
                cells = [a["display"], a["value"]]
                w.writerow([v["student"], v["name"], v["variant"], q["id"], a["kind"], a["of"], a.get("step", ""),
                            *(c if isinstance(c, (str, int, float)) else json.dumps(c) for c in cells)])
    return buf.getvalue()


def pool_text(report, most_pairs: int = 20) -> str:
    """The ``--check`` report as text (a :class:`~solver.key.variant_check.PoolReport`)."""
    t = report.tally
    lines = [f"{t.draws:,} draws, {t.accepted:,} accepted ({t.accepted / max(t.draws, 1):.1%})"]
    for name, count in t.rejected.most_common():
        lines.append(f"  rejected by {name}: {count:,} draws")
    lines.append(f"distinct variants: {report.distinct:,} of {t.accepted:,} accepted")
    lines.append("answers (min / median / max over the accepted variants):")
    for (qid, kind, of, step), (lo, mid, hi) in report.spread.items():
        at = f" after step {step}" if step is not None else ""
        lines.append(f"  {qid} {kind} {of}{at}: {lo:.6g} / {mid:.6g} / {hi:.6g}")
    lines.append(f"pairs of variants with every answer alike: {len(report.coincide):,}")
    lines += [f"  {a} and {b}" for a, b in report.coincide[:most_pairs]]
    if len(report.coincide) > most_pairs:
        lines.append(f"  … and {len(report.coincide) - most_pairs:,} more")
    return "\n".join(lines) + "\n"
