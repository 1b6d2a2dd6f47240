"""The key of a training question: the optimizer's rule once, steps 1 and 2 derived in
full, then tables of the loss, the parameters and the optimizer's state as training
goes on, and a plot of the loss."""

from __future__ import annotations

import re

import sympy as sp

from ..core.errors import ProblemError
from ..core.numbers import display, written_latex
from ..graph.training import Settings, train
from ..ops.latex import columns_aligned
from ..ops.optimizers import OPTIMIZERS
from ..ops.params import resolve
from .model import Block, Part, Plot, Table, answer
from .optimizer_steps import (
    exact_value,
    first_note,
    graph_step_names,
    respelling_note,
    state_table,
    step_blocks,
)

_exact = exact_value  # the name the tensor key imports

MAX_PLOT_POINTS = 400


def optimizer_of(question) -> Settings:
    """The question's optimizer with its hyper-parameters (plain SGD at ``learning_rate``
    when none is given), defaults filled in, and its flags (``nesterov``) as booleans."""
    o = question.optimizer
    if o is None:
        return Settings(OPTIMIZERS["sgd"], resolve(OPTIMIZERS["sgd"].params, {"learning_rate": question.learning_rate})
                        | {"nesterov": False})
    opt = OPTIMIZERS[o.type]
    hp = resolve(opt.params, {p.name: getattr(o, p.name) for p in opt.params})
    return Settings(opt, hp | {f.name: bool(getattr(o, f.name, None)) for f in opt.flags})


def _settings(opt: Settings, names: dict | None = None) -> str:
    r"""The hyper-parameters as the problem wrote them (decimals in, decimals out), each named by
    its field unless the field is its letter's name, the ones at 0 that switch a line off
    (momentum, weight decay) left out: ``learning rate $\eta = 0.1$, momentum $\mu = 0.9$, $\beta_1
    = 0.9$`` (each setting its own formula), each symbol respelled by ``names``."""
    names = names or {}
    shown = [("" if re.sub(r"[^a-z]", "", p.name) == re.sub(r"[^a-z]", "", p.latex.split("_")[0])
              else p.name.replace("_", " ") + " ") + rf"${names.get(p.name, p.latex)} = {written_latex(opt.hp[p.name])}$"
             for p in opt.optimizer.params if opt.hp[p.name] != 0 or p.name == "learning_rate"]
    shown += [f.name.replace("_", " ") for f in opt.optimizer.flags if opt.hp.get(f.name)]  # prose, as above
    return ", ".join(shown)


def table_every(question) -> int:
    """Every how many steps the tables give a row: ``table_every`` (at most the run's length, so
    that "every 10 steps" never heads a 3-step run's steps 0 and 3), else every step of a run of
    up to 20 and a tenth of a longer one."""
    steps = question.steps
    return min(steps, question.table_every or (1 if steps <= 20 else max(1, steps // 10)))


def optimizer_words(graph, question) -> str:
    """The question's optimizer and settings as its paper states them: ``stochastic gradient
    descent (SGD) with learning rate $\\eta = 0.1$, momentum $\\mu = 0.9$, nesterov``, and
    whether the biases are updated (the key's names: :func:`.optimizer_steps.graph_step_names`)."""
    opt = optimizer_of(question)
    return (f"{opt.optimizer.title} with {_settings(opt, graph_step_names(graph, opt))}"
            + ("" if question.update_biases else " (biases are not updated)"))


def optimizer_note(opt: Settings, steps: int, what: str, names: dict | None = None) -> Block:
    """The optimizer, its settings and its update rule, once, with its source (the symbols
    respelled by ``names``, and which: :func:`.optimizer_steps.step_names`)."""
    rule = opt.optimizer
    names = names or {}
    t = any("t" in x.formula.symbols() for x in rule.lines(opt.hp, False))
    return Block("note", "Optimizer",
                 f"{rule.title[:1].upper()}{rule.title[1:]} with {_settings(opt, names)}, for {steps:,} "
                 f"step{'s' if steps > 1 else ''}{what}; ${names.get('g', 'g')} = \\partial L/\\partial w$ at the "
                 f"current parameters{', $' + names.get('t', 't') + '$ the step' if t else ''}"
                 f"{respelling_note(opt, names)} (source: {rule.sources(opt.hp)}):",
                 display=rule.rule(opt.hp, names))


def training_part(b, params: list[str]):
    """The Training part, its tables and plot, and the answers shown in them: steps 1
    and 2 derived in full (step 2 is where momentum and the bias corrections first act,
    from the gradients at the parameters after step 1), then the loss and the parameters
    every ``table_every`` steps, and the optimizer's state (when it has one).

    Args:
        b: the question's SectionBuilder (graph, values, gradients, answers).
        params: the parameters trained (weights, and biases unless excluded).

    Raises:
        ValueError: the run diverged (a loss that is not a finite number).
    """
    q, g = b.q, b.graph
    opt = optimizer_of(q)
    steps = q.steps
    every = table_every(q)
    renamed = graph_step_names(g, opt)
    blocks = [optimizer_note(opt, steps, "" if q.update_biases else " (biases are not updated)", renamed)]
    grads = {k: b.grads.adjoint.get(k, sp.Integer(0)) for k in params}  # 0: a parameter the loss does not use
    stateful = bool(opt.optimizer.shown(opt.hp))
    first, new = step_blocks(b, opt, 1, params, b.values, grads, {}, "from the gradients above",
                             ("From a zero state." if stateful else "") + first_note(opt, renamed), renamed)
    blocks += first
    for k, v in new.items():
        b.answers.append(answer("update", k, g.latex[k], v, b.digits, step=1))
    snaps, points = run(b, params, opt, steps, every)
    tabled = [s for s in snaps if s.step % every == 0 or s.step == steps]
    if steps >= 2:
        one, two = (next(s for s in snaps if s.step == n) for n in (1, 2))
        second, _ = step_blocks(b, opt, 2, params, {k: exact_value(v) for k, v in one.params.items()},
                                {k: exact_value(v) for k, v in two.grads.items()},
                                {k: {n: exact_value(v) for n, v in st.items()} for k, st in one.state.items()},
                                "at the parameters after step 1",
                                "With the state after step 1." if stateful else "", renamed)
        blocks += second
    rows = []
    header = (r"\text{step}", "L") + tuple(g.latex[k] for k in params)
    for s in tabled:
        loss = exact_value(s.loss)
        cells = [display(sp.Integer(s.step), 30).latex, display(loss, b.digits).latex]  # 1{,}000
        b.answers.append(answer("loss", "L", "L", loss, b.digits, step=s.step))
        for k in params:
            v = exact_value(s.params[k])
            cells.append(display(v, b.digits).latex)
            if s.step > 1:
                b.answers.append(answer("update", k, g.latex[k], v, b.digits, step=s.step))
        rows.append(tuple(cells))
    tables = [Table("Loss and parameters during training" + (f" (every {every:,} steps)" if every > 1 else ""),
                    header, tuple(map(tuple, columns_aligned(rows))))]
    state, state_answers = state_table(b, opt, params, tabled, every, renamed)
    if state is not None:
        tables.append(state)
        b.answers.extend(state_answers)
    after = {k: exact_value(v) for k, v in tabled[-1].params.items()}
    b.final.extend(line + rf"\ \text{{after {steps:,} steps}}"  # a layer's weights as its matrix
                   for line in b.final_lines(list(params), after.__getitem__, lambda name: name, "="))
    shown = display(exact_value(tabled[-1].loss), b.digits)
    b.final.append(rf"L {shown.relation} {shown.latex}\ \text{{after {steps:,} steps}}")
    plot = Plot(f"{q.id}-loss", "Loss against the step", "step", "loss", tuple(points))
    return Part("Training", tuple(blocks)), tuple(tables), plot


def run(b, params: list[str], opt: Settings, steps: int, every: int):
    """Train, keeping a snapshot every ``every`` steps for the table (steps 1 and 2 for
    their derivations, and the last) and up to :data:`MAX_PLOT_POINTS` for the plot (the
    loss alone): the kept snapshots and the plot's (step, loss) points.

    Raises:
        ValueError: the run diverged.
    """
    n_plot = max(1, steps // MAX_PLOT_POINTS)
    snaps = train(b.graph, b.grads, params, opt, steps, lambda t: t % every == 0 or t % n_plot == 0 or t <= 2,
                  full=lambda t: t % every == 0 or t <= 2)
    points = [(s.step, float(s.loss)) for s in snaps if s.step % n_plot == 0 or s.step == steps]
    return snaps, points


def training_section(w, build):
    """The part that ``build()`` returns with its table and plot, which go to the question's
    tables and plots.

    Raises:
        ProblemError: the run diverged, naming the question.
    """
    try:
        part, tables, plot = build()
    except ValueError as exc:
        raise ProblemError(f"training failed: {exc}", file=w.file, field=f"questions[{w.qi}]") from None
    w.extra_tables += tables
    w.plots += (plot,)
    return part


