"""Order and repetition in a key: every quantity is computed after what it uses, every
activation is defined before it is used, and nothing an earlier question derived is
derived again (it is referred back to, "From Question 1: …")."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from msgspec.structs import replace

from solver.core.options import Options
from solver.key.solve import solve
from solver.problem.loader import load_problem

ROOT = Path(__file__).resolve().parent.parent
PROBLEMS = sorted((ROOT / "problems").glob("*.yaml"))


def _keys():
    """(name, style, solution) for every bundled problem in every style it has."""
    for path in PROBLEMS:
        problem = load_problem(path)
        styles = ("graph",) if problem.graph is not None else ("neuron", "matrix", "graph")
        for style in styles:
            if style == "matrix" and problem.network is None:
                continue
            yield path.stem, style, solve(problem, path.stem, Options(style=style))


KEYS = list(_keys())
IDS = [f"{name}-{style}" for name, style, _ in KEYS]


def _blocks(solution):
    """Every block of the key in reading order, with the question it is in."""
    for b in solution.given:
        yield "given", b
    for sec in solution.sections:
        for part in sec.parts:
            for b in part.blocks:
                yield sec.id, b


def uses(name: str, text: str) -> bool:
    """``name`` occurs in ``text`` as itself (``h_{1}`` is not in ``z_{h_{1}}`` or ``h_{1}^{[2]}``)."""
    for m in re.finditer(re.escape(name), text):
        before, after = text[max(0, m.start() - 2):m.start()], text[m.end():m.end() + 1]
        if before == "_{" or after in ("^", "_") or (name[:1].isalpha() and before[-1:].isalpha()):
            continue
        if name[-1:].isalpha() and after.isalpha():
            continue
        return True
    return False


@pytest.mark.parametrize(("name", "style", "solution"), KEYS, ids=IDS)
def test_every_quantity_is_defined_before_it_is_used(name, style, solution):
    eqs = [eq for _, b in _blocks(solution) if b.kind != "recap" for eq in b.equations]
    defined = {}
    for i, eq in enumerate(eqs):
        if eq.lhs and eq.parts and eq.parts[0][0] == "=":
            defined.setdefault(eq.lhs, i)
    late = [(eq.lhs or eq.inline, lhs) for i, eq in enumerate(eqs) for lhs, at in defined.items()
            if at > i and lhs != eq.lhs and uses(lhs, " ".join(tex for _, tex in eq.parts))]
    assert late == [], f"{name} ({style}): used before its defining equation: {late[:3]}"


@pytest.mark.parametrize(("name", "style", "solution"), [k for k in KEYS if k[1] != "graph"],
                         ids=[i for i, k in zip(IDS, KEYS) if k[1] != "graph"])
def test_every_activation_is_defined_before_it_is_used(name, style, solution):
    shown = ""
    missing = []
    for _, b in _blocks(solution):
        for eq in b.equations:
            sigmoid = re.search(r"\\sigma(?!\^)", eq.inline)  # σ², a variance (batch norm), is not the sigmoid
            for fn in set(re.findall(r"\\operatorname\{(\w+)\}", eq.inline)) | ({"sigma"} if sigmoid else set()):
                if f"{{{fn}}}" not in shown and f"\\{fn}" not in shown:
                    missing.append((fn, eq.lhs))
        shown += " " + b.display + " " + b.text
    assert missing == [], f"{name} ({style}): functions used before their definition: {missing[:3]}"


@pytest.mark.parametrize(("name", "style", "solution"), KEYS, ids=IDS)
def test_nothing_is_derived_twice(name, style, solution):
    seen_eqs, seen_defs, seen_tables, twice = {}, {}, {}, []
    for where, b in _blocks(solution):
        if b.kind == "recap" or where == "given":
            continue
        for eq in b.equations:
            # an optimizer's line is one parameter's (its block's title): w₂'s and w₅'s v̂ may read alike
            sig = (b.title, eq.lhs, eq.parts) if b.kind == "step_of" else (eq.lhs, eq.parts)
            if sig in seen_eqs:
                twice.append((where, seen_eqs[sig], eq.lhs))
            seen_eqs.setdefault(sig, where)
        if b.display:
            if b.display in seen_defs:
                twice.append((where, seen_defs[b.display], b.display[:40]))
            seen_defs.setdefault(b.display, where)
    for sec in solution.sections:
        for t in sec.tables:
            sig = (t.header, t.rows)
            if sig in seen_tables:
                twice.append((sec.id, seen_tables[sig], t.title))
            seen_tables.setdefault(sig, sec.id)
    assert twice == [], f"{name} ({style}): derived again (question, first derived in, what): {twice[:3]}"


def _section(solution, qid):
    return next(s for s in solution.sections if s.id == qid)


def _md(solution, qid) -> str:
    sec = _section(solution, qid)
    return "\n".join(f"{b.title} {b.text} {b.display} " + " ".join(eq.inline for eq in b.equations)
                     for part in sec.parts for b in part.blocks)


def test_relu_2_2_2_refers_back_instead_of_recomputing():
    s = solve(load_problem(ROOT / "problems" / "relu-2-2-2.yaml"), "x", Options(style="neuron"))
    cont, q3 = _section(s, "q2-all"), _section(s, "q3")
    recaps = {b.title: b.display for part in cont.parts for b in part.blocks if b.kind == "recap"}
    assert set(recaps) == {"From Question 1", "From Question 2"}
    assert r"\frac{\partial L}{\partial z_{h_{2}}} = -0.052" in recaps["From Question 2"]
    assert r"\frac{\partial L}{\partial w_{3}} = -0.052" in recaps["From Question 2"]
    text = _md(s, "q2-all")
    assert r"\frac{\partial L}{\partial h_{1}} = \frac{\partial L}{\partial z_{o_{1}}}" in text  # new: derived
    assert r"\frac{\partial L}{\partial h_{2}} = \frac{\partial L}{\partial z_{o_{1}}}" not in text  # Q2's: recalled
    # Q3: the hidden and output layers are Question 1's (recalled in one block); the softmax is new.
    fwd = next(p for p in q3.parts if p.heading == "Forward pass")
    assert fwd.blocks[0].title == "From Question 1"
    assert r"h_{1} = 0.5" in fwd.blocks[0].display and r"o_{2} = 0.64" in fwd.blocks[0].display
    assert [b.title for b in fwd.blocks[1:]] == ["Softmax output", "Softmax"]
    # the answers are unchanged: Q3 still answers its forward values and every gradient
    assert {a.of for a in q3.answers if a.kind == "value"} >= {"h1", "o2", "p1", "p2"}


def test_update_question_recalls_the_gradients_once():
    s = solve(load_problem(ROOT / "problems" / "leaky-relu-4-3-2-bce.yaml"), "x", Options(style="neuron"))
    c = _section(s, "c")
    assert [p.heading for p in c.parts] == ["Backward pass", "Update"]
    (recap,) = c.parts[0].blocks
    assert recap.title == "From part (b)" and r"\frac{\partial L}{\partial W^{(1)}} \approx" in recap.display
    (table,) = c.tables
    assert table.title == "Table of updates" and table.header[-1] == r"\text{updated}" and len(table.header) == 3


@pytest.mark.parametrize("style", ["neuron", "matrix"])
def test_after_an_update_nothing_from_before_it_is_recalled(style):
    # the penalty R and the outputs o written after the update are the new values: recalling
    # Question 1's R = 0.0024 and o = 0.41, 0.64 above them said they were used here
    s = solve(load_problem(ROOT / "problems" / "nesterov-adamw.yaml"), "x", Options(style=style))
    after = _section(s, "after")
    assert [p.heading for p in after.parts] == ["Backward pass", "Update", "After the update"]
    (recap,) = after.parts[0].blocks
    assert recap.kind == "recap" and r"\frac{\partial L}{\partial W^{(1)}}" in recap.display
    text = _md(s, "after")
    assert "R = 0.0024" not in text and "o_{1} = 0.41" not in text
    assert "The loss falls from $0.3001$ to $0.1731$" in text


def test_xor_states_sigma_once_and_training_questions_recall_the_gradients():
    s = solve(load_problem(ROOT / "problems" / "xor-2-2-1-training.yaml"), "x", Options(style="neuron"))
    displays = [b.display for _, b in _blocks(s) if b.display.startswith(r"\sigma(z)")]
    assert len(displays) == 1
    for qid in ("three-steps", "long-run"):
        sec = _section(s, qid)
        assert sec.parts[0].heading == "Backward pass"
        assert sec.parts[0].blocks[0].title == "From Question 1"
        assert not any(t.title == "Table of gradients" for t in sec.tables)


def test_neuron_style_computes_logits_before_the_softmax():
    for name in ("leaky-relu-4-3-2-bce", "relu-3-4-3-softmax-ce"):
        s = solve(load_problem(ROOT / "problems" / f"{name}.yaml"), "x", Options(style="neuron"))
        titles = [b.title for part in s.sections[0].parts for b in part.blocks]
        assert titles.index("Softmax") > max(i for i, t in enumerate(titles) if t.startswith("Neuron"))


def test_softmax_delta_defines_its_jacobian_and_multiplies_rows_on_the_right():
    s = solve(load_problem(ROOT / "problems" / "leaky-relu-4-3-2-bce.yaml"), "x", Options(style="matrix"))
    eqs = {eq.lhs: eq for part in _section(s, "b").parts for b in part.blocks for eq in b.equations}
    assert eqs["J"].parts[0] == ("=", r"\frac{\partial p}{\partial o}")  # the statement's o and p
    assert eqs[r"\delta^{(2)}"].parts[0] == ("=", r"\frac{\partial L}{\partial p} J")  # z = x W: rows


def test_batch_output_error_has_its_formula():
    s = solve(load_problem(ROOT / "problems" / "xor-2-2-1-training.yaml"), "x", Options(style="matrix"))
    eqs = {eq.lhs: eq for part in s.sections[0].parts for b in part.blocks for eq in b.equations}
    first = eqs[r"\frac{\partial L}{\partial A^{(2)}}"].parts[0]
    assert first[0] == "=" and r"\frac{1}{2} \left(o_{1}^{[1]} - y_{1}^{[1]}\right)" in first[1]


def test_a_paper_states_the_optimizer_the_loss_and_its_penalty():
    # "Asked: 3 steps of training, with the loss along the way" was all the paper said: no
    # optimizer, no settings, no loss and no λ, so a student could not do the question
    s = solve(load_problem(ROOT / "problems" / "nesterov-adamw.yaml"), "x", Options(style="neuron"))
    loss = r"Loss: sum of squared errors, plus the weight penalty $R = \frac{0.01}{2} \sum w^2$ on the weights."
    assert _section(s, "nesterov").asked == (
        r"Asked: 3 steps of training with the loss along the way, by stochastic gradient descent (SGD) with "
        r"learning rate $\eta = 0.1$, momentum $\mu = 0.9$, nesterov. " + loss)
    assert r"weight decay $\tilde{\lambda} = 0.01$. " + loss in _section(s, "adamw").asked  # the key's λ̃
    assert _section(s, "after").asked == r"Asked: one step of gradient descent with $\eta = 0.1$; the loss after " \
                                         r"the update. " + loss


def test_a_paper_says_when_biases_are_not_updated_and_names_a_tensor_networks_loss():
    s = solve(load_problem(ROOT / "problems" / "weight-decay-batch.yaml"), "x", Options(style="neuron"))
    assert "plus the weight penalty $R = \\frac{0.1}{2} \\sum w^2$ on the weights)" in s.sections[0].asked
    for stem, qid, loss in [("cnn-small", "q1", "the loss (cross-entropy)"),
                            ("gru-sequence", "q1", "the loss (mean squared error of each step's output and "
                                                   "target, summed over the 3 steps)")]:
        s = solve(load_problem(ROOT / "problems" / f"{stem}.yaml"), "x", Options(style="neuron"))
        assert loss in _section(s, qid).asked, stem
    p = load_problem(ROOT / "problems" / "leaky-relu-4-3-2-bce.yaml")
    q = replace(p.questions[2], update_biases=False)
    s = solve(replace(p, questions=[*p.questions[:2], q]), "x", Options(style="neuron"))
    assert s.sections[2].asked == (r"Asked: one step of gradient descent with $\eta = 0.1$ (biases are not "
                                   "updated). Loss: binary cross-entropy, averaged over the 2 outputs.")
