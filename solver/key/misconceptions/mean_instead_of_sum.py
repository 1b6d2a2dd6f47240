"""Mean instead of sum: a loss summed over the batch (or over the outputs) averaged instead,
which divides it and every gradient by the count."""

import sympy as sp

from .base import Misconception, by_factor, merge


def _compute(ctx):
    # over the batch: the batch's loss and the gradients (each example's loss is not changed);
    # over the outputs: each example's loss as well
    batch = by_factor(ctx, sp.Rational(1, ctx.graph.examples), examples=False) \
        if ctx.graph.examples > 1 and ctx.batch == "sum" else {}
    outputs = by_factor(ctx, sp.Rational(1, ctx.outputs)) if ctx.reduction == "sum" and ctx.outputs > 1 else {}
    return merge(batch, outputs)


MISCONCEPTION = Misconception(
    "mean_instead_of_sum",
    "the loss is averaged where it is summed (over the batch or the outputs), dividing it and every "
    "gradient by their count",
    _compute, order=90)
