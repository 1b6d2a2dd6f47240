"""Loss functions: each builds the loss node's expression from the outputs and targets.

Adding a loss: write a builder ``(outputs, targets, reduction) -> LossForm`` and
register it in :data:`LOSSES`. Expressions are built unevaluated so the key prints
them as written (``(o_1 - y_1)^2 + (o_2 - y_2)^2``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import sympy as sp


@dataclass(frozen=True)
class LossForm:
    """A loss as the key shows it: its expression, a title and the general definition."""

    expr: sp.Expr
    title: str
    definition: str
    needs_probabilities: bool = False


def _add(terms: list) -> sp.Expr:
    return terms[0] if len(terms) == 1 else sp.Add(*terms, evaluate=False)


def _diff(o: sp.Symbol, y: sp.Symbol) -> sp.Expr:
    return sp.Add(o, sp.Mul(-1, y, evaluate=False), evaluate=False)


def _scaled(factor: sp.Rational, expr: sp.Expr) -> sp.Expr:
    return expr if factor == 1 else sp.Mul(factor, expr, evaluate=False)


def sse(o: Sequence[sp.Symbol], y: Sequence[sp.Symbol], reduction: str | None) -> LossForm:
    terms = [sp.Pow(_diff(a, b), 2, evaluate=False) for a, b in zip(o, y)]
    return LossForm(_add(terms), "sum of squared errors", r"L = \sum_k (o_k - y_k)^2")


def half_sse(o, y, reduction) -> LossForm:
    terms = [sp.Pow(_diff(a, b), 2, evaluate=False) for a, b in zip(o, y)]
    return LossForm(_scaled(sp.Rational(1, 2), _add(terms)), "half sum of squared errors",
                    r"L = \frac{1}{2}\sum_k (o_k - y_k)^2")


def mse(o, y, reduction) -> LossForm:
    terms = [sp.Pow(_diff(a, b), 2, evaluate=False) for a, b in zip(o, y)]
    n = len(terms)
    return LossForm(_scaled(sp.Rational(1, n), _add(terms)), "mean squared error",
                    rf"L = \frac{{1}}{{{n}}}\sum_k (o_k - y_k)^2" if n > 1 else r"L = (o - y)^2")


def cross_entropy(p, y, reduction) -> LossForm:
    terms = [sp.Mul(b, sp.log(a), evaluate=False) for a, b in zip(p, y)]
    return LossForm(sp.Mul(-1, _add(terms), evaluate=False), "cross-entropy",
                    r"L = -\sum_k y_k \ln p_k", needs_probabilities=True)


def bce(p, y, reduction) -> LossForm:
    terms = [sp.Add(sp.Mul(b, sp.log(a), evaluate=False),
                    sp.Mul(sp.Add(1, sp.Mul(-1, b, evaluate=False), evaluate=False),
                           sp.log(sp.Add(1, sp.Mul(-1, a, evaluate=False), evaluate=False)),
                           evaluate=False), evaluate=False) for a, b in zip(p, y)]
    n = len(terms)
    mean = (reduction or "mean") == "mean" and n > 1
    factor = sp.Rational(-1, n) if mean else sp.Integer(-1)
    head = rf"-\frac{{1}}{{{n}}}" if mean else "-"
    return LossForm(sp.Mul(factor, _add(terms), evaluate=False),
                    "binary cross-entropy" + (f", averaged over the {n} outputs" if mean else ""),
                    rf"L = {head}\sum_k \left[y_k \ln p_k + (1 - y_k)\ln(1 - p_k)\right]",
                    needs_probabilities=True)


def l1(o, y, reduction) -> LossForm:
    terms = [sp.Abs(_diff(a, b), evaluate=False) for a, b in zip(o, y)]
    return LossForm(_add(terms), "absolute error (L1)", r"L = \sum_k |o_k - y_k|")


LOSSES: dict[str, Callable[..., LossForm]] = {
    "sse": sse, "half_sse": half_sse, "mse": mse,
    "cross_entropy": cross_entropy, "bce": bce, "l1": l1,
}
