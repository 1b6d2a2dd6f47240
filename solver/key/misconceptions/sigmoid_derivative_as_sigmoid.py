"""σ′(z) written as σ(z) instead of σ(z)(1 − σ(z))."""

from ...graph.carried import activation_edge, function_of
from .base import Misconception, by_rule


def _compute(ctx):
    def rule(c, p, formula, values):
        if activation_edge(ctx.graph, c, p) and function_of(ctx.graph, c) == "Sigmoid":
            return values[c]
        return None
    return by_rule(ctx, rule)


MISCONCEPTION = Misconception(
    "sigmoid_derivative_as_sigmoid",
    "σ′(z) is taken as σ(z) instead of σ(z)(1 − σ(z))",
    _compute, order=30)
