"""The logarithm's base: log₂ or log₁₀ in cross-entropy instead of the natural log (PyTorch's),
which divides the loss and every gradient by ln 2 or ln 10."""

import sympy as sp

from ...core.numbers import DIGITS
from .base import Misconception, by_factor


def _compute(ctx):
    if ctx.loss not in ("cross_entropy", "bce"):
        return {}
    return by_factor(ctx, (1 / sp.log(2)).evalf(DIGITS), (1 / sp.log(10)).evalf(DIGITS))


MISCONCEPTION = Misconception(
    "log_base",
    "the cross-entropy is taken with log₂ or log₁₀ instead of the natural logarithm",
    _compute, order=100)
