"""The worked presentations and the tables of a learning rule's key
(:mod:`.learning_rules`): numbers substituted into the rule, as the key shows them."""

from __future__ import annotations

from ..core.numbers import Shown, display
from ..graph.learning_rules import Presentation, Run
from ..ops.activations import ACTIVATIONS
from ..ops.latex import columns_aligned
from .model import Block, Equation, Table

W, X = r"\mathbf{w}", r"\mathbf{x}"
HALF_SQ = r"\tfrac{1}{2}(y - z)^2"


class Numbers:
    """Values as the key shows them, at ``digits`` significant figures."""

    def __init__(self, digits: int):
        self.digits = digits

    def show(self, v) -> Shown:
        return display(v, self.digits)

    def num(self, v) -> str:
        return self.show(v).latex

    def factor(self, v) -> str:
        return f"({self.num(v)})"

    def vec_shown(self, vs) -> tuple[str, str]:
        """(relation, ``(0.2, -0.1)``): ``=`` when every component is shown exactly."""
        shown = [self.show(v) for v in vs]
        return ("=" if all(s.exact for s in shown) else r"\approx"), "(" + ", ".join(s.latex for s in shown) + ")"

    def vec(self, vs) -> str:
        return self.vec_shown(vs)[1]

    def exact(self, *vs) -> bool:
        return all(self.show(v).exact for v in vs)


def _rel(nb: Numbers, *vs) -> str:
    return "=" if nb.exact(*vs) else r"\approx"


def _z(p: Presentation, nb: Numbers) -> Equation:
    terms = [f"{nb.factor(w)}{nb.factor(x)}" for w, x in zip(p.w, p.x)]
    values = [w * x for w, x in zip(p.w, p.x)]
    if p.b is not None:
        terms.append(nb.factor(p.b) if p.b < 0 else nb.num(p.b))
        values.append(p.b)
    parts = [("=", f"{W} \\cdot {X}" + (" + b" if p.b is not None else "")),
             (_rel(nb, *p.w, *p.x, *([p.b] if p.b is not None else [])), " + ".join(terms))]
    if len(values) > 1:
        line = nb.num(values[0])
        for v in values[1:]:
            s = nb.num(v)
            line += f" - {s[1:]}" if s.startswith("-") else f" + {s}"
        parts.append((_rel(nb, *values), line))
    s = nb.show(p.z)
    parts.append((s.relation, s.latex))
    return Equation("z", tuple(parts))


def _presentation(run: Run, p: Presentation, nb: Numbers, title: str) -> Block:
    """One presentation worked in full: z, ŷ, the error, (½(y − z)²,) the update."""
    unit = run.unit
    eqs = [_z(p, nb)]
    f = ACTIVATIONS[unit.activation].latex
    if p.out is not None:
        s = nb.show(p.out)
        eqs.append(Equation(r"\hat{y}", (("=", f"{f}(z)"), (_rel(nb, p.z), f"{f}({nb.num(p.z)})"),
                                         (s.relation, s.latex))))
    perceptron = run.rule == "perceptron"
    e_name = r"y - \hat{y}" if perceptron else "y - z"
    minus = p.out if perceptron else p.z
    sub = f"{nb.num(p.y)} - {nb.factor(minus) if minus < 0 else nb.num(minus)}"
    e = nb.show(p.error)
    eqs.append(Equation(e_name, ((_rel(nb, p.y, minus), sub), (e.relation, e.latex))))
    if not perceptron:
        h = nb.show(p.half_squared)
        eqs.append(Equation(HALF_SQ, ((_rel(nb, p.error), rf"\tfrac{{1}}{{2}}{nb.factor(p.error)}^2"),
                                      (h.relation, h.latex))))
    err = "(y - " + (r"\hat{y}" if perceptron else "z") + ")"
    if run.mode == "batch":
        r1, dw = nb.vec_shown(p.dw)
        eqs.append(Equation(f"\\eta\\,{err}\\,{X}", ((_rel(nb, run.eta, p.error, *p.x),
                                                      f"{nb.factor(run.eta)}{nb.factor(p.error)}{nb.vec(p.x)}"),
                                                     (r1, dw))))
        if p.db is not None:
            s = nb.show(p.db)
            eqs.append(Equation(f"\\eta\\,{err}", ((_rel(nb, run.eta, p.error),
                                                    f"{nb.factor(run.eta)}{nb.factor(p.error)}"), (s.relation, s.latex))))
    else:
        r1, new = nb.vec_shown(p.w_after)
        eqs.append(Equation(W, ((r"\leftarrow", f"{W} + \\eta\\,{err}\\,{X}"),
                                (_rel(nb, *p.w, run.eta, p.error, *p.x),
                                 f"{nb.vec(p.w)} + {nb.factor(run.eta)}{nb.factor(p.error)}{nb.vec(p.x)}"),
                                (r1, new))))
        if p.b is not None:
            s = nb.show(p.b_after)
            eqs.append(Equation("b", ((r"\leftarrow", f"b + \\eta\\,{err}"),
                                      (_rel(nb, p.b, run.eta, p.error),
                                       f"{nb.num(p.b)} + {nb.factor(run.eta)}{nb.factor(p.error)}"),
                                      (s.relation, s.latex))))
    text = f"${X} = {nb.vec(p.x)}$, $y = {nb.num(p.y)}$, with ${W} = {nb.vec(p.w)}$" + (
        f", $b = {nb.num(p.b)}$" if p.b is not None else "") + "."
    if perceptron:
        text += (" A mistake ($\\hat{y} \\ne y$): the weights move." if p.mistake
                 else " No mistake ($\\hat{y} = y$): the weights stay.")
    return Block("step", title, text, tuple(eqs))


def _batch_sum(run: Run, nb: Numbers) -> Block:
    """The first epoch's summed update and the weights after it."""
    ep = run.epochs[0]
    shares = [p for p in run.presentations if p.epoch == 1]
    eqs = []
    rel, total = nb.vec_shown(ep.dw)
    eqs.append(Equation(r"\Delta\mathbf{w}", (("=", f"\\eta \\sum_n (y_n - z_n)\\,{X}_n"),
                                               (_rel(nb, *[v for p in shares for v in p.dw]),
                                                " + ".join(nb.vec(p.dw) for p in shares)), (rel, total))))
    rel_w, new = nb.vec_shown(ep.w)
    eqs.append(Equation(W, ((r"\leftarrow", rf"{W} + \Delta\mathbf{{w}}"),
                            (_rel(nb, *shares[0].w, *ep.dw), f"{nb.vec(shares[0].w)} + {total}"), (rel_w, new))))
    if ep.b is not None:
        s, db = nb.show(ep.b), nb.show(ep.db)
        eqs.append(Equation(r"\Delta b", (("=", r"\eta \sum_n (y_n - z_n)"),
                                          (_rel(nb, *[p.db for p in shares]),
                                           " + ".join(nb.factor(p.db) for p in shares)), (db.relation, db.latex))))
        eqs.append(Equation("b", ((r"\leftarrow", r"b + \Delta b"),
                                  (_rel(nb, shares[0].b, ep.db), f"{nb.num(shares[0].b)} + {nb.factor(ep.db)}"),
                                  (s.relation, s.latex))))
    return Block("step", "End of epoch 1: the summed update", "", tuple(eqs))


def worked(run: Run, nb: Numbers) -> list[Block]:
    """The first presentation in full; for the perceptron also its first mistake when the first
    presentation makes none; in batch mode the first epoch's summed update."""
    first = run.presentations[0]
    blocks = [_presentation(run, first, nb, "Epoch 1, example 1 in full")]
    if run.rule == "perceptron" and not first.mistake:
        mistake = next((p for p in run.presentations if p.mistake), None)
        if mistake is not None:
            blocks.append(_presentation(run, mistake, nb, f"The first mistake: epoch {mistake.epoch}, "
                                                          f"example {mistake.example}"))
    if run.mode == "batch":
        blocks.append(_batch_sum(run, nb))
    return blocks


def presentation_table(run: Run, nb: Numbers) -> Table:
    """Every presentation: epoch, example, x, y, z, (ŷ,) the error, (½(y − z)²,) the update,
    and (online) the weights after it."""
    bias = run.unit.bias is not None
    perceptron = run.rule == "perceptron"
    threshold = run.unit.threshold
    err = r"\hat{y}" if perceptron else "z"
    header = [r"\text{epoch}", "n", X, "y", "z"] + ([r"\hat{y}"] if threshold else []) + [f"y - {err}"]
    header += [] if perceptron else [HALF_SQ]
    if run.mode == "batch":
        header += [rf"\eta\,(y - z)\,{X}"] + ([r"\eta\,(y - z)"] if bias else [])
    else:
        header += [r"\Delta\mathbf{w}"] + ([r"\Delta b"] if bias else []) + [W] + (["b"] if bias else [])
    rows = []
    for p in run.presentations:
        row = [str(p.epoch), str(p.example), nb.vec(p.x), nb.num(p.y), nb.num(p.z)]
        row += ([nb.num(p.out)] if threshold else []) + [nb.num(p.error)]
        row += [] if perceptron else [nb.num(p.half_squared)]
        row += [nb.vec(p.dw)] + ([nb.num(p.db)] if bias else [])
        if run.mode != "batch":
            row += [nb.vec(p.w_after)] + ([nb.num(p.b_after)] if bias else [])
        rows.append(row)
    title = ("Every presentation (the weights after each)" if run.mode != "batch"
             else "Every presentation (each example's share of its epoch's update)")
    return Table(title, tuple(header), tuple(map(tuple, columns_aligned(rows))))


def epoch_table(run: Run, nb: Numbers) -> Table:
    """Each epoch: (its E,) its mistakes, (batch: its summed update,) the weights at its end."""
    bias = run.unit.bias is not None
    threshold = run.unit.threshold
    header = [r"\text{epoch}"]
    header += [] if run.rule == "perceptron" else [r"E = \sum_n " + HALF_SQ]
    header += [r"\text{mistakes}"] if threshold else []
    header += [r"\Delta\mathbf{w}"] + ([r"\Delta b"] if bias else []) if run.mode == "batch" else []
    header += [W] + (["b"] if bias else [])
    rows = []
    for e in run.epochs:
        row = [str(e.epoch)] + ([] if run.rule == "perceptron" else [nb.num(e.error)])
        row += [str(e.mistakes)] if threshold else []
        row += [nb.vec(e.dw)] + ([nb.num(e.db)] if bias else []) if run.mode == "batch" else []
        row += [nb.vec(e.w)] + ([nb.num(e.b)] if bias else [])
        rows.append(row)
    return Table("Epochs (the weights at the end of each)", tuple(header), tuple(map(tuple, columns_aligned(rows))))
