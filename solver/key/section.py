"""One question's section: its parts in order (forward pass, loss, backward pass,
training, update, gradient table, notes; counts, shapes, derivations), its final
answers, and what it asks in words for the question paper."""

from __future__ import annotations

from msgspec.structs import replace

from ..core.errors import ProblemError
from ..core.numbers import display, written_latex
from ..graph.model import PARAMETER_KINDS
from ..ops.latex import columns_aligned
from ..problem.fields import written
from .backward import backward_part
from .forward import forward_part, loss_part
from .given import target_text
from .model import Part, Section, Table, on_the_way
from .notes import notes
from .question import QuestionWork
from .recap import recalled, refer_back

# The parts most keys do not have (counts and shapes, derivations, learning rules, tensors,
# training, updates) import their modules when asked: a small key's cold start does not pay
# for them.
RULES = ("perceptron", "delta_rule")


def build_section(w: QuestionWork) -> Section:
    q = w.q
    parts, tables = numeric_parts(w) if w.graph is not None else ([], ())
    if any(a in q.ask for a in ("count", "shapes")):
        from .structure import structure_parts
        try:
            sparts, stable, sanswers, sfinal = structure_parts(q.architecture or w.problem.architecture, q.ask)
        except ValueError as exc:
            field = f"questions[{w.qi}].architecture" if q.architecture else "architecture"
            raise ProblemError(str(exc), file=w.file, field=field) from None
        parts += sparts
        tables += (stable,)
        w.answers += sanswers
        w.final += sfinal
    if "derive" in q.ask:
        from .structure import derivation_part
        dpart, danswer, claim = derivation_part(q.derivation)
        parts.append(dpart)
        w.answers.append(danswer)
        w.final.append(claim)
    if any(rule in q.ask for rule in RULES):
        from .learning_rules import rule_part
        parts += [rule_part(w, rule) for rule in RULES if rule in q.ask]
    title = q.title or f"Question {w.qi + 1}"
    return Section(q.id, title, q.text or "", tuple(parts), tables + w.extra_tables, tuple(w.final),
                   on_the_way(q.ask, w.answers, _node_loss(w.graph)), w.plots, asked_text(w, w.asked()),
                   written(q.points) if q.points is not None else "",
                   "epoch" if any(rule in q.ask for rule in RULES) else "step")


def _node_loss(g) -> str | None:
    """A graph's loss when it is one of its nodes, not a named loss (its answers are values)."""
    return g.loss if g is not None and g.loss and not g.loss_title else None


def numeric_parts(w: QuestionWork) -> tuple[list, tuple]:
    """Forward pass, loss, backward pass, training and update: the numeric parts."""
    q, g = w.q, w.graph
    if g.tensors:
        from .tensor_key import tensor_parts
        parts = tensor_parts(w)
        stated = w.grads is not None and "gradients" in q.ask  # the backward pass states the ties
        kinks = [b for b in notes(w, ties=not stated) if ("note", b.text) not in w.shown_before]  # once per key
        w.shown_before |= {("note", b.text) for b in kinks}
        return parts + ([Part("Notes", tuple(kinks))] if kinks else []), ()
    asked = w.asked()
    parts = []
    fwd = forward_part(w, full="forward" in q.ask)
    if fwd:
        parts.append(fwd)
    if "forward" in q.ask or (g.loss and not g.loss_title and "loss" in q.ask):
        outs = _reported(w, [n.key for n in g.nodes if n.kind == "output"])
        w.final.extend(f"{g.latex[k]} {w.sb.shown[k].relation} {w.sb.shown[k].latex}" for k in outs)
    if g.loss and g.loss_title:
        loss = loss_part(w)
        if loss is not None:  # graph style: the loss is a stage, so it is defined before the stages
            parts.insert(0 if w.style == "graph" else len(parts), loss)
    elif g.loss and "forward" not in q.ask and "loss" in q.ask:
        w.final.append(f"{w.out} {w.sb.shown[g.loss].relation} {w.sb.shown[g.loss].latex}")
    new = {}
    table = None
    if asked:
        parts.append(replace(backward_part(w, asked), scope=w.loss_identity()))  # a derivation under its loss
        if "train" in q.ask:
            from .training import training_part, training_section
            trained = [k for k in asked if g.by_key[k].kind in PARAMETER_KINDS
                       and (q.update_biases or g.by_key[k].kind != "bias")]
            parts.append(training_section(w, lambda: training_part(w, trained)))
        if "update" in q.ask:
            from .update import update_part
            up, new = update_part(w, asked)
            parts.append(up)
            w.final.extend(w.final_lines(list(new), new.__getitem__, lambda name: name, r"\leftarrow"))
            if any(a in q.ask for a in ("loss_after", "forward_after")):
                from .after import after_part
                parts.append(after_part(w, new))
        if len(asked) > 2:
            table = _gradient_table(w, asked, new)
    kinks = notes(w)
    if kinks:
        parts.append(Part("Notes", tuple(kinks)))
    parts = refer_back(parts, w.derived, w.label, *_recall(w, asked), "loss" in q.ask, w.out)
    return parts, ((table,) if table else ())


def _reported(w: QuestionWork, outputs: list[str]) -> list[str]:
    """The nodes whose values the final answers give: the question's ``report``, else the outputs.

    Raises:
        ProblemError: a reported name that is not a node of the graph.
    """
    if not w.q.report:
        return outputs
    known = [n.key for n in w.graph.nodes if n.kind != "target"]
    for name in w.q.report:
        if name not in known:
            raise ProblemError(f"no node named '{name}' to report (nodes: {', '.join(known)})", file=w.file,
                               field=f"questions[{w.qi}].report")
    return list(w.q.report)


def _gradient_table(w: QuestionWork, asked: list[str], new: dict) -> Table | None:
    """Each asked parameter's value and gradient (and updated value); the gradients
    only the first time the key shows them."""
    g = w.graph
    rows = tuple((g.latex[k], w.sb.shown[k].latex, display(w.grads.adjoint.get(k, 0), w.digits).latex)
                 for k in asked)
    header = ("\\text{parameter}", "\\text{value}", rf"\partial {w.out} / \partial \cdot")
    before = w.derived.first(w.derived.tables, rows, w.label)
    if before is not None and before != w.label:
        if not new:
            return None
        header, rows = header[:2], tuple(r[:2] for r in rows)  # the gradients are in the table of {before}
    if new:
        header += ("\\text{updated}",)
        rows = tuple(r + (display(new[k], w.digits).latex if k in new else "",) for r, k in zip(rows, asked))
    return Table("Table of gradients" if len(header) > 3 or before is None else "Table of updates",
                 header, tuple(tuple(r) for r in columns_aligned(rows)))


def _recall(w: QuestionWork, asked: list[str]):
    """The left-hand sides of the asked gradients (each layer's ∂L/∂W too), and the
    function giving the lines that recall some of their equations (a layer's weights
    as one matrix when all of them are recalled)."""
    if not asked or w.grads is None:
        return set(), lambda eqs: [recalled(eq) for eq in eqs]
    g = w.graph
    by_lhs = {w.dout(g.latex[k]): k for k in asked}
    layers = {w.dout(f"W^{{({g.by_key[k].layer})}}") for k in asked if g.by_key[k].kind == "weight"}

    def recall(eqs) -> list[str]:
        keys = [by_lhs[eq.lhs] for eq in eqs if eq.lhs in by_lhs]
        return [recalled(eq) for eq in eqs if eq.lhs not in by_lhs] + w.final_lines(
            keys, lambda k: w.grads.adjoint.get(k, 0), w.dout, "=")
    return set(by_lhs) | layers, recall


def asked_text(w: QuestionWork, asked: list[str]) -> str:
    """What the question asks, in words, for the question sheet."""
    q, g = w.q, w.graph
    items = []
    if "shapes" in q.ask:
        items.append("the output shape of every layer")
    if "count" in q.ask:
        items.append("the number of learnable parameters, layer by layer and in total (biases included)")
    if "derive" in q.ask:
        items.append("a derivation, step by step")
    if any(rule in q.ask for rule in RULES):
        from .learning_rules import rule_asked
        items += rule_asked(w)
    if g is None:
        arch = q.architecture or w.problem.architecture if "shapes" in q.ask or "count" in q.ask else None
        given = ""
        if arch is not None:  # the paper's only statement of it, unless the text repeats it
            from .structure import architecture_words
            given = f" {architecture_words(arch)}"
        return "Asked: " + "; ".join(items) + "." + given if items else ""
    if "forward" in q.ask:
        items.append("the forward pass (every " + ("stage" if w.problem.graph is not None else "neuron")
                     + "'s value)")
    if "loss" in q.ask and g.loss_title:
        items.append(f"the loss ({loss_words(g)})")
    if "gradients" in q.ask:
        names = [f"${w.dout(g.latex[k])}$" for k in asked]
        items.append("every gradient" if q.gradients == "all" else "the gradients " + ", ".join(names))
    if "update" in q.ask:
        items.append(f"one step of gradient descent with $\\eta = {written_latex(q.learning_rate)}$"
                     + ("" if q.update_biases else " (biases are not updated)"))
    if "forward_after" in q.ask:
        items.append("the forward pass again with the updated parameters")
    if "loss_after" in q.ask:
        items.append("the loss after the update" + (", for each example and for the batch" if g.examples > 1 else ""))
    if "train" in q.ask:
        from .training import optimizer_words
        items.append(f"{q.steps:,} steps of training with the loss along the way, by {optimizer_words(g, q)}")
    uses_loss = any(a in q.ask for a in ("loss", "gradients", "update", "train"))
    loss = f" Loss: {loss_words(g)}." if uses_loss and "loss" not in q.ask and g.loss_title else ""
    target = f" Target: {target_text(q.target)}." if q.target is not None and uses_loss else ""
    return "Asked: " + "; ".join(items) + "." + loss + target if items else ""


def loss_words(g) -> str:
    """The loss as a question paper names it, the weight penalty with its λ: ``sum of squared
    errors, plus the weight penalty $R = \\frac{0.01}{2} \\sum w^2$ on the weights``."""
    if g.penalty is None:
        return g.loss_title
    on = "weights and biases" if any(g.by_key[k].kind == "bias" for k in g.penalty.terms) else "weights"
    return (g.loss_title.removesuffix(", plus a weight penalty")
            + f", plus the weight penalty ${g.penalty.definition}$ on the {on}")
