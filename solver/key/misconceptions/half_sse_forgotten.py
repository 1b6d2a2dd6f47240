"""The ½ of half-SSE forgotten: L = Σ (o − y)² where the problem says ½ Σ (o − y)²."""

from .base import Misconception, by_factor


def _compute(ctx):
    return by_factor(ctx, 2) if ctx.loss == "half_sse" else {}


MISCONCEPTION = Misconception(
    "half_sse_forgotten",
    "the ½ of the half sum of squared errors is forgotten, which doubles the loss and every gradient",
    _compute, order=70)
