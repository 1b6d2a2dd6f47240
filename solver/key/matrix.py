"""The matrix (vectorised) style: each layer as ``z = W a + b`` with every matrix
written out, and backpropagation as ``δ``, outer products and ``Wᵀ δ``.

Every number shown is read from the graph's exact values and adjoints (the same
reverse accumulation as the other styles), so the styles cannot disagree. For a
batch, the examples are the columns (``z = W x``) or the rows (``z = x W``).
"""

from __future__ import annotations

from ..core.numbers import display
from ..graph.backprop import Gradients
from ..graph.model import Graph, LayerInfo
from ..ops.activations import ACTIVATIONS
from ..ops.functions import applied
from ..ops.latex import bmatrix, in_softmax_names
from ..ops.losses.cross_entropy import SHORTCUT_CHAIN
from .matrices import MatrixGradients
from .model import Block, Equation


class MatrixSteps(MatrixGradients):
    """Blocks of the matrix style for one question.

    Args:
        graph: a layered network's graph (``graph.layers`` filled in).
        values: every node's exact value; grads: the backward pass (or ``None``).
        digits: significant figures shown.
    """

    def __init__(self, graph: Graph, values: dict, grads: Gradients | None, digits: int, steps=None):
        super().__init__(graph, values, grads, digits)
        self.steps = steps  # a StepBuilder, for formulas in the graph's symbols

    # -- forward -----------------------------------------------------------------------
    def forward(self) -> list[Block]:
        g, out = self.g, []
        how = ("each column is one example" if not self.row else "each row is one example") if self.n > 1 else (
            "vectors are columns" if not self.row else "vectors are rows")
        form = "z = x W" if self.row else "z = W x"
        if any(info.bias is not None for info in g.layers):
            form += " + b"
        out.append(Block("note", "Matrix form", f"Orientation ${form}$; {how}."))
        for info in g.layers:
            l, act = info.index, ACTIVATIONS[info.activation]
            prev = self.a(l - 1)
            lhs = rf"{self.z(l)} = {prev} W^{{({l})}}" if self.row else rf"{self.z(l)} = W^{{({l})}} {prev}"
            if info.bias is not None:
                lhs += rf" + b^{{({l})}}"
            nums = (f"{self.vec(info.inputs, self.values)} {self.weights(info, g.by_key_values)}" if self.row
                    else f"{self.weights(info, g.by_key_values)} {self.vec(info.inputs, self.values)}")
            if info.bias is not None:
                nums += " + " + self.bias(info, g.by_key_values)
            z_keys = info.pre
            eqs = [Equation(self.z(l), (("=", lhs.split(" = ", 1)[1]), (self._rel(info.inputs, self.values), nums),
                                        (self._rel(z_keys, self.values), self.vec(z_keys, self.values))))]
            identity = act.identity
            if not identity:
                eqs.append(Equation(self.a(l), (("=", applied(act.latex, self.z(l))),
                                                (self._rel(info.acts, self.values), self.vec(info.acts, self.values)))))
            text = (f"${self.shape(info)}$; {self._holds(self.z(l), info.pre[0])}"
                    + ("" if identity else f" and {self._holds(self.a(l), info.acts[0])}")
                    + (", example by example" if self.n > 1 else "") + ".")
            title = f"Layer {l} ({act.title})"
            definition = in_softmax_names(act.definition, *self.g.softmax_names)
            out.append(Block("layer", title, text, tuple(eqs), display=definition))
        return out

    # -- backward ----------------------------------------------------------------------
    def backward(self, shortcut: bool, asked: set[str]) -> list[Block]:
        g, adj, out = self.g, self.grads.adjoint, []
        layers = list(g.layers)
        for pos in range(len(layers) - 1, -1, -1):
            info = layers[pos]
            l = info.index
            act = ACTIVATIONS[info.activation]
            identity = act.identity
            eqs = []
            delta = rf"\delta^{{({l})}}"
            if pos == len(layers) - 1:
                if shortcut:
                    scale = rf"\tfrac{{1}}{{{self.n}}}" if self.n > 1 else ""
                    eqs.append(Equation(delta, (
                        ("=", rf"\frac{{\partial L}}{{\partial {self.z(l)}}}"),
                        ("=", rf"{scale}({self.a(l)} - y)"),
                        (self._rel(info.pre, adj), self.vec(info.pre, adj)))))
                    text = in_softmax_names(
                        rf"Softmax followed by cross-entropy with targets summing to 1: ${SHORTCUT_CHAIN} = p_j - y_j$"
                        + (", averaged over the batch." if self.n > 1 else "."), *self.g.softmax_names)
                else:
                    parts = [(self._rel(info.acts, adj), self.vec(info.acts, adj))]
                    formulas = self._output_formulas(info)
                    if formulas:
                        parts.insert(0, ("=", formulas))
                    eqs.append(Equation(rf"\frac{{\partial L}}{{\partial {self.a(l)}}}", tuple(parts)))
                    eqs.extend(self._delta_eqs(info, identity))
                    text = "The output layer's error" + (
                        f" (each example's derivative carries the batch mean's factor 1/{self.n})."
                        if self.n > 1 else ".")
            else:
                nxt = layers[pos + 1]
                dn = rf"\delta^{{({nxt.index})}}"
                wt = (rf"{dn} W^{{({nxt.index})\top}}" if self.row else rf"W^{{({nxt.index})\top}} {dn}")
                wnums = (f"{self.vec(nxt.pre, adj)} {self.weights(nxt, g.by_key_values)}^\\top" if self.row
                         else f"{self.weights(nxt, g.by_key_values)}^\\top {self.vec(nxt.pre, adj)}")
                eqs.append(Equation(rf"\frac{{\partial L}}{{\partial {self.a(l)}}}", (
                    ("=", wt), (self._rel(nxt.pre, adj), wnums), (self._rel(info.acts, adj), self.vec(info.acts, adj)))))
                eqs.extend(self._delta_eqs(info, identity))
                text = "Back through the next layer's weights, then the activation's derivative."
            out.append(Block("layer", f"Layer {l}: error", text, tuple(eqs)))
            out.append(self._weight_gradient(info))
        return out

    def _output_formulas(self, info: LayerInfo) -> str:
        """``(2(o_1 − y_1), 2(o_2 − y_2))``: ∂L/∂a of the output layer in symbols, for a
        single example (``p_k − y_k`` through a softmax head with cross-entropy)."""
        if self.steps is None:
            return ""
        if self.n > 1:
            return self._batch_output_formulas(info)
        g = self.g
        head = {o: (p, y) for o, p, y in g.softmax_ce}
        items = []
        for k in info.acts[0]:
            if k in head:
                p, y = head[k]
                items.append(f"{g.latex[p]} - {g.latex[y]}")
            elif (g.loss, k) in self.grads.local and g.children[k] == (g.loss,):
                items.append(self.steps.tex(self.steps._local_form(g.loss, k)))
            else:
                return ""
        if len(items) > 4:
            items = items[:2] + [r"\dots"] + items[-1:]
        return bmatrix([items] if self.row else [[item] for item in items])

    def _batch_output_formulas(self, info: LayerInfo) -> str:
        """∂L/∂a of the output layer in symbols, one entry per example and unit: the
        per-example loss's derivative times the batch reduction's (``½(o⁽ⁿ⁾ − y⁽ⁿ⁾)``)."""
        g, st = self.g, self.steps
        cols = []
        for acts in info.acts:
            col = []
            for k in acts:
                ch = g.children[k]
                if len(ch) != 1 or g.children[ch[0]] != (g.loss,) or (ch[0], k) not in self.grads.local:
                    return ""
                col.append(st.tex(st._local_form(g.loss, ch[0]) * st._local_form(ch[0], k)))
            cols.append(col)
        rows = cols if self.row else [list(r) for r in zip(*cols)]
        if max(len(r) for r in rows) > 4 or len(rows) > 4:
            return ""
        return bmatrix(rows)

    def _delta_eqs(self, info: LayerInfo, identity: bool) -> tuple[Equation, ...]:
        eq = self._delta_eq(info, identity)
        return eq if isinstance(eq, tuple) else (eq,)

    def _softmax_delta(self, info: LayerInfo, da: str) -> tuple[Equation, ...]:
        """The softmax's Jacobian ``J`` (``J_kj = ∂a_k/∂z_j = a_k(δ_kj − a_j)``) written
        out, then ``δ = ∂L/∂a · J`` (rows) or ``Jᵀ ∂L/∂a`` (columns), one example at a time."""
        l, adj = info.index, self.grads.adjoint
        a, z = self.a(l), self.z(l)
        entry = rf"\frac{{\partial {a}_k}}{{\partial {z}_j}} = {a}_k\,(\delta_{{kj}} - {a}_j)"
        sym = rf"{da} J" if self.row else rf"J^\top {da}"
        if self.n > 1:  # one Jacobian per example: δ computed example by example
            return (Equation("J_{kj}", (("=", entry),)),
                    Equation(rf"\delta^{{({l})}}", (("=", sym + r"\ \text{for each example}"),
                                                     (self._rel(info.pre, adj), self.vec(info.pre, adj)))))
        jac = [[self.grads.local[(p, q)].value for q in info.pre[0]] for p in info.acts[0]]
        nums = (rf"{self.vec(info.acts, adj)} {self._mat(jac)}" if self.row
                else rf"{self._mat(jac)}^\top {self.vec(info.acts, adj)}")
        exact = all(display(v, self.digits).exact for r in jac for v in r)
        return (Equation("J", (("=", rf"\frac{{\partial {a}}}{{\partial {z}}}"), ("=", rf"\Bigl[{entry}\Bigr]_{{kj}}"),
                               ("=" if exact else r"\approx", self._mat(jac)))),
                Equation(rf"\delta^{{({l})}}", (("=", sym), (r"\approx", nums),
                                                 (self._rel(info.pre, adj), self.vec(info.pre, adj)))))

    def _delta_eq(self, info: LayerInfo, identity: bool) -> Equation | tuple[Equation, ...]:
        l, adj = info.index, self.grads.adjoint
        da = rf"\frac{{\partial L}}{{\partial {self.a(l)}}}"
        if identity:
            return Equation(rf"\delta^{{({l})}}", (("=", da), (self._rel(info.pre, adj), self.vec(info.pre, adj))))
        if info.activation == "softmax":
            return self._softmax_delta(info, da)
        prime = [[self.grads.local[(a, z)].value for a, z in zip(acts, pres)]
                 for acts, pres in zip(info.acts, info.pre)]
        rows = prime if self.row else [list(r) for r in zip(*prime)]
        shown = [adj[k] for keys in info.acts for k in keys] + [v for r in prime for v in r]
        return Equation(rf"\delta^{{({l})}}", (
            ("=", rf"{da} \odot " + applied(ACTIVATIONS[info.activation].prime, self.z(l))),
            ("=" if all(display(v, self.digits).exact for v in shown) else r"\approx",
             rf"{self.vec(info.acts, adj)} \odot {self._mat(rows)}"),
            (self._rel(info.pre, adj), self.vec(info.pre, adj))))
