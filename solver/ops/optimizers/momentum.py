"""SGD with momentum in PyTorch's form: v ← μ v + g, w ← w − η v (v₀ = 0)."""

from __future__ import annotations

import sympy as sp

from ..params import Param
from .base import LEARNING_RATE, Optimizer


def _step(w, g, state, t, hp, sqrt):
    v = hp["momentum"] * state.get("v", 0) + g
    return w - hp["learning_rate"] * v, {"v": v}


OPTIMIZER = Optimizer(
    "momentum", "SGD with momentum (PyTorch's form)",
    r"v \leftarrow \mu v + g,\quad w \leftarrow w - \eta\, v \quad (v_0 = 0)",
    (LEARNING_RATE, Param("momentum", r"\mu", sp.Rational(9, 10), "0.9", "momentum μ", low=sp.Integer(0), high=sp.Integer(1), high_open=True)),
    (("v", "v"),), _step, lambda w, g, hp: f"{w} - ({hp['learning_rate']})({g})",
    first_note=r" With $v_0 = 0$, $v_1 = g$.", source="torch.optim.SGD(momentum=μ)", order=2)
