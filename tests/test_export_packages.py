"""The zip packages (Canvas's QTI 1.2, QTI 2.1) as an importer lists and unpacks them: item
titles, file names and what the manifests and the HTML refer to."""

from __future__ import annotations

import zipfile
from pathlib import Path

from click.testing import CliRunner
from lxml import etree

from solver.cli import main

ROOT = Path(__file__).resolve().parent.parent
PROBLEMS = ROOT / "problems"
QTI12 = "{http://www.imsglobal.org/xsd/ims_qtiasiv1p2}"


def export(problem: Path, target: str, out: Path, *more: str) -> Path:
    r = CliRunner().invoke(main, ["export", str(problem), "--to", target, "-o", str(out), *more], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    [package] = out.glob("*.zip")
    return package


def canvas_titles(package: Path) -> dict[str, list[str]]:
    """Each quiz's title → its items' titles, in order."""
    out = {}
    with zipfile.ZipFile(package) as z:
        for name in z.namelist():
            if name.endswith(".xml") and name != "imsmanifest.xml":
                root = etree.fromstring(z.read(name))
                out[root.find(f"{QTI12}assessment").get("title")] = [i.get("title") for i in root.iter(f"{QTI12}item")]
    return out


def test_canvas_items_have_titles_of_their_own(tmp_path):
    """Canvas lists a question bank by title alone: every item was "Problem" or "<question>: <name>",
    the same for a tensor's elements, a gradient and an update of w1, each step, each variant."""
    [(quiz, items)] = canvas_titles(export(PROBLEMS / "relu-2-2-2.yaml", "canvas", tmp_path / "r")).items()
    assert quiz == "A 2-2-2 ReLU network"
    assert items[:3] == ["A 2-2-2 ReLU network — statement and given values",
                         "A 2-2-2 ReLU network — Question 1: forward pass — z_h1",
                         "A 2-2-2 ReLU network — Question 1: forward pass — h1"]
    assert "A 2-2-2 ReLU network — Question 2: squared error and two gradients — dL/dw3" in items
    [items] = canvas_titles(export(PROBLEMS / "attention.yaml", "canvas", tmp_path / "a")).values()
    assert items[-1] == "Scaled dot-product attention — Question 1 — dL/dQ[2, 3]"
    assert len(set(items)) == len(items) == 30
    [items] = canvas_titles(export(PROBLEMS / "nesterov-adamw.yaml", "canvas", tmp_path / "n")).values()
    head = "One step of Nesterov momentum and one of AdamW on seed 000's network — "
    assert {head + "Question 1 — w1 after step 1", head + "Question 3 — w1 after the update"} <= set(items)
    assert len(set(items)) == len(items) == 81
    pool = canvas_titles(export(PROBLEMS / "relu-2-2-2-variants.yaml", "canvas", tmp_path / "v", "--variants", "2"))
    every = [t for items in pool.values() for t in items]
    assert len(pool) == 2 and len(set(every)) == len(every)
    assert all(t.startswith(quiz + " — ") and "(variant 0-" in quiz for quiz, items in pool.items() for t in items)
