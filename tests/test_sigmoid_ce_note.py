"""Cross-entropy on sigmoid outputs (which the problem format accepts): the key says what
that loss reads, and what PyTorch's CrossEntropyLoss and binary cross-entropy would do,
in every style; a softmax output and a bce loss get no such note."""

from __future__ import annotations

import pytest

from solver.core.options import Options
from solver.key.forward import SIGMOID_CE
from solver.key.solve import solve
from solver.problem import validate
from solver.render import render


def problem(activation: str, loss: str, target) -> object:
    return validate({
        "title": "two outputs", "network": {"inputs": {"x1": "0.5", "x2": "-1"}, "layers": [
            {"units": 2, "activation": activation, "weights": [["0.2", "-0.4"], ["0.7", "0.1"]], "bias": "0.1"}]},
        "loss": loss, "target": target,
        "questions": [{"id": "q", "ask": ["loss", "gradients"]}]})


@pytest.mark.parametrize("style", ["neuron", "matrix", "graph"])
def test_sigmoid_outputs_under_cross_entropy_get_the_note(style):
    md = render(solve(problem("sigmoid", "cross_entropy", ["1", "0"]), "p", Options(style=style)), "md")
    assert md.count("**Sigmoid outputs.** " + SIGMOID_CE) == 1


@pytest.mark.parametrize("activation, loss, target", [
    ("softmax", "cross_entropy", ["1", "0"]), ("sigmoid", "bce", ["1", "0"]), ("sigmoid", "sse", ["1", "0"])])
def test_other_outputs_and_losses_get_none(activation, loss, target):
    md = render(solve(problem(activation, loss, target), "p"), "md")
    assert "Sigmoid outputs" not in md
