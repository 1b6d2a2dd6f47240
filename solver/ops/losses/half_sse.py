"""Half the sum of squared errors, L = ½ Σ_k (o_k − y_k)² (its gradient is o − y)."""

from __future__ import annotations

import sympy as sp

from .base import Loss, LossForm, add, scaled, squares


def _build(o, y, values, reduction, params) -> LossForm:
    return LossForm(scaled(sp.Rational(1, 2), add(squares(o, y))), "half sum of squared errors",
                    r"L = \frac{1}{2}\sum_k (o_k - y_k)^2")


LOSS = Loss("half_sse", "half sum of squared errors", _build, ("sum",), source="Bishop (2006), §5.2", order=2)
