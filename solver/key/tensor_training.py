"""Updates and training of a tensor graph or a convolutional network: the optimizer's
rule written for whole tensors, the first step's new values as matrices, then a table
of the loss as training goes on, a plot, and the parameters after the run as matrices.
The arithmetic is the scalar graph's (:func:`solver.graph.training.train`), element by
element."""

from __future__ import annotations

import sympy as sp

from ..core.numbers import display, normalize, written_latex
from ..graph.model import PARAMETER_KINDS
from ..ops.latex import columns_aligned, partial
from .model import Block, Equation, Part, Plot, Table, answer
from .optimizer_steps import first_note, graph_step_names, line_values
from .question import QuestionWork
from .tensor_backward import tensor_asked
from .tensor_display import tensor_answer, tensor_equations
from .training import _exact, optimizer_note, optimizer_of, run, table_every


def _trained(w: QuestionWork):
    return [t for t in tensor_asked(w) if t.kind in PARAMETER_KINDS and (w.q.update_biases or t.kind != "bias")]


def tensor_update_part(w: QuestionWork) -> Part:
    """One step of gradient descent on every asked tensor, θ ← θ − η ∂L/∂θ, as matrices."""
    rate = w.q.learning_rate
    blocks = []
    for t in _trained(w):
        new = {k: normalize(w.graph.by_key_values[k] - rate * w.grads.adjoint.get(k, 0)) for k in t.elements}
        rule = Equation(t.latex, ((r"\leftarrow", rf"{t.latex} - {written_latex(rate)}\, {partial(w.out, t.latex)}"),))
        lines = tensor_equations(t.latex, t, new.__getitem__, w.digits, r"\leftarrow")
        blocks.append(Block("update", f"Update of ${t.latex}$", "", (rule, *lines)))
        w.answers.append(tensor_answer("update", t, new.__getitem__, w.digits, t.latex) if t.shape
                         else answer("update", t.key, t.latex, new[t.elements[0]], w.digits))
        w.final.extend(e.inline for e in lines)
    return Part(f"Update (gradient descent, $\\eta = {written_latex(rate)}$)", tuple(blocks))


def _answer(t, values: dict, digits: int, step: int):
    """The answer of a parameter tensor's values after ``step`` steps."""
    if t.shape:
        return tensor_answer("update", t, values.__getitem__, digits, t.latex, step)
    return answer("update", t.key, t.latex, values[t.elements[0]], digits, step=step)


def _step_blocks(w: QuestionWork, opt, t: int, tensors, values: dict, grads: dict, state: dict, renamed: dict,
                 before: frozenset = frozenset()) -> list[Block]:
    """Step ``t`` on every trained tensor: each of the optimizer's lines for the whole tensor,
    then its values as a matrix, from the elements' values, gradients and states before it;
    an equation in ``before`` (step 1's: a line, a slice that did not move) is not repeated."""
    rows = {k: line_values(opt, t, values[k], grads[k], state.get(k, {})) for tt in tensors for k in tt.elements}
    blocks = []
    for tt in tensors:
        # g reads the gradient itself until a line (weight decay) assigns it
        names = {**renamed, "w": tt.latex, "g": rf"(\partial {w.out} / \partial {tt.latex})"}
        eqs = []
        for i, line in enumerate(opt.optimizer.lines(opt.hp, t == 1)):
            lhs = tt.latex if line.name == "w" else line.lhs(renamed)
            eqs.append(Equation(lhs, ((line.op, line.latex(names=names)),)))
            if line.name == "g":
                names["g"] = lhs
            rel = r"\leftarrow" if line.op != "=" else "="
            eqs += tensor_equations(lhs, tt, lambda k, i=i: rows[k][i][2], w.digits, rel)
        eqs = [e for e in eqs if e.inline not in before]
        if eqs:
            blocks.append(Block("update", f"Step {t}: ${tt.latex}$", "", tuple(eqs)))
    return blocks


def tensor_training_part(w: QuestionWork):
    """The Training part, its table of the loss, and its plot: steps 1 and 2 as matrices
    (each of the optimizer's lines for every element), then the loss as training goes on
    and the parameters after the run.

    Raises:
        ValueError: the run diverged.
    """
    q = w.q
    opt = optimizer_of(q)
    steps = q.steps
    every = table_every(q)
    tensors = _trained(w)
    params = [k for t in tensors for k in t.elements]
    renamed = graph_step_names(w.graph, opt)
    blocks = [optimizer_note(opt, steps, ", on every element of " + ", ".join(f"${t.latex}$" for t in tensors),
                             renamed)]
    grads = {k: w.grads.adjoint.get(k, sp.Integer(0)) for k in params}
    first = _step_blocks(w, opt, 1, tensors, w.values, grads, {}, renamed)
    stateful = bool(opt.optimizer.shown(opt.hp))
    blocks.append(Block("update", "Step 1 in full", "With the gradients above" + (", from a zero state." if stateful
                                                                                  else ".") + first_note(opt, renamed)))
    blocks += first
    for t in tensors:
        new = {k: line_values(opt, 1, w.values[k], grads[k], {})[-1][2] for k in t.elements}
        w.answers.append(_answer(t, new, w.digits, 1))
    snaps, points = run(w, params, opt, steps, every)
    if steps >= 2:
        one, two = (next(s for s in snaps if s.step == n) for n in (1, 2))
        blocks.append(Block("update", "Step 2 in full", "At the parameters after step 1"
                            + (", with the state after it" if stateful else "")
                            + "; what is as in step 1 is not repeated."))
        blocks += _step_blocks(w, opt, 2, tensors, {k: _exact(v) for k, v in one.params.items()},
                               {k: _exact(v) for k, v in two.grads.items()},
                               {k: {n: _exact(v) for n, v in st.items()} for k, st in one.state.items()},
                               renamed, frozenset(e.inline for b in first for e in b.equations))
    tabled = [s for s in snaps if s.step % every == 0 or s.step == steps]
    rows = []
    for s in tabled:
        loss = _exact(s.loss)
        rows.append((display(sp.Integer(s.step), 30).latex, display(loss, w.digits).latex))
        w.answers.append(answer("loss", "L", "L", loss, w.digits, step=s.step))
        if s.step > 1:
            now = {k: _exact(v) for k, v in s.params.items()}
            w.answers.extend(_answer(t, now, w.digits, s.step) for t in tensors)
    last = tabled[-1]
    after = {k: _exact(v) for k, v in last.params.items()}
    lines = []
    for t in tensors:
        eqs = tensor_equations(t.latex, t, after.__getitem__, w.digits)
        lines += eqs
        w.final.extend(e.inline + rf"\ \text{{after {steps:,} steps}}" for e in eqs)
    blocks.append(Block("update", f"After {steps:,} steps", "", tuple(lines)))
    table = Table("Loss during training" + (f" (every {every:,} steps)" if every > 1 else ""),
                  (r"\text{step}", "L"), tuple(map(tuple, columns_aligned(rows))))
    shown_loss = display(_exact(last.loss), w.digits)
    w.final.append(rf"L {shown_loss.relation} {shown_loss.latex}\ \text{{after {steps:,} steps}}")
    plot = Plot(f"{q.id}-loss", "Loss against the step", "step", "loss", tuple(points))
    return Part("Training", tuple(blocks)), (table,), plot
