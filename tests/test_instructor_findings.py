"""Keys of instructors' own problems (two exploratory sessions, 2026-12-04) that printed
something false while every number in the answers JSON was right."""

from __future__ import annotations

import json
import re
from fractions import Fraction
from pathlib import Path

from click.testing import CliRunner

from solver.cli import main

HERE = Path(__file__).resolve().parent


def _solve(path: Path, tmp: Path, *more: str) -> tuple[str, dict]:
    r = CliRunner().invoke(main, ["solve", str(path), "-f", "md", "-f", "json", "-o", str(tmp), *more])
    assert r.exit_code == 0, r.output
    return (tmp / f"{path.stem}.md").read_text(encoding="utf-8"), json.loads((tmp / f"{path.stem}.json").read_text())


def test_the_softmax_shortcut_in_a_batch_carries_the_examples_share(tmp_path):
    """A batch of two, cross-entropy averaged: the key wrote ∂L/∂z = o − y ≈ 0.3485 − 1 ≈ −0.3257,
    an equation that is false (the value is ½(o − y)). The share ∂L/∂L⁽ⁿ⁾ is now written."""
    md, doc = _solve(HERE / "problems" / "softmax-ce-batch-adam.yaml", tmp_path)
    found = re.findall(r"\\frac\{\\partial L\}\{\\partial z_\{o_\{(\d)\}\}\^\{\[(\d)\]\}\} &= \\frac\{\\partial L\}"
                       r"\{\\partial L\^\{\[\2\]\}\} \\left\(o_\{\1\}\^\{\[\2\]\} - y_\{\1\}\^\{\[\2\]\}\\right\) "
                       r"\\approx \(0\.5\)\(([0-9.]+) - ([01])\)", md)
    assert len(found) == 6  # three classes, two examples
    grads = {a["of"]: Fraction(a["exact"]) if "/" in a["exact"] else Fraction(a["exact"])
             for q in doc["questions"][:1] for a in q["answers"] if a["kind"] == "gradient"}
    for k, n, p, y in found:
        assert abs(Fraction(p) - int(y) - 2 * grads[f"z_o{k}#{n}"]) <= Fraction(1, 10**4)


TWO_LOSSES = """title: "Two losses with equal gradients"
network:
  inputs: {x1: 1, x2: 2}
  layers:
    - {units: 1, activation: linear, weights: [[0.1, 0.2]], bias: 0}
questions:
  - {id: a, ask: [forward, loss, gradients], loss: sse, target: [0]}
  - {id: b, ask: [loss, gradients], loss: half_sse, target: [-0.5]}
"""


def test_gradients_equal_by_chance_under_another_loss_are_derived_again(tmp_path):
    """o = 0.5: 2(o − 0) = 1 under Question 1's squared error and o − (−0.5) = 1 under Question
    2's half squared error. Question 2 said "From Question 1: ∂L/∂W = [1 2], ∂L/∂b = 1" (another
    loss's derivation) and left its asked gradients out of its final answers."""
    path = tmp_path / "two-losses.yaml"
    path.write_text(TWO_LOSSES, encoding="utf-8")
    md, doc = _solve(path, tmp_path)
    second = md.split("## Question 2")[1]
    backward, final = second.split("### Backward pass")[1].split("### Final answers")
    assert "From Question 1" not in backward
    assert r"\frac{\partial L}{\partial w_{1}} &= \frac{\partial L}{\partial o_{1}} \frac{\partial o_{1}}{\partial w_{1}}" \
        in backward
    assert r"\frac{\partial L}{\partial o_{1}} &= o_{1} - y_{1} = 0.5 - (-0.5) = 1" in backward
    assert r"\frac{\partial L}{\partial b_{1}} & = 1" in final and r"\partial W^{(1)}} & = " in final
    assert [a["exact"] for a in doc["questions"][1]["answers"] if a["kind"] == "gradient" and not a.get("upstream")] \
        == ["1", "2", "1"]


ROOT = HERE.parent


def _sheet(stem: str, tmp: Path, fmt: str = "md") -> str:
    r = CliRunner().invoke(main, ["solve", str(ROOT / "problems" / f"{stem}.yaml"), "-f", fmt, "--sheet", "questions",
                                  "-o", str(tmp)])
    assert r.exit_code == 0, r.output
    return (tmp / f"{stem}-questions.{fmt}").read_text(encoding="utf-8")


def test_the_stages_on_a_question_sheet_give_the_keyword_arguments(tmp_path):
    """The question sheet's statement read "Z = conv2d(X, K, b)", "P = maxpool(H)",
    "O = attention(Q, K, V, M)": a student could not tell the padding, the pooling window or
    whether M is a boolean or an added float mask (only the key said). A recurrent network's
    steps (select's index is in x₂ already) say nothing more."""
    conv = _sheet("conv-relu-maxpool", tmp_path)
    assert (r"$Z = \operatorname{conv2d}(X, K, b)$ ($\text{padding} = 1$), $H = \operatorname{ReLU}(Z)$, "
            r"$P = \operatorname{maxpool}(H)$ ($\text{kernel} = 2$, $\text{stride} = 2$)") in conv
    assert r"$O = \operatorname{attention}(Q, K, V, M)$ ($\text{boolean} = 1$)" in _sheet("attention-masked", tmp_path)
    rnn = _sheet("rnn-elman", tmp_path)
    assert "Stages:" in rnn and r"\text{index}" not in rnn


def test_html_text_shows_tex_escaped_underscores_as_underscores(tmp_path):
    """"step\\_at\\_zero" and "attn\\_mask" (TeX's escapes, right in LaTeX and Markdown) showed
    their backslashes in the HTML keys; "start\\_dim" in a \\text{} did too."""
    page = _sheet("perceptron-or", tmp_path, "html")
    r = CliRunner().invoke(main, ["solve", str(ROOT / "problems" / "perceptron-or.yaml"), "-f", "html",
                                  "-o", str(tmp_path / "k")])
    assert r.exit_code == 0
    key = (tmp_path / "k" / "perceptron-or.html").read_text(encoding="utf-8")
    assert "(step_at_zero, the default)" in key and "\\_" not in re.sub(r'alttext="[^"]*"', "", key + page)


TIES = """title: "Ties"
graph:
  inputs:
    A: [[1, 3, 3], [2, 0, 2]]
    B: [[1, 0, 3], [2, 0, 1]]
  parameters:
    w: 1
  nodes:
    m: max(A)
    E: max(A, B)
    L: (m + sum(E)) * w
  output: L
questions:
  - {id: q1, ask: [forward, gradients], gradients: [w]}
"""


def test_the_tie_rules_say_where_pytorch_differs(tmp_path):
    """"As PyTorch's max(dim) does" stood beside max(A) and the elementwise max(A, B), whose
    PyTorch functions (torch.max(A), torch.maximum) share a tie equally: a teacher checking
    with them got other numbers."""
    path = tmp_path / "ties.yaml"
    path.write_text(TIES, encoding="utf-8")
    md, _ = _solve(path, tmp_path)
    assert ("goes to the first element that attains it (row-major), as PyTorch's max(A, dim) does "
            "(torch.max(A) without dim, and torch.amax, share it equally among the tied elements instead)") in md
    assert ("at a tie the gradient goes to the first argument that attains it (PyTorch's torch.maximum shares it "
            "equally between them instead)") in md


TWO_ALPHAS = """title: "Leaky ReLU and ELU with RMSprop: two alphas"
network:
  inputs: {x1: 1, x2: -2}
  layers:
    - {units: 2, activation: leaky_relu, slope: 0.2, weights: [[0.3, 0.4], [-0.5, -0.1]], bias: [0, 0.1]}
    - {units: 1, activation: elu, alpha: 0.5, weights: [[0.6, -0.7]], bias: 0.05}
loss: half_sse
target: [0.4]
questions:
  - {id: g, ask: [forward, loss, gradients]}
  - {id: rms, ask: [train], steps: 2, table_every: 1, optimizer: {type: rmsprop, learning_rate: 0.01, alpha: 0.9}}
"""


def test_an_optimizers_letter_that_the_keys_definitions_use_is_respelled(tmp_path):
    """α was the leaky ReLU's slope (0.2), the ELU's α (0.5) and RMSprop's smoothing (0.9) in one
    key; the optimizer's is now α̃, and the key says so."""
    path = tmp_path / "alphas.yaml"
    path.write_text(TWO_ALPHAS, encoding="utf-8")
    md, _ = _solve(path, tmp_path)
    assert r"\alpha = 0.2" in md and r"\alpha = 0.5" in md
    assert (r"$\tilde{\alpha} = 0.9$" in md and r"$\tilde{\alpha}$ is written for the usual $\alpha$, which this "
            "problem uses" in md)
    assert r"v \leftarrow \tilde{\alpha} v + (1 - \tilde{\alpha}) g^{2}" in md and r"\alpha v" not in md


DIVERGING = """title: "A linear network whose momentum run grows"
network:
  inputs: {x1: [-0.4, -1.05], x2: [1.28, -0.04], x3: [1.31, -1.41]}
  orientation: xW
  layers:
    - {units: 2, activation: linear, weights: [[-1.08, -1.06], [1.46, 0.12], [0.22, -1.49]], bias: [-0.7, -0.8]}
    - {units: 3, activation: linear, weights: [[-0.72, -0.46, -1.08], [-0.17, 1.46, -0.2]], bias: -1.19}
    - {units: 3, activation: linear, weights: [[1.3, -0.06, -1.06], [0.79, -1.5, 0.56], [0.51, -1.5, -0.29]], bias: 0.03}
loss: {type: sse, batch: mean}
target: [[0.02, 0.02, 0.02], [0.0, 0.0, 0.01]]
questions:
  - {id: run, ask: [train], steps: 3, optimizer: {type: momentum, learning_rate: 0.05}}
"""


def test_the_loss_plot_of_a_growing_run_is_drawn(tmp_path):
    """Found by hypothesis: the loss plot stopped the key with decimal.InvalidOperation inside
    leather's own ticker, built and never used (the axes take the key's ticks)."""
    path = tmp_path / "grows.yaml"
    path.write_text(DIVERGING, encoding="utf-8")
    md, doc = _solve(path, tmp_path)
    losses = [Fraction(a["exact"]) for q in doc["questions"] for a in q["answers"]
              if a["of"] == "L" and a.get("step") is not None]
    assert losses == sorted(losses) and losses[-1] > 10 * losses[0]  # the run grows
    svg = (tmp_path / "grows-run-loss.svg").read_text(encoding="utf-8")
    assert svg.startswith("<svg") or "<svg" in svg[:200]
