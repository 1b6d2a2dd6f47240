"""The mean squared error over the outputs, L = (1/n) Σ_k (o_k − y_k)² (torch.nn.MSELoss)."""

from __future__ import annotations

import sympy as sp

from .base import Loss, LossForm, add, scaled, squares


def _build(o, y, values, reduction, params) -> LossForm:
    terms = squares(o, y)
    n = len(terms)
    return LossForm(scaled(sp.Rational(1, n), add(terms)), "mean squared error",
                    rf"L = \frac{{1}}{{{n}}}\sum_k (o_k - y_k)^2" if n > 1 else r"L = (o - y)^2")


LOSS = Loss("mse", "mean squared error", _build, ("mean",), source="torch.nn.MSELoss", order=3)
