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
    (ADAM, {"v_{0}", "v_{1}"}, {"v": "r", "vhat": r"\hat{r}"}),  # a subscripted v reads as Adam's v too
    (ADAM, {"v", "r"}, {"v": r"\tilde{v}", "vhat": r"\hat{\tilde{v}}"}),
    (ADAM, {"v", r"\hat{r}"}, {"v": r"\tilde{v}", "vhat": r"\hat{\tilde{v}}"}),  # r's hat is taken
    (ADAM, {r"\hat{m}"}, {"m": "p", "mhat": r"\hat{p}"}),  # a node m_hat: m̂ is the problem's
    (ADAM, {"m", "v", "g", "t"}, {"g": r"\tilde{g}", "t": "k", "m": "p", "v": "r", "mhat": r"\hat{p}",
                                  "vhat": r"\hat{r}"}),
    (ADAM, {"v", "r", r"\tilde{v}", r"\bar{v}", r"\check{v}"}, {"v": "v'", "vhat": r"\hat{v'}"}),
    (ADAM, {"t", "k"}, {"t": r"t_{\text{step}}"}),
    (ADAM, {r"\beta_{1}", r"\epsilon"}, {"beta1": r"\tilde{\beta}_1", "epsilon": r"\tilde{\epsilon}"}),
    (ADAM, {r"\beta"}, {}),  # β itself is not β₁
    (NESTEROV, {"g"}, {"g": r"\tilde{g}"}),  # never d, Nesterov's look-ahead: a letter means one thing
    (NESTEROV, {"d"}, {"d": r"\tilde{d}"}),
    (NESTEROV, {"w", "b"}, {}),  # w is the parameter itself
    # a parameter named buf (italic) beside SGD's upright buf read "buf ← buf − η buf": marked whole
    (NESTEROV, {r"\mathit{buf}"}, {"buf": r"\widetilde{\mathrm{buf}}"}),
    (SGD, {"t", "m", "v"}, {}),  # plain SGD prints no t, m or v
    (SGD, {"g_{1}"}, {"g": r"\tilde{g}"}),  # an LSTM's gate g₁ beside the gradient g
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


def test_adam_on_a_graph_with_v_m_and_g_writes_p_r_and_g_tilde():
    md = _key(GRAPH)._repr_markdown_()
    assert ("$\\tilde{g} = \\partial L/\\partial w$ at the current parameters, $k$ the step; $\\tilde{g}$, $p$, $r$ "
            "and $k$ are written for the usual $g$, $m$, $v$ and $t$, which this problem uses (source:") in md
    assert (r"p \leftarrow \beta_1 p + (1 - \beta_1) \tilde{g},\quad r \leftarrow \beta_2 r + (1 - \beta_2) "
            r"\tilde{g}^{2}") in md
    assert "At $k = 1$ the bias corrections give $\\hat{p} = \\tilde{g}$ and $\\hat{r} = \\tilde{g}^2$." in md
    assert "**$v$.** $\\tilde{g} = \\partial L/\\partial v \\approx -1.275$ from the gradients above." in md
    assert (r"r &\leftarrow \beta_2 r + (1 - \beta_2) \tilde{g}^{2} \approx (0.999)(0) + (1 - 0.999)(-1.275)^{2} \\"
            "\n" r"&\approx 0.001625") in md
    assert r"v &\leftarrow v - \eta\, \frac{\hat{p}}{\sqrt{\hat{r}} + \epsilon} \approx -0.3 - (0.1)\, " in md
    assert (r"| $\text{step}$ | $\text{parameter}$ | $\tilde{g}$ | $p$ | $r$ | $\hat{p}$ | $\hat{r}$ | "
            r"$w \text{ after}$ |") in md
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
    assert mine[("state", "mhat", "w", 2)][1] == r"\hat{p}_{w}"


def test_momentum_note_on_step_one_follows_the_respelled_buffer():
    momentum = Settings(OPTIMIZERS["momentum"], {"learning_rate": 0.1, "momentum": 0.9})
    assert first_note(momentum) == " With $v_0 = 0$, $v_1 = g$."
    names = step_names({"v": "v", "g": "g"}, momentum)
    assert names == {"g": r"\tilde{g}", "v": "r"}
    assert first_note(momentum, names) == r" With $r_0 = 0$, $r_1 = \tilde{g}$."
    assert respelling_note(momentum, names) == (r"; $\tilde{g}$ and $r$ are written for the usual $g$ and $v$, "
                                                "which this problem uses")
    assert respelling_note(momentum, {}) == ""


def test_one_respelled_letter_is_said_in_the_singular():
    adam = Settings(OPTIMIZERS["adam"], {"learning_rate": 0.1, "weight_decay": 0})
    names = step_names({"v": "v"}, adam)
    assert respelling_note(adam, names) == "; $r$ is written for the usual $v$, which this problem uses"


def test_every_optimizer_text_a_key_prints_is_ascii_outside_its_math():
    """pdflatex stops on a raw μ ("Unicode character μ not set up"): the titles, sources and
    step-1 notes that keys print hold Greek only as LaTeX inside $…$ (momentum's source was
    "torch.optim.SGD(momentum=μ)", and every momentum key's PDF failed)."""
    import re

    for opt in OPTIMIZERS.values():
        hp = {p.name: p.default if p.default is not None else 1 for p in opt.params} | {f.name: True for f in opt.flags}
        spelled = opt.spellings(hp)
        for text in (opt.title, opt.sources(hp), opt.first_note(spelled)):
            prose = re.sub(r"\$[^$]*\$", "", text)
            assert prose.isascii(), (opt.key, text)


def test_a_tensor_key_with_weight_decay_reads_the_decayed_gradient_after_the_decay_line():
    """g ← ∂L/∂v + λv, then the moments read that g: the formula printed beside the first
    moment's matrix was (1 − β₁)(∂L/∂v), the gradient before the decay, while its numbers were
    of the decayed one (−0.07 = 0.1 × −0.7, not 0.1 × −0.8)."""
    graph = {"inputs": {"x": [1, 2], "t": [0.5, -1]}, "parameters": {"v": [[0.2, -0.1], [0.3, 0.4]], "m": [0.1, -0.2]},
             "nodes": {"g": "v @ x + m", "L": "sum(square(g - t))"}, "output": "L"}
    question = {"id": "q1", "ask": ["train"], "steps": 2,
                "optimizer": {"type": "adam", "learning_rate": "0.1", "weight_decay": "0.5"}}
    md = solve(load({"title": "t", "graph": graph, "questions": [question]}))._repr_markdown_()
    assert r"\tilde{g} &\leftarrow (\partial L / \partial v) + \lambda v \\" in md
    assert r"p &\leftarrow \beta_1 p + (1 - \beta_1) \tilde{g} \\" in md
    assert r"(1 - \beta_1)(\partial L / \partial v)" not in md
    assert r"\left[\begin{array}{rr} -0.07\phantom{0} & -0.165 \\ 0.395 & 0.78\phantom{0} \end{array}\right]" in md


def test_the_state_table_heads_the_raw_gradient_as_such_when_weight_decay_changes_g():
    graph = {**GRAPH, "parameters": {"w": "0.4", "a": "-0.3", "c": "0.2"},
             "nodes": {"h": "sigmoid(w * x) + c", "y": "a * h", "L": "(y - t)^2"}}
    plain = _key(graph, ("w", "a", "c"))._repr_markdown_()
    assert r"| $\text{step}$ | $\text{parameter}$ | $g$ | $m$ | $v$ |" in plain
    question = {**QUESTION, "gradients": ["w"], "optimizer": {"type": "adam", "learning_rate": "0.1",
                                                               "weight_decay": "0.1"}}
    decayed = solve(load({"title": "t", "graph": graph, "questions": [question]}))._repr_markdown_()
    assert r"| $\text{step}$ | $\text{parameter}$ | $\partial L/\partial w$ | $m$ | $v$ |" in decayed


def test_a_recurrent_network_keeps_t_for_its_time_steps():
    """BPTT's text counts time steps with t; Adam's step counter is then k."""
    rnn = {"title": "t", "network": {"inputs": {"x": [[1, 0], [0.5, -1]]}, "layers": [
        {"type": "rnn", "units": 2, "activation": "tanh", "weights": [[0.1, 0.2], [0.3, -0.4]],
         "recurrent_weights": [[0.5, -0.1], [0.2, 0.3]], "bias": [0, 0.1], "initial_state": [0, 0], "return": "last"},
        {"units": 1, "activation": "linear", "weights": [[1, -1]], "bias": 0}]},
        "loss": "sse", "target": [0.5],
        "questions": [{"id": "q1", "ask": ["train"], "steps": 2, "optimizer": {"type": "adam", "learning_rate": "0.1"}}]}
    md = solve(load(rnn))._repr_markdown_()
    assert "$k$ the step; $k$ is written for the usual $t$, which this problem uses" in md
    assert r"\beta_1^{t}" not in md and r"\beta_1^{k}" in md
