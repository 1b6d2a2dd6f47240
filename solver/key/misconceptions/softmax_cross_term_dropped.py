"""The softmax's cross terms dropped: ∂L/∂o_j taken as ∂L/∂p_j · ∂p_j/∂o_j alone, without
Σ_{k≠j} ∂L/∂p_k · ∂p_k/∂o_j (seed 001's mistake, which halves its gradients)."""

from ...graph.carried import softmax_index
from ...graph.model import sym
from .base import Misconception, by_rule


def _compute(ctx):
    def rule(c, p, formula, values):
        found = softmax_index(ctx.graph, c)
        if found is None:
            return None
        k, logits = found
        return 0 if logits[k] != sym(p) else None
    return by_rule(ctx, rule)


MISCONCEPTION = Misconception(
    "softmax_cross_term_dropped",
    "the softmax's cross terms are dropped: ∂L/∂o_j keeps only ∂L/∂p_j · p_j(1 − p_j), not the "
    "terms −∂L/∂p_k · p_k p_j of the other outputs",
    _compute, order=40)
