"""The one-line validation errors, word for word: a table of one change to a bundled problem
→ the field named and the message (the wording the pydantic-based validation had, kept
when msgspec replaced it; and the messages that replacement made more precise)."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from solver.core.errors import ProblemError
from solver.problem import parse_yaml, validate
from solver.problem.reading import read_text

ROOT = Path(__file__).resolve().parent.parent


def _data(name: str):
    path = ROOT / "problems" / name
    return parse_yaml(read_text(path), str(path))


BASE = {name: _data(name) for name in ("relu-2-2-2.yaml", "cnn-small.yaml", "gru-sequence.yaml",
                                       "relu-2-2-2-variants.yaml", "relu-3-4-3-softmax-ce.yaml")}
DECIMAL = parse_yaml("2.5", "v")  # a decimal as the loader keeps it (exact text)


def _set(data, path, value):
    here = data
    for step in path[:-1]:
        here = here[step]
    if value is _DELETE:
        del here[path[-1]]
    else:
        here[path[-1]] = value
    return data


_DELETE = object()

# (problem, path, new value, the field named, the message)
CASES = [
    ("relu-2-2-2.yaml", ("network", "layers", 0, "units"), 0,
     "network.layers[0].units", "got 0; input should be greater than or equal to 1"),
    ("relu-2-2-2.yaml", ("network", "layers", 0, "units"), 65,
     "network.layers[0].units", "got 65; input should be less than or equal to 64"),
    ("relu-2-2-2.yaml", ("network", "layers", 0, "units"), DECIMAL,
     "network.layers[0].units", "got 2.5; input should be a valid integer"),
    ("relu-2-2-2.yaml", ("network", "layers", 0, "units"), True,
     "network.layers[0].units", "got true; input should be a valid integer"),
    ("relu-2-2-2.yaml", ("precision",), "4", "precision", "got '4'; input should be a valid integer"),
    ("relu-2-2-2.yaml", ("questions", 0, "update_biases"), 1,
     "questions[0].update_biases", "got 1; input should be a valid boolean"),
    ("relu-2-2-2.yaml", ("questions", 0, "id"), "a b",
     "questions[0].id", "got 'a b'; string should match pattern '^[A-Za-z0-9_.-]+$'"),
    ("relu-2-2-2.yaml", ("questions", 0, "id"), "",
     "questions[0].id", "got ''; string should have at least 1 character"),
    ("relu-2-2-2.yaml", ("title",), "", "title", "got ''; string should have at least 1 character"),
    ("relu-2-2-2.yaml", ("title",), 5, "title", "got 5; input should be a valid string"),
    ("relu-2-2-2.yaml", ("questions",), [], "questions",
     "got a list; list should have at least 1 item after validation, not 0"),
    ("relu-2-2-2.yaml", ("network", "inputs"), {}, "network.inputs",
     "got a mapping; dictionary should have at least 1 item after validation, not 0"),
    ("relu-2-2-2.yaml", ("network", "layers", 0, "weights"), 5,
     "network.layers[0].weights", "got 5; input should be a valid list"),
    ("relu-2-2-2.yaml", ("network", "layers", 0, "weights", 1, 0), "x",
     "network.layers[0].weights[1][0]", "'x' is not a finite number"),
    ("relu-2-2-2.yaml", ("network", "layers", 0, "activation"), "relux",
     "network.layers[0].activation", "'relux' is not allowed; input should be 'relu', 'leaky_relu'"),
    ("relu-2-2-2.yaml", ("network", "layers", 0, "activation"), 3,
     "network.layers[0].activation", "3 is not allowed; input should be 'relu', 'leaky_relu'"),
    ("relu-2-2-2.yaml", ("network", "orientation"), "wx",
     "network.orientation", "'wx' is not allowed; input should be 'Wx' or 'xW'"),
    ("relu-2-2-2.yaml", ("questions", 0), 5, "questions[0]",
     "got 5; input should be a valid dictionary or instance of Question"),
    ("relu-2-2-2.yaml", ("network", "layers", 0), [1], "network.layers[0]",
     "got a list; input should be a valid dictionary or instance of Layer"),
    ("relu-2-2-2.yaml", ("loss",), 5, "loss", "got 5; input should be a valid dictionary or instance of Loss"),
    ("relu-2-2-2.yaml", ("loss",), "squared", "loss.type",
     "'squared' is not allowed; input should be 'sse', 'half_sse', 'mse'"),
    # A union is worded by its first member: a number, then a list of numbers.
    ("relu-2-2-2.yaml", ("network", "layers", 0, "bias"), {"a": 1},
     "network.layers[0].bias", "expected a number, got dict"),
    ("relu-2-2-2.yaml", ("network", "layers", 0, "bias"), [1, True],
     "network.layers[0].bias[1]", "expected a number, got a boolean"),
    ("relu-2-2-2.yaml", ("target",), 5, "target", "got 5; input should be a valid list"),
    ("relu-2-2-2.yaml", ("target",), [1, {"class": 0}], "target[1].class",
     "got 0; input should be greater than or equal to 1"),
    ("relu-2-2-2.yaml", ("questions", 1, "gradients"), "some",
     "questions[1].gradients", "'some' is not allowed; input should be 'all'"),
    ("relu-2-2-2.yaml", ("questions", 1, "gradients"), ["w1", 3],
     "questions[1].gradients[1]", "expected a name, got an integer"),
    # A mapping's key and value: msgspec names neither; the message finds it.
    ("relu-2-2-2.yaml", ("network", "inputs", "1x"), 1,
     "network.inputs.1x", "'1x' is not a valid name (a letter, then letters, digits or _)"),
    ("relu-2-2-2.yaml", ("network", "inputs", "x1"), True,
     "network.inputs.x1", "expected a number, got a boolean"),
    ("gru-sequence.yaml", ("network", "layers", 0, "gates", "q"), {},
     "network.layers[0].gates.q", "'q' is not allowed; input should be 'i', 'f', 'g', 'o', 'r', 'z' or 'n'"),
    # Missing and unknown fields.
    ("relu-2-2-2.yaml", ("network", "layers", 0, "units"), _DELETE,
     "network.layers[0]", "missing required field 'units'"),
    ("relu-2-2-2.yaml", ("network", "layers", 0, "activaton"), "relu",
     "network.layers[0]", "unknown field 'activaton' (did you mean 'activation'?)"),
    ("gru-sequence.yaml", ("network", "layers", 0, "return"), "all",
     "network.layers[0].return", "'all' is not allowed; input should be 'last' or 'sequence'"),
    # Field-naming checks of a model.
    ("relu-2-2-2.yaml", ("questions", 2, "learning_rate"), -1,
     "questions[2].learning_rate", "must be greater than 0 (got -1)"),
    ("relu-2-2-2-variants.yaml", ("randomize", "values", "network..x"), {"choices": [1]},
     "randomize.values", "'network..x' is not a path into the problem"),
    # Where the pydantic-based messages misled: a layer's unknown field is compared with
    # its own type's fields (a conv2d layer's, not a dense layer's), and an unknown layer
    # type is named as such.
    ("cnn-small.yaml", ("network", "layers", 0, "kernal"), 3,
     "network.layers[0]", "unknown field 'kernal' (did you mean 'kernel'?)"),
    ("cnn-small.yaml", ("network", "layers", 0, "type"), "conv",
     "network.layers[0].type", "'conv' is not allowed; input should be 'dense', 'conv2d', 'maxpool2d', "
     "'avgpool2d', 'flatten', 'batchnorm', 'layernorm', 'dropout', 'rnn', 'lstm' or 'gru'"),
    # A field no ask of the question reads is refused, not ignored: an Adam optimizer on an
    # update question would otherwise give a plain gradient step's key.
    ("relu-2-2-2.yaml", ("questions", 2, "optimizer"), {"type": "adam", "learning_rate": DECIMAL},
     "questions[2].optimizer", "only a question asking train uses it (this one asks gradients); an update is "
     "one step of gradient descent with learning_rate (for one step of another optimizer, ask: [train] with "
     "steps: 1)"),
    ("relu-2-2-2.yaml", ("questions", 0, "steps"), 3,
     "questions[0].steps", "only a question asking train uses it (this one asks forward)"),
    ("relu-2-2-2.yaml", ("questions", 0, "epochs"), 3,
     "questions[0].epochs", "only a question asking perceptron or delta_rule uses it (this one asks forward)"),
    ("relu-2-2-2.yaml", ("questions", 1, "derivation"), "sigmoid",
     "questions[1].derivation", "only a question asking derive uses it (this one asks loss, gradients)"),
    ("relu-2-2-2.yaml", ("questions", 2, "report"), ["o1"],
     "questions[2].report", "only a question asking forward or loss uses it (this one asks gradients)"),
    ("relu-2-2-2.yaml", ("questions", 1, "learning_rate"), DECIMAL,
     "questions[1].learning_rate", "only a question asking update, train, perceptron or delta_rule uses it "
     "(this one asks loss, gradients)"),
    ("gru-sequence.yaml", ("network", "layers", 0, "gates", "r", "bogus"), 1,
     "network.layers[0].gates.r", "unknown field 'bogus' (known fields: weights, recurrent_weights, bias, "
     "recurrent_bias)"),
]


@pytest.mark.parametrize("name, path, value, field, message", CASES,
                         ids=[f"{c[0]}:{'.'.join(map(str, c[1]))}" for c in CASES])
def test_one_change_gives_this_line(name, path, value, field, message):
    data = _set(copy.deepcopy(BASE[name]), path, value)
    with pytest.raises(ProblemError) as info:
        validate(data, name)
    assert info.value.field == field
    assert info.value.message.startswith(message), info.value.message


def test_a_training_s_optimizer_and_a_second_learning_rate_are_refused():
    data = copy.deepcopy(BASE["relu-2-2-2.yaml"])
    data["questions"][2].update({"ask": ["train"], "steps": 2, "learning_rate": DECIMAL,
                                 "optimizer": {"type": "sgd", "learning_rate": DECIMAL}})
    with pytest.raises(ProblemError) as info:
        validate(data, "relu-2-2-2.yaml")
    assert (info.value.field, info.value.message) == (
        "questions[2].learning_rate", "training uses the optimizer's learning_rate; give it there only")
    data["questions"][2]["ask"] = ["train", "update"]  # the update's learning rate: both are read
    assert validate(data, "relu-2-2-2.yaml").questions[2].optimizer.type == "sgd"


def test_the_bundled_problems_read_the_same_numbers():
    problem = validate(copy.deepcopy(BASE["relu-2-2-2.yaml"]), "p")
    layer = problem.network.layers[0]
    assert [[str(w) for w in row] for row in layer.weights] == [["1/5", "1/10"], ["3/10", "1/5"]]
    assert str(layer.bias) == "1/10" and layer.units == 2 and layer.activation == "relu"
    assert type(layer).__name__ == "Layer"
    assert type(validate(copy.deepcopy(BASE["cnn-small.yaml"]), "p").network.layers[0]).__name__ == "TensorLayer"
