"""Adam (Kingma & Ba, *Adam: A Method for Stochastic Optimization*, ICLR 2015, Algorithm 1):
m ← β₁ m + (1 − β₁) g, v ← β₂ v + (1 − β₂) g², m̂ = m / (1 − β₁ᵗ), v̂ = v / (1 − β₂ᵗ),
w ← w − η m̂ / (√v̂ + ε)."""

from __future__ import annotations

import sympy as sp

from ..params import Param
from .base import LEARNING_RATE, Optimizer


def _step(w, g, state, t, hp, sqrt):
    b1, b2 = hp["beta1"], hp["beta2"]
    m = b1 * state.get("m", 0) + (1 - b1) * g
    v = b2 * state.get("v", 0) + (1 - b2) * g * g
    mhat = m / (1 - b1 ** t)
    vhat = v / (1 - b2 ** t)
    return w - hp["learning_rate"] * mhat / (sqrt(vhat) + hp["epsilon"]), {"m": m, "v": v}


def _first(w: str, g: str, hp: dict) -> str:
    return rf"{w} - ({hp['learning_rate']}) \frac{{{g}}}{{\sqrt{{({g})^2}} + {hp['epsilon']}}}"


OPTIMIZER = Optimizer(
    "adam", "Adam (Kingma and Ba, 2015)",
    (r"m \leftarrow \beta_1 m + (1 - \beta_1) g,\quad v \leftarrow \beta_2 v + (1 - \beta_2) g^2,\quad "
     r"\hat{m} = \frac{m}{1 - \beta_1^t},\quad \hat{v} = \frac{v}{1 - \beta_2^t},\quad "
     r"w \leftarrow w - \eta \frac{\hat{m}}{\sqrt{\hat{v}} + \epsilon}"),
    (LEARNING_RATE, Param("beta1", r"\beta_1", sp.Rational(9, 10), "0.9", "decay of the first moment β₁",
           low=sp.Integer(0), high=sp.Integer(1), high_open=True),
     Param("beta2", r"\beta_2", sp.Rational(999, 1000), "0.999", "decay of the second moment β₂",
           low=sp.Integer(0), high=sp.Integer(1), high_open=True),
     Param("epsilon", r"\epsilon", sp.Rational(1, 10**8), "1e-8", "ε added to √v̂", low=sp.Integer(0), low_open=True)),
    (("m", "m"), ("v", "v")), _step, _first,
    first_note=r" At $t = 1$ the bias corrections give $\hat{m} = g$ and $\hat{v} = g^2$.",
    source="Kingma and Ba (2015), Algorithm 1; torch.optim.Adam", order=3)
