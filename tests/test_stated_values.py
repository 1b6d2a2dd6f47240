"""A variant's paper must not contradict itself: its Given section lists the variant's own
values, so a statement, question text or title that writes a value ``randomize`` changes
(``x_1 = 1`` beside ``network.inputs.x1: {choices: [1, 2, 3]}``) was printed on every paper
next to the student's own number. ``variants`` (and ``--check``, ``export --variants``,
``validate``) now refuse it, one line naming the file and the field, writing nothing; what a
statement may say instead, ``\\given{path}``, is each paper's own value."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from solver.cli import main
from solver.problem.stated import stated

ROOT = Path(__file__).resolve().parent.parent
PROBLEM = ROOT / "problems" / "relu-2-2-2-variants.yaml"
STATEMENT = ("statement: |\n  A 2-2-2 ReLU network with the inputs, weights and biases below; squared error "
             "against the target.\n")
QUESTION = "  - {id: q1, ask: [forward, loss, gradients]}\n"
HINT = "each paper's Given section lists its own value"


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


STATES = [  # (statement, question, field, what the line says after the field)
    ("The input is $x_1 = 1$ and the bias $b = 0.1$.", QUESTION, "statement",
     "states x_1 = 1, which randomize changes (network.inputs.x1): " + HINT
     + r" (in its place write \given{network.inputs.x1}, or leave the number out)"),
    ("The input is x1=1.", QUESTION, "statement",
     "states x1=1, which randomize changes (network.inputs.x1): " + HINT
     + r" (in its place write \given{network.inputs.x1}, or leave the number out)"),
    (r"Biases $b^{(1)} = 0.10$ and $b^{(2)} = 0.2$.", QUESTION, "statement",  # 0.10 is 0.1: exact values
     r"states b^{(1)} = 0.10, which randomize changes (network.layers[0].bias): " + HINT
     + r" (in its place write \given{network.layers[0].bias}, or leave the number out)"),
    ("A 2-2-2 network.", '  - {id: q1, text: "Take $w_5 = 0.1$.", ask: [forward, loss, gradients]}\n',
     "questions[0].text", "states w_5 = 0.1, which randomize changes (network.layers[1].weights): " + HINT
     + r" (in its place write \given{network.layers[1].weights[0][0]}, or leave the number out)"),
    ("A 2-2-2 network.", '  - {id: q1, title: "Loss against the target [0, 1]", ask: [forward, loss, gradients]}\n',
     "questions[0].title", "states [0, 1], the value of target, which randomize changes (target): " + HINT
     + r" (in its place write \given{target}, or leave the number out)"),
    ("The input is $(x_1, x_2) = (1, 2)$.", QUESTION, "statement",
     "states (x_1, x_2) = (1, 2), which randomize changes (network.inputs.x1): " + HINT
     + r" (in its place write \given{network.inputs.x1}, or leave the number out)"),
    ("The input is $x = (1, 2)^T$.", QUESTION, "statement",
     "states x = (1, 2), the value of network.inputs, which randomize changes (network.inputs.x1): " + HINT
     + r" (in its place write \given{network.inputs}, or leave the number out)"),
    ("The hidden bias is 0.1.", QUESTION, "statement",  # w2, b1 and w5 are all 0.1, all drawn
     "states 0.1, the value of w2, b1 or w5, which randomize changes (network.layers[0].weights, "
     "network.layers[0].bias, network.layers[1].weights): " + HINT
     + r" (in its place write \given{…} with the path of the one it stands for, or leave the number out)"),
]


@pytest.mark.parametrize("statement, question, field, says", STATES)
def test_a_text_stating_a_drawn_value_is_refused(tmp_path, statement, question, field, says):
    path = _file(tmp_path, statement, question)
    line = f"nnsolve: error: {path}: {field}: {says}"
    for args in (["variants", str(path), "-n", "2", "-o", str(tmp_path / "out")],
                 ["variants", str(path), "--check", "-n", "5"],
                 ["export", str(path), "--to", "moodle", "--variants", "2", "-o", str(tmp_path / "out")],
                 ["validate", str(path)]):
        r = _run(*args)
        assert r.exit_code == 2, (args, r.output)
        assert r.output.splitlines() == [line], (args, r.output)
    assert not (tmp_path / "out").exists()
    r = _run("solve", str(path), "-f", "md", "-o", str(tmp_path / "key"))  # as written, as before
    assert r.exit_code == 0, r.output
    assert statement in (tmp_path / "key" / "p.md").read_text(encoding="utf-8")


def test_a_statement_stating_only_what_does_not_vary_is_accepted(tmp_path):
    """Counts (2-2-2, 1 hidden layer, class 2: x1 is drawn from a base of 1), a name not drawn
    (x_2 = 2, b_2 = 0.2), a value a quantity not drawn has too (0.2 is b2's as well as the drawn
    w1's), an interval and a distribution's (0, 1) (the drawn target's), a formula's ½."""
    statement = (r"A 2-2-2 ReLU network with 1 hidden layer; $x_2 = 2$ and $b_2 = 0.2$, learning rate 0.2; "
                 r"the ground truth is class 2 of 2. Outputs lie in $(0, 1)$, noise is $\mathcal{N}(0, 1)$, "
                 r"and $L = \frac{1}{2}\sum_i (o_i - y_i)^2$ with $\quad$ nothing more.")
    path = _file(tmp_path, statement)
    assert _run("validate", str(path)).output == f"{path}: ok\n"
    r = _run("variants", str(path), "--check", "-n", "30")
    assert r.exit_code == 0 and r.output.startswith("30 draws"), r.output


def test_a_batch_example_stated_names_each_input(tmp_path):
    path = tmp_path / "batch.yaml"
    path.write_text(r"""title: A batch
statement: 'Fit the batch $x^{[1]} = (1, 2)$, $x^{[2]} = (3, -1)$.'
network:
  inputs: {x1: [1, 3], x2: [2, -1]}
  layers:
    - {units: 1, activation: linear, weights: [[0.5, -0.3]], bias: 0.1}
loss: mse
target: [1.2, 0.4]
randomize:
  values:
    network.inputs.x2: {choices: [[2, -1], [1, 1]]}
questions:
  - {id: q, ask: [loss]}
""", encoding="utf-8")
    r = _run("variants", str(path), "-n", "2", "-o", str(tmp_path / "out"))
    assert r.exit_code == 2 and not (tmp_path / "out").exists()
    assert r.output == (f"nnsolve: error: {path}: statement: states x^{{[1]}} = (1, 2), the value of example 1 of the "
                        "inputs, which randomize changes (network.inputs.x2): " + HINT + r" (in its place write "
                        r"(\given{network.inputs.x1[0]}, \given{network.inputs.x2[0]}), or leave the number out)" + "\n")


def test_what_a_text_states_is_read_exactly_and_counts_are_not():
    found = {s.source: tuple(map(str, s.values)) for s in stated(
        r"A 2-2-2 network, $w_2 = −0.20$, $t = \begin{pmatrix} 0 \\ 1 \end{pmatrix}$, $x = \frac{1}{3}$, "
        r"$z = 0.5 x$, $w_1 x_1 + b = 7$, 0.25 of them, $\hspace{0.5em}$ $p \in [0, 1]$, 2.5em, \given{target}")}
    assert found == {"w_2 = −0.20": ("-1/5",), r"t = \begin{pmatrix} 0 \\ 1 \end{pmatrix}": ("0", "1"),
                     r"x = \frac{1}{3}": ("1/3",), "0.5": ("1/2",), "0.25": ("1/4",)}


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
