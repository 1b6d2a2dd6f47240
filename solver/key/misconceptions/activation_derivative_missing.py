"""The activation's derivative left out of the chain rule (σ′ or ReLU′ missing): ∂h/∂z taken as 1."""

from ...graph.carried import activation_edge
from .base import Misconception, by_rule


def _compute(ctx):
    return by_rule(ctx, lambda c, p, formula, values: 1 if activation_edge(ctx.graph, c, p) else None)


MISCONCEPTION = Misconception(
    "activation_derivative_missing",
    "the activation's derivative (σ′, ReLU′, …) is left out of the chain rule, as if ∂h/∂z were 1",
    _compute, order=10)
