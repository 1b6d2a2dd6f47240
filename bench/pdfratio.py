"""``-f pdf``: ``python -m solver solve problems/relu-2-2-2.yaml -f md -f tex -f json -f pdf``
against the same run without ``-f pdf``, each a fresh process, run back to back in pairs; the
median of the paired ratios (issue 19: ≤ 1.6×). The pairs use the user's cache, where the
untimed warm-up has left the TeX format of the key's preamble (``solver/files/tex_format.py``)
as every build after a user's first leaves it; the first build, which makes the format, is
timed once on its own, in a cache folder of its own that a run without PDF has warmed (its
templates). Needs latexmk and pdflatex (as nnsolve does to build PDFs); without them the
measure is skipped, with a note."""

from __future__ import annotations

import shutil
from pathlib import Path

from runner import (
    ROOT,
    Run,
    checked,
    median_seconds,
    paired_ratio,
    progress,
    run,
    solve_cmd,
)

PROBLEM = ROOT / "problems" / "relu-2-2-2.yaml"
TARGET = 1.6
TOOLS = ("latexmk", "pdflatex")


def missing_tools() -> list[str]:
    return [t for t in TOOLS if shutil.which(t) is None]


def pdf_ratio(runs: int, warm: bool, env: dict, tmp: Path) -> dict:
    missing = missing_tools()
    if missing:
        progress(f"-f pdf: skipped ({' and '.join(missing)} not found)")
        return {"skipped": f"{' and '.join(missing)} not found on the PATH"}
    without = solve_cmd(PROBLEM, tmp / "pdf-without")
    with_pdf = solve_cmd(PROBLEM, tmp / "pdf-with", "-f", "pdf")
    fresh = dict(env, XDG_CACHE_HOME=str(tmp / "pdf-cache"))
    progress("-f pdf: the first build, the format made")
    checked(run(without, fresh), "solving without PDF")
    first = checked(run(with_pdf, fresh), "solving with PDF").seconds
    if warm:
        progress("-f pdf: warm-up (untimed)")
        checked(run(without, env), "solving without PDF")
        checked(run(with_pdf, env), "solving with PDF")
    plain: list[Run] = []
    pdf: list[Run] = []
    for r in range(runs):
        progress(f"-f pdf: pair {r + 1}/{runs}")
        plain.append(checked(run(without, env), "solving without PDF"))
        pdf.append(checked(run(with_pdf, env), "solving with PDF"))
    if not (tmp / "pdf-with" / f"{PROBLEM.stem}.pdf").is_file():
        raise SystemExit(f"bench: -f pdf wrote no {PROBLEM.stem}.pdf")
    return {"problem": PROBLEM.stem, "runs": runs, "without": median_seconds(plain), "with": median_seconds(pdf),
            "paired": paired_ratio(pdf, plain), "first": first}
