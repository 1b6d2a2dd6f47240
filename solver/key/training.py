"""The key of a training question: the first step derived in full, exactly, then a
table of the loss and the parameters as training goes on, and a plot of the loss."""

from __future__ import annotations

from fractions import Fraction

import mpmath
import sympy as sp

from ..core.errors import ProblemError
from ..core.numbers import DIGITS, display, normalize, written_latex
from ..graph.training import Settings, train
from ..ops.latex import columns_aligned
from ..ops.optimizers import OPTIMIZERS
from ..ops.params import resolve
from .model import Block, Equation, Part, Plot, Table, answer

MAX_PLOT_POINTS = 400


def optimizer_of(question) -> Settings:
    """The question's optimizer with its hyper-parameters (plain SGD at ``learning_rate``
    when none is given), defaults filled in."""
    o = question.optimizer
    if o is None:
        return Settings(OPTIMIZERS["sgd"], {"learning_rate": question.learning_rate})
    opt = OPTIMIZERS[o.type]
    return Settings(opt, resolve(opt.params, {p.name: getattr(o, p.name) for p in opt.params}))


def _settings(opt: Settings) -> str:
    """The hyper-parameters as the problem wrote them (decimals in, decimals out)."""
    return r",\ ".join(rf"{p.latex} = {written_latex(opt.hp[p.name])}" for p in opt.optimizer.params)


def first_step(b, params: list[str], opt: Settings) -> tuple[list[Equation], dict]:
    """Step 1 for every parameter, exactly, by the optimizer's own rule from a zero state
    (for momentum v₁ = g; for Adam m̂₁ = g and v̂₁ = g², the bias corrections cancel)."""
    g, sb, eqs, new = b.graph, b.sb, [], {}
    shown = {k: written_latex(v) for k, v in opt.hp.items()}
    for k in params:
        w, grad = b.values[k], b.grads.adjoint.get(k, sp.Integer(0))  # 0: a parameter the loss does not use
        ws, gs = sb.shown[k], sb.show(grad)
        nv = normalize(opt.optimizer.step(w, grad, {}, 1, opt.hp, sp.sqrt)[0])
        new[k] = nv
        nvs = sb.show(nv)
        eqs.append(Equation(g.latex[k], ((r"\leftarrow", opt.optimizer.first_step(ws.latex, gs.latex, shown)),
                                         (nvs.relation, nvs.latex))))
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
                    f"{opt.optimizer.title[:1].upper()}{opt.optimizer.title[1:]} with ${_settings(opt)}$, for {steps:,} "
                    f"step{'s' if steps > 1 else ''}"
                    + ("" if q.update_biases else " (biases are not updated)")
                    + "; $g = \\partial L/\\partial w$ at the current parameters:",
                    display=opt.optimizer.rule)]
    eqs, new = first_step(b, params, opt)
    blocks.append(Block("update", "Step 1 in full", "With the gradients above." + opt.optimizer.first_note,
                        tuple(eqs)))
    for k, v in new.items():
        b.answers.append(answer("update", k, g.latex[k], v, b.digits, step=1))
    tabled, points = run(b, params, opt, steps, every)
    rows = []
    header = (r"\text{step}", "L") + tuple(g.latex[k] for k in params)
    for s, loss in tabled:
        cells = [display(sp.Integer(s.step), 30).latex, display(loss, b.digits).latex]  # 1{,}000
        b.answers.append(answer("loss", "L", "L", loss, b.digits, step=s.step))
        for k in params:
            v = _exact(s.params[k])
            cells.append(display(v, b.digits).latex)
            if s.step > 1:
                b.answers.append(answer("update", k, g.latex[k], v, b.digits, step=s.step))
        rows.append(tuple(cells))
    table = Table("Loss and parameters during training" + (f" (every {every:,} steps)" if every > 1 else ""),
                  header, tuple(map(tuple, columns_aligned(rows))))
    last = tabled[-1][0]
    shown = display(_exact(last.loss), b.digits)
    b.final.append(rf"L {shown.relation} {shown.latex}\ \text{{after {steps:,} steps}}")
    plot = Plot(f"{q.id}-loss", "Loss against the step", "step", "loss", tuple(points))
    return Part("Training", tuple(blocks)), table, plot


def run(b, params: list[str], opt: Settings, steps: int, every: int):
    """Train, keeping a snapshot every ``every`` steps for the table (and the last) and up to
    :data:`MAX_PLOT_POINTS` for the plot: the tabled snapshots with their exact losses, and
    the plot's (step, loss) points.

    Raises:
        ValueError: the run diverged.
    """
    n_plot = max(1, steps // MAX_PLOT_POINTS)
    snaps = train(b.graph, b.grads, params, opt, steps, lambda t: t % every == 0 or t % n_plot == 0)
    points = [(s.step, float(s.loss)) for s in snaps if s.step % n_plot == 0 or s.step == steps]
    return [(s, _exact(s.loss)) for s in snaps if s.step % every == 0 or s.step == steps], points


def training_section(w, build):
    """The part that ``build()`` returns with its table and plot, which go to the question's
    tables and plots.

    Raises:
        ProblemError: the run diverged, naming the question.
    """
    try:
        part, table, plot = build()
    except ValueError as exc:
        raise ProblemError(f"training failed: {exc}", file=w.file, field=f"questions[{w.qi}]") from None
    w.extra_tables += (table,)
    w.plots += (plot,)
    return part


def _exact(v) -> sp.Expr:
    """A value of the run in sympy: an exact fraction stays exact (so that its display
    is decided on the exact value), an mpmath number becomes a DIGITS-digit Float."""
    if isinstance(v, Fraction):
        return normalize(sp.Rational(v.numerator, v.denominator))
    with mpmath.workdps(DIGITS + 5):
        return sp.Float(mpmath.nstr(mpmath.mpf(v), DIGITS, strip_zeros=False), DIGITS)
