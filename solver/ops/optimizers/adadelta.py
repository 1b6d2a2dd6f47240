"""Adadelta (Zeiler, *ADADELTA: An Adaptive Learning Rate Method*, arXiv:1212.5701, 2012,
Algorithm 1) as ``torch.optim.Adadelta`` computes it (``_single_tensor_adadelta`` in
torch/optim/adadelta.py): coupled weight decay g ← g + λ w, v ← ρ v + (1 − ρ) g²,
Δ = √(u + ε) / √(v + ε) · g, u ← ρ u + (1 − ρ) Δ², w ← w − η Δ. PyTorch's learning rate
η (1 by default there; Zeiler's rule has none) scales the step only, not the u it keeps."""

from __future__ import annotations

import sympy as sp

from ..params import Param
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

RHO = sym("rho", r"\rho")
V, U, D = sym("v", "v"), sym("u", "u"), sym("delta", r"\Delta")


def _lines(hp: dict, first: bool) -> tuple[Line, ...]:
    return (*coupled_decay(hp), Line("v", "v", RHO * V + (1 - RHO) * G ** 2),
            Line("delta", r"\Delta", sqrt(U + EPS) / sqrt(V + EPS) * G, "="),
            Line("u", "u", RHO * U + (1 - RHO) * D ** 2), Line("w", "w", W - ETA * D))


OPTIMIZER = Optimizer(
    "adadelta", "Adadelta (Zeiler, 2012)",
    (LEARNING_RATE,
     Param("rho", r"\rho", sp.Rational(9, 10), "0.9", "decay ρ of the running averages of g² and of the squared "
           "updates Δ²", low=sp.Integer(0), high=sp.Integer(1)),
     epsilon(6, "ε added inside both roots"),
     weight_decay()),
    _lines, (("v", "v"), ("u", "u")),
    "torch.optim.Adadelta's algorithm; Zeiler (2012), Algorithm 1",
    first_note=lambda x: rf" At step 1, ${x['u']} = 0$, so ${x['delta']} = \sqrt{{{x['epsilon']}}}\, "
                         rf"{x['g']} / \sqrt{{{x['v']} + {x['epsilon']}}}$.",
    order=7)
