"""Adagrad (Duchi, Hazan & Singer, *Adaptive Subgradient Methods*, JMLR 2011) as
``torch.optim.Adagrad`` computes it with lr_decay 0 and initial_accumulator_value 0:
coupled weight decay g ← g + λ w, s ← s + g², w ← w − η g / (√s + ε)."""

from __future__ import annotations

import sympy as sp

from ..params import Param
from .base import ETA, LEARNING_RATE, Optimizer, coupled_decay, weight_decay
from .base.formula import G, Line, W, sqrt, sym

EPS, S = sym("epsilon", r"\epsilon"), sym("sum", "s")


def _lines(hp: dict, first: bool) -> tuple[Line, ...]:
    return (*coupled_decay(hp), Line("sum", "s", S + G ** 2), Line("w", "w", W - ETA * (G / (sqrt(S) + EPS))))


OPTIMIZER = Optimizer(
    "adagrad", "Adagrad (Duchi et al., 2011)",
    (LEARNING_RATE,
     Param("epsilon", r"\epsilon", sp.Rational(1, 10**10), "1e-10", "ε added to the root in the denominator",
           low=sp.Integer(0), low_open=True),
     weight_decay()),
    _lines, (("sum", "s"),),
    "torch.optim.Adagrad's algorithm (no learning-rate decay, the sum starting at 0); Duchi et al. (2011)", order=6)
