"""Sum instead of mean: a loss averaged over the batch (or over the outputs) summed instead,
which multiplies it and every gradient by the count."""

from .base import Misconception, by_factor, merge


def _compute(ctx):
    # over the batch: the batch's loss and the gradients (each example's loss is not changed);
    # over the outputs: each example's loss as well
    batch = by_factor(ctx, ctx.graph.examples, examples=False) \
        if ctx.graph.examples > 1 and ctx.batch == "mean" else {}
    outputs = by_factor(ctx, ctx.outputs) if ctx.reduction == "mean" and ctx.outputs > 1 else {}
    return merge(batch, outputs)


MISCONCEPTION = Misconception(
    "sum_instead_of_mean",
    "the loss is summed where it is averaged (over the batch or the outputs), multiplying it and every "
    "gradient by their count",
    _compute, order=80)
