"""Mean instead of sum: a loss summed over the batch (or over the outputs) averaged instead,
which divides it and every gradient by the count."""

import sympy as sp

from .base import Misconception, by_factor


def _compute(ctx):
    factors = []
    if ctx.graph.examples > 1 and ctx.batch == "sum":
        factors.append(sp.Rational(1, ctx.graph.examples))
    if ctx.reduction == "sum" and ctx.outputs > 1:
        factors.append(sp.Rational(1, ctx.outputs))
    return by_factor(ctx, *factors)


MISCONCEPTION = Misconception(
    "mean_instead_of_sum",
    "the loss is averaged where it is summed (over the batch or the outputs), dividing it and every "
    "gradient by their count",
    _compute, order=90)
