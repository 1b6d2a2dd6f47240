"""One question's shared state: its graph, exact values and gradients, the step
builders, and what the question's parts add to the section (answers, final lines,
tables, plots). The parts themselves are built by :mod:`.forward`, :mod:`.backward`,
:mod:`.update`, :mod:`.notes` and :mod:`.training`; :mod:`.section` puts them in order.
"""

from __future__ import annotations

from ..core.errors import ProblemError
from ..core.numbers import display
from ..graph.backprop import Gradients, backward, forward
from ..graph.model import PARAMETER_KINDS
from ..graph.network import build_network
from ..graph.spec import build_graph_spec
from ..graph.tensor_spec import dependencies
from ..ops.latex import bmatrix
from ..problem.schema import Problem, Question
from .matrix import MatrixSteps
from .recap import Derived, question_label
from .staged import StagedSteps

NUMERIC = ("forward", "loss", "gradients", "update", "train")


def gathered(lines: list[str]) -> str:
    """Several display lines, centred, in one ``gathered`` environment."""
    return r"\begin{gathered} " + r" \\ ".join(lines) + r" \end{gathered}"


def graph_key(q: Question) -> tuple:
    """What a question's graph, values and gradients depend on (the graph builders read
    nothing else of the question): its output head, loss and target as written (the
    problem's apply when they are not), and whether it needs the loss and the gradients.
    Two questions of one problem with the same key have the same graph."""
    return (q.output_head, repr(q.loss), repr(q.target),
            any(a in q.ask for a in ("loss", "gradients", "update", "train")),
            any(a in q.ask for a in ("gradients", "update", "train")))


class QuestionWork:
    """What the parts of one question's solution share and add to.

    Args:
        problem, question, qi: the problem, the question and its index.
        digits: significant figures shown.
        shown_before: marks of what earlier questions already showed (shared by all).
        file: the problem file's path, for error messages.
        style: ``neuron``, ``matrix`` or ``graph``.
        derived: what earlier questions derived, and where (shared by all); the neuron
            and matrix styles refer back to it instead of deriving again.

    Raises:
        ProblemError: the network cannot be evaluated.
    """

    def __init__(self, problem: Problem, question: Question, qi: int, digits: int,
                 shown_before: set, file: str | None, style: str = "neuron", derived: Derived | None = None,
                 graphs: dict | None = None):
        self.problem, self.q, self.qi, self.digits = problem, question, qi, digits
        self.file, self.style = file, style
        self.shown_before = shown_before
        self.derived = derived if derived is not None else Derived()
        self.label = question_label(question.title, qi)
        self.answers: list = []
        self.extra_tables: tuple = ()
        self.plots: tuple = ()
        self.final: list[str] = []
        self.graph = None
        self.grads = None
        self._relevant_children: dict[str, list[str]] = {}
        self._once: dict[tuple, object] = {}
        if not any(a in question.ask for a in NUMERIC):  # counts, shapes, derivations only
            return
        key = graph_key(question)
        if graphs is not None and key in graphs:  # an earlier question of this key had the same graph
            self.graph, self.values, self.grads = graphs[key]
        else:
            build = build_graph_spec if problem.graph is not None else build_network
            self.graph = build(problem, question, file)
            try:
                self.values = forward(self.graph)
                self.grads: Gradients | None = backward(self.graph, self.values) if self.graph.loss else None
            except ValueError as exc:
                node = getattr(exc, "node", None)
                on_graph = problem.graph is not None
                named = on_graph and node in problem.graph.nodes  # the field names the node
                raise ProblemError(f"cannot evaluate the {'graph' if on_graph else 'network'}: "
                                   f"{exc.detail if named else exc}", file=file,
                                   field=f"graph.nodes.{node}" if named else f"questions[{qi}]") from None
            if graphs is not None:
                graphs[key] = (self.graph, self.values, self.grads)
        self.sb = StagedSteps(self.graph, self.values, digits, self.grads)
        self.mx = MatrixSteps(self.graph, self.values, self.grads, digits, self.sb) if self.graph.layers else None
        self.out = self.graph.latex[self.graph.loss] if self.graph.loss else "L"

    # The nodes asked for, validated against the graph.

    def asked(self) -> list[str]:
        q, g = self.q, self.graph
        if g is None or not any(a in q.ask for a in ("gradients", "update", "train")):
            return []
        if g.tensors:
            return self.tensors_asked()
        params = g.parameters()
        if q.gradients == "all":
            return params
        known = [n.key for n in g.nodes if n.kind not in ("target", "loss")]
        for name in q.gradients:
            if name not in known:
                import difflib  # a misspelt name's hint, only on this error path

                close = difflib.get_close_matches(name, known, n=1)
                hint = f" (did you mean '{close[0]}'?)" if close else f" (parameters: {', '.join(params)})"
                raise ProblemError(f"no quantity named '{name}'{hint}", file=self.file,
                                   field=f"questions[{self.qi}].gradients")
        return list(q.gradients)

    def tensors_asked(self) -> list[str]:
        """A tensor graph's asked tensors (``all``: its parameters), by name.

        Raises:
            ProblemError: a name that is not a tensor of the graph, with the closest name.
        """
        tensors = {t.key: t for t in self.graph.tensors}
        if self.q.gradients == "all":
            return [t.key for t in self.graph.tensors if t.kind in PARAMETER_KINDS]
        for name in self.q.gradients:
            if name not in tensors or tensors[name].kind == "output":
                import difflib  # a misspelt name's hint, only on this error path

                close = difflib.get_close_matches(name, list(tensors), n=1)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                raise ProblemError(f"no tensor named '{name}'{hint}", file=self.file,
                                   field=f"questions[{self.qi}].gradients")
        return list(self.q.gradients)

    def dout(self, name: str) -> str:
        """``\\frac{\\partial L}{\\partial name}`` with the output's name."""
        return rf"\frac{{\partial {self.out}}}{{\partial {name}}}"

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

    def relevant_children(self, key: str) -> list[str]:
        """The children of ``key`` that reach the loss, in graph order (worked out once per key:
        callers only read the list)."""
        out = self._relevant_children.get(key)
        if out is None:
            rel = self.graph.relevant
            out = self._relevant_children[key] = [c for c in self.graph.children[key] if c in rel]
        return out

    def once(self, what: str, key, make):
        """``make()``, worked out once per question for (``what``, ``key``) and kept: what
        several parts of the key read (a norm layer's exact statistics, the tensors each
        tensor reads). ``make``'s result is shared: callers only read it."""
        found = self._once.get((what, key), self)
        if found is self:
            found = self._once[(what, key)] = make()
        return found

    def loss_identity(self) -> tuple:
        """What the gradients depend on beyond the forward values: the loss (each example's and
        the penalty) as written, and the targets' values. Gradients that agree by chance under
        two losses (2(o − 0) and o − (−0.5)) are not one derivation shown before."""
        g = self.graph  # sympy's expressions and numbers compare (and hash) by structure: not printed
        return self.once("loss identity", None, lambda: tuple(
            (n.key, n.expr if n.expr is not None else n.value) for n in g.nodes
            if n.kind in ("loss", "penalty", "target") or n.key == g.loss))

    def tensor_reads(self) -> dict[str, set[str]]:
        """A tensor graph's computed tensors, each with the names of the tensors its
        expression reads (worked out once per question: a recurrent graph's unrolled trees
        are walked for every tensor whose readers are asked)."""
        return self.once("reads", None, lambda: {u.key: dependencies(u.tree) for u in self.graph.tensors
                                                 if u.tree is not None})

    def final_lines(self, keys: list[str], value_of, lhs_of, rel: str) -> list[str]:
        """Final-answer lines; a layer whose every weight is listed becomes one matrix
        (shaped as the problem writes it)."""
        g = self.graph
        lines, done, listed = [], set(), set(keys)  # a set: membership per weight in constant time
        by_layer: dict[int, list] = {}
        for n in g.nodes:
            if n.kind == "weight":
                by_layer.setdefault(n.layer, []).append(n)
        for layer, ws in sorted(by_layer.items()):
            if len(ws) < 2 or not all(w.key in listed for w in ws):
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
