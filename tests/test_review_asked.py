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


def _load_error(problem: dict) -> str:
    try:
        load(problem)
    except Exception as exc:  # noqa: BLE001 - the message is what is checked
        return str(exc)
    return ""


_PROBLEM = {"title": "t", "graph": {"inputs": {"x": 2}, "parameters": {"w": 0.5}, "nodes": {"L": "x * w"},
                                    "output": "L"}, "questions": [{"id": "q", "ask": ["forward"]}]}


def test_a_title_refuses_mathjax_active_commands_as_a_statement_does():
    # titles go into the exports' question text and headings as they are: $$\href{javascript:…}$$
    assert "\\href is not allowed" in _load_error({**_PROBLEM, "title": r"t $\href{javascript:alert(1)}{x}$"})
    question = {**_PROBLEM["questions"][0], "title": r"Q $\style{color:red}{x}$"}
    assert "\\style is not allowed" in _load_error({**_PROBLEM, "questions": [question]})


def test_a_row_break_before_a_word_is_no_command():
    # "\\data" is a row break and the word "data", not MathJax's \data
    statement = r"$\begin{array}{c} x \\data \end{array}$"
    assert _load_error({**_PROBLEM, "statement": statement}) == ""
    # \hrefx is not MathJax's \href, but no command of the allow-list either (tests/test_commands.py)
    assert "\\hrefx is not allowed: problem text uses only" in _load_error({**_PROBLEM, "statement": r"$\hrefx$"})
    assert "\\data is not allowed" in _load_error({**_PROBLEM, "statement": r"$\\\data{x=1}{y}$"})
