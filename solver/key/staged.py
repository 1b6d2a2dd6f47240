"""Equations of the staged ("graph") style: local derivatives beside each stage, and,
for a question that asks for the paths, a gradient as the sum over its paths of the
product of the local derivatives along each path, read from the reverse sweep where a
path meets it."""

from __future__ import annotations

from functools import cached_property

import sympy as sp

from ..core.numbers import normalize
from ..graph.model import Graph
from ..ops.extremum import Indicator, derivative_definition
from .model import Equation
from .steps import StepBuilder

_RANK = {"loss": 0, "output": 1, "activation": 1, "stage": 1, "preactivation": 2}


def backward_order(graph: Graph) -> list:
    """Computed nodes from the loss back, layer by layer (outputs before their
    pre-activations, neurons in order within a layer); reverse graph order where
    nodes have no layer."""
    pos = {n.key: i for i, n in enumerate(graph.nodes)}
    computed = [n for n in graph.nodes if not n.is_leaf]
    if any(n.layer is None for n in computed if n.kind != "loss"):
        return list(reversed(computed))
    return sorted(computed, key=lambda n: (-(n.layer or 10**6), _RANK.get(n.kind, 1), pos[n.key]))


def _product_value(values) -> sp.Expr:
    out = sp.Integer(1)
    for v in values:
        out = out * v
    return normalize(out)


class StagedSteps(StepBuilder):
    """Equations of the staged ("graph") style: local derivatives beside each stage,
    and gradients as sums over paths where a question asks for the paths."""

    MAX_PATHS = 8

    def local_derivatives(self, key: str) -> list[tuple[str, Equation]]:
        """``(parent, ∂xw_0/∂x_0 = w_0 = 0.3)`` for every parent of ``key`` on a path to the output."""
        out = []
        order = {}
        for a in sp.preorder_traversal(self.graph.by_key[key].expr):
            if a.is_Symbol:
                order.setdefault(a.name, len(order))
        for parent in sorted(self.graph.parents[key], key=lambda p: order.get(p, 0)):
            loc = self.grads.local.get((key, parent))
            if loc is None:
                continue
            form = self._local_form(key, parent)
            value = self.show(loc.value)
            parts = [("=", self.tex(form))]
            if parts[0][1] != value.latex:
                parts.append((value.relation, value.latex))
            out.append((parent, Equation(self.d(key, parent), tuple(parts))))
        return out

    def step_definition(self, edges) -> str:
        """The definition of the indicator ``𝕀`` of max's and min's derivatives, with the
        tie convention, when a local derivative of ``edges`` ((child, parent) pairs) uses
        it; ``""`` otherwise."""
        return derivative_definition({type(i) for c, p in edges if (c, p) in self.grads.local
                                      for i in self.grads.local[(c, p)].formula.atoms(Indicator)})

    # -- paths ---------------------------------------------------------------------
    @cached_property
    def _path_counts(self) -> dict[str, int]:
        """For each node that reaches the output, how many paths lead there."""
        g, out = self.graph, self.graph.loss
        counts = {out: 1}
        for n in reversed(g.nodes):
            if n.key in g.relevant and n.key != out:
                counts[n.key] = sum(counts.get(c, 0) for c in g.children[n.key] if c in g.relevant)
        return counts

    def _meets_sweep(self, key: str, stops: set) -> bool:
        """Whether ∂out/∂key is a single value of the sweep a path can stop at: the
        output, a stop (a logit under the p − y shortcut) or a stage with one path on."""
        return key == self.graph.loss or key in stops or self._path_counts.get(key) == 1

    def paths(self, key: str, stops: frozenset = frozenset()) -> list[list[str]] | None:
        """Every path from ``key`` up to the first stage where it meets the sweep
        (``[key, …, m]``, see :meth:`_meets_sweep`), or ``None`` when there are more
        than :attr:`MAX_PATHS`."""
        relevant = self.graph.relevant
        found: list[list[str]] = []

        def walk(path: list[str]) -> bool:
            cur = path[-1]
            if len(path) > 1 and self._meets_sweep(cur, stops):
                found.append(path)
                return len(found) <= self.MAX_PATHS
            for c in self.graph.children[cur]:
                if c in relevant and not walk(path + [c]):
                    return False
            return True

        return found if walk([key]) else None

    def _whole(self, path: list[str], stops: frozenset) -> list[str]:
        """``path`` continued to the output (a stop straight to it), for naming it."""
        out = list(path)
        while out[-1] != self.graph.loss:
            nxt = [c for c in self.graph.children[out[-1]] if c in self.graph.relevant]
            out.append(self.graph.loss if out[-1] in stops else nxt[0])
        return out

    def _labels(self, paths: list[list[str]]) -> list[str]:
        if len(paths) < 2:
            return [""] * len(paths)
        labels = []
        for p in paths:
            others = [q for q in paths if q is not p]
            if any(set(p) < set(q) for q in others):
                labels.append(r"\text{skip}")
                continue
            chosen, remaining = [], [q for q in paths]
            for n in p[1:-1]:
                keep = [q for q in remaining if n in q]
                if len(keep) < len(remaining):
                    chosen.append(n)
                    remaining = keep
                if len(remaining) == 1:
                    break
            names = ", ".join(self.name(n) for n in chosen)
            labels.append(rf"\text{{through }} {names}" if chosen else "")
        return labels

    def path_gradient(self, key: str, paths: list[list[str]], stops: frozenset = frozenset()) -> Equation:
        """∂out/∂key as Σ over ``paths`` (from :meth:`paths`) of ∂out/∂m, from the sweep,
        times the local derivatives from ``m`` down to ``key``."""
        out_key = self.graph.loss
        labels = self._labels([self._whole(p, stops) for p in paths])
        sym_terms, num_terms, path_values, exact = [], [], [], True
        for p, label in zip(paths, labels):
            edges = list(zip(p[1:], p[:-1]))[::-1]  # (child, parent) from m down to key
            syms = [self.d(c, q) for c, q in edges]
            values = [self.grads.local[e].value for e in edges]
            if p[-1] != out_key:
                syms.insert(0, self.d(out_key, p[-1]))
                values.insert(0, self.grads.adjoint[p[-1]])
            shown = [self.show(v) for v in values]
            exact &= all(s.exact for s in shown)
            tag = rf"\;({label})" if label else ""
            sym_terms.append(" ".join(syms) + tag)
            num_terms.append(r" \cdot ".join(self.factor(s) for s in shown) + tag)
            path_values.append(_product_value(values))
        # One path per part, so that long sums break between paths.
        parts = [("=", sym_terms[0])] + [("+", t) for t in sym_terms[1:]]
        parts += [("=" if exact else r"\approx", num_terms[0])] + [("+", t) for t in num_terms[1:]]
        if len(paths) > 1:
            sums = [self.show(v) for v in path_values]
            parts.append(("=" if all(s.exact for s in sums) else r"\approx", self.signed_sum(sums)))
        value = self.show(self.grads.adjoint[key])
        if parts[-1][1] != value.latex:
            parts.append((value.relation, value.latex))
        return Equation(self.d(out_key, key), tuple(parts))
