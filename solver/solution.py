"""From a validated :class:`~solver.problem.Problem` to a :class:`Solution`: the
ordered steps of the answer key (symbolic, substituted, value) and the answers.

Nothing here touches files; :mod:`solver.render` lays a solution out.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

import sympy as sp

from .activations import ACTIVATIONS, LeakyReLU, ReLU, Softmax
from .backprop import Gradients, backward, forward
from .errors import ProblemError
from .graph import LEAF_KINDS, PARAMETER_KINDS, Graph
from .network import build_network
from .numbers import display, normalize
from .problem import Problem, Question
from .steps import Equation, StepBuilder


@dataclass(frozen=True)
class Block:
    """A titled group of equations (a neuron, the loss, one gradient, a note).

    ``title`` and ``text`` are prose with inline math in ``$…$``; equations are LaTeX."""

    kind: str
    title: str = ""
    text: str = ""
    equations: tuple[Equation, ...] = ()
    display: str = ""


@dataclass(frozen=True)
class Part:
    """A headed part of a question's solution (forward pass, loss, backward pass…)."""

    heading: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Answer:
    """One answer of the answers JSON (the autograding contract).

    ``kind`` is value, loss, gradient or update; ``of`` the name from the problem file."""

    kind: str
    of: str
    latex: str
    exact: str
    value: float
    display: str


@dataclass(frozen=True)
class Table:
    """A table of math cells (LaTeX, without dollars)."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Section:
    """The solution of one question."""

    id: str
    title: str
    text: str
    parts: tuple[Part, ...]
    table: Table | None
    final: tuple[str, ...]
    answers: tuple[Answer, ...]


@dataclass(frozen=True)
class Solution:
    """A whole answer key."""

    stem: str
    title: str
    statement: str
    given: tuple[Block, ...]
    sections: tuple[Section, ...]


def _gathered(lines: list[str]) -> str:
    """Several display lines, centred, in one ``gathered`` environment."""
    return r"\begin{gathered} " + r" \\ ".join(lines) + r" \end{gathered}"


def _answer(kind: str, of: str, latex: str, value: sp.Expr, digits: int) -> Answer:
    shown = display(value, digits)
    exact = str(value) if value.is_Rational else sp.Float(value, 30).__str__()
    return Answer(kind, of, latex, exact, float(value), shown.text)


def _matrix(rows: list[list[sp.Expr]], digits: int) -> str:
    body = r" \\ ".join(" & ".join(display(v, digits).latex for v in r) for r in rows)
    return rf"\begin{{bmatrix}} {body} \end{{bmatrix}}"


def _source(graph: Graph, weight: str, dest: str) -> str | None:
    """The quantity that ``weight`` multiplies in ``dest``'s pre-activation."""
    expr = graph.by_key[dest].expr
    w = graph.by_key[weight].symbol
    for term in (expr.args if expr.is_Add else (expr,)):
        if term.is_Mul and w in term.args:
            others = [a for a in term.args if a != w]
            if len(others) == 1 and others[0].is_Symbol:
                return others[0].name
    return None


def _given(problem: Problem, graph: Graph, digits: int) -> tuple[Block, ...]:
    net = problem.network
    blocks = []
    inputs = ", ".join(f"{graph.latex[k]} = {display(v, digits).latex}" for k, v in net.inputs.items())
    blocks.append(Block("given", "Inputs", f"${inputs}$"))
    how = ("$z = W x$ (row $j$ of $W$ holds the weights into neuron $j$)" if net.orientation == "Wx"
           else "$z = x W$ (column $j$ of $W$ holds the weights into neuron $j$)")
    weights = [n for n in graph.nodes if n.kind == "weight"]
    for li, layer in enumerate(net.layers, start=1):
        names = [n for n in weights if n.layer == li]
        eqs = [Equation(rf"W^{{({li})}}", (("=", _matrix(layer.weights, 15)),))]
        parts = []
        for n in names:
            dest = graph.children[n.key][0]
            src = _source(graph, n.key, dest)
            acts = [c for c in graph.children[dest] if graph.by_key[c].kind in ("activation", "output")]
            dest = acts[0] if len(acts) == 1 and len(graph.children[dest]) == 1 else dest
            parts.append(f"${graph.latex[n.key]} = {display(n.value, 15).latex}$"
                         + (f" (${graph.latex[src]} \\to {graph.latex[dest]}$)" if src else ""))
        biases = [n for n in graph.nodes if n.kind == "bias" and n.layer == li]
        if biases:
            shared = len(biases) == 1 and layer.units > 1
            btxt = ", ".join(f"${graph.latex[b.key]} = {display(b.value, 15).latex}$" for b in biases)
            parts.append("bias " + btxt + (" (shared by every neuron of the layer)" if shared else ""))
        else:
            parts.append("no bias")
        title = (f"Layer {li} ({layer.units} {'unit' if layer.units == 1 else 'units'}, "
                 f"{ACTIVATIONS[layer.activation].title})")
        blocks.append(Block("given", title, "; ".join(parts) + ".", tuple(eqs)))
    blocks.append(Block("given", "Orientation", f"Pre-activations are computed as {how}."))
    return tuple(blocks)


_RANK = {"loss": 0, "output": 1, "activation": 1, "stage": 1, "preactivation": 2}


def _backward_order(graph: Graph) -> list:
    """Computed nodes from the loss back, layer by layer (outputs before their
    pre-activations, neurons in order within a layer); reverse graph order where
    nodes have no layer."""
    pos = {n.key: i for i, n in enumerate(graph.nodes)}
    computed = [n for n in graph.nodes if not n.is_leaf]
    if any(n.layer is None for n in computed if n.kind != "loss"):
        return list(reversed(computed))
    return sorted(computed, key=lambda n: (-(n.layer or 10**6), _RANK.get(n.kind, 1), pos[n.key]))


class _SectionBuilder:
    def __init__(self, problem: Problem, question: Question, qi: int, digits: int,
                 shown_before: set, file: str | None):
        self.problem, self.q, self.qi, self.digits = problem, question, qi, digits
        self.file = file
        self.graph = build_network(problem, question, file)
        try:
            self.values = forward(self.graph)
            self.grads: Gradients | None = backward(self.graph, self.values) if self.graph.loss else None
        except ValueError as exc:
            raise ProblemError(f"cannot evaluate the network: {exc}", file=file,
                               field=f"questions[{qi}]") from None
        self.sb = StepBuilder(self.graph, self.values, digits, self.grads)
        self.shown_before = shown_before
        self.answers: list[Answer] = []
        self.final: list[str] = []

    # The nodes asked for, validated against the graph.
    def asked(self) -> list[str]:
        q, g = self.q, self.graph
        if not any(a in q.ask for a in ("gradients", "update")):
            return []
        params = g.parameters()
        if q.gradients == "all":
            return params
        known = [n.key for n in g.nodes if n.kind not in ("target", "loss")]
        for name in q.gradients:
            if name not in known:
                close = difflib.get_close_matches(name, known, n=1)
                hint = f" (did you mean '{close[0]}'?)" if close else f" (parameters: {', '.join(params)})"
                raise ProblemError(f"no quantity named '{name}'{hint}", file=self.file,
                                   field=f"questions[{self.qi}].gradients")
        return list(q.gradients)

    def forward_part(self, full: bool) -> Part | None:
        g, sb = self.graph, self.sb
        blocks = []
        recap = []
        for group in g.groups:
            keys = [k for k in group.keys]
            if not full and all((k, str(self.values[k])) in self.shown_before for k in keys):
                recap.extend(keys)
                continue
            blocks.append(Block("definition", group.title, display=group.definition))
            softmax = [k for k in keys if isinstance(g.by_key[k].expr, Softmax)]
            if softmax:
                blocks.append(Block("neuron", "Softmax", "", tuple(sb.softmax_details(softmax))))
                self.answers.extend(_answer("value", k, g.latex[k], self.values[k], self.digits)
                                    for k in softmax)
            for k in keys:
                if k in softmax:
                    continue
                node = g.by_key[k]
                if node.kind == "preactivation" or node.kind in ("activation", "output") and not isinstance(
                        node.expr, sp.Function):
                    blocks.append(self._neuron_block(k, keys))
            for k in keys:
                self.shown_before.add((k, str(self.values[k])))
        if recap:
            items = [f"{g.latex[k]} {sb.shown[k].relation} {sb.shown[k].latex}" for k in recap]
            rows = [", \\quad ".join(items[i:i + 4]) for i in range(0, len(items), 4)]
            line = _gathered(rows)
            blocks.insert(0, Block("recap", "Values from the forward pass", display=line))
        return Part("Forward pass", tuple(blocks)) if blocks else None

    def _neuron_block(self, zkey: str, group: list[str]) -> Block:
        g, sb = self.graph, self.sb
        acts = [c for c in g.children[zkey] if c in group and not isinstance(g.by_key[c].expr, Softmax)]
        neuron = acts[0] if acts else zkey
        groups: dict[str, list[str]] = {"input": [], "weight": [], "bias": []}
        for p in g.parents[zkey]:
            kind = g.by_key[p].kind
            groups["weight" if kind == "weight" else "bias" if kind == "bias" else "input"].append(
                f"${g.latex[p]} = {sb.shown[p].latex}$")
        labels = {"input": "inputs", "weight": "weights", "bias": "bias"}
        text = "; ".join(f"{labels[k]} {', '.join(v)}" for k, v in groups.items() if v)
        text = text[0].upper() + text[1:] + "." if text else ""
        eqs = [sb.forward(zkey)] + [sb.forward(a) for a in acts]
        for k in [zkey] + acts:
            self.answers.append(_answer("value", k, g.latex[k], self.values[k], self.digits))
        return Block("neuron", f"Neuron ${g.latex[neuron]}$", text, tuple(eqs))

    def loss_part(self) -> Part:
        g, sb = self.graph, self.sb
        targets = ", ".join(f"{g.latex[n.key]} = {sb.shown[n.key].latex}" for n in g.nodes if n.kind == "target")
        self.answers.append(_answer("loss", "L", "L", self.values["L"], self.digits))
        if "loss" in self.q.ask:
            self.final.append(f"L {sb.shown['L'].relation} {sb.shown['L'].latex}")
        mark = ("loss", g.loss_title, str(self.values["L"]))
        if mark in self.shown_before and "loss" not in self.q.ask:
            return Part("Loss", (Block("recap", "Loss from an earlier question",
                                       display=f"L {sb.shown['L'].relation} {sb.shown['L'].latex}"),))
        self.shown_before.add(mark)
        eq = sb.forward("L")
        return Part("Loss", (
            Block("definition", f"Loss: {g.loss_title}", f"with targets ${targets}$.", display=g.loss_definition),
            Block("loss", "", "", (eq,))))

    def _relevant_children(self, key: str) -> list[str]:
        g = self.graph
        rel = g.ancestors_of(g.loss) | {g.loss}
        return [c for c in g.children[key] if c in rel]

    def backward_part(self, asked: list[str]) -> Part:
        g, sb = self.graph, self.sb
        loss = g.loss
        rel = g.ancestors_of(loss)
        # Nodes whose ∂L/∂n is needed: descendants of the asked ones, ancestors of L.
        need: set[str] = set()
        stack = list(asked)
        while stack:
            k = stack.pop()
            for c in g.children[k]:
                if c in rel and c not in need:
                    need.add(c)
                    stack.append(c)
        marks = {("gradient", k, str(self.grads.adjoint.get(k, 0))) for k in asked}
        if marks <= self.shown_before:
            for k in asked:
                self.answers.append(_answer("gradient", k, sb.d(loss, k), self.grads.adjoint.get(k, sp.Integer(0)),
                                            self.digits))
            return Part("Backward pass", (Block(
                "recap", "Gradients from an earlier question",
                display=_gathered(self._final_lines(
                    asked, lambda k: self.grads.adjoint.get(k, sp.Integer(0)),
                    lambda name: rf"\frac{{\partial L}}{{\partial {name}}}", "="))),))
        self.shown_before |= marks
        shortcut = {o: (o, p, y) for o, p, y in g.softmax_ce}
        probs = {p for _, p, _ in g.softmax_ce}
        blocks = []
        if shortcut and any(o in need for o in shortcut):
            blocks.append(Block("note", "Softmax with cross-entropy", (
                r"With $p = \operatorname{softmax}(o)$ and $L = -\sum_k y_k \ln p_k$ where $\sum_k y_k = 1$: "
                r"$\frac{\partial L}{\partial o_j} = \sum_k \frac{\partial L}{\partial p_k}"
                r"\frac{\partial p_k}{\partial o_j} = -\sum_k \frac{y_k}{p_k}\, p_k(\delta_{kj} - p_j)"
                r" = p_j \sum_k y_k - y_j = p_j - y_j$.")))
        for n in _backward_order(g):
            k = n.key
            if k not in need or k in asked or n.is_leaf or k in probs:
                continue
            blocks.append(Block("upstream", f"Upstream gradient at ${g.latex[k]}$", "",
                                (self._adjoint_eq(k, shortcut),)))
        for k in asked:
            node = g.by_key[k]
            children = self._relevant_children(k)
            if k in shortcut:
                eq = sb.shortcut(*shortcut[k])
            elif not children:
                eq = Equation(sb.d(loss, k), (("=", "0"),))
            else:
                eq = sb.chain(k, children, self._chain_path(k, children, shortcut))
            value = self.grads.adjoint.get(k, sp.Integer(0))
            blocks.append(Block("gradient", f"Gradient with respect to ${g.latex[k]}$", "", (eq,)))
            self.answers.append(_answer("gradient", k, sb.d(loss, k), value, self.digits))
        if "gradients" in self.q.ask:
            self.final.extend(self._final_lines(
                asked, lambda k: self.grads.adjoint.get(k, sp.Integer(0)),
                lambda name: rf"\frac{{\partial L}}{{\partial {name}}}", "="))
        return Part("Backward pass", tuple(blocks))

    def _final_lines(self, keys: list[str], value_of, lhs_of, rel: str) -> list[str]:
        """Final-answer lines; a layer whose every weight is listed becomes one matrix
        (shaped as the problem writes it)."""
        g = self.graph
        lines, done = [], set()
        by_layer: dict[int, list] = {}
        for n in g.nodes:
            if n.kind == "weight":
                by_layer.setdefault(n.layer, []).append(n)
        for layer, ws in sorted(by_layer.items()):
            if len(ws) < 2 or not all(w.key in keys for w in ws):
                continue
            rows = 1 + max(w.position[0] for w in ws)
            cols = 1 + max(w.position[1] for w in ws)
            cells = [["" for _ in range(cols)] for _ in range(rows)]
            exact = True
            for w in ws:
                shown = display(value_of(w.key), self.digits)
                exact &= shown.exact
                cells[w.position[0]][w.position[1]] = shown.latex
                done.add(w.key)
            body = r" \\ ".join(" & ".join(r) for r in cells)
            mrel = rel if rel != "=" or exact else r"\approx"
            lines.append(f"{lhs_of(f'W^{{({layer})}}')} {mrel} \\begin{{bmatrix}} {body} \\end{{bmatrix}}")
        for k in keys:
            if k in done:
                continue
            s = display(value_of(k), self.digits)
            lines.append(f"{lhs_of(g.latex[k])} {s.relation if rel == '=' else rel} {s.latex}")
        return lines

    def _adjoint_eq(self, k: str, shortcut: dict) -> Equation:
        if k in shortcut:
            return self.sb.shortcut(*shortcut[k])
        return self.sb.chain(k, self._relevant_children(k))

    def _chain_path(self, key: str, children: list[str], shortcut: dict) -> list[str] | None:
        """The single-child path up from ``key``'s child to the first node that branches
        or feeds the loss: [top, …, child]."""
        if len(children) != 1:
            return None
        path = [children[0]]
        while True:
            cur = path[-1]
            nxt = self._relevant_children(cur)
            if len(nxt) != 1 or nxt[0] == self.graph.loss or cur in shortcut:
                break
            path.append(nxt[0])
        if len(path) < 2:
            return None
        return [self.graph.loss] + list(reversed(path))

    def update_part(self, asked: list[str]) -> tuple[Part, dict]:
        g, sb, q = self.graph, self.sb, self.q
        blocks, new, eqs = [], {}, []
        for k in asked:
            node = g.by_key[k]
            if node.kind not in PARAMETER_KINDS or (node.kind == "bias" and not q.update_biases):
                continue
            nv = normalize(self.values[k] - q.learning_rate * self.grads.adjoint[k])
            new[k] = nv
            eqs.append(sb.update(k, q.learning_rate, nv))
            self.answers.append(_answer("update", k, g.latex[k], nv, self.digits))
        eta = display(q.learning_rate, 15).latex
        intro = Block("note", "", f"One step of gradient descent with learning rate $\\eta = {eta}$"
                      + ("" if q.update_biases else " (biases are not updated)")
                      + ", each parameter moving against its gradient:",
                      display=r"w \leftarrow w - \eta \frac{\partial L}{\partial w}")
        return Part("Update", (intro, Block("update", "", "", tuple(eqs)))), new

    def notes(self) -> list[Block]:
        g = self.graph
        out = []
        for n in g.nodes:
            if n.expr is None or n.kind == "loss":
                continue
            if isinstance(n.expr, (ReLU, LeakyReLU)) and self.values[n.expr.args[0].name] == 0:
                conv = ("ReLU'(0) = 0" if isinstance(n.expr, ReLU)
                        else r"\operatorname{LeakyReLU}'(0) = \alpha")
                out.append(Block("note", "Non-differentiable point",
                                 f"${g.latex[n.expr.args[0].name]} = 0$: the activation has a kink at 0; "
                                 f"this key uses ${conv}$, as PyTorch does."))
        if g.loss and isinstance(g.by_key[g.loss].expr, (sp.Add, sp.Abs)):
            for a in sp.preorder_traversal(g.by_key[g.loss].expr):
                if isinstance(a, sp.Abs) and normalize(a.args[0].xreplace(
                        {s: self.values[s.name] for s in a.args[0].free_symbols})) == 0:
                    out.append(Block("note", "Non-differentiable point",
                                     r"A prediction equals its target: $|x|$ has a kink at 0; "
                                     r"this key uses $\operatorname{sgn}(0) = 0$, as PyTorch does."))
                    break
        return out

    def build(self) -> Section:
        q, g = self.q, self.graph
        asked = self.asked()
        parts = []
        fwd = self.forward_part(full="forward" in q.ask)
        if fwd:
            parts.append(fwd)
        if "forward" in q.ask:
            outs = [n.key for n in g.nodes if n.kind == "output"]
            self.final.extend(f"{g.latex[k]} {self.sb.shown[k].relation} {self.sb.shown[k].latex}" for k in outs)
        if g.loss:
            parts.append(self.loss_part())
        new = {}
        table = None
        if asked:
            parts.append(self.backward_part(asked))
            if "update" in q.ask:
                up, new = self.update_part(asked)
                parts.append(up)
                self.final.extend(self._final_lines(list(new), new.__getitem__, lambda name: name, r"\leftarrow"))
            if len(asked) > 2:
                header = ("\\text{parameter}", "\\text{value}", r"\partial L / \partial \cdot") + (
                    ("\\text{updated}",) if new else ())
                rows = []
                for k in asked:
                    row = (g.latex[k], self.sb.shown[k].latex,
                           display(self.grads.adjoint.get(k, 0), self.digits).latex)
                    if new:
                        row += (display(new[k], self.digits).latex if k in new else "",)
                    rows.append(row)
                table = Table(header, tuple(rows))
        notes = self.notes()
        if notes:
            parts.append(Part("Notes", tuple(notes)))
        title = q.title or f"Question {q.id}"
        return Section(q.id, title, q.text or "", tuple(parts), table, tuple(self.final), tuple(self.answers))


def solve(problem: Problem, stem: str, digits: int | None = None, file: str | None = None) -> Solution:
    """The answer key of ``problem``.

    Args:
        problem: a validated problem.
        stem: the output name (the problem file's stem).
        digits: significant figures shown; defaults to the problem's ``precision``.
        file: the problem file's path, for error messages.

    Raises:
        ProblemError: a question names an unknown quantity, or needs a loss or target
            that is not given, or the network cannot be evaluated.
    """
    digits = digits or problem.precision
    shown: set = set()
    sections = []
    given = ()
    for qi, q in enumerate(problem.questions):
        builder = _SectionBuilder(problem, q, qi, digits, shown, file)
        if qi == 0:
            given = _given(problem, builder.graph, digits)
        sections.append(builder.build())
    return Solution(stem, problem.title, problem.statement, given, tuple(sections))
