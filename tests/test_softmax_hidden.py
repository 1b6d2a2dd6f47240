"""Softmax in a hidden layer (attention puts one in the middle of a network): accepted,
differentiated through its full Jacobian in every style, against the oracle and torch;
the p − y shortcut stays for a softmax that feeds cross-entropy directly."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_oracle import check_against_torch, check_solution  # noqa: E402

from solver.core.options import Options  # noqa: E402
from solver.key.solve import solve  # noqa: E402
from solver.problem import validate  # noqa: E402
from solver.render import render  # noqa: E402


def problem(head: str = "sigmoid", loss="bce", target=("1", "0")):
    return validate({
        "title": "a softmax in the middle", "network": {"inputs": {"x1": "0.5", "x2": "-1"}, "layers": [
            {"units": 3, "activation": "softmax", "weights": [["0.2", "-0.4"], ["0.7", "0.1"], ["-0.3", "0.5"]],
             "bias": ["0.1", "0", "-0.2"]},
            {"units": 2, "activation": head, "weights": [["0.5", "-0.6", "0.3"], ["0.2", "0.4", "-0.7"]],
             "bias": "0.05"}]},
        "loss": loss, "target": list(target) if not isinstance(target, dict) else target,
        "questions": [{"id": "q", "ask": ["forward", "loss", "gradients", "update"], "learning_rate": "0.1"}]})


@pytest.mark.parametrize("style", ["neuron", "matrix", "graph"])
def test_hidden_softmax_matches_the_oracle(style):
    counts = check_solution(problem(), "hidden-softmax", style=style)
    assert counts["gradient"] == 16 and counts["update"] == 16 and counts["upstream"] > 0


def test_hidden_softmax_is_differentiated_through_its_jacobian():
    tex = render(solve(problem(), "h", Options(style="matrix")), "tex")
    assert r"\delta^{(1)} &= J^\top" in tex
    neuron = render(solve(problem(), "h"), "md")
    assert "p - y" not in neuron and "Softmax with cross-entropy" not in neuron


def test_the_shortcut_stays_on_the_output_softmax_only():
    md = render(solve(problem("softmax", "cross_entropy", {"class": 2}), "h"), "md")
    assert md.count("Softmax with cross-entropy") == 1
    assert check_solution(problem("softmax", "cross_entropy", {"class": 2}), "two-softmaxes")["gradient"] == 16


def test_hidden_softmax_matches_torch():
    torch = pytest.importorskip("torch")
    assert check_against_torch(torch, problem(), "hidden-softmax") == 16
