"""Sum instead of mean: a loss averaged over the batch (or over the outputs) summed instead,
which multiplies it and every gradient by the count."""

from .base import Misconception, by_factor


def _compute(ctx):
    factors = []
    if ctx.graph.examples > 1 and ctx.batch == "mean":
        factors.append(ctx.graph.examples)
    if ctx.reduction == "mean" and ctx.outputs > 1:
        factors.append(ctx.outputs)
    return by_factor(ctx, *factors)


MISCONCEPTION = Misconception(
    "sum_instead_of_mean",
    "the loss is summed where it is averaged (over the batch or the outputs), multiplying it and every "
    "gradient by their count",
    _compute, order=80)
