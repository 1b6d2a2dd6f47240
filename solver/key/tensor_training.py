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
from .question import QuestionWork
from .tensor_backward import tensor_asked
from .tensor_display import tensor_answer, tensor_equations
from .training import _exact, _settings, optimizer_of, run


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


def tensor_training_part(w: QuestionWork):
    """The Training part, its table of the loss, and its plot.

    Raises:
        ValueError: the run diverged.
    """
    q = w.q
    opt = optimizer_of(q)
    steps = q.steps
    every = q.table_every or (1 if steps <= 20 else max(1, steps // 10))
    tensors = _trained(w)
    params = [k for t in tensors for k in t.elements]
    shown = {k: written_latex(v) for k, v in opt.hp.items()}
    blocks = [Block("note", "Optimizer",
                    f"{opt.optimizer.title[:1].upper()}{opt.optimizer.title[1:]} with ${_settings(opt)}$, for "
                    f"{steps:,} step{'s' if steps > 1 else ''}, on every element of "
                    + ", ".join(f"${t.latex}$" for t in tensors) + "; $g = \\partial L/\\partial w$:",
                    display=opt.optimizer.rule)]
    first = []
    for t in tensors:
        new = {k: normalize(opt.optimizer.step(w.values[k], w.grads.adjoint.get(k, sp.Integer(0)), {}, 1, opt.hp,
                                               sp.sqrt)[0]) for k in t.elements}
        rule = opt.optimizer.first_step(t.latex, rf"\partial {w.out} / \partial {t.latex}", shown)
        first.append(Equation(t.latex, ((r"\leftarrow", rule),)))
        first += tensor_equations(t.latex, t, new.__getitem__, w.digits, r"\leftarrow")
        w.answers.append(_answer(t, new, w.digits, 1))
    blocks.append(Block("update", "Step 1 in full", "With the gradients above." + opt.optimizer.first_note,
                        tuple(first)))
    tabled, points = run(w, params, opt, steps, every)
    rows = []
    for s, loss in tabled:
        rows.append((display(sp.Integer(s.step), 30).latex, display(loss, w.digits).latex))
        w.answers.append(answer("loss", "L", "L", loss, w.digits, step=s.step))
        if s.step > 1:
            now = {k: _exact(v) for k, v in s.params.items()}
            w.answers.extend(_answer(t, now, w.digits, s.step) for t in tensors)
    last = tabled[-1][0]
    after = {k: _exact(v) for k, v in last.params.items()}
    lines = [Equation("", (("", rf"\text{{after {steps:,} steps}}"),))]
    for t in tensors:
        eqs = tensor_equations(t.latex, t, after.__getitem__, w.digits)
        lines += eqs
        w.final.extend(e.inline + rf"\ \text{{after {steps:,} steps}}" for e in eqs)
    blocks.append(Block("update", f"After {steps:,} steps", "", tuple(lines[1:])))
    table = Table("Loss during training" + (f" (every {every:,} steps)" if every > 1 else ""),
                  (r"\text{step}", "L"), tuple(map(tuple, columns_aligned(rows))))
    shown_loss = display(_exact(last.loss), w.digits)
    w.final.append(rf"L {shown_loss.relation} {shown_loss.latex}\ \text{{after {steps:,} steps}}")
    plot = Plot(f"{q.id}-loss", "Loss against the step", "step", "loss", tuple(points))
    return Part("Training", tuple(blocks)), table, plot
