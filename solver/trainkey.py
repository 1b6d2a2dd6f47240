"""The key of a training question: the first step derived in full, exactly, then a
table of the loss and the parameters as training goes on, and a plot of the loss."""

from __future__ import annotations

import mpmath
import sympy as sp

from .numbers import DIGITS, display, normalize
from .solution import Block, Part, Plot, Table, answer
from .steps import Equation
from .training import Optimizer, train

_RULES = {
    "sgd": r"w \leftarrow w - \eta\, g",
    "momentum": r"v \leftarrow \mu v + g,\quad w \leftarrow w - \eta\, v \quad (v_0 = 0)",
    "adam": (r"m \leftarrow \beta_1 m + (1 - \beta_1) g,\quad v \leftarrow \beta_2 v + (1 - \beta_2) g^2,\quad "
             r"\hat{m} = \frac{m}{1 - \beta_1^t},\quad \hat{v} = \frac{v}{1 - \beta_2^t},\quad "
             r"w \leftarrow w - \eta \frac{\hat{m}}{\sqrt{\hat{v}} + \epsilon}"),
}
_NAMES = {"sgd": "plain gradient descent (SGD)", "momentum": "SGD with momentum (PyTorch's form)",
          "adam": "Adam (Kingma and Ba, 2015)"}
MAX_PLOT_POINTS = 400


def optimizer_of(question) -> Optimizer:
    """The question's optimizer (plain SGD at ``learning_rate`` when none is given)."""
    o = question.optimizer
    if o is None:
        return Optimizer("sgd", question.learning_rate, 0, 0, 0, 0)
    return Optimizer(o.type, o.learning_rate, o.momentum, o.beta1, o.beta2, o.epsilon)


def _settings(opt: Optimizer) -> str:
    items = [rf"\eta = {display(opt.rate, 15).latex}"]
    if opt.kind == "momentum":
        items.append(rf"\mu = {display(opt.momentum, 15).latex}")
    if opt.kind == "adam":
        items += [rf"\beta_1 = {display(opt.beta1, 15).latex}", rf"\beta_2 = {display(opt.beta2, 15).latex}",
                  rf"\epsilon = {display(opt.epsilon, 15).latex}"]
    return ", ".join(items)


def first_step(b, params: list[str], opt: Optimizer) -> tuple[list[Equation], dict]:
    """Step 1 for every parameter, exactly: for momentum v₁ = g, for Adam m̂₁ = g and
    v̂₁ = g² (the bias corrections cancel), so each update has a closed form."""
    g, sb, eqs, new = b.graph, b.sb, [], {}
    eta = display(opt.rate, 15).latex
    for k in params:
        w, grad = b.values[k], b.grads.adjoint.get(k, sp.Integer(0))  # 0: a parameter the loss does not use
        ws, gs = sb.shown[k], sb.show(grad)
        if opt.kind in ("sgd", "momentum"):
            nv = normalize(w - opt.rate * grad)
            num = f"{ws.latex} - ({eta})({gs.latex})"
        else:
            nv = normalize(w - opt.rate * grad / (sp.Abs(grad) + opt.epsilon))
            eps = display(opt.epsilon, 15).latex
            num = rf"{ws.latex} - ({eta}) \frac{{{gs.latex}}}{{\sqrt{{({gs.latex})^2}} + {eps}}}"
        new[k] = nv
        nvs = sb.show(nv)
        eqs.append(Equation(g.latex[k], ((r"\leftarrow", num), (nvs.relation, nvs.latex))))
    return eqs, new


def training_part(b, params: list[str]):
    """The Training part, its table and plot, and the answers shown in them.

    Args:
        b: the question's SectionBuilder (graph, values, gradients, answers).
        params: the parameters trained (weights, and biases unless excluded).

    Raises:
        ValueError: the run diverged (a loss that is not a finite number).
    """
    q, g = b.q, b.graph
    opt = optimizer_of(q)
    steps = q.steps
    every = q.table_every or (1 if steps <= 20 else max(1, steps // 10))
    blocks = [Block("note", "Optimizer",
                    f"{_NAMES[opt.kind]} with ${_settings(opt)}$, for {steps} "
                    f"step{'s' if steps > 1 else ''}"
                    + ("" if q.update_biases else " (biases are not updated)")
                    + "; $g = \\partial L/\\partial w$ at the current parameters:",
                    display=_RULES[opt.kind])]
    eqs, new = first_step(b, params, opt)
    note = {"sgd": "", "momentum": r" With $v_0 = 0$, $v_1 = g$.",
            "adam": r" At $t = 1$ the bias corrections give $\hat{m} = g$ and $\hat{v} = g^2$."}[opt.kind]
    blocks.append(Block("update", "Step 1 in full", "With the gradients above." + note, tuple(eqs)))
    for k, v in new.items():
        b.answers.append(answer("update", k, g.latex[k], v, b.digits, step=1))
    n_plot = max(1, steps // MAX_PLOT_POINTS)
    snaps = train(g, b.grads, params, opt, steps, lambda t: t % every == 0 or t % n_plot == 0)
    rows, points = [], []
    header = (r"\text{step}", "L") + tuple(g.latex[k] for k in params)
    for s in snaps:
        if s.step % n_plot == 0 or s.step == steps:
            points.append((s.step, float(s.loss)))
        if s.step % every and s.step != steps:
            continue
        loss = _exact(s.loss)
        cells = [str(s.step), display(loss, b.digits).latex]
        b.answers.append(answer("loss", "L", "L", loss, b.digits, step=s.step))
        for k in params:
            v = _exact(s.params[k])
            cells.append(display(v, b.digits).latex)
            if s.step > 1:
                b.answers.append(answer("update", k, g.latex[k], v, b.digits, step=s.step))
        rows.append(tuple(cells))
    table = Table("Loss and parameters during training" + (f" (every {every} steps)" if every > 1 else ""),
                  header, tuple(rows))
    last = snaps[-1]
    b.final.append(rf"L \approx {display(_exact(last.loss), b.digits).latex}\ \text{{after {steps} steps}}")
    plot = Plot(f"{q.id}-loss", "Loss against the step", "step", "loss", tuple(points))
    return Part("Training", tuple(blocks)), table, plot


def _exact(v: mpmath.mpf) -> sp.Float:
    return sp.Float(mpmath.nstr(v, DIGITS, strip_zeros=False), DIGITS)
