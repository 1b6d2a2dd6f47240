"""Adam (Kingma & Ba, *Adam: A Method for Stochastic Optimization*, ICLR 2015, Algorithm 1)
as ``torch.optim.Adam`` computes it: coupled weight decay g ← g + λ w, then
m ← β₁ m + (1 − β₁) g, v ← β₂ v + (1 − β₂) g², m̂ = m / (1 − β₁ᵗ), v̂ = v / (1 − β₂ᵗ),
w ← w − η m̂ / (√v̂ + ε). AdamW (:mod:`.adamw`) decays w itself instead."""

from __future__ import annotations

import sympy as sp

from ..params import Param
from .base import EPS, ETA, LEARNING_RATE, Optimizer, decay, epsilon, weight_decay
from .base.formula import G, Line, T, W, sqrt, sym

B1, B2 = sym("beta1", r"\beta_1"), sym("beta2", r"\beta_2")
M, V, MHAT, VHAT = sym("m", "m"), sym("v", "v"), sym("mhat", r"\hat{m}"), sym("vhat", r"\hat{v}")

PARAMS = (LEARNING_RATE,
          Param("beta1", r"\beta_1", sp.Rational(9, 10), "0.9", "decay of the first moment β₁",
                low=sp.Integer(0), high=sp.Integer(1), high_open=True),
          Param("beta2", r"\beta_2", sp.Rational(999, 1000), "0.999", "decay of the second moment β₂",
                low=sp.Integer(0), high=sp.Integer(1), high_open=True),
          epsilon(8))


def moments(hp: dict, decoupled: bool) -> tuple[Line, ...]:
    """Adam's lines after its weight decay: coupled (Adam) or decoupled (AdamW)."""
    return (*decay(hp, decoupled), Line("m", "m", B1 * M + (1 - B1) * G), Line("v", "v", B2 * V + (1 - B2) * G ** 2),
            Line("mhat", r"\hat{m}", M / (1 - B1 ** T), "="), Line("vhat", r"\hat{v}", V / (1 - B2 ** T), "="),
            Line("w", "w", W - ETA * (MHAT / (sqrt(VHAT) + EPS))))


OPTIMIZER = Optimizer(
    "adam", "Adam (Kingma and Ba, 2015)", (*PARAMS, weight_decay()),
    lambda hp, first: moments(hp, False), (("m", "m"), ("v", "v")),
    "torch.optim.Adam's algorithm; Kingma and Ba (2015), Algorithm 1",
    first_note=lambda x: rf" At ${x['t']} = 1$ the bias corrections give ${x['mhat']} = {x['g']}$ and "
                         rf"${x['vhat']} = {x['g']}^2$.", order=3)
