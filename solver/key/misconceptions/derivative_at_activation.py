"""The activation's derivative evaluated at the activation a instead of the pre-activation z
(f′(a) for f′(z); for ReLU and leaky ReLU the two agree, so only smooth activations show it)."""

from ...graph.backprop import evaluate
from ...graph.carried import activation_edge
from .base import Misconception, by_rule


def _compute(ctx):
    def rule(c, p, formula, values):
        if not activation_edge(ctx.graph, c, p):
            return None
        return evaluate(formula, {**values, p: values[c]})
    return by_rule(ctx, rule)


MISCONCEPTION = Misconception(
    "derivative_at_activation",
    "the activation's derivative is evaluated at the activation a = f(z) instead of at the pre-activation z",
    _compute, order=20)
