"""Adagrad (Duchi, Hazan & Singer, *Adaptive Subgradient Methods*, JMLR 2011) as
``torch.optim.Adagrad`` computes it with lr_decay 0 and initial_accumulator_value 0:
coupled weight decay g ← g + λ w, s ← s + g², w ← w − η g / (√s + ε)."""

from __future__ import annotations

from .base import (
    EPS,
    ETA,
    LEARNING_RATE,
    Optimizer,
    coupled_decay,
    epsilon,
    weight_decay,
)
from .base.formula import G, Line, W, sqrt, sym

S = sym("sum", "s")


def _lines(hp: dict, first: bool) -> tuple[Line, ...]:
    return (*coupled_decay(hp), Line("sum", "s", S + G ** 2), Line("w", "w", W - ETA * (G / (sqrt(S) + EPS))))


OPTIMIZER = Optimizer(
    "adagrad", "Adagrad (Duchi et al., 2011)",
    (LEARNING_RATE,
     epsilon(10),
     weight_decay()),
    _lines, (("sum", "s"),),
    "torch.optim.Adagrad's algorithm (no learning-rate decay, the sum starting at 0); Duchi et al. (2011)", order=6)
