"""Keys of a new instructor's week of homework (session f, 2026-12-05): what a student
reading them could not follow, while every number in the answers JSON agreed with PyTorch."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from solver.cli import main


def _solve(text: str, tmp: Path, stem: str = "p", *more: str) -> tuple[str, dict]:
    path = tmp / f"{stem}.yaml"
    path.write_text(text, encoding="utf-8")
    r = CliRunner().invoke(main, ["solve", str(path), "-f", "md", "-f", "json", "-o", str(tmp), *more])
    assert r.exit_code == 0, r.output
    return (tmp / f"{stem}.md").read_text(encoding="utf-8"), json.loads((tmp / f"{stem}.json").read_text())


MOMENTUM_ADAM = """title: "SGD with momentum and Adam"
network:
  inputs: {x1: 1, x2: 2}
  naming: sequential
  layers:
    - {units: 1, activation: linear, weights: [[0.5, -0.3]], bias: [0.1]}
loss: sse
target: [1]
questions:
  - {id: mom, ask: [train], steps: 2, table_every: 1, optimizer: {type: sgd, learning_rate: 0.1, momentum: 0.9}}
  - {id: adam, ask: [train], steps: 2, table_every: 1, optimizer: {type: adam, learning_rate: 0.01}}
"""


def _block(md: str, title: str, start: int) -> str:
    """The text of the block headed ``title`` found from ``start`` up to the next heading."""
    i = md.index(title, start)
    ends = [j for j in (md.find("\n**", i + len(title)), md.find("\n#", i)) if j >= 0]
    return md[i:min(ends, default=len(md))]


def test_every_parameter_s_optimizer_lines_and_step_two_are_written(tmp_path):
    """x₁ = 1 gives w₁ and b₁ the same gradient, so b₁'s "buf ← g = −2" (and Adam's m, v, m̂, v̂)
    read as the same equations as w₁'s and were left out as already derived: b₁'s step used a
    buf the key had last shown as w₂'s −4. The second training question's "Step 2 in full"
    heading read as said before and was dropped too, running its step 2 into its step 1."""
    md, _ = _solve(MOMENTUM_ADAM, tmp_path)
    mom, adam = md.split("## Question 2")
    b1 = _block(mom, "**$b_{1}$.**", 0)
    assert r"\mathrm{buf} &\leftarrow g = -2" in b1
    assert r"b_{1} &\leftarrow b_{1} - \eta \mathrm{buf} = 0.1 - (0.1)(-2) = 0.3" in b1
    assert adam.count("**Step 1 in full.**") == 1 and adam.count("**Step 2 in full.**") == 1
    for step in adam.split("**Step 2 in full.**"):
        b1 = _block(step, "**$b_{1}$.**", 0)
        for lhs in ("m &", "v &", r"\hat{m} &", r"\hat{v} &"):
            assert lhs in b1, (lhs, b1)


GRU_STEP = """title: "One GRU step"
network:
  inputs: {x: [[1, -1]]}
  layers:
    - type: gru
      units: 1
      gates:
        r: {weights: [[0.2, 0.1]], recurrent_weights: [[0.3]], bias: [0]}
        z: {weights: [[-0.1, 0.4]], recurrent_weights: [[0.2]], bias: [0.1]}
        n: {weights: [[0.5, -0.3]], recurrent_weights: [[0.6]], bias: [0], recurrent_bias: [0.1]}
      initial_state: [0.5]
      return: last
loss: sse
target: [0.2]
questions:
  - {id: q1, ask: [forward, loss, gradients], gradients: all}
"""


def test_one_time_step_s_features_are_not_named_like_time_steps(tmp_path):
    """A GRU cell's one step (x is 1 × 2) wrote a^r_1 = W_xr,1 x_1 + W_xr,2 x_2 + …: its
    elements lost the time axis (of length 1), and x₂, its second feature, read as the input at
    step 2, the name the key gives row 2. They are x₁₁ and x₁₂, as in a longer sequence."""
    md, _ = _solve(GRU_STEP, tmp_path)
    assert r"a^{r}_{1} &= W_{xr,1} x_{11} + W_{xr,2} x_{12} + W_{hr} h_{0} + b_{r}" in md
    assert r"\frac{\partial L}{\partial W_{xr,1}} &= \delta^{a^{r}_{1}}\, x_{11}" in md
    assert "x_{2}" not in md


CONV_STRIDE = """title: "Stride 2 and padding 1"
graph:
  inputs:
    X: [[[1, 0, 2, -1, 1], [0, 1, -1, 2, 0], [2, -2, 1, 0, 1], [1, 0, 0, 1, -1], [0, 2, 1, -1, 1]]]
    T: [[[1, -1, 0.5], [0, 2, 1], [-1, 0.5, 1]]]
  parameters:
    K: [[[[0.1, -0.2, 0.3], [0.0, 0.4, -0.1], [0.2, -0.3, 0.1]]]]
    b: [0.2]
  nodes:
    Z: conv2d(X, K, b, stride=2, padding=1)
    L: sum(Z * T)
  output: L
questions:
  - {id: bwd, ask: [gradients], gradients: [K, X]}
"""


def test_the_convolution_s_gradient_rules_take_the_stride_and_padding(tmp_path):
    """With stride 2 and padding 1 the key said δ^X "is the full convolution of δ^Z with the
    kernel flipped" and ∂L/∂K "the correlation of the padded input with δ^Z": done as said,
    the first gives a 5 × 5 result off by the padding and at the wrong places, the second a
    3 × 3 one from every other window. The rules now spread δ^Z by the stride and crop the
    padding, as a student must to get the key's numbers."""
    md, _ = _solve(CONV_STRIDE, tmp_path)
    assert (r"$\delta^{X}$ is the full convolution of $\delta^{Z}$ spread out by the stride (1 zero between "
            r"neighbouring elements) with the kernel flipped (rotated by 180°), less the 1 padded row and "
            r"column at each edge:") in md
    assert (r"$\partial L/\partial K$ is the correlation of the padded input with $\delta^{Z}$ spread out by "
            r"the stride (1 zero between neighbouring elements):") in md


CNN_COUNT = """title: "Counting"
questions:
  - id: cnn
    text: "Give each layer's output shape and number of parameters."
    ask: [shapes, count]
    architecture:
      input: [1, 28, 28]
      layers:
        - {type: conv2d, out_channels: 8, kernel: 5, stride: 1, padding: 2}
        - {type: maxpool2d, kernel: 2}
        - {type: conv2d, out_channels: 16, kernel: 3, stride: 2, bias: false}
        - {type: flatten}
        - {type: dense, units: 10}
"""


def test_a_count_question_s_paper_gives_the_architecture(tmp_path):
    """The question paper of a shapes-and-count question said only "Asked: the output shape of
    every layer; the number of learnable parameters": the architecture was in the file, and in
    the key's working, but nowhere on the paper unless the text repeated it."""
    path = tmp_path / "c.yaml"
    path.write_text(CNN_COUNT, encoding="utf-8")
    r = CliRunner().invoke(main, ["solve", str(path), "-f", "md", "--sheet", "questions", "-o", str(tmp_path)])
    assert r.exit_code == 0, r.output
    paper = (tmp_path / "c-questions.md").read_text(encoding="utf-8")
    assert ("Architecture: input $1 \\times 28 \\times 28$ (channels × height × width); conv1, a convolution of 8 filters $5 \\times 5$, "
            "stride 1, padding 2; pool1, max pooling $2 \\times 2$, stride 2; conv2, a convolution of 16 filters "
            "$3 \\times 3$, stride 2, no bias; flatten1, flatten; fc1, dense, 10 units.") in paper
    bundled = Path(__file__).resolve().parent.parent / "problems" / "parameter-count.yaml"
    r = CliRunner().invoke(main, ["solve", str(bundled), "-f", "md", "--sheet", "questions", "-o", str(tmp_path)])
    assert r.exit_code == 0, r.output
    paper = (tmp_path / "parameter-count-questions.md").read_text(encoding="utf-8")
    assert "Architecture: input $30$ (features); fc1, dense, 1,024 units; fc2, dense, 512 units; fc3, dense, 1 unit." \
        in paper
    assert "; pool2, max pooling $3 \\times 3$, stride 2; flatten; fc, dense, 10 units." in paper
    assert "Architecture: input $32 \\times 32 \\times 3$ (height × width × channels); conv, " in paper


RNN = """title: "A vanilla RNN over three steps"
network:
  inputs: {x: [[1], [-0.5], [2]]}
  layers:
    - {type: rnn, units: 1, activation: tanh, weights: [[0.5]], recurrent_weights: [[0.8]], bias: [0.1],
       return: last}
    - {units: 1, activation: linear, weights: [[1.5]], bias: [0]}
loss: sse
target: [0.5]
questions:
  - {id: q1, ask: [forward, loss, gradients], gradients: all}
"""


def test_a_recurrent_key_s_loss_gradient_is_worked_with_its_numbers(tmp_path):
    """BPTT began with δ^ŷ = −2y + 2ŷ ≈ 1.599: sympy's expanded order, and no numbers, where the
    dense keys write ∂L/∂o = 2(o − y) ≈ 2(0.0782 − 0.3). PyTorch (float64): 2(1.29945 − 0.5) = 1.59890."""
    md, doc = _solve(RNN, tmp_path)
    assert r"\delta^{\hat{y}} &= 2 \left(\hat{y} - y\right) \approx 2\left(1.299 - 0.5\right) \approx 1.599" in md
    got = next(a for a in doc["questions"][0]["answers"] if a["kind"] == "gradient" and a["of"] == "yhat")
    assert abs(got["value"][0] - 1.598899927483965) < 1e-12  # torch.nn.RNN, float64


def test_one_time_step_is_not_called_time_steps(tmp_path):
    """A GRU cell's one step opened its backward pass with "unrolled over its 1 time steps …
    going back from the last step to the first … from step t + 1; … the sum over the steps"."""
    md, _ = _solve(GRU_STEP, tmp_path)
    assert "1 time steps" not in md and "step $t+1$" not in md
    assert ("The network takes one time step, so backpropagation through time is the chain rule through that "
            r"step: $\delta^{h_1}$ comes from the loss alone, and each weight's gradient has one term.") in md


def test_a_submission_s_unquoted_element_name_is_explained(tmp_path):
    """W1[1,1] in the `of` column, unquoted, split the row: the message said only "row 2: 5 cells
    where the header has 4", leaving the teacher to find the comma."""
    sub = tmp_path / "subs.csv"
    sub.write_text("student,question,of,answer\nbob,b,W1[1,1],0.0\n", encoding="utf-8")
    _solve(MOMENTUM_ADAM, tmp_path)
    r = CliRunner().invoke(main, ["grade", "--key", str(tmp_path / "p.json"), str(sub), "-o", str(tmp_path / "g")])
    assert r.exit_code == 2
    assert ('row 2: has 5 cells, the header has 4: a field with a comma, such as W1[1,2] or [0.1, 0.2], goes in '
            'double quotes ("W1[1,2]")') in r.output


WEIGHT_DECAY = """title: "L2 regularisation"
network:
  inputs: {x1: [1, 2], x2: [0, -1]}
  naming: sequential
  layers:
    - {units: 1, activation: linear, weights: [[0.4, -0.6]], bias: [0.2]}
loss: {type: mse, regularization: {l2: 0.1}}
target: [1, 0]
questions:
  - {id: q1, ask: [forward, loss, gradients], gradients: all}
"""


def test_a_batch_loss_definition_names_each_example_s_loss(tmp_path):
    """A batch's loss was defined as "L = (o − y)², L_data = ½ Σ L⁽ⁿ⁾, L = L_data + R": L stood
    for one example's loss and for the batch's, in one line. The example's is L⁽ⁿ⁾."""
    md, doc = _solve(WEIGHT_DECAY, tmp_path)
    assert (r"$$L^{[n]} = (o - y)^2,\quad L_{\text{data}} = \frac{1}{2}\sum_{n=1}^{2} L^{[n]},\quad "
            r"L = L_{\text{data}} + R,\quad R = \frac{0.1}{2} \sum w^2$$") in md
    loss = next(a for a in doc["questions"][0]["answers"] if a["kind"] == "loss" and a["of"] == "L")
    assert loss["exact"] == "693/500"  # torch: MSELoss 1.36 + 0.05 (0.4² + 0.6²) = 1.386


SCALAR_GRAPH = """title: "A computational graph"
graph:
  inputs: {x: 2, y: -1, z: 3, w: 0.5}
  nodes:
    a: x * y
    s: a + z
    g: sigmoid(w)
    f: s * g
  output: f
questions:
  - {id: q1, ask: [forward, gradients], gradients: [x, y, z, w]}
"""


def test_a_function_s_definition_does_not_use_a_name_of_the_problem(tmp_path):
    """f = (xy + z)σ(w) with z = 3: the key defined σ(z) = 1/(1 + e^{−z}), σ'(z) = σ(z)(1 − σ(z)),
    which reads as σ(3). The definition's variable is another letter where z is taken."""
    md, doc = _solve(SCALAR_GRAPH, tmp_path)
    assert r"$$\sigma(u) = \frac{1}{1 + e^{-u}},\quad \sigma'(u) = \sigma(u)\,(1 - \sigma(u))$$" in md
    grad = next(a for a in doc["questions"][0]["answers"] if a["kind"] == "gradient" and a["of"] == "w")
    assert abs(grad["value"] - 0.2350037122015945) < 1e-12  # torch: σ(0.5)(1 − σ(0.5)) · (2·(−1) + 3)
    # a GRU's update gate z_t = σ(a^z_t) is itself a sigmoid's value: σ(z) would read as σ of the gate
    gru = _solve(GRU_STEP, tmp_path, "gru")[0]
    assert r"$$\sigma(u) = \frac{1}{1 + e^{-u}}" in gru and r"\sigma(z)" not in gru
    assert r"z_{1} = \sigma(a^{z}_{1})" in gru


def test_a_network_s_pre_activations_keep_the_usual_letter(tmp_path):
    """σ(z) of a dense network's pre-activations z_{h_1} = x_1 w_1 + … is what the definition means."""
    md = _solve((Path(__file__).resolve().parent.parent / "problems" / "sigmoid-2-2-1.yaml").read_text(encoding="utf-8"),
                tmp_path, "sigmoid")[0]
    assert r"$$\sigma(z) = \frac{1}{1 + e^{-z}}" in md and r"h_{1} &= \sigma(z_{h_{1}})" in md


def test_a_recurrent_network_s_target_is_given_as_the_target(tmp_path):
    """The Given list of a recurrent (or convolutional, or normalised) network said "Input y (1):
    y = [0.5]" for the target, beside "Target: (0.5)": y read as one of the network's inputs."""
    md, _ = _solve(RNN, tmp_path)
    assert r"**Target $y$ ($1$):**" in md and r"**Input $y$" not in md
    assert r"**Input $x$ ($3 \times 1$):**" in md


TANH_MLP = """title: "A 2-2-1 tanh network"
style: matrix
network:
  inputs: {x1: 0.5, x2: -1}
  layers:
    - {units: 2, activation: tanh, weights: [[0.1, -0.2], [0.4, 0.3]], bias: [0.1, 0]}
    - {units: 1, activation: linear, weights: [[0.7, -0.6]], bias: [0.05]}
loss: mse
target: [0.3]
questions:
  - {id: q1, ask: [forward, loss, gradients], gradients: all}
"""


def test_the_matrix_style_s_delta_is_approximate_where_its_numbers_are_rounded(tmp_path):
    """δ⁽¹⁾ = ∂L/∂a⁽¹⁾ ⊙ tanh'(z⁽¹⁾) = [−0.2923; 0.2506] ⊙ [0.8869; 0.9901]: "=" before rounded
    numbers, where every other line of the key (and the README's rule) writes "≈"."""
    md, _ = _solve(TANH_MLP, tmp_path)
    line = next(x for x in md.splitlines() if x.startswith(r"\delta^{(1)} &= \frac{\partial L}{\partial a^{(1)}} \odot"))
    assert r"\tanh'(z^{(1)}) \approx \left[" in line and r"\tanh'(z^{(1)}) = \left[" not in line
