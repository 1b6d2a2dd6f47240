"""Defects a review of the day's changes found, each fixed and pinned here: a graph whose loss is
one of its own nodes (no named loss) asked for its loss, before or after an update, had that loss
marked as shown on the way, so exports made no blank of the only asked number."""

from __future__ import annotations

from solver import load, solve


def _answers(question: dict, nodes: dict | None = None) -> list[tuple[str, str, bool]]:
    problem = {"title": "t", "graph": {"inputs": {"x": 2}, "parameters": {"w": 0.5},
                                       "nodes": nodes or {"y": "x * w", "L": "y * y"}, "output": "L"},
               "questions": [{"id": "q", **question}]}
    section = solve(load(problem)).solution.sections[0]
    return [(a.kind, a.of, bool(a.upstream)) for a in section.answers]


def test_a_graph_asked_its_loss_makes_a_blank_of_it():
    got = _answers({"ask": ["loss"]})
    assert ("value", "L", False) in got and ("value", "y", True) in got


def test_a_graph_asked_its_loss_after_an_update_makes_a_blank_of_it():
    got = _answers({"ask": ["gradients", "update", "loss_after"], "learning_rate": 0.1})
    assert ("value_after", "L", False) in got and ("update", "w", False) in got
    assert ("value", "L", True) in got  # the loss before the update is on the way


def test_a_graph_asked_its_forward_pass_is_not_asked_its_loss_after():
    got = _answers({"ask": ["update", "forward_after"], "learning_rate": 0.1})
    assert ("value_after", "L", False) in got and ("value_after", "y", False) in got
