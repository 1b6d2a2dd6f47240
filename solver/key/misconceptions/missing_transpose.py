"""A missing transpose: the error sent back through W as W δ instead of Wᵀ δ (only a square
layer's shapes allow it)."""

from ...graph.model import sym
from .base import Misconception, by_rule


def _transposed(graph) -> dict:
    out = {}
    for info in graph.layers:
        rows = info.weights
        if rows and len(rows) == len(rows[0]) and len(rows) > 1:
            for r, row in enumerate(rows):
                for c, key in enumerate(row):
                    out[sym(key)] = rows[c][r]
    return out


def _compute(ctx):
    swap = _transposed(ctx.graph)
    if not swap:
        return {}

    def rule(c, p, formula, values):
        if formula in swap and ctx.graph.by_key[p].kind not in ("weight", "bias"):
            return values[swap[formula]]
        return None
    return by_rule(ctx, rule)


MISCONCEPTION = Misconception(
    "missing_transpose",
    "the error is sent back through the weight matrix as W δ instead of Wᵀ δ (a missing transpose)",
    _compute, order=50)
