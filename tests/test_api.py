"""The Python API (issue 18, section 2): ``solver.load``, ``solver.solve`` and the key it
returns (answers, Markdown, LaTeX, HTML, files, Jupyter's display), and the quickstart
notebook run by a real Jupyter kernel (nbclient + ipykernel)."""

from __future__ import annotations

import base64
import json
import re
import shutil
from pathlib import Path

import mpmath
import pytest
import yaml
from click.testing import CliRunner

import solver
from solver.cli import main
from solver.core.errors import ProblemError
from solver.core.options import Options
from solver.pipeline import solve_file
from solver.render import render
from solver.render.answers import answers_json

ROOT = Path(__file__).resolve().parent.parent
SIGMOID = ROOT / "problems" / "sigmoid-2-2-1.yaml"

#: The quickstart notebook's problem, as a dict.
TINY = {
    "title": "A 2-2-1 sigmoid network", "precision": 4,
    "network": {"inputs": {"x1": 1, "x2": 0.5}, "orientation": "Wx", "naming": "sequential", "layers": [
        {"units": 2, "activation": "sigmoid", "weights": [[0.2, -0.1], [0.4, 0.3]], "bias": 0.1},
        {"units": 1, "activation": "sigmoid", "weights": [[0.5, -0.6]], "bias": -0.2}]},
    "questions": [{"id": "q1", "title": "Forward pass, loss and gradients", "ask": ["forward", "loss", "gradients"],
                   "loss": "mse", "target": [1], "gradients": "all"}],
}


def by_name(answers: dict, kind: str) -> dict:
    return {a["of"]: a for q in answers["questions"] for a in q["answers"] if a["kind"] == kind}


def test_a_dict_is_the_file_it_would_be():
    """A dict as yaml.safe_load reads the file (floats) gives the file's key exactly."""
    data = yaml.safe_load(SIGMOID.read_text(encoding="utf-8"))
    assert solver.load(data) == solver.load(SIGMOID) == solver.load(str(SIGMOID))
    from_dict = solver.solve(data, stem="sigmoid-2-2-1")
    from_file = solver.solve(SIGMOID)
    assert from_dict.answers() == from_file.answers() == json.loads(answers_json(solve_file(SIGMOID)))
    assert solver.solve(solver.load(SIGMOID), stem="sigmoid-2-2-1").answers() == from_file.answers()
    assert solver.solve(data).solution.stem == "a-2-2-1-network-with-a-sigmoid-hidden-layer"


def test_the_answers_against_an_independent_forward_and_backward_pass():
    """The notebook's network worked with mpmath (not the solver): σ layers, MSE to 1."""
    mpmath.mp.dps = 40
    sig = lambda z: 1 / (1 + mpmath.e ** (-z))  # noqa: E731
    x = [mpmath.mpf(1), mpmath.mpf("0.5")]
    w1, b1 = [[mpmath.mpf("0.2"), mpmath.mpf("-0.1")], [mpmath.mpf("0.4"), mpmath.mpf("0.3")]], mpmath.mpf("0.1")
    w2, b2 = [mpmath.mpf("0.5"), mpmath.mpf("-0.6")], mpmath.mpf("-0.2")
    h = [sig(sum(w * xi for w, xi in zip(row, x)) + b1) for row in w1]
    o = sig(sum(w * hi for w, hi in zip(w2, h)) + b2)
    delta_o = 2 * (o - 1) * o * (1 - o)
    grads = {"w5": delta_o * h[0], "w6": delta_o * h[1], "b2": delta_o}
    delta_h = [delta_o * w2[j] * h[j] * (1 - h[j]) for j in range(2)]
    grads.update(w1=delta_h[0] * x[0], w2=delta_h[0] * x[1], w3=delta_h[1] * x[0], w4=delta_h[1] * x[1],
                 b1=delta_h[0] + delta_h[1])
    answers = solver.solve(TINY).answers()
    assert by_name(answers, "value")["o1"]["value"] == pytest.approx(float(o), rel=1e-14)
    got = by_name(answers, "gradient")
    for name, value in grads.items():
        assert got[name]["value"] == pytest.approx(float(value), rel=1e-12, abs=1e-15), name


def test_the_formats_are_the_command_lines(tmp_path):
    key = solver.solve(SIGMOID, precision=4)
    sol = solve_file(SIGMOID, Options(precision=4))
    assert key.to_markdown() == render(sol, "md")
    assert key.to_latex() == render(sol, "tex") and key.to_latex().startswith("\\documentclass")
    assert key.to_html() == render(sol, "html", Options(precision=4)) and key.to_html().startswith("<!DOCTYPE html>")
    assert not solver.solve(SIGMOID, body_only=True).to_latex().startswith("\\documentclass")
    written = key.write(tmp_path / "api", ["md", "html", "json"], sheet="both")
    result = CliRunner().invoke(main, ["solve", str(SIGMOID), "-o", str(tmp_path / "cli"), "--precision", "4",
                                       "-f", "md", "-f", "html", "-f", "json", "--sheet", "both"])
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in written)
    assert names == sorted(p.name for p in (tmp_path / "cli").iterdir())
    assert "sigmoid-2-2-1-questions.html" in names and "sigmoid-2-2-1-diagram.svg" in names
    for name in names:
        assert (tmp_path / "api" / name).read_bytes() == (tmp_path / "cli" / name).read_bytes(), name


def test_jupyter_display():
    key = solver.solve(SIGMOID)
    md = key._repr_markdown_()
    uri = re.search(r"!\[Diagram\]\(data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)\)", md)
    assert uri and base64.b64decode(uri.group(1)).decode().startswith("<svg")
    assert md.replace(uri.group(0), "![Diagram](sigmoid-2-2-1-diagram.svg)") == key.to_markdown()
    html = key._repr_html_()
    assert html.startswith("<style>") and "<html" not in html and html.count("<math") > 20
    assert repr(key) == "<nnsolve key 'sigmoid-2-2-1': A 2-2-1 network with a sigmoid hidden layer; 1 question, 5 answers>"
    sheet = solver.solve(SIGMOID, sheet="questions")
    assert "questions" in sheet.to_markdown().splitlines()[0] and "Final answers" not in sheet._repr_html_()


def test_a_variant_is_the_command_lines():
    path = ROOT / "problems" / "relu-2-2-2-variants.yaml"
    key = solver.solve(path, variant="7-3")
    assert key.answers() == json.loads(answers_json(solve_file(path, Options(variant="7-3"))))
    with pytest.raises(ValueError, match="variant"):
        solver.solve(solver.load(path), variant="7-3")


def test_mistakes_are_told():
    with pytest.raises(ProblemError, match=r"<dict>: network\.inputs"):
        solver.solve({**TINY, "network": {**TINY["network"], "inputs": [1, 2]}})
    with pytest.raises(TypeError, match="unknown option colour"):
        solver.solve(TINY, colour="red")
    with pytest.raises(ValueError, match="sheet"):
        solver.solve(TINY, sheet="answers")
    with pytest.raises(ValueError, match="unknown format docx"):
        solver.solve(TINY).write("/nonexistent", ["docx"])
    with pytest.raises(ProblemError, match="style"):
        solver.solve(ROOT / "problems" / "scalar-graph-skip.yaml", style="neuron")
    with pytest.raises(TypeError, match="file path, a dict"):
        solver.load(42)
    with pytest.raises(AttributeError):
        solver.no_such_thing  # noqa: B018


def test_the_quickstart_notebook_runs_in_a_real_kernel(tmp_path):
    """examples/quickstart.ipynb executed by nbclient with an ipykernel, in a copy of the
    examples folder beside the problems (it writes files): its outputs hold the keys."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    (tmp_path / "examples").mkdir()
    shutil.copytree(ROOT / "problems", tmp_path / "problems")
    nb = nbformat.read(ROOT / "examples" / "quickstart.ipynb", as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), "commit it without outputs"
    nbclient.NotebookClient(nb, timeout=180, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path / "examples")}}).execute()
    results = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "execute_result"]
    key, gradients, sheet, files = results
    html, md = key.data["text/html"], key.data["text/markdown"]
    assert "A 2-2-1 sigmoid network — answer key" in html and html.count("<math") > 50 and "tex-fallback\"" not in html
    assert md.startswith("# A 2-2-1 sigmoid network — answer key") and "data:image/svg+xml;base64," in md
    assert "\\frac{\\partial L}{\\partial w_{1}}" in md or "\\partial L" in md
    expected = by_name(solver.solve(TINY).answers(), "gradient")
    assert eval(gradients.data["text/plain"]) == [(k, a["display"]) for k, a in expected.items()]  # noqa: S307
    assert "questions" in sheet.data["text/html"] and "Final answers" not in sheet.data["text/html"]
    assert "a-2-2-1-sigmoid-network.html" in files.data["text/plain"]
    out = tmp_path / "examples" / "quickstart-output"
    assert sorted(p.name for p in out.iterdir()) == sorted(
        f"a-2-2-1-sigmoid-network{s}" for s in (".md", ".html", ".json", "-diagram.svg"))
    assert json.loads((out / "a-2-2-1-sigmoid-network.json").read_text()) == solver.solve(TINY).answers()
