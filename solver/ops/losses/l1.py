"""The absolute error, L = Σ_k |o_k − y_k| (``reduction: sum``, the default) or its mean
over the outputs (``reduction: mean``, torch.nn.L1Loss's default); sgn(0) = 0."""

from __future__ import annotations

import sympy as sp

from .base import Loss, LossForm, add, residual, scaled


def _build(o, y, values, reduction, params) -> LossForm:
    terms = [sp.Abs(residual(a, b), evaluate=False) for a, b in zip(o, y)]
    n = len(terms)
    if reduction == "mean" and n > 1:
        return LossForm(scaled(sp.Rational(1, n), add(terms)), "mean absolute error (L1)",
                        rf"L = \frac{{1}}{{{n}}}\sum_k |o_k - y_k|,\quad " + _SIGN)
    return LossForm(add(terms), "absolute error (L1)", r"L = \sum_k |o_k - y_k|,\quad " + _SIGN)


#: the derivative of |u|, with PyTorch's value at the kink
_SIGN = (r"\frac{d|u|}{du} = \operatorname{sgn}(u) = \begin{cases} 1 & u > 0 \\ 0 & u = 0 \\ -1 & u < 0 "
         r"\end{cases}")


LOSS = Loss("l1", "absolute error (L1)", _build, ("sum", "mean"), source="torch.nn.L1Loss", order=6)
