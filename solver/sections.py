"""One question's solution: the parts (forward pass, loss, backward pass, update,
notes), in the neuron-by-neuron style or the staged graph style."""

from __future__ import annotations

import difflib

import sympy as sp

from .activations import LeakyReLU, ReLU, Softmax
from .backprop import Gradients, backward, evaluate, forward
from .errors import ProblemError
from .graph import PARAMETER_KINDS, Graph
from .graphspec import build_graph_spec
from .network import build_network
from .numbers import display, normalize
from .problem import Problem, Question
from .solution import Block, Part, Section, Table, answer
from .matrix import MatrixSteps
from .printing import bmatrix
from .steps import Equation, StagedSteps
from .structkey import derivation_part, structure_parts
from .trainkey import training_part

NUMERIC = ("forward", "loss", "gradients", "update", "train")


def _gathered(lines: list[str]) -> str:
    """Several display lines, centred, in one ``gathered`` environment."""
    return r"\begin{gathered} " + r" \\ ".join(lines) + r" \end{gathered}"


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


class SectionBuilder:
    def __init__(self, problem: Problem, question: Question, qi: int, digits: int,
                 shown_before: set, file: str | None, style: str = "neuron"):
        self.problem, self.q, self.qi, self.digits = problem, question, qi, digits
        self.file, self.style = file, style
        self.shown_before = shown_before
        self.answers: list = []
        self.extra_tables: tuple = ()
        self.plots: tuple = ()
        self.final: list[str] = []
        self.graph = None
        self.grads = None
        if not any(a in question.ask for a in NUMERIC):  # counts, shapes, derivations only
            return
        build = build_graph_spec if problem.graph is not None else build_network
        self.graph = build(problem, question, file)
        try:
            self.values = forward(self.graph)
            self.grads: Gradients | None = backward(self.graph, self.values) if self.graph.loss else None
        except ValueError as exc:
            raise ProblemError(f"cannot evaluate the network: {exc}", file=file,
                               field=f"questions[{qi}]") from None
        self.sb = StagedSteps(self.graph, self.values, digits, self.grads)
        self.mx = MatrixSteps(self.graph, self.values, self.grads, digits, self.sb) if self.graph.layers else None
        self.out = self.graph.latex[self.graph.loss] if self.graph.loss else "L"

    # The nodes asked for, validated against the graph.
    def asked(self) -> list[str]:
        q, g = self.q, self.graph
        if g is None or not any(a in q.ask for a in ("gradients", "update", "train")):
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

    def dout(self, name: str) -> str:
        """``\\frac{\\partial L}{\\partial name}`` with the output's name."""
        return rf"\frac{{\partial {self.out}}}{{\partial {name}}}"

    def staged_forward(self, full: bool) -> Part | None:
        """Each stage ``name = expression = substituted = value``, with its local
        derivatives beside it when gradients are asked."""
        g, sb = self.graph, self.sb
        keys = [n.key for n in g.nodes if not n.is_leaf and n.kind not in ("target",)]
        if not full and all((k, str(self.values[k])) in self.shown_before for k in keys):
            return self.recap_part(keys)
        asked = self.asked() if self.grads is not None else []
        on_path = set(asked) | self.needed(asked) if asked else set()
        eqs = []
        for k in keys:
            eqs.append(sb.forward(k))
            local = [e for p, e in sb.local_derivatives(k) if p in on_path] if k in on_path else []
            for i in range(0, len(local), 2):
                eqs.append(Equation("", (("", r"\qquad " + r",\quad ".join(e.inline for e in local[i:i + 2])),)))
            self.shown_before.add((k, str(self.values[k])))
            if g.by_key[k].kind != "loss":
                self.answers.append(answer("value", k, g.latex[k], self.values[k], self.digits))
        text = ("Each stage in order, with its local derivatives (indented) beneath it." if asked
                else "Each stage in order.")
        return Part("Forward pass", (Block("stage", "", text, tuple(eqs)),))

    def recap_part(self, keys: list[str]) -> Part:
        g, sb = self.graph, self.sb
        items = [f"{g.latex[k]} {sb.shown[k].relation} {sb.shown[k].latex}" for k in keys]
        rows = [", \\quad ".join(items[i:i + 4]) for i in range(0, len(items), 4)]
        return Part("Forward pass", (Block("recap", "Values from the forward pass", display=_gathered(rows)),))

    def matrix_forward(self, full: bool) -> Part:
        g = self.graph
        keys = [k for grp in g.groups for k in grp.keys]
        if not full and all((k, str(self.values[k])) in self.shown_before for k in keys):
            return self.recap_part(keys)
        blocks = self.mx.forward()
        head = [k for grp in g.groups if "Softmax output" in grp.title for k in grp.keys]
        if head:
            blocks.append(Block("neuron", "Softmax output", "", tuple(self.sb.softmax_details(head)),
                                display=g.groups[-1].definition))
        for k in keys:
            self.shown_before.add((k, str(self.values[k])))
            self.answers.append(answer("value", k, g.latex[k], self.values[k], self.digits))
        return Part("Forward pass", tuple(blocks))

    def forward_part(self, full: bool) -> Part | None:
        if self.style == "graph":
            return self.staged_forward(full)
        if self.style == "matrix":
            return self.matrix_forward(full)
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
                self.answers.extend(answer("value", k, g.latex[k], self.values[k], self.digits)
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
            blocks.insert(0, self.recap_part(recap).blocks[0])
        return Part("Forward pass", tuple(blocks)) if blocks else None

    def _neuron_block(self, zkey: str, group: list[str]) -> Block:
        g, sb = self.graph, self.sb
        acts = [c for c in g.children[zkey] if c in group and not isinstance(g.by_key[c].expr, Softmax)]
        neuron = acts[0] if acts else zkey
        groups: dict[str, list[str]] = {"input": [], "weight": [], "bias": []}
        for p in g.parents[zkey]:
            kind = g.by_key[p].kind
            groups["weight" if kind == "weight" else "bias" if kind == "bias" else "input"].append(
                f"${g.latex[p]} {sb.shown[p].relation} {sb.shown[p].latex}$")
        labels = {"input": "inputs", "weight": "weights", "bias": "bias"}
        text = "; ".join(f"{labels[k]} {', '.join(v)}" for k, v in groups.items() if v)
        text = text[0].upper() + text[1:] + "." if text else ""
        eqs = [sb.forward(zkey)] + [sb.forward(a) for a in acts]
        for k in [zkey] + acts:
            self.answers.append(answer("value", k, g.latex[k], self.values[k], self.digits))
        return Block("neuron", f"Neuron ${g.latex[neuron]}$", text, tuple(eqs))

    def loss_part(self) -> Part:
        g, sb = self.graph, self.sb
        targets = ", ".join(f"{g.latex[n.key]} = {sb.shown[n.key].latex}" for n in g.nodes if n.kind == "target")
        losses = [n.key for n in g.nodes if n.kind == "loss"]  # per example, then the batch's
        for k in losses:
            self.answers.append(answer("loss", k, g.latex[k], self.values[k], self.digits))
        if "loss" in self.q.ask:
            self.final.append(f"L {sb.shown['L'].relation} {sb.shown['L'].latex}")
        mark = ("loss", g.loss_title, str(self.values["L"]))
        if mark in self.shown_before and "loss" not in self.q.ask:
            return Part("Loss", (Block("recap", "Loss from an earlier question",
                                       display=f"L {sb.shown['L'].relation} {sb.shown['L'].latex}"),))
        self.shown_before.add(mark)
        definition = Block("definition", f"Loss: {g.loss_title}", f"with targets ${targets}$.",
                           display=g.loss_definition)
        if self.style == "graph":  # the loss is the last stage of the forward pass
            return Part("Loss", (definition,))
        return Part("Loss", (definition, Block("loss", "", "", tuple(sb.forward(k) for k in losses))))

    def _relevant_children(self, key: str) -> list[str]:
        rel = self.graph.relevant
        return [c for c in self.graph.children[key] if c in rel]

    def matrix_backward(self, asked: list[str]) -> Part:
        g = self.graph
        last = g.layers[-1]
        shortcut = bool(g.softmax_ce) and last.activation == "softmax"
        blocks = self.mx.backward(shortcut, set(asked))
        shown = [k for info in g.layers for keys in info.acts + info.pre for k in keys]  # ∂L/∂a and δ
        for k in dict.fromkeys(shown):
            if k not in asked and k in self.grads.adjoint:
                self.answers.append(answer("gradient", k, self.sb.d(g.loss, k), self.grads.adjoint[k],
                                           self.digits, upstream=True))
        for k in asked:
            self.answers.append(answer("gradient", k, self.sb.d(g.loss, k),
                                       self.grads.adjoint.get(k, sp.Integer(0)), self.digits))
        if "gradients" in self.q.ask:
            self.final.extend(self._final_lines(
                asked, lambda k: self.grads.adjoint.get(k, sp.Integer(0)), self.dout, "="))
        return Part("Backward pass", tuple(blocks))

    def needed(self, asked: list[str]) -> set[str]:
        """Nodes whose ∂L/∂n the asked gradients need: descendants of the asked
        nodes that lead to the loss."""
        g = self.graph
        rel = g.relevant - {g.loss}
        need: set[str] = set()
        stack = list(asked)
        while stack:
            k = stack.pop()
            for c in g.children[k]:
                if c in rel and c not in need:
                    need.add(c)
                    stack.append(c)
        return need

    def backward_part(self, asked: list[str]) -> Part:
        g, sb = self.graph, self.sb
        loss = g.loss
        need = self.needed(asked)
        marks = {("gradient", k, str(self.grads.adjoint.get(k, 0))) for k in asked}
        if marks <= self.shown_before:
            for k in asked:
                self.answers.append(answer("gradient", k, sb.d(loss, k), self.grads.adjoint.get(k, sp.Integer(0)),
                                            self.digits))
            return Part("Backward pass", (Block(
                "recap", "Gradients from an earlier question",
                display=_gathered(self._final_lines(
                    asked, lambda k: self.grads.adjoint.get(k, sp.Integer(0)), self.dout, "="))),))
        self.shown_before |= marks
        if self.style == "matrix":
            return self.matrix_backward(asked)
        shortcut = {o: (o, p, y) for o, p, y in g.softmax_ce}
        probs = {p for _, p, _ in g.softmax_ce}
        blocks = []
        if shortcut and any(o in need for o in shortcut):
            blocks.append(Block("note", "Softmax with cross-entropy", (
                r"With $p = \operatorname{softmax}(o)$ and $L = -\sum_k y_k \ln p_k$ where $\sum_k y_k = 1$: "
                r"$\frac{\partial L}{\partial o_j} = \sum_k \frac{\partial L}{\partial p_k}"
                r"\frac{\partial p_k}{\partial o_j} = -\sum_k \frac{y_k}{p_k}\, p_k(\delta_{kj} - p_j)"
                r" = p_j \sum_k y_k - y_j = p_j - y_j$.")))
        sweep = []
        for n in _backward_order(g):
            k = n.key
            if k not in need or k in asked or n.is_leaf or k in probs:
                continue
            self.answers.append(answer("gradient", k, sb.d(loss, k), self.grads.adjoint[k], self.digits,
                                       upstream=True))
            if self.style == "graph":
                sweep.append(self._adjoint_eq(k, shortcut))
            else:
                blocks.append(Block("upstream", f"Upstream gradient at ${g.latex[k]}$", "",
                                    (self._adjoint_eq(k, shortcut),)))
        if sweep:
            blocks.append(Block("upstream", "Reverse sweep",
                                f"$\\partial {self.out}/\\partial n$ for each stage $n$, from the output back, "
                                "each computed once from the stages it feeds:", tuple(sweep)))
            blocks.append(Block("note", "Gradients as path products",
                                "Each asked gradient is the product of the local derivatives along every path "
                                "from the variable to the output, summed over the paths:"))
        for k in asked:
            children = self._relevant_children(k)
            if k in shortcut:
                eq = sb.shortcut(*shortcut[k])
            elif not children:
                eq = Equation(sb.d(loss, k), (("=", "0"),))
            else:
                paths = sb.paths(k) if self.style == "graph" else None
                eq = (sb.path_gradient(k, paths) if paths else
                      sb.chain(k, children, self._chain_path(k, children, shortcut)))
            value = self.grads.adjoint.get(k, sp.Integer(0))
            blocks.append(Block("gradient", f"Gradient with respect to ${g.latex[k]}$", "", (eq,)))
            self.answers.append(answer("gradient", k, sb.d(loss, k), value, self.digits))
        if "gradients" in self.q.ask:
            self.final.extend(self._final_lines(
                asked, lambda k: self.grads.adjoint.get(k, sp.Integer(0)), self.dout, "="))
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
            mrel = rel if rel != "=" or exact else r"\approx"
            lines.append(f"{lhs_of(f'W^{{({layer})}}')} {mrel} {bmatrix(cells)}")
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
            if not (self.style == "matrix" and node.kind == "weight"):
                eqs.append(sb.update(k, q.learning_rate, nv))
            self.answers.append(answer("update", k, g.latex[k], nv, self.digits))
        eta = display(q.learning_rate, 15).latex
        intro = Block("note", "", f"One step of gradient descent with learning rate $\\eta = {eta}$"
                      + ("" if q.update_biases else " (biases are not updated)")
                      + ", each parameter moving against its gradient:",
                      display=r"w \leftarrow w - \eta \frac{\partial L}{\partial w}")
        blocks = [intro] + (self.mx.update(new, q.learning_rate) if self.style == "matrix" else [])
        if eqs:
            blocks.append(Block("update", "", "", tuple(eqs)))
        return Part("Update", tuple(blocks)), new

    def notes(self) -> list[Block]:
        g = self.graph
        out = []
        for n in g.nodes:
            if n.expr is None or n.kind == "loss":
                continue
            kinked = [a for a in sp.preorder_traversal(n.expr) if isinstance(a, (ReLU, LeakyReLU))
                      and evaluate(a.args[0], self.values) == 0]
            for a in kinked:
                conv = ("ReLU'(0) = 0" if isinstance(a, ReLU) else r"\operatorname{LeakyReLU}'(0) = \alpha")
                out.append(Block("note", "Non-differentiable point",
                                 f"The input of ${self.sb.tex(a)}$ is 0, where the activation has a kink; "
                                 f"this key uses ${conv}$, as PyTorch does."))
        kinks = {sp.Abs: r"$|u|$ has a kink at $u = 0$; this key uses $\operatorname{sgn}(0) = 0$, as PyTorch does.",
                 sp.Max: r"$\max$ has a tie; this key splits the gradient equally between the tied arguments "
                         r"($H(0) = \tfrac{1}{2}$), as PyTorch's maximum does.",
                 sp.Min: r"$\min$ has a tie; this key splits the gradient equally between the tied arguments "
                         r"($H(0) = \tfrac{1}{2}$), as PyTorch's minimum does."}
        for n in g.nodes:
            if n.expr is None:
                continue
            for a in sp.preorder_traversal(n.expr):
                if type(a) in kinks:
                    point = a.args[0] if isinstance(a, sp.Abs) else a.args[0] - a.args[1]
                    if evaluate(point, self.values) == 0:
                        out.append(Block("note", "Non-differentiable point", f"At ${g.latex[n.key]}$: " + kinks[type(a)]))
        return out

    def build(self) -> Section:
        q = self.q
        parts, tables = self.numeric_parts() if self.graph is not None else ([], ())
        if any(a in q.ask for a in ("count", "shapes")):
            try:
                sparts, stable, sanswers, sfinal = structure_parts(q.architecture or self.problem.architecture, q.ask)
            except ValueError as exc:
                field = f"questions[{self.qi}].architecture" if q.architecture else "architecture"
                raise ProblemError(str(exc), file=self.file, field=field) from None
            parts += sparts
            tables += (stable,)
            self.answers += sanswers
            self.final += sfinal
        if "derive" in q.ask:
            dpart, danswer, claim = derivation_part(q.derivation)
            parts.append(dpart)
            self.answers.append(danswer)
            self.final.append(claim)
        title = q.title or f"Question {q.id}"
        return Section(q.id, title, q.text or "", tuple(parts), tables + self.extra_tables, tuple(self.final),
                       tuple(self.answers), self.plots, self.asked_text(self.asked()))

    def numeric_parts(self) -> tuple[list, tuple]:
        """Forward pass, loss, backward pass, training and update: the numeric parts."""
        q, g = self.q, self.graph
        asked = self.asked()
        parts = []
        fwd = self.forward_part(full="forward" in q.ask)
        if fwd:
            parts.append(fwd)
        if "forward" in q.ask or (g.loss and not g.loss_title and "loss" in q.ask):
            outs = [n.key for n in g.nodes if n.kind == "output"]
            self.final.extend(f"{g.latex[k]} {self.sb.shown[k].relation} {self.sb.shown[k].latex}" for k in outs)
        if g.loss and g.loss_title:
            parts.append(self.loss_part())
        elif g.loss and "forward" not in q.ask and "loss" in q.ask:
            self.final.append(f"{self.out} {self.sb.shown[g.loss].relation} {self.sb.shown[g.loss].latex}")
        new = {}
        table = None
        if asked:
            parts.append(self.backward_part(asked))
            if "train" in q.ask:
                trained = [k for k in asked if g.by_key[k].kind in PARAMETER_KINDS
                           and (q.update_biases or g.by_key[k].kind != "bias")]
                try:
                    part, ttable, plot = training_part(self, trained)
                except ValueError as exc:
                    raise ProblemError(f"training failed: {exc}", file=self.file, field=f"questions[{self.qi}]") from None
                parts.append(part)
                self.extra_tables += (ttable,)
                self.plots += (plot,)
            if "update" in q.ask:
                up, new = self.update_part(asked)
                parts.append(up)
                self.final.extend(self._final_lines(list(new), new.__getitem__, lambda name: name, r"\leftarrow"))
            if len(asked) > 2:
                header = ("\\text{parameter}", "\\text{value}", rf"\partial {self.out} / \partial \cdot") + (
                    ("\\text{updated}",) if new else ())
                rows = []
                for k in asked:
                    row = (g.latex[k], self.sb.shown[k].latex,
                           display(self.grads.adjoint.get(k, 0), self.digits).latex)
                    if new:
                        row += (display(new[k], self.digits).latex if k in new else "",)
                    rows.append(row)
                table = Table("Table of gradients", header, tuple(rows))
        notes = self.notes()
        if notes:
            parts.append(Part("Notes", tuple(notes)))
        return parts, ((table,) if table else ())

    def asked_text(self, asked: list[str]) -> str:
        """What the question asks, in words, for the question sheet."""
        q, g = self.q, self.graph
        items = []
        if "shapes" in q.ask:
            items.append("the output shape of every layer")
        if "count" in q.ask:
            items.append("the number of learnable parameters, layer by layer and in total (biases included)")
        if "derive" in q.ask:
            items.append("a derivation, step by step")
        if g is None:
            return "Asked: " + "; ".join(items) + "." if items else ""
        if "forward" in q.ask:
            items.append("the forward pass (every " + ("stage" if self.problem.graph is not None else "neuron")
                         + "'s value)")
        if "loss" in q.ask and g.loss_title:
            items.append(f"the loss ({g.loss_title})")
        if "gradients" in q.ask:
            names = [f"${self.dout(g.latex[k])}$" for k in asked]
            items.append("every gradient" if q.gradients == "all" else "the gradients " + ", ".join(names))
        if "update" in q.ask:
            items.append(f"one step of gradient descent with $\\eta = {display(q.learning_rate, 15).latex}$")
        if "train" in q.ask:
            items.append(f"{q.steps} steps of training, with the loss along the way")
        return "Asked: " + "; ".join(items) + "." if items else ""


