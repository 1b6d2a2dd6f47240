"""``\\given{path}`` in a problem's text writes the value at path: each variant's paper its own
value in its statement, agreeing with its Given section, and ``nnsolve solve`` the file's."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from solver.cli import main

ROOT = Path(__file__).resolve().parent.parent
PROBLEM = ROOT / "problems" / "relu-2-2-2-variants.yaml"
STATEMENT = ("statement: |\n  A 2-2-2 ReLU network with the inputs, weights and biases below; squared error "
             "against the target.\n")
QUESTION = "  - {id: q1, ask: [forward, loss, gradients]}\n"


def _file(tmp_path: Path, statement: str, question: str = QUESTION) -> Path:
    """The bundled variants problem (inputs, both layers' weights, the first layer's bias and
    the target drawn) with another statement and question, as a file."""
    text = PROBLEM.read_text(encoding="utf-8")
    assert STATEMENT in text and QUESTION in text
    path = tmp_path / "p.yaml"
    path.write_text(text.replace(STATEMENT, "statement: " + json.dumps(statement) + "\n").replace(QUESTION, question),
                    encoding="utf-8")
    return path


def _run(*args: str):
    return CliRunner().invoke(main, list(args))


PLACED = (r"The input is $x_1 = \given{network.inputs.x1}$, the hidden bias \given{network.layers[0].bias} "
          r"and the target $\given{target}$.")


def _given(md: str) -> tuple[str, str, str]:
    """(x1, the first layer's bias, the target) as the paper's Given section lists them."""
    return (re.search(r"x_\{1\} = (-?[0-9.]+)", md).group(1), re.search(r"bias \$b_\{1\} = (-?[0-9.]+)\$", md).group(1),
            re.search(r"\*\*Target:\*\* \$(\([^$]*\))\$", md).group(1))


def test_given_writes_each_papers_own_value_in_its_statement(tmp_path):
    path = _file(tmp_path, PLACED, '  - {id: q1, title: "With x1 = \\\\given{network.inputs.x1}", '
                                   'ask: [forward, loss, gradients]}\n')
    r = _run("variants", str(path), "-n", "3", "--seed", "2026", "-f", "md", "-f", "tex", "-o", str(tmp_path / "v"))
    assert r.exit_code == 0, r.output
    seen = set()
    for k in (1, 2, 3):
        md = (tmp_path / "v" / f"p-v00{k}-questions.md").read_text(encoding="utf-8")
        x1, bias, target = _given(md)
        assert f"The input is $x_1 = {x1}$, the hidden bias ${bias}$ and the target ${target}$." in md
        assert f"## With x1 = {x1}" in md
        tex = (tmp_path / "v" / f"p-v00{k}-questions.tex").read_text(encoding="utf-8")
        assert f"The input is $x_1 = {x1}$" in tex and "given{" not in tex
        seen.add((x1, bias, target))
    assert len(seen) > 1  # the papers differ, each agreeing with itself
    r = _run("solve", str(path), "-f", "md", "-o", str(tmp_path / "key"))
    assert r.exit_code == 0, r.output
    key = (tmp_path / "key" / "p.md").read_text(encoding="utf-8")
    assert "The input is $x_1 = 1$, the hidden bias $0.1$ and the target $(0, 1)$." in key


@pytest.mark.parametrize("placeholder, says", [
    (r"\given{network.inputs.x9}", r"\given{network.inputs.x9}: 'network.inputs.x9' leads nowhere: network.inputs "
                                   "has no 'x9'"),
    (r"\given{network.layers[0].weights}", r"\given{network.layers[0].weights}: 'network.layers[0].weights' holds a "
     "matrix, not a number or a vector: name one number (for example network.layers[0].weights[0][0])"),
    (r"\given{network..x}", r"\given{network..x}: 'network..x' is not a path into the problem (names and [index], "
                            "for example network.inputs.x1)"),
])
def test_a_placeholder_that_reads_no_number_is_an_error(tmp_path, placeholder, says):
    path = _file(tmp_path, f"The value ${placeholder}$.")
    for args in (["validate", str(path)], ["solve", str(path), "-o", str(tmp_path / "out")]):
        r = _run(*args)
        assert r.exit_code == 2 and r.output == f"nnsolve: error: {path}: statement: {says}\n", r.output
    assert not (tmp_path / "out").exists()
