"""The matrix (vectorised) style: each layer as ``z = W a + b`` with every matrix
written out, and backpropagation as ``δ``, outer products and ``Wᵀ δ``.

Every number shown is read from the graph's exact values and adjoints (the same
reverse accumulation as the other styles), so the styles cannot disagree. For a
batch, the examples are the columns (``z = W x``) or the rows (``z = x W``).
"""

from __future__ import annotations

import sympy as sp

from ..core.numbers import display, written_latex
from ..graph.backprop import Gradients
from ..graph.model import Graph, LayerInfo
from ..ops.activations import ACTIVATIONS
from ..ops.latex import bmatrix
from .model import Block, Equation


class MatrixNumbers:
    """Values of a layered network's quantities written as matrices: one column per
    example (``z = W x``) or one row per example (``z = x W``)."""

    def __init__(self, graph: Graph, values: dict, grads: Gradients | None, digits: int):
        self.g, self.values, self.grads, self.digits = graph, values, grads, digits
        self.row = graph.orientation == "xW"  # vectors are rows, examples stack as rows
        self.n = graph.examples

    # -- numbers as matrices -----------------------------------------------------------
    def _fmt(self, v) -> str:
        return display(v, self.digits).latex

    def _mat(self, rows: list[list]) -> str:
        return bmatrix([[self._fmt(v) for v in r] for r in rows])

    def vec(self, keys_per_example, source: dict) -> str:
        """Values of per-example key lists as a matrix: one column per example (Wx)
        or one row per example (xW)."""
        cols = [[source[k] for k in keys] for keys in keys_per_example]
        rows = cols if self.row else [list(r) for r in zip(*cols)]
        return self._mat(rows)

    def weights(self, info: LayerInfo, source: dict) -> str:
        return self._mat([[source[k] for k in row] for row in info.weights])

    def bias(self, info: LayerInfo, source: dict) -> str:
        keys = [info.bias] * len(info.pre[0]) if isinstance(info.bias, str) else list(info.bias)
        vals = [source[k] for k in keys]
        return self._mat([vals] if self.row else [[v] for v in vals])

    @staticmethod
    def _exact(values) -> bool:
        return all(display(v, 15).exact and sp.sympify(v).is_Rational for v in values)

    def _rel(self, keys_per_example, source: dict) -> str:
        vals = [source[k] for keys in keys_per_example for k in keys]
        return "=" if all(display(v, self.digits).exact for v in vals) else r"\approx"

    # -- names -------------------------------------------------------------------------
    def a(self, layer: int) -> str:
        upper = self.n > 1
        if layer == 0:
            return "X" if upper else "x"
        return rf"{'A' if upper else 'a'}^{{({layer})}}"

    def z(self, layer: int) -> str:
        return rf"{'Z' if self.n > 1 else 'z'}^{{({layer})}}"

    def shape(self, info: LayerInfo) -> str:
        rows, cols = len(info.weights), len(info.weights[0])
        return rf"W^{{({info.index})}} \in \mathbb{{R}}^{{{rows}\times {cols}}}"

    def _components(self, keys) -> str:
        return "(" + ", ".join(self.g.latex[k] for k in keys) + ")"


class MatrixGradients(MatrixNumbers):
    """The matrix style's weight gradients (``∂L/∂W = δ aᵀ``) and the update."""

    def _weight_gradient(self, info: LayerInfo) -> Block:
        l, adj, g = info.index, self.grads.adjoint, self.g
        prev = self.a(l - 1)
        prev_t = rf"{{{prev}}}^\top" if "^" in prev else rf"{prev}^\top"
        sym = (rf"{prev_t} \delta^{{({l})}}" if self.row else rf"\delta^{{({l})}} {prev_t}")
        nums = (rf"{self.vec(info.inputs, self.values)}^\top {self.vec(info.pre, adj)}" if self.row
                else rf"{self.vec(info.pre, adj)} {self.vec(info.inputs, self.values)}^\top")
        grad_w = self._mat([[adj.get(k, 0) for k in row] for row in info.weights])
        keys = [k for row in info.weights for k in row]
        eqs = [Equation(rf"\frac{{\partial L}}{{\partial W^{{({l})}}}}", (
            ("=", sym), (r"\approx" if not self._all_exact(keys) else "=", nums),
            (r"\approx" if not self._all_exact(keys) else "=", grad_w)))]
        if info.bias is not None:
            if isinstance(info.bias, str):
                eqs.append(Equation(rf"\frac{{\partial L}}{{\partial {g.latex[info.bias]}}}", (
                    ("=", rf"\textstyle\sum_j \delta^{{({l})}}_j" + (r"\text{ over all examples}" if self.n > 1 else "")),
                    (display(adj[info.bias], self.digits).relation, self._fmt(adj[info.bias])))))
            else:
                vals = [adj[k] for k in info.bias]
                summed = rf"\textstyle\sum_n \delta^{{({l})[n]}}" if self.n > 1 else rf"\delta^{{({l})}}"
                eqs.append(Equation(rf"\frac{{\partial L}}{{\partial b^{{({l})}}}}", (
                    ("=", summed), ("=" if self._all_exact(list(info.bias)) else r"\approx",
                                    self._mat([vals] if self.row else [[v] for v in vals])))))
        return Block("layer", f"Layer {l}: gradients", "", tuple(eqs))

    def _all_exact(self, keys) -> bool:
        return all(display(self.grads.adjoint.get(k, 0), self.digits).exact for k in keys)

    # -- update ------------------------------------------------------------------------
    def update(self, new: dict, rate) -> list[Block]:
        g, eqs = self.g, []
        eta = written_latex(rate)
        for info in g.layers:
            keys = [k for row in info.weights for k in row]
            if not all(k in new for k in keys):
                continue
            l = info.index
            old = self.weights(info, g.by_key_values)
            grad = self._mat([[self.grads.adjoint[k] for k in row] for row in info.weights])
            nw = self._mat([[new[k] for k in row] for row in info.weights])
            eqs.append(Equation(rf"W^{{({l})}}", ((r"\leftarrow", rf"W^{{({l})}} - \eta \frac{{\partial L}}{{\partial W^{{({l})}}}}"),
                                                  ("=" if self._all_exact(keys) else r"\approx", rf"{old} - {eta} {grad}"),
                                                  (self._rel([keys], new), nw))))
        return [Block("update", "Updated weights", "", tuple(eqs))] if eqs else []


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
                eqs.append(Equation(self.a(l), (("=", rf"{act.latex}\left({self.z(l)}\right)"),
                                                (self._rel(info.acts, self.values), self.vec(info.acts, self.values)))))
            text = (f"${self.shape(info)}$; ${self.z(l)}$ holds ${self._components(info.pre[0])}$"
                    + ("" if identity else f" and ${self.a(l)}$ holds ${self._components(info.acts[0])}$")
                    + (", example by example" if self.n > 1 else "") + ".")
            title = f"Layer {l} ({act.title})"
            definition = act.definition
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
                        ("=", rf"{scale}(\hat{{y}} - y)"),
                        (self._rel(info.pre, adj), self.vec(info.pre, adj)))))
                    text = (r"Softmax followed by cross-entropy with targets summing to 1: "
                            r"$\frac{\partial L}{\partial z_j} = \sum_k \frac{\partial L}{\partial p_k}"
                            r"\frac{\partial p_k}{\partial z_j} = -\sum_k \frac{y_k}{p_k}\, p_k(\delta_{kj} - p_j)"
                            r" = p_j - y_j$" + (", averaged over the batch." if self.n > 1 else "."))
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
        return Equation(rf"\delta^{{({l})}}", (
            ("=", rf"{da} \odot {ACTIVATIONS[info.activation].prime}\left({self.z(l)}\right)"),
            ("=", rf"{self.vec(info.acts, adj)} \odot {self._mat(rows)}"),
            (self._rel(info.pre, adj), self.vec(info.pre, adj))))
