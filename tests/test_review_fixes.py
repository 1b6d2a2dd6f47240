"""Defects a review of round 14's changes found, each fixed and pinned here: the line of a
sum's term values in the printed order, `report` on a loss question, a student's own chain in
a question preferred to a value lent from another, the step counter with k, τ and n taken,
counts in messages, the hwc sentence without windows, a leaky ReLU kink's own slope."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from click.testing import CliRunner

from solver import load, solve
from solver.cli import main
from solver.core.errors import ProblemError
from solver.graph.training import Settings
from solver.key.optimizer_steps import step_names
from solver.ops.optimizers import OPTIMIZERS

ROOT = Path(__file__).resolve().parent.parent


def _md(problem: dict) -> str:
    return solve(load(problem))._repr_markdown_()


def _graph(nodes: dict, inputs: dict, params: dict, question: dict) -> dict:
    return {"title": "t", "graph": {"inputs": inputs, "parameters": params, "nodes": nodes, "output": "L"},
            "questions": [{"id": "q", **question}]}


def test_the_terms_line_follows_the_printed_order():
    md = _md(_graph({"z": "-2 + w*x", "L": "z^2"}, {"x": "1.5"}, {"w": "0.5"}, {"ask": ["forward"]}))
    assert r"z &= w x - 2 = (0.5)(1.5) - 2 = 0.75 - 2 = -1.25" in md


def test_report_is_read_by_a_loss_question():
    md = _md(_graph({"h": "tanh(w*x)", "L": "(h - 0.2)^2"}, {"x": "1.5"}, {"w": "0.5"},
                    {"ask": ["loss"], "report": ["h", "L"]}))
    assert "h & \\approx 0.6351" in md and "L & \\approx 0.1894" in md


def test_a_students_own_chain_in_the_question_wins_over_a_lent_value(tmp_path):
    runner = CliRunner()
    assert runner.invoke(main, ["solve", str(ROOT / "problems" / "relu-2-2-2.yaml"), "-f", "json",
                                "-o", str(tmp_path)]).exit_code == 0
    sub = tmp_path / "subs.csv"
    rows = [("s", "q1", "o1", "0.45"), ("s", "q3", "h1", "0.6"), ("s", "q3", "p2", "0.56463629"),
            ("t", "q3", "h1", "0.6"), ("t", "q3", "p2", "0.56463629")]
    with open(sub, "w", newline="") as fh:
        csv.writer(fh).writerows([("student", "question", "of", "answer"), *rows])
    r = runner.invoke(main, ["grade", "--key", str(tmp_path / "relu-2-2-2.json"), str(sub), "--problem",
                             str(ROOT / "problems" / "relu-2-2-2.yaml"), "-o", str(tmp_path / "out")])
    assert r.exit_code == 0, r.output
    g = {(x["student"], x["question"], x["of"]): x["verdict"] for x in csv.DictReader(open(tmp_path / "out" / "grades.csv"))}
    # s's wrong q1 o1 is not lent into q3, where s's own h1 gives o1 and p2
    assert g[("s", "q3", "p2")] == g[("t", "q3", "p2")] == "carried forward from h1"


def test_the_step_counter_has_a_name_when_k_tau_and_n_are_taken():
    adam = Settings(OPTIMIZERS["adam"], {"learning_rate": 0.1, "weight_decay": 0})
    assert step_names({"t": "t", "k": "k", "tau": r"\tau", "n": "n"}, adam) == {"t": r"t_{\text{step}}"}


@pytest.mark.parametrize("change, message", [
    (lambda d: d["network"]["layers"][1].update(bias=[0, 1]),
     "network.layers[1].bias: must have 1 value, one per unit"),
    (lambda d: d["network"]["layers"][1].update(weights=[[1, -1, 2]]),
     "network.layers[1].weights: weights are 1×3 but must be 1×2 (1 unit, 2 inputs from the layer before"),
])
def test_counts_after_a_recurrent_layer_take_their_number(change, message):
    from solver.problem import parse_yaml
    from solver.problem.reading import read_text

    path = ROOT / "problems" / "rnn-elman.yaml"
    data = parse_yaml(read_text(path), str(path))
    change(data)
    with pytest.raises(ProblemError) as info:
        solve(load(data))
    assert f"{info.value.field}: {info.value.message}".startswith(message)


def test_the_hwc_sentence_stays_without_a_window_layer():
    md = _md({"title": "t", "questions": [{"id": "q", "ask": ["shapes"], "architecture": {
        "input": [4, 4, 3], "layout": "hwc", "layers": [{"type": "flatten"}, {"type": "dense", "units": 2}]}}]})
    assert "Shapes are height $\\times$ width $\\times$ channels" in md


def test_a_leaky_relu_kink_note_gives_its_own_slope():
    md = _md(_graph({"a": "leaky_relu(w*x, 0.1)", "b": "leaky_relu(w*x, 0.2)", "L": "a + b"}, {"x": "0"},
                    {"w": "0.5"}, {"ask": ["forward", "gradients"]}))
    assert r"this key uses $\operatorname{LeakyReLU}'(0) = \alpha = 0.1$" in md
    assert r"this key uses $\operatorname{LeakyReLU}'(0) = \alpha = 0.2$" in md
