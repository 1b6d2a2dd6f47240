"""SGD with momentum in PyTorch's form: v ← μ v + g, w ← w − η v (v₀ = 0); the same as
``type: sgd`` with ``momentum: μ``, μ = 0.9 by default."""

from __future__ import annotations

import sympy as sp

from .base import ETA, LEARNING_RATE, Optimizer, momentum
from .base.formula import G, Line, W, sym

MU, V = sym("momentum", r"\mu"), sym("v", "v")


def _lines(hp: dict, first: bool) -> tuple[Line, ...]:
    return Line("v", "v", MU * V + G), Line("w", "w", W - ETA * V)


OPTIMIZER = Optimizer(
    "momentum", "SGD with momentum (PyTorch's form)", (LEARNING_RATE, momentum(sp.Rational(9, 10))),
    _lines, (("v", "v"),), r"torch.optim.SGD(momentum=$\mu$)'s algorithm",
    first_note=lambda x: rf" With ${x['v']}_0 = 0$, ${x['v']}_1 = {x['g']}$.", order=2)
