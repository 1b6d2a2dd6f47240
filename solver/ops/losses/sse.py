"""The sum of squared errors, L = Σ_k (o_k − y_k)²."""

from __future__ import annotations

from .base import Loss, LossForm, add, squares


def _build(o, y, values, reduction, params) -> LossForm:
    return LossForm(add(squares(o, y)), "sum of squared errors", r"L = \sum_k (o_k - y_k)^2")


LOSS = Loss("sse", "sum of squared errors", _build, ("sum",), source="the sum of squared errors", order=1)
