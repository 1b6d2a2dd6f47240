"""The matrix style's numbers: a layered network's values written as matrices (one
column or one row per example), the names of its layer matrices, and the weight
gradients (``∂L/∂W = δ aᵀ``) and the update written out."""

from __future__ import annotations

import sympy as sp

from ..core.numbers import display, written_latex
from ..graph.backprop import Gradients
from ..graph.model import Graph, LayerInfo
from ..graph.regularization import PENALTY
from ..ops.latex import bmatrix
from .model import Block, Equation


class MatrixNumbers:
    """Values of a layered network's quantities written as matrices: one column per
    example (``z = W x``) or one row per example (``z = x W``)."""

    def __init__(self, graph: Graph, values: dict, grads: Gradients | None, digits: int):
        self.g, self.values, self.grads, self.digits = graph, values, grads, digits
        self.row = graph.orientation == "xW"  # vectors are rows, examples stack as rows
        self.n = graph.examples
        self._weights: dict = {}  # (layer, id(source)) → (source, text): the forward and backward passes print W alike

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
        kept = self._weights.get((info.index, id(source)))
        if kept is None or kept[0] is not source:
            kept = self._weights[(info.index, id(source))] = (
                source, self._mat([[source[k] for k in row] for row in info.weights]))
        return kept[1]

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
    def _info(self, layer: int) -> LayerInfo | None:
        return self.g.layers[layer - 1] if 0 < layer <= len(self.g.layers) else None

    def a(self, layer: int) -> str:
        """The activations of ``layer`` (0: the input): the problem's name for the vector,
        else a⁽ˡ⁾ (A⁽ˡ⁾ for a batch)."""
        upper = self.n > 1
        if layer == 0:
            return "X" if upper else "x"
        info = self._info(layer)
        if info is not None and info.vector:
            return info.vector
        return rf"{'A' if upper else 'a'}^{{({layer})}}"

    def z(self, layer: int) -> str:
        """The pre-activations of ``layer``: the problem's name, else z⁽ˡ⁾ (Z⁽ˡ⁾ for a batch)."""
        info = self._info(layer)
        if info is not None and info.z_vector:
            return info.z_vector
        return rf"{'Z' if self.n > 1 else 'z'}^{{({layer})}}"

    def shape(self, info: LayerInfo) -> str:
        rows, cols = len(info.weights), len(info.weights[0])
        return rf"W^{{({info.index})}} \in \mathbb{{R}}^{{{rows}\times {cols}}}"

    def _holds(self, name: str, keys) -> str:
        """``$z^{(1)} = (z_{1}, z_{2})$`` for one example (a line may break after the
        ``=``); ``$Z^{(1)}$ holds $(…)$`` for a batch, whose matrix holds them per example."""
        if self.n > 1:
            return f"${name}$ holds ${self._components(keys)}$"
        return f"${name} = {self._components(keys)}$"

    def _components(self, keys) -> str:
        """``(h_{1}, h_{2}, h_{3})``; past three, the first two and the last around
        ``\\dots`` (a sentence stays short enough to break between its formulas)."""
        names = [self.g.latex[k] for k in keys]
        if len(names) > 3:
            names = names[:2] + [r"\dots"] + names[-1:]
        return "(" + ", ".join(names) + ")"


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
        rel = r"\approx" if not self._all_exact(keys) else "="
        pen = self.g.penalty
        if pen is not None and keys[0] in pen.terms:  # ∂L/∂W = δ aᵀ + ∂R/∂W
            local = self.grads.local
            data = self._mat([[adj.get(k, 0) - local[(PENALTY, k)].value for k in row] for row in info.weights])
            penalty = self._mat([[local[(PENALTY, k)].value for k in row] for row in info.weights])
            parts = (("=", f"{sym} + {pen.gradient_latex(f'W^{{({l})}}')}"),
                     (rel, f"{nums} + {pen.gradient_latex(self.weights(info, g.by_key_values))}"),
                     (rel, f"{data} + {penalty}"), (rel, grad_w))
        else:
            parts = (("=", sym), (rel, nums), (rel, grad_w))
        eqs = [Equation(rf"\frac{{\partial L}}{{\partial W^{{({l})}}}}", parts)]
        if info.bias is not None:
            eqs.append(self._bias_gradient(info))
        return Block("layer", f"Layer {l}: gradients", "", tuple(eqs))

    def _bias_gradient(self, info: LayerInfo) -> Equation:
        """``∂L/∂b = Σ δ`` (a shared bias: over the layer's units), plus ``λ b`` when the
        penalty covers the biases."""
        l, adj, g = info.index, self.grads.adjoint, self.g
        keys = [info.bias] if isinstance(info.bias, str) else list(info.bias)
        pen = self.g.penalty if self.g.penalty is not None and keys[0] in self.g.penalty.terms else None
        if isinstance(info.bias, str):
            lhs, name = rf"\frac{{\partial L}}{{\partial {g.latex[info.bias]}}}", g.latex[info.bias]
            summed = rf"\textstyle\sum_j \delta^{{({l})}}_j" + (r"\text{ over all examples}" if self.n > 1 else "")
            shape = lambda vals: self._fmt(vals[0])  # noqa: E731
        else:
            lhs, name = rf"\frac{{\partial L}}{{\partial b^{{({l})}}}}", f"b^{{({l})}}"
            summed = rf"\textstyle\sum_n \delta^{{({l})[n]}}" if self.n > 1 else rf"\delta^{{({l})}}"
            shape = lambda vals: self._mat([vals] if self.row else [[v] for v in vals])  # noqa: E731
        rel = "=" if self._all_exact(keys) else r"\approx"
        if pen is None:
            return Equation(lhs, (("=", summed), (rel, shape([adj[k] for k in keys]))))
        penalty = [self.grads.local[(PENALTY, k)].value for k in keys]
        return Equation(lhs, (("=", f"{summed} + {pen.gradient_latex(name)}"),
                              (rel, f"{shape([adj[k] - p for k, p in zip(keys, penalty)])} + {shape(penalty)}"),
                              (rel, shape([adj[k] for k in keys]))))

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
