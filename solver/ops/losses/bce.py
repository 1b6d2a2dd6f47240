"""Binary cross-entropy per output, −[y ln p + (1 − y) ln(1 − p)], averaged over the
outputs (``reduction: mean``, the default, as torch.nn.BCELoss) or summed."""

from __future__ import annotations

import sympy as sp

from .base import Loss, LossForm, add


def _term(a, b) -> sp.Expr:
    return sp.Add(sp.Mul(b, sp.log(a), evaluate=False),
                  sp.Mul(sp.Add(1, sp.Mul(-1, b, evaluate=False), evaluate=False),
                         sp.log(sp.Add(1, sp.Mul(-1, a, evaluate=False), evaluate=False)),
                         evaluate=False), evaluate=False)


def _build(p, y, values, reduction, params) -> LossForm:
    terms = [_term(a, b) for a, b in zip(p, y)]
    n = len(terms)
    mean = reduction == "mean" and n > 1
    factor = sp.Rational(-1, n) if mean else sp.Integer(-1)
    head = rf"-\frac{{1}}{{{n}}}" if mean else "-"
    return LossForm(sp.Mul(factor, add(terms), evaluate=False),
                    "binary cross-entropy" + (f", averaged over the {n} outputs" if mean else ""),
                    rf"L = {head}\sum_k \left[y_k \ln p_k + (1 - y_k)\ln(1 - p_k)\right]",
                    needs_probabilities=True)


def _targets(values: list) -> str | None:
    if any(not (0 <= v <= 1) for v in values):
        return "binary cross-entropy targets must lie between 0 and 1"
    return None


LOSS = Loss("bce", "binary cross-entropy", _build, ("mean", "sum"), needs_probabilities=True,
            check_targets=_targets, source="torch.nn.BCELoss", order=5)
