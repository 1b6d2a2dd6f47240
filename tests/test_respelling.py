"""An optimizer's letters respelled where the problem's own names use them.

Adam's moments are ``m`` and ``v`` and its gradient ``g``; a graph with a parameter ``v``
and a node ``g`` trained with Adam read "v ← β₂ v + (1 − β₂) g²" in parameter v's own
block, the new moment and the parameter written alike. Such a symbol is now written with
a spare letter (Goodfellow et al.'s s and r for the moments, ``d`` for the gradient), its
hat following it, everywhere the key prints it: the rule, each step in full, the note on
step 1, the state table and the state answers' LaTeX (their ``of`` keys are unchanged),
and the optimizer's note says which letters stand for which. The arithmetic is the same:
the numbers are those of the same problem with other names.
"""

from __future__ import annotations

import pytest

from solver import load, solve
from solver.graph.training import Settings
from solver.key.optimizer_steps import first_note, respelling_note, step_names
from solver.ops.optimizers import OPTIMIZERS
from solver.ops.optimizers.base.formula import respelled

ADAM = OPTIMIZERS["adam"].spellings({"learning_rate": 0.1, "weight_decay": 0})
NESTEROV = OPTIMIZERS["sgd"].spellings({"learning_rate": 0.1, "momentum": 0.9, "nesterov": True})
SGD = OPTIMIZERS["sgd"].spellings({"learning_rate": 0.1})


@pytest.mark.parametrize("spellings, taken, expected", [
    (ADAM, {"x", "w_{1}", "L"}, {}),
    (ADAM, {"v"}, {"v": "r", "vhat": r"\hat{r}"}),
    (ADAM, {"v", "r"}, {"v": "u", "vhat": r"\hat{u}"}),
    (ADAM, {"v", r"\hat{r}"}, {"v": "u", "vhat": r"\hat{u}"}),  # r's hat is taken: r̂ would be ambiguous
    (ADAM, {r"\hat{m}"}, {"m": "s", "mhat": r"\hat{s}"}),  # a node m_hat: m̂ is the problem's
    (ADAM, {"m", "v", "g", "t"}, {"g": "d", "t": "k", "m": "s", "v": "r", "mhat": r"\hat{s}", "vhat": r"\hat{r}"}),
    (ADAM, {"v", "r", "u"}, {"v": r"\tilde{v}", "vhat": r"\hat{\tilde{v}}"}),
    (ADAM, {"v", "r", "u", r"\tilde{v}", r"\bar{v}", r"\check{v}"}, {"v": "v'", "vhat": r"\hat{v'}"}),
    (ADAM, {"t", "k", r"\tau", "n"}, {"t": r"t_{\text{step}}"}),
    (NESTEROV, {"g"}, {"g": r"\tilde{g}"}),  # d is Nesterov's look-ahead
    (NESTEROV, {"d"}, {"d": "q"}),
    (NESTEROV, {"w", "b"}, {}),  # w is the parameter itself, buf is upright
    (SGD, {"t", "m", "v"}, {}),  # plain SGD prints no t, m or v
    (SGD, {"g"}, {"g": "d"}),
])
def test_respelled(spellings, taken, expected):
    assert respelled(spellings, taken) == expected


GRAPH = {"inputs": {"x": "1.5", "t": "0.5"}, "parameters": {"w": "0.4", "v": "-0.3", "m": "0.2"},
         "nodes": {"g": "sigmoid(w * x) + m", "y": "v * g", "L": "(y - t)^2"}, "output": "L"}
QUESTION = {"id": "q1", "ask": ["forward", "gradients", "train"], "gradients": ["w", "v", "m"], "steps": 3,
            "optimizer": {"type": "adam", "learning_rate": "0.1"}}


def _key(graph: dict, gradients=("w", "v", "m")):
    question = {**QUESTION, "gradients": list(gradients)}
    return solve(load({"title": "t", "graph": graph, "questions": [question]}))


def test_adam_on_a_graph_with_v_m_and_g_writes_s_r_and_d():
    md = _key(GRAPH)._repr_markdown_()
    assert ("$d = \\partial L/\\partial w$ at the current parameters, $k$ the step; $d$, $s$, $r$ and $k$ are "
            "written for the usual $g$, $m$, $v$ and $t$, which this problem uses (source:") in md
    assert r"s \leftarrow \beta_1 s + (1 - \beta_1) d,\quad r \leftarrow \beta_2 r + (1 - \beta_2) d^{2}" in md
    assert "At $k = 1$ the bias corrections give $\\hat{s} = d$ and $\\hat{r} = d^2$." in md
    assert "**$v$.** $d = \\partial L/\\partial v \\approx -1.275$ from the gradients above." in md
    assert r"r &\leftarrow \beta_2 r + (1 - \beta_2) d^{2} = (0.999)(0) + (1 - 0.999)(-1.275)^{2} \approx 0.001625" in md
    assert r"v &\leftarrow v - \eta\, \frac{\hat{s}}{\sqrt{\hat{r}} + \epsilon} = -0.3 - (0.1)\, " in md
    assert r"| $\text{step}$ | $\text{parameter}$ | $d$ | $s$ | $r$ | $\hat{s}$ | $\hat{r}$ | $w \text{ after}$ |" in md
    assert r"\leftarrow \beta_2 v" not in md and r"\hat{m}" not in md and "$g = \\partial" not in md


def _run(key, names=None) -> dict:
    """(kind, moment, parameter, step) → (exact value, LaTeX) of the training answers."""
    out = {}
    for a in key.answers()["questions"][0]["answers"]:
        if a["kind"] in ("state", "update", "loss"):
            moment, _, param = a["of"].rpartition("_") if a["kind"] == "state" else ("", "", a["of"])
            out[(a["kind"], moment, (names or {}).get(param, param), a.get("step"))] = (a["exact"], a["latex"])
    return out


def test_respelling_changes_letters_not_numbers():
    """The state answers keep their ``of`` keys (m_v, vhat_w) and their values: those of the
    same graph with names that collide with nothing, whose key keeps m, v and g."""
    other = {"inputs": {"x": "1.5", "y0": "0.5"}, "parameters": {"a": "0.4", "c": "-0.3", "e": "0.2"},
             "nodes": {"h": "sigmoid(a * x) + e", "y": "c * h", "L": "(y - y0)^2"}, "output": "L"}
    plain = _key(other, ("a", "c", "e"))
    assert r"m \leftarrow \beta_1 m + (1 - \beta_1) g" in plain._repr_markdown_()
    mine, theirs = _run(_key(GRAPH)), _run(plain, {"a": "w", "c": "v", "e": "m"})
    assert mine.keys() == theirs.keys() and len([k for k in mine if k[0] == "state"]) == 4 * 3 * 3
    assert all(mine[k][0] == theirs[k][0] for k in mine)
    assert mine[("state", "v", "v", 1)][1] == "r_{v}" and theirs[("state", "v", "v", 1)][1] == "v_{c}"
    assert mine[("state", "mhat", "w", 2)][1] == r"\hat{s}_{w}"


def test_momentum_note_on_step_one_follows_the_respelled_buffer():
    momentum = Settings(OPTIMIZERS["momentum"], {"learning_rate": 0.1, "momentum": 0.9})
    assert first_note(momentum) == " With $v_0 = 0$, $v_1 = g$."
    names = step_names({"v": "v", "g": "g"}, momentum)
    assert names == {"g": "d", "v": "r"}
    assert first_note(momentum, names) == " With $r_0 = 0$, $r_1 = d$."
    assert respelling_note(momentum, names) == "; $d$ and $r$ are written for the usual $g$ and $v$, which this problem uses"
    assert respelling_note(momentum, {}) == ""


def test_one_respelled_letter_is_said_in_the_singular():
    adam = Settings(OPTIMIZERS["adam"], {"learning_rate": 0.1, "weight_decay": 0})
    names = step_names({"v": "v"}, adam)
    assert respelling_note(adam, names) == "; $r$ is written for the usual $v$, which this problem uses"
