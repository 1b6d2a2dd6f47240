"""Equations of the staged ("graph") style: local derivatives beside each stage, and
each asked gradient as the product of local derivatives along every path, summed over
the paths (seed 004's layout)."""

from __future__ import annotations

import sympy as sp

from ..core.numbers import normalize
from .model import Equation
from .steps import StepBuilder


def _product_value(values) -> sp.Expr:
    out = sp.Integer(1)
    for v in values:
        out = out * v
    return normalize(out)


class StagedSteps(StepBuilder):
    """Equations of the staged ("graph") style: local derivatives beside each stage,
    and each asked gradient as the product of local derivatives along every path,
    summed over the paths (seed 004's layout)."""

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

    def paths(self, key: str) -> list[list[str]] | None:
        """Every path from ``key`` to the output (``[key, …, output]``), or ``None`` when
        there are more than :attr:`MAX_PATHS`."""
        out_key = self.graph.loss
        relevant = self.graph.relevant
        found: list[list[str]] = []

        def walk(path: list[str]) -> bool:
            cur = path[-1]
            if cur == out_key:
                found.append(path)
                return len(found) <= self.MAX_PATHS
            for c in self.graph.children[cur]:
                if c in relevant and not walk(path + [c]):
                    return False
            return True

        return found if walk([key]) else None

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

    def path_gradient(self, key: str, paths: list[list[str]]) -> Equation:
        """∂out/∂key as Σ over paths of the product of local derivatives."""
        out_key = self.graph.loss
        labels = self._labels(paths)
        sym_terms, num_terms, path_values, exact = [], [], [], True
        for p, label in zip(paths, labels):
            edges = list(zip(p[1:], p[:-1]))[::-1]  # (child, parent) from the output down
            sym = " ".join(self.d(c, q) for c, q in edges)
            locs = [self.grads.local[e].value for e in edges]
            shown = [self.show(v) for v in locs]
            exact &= all(s.exact for s in shown)
            num = r" \cdot ".join(self.factor(s) for s in shown)
            tag = rf"\;({label})" if label else ""
            sym_terms.append(sym + tag)
            num_terms.append(num + tag)
            path_values.append(_product_value(locs))
        # One path per part, so that long sums break between paths.
        parts = [("=", sym_terms[0])] + [("+", t) for t in sym_terms[1:]]
        parts += [("=" if exact else r"\approx", num_terms[0])] + [("+", t) for t in num_terms[1:]]
        if len(paths) > 1:
            sums = [self.show(v) for v in path_values]
            parts.append(("=" if all(s.exact for s in sums) else r"\approx",
                          " + ".join(self.factor(s) for s in sums)))
        value = self.show(self.grads.adjoint[key])
        if parts[-1][1] != value.latex:
            parts.append((value.relation, value.latex))
        return Equation(self.d(out_key, key), tuple(parts))
