"""RMSprop (Hinton, *Neural Networks for Machine Learning*, lecture 6e, 2012) as
``torch.optim.RMSprop`` computes it (not centred): coupled weight decay g ← g + λ w,
v ← α v + (1 − α) g², then w ← w − η g / (√v + ε), or with momentum μ the buffer
buf ← μ buf + g / (√v + ε) and w ← w − η buf."""

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
    momentum,
    weight_decay,
)
from .base.formula import G, Line, W, sqrt, sym

ALPHA, MU = sym("alpha", r"\alpha"), sym("momentum", r"\mu")
V, B = sym("v", "v"), sym("buf", r"\mathrm{buf}")


def _lines(hp: dict, first: bool) -> tuple[Line, ...]:
    out = (*coupled_decay(hp), Line("v", "v", ALPHA * V + (1 - ALPHA) * G ** 2))
    if hp.get("momentum", 0):
        return (*out, Line("buf", r"\mathrm{buf}", MU * B + G / (sqrt(V) + EPS)), Line("w", "w", W - ETA * B))
    return (*out, Line("w", "w", W - ETA * (G / (sqrt(V) + EPS))))


OPTIMIZER = Optimizer(
    "rmsprop", "RMSprop (Hinton, 2012)",
    (LEARNING_RATE,
     Param("alpha", r"\alpha", sp.Rational(99, 100), "0.99", "smoothing constant α of the squared-gradient average",
           low=sp.Integer(0), high=sp.Integer(1)),
     epsilon(8),
     momentum(sp.Integer(0)), weight_decay()),
    _lines, (("v", "v"), ("buf", r"\mathrm{buf}")),
    "torch.optim.RMSprop's algorithm (centered=False); Hinton, lecture 6e (2012)", order=5)
