"""Stochastic gradient descent as ``torch.optim.SGD`` computes it: coupled weight decay
g ← g + λ w; with momentum μ the buffer buf ← μ buf + (1 − τ) g, but buf ← g on the
first step (no dampening there); Nesterov's look-ahead d = g + μ buf (Sutskever et al. 2013, in
PyTorch's form); then w ← w − η buf (or η d, or η g without momentum)."""

from __future__ import annotations

import sympy as sp

from ..params import Param
from .base import (
    ETA,
    LEARNING_RATE,
    Flag,
    Optimizer,
    coupled_decay,
    momentum,
    weight_decay,
)
from .base.formula import G, Line, W, sym

MU, TAU, B, D = sym("momentum", r"\mu"), sym("dampening", r"\tau"), sym("buf", r"\mathrm{buf}"), sym("d", "d")


def _lines(hp: dict, first: bool) -> tuple[Line, ...]:
    out = list(coupled_decay(hp))
    if not hp.get("momentum", 0):
        return (*out, Line("w", "w", W - ETA * G))
    buf = G if first else MU * B + (1 - TAU) * G if hp.get("dampening", 0) else MU * B + G
    out.append(Line("buf", r"\mathrm{buf}", buf))
    if hp.get("nesterov", False):
        return (*out, Line("d", "d", G + MU * B, "="), Line("w", "w", W - ETA * D))
    return (*out, Line("w", "w", W - ETA * B))


def _check(hp: dict) -> str | None:
    if hp.get("nesterov", False) and (not hp.get("momentum", 0) or hp.get("dampening", 0)):
        return "nesterov: Nesterov momentum needs momentum > 0 and dampening 0 (as torch.optim.SGD)"
    if hp.get("dampening", 0) and not hp.get("momentum", 0):  # torch ignores it; the key would show an unused τ
        return "dampening: it damps the momentum buffer, so it needs momentum > 0 (momentum is 0)"
    return None


OPTIMIZER = Optimizer(
    "sgd", "stochastic gradient descent (SGD)",
    (LEARNING_RATE, momentum(sp.Integer(0)),
     Param("dampening", r"\tau", sp.Integer(0), "0", "dampening τ of the momentum buffer",
           low=sp.Integer(0), high=sp.Integer(1)),
     weight_decay()),
    _lines, (("buf", r"\mathrm{buf}"),),
    "torch.optim.SGD's algorithm",
    flags=(Flag("nesterov", "sgd: Nesterov momentum, d = g + μ buf (needs momentum > 0 and dampening 0)",
                source="Nesterov momentum: Sutskever et al. (2013)"),),
    check=_check,
    order=1)
