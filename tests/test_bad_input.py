"""Bad problem files: exit code 2, one line on stderr naming the file and the field,
no traceback, and nothing written.

Every file in ``tests/bad/`` is a small variation of a valid problem (most of
``problems/relu-2-2-2.yaml``) with one thing wrong; :data:`CASES` says which field
the error must name and what the message must say.
"""

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from solver.cli import main
from solver.core.errors import ProblemError, counted
from solver.problem.loader import parse_yaml

ROOT = Path(__file__).resolve().parent.parent

BAD = Path(__file__).resolve().parent / "bad"
GOOD = ROOT / "problems" / "relu-2-2-2.yaml"

# (file in tests/bad, the field the error names exactly, a fragment of the message)
CASES = [
    # The file as a whole.
    ("empty.yaml", "(file)", "the file is empty"),
    ("binary.yaml", "(file)", "the file is not UTF-8 text"),
    ("only-comments.yaml", "(top level)", "the file holds no fields"),
    ("not-a-mapping.yaml", "(top level)", "the file holds a list; it must be a mapping of fields"),
    # YAML that cannot be parsed: the line is the best the parser can name.
    ("tabs.yaml", "line 5", r"malformed YAML: found character '\t' that cannot start any token"),
    ("bad-indent.yaml", "line 7", "malformed YAML: expected <block end>"),
    ("two-documents.yaml", "line 12", "malformed YAML: but found another document"),
    ("nul-character.yaml", "line 1", "the character U+0000 is not allowed"),
    # Text nothing can write or typeset: once a statement with an escape character reached
    # pdflatex, and a lone surrogate the writer (an internal error, for Markdown too).
    ("statement-control-character.yaml", "statement", "the character U+001B (a control character) cannot be typeset"),
    ("statement-lone-surrogate.yaml", "statement", "the text holds U+DC00, half of a character"),
    ("activation-lone-surrogate.yaml", "network.layers[0].activation", "the text holds U+D800, half of a character"),
    ("question-text-emoji.yaml", "questions[0].text", "the character U+1F600 (\U0001f600) cannot be typeset"),
    # MathJax's links and styles: the PDF stopped at one, an LMS quiz would have acted on it.
    ("statement-href.yaml", "statement", "the command \\href is not allowed: the PDF has no links or styles"),
    ("question-text-style.yaml", "questions[0].text", "the command \\style is not allowed"),
    # YAML that parses but is not plain data.
    ("duplicate-key.yaml", "network.layers[0].activation",
     "the key 'activation' appears twice in one mapping (lines 6 and 8)"),
    ("python-tag.yaml", "title", "the YAML tag '!!python/object/apply:os.system' is not allowed"),
    ("python-tag-nested.yaml", "network.layers[0].weights[1][1]",
     "the YAML tag '!!python/object/new:fractions.Fraction' is not allowed"),
    ("binary-tag.yaml", "title", "the YAML tag '!!binary' is not allowed"),
    ("list-key.yaml", "(top level)", "a key must be a name, not a list or mapping (line 2)"),
    ("bool-key.yaml", "network.inputs.on", "the key 'on' is read as a boolean, not a name; put it in quotes"),
    ("recursive-alias.yaml", "network.layers[0].weights[1]", "a YAML alias refers to a value that contains it"),
    ("alias-bomb.yaml", "statement[2][18][28][46]", "the file holds more than 50000 values (counting each use"),
    ("huge-integer.yaml", "network.inputs.x2", "the number has 5000 digits: too large"),
    # Fields.
    ("misspelt-field.yaml", "network.layers[0]", "unknown field 'activaton' (did you mean 'activation'?)"),
    ("capitalised-field.yaml", "network.layers[0]", "unknown field 'Activation' (did you mean 'activation'?)"),
    ("capitalised-top-level.yaml", "(top level)", "unknown field 'Title' (did you mean 'title'?)"),
    ("unknown-top-level.yaml", "(top level)",
     "unknown field 'author' (known fields: title, statement, precision, style, network, graph, architecture, loss, target, questions, randomize, grading)"),
    ("missing-network.yaml", "(top level)", "missing required field 'network'"),
    ("bad-input-name.yaml", "network.inputs.x 2", "'x 2' is not a valid name"),
    ("wrong-shape.yaml", "network.layers[1].weights",
     "weights are 2×3 but must be 2×2 (2 units, 2 inputs; rows = destination neurons, z = W x)"),
    ("ragged.yaml", "network.layers[0].weights", "the weight matrix is ragged (rows of lengths [1, 2])"),
    ("bias-wrong-length.yaml", "network.layers[0].bias", "3 biases for 2 units"),
    ("zero-units.yaml", "network.layers[0].units", "got 0; input should be greater than or equal to 1"),
    ("units-not-integer.yaml", "network.layers[0].units", "got 2.5; input should be a valid integer"),
    ("bracket-key.yaml", "(top level)", "unknown field '0[title' (did you mean 'title'?)"),
    ("reduction-not-taken.yaml", "loss.reduction", "sse does not take reduction 'mean' (it takes 'sum')"),
    ("param-not-taken.yaml", "loss.margin", "only multiclass_hinge takes a margin"),
    ("unknown-activation.yaml", "network.layers[0].activation",
     "'relux' is not allowed; input should be 'relu', 'leaky_relu'"),
    ("leaky-relu-no-slope.yaml", "network.layers[0].slope", "leaky_relu needs a slope (for example slope: 0.01)"),
    ("unknown-loss.yaml", "loss.type", "'squared' is not allowed; input should be 'sse'"),
    ("unknown-ask.yaml", "questions[0].ask[0]", "'forwards' is not allowed"),
    ("duplicate-question-id.yaml", "questions[1].id", "question id 'q1' is already used by questions[0]"),
    # Numbers.
    ("non-numeric-weight.yaml", "network.layers[0].weights[1][0]", "'abc' is not a finite number"),
    ("bool-weight.yaml", "network.layers[0].weights[1][0]", "expected a number, got a boolean"),
    ("weight-nan.yaml", "network.layers[0].weights[1][1]", "'.nan' is not a finite number"),
    ("weight-inf.yaml", "network.layers[0].weights[1][1]", "'.inf' is not a finite number"),
    ("weight-neg-inf.yaml", "network.layers[0].weights[1][1]", "'-.inf' is not a finite number"),
    ("weight-huge.yaml", "network.layers[0].weights[1][1]", "'1e400' is too large or too small"),
    ("fraction-zero.yaml", "network.layers[0].weights[1][0]", "'1/0' divides by zero"),
    # What the questions ask for.
    ("missing-target.yaml", "questions[0].target", "this question needs a target"),
    ("missing-loss.yaml", "questions[0].loss", "asks for the loss or gradients but no loss is given"),
    ("target-wrong-length.yaml", "questions[0].target", "the target has 3 values but the network has 2 outputs"),
    ("class-out-of-range.yaml", "target", "class 4 is out of range: the network has 3 outputs (classes 1 to 3)"),
    ("unknown-gradient-name.yaml", "questions[1].gradients", "no quantity named 'w33' (did you mean 'w3'?)"),
    ("ce-without-softmax.yaml", "loss", "cross-entropy needs probabilities: give the output layer a softmax"),
    ("update-without-rate.yaml", "questions[0].learning_rate", "an update needs a learning rate"),
    ("negative-units.yaml", "network.layers[0].units", "got -2; input should be greater than or equal to 1"),
    ("graph-unknown-gradient.yaml", "questions[0].gradients", "no quantity named 'w9'"),
    # The perceptron and delta rules of one unit; step's and sign's value at 0.
    ("perceptron-sigmoid.yaml", "network.layers[0].activation",
     "the perceptron rule needs activation step (targets 0/1) or sign (targets -1/1), not sigmoid"),
    ("perceptron-target-not-binary.yaml", "target", "the perceptron rule with step needs targets 0 or 1 (got -1)"),
    ("perceptron-two-layers.yaml", "network.layers",
     "the perceptron rule trains a single dense layer of one unit (this network has 2 layers)"),
    ("perceptron-two-units.yaml", "network.layers[0].units", "trains a single unit (this layer has 2)"),
    ("perceptron-too-many-epochs.yaml", "questions[0].epochs",
     "1,000 epochs × 4 examples is 4,000 presentations, each a row of the key's table; at most 1,000"),
    ("perceptron-batch-mode.yaml", "questions[0].mode", "mode: batch is for the delta rule"),
    ("perceptron-no-network.yaml", "network", "the perceptron rule trains a network of one unit"),
    ("perceptron-no-target.yaml", "target", "the perceptron rule needs a target for every example"),
    ("delta-rule-sigmoid.yaml", "network.layers[0].activation",
     "the delta rule trains a linear unit (activation linear; step or sign as ADALINE's threshold), not sigmoid"),
    ("delta-rule-target-length.yaml", "questions[0].target", "3 targets for 4 examples"),
    ("step-at-zero-on-relu.yaml", "network.layers[0].step_at_zero", "only step takes a step_at_zero"),
    ("sign-at-zero-out-of-range.yaml", "network.layers[0].sign_at_zero", "must be at least -1 and at most 1 (got 2)"),
    # Hostile text: expressions are parsed by a whitelisted grammar, names are plain names.
    ("hostile-expression.yaml", "graph.nodes.z", "unknown function '__import__('os').system'"),
    ("hostile-expression-attribute.yaml", "graph.nodes.xw0", "'x0.__class__.__bases__' is not allowed"),
    ("hostile-latex-name.yaml", "network.inputs.x\\input{/etc/passwd}", "is not a valid name"),
    # Limits (README, "Limits"; solver/checks.py).
    ("over-parameter-limit.yaml", "network.layers",
     "the network has 20,800 parameters (weights and biases); at most 20,000"),
    ("batch-over-work-limit.yaml", "questions[0]",
     "write out 37,376 parameters × examples (146 parameters × 256 examples per question); at most 30,000"),
    ("steps-over-work-limit.yaml", "questions[1].steps",
     "training takes 3,636,000 steps × parameters × examples with the training questions before it "
     "(100,000 steps × 9 parameters × 4 examples); at most 250,000: take fewer steps"),
    ("graph-steps-over-work-limit.yaml", "questions[0].steps",
     "training takes 14,700,000 steps × graph size (100,000 steps × a size of 147); at most 10,000,000"),
    ("nested-powers.yaml", "graph.nodes.z",
     "the powers nested in this node multiply to an exponent of 4,096; at most 1,024"),
    # Issue 11: every YAML error is a bad-input error, naming the field (item 6).
    ("yaml-int-tag-hex.yaml", "network.inputs.x2", "cannot read '0x10' as !!int: write an integer in plain decimal"),
    ("yaml-bool-tag-bad.yaml", "network.inputs.x2", "cannot read 'maybe' as !!bool"),
    ("yaml-impossible-date.yaml", "title", "cannot read '2024-02-30' as !!timestamp: day is out of range for month"),
    # YAML 1.1's surprises: a number is a plain decimal, an integer or a fraction (item 7).
    ("hex-number.yaml", "network.layers[0].weights[1][0]", "'0x10' is not a finite number (write a decimal"),
    ("underscore-number.yaml", "network.layers[0].weights[1][0]", "'1_000' is not a finite number"),
    ("sexagesimal-number.yaml", "network.layers[0].weights[1][0]", "'1:30' is not a finite number"),
    ("yes-as-number.yaml", "network.inputs.x2", "expected a number, got a boolean"),
    ("bool-units.yaml", "network.layers[0].units", "got true; input should be a valid integer"),
    ("string-precision.yaml", "precision", "got '4'; input should be a valid integer"),
    ("unicode-digits.yaml", "network.layers[0].weights[1][0]", "'٠.٢' is not a finite number"),
    ("unicode-digit-units.yaml", "network.layers[0].units", "got '٢'; input should be a valid integer"),
    # Unknown keys, and what messages echo, on one line (items 8, 9).
    ("capitalised-network.yaml", "(top level)", "unknown field 'Network' (did you mean 'network'?)"),
    ("invisible-key.yaml", "(top level)", "unknown field 'netw\\u200bork' (did you mean 'network'?)"),
    ("escape-key.yaml", "network.layers[0]", "unknown field 'weights\\x1b[0m' (did you mean 'weights'?)"),
    ("bidi-in-value.yaml", "questions[0].ask[0]", "'forward\\u202e' is not allowed"),
    ("escape-in-expression.yaml", "graph.nodes.xw0", "cannot parse 'x0 * w0\\x1b[2J'"),
    # Names (item 12).
    ("newline-in-name.yaml", "network.inputs.x1\\n", "'x1\\n' is not a valid name"),
    ("keyword-name.yaml", "graph.inputs.lambda", "'lambda' is a reserved word (Python's), not a valid name"),
    ("function-name-in-graph.yaml", "graph.nodes.exp", "'exp' is a function of the expression grammar"),
    ("indexed-name-in-graph.yaml", "graph.parameters.W1[1,2]",
     "'W1[1,2]' is an indexed name, which a graph expression cannot use"),
    # Every field bounded (item 11).
    ("long-decimal.yaml", "network.layers[0].weights[1][0]", "has 301 significant digits; at most 300"),
    ("long-fraction.yaml", "network.layers[0].weights[1][0]", "has more than 300 digits"),
    ("adam-beta1-one.yaml", "questions[1].optimizer.beta1", "must be at least 0 and less than 1 (got 1)"),
    ("sgd-nesterov-without-momentum.yaml", "questions[1].optimizer.nesterov",
     "Nesterov momentum needs momentum > 0 and dampening 0 (as torch.optim.SGD)"),
    ("sgd-nesterov-dampening.yaml", "questions[1].optimizer.nesterov", "needs momentum > 0 and dampening 0"),
    ("sgd-nesterov-not-boolean.yaml", "questions[1].optimizer.nesterov", "got 1; input should be a valid boolean"),
    ("adamw-weight-decay-negative.yaml", "questions[1].optimizer.weight_decay", "must be at least 0 (got -0.01)"),
    ("adam-nesterov.yaml", "questions[1].optimizer.nesterov", "only sgd takes nesterov"),
    ("adamw-decoupled-flag.yaml", "questions[1].optimizer.decoupled_weight_decay",
     "only nadam takes decoupled_weight_decay"),  # AdamW's decay is decoupled already: no flag
    ("adam-alpha.yaml", "questions[1].optimizer.alpha", "only rmsprop takes an alpha"),
    ("adagrad-momentum.yaml", "questions[1].optimizer.momentum", "only sgd and momentum and rmsprop take a momentum"),
    ("rmsprop-alpha-above-one.yaml", "questions[1].optimizer.alpha", "must be at least 0 and at most 1 (got 1.5)"),
    ("adam-beta2-one.yaml", "questions[1].optimizer.beta2", "must be at least 0 and less than 1 (got 1)"),
    ("adam-epsilon-zero.yaml", "questions[1].optimizer.epsilon", "must be greater than 0 (got 0)"),
    ("momentum-negative.yaml", "questions[1].optimizer.momentum", "must be at least 0 and less than 1 (got -0.5)"),
    ("optimizer-rate-zero.yaml", "questions[1].optimizer.learning_rate", "must be greater than 0 (got 0)"),
    ("question-rate-negative.yaml", "questions[0].learning_rate", "must be greater than 0 (got -0.1)"),
    ("leaky-slope-out-of-range.yaml", "network.layers[0].slope", "must be at least 0 and at most 1 (got 2)"),
    ("elu-alpha-negative.yaml", "network.layers[0].alpha", "must be at least 0 (got -1)"),
    ("huber-delta-zero.yaml", "questions[1].loss.delta", "must be greater than 0 (got 0)"),
    ("hinge-margin-negative.yaml", "questions[1].loss.margin", "must be at least 0 (got -1)"),
    ("graph-leaky-slope-out-of-range.yaml", "graph.nodes.z",
     "leaky_relu(x, slope): the slope must be at least 0 and at most 1 (got -3)"),
    # Tensors: values, shapes, keywords, what is asked of them.
    ("tensor-ragged.yaml", "graph.inputs.X", "'X' is ragged: its lists along axis 1 differ in length"),
    ("tensor-conv-channels.yaml", "graph.nodes.Z", "conv2d(): the kernel has 2 input channels but the input has 1"),
    ("tensor-unknown-keyword.yaml", "graph.nodes.Z",
     "conv2d() has no keyword 'strides' (it takes: stride, padding, dilation)"),
    ("tensor-keyword-not-literal.yaml", "graph.nodes.Z",
     "conv2d(stride=…): the value must be written as a number or a list of numbers"),
    ("tensor-output-not-scalar.yaml", "graph.output",
     "the output 'z' has shape 2; gradients need a scalar output (sum or mean it, or set graph.batch: mean"),
    ("tensor-matmul-shapes.yaml", "graph.nodes.z", "'@': shapes 2×2 and 3 do not fit (2 columns against 3 rows)"),
    ("tensor-unknown-gradient.yaml", "questions[0].gradients", "no tensor named 'V'"),
    ("report-unknown.yaml", "questions[0].report", "no tensor named 'Q' to report (tensors: x, L)"),
    ("cnn-dense-wrong-size.yaml", "network.layers[2].weights",
     "weights are 2×3 but must be 2×4 (2 units, 4 inputs from the layer before; rows = destination neurons"),
    ("cnn-conv-after-dense.yaml", "network.layers[2]", "a maxpool2d layer cannot follow a dense layer"),
    # Normalisation and dropout (issue 14).
    ("norm-batch-of-one.yaml", "network.layers[1]", "a batchnorm layer normalises each feature over the batch"),
    ("norm-graph-batch-of-one.yaml", "graph.nodes.Y", "batchnorm(): a channel needs at least two values"),
    ("norm-gamma-wrong-length.yaml", "network.layers[1].gamma",
     "gamma has 3 values but the layer's input has 2 (one per channel)"),
    ("norm-mask-wrong-shape.yaml", "network.layers[1].mask", "the mask is 2×2 but must be 3×2"),
    ("norm-mask-not-binary.yaml", "network.layers[1].mask", "a dropout mask holds only 0s and 1s (got 0.5)"),
    ("norm-p-out-of-range.yaml", "network.layers[1].p", "at least 0 and less than 1 (got 1)"),
    # Issue 14: recurrent layers.
    ("regularization-empty.yaml", "loss.regularization", "give l2 or l1 (for example l2: 0.01)"),
    ("regularization-negative.yaml", "loss.regularization.l2", "must be at least 0 (got -0.01)"),
    ("regularization-unknown-field.yaml", "loss.regularization",
     "unknown field 'weight_decay' (known fields: l2, l1, include_biases)"),
    ("regularization-cnn.yaml", "loss.regularization", "a weight penalty is built for dense networks only"),
    ("loss-after-without-update.yaml", "questions[0].ask", "loss_after and forward_after come after an update"),
    ("rnn-no-recurrent-weights.yaml", "network.layers[0].recurrent_weights",
     "an rnn layer needs 'recurrent_weights'"),
    ("rnn-weights-wrong-shape.yaml", "network.layers[0].weights", "must be 2×2 (2 units × 2 input features)"),
    ("lstm-missing-gate.yaml", "network.layers[0].gates", "an lstm layer has the gates i, f, g, o (missing: o)"),
    ("rnn-loss-every-last.yaml", "network.layers[0].loss_at", "a loss at every step needs return: sequence"),
    ("rnn-targets-per-step.yaml", "target", "a loss at every step needs one target per time step (2)"),
    ("rnn-sequence-not-matrix.yaml", "network.inputs.x", "a sequence is a matrix: one row per time step"),
    ("rnn-after-dense.yaml", "network.layers[0]", "a dense layer cannot come before a recurrent layer"),
    ("gru-cell-state.yaml", "network.layers[0].initial_state", "only an lstm has a cell state c (a gru has h only)"),
    ("rnn-cross-entropy-linear.yaml", "loss", "cross-entropy needs probabilities: give the output layer a softmax"),
    # a graph's masks, as the network's dropout layer's (a 2 was a multiplier; PyTorch reads a boolean 2 as 1)
    ("graph-dropout-mask-not-binary.yaml", "graph.nodes.L", "dropout(): a mask holds only 0s and 1s (D has 2)"),
    ("attention-boolean-mask-not-binary.yaml", "graph.nodes.O", "attention(): a mask holds only 0s and 1s (D has 2)"),
    # torch.optim.SGD ignores it; the key showed a τ that no formula used
    ("sgd-dampening-without-momentum.yaml", "questions[0].optimizer.dampening",
     "it damps the momentum buffer, so it needs momentum > 0 (momentum is 0)"),
    # the node to look at, in words (it said "questions[0]: … not a finite real number (zoo)")
    ("graph-log-of-zero.yaml", "graph.nodes.L", "cannot evaluate the graph: a value is not a finite real number: "
     "it is infinite (a division by 0, or a logarithm of 0)"),
    ("graph-sqrt-derivative-at-zero.yaml", "graph.nodes.a", "its derivative with respect to w: a value is not a "
     "finite real number: it is infinite"),
    # the key wrote A₁ = 0.5 in one place and A₁ = 3 in another
    ("graph-names-written-alike.yaml", "graph.parameters.A_1", "'A_1' and 'A1' would both be written $A_{1}$ in the "
     "key; rename one"),
    ("tensor-name-reads-as-element.yaml", "graph.parameters.A_1", "'A_1' and an element of 'A' would both be "
     "written $A_{1}$ in the key; rename one"),
    ("output-head-on-a-softmax.yaml", "questions[0].output_head", "the output layer is a softmax already: "
     "output_head: softmax would apply a second one"),
    # internal errors before: mpmath's erfc squares a float (OverflowError), display turned 10^-(4e29)
    # into a Decimal (InvalidOperation); a network names its question, as for 1e300, a graph its node
    ("gelu-argument-too-large.yaml", "questions[0]", "cannot evaluate the network: o1: a value cannot be "
     "worked out: a function's argument is too large in magnitude"),
    ("sigmoid-value-too-small.yaml", "questions[0]", "cannot evaluate the network: o1: a value is nonzero but "
     "smaller than 10^-(10^20) in magnitude, too small to work out"),
    ("graph-exp-too-small.yaml", "graph.nodes.L", "cannot evaluate the graph: a value is nonzero but smaller "
     "than 10^-(10^20) in magnitude, too small to work out"),
]

#: The cases an extreme value refuses only once the network is evaluated: validate must say the same.
EXTREME = CASES[-3:]

#: Every bad file fails within this many seconds (no hang, however hostile).
QUICK = 5.0


def error_line(stderr: str, file: str) -> tuple[str, str]:
    """The (field, message) of the one-line error ``nnsolve: error: FILE: FIELD: message``."""
    assert "Traceback" not in stderr
    lines = stderr.splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got {len(lines)}:\n{stderr}"
    prefix = f"nnsolve: error: {file}: "
    assert lines[0].startswith(prefix), lines[0]
    field, sep, message = lines[0][len(prefix):].partition(": ")
    assert sep and message, lines[0]
    return field, message


def files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*")) if folder.exists() else []


def test_the_table_covers_the_corpus():
    assert sorted(name for name, _, _ in CASES) == sorted(p.name for p in BAD.iterdir())
    assert len({name for name, _, _ in CASES}) == len(CASES)


@pytest.mark.parametrize("name, field, fragment", CASES, ids=[c[0] for c in CASES])
def test_bad_file_exits_2_with_one_line(runner, tmp_path, name, field, fragment):
    out = tmp_path / "out"
    path = str(BAD / name)
    start = time.perf_counter()
    result = runner.invoke(main, ["solve", path, "-o", str(out), "-f", "md", "-f", "tex", "-f", "json"])
    assert time.perf_counter() - start < QUICK
    assert result.exit_code == 2, result.output + result.stderr
    assert isinstance(result.exception, SystemExit)  # not an exception escaping the command
    assert result.stdout == ""
    got_field, message = error_line(result.stderr, path)
    assert got_field == field
    assert fragment in message
    assert files_in(out) == []


@pytest.mark.parametrize("name, field, fragment", CASES[::5], ids=[c[0] for c in CASES[::5]])
def test_validate_reports_the_same_line(runner, name, field, fragment):
    path = str(BAD / name)
    result = runner.invoke(main, ["validate", str(GOOD), path])
    assert result.exit_code == 2
    assert result.stdout == f"{GOOD}: ok\n"
    got_field, message = error_line(result.stderr, path)
    assert (got_field, fragment in message) == (field, True)


@pytest.mark.parametrize("name, field, fragment", EXTREME, ids=[c[0] for c in EXTREME])
def test_validate_refuses_extreme_values_with_the_line_solve_gives(runner, name, field, fragment):
    path = str(BAD / name)
    result = runner.invoke(main, ["validate", path])
    assert result.exit_code == 2 and result.stdout == ""
    assert error_line(result.stderr, path) == (field, fragment)


@pytest.mark.parametrize("order", ["bad-first", "bad-middle", "bad-last"])
def test_one_bad_problem_writes_nothing_of_its_own_and_the_others_are_solved(runner, tmp_path, order):
    good = [str(GOOD), str(ROOT / "problems" / "relu-3-4-3-softmax-ce.yaml")]
    bad = str(BAD / "wrong-shape.yaml")
    problems = {"bad-first": [bad, *good], "bad-middle": [good[0], bad, good[1]],
                "bad-last": [*good, bad]}[order]
    out = tmp_path / "out"
    out.mkdir()
    (out / "wrong-shape.md").write_text("an older key\n", encoding="utf-8")
    result = runner.invoke(main, ["solve", *problems, "-o", str(out), "-f", "md", "-f", "json"])
    assert result.exit_code == 2
    assert error_line(result.stderr, bad)[0] == "network.layers[1].weights"
    assert files_in(out) == ["relu-2-2-2-diagram.svg", "relu-2-2-2.json", "relu-2-2-2.md",
                             "relu-3-4-3-softmax-ce-diagram.svg", "relu-3-4-3-softmax-ce.json",
                             "relu-3-4-3-softmax-ce.md", "wrong-shape.md"]  # no temporary file left
    assert (out / "wrong-shape.md").read_text(encoding="utf-8") == "an older key\n"
    assert result.stdout.count("wrote ") == 6


def test_missing_file_and_folder(runner, tmp_path):
    empty = tmp_path / "empty-folder"
    empty.mkdir()
    for path, fragment in ((tmp_path / "nope.yaml", "cannot read the file (No such file or directory)"),
                           (empty, "the folder holds no .yaml problem files")):
        result = runner.invoke(main, ["solve", str(path), "-o", str(tmp_path / "out")])
        assert result.exit_code == 2
        assert error_line(result.stderr, str(path)) == ("(file)", fragment)
    assert not (tmp_path / "out").exists()


def test_file_too_large(runner, tmp_path):
    big = tmp_path / "big.yaml"
    big.write_text(GOOD.read_text(encoding="utf-8") + "#" * 1_000_001 + "\n", encoding="utf-8")
    result = runner.invoke(main, ["solve", str(big), "-o", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert error_line(result.stderr, str(big)) == ("(file)", "the file is larger than 1000 kB")


def test_50_mb_file_is_refused_unread(runner, tmp_path):
    # 50 MB of weights (generated here, never committed): refused by its size, quickly.
    big = tmp_path / "huge.yaml"
    row = "[" + ", ".join(["0.123456789"] * 64) + "]"
    with big.open("w", encoding="utf-8") as fh:
        fh.write(GOOD.read_text(encoding="utf-8") + "extra:\n")
        while fh.tell() < 50_000_000:
            fh.write(f"  - {row}\n" * 1000)
    assert big.stat().st_size >= 50_000_000
    start = time.perf_counter()
    result = runner.invoke(main, ["solve", str(big), "-o", str(tmp_path / "out")])
    assert time.perf_counter() - start < QUICK
    assert result.exit_code == 2
    assert error_line(result.stderr, str(big)) == ("(file)", "the file is larger than 1000 kB")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("extra", [
    "extra: [" + ", ".join(["1"] * 330_000) + "]\n",  # 1 MB of the shortest values
    "extra: {" + ", ".join(f"k{i}: 1" for i in range(89_000)) + "}\n",  # 1 MB of key-value pairs
], ids=["list", "mapping"])
def test_a_megabyte_of_tiny_values_is_refused_early(runner, tmp_path, extra):
    # Just under 1 MB, far more than 50,000 values: refused as soon as the count is
    # passed (reading the whole file with PyYAML would take about 6 s).
    text = GOOD.read_text(encoding="utf-8") + extra
    assert 900_000 < len(text.encode()) < 1_000_000
    path = tmp_path / "many.yaml"
    path.write_text(text, encoding="utf-8")
    start = time.perf_counter()
    result = runner.invoke(main, ["solve", str(path), "-o", str(tmp_path / "out")])
    assert time.perf_counter() - start < QUICK
    assert result.exit_code == 2
    field, message = error_line(result.stderr, str(path))
    assert field == f"line {text.count(chr(10))}" and message == "the file holds more than 50000 values"


def _graph_problem(nodes: dict[str, str], parameters: str, steps: int | None = None) -> str:
    lines = ['title: "A generated graph"', "graph:", "  inputs: {x: 0.5}", f"  parameters: {{{parameters}}}",
             "  nodes:"]
    lines += [f"    {k}: {v}" for k, v in nodes.items()]
    lines += [f"  output: {list(nodes)[-1]}", "questions:", "  - id: q", "    ask: [forward, gradients]"]
    if steps:
        lines += ["  - id: run", "    ask: [train]", f"    steps: {steps}", "    learning_rate: 0.01"]
    return "\n".join(lines) + "\n"


def _wide_graph(n_nodes: int, names: int) -> tuple[dict[str, str], str]:
    """Stages that each add up ``names`` parameters (in groups of ten, within the nesting
    limit) and the stage before."""
    params = [f"p{j}" for j in range(min(256, n_nodes * names))]
    nodes, prev = {}, "x"
    for i in range(n_nodes):
        used = [params[(i * names + j) % len(params)] for j in range(names)]
        groups = "+".join("(" + "+".join(used[k:k + 10]) + ")" for k in range(0, names, 10))
        nodes[f"n{i}"] = f"tanh(0.01*({groups})+{prev}*0.5)"
        prev = f"n{i}"
    return nodes, ", ".join(f"{p}: 0.01" for p in params)


def test_graph_over_the_size_limit(runner, tmp_path):
    # 200 stages of ~430 characters using 81 names each: a size of about 7 million
    # (unchecked, forward and gradients took 164 s, and 20 training steps 556 s).
    nodes, params = _wide_graph(200, 80)
    path = tmp_path / "wide.yaml"
    path.write_text(_graph_problem(nodes, params, steps=20), encoding="utf-8")
    start = time.perf_counter()
    result = runner.invoke(main, ["solve", str(path), "-o", str(tmp_path / "out")])
    assert time.perf_counter() - start < QUICK
    assert result.exit_code == 2
    field, message = error_line(result.stderr, str(path))
    assert field == "graph.nodes"
    assert "the graph's size (the sum over its nodes of (1 + names used) × characters) is" in message
    assert message.endswith("at most 100,000: use fewer or shorter nodes")


def test_graph_training_over_the_work_limit(runner, tmp_path):
    # 20 stages of 21 names: within the size limit, but 5,000 steps are too many.
    nodes, params = _wide_graph(20, 20)
    path = tmp_path / "train.yaml"
    path.write_text(_graph_problem(nodes, params, steps=5000), encoding="utf-8")
    result = runner.invoke(main, ["solve", str(path), "-o", str(tmp_path / "out")])
    assert result.exit_code == 2
    field, message = error_line(result.stderr, str(path))
    assert field == "questions[1].steps"
    assert "steps × graph size (5,000 steps × a size of" in message and "at most 10,000,000" in message


@pytest.mark.parametrize("depth, field, fragment", [
    # The weights are 4 levels down (mapping, network, layers, layer); 28 more make 32.
    (40, "network.layers[0].weights" + "[0]" * 28, "the file is nested more than 32 levels deep"),
    (200_000, "(top level)", "the file is nested too deeply"),  # deeper than Python's recursion limit
], ids=["40-levels", "200000-levels"])
def test_deep_nesting(runner, tmp_path, depth, field, fragment):
    deep = tmp_path / "deep.yaml"
    deep.write_text(GOOD.read_text(encoding="utf-8").replace(
        "weights: [[0.2, 0.1],", "weights: " + "[" * depth + "]" * depth + "\n      unused: [[0.2, 0.1],", 1),
        encoding="utf-8")
    result = runner.invoke(main, ["solve", str(deep), "-o", str(tmp_path / "out")])
    assert result.exit_code == 2
    got_field, message = error_line(result.stderr, str(deep))
    assert got_field == field and fragment in message
    assert not (tmp_path / "out").exists()


def _run(args, cwd):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("NNSOLVE_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "solver", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("name, field, fragment", [
    c for c in CASES if c[0] in ("tabs.yaml", "weight-nan.yaml", "unknown-gradient-name.yaml", "binary.yaml")])
def test_real_process_prints_no_traceback(tmp_path, name, field, fragment):
    out = tmp_path / "out"
    proc = _run(["solve", f"tests/bad/{name}", "-o", str(out), "-f", "md", "-f", "json"], cwd=ROOT)
    assert proc.returncode == 2
    assert proc.stdout == ""
    got_field, message = error_line(proc.stderr, f"tests/bad/{name}")
    assert got_field == field and fragment in message
    assert files_in(out) == []


# --- hostile input --------------------------------------------------------------------

def test_python_tag_runs_nothing(tmp_path):
    shutil.copy(BAD / "python-tag.yaml", tmp_path / "hostile.yaml")
    proc = _run(["solve", "hostile.yaml", "-o", "out"], cwd=tmp_path)
    assert proc.returncode == 2
    field, message = error_line(proc.stderr, "hostile.yaml")
    assert field == "title" and "is not allowed: a problem file holds plain data only" in message
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hostile.yaml"]  # no 'pwned', no 'out'


@pytest.mark.parametrize("tag", [
    '!!python/object/apply:os.system ["touch pwned"]',
    "!!python/name:os.system",
    '!!python/object/new:os.system ["touch pwned"]',
    "!!python/module:os",
    '!!python/object:builtins.object {}',
])
def test_parse_yaml_builds_no_objects(monkeypatch, tag):
    calls = []
    monkeypatch.setattr(os, "system", lambda *a: calls.append(a) or 0)
    with pytest.raises(ProblemError) as info:
        parse_yaml(f"title: {tag}\n", "f.yaml")
    assert (info.value.file, info.value.field) == ("f.yaml", "title")
    assert "is not allowed" in info.value.message
    assert calls == []


def test_parse_yaml_keeps_plain_data():
    data = parse_yaml("a: 0.1\nb: [1, -2]\nc: {d: null, e: true, f: text}\ng: &x [1]\nh: *x\n")
    assert data == {"a": "0.1", "b": [1, -2], "c": {"d": None, "e": True, "f": "text"}, "g": [1], "h": [1]}
    assert isinstance(data["a"], str)  # decimals are kept as written, read exactly later


STATEMENT = "Jinja {{ 7*7 }} and LaTeX-style << 7*7 >> stay as written."


def test_problem_text_is_not_a_template(runner, tmp_path):
    text = GOOD.read_text(encoding="utf-8")
    start, end = text.index("statement: |"), text.index("precision:")
    hostile = tmp_path / "hostile.yaml"
    hostile.write_text(text[:start] + f"statement: '{STATEMENT}'\n" + text[end:].replace(
        "text: Compute the output of the network. Provide all steps.",
        "text: 'Question text {{ 6*7 }} and << 6*7 >>'"), encoding="utf-8")
    out = tmp_path / "out"
    result = runner.invoke(main, ["solve", str(hostile), "-o", str(out), "-f", "md", "-f", "tex"])
    assert result.exit_code == 0, result.stderr
    for fmt in ("md", "tex"):
        key = (out / f"hostile.{fmt}").read_text(encoding="utf-8")
        assert STATEMENT in key
        assert "Question text {{ 6*7 }} and << 6*7 >>" in key
        assert "Jinja 49" not in key and "style 49" not in key and "text 42" not in key


@pytest.mark.parametrize("block", ["{% if true %}a block{% endif %}", "<% if true %>a block<% endif %>"])
def test_a_template_block_in_problem_text_is_refused(runner, tmp_path, block):
    """A template's block tags hold %, which LaTeX prose reads as a comment: refused when the
    file is read, with the line naming the field, and nothing written."""
    text = GOOD.read_text(encoding="utf-8")
    start, end = text.index("statement: |"), text.index("precision:")
    hostile = tmp_path / "hostile.yaml"
    hostile.write_text(text[:start] + f"statement: '{block}'\n" + text[end:], encoding="utf-8")
    out = tmp_path / "out"
    result = runner.invoke(main, ["solve", str(hostile), "-o", str(out), "-f", "md", "-f", "tex"])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"nnsolve: error: {hostile}: statement: the character % in ")
    assert "write \\% for a percent sign" in result.stderr and result.stderr.count("\n") == 1
    assert not out.exists()


def test_output_folder_that_cannot_be_made(runner, tmp_path):
    (tmp_path / "a-file").write_text("", encoding="utf-8")
    out = tmp_path / "a-file" / "out"
    result = runner.invoke(main, ["solve", str(GOOD), "-o", str(out), "-f", "md"])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == f"nnsolve: error: {out / 'relu-2-2-2.md'}: cannot write the file (Not a directory)\n"


def test_two_problems_with_the_same_name(runner, tmp_path):
    other = tmp_path / "relu-2-2-2.yaml"
    shutil.copy(GOOD, other)
    out = tmp_path / "out"
    result = runner.invoke(main, ["solve", str(GOOD), str(other), "-o", str(out)])
    assert result.exit_code == 2
    field, message = error_line(result.stderr, str(other))
    assert field == "(file)" and f"{GOOD} has the same name" in message
    assert not out.exists()


@pytest.mark.parametrize("template, line, fragment", [
    ("# {{ s.title \n", "line 1", "unexpected end of template"),
    ("# {{ s.no_such_field }}\n", "(template)", "has no attribute 'no_such_field'"),
])
def test_broken_user_template(runner, tmp_path, template, line, fragment):
    tpl = tmp_path / "tpl"
    tpl.mkdir()
    (tpl / "key.md.j2").write_text(template, encoding="utf-8")
    out = tmp_path / "out"
    result = runner.invoke(main, ["solve", str(GOOD), "-o", str(out), "-f", "md", "--templates", str(tpl)])
    assert result.exit_code == 2
    assert "Traceback" not in result.stderr and len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith(f"nnsolve: error: {tpl / 'key.md.j2'}: {line}: the template is broken: ")
    assert fragment in result.stderr
    assert not out.exists()


SATURATED = GOOD.read_text(encoding="utf-8").replace("activation: relu", "activation: sigmoid").replace(
    "weights: [[0.1, 0.2],\n                [0.4, 0.3]]", "weights: [[1000, 1000],\n                [1, 1]]").replace(
    "loss: sse", "loss: bce")


def test_saturated_sigmoid_gives_one_line_and_no_output(runner, tmp_path):
    # o1 = sigmoid(1600.2) is 1 to 50 digits, so the BCE term ln(1 - o1) is ln 0.
    path = tmp_path / "saturated.yaml"
    path.write_text(SATURATED, encoding="utf-8")
    result = runner.invoke(main, ["solve", str(path), "-o", str(tmp_path / "out")])
    assert result.exit_code in (1, 2)
    assert "Traceback" not in result.stderr and len(result.stderr.splitlines()) == 1
    assert str(path) in result.stderr
    assert not (tmp_path / "out").exists()


def test_saturated_sigmoid_is_a_problem_error(runner, tmp_path):
    path = tmp_path / "saturated.yaml"
    path.write_text(SATURATED, encoding="utf-8")
    result = runner.invoke(main, ["solve", str(path), "-o", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert error_line(result.stderr, str(path))[0].startswith("questions[1]")


ONE_OUTPUT = """\
title: one output
network:
  inputs: {x1: 0.5, x2: -1}
  layers:
    - {units: 2, activation: tanh, weights: [[0.2, 0.1], [0.3, 0.4]], bias: BIAS}
    - {units: 1, activation: sigmoid, weights: [[0.1, 0.2]], bias: 0}
loss: bce
target: TARGET
questions:
  - {id: a, ask: [forward, loss]}
"""


@pytest.mark.parametrize("bias, target, field, message", [
    ("0.1", "[1, 0]", "target", "the target has 2 values but the network has 1 output"),
    ("0.1", "{class: 2}", "target", "class 2 is out of range: the network has 1 output (classes 1 to 1)"),
    ("[0.1]", "[1]", "network.layers[0].bias", "1 bias for 2 units"),
])
def test_counts_in_messages_take_their_number(runner, tmp_path, bias, target, field, message):
    path = tmp_path / "one.yaml"
    path.write_text(ONE_OUTPUT.replace("BIAS", bias).replace("TARGET", target), encoding="utf-8")
    result = runner.invoke(main, ["solve", str(path), "-o", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert result.stderr.strip() == f"nnsolve: error: {path}: {field}: {message}"
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("n, noun, plural, text", [
    (0, "output", None, "0 outputs"), (1, "output", None, "1 output"), (2, "output", None, "2 outputs"),
    (1, "bias", "biases", "1 bias"), (3, "bias", "biases", "3 biases"), (20000, "value", None, "20,000 values"),
])
def test_counted(n, noun, plural, text):
    assert counted(n, noun, plural) == text
