"""Golden files: the rendered keys of the bundled problems, byte for byte.

Regenerate on purpose only, then read the diff by eye before committing:

    NNSOLVE_UPDATE_GOLDEN=1 python -m pytest tests/test_golden.py
"""

import os
from pathlib import Path

import pytest

from solver.core.options import Options
from solver.render.answers import answers_json
from solver.problem.loader import load_problem
from solver.render import render
from solver.key.solve import solve

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"
PROBLEMS = sorted((ROOT / "problems").glob("*.yaml"))
UPDATE = os.environ.get("NNSOLVE_UPDATE_GOLDEN") == "1"


#: Keys in a style other than the problem's own, kept as golden files too.
VARIANTS = [("relu-2-2-2", "graph"), ("relu-2-2-2", "matrix"), ("leaky-relu-4-3-2-bce", "neuron")]
CASES = [(p, None) for p in PROBLEMS] + [(ROOT / "problems" / f"{stem}.yaml", style) for stem, style in VARIANTS]


def outputs(path: Path, style: str | None = None) -> dict[str, str]:
    solution = solve(load_problem(path), path.stem, Options(style=style), file=str(path))
    return {"md": render(solution, "md"), "tex": render(solution, "tex"), "json": answers_json(solution)}


@pytest.mark.parametrize("path, style", CASES, ids=[p.stem + (f"-{s}" if s else "") for p, s in CASES])
def test_golden(path, style):
    for fmt, text in outputs(path, style).items():
        golden = GOLDEN / (f"{path.stem}.{fmt}" if style is None else f"{path.stem}.{style}.{fmt}")
        if UPDATE:
            golden.write_text(text, encoding="utf-8")
        assert golden.exists(), f"no golden file {golden.name}; run with NNSOLVE_UPDATE_GOLDEN=1 and read it"
        assert text == golden.read_text(encoding="utf-8"), f"{golden.name} differs from the rendered key"


def test_every_golden_file_has_a_problem():
    stems = {p.stem for p in PROBLEMS}
    assert {g.name.split(".")[0] for g in GOLDEN.iterdir()} <= stems
