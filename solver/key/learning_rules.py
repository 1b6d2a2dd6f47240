"""The key of a perceptron or delta-rule question (``ask: [perceptron]``, ``ask:
[delta_rule]``): the rule and its conventions, the first presentation (and the perceptron's
first mistake) worked in full with the numbers substituted, a table of every presentation,
a table of the epochs, whether the perceptron converged, and the answers (the weights after
every epoch, the final ones, each epoch's mistakes or squared error, the epoch of
convergence). The run itself is :func:`solver.graph.learning_rules.run_rule`; these
questions build no graph, so the unit is read from the problem."""

from __future__ import annotations

import sympy as sp

from ..core.errors import ProblemError
from ..core.names import latex_name
from ..core.numbers import written_latex
from ..graph.learning_rules import DEFAULT_EPOCHS, Run, epochs_of, run_rule, unit_of
from ..ops.activations import ACTIVATIONS
from .learning_steps import Numbers, epoch_table, presentation_table, worked
from .model import Block, Part, answer
from .question import gathered
from .separable import separability_block

W, X = r"\mathbf{w}", r"\mathbf{x}"
TITLES = {"perceptron": "Perceptron learning rule", "delta_rule": "Delta rule (Widrow–Hoff)"}


def rule_run(w, rule: str) -> Run:
    """The question's run of ``rule``, from the problem's unit.

    Raises:
        ProblemError: the problem is not a single unit the rule applies to, or the question's
            ``mode`` or ``epochs`` do not fit it.
    """
    q = w.q
    if rule == "perceptron" and q.mode == "batch":
        raise ProblemError("the perceptron rule here is online (one example at a time); mode: batch is for the "
                           "delta rule", file=w.file, field=f"questions[{w.qi}].mode")
    unit = unit_of(w.problem, q, w.qi, rule, w.file)
    epochs = epochs_of(q, w.qi, rule, len(unit.examples), w.file)
    return run_rule(unit, rule, q.learning_rate, epochs, q.mode or "online")


def rule_part(w, rule: str) -> Part:
    """The part of ``rule``; its tables go to ``w.extra_tables``, its answers and final lines
    to ``w.answers`` and ``w.final``."""
    run = rule_run(w, rule)
    nb = Numbers(w.digits)
    unit = run.unit
    blocks = [Block("note", "The rule", _setting(w, run), display=_rule_display(run))]
    act = ACTIVATIONS[unit.activation]
    line = act.definition_for({p.name: written_latex(unit.at_zero) for p in act.params})
    if unit.threshold and ("definition", line) not in w.shown_before:  # once per key
        w.shown_before.add(("definition", line))
        blocks.append(Block("definition", "", "", display=line))
    blocks += worked(run, nb)
    blocks += _at_zero(run)
    blocks.append(_outcome(run, nb))
    blocks += [b for b in (separability_block(run),) if b is not None]
    w.extra_tables += (presentation_table(run, nb), epoch_table(run, nb))
    _answers(w, run, nb)
    return Part(TITLES[rule], tuple(blocks))


def _examples_text(unit, nb: Numbers) -> str:
    names = ", ".join(latex_name(k) for k in unit.inputs)
    xs = "; ".join(f"${nb.vec(x)} \\to {nb.num(y)}$" for x, y in zip(unit.examples, unit.targets))
    return f"the {len(unit.examples)} example{'s' if len(unit.examples) > 1 else ''} $({names}) \\to y$: {xs}"


def _start(unit, nb: Numbers) -> str:
    names = ", ".join(latex_name(k) for k in unit.weight_names)
    start = f"${W} = ({names}) = {nb.vec(unit.weights)}$"
    if unit.bias is not None:
        start += f", $b = {latex_name(unit.bias_name)} = {nb.num(unit.bias)}$"
    else:
        start += " (no bias)"
    return start


def _setting(w, run: Run) -> str:
    """The rule's setting in a sentence: η, the order, when it stops, the start, the examples."""
    nb = Numbers(w.digits)
    eta = written_latex(run.eta)
    default = " (the default)" if w.q.epochs is None else ""
    if run.rule == "perceptron":
        how = (f"Online, one example at a time in the given order, epoch after epoch until an epoch makes no "
               f"mistake, at most {run.epochs_allowed} epochs{default}; $\\eta = {eta}$")
    elif run.mode == "batch":
        how = (f"Batch: in each epoch every example's error is computed with the weights the epoch starts with, "
               f"and the weights change once, at its end, by the sum of the examples' updates; "
               f"{run.epochs_allowed} epoch{'s' if run.epochs_allowed > 1 else ''}{default}; $\\eta = {eta}$")
    else:
        how = (f"Online, one example at a time in the given order, the weights updated after every example; "
               f"{run.epochs_allowed} epoch{'s' if run.epochs_allowed > 1 else ''}{default}; $\\eta = {eta}$")
    text = f"{how}. From {_start(run.unit, nb)}, on {_examples_text(run.unit, nb)}."
    if run.rule == "delta_rule":
        text += r" The error is $y - z$ on the linear output $z$, and $\frac{1}{2}(y - z)^2$ its squared error"
        text += (f"; $\\hat{{y}} = {ACTIVATIONS[run.unit.activation].latex}(z)$ (ADALINE's threshold) is the "
                 "class it gives, which the rule does not use." if run.unit.threshold else ".")
    return text


def _rule_display(run: Run) -> str:
    b = run.unit.bias is not None
    z = f"z = {W} \\cdot {X}" + (" + b" if b else "")
    if run.rule == "perceptron":
        f = ACTIVATIONS[run.unit.activation].latex
        lines = [f"{z},\\quad \\hat{{y}} = {f}(z)", f"{W} \\leftarrow {W} + \\eta\\,(y - \\hat{{y}})\\,{X}"
                 + (r",\quad b \leftarrow b + \eta\,(y - \hat{y})" if b else "")]
    elif run.mode == "batch":
        lines = [z, f"{W} \\leftarrow {W} + \\eta \\sum_n (y_n - z_n)\\,{X}_n"
                 + (r",\quad b \leftarrow b + \eta \sum_n (y_n - z_n)" if b else "")]
    else:
        lines = [z, f"{W} \\leftarrow {W} + \\eta\\,(y - z)\\,{X}" + (r",\quad b \leftarrow b + \eta\,(y - z)" if b else "")]
    return gathered(lines)


def _at_zero(run: Run) -> list[Block]:
    """Where z is exactly 0 (decided on the exact value), the convention that decides ŷ there."""
    unit = run.unit
    hits = [p for p in run.presentations if p.z == 0]
    if not unit.threshold or not hits:
        return []
    act = ACTIVATIONS[unit.activation]
    where = ", ".join(f"epoch {p.epoch} example {p.example}" for p in hits[:6]) + (", …" if len(hits) > 6 else "")
    return [Block("note", "At $z = 0$", f"$z = 0$ exactly at {where}: there $\\hat{{y}} = {act.latex}(0) = "
                  f"{written_latex(unit.at_zero)}$ ({act.params[0].name.replace('_', chr(92) + '_')}, "
                  f"{'the default' if unit.at_zero == act.params[0].default else 'as the problem sets it'}).")]


def _outcome(run: Run, nb: Numbers) -> Block:
    """Whether and when the perceptron converged; the delta rule's error by epoch."""
    last = run.epochs[-1]
    final = f"${W} = {nb.vec(last.w)}$" + (f", $b = {nb.num(last.b)}$" if last.b is not None else "")
    if run.rule == "perceptron":
        if run.converged is not None:
            text = (f"Converged: epoch {run.converged} makes no mistakes; the final weights {final} classify every "
                    "example correctly.")
        else:
            text = (f"Not converged after {run.epochs_allowed} epochs: epoch {last.epoch} still makes "
                    f"{last.mistakes} mistake{'s' if last.mistakes != 1 else ''}; the weights are then {final}.")
        return Block("note", "Convergence", text)
    errors = ", ".join(f"${nb.num(e.error)}$" for e in run.epochs)
    text = f"After {last.epoch} epoch{'s' if last.epoch > 1 else ''}: {final}. The error $E$ of each epoch: {errors}."
    if run.unit.threshold:
        unit = run.unit
        right = sum(1 for x, y in zip(unit.examples, unit.targets)
                    if unit.f(sum((a * b for a, b in zip(last.w, x)), last.b or sp.Integer(0))) == y)
        text += (f" With the final weights, $\\hat{{y}} = {ACTIVATIONS[unit.activation].latex}(z)$ classifies {right} "
                 f"of the {len(unit.examples)} examples correctly.")
    return Block("note", "Result", text)


def _answers(w, run: Run, nb: Numbers) -> None:
    unit, d = run.unit, w.digits
    out = unit.output_name
    for e in run.epochs:
        for name, v in zip(unit.weight_names, e.w):
            w.answers.append(answer("update", name, latex_name(name), v, d, step=e.epoch))
        if e.b is not None:
            w.answers.append(answer("update", unit.bias_name, latex_name(unit.bias_name), e.b, d, step=e.epoch))
        if e.mistakes is not None:
            w.answers.append(answer("mistakes", out, r"\text{mistakes}", sp.Integer(e.mistakes), d, step=e.epoch))
        if run.rule == "delta_rule":
            w.answers.append(answer("loss", "E", "E", e.error, d, step=e.epoch))
    last = run.epochs[-1]
    if run.rule == "perceptron":
        w.answers.append(answer("converged", out, r"\text{epoch}", sp.Integer(run.converged or 0), d))
    rel, vec = nb.vec_shown(last.w)
    w.final.append(f"{W} {rel} {vec}")
    if last.b is not None:
        s = nb.show(last.b)
        w.final.append(f"b {s.relation} {s.latex}")
    if run.rule == "perceptron":
        w.final.append(rf"\text{{epoch without mistakes}} = {run.converged}" if run.converged is not None
                       else rf"\text{{mistakes in epoch {last.epoch}}} = {last.mistakes}\ \text{{(not converged)}}")
    else:
        s = nb.show(last.error)
        w.final.append(f"E {s.relation} {s.latex}\\ \\text{{in epoch {last.epoch}}}")


def rule_asked(w) -> list[str]:
    """What a rule question asks, in words, with the data (the question paper shows no Given
    for it): the rule, η, the start, the examples, the epochs."""
    items = []
    for rule in ("perceptron", "delta_rule"):
        if rule not in w.q.ask:
            continue
        run_epochs = w.q.epochs or DEFAULT_EPOCHS[rule]
        try:
            unit = unit_of(w.problem, w.q, w.qi, rule, w.file)
        except ProblemError:  # the key's part raises it
            continue
        nb = Numbers(w.digits)
        eta = written_latex(w.q.learning_rate)
        mode = "batch" if w.q.mode == "batch" else "online"
        f = ACTIVATIONS[unit.activation].latex
        out = f"$\\hat{{y}} = {f}(z)$, ${f}(0) = {written_latex(unit.at_zero)}$" if unit.threshold else ""
        if rule == "perceptron":
            what = (f"the perceptron rule with {out}, $\\eta = {eta}$, online, until an epoch makes no "
                    f"mistake (at most {run_epochs} epochs): every presentation in a table, and whether it converges")
        else:
            what = (f"{run_epochs} epoch{'s' if run_epochs > 1 else ''} of the delta rule ({mode}, $\\eta = {eta}$"
                    + (f"; ADALINE's class {out}" if out else "") + "): "
                    "every presentation in a table with its squared error, and the error of each epoch")
        items.append(f"{what}; from {_start(unit, nb)}, on {_examples_text(unit, nb)}")
    return items
